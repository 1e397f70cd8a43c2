/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-drop: manage the node's XDP packet filter (attach, detach, add
 * and delete rules, read counters, follow sampled drops). A thin CLI over
 * the public API of libebpfnet: see ebpfnet-drop(8).
 *
 * The filter is pinned: every command but `events` changes or reads it and
 * returns at once; the filter keeps running after the command exits.
 *
 * Exit status: 0 (also after SIGINT/SIGTERM in `events`), 1 on an error
 * (one line on stderr), 2 on a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_follow.h"
#include "cli_iface.h"
#include "cli_msgs.h"
#include "cli_out.h"
#include "cli_pinned.h"
#include "drop_args.h"

const char cli_program[] = "ebpfnet-drop";

struct cli {
	struct drop_args args;
	bool follow;                 /* events: open with the event callback */
	struct ebpfnet_drop *drop;
	struct cli_out out;          /* formatter output; events' lines */
	bool first;                  /* first element of a JSON array */
};

/* ---- output -------------------------------------------------------------- */

/* printf to stdout; the error is checked when the command ends. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* The library's formatters in cli_out's shape. */
static int format_rule(const void *obj, enum ebpfnet_format format, char *buf,
		       size_t len)
{
	return ebpfnet_drop_rule_format(obj, format, buf, len);
}

static int format_event(const void *obj, enum ebpfnet_format format,
			char *buf, size_t len)
{
	return ebpfnet_drop_event_format(obj, format, buf, len);
}

static enum ebpfnet_format out_format(const struct cli *cli)
{
	return cli_out_format_of(cli->args.opts.json);
}

/* ---- the filter ---------------------------------------------------------- */

static int on_event(void *ctx, const struct ebpfnet_drop_event *event);

static const char *pin_root(const struct cli *cli)
{
	return cli_pin_root(cli->args.pin_root);
}

/* Open the node's filter. Only attach and add create one. */
static int open_filter(struct cli *cli, enum cli_open_how how)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, opts,
		.pin_root = cli->args.pin_root,
		.on_event = cli->follow ? on_event : NULL,
		.ctx = cli,
		.open_existing = how != CLI_OPEN_CREATE);

	cli_msgs_reset_reason();
	cli->drop = ebpfnet_drop_open(&opts);
	if (cli->drop)
		return CLI_EXIT_OK;
	return cli_open_failed(how, "filter", "attach it or add a rule first",
			       pin_root(cli));
}

/* ---- attach, detach ------------------------------------------------------ */

static int cmd_attach(struct cli *cli)
{
	const char *ifname = cli->args.ops[0];
	int rc;

	rc = cli_iface_check(ifname);
	if (rc == CLI_EXIT_OK)
		rc = open_filter(cli, CLI_OPEN_CREATE);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_attach(cli->drop, ifname, cli->args.mode);
	if (rc)
		return cli_fail(rc, "cannot attach to %s", ifname);
	return cli_iface_attached(&cli->out, cli->args.opts.json, ifname,
				  ebpfnet_drop_mode(cli->drop, ifname));
}

static int cmd_detach(struct cli *cli)
{
	const char *ifname = cli->args.ops[0];
	int rc = open_filter(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_detach(cli->drop, ifname);
	if (rc)
		return cli_fail(rc, "cannot detach from %s", ifname);
	return cli_iface_detached(&cli->out, cli->args.opts.json, ifname);
}

/* ---- rules --------------------------------------------------------------- */

static int cmd_add(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_drop_rule, rule);
	const char **words = cli->args.ops;
	int nwords = cli->args.nops;
	char reason[512];
	uint32_t id;
	int rc;

	if (cli->args.action) {
		/* --action X is the words "action X", put in front */
		words = calloc((size_t)nwords + 2, sizeof(*words));
		if (!words)
			return cli_fail(-ENOMEM, "cannot add the rule");
		words[0] = "action";
		words[1] = cli->args.action;
		memcpy(words + 2, cli->args.ops, sizeof(*words) * (size_t)nwords);
		nwords += 2;
	}
	reason[0] = '\0';
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_rule_parse(nwords, words, &rule, reason, sizeof(reason));
	if (words != cli->args.ops)
		free(words);
	if (rc)
		return cli_error("invalid rule: %s",
				 reason[0] ? reason : ebpfnet_strerror(rc));
	rc = open_filter(cli, CLI_OPEN_CREATE);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_add(cli->drop, &rule, &id);
	if (rc)
		return cli_fail(rc, "cannot add the rule");
	if (cli->args.opts.json)
		out("{\"id\":%" PRIu32 "}\n", id);
	else
		out("%" PRIu32 "\n", id);
	return CLI_EXIT_OK;
}

