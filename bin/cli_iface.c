/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* The interface commands of the XDP CLIs (see cli_iface.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_iface.h"
#include "cli_msgs.h"

int cli_iface_check(const char *ifname)
{
	if (strlen(ifname) >= IF_NAMESIZE)
		return cli_fail(-EINVAL, "invalid interface name '%s'", ifname);
	if (!if_nametoindex(ifname))
		return cli_fail(errno == ENODEV ? -ENODEV : cli_neg_errno(),
				"cannot find interface '%s'", ifname);
	return CLI_EXIT_OK;
}

int cli_iface_result(struct cli_out *out, bool json, const char *ifname,
		     const char *json_rest, const char *text_fmt)
{
	if (!json) {
		printf(text_fmt, ifname);
		putchar('\n');
		return CLI_EXIT_OK;
	}
	fputs("{\"interface\":", stdout);
	if (cli_out_put_json_string(out, ifname))
		return cli_fail(out->format_err, "cannot format the output");
	printf(",%s}\n", json_rest);
	return CLI_EXIT_OK;
}

int cli_iface_attached(struct cli_out *out, bool json, const char *ifname,
		       int mode)
{
	const char *name;
	char rest[64], text[64];

	if (mode < 0)
		return cli_fail(mode, "attached to %s, but cannot read the mode back",
				ifname);
	name = ebpfnet_xdp_mode_name((enum ebpfnet_xdp_mode)mode);
	snprintf(rest, sizeof(rest), "\"mode\":\"%s\"", name);
	snprintf(text, sizeof(text), "attached to %%s (%s)", name);
	return cli_iface_result(out, json, ifname, rest, text);
}

int cli_iface_detached(struct cli_out *out, bool json, const char *ifname)
{
	return cli_iface_result(out, json, ifname, "\"detached\":true",
				"detached from %s");
}
