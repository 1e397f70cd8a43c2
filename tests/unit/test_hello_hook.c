/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello's hook choice (every feature combination x every requested hook,
 * the fallback order, the logged reasons) and ebpfnet_hello_open's option
 * validation, which must reject bad input before anything privileged: the
 * validation cases run in a child without privileges.
 */
#define _GNU_SOURCE
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hello_internal.h"

/* ---- log capture ------------------------------------------------------- */

static char last_log[1024];

static void capture(enum ebpfnet_print_level level, const char *msg)
{
	if (level == EBPFNET_PRINT_WARN)
		snprintf(last_log, sizeof(last_log), "%s", msg);
}

static void log_reset(void)
{
	last_log[0] = '\0';
	ebpfnet_set_print(capture);
}

#define ck_assert_logged(text)                                                 \
	ck_assert_msg(strstr(last_log, (text)), "log [%s] lacks [%s]", last_log, \
		      (text))

/* ---- hook choice --------------------------------------------------------- */

/* Feature set number `bits`: bit 0 fentry, 1 kprobe, 2 tracepoint, 3 btf. */
static struct ebpfnet_features features_of(unsigned int bits)
{
	struct ebpfnet_features f;

	memset(&f, 0, sizeof(f));
	f.sz = sizeof(f);
	f.fentry = bits & 1;
	f.kprobe = bits & 2;
	f.tracepoint = bits & 4;
	f.btf = bits & 8;
	return f;
}

/* What each hook needs, as the documentation says. */
static bool offered(enum ebpfnet_hello_hook hook, const struct ebpfnet_features *f)
{
	switch (hook) {
	case EBPFNET_HELLO_HOOK_FENTRY:
		return f->fentry && f->btf;
	case EBPFNET_HELLO_HOOK_KPROBE:
		return f->kprobe;
	case EBPFNET_HELLO_HOOK_TRACEPOINT:
		return f->tracepoint;
	default:
		return false;
	}
}

static const enum ebpfnet_hello_hook concrete[] = {
	EBPFNET_HELLO_HOOK_FENTRY, EBPFNET_HELLO_HOOK_KPROBE,
	EBPFNET_HELLO_HOOK_TRACEPOINT,
};

static int expected_auto(const struct ebpfnet_features *f)
{
	for (size_t i = 0; i < 3; i++)
		if (offered(concrete[i], f))
			return concrete[i];
	return -EOPNOTSUPP;
}

START_TEST(test_choose_every_combination)
{
	for (unsigned int bits = 0; bits < 16; bits++) {
		struct ebpfnet_features f = features_of(bits);

		for (size_t i = 0; i < 3; i++) {
			int want = offered(concrete[i], &f) ? (int)concrete[i] : -EOPNOTSUPP;

			log_reset();
			ck_assert_int_eq(ebpfnet__hello_hook_choose(concrete[i], &f), want);
			if (want < 0)
				ck_assert_logged("requested but");
		}
		log_reset();
		ck_assert_int_eq(ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_AUTO, &f),
				 expected_auto(&f));
		if (expected_auto(&f) < 0)
			ck_assert_logged("no hook available");
	}
}
END_TEST

START_TEST(test_choose_out_of_range)
{
	struct ebpfnet_features f = features_of(15);

	log_reset();
	ck_assert_int_eq(ebpfnet__hello_hook_choose((enum ebpfnet_hello_hook)4, &f), -EINVAL);
	ck_assert_logged("ebpfnet_hello_opts.hook: 4 is not a hook");
	ck_assert_int_eq(ebpfnet__hello_hook_choose((enum ebpfnet_hello_hook)-1, &f), -EINVAL);
	ck_assert_int_eq(ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_AUTO, NULL), -EINVAL);
}
END_TEST

START_TEST(test_choose_reasons)
{
	struct ebpfnet_features f = features_of(0);

	log_reset();
	ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_FENTRY, &f);
	ck_assert_logged("fentry requested but this kernel cannot load fentry programs");
	f.fentry = true;
	ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_FENTRY, &f);
	ck_assert_logged("fentry requested but this kernel has no BTF");
	ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_KPROBE, &f);
	ck_assert_logged("kprobe requested but this kernel has no kprobes");
	ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_TRACEPOINT, &f);
	ck_assert_logged("tracepoint requested but this kernel has no syscalls:sys_enter_execve");
}
END_TEST

/* The machine this was written on: only tracepoints work. */
START_TEST(test_choose_tracepoint_only_kernel)
{
	struct ebpfnet_features f = features_of(4 | 8);

	ck_assert_int_eq(ebpfnet__hello_hook_choose(EBPFNET_HELLO_HOOK_AUTO, &f),
			 EBPFNET_HELLO_HOOK_TRACEPOINT);
}
END_TEST

