/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-flow's argument parser (bin/flow_args.c): every command with its
 * operands and options, global options before and after the command,
 * filters (addresses, prefixes, ports, protocols, verdicts, --since
 * durations and RFC 3339 times, types), option combinations and defaults,
 * getopt errors, "--", help, that it can be called again and again; and
 * the record filter matching flows and DNS records.
 */
#include <check.h>

#include "check_run.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow_args.h"

#define ARGS_CHECK_PROGRAM "ebpfnet-flow"
#define ARGS_CHECK_TYPE struct flow_args
#define ARGS_CHECK_PARSE flow_args_parse
#define ARGS_CHECK_USAGE flow_args_usage
#define ARGS_CHECK_FREE flow_args_free

#include "args_check.h"

#define NS 1000000000ull

START_TEST(test_commands)
{
	struct flow_args a;

	a = OK("status");
	ck_assert_int_eq(a.command, FLOW_CMD_STATUS);
	ck_assert_int_eq(a.nops, 0);
	ck_assert_ptr_null(a.pin_root);
	ck_assert(!a.opts.json);
	ck_assert(!a.opts.verbose);
	ck_assert(!a.follow);

	a = OK("attach", "eth0");
	ck_assert_int_eq(a.command, FLOW_CMD_ATTACH);
	ck_assert_int_eq(a.nops, 1);
	ck_assert_str_eq(a.ops[0], "eth0");
	a = OK("attach", "eth0", "veth1", "lo");
	ck_assert_int_eq(a.nops, 3);
	ck_assert_str_eq(a.ops[2], "lo");
	a = OK("detach", "eth0", "veth1");
	ck_assert_int_eq(a.command, FLOW_CMD_DETACH);
	ck_assert_int_eq(a.nops, 2);

	/* observe without --follow: the 20 most recent flows, no filter */
	a = OK("observe");
	ck_assert_int_eq(a.command, FLOW_CMD_OBSERVE);
	ck_assert_uint_eq(a.last, FLOW_LAST_DEFAULT);
	ck_assert_uint_eq(FLOW_LAST_DEFAULT, 20);
	ck_assert_int_eq(a.filter.nifaces, 0);
	ck_assert(!a.filter.has_ip && !a.filter.has_port && !a.filter.has_proto);
	ck_assert_int_eq(a.filter.verdict, EBPFNET_FLOW_VERDICT_UNKNOWN);
	ck_assert_uint_eq(a.filter.types, 0);
	ck_assert_uint_eq(a.since_ago_ns + a.since_abs_ns, 0);
	ck_assert_ptr_null(a.node_name);
	/* with --follow: no table first unless --last is given */
	a = OK("observe", "--follow");
	ck_assert(a.follow);
	ck_assert_uint_eq(a.last, 0);
	ck_assert_uint_eq(OK("observe", "--follow", "--last", "5").last, 5);

	/* metrics: the default listener, or only the textfile */
	a = OK("metrics");
	ck_assert_int_eq(a.command, FLOW_CMD_METRICS);
	ck_assert_str_eq(a.listen, FLOW_LISTEN_DEFAULT);
	ck_assert_str_eq(a.listen, "127.0.0.1:9965");
	ck_assert_ptr_null(a.textfile);
	a = OK("metrics", "--textfile", "/tmp/m.prom");
	ck_assert_ptr_null(a.listen);
	ck_assert_str_eq(a.textfile, "/tmp/m.prom");
	ck_assert_uint_eq(a.every_s, FLOW_EVERY_DEFAULT);
	a = OK("metrics", "--listen", "[::1]:0", "--textfile", "m", "--every", "2",
	       "--duration", "3");
	ck_assert_str_eq(a.listen, "[::1]:0");
	ck_assert_uint_eq(a.every_s, 2);
	ck_assert_uint_eq(a.opts.duration_s, 3);

	a = OK("map", "--dot", "m.dot");
	ck_assert_int_eq(a.command, FLOW_CMD_MAP);
	ck_assert_str_eq(a.dot, "m.dot");
	ck_assert_ptr_null(a.svg);
	a = OK("map", "--svg", "m.svg", "--follow", "--duration", "5");
	ck_assert_str_eq(a.svg, "m.svg");
	ck_assert(a.follow);
	ck_assert_uint_eq(a.opts.duration_s, 5);

	BAD("unknown command 'help'", "help");
	BAD("unknown command 'Observe'", "Observe");
	BAD("no command given", "--json");
	BAD("no command given", "--");
}
END_TEST

