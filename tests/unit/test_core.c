/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The library core without privileges: version, strerror, the print
 * callback and libbpf forwarding, options/output struct checking, the
 * features formatter, and argument validation of the mount and pin helpers
 * (only inputs that fail before the file system is touched).
 */
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <ebpfnet/ebpfnet.h>

#include "internal.h"

/* ---- a print callback that records what it gets ------------------------ */

#define MAX_MSGS 32

struct captured {
	enum ebpfnet_print_level level;
	char *msg;
};

static struct captured msgs[MAX_MSGS];
static int n_msgs;

static void capture(enum ebpfnet_print_level level, const char *msg)
{
	if (n_msgs < MAX_MSGS) {
		msgs[n_msgs].level = level;
		msgs[n_msgs].msg = strdup(msg);
	}
	n_msgs++;
}

static void other_capture(enum ebpfnet_print_level level, const char *msg)
{
	capture(level, msg);
}

static void reset_msgs(void)
{
	int i;

	for (i = 0; i < n_msgs && i < MAX_MSGS; i++)
		free(msgs[i].msg);
	n_msgs = 0;
}

/* Index of the first captured message containing `needle`, or -1. */
static int find_msg(const char *needle)
{
	int i;

	for (i = 0; i < n_msgs && i < MAX_MSGS; i++)
		if (strstr(msgs[i].msg, needle))
			return i;
	return -1;
}

static void setup_capture(void)
{
	reset_msgs();
	ebpfnet_set_print(capture);
}

static void teardown_capture(void)
{
	ebpfnet_set_print(NULL);
	ebpfnet_forward_libbpf(false);
	reset_msgs();
}

/* ---- version and errors ------------------------------------------------ */

START_TEST(test_version)
{
	unsigned major, minor, patch;

	ck_assert_str_eq(ebpfnet_version(), EBPFNET_VERSION);
	ck_assert_int_eq(sscanf(ebpfnet_version(), "%u.%u.%u", &major, &minor,
				&patch), 3);
	ck_assert_uint_eq(major, EBPFNET_VERSION_MAJOR);
	ck_assert_uint_eq(minor, EBPFNET_VERSION_MINOR);
	ck_assert_uint_eq(patch, EBPFNET_VERSION_PATCH);
}
END_TEST

START_TEST(test_strerror)
{
	int e;

	ck_assert_str_eq(ebpfnet_strerror(-EPERM), "Operation not permitted");
	ck_assert_str_eq(ebpfnet_strerror(EPERM), "Operation not permitted");
	ck_assert_str_eq(ebpfnet_strerror(-ENOENT),
			 "No such file or directory");
	ck_assert_str_eq(ebpfnet_strerror(-EOPNOTSUPP), "Operation not supported");
	ck_assert_str_eq(ebpfnet_strerror(0), "Success");
	ck_assert_str_eq(ebpfnet_strerror(-99999), "Unknown error");
	ck_assert_str_eq(ebpfnet_strerror(99999), "Unknown error");
	ck_assert_str_eq(ebpfnet_strerror(INT_MIN), "Unknown error");
	ck_assert_str_eq(ebpfnet_strerror(INT_MAX), "Unknown error");
	/* Every code: never NULL, same text either sign, and the text is
	 * static (the same pointer on each call, no shared buffer). */
	for (e = 1; e < 200; e++) {
		const char *neg = ebpfnet_strerror(-e);

		ck_assert_ptr_nonnull(neg);
		ck_assert_ptr_eq(neg, ebpfnet_strerror(e));
		ck_assert_ptr_eq(neg, ebpfnet_strerror(-e));
	}
}
END_TEST

/* ---- logging ----------------------------------------------------------- */

START_TEST(test_set_print_returns_previous)
{
	ck_assert_ptr_null(ebpfnet_set_print(capture));
	ck_assert_ptr_eq(ebpfnet_set_print(other_capture), capture);
	ck_assert_ptr_eq(ebpfnet_set_print(NULL), other_capture);
	ck_assert_ptr_null(ebpfnet_set_print(NULL));
}
END_TEST