START_TEST(test_next_fallback_order)
{
	for (unsigned int bits = 0; bits < 16; bits++) {
		struct ebpfnet_features f = features_of(bits);

		for (size_t i = 0; i < 3; i++) {
			int want = -EOPNOTSUPP;

			for (size_t j = i + 1; j < 3 && want < 0; j++)
				if (offered(concrete[j], &f))
					want = concrete[j];
			ck_assert_int_eq(ebpfnet__hello_hook_next(concrete[i], &f), want);
		}
		ck_assert_int_eq(ebpfnet__hello_hook_next(EBPFNET_HELLO_HOOK_AUTO, &f), -EINVAL);
		ck_assert_int_eq(ebpfnet__hello_hook_next((enum ebpfnet_hello_hook)9, &f), -EINVAL);
	}
	/* everything offered: fentry, kprobe, tracepoint, then nothing */
	struct ebpfnet_features all = features_of(15);

	ck_assert_int_eq(ebpfnet__hello_hook_next(EBPFNET_HELLO_HOOK_FENTRY, &all),
			 EBPFNET_HELLO_HOOK_KPROBE);
	ck_assert_int_eq(ebpfnet__hello_hook_next(EBPFNET_HELLO_HOOK_KPROBE, &all),
			 EBPFNET_HELLO_HOOK_TRACEPOINT);
	ck_assert_int_eq(ebpfnet__hello_hook_next(EBPFNET_HELLO_HOOK_TRACEPOINT, &all),
			 -EOPNOTSUPP);
	ck_assert_int_eq(ebpfnet__hello_hook_next(EBPFNET_HELLO_HOOK_FENTRY, NULL), -EINVAL);
}
END_TEST

START_TEST(test_hook_names)
{
	ck_assert_str_eq(ebpfnet_hello_hook_name(EBPFNET_HELLO_HOOK_AUTO), "auto");
	ck_assert_str_eq(ebpfnet_hello_hook_name(EBPFNET_HELLO_HOOK_FENTRY), "fentry");
	ck_assert_str_eq(ebpfnet_hello_hook_name(EBPFNET_HELLO_HOOK_KPROBE), "kprobe");
	ck_assert_str_eq(ebpfnet_hello_hook_name(EBPFNET_HELLO_HOOK_TRACEPOINT), "tracepoint");
	ck_assert_str_eq(ebpfnet_hello_hook_name((enum ebpfnet_hello_hook)4), "unknown");
	ck_assert_str_eq(ebpfnet_hello_hook_name((enum ebpfnet_hello_hook)-1), "unknown");
}
END_TEST

/* ---- ebpfnet_hello_open validation ------------------------------------- */

static int dummy_event(void *ctx, const struct ebpfnet_hello_event *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

static int dummy_trace(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
	return 0;
}

/*
 * ebpfnet_hello_open(opts) in a child without privileges (nobody, when
 * run as root): returns NULL and errno `want`, with `reason` logged. A
 * privileged step taken before validation would fail with EPERM instead.
 */
static void expect_open_fails(const struct ebpfnet_hello_opts *opts, int want,
			      const char *reason)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ebpfnet_hello *h;

		if (geteuid() == 0 && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
				       setresuid(65534, 65534, 65534)))
			_exit(100);
		log_reset();
		errno = 0;
		h = ebpfnet_hello_open(opts);
		if (h)
			_exit(101);
		if (!strstr(last_log, reason)) {
			fprintf(stderr, "log [%s] lacks [%s]\n", last_log, reason);
			_exit(102);
		}
		_exit(errno);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == want, "open: exit %d, want errno %d (%s)",
		      WEXITSTATUS(status), want, reason);
}

START_TEST(test_open_null_and_callbacks)
{
	expect_open_fails(NULL, EINVAL, "on_event is required");

	EBPFNET_OPTS(ebpfnet_hello_opts, none);
	expect_open_fails(&none, EINVAL, "ebpfnet_hello_opts.on_event: required");

	EBPFNET_OPTS(ebpfnet_hello_opts, printk_no_trace, .printk = true,
		     .on_event = dummy_event);
	expect_open_fails(&printk_no_trace, EINVAL, "ebpfnet_hello_opts.on_trace: required");

	EBPFNET_OPTS(ebpfnet_hello_opts, printk_filter, .printk = true,
		     .on_trace = dummy_trace, .failed_only = true);
	expect_open_fails(&printk_filter, EINVAL, "do not apply in printk mode");
}
END_TEST

