/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-drop's command line: the commands with the options and operand
 * counts each takes, global options anywhere, numbers parsed strictly,
 * `set` values checked against their words; wrong lines are usage errors
 * that say why.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_command.h"
#include "drop_args.h"

/* Besides the shared ones. */
enum {
	OPT_MODE = 0x100,
	OPT_ACTION,
};

/* Options a command takes besides the global ones. */
#define OPTF_MODE (1u << 0)
#define OPTF_ACTION (1u << 1)
#define OPTF_COUNT (1u << 2)
#define OPTF_DURATION (1u << 3)

static const struct option long_options[] = {
	CLI_OPTIONS_PINNED,
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "action", required_argument, NULL, OPT_ACTION },
	CLI_OPTION_COUNT,
	CLI_OPTION_DURATION,
	CLI_OPTION_END,
};

static const struct cli_command commands[] = {
	{ NULL, "attach", DROP_CMD_ATTACH, OPTF_MODE, 1, 1, "IFACE" },
	{ NULL, "detach", DROP_CMD_DETACH, 0, 1, 1, "IFACE" },
	{ NULL, "add", DROP_CMD_ADD, OPTF_ACTION, 0, -1, "MATCH..." },
	{ NULL, "del", DROP_CMD_DEL, 0, 1, 1, "ID" },
	{ NULL, "list", DROP_CMD_LIST, 0, 0, 0, "" },
	{ NULL, "stats", DROP_CMD_STATS, 0, 0, 0, "" },
	{ NULL, "events", DROP_CMD_EVENTS, OPTF_COUNT | OPTF_DURATION, 0, 0, "" },
	{ NULL, "status", DROP_CMD_STATUS, 0, 0, 0, "" },
	{ NULL, "set", DROP_CMD_SET, 0, 2, 2, "a setting and its value" },
};

/* Which flag each command option needs. */
static const struct cli_command_option command_options[] = {
	{ OPT_MODE, OPTF_MODE },
	{ OPT_ACTION, OPTF_ACTION },
	{ CLI_OPT_COUNT, OPTF_COUNT },
	{ CLI_OPT_DURATION, OPTF_DURATION },
};

static const struct cli_grammar grammar = {
	commands, CLI_COUNT(commands), NULL, 0,
	command_options, CLI_COUNT(command_options), long_options,
};

static const struct cli_number rule_id_number = { "rule id", 1, UINT32_MAX, NULL };
static const struct cli_number event_rate_number = {
	"event rate", 0, UINT32_MAX, NULL
};

/* Indexed by the enums' values. */
static const char *const mode_words[] = { "auto", "native", "generic", NULL };
static const char *const frag_words[] = { "inspect", "drop", "pass", NULL };
static const char *const malformed_words[] = { "pass", "drop", NULL };
static const char *const set_knobs[] = { "frag", "malformed", "event-rate", NULL };

void drop_args_usage(FILE *out)
{
	fputs("Usage: ebpfnet-drop [GLOBAL OPTION]... COMMAND [ARG]...\n"
	      "Manage this node's XDP packet filter. The filter is pinned: it keeps\n"
	      "running after the command exits.\n"
	      "\n"
	      "Commands:\n"
	      "  attach IFACE [--mode auto|native|generic]   filter IFACE's incoming packets\n"
	      "  detach IFACE                  stop filtering IFACE (the last one removes it all)\n"
	      "  add [--action drop|pass|count] MATCH...   add a rule, print its id\n"
	      "  del ID                        delete rule ID\n"
	      "  list                          rules with their packet and byte counters\n"
	      "  stats                         the filter's counters\n"
	      "  events [--count N] [--duration SEC]   follow sampled drops\n"
	      "  status                        attached interfaces and the rule table\n"
	      "  set frag inspect|drop|pass    what non-first IP fragments meet\n"
	      "  set malformed pass|drop       what packets that cannot be parsed meet\n"
	      "  set event-rate N              sampled drop events per CPU per second (0: none)\n"
	      "\n"
	      "MATCH words: proto icmp|icmpv6|tcp|udp|N, icmp-type T, icmp-code C,\n"
	      "  src PREFIX, dst PREFIX, src-port P, dst-port P, family ipv4|ipv6,\n"
	      "  sig l3|l4+OFFSET:HEX[/HEXMASK], action drop|pass|count\n"
	      "  e.g.  add proto icmp icmp-type echo-request\n"
	      "        add proto udp dst-port 9999 sig l4+8:deadbeef\n"
	      "\n"
	      "Global options (before or after the command):\n"
	      "      --pin-root DIR    the filter's pinned state lives under DIR\n"
	      "                        (default " EBPFNET_PIN_ROOT_DEFAULT ")\n"
	      "      --json            print data as JSON\n"
	      "  -v, --verbose         show the library's and libbpf's messages\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 on success (also after SIGINT or SIGTERM in 'events'),\n"
	      "1 on error, 2 on a usage error. See ebpfnet-drop(8).\n",
	      out);
}

