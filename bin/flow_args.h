/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-flow, parsed by a pure function (no output,
 * no exit, no state of its own) so unit tests can call it again and again,
 * and the record filter it describes (observe's --iface, --ip, --port,
 * --protocol, --verdict, --since, --type), matched by pure functions too.
 * Everything the command line alone can judge is judged here, before any
 * command runs: options, operand counts, numbers, addresses, durations
 * and times. Interface names are the kernel's to judge.
 */
#ifndef EBPFNET_FLOW_ARGS_H
#define EBPFNET_FLOW_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_args.h"

enum flow_command {
	FLOW_CMD_ATTACH,
	FLOW_CMD_DETACH,
	FLOW_CMD_STATUS,
	FLOW_CMD_OBSERVE,
	FLOW_CMD_METRICS,
	FLOW_CMD_MAP,
};

/* observe's records when --follow is not given: the N most recent. */
#define FLOW_LAST_DEFAULT 20
/* metrics: where it serves when neither --listen nor --textfile is given. */
#define FLOW_LISTEN_DEFAULT "127.0.0.1:9965"
/* metrics --textfile: seconds between writes when --every is not given. */
#define FLOW_EVERY_DEFAULT 15

/* --type: which records (bits; none set: all). */
#define FLOW_TYPE_FLOW (1u << 0)   /* the observer's own flow records */
#define FLOW_TYPE_DNS (1u << 1)    /* DNS records */
#define FLOW_TYPE_DROP (1u << 2)   /* drops of the drop object */
#define FLOW_TYPE_POLICY (1u << 3) /* verdicts of the policy object */

/* What observe shows (all conditions must hold; an unset one holds). */
struct flow_filter {
	const char **ifaces;        /* --iface IF... (in argv); any of them */
	int nifaces;
	bool has_ip;                /* --ip ADDR[/PREFIX]: source or destination */
	uint8_t ip_family;          /* AF_INET / AF_INET6 */
	uint8_t ip[16];             /* network order, host bits cleared */
	uint8_t ip_prefix;          /* bits */
	bool has_port;              /* --port N: source or destination */
	uint16_t port;
	bool has_proto;             /* --protocol */
	uint8_t proto;              /* IPPROTO_* */
	enum ebpfnet_flow_verdict verdict; /* --verdict; UNKNOWN: any */
	uint64_t since_ns;          /* --since, resolved (flow_args_resolve):
				     * records seen at or after it; 0: any */
	unsigned int types;         /* --type FLOW_TYPE_* bits; 0: all */
};

struct flow_args {
	/* global options */
	const char *pin_root;       /* --pin-root (in argv) or NULL: the default */
	struct cli_opts opts;       /* --json, -v; --count, --duration */
	/* the command and its options */
	enum flow_command command;
	const char **ops;           /* operands after the command (in argv) */
	int nops;
	bool follow;                /* observe, map: --follow */
	uint64_t last;              /* observe: --last N (0: not given) */
	struct flow_filter filter;  /* observe */
	uint64_t since_ago_ns;      /* --since DURATION, before resolving */
	uint64_t since_abs_ns;      /* --since TIME, before resolving */
	const char *node_name;      /* observe --node-name (in argv) or NULL */
	const char *listen;         /* metrics --listen, or the default */
	const char *textfile;       /* metrics --textfile PATH or NULL */
	uint32_t every_s;           /* metrics --every S (default FLOW_EVERY_DEFAULT) */
	const char *dot;            /* map --dot FILE or NULL */
	const char *svg;            /* map --svg FILE or NULL */
};

/*
 * Parse argv into *out (reset first). Global options may come before the
 * command and after it; a command's own options only after it. Returns 0
 * to run, 1 when help was asked for (print it with flow_args_usage()), or
 * -1 on a usage error with a one-line reason (no program name, no newline)
 * in err (errlen bytes). out->ops and out->filter.ifaces are allocated
 * whatever the answer: free them with flow_args_free(). Uses getopt_long
 * and resets its state, so it may be called repeatedly; argv is not
 * reordered.
 */
int flow_args_parse(int argc, char **argv, struct flow_args *out, char *err,
		    size_t errlen);

/* Free what flow_args_parse() allocated (NULL-safe, repeatable). */
void flow_args_free(struct flow_args *args);

/* The --help text. */
void flow_args_usage(FILE *out);

/* Set filter.since_ns from --since with the wall clock now_ns (ns since
 * the epoch): a duration counts back from now. */
void flow_args_resolve(struct flow_args *args, uint64_t now_ns);

/*
 * A --since value: a duration ("30s", "5m", "1h30m", "250ms"; units ms, s,
 * m, h, d) in *ago_ns, or an RFC 3339 time ("2026-11-21T10:00:00Z",
 * "2026-11-21T10:00:00.5+01:00") in *abs_ns (ns since the epoch); the
 * other one is set to 0. 0, or -1 with the reason in err.
 */
int flow_parse_since(const char *s, uint64_t *ago_ns, uint64_t *abs_ns,
		     char *err, size_t errlen);

/* Does the filter let this record through? */
bool flow_filter_match(const struct flow_filter *filter,
		       const struct ebpfnet_flow_record *flow);
bool flow_filter_match_dns(const struct flow_filter *filter,
			   const struct ebpfnet_flow_dns *dns);

#endif /* EBPFNET_FLOW_ARGS_H */
