/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The helpers the CLIs' argument parsers share (bin/cli_args.c): strict
 * decimal numbers with their bounds and messages, path values, the shared
 * options (--json, -v, --count, --duration), the usage message into a
 * caller's buffer, and getopt_long with its errors worded.
 */
#include <check.h>

#include "check_run.h"
#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "cli_args.h"

static const struct cli_number count_number = { "--count", 1, UINT64_MAX, NULL };
static const struct cli_number small_number = {
	"--small", 10, 20, "not a positive decimal number"
};

/* Parse s as `number`: the return code; *v and err as the parser left them. */
static int number(const struct cli_number *n, const char *s, uint64_t *v,
		  char *err, size_t errlen)
{
	*v = 0xdeadbeef;
	memset(err, 'X', errlen);
	return cli_parse_number(n, s, v, err, errlen);
}

START_TEST(test_number_good)
{
	static const struct {
		const char *s;
		uint64_t v;
	} cases[] = {
		{ "1", 1 },
		{ "007", 7 },
		{ "4294967296", 4294967296ull },
		{ "18446744073709551615", UINT64_MAX },
	};
	char err[128];
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(number(&count_number, cases[i].s, &v, err,
					sizeof(err)), 0);
		ck_assert_uint_eq(v, cases[i].v);
	}
	ck_assert_int_eq(number(&small_number, "10", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(number(&small_number, "20", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 20);
}
END_TEST

START_TEST(test_number_bad)
{
	static const struct {
		const struct cli_number *n;
		const char *s, *err;
	} cases[] = {
		{ &count_number, "", "invalid --count '': not a decimal number" },
		{ &count_number, "-1", "invalid --count '-1': not a decimal number" },
		{ &count_number, "+1", "invalid --count '+1': not a decimal number" },
		{ &count_number, " 1", "invalid --count ' 1': not a decimal number" },
		{ &count_number, "x", "invalid --count 'x': not a decimal number" },
		{ &count_number, "1 ", "invalid --count '1 ': trailing characters after the number" },
		{ &count_number, "0x10", "invalid --count '0x10': trailing characters after the number" },
		{ &count_number, "1.5", "invalid --count '1.5': trailing characters after the number" },
		{ &count_number, "18446744073709551616",
		  "invalid --count '18446744073709551616': larger than 18446744073709551615" },
		{ &count_number, "99999999999999999999999",
		  "invalid --count '99999999999999999999999': larger than 18446744073709551615" },
		{ &count_number, "0", "invalid --count '0': must be at least 1" },
		{ &count_number, "000", "invalid --count '000': must be at least 1" },
		{ &small_number, "-5", "invalid --small '-5': not a positive decimal number" },
		{ &small_number, "9", "invalid --small '9': must be at least 10" },
		{ &small_number, "21", "invalid --small '21': larger than 20" },
		{ &small_number, "4294967306", "invalid --small '4294967306': larger than 20" },
	};
	char err[128];
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(number(cases[i].n, cases[i].s, &v, err,
					sizeof(err)), -1);
		ck_assert_str_eq(err, cases[i].err);
		/* nothing written on failure */
		ck_assert_uint_eq(v, 0xdeadbeef);
	}
	/* no room for the reason: still the answer */
	ck_assert_int_eq(cli_parse_number(&count_number, "x", &v, NULL, 0), -1);
}
END_TEST

START_TEST(test_usage_msg)
{
	char err[8];

	ck_assert_int_eq(cli_usage_msg(err, sizeof(err), "%s %d", "abc", 42), -1);
	ck_assert_str_eq(err, "abc 42");
	/* truncated, terminated */
	ck_assert_int_eq(cli_usage_msg(err, sizeof(err), "%s", "0123456789"), -1);
	ck_assert_str_eq(err, "0123456");
	/* nowhere to write */
	ck_assert_int_eq(cli_usage_msg(NULL, 10, "x"), -1);
	err[0] = 'Q';
	ck_assert_int_eq(cli_usage_msg(err, 0, "x"), -1);
	ck_assert_int_eq(err[0], 'Q');
}
END_TEST

enum { OPT_LONG_ONLY = 0x100, OPT_LONG_TOO, OPT_WITH_ARG, OPT_FLAG = 'f' };

static const struct option options[] = {
	{ "long-only", no_argument, NULL, OPT_LONG_ONLY },
	{ "long-too", no_argument, NULL, OPT_LONG_TOO },
	{ "with-arg", required_argument, NULL, OPT_WITH_ARG },
	{ "flag", no_argument, NULL, OPT_FLAG },
	{ NULL, 0, NULL, 0 },
};

START_TEST(test_option_name)
{
	ck_assert_str_eq(cli_option_name(options, OPT_LONG_ONLY), "long-only");
	ck_assert_str_eq(cli_option_name(options, OPT_WITH_ARG), "with-arg");
	ck_assert_str_eq(cli_option_name(options, OPT_FLAG), "flag");
	ck_assert_str_eq(cli_option_name(options, 'z'), "?");
	/* the terminator's val is no option */
	ck_assert_str_eq(cli_option_name(options, 0), "?");
}
END_TEST

/* cli_getopt_next() over the arguments past the options: -1 (the end)
 * or CLI_GETOPT_ERROR. */
static int getopt_answer(char *arg1, char *arg2, char *err, size_t errlen)
{
	char prog[] = "prog";
	char *argv[] = { prog, arg1, arg2, NULL };
	int argc = arg2 ? 3 : 2, c;

	cli_getopt_restart();
	do
		c = cli_getopt_next(argc, argv, "+:f", options, err, errlen);
	while (c > 0);
	return c;
}

/* cli_getopt_next() must answer CLI_GETOPT_ERROR with `expect`. */
static void getopt_says(const char *expect, char *arg1, char *arg2)
{
	char err[128];

	memset(err, 'X', sizeof(err));
	ck_assert_int_eq(getopt_answer(arg1, arg2, err, sizeof(err)),
			 CLI_GETOPT_ERROR);
	ck_assert_str_eq(err, expect);
}

START_TEST(test_getopt_errors)
{
	char missing[] = "--with-arg", flag_arg[] = "--flag=1";
	char long_arg[] = "--long-only=x", unknown_long[] = "--nope";
	char unknown_short[] = "-x", cluster[] = "-fx", prefix[] = "--with";
	char ambiguous[] = "--long", ok[] = "-f";

	getopt_says("option '--with-arg' requires an argument", missing, NULL);
	getopt_says("option '--with-arg' requires an argument", prefix, NULL);
	getopt_says("option '--flag' takes no argument", flag_arg, NULL);
	getopt_says("option '--long-only' takes no argument", long_arg, NULL);
	getopt_says("unknown or ambiguous option '--nope'", unknown_long, NULL);
	getopt_says("unknown option '-x'", unknown_short, NULL);
	getopt_says("unknown option '-x'", cluster, NULL);
	getopt_says("unknown option '-x'", ok, unknown_short);
	getopt_says("unknown or ambiguous option '--long'", ambiguous, NULL);
}
END_TEST

START_TEST(test_getopt_good)
{
	char prog[] = "prog", with[] = "--with-arg=v", flag[] = "-f";
	char lone[] = "--long-only", operand[] = "op";
	char *argv[] = { prog, with, flag, lone, operand, NULL };
	char err[16] = "";
	int round;

	/* the same answers again after a restart */
	for (round = 0; round < 2; round++) {
		cli_getopt_restart();
		ck_assert_int_eq(cli_getopt_next(5, argv, "+:f", options, err,
						 sizeof(err)), OPT_WITH_ARG);
		ck_assert_str_eq(optarg, "v");
		ck_assert_int_eq(cli_getopt_next(5, argv, "+:f", options, err,
						 sizeof(err)), OPT_FLAG);
		ck_assert_int_eq(cli_getopt_next(5, argv, "+:f", options, err,
						 sizeof(err)), OPT_LONG_ONLY);
		ck_assert_int_eq(cli_getopt_next(5, argv, "+:f", options, err,
						 sizeof(err)), -1);
		ck_assert_int_eq(optind, 4);
		ck_assert_str_eq(err, "");
		ck_assert_int_eq(opterr, 0);
	}
}
END_TEST

START_TEST(test_path)
{
	const char *path = "untouched";
	char err[64];

	ck_assert_int_eq(cli_parse_path("--dir", "/x", &path, err, sizeof(err)), 0);
	ck_assert_str_eq(path, "/x");
	path = "untouched";
	ck_assert_int_eq(cli_parse_path("--dir", "", &path, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid --dir '': empty path");
	ck_assert_str_eq(path, "untouched");
}
END_TEST

START_TEST(test_apply_opt)
{
	struct cli_opts o;
	char err[128];

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_JSON, NULL, NULL, err, sizeof(err)), 0);
	ck_assert(o.json);
	ck_assert(!o.verbose);
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_VERBOSE, NULL, NULL, err, sizeof(err)), 0);
	ck_assert(o.verbose);
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_COUNT, "18446744073709551615", NULL,
				       err, sizeof(err)), 0);
	ck_assert_uint_eq(o.count, UINT64_MAX);
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_DURATION, "31536000", NULL, err,
				       sizeof(err)), 0);
	ck_assert_uint_eq(o.duration_s, CLI_DURATION_MAX);

	/* bounds, and a failed value leaves the field alone */
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_DURATION, "31536001", NULL, err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid --duration '31536001': larger than 31536000");
	ck_assert_uint_eq(o.duration_s, CLI_DURATION_MAX);
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_DURATION, "0", NULL, err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid --duration '0': must be at least 1");
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_COUNT, "0", NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid --count '0': must be at least 1");
	ck_assert_uint_eq(o.count, UINT64_MAX);
	/* the CLI's wording of a non-number */
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_COUNT, "-1", NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid --count '-1': not a decimal number");
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_COUNT, "-1", "not a positive decimal number",
				       err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid --count '-1': not a positive decimal number");
	/* not a shared option */
	ck_assert_int_eq(cli_apply_opt(&o, 0x100, "x", NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "internal error: option 256 not handled");
	ck_assert_int_eq(cli_apply_opt(&o, CLI_OPT_HELP, NULL, NULL, err, sizeof(err)), -1);
}
END_TEST

