/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-flow's command line: the commands with the options and operand
 * counts each takes, global options anywhere, numbers, addresses,
 * durations and times parsed strictly; wrong lines are usage errors that
 * say why. And the record filter observe's options describe.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cli_args.h"
#include "cli_command.h"
#include "flow_args.h"

/* Besides the shared ones. */
enum {
	OPT_FOLLOW = 0x100,
	OPT_LAST,
	OPT_IFACE,
	OPT_IP,
	OPT_PORT,
	OPT_PROTOCOL,
	OPT_VERDICT,
	OPT_SINCE,
	OPT_TYPE,
	OPT_NODE_NAME,
	OPT_LISTEN,
	OPT_TEXTFILE,
	OPT_EVERY,
	OPT_DOT,
	OPT_SVG,
};

/* Options a command takes besides the global ones. */
#define OPTF_FOLLOW (1u << 0)
#define OPTF_LAST (1u << 1)
#define OPTF_FILTER (1u << 2)    /* --iface --ip --port --protocol --verdict --since --type */
#define OPTF_COUNT (1u << 3)
#define OPTF_DURATION (1u << 4)
#define OPTF_NODE_NAME (1u << 5)
#define OPTF_METRICS (1u << 6)   /* --listen --textfile --every */
#define OPTF_MAP (1u << 7)       /* --dot --svg */

static const struct option long_options[] = {
	CLI_OPTIONS_PINNED,
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "last", required_argument, NULL, OPT_LAST },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "verdict", required_argument, NULL, OPT_VERDICT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "dot", required_argument, NULL, OPT_DOT },
	{ "svg", required_argument, NULL, OPT_SVG },
	CLI_OPTION_COUNT,
	CLI_OPTION_DURATION,
	CLI_OPTION_END,
};

static const struct cli_command commands[] = {
	{ NULL, "attach", FLOW_CMD_ATTACH, 0, 1, -1, "IFACE..." },
	{ NULL, "detach", FLOW_CMD_DETACH, 0, 1, -1, "IFACE..." },
	{ NULL, "status", FLOW_CMD_STATUS, 0, 0, 0, "" },
	{ NULL, "observe", FLOW_CMD_OBSERVE,
	  OPTF_FOLLOW | OPTF_LAST | OPTF_FILTER | OPTF_COUNT | OPTF_DURATION |
		  OPTF_NODE_NAME, 0, 0, "" },
	{ NULL, "metrics", FLOW_CMD_METRICS, OPTF_METRICS | OPTF_DURATION, 0, 0, "" },
	{ NULL, "map", FLOW_CMD_MAP, OPTF_MAP | OPTF_FOLLOW | OPTF_DURATION, 0, 0, "" },
};

/* Which flag each command option needs. */
static const struct cli_command_option command_options[] = {
	{ OPT_FOLLOW, OPTF_FOLLOW },
	{ OPT_LAST, OPTF_LAST },
	{ OPT_IFACE, OPTF_FILTER },
	{ OPT_IP, OPTF_FILTER },
	{ OPT_PORT, OPTF_FILTER },
	{ OPT_PROTOCOL, OPTF_FILTER },
	{ OPT_VERDICT, OPTF_FILTER },
	{ OPT_SINCE, OPTF_FILTER },
	{ OPT_TYPE, OPTF_FILTER },
	{ CLI_OPT_COUNT, OPTF_COUNT },
	{ CLI_OPT_DURATION, OPTF_DURATION },
	{ OPT_NODE_NAME, OPTF_NODE_NAME },
	{ OPT_LISTEN, OPTF_METRICS },
	{ OPT_TEXTFILE, OPTF_METRICS },
	{ OPT_EVERY, OPTF_METRICS },
	{ OPT_DOT, OPTF_MAP },
	{ OPT_SVG, OPTF_MAP },
};

static const struct cli_grammar grammar = {
	commands, CLI_COUNT(commands), NULL, 0,
	command_options, CLI_COUNT(command_options), long_options,
};

static const struct cli_number last_number = { "--last", 1, UINT32_MAX, NULL };
static const struct cli_number port_number = { "--port", 1, 65535, NULL };
static const struct cli_number every_number = {
	"--every", 1, CLI_DURATION_MAX, NULL
};

/* --protocol words and the numbers they stand for. */
static const struct {
	const char *name;
	uint8_t proto;
} protocols[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
};

