/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Following a stream of records until SIGINT/SIGTERM, a deadline or a
 * number of lines: the signal setup and the ppoll() loop on the library's
 * fd that ebpfnet-hello and `ebpfnet-drop events` share.
 */
#ifndef EBPFNET_CLI_FOLLOW_H
#define EBPFNET_CLI_FOLLOW_H

#include <stdint.h>

#include "cli_out.h"

/*
 * Catch SIGINT and SIGTERM: they stay blocked except inside the wait in
 * cli_follow(), so one that arrives anywhere else (even before the first
 * wait) ends the next wait, and the loop pays no sigprocmask() per wakeup.
 * No SA_RESTART. CLI_EXIT_OK, or the error line.
 */
int cli_catch_signals(void);

/*
 * Wait for `fd` and call consume(source) each time it is readable, until a
 * signal, `duration_s` seconds (0: no deadline), or out's line limit.
 * consume returns >= 0, or a negative errno (-EINTR: wait again).
 * CLI_EXIT_OK (also when a signal cut a write short), or the error line:
 * out's write or format error first, else consume's.
 */
int cli_follow(int fd, uint32_t duration_s, int (*consume)(void *source),
	       void *source, struct cli_out *out);

/*
 * cli_follow() on the events of a pinned object (drop's events, policy's
 * verdicts), fd as its library gave it: a negative errno is the error
 * line "cannot get the event file descriptor".
 */
int cli_follow_events(int fd, uint32_t duration_s,
		      int (*consume)(void *source), void *source,
		      struct cli_out *out);

/* The line on stderr after following a pinned object's events: `shown`
 * <what> shown, and the node-wide counts of those the rate limit
 * suppressed and of those lost. Lost events are never silent. */
void cli_follow_report(const char *what, uint64_t shown, uint64_t suppressed,
		       uint64_t lost);

#endif /* EBPFNET_CLI_FOLLOW_H */
