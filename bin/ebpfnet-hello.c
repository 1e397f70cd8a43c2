/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-hello: trace every exec on this node, as a table or as one JSON
 * object per line; or run the bpf_printk "I'm alive!" demo. A thin CLI
 * over the public API of libebpfnet: see ebpfnet-hello(8).
 *
 * Exit status: 0 (also after SIGINT/SIGTERM), 1 on an error (one line on
 * stderr), 2 on a usage error.
 */
/* ppoll() */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ebpfnet/ebpfnet.h>

#include "hello_args.h"

#define PROG "ebpfnet-hello"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* ---- messages ------------------------------------------------------------ */

/*
 * The library's messages. Without -v only its own warnings are shown (never
 * libbpf's), and those that arrive while the tracer is being set up are
 * held back: when setup fails, the last one becomes the reason in the
 * single error line; when it succeeds, they are shown then.
 */
#define HELD_MAX 8
#define MSG_MAX 512

static struct {
	bool verbose;
	bool holding;
	char last_warn[MSG_MAX];
	char held[HELD_MAX][MSG_MAX];
	unsigned int nheld;
} msgs;

/* libbpf's own messages, forwarded by the library, start with this. */
#define LIBBPF_PREFIX "libbpf: "

static void print_msg(enum ebpfnet_print_level level, const char *msg)
{
	static const char *const names[] = { "warning", "info", "debug" };
	const char *name = (unsigned int)level < 3 ? names[level] : "debug";
	bool from_libbpf = strncmp(msg, LIBBPF_PREFIX, strlen(LIBBPF_PREFIX)) == 0;

	if (msgs.verbose) {
		fprintf(stderr, PROG ": %s: %s\n", name, msg);
		if (level == EBPFNET_PRINT_WARN && !from_libbpf)
			snprintf(msgs.last_warn, sizeof(msgs.last_warn), "%s", msg);
		return;
	}
	/* libbpf is forwarded only to keep its default printer quiet. */
	if (level != EBPFNET_PRINT_WARN || from_libbpf)
		return;
	snprintf(msgs.last_warn, sizeof(msgs.last_warn), "%s", msg);
	if (!msgs.holding) {
		fprintf(stderr, PROG ": warning: %s\n", msg);
		return;
	}
	/* Keep the newest HELD_MAX - 1 and the very first one. */
	if (msgs.nheld == HELD_MAX)
		memmove(msgs.held[1], msgs.held[2], sizeof(msgs.held[0]) * (HELD_MAX - 2));
	else
		msgs.nheld++;
	snprintf(msgs.held[msgs.nheld - 1], MSG_MAX, "%s", msg);
}

static void hold_warnings(void)
{
	msgs.holding = true;
	msgs.nheld = 0;
}

static void release_warnings(void)
{
	unsigned int i;

	msgs.holding = false;
	for (i = 0; i < msgs.nheld; i++)
		fprintf(stderr, PROG ": warning: %s\n", msgs.held[i]);
	msgs.nheld = 0;
}

/* The single error line: "<what>: <strerror> (<library's reason>)". */
static int fail(const char *what, int err)
{
	if (msgs.last_warn[0])
		fprintf(stderr, PROG ": error: %s: %s (%s)\n", what,
			ebpfnet_strerror(err), msgs.last_warn);
	else
		fprintf(stderr, PROG ": error: %s: %s\n", what,
			ebpfnet_strerror(err));
	return EXIT_ERROR;
}

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* The mask inside ppoll(): the process's own, with SIGINT/SIGTERM open. */
static sigset_t wait_mask;

/*
 * SIGINT/SIGTERM stay blocked except inside ppoll(), so a signal that
 * arrives anywhere else (even before the first wait) ends the next wait,
 * and the loop pays no sigprocmask() per wakeup. No SA_RESTART.
 */
static int install_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask))
		return -errno;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	return 0;
}

/* ---- output -------------------------------------------------------------- */

struct cli {
	struct hello_args args;
	struct ebpfnet_hello *hello;
	char *buf;           /* formatted event */
	size_t buf_len;
	uint64_t lines;      /* events (or printk lines) written */
	bool count_reached;
	int write_err;       /* set when stdout failed */
	int format_err;      /* set when formatting failed */
};

/* Stop value of the callbacks: poll/consume return it. */
#define CLI_STOP 1

/* One line to stdout, flushed now (stdout may be a pipe or a file that
 * someone reads while we run). 0 or a negative errno, kept in write_err. */
static int write_line(struct cli *cli, const char *line)
{
	if (fputs(line, stdout) == EOF || putchar('\n') == EOF ||
	    fflush(stdout) == EOF) {
		cli->write_err = errno ? -errno : -EIO;
		return cli->write_err;
	}
	return 0;
}

/* One event (or printk line): written, counted, and the stop at --count. */
static int emit_line(struct cli *cli, const char *line)
{
	int err = write_line(cli, line);

	if (err)
		return err;
	cli->lines++;
	if (cli->args.count && cli->lines >= cli->args.count) {
		cli->count_reached = true;
		return CLI_STOP;
	}
	return 0;
}

static int on_event(void *ctx, const struct ebpfnet_hello_event *event)
{
	struct cli *cli = ctx;
	enum ebpfnet_format format = cli->args.json ? EBPFNET_FORMAT_JSON :
						      EBPFNET_FORMAT_TEXT;
	int need;

	need = ebpfnet_hello_format(event, format, cli->buf, cli->buf_len);
	if (need >= 0 && (size_t)need >= cli->buf_len) {
		char *bigger = realloc(cli->buf, (size_t)need + 1);

		if (!bigger) {
			cli->format_err = -ENOMEM;
			return cli->format_err;
		}
		cli->buf = bigger;
		cli->buf_len = (size_t)need + 1;
		need = ebpfnet_hello_format(event, format, cli->buf,
					    cli->buf_len);
	}
	if (need < 0) {
		cli->format_err = need;
		return need;
	}
	return emit_line(cli, cli->buf);
}