START_TEST(test_log_levels_and_newline)
{
	pr_warn("warn %d\n", 1);
	pr_info("info %s", "two");
	pr_debug("debug %c", '3');
	ck_assert_int_eq(n_msgs, 3);
	ck_assert_int_eq(msgs[0].level, EBPFNET_PRINT_WARN);
	ck_assert_str_eq(msgs[0].msg, "warn 1");
	ck_assert_int_eq(msgs[1].level, EBPFNET_PRINT_INFO);
	ck_assert_str_eq(msgs[1].msg, "info two");
	ck_assert_int_eq(msgs[2].level, EBPFNET_PRINT_DEBUG);
	ck_assert_str_eq(msgs[2].msg, "debug 3");
}
END_TEST

START_TEST(test_log_multiline_and_errno)
{
	errno = ENOSPC;
	pr_info("first\nsecond\n\nthird\n");
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(n_msgs, 3);
	ck_assert_str_eq(msgs[0].msg, "first");
	ck_assert_str_eq(msgs[1].msg, "second");
	ck_assert_str_eq(msgs[2].msg, "third");
}
END_TEST

START_TEST(test_log_long_message)
{
	size_t lens[] = { 511, 512, 513, 4096, 100000 };
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(lens); i++) {
		char *text = malloc(lens[i] + 1);

		ck_assert_ptr_nonnull(text);
		memset(text, 'x', lens[i]);
		text[lens[i]] = '\0';
		reset_msgs();
		pr_warn("%s", text);
		ck_assert_int_eq(n_msgs, 1);
		ck_assert_uint_eq(strlen(msgs[0].msg), lens[i]);
		free(text);
	}
}
END_TEST

START_TEST(test_log_without_callback)
{
	ebpfnet_set_print(NULL);
	pr_warn("nobody listens %d", 1);
	ck_assert_int_eq(n_msgs, 0);
}
END_TEST

/* ---- libbpf forwarding ------------------------------------------------- */

static int libbpf_calls;

static int sentinel_libbpf_print(enum libbpf_print_level level,
				 const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	libbpf_calls++;
	return 0;
}

/* libbpf's current print function (put back at once). */
static libbpf_print_fn_t current_libbpf_print(void)
{
	libbpf_print_fn_t cur = libbpf_set_print(NULL);

	libbpf_set_print(cur);
	return cur;
}

/* Make libbpf log a warning: opening a missing object file (it also logs
 * "loading object from ..." at debug level). */
#define LIBBPF_WARNING "elf: failed to open /nonexistent/ebpfnet-test.bpf.o"

static void provoke_libbpf_warning(void)
{
	struct bpf_object *obj =
		bpf_object__open_file("/nonexistent/ebpfnet-test.bpf.o", NULL);

	ck_assert_ptr_null(obj);
}

START_TEST(test_forward_restores_previous)
{
	libbpf_set_print(sentinel_libbpf_print);

	ck_assert_int_eq(ebpfnet_forward_libbpf(true), 0);
	ck_assert_ptr_ne(current_libbpf_print(), sentinel_libbpf_print);
	/* Idempotent: a second enable must not save our own forwarder. */
	ck_assert_int_eq(ebpfnet_forward_libbpf(true), 0);
	ck_assert_int_eq(ebpfnet_forward_libbpf(false), 0);
	ck_assert_ptr_eq(current_libbpf_print(), sentinel_libbpf_print);
	ck_assert_int_eq(ebpfnet_forward_libbpf(false), 0);
	ck_assert_ptr_eq(current_libbpf_print(), sentinel_libbpf_print);

	/* Off: libbpf's messages go to its own printer, not to ours. */
	libbpf_calls = 0;
	provoke_libbpf_warning();
	ck_assert_int_gt(libbpf_calls, 0);
	ck_assert_int_eq(n_msgs, 0);
}
END_TEST

START_TEST(test_forward_levels_and_quiet)
{
	int i;

	libbpf_set_print(sentinel_libbpf_print);
	ebpfnet_forward_libbpf(true);
	libbpf_calls = 0;

	provoke_libbpf_warning();
	ck_assert_int_eq(libbpf_calls, 0);
	i = find_msg(LIBBPF_WARNING);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(msgs[i].level, EBPFNET_PRINT_WARN);
	ck_assert_ptr_null(strchr(msgs[i].msg, '\n'));
	i = find_msg("loading object from");
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(msgs[i].level, EBPFNET_PRINT_DEBUG);

	/* Nested quiet sections demote to DEBUG until the outermost ends. */
	ebpfnet__libbpf_quiet_begin();
	ebpfnet__libbpf_quiet_begin();
	ebpfnet__libbpf_quiet_end();
	reset_msgs();
	provoke_libbpf_warning();
	i = find_msg(LIBBPF_WARNING);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(msgs[i].level, EBPFNET_PRINT_DEBUG);
	ebpfnet__libbpf_quiet_end();
	/* An unbalanced end does not underflow. */
	ebpfnet__libbpf_quiet_end();

	reset_msgs();
	provoke_libbpf_warning();
	i = find_msg(LIBBPF_WARNING);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(msgs[i].level, EBPFNET_PRINT_WARN);

	/* The library's own messages are never demoted. */
	ebpfnet__libbpf_quiet_begin();
	reset_msgs();
	pr_warn("own warning");
	ck_assert_int_eq(msgs[0].level, EBPFNET_PRINT_WARN);
	ebpfnet__libbpf_quiet_end();

	ebpfnet_forward_libbpf(false);
	ck_assert_ptr_eq(current_libbpf_print(), sentinel_libbpf_print);
}
END_TEST

