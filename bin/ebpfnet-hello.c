/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-hello: trace every exec on this node, as a table or as one JSON
 * object per line; or run the bpf_printk "I'm alive!" demo. A thin CLI
 * over the public API of libebpfnet: see ebpfnet-hello(8).
 *
 * Exit status: 0 (also after SIGINT/SIGTERM), 1 on an error (one line on
 * stderr), 2 on a usage error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_follow.h"
#include "cli_msgs.h"
#include "cli_out.h"
#include "hello_args.h"

const char cli_program[] = "ebpfnet-hello";

/* ---- output -------------------------------------------------------------- */

struct cli {
	struct hello_args args;
	struct ebpfnet_hello *hello;
	struct cli_out out;  /* events (or printk lines), --count the limit */
};

static int format_event(const void *event, enum ebpfnet_format format,
			char *buf, size_t len)
{
	return ebpfnet_hello_format(event, format, buf, len);
}

static int on_event(void *ctx, const struct ebpfnet_hello_event *event)
{
	struct cli *cli = ctx;
	enum ebpfnet_format format = cli->args.opts.json ?
		EBPFNET_FORMAT_JSON : EBPFNET_FORMAT_TEXT;
	const char *line = cli_out_format(&cli->out, format_event, event, format);

	if (!line)
		return cli->out.format_err;
	return cli_out_emit(&cli->out, line);
}

/* trace_pipe lines carry the comm of whatever process ran: show control
 * bytes as \xNN so they cannot steer the terminal. */
static int on_trace(void *ctx, const char *line)
{
	struct cli *cli = ctx;
	struct cli_out *out = &cli->out;
	size_t n = strlen(line), i, j = 0;

	if (cli_out_reserve(out, n * 4 + 1))
		return out->format_err;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			j += (size_t)snprintf(out->buf + j, out->buf_len - j,
					      "\\x%02x", c);
		else
			out->buf[j++] = (char)c;
	}
	out->buf[j] = '\0';
	return cli_out_emit(out, out->buf);
}

/* ---- the run ------------------------------------------------------------- */

/*
 * Open and attach the tracer. The library's warnings are held back
 * meanwhile: when this fails, the last one is the reason in the single
 * error line; when it succeeds, they are shown then, and later ones as
 * they come.
 */
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

	cli_msgs_hold(true);
	cli_msgs_reset_reason();
	cli->hello = ebpfnet_hello_open(&opts);
	if (!cli->hello)
		return cli_fail(cli_neg_errno(), "cannot open the tracer");
	if (a->opts.verbose)
		fprintf(stderr, "%s: using the %s hook%s\n", cli_program,
			ebpfnet_hello_hook_name(ebpfnet_hello_hook(cli->hello)),
			a->printk ? " (printk mode)" : "");
	cli_msgs_reset_reason();
	err = ebpfnet_hello_attach(cli->hello);
	if (err)
		return cli_fail(err, "cannot attach the tracer");
	cli_msgs_release();
	cli_msgs_hold(false);
	return CLI_EXIT_OK;
}

static int consume(void *hello)
{
	return ebpfnet_hello_consume(hello);
}

static int run_loop(struct cli *cli)
{
	int fd = ebpfnet_hello_fd(cli->hello);

	if (fd < 0)
		return cli_fail(fd, "cannot get the tracer's file descriptor");
	return cli_follow(fd, cli->args.opts.duration_s, consume, cli->hello,
			  &cli->out);
}

static void print_summary(const struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_hello_stats, stats);
	int err = ebpfnet_hello_stats(cli->hello, &stats);

	if (err)
		fprintf(stderr, "%s: %" PRIu64 " events, lost count unavailable (%s)\n",
			cli_program, cli->out.lines, ebpfnet_strerror(err));
	else
		fprintf(stderr, "%s: %" PRIu64 " events, %" PRIu64 " lost\n",
			cli_program, stats.events, stats.lost);
}

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = hello_args_parse(argc, argv, &cli.args, err, sizeof(err));
	if (rc)
		return cli_parse_answer(rc, err, hello_args_usage);
	cli.out.max_lines = cli.args.opts.count;

	cli_msgs_start(cli.args.opts.verbose);
	rc = cli_catch_signals();
	if (rc == CLI_EXIT_OK)
		rc = open_tracer(&cli);
	if (rc == CLI_EXIT_OK && !cli.args.opts.json && !cli.args.printk &&
	    cli_out_write_line(&cli.out, ebpfnet_hello_header()))
		rc = cli_fail(cli.out.write_err, "cannot write the output");
	if (rc == CLI_EXIT_OK)
		rc = run_loop(&cli);
	if (rc == CLI_EXIT_OK)
		print_summary(&cli);

	ebpfnet_hello_destroy(cli.hello);
	cli_msgs_stop();
	cli_out_free(&cli.out);
	return rc;
}
