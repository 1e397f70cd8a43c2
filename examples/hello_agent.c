// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * hello_agent: the smallest useful agent on libebpfnet. It prints one
 * line per exec on the node ("pid comm filename ret") for N seconds
 * (argv[1], default 5) or until Ctrl-C, then the tracer's counters.
 *
 *     cc -o hello_agent hello_agent.c $(pkg-config --cflags --libs ebpfnet)
 *     sudo ./hello_agent 10
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <ebpfnet/ebpfnet.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The library never prints: its reasons come here. */
static void on_log(enum ebpfnet_print_level level, const char *msg)
{
	if (level == EBPFNET_PRINT_WARN)
		fprintf(stderr, "libebpfnet: %s\n", msg);
}

/* Called from ebpfnet_hello_poll(), on this thread, once per exec. */
static int on_exec(void *ctx, const struct ebpfnet_hello_event *e)
{
	(void)ctx;
	printf("%-7u %-16s %s %d\n", e->pid, e->comm, e->filename, e->ret);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct ebpfnet_hello *hello;
	long long deadline;
	int err = 0;

	if (seconds <= 0) {
		fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ebpfnet_set_print(on_log);

	EBPFNET_OPTS(ebpfnet_hello_opts, opts,
		     .on_event = on_exec,
		     .failed_only = false); /* every exec, not only failures */
	hello = ebpfnet_hello_open(&opts);
	if (!hello) {
		fprintf(stderr, "ebpfnet_hello_open: %s\n", ebpfnet_strerror(errno));
		return 1;
	}
	err = ebpfnet_hello_attach(hello);
	if (err) {
		fprintf(stderr, "ebpfnet_hello_attach: %s\n", ebpfnet_strerror(err));
		ebpfnet_hello_destroy(hello);
		return 1;
	}

	printf("%-7s %-16s %s %s\n", "PID", "COMM", "FILENAME", "RET");
	deadline = now_ms() + seconds * 1000LL;
	while (!stop) {
		long long left = deadline - now_ms();

		if (left <= 0)
			break;
		err = ebpfnet_hello_poll(hello, (int)left);
		if (err == -EINTR)
			continue; /* a signal: the loop condition decides */
		if (err < 0) {
			fprintf(stderr, "ebpfnet_hello_poll: %s\n", ebpfnet_strerror(err));
			break;
		}
		err = 0;
	}

	EBPFNET_OPTS(ebpfnet_hello_stats, stats);
	if (ebpfnet_hello_stats(hello, &stats) == 0)
		printf("%llu events, %llu lost (hook: %s)\n",
		       (unsigned long long)stats.events,
		       (unsigned long long)stats.lost,
		       ebpfnet_hello_hook_name(ebpfnet_hello_hook(hello)));
	ebpfnet_hello_destroy(hello);
	return err < 0 ? 1 : 0;
}