/* trace_pipe lines carry the comm of whatever process ran: show control
 * bytes as \xNN so they cannot steer the terminal. */
static int on_trace(void *ctx, const char *line)
{
	struct cli *cli = ctx;
	size_t n = strlen(line), i, j = 0;
	char *bigger;

	if (cli->buf_len < n * 4 + 1) {
		bigger = realloc(cli->buf, n * 4 + 1);
		if (!bigger) {
			cli->format_err = -ENOMEM;
			return cli->format_err;
		}
		cli->buf = bigger;
		cli->buf_len = n * 4 + 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			j += (size_t)snprintf(cli->buf + j, cli->buf_len - j,
					      "\\x%02x", c);
		else
			cli->buf[j++] = (char)c;
	}
	cli->buf[j] = '\0';
	return emit_line(cli, cli->buf);
}

/* ---- the run ------------------------------------------------------------- */

static int open_tracer(struct cli *cli)
{
	const struct hello_args *a = &cli->args;
	EBPFNET_OPTS(ebpfnet_hello_opts, opts,
		.hook = a->hook,
		.on_event = on_event,
		.on_trace = on_trace,
		.ctx = cli,
		.printk = a->printk,
		.filter_uid = a->filter_uid,
		.uid = a->uid,
		.comm = a->comm,
		.cgroup_path = a->cgroup_path,
		.failed_only = a->failed_only);
	int err;

	hold_warnings();
	msgs.last_warn[0] = '\0';
	cli->hello = ebpfnet_hello_open(&opts);
	if (!cli->hello)
		return fail("cannot open the tracer", errno ? -errno : -EIO);
	if (a->verbose)
		fprintf(stderr, PROG ": using the %s hook%s\n",
			ebpfnet_hello_hook_name(ebpfnet_hello_hook(cli->hello)),
			a->printk ? " (printk mode)" : "");
	msgs.last_warn[0] = '\0';
	err = ebpfnet_hello_attach(cli->hello);
	if (err)
		return fail("cannot attach the tracer", err);
	release_warnings();
	return EXIT_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for the tracer's fd; signals are let in only here (wait_mask).
 * Returns > 0 when readable, 0 on timeout or signal, or a negative errno.
 */
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
static int loop_error(const struct cli *cli, int err)
{
	if (cli->write_err) {
		/* A signal may cut a blocked write short: that is a stop. */
		if (stop_signal && cli->write_err == -EINTR)
			return EXIT_OK;
		msgs.last_warn[0] = '\0';
		return fail("cannot write the output", cli->write_err);
	}
	if (cli->format_err)
		return fail("cannot format an event", cli->format_err);
	return fail("cannot read events", err);
}

static int run_loop(struct cli *cli)
{
	int64_t deadline = cli->args.duration_s ?
		now_ms() + (int64_t)cli->args.duration_s * 1000 : -1;
	int fd, n;

	fd = ebpfnet_hello_fd(cli->hello);
	if (fd < 0)
		return fail("cannot get the tracer's file descriptor", fd);
	while (!stop_signal && !cli->count_reached) {
		int64_t timeout = -1;

		if (deadline >= 0) {
			timeout = deadline - now_ms();
			if (timeout <= 0)
				break;
		}
		n = wait_readable(fd, timeout);
		if (n < 0)
			return fail("cannot wait for events", n);
		if (n == 0)
			continue;
		msgs.last_warn[0] = '\0';
		n = ebpfnet_hello_consume(cli->hello);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return loop_error(cli, n);
	}
	return EXIT_OK;
}

static void print_summary(const struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_hello_stats, stats);
	int err = ebpfnet_hello_stats(cli->hello, &stats);

	if (err)
		fprintf(stderr, PROG ": %" PRIu64 " events, lost count unavailable (%s)\n",
			cli->lines, ebpfnet_strerror(err));
	else
		fprintf(stderr, PROG ": %" PRIu64 " events, %" PRIu64 " lost\n",
			stats.events, stats.lost);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, PROG ": error: %s\nTry '" PROG " --help'.\n", msg);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = hello_args_parse(argc, argv, &cli.args, err, sizeof(err));
	if (rc < 0)
		return usage_error(err);
	if (rc == 1) {
		hello_args_usage(stdout);
		return fflush(stdout) == EOF ? EXIT_ERROR : EXIT_OK;
	}

	msgs.verbose = cli.args.verbose;
	ebpfnet_set_print(print_msg);
	/* Always: libbpf's default printer would write to stderr itself.
	 * print_msg() shows libbpf's lines with -v only. */
	ebpfnet_forward_libbpf(true);
	rc = install_signals();
	if (rc)
		return fail("cannot install the signal handlers", rc);

	rc = open_tracer(&cli);
	if (rc == EXIT_OK && !cli.args.json && !cli.args.printk &&
	    write_line(&cli, ebpfnet_hello_header()))
		rc = fail("cannot write the output", cli.write_err);
	if (rc == EXIT_OK)
		rc = run_loop(&cli);
	if (rc == EXIT_OK)
		print_summary(&cli);

	ebpfnet_hello_destroy(cli.hello);
	ebpfnet_forward_libbpf(false);
	ebpfnet_set_print(NULL);
	free(cli.buf);
	return rc;
}
