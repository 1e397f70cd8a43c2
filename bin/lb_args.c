/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-lb (see lb_args.h): a table of commands of
 * one or two words, getopt_long for the options, the library's text
 * functions for services, addresses and flows.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
#include "lb_args.h"

/* --json, -v and -h are the shared ones of cli_args.h. */
enum {
	OPT_MODE = 0x100,
	OPT_TABLE_SIZE,
	OPT_WEIGHT,
	OPT_STATE,
	OPT_OUTER_SRC4,
	OPT_OUTER_SRC6,
	OPT_PICK,
	OPT_AFFINITY,
	OPT_REFUSE_BIND,
};

/* The options a command takes besides the global ones, by bit. */
enum {
	OPTF_MODE = 1u << 0,
	OPTF_TABLE_SIZE = 1u << 1,
	OPTF_WEIGHT = 1u << 2,
	OPTF_STATE = 1u << 3,
	OPTF_OUTER_SRC4 = 1u << 4,
	OPTF_OUTER_SRC6 = 1u << 5,
	OPTF_PICK = 1u << 6,
	OPTF_AFFINITY = 1u << 7,
	OPTF_REFUSE_BIND = 1u << 8,
};
#define OPTF_OUTER (OPTF_OUTER_SRC4 | OPTF_OUTER_SRC6)
#define N_CMD_OPTIONS 9

static const struct option long_options[] = {
	CLI_OPTIONS_PINNED,
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "table-size", required_argument, NULL, OPT_TABLE_SIZE },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "outer-src4", required_argument, NULL, OPT_OUTER_SRC4 },
	{ "outer-src6", required_argument, NULL, OPT_OUTER_SRC6 },
	{ "pick", required_argument, NULL, OPT_PICK },
	{ "affinity", required_argument, NULL, OPT_AFFINITY },
	{ "refuse-bind", no_argument, NULL, OPT_REFUSE_BIND },
	CLI_OPTION_END,
};

/* '-': operands come back in order as option 1 (whatever POSIXLY_CORRECT
 * says), so options may follow the command; ':': we word the errors. */
static const char short_options[] = "-:vh";

struct command {
	const char *group;     /* first word */
	const char *sub;       /* second word, or NULL */
	enum lb_cmd cmd;
	unsigned int options;  /* OPTF_* */
	int nops;              /* operands after the words, at least */
	int optional_ops;      /* and at most this many more */
	const char *synopsis;  /* of the operands, for the messages */
};

/* Commands that may create the balancer take the outer source prefixes
 * it is created with. */
