/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Helpers the CLIs' argument parsers share: the usage-error message, strict
 * decimal numbers, path values, and getopt_long with its errors worded.
 * No output, no exit, no state of their own (getopt's aside); a reason
 * goes into the caller's err buffer.
 */
#ifndef EBPFNET_CLI_ARGS_H
#define EBPFNET_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write a one-line reason into err (errlen bytes; nothing when err is NULL
 * or errlen 0) and return -1, the parsers' usage-error answer. */
int cli_usage_msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The start of a parse: err emptied; -1 with "internal error: no
 * arguments to parse" in err when out or argv is NULL or argc is below
 * min_argc, 0 otherwise.
 */
int cli_parse_begin(const void *out, int argc, int min_argc, char **argv,
		    char *err, size_t errlen);

/* What a number on the command line may be. */
struct cli_number {
	const char *what;       /* its name in the message: "--count", "rule id" */
	uint64_t min, max;
	const char *not_number; /* reason for a value that does not start with
				 * a digit; NULL: "not a decimal number" */
};

/*
 * A decimal number in [min, max]: digits only (strtoull alone would take
 * leading spaces, a sign, and wrap "-1" around), nothing after them.
 * 0 with *out set, or -1 with "invalid <what> '<s>': <reason>" in err.
 */
int cli_parse_number(const struct cli_number *number, const char *s,
		     uint64_t *out, char *err, size_t errlen);

/* Index of `s` in the NULL-terminated `words`, or -1. */
int cli_lookup_word(const char *const *words, const char *s);

/* A word among `words` for an option or operand: 0 with its index in
 * *out, or -1 with "invalid <what> '<s>': expected <expected>" in err. */
int cli_parse_word(const char *what, const char *const *words,
		   const char *expected, const char *s, int *out, char *err,
		   size_t errlen);

/* The long name of the option whose val is `val` in `options` (ended by a
 * NULL name), or "?". */
const char *cli_option_name(const struct option *options, int val);

/*
 * The options the CLIs share, with one name, val, bound and meaning each:
 * --json, -v, -h, --pin-root where a CLI manages a pinned object, and
 * where a CLI follows events, --count and --duration.
 * A CLI's own options take vals from 0x100 up.
 */
enum {
	CLI_OPT_JSON = 0x80,
	CLI_OPT_COUNT,
	CLI_OPT_DURATION,
	CLI_OPT_PIN_ROOT,
	CLI_OPT_VERBOSE = 'v',
	CLI_OPT_HELP = 'h',
};

/* Their getopt_long rows, for a CLI's table (it lists those it takes). */
#define CLI_OPTION_JSON { "json", no_argument, NULL, CLI_OPT_JSON }
#define CLI_OPTION_COUNT { "count", required_argument, NULL, CLI_OPT_COUNT }
#define CLI_OPTION_DURATION { "duration", required_argument, NULL, CLI_OPT_DURATION }
#define CLI_OPTION_VERBOSE { "verbose", no_argument, NULL, CLI_OPT_VERBOSE }
#define CLI_OPTION_HELP { "help", no_argument, NULL, CLI_OPT_HELP }
#define CLI_OPTION_PIN_ROOT { "pin-root", required_argument, NULL, CLI_OPT_PIN_ROOT }
#define CLI_OPTION_END { NULL, 0, NULL, 0 }
/* The global options of the CLIs of pinned objects. */
#define CLI_OPTIONS_PINNED CLI_OPTION_PIN_ROOT, CLI_OPTION_JSON, \
	CLI_OPTION_VERBOSE, CLI_OPTION_HELP

/* Upper bound of --duration: one year. */
#define CLI_DURATION_MAX 31536000u

/* Where the shared options land (help is the CLI's own business). */
struct cli_opts {
	bool json;           /* --json */
	bool verbose;        /* -v, --verbose */
	uint64_t count;      /* --count N (1 and up); 0: no limit */
	uint32_t duration_s; /* --duration SEC (1 to CLI_DURATION_MAX); 0: none */
};

/*
 * Apply shared option `c` (not CLI_OPT_HELP) with its argument: 0, or -1
 * with a reason in err. not_number words a number that does not start
 * with a digit (NULL: as cli_parse_number() does).
 */
int cli_apply_opt(struct cli_opts *opts, int c, const char *arg,
		  const char *not_number, char *err, size_t errlen);

/* A path option's value (--cgroup, --pin-root): anything but empty.
 * 0 with *out = arg, or -1 with "invalid <what> '': empty path" in err. */
int cli_parse_path(const char *what, const char *arg, const char **out,
		   char *err, size_t errlen);

/* Start a parse of a new argv: getopt's state reset (optind 0, not 1,
 * makes glibc reinitialise all of it), its own messages off. */
void cli_getopt_restart(void);

/* What cli_getopt_next() answers for a wrong option. */
#define CLI_GETOPT_ERROR (-2)

/*
 * getopt_long()'s next answer (-1 at the end), or CLI_GETOPT_ERROR with
 * the reason in err: an unknown or ambiguous option, or an argument
 * missing or unwanted. `shortopts` must start with ':' (after any '+' or
 * '-') so a missing argument is told from an unknown option.
 */
int cli_getopt_next(int argc, char **argv, const char *shortopts,
		    const struct option *longopts, char *err, size_t errlen);

#endif /* EBPFNET_CLI_ARGS_H */