/* The shared rows name the shared vals; a CLI's own start at 0x100. */
START_TEST(test_shared_rows)
{
	static const struct option rows[] = {
		CLI_OPTION_JSON, CLI_OPTION_COUNT, CLI_OPTION_DURATION,
		CLI_OPTION_VERBOSE, CLI_OPTION_HELP, CLI_OPTION_END,
	};

	ck_assert_str_eq(cli_option_name(rows, CLI_OPT_JSON), "json");
	ck_assert_str_eq(cli_option_name(rows, CLI_OPT_COUNT), "count");
	ck_assert_str_eq(cli_option_name(rows, CLI_OPT_DURATION), "duration");
	ck_assert_str_eq(cli_option_name(rows, 'v'), "verbose");
	ck_assert_str_eq(cli_option_name(rows, 'h'), "help");
	ck_assert_int_lt(CLI_OPT_DURATION, 0x100);
	ck_assert_int_eq(rows[1].has_arg, required_argument);
	ck_assert_int_eq(rows[2].has_arg, required_argument);
	ck_assert_int_eq(rows[0].has_arg, no_argument);
	ck_assert_ptr_null(rows[5].name);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli_args");
	TCase *tc = tcase_create("helpers");

	tcase_add_test(tc, test_number_good);
	tcase_add_test(tc, test_number_bad);
	tcase_add_test(tc, test_usage_msg);
	tcase_add_test(tc, test_option_name);
	tcase_add_test(tc, test_getopt_errors);
	tcase_add_test(tc, test_getopt_good);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_apply_opt);
	tcase_add_test(tc, test_shared_rows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(cli_suite(), CK_NORMAL);
}
