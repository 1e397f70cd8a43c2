/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-drop, parsed by a pure function (no output,
 * no exit, no state of its own) so unit tests can call it again and again.
 * Everything the command line alone can judge is judged here, before any
 * command runs: options, operand counts, rule ids and `set` values. MATCH
 * words are the library's to judge (ebpfnet_drop_rule_parse()).
 */
#ifndef EBPFNET_DROP_ARGS_H
#define EBPFNET_DROP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_args.h"

enum drop_command {
	DROP_CMD_ATTACH,
	DROP_CMD_DETACH,
	DROP_CMD_ADD,
	DROP_CMD_DEL,
	DROP_CMD_LIST,
	DROP_CMD_STATS,
	DROP_CMD_EVENTS,
	DROP_CMD_STATUS,
	DROP_CMD_SET,
};

/* `set`'s knobs. */
enum drop_setting {
	DROP_SET_FRAG,       /* set_value: enum ebpfnet_drop_frag_policy */
	DROP_SET_MALFORMED,  /* set_value: enum ebpfnet_drop_malformed_policy */
	DROP_SET_EVENT_RATE, /* set_value: events per CPU per second */
};

struct drop_args {
	/* global options */
	const char *pin_root;        /* --pin-root (in argv) or NULL: the default */
	struct cli_opts opts;        /* --json, -v; events --count (0: no
				      * limit), --duration (0: until a signal) */
	/* the command and its options */
	enum drop_command command;
	enum ebpfnet_xdp_mode mode;  /* attach --mode, default AUTO */
	const char *action;          /* add --action (in argv) or NULL */
	const char **ops;            /* operands after the command (in argv) */
	int nops;
	uint32_t rule_id;            /* del ID */
	enum drop_setting setting;   /* set: the knob ... */
	uint64_t set_value;          /* ... and its value */
};

/*
 * Parse argv into *out (reset first). Global options may come before the
 * command and after it; a command's own options only after it. Returns 0
 * to run, 1 when help was asked for (print it with drop_args_usage()), or
 * -1 on a usage error with a one-line reason (no program name, no newline)
 * in err (errlen bytes). out->ops is allocated whatever the answer: free
 * it with drop_args_free(). Uses getopt_long and resets its state, so it
 * may be called repeatedly; argv is not reordered.
 */
int drop_args_parse(int argc, char **argv, struct drop_args *out, char *err,
		    size_t errlen);

/* Free what drop_args_parse() allocated (NULL-safe, repeatable). */
void drop_args_free(struct drop_args *args);

/* The --help text. */
void drop_args_usage(FILE *out);

#endif /* EBPFNET_DROP_ARGS_H */
