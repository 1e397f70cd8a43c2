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
#include "drop_args.h"

/* Besides the shared ones. */
enum {
	OPT_PIN_ROOT = 0x100,
	OPT_MODE,
	OPT_ACTION,
};

/* Options a command takes besides the global ones. */
#define OPTF_MODE (1u << 0)
#define OPTF_ACTION (1u << 1)
#define OPTF_COUNT (1u << 2)
#define OPTF_DURATION (1u << 3)

static const struct option long_options[] = {
	{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
	CLI_OPTION_JSON,
	CLI_OPTION_VERBOSE,
	CLI_OPTION_HELP,
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "action", required_argument, NULL, OPT_ACTION },
	CLI_OPTION_COUNT,
	CLI_OPTION_DURATION,
	CLI_OPTION_END,
};

/* '-': operands come back in order as option 1 (whatever POSIXLY_CORRECT
 * says), so options may follow the command; ':': we word the errors. */
static const char short_options[] = "-:vh";

struct command {
	const char *name;
	enum drop_command command;
	unsigned int options;  /* OPTF_* */
	int min_ops, max_ops;  /* operands; max -1: no limit */
	const char *synopsis;  /* for the messages */
};

static const struct command commands[] = {
	{ "attach", DROP_CMD_ATTACH, OPTF_MODE, 1, 1, "IFACE" },
	{ "detach", DROP_CMD_DETACH, 0, 1, 1, "IFACE" },
	{ "add", DROP_CMD_ADD, OPTF_ACTION, 0, -1, "MATCH..." },
	{ "del", DROP_CMD_DEL, 0, 1, 1, "ID" },
	{ "list", DROP_CMD_LIST, 0, 0, 0, "" },
	{ "stats", DROP_CMD_STATS, 0, 0, 0, "" },
	{ "events", DROP_CMD_EVENTS, OPTF_COUNT | OPTF_DURATION, 0, 0, "" },
	{ "status", DROP_CMD_STATUS, 0, 0, 0, "" },
	{ "set", DROP_CMD_SET, 0, 2, 2, "a setting and its value" },
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

/* The parse under way. */
struct parser {
	struct drop_args *out;
	const struct command *cmd;  /* NULL until the command word */
	bool help;
};

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

/* Index of `s` in the NULL-terminated `names`, or -1. */
static int lookup_word(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Which OPTF_* bit an option needs; 0 for the global ones. */
static unsigned int option_flag(int c)
{
	switch (c) {
	case OPT_MODE:
		return OPTF_MODE;
	case OPT_ACTION:
		return OPTF_ACTION;
	case CLI_OPT_COUNT:
		return OPTF_COUNT;
	case CLI_OPT_DURATION:
		return OPTF_DURATION;
	default:
		return 0;
	}
}

static int apply_option(struct parser *p, int c, const char *arg, char *err,
			size_t errlen)
{
	struct drop_args *out = p->out;
	int i;

	switch (c) {
	case OPT_PIN_ROOT:
		return cli_parse_path("--pin-root", arg, &out->pin_root, err,
				      errlen);
	case CLI_OPT_HELP:
		p->help = true;
		return 0;
	case OPT_MODE:
		i = lookup_word(mode_words, arg);
		if (i < 0)
			return cli_usage_msg(err, errlen, "invalid --mode '%s': expected auto, native or generic",
					     arg);
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

/* The command word, or an operand once the command is known. */
static int take_word(struct parser *p, const char *word, char *err,
		     size_t errlen)
{
	if (p->cmd) {
		p->out->ops[p->out->nops++] = word;
		return 0;
	}
	p->cmd = find_command(word);
	if (!p->cmd)
		return cli_usage_msg(err, errlen, "unknown command '%s'", word);
	p->out->command = p->cmd->command;
	return 0;
}

static int check_operands(const struct parser *p, char *err, size_t errlen)
{
	const struct command *cmd = p->cmd;
	const struct drop_args *a = p->out;

	if (a->nops < cmd->min_ops)
		return cli_usage_msg(err, errlen, "'%s' needs %s", cmd->name,
				     cmd->synopsis);
	if (cmd->max_ops >= 0 && a->nops > cmd->max_ops)
		return cli_usage_msg(err, errlen, "unexpected argument '%s' after '%s%s%s'",
				     a->ops[cmd->max_ops], cmd->name,
				     cmd->max_ops ? " " : "",
				     cmd->max_ops ? cmd->synopsis : "");
	return 0;
}

/* The options and operands, in argv's order. 0, 1 for help, or -1. */
static int parse_words(struct parser *p, int argc, char **argv, char *err,
		       size_t errlen)
{
	int c;

	cli_getopt_restart();
	while ((c = cli_getopt_next(argc, argv, short_options, long_options,
				    err, errlen)) != -1) {
		unsigned int flag;

		if (c == CLI_GETOPT_ERROR)
			return -1;
		if (c == 1) {
			if (take_word(p, optarg, err, errlen))
				return -1;
			continue;
		}
		flag = option_flag(c);
		if (flag && !p->cmd)
			return cli_usage_msg(err, errlen, "option '--%s' must follow its command",
					     cli_option_name(long_options, c));
		if (flag && !(p->cmd->options & flag))
			return cli_usage_msg(err, errlen, "'%s' takes no option '--%s'",
					     p->cmd->name,
					     cli_option_name(long_options, c));
		if (apply_option(p, c, optarg, err, errlen))
			return -1;
	}
	/* after "--": the rest are operands (the command first) */
	for (; optind < argc; optind++)
		if (take_word(p, argv[optind], err, errlen))
			return -1;
	if (p->help)
		return 1;
	if (!p->cmd)
		return cli_usage_msg(err, errlen, "no command given");
	return check_operands(p, err, errlen);
}

/* `set` operands: the knob and its value. */
static int parse_set(struct drop_args *a, char *err, size_t errlen)
{
	const char *what = a->ops[0], *arg = a->ops[1];
	int knob = lookup_word(set_knobs, what);
	int i;

	switch (knob) {
	case DROP_SET_FRAG:
		i = lookup_word(frag_words, arg);
		if (i < 0)
			return cli_usage_msg(err, errlen, "invalid 'set frag %s': expected inspect, drop or pass",
					     arg);
		break;
	case DROP_SET_MALFORMED:
		i = lookup_word(malformed_words, arg);
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
	struct parser p = { .out = out };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out || argc < 0 || !argv)
		return cli_usage_msg(err, errlen, "internal error: no arguments to parse");
	memset(out, 0, sizeof(*out));
	/* at most every element an operand; +1: calloc(0) may be NULL */
	out->ops = calloc((size_t)argc + 1, sizeof(*out->ops));
	if (!out->ops)
		return cli_usage_msg(err, errlen, "out of memory");
	rc = parse_words(&p, argc, argv, err, errlen);
	if (rc)
		return rc;
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