/* --type words, by FLOW_TYPE_* bit order. */
static const char *const type_words[] = { "flow", "dns", "drop", "policy", NULL };

void flow_args_usage(FILE *out)
{
	fputs("Usage: ebpfnet-flow [GLOBAL OPTION]... COMMAND [ARG]...\n"
	      "Observe this node's network flows (Hubble-style): TC programs on the chosen\n"
	      "interfaces fold packets into flows; DNS messages and the drops of the other\n"
	      "objects are shown too. The observer is pinned: it keeps counting after the\n"
	      "command exits.\n"
	      "\n"
	      "Commands:\n"
	      "  attach IFACE...               observe IFACE's packets (ingress and egress)\n"
	      "  detach IFACE...               stop observing (the last one removes it all)\n"
	      "  status                        interfaces, settings and counters (lost events too)\n"
	      "  observe [--follow] [--last N] [FILTER]... [--count N] [--duration SEC]\n"
	      "          [--node-name NAME]    without --follow: the N (default 20) most\n"
	      "                                recently seen flows of the table; with it:\n"
	      "                                flow and DNS records as they come (after the\n"
	      "                                --last N most recent flows, when given)\n"
	      "  metrics [--listen ADDR:PORT] [--textfile PATH [--every SEC]] [--duration SEC]\n"
	      "                                Prometheus metrics of the live records, served\n"
	      "                                on http://ADDR:PORT/metrics (default\n"
	      "                                " FLOW_LISTEN_DEFAULT ") and/or written to PATH\n"
	      "  map [--dot FILE] [--svg FILE] [--follow [--duration SEC]]\n"
	      "                                the service map (who talks to whom) of the\n"
	      "                                table, or of the live records, as Graphviz DOT\n"
	      "                                or SVG (needs dot(1))\n"
	      "\n"
	      "FILTER (observe): --iface IF (repeatable), --ip ADDR[/PREFIX], --port N,\n"
	      "  --protocol tcp|udp|icmp|icmpv6|N, --verdict forwarded|dropped,\n"
	      "  --since DURATION|TIME (30s, 5m, 1h, or RFC 3339: 2026-11-21T10:00:00Z),\n"
	      "  --type flow|dns|drop|policy (repeatable)\n"
	      "\n"
	      "Global options (before or after the command):\n"
	      "      --pin-root DIR    the observer's pinned state lives under DIR/flow\n"
	      "                        (default " EBPFNET_PIN_ROOT_DEFAULT ")\n"
	      "      --json            print data as JSON (records: one object a line)\n"
	      "  -v, --verbose         show the library's and libbpf's messages\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 on success (also after SIGINT or SIGTERM when following),\n"
	      "1 on error, 2 on a usage error. See ebpfnet-flow(8).\n",
	      out);
}

/* ---- values -------------------------------------------------------------- */

/* ADDR or ADDR/PREFIX, IPv4 or IPv6; host bits cleared. */
static int parse_ip(struct flow_filter *f, const char *arg, char *err,
		    size_t errlen)
{
	struct cli_number prefix = { "--ip prefix", 0, 32, NULL };
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(arg, '/');
	size_t len = slash ? (size_t)(slash - arg) : strlen(arg);
	uint64_t bits;
	unsigned int i;

	if (len >= sizeof(addr))
		goto bad;
	memcpy(addr, arg, len);
	addr[len] = '\0';
	memset(f->ip, 0, sizeof(f->ip));
	if (inet_pton(AF_INET, addr, f->ip) == 1) {
		f->ip_family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, f->ip) == 1) {
		f->ip_family = AF_INET6;
		prefix.max = 128;
	} else {
		goto bad;
	}
	bits = prefix.max;
	if (slash && cli_parse_number(&prefix, slash + 1, &bits, err, errlen))
		return -1;
	f->ip_prefix = (uint8_t)bits;
	for (i = 0; i < 16; i++) {
		unsigned int keep = bits >= 8 * (i + 1) ? 8 :
				    bits > 8 * i ? (unsigned int)bits - 8 * i : 0;

		f->ip[i] &= (uint8_t)(0xff00u >> keep);
	}
	f->has_ip = true;
	return 0;
bad:
	return cli_usage_msg(err, errlen, "invalid --ip '%s': not an IPv4 or IPv6 address (or ADDR/PREFIX)",
			     arg);
}

