/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-drop's argument parser (bin/drop_args.c): every command with its
 * operands and options, global options before and after the command,
 * numbers and `set` values, getopt errors, "--", help, and that it can be
 * called again and again.
 */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop_args.h"

#define ARGS_CHECK_PROGRAM "ebpfnet-drop"
#define ARGS_CHECK_TYPE struct drop_args
#define ARGS_CHECK_PARSE drop_args_parse
#define ARGS_CHECK_USAGE drop_args_usage
#define ARGS_CHECK_FREE drop_args_free

#include "args_check.h"

START_TEST(test_commands)
{
	static const struct {
		const char *word;
		enum drop_command command;
	} cases[] = {
		{ "list", DROP_CMD_LIST },
		{ "stats", DROP_CMD_STATS },
		{ "events", DROP_CMD_EVENTS },
		{ "status", DROP_CMD_STATUS },
	};
	struct drop_args a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = OK(cases[i].word);
		ck_assert_int_eq(a.command, cases[i].command);
		ck_assert_int_eq(a.nops, 0);
		/* the defaults */
		ck_assert_ptr_null(a.pin_root);
		ck_assert(!a.opts.json);
		ck_assert(!a.opts.verbose);
		ck_assert_int_eq(a.mode, EBPFNET_XDP_MODE_AUTO);
		ck_assert_ptr_null(a.action);
		ck_assert_uint_eq(a.opts.count, 0);
		ck_assert_uint_eq(a.opts.duration_s, 0);
	}
	a = OK("attach", "eth0");
	ck_assert_int_eq(a.command, DROP_CMD_ATTACH);
	ck_assert_int_eq(a.nops, 1);
	ck_assert_str_eq(a.ops[0], "eth0");
	a = OK("detach", "eth0");
	ck_assert_int_eq(a.command, DROP_CMD_DETACH);
	ck_assert_str_eq(a.ops[0], "eth0");
	BAD("unknown command 'help'", "help");
	BAD("unknown command 'List'", "List");
	BAD("no command given", "--json");
	BAD("no command given", "--");
}
END_TEST

START_TEST(test_global_options)
{
	struct drop_args a;

	/* before the command, after it, and in between its operands */
	a = OK("--json", "-v", "--pin-root", "/sys/fs/bpf/x", "list");
	ck_assert(a.opts.json);
	ck_assert(a.opts.verbose);
	ck_assert_str_eq(a.pin_root, "/sys/fs/bpf/x");
	a = OK("list", "--verbose", "--pin-root=/p", "--json");
	ck_assert(a.opts.json);
	ck_assert(a.opts.verbose);
	ck_assert_str_eq(a.pin_root, "/p");
	a = OK("add", "proto", "--json", "icmp");
	ck_assert(a.opts.json);
	ck_assert_int_eq(a.nops, 2);
	ck_assert_str_eq(a.ops[0], "proto");
	ck_assert_str_eq(a.ops[1], "icmp");
	/* the last of a repeated option wins */
	ck_assert_str_eq(OK("--pin-root", "/a", "stats", "--pin-root", "/b").pin_root,
			 "/b");
	BAD("invalid --pin-root '': empty path", "--pin-root", "", "list");
	BAD("option '--pin-root' requires an argument", "list", "--pin-root");
}
END_TEST

