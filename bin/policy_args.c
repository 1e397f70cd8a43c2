/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-policy's command line: the commands (some of two words,
 * "endpoint add", "set events") with the options and operand counts each
 * takes, global options anywhere, --ip addresses and trace's --port judged
 * here; wrong lines are usage errors that say why.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "policy_args.h"

/* Besides the shared ones. */
enum {
	OPT_PIN_ROOT = 0x100,
	OPT_IP,
	OPT_LABELS,
	OPT_YAML,
	OPT_FOLLOW,
	OPT_FROM,
	OPT_TO,
	OPT_PORT,
	OPT_ALLOWED,
};

/* Options a command takes besides the global ones. */
#define OPTF_IP (1u << 0)
#define OPTF_LABELS (1u << 1)
#define OPTF_YAML (1u << 2)
#define OPTF_FOLLOW (1u << 3)
#define OPTF_COUNT (1u << 4)
#define OPTF_DURATION (1u << 5)
#define OPTF_TRACE (1u << 6)   /* --from, --to, --port */
#define OPTF_ALLOWED (1u << 7)

static const struct option long_options[] = {
	{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
	CLI_OPTION_JSON,
	CLI_OPTION_VERBOSE,
	CLI_OPTION_HELP,
	{ "ip", required_argument, NULL, OPT_IP },
	{ "labels", required_argument, NULL, OPT_LABELS },
	{ "yaml", no_argument, NULL, OPT_YAML },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "allowed", no_argument, NULL, OPT_ALLOWED },
	CLI_OPTION_COUNT,
	CLI_OPTION_DURATION,
	CLI_OPTION_END,
};

/* '-': operands come back in order as option 1 (whatever POSIXLY_CORRECT
 * says), so options may follow the command; ':': we word the errors. */
static const char short_options[] = "-:vh";

struct command {
	const char *group;     /* first word of a two-word command, or NULL */
	const char *name;      /* its (last) word */
	enum policy_command command;
	unsigned int options;  /* OPTF_* */
	int min_ops, max_ops;  /* operands; max -1: no limit */
	const char *synopsis;  /* for the messages */
};

static const struct command commands[] = {
	{ "endpoint", "add", POLICY_CMD_ENDPOINT_ADD, OPTF_IP | OPTF_LABELS, 1, 1, "IFACE" },
	{ "endpoint", "del", POLICY_CMD_ENDPOINT_DEL, 0, 1, 1, "IFACE" },
	{ "endpoint", "list", POLICY_CMD_ENDPOINT_LIST, 0, 0, 0, "" },
	{ NULL, "apply", POLICY_CMD_APPLY, 0, 1, -1, "FILE..." },
	{ NULL, "delete", POLICY_CMD_DELETE, 0, 1, 1, "NAME" },
	{ NULL, "list", POLICY_CMD_LIST, OPTF_YAML, 0, 0, "" },
	{ NULL, "trace", POLICY_CMD_TRACE, OPTF_TRACE, 0, 0, "" },
	{ NULL, "verdicts", POLICY_CMD_VERDICTS,
	  OPTF_FOLLOW | OPTF_COUNT | OPTF_DURATION, 0, 0, "" },
	{ NULL, "status", POLICY_CMD_STATUS, 0, 0, 0, "" },
	{ "set", "events", POLICY_CMD_SET_EVENTS, OPTF_ALLOWED, 1, 1, "RATE" },
};

/* The first words of two-word commands and what may follow them. */
static const struct {
	const char *word;
	const char *subwords;
} groups[] = {
	{ "endpoint", "add, del or list" },
	{ "set", "events" },
};

static const struct cli_number event_rate_number = {
	"event rate", 0, UINT32_MAX, NULL
};
static const struct cli_number port_number = { "port", 1, 65535, NULL };

/* trace --port's protocol words. */
static const struct {
	const char *name;
	uint8_t proto;
	bool has_port;
} protocols[] = {
	{ "tcp", IPPROTO_TCP, true },
	{ "udp", IPPROTO_UDP, true },
	{ "sctp", IPPROTO_SCTP, true },
	{ "icmp", IPPROTO_ICMP, false },
	{ "icmpv6", IPPROTO_ICMPV6, false },
};

