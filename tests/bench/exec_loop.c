/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * exec_loop: the load of the hello benchmark. N times: fork, execve
 * /bin/true, waitpid. Prints one line of key=value pairs on stdout:
 *
 *     exec_loop: pid=1234 execs=5000 elapsed_ns=2345678901 execs_per_sec=2131.6 cpu_ns_per_exec=301234
 *
 * pid is this process, so the parent pid of every exec it makes: a tracer's
 * output can be matched against the loop by it. cpu_ns_per_exec is the CPU
 * time (user + system, this process and its children) one iteration cost:
 * unlike the rate, other load on the machine hardly moves it, and a
 * tracer's in-kernel work shows up there (a tracer's own process does not).
 *
 *     exec_loop [-n COUNT] [-p PATH]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

#define DEFAULT_EXECS 5000UL
#define MAX_EXECS 100000000UL
#define NSEC_PER_SEC 1000000000ULL

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out, "usage: exec_loop [-n COUNT] [-p PATH]\n"
		     "  -n COUNT  fork+exec this many times (default %lu)\n"
		     "  -p PATH   program to exec (default /bin/true)\n",
		DEFAULT_EXECS);
}

static int parse_count(const char *s, unsigned long *count)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v == 0 || v > MAX_EXECS)
		return -1;
	*count = v;
	return 0;
}

static uint64_t timeval_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * 1000;
}

/* User + system CPU time of this process and its reaped children. */
static uint64_t cpu_ns(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return timeval_ns(&self.ru_utime) + timeval_ns(&self.ru_stime) +
	       timeval_ns(&children.ru_utime) + timeval_ns(&children.ru_stime);
}

/* One fork+execve+waitpid. 0 when the program ran and exited 0. */
static int run_once(const char *path)
{
	char *const argv[] = { (char *)path, NULL };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "exec_loop: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execve(path, argv, environ);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "exec_loop: waitpid: %s\n", strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "exec_loop: %s did not exit 0 (status 0x%x)\n",
			path, status);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = DEFAULT_EXECS, i;
	const char *path = "/bin/true";
	uint64_t start, elapsed, cpu_start, cpu;
	int opt;

	while ((opt = getopt(argc, argv, "n:p:h")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_count(optarg, &count)) {
				fprintf(stderr, "exec_loop: bad count '%s' (1..%lu)\n",
					optarg, MAX_EXECS);
				return 2;
			}
			break;
		case 'p':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	cpu_start = cpu_ns();
	start = monotonic_ns();
	for (i = 0; i < count; i++) {
		if (run_once(path))
			return 1;
	}
	elapsed = monotonic_ns() - start;
	cpu = cpu_ns() - cpu_start;
	if (elapsed == 0)
		elapsed = 1;

	printf("exec_loop: pid=%ld execs=%lu elapsed_ns=%" PRIu64
	       " execs_per_sec=%.1f cpu_ns_per_exec=%" PRIu64 "\n",
	       (long)getpid(), count, elapsed,
	       (double)count * NSEC_PER_SEC / (double)elapsed, cpu / count);
	return 0;
}
