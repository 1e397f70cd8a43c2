/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Logging: the caller's print callback, and (only when asked) forwarding of
 * libbpf's own messages to it, one line per call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "internal.h"

/* Messages up to this size are formatted on the stack; longer ones go to
 * the heap (or are cut with "..." when that fails). */
#define LOG_STACK_BUF 512

static _Atomic(ebpfnet_print_fn) print_fn;

/* Nesting depth of ebpfnet__libbpf_quiet_begin() on this thread. */
static _Thread_local int quiet_depth;

static pthread_mutex_t forward_lock = PTHREAD_MUTEX_INITIALIZER;
static bool forwarding;
static libbpf_print_fn_t libbpf_saved_print;

ebpfnet_print_fn ebpfnet_set_print(ebpfnet_print_fn fn)
{
	return atomic_exchange(&print_fn, fn);
}

/*
 * Format into `stack` (stack_len bytes) or, when the message is longer, into
 * a heap buffer the caller frees (the result differs from `stack`). Never
 * fails: an unformattable or unallocatable message comes back shortened.
 */
static char *format_message(char *stack, size_t stack_len, const char *fmt,
			    va_list ap)
{
	va_list again;
	char *heap;
	int n;

	va_copy(again, ap);
	n = vsnprintf(stack, stack_len, fmt, ap);
	if (n < 0) {
		snprintf(stack, stack_len, "(unformattable message: %s)", fmt);
	} else if ((size_t)n >= stack_len) {
		heap = malloc((size_t)n + 1);
		if (heap) {
			vsnprintf(heap, (size_t)n + 1, fmt, again);
			va_end(again);
			return heap;
		}
		memcpy(stack + stack_len - 4, "...", 4);
	}
	va_end(again);
	return stack;
}

/* Hand `text` to the callback, one call per line; a trailing newline and
 * empty lines produce no call. `text` is modified. */
static void deliver_lines(ebpfnet_print_fn fn, enum ebpfnet_print_level level,
			  char *text)
{
	char *line = text;

	while (line && *line) {
		char *newline = strchr(line, '\n');

		if (newline)
			*newline = '\0';
		if (*line)
			fn(level, line);
		line = newline ? newline + 1 : NULL;
	}
}

static void log_va(enum ebpfnet_print_level level, const char *fmt,
		   va_list ap)
{
	ebpfnet_print_fn fn = atomic_load(&print_fn);
	char stack[LOG_STACK_BUF];
	int saved_errno = errno;
	char *msg;

	if (!fn)
		return;
	msg = format_message(stack, sizeof(stack), fmt, ap);
	deliver_lines(fn, level, msg);
	if (msg != stack)
		free(msg);
	/* Callers log and then return an error: keep their errno. */
	errno = saved_errno;
}

void ebpfnet__log(enum ebpfnet_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

void ebpfnet__libbpf_quiet_begin(void)
{
	quiet_depth++;
}

void ebpfnet__libbpf_quiet_end(void)
{
	if (quiet_depth > 0)
		quiet_depth--;
}

static enum ebpfnet_print_level level_from_libbpf(enum libbpf_print_level l)
{
	if (quiet_depth > 0)
		return EBPFNET_PRINT_DEBUG;
	switch (l) {
	case LIBBPF_WARN:
		return EBPFNET_PRINT_WARN;
	case LIBBPF_INFO:
		return EBPFNET_PRINT_INFO;
	default:
		return EBPFNET_PRINT_DEBUG;
	}
}

/* libbpf's print function while forwarding is on. libbpf messages may span
 * lines (verifier logs): log_va() splits them. */
static int forward_from_libbpf(enum libbpf_print_level level, const char *fmt,
			       va_list ap)
{
	log_va(level_from_libbpf(level), fmt, ap);
	return 0;
}

int ebpfnet_forward_libbpf(bool enable)
{
	pthread_mutex_lock(&forward_lock);
	if (enable && !forwarding) {
		libbpf_saved_print = libbpf_set_print(forward_from_libbpf);
		forwarding = true;
	} else if (!enable && forwarding) {
		libbpf_print_fn_t current = libbpf_set_print(libbpf_saved_print);

		/* Someone replaced our forwarder since: leave theirs. */
		if (current != forward_from_libbpf)
			libbpf_set_print(current);
		libbpf_saved_print = NULL;
		forwarding = false;
	}
	pthread_mutex_unlock(&forward_lock);
	return 0;
}