/* The parse under way. */
struct parser {
	struct policy_args *out;
	const char *group;          /* a group's word, waiting for its second */
	const struct command *cmd;  /* NULL until the command's words */
	bool help;
};

void policy_args_usage(FILE *out)
{
	fputs("Usage: ebpfnet-policy [GLOBAL OPTION]... COMMAND [ARG]...\n"
	      "Manage this node's network policy: labelled endpoints (workloads'\n"
	      "interfaces) and the CiliumNetworkPolicy / Kubernetes NetworkPolicy\n"
	      "documents that allow or deny their traffic. The policy is pinned: it\n"
	      "keeps being enforced after the command exits.\n"
	      "\n"
	      "Commands:\n"
	      "  endpoint add IFACE --ip ADDR [--ip ADDR]... --labels K=V[,K=V]...\n"
	      "                                make IFACE (host side of a workload's veth)\n"
	      "                                an endpoint; prints its identity\n"
	      "  endpoint del IFACE            stop enforcing on IFACE\n"
	      "  endpoint list                 endpoints, identities, enforcement\n"
	      "  apply FILE...                 apply the YAML documents of all FILEs at once\n"
	      "                                ('-': standard input); all or nothing\n"
	      "  delete NAME                   delete policy [NAMESPACE/]NAME\n"
	      "  list [--yaml]                 policies, their rules and rule counters\n"
	      "                                (--yaml: the documents as applied)\n"
	      "  trace --from LABELS|ADDR --to LABELS|ADDR --port PORT[/PROTO]|PROTO\n"
	      "                                explain the verdict on a new connection\n"
	      "                                (PROTO tcp (default), udp, sctp, icmp, icmpv6);\n"
	      "                                exit 0 allowed, 3 denied\n"
	      "  verdicts [--follow [--count N] [--duration SEC]]\n"
	      "                                the rules' counters; --follow: verdicts live\n"
	      "  status                        the datapath's counters and table sizes\n"
	      "  set events RATE [--allowed]   verdict events per CPU per second (0: none);\n"
	      "                                --allowed: ALLOWED verdicts too\n"
	      "\n"
	      "Global options (before or after the command):\n"
	      "      --pin-root DIR    the policy's pinned state lives under DIR\n"
	      "                        (default " EBPFNET_PIN_ROOT_DEFAULT ")\n"
	      "      --json            print data as JSON\n"
	      "  -v, --verbose         show the library's and libbpf's messages\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 on success (also after SIGINT or SIGTERM in 'verdicts\n"
	      "--follow'), 1 on error, 2 on a usage error, 3 when 'trace' finds the\n"
	      "connection denied. See ebpfnet-policy(8).\n",
	      out);
}

static const struct command *find_command(const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		if ((c->group == NULL) != (group == NULL))
			continue;
		if (group && strcmp(c->group, group) != 0)
			continue;
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* The group whose first word is `word`, or -1. */
static int find_group(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(groups[i].word, word) == 0)
			return (int)i;
	return -1;
}

/* Which OPTF_* bit an option needs; 0 for the global ones. */
static unsigned int option_flag(int c)
{
	switch (c) {
	case OPT_IP:
		return OPTF_IP;
	case OPT_LABELS:
		return OPTF_LABELS;
	case OPT_YAML:
		return OPTF_YAML;
	case OPT_FOLLOW:
		return OPTF_FOLLOW;
	case CLI_OPT_COUNT:
		return OPTF_COUNT;
	case CLI_OPT_DURATION:
		return OPTF_DURATION;
	case OPT_FROM:
	case OPT_TO:
	case OPT_PORT:
		return OPTF_TRACE;
	case OPT_ALLOWED:
		return OPTF_ALLOWED;
	default:
		return 0;
	}
}

/* The command's name as the user wrote it ("endpoint add"). */
static void command_name(const struct command *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", cmd->group ? cmd->group : "",
		 cmd->group ? " " : "", cmd->name);
}