static int cmd_del(struct cli *cli)
{
	int rc = open_filter(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_del(cli->drop, cli->args.rule_id);
	if (rc)
		return cli_fail(rc, "cannot delete rule %" PRIu32, cli->args.rule_id);
	return CLI_EXIT_OK;
}

static int list_one(void *ctx, const struct ebpfnet_drop_rule *rule,
		    const struct ebpfnet_drop_counters *counters)
{
	struct cli *cli = ctx;
	const char *text = cli_out_format(&cli->out, format_rule, rule,
					  out_format(cli));

	if (!text)
		return cli->out.format_err;
	if (cli->args.opts.json)
		out("%s{\"id\":%" PRIu32 ",\"rule\":%s,\"packets\":%" PRIu64
		    ",\"bytes\":%" PRIu64 "}",
		    cli->first ? "" : ",", rule->id, text, counters->packets,
		    counters->bytes);
	else
		out("%" PRIu32 "\t%s\t%" PRIu64 " packets\t%" PRIu64 " bytes\n",
		    rule->id, text, counters->packets, counters->bytes);
	cli->first = false;
	return 0;
}

static int cmd_list(struct cli *cli)
{
	int rc = open_filter(cli, CLI_OPEN_EXISTING_QUIET);

	/* no filter: no rules */
	if (rc == -ENOENT) {
		if (cli->args.opts.json)
			out("[]\n");
		return CLI_EXIT_OK;
	}
	if (rc != CLI_EXIT_OK)
		return rc;
	cli->first = true;
	if (cli->args.opts.json)
		out("[");
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_rules(cli->drop, list_one, cli);
	if (rc)
		return cli_out_list_failed(&cli->out, cli->args.opts.json, "]\n",
					   "a rule", rc, "rules");
	if (cli->args.opts.json)
		out("]\n");
	return CLI_EXIT_OK;
}

/* ---- stats, status ------------------------------------------------------- */

static const struct {
	const char *name;
	size_t offset;
} counter_fields[] = {
	{ "dropped", offsetof(struct ebpfnet_drop_stats, dropped) },
	{ "passed", offsetof(struct ebpfnet_drop_stats, passed) },
	{ "counted", offsetof(struct ebpfnet_drop_stats, counted) },
	{ "unmatched", offsetof(struct ebpfnet_drop_stats, unmatched) },
	{ "fragments", offsetof(struct ebpfnet_drop_stats, fragments) },
	{ "malformed", offsetof(struct ebpfnet_drop_stats, malformed) },
};

static int read_stats(struct cli *cli, struct ebpfnet_drop_stats *stats)
{
	int rc;

	cli_msgs_reset_reason();
	rc = ebpfnet_drop_stats(cli->drop, stats);
	return rc ? cli_fail(rc, "cannot read the counters") : CLI_EXIT_OK;
}

static int cmd_stats(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_drop_stats, stats);
	size_t i;
	int rc = open_filter(cli, CLI_OPEN_EXISTING);

	if (rc == CLI_EXIT_OK)
		rc = read_stats(cli, &stats);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (cli->args.opts.json)
		out("{");
	for (i = 0; i < sizeof(counter_fields) / sizeof(counter_fields[0]); i++) {
		const struct ebpfnet_drop_counters *c =
			(const void *)((const char *)&stats + counter_fields[i].offset);

		if (cli->args.opts.json)
			out("\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "},",
			    counter_fields[i].name, c->packets, c->bytes);
		else
			out("%-10s %20" PRIu64 " packets %20" PRIu64 " bytes\n",
			    counter_fields[i].name, c->packets, c->bytes);
	}
	if (cli->args.opts.json)
		out("\"events\":{\"sent\":%" PRIu64 ",\"suppressed\":%" PRIu64
		    ",\"lost\":%" PRIu64 "},\"rules\":%" PRIu32
		    ",\"max_rules\":%" PRIu32 "}\n",
		    stats.events_sent, stats.events_suppressed, stats.events_lost,
		    stats.rules, stats.max_rules);
	else
		out("%-10s %20" PRIu64 " sent %" PRIu64 " suppressed %" PRIu64
		    " lost\n%-10s %20" PRIu32 " of %" PRIu32 "\n",
		    "events", stats.events_sent, stats.events_suppressed,
		    stats.events_lost, "rules", stats.rules, stats.max_rules);
	return CLI_EXIT_OK;
}

static int status_iface(void *ctx, const char *ifname, uint32_t ifindex,
			enum ebpfnet_xdp_mode mode)
{
	struct cli *cli = ctx;

	if (cli->args.opts.json) {
		out("%s{\"name\":", cli->first ? "" : ",");
		if (cli_out_put_json_string(&cli->out, ifname))
			return cli->out.format_err;
		out(",\"ifindex\":%" PRIu32 ",\"mode\":\"%s\"}", ifindex,
		    ebpfnet_xdp_mode_name(mode));
	} else {
		out("%-10s %s (ifindex %" PRIu32 ", %s)\n", "interface", ifname,
		    ifindex, ebpfnet_xdp_mode_name(mode));
	}
	cli->first = false;
	return 0;
}

