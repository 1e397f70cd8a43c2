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
#include "cli_command.h"
#include "policy_args.h"

/* Besides the shared ones. */
enum {
	OPT_IP = 0x100,
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
	CLI_OPTIONS_PINNED,
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

static const struct cli_command commands[] = {
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
static const struct cli_command_group groups[] = {
	{ "endpoint", "add, del or list" },
	{ "set", "events" },
};

/* Which flag each command option needs. */
static const struct cli_command_option command_options[] = {
	{ OPT_IP, OPTF_IP },
	{ OPT_LABELS, OPTF_LABELS },
	{ OPT_YAML, OPTF_YAML },
	{ OPT_FOLLOW, OPTF_FOLLOW },
	{ CLI_OPT_COUNT, OPTF_COUNT },
	{ CLI_OPT_DURATION, OPTF_DURATION },
	{ OPT_FROM, OPTF_TRACE },
	{ OPT_TO, OPTF_TRACE },
	{ OPT_PORT, OPTF_TRACE },
	{ OPT_ALLOWED, OPTF_ALLOWED },
};

static const struct cli_grammar grammar = {
	commands, CLI_COUNT(commands), groups, CLI_COUNT(groups),
	command_options, CLI_COUNT(command_options), long_options,
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

static int apply_option(void *args, int c, const char *arg, char *err,
			size_t errlen)
{
	struct policy_args *out = args;

	switch (c) {
	case CLI_OPT_PIN_ROOT:
		return cli_parse_path("--pin-root", arg, &out->pin_root, err,
				      errlen);
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
	out->command = (enum policy_command)p.cmd->id;
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