static int parse_protocol(struct flow_filter *f, const char *arg, char *err,
			  size_t errlen)
{
	static const struct cli_number proto_number = {
		"--protocol", 0, 255, "expected tcp, udp, icmp, icmpv6 or a number"
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (strcasecmp(protocols[i].name, arg) == 0) {
			f->proto = protocols[i].proto;
			f->has_proto = true;
			return 0;
		}
	}
	if (cli_parse_number(&proto_number, arg, &v, err, errlen))
		return -1;
	f->proto = (uint8_t)v;
	f->has_proto = true;
	return 0;
}

static int parse_verdict(struct flow_filter *f, const char *arg, char *err,
			 size_t errlen)
{
	if (strcasecmp(arg, "forwarded") == 0)
		f->verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	else if (strcasecmp(arg, "dropped") == 0)
		f->verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	else
		return cli_usage_msg(err, errlen, "invalid --verdict '%s': expected forwarded or dropped",
				     arg);
	return 0;
}

static int parse_type(struct flow_filter *f, const char *arg, char *err,
		      size_t errlen)
{
	int i;

	for (i = 0; type_words[i]; i++) {
		if (strcmp(type_words[i], arg) == 0) {
			f->types |= 1u << i;
			return 0;
		}
	}
	return cli_usage_msg(err, errlen, "invalid --type '%s': expected flow, dns, drop or policy",
			     arg);
}

/* "ADDR:PORT" with an IPv4 address or a bracketed IPv6 one, port 0-65535
 * (0: the system picks one). The library opens it. */
static int check_listen(const char *arg, char *err, size_t errlen)
{
	static const struct cli_number listen_port = { "--listen port", 0, 65535, NULL };
	const char *colon = strrchr(arg, ':'), *h = arg;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char buf[16];
	uint64_t port;
	size_t len;
	int family = AF_INET;

	if (!colon)
		goto bad;
	len = (size_t)(colon - arg);
	if (h[0] == '[') {
		if (len < 2 || h[len - 1] != ']')
			goto bad;
		h++;
		len -= 2;
		family = AF_INET6;
	}
	if (len == 0 || len >= sizeof(host))
		goto bad;
	memcpy(host, h, len);
	host[len] = '\0';
	if (inet_pton(family, host, buf) != 1)
		goto bad;
	return cli_parse_number(&listen_port, colon + 1, &port, err, errlen);
bad:
	return cli_usage_msg(err, errlen, "invalid --listen '%s': expected ADDR:PORT (127.0.0.1:9965 or [::1]:9965)",
			     arg);
}

/* Exactly n digits at *s: their value, *s moved past them; -1 otherwise. */
static int take_digits(const char **s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD[Tt ]HH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM): ns since the
 * epoch; -1 when s is not such a time or lies before 1970. */
