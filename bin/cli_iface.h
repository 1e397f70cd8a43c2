/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The interface commands of the XDP CLIs (attach, detach; ebpfnet-lb's
 * decap too): the name checked before anything is opened, and the one
 * result line, as text or JSON.
 */
#ifndef EBPFNET_CLI_IFACE_H
#define EBPFNET_CLI_IFACE_H

#include <stdbool.h>

#include "cli_out.h"

/* A name the kernel does not know fails here, before the object is opened
 * (which would create the node's pinned state for nothing). CLI_EXIT_OK,
 * or the error line. */
int cli_iface_check(const char *ifname);

/* {"interface":"<ifname>",<json_rest>} with --json, else text_fmt with
 * ifname for its one %s; a newline after either. CLI_EXIT_OK, or the
 * error line. */
int cli_iface_result(struct cli_out *out, bool json, const char *ifname,
		     const char *json_rest, const char *text_fmt);

/* After a successful attach: `mode` as read back (a negative errno when
 * that failed) in attach's result line. CLI_EXIT_OK, or the error line. */
int cli_iface_attached(struct cli_out *out, bool json, const char *ifname,
		       int mode);

/* detach's result line. CLI_EXIT_OK, or the error line. */
int cli_iface_detached(struct cli_out *out, bool json, const char *ifname);

#endif /* EBPFNET_CLI_IFACE_H */