static const struct command commands[] = {
	{ "attach", NULL, LB_CMD_ATTACH, OPTF_MODE | OPTF_OUTER, 1, 0, "IFACE" },
	{ "detach", NULL, LB_CMD_DETACH, 0, 1, 0, "IFACE" },
	{ "service", "add", LB_CMD_SERVICE_ADD,
	  OPTF_TABLE_SIZE | OPTF_PICK | OPTF_AFFINITY | OPTF_OUTER, 1, 0,
	  "VIP:PORT/PROTO" },
	{ "service", "del", LB_CMD_SERVICE_DEL, 0, 1, 0, "VIP:PORT/PROTO" },
	{ "backend", "add", LB_CMD_BACKEND_ADD, OPTF_WEIGHT | OPTF_OUTER, 2, 0,
	  "SERVICE ADDR" },
	{ "backend", "del", LB_CMD_BACKEND_DEL, 0, 2, 0, "SERVICE ADDR" },
	{ "backend", "set", LB_CMD_BACKEND_SET, OPTF_WEIGHT | OPTF_STATE, 2, 0,
	  "SERVICE ADDR" },
	{ "decap", "attach", LB_CMD_DECAP_ATTACH, OPTF_OUTER, 1, 0, "IFACE" },
	{ "decap", "detach", LB_CMD_DECAP_DETACH, 0, 1, 0, "IFACE" },
	{ "socket", "attach", LB_CMD_SOCKET_ATTACH, OPTF_REFUSE_BIND | OPTF_OUTER,
	  0, 1, "[CGROUP]" },
	{ "socket", "detach", LB_CMD_SOCKET_DETACH, 0, 0, 1, "[CGROUP]" },
	{ "socket", "list", LB_CMD_SOCKET_LIST, 0, 0, 0, "" },
	{ "list", NULL, LB_CMD_LIST, 0, 0, 0, "" },
	{ "stats", NULL, LB_CMD_STATS, 0, 0, 0, "" },
	{ "simulate", NULL, LB_CMD_SIMULATE, 0, 2, 0, "SRC:SPORT DST:DPORT/PROTO" },
	{ "set", "mtu-policy", LB_CMD_SET_MTU_POLICY, 0, 1, 0, "drop|icmp" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Indexed by the enums' values. */
static const char *const mode_words[] = { "auto", "native", "generic", NULL };
static const char *const state_words[] = { "active", "draining", "down", NULL };
static const char *const mtu_words[] = { "drop", "icmp", NULL };
static const char *const pick_words[] = { "maglev", "random", NULL };

/* Which OPTF_* bit an option is (0 for the global ones), and its index
 * among the command options. */
static unsigned int option_flag(int c)
{
	switch (c) {
	case OPT_MODE: return OPTF_MODE;
	case OPT_TABLE_SIZE: return OPTF_TABLE_SIZE;
	case OPT_WEIGHT: return OPTF_WEIGHT;
	case OPT_STATE: return OPTF_STATE;
	case OPT_OUTER_SRC4: return OPTF_OUTER_SRC4;
	case OPT_OUTER_SRC6: return OPTF_OUTER_SRC6;
	case OPT_PICK: return OPTF_PICK;
	case OPT_AFFINITY: return OPTF_AFFINITY;
	case OPT_REFUSE_BIND: return OPTF_REFUSE_BIND;
	default: return 0;
	}
}

static int flag_index(unsigned int flag)
{
	return __builtin_ctz(flag);
}

/* The command line as collected, before it is understood. */
struct raw {
	const char *words[LB_ARGS_MAX_OPS + 2];  /* command words and operands */
	int nwords;                              /* may exceed the array */
	unsigned int seen;                       /* OPTF_* given */
	const char *opt_arg[N_CMD_OPTIONS];      /* their values, the last wins */
	int opt_val[N_CMD_OPTIONS];
};

static int apply_global(struct lb_args *a, int c, const char *arg, char *err,
			size_t errlen)
{
	switch (c) {
	case CLI_OPT_PIN_ROOT:
		return cli_parse_path("--pin-root", arg, &a->pin_root, err, errlen);
	case CLI_OPT_HELP:
		a->help = true;
		return 0;
	default:
		return cli_apply_opt(&a->opts, c, arg, NULL, err, errlen);
	}
}

static void add_word(struct raw *raw, const char *word)
{
	if (raw->nwords < LB_ARGS_MAX_OPS + 2)
		raw->words[raw->nwords] = word;
	raw->nwords++;
}

/* getopt_long over argv into *raw and the global options. */
static int collect(int argc, char **argv, struct lb_args *a, struct raw *raw,
		   char *err, size_t errlen)
{
	int c;

	cli_getopt_restart();
	while ((c = cli_getopt_next(argc, argv, short_options, long_options,
				    err, errlen)) != -1) {
		unsigned int flag;

		if (c == CLI_GETOPT_ERROR)
			return -1;
		if (c == 1) {
			add_word(raw, optarg);
			continue;
		}
		flag = option_flag(c);
		if (!flag) {
			if (apply_global(a, c, optarg, err, errlen))
				return -1;
			continue;
		}
		if (!raw->nwords)
			return cli_usage_msg(err, errlen, "option '--%s' must follow its command",
					     cli_option_name(long_options, c));
		raw->seen |= flag;
		raw->opt_arg[flag_index(flag)] = optarg;
		raw->opt_val[flag_index(flag)] = c;
	}
	/* after "--": operands only */
	for (; optind < argc; optind++)
		add_word(raw, argv[optind]);
	return 0;
}

/* "add or del", "add, del or set": the second words of `group`. */
static void list_subs(const char *group, char *buf, size_t len)
{
	size_t i, n = 0, k = 0;

	for (i = 0; i < N_COMMANDS; i++)
		if (commands[i].sub && !strcmp(commands[i].group, group))
			n++;
	buf[0] = '\0';
	for (i = 0; i < N_COMMANDS; i++) {
		size_t used = strlen(buf);

		if (!commands[i].sub || strcmp(commands[i].group, group))
			continue;
		k++;
		snprintf(buf + used, len - used, "%s%s",
			 k == 1 ? "" : k == n ? " or " : ", ", commands[i].sub);
	}
}

/* The command the first words name; its words are used up. */
static int find_command(const struct raw *raw, const struct command **out,
			char *err, size_t errlen)
{
	const char *group = raw->words[0], *sub = raw->nwords > 1 ? raw->words[1] : NULL;
	bool group_known = false;
	char subs[64];
	size_t i;

	if (!raw->nwords)
		return cli_usage_msg(err, errlen, "no command given");
	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].group, group))
			continue;
		group_known = true;
		if (!commands[i].sub || (sub && !strcmp(commands[i].sub, sub))) {
			*out = &commands[i];
			return 0;
		}
	}
	if (!group_known)
		return cli_usage_msg(err, errlen, "unknown command '%s'", group);
	list_subs(group, subs, sizeof(subs));
	if (!sub)
		return cli_usage_msg(err, errlen, "'%s' needs a subcommand: %s",
				     group, subs);
	return cli_usage_msg(err, errlen, "unknown command '%s %s' ('%s' takes %s)",
			     group, sub, group, subs);
}