START_TEST(test_global_options)
{
	struct flow_args a;

	a = OK("--json", "-v", "--pin-root", "/sys/fs/bpf/x", "status");
	ck_assert(a.opts.json);
	ck_assert(a.opts.verbose);
	ck_assert_str_eq(a.pin_root, "/sys/fs/bpf/x");
	a = OK("observe", "--verbose", "--pin-root=/p", "--json");
	ck_assert(a.opts.json && a.opts.verbose);
	ck_assert_str_eq(a.pin_root, "/p");
	a = OK("attach", "a", "--json", "b");
	ck_assert(a.opts.json);
	ck_assert_int_eq(a.nops, 2);
	ck_assert_str_eq(a.ops[1], "b");
	ck_assert_str_eq(OK("--pin-root", "/a", "status", "--pin-root", "/b").pin_root,
			 "/b");
	BAD("invalid --pin-root '': empty path", "--pin-root", "", "status");
	BAD("option '--pin-root' requires an argument", "status", "--pin-root");
}
END_TEST

START_TEST(test_command_options)
{
	struct flow_args a;

	a = OK("observe", "--follow", "--count", "7", "--duration", "9",
	       "--node-name", "n1");
	ck_assert_uint_eq(a.opts.count, 7);
	ck_assert_uint_eq(a.opts.duration_s, 9);
	ck_assert_str_eq(a.node_name, "n1");
	/* --count limits the table's lines too */
	ck_assert_uint_eq(OK("observe", "--count", "3").opts.count, 3);

	BAD("option '--follow' must follow its command", "--follow", "observe");
	BAD("option '--iface' must follow its command", "--iface", "x", "observe");
	BAD("'status' takes no option '--follow'", "status", "--follow");
	BAD("'attach' takes no option '--iface'", "attach", "--iface", "x", "eth0");
	BAD("'metrics' takes no option '--ip'", "metrics", "--ip", "10.0.0.1");
	BAD("'observe' takes no option '--listen'", "observe", "--listen", "127.0.0.1:1");
	BAD("'observe' takes no option '--dot'", "observe", "--dot", "x");
	BAD("'map' takes no option '--last'", "map", "--dot", "x", "--last", "2");
	BAD("'map' takes no option '--count'", "map", "--dot", "x", "--count", "2");
	BAD("'metrics' takes no option '--count'", "metrics", "--count", "1");
	BAD("'status' takes no option '--duration'", "status", "--duration", "1");
	BAD("invalid --node-name '': empty name", "observe", "--node-name", "");

	/* combinations */
	BAD("option '--duration' needs '--follow'", "observe", "--duration", "1");
	BAD("option '--duration' needs '--follow'", "map", "--dot", "x", "--duration", "1");
	BAD("option '--every' needs '--textfile'", "metrics", "--every", "5");
	BAD("'map' needs --dot FILE or --svg FILE", "map");
	BAD("'map' needs --dot FILE or --svg FILE", "map", "--follow");
	BAD("invalid --dot '': empty path", "map", "--dot", "");
	BAD("invalid --textfile '': empty path", "metrics", "--textfile", "");
	a = OK("map", "--dot", "a.dot", "--svg", "a.svg");
	ck_assert_str_eq(a.dot, "a.dot");
	ck_assert_str_eq(a.svg, "a.svg");
}
END_TEST

