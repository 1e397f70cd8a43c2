/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: one exec event as a table row (execsnoop-like columns) or as one
 * JSON object. Every byte that comes from the traced process (comm,
 * filename, argv) goes through the shared escapers of json.c, so the
 * output is safe for a terminal and valid JSON whatever those bytes are.
 */
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <ebpfnet/hello.h>

#include "internal.h"

/*
 * Column widths of the table. The header below is spelled out with the
 * same widths; a unit test checks that header and rows line up. A value
 * longer than its column pushes the rest of its row instead of being cut.
 */
#define COL_TIME 8
#define COL_COMM 16
#define COL_PID 7
#define COL_PPID 7
#define COL_UID 6
#define COL_RET 3

static const char hello_header[] =
	"TIME     PCOMM            PID     PPID    UID    RET ARGS";

const char *ebpfnet_hello_header(void)
{
	return hello_header;
}

/* Bytes of comm up to its NUL (comm[] need not hold one). */
static size_t comm_len(const struct ebpfnet_hello_event *event)
{
	return strnlen(event->comm, sizeof(event->comm));
}

/* Columns a string takes on a terminal: one per UTF-8 code point (the
 * text escaper only lets through ASCII and valid UTF-8). */
static size_t text_columns(const char *s)
{
	size_t cols = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			cols++;
	return cols;
}

static void put_spaces(struct ebpfnet_sbuf *sb, size_t n)
{
	while (n--)
		ebpfnet__sbuf_putc(sb, ' ');
}

/* The command name, escaped, left-aligned in its column. */
static void text_comm(struct ebpfnet_sbuf *sb,
		      const struct ebpfnet_hello_event *event)
{
	/* Every comm byte escapes to at most 4 bytes ("\xNN"). */
	char escaped[sizeof(event->comm) * 4 + 1];
	struct ebpfnet_sbuf tmp;
	size_t cols;

	ebpfnet__sbuf_init(&tmp, escaped, sizeof(escaped));
	ebpfnet__sbuf_text_str(&tmp, event->comm, comm_len(event));
	ebpfnet__sbuf_printf(sb, "%s", escaped);
	cols = text_columns(escaped);
	put_spaces(sb, cols < COL_COMM ? COL_COMM - cols : 0);
}

/* An argument needs quotes when a reader could not otherwise tell where
 * it starts and ends, or what its backslashes mean. */
static bool arg_needs_quotes(const char *arg)
{
	return !*arg || strpbrk(arg, " \"\\") != NULL;
}

/* One argument, escaped; quoted (inner quotes as \") when needed. */
static void text_arg(struct ebpfnet_sbuf *sb, const char *arg)
{
	const char *quote;

	if (!arg_needs_quotes(arg)) {
		ebpfnet__sbuf_text_str(sb, arg, strlen(arg));
		return;
	}
	ebpfnet__sbuf_putc(sb, '"');
	while ((quote = strchr(arg, '"')) != NULL) {
		ebpfnet__sbuf_text_str(sb, arg, (size_t)(quote - arg));
		ebpfnet__sbuf_printf(sb, "\\\"");
		arg = quote + 1;
	}
	ebpfnet__sbuf_text_str(sb, arg, strlen(arg));
	ebpfnet__sbuf_putc(sb, '"');
}

static void format_text(struct ebpfnet_sbuf *sb,
			const struct ebpfnet_hello_event *event)
{
	time_t secs = (time_t)(event->time_ns / 1000000000ull);
	struct tm tm;
	uint32_t i;

	if (localtime_r(&secs, &tm))
		ebpfnet__sbuf_printf(sb, "%02d:%02d:%02d ", tm.tm_hour,
				     tm.tm_min, tm.tm_sec);
	else
		ebpfnet__sbuf_printf(sb, "%-*s ", COL_TIME, "--:--:--");
	text_comm(sb, event);
	ebpfnet__sbuf_printf(sb, " %-*" PRIu32 " %-*" PRIu32 " %-*" PRIu32
			     " %*" PRId32, COL_PID, event->pid, COL_PPID,
			     event->ppid, COL_UID, event->uid, COL_RET,
			     event->ret);
	for (i = 0; i < event->argc; i++) {
		ebpfnet__sbuf_putc(sb, ' ');
		text_arg(sb, event->argv[i]);
	}
	if (event->flags & EBPFNET_HELLO_ARGS_TRUNCATED)
		ebpfnet__sbuf_printf(sb, " ...");
}

static void json_key_str(struct ebpfnet_sbuf *sb, const char *key,
			 const char *s, size_t n)
{
	ebpfnet__sbuf_printf(sb, ",\"%s\":", key);
	ebpfnet__sbuf_json_str(sb, s, n);
}

