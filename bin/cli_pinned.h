/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The node's pinned object a CLI manages (ebpfnet-drop's filter,
 * ebpfnet-lb's balancer): where it lives, and what a failed open says.
 */
#ifndef EBPFNET_CLI_PINNED_H
#define EBPFNET_CLI_PINNED_H

/*
 * How a command opens the object. Only the commands that make something
 * create it (CLI_OPEN_CREATE): the others have nothing to work on without
 * it, and creating it there would leave state behind for nothing.
 * CLI_OPEN_EXISTING_QUIET: when there is none, -ENOENT and no error line
 * (the caller decides).
 */
enum cli_open_how {
	CLI_OPEN_EXISTING,
	CLI_OPEN_CREATE,
	CLI_OPEN_EXISTING_QUIET,
};

/* The pin root a --pin-root value (NULL: not given) names. */
const char *cli_pin_root(const char *arg);

/*
 * Right after the library's open returned NULL: -ENOENT for a quiet open
 * of nothing, else the error line "there is no <what> under <root>
 * (<hint>)" or "cannot open the <what> under <root>" (CLI_EXIT_ERROR).
 */
int cli_open_failed(enum cli_open_how how, const char *what, const char *hint,
		    const char *root);

#endif /* EBPFNET_CLI_PINNED_H */
