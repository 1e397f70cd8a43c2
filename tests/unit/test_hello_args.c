/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-hello's argument parser (bin/hello_args.c): every option with
 * valid and invalid values, getopt errors, conflicts, operands, and that
 * it can be called again and again.
 */
#include <check.h>

#include "check_run.h"
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello_args.h"

#define ARGS_CHECK_PROGRAM "ebpfnet-hello"
#define ARGS_CHECK_TYPE struct hello_args
#define ARGS_CHECK_PARSE hello_args_parse
#define ARGS_CHECK_USAGE hello_args_usage
#include "args_check.h"

START_TEST(test_defaults)
{
	char *argv[] = { "ebpfnet-hello", NULL };
	struct hello_args a;
	char err[64];

	ck_assert_int_eq(hello_args_parse(1, argv, &a, err, sizeof(err)), 0);
	ck_assert(!a.filter_uid);
	ck_assert_ptr_null(a.comm);
	ck_assert_ptr_null(a.cgroup_path);
	ck_assert(!a.failed_only);
	ck_assert_int_eq(a.hook, EBPFNET_HELLO_HOOK_AUTO);
	ck_assert(!a.printk);
	ck_assert_uint_eq(a.opts.duration_s, 0);
	ck_assert_uint_eq(a.opts.count, 0);
	ck_assert(!a.opts.json);
	ck_assert(!a.opts.verbose);
}
END_TEST

START_TEST(test_all_options)
{
	struct hello_args a;

	a = OK("--uid", "1000", "--comm", "bash", "--cgroup", "/sys/fs/cgroup/x",
	       "--failed", "--mode", "tracepoint", "--duration", "10",
	       "--count", "3", "--json", "-v");
	ck_assert(a.filter_uid);
	ck_assert_uint_eq(a.uid, 1000);
	ck_assert_str_eq(a.comm, "bash");
	ck_assert_str_eq(a.cgroup_path, "/sys/fs/cgroup/x");
	ck_assert(a.failed_only);
	ck_assert_int_eq(a.hook, EBPFNET_HELLO_HOOK_TRACEPOINT);
	ck_assert_uint_eq(a.opts.duration_s, 10);
	ck_assert_uint_eq(a.opts.count, 3);
	ck_assert(a.opts.json);
	ck_assert(a.opts.verbose);
	ck_assert(!a.printk);

	/* --opt=value and --verbose */
	a = OK("--uid=0", "--verbose", "--count=1");
	ck_assert(a.filter_uid);
	ck_assert_uint_eq(a.uid, 0);
	ck_assert(a.opts.verbose);
	ck_assert_uint_eq(a.opts.count, 1);

	/* the printk mode */
	a = OK("--printk");
	ck_assert(a.printk);

	/* the last of a repeated option wins */
	a = OK("--mode", "kprobe", "--mode", "fentry");
	ck_assert_int_eq(a.hook, EBPFNET_HELLO_HOOK_FENTRY);
	a = OK("--mode", "auto");
	ck_assert_int_eq(a.hook, EBPFNET_HELLO_HOOK_AUTO);
	a = OK("--mode", "kprobe");
	ck_assert_int_eq(a.hook, EBPFNET_HELLO_HOOK_KPROBE);

	/* "--" ends the options */
	a = OK("--json", "--");
	ck_assert(a.opts.json);
}
END_TEST

START_TEST(test_help)
{
	HELP("-h");
	HELP("--help");
	HELP("--json", "--help", "--count", "2");
	/* help is asked for, but the line is still wrong: say so */
	BAD("unknown", "--help", "--bogus");
}
END_TEST

START_TEST(test_numbers)
{
	static const char *const opts[] = { "--duration", "--count", "--uid" };
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *o = opts[i];
		bool is_uid = strcmp(o, "--uid") == 0;

		BAD(is_uid ? "no such user" : "not a positive decimal", o, "-1");
		BAD(is_uid ? "empty" : "not a positive decimal", o, "");
		BAD("trailing characters", o, "1x");
		BAD("trailing characters", o, "1 ");
		BAD("larger than", o, "99999999999999999999");
		BAD(is_uid ? "no such user" : "not a positive decimal", o, " 1");
		BAD(is_uid ? "no such user" : "not a positive decimal", o, "+1");
		BAD("trailing characters", o, "0x10");
		BAD("trailing characters", o, "1.5");
	}
	BAD("at least 1", "--duration", "0");
	BAD("at least 1", "--count", "0");
	BAD("at least 1", "--count", "000");
	ck_assert_uint_eq(OK("--duration", "1").opts.duration_s, 1);
	ck_assert_uint_eq(OK("--duration", "31536000").opts.duration_s, 31536000);
	BAD("larger than 31536000", "--duration", "31536001");
	BAD("larger than", "--duration", "4294967297");
	ck_assert_uint_eq(OK("--count", "18446744073709551615").opts.count,
			  UINT64_MAX);
	BAD("larger than", "--count", "18446744073709551616");
	ck_assert_uint_eq(OK("--count", "007").opts.count, 7);
	ck_assert_uint_eq(OK("--uid", "4294967294").uid, 4294967294u);
	BAD("larger than", "--uid", "4294967295"); /* (uid_t)-1 */
	BAD("larger than", "--uid", "4294967296");
}
END_TEST

