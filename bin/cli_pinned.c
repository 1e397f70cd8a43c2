/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* The node's pinned object a CLI manages (see cli_pinned.h). */
#include <errno.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_msgs.h"
#include "cli_pinned.h"

const char *cli_pin_root(const char *arg)
{
	return arg ? arg : EBPFNET_PIN_ROOT_DEFAULT;
}

int cli_open_failed(enum cli_open_how how, const char *what, const char *hint,
		    const char *root)
{
	int err = cli_neg_errno();

	if (err == -ENOENT && how == CLI_OPEN_EXISTING_QUIET) {
		/* the library's "there is none" is no warning here */
		cli_msgs_discard();
		return -ENOENT;
	}
	if (err == -ENOENT)
		return cli_error("there is no %s under %s (%s)", what, root,
				 hint);
	return cli_fail(err, "cannot open the %s under %s", what, root);
}