/* ---- options structs ----------------------------------------------------- */

/* What this "library" knows, and what a newer header declares. */
struct test_opts {
	size_t sz;
	int a;
	long b;
};

struct test_opts_v2 {
	size_t sz;
	int a;
	long b;
	long c;
};

struct test_opts_v3 {
	size_t sz;
	int a;
	long b;
	long c;
	long d;
};

static bool v2_valid(const struct test_opts_v2 *o)
{
	return EBPFNET_OPTS_VALID(o, test_opts, b);
}

START_TEST(test_opts_valid)
{
	EBPFNET_OPTS(test_opts_v2, newer, .a = 1, .b = 2);
	char want[160];
	size_t tiny = 4;

	ck_assert(v2_valid(NULL));

	/* A newer header whose new field stays zero: fine. */
	ck_assert(v2_valid(&newer));
	ck_assert_int_eq(n_msgs, 0);

	newer.c = 1;
	ck_assert(!v2_valid(&newer));
	ck_assert_int_eq(n_msgs, 1);
	ck_assert_int_eq(msgs[0].level, EBPFNET_PRINT_WARN);
	snprintf(want, sizeof(want),
		 "struct test_opts: non-zero byte at offset %zu, past the fields libebpfnet %s knows",
		 offsetof(struct test_opts_v2, c), EBPFNET_VERSION);
	ck_assert_msg(strstr(msgs[0].msg, want), "got [%s]", msgs[0].msg);

	/* Only the last byte set: found too (every byte is checked). */
	newer.c = 0;
	((unsigned char *)&newer)[sizeof(newer) - 1] = 0x80;
	reset_msgs();
	ck_assert(!v2_valid(&newer));
	snprintf(want, sizeof(want), "offset %zu,", sizeof(newer) - 1);
	ck_assert_msg(strstr(msgs[0].msg, want), "got [%s]", msgs[0].msg);

	/* sz smaller than sz itself */
	reset_msgs();
	ck_assert(!ebpfnet__opts_valid(&tiny, sizeof(struct test_opts),
				       "test_opts"));
	ck_assert_str_eq(msgs[0].msg,
			 "struct test_opts: sz 4 is smaller than its sz field");
}
END_TEST

START_TEST(test_opts_get_fallback)
{
	struct test_opts_v2 full = { .sz = sizeof(full), .a = 1, .b = 2, .c = 3 };
	/* As the library sees them: pointers (an &x would trip -Waddress). */
	struct test_opts_v2 shorter = full, *older = &shorter, *none = NULL;
	struct test_opts_v2 *current = &full;

	shorter.sz = sizeof(struct test_opts);
	ck_assert(EBPFNET_OPTS_HAS(current, c));
	ck_assert_int_eq(EBPFNET_OPTS_GET(current, c, 77), 3);
	ck_assert(!EBPFNET_OPTS_HAS(older, c));
	ck_assert_int_eq(EBPFNET_OPTS_GET(older, c, 77), 77);
	ck_assert_int_eq(EBPFNET_OPTS_GET(older, b, 77), 2);
	ck_assert_int_eq(EBPFNET_OPTS_GET(none, b, 77), 77);
}
END_TEST