static int parse_ip(struct policy_args *out, const char *arg, char *err,
		    size_t errlen)
{
	unsigned char addr[16];

	if (out->n_addrs == EBPFNET_POLICY_MAX_ADDRS)
		return cli_usage_msg(err, errlen, "more than %d --ip addresses",
				     EBPFNET_POLICY_MAX_ADDRS);
	if (inet_pton(AF_INET, arg, addr) != 1 && inet_pton(AF_INET6, arg, addr) != 1)
		return cli_usage_msg(err, errlen, "invalid --ip '%s': not an IPv4 or IPv6 address",
				     arg);
	out->addrs[out->n_addrs++] = arg;
	return 0;
}

/* --from, --to, --labels: anything but empty (the library judges it). */
static int parse_text(const char *what, const char *arg, const char **out,
		      char *err, size_t errlen)
{
	if (!*arg)
		return cli_usage_msg(err, errlen, "invalid %s '': empty", what);
	*out = arg;
	return 0;
}

int policy_args_port(const char *arg, uint8_t *proto, uint16_t *port,
		     char *err, size_t errlen)
{
	const char *slash = strchr(arg, '/');
	const char *word = slash ? slash + 1 : arg;
	char digits[16];
	uint64_t v = 0;
	size_t i, n;

	/* no digit first: a protocol alone */
	if (!slash && (*arg < '0' || *arg > '9'))
		n = 0;
	else
		n = slash ? (size_t)(slash - arg) : strlen(arg);
	if (!slash && n)
		word = "tcp";
	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcmp(protocols[i].name, word) == 0)
			break;
	if (i == sizeof(protocols) / sizeof(protocols[0]))
		return cli_usage_msg(err, errlen, "invalid --port '%s': unknown protocol '%s' (tcp, udp, sctp, icmp or icmpv6)",
				     arg, word);
	if (!protocols[i].has_port && (n || slash))
		return cli_usage_msg(err, errlen, "invalid --port '%s': %s has no port (write '%s')",
				     arg, word, word);
	if (protocols[i].has_port && !n)
		return cli_usage_msg(err, errlen, "invalid --port '%s': %s needs a port (e.g. 80/%s)",
				     arg, word, word);
	if (n) {
		if (n >= sizeof(digits))
			n = sizeof(digits) - 1; /* long enough to be too large */
		memcpy(digits, arg, n);
		digits[n] = '\0';
		if (cli_parse_number(&port_number, digits, &v, err, errlen))
			return -1;
	}
	*proto = protocols[i].proto;
	*port = (uint16_t)v;
	return 0;
}

const char *policy_args_proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (protocols[i].proto == proto)
			return protocols[i].name;
	return NULL;
}

static int apply_option(struct parser *p, int c, const char *arg, char *err,
			size_t errlen)
{
	struct policy_args *out = p->out;

	switch (c) {
	case OPT_PIN_ROOT:
		return cli_parse_path("--pin-root", arg, &out->pin_root, err,
				      errlen);
	case CLI_OPT_HELP:
		p->help = true;
		return 0;
	case OPT_IP:
		return parse_ip(out, arg, err, errlen);
	case OPT_LABELS:
		return parse_text("--labels", arg, &out->labels, err, errlen);
	case OPT_YAML:
		out->yaml = true;
		return 0;
	case OPT_FOLLOW:
		out->follow = true;
		return 0;
	case OPT_FROM:
		return parse_text("--from", arg, &out->from, err, errlen);
	case OPT_TO:
		return parse_text("--to", arg, &out->to, err, errlen);
	case OPT_PORT:
		return policy_args_port(arg, &out->proto, &out->dport, err, errlen);
	case OPT_ALLOWED:
		out->events_allowed = true;
		return 0;
	default:
		return cli_apply_opt(&out->opts, c, arg, NULL, err, errlen);
	}
}

/* A command word (first or second), or an operand once the command is
 * known. */
static int take_word(struct parser *p, const char *word, char *err,
		     size_t errlen)
{
	int g;

	if (p->cmd) {
		p->out->ops[p->out->nops++] = word;
		return 0;
	}
	if (p->group) {
		p->cmd = find_command(p->group, word);
		if (!p->cmd)
			return cli_usage_msg(err, errlen, "unknown command '%s %s': expected %s after '%s'",
					     p->group, word,
					     groups[find_group(p->group)].subwords,
					     p->group);
	} else {
		g = find_group(word);
		if (g >= 0) {
			p->group = groups[g].word;
			return 0;
		}
		p->cmd = find_command(NULL, word);
		if (!p->cmd)
			return cli_usage_msg(err, errlen, "unknown command '%s'", word);
	}
	p->out->command = p->cmd->command;
	return 0;
}