START_TEST(test_command_options)
{
	struct drop_args a;

	a = OK("attach", "--mode", "native", "eth0");
	ck_assert_int_eq(a.mode, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_str_eq(a.ops[0], "eth0");
	ck_assert_int_eq(OK("attach", "eth0", "--mode=generic").mode,
			 EBPFNET_XDP_MODE_GENERIC);
	ck_assert_int_eq(OK("attach", "eth0", "--mode", "auto").mode,
			 EBPFNET_XDP_MODE_AUTO);
	BAD("invalid --mode 'xdp': expected auto, native or generic",
	    "attach", "--mode", "xdp", "eth0");
	BAD("invalid --mode 'Native'", "attach", "eth0", "--mode", "Native");

	a = OK("add", "--action", "count", "proto", "udp");
	ck_assert_str_eq(a.action, "count");
	ck_assert_int_eq(a.nops, 2);
	/* --action alone is enough for the parser: the library judges the rule */
	ck_assert_str_eq(OK("add", "--action", "drop").action, "drop");
	/* and any word: the library judges it with the others */
	ck_assert_str_eq(OK("add", "--action", "bogus", "proto", "tcp").action,
			 "bogus");

	a = OK("events", "--count", "5", "--duration", "60");
	ck_assert_uint_eq(a.opts.count, 5);
	ck_assert_uint_eq(a.opts.duration_s, 60);

	/* a command's options: after the command, and only its own */
	BAD("option '--mode' must follow its command", "--mode", "native", "attach", "eth0");
	BAD("option '--mode' must follow its command", "--mode=native", "attach", "eth0");
	BAD("option '--count' must follow its command", "--count", "1", "events");
	BAD("'attach' takes no option '--count'", "attach", "--count", "1", "eth0");
	BAD("'list' takes no option '--mode'", "list", "--mode", "native");
	BAD("'events' takes no option '--action'", "events", "--action", "drop");
	BAD("'add' takes no option '--duration'", "add", "--duration", "1", "proto", "icmp");
}
END_TEST

START_TEST(test_numbers)
{
	struct drop_args a;

	ck_assert_uint_eq(OK("events", "--count",
			     "18446744073709551615").opts.count, UINT64_MAX);
	BAD("invalid --count '18446744073709551616': larger than 18446744073709551615",
	    "events", "--count", "18446744073709551616");
	BAD("invalid --count '0': must be at least 1", "events", "--count", "0");
	BAD("invalid --count 'x': not a decimal number", "events", "--count", "x");
	BAD("invalid --count ' 1': not a decimal number", "events", "--count", " 1");
	BAD("invalid --count '1x': trailing characters", "events", "--count", "1x");
	ck_assert_uint_eq(OK("events", "--duration", "31536000").opts.duration_s,
			  CLI_DURATION_MAX);
	BAD("invalid --duration '31536001': larger than 31536000",
	    "events", "--duration", "31536001");
	BAD("invalid --duration '0': must be at least 1", "events", "--duration", "0");
	BAD("option '--count' requires an argument", "events", "--count");

	a = OK("del", "4294967295");
	ck_assert_int_eq(a.command, DROP_CMD_DEL);
	ck_assert_uint_eq(a.rule_id, UINT32_MAX);
	ck_assert_uint_eq(OK("del", "007").rule_id, 7);
	BAD("invalid rule id '0': must be at least 1", "del", "0");
	BAD("invalid rule id '4294967296': larger than 4294967295", "del", "4294967296");
	BAD("invalid rule id 'x': not a decimal number", "del", "x");
	BAD("invalid rule id '+1': not a decimal number", "del", "+1");
	/* "-1" is an option to getopt, not a number */
	BAD("unknown option '-1'", "del", "-1");
	ck_assert_uint_eq(OK("del", "--", "12").rule_id, 12);
}
END_TEST

START_TEST(test_set)
{
	static const struct {
		const char *knob, *value;
		enum drop_setting setting;
		uint64_t set_value;
	} cases[] = {
		{ "frag", "inspect", DROP_SET_FRAG, EBPFNET_DROP_FRAG_INSPECT },
		{ "frag", "drop", DROP_SET_FRAG, EBPFNET_DROP_FRAG_DROP },
		{ "frag", "pass", DROP_SET_FRAG, EBPFNET_DROP_FRAG_PASS },
		{ "malformed", "pass", DROP_SET_MALFORMED, EBPFNET_DROP_MALFORMED_PASS },
		{ "malformed", "drop", DROP_SET_MALFORMED, EBPFNET_DROP_MALFORMED_DROP },
		{ "event-rate", "0", DROP_SET_EVENT_RATE, 0 },
		{ "event-rate", "4294967295", DROP_SET_EVENT_RATE, UINT32_MAX },
	};
	struct drop_args a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = OK("set", cases[i].knob, cases[i].value);
		ck_assert_int_eq(a.command, DROP_CMD_SET);
		ck_assert_int_eq(a.setting, cases[i].setting);
		ck_assert_uint_eq(a.set_value, cases[i].set_value);
		ck_assert_str_eq(a.ops[0], cases[i].knob);
		ck_assert_str_eq(a.ops[1], cases[i].value);
	}
	BAD("invalid 'set frag count': expected inspect, drop or pass", "set", "frag", "count");
	BAD("invalid 'set malformed inspect': expected pass or drop",
	    "set", "malformed", "inspect");
	BAD("invalid event rate '4294967296': larger than 4294967295",
	    "set", "event-rate", "4294967296");
	BAD("invalid event rate 'many': not a decimal number", "set", "event-rate", "many");
	BAD("unknown setting 'rate': expected frag, malformed or event-rate",
	    "set", "rate", "1");
	BAD("'set' needs a setting and its value", "set");
	BAD("'set' needs a setting and its value", "set", "frag");
	BAD("unexpected argument 'x' after 'set a setting and its value'",
	    "set", "frag", "drop", "x");
}
END_TEST