static int parse_rfc3339(const char *s, uint64_t *out)
{
	int y, mo, d, h, mi, sec, oh, om, sign;
	uint64_t frac_ns = 0, scale = 100000000;
	int64_t t;

	if ((y = take_digits(&s, 4)) < 0 || *s++ != '-' ||
	    (mo = take_digits(&s, 2)) < 0 || *s++ != '-' ||
	    (d = take_digits(&s, 2)) < 0 || (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if ((h = take_digits(&s, 2)) < 0 || *s++ != ':' ||
	    (mi = take_digits(&s, 2)) < 0 || *s++ != ':' ||
	    (sec = take_digits(&s, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac_ns += (uint64_t)(*s - '0') * scale;
	}
	if (*s == 'Z' || *s == 'z') {
		oh = om = 0;
		sign = 1;
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if ((oh = take_digits(&s, 2)) < 0 || *s++ != ':' ||
		    (om = take_digits(&s, 2)) < 0 || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	/* up to the year 2554: ns since the epoch fit in 64 bits */
	if (t < 0 || t > (int64_t)(UINT64_MAX / 1000000000u) - 1)
		return -1;
	*out = (uint64_t)t * 1000000000u + frac_ns;
	return 0;
}

/* One or more NUMBER UNIT groups ("1h30m"), units ms, s, m, h, d. */
static int parse_duration(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		/* "ms" before "m" */
		{ "ms", 1000000ull }, { "s", 1000000000ull }, { "m", 60000000000ull },
		{ "h", 3600000000000ull }, { "d", 86400000000000ull },
	};
	uint64_t total = 0;

	if (!*s)
		return -1;
	while (*s) {
		uint64_t n = 0;
		size_t i, ulen = 0;

		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (n > (UINT64_MAX - 9) / 10)
				return -1;
			n = n * 10 + (uint64_t)(*s - '0');
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ulen = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, ulen) == 0)
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		if (n > (UINT64_MAX - total) / units[i].ns)
			return -1;
		total += n * units[i].ns;
		s += ulen;
	}
	*out = total;
	return 0;
}

int flow_parse_since(const char *s, uint64_t *ago_ns, uint64_t *abs_ns,
		     char *err, size_t errlen)
{
	*ago_ns = *abs_ns = 0;
	if (parse_duration(s, ago_ns) == 0)
		return 0;
	*ago_ns = 0;
	if (parse_rfc3339(s, abs_ns) == 0)
		return 0;
	*abs_ns = 0;
	return cli_usage_msg(err, errlen, "invalid --since '%s': expected a duration (30s, 5m, 1h) or an RFC 3339 time (2026-11-21T10:00:00Z)",
			     s);
}

void flow_args_resolve(struct flow_args *args, uint64_t now_ns)
{
	if (args->since_abs_ns)
		args->filter.since_ns = args->since_abs_ns;
	else if (args->since_ago_ns)
		args->filter.since_ns = now_ns > args->since_ago_ns ?
					now_ns - args->since_ago_ns : 1;
	else
		args->filter.since_ns = 0;
}

/* ---- options and operands ------------------------------------------------ */

static int apply_option(void *args, int c, const char *arg, char *err,
			size_t errlen)
{
	struct flow_args *out = args;
	uint64_t v;

	switch (c) {
	case CLI_OPT_PIN_ROOT:
		return cli_parse_path("--pin-root", arg, &out->pin_root, err, errlen);
	case OPT_FOLLOW:
		out->follow = true;
		return 0;
	case OPT_LAST:
		return cli_parse_number(&last_number, arg, &out->last, err, errlen);
	case OPT_IFACE:
		if (!*arg)
			return cli_usage_msg(err, errlen, "invalid --iface '': empty name");
		out->filter.ifaces[out->filter.nifaces++] = arg;
		return 0;
	case OPT_IP:
		return parse_ip(&out->filter, arg, err, errlen);
	case OPT_PORT:
		if (cli_parse_number(&port_number, arg, &v, err, errlen))
			return -1;
		out->filter.port = (uint16_t)v;
		out->filter.has_port = true;
		return 0;
	case OPT_PROTOCOL:
		return parse_protocol(&out->filter, arg, err, errlen);
	case OPT_VERDICT:
		return parse_verdict(&out->filter, arg, err, errlen);
	case OPT_SINCE:
		return flow_parse_since(arg, &out->since_ago_ns, &out->since_abs_ns,
					err, errlen);
	case OPT_TYPE:
		return parse_type(&out->filter, arg, err, errlen);
	case OPT_NODE_NAME:
		if (!*arg)
			return cli_usage_msg(err, errlen, "invalid --node-name '': empty name");
		out->node_name = arg;
		return 0;
	case OPT_LISTEN:
		if (check_listen(arg, err, errlen))
			return -1;
		out->listen = arg;
		return 0;
	case OPT_TEXTFILE:
		return cli_parse_path("--textfile", arg, &out->textfile, err, errlen);
	case OPT_EVERY:
		if (cli_parse_number(&every_number, arg, &v, err, errlen))
			return -1;
		out->every_s = (uint32_t)v;
		return 0;
	case OPT_DOT:
		return cli_parse_path("--dot", arg, &out->dot, err, errlen);
	case OPT_SVG:
		return cli_parse_path("--svg", arg, &out->svg, err, errlen);
	default:
		return cli_apply_opt(&out->opts, c, arg, NULL, err, errlen);
	}
}

/* What options say together; the defaults of those not given. */
static int check_combinations(struct flow_args *a, char *err, size_t errlen)
{
	switch (a->command) {
	case FLOW_CMD_OBSERVE:
		if (a->opts.duration_s && !a->follow)
			return cli_usage_msg(err, errlen, "option '--duration' needs '--follow'");
		if (!a->follow && !a->last)
			a->last = FLOW_LAST_DEFAULT;
		return 0;
	case FLOW_CMD_METRICS:
		if (a->every_s && !a->textfile)
			return cli_usage_msg(err, errlen, "option '--every' needs '--textfile'");
		if (!a->every_s)
			a->every_s = FLOW_EVERY_DEFAULT;
		if (!a->listen && !a->textfile)
			a->listen = FLOW_LISTEN_DEFAULT;
		return 0;
	case FLOW_CMD_MAP:
		if (!a->dot && !a->svg)
			return cli_usage_msg(err, errlen, "'map' needs --dot FILE or --svg FILE");
		if (a->opts.duration_s && !a->follow)
			return cli_usage_msg(err, errlen, "option '--duration' needs '--follow'");
		return 0;
	default:
		return 0;
	}
}

int flow_args_parse(int argc, char **argv, struct flow_args *out, char *err,
		    size_t errlen)
{
	struct cli_parser p = {
		.grammar = &grammar, .apply_option = apply_option, .out = out
	};
	int rc;

	if (cli_parse_begin(out, argc, 0, argv, err, errlen))
		return -1;
	memset(out, 0, sizeof(*out));
	/* at most every element an --iface; +1: calloc(0) may be NULL */
	out->filter.ifaces = calloc((size_t)argc + 1, sizeof(*out->filter.ifaces));
	if (!out->filter.ifaces)
		return cli_usage_msg(err, errlen, "out of memory");
	rc = cli_command_parse(&p, argc, argv, &out->ops, &out->nops, err, errlen);
	if (rc)
		return rc;
	out->command = (enum flow_command)p.cmd->id;
	return check_combinations(out, err, errlen);
}

void flow_args_free(struct flow_args *args)
{
	if (!args)
		return;
	free(args->ops);
	args->ops = NULL;
	args->nops = 0;
	free(args->filter.ifaces);
	args->filter.ifaces = NULL;
	args->filter.nifaces = 0;
}

/* ---- the filter ---------------------------------------------------------- */

static bool match_iface(const struct flow_filter *f, const char *ifname)
{
	int i;

	if (!f->nifaces)
		return true;
	for (i = 0; i < f->nifaces; i++)
		if (strncmp(f->ifaces[i], ifname, 16) == 0)
			return true;
	return false;
}

static bool match_addr(const struct flow_filter *f, uint8_t family,
		       const uint8_t *addr)
{
	unsigned int bits = f->ip_prefix, i;

	if (family != f->ip_family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (addr[i] != f->ip[i])
			return false;
	return !bits || ((addr[i] ^ f->ip[i]) & (uint8_t)(0xff00u >> bits)) == 0;
}

/* --ip, --port, --protocol, --iface, --since: what flows and DNS records
 * share. */
static bool match_common(const struct flow_filter *f, const char *ifname,
			 uint8_t family, uint8_t proto,
			 const struct ebpfnet_flow_peer *src,
			 const struct ebpfnet_flow_peer *dst, uint64_t time_ns)
{
	if (!match_iface(f, ifname))
		return false;
	if (f->has_ip && !match_addr(f, family, src->addr) &&
	    !match_addr(f, family, dst->addr))
		return false;
	if (f->has_port && src->port != f->port && dst->port != f->port)
		return false;
	if (f->has_proto && proto != f->proto)
		return false;
	return !f->since_ns || time_ns >= f->since_ns;
}

bool flow_filter_match(const struct flow_filter *f,
		       const struct ebpfnet_flow_record *flow)
{
	unsigned int type = flow->kind == EBPFNET_FLOW_DROP ? FLOW_TYPE_DROP :
			    flow->kind == EBPFNET_FLOW_POLICY ? FLOW_TYPE_POLICY :
			    FLOW_TYPE_FLOW;
	/* a snapshot's own time is the walk's: the flow's is its last packet */
	uint64_t when = flow->kind == EBPFNET_FLOW_SNAPSHOT ? flow->last_ns :
							      flow->time_ns;

	if (f->types && !(f->types & type))
		return false;
	if (f->verdict && flow->verdict != f->verdict)
		return false;
	return match_common(f, flow->ifname, flow->family, flow->proto,
			    &flow->src, &flow->dst, when);
}

bool flow_filter_match_dns(const struct flow_filter *f,
			   const struct ebpfnet_flow_dns *dns)
{
	if (f->types && !(f->types & FLOW_TYPE_DNS))
		return false;
	/* a DNS message the observer saw went through */
	if (f->verdict && f->verdict != EBPFNET_FLOW_VERDICT_FORWARDED)
		return false;
	return match_common(f, dns->ifname, dns->family, dns->proto, &dns->src,
			    &dns->dst, dns->time_ns);
}
