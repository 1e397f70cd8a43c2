/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * What the reference CLIs say on stderr: the library's messages (held back
 * while a step runs; the last warning becomes the detail of the error line)
 * and the single error line itself, with the exit codes.
 *
 * Lines start with the program's name, cli_program, which each binary
 * defines.
 */
#ifndef EBPFNET_CLI_MSGS_H
#define EBPFNET_CLI_MSGS_H

#include <stdbool.h>
#include <stdio.h>

/* The program's name, defined by each binary. */
extern const char cli_program[];

enum { CLI_EXIT_OK = 0, CLI_EXIT_ERROR = 1, CLI_EXIT_USAGE = 2 };

/*
 * Route the library's messages to stderr, libbpf's through the library
 * too (libbpf's default printer would write them itself). With verbose,
 * every message is shown as it comes (libbpf's too); without, only the
 * library's own warnings, which are held back while holding is on.
 */
void cli_msgs_start(bool verbose);

/* Give the library's print function and libbpf's back. */
void cli_msgs_stop(void);

/* Hold the warnings back from now on (on), or show each as it comes. */
void cli_msgs_hold(bool on);

/* Show the warnings held back so far (after a success), and forget them. */
void cli_msgs_release(void);

/* Forget the warnings held back so far without showing them. */
void cli_msgs_discard(void);

/* Forget the last warning: the next error line's detail can only come
 * from a warning given after this call. */
void cli_msgs_reset_reason(void);

/* "<program>: error: <text>" and CLI_EXIT_ERROR. The warnings held back
 * are dropped: their last one is in the line already when it matters. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The error line "<what>: <strerror(err)> (<the library's last warning>)"
 * (without the parentheses when there was none); CLI_EXIT_ERROR. */
int cli_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "<program>: error: <msg>" and "Try '<program> --help'."; CLI_EXIT_USAGE. */
int cli_usage_error(const char *msg);

/*
 * What main() does with its parser's answer when it is not 0 (run): -1,
 * a usage error with the reason in err (cli_usage_error()); 1, the help,
 * written by usage() to stdout. The exit status.
 */
int cli_parse_answer(int rc, const char *err, void (*usage)(FILE *out));

/* A failed call's errno as a negative code (never 0). */
int cli_neg_errno(void);

#endif /* EBPFNET_CLI_MSGS_H */