START_TEST(test_operands)
{
	BAD("'attach' needs IFACE", "attach");
	BAD("'detach' needs IFACE", "detach", "--json");
	BAD("'del' needs ID", "del");
	BAD("'add' needs MATCH words (e.g. proto icmp)", "add");
	BAD("'add' needs MATCH words", "add", "--json");
	BAD("unexpected argument 'eth1' after 'attach IFACE'", "attach", "eth0", "eth1");
	BAD("unexpected argument '2' after 'del ID'", "del", "1", "2");
	BAD("unexpected argument 'extra' after 'list'", "list", "extra");
	BAD("unexpected argument 'x' after 'events'", "events", "x", "--count", "1");
	/* the operand count is judged before the values */
	BAD("unexpected argument '2' after 'del ID'", "del", "x", "2");
}
END_TEST

START_TEST(test_double_dash)
{
	struct drop_args a;

	/* after "--" every word is an operand, the command first */
	ck_assert_int_eq(OK("--", "list").command, DROP_CMD_LIST);
	a = OK("--json", "add", "--", "proto", "icmp");
	ck_assert(a.opts.json);
	ck_assert_int_eq(a.nops, 2);
	ck_assert_str_eq(a.ops[1], "icmp");
	a = OK("add", "proto", "--", "--json");
	ck_assert(!a.opts.json);
	ck_assert_int_eq(a.nops, 2);
	ck_assert_str_eq(a.ops[1], "--json");
	BAD("unexpected argument '--json' after 'list'", "list", "--", "--json");
	BAD("unexpected argument '--pin-root' after 'list'", "--", "list", "--pin-root");
	BAD("unknown command '--json'", "--", "--json", "list");
	BAD("unknown setting '--': expected frag, malformed or event-rate",
	    "--", "set", "--", "frag");
}
END_TEST

START_TEST(test_help)
{
	HELP("-h");
	HELP("--help");
	/* help wins over a missing command or operand ... */
	HELP("list", "--help");
	HELP("attach", "-h");
	HELP("del", "x", "--help");
	/* ... but not over a line that is wrong on its own */
	BAD("unknown command 'bogus'", "--help", "bogus");
	BAD("unknown or ambiguous option '--bogus'", "--help", "--bogus");
	BAD("option '--mode' must follow its command", "--help", "--mode", "native");
}
END_TEST

START_TEST(test_getopt_errors)
{
	BAD("unknown or ambiguous option '--bogus'", "--bogus", "list");
	BAD("unknown or ambiguous option '--bogus'", "del", "--bogus", "1");
	BAD("unknown option '-x'", "-x", "list");
	BAD("unknown option '-x'", "-vx", "list");
	BAD("option '--json' takes no argument", "--json=1", "list");
	BAD("option '--verbose' takes no argument", "list", "--verbose=yes");
	BAD("option '--help' takes no argument", "--help=me");
	BAD("option '--duration' requires an argument", "events", "--duration");
	/* a unique prefix is the option */
	ck_assert_str_eq(OK("--pin", "/x", "list").pin_root, "/x");
}
END_TEST

/* The parser keeps no state between calls: a good parse after a bad one
 * (stopped mid-argv) and the other way round give the same answers. */
START_TEST(test_repeatable)
{
	int i;

	for (i = 0; i < 3; i++) {
		BAD("unknown option '-x'", "-vx", "list");
		ck_assert(OK("--json", "-v", "list").opts.json);
		BAD("requires an argument", "events", "--count");
		ck_assert_uint_eq(OK("events", "--count", "5").opts.count, 5);
		ck_assert(!OK("stats").opts.json);
		ck_assert_int_eq(OK("attach", "lo").nops, 1);
	}
}
END_TEST

START_TEST(test_bad_calls)
{
	struct drop_args a;

	check_bad_calls("list", &a);
}
END_TEST

START_TEST(test_usage_text)
{
	static const char *const must[] = {
		"attach IFACE", "detach IFACE", "add ", "del ID", "list", "stats",
		"events", "status", "set frag", "set malformed", "set event-rate",
		"--pin-root", "--json", "--verbose", "--help", "--mode", "--action",
		"--count", "--duration", EBPFNET_PIN_ROOT_DEFAULT,
	};

	USAGE_MENTIONS(must);
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("drop_args");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, free_last);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_global_options);
	tcase_add_test(tc, test_command_options);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_set);
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