static int check_operands(const struct command *cmd, const struct raw *raw,
			  int first_op, struct lb_args *a, char *err,
			  size_t errlen)
{
	int i = 0;

	a->nops = raw->nwords - first_op;
	if (a->nops < cmd->nops)
		return cli_usage_msg(err, errlen, "'%s' needs %s", a->cmd_name,
				     cmd->synopsis);
	if (a->nops > cmd->nops + cmd->optional_ops)
		return cli_usage_msg(err, errlen, "unexpected argument '%s' after '%s%s%s'",
				     raw->words[first_op + cmd->nops + cmd->optional_ops],
				     a->cmd_name, *cmd->synopsis ? " " : "",
				     cmd->synopsis);
	for (i = 0; i < a->nops; i++)
		a->ops[i] = raw->words[first_op + i];
	return 0;
}

static int apply_command_option(struct lb_args *a, int c, const char *arg,
				char *err, size_t errlen)
{
	static const struct cli_number table_size = { "--table-size", 1, UINT32_MAX, NULL };
	static const struct cli_number weight = { "--weight", 1, 65535, NULL };
	static const struct cli_number affinity = { "--affinity", 0, UINT32_MAX, NULL };
	uint64_t v;
	int i = 0;

	switch (c) {
	case OPT_MODE:
		if (cli_parse_word("--mode", mode_words, "auto, native or generic",
			       arg, &i, err, errlen))
			return -1;
		a->mode = (enum ebpfnet_xdp_mode)i;
		return 0;
	case OPT_TABLE_SIZE:
		/* a prime: the library says so when it is not */
		if (cli_parse_number(&table_size, arg, &v, err, errlen))
			return -1;
		a->table_size = (uint32_t)v;
		return 0;
	case OPT_WEIGHT:
		if (cli_parse_number(&weight, arg, &v, err, errlen))
			return -1;
		a->has_weight = true;
		a->weight = (uint32_t)v;
		return 0;
	case OPT_STATE:
		if (cli_parse_word("--state", state_words, "active, draining or down",
			       arg, &i, err, errlen))
			return -1;
		a->has_state = true;
		a->state = (enum ebpfnet_lb_backend_state)i;
		return 0;
	case OPT_PICK:
		if (cli_parse_word("--pick", pick_words, "maglev or random", arg, &i,
			       err, errlen))
			return -1;
		a->sock_pick = (enum ebpfnet_lb_sock_pick)i;
		return 0;
	case OPT_AFFINITY:
		/* seconds; 0: no affinity (as without the option) */
		if (cli_parse_number(&affinity, arg, &v, err, errlen))
			return -1;
		a->affinity_timeout = (uint32_t)v;
		return 0;
	case OPT_REFUSE_BIND:
		a->refuse_bind = true;
		return 0;
	case OPT_OUTER_SRC4:
	case OPT_OUTER_SRC6:
		/* a prefix: judged by the library, which knows what fits */
		if (!*arg)
			return cli_usage_msg(err, errlen, "invalid --%s '': empty prefix",
					     cli_option_name(long_options, c));
		if (c == OPT_OUTER_SRC4)
			a->outer_src4 = arg;
		else
			a->outer_src6 = arg;
		return 0;
	default:
		return cli_usage_msg(err, errlen, "internal error: option %d not handled", c);
	}
}