START_TEST(test_uid_names)
{
	struct hello_args a;
	struct passwd *pw;

	a = OK("--uid", "root");
	ck_assert(a.filter_uid);
	ck_assert_uint_eq(a.uid, 0);
	/* any other user this system has */
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_name[0] < '0' || pw->pw_name[0] > '9')
			break;
	}
	if (pw) {
		char name[256];
		uid_t uid = pw->pw_uid;

		snprintf(name, sizeof(name), "%s", pw->pw_name);
		endpwent();
		ck_assert_uint_eq(OK("--uid", name).uid, uid);
	} else {
		endpwent();
	}
	BAD("no such user", "--uid", "no-such-user-ebpfnet-test");
	BAD("requires an argument", "--uid");
}
END_TEST

START_TEST(test_comm)
{
	ck_assert_str_eq(OK("--comm", "123456789012345").comm, "123456789012345");
	ck_assert_str_eq(OK("--comm=x").comm, "x");
	BAD("1 to 15 bytes", "--comm", "1234567890123456");
	BAD("1 to 15 bytes", "--comm", "");
	/* bytes, not characters: 8 x 2-byte "é" is 16 bytes */
	BAD("1 to 15 bytes", "--comm",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	BAD("requires an argument", "--comm");
}
END_TEST

START_TEST(test_cgroup)
{
	ck_assert_str_eq(OK("--cgroup", "/nonexistent").cgroup_path,
			 "/nonexistent");
	BAD("empty path", "--cgroup", "");
	BAD("requires an argument", "--cgroup");
}
END_TEST

START_TEST(test_mode)
{
	BAD("invalid --mode 'xdp'", "--mode", "xdp");
	BAD("expected auto, fentry, kprobe or tracepoint", "--mode", "");
	BAD("invalid --mode", "--mode", "Fentry");
	BAD("invalid --mode", "--mode", "fentry ");
	BAD("requires an argument", "--mode");
}
END_TEST

START_TEST(test_getopt_errors)
{
	BAD("unknown or ambiguous option '--bogus'", "--bogus");
	BAD("unknown option '-x'", "-x");
	BAD("unknown option '-x'", "-vx");
	BAD("requires an argument", "--json", "--duration");
	BAD("requires an argument", "--count");
	BAD("option '--json' takes no argument", "--json=yes");
	BAD("option '--failed' takes no argument", "--failed=1");
	BAD("option '--help' takes no argument", "--help=me");
	/* --c could be --comm, --cgroup or --count */
	BAD("ambiguous", "--c", "1");
}
END_TEST

START_TEST(test_operands)
{
	BAD("unexpected argument 'foo'", "foo");
	BAD("unexpected argument 'foo'", "--json", "foo");
	BAD("unexpected argument 'foo'", "foo", "--json");
	BAD("unexpected argument '--json'", "--", "--json");
	BAD("unexpected argument '-'", "-");
}
END_TEST

START_TEST(test_conflicts)
{
	BAD("--printk cannot be combined with --json", "--printk", "--json");
	BAD("--printk cannot be combined with --json", "--json", "--printk");
	BAD("--printk cannot be combined with --uid", "--printk", "--uid", "0");
	BAD("--printk cannot be combined with --comm", "--comm", "sh", "--printk");
	BAD("--printk cannot be combined with --cgroup", "--printk", "--cgroup", "/x");
	BAD("--printk cannot be combined with --failed", "--printk", "--failed");
	ck_assert(OK("--printk", "--count", "2", "--duration", "5", "-v",
		     "--mode", "tracepoint").printk);
}
END_TEST

/* The parser keeps no state between calls: a good parse after a bad one
 * (stopped mid-argv) and the other way round give the same answers. */
START_TEST(test_repeatable)
{
	int i;

	for (i = 0; i < 3; i++) {
		BAD("unknown", "-vx", "--json");
		ck_assert(OK("--json", "-v").opts.json);
		BAD("requires an argument", "--count");
		ck_assert_uint_eq(OK("--count", "5", "-v").opts.count, 5);
		ck_assert(!OK("-v").opts.json);
	}
}
END_TEST

START_TEST(test_bad_calls)
{
	char *argv[] = { "ebpfnet-hello", NULL };
	struct hello_args a;
	char err[64];

	ck_assert_int_eq(hello_args_parse(0, argv, &a, err, sizeof(err)), -1);
	ck_assert_int_eq(hello_args_parse(1, NULL, &a, err, sizeof(err)), -1);
	ck_assert_int_eq(hello_args_parse(1, argv, NULL, err, sizeof(err)), -1);
	/* no room for the message: still an answer, nothing written */
	ck_assert_int_eq(hello_args_parse(1, NULL, &a, NULL, 0), -1);
	/* a small err buffer gets a truncated, terminated message */
	{
		char small[8];
		char *bad[] = { "ebpfnet-hello", "--bogus-option", NULL };

		ck_assert_int_eq(hello_args_parse(2, bad, &a, small, sizeof(small)), -1);
		ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	}
}
END_TEST

START_TEST(test_usage_text)
{
	static const char *const must[] = {
		"--uid", "--comm", "--cgroup", "--failed", "--mode", "--printk",
		"--duration", "--count", "--json", "--verbose", "--help",
	};

	USAGE_MENTIONS(must);
}
END_TEST

static Suite *args_suite(void)
{
	Suite *s = suite_create("hello_args");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_all_options);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_uid_names);
	tcase_add_test(tc, test_comm);
	tcase_add_test(tc, test_cgroup);
	tcase_add_test(tc, test_mode);
	tcase_add_test(tc, test_getopt_errors);
	tcase_add_test(tc, test_operands);
	tcase_add_test(tc, test_conflicts);
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
