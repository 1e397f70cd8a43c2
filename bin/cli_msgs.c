/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* What the reference CLIs say on stderr (see cli_msgs.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_msgs.h"

#define HELD_MAX 8
#define MSG_MAX 512

/* libbpf's own messages, forwarded by the library, start with this. */
#define LIBBPF_PREFIX "libbpf: "

/* The print callback has no context pointer: the state is the process's. */
static struct {
	bool verbose;
	bool holding;
	char last_warn[MSG_MAX];
	char held[HELD_MAX][MSG_MAX];
	unsigned int nheld;
} msgs;

static void hold(const char *msg)
{
	/* Keep the very first and the newest HELD_MAX - 1. */
	if (msgs.nheld == HELD_MAX)
		memmove(msgs.held[1], msgs.held[2], sizeof(msgs.held[0]) * (HELD_MAX - 2));
	else
		msgs.nheld++;
	snprintf(msgs.held[msgs.nheld - 1], MSG_MAX, "%s", msg);
}

static void print_msg(enum ebpfnet_print_level level, const char *msg)
{
	static const char *const names[] = { "warning", "info", "debug" };
	const char *name = (unsigned int)level < 3 ? names[level] : "debug";
	bool from_libbpf = strncmp(msg, LIBBPF_PREFIX, strlen(LIBBPF_PREFIX)) == 0;

	if (msgs.verbose)
		fprintf(stderr, "%s: %s: %s\n", cli_program, name, msg);
	/* libbpf is forwarded only to keep its default printer quiet. */
	if (level != EBPFNET_PRINT_WARN || from_libbpf)
		return;
	snprintf(msgs.last_warn, sizeof(msgs.last_warn), "%s", msg);
	if (msgs.verbose)
		return;
	if (msgs.holding)
		hold(msg);
	else
		fprintf(stderr, "%s: warning: %s\n", cli_program, msg);
}

void cli_msgs_start(bool verbose)
{
	msgs.verbose = verbose;
	ebpfnet_set_print(print_msg);
	ebpfnet_forward_libbpf(true);
}

void cli_msgs_stop(void)
{
	ebpfnet_forward_libbpf(false);
	ebpfnet_set_print(NULL);
}

void cli_msgs_hold(bool on)
{
	msgs.holding = on;
}

void cli_msgs_release(void)
{
	unsigned int i;

	for (i = 0; i < msgs.nheld; i++)
		fprintf(stderr, "%s: warning: %s\n", cli_program, msgs.held[i]);
	msgs.nheld = 0;
}

void cli_msgs_discard(void)
{
	msgs.nheld = 0;
}

void cli_msgs_reset_reason(void)
{
	msgs.last_warn[0] = '\0';
}

int cli_error(const char *fmt, ...)
{
	char text[2 * MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: error: %s\n", cli_program, text);
	msgs.nheld = 0;
	return CLI_EXIT_ERROR;
}

int cli_fail(int err, const char *fmt, ...)
{
	char what[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (msgs.last_warn[0])
		return cli_error("%s: %s (%s)", what, ebpfnet_strerror(err),
				 msgs.last_warn);
	return cli_error("%s: %s", what, ebpfnet_strerror(err));
}

int cli_usage_error(const char *msg)
{
	fprintf(stderr, "%s: error: %s\nTry '%s --help'.\n", cli_program, msg,
		cli_program);
	return CLI_EXIT_USAGE;
}

int cli_parse_answer(int rc, const char *err, void (*usage)(FILE *out))
{
	if (rc < 0)
		return cli_usage_error(err);
	usage(stdout);
	return fflush(stdout) == EOF ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

int cli_neg_errno(void)
{
	return errno ? -errno : -EIO;
}