static void json_key_bool(struct ebpfnet_sbuf *sb, const char *key,
			  const struct ebpfnet_hello_event *event,
			  uint32_t flag)
{
	ebpfnet__sbuf_printf(sb, ",\"%s\":%s", key,
			     (event->flags & flag) ? "true" : "false");
}

static void format_json(struct ebpfnet_sbuf *sb,
			const struct ebpfnet_hello_event *event)
{
	uint32_t i;

	ebpfnet__sbuf_printf(sb, "{\"time\":\"");
	ebpfnet__sbuf_rfc3339(sb, event->time_ns);
	ebpfnet__sbuf_printf(sb, "\",\"time_ns\":%" PRIu64, event->time_ns);
	ebpfnet__sbuf_printf(sb,
			     ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
			     ",\"ppid\":%" PRIu32 ",\"uid\":%" PRIu32
			     ",\"gid\":%" PRIu32,
			     event->pid, event->tid, event->ppid, event->uid,
			     event->gid);
	json_key_str(sb, "comm", event->comm, comm_len(event));
	json_key_str(sb, "filename", event->filename, strlen(event->filename));
	ebpfnet__sbuf_printf(sb, ",\"args\":[");
	for (i = 0; i < event->argc; i++) {
		if (i)
			ebpfnet__sbuf_putc(sb, ',');
		ebpfnet__sbuf_json_str(sb, event->argv[i],
				       strlen(event->argv[i]));
	}
	ebpfnet__sbuf_putc(sb, ']');
	json_key_bool(sb, "args_truncated", event, EBPFNET_HELLO_ARGS_TRUNCATED);
	json_key_bool(sb, "filename_truncated", event,
		      EBPFNET_HELLO_FILENAME_TRUNCATED);
	json_key_bool(sb, "execveat", event, EBPFNET_HELLO_EXECVEAT);
	ebpfnet__sbuf_printf(sb, ",\"ret\":%" PRId32 ",\"cgroup_id\":%" PRIu64 "}",
			     event->ret, event->cgroup_id);
}

/* Everything the formatters read must be there: 0 or -EINVAL, logged. */
static int check_format_args(const struct ebpfnet_hello_event *event,
			     enum ebpfnet_format format, const char *buf,
			     size_t len)
{
	/* The formatters read every field up to and including flags. */
	const size_t known_sz = offsetofend(struct ebpfnet_hello_event, flags);
	uint32_t i;

	if (!event) {
		pr_warn("ebpfnet_hello_format: event is NULL");
		return -EINVAL;
	}
	if (event->sz < known_sz) {
		pr_warn("ebpfnet_hello_format: event->sz %zu is smaller than the %zu bytes of struct ebpfnet_hello_event this library reads",
			event->sz, known_sz);
		return -EINVAL;
	}
	if (format != EBPFNET_FORMAT_TEXT && format != EBPFNET_FORMAT_JSON) {
		pr_warn("ebpfnet_hello_format: unknown format %d", (int)format);
		return -EINVAL;
	}
	if (!buf && len) {
		pr_warn("ebpfnet_hello_format: buf is NULL but len is %zu (NULL is only valid with len 0, to ask for the size)",
			len);
		return -EINVAL;
	}
	if (!event->filename) {
		pr_warn("ebpfnet_hello_format: event->filename is NULL");
		return -EINVAL;
	}
	if (event->argc && !event->argv) {
		pr_warn("ebpfnet_hello_format: event->argv is NULL but argc is %" PRIu32,
			event->argc);
		return -EINVAL;
	}
	for (i = 0; i < event->argc; i++) {
		if (!event->argv[i]) {
			pr_warn("ebpfnet_hello_format: event->argv[%" PRIu32 "] is NULL (argc %" PRIu32 ")",
				i, event->argc);
			return -EINVAL;
		}
	}
	return 0;
}

int ebpfnet_hello_format(const struct ebpfnet_hello_event *event,
			 enum ebpfnet_format format, char *buf, size_t len)
{
	struct ebpfnet_sbuf sb;
	int err;

	err = check_format_args(event, format, buf, len);
	if (err)
		return ebpfnet__err(err);
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		format_json(&sb, event);
	else
		format_text(&sb, event);
	if (sb.need > INT_MAX) {
		pr_warn("ebpfnet_hello_format: the output would take %zu bytes, more than an int can report",
			sb.need);
		return ebpfnet__err(-EOVERFLOW);
	}
	return (int)sb.need;
}
