/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-policy's argument parser (bin/policy_args.c): the one- and
 * two-word commands with their operands and options, global options
 * before and after the command, --ip, trace's --port, numbers, getopt
 * errors, "--", help, and that it can be called again and again.
 */
#include <check.h>

#include "check_run.h"
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_args.h"

#define ARGS_CHECK_PROGRAM "ebpfnet-policy"
#define ARGS_CHECK_TYPE struct policy_args
#define ARGS_CHECK_PARSE policy_args_parse
#define ARGS_CHECK_USAGE policy_args_usage
#define ARGS_CHECK_FREE policy_args_free

#include "args_check.h"

START_TEST(test_commands)
{
	static const struct {
		const char *word;
		enum policy_command command;
	} cases[] = {
		{ "list", POLICY_CMD_LIST },
		{ "verdicts", POLICY_CMD_VERDICTS },
		{ "status", POLICY_CMD_STATUS },
	};
	struct policy_args a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = OK(cases[i].word);
		ck_assert_int_eq(a.command, cases[i].command);
		ck_assert_int_eq(a.nops, 0);
		/* the defaults */
		ck_assert_ptr_null(a.pin_root);
		ck_assert(!a.opts.json);
		ck_assert(!a.opts.verbose);
		ck_assert(!a.yaml);
		ck_assert(!a.follow);
		ck_assert_uint_eq(a.n_addrs, 0);
		ck_assert_ptr_null(a.labels);
		ck_assert_ptr_null(a.from);
		ck_assert_uint_eq(a.opts.count, 0);
		ck_assert_uint_eq(a.opts.duration_s, 0);
	}
	ck_assert_int_eq(OK("endpoint", "list").command, POLICY_CMD_ENDPOINT_LIST);
	a = OK("endpoint", "del", "veth1");
	ck_assert_int_eq(a.command, POLICY_CMD_ENDPOINT_DEL);
	ck_assert_int_eq(a.nops, 1);
	ck_assert_str_eq(a.ops[0], "veth1");
	a = OK("delete", "prod/web");
	ck_assert_int_eq(a.command, POLICY_CMD_DELETE);
	ck_assert_str_eq(a.ops[0], "prod/web");
	a = OK("apply", "a.yaml", "-", "b.yaml");
	ck_assert_int_eq(a.command, POLICY_CMD_APPLY);
	ck_assert_int_eq(a.nops, 3);
	ck_assert_str_eq(a.ops[1], "-");
	BAD("unknown command 'help'", "help");
	BAD("unknown command 'List'", "List");
	BAD("unknown command 'add'", "add", "eth0");
	BAD("unknown command 'endpoint show': expected add, del or list after 'endpoint'",
	    "endpoint", "show");
	BAD("unknown command 'set rate': expected events after 'set'", "set", "rate", "1");
	BAD("'endpoint' needs add, del or list", "endpoint");
	BAD("'set' needs events", "set", "--json");
	BAD("no command given", "--json");
	BAD("no command given", "--");
}
END_TEST

START_TEST(test_global_options)
{
	struct policy_args a;

	/* before the command, between its words, after it */
	a = OK("--json", "-v", "--pin-root", "/sys/fs/bpf/x", "list");
	ck_assert(a.opts.json);
	ck_assert(a.opts.verbose);
	ck_assert_str_eq(a.pin_root, "/sys/fs/bpf/x");
	a = OK("endpoint", "--json", "list", "--pin-root=/p", "--verbose");
	ck_assert_int_eq(a.command, POLICY_CMD_ENDPOINT_LIST);
	ck_assert(a.opts.json);
	ck_assert(a.opts.verbose);
	ck_assert_str_eq(a.pin_root, "/p");
	/* the last of a repeated option wins */
	ck_assert_str_eq(OK("--pin-root", "/a", "status", "--pin-root", "/b").pin_root,
			 "/b");
	BAD("invalid --pin-root '': empty path", "--pin-root", "", "list");
	BAD("option '--pin-root' requires an argument", "list", "--pin-root");
}
END_TEST