static int apply_option(void *args, int c, const char *arg, char *err,
			size_t errlen)
{
	struct drop_args *out = args;
	int i;

	switch (c) {
	case CLI_OPT_PIN_ROOT:
		return cli_parse_path("--pin-root", arg, &out->pin_root, err,
				      errlen);
	case OPT_MODE:
		if (cli_parse_word("--mode", mode_words, "auto, native or generic",
				   arg, &i, err, errlen))
			return -1;
		out->mode = (enum ebpfnet_xdp_mode)i;
		return 0;
	case OPT_ACTION:
		/* Judged with the rule's other words by the library. */
		out->action = arg;
		return 0;
	default:
		return cli_apply_opt(&out->opts, c, arg, NULL, err, errlen);
	}
}

/* `set` operands: the knob and its value. */
static int parse_set(struct drop_args *a, char *err, size_t errlen)
{
	const char *what = a->ops[0], *arg = a->ops[1];
	int knob = cli_lookup_word(set_knobs, what);
	int i;

	switch (knob) {
	case DROP_SET_FRAG:
		i = cli_lookup_word(frag_words, arg);
		if (i < 0)
			return cli_usage_msg(err, errlen, "invalid 'set frag %s': expected inspect, drop or pass",
					     arg);
		break;
	case DROP_SET_MALFORMED:
		i = cli_lookup_word(malformed_words, arg);
		if (i < 0)
			return cli_usage_msg(err, errlen, "invalid 'set malformed %s': expected pass or drop",
					     arg);
		break;
	case DROP_SET_EVENT_RATE:
		a->setting = DROP_SET_EVENT_RATE;
		return cli_parse_number(&event_rate_number, arg, &a->set_value,
					err, errlen);
	default:
		return cli_usage_msg(err, errlen, "unknown setting '%s': expected frag, malformed or event-rate",
				     what);
	}
	a->setting = (enum drop_setting)knob;
	a->set_value = (uint64_t)i;
	return 0;
}

/* Operands the command line alone can judge. */
static int check_values(struct drop_args *a, char *err, size_t errlen)
{
	uint64_t v;

	switch (a->command) {
	case DROP_CMD_DEL:
		if (cli_parse_number(&rule_id_number, a->ops[0], &v, err, errlen))
			return -1;
		a->rule_id = (uint32_t)v;
		return 0;
	case DROP_CMD_SET:
		return parse_set(a, err, errlen);
	case DROP_CMD_ADD:
		if (a->nops == 0 && !a->action)
			return cli_usage_msg(err, errlen, "'add' needs MATCH words (e.g. proto icmp)");
		return 0;
	default:
		return 0;
	}
}

int drop_args_parse(int argc, char **argv, struct drop_args *out, char *err,
		    size_t errlen)
{
	struct cli_parser p = {
		.grammar = &grammar, .apply_option = apply_option, .out = out
	};
	int rc;

	if (cli_parse_begin(out, argc, 0, argv, err, errlen))
		return -1;
	memset(out, 0, sizeof(*out));
	rc = cli_command_parse(&p, argc, argv, &out->ops, &out->nops, err, errlen);
	if (rc)
		return rc;
	out->command = (enum drop_command)p.cmd->id;
	return check_values(out, err, errlen);
}

void drop_args_free(struct drop_args *args)
{
	if (!args)
		return;
	free(args->ops);
	args->ops = NULL;
	args->nops = 0;
}