static int check_operands(const struct parser *p, char *err, size_t errlen)
{
	const struct command *cmd = p->cmd;
	const struct policy_args *a = p->out;
	char name[32];

	command_name(cmd, name, sizeof(name));
	if (a->nops < cmd->min_ops)
		return cli_usage_msg(err, errlen, "'%s' needs %s", name,
				     cmd->synopsis);
	if (cmd->max_ops >= 0 && a->nops > cmd->max_ops)
		return cli_usage_msg(err, errlen, "unexpected argument '%s' after '%s%s%s'",
				     a->ops[cmd->max_ops], name,
				     cmd->max_ops ? " " : "",
				     cmd->max_ops ? cmd->synopsis : "");
	return 0;
}

/* The options and operands, in argv's order. 0, 1 for help, or -1. */
static int parse_words(struct parser *p, int argc, char **argv, char *err,
		       size_t errlen)
{
	char name[32];
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
		if (flag && !(p->cmd->options & flag)) {
			command_name(p->cmd, name, sizeof(name));
			return cli_usage_msg(err, errlen, "'%s' takes no option '--%s'",
					     name, cli_option_name(long_options, c));
		}
		if (apply_option(p, c, optarg, err, errlen))
			return -1;
	}
	/* after "--": the rest are operands (the command's words first) */
	for (; optind < argc; optind++)
		if (take_word(p, argv[optind], err, errlen))
			return -1;
	if (p->help)
		return 1;
	if (p->group && !p->cmd)
		return cli_usage_msg(err, errlen, "'%s' needs %s", p->group,
				     groups[find_group(p->group)].subwords);
	if (!p->cmd)
		return cli_usage_msg(err, errlen, "no command given");
	return check_operands(p, err, errlen);
}

/* apply's files: "-" (standard input) can be read once only. */
static int check_files(const struct policy_args *a, char *err, size_t errlen)
{
	bool stdin_seen = false;
	int i;

	for (i = 0; i < a->nops; i++) {
		if (!a->ops[i][0])
			return cli_usage_msg(err, errlen, "invalid FILE '': empty path");
		if (strcmp(a->ops[i], "-") != 0)
			continue;
		if (stdin_seen)
			return cli_usage_msg(err, errlen, "'-' (standard input) given twice");
		stdin_seen = true;
	}
	return 0;
}

/* What the command line alone can judge once it is all read. */
static int check_values(struct policy_args *a, char *err, size_t errlen)
{
	uint64_t v;

	switch (a->command) {
	case POLICY_CMD_ENDPOINT_ADD:
		if (!a->n_addrs)
			return cli_usage_msg(err, errlen, "'endpoint add' needs --ip ADDR");
		if (!a->labels)
			return cli_usage_msg(err, errlen, "'endpoint add' needs --labels K=V[,K=V]...");
		return 0;
	case POLICY_CMD_APPLY:
		return check_files(a, err, errlen);
	case POLICY_CMD_LIST:
		if (a->yaml && a->opts.json)
			return cli_usage_msg(err, errlen, "'list' takes --yaml or --json, not both");
		return 0;
	case POLICY_CMD_TRACE:
		if (!a->from || !a->to || !a->proto)
			return cli_usage_msg(err, errlen, "'trace' needs --from, --to and --port");
		return 0;
	case POLICY_CMD_VERDICTS:
		if (!a->follow && (a->opts.count || a->opts.duration_s))
			return cli_usage_msg(err, errlen, "'verdicts' takes --count and --duration with --follow only");
		return 0;
	case POLICY_CMD_SET_EVENTS:
		if (cli_parse_number(&event_rate_number, a->ops[0], &v, err, errlen))
			return -1;
		a->events_rate = (uint32_t)v;
		return 0;
	default:
		return 0;
	}
}

int policy_args_parse(int argc, char **argv, struct policy_args *out,
		      char *err, size_t errlen)
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

void policy_args_free(struct policy_args *args)
{
	if (!args)
		return;
	free(args->ops);
	args->ops = NULL;
	args->nops = 0;
}