static int apply_command_options(const struct command *cmd,
				 const struct raw *raw, struct lb_args *a,
				 char *err, size_t errlen)
{
	int i = 0;

	for (i = 0; i < N_CMD_OPTIONS; i++) {
		unsigned int flag = 1u << i;

		if (!(raw->seen & flag))
			continue;
		if (!(cmd->options & flag))
			return cli_usage_msg(err, errlen, "'%s' takes no option '--%s'",
					     a->cmd_name,
					     cli_option_name(long_options, raw->opt_val[i]));
		if (apply_command_option(a, raw->opt_val[i], raw->opt_arg[i], err,
					 errlen))
			return -1;
	}
	return 0;
}

/* A library parser's reason ("service '...': ...") as a usage error. */
static int invalid(const char *reason, char *err, size_t errlen)
{
	return cli_usage_msg(err, errlen, "invalid %s", reason);
}

static int parse_service(const char *text, struct ebpfnet_lb_service *svc,
			 char *err, size_t errlen)
{
	char reason[256];

	memset(svc, 0, sizeof(*svc));
	svc->sz = sizeof(*svc);
	if (ebpfnet_lb_service_parse(text, svc, reason, sizeof(reason)))
		return invalid(reason, err, errlen);
	return 0;
}

static int parse_simulate(struct lb_args *a, char *err, size_t errlen)
{
	struct ebpfnet_lb_flow *flow = &a->flow;
	struct ebpfnet_lb_service dst;
	char reason[256];

	memset(flow, 0, sizeof(*flow));
	flow->sz = sizeof(*flow);
	if (ebpfnet_lb_endpoint_parse(a->ops[0], &flow->src, &flow->sport,
				      reason, sizeof(reason)))
		return invalid(reason, err, errlen);
	/* DST:DPORT/PROTO is written as a service is */
	if (parse_service(a->ops[1], &dst, err, errlen))
		return -1;
	if (dst.vip.family != flow->src.family)
		return cli_usage_msg(err, errlen, "'%s' and '%s' are of different address families",
				     a->ops[0], a->ops[1]);
	flow->dst = dst.vip;
	flow->dport = dst.port;
	flow->proto = dst.proto;
	return 0;
}

/* The operands, by command. */
static int parse_operands(struct lb_args *a, char *err, size_t errlen)
{
	char reason[256];
	int i = 0;

	switch (a->cmd) {
	case LB_CMD_ATTACH:
	case LB_CMD_DETACH:
	case LB_CMD_DECAP_ATTACH:
	case LB_CMD_DECAP_DETACH:
		/* a name the kernel does not know is an error, not a usage one */
		if (!*a->ops[0])
			return cli_usage_msg(err, errlen, "invalid interface name ''");
		a->ifname = a->ops[0];
		return 0;
	case LB_CMD_SERVICE_ADD:
	case LB_CMD_SERVICE_DEL:
		if (parse_service(a->ops[0], &a->service, err, errlen))
			return -1;
		a->service.table_size = a->table_size;
		a->service.sock_pick = a->sock_pick;
		a->service.affinity_timeout = a->affinity_timeout;
		return 0;
	case LB_CMD_BACKEND_ADD:
	case LB_CMD_BACKEND_DEL:
	case LB_CMD_BACKEND_SET:
		if (parse_service(a->ops[0], &a->service, err, errlen))
			return -1;
		if (ebpfnet_lb_addr_parse(a->ops[1], &a->addr, reason, sizeof(reason)))
			return invalid(reason, err, errlen);
		if (a->cmd == LB_CMD_BACKEND_SET && !a->has_weight && !a->has_state)
			return cli_usage_msg(err, errlen, "'backend set' needs --weight or --state (or both)");
		return 0;
	case LB_CMD_SIMULATE:
		return parse_simulate(a, err, errlen);
	case LB_CMD_SET_MTU_POLICY:
		if (cli_parse_word("mtu policy", mtu_words, "drop or icmp", a->ops[0],
			       &i, err, errlen))
			return -1;
		a->mtu_policy = (enum ebpfnet_lb_mtu_policy)i;
		return 0;
	case LB_CMD_SOCKET_ATTACH:
	case LB_CMD_SOCKET_DETACH:
		/* a path that is no cgroup2 directory is the library's to say */
		if (a->nops && !*a->ops[0])
			return cli_usage_msg(err, errlen, "invalid cgroup path ''");
		a->cgroup = a->nops ? a->ops[0] : NULL;
		return 0;
	case LB_CMD_SOCKET_LIST:
	case LB_CMD_LIST:
	case LB_CMD_STATS:
		return 0;
	}
	return cli_usage_msg(err, errlen, "internal error: command %d not handled", (int)a->cmd);
}