START_TEST(test_numbers)
{
	ck_assert_uint_eq(OK("observe", "--last", "4294967295").last, UINT32_MAX);
	BAD("invalid --last '0': must be at least 1", "observe", "--last", "0");
	BAD("invalid --last '4294967296': larger than 4294967295", "observe", "--last",
	    "4294967296");
	BAD("invalid --last 'all': not a decimal number", "observe", "--last", "all");
	BAD("invalid --count '0': must be at least 1", "observe", "--count", "0");
	BAD("invalid --duration '0': must be at least 1", "metrics", "--duration", "0");
	BAD("invalid --duration '31536001': larger than 31536000", "observe", "--follow",
	    "--duration", "31536001");
	BAD("invalid --every '0': must be at least 1", "metrics", "--textfile", "f",
	    "--every", "0");
	ck_assert_uint_eq(OK("observe", "--port", "65535").filter.port, 65535);
	ck_assert(OK("observe", "--port", "53").filter.has_port);
	BAD("invalid --port '0': must be at least 1", "observe", "--port", "0");
	BAD("invalid --port '65536': larger than 65535", "observe", "--port", "65536");
	BAD("invalid --port 'http': not a decimal number", "observe", "--port", "http");
	BAD("invalid --port '8o': trailing characters", "observe", "--port", "8o");
	/* an option's argument may start with '-': then it is no number */
	BAD("invalid --port '-1': not a decimal number", "observe", "--port", "-1");
}
END_TEST

START_TEST(test_ip)
{
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0xeb, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 0 };
	struct flow_args a;

	a = OK("observe", "--ip", "10.1.2.3");
	ck_assert(a.filter.has_ip);
	ck_assert_int_eq(a.filter.ip_family, AF_INET);
	ck_assert_uint_eq(a.filter.ip_prefix, 32);
	ck_assert_mem_eq(a.filter.ip, "\x0a\x01\x02\x03", 4);
	a = OK("observe", "--ip", "10.1.2.3/12");
	ck_assert_uint_eq(a.filter.ip_prefix, 12);
	ck_assert_mem_eq(a.filter.ip, "\x0a\x00\x00\x00", 4);
	a = OK("observe", "--ip", "fd00:eb::1/32");
	ck_assert_int_eq(a.filter.ip_family, AF_INET6);
	ck_assert_uint_eq(a.filter.ip_prefix, 32);
	ck_assert_mem_eq(a.filter.ip, v6, 16);
	ck_assert_uint_eq(OK("observe", "--ip", "::1").filter.ip_prefix, 128);
	ck_assert_uint_eq(OK("observe", "--ip", "0.0.0.0/0").filter.ip_prefix, 0);
	BAD("invalid --ip '10.1.2': not an IPv4 or IPv6 address", "observe", "--ip",
	    "10.1.2");
	BAD("invalid --ip 'host.example': not an IPv4", "observe", "--ip", "host.example");
	BAD("invalid --ip '': not an IPv4", "observe", "--ip", "");
	BAD("invalid --ip prefix '33': larger than 32", "observe", "--ip", "10.0.0.0/33");
	BAD("invalid --ip prefix '129': larger than 128", "observe", "--ip", "::/129");
	BAD("invalid --ip prefix '': not a decimal number", "observe", "--ip", "10.0.0.0/");
	BAD("invalid --ip '1.2.3.4.5'", "observe", "--ip", "1.2.3.4.5");
}
END_TEST

START_TEST(test_protocol_verdict_type)
{
	struct flow_args a;

	ck_assert_uint_eq(OK("observe", "--protocol", "tcp").filter.proto, IPPROTO_TCP);
	ck_assert_uint_eq(OK("observe", "--protocol", "UDP").filter.proto, IPPROTO_UDP);
	ck_assert_uint_eq(OK("observe", "--protocol", "icmp").filter.proto, IPPROTO_ICMP);
	ck_assert_uint_eq(OK("observe", "--protocol", "icmpv6").filter.proto,
			  IPPROTO_ICMPV6);
	a = OK("observe", "--protocol", "132");
	ck_assert(a.filter.has_proto);
	ck_assert_uint_eq(a.filter.proto, 132);
	ck_assert(OK("observe", "--protocol", "0").filter.has_proto);
	BAD("invalid --protocol 'sctp': expected tcp, udp, icmp, icmpv6 or a number",
	    "observe", "--protocol", "sctp");
	BAD("invalid --protocol '256': larger than 255", "observe", "--protocol", "256");

	ck_assert_int_eq(OK("observe", "--verdict", "forwarded").filter.verdict,
			 EBPFNET_FLOW_VERDICT_FORWARDED);
	ck_assert_int_eq(OK("observe", "--verdict", "DROPPED").filter.verdict,
			 EBPFNET_FLOW_VERDICT_DROPPED);
	BAD("invalid --verdict 'denied': expected forwarded or dropped", "observe",
	    "--verdict", "denied");

	ck_assert_uint_eq(OK("observe", "--type", "dns").filter.types, FLOW_TYPE_DNS);
	a = OK("observe", "--type", "flow", "--type", "drop", "--type", "policy");
	ck_assert_uint_eq(a.filter.types, FLOW_TYPE_FLOW | FLOW_TYPE_DROP | FLOW_TYPE_POLICY);
	BAD("invalid --type 'trace': expected flow, dns, drop or policy", "observe",
	    "--type", "trace");

	a = OK("observe", "--iface", "a", "--iface", "b", "--iface=c");
	ck_assert_int_eq(a.filter.nifaces, 3);
	ck_assert_str_eq(a.filter.ifaces[0], "a");
	ck_assert_str_eq(a.filter.ifaces[2], "c");
	BAD("invalid --iface '': empty name", "observe", "--iface", "");
}
END_TEST