START_TEST(test_open_comm)
{
	EBPFNET_OPTS(ebpfnet_hello_opts, o, .on_event = dummy_event,
		     .comm = "averyveryverylongname");
	expect_open_fails(&o, EINVAL,
			  "ebpfnet_hello_opts.comm: 'averyveryverylongname' is longer than 15 bytes");
	o.comm = "0123456789abcdef"; /* 16 */
	expect_open_fails(&o, EINVAL, "is longer than 15 bytes");
	o.comm = "";
	expect_open_fails(&o, EINVAL, "ebpfnet_hello_opts.comm: empty");
}
END_TEST

START_TEST(test_open_ringbuf_size)
{
	const size_t bad[] = { 1, 3, 1024, 4096 + 1, 3 * 4096, (size_t)1 << 31,
			       (size_t)-1 };

	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(bad); i++) {
		EBPFNET_OPTS(ebpfnet_hello_opts, o, .on_event = dummy_event,
			     .ringbuf_size = bad[i]);
		expect_open_fails(&o, EINVAL, "ebpfnet_hello_opts.ringbuf_size");
	}
}
END_TEST

START_TEST(test_open_hook_value)
{
	EBPFNET_OPTS(ebpfnet_hello_opts, o, .on_event = dummy_event,
		     .hook = (enum ebpfnet_hello_hook)4);
	expect_open_fails(&o, EINVAL, "ebpfnet_hello_opts.hook: 4 is not a hook");
	o.hook = (enum ebpfnet_hello_hook)-1;
	expect_open_fails(&o, EINVAL, "ebpfnet_hello_opts.hook");
}
END_TEST

/* A newer caller's struct: known fields, then bytes this library lacks. */
struct hello_opts_newer {
	struct ebpfnet_hello_opts known;
	uint64_t future_field;
};

START_TEST(test_open_unknown_trailing_bytes)
{
	struct hello_opts_newer newer;

	memset(&newer, 0, sizeof(newer));
	newer.known.sz = sizeof(newer);
	newer.known.on_event = dummy_event;
	newer.future_field = 1;
	expect_open_fails(&newer.known, EINVAL, "ebpfnet_hello_opts");

	EBPFNET_OPTS(ebpfnet_hello_opts, tiny, .on_event = dummy_event);
	tiny.sz = 1; /* does not even cover sz */
	expect_open_fails(&tiny, EINVAL, "ebpfnet_hello_opts");
}
END_TEST

START_TEST(test_open_missing_cgroup)
{
	EBPFNET_OPTS(ebpfnet_hello_opts, o, .on_event = dummy_event,
		     .cgroup_path = "/nonexistent/ebpfnet-test-cgroup");
	expect_open_fails(&o, ENOENT, "cgroup");
	o.cgroup_path = "";
	expect_open_fails(&o, EINVAL, "ebpfnet_hello_opts.cgroup_path: empty");
}
END_TEST

START_TEST(test_null_handles)
{
	EBPFNET_OPTS(ebpfnet_hello_stats, s);

	ck_assert_int_eq(ebpfnet_hello_attach(NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_hello_poll(NULL, 0), -EINVAL);
	ck_assert_int_eq(ebpfnet_hello_consume(NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_hello_fd(NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_hello_stats(NULL, &s), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ebpfnet_hello_destroy(NULL);
}
END_TEST

static Suite *hello_hook_suite(void)
{
	Suite *s = suite_create("hello_hook");
	TCase *choice = tcase_create("choice");
	TCase *open = tcase_create("open");

	tcase_add_test(choice, test_choose_every_combination);
	tcase_add_test(choice, test_choose_out_of_range);
	tcase_add_test(choice, test_choose_reasons);
	tcase_add_test(choice, test_choose_tracepoint_only_kernel);
	tcase_add_test(choice, test_next_fallback_order);
	tcase_add_test(choice, test_hook_names);
	suite_add_tcase(s, choice);

	tcase_add_test(open, test_open_null_and_callbacks);
	tcase_add_test(open, test_open_comm);
	tcase_add_test(open, test_open_ringbuf_size);
	tcase_add_test(open, test_open_hook_value);
	tcase_add_test(open, test_open_unknown_trailing_bytes);
	tcase_add_test(open, test_open_missing_cgroup);
	tcase_add_test(open, test_null_handles);
	suite_add_tcase(s, open);
	return s;
}

int main(void)
{
	return test_run_suite(hello_hook_suite(), CK_NORMAL);
}
