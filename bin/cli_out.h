/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The CLIs' stdout for records: the library's formatters writing into one
 * buffer grown on demand, one flushed line per record, a limit on the
 * number of lines, and the first write or format error kept for the error
 * line.
 */
#ifndef EBPFNET_CLI_OUT_H
#define EBPFNET_CLI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/ebpfnet.h>

/* What an event callback returns to stop poll()/consume() at the limit. */
#define CLI_OUT_STOP 1

struct cli_out {
	char *buf;           /* formatted text, grown on demand */
	size_t buf_len;
	uint64_t lines;      /* lines emitted */
	uint64_t max_lines;  /* 0: no limit */
	int write_err;       /* set when stdout failed */
	int format_err;      /* set when formatting failed */
};

/* The library's formatters share this shape (adapters make them fit). */
typedef int (*cli_format_fn)(const void *obj, enum ebpfnet_format format,
			     char *buf, size_t len);

/* Make out->buf hold at least `size` bytes: 0, or -ENOMEM (format_err). */
int cli_out_reserve(struct cli_out *out, size_t size);

/* Format obj into out->buf: the text, or NULL with format_err set. */
const char *cli_out_format(struct cli_out *out, cli_format_fn fn,
			   const void *obj, enum ebpfnet_format format);

/* One line to stdout, flushed now (stdout may be a pipe or a file that
 * someone reads while we run): 0, or a negative errno kept in write_err. */
int cli_out_write_line(struct cli_out *out, const char *line);

/* One record's line: written and counted. 0, CLI_OUT_STOP when it was the
 * last the limit allows, or a negative errno. */
int cli_out_emit(struct cli_out *out, const char *line);

/* The limit is reached. */
bool cli_out_full(const struct cli_out *out);

/* TEXT, or JSON when --json was given. */
static inline enum ebpfnet_format cli_out_format_of(bool json)
{
	return json ? EBPFNET_FORMAT_JSON : EBPFNET_FORMAT_TEXT;
}

/* A record's line: obj as fn formats it, emitted (cli_out_emit()): 0,
 * CLI_OUT_STOP at the line limit, or an error (the format error kept). */
int cli_out_emit_record(struct cli_out *out, cli_format_fn fn,
			const void *obj, enum ebpfnet_format format);

/* Print obj as fn formats it to stdout (no newline, not flushed):
 * 0, or the format error (kept in format_err). */
int cli_out_put(struct cli_out *out, cli_format_fn fn, const void *obj,
		enum ebpfnet_format format);

/* Print s as a JSON string literal (interface names, paths), as
 * cli_out_put() does. */
int cli_out_put_json_string(struct cli_out *out, const char *s);

/* The end of a command's output: stdout flushed. CLI_EXIT_OK, or the
 * error line "cannot write the output" (write_err set). */
int cli_out_finish(struct cli_out *out);

/*
 * The end of a command that answered rc: when rc is CLI_EXIT_OK or
 * `answer` (an exit status that is no failure, or CLI_EXIT_OK), the
 * output finished (cli_out_finish()) and, when that went well, the
 * messages held back shown. The exit status.
 */
int cli_out_end(struct cli_out *out, int rc, int answer);

/*
 * After a listing stopped early (rc: the library's walk's answer): in
 * JSON, `closing` ("]\n") so what was printed is whole lines; then the
 * error line, "cannot format <format_what>" after a format error, else
 * "cannot list the <what>".
 */
int cli_out_list_failed(struct cli_out *out, bool json, const char *closing,
			const char *format_what, int rc, const char *what);

/* Free the buffer. */
void cli_out_free(struct cli_out *out);

#endif /* EBPFNET_CLI_OUT_H */
