/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-policy, parsed by a pure function (no output,
 * no exit, no state of its own) so unit tests can call it again and again.
 * Everything the command line alone can judge is judged here, before any
 * command runs: the command words, options and operand counts, --ip
 * addresses, trace's --port, numbers. Labels, selectors, YAML and
 * interface names are the library's (or the kernel's) to judge.
 */
#ifndef EBPFNET_POLICY_ARGS_H
#define EBPFNET_POLICY_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_args.h"

enum policy_command {
	POLICY_CMD_ENDPOINT_ADD,
	POLICY_CMD_ENDPOINT_DEL,
	POLICY_CMD_ENDPOINT_LIST,
	POLICY_CMD_APPLY,
	POLICY_CMD_DELETE,
	POLICY_CMD_LIST,
	POLICY_CMD_TRACE,
	POLICY_CMD_VERDICTS,
	POLICY_CMD_STATUS,
	POLICY_CMD_SET_EVENTS,
};

/* `trace`'s exit status when the connection would be denied (allowed: 0). */
#define POLICY_EXIT_DENIED 3

struct policy_args {
	/* global options */
	const char *pin_root;        /* --pin-root (in argv) or NULL: the default */
	struct cli_opts opts;        /* --json, -v; verdicts --follow's --count
				      * (0: no limit), --duration (0: none) */
	/* the command and its options */
	enum policy_command command;
	const char **ops;            /* operands after the command words (in argv) */
	int nops;
	const char *addrs[EBPFNET_POLICY_MAX_ADDRS]; /* endpoint add --ip (in argv) */
	size_t n_addrs;
	const char *labels;          /* endpoint add --labels (in argv) */
	bool yaml;                   /* list --yaml: the stored documents */
	bool follow;                 /* verdicts --follow */
	const char *from, *to;       /* trace --from, --to (in argv) */
	uint8_t proto;               /* trace --port: IPPROTO_* ... */
	uint16_t dport;              /* ... and the port (0 for ICMP) */
	uint32_t events_rate;        /* set events RATE (per CPU per second) */
	bool events_allowed;         /* set events --allowed */
};

/*
 * Parse argv into *out (reset first). Global options may come before the
 * command and after it; a command's own options only after its words.
 * Returns 0 to run, 1 when help was asked for (print it with
 * policy_args_usage()), or -1 on a usage error with a one-line reason (no
 * program name, no newline) in err (errlen bytes). out->ops is allocated
 * whatever the answer: free it with policy_args_free(). Uses getopt_long
 * and resets its state, so it may be called repeatedly; argv is not
 * reordered.
 */
int policy_args_parse(int argc, char **argv, struct policy_args *out,
		      char *err, size_t errlen);

/*
 * trace's --port value: "PORT", "PORT/PROTO" or "PROTO" (PROTO tcp, udp,
 * sctp, icmp or icmpv6; TCP when not given; a port for TCP, UDP and SCTP,
 * none for ICMP). 0 with *proto and *port set, or -1 with a reason.
 */
int policy_args_port(const char *arg, uint8_t *proto, uint16_t *port,
		     char *err, size_t errlen);

/* The word of protocol `proto` as --port takes it ("tcp"), or NULL. */
const char *policy_args_proto_name(uint8_t proto);

/* Free what policy_args_parse() allocated (NULL-safe, repeatable). */
void policy_args_free(struct policy_args *args);

/* The --help text. */
void policy_args_usage(FILE *out);

#endif /* EBPFNET_POLICY_ARGS_H */
