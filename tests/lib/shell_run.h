/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Shell commands run by integration tests (ip, tc, ...), printf-style. */
#ifndef EBPFNET_TEST_SHELL_RUN_H
#define EBPFNET_TEST_SHELL_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The exit status of a command that exited, else -1. */
static inline int shell_status(int st)
{
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run a shell command; its exit status (-1 when it did not exit). */
static inline __attribute__((format(printf, 1, 2)))
int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return shell_status(system(cmd));
}

/* The same, with the first line of its output in buf (trailing newline
 * cut; empty when there was none). */
static inline __attribute__((format(printf, 3, 4)))
int run_read(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	return shell_status(pclose(f));
}

#endif /* EBPFNET_TEST_SHELL_RUN_H */