int lb_args_parse(int argc, char **argv, struct lb_args *a, char *err,
		  size_t errlen)
{
	const struct command *cmd = NULL;
	struct raw raw;
	int first_op;

	memset(a, 0, sizeof(*a));
	memset(&raw, 0, sizeof(raw));
	if (collect(argc, argv, a, &raw, err, errlen))
		return -1;
	if (a->help)
		return 1;
	if (find_command(&raw, &cmd, err, errlen))
		return -1;
	a->cmd = cmd->cmd;
	snprintf(a->cmd_name, sizeof(a->cmd_name), "%s%s%s", cmd->group,
		 cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
	first_op = cmd->sub ? 2 : 1;
	if (check_operands(cmd, &raw, first_op, a, err, errlen) ||
	    apply_command_options(cmd, &raw, a, err, errlen) ||
	    parse_operands(a, err, errlen))
		return -1;
	return 0;
}

void lb_args_usage(FILE *out)
{
	fputs("Usage: ebpfnet-lb [GLOBAL OPTION]... COMMAND [ARG]...\n"
	      "Manage this node's load balancer: in XDP for what interfaces receive\n"
	      "(Maglev, IPIP/IP6IP6, direct server return), and at the socket level for\n"
	      "local processes' connect()/sendmsg() (no NAT). Its state is pinned: it\n"
	      "keeps balancing after the command exits.\n"
	      "\n"
	      "Commands:\n"
	      "  attach IFACE [--mode auto|native|generic]   balance what IFACE receives\n"
	      "  detach IFACE                     stop balancing on IFACE\n"
	      "  service add VIP:PORT/PROTO [--table-size M] [--pick maglev|random]\n"
	      "              [--affinity SECONDS]  add a service\n"
	      "  service del VIP:PORT/PROTO       delete a service and its backends\n"
	      "  backend add SERVICE ADDR [--weight W]   add a backend to SERVICE\n"
	      "  backend del SERVICE ADDR         remove a backend\n"
	      "  backend set SERVICE ADDR [--weight W] [--state active|draining|down]\n"
	      "  decap attach IFACE               (on a backend) decapsulate what IFACE receives\n"
	      "  decap detach IFACE\n"
	      "  socket attach [CGROUP] [--refuse-bind]   balance the connect()/sendmsg()\n"
	      "                                   of CGROUP's processes (default: the\n"
	      "                                   cgroup2 root)\n"
	      "  socket detach [CGROUP]           stop balancing CGROUP's sockets\n"
	      "  socket list                      the cgroups balanced at the socket level\n"
	      "  list                             services, backends and their counters\n"
	      "  stats                            the balancer's counters\n"
	      "  simulate SRC:SPORT DST:DPORT/PROTO   the backend a new flow would go to\n"
	      "  set mtu-policy drop|icmp         packets too big once encapsulated\n"
	      "\n"
	      "VIP:PORT/PROTO: 10.0.0.1:80/tcp, [2001:db8::1]:443/udp; port 0: every port.\n"
	      "ADDR: 10.0.1.2 or 2001:db8::2. W: 1-65535. M: a prime (default 16381).\n"
	      "--pick: how a new socket picks a backend (maglev on its cookie, the default,\n"
	      "or random by weight); --affinity: seconds a client keeps its backend.\n"
	      "attach, service add, backend add, decap attach and socket attach also take\n"
	      "--outer-src4 PREFIX and --outer-src6 PREFIX, the outer source prefixes\n"
	      "(default 172.16.0.0/16 and 100::/64).\n"
	      "\n"
	      "Global options (before or after the command):\n"
	      "      --pin-root DIR    the pinned state lives under DIR\n"
	      "                        (default " EBPFNET_PIN_ROOT_DEFAULT ")\n"
	      "      --json            print data as JSON\n"
	      "  -v, --verbose         show the library's and libbpf's messages\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 on success, 1 on error, 2 on a usage error.\n"
	      "See ebpfnet-lb(8).\n",
	      out);
}