START_TEST(test_endpoint_add)
{
	struct policy_args a;

	a = OK("endpoint", "add", "veth1", "--ip", "10.0.1.2", "--labels", "app=web");
	ck_assert_int_eq(a.command, POLICY_CMD_ENDPOINT_ADD);
	ck_assert_int_eq(a.nops, 1);
	ck_assert_str_eq(a.ops[0], "veth1");
	ck_assert_uint_eq(a.n_addrs, 1);
	ck_assert_str_eq(a.addrs[0], "10.0.1.2");
	ck_assert_str_eq(a.labels, "app=web");
	a = OK("endpoint", "add", "--labels=k8s:app=db,tier=back", "--ip=fd00::2",
	       "--ip", "10.0.1.3", "veth2");
	ck_assert_uint_eq(a.n_addrs, 2);
	ck_assert_str_eq(a.addrs[0], "fd00::2");
	ck_assert_str_eq(a.addrs[1], "10.0.1.3");
	ck_assert_str_eq(a.labels, "k8s:app=db,tier=back");
	ck_assert_str_eq(a.ops[0], "veth2");
	/* the last --labels wins; labels are the library's to judge */
	ck_assert_str_eq(OK("endpoint", "add", "e", "--ip", "1.2.3.4", "--labels", "a=b",
			    "--labels", "not a label").labels, "not a label");
	BAD("invalid --ip '10.0.0.300': not an IPv4 or IPv6 address",
	    "endpoint", "add", "e", "--ip", "10.0.0.300", "--labels", "a=b");
	BAD("invalid --ip '10.0.0.0/24': not an IPv4 or IPv6 address",
	    "endpoint", "add", "e", "--ip", "10.0.0.0/24", "--labels", "a=b");
	BAD("invalid --ip '': not an IPv4", "endpoint", "add", "e", "--ip", "", "--labels", "a=b");
	BAD("invalid --labels '': empty", "endpoint", "add", "e", "--ip", "1.2.3.4",
	    "--labels", "");
	BAD("'endpoint add' needs --ip ADDR", "endpoint", "add", "e", "--labels", "a=b");
	BAD("'endpoint add' needs --labels", "endpoint", "add", "e", "--ip", "1.2.3.4");
	BAD("'endpoint add' needs IFACE", "endpoint", "add", "--ip", "1.2.3.4", "--labels", "a=b");
	BAD("unexpected argument 'f' after 'endpoint add IFACE'",
	    "endpoint", "add", "e", "f", "--ip", "1.2.3.4", "--labels", "a=b");
}
END_TEST

START_TEST(test_ip_limit)
{
	/* EBPFNET_POLICY_MAX_ADDRS --ip are fine, one more is not */
	struct policy_args a = OK("endpoint", "add", "e", "--labels=a=b",
				  "--ip=10.0.0.1", "--ip=10.0.0.2", "--ip=10.0.0.3",
				  "--ip=10.0.0.4", "--ip=::1", "--ip=::2", "--ip=::3",
				  "--ip=::4");

	ck_assert_int_eq(EBPFNET_POLICY_MAX_ADDRS, 8);
	ck_assert_uint_eq(a.n_addrs, 8);
	ck_assert_str_eq(a.addrs[0], "10.0.0.1");
	ck_assert_str_eq(a.addrs[7], "::4");
	BAD("more than 8 --ip addresses", "endpoint", "add", "e", "--labels=a=b",
	    "--ip=10.0.0.1", "--ip=10.0.0.2", "--ip=10.0.0.3", "--ip=10.0.0.4",
	    "--ip=::1", "--ip=::2", "--ip=::3", "--ip=::4", "--ip=::5");
}
END_TEST

