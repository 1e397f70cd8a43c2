/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-hello, parsed by a pure function (no globals
 * of its own, no output, no exit) so unit tests can call it again and
 * again.
 */
#ifndef EBPFNET_HELLO_ARGS_H
#define EBPFNET_HELLO_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ebpfnet/hello.h>

#include "cli_args.h"

struct hello_args {
	bool filter_uid;             /* --uid given */
	uint32_t uid;
	const char *comm;            /* --comm (points into argv) or NULL */
	const char *cgroup_path;     /* --cgroup (points into argv) or NULL */
	bool failed_only;            /* --failed */
	enum ebpfnet_hello_hook hook; /* --mode, default AUTO */
	bool printk;                 /* --printk */
	struct cli_opts opts;        /* --json, -v, --count (0: no limit),
				      * --duration (0: until a signal) */
};

/*
 * Parse argv into *out (reset to the defaults first). Returns 0 to run,
 * 1 when help was asked for (print it with hello_args_usage()), or -1 on
 * a usage error with a one-line reason (no program name, no newline) in
 * err (errlen bytes). Uses getopt_long and resets its state, so it may be
 * called repeatedly; argv is not reordered.
 */
int hello_args_parse(int argc, char **argv, struct hello_args *out,
		     char *err, size_t errlen);

/* The --help text. */
void hello_args_usage(FILE *out);

#endif /* EBPFNET_HELLO_ARGS_H */