START_TEST(test_since)
{
	static const struct {
		const char *s;
		uint64_t ago, abs;
	} good[] = {
		{ "30s", 30 * NS, 0 },
		{ "5m", 300 * NS, 0 },
		{ "1h", 3600 * NS, 0 },
		{ "1h30m", 5400 * NS, 0 },
		{ "250ms", 250000000ull, 0 },
		{ "2d", 172800 * NS, 0 },
		{ "0s", 0, 0 },
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "1970-01-01T00:00:01Z", 0, 1 * NS },
		{ "2026-11-21T10:00:00Z", 0, 1795255200ull * NS },
		{ "2026-11-21t10:00:00z", 0, 1795255200ull * NS },
		{ "2026-11-21 10:00:00Z", 0, 1795255200ull * NS },
		{ "2026-11-21T11:30:00+01:30", 0, 1795255200ull * NS },
		{ "2026-11-21T09:00:00-01:00", 0, 1795255200ull * NS },
		{ "2026-11-21T10:00:00.123Z", 0, 1795255200ull * NS + 123000000 },
		{ "2026-11-21T10:00:00.000000001Z", 0, 1795255200ull * NS + 1 },
		{ "2024-02-29T00:00:00Z", 0, 1709164800ull * NS },
	};
	static const char *const bad[] = {
		"", "30", "s", "5x", "1h-", "-5m", "30 s", "2026-11-21", "2026-11-21T10:00:00",
		"2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-21T24:00:00Z",
		"2026-11-21T10:60:00Z", "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00+1:00",
		"1969-12-31T23:59:59Z", "2026-11-21T10:00:00Zjunk",
		"99999999999999999999s",
	};
	uint64_t ago, abs;
	char err[256];
	size_t i;
	struct flow_args a;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(flow_parse_since(good[i].s, &ago, &abs, err, sizeof(err)) == 0,
			      "%s: %s", good[i].s, err);
		ck_assert_msg(ago == good[i].ago && abs == good[i].abs,
			      "%s: ago %llu abs %llu", good[i].s, (unsigned long long)ago,
			      (unsigned long long)abs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(flow_parse_since(bad[i], &ago, &abs, err, sizeof(err)) == -1,
			      "%s accepted", bad[i]);
		ck_assert(strstr(err, "expected a duration (30s, 5m, 1h) or an RFC 3339 time"));
	}
	BAD("invalid --since 'yesterday': expected a duration", "observe", "--since",
	    "yesterday");

	/* resolved against the clock */
	a = OK("observe", "--since", "30s");
	ck_assert_uint_eq(a.since_ago_ns, 30 * NS);
	flow_args_resolve(&a, 1000 * NS);
	ck_assert_uint_eq(a.filter.since_ns, 970 * NS);
	a = OK("observe", "--since", "2026-11-21T10:00:00Z");
	flow_args_resolve(&a, 1000 * NS);
	ck_assert_uint_eq(a.filter.since_ns, 1795255200ull * NS);
	a = OK("observe");
	flow_args_resolve(&a, 1000 * NS);
	ck_assert_uint_eq(a.filter.since_ns, 0);
	/* further back than the epoch: everything, but still a filter */
	a = OK("observe", "--since", "1d");
	flow_args_resolve(&a, 10 * NS);
	ck_assert_uint_eq(a.filter.since_ns, 1);
}
END_TEST