START_TEST(test_out_copy)
{
	const struct test_opts_v2 src = { .sz = sizeof(src), .a = 1, .b = 2,
					  .c = 3 };
	struct test_opts_v3 bigger;
	union {
		struct test_opts smaller;
		unsigned char bytes[64];
	} dst;
	size_t i, tiny = 4;

	/* A newer caller: known fields copied, the rest zeroed, sz kept. */
	memset(&bigger, 0xff, sizeof(bigger));
	bigger.sz = sizeof(bigger);
	ck_assert_int_eq(ebpfnet__out_copy(&bigger, &src, sizeof(src), "t"), 0);
	ck_assert_uint_eq(bigger.sz, sizeof(bigger));
	ck_assert_int_eq(bigger.a, 1);
	ck_assert_int_eq(bigger.b, 2);
	ck_assert_int_eq(bigger.c, 3);
	ck_assert_int_eq(bigger.d, 0);

	/* An older caller: nothing written past its sz. */
	memset(&dst, 0xaa, sizeof(dst));
	dst.smaller.sz = sizeof(dst.smaller);
	ck_assert_int_eq(ebpfnet__out_copy(&dst, &src, sizeof(src), "t"), 0);
	ck_assert_uint_eq(dst.smaller.sz, sizeof(dst.smaller));
	ck_assert_int_eq(dst.smaller.a, 1);
	ck_assert_int_eq(dst.smaller.b, 2);
	for (i = sizeof(dst.smaller); i < sizeof(dst.bytes); i++)
		ck_assert_uint_eq(dst.bytes[i], 0xaa);

	/* Too small to hold sz, or NULL. */
	errno = 0;
	ck_assert_int_eq(ebpfnet__out_copy(&tiny, &src, sizeof(src),
					   "test_out"), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_ge(find_msg("struct test_out: sz 4"), 0);
	ck_assert_int_eq(ebpfnet__out_copy(NULL, &src, sizeof(src), "t"),
			 -EINVAL);
}
END_TEST

/* ---- features formatter -------------------------------------------------- */

static const char golden_text[] =
	"kernel_release      6.1.0-test\n"
	"bpf_syscall         yes\n"
	"btf                 yes\n"
	"ringbuf             yes\n"
	"kprobe              no\n"
	"fentry              no\n"
	"tracepoint          yes\n"
	"raw_tracepoint      yes\n"
	"xdp                 yes\n"
	"tc                  no\n"
	"cgroup_sock_addr    yes\n"
	"cgroup2             yes (/sys/fs/cgroup/unified)\n"
	"bpffs               no\n"
	"tracefs             yes (/sys/kernel/tracing)\n"
	"cap_bpf             yes\n"
	"cap_perfmon         no\n"
	"cap_net_admin       yes\n"
	"cap_sys_admin       no";

static const char golden_json[] =
	"{\"kernel_release\":\"6.1.0-test\",\"bpf_syscall\":true,\"btf\":true,"
	"\"ringbuf\":true,\"kprobe\":false,\"fentry\":false,"
	"\"tracepoint\":true,\"raw_tracepoint\":true,\"xdp\":true,"
	"\"tc\":false,\"cgroup_sock_addr\":true,\"cgroup2\":true,"
	"\"cgroup2_path\":\"/sys/fs/cgroup/unified\",\"bpffs\":false,"
	"\"bpffs_path\":null,\"tracefs\":true,"
	"\"tracefs_path\":\"/sys/kernel/tracing\",\"cap_bpf\":true,"
	"\"cap_perfmon\":false,\"cap_net_admin\":true,\"cap_sys_admin\":false}";

static void fill_features(struct ebpfnet_features *f)
{
	memset(f, 0, sizeof(*f));
	f->sz = sizeof(*f);
	strcpy(f->kernel_release, "6.1.0-test");
	f->bpf_syscall = f->btf = f->ringbuf = true;
	f->tracepoint = f->raw_tracepoint = f->xdp = true;
	f->cgroup_sock_addr = true;
	f->cgroup2 = true;
	strcpy(f->cgroup2_path, "/sys/fs/cgroup/unified");
	/* A stale path with bpffs false is not shown. */
	strcpy(f->bpffs_path, "/stale");
	f->tracefs = true;
	strcpy(f->tracefs_path, "/sys/kernel/tracing");
	f->cap_bpf = f->cap_net_admin = true;
}

START_TEST(test_format_golden)
{
	struct ebpfnet_features f;
	char buf[2048];

	fill_features(&f);
	ck_assert_int_eq(ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, buf,
						 sizeof(buf)),
			 (int)strlen(golden_text));
	ck_assert_str_eq(buf, golden_text);
	ck_assert_int_eq(ebpfnet_features_format(&f, EBPFNET_FORMAT_JSON, buf,
						 sizeof(buf)),
			 (int)strlen(golden_json));
	ck_assert_str_eq(buf, golden_json);
}
END_TEST