static int cmd_status(struct cli *cli)
{
	const char *root = pin_root(cli);
	EBPFNET_OPTS(ebpfnet_drop_stats, stats);
	int rc = open_filter(cli, CLI_OPEN_EXISTING);

	if (rc == CLI_EXIT_OK)
		rc = read_stats(cli, &stats);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli->first = true;
	if (cli->args.opts.json) {
		out("{\"pin_root\":");
		if (cli_out_put_json_string(&cli->out, root))
			return cli_fail(cli->out.format_err, "cannot format the output");
		out(",\"interfaces\":[");
	} else {
		out("%-10s %s\n", "pin root", root);
	}
	cli_msgs_reset_reason();
	rc = ebpfnet_drop_ifaces(cli->drop, status_iface, cli);
	if (rc)
		return cli_out_list_failed(&cli->out, cli->args.opts.json, "]}\n",
					   "the output", rc,
					   "attached interfaces");
	if (cli->args.opts.json) {
		out("],\"rules\":%" PRIu32 ",\"max_rules\":%" PRIu32 "}\n",
		    stats.rules, stats.max_rules);
		return CLI_EXIT_OK;
	}
	if (cli->first)
		out("%-10s (none)\n", "interface");
	out("%-10s %" PRIu32 " of %" PRIu32 "\n", "rules", stats.rules,
	    stats.max_rules);
	return CLI_EXIT_OK;
}

static int cmd_set(struct cli *cli)
{
	int rc = open_filter(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	if (cli->args.setting == DROP_SET_FRAG)
		rc = ebpfnet_drop_set_frag_policy(cli->drop,
			(enum ebpfnet_drop_frag_policy)cli->args.set_value);
	else if (cli->args.setting == DROP_SET_MALFORMED)
		rc = ebpfnet_drop_set_malformed_policy(cli->drop,
			(enum ebpfnet_drop_malformed_policy)cli->args.set_value);
	else
		rc = ebpfnet_drop_set_event_rate(cli->drop,
						 (uint32_t)cli->args.set_value);
	if (rc)
		return cli_fail(rc, "cannot set %s to %s", cli->args.ops[0], cli->args.ops[1]);
	return CLI_EXIT_OK;
}

/* ---- events -------------------------------------------------------------- */

static int on_event(void *ctx, const struct ebpfnet_drop_event *event)
{
	struct cli *cli = ctx;

	return cli_out_emit_record(&cli->out, format_event, event,
				   out_format(cli));
}

static int consume(void *drop)
{
	return ebpfnet_drop_consume(drop);
}

static int cmd_events(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_drop_stats, stats);
	int rc = cli_catch_signals();

	if (rc != CLI_EXIT_OK)
		return rc;
	cli->follow = true;
	rc = open_filter(cli, CLI_OPEN_EXISTING);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_release();
	rc = cli_follow_events(ebpfnet_drop_fd(cli->drop),
			       cli->args.opts.duration_s, consume, cli->drop,
			       &cli->out);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ebpfnet_drop_stats(cli->drop, &stats) == 0)
		cli_follow_report("events", cli->out.lines,
				  stats.events_suppressed, stats.events_lost);
	return CLI_EXIT_OK;
}

/* ---- main ---------------------------------------------------------------- */

static int (*const runners[])(struct cli *cli) = {
	[DROP_CMD_ATTACH] = cmd_attach,
	[DROP_CMD_DETACH] = cmd_detach,
	[DROP_CMD_ADD] = cmd_add,
	[DROP_CMD_DEL] = cmd_del,
	[DROP_CMD_LIST] = cmd_list,
	[DROP_CMD_STATS] = cmd_stats,
	[DROP_CMD_EVENTS] = cmd_events,
	[DROP_CMD_STATUS] = cmd_status,
	[DROP_CMD_SET] = cmd_set,
};

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = drop_args_parse(argc, argv, &cli.args, err, sizeof(err));
	if (rc) {
		drop_args_free(&cli.args);
		return cli_parse_answer(rc, err, drop_args_usage);
	}
	cli.out.max_lines = cli.args.opts.count;

	/* Held back while the command runs: shown after a success, the last
	 * one the detail of the error line after a failure. */
	cli_msgs_start(cli.args.opts.verbose);
	cli_msgs_hold(true);
	rc = cli_out_end(&cli.out, runners[cli.args.command](&cli), CLI_EXIT_OK);

	ebpfnet_drop_destroy(cli.drop);
	cli_msgs_stop();
	cli_out_free(&cli.out);
	drop_args_free(&cli.args);
	return rc;
}
