/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* The CLIs' stdout for records (see cli_out.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_msgs.h"
#include "cli_out.h"

int cli_out_reserve(struct cli_out *out, size_t size)
{
	char *bigger;

	if (out->buf_len >= size)
		return 0;
	bigger = realloc(out->buf, size);
	if (!bigger) {
		out->format_err = -ENOMEM;
		return out->format_err;
	}
	out->buf = bigger;
	out->buf_len = size;
	return 0;
}

const char *cli_out_format(struct cli_out *out, cli_format_fn fn,
			   const void *obj, enum ebpfnet_format format)
{
	int need = fn(obj, format, out->buf, out->buf_len);

	if (need >= 0 && (size_t)need >= out->buf_len) {
		if (cli_out_reserve(out, (size_t)need + 1))
			return NULL;
		need = fn(obj, format, out->buf, out->buf_len);
	}
	if (need < 0) {
		out->format_err = need;
		return NULL;
	}
	return out->buf;
}

int cli_out_write_line(struct cli_out *out, const char *line)
{
	if (fputs(line, stdout) == EOF || putchar('\n') == EOF ||
	    fflush(stdout) == EOF) {
		out->write_err = cli_neg_errno();
		return out->write_err;
	}
	return 0;
}

int cli_out_emit(struct cli_out *out, const char *line)
{
	int err = cli_out_write_line(out, line);

	if (err)
		return err;
	out->lines++;
	return cli_out_full(out) ? CLI_OUT_STOP : 0;
}

int cli_out_emit_record(struct cli_out *out, cli_format_fn fn,
			const void *obj, enum ebpfnet_format format)
{
	const char *line = cli_out_format(out, fn, obj, format);

	if (!line)
		return out->format_err;
	return cli_out_emit(out, line);
}

int cli_out_put(struct cli_out *out, cli_format_fn fn, const void *obj,
		enum ebpfnet_format format)
{
	const char *text = cli_out_format(out, fn, obj, format);

	if (!text)
		return out->format_err;
	fputs(text, stdout);
	return 0;
}

/* ebpfnet_json_string() in cli_format_fn's shape. */
static int format_json_string(const void *obj, enum ebpfnet_format format,
			      char *buf, size_t len)
{
	(void)format;
	return ebpfnet_json_string(obj, buf, len);
}

int cli_out_put_json_string(struct cli_out *out, const char *s)
{
	return cli_out_put(out, format_json_string, s, EBPFNET_FORMAT_JSON);
}

int cli_out_finish(struct cli_out *out)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		out->write_err = cli_neg_errno();
	if (out->write_err) {
		cli_msgs_reset_reason();
		return cli_fail(out->write_err, "cannot write the output");
	}
	return CLI_EXIT_OK;
}

int cli_out_end(struct cli_out *out, int rc, int answer)
{
	int end;

	if (rc != CLI_EXIT_OK && rc != answer)
		return rc;
	end = cli_out_finish(out);
	if (end != CLI_EXIT_OK)
		return end;
	cli_msgs_release();
	return rc;
}

int cli_out_list_failed(struct cli_out *out, bool json, const char *closing,
			const char *format_what, int rc, const char *what)
{
	if (json)
		fputs(closing, stdout);
	fflush(stdout);
	if (out->format_err)
		return cli_fail(out->format_err, "cannot format %s", format_what);
	return cli_fail(rc, "cannot list the %s", what);
}

bool cli_out_full(const struct cli_out *out)
{
	return out->max_lines && out->lines >= out->max_lines;
}

void cli_out_free(struct cli_out *out)
{
	free(out->buf);
	out->buf = NULL;
	out->buf_len = 0;
}