START_TEST(test_format_size_and_truncation)
{
	struct ebpfnet_features f;
	char buf[16];
	int need;

	fill_features(&f);
	need = ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, NULL, 0);
	ck_assert_int_eq(need, (int)strlen(golden_text));

	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, buf,
						 10), need);
	ck_assert_int_eq(buf[9], '\0');
	ck_assert(!strncmp(buf, golden_text, 9));
	ck_assert_int_eq(buf[10], 'X');

	ck_assert_int_eq(ebpfnet_features_format(&f, EBPFNET_FORMAT_JSON, buf, 1),
			 (int)strlen(golden_json));
	ck_assert_int_eq(buf[0], '\0');
}
END_TEST

START_TEST(test_format_bad_args)
{
	struct ebpfnet_features f;
	char buf[64];

	fill_features(&f);
	errno = 0;
	ck_assert_int_eq(ebpfnet_features_format(NULL, EBPFNET_FORMAT_TEXT, buf,
						 sizeof(buf)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ebpfnet_features_format(&f, (enum ebpfnet_format)7,
						 buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, NULL,
						 8), -EINVAL);
	f.sz = 3;
	ck_assert_int_eq(ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, buf,
						 sizeof(buf)), -EINVAL);
	ck_assert_int_ge(n_msgs, 4);
}
END_TEST

START_TEST(test_format_older_struct_and_escaping)
{
	struct ebpfnet_features f;
	char buf[2048];

	/* A caller built against a header that ended at `xdp`. */
	fill_features(&f);
	f.sz = offsetofend(struct ebpfnet_features, xdp);
	ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "xdp ") && !strstr(buf, "\ntc "),
		      "got [%s]", buf);
	ebpfnet_features_format(&f, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ck_assert_msg(!strcmp(buf + strlen(buf) - 11, "\"xdp\":true}"),
		      "got [%s]", buf);

	/* Hostile release strings: quoted in JSON, escaped in text, and an
	 * array without its NUL is read no further than its size. */
	fill_features(&f);
	strcpy(f.kernel_release, "a\"b\x1b");
	ebpfnet_features_format(&f, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "\"kernel_release\":\"a\\\"b\\u001b\""),
		      "got [%s]", buf);
	ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "kernel_release      a\"b\\x1b\n"),
		      "got [%s]", buf);
	memset(f.kernel_release, 'A', sizeof(f.kernel_release));
	ebpfnet_features_format(&f, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ck_assert_uint_eq(strcspn(buf + 20, "\n"), sizeof(f.kernel_release));
}
END_TEST

START_TEST(test_probe_features_bad_args)
{
	struct ebpfnet_features f = { .sz = 2 };

	errno = 0;
	ck_assert_int_eq(ebpfnet_probe_features(NULL), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ebpfnet_probe_features(&f), -EINVAL);
	ck_assert_int_ge(find_msg("struct ebpfnet_features"), 0);
}
END_TEST

/* ---- mount and pin helpers: arguments that fail before any fs work ----- */

/* A pin root that must still not exist after each rejected call. */
static char missing_root[64];

static void setup_missing_root(void)
{
	setup_capture();
	snprintf(missing_root, sizeof(missing_root),
		 "/tmp/ebpfnet-test-core-%d", (int)getpid());
}

static void check_pin_dir_fails(const char *root, const char *object,
				const char *scope, int want)
{
	char buf[256];
	struct stat st;

	reset_msgs();
	errno = 0;
	ck_assert_int_eq(ebpfnet__pin_dir(root, object, scope, buf, sizeof(buf)),
			 want);
	ck_assert_int_eq(errno, -want);
	ck_assert_msg(n_msgs >= 1, "no reason logged");
	ck_assert_int_ne(stat(missing_root, &st), 0);
}

