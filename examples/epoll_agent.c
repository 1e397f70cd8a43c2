// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * epoll_agent: the exec tracer inside the agent's own event loop. The
 * tracer's fd (ebpfnet_hello_fd), a timerfd that ends the run after N
 * seconds (argv[1], default 5) and a signalfd for Ctrl-C share one epoll
 * set; events are drained with ebpfnet_hello_consume() when the fd is
 * readable. Rows are rendered by the library's own formatter.
 *
 *     cc -o epoll_agent epoll_agent.c $(pkg-config --cflags --libs ebpfnet)
 *     sudo ./epoll_agent 10
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

enum source { SOURCE_EXEC, SOURCE_TIMER, SOURCE_SIGNAL };

static void on_log(enum ebpfnet_print_level level, const char *msg)
{
	if (level == EBPFNET_PRINT_WARN)
		fprintf(stderr, "libebpfnet: %s\n", msg);
}

static int on_exec(void *ctx, const struct ebpfnet_hello_event *e)
{
	char row[1024];
	int len = ebpfnet_hello_format(e, EBPFNET_FORMAT_TEXT, row, sizeof(row));

	(*(unsigned long *)ctx)++;
	if (len < 0)
		return len;
	/* A longer row arrives cut at sizeof(row) - 1 bytes: fine here. */
	printf("%s\n", row);
	return 0;
}

static int watch(int epfd, int fd, enum source source)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = source };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Run the loop until the timer or a signal fires. 0 or -errno. */
static int run(struct ebpfnet_hello *hello, int epfd)
{
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			int err;

			switch (evs[i].data.u32) {
			case SOURCE_TIMER:
			case SOURCE_SIGNAL:
				return 0;
			case SOURCE_EXEC:
				err = ebpfnet_hello_consume(hello);
				if (err < 0)
					return err;
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	struct itimerspec its = { .it_value = { .tv_sec = seconds } };
	int epfd = -1, tfd = -1, sfd = -1, err = -1;
	struct ebpfnet_hello *hello = NULL;
	unsigned long events = 0;
	sigset_t sigs;

	if (seconds <= 0) {
		fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
		return 2;
	}
	ebpfnet_set_print(on_log);

	/* Signals arrive through the loop, not through handlers. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	EBPFNET_OPTS(ebpfnet_hello_opts, opts, .on_event = on_exec, .ctx = &events);
	hello = ebpfnet_hello_open(&opts);
	if (!hello) {
		fprintf(stderr, "ebpfnet_hello_open: %s\n", ebpfnet_strerror(errno));
		return 1;
	}
	err = ebpfnet_hello_attach(hello);
	if (err) {
		fprintf(stderr, "ebpfnet_hello_attach: %s\n", ebpfnet_strerror(err));
		goto out;
	}

	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (epfd < 0 || tfd < 0 || sfd < 0 ||
	    timerfd_settime(tfd, 0, &its, NULL) ||
	    watch(epfd, ebpfnet_hello_fd(hello), SOURCE_EXEC) ||
	    watch(epfd, tfd, SOURCE_TIMER) || watch(epfd, sfd, SOURCE_SIGNAL)) {
		err = -errno;
		fprintf(stderr, "event loop setup: %s\n", strerror(errno));
		goto out;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("%s\n", ebpfnet_hello_header());
	err = run(hello, epfd);
	if (err)
		fprintf(stderr, "event loop: %s\n", ebpfnet_strerror(err));
	else
		printf("%lu events\n", events);
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (epfd >= 0)
		close(epfd);
	ebpfnet_hello_destroy(hello);
	return err ? 1 : 0;
}