START_TEST(test_trace)
{
	static const struct {
		const char *port;
		uint8_t proto;
		uint16_t dport;
	} good[] = {
		{ "80", IPPROTO_TCP, 80 },
		{ "80/tcp", IPPROTO_TCP, 80 },
		{ "53/udp", IPPROTO_UDP, 53 },
		{ "65535/sctp", IPPROTO_SCTP, 65535 },
		{ "icmp", IPPROTO_ICMP, 0 },
		{ "icmpv6", IPPROTO_ICMPV6, 0 },
		{ "007", IPPROTO_TCP, 7 },
	};
	static const struct {
		const char *port, *needle;
	} bad[] = {
		{ "0", "invalid port '0': must be at least 1" },
		{ "65536/udp", "invalid port '65536': larger than 65535" },
		{ "80/TCP", "invalid --port '80/TCP': unknown protocol 'TCP'" },
		{ "80/", "unknown protocol ''" },
		{ "http", "unknown protocol 'http'" },
		{ "tcp", "invalid --port 'tcp': tcp needs a port (e.g. 80/tcp)" },
		{ "/udp", "udp needs a port" },
		{ "8/icmp", "invalid --port '8/icmp': icmp has no port (write 'icmp')" },
		{ "/icmp", "icmp has no port" },
		{ "8x/tcp", "invalid port '8x': trailing characters" },
		{ "123456789012345678901/tcp", "larger than 65535" },
	};
	struct policy_args a;
	uint8_t proto;
	uint16_t port;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = OK("trace", "--from", "app=frontend", "--to", "10.0.0.2", "--port",
		       good[i].port);
		ck_assert_int_eq(a.command, POLICY_CMD_TRACE);
		ck_assert_str_eq(a.from, "app=frontend");
		ck_assert_str_eq(a.to, "10.0.0.2");
		ck_assert_uint_eq(a.proto, good[i].proto);
		ck_assert_uint_eq(a.dport, good[i].dport);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		BAD(bad[i].needle, "trace", "--from", "a=b", "--to", "c=d", "--port",
		    bad[i].port);
		/* the function alone: same answer, nothing set */
		proto = 99;
		port = 99;
		ck_assert_int_eq(policy_args_port(bad[i].port, &proto, &port, err,
						  sizeof(err)), -1);
		ck_assert_msg(strstr(err, bad[i].needle), "[%s] lacks [%s]", err,
			      bad[i].needle);
		ck_assert_uint_eq(proto, 99);
		ck_assert_uint_eq(port, 99);
	}
	ck_assert_str_eq(policy_args_proto_name(IPPROTO_UDP), "udp");
	ck_assert_str_eq(policy_args_proto_name(IPPROTO_ICMPV6), "icmpv6");
	ck_assert_ptr_null(policy_args_proto_name(IPPROTO_GRE));
	BAD("'trace' needs --from, --to and --port", "trace", "--from", "a=b", "--to", "c=d");
	BAD("'trace' needs --from, --to and --port", "trace", "--port", "80", "--to", "c=d");
	BAD("'trace' needs --from, --to and --port", "trace", "--port", "80", "--from", "c=d");
	BAD("invalid --from '': empty", "trace", "--from", "", "--to", "a=b", "--port", "80");
	BAD("unexpected argument 'x' after 'trace'", "trace", "x", "--from", "a=b", "--to",
	    "c=d", "--port", "80");
}
END_TEST