START_TEST(test_pin_dir_names)
{
	char long_name[66];
	char buf[8];

	memset(long_name, 'n', 65);
	long_name[65] = '\0';

	check_pin_dir_fails(NULL, "hello", NULL, -EINVAL);
	check_pin_dir_fails("", "hello", NULL, -EINVAL);
	check_pin_dir_fails("relative/pins", "hello", NULL, -EINVAL);
	check_pin_dir_fails(missing_root, NULL, NULL, -EINVAL);
	check_pin_dir_fails(missing_root, "", NULL, -EINVAL);
	check_pin_dir_fails(missing_root, "a/b", NULL, -EINVAL);
	check_pin_dir_fails(missing_root, ".", NULL, -EINVAL);
	check_pin_dir_fails(missing_root, "..", NULL, -EINVAL);
	check_pin_dir_fails(missing_root, long_name, NULL, -ENAMETOOLONG);
	check_pin_dir_fails(missing_root, "hello", "", -EINVAL);
	check_pin_dir_fails(missing_root, "hello", "../x", -EINVAL);
	check_pin_dir_fails(missing_root, "hello", long_name, -ENAMETOOLONG);

	/* The output buffer: NULL, or too short for the path. */
	reset_msgs();
	ck_assert_int_eq(ebpfnet__pin_dir(missing_root, "hello", NULL, NULL, 64),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet__pin_dir(missing_root, "hello", "eth0", buf,
					  sizeof(buf)), -ENAMETOOLONG);

	/* A 64-byte name is still fine as a name (fails later, on buf). */
	long_name[64] = '\0';
	ck_assert_int_eq(ebpfnet__pin_dir(missing_root, long_name, NULL, buf,
					  sizeof(buf)), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_mount_helpers_bad_args)
{
	char buf[8];

	ck_assert_int_eq(ebpfnet_mount_bpffs(NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_mount_bpffs(""), -EINVAL);
	ck_assert_int_eq(ebpfnet_mount_bpffs("sys/fs/bpf"), -EINVAL);
	ck_assert_int_eq(ebpfnet_mount_tracefs(NULL, 16), -EINVAL);
	ck_assert_int_eq(ebpfnet_mount_tracefs(buf, 0), -EINVAL);
	ck_assert_int_eq(ebpfnet__open_cgroup2(NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet__open_cgroup2("relative"), -EINVAL);
	ck_assert_int_eq(ebpfnet__find_mount(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ebpfnet__find_mount("proc", NULL, 8), -EINVAL);
	ck_assert_int_eq(ebpfnet__find_mount("no-such-fstype", buf, sizeof(buf)),
			 -ENOENT);
	/* /proc is mounted; its path needs 6 bytes. */
	ck_assert_int_eq(ebpfnet__find_mount("proc", buf, 5), -ENAMETOOLONG);
	ck_assert_int_eq(ebpfnet__find_mount("proc", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/proc");
	ck_assert(!ebpfnet__is_bpffs(NULL));
	ck_assert(!ebpfnet__is_bpffs("/proc"));
	ck_assert(!ebpfnet__is_tracefs("/nonexistent"));
	ck_assert(!ebpfnet__is_cgroup2("/proc"));
	/* Outside pin_root, or escaping it: left alone, no crash. */
	ebpfnet__pin_dir_cleanup(NULL, "/x");
	ebpfnet__pin_dir_cleanup("/tmp", NULL);
	ebpfnet__pin_dir_cleanup(missing_root, "/tmp");
	ebpfnet__pin_dir_cleanup(missing_root, missing_root);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc;

	tc = tcase_create("version_errors");
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_test(tc, test_set_print_returns_previous);
	suite_add_tcase(s, tc);

	tc = tcase_create("log_capture");
	tcase_add_checked_fixture(tc, setup_capture, teardown_capture);
	tcase_add_test(tc, test_log_levels_and_newline);
	tcase_add_test(tc, test_log_multiline_and_errno);
	tcase_add_test(tc, test_log_long_message);
	tcase_add_test(tc, test_log_without_callback);
	tcase_add_test(tc, test_forward_restores_previous);
	tcase_add_test(tc, test_forward_levels_and_quiet);
	suite_add_tcase(s, tc);

	tc = tcase_create("opts");
	tcase_add_checked_fixture(tc, setup_capture, teardown_capture);
	tcase_add_test(tc, test_opts_valid);
	tcase_add_test(tc, test_opts_get_fallback);
	tcase_add_test(tc, test_out_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup_capture, teardown_capture);
	tcase_add_test(tc, test_format_golden);
	tcase_add_test(tc, test_format_size_and_truncation);
	tcase_add_test(tc, test_format_bad_args);
	tcase_add_test(tc, test_format_older_struct_and_escaping);
	tcase_add_test(tc, test_probe_features_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("mount_args");
	tcase_add_checked_fixture(tc, setup_missing_root, teardown_capture);
	tcase_add_test(tc, test_pin_dir_names);
	tcase_add_test(tc, test_mount_helpers_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(core_suite(), CK_NORMAL);
}