START_TEST(test_listen)
{
	ck_assert_str_eq(OK("metrics", "--listen", "0.0.0.0:80").listen, "0.0.0.0:80");
	ck_assert_str_eq(OK("metrics", "--listen", "[fd00::1]:65535").listen,
			 "[fd00::1]:65535");
	BAD("invalid --listen 'localhost:9965': expected ADDR:PORT", "metrics",
	    "--listen", "localhost:9965");
	BAD("invalid --listen '9965': expected ADDR:PORT", "metrics", "--listen", "9965");
	BAD("invalid --listen '::1:9965': expected ADDR:PORT", "metrics", "--listen",
	    "::1:9965");
	BAD("invalid --listen '[::1:9965': expected ADDR:PORT", "metrics", "--listen",
	    "[::1:9965");
	BAD("invalid --listen ':9965'", "metrics", "--listen", ":9965");
	BAD("invalid --listen port '65536': larger than 65535", "metrics", "--listen",
	    "127.0.0.1:65536");
	BAD("invalid --listen port '': not a decimal number", "metrics", "--listen",
	    "127.0.0.1:");
}
END_TEST

START_TEST(test_operands)
{
	BAD("'attach' needs IFACE...", "attach");
	BAD("'detach' needs IFACE...", "detach", "--json");
	BAD("unexpected argument 'extra' after 'status'", "status", "extra");
	BAD("unexpected argument 'eth0' after 'observe'", "observe", "eth0");
	BAD("unexpected argument 'x' after 'map'", "map", "x", "--dot", "f");
	BAD("unexpected argument 'x' after 'metrics'", "metrics", "x");
}
END_TEST

START_TEST(test_double_dash)
{
	struct flow_args a;

	ck_assert_int_eq(OK("--", "status").command, FLOW_CMD_STATUS);
	a = OK("attach", "--", "--json");
	ck_assert(!a.opts.json);
	ck_assert_str_eq(a.ops[0], "--json");
	BAD("unknown command '--json'", "--", "--json", "status");
	BAD("unexpected argument '--follow' after 'observe'", "observe", "--", "--follow");
}
END_TEST

START_TEST(test_help)
{
	HELP("-h");
	HELP("--help");
	HELP("observe", "--help");
	HELP("attach", "-h");
	HELP("map", "--help");
	BAD("unknown command 'bogus'", "--help", "bogus");
	BAD("unknown or ambiguous option '--bogus'", "--help", "--bogus");
	BAD("option '--follow' must follow its command", "--help", "--follow");
}
END_TEST

START_TEST(test_getopt_errors)
{
	BAD("unknown or ambiguous option '--bogus'", "--bogus", "status");
	BAD("unknown option '-x'", "-x", "status");
	BAD("option '--json' takes no argument", "--json=1", "status");
	BAD("option '--follow' takes no argument", "observe", "--follow=yes");
	BAD("option '--since' requires an argument", "observe", "--since");
	BAD("option '--svg' requires an argument", "map", "--svg");
	ck_assert_str_eq(OK("--pin", "/x", "status").pin_root, "/x");
	ck_assert(OK("observe", "--fol").follow);
}
END_TEST

START_TEST(test_repeatable)
{
	int i;

	for (i = 0; i < 3; i++) {
		BAD("unknown option '-x'", "-vx", "status");
		ck_assert(OK("--json", "-v", "status").opts.json);
		BAD("requires an argument", "observe", "--ip");
		ck_assert_int_eq(OK("observe", "--iface", "a").filter.nifaces, 1);
		ck_assert(!OK("observe").filter.has_ip);
		ck_assert_int_eq(OK("attach", "lo").nops, 1);
	}
}
END_TEST

START_TEST(test_bad_calls)
{
	struct flow_args a;

	check_bad_calls("status", &a);
	ck_assert_ptr_null(a.filter.ifaces);
}
END_TEST

START_TEST(test_usage_text)
{
	static const char *const must[] = {
		"attach IFACE...", "detach IFACE...", "status", "observe", "metrics", "map",
		"--follow", "--last N", "default 20", "--iface", "--ip", "--port",
		"--protocol", "--verdict", "--since", "--type", "--count", "--duration",
		"--node-name", "--listen", "--textfile", "--every", "--dot", "--svg",
		"--pin-root", "--json", "--verbose", "--help", FLOW_LISTEN_DEFAULT,
		EBPFNET_PIN_ROOT_DEFAULT,
	};

	USAGE_MENTIONS(must);
}
END_TEST