START_TEST(test_command_options)
{
	struct policy_args a;

	ck_assert(OK("list", "--yaml").yaml);
	BAD("'list' takes --yaml or --json, not both", "list", "--yaml", "--json");
	BAD("'list' takes --yaml or --json, not both", "--json", "list", "--yaml");

	a = OK("verdicts", "--follow", "--count", "5", "--duration", "60");
	ck_assert(a.follow);
	ck_assert_uint_eq(a.opts.count, 5);
	ck_assert_uint_eq(a.opts.duration_s, 60);
	ck_assert(OK("verdicts", "--json", "--follow").opts.json);
	BAD("'verdicts' takes --count and --duration with --follow only",
	    "verdicts", "--count", "5");
	BAD("'verdicts' takes --count and --duration with --follow only",
	    "verdicts", "--duration", "5");

	a = OK("set", "events", "100");
	ck_assert_int_eq(a.command, POLICY_CMD_SET_EVENTS);
	ck_assert_uint_eq(a.events_rate, 100);
	ck_assert(!a.events_allowed);
	a = OK("set", "events", "--allowed", "0");
	ck_assert_uint_eq(a.events_rate, 0);
	ck_assert(a.events_allowed);
	ck_assert_uint_eq(OK("set", "events", "4294967295").events_rate, UINT32_MAX);
	BAD("invalid event rate '4294967296': larger than 4294967295",
	    "set", "events", "4294967296");
	BAD("invalid event rate 'many': not a decimal number", "set", "events", "many");
	BAD("'set events' needs RATE", "set", "events");
	BAD("unexpected argument '2' after 'set events RATE'", "set", "events", "1", "2");

	/* a command's options: after its words, and only its own */
	BAD("option '--follow' must follow its command", "--follow", "verdicts");
	BAD("option '--ip' must follow its command", "endpoint", "--ip", "1.2.3.4", "add",
	    "e", "--labels", "a=b");
	BAD("'endpoint del' takes no option '--ip'", "endpoint", "del", "e", "--ip", "1.2.3.4");
	BAD("'list' takes no option '--follow'", "list", "--follow");
	BAD("'status' takes no option '--count'", "status", "--count", "1");
	BAD("'apply' takes no option '--allowed'", "apply", "f", "--allowed");
	BAD("'endpoint list' takes no option '--yaml'", "endpoint", "list", "--yaml");
	BAD("'verdicts' takes no option '--port'", "verdicts", "--port", "80");
}
END_TEST

START_TEST(test_numbers)
{
	ck_assert_uint_eq(OK("verdicts", "--follow", "--count",
			     "18446744073709551615").opts.count, UINT64_MAX);
	BAD("invalid --count '0': must be at least 1", "verdicts", "--follow", "--count", "0");
	BAD("invalid --count 'x': not a decimal number", "verdicts", "--follow", "--count", "x");
	BAD("invalid --count '1x': trailing characters", "verdicts", "--follow", "--count", "1x");
	ck_assert_uint_eq(OK("verdicts", "--follow", "--duration", "31536000").opts.duration_s,
			  CLI_DURATION_MAX);
	BAD("invalid --duration '31536001': larger than 31536000",
	    "verdicts", "--follow", "--duration", "31536001");
	BAD("option '--count' requires an argument", "verdicts", "--follow", "--count");
	/* "-1" is an option to getopt, not a number */
	BAD("unknown option '-1'", "set", "events", "-1");
	ck_assert_uint_eq(OK("set", "events", "--", "12").events_rate, 12);
}
END_TEST

START_TEST(test_operands)
{
	BAD("'endpoint del' needs IFACE", "endpoint", "del");
	BAD("'apply' needs FILE...", "apply");
	BAD("'apply' needs FILE", "apply", "--json");
	BAD("'delete' needs NAME", "delete");
	BAD("unexpected argument 'b' after 'delete NAME'", "delete", "a", "b");
	BAD("unexpected argument 'extra' after 'list'", "list", "extra");
	BAD("unexpected argument 'x' after 'endpoint list'", "endpoint", "list", "x");
	BAD("unexpected argument 'x' after 'verdicts'", "verdicts", "x", "--follow");
	BAD("'-' (standard input) given twice", "apply", "-", "a.yaml", "-");
	BAD("invalid FILE '': empty path", "apply", "a.yaml", "");
}
END_TEST

START_TEST(test_double_dash)
{
	struct policy_args a;

	/* after "--" every word is an operand, the command's words first */
	ck_assert_int_eq(OK("--", "list").command, POLICY_CMD_LIST);
	ck_assert_int_eq(OK("--", "endpoint", "list").command, POLICY_CMD_ENDPOINT_LIST);
	ck_assert_int_eq(OK("endpoint", "--", "list").command, POLICY_CMD_ENDPOINT_LIST);
	a = OK("--json", "apply", "--", "--json", "-");
	ck_assert(a.opts.json);
	ck_assert_int_eq(a.nops, 2);
	ck_assert_str_eq(a.ops[0], "--json");
	a = OK("delete", "--", "--weird-name");
	ck_assert_str_eq(a.ops[0], "--weird-name");
	BAD("unexpected argument '--json' after 'list'", "list", "--", "--json");
	BAD("unknown command '--json'", "--", "--json", "list");
}
END_TEST

