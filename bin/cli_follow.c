/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Following a stream of records (see cli_follow.h). */
/* ppoll() */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_follow.h"
#include "cli_msgs.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* The mask inside ppoll(): the process's own, with SIGINT/SIGTERM open. */
static sigset_t wait_mask;

int cli_catch_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return cli_fail(-errno, "cannot install the signal handlers");
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask))
		return cli_fail(-errno, "cannot install the signal handlers");
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	return CLI_EXIT_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd; signals are let in only here (wait_mask). > 0 readable,
 * 0 on timeout or signal, or a negative errno. */
static int wait_readable(int fd, int64_t timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	int n;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	if (stop_signal)
		return 0;
	n = ppoll(&pfd, 1, tsp, &wait_mask);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
		return -EIO;
	return n;
}

/* Why consume() stopped with a negative value: ours or the library's. */
static int consume_error(const struct cli_out *out, int err)
{
	if (out->write_err) {
		/* A signal may cut a blocked write short: that is a stop. */
		if (stop_signal && out->write_err == -EINTR)
			return CLI_EXIT_OK;
		cli_msgs_reset_reason();
		return cli_fail(out->write_err, "cannot write the output");
	}
	if (out->format_err)
		return cli_fail(out->format_err, "cannot format an event");
	return cli_fail(err, "cannot read events");
}

int cli_follow(int fd, uint32_t duration_s, int (*consume)(void *source),
	       void *source, struct cli_out *out)
{
	int64_t deadline = duration_s ? now_ms() + (int64_t)duration_s * 1000 : -1;
	int n;

	while (!stop_signal && !cli_out_full(out)) {
		int64_t timeout = -1;

		if (deadline >= 0) {
			timeout = deadline - now_ms();
			if (timeout <= 0)
				break;
		}
		n = wait_readable(fd, timeout);
		if (n < 0)
			return cli_fail(n, "cannot wait for events");
		if (n == 0)
			continue;
		cli_msgs_reset_reason();
		n = consume(source);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return consume_error(out, n);
	}
	return CLI_EXIT_OK;
}

int cli_follow_events(int fd, uint32_t duration_s,
		      int (*consume)(void *source), void *source,
		      struct cli_out *out)
{
	if (fd < 0)
		return cli_fail(fd, "cannot get the event file descriptor");
	return cli_follow(fd, duration_s, consume, source, out);
}

void cli_follow_report(const char *what, uint64_t shown, uint64_t suppressed,
		       uint64_t lost)
{
	fprintf(stderr, "%s: %" PRIu64 " %s shown; node-wide %" PRIu64
		" suppressed by the rate limit, %" PRIu64 " lost\n",
		cli_program, shown, what, suppressed, lost);
}