/* ---- the filter ---------------------------------------------------------- */

static struct ebpfnet_flow_record tcp_flow(void)
{
	struct ebpfnet_flow_record f;

	memset(&f, 0, sizeof(f));
	f.sz = sizeof(f);
	f.time_ns = 2000 * NS;
	f.last_ns = 1500 * NS;
	f.kind = EBPFNET_FLOW_NEW;
	f.verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	snprintf(f.ifname, sizeof(f.ifname), "veth0");
	f.family = AF_INET;
	f.proto = IPPROTO_TCP;
	inet_pton(AF_INET, "10.1.2.3", f.src.addr);
	f.src.port = 43210;
	inet_pton(AF_INET, "10.9.8.7", f.dst.addr);
	f.dst.port = 80;
	return f;
}

/* The filter of an observe command line (its --since resolved at 1000 s). */
#define FILTER(...)                                                     \
	({                                                              \
		struct flow_args a_ = OK("observe", ##__VA_ARGS__);     \
		flow_args_resolve(&a_, 1000 * NS);                      \
		a_.filter;                                              \
	})

/* Does that filter let the record through? */
#define MATCH(rec, ...)                                                 \
	({                                                              \
		struct flow_filter f_ = FILTER(__VA_ARGS__);            \
		flow_filter_match(&f_, rec);                            \
	})
#define MATCH_DNS(rec, ...)                                             \
	({                                                              \
		struct flow_filter f_ = FILTER(__VA_ARGS__);            \
		flow_filter_match_dns(&f_, rec);                        \
	})

START_TEST(test_filter_flow)
{
	struct ebpfnet_flow_record f = tcp_flow(), g;

	ck_assert(MATCH(&f));
	ck_assert(MATCH(&f, "--ip", "10.1.2.3"));
	ck_assert(MATCH(&f, "--ip", "10.9.8.7"));
	ck_assert(MATCH(&f, "--ip", "10.9.0.0/16"));
	ck_assert(MATCH(&f, "--ip", "10.1.2.0/23"));
	ck_assert(!MATCH(&f, "--ip", "10.1.2.4"));
	ck_assert(!MATCH(&f, "--ip", "10.1.2.4/31"));
	ck_assert(MATCH(&f, "--ip", "10.1.2.2/31"));
	ck_assert(!MATCH(&f, "--ip", "::ffff:10.1.2.3"));
	ck_assert(MATCH(&f, "--ip", "0.0.0.0/0"));
	ck_assert(!MATCH(&f, "--ip", "::/0"));
	ck_assert(MATCH(&f, "--port", "80"));
	ck_assert(MATCH(&f, "--port", "43210"));
	ck_assert(!MATCH(&f, "--port", "443"));
	ck_assert(MATCH(&f, "--protocol", "tcp"));
	ck_assert(!MATCH(&f, "--protocol", "udp"));
	ck_assert(MATCH(&f, "--iface", "x", "--iface", "veth0"));
	ck_assert(!MATCH(&f, "--iface", "veth"));
	ck_assert(MATCH(&f, "--verdict", "forwarded"));
	ck_assert(!MATCH(&f, "--verdict", "dropped"));
	ck_assert(MATCH(&f, "--type", "flow"));
	ck_assert(!MATCH(&f, "--type", "drop"));
	ck_assert(!MATCH(&f, "--type", "dns"));
	/* all conditions at once */
	ck_assert(MATCH(&f, "--ip", "10.9.8.7", "--port", "80",
						   "--protocol", "6", "--iface", "veth0"));
	ck_assert(!MATCH(&f, "--ip", "10.9.8.7", "--port", "81"));

	/* --since: the record's time; a snapshot's is its last packet */
	ck_assert(MATCH(&f, "--since", "1970-01-01T00:33:20Z"));
	ck_assert(!MATCH(&f, "--since", "1970-01-01T00:33:21Z"));
	g = f;
	g.kind = EBPFNET_FLOW_SNAPSHOT;
	ck_assert(MATCH(&g, "--since", "1970-01-01T00:25:00Z"));
	ck_assert(!MATCH(&g, "--since", "1970-01-01T00:25:01Z"));
	/* resolved at 1000 s: 10m back is 400 s */
	g.last_ns = 400 * NS;
	ck_assert(MATCH(&g, "--since", "10m"));
	g.last_ns = 400 * NS - 1;
	ck_assert(!MATCH(&g, "--since", "10m"));

	/* drops and policy verdicts */
	g = f;
	g.kind = EBPFNET_FLOW_DROP;
	g.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	ck_assert(MATCH(&g, "--type", "drop"));
	ck_assert(MATCH(&g, "--verdict", "dropped"));
	ck_assert(!MATCH(&g, "--type", "flow"));
	g.kind = EBPFNET_FLOW_POLICY;
	ck_assert(MATCH(&g, "--type", "policy", "--type", "dns"));
	ck_assert(!MATCH(&g, "--type", "drop"));

	/* IPv6 and ICMP */
	g = f;
	g.family = AF_INET6;
	g.proto = IPPROTO_ICMPV6;
	g.src.port = g.dst.port = 0;
	memset(g.src.addr, 0, 16);
	inet_pton(AF_INET6, "fd00:eb:1:2::2", g.src.addr);
	ck_assert(MATCH(&g, "--ip", "fd00:eb:1:2::/64"));
	ck_assert(!MATCH(&g, "--ip", "fd00:eb:1:3::/64"));
	ck_assert(!MATCH(&g, "--ip", "10.1.2.3"));
	ck_assert(MATCH(&g, "--protocol", "icmpv6"));
	ck_assert(!MATCH(&g, "--protocol", "icmp"));
	ck_assert(!MATCH(&g, "--port", "80"));
}
END_TEST

START_TEST(test_filter_dns)
{
	struct ebpfnet_flow_dns d;

	memset(&d, 0, sizeof(d));
	d.sz = sizeof(d);
	d.time_ns = 2000 * NS;
	snprintf(d.ifname, sizeof(d.ifname), "veth0");
	d.family = AF_INET;
	d.proto = IPPROTO_UDP;
	inet_pton(AF_INET, "10.1.2.2", d.src.addr);
	d.src.port = 5353;
	inet_pton(AF_INET, "10.1.2.1", d.dst.addr);
	d.dst.port = 53;

	ck_assert(MATCH_DNS(&d));
	ck_assert(MATCH_DNS(&d, "--type", "dns"));
	ck_assert(!MATCH_DNS(&d, "--type", "flow"));
	ck_assert(MATCH_DNS(&d, "--port", "53"));
	ck_assert(!MATCH_DNS(&d, "--port", "54"));
	ck_assert(MATCH_DNS(&d, "--protocol", "udp"));
	ck_assert(!MATCH_DNS(&d, "--protocol", "tcp"));
	ck_assert(MATCH_DNS(&d, "--ip", "10.1.2.1"));
	ck_assert(!MATCH_DNS(&d, "--ip", "10.1.2.3"));
	ck_assert(MATCH_DNS(&d, "--verdict", "forwarded"));
	ck_assert(!MATCH_DNS(&d, "--verdict", "dropped"));
	ck_assert(!MATCH_DNS(&d, "--iface", "eth0"));
	ck_assert(MATCH_DNS(&d, "--since", "1000s"));
	ck_assert(!MATCH_DNS(&d, "--since", "1970-01-01T00:33:21Z"));
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("flow_args");
	TCase *tc = tcase_create("parse");
	TCase *tf = tcase_create("filter");

	tcase_add_checked_fixture(tc, NULL, free_last);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_global_options);
	tcase_add_test(tc, test_command_options);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_ip);
	tcase_add_test(tc, test_protocol_verdict_type);
	tcase_add_test(tc, test_since);
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_operands);
	tcase_add_test(tc, test_double_dash);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_getopt_errors);
	tcase_add_test(tc, test_repeatable);
	tcase_add_test(tc, test_bad_calls);
	tcase_add_test(tc, test_usage_text);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, NULL, free_last);
	tcase_add_test(tf, test_filter_flow);
	tcase_add_test(tf, test_filter_dns);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	return test_run_suite(args_suite(), CK_NORMAL);
}