START_TEST(test_help)
{
	HELP("-h");
	HELP("--help");
	/* help wins over a missing command, word or operand ... */
	HELP("list", "--help");
	HELP("endpoint", "-h");
	HELP("endpoint", "add", "-h");
	HELP("delete", "--help");
	/* ... but not over a line that is wrong on its own */
	BAD("unknown command 'bogus'", "--help", "bogus");
	BAD("unknown or ambiguous option '--bogus'", "--help", "--bogus");
	BAD("option '--follow' must follow its command", "--help", "--follow");
	BAD("invalid --ip 'x'", "endpoint", "add", "--help", "--ip", "x");
}
END_TEST

START_TEST(test_getopt_errors)
{
	BAD("unknown or ambiguous option '--bogus'", "--bogus", "list");
	BAD("unknown or ambiguous option '--bogus'", "delete", "--bogus", "x");
	BAD("unknown option '-x'", "-x", "list");
	BAD("unknown option '-x'", "-vx", "list");
	BAD("option '--json' takes no argument", "--json=1", "list");
	BAD("option '--yaml' takes no argument", "list", "--yaml=yes");
	BAD("option '--follow' takes no argument", "verdicts", "--follow=1");
	BAD("option '--ip' requires an argument", "endpoint", "add", "e", "--ip");
	BAD("option '--port' requires an argument", "trace", "--port");
	/* a unique prefix is the option */
	ck_assert_str_eq(OK("--pin", "/x", "list").pin_root, "/x");
	ck_assert(OK("verdicts", "--fol").follow);
	/* --from and --follow share a prefix: ambiguous */
	BAD("unknown or ambiguous option '--f'", "verdicts", "--f");
}
END_TEST

/* The parser keeps no state between calls: a good parse after a bad one
 * (stopped mid-argv, or mid-command) and the other way round give the same
 * answers. */
START_TEST(test_repeatable)
{
	int i;

	for (i = 0; i < 3; i++) {
		BAD("unknown option '-x'", "-vx", "list");
		ck_assert(OK("--json", "-v", "list").opts.json);
		BAD("'endpoint' needs", "endpoint");
		ck_assert_int_eq(OK("list").command, POLICY_CMD_LIST);
		BAD("requires an argument", "verdicts", "--follow", "--count");
		ck_assert_uint_eq(OK("verdicts", "--follow", "--count", "5").opts.count, 5);
		ck_assert_uint_eq(OK("endpoint", "add", "e", "--ip", "::1",
				     "--labels", "a=b").n_addrs, 1);
		ck_assert(!OK("status").opts.json);
	}
}
END_TEST

START_TEST(test_bad_calls)
{
	struct policy_args a;

	check_bad_calls("list", &a);
}
END_TEST

START_TEST(test_usage_text)
{
	static const char *const must[] = {
		"endpoint add IFACE", "--ip ADDR", "--labels", "endpoint del IFACE",
		"endpoint list", "apply FILE...", "delete NAME", "list [--yaml]",
		"trace --from", "--to", "--port", "verdicts [--follow", "--count",
		"--duration", "status", "set events RATE [--allowed]", "--pin-root",
		"--json", "--verbose", "--help", "3 when 'trace'",
		EBPFNET_PIN_ROOT_DEFAULT,
	};

	USAGE_MENTIONS(must);
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("policy_args");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, free_last);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_global_options);
	tcase_add_test(tc, test_endpoint_add);
	tcase_add_test(tc, test_ip_limit);
	tcase_add_test(tc, test_trace);
	tcase_add_test(tc, test_command_options);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_operands);
	tcase_add_test(tc, test_double_dash);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_getopt_errors);
	tcase_add_test(tc, test_repeatable);
	tcase_add_test(tc, test_bad_calls);
	tcase_add_test(tc, test_usage_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(args_suite(), CK_NORMAL);
}
