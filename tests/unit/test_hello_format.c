/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet_hello_format() and ebpfnet_hello_header(): golden table rows and
 * JSON objects, hostile argv bytes, truncation at every buffer length, size
 * queries and bad input. JSON output is also checked with the strict RFC 8259
 * validator of tests/lib/json_check.h.
 */
#include <check.h>

#include "check_run.h"
#include "json_check.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ebpfnet/ebpfnet.h>


/* ---- events ------------------------------------------------------------ */

/* 2026-11-21T10:00:00.123456789Z */
#define T0_NS 1795255200123456789ull

static void event_init(struct ebpfnet_hello_event *ev, const char *comm,
		       const char *filename, uint32_t argc,
		       const char *const *argv)
{
	memset(ev, 0, sizeof(*ev));
	ev->sz = sizeof(*ev);
	ev->time_ns = T0_NS;
	ev->pid = 4242;
	ev->tid = 4243;
	ev->ppid = 1;
	ev->uid = 1000;
	ev->gid = 1001;
	ev->ret = 0;
	ev->cgroup_id = 12345;
	strncpy(ev->comm, comm, sizeof(ev->comm));
	ev->filename = filename;
	ev->argc = argc;
	ev->argv = argv;
}

static const char *const ls_argv[] = { "ls", "-l", "/tmp" };

static void ls_event(struct ebpfnet_hello_event *ev)
{
	event_init(ev, "ls", "/usr/bin/ls", 3, ls_argv);
}

/* Format into a fresh heap buffer of exactly the size needed. */
static char *format_alloc(const struct ebpfnet_hello_event *ev,
			  enum ebpfnet_format format)
{
	int need = ebpfnet_hello_format(ev, format, NULL, 0);
	char *buf;

	ck_assert_int_gt(need, 0);
	buf = malloc((size_t)need + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(ebpfnet_hello_format(ev, format, buf, (size_t)need + 1),
			 need);
	ck_assert_uint_eq(strlen(buf), (size_t)need);
	return buf;
}

static void check_format(const struct ebpfnet_hello_event *ev,
			 enum ebpfnet_format format, const char *want)
{
	char *got = format_alloc(ev, format);

	ck_assert_msg(strcmp(got, want) == 0, "\ngot  [%s]\nwant [%s]", got, want);
	if (format == EBPFNET_FORMAT_JSON)
		ck_assert_msg(json_valid(got), "invalid JSON: %s", got);
	free(got);
}

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* ---- golden rows -------------------------------------------------------- */

START_TEST(test_header)
{
	const char *h = ebpfnet_hello_header();

	ck_assert_str_eq(h, "TIME     PCOMM            PID     PPID    UID    RET ARGS");
	ck_assert_ptr_eq(h, ebpfnet_hello_header());
}
END_TEST

START_TEST(test_text_golden)
{
	struct ebpfnet_hello_event ev;

	use_utc();
	ls_event(&ev);
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "10:00:00 ls               4242    1       1000     0 ls -l /tmp");

	ev.ret = -2;
	ev.pid = 1234567;
	ev.ppid = 7654321;
	ev.uid = 4294967294u; /* wider than its column: pushes the row */
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "10:00:00 ls               1234567 7654321 4294967294  -2 ls -l /tmp");

	ev.flags = EBPFNET_HELLO_ARGS_TRUNCATED;
	ev.ret = -7;
	ev.uid = 0;
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "10:00:00 ls               1234567 7654321 0       -7 ls -l /tmp ...");

	/* No argv at all (execve(path, NULL, NULL) is legal). */
	event_init(&ev, "true", "/bin/true", 0, NULL);
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "10:00:00 true             4242    1       1000     0");
	ev.flags = EBPFNET_HELLO_ARGS_TRUNCATED;
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "10:00:00 true             4242    1       1000     0 ...");
}
END_TEST

START_TEST(test_text_local_time)
{
	struct ebpfnet_hello_event ev;

	/* POSIX TZ string: UTC+05:30, no tzdata needed. */
	setenv("TZ", "XYZ-5:30", 1);
	tzset();
	ls_event(&ev);
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "15:30:00 ls               4242    1       1000     0 ls -l /tmp");
	/* JSON stays in UTC whatever the local zone. */
	check_format(&ev, EBPFNET_FORMAT_JSON,
		     "{\"time\":\"2026-11-21T10:00:00.123456789Z\",\"time_ns\":1795255200123456789,"
		     "\"pid\":4242,\"tid\":4243,\"ppid\":1,\"uid\":1000,\"gid\":1001,"
		     "\"comm\":\"ls\",\"filename\":\"/usr/bin/ls\",\"args\":[\"ls\",\"-l\",\"/tmp\"],"
		     "\"args_truncated\":false,\"filename_truncated\":false,\"execveat\":false,"
		     "\"ret\":0,\"cgroup_id\":12345}");
	use_utc();
}
END_TEST

/* Every column of a row starts where the header's column does. */
START_TEST(test_text_aligned_with_header)
{
	static const char *const names[] = { "PCOMM", "PID", "PPID", "UID", "ARGS" };
	const char *h = ebpfnet_hello_header();
	struct ebpfnet_hello_event ev;
	char *row;
	size_t i;

	use_utc();
	ls_event(&ev);
	ev.pid = 12;
	ev.ppid = 34;
	ev.uid = 56;
	strcpy(ev.comm, "pcomm");
	{
		static const char *const argv[] = { "args" };

		ev.argc = 1;
		ev.argv = argv;
	}
	row = format_alloc(&ev, EBPFNET_FORMAT_TEXT);
	ck_assert_uint_eq(strlen(row), strlen(h));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t col = (size_t)(strstr(h, names[i]) - h);

		ck_assert_msg(col > 0 && row[col - 1] == ' ' && row[col] != ' ',
			      "column %s at %zu: row [%s]", names[i], col, row);
	}
	/* RET is right-aligned: its last digit under the T of RET. */
	ck_assert_int_eq(row[strstr(h, "RET") - h + 2], '0');
	/* TIME is the first column. */
	ck_assert_int_eq(row[2], ':');
	free(row);
}
END_TEST

START_TEST(test_json_golden)
{
	static const char *const argv[] = { "ls", "-l", "/tmp" };
	struct ebpfnet_hello_event ev;

	event_init(&ev, "ls", "/usr/bin/ls", 3, argv);
	ev.time_ns = T0_NS;
	check_format(&ev, EBPFNET_FORMAT_JSON,
		     "{\"time\":\"2026-11-21T10:00:00.123456789Z\",\"time_ns\":1795255200123456789,"
		     "\"pid\":4242,\"tid\":4243,\"ppid\":1,\"uid\":1000,\"gid\":1001,"
		     "\"comm\":\"ls\",\"filename\":\"/usr/bin/ls\",\"args\":[\"ls\",\"-l\",\"/tmp\"],"
		     "\"args_truncated\":false,\"filename_truncated\":false,\"execveat\":false,"
		     "\"ret\":0,\"cgroup_id\":12345}");

	/* Failed execveat with both truncations; nanoseconds zero-padded;
	 * the epoch; maximum values. */
	event_init(&ev, "bash", "/nope", 0, NULL);
	ev.time_ns = 7;
	ev.ret = -2;
	ev.uid = 4294967295u;
	ev.cgroup_id = UINT64_MAX;
	ev.flags = EBPFNET_HELLO_ARGS_TRUNCATED | EBPFNET_HELLO_FILENAME_TRUNCATED |
		   EBPFNET_HELLO_EXECVEAT;
	check_format(&ev, EBPFNET_FORMAT_JSON,
		     "{\"time\":\"1970-01-01T00:00:00.000000007Z\",\"time_ns\":7,"
		     "\"pid\":4242,\"tid\":4243,\"ppid\":1,\"uid\":4294967295,\"gid\":1001,"
		     "\"comm\":\"bash\",\"filename\":\"/nope\",\"args\":[],"
		     "\"args_truncated\":true,\"filename_truncated\":true,\"execveat\":true,"
		     "\"ret\":-2,\"cgroup_id\":18446744073709551615}");

	ev.flags = EBPFNET_HELLO_EXECVEAT;
	ev.time_ns = 1735689599999999999ull; /* the last ns of 2024 */
	{
		char *got = format_alloc(&ev, EBPFNET_FORMAT_JSON);

		ck_assert_ptr_nonnull(strstr(got, "\"time\":\"2024-12-31T23:59:59.999999999Z\""));
		ck_assert_ptr_nonnull(strstr(got, "\"args_truncated\":false,\"filename_truncated\":false,\"execveat\":true"));
		free(got);
	}
}
END_TEST

/* comm[] with no NUL: all 16 bytes, nothing past them. */
START_TEST(test_comm_full_width)
{
	struct ebpfnet_hello_event ev;

	use_utc();
	ls_event(&ev);
	memcpy(ev.comm, "0123456789abcdef", 16);
	check_format(&ev, EBPFNET_FORMAT_TEXT,
		     "10:00:00 0123456789abcdef 4242    1       1000     0 ls -l /tmp");
	{
		char *got = format_alloc(&ev, EBPFNET_FORMAT_JSON);

		ck_assert_ptr_nonnull(strstr(got, "\"comm\":\"0123456789abcdef\","));
		free(got);
	}
}
END_TEST

/* ---- hostile bytes -------------------------------------------------------- */

/* Every control byte but NUL (which ends a C string), and DEL. */
static const char controls[] =
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
	"\x7f";

static const char *const hostile_argv[] = {
	"a\"b",                   /* 0 quote */
	"back\\slash",            /* 1 backslash */
	"new\nline",              /* 2 */
	"tab\there",              /* 3 */
	"\x1b[31mred\x1b[0m",     /* 4 ESC sequences */
	"",                       /* 5 empty */
	"has space",              /* 6 */
	"\xf0\x9f\x98\x80",       /* 7 emoji, kept */
	"\xff\xfe",               /* 8 invalid UTF-8 */
	"\xc0\xaf",               /* 9 overlong '/' */
	"\xed\xa0\x80",           /* 10 surrogate U+D800 */
	"\xc2\x9b" "2J",          /* 11 C1 CSI */
	"x\"\\ y",                /* 12 quote, backslash and space */
	"\xe2\x82",               /* 13 truncated sequence */
	controls,                 /* 14 */
	"\xc3\xa9t\xc3\xa9",      /* 15 valid 2-byte UTF-8 */
};
#define HOSTILE_ARGC (sizeof(hostile_argv) / sizeof(hostile_argv[0]))

static void hostile_event(struct ebpfnet_hello_event *ev)
{
	event_init(ev, "ev\x1bil\x7f\xff", "/tmp/\"we\\ird\"\n\xff.sh",
		   HOSTILE_ARGC, hostile_argv);
}

START_TEST(test_hostile_text)
{
	struct ebpfnet_hello_event ev;
	char want[2048];

	use_utc();
	hostile_event(&ev);
	snprintf(want, sizeof(want), "%s",
		 /* escaped comm is 17 columns: the row is pushed by one */
		 "10:00:00 ev\\x1bil\\x7f\\xff 4242    1       1000     0 "
		 "\"a\\\"b\" "
		 "\"back\\\\slash\" "
		 "new\\x0aline "
		 "tab\\x09here "
		 "\\x1b[31mred\\x1b[0m "
		 "\"\" "
		 "\"has space\" "
		 "\xf0\x9f\x98\x80 "
		 "\\xff\\xfe "
		 "\\xc0\\xaf "
		 "\\xed\\xa0\\x80 "
		 "\\xc2\\x9b" "2J "
		 "\"x\\\"\\\\ y\" "
		 "\\xe2\\x82 "
		 "\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0a\\x0b\\x0c"
		 "\\x0d\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18"
		 "\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f\\x7f "
		 "\xc3\xa9t\xc3\xa9");
	check_format(&ev, EBPFNET_FORMAT_TEXT, want);
}
END_TEST

START_TEST(test_hostile_text_safe_bytes)
{
	struct ebpfnet_hello_event ev;
	char *got;
	size_t i;

	hostile_event(&ev);
	got = format_alloc(&ev, EBPFNET_FORMAT_TEXT);
	/* Nothing a terminal would act on survives. */
	for (i = 0; got[i]; i++) {
		unsigned char c = (unsigned char)got[i];

		ck_assert_msg(c >= 0x20 && c != 0x7f, "control byte 0x%02x at %zu",
			      c, i);
		if (c == 0xc2)
			ck_assert_uint_ge((unsigned char)got[i + 1], 0xa0);
	}
	free(got);
}
END_TEST

START_TEST(test_hostile_json)
{
	struct ebpfnet_hello_event ev;
	char want[4096];

	hostile_event(&ev);
	snprintf(want, sizeof(want), "%s",
		 "{\"time\":\"2026-11-21T10:00:00.123456789Z\",\"time_ns\":1795255200123456789,"
		 "\"pid\":4242,\"tid\":4243,\"ppid\":1,\"uid\":1000,\"gid\":1001,"
		 "\"comm\":\"ev\\u001bil\\u007f\\ufffd\","
		 "\"filename\":\"/tmp/\\\"we\\\\ird\\\"\\n\\ufffd.sh\","
		 "\"args\":["
		 "\"a\\\"b\","
		 "\"back\\\\slash\","
		 "\"new\\nline\","
		 "\"tab\\there\","
		 "\"\\u001b[31mred\\u001b[0m\","
		 "\"\","
		 "\"has space\","
		 "\"\xf0\x9f\x98\x80\","
		 "\"\\ufffd\\ufffd\","
		 "\"\\ufffd\\ufffd\","
		 "\"\\ufffd\\ufffd\\ufffd\","
		 "\"\xc2\x9b" "2J\","
		 "\"x\\\"\\\\ y\","
		 "\"\\ufffd\\ufffd\","
		 "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n"
		 "\\u000b\\u000c\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014"
		 "\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d"
		 "\\u001e\\u001f\\u007f\","
		 "\"\xc3\xa9t\xc3\xa9\""
		 "],"
		 "\"args_truncated\":false,\"filename_truncated\":false,\"execveat\":false,"
		 "\"ret\":0,\"cgroup_id\":12345}");
	check_format(&ev, EBPFNET_FORMAT_JSON, want);
}
END_TEST

/* Every byte value 1..255 in an argument, the comm and the filename still
 * gives valid JSON (NUL ends a C string, so it cannot be in argv). */
START_TEST(test_json_valid_for_every_byte)
{
	struct ebpfnet_hello_event ev;
	char arg[4], filename[8];
	const char *argv[2] = { arg, "\xf0\x9f\x98" };
	char *got;

	arg[0] = (char)_i;
	arg[1] = 'x';
	arg[2] = (char)_i;
	arg[3] = '\0';
	snprintf(filename, sizeof(filename), "/%c/%c", _i, _i);
	event_init(&ev, "c", filename, 2, argv);
	ev.comm[1] = (char)_i;
	got = format_alloc(&ev, EBPFNET_FORMAT_JSON);
	ck_assert_msg(json_valid(got), "byte 0x%02x: invalid JSON %s", _i, got);
	free(got);
}
END_TEST

/* ---- buffers ------------------------------------------------------------- */

static void check_every_len(const struct ebpfnet_hello_event *ev,
			    enum ebpfnet_format format)
{
	char *full = format_alloc(ev, format);
	size_t full_len = strlen(full), len;
	char *buf = malloc(full_len + 8);

	ck_assert_ptr_nonnull(buf);
	for (len = 0; len <= full_len + 2; len++) {
		size_t kept = len ? (len - 1 < full_len ? len - 1 : full_len) : 0;

		memset(buf, 'Z', full_len + 8);
		ck_assert_int_eq(ebpfnet_hello_format(ev, format, buf, len),
				 (int)full_len);
		if (len) {
			ck_assert_msg(memcmp(buf, full, kept) == 0,
				      "len %zu: wrong prefix", len);
			ck_assert_int_eq(buf[kept], '\0');
		}
		ck_assert_msg(buf[len] == 'Z', "len %zu: wrote past len", len);
	}
	free(buf);
	free(full);
}

START_TEST(test_every_len)
{
	struct ebpfnet_hello_event ev;

	use_utc();
	hostile_event(&ev);
	check_every_len(&ev, EBPFNET_FORMAT_TEXT);
	check_every_len(&ev, EBPFNET_FORMAT_JSON);
	ls_event(&ev);
	check_every_len(&ev, EBPFNET_FORMAT_TEXT);
	check_every_len(&ev, EBPFNET_FORMAT_JSON);
}
END_TEST

START_TEST(test_size_query)
{
	struct ebpfnet_hello_event ev;
	int text, json;

	use_utc();
	ls_event(&ev);
	text = ebpfnet_hello_format(&ev, EBPFNET_FORMAT_TEXT, NULL, 0);
	json = ebpfnet_hello_format(&ev, EBPFNET_FORMAT_JSON, NULL, 0);
	ck_assert_int_eq(text, (int)strlen("10:00:00 ls               4242    1       1000     0 ls -l /tmp"));
	ck_assert_int_gt(json, text);
}
END_TEST

/* Arguments long enough to need more than any fixed scratch buffer. */
START_TEST(test_long_args)
{
	struct ebpfnet_hello_event ev;
	char a[EBPFNET_HELLO_ARG_MAX], b[EBPFNET_HELLO_ARG_MAX];
	const char *argv[] = { a, b, a, b };
	char *text, *json;

	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memset(b, '\x01', sizeof(b) - 1);
	b[sizeof(b) - 1] = '\0';
	event_init(&ev, "long", "/bin/long", 4, argv);
	ev.flags = EBPFNET_HELLO_ARGS_TRUNCATED;
	text = format_alloc(&ev, EBPFNET_FORMAT_TEXT);
	json = format_alloc(&ev, EBPFNET_FORMAT_JSON);
	/* The row up to RET, then 4 x (a space and an argument: 511 'a' or
	 * 511 x "\x01"), then " ..." */
	ck_assert_uint_eq(strlen(text),
			  strlen(ebpfnet_hello_header()) - strlen(" ARGS") +
			  4 + 2 * 511 + 2 * 511 * 4 + strlen(" ..."));
	ck_assert(json_valid(json));
	ck_assert_ptr_nonnull(strstr(json, "\"args_truncated\":true"));
	check_every_len(&ev, EBPFNET_FORMAT_JSON);
	free(text);
	free(json);
}
END_TEST

/* ---- bad input ------------------------------------------------------------ */

static void check_einval(const struct ebpfnet_hello_event *ev,
			 enum ebpfnet_format format, char *buf, size_t len)
{
	errno = 0;
	ck_assert_int_eq(ebpfnet_hello_format(ev, format, buf, len), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
}

START_TEST(test_bad_input)
{
	struct ebpfnet_hello_event ev;
	const char *argv_hole[] = { "a", NULL, "c" };
	char buf[256];

	ls_event(&ev);
	check_einval(NULL, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	check_einval(NULL, EBPFNET_FORMAT_JSON, NULL, 0);
	check_einval(&ev, (enum ebpfnet_format)2, buf, sizeof(buf));
	check_einval(&ev, (enum ebpfnet_format)-1, buf, sizeof(buf));
	check_einval(&ev, EBPFNET_FORMAT_TEXT, NULL, 1);
	check_einval(&ev, EBPFNET_FORMAT_JSON, NULL, sizeof(buf));

	ev.argv = NULL;
	check_einval(&ev, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	check_einval(&ev, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ev.argc = 0; /* no arguments: argv may be NULL */
	ck_assert_int_gt(ebpfnet_hello_format(&ev, EBPFNET_FORMAT_JSON, buf,
					      sizeof(buf)), 0);

	ls_event(&ev);
	ev.argc = 3;
	ev.argv = argv_hole;
	check_einval(&ev, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	check_einval(&ev, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ev.argc = 1; /* the hole is past argc: fine */
	ck_assert_int_gt(ebpfnet_hello_format(&ev, EBPFNET_FORMAT_TEXT, buf,
					      sizeof(buf)), 0);

	ls_event(&ev);
	ev.filename = NULL;
	check_einval(&ev, EBPFNET_FORMAT_JSON, buf, sizeof(buf));

	/* A rejected call leaves the caller's buffer alone. */
	memset(buf, 'Q', sizeof(buf));
	ls_event(&ev);
	ev.argv = NULL;
	check_einval(&ev, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ck_assert_int_eq(buf[0], 'Q');
}
END_TEST

/* An event from an older, shorter struct must not be read past its sz. */
START_TEST(test_small_sz)
{
	struct ebpfnet_hello_event ev;
	char buf[256];

	ls_event(&ev);
	ev.sz = 0;
	check_einval(&ev, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ev.sz = sizeof(size_t);
	check_einval(&ev, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ev.sz = offsetof(struct ebpfnet_hello_event, flags);
	check_einval(&ev, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ev.sz = offsetof(struct ebpfnet_hello_event, flags) + sizeof(ev.flags) - 1;
	check_einval(&ev, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ev.sz = offsetof(struct ebpfnet_hello_event, flags) + sizeof(ev.flags);
	ck_assert_int_gt(ebpfnet_hello_format(&ev, EBPFNET_FORMAT_TEXT, buf,
					      sizeof(buf)), 0);
}
END_TEST

/* A newer, longer event: the fields this library knows are used. */
START_TEST(test_larger_sz)
{
	struct {
		struct ebpfnet_hello_event ev;
		uint64_t future[4];
	} big;
	char *a, *b;

	use_utc();
	ls_event(&big.ev);
	memset(big.future, 0xa5, sizeof(big.future));
	a = format_alloc(&big.ev, EBPFNET_FORMAT_JSON);
	big.ev.sz = sizeof(big);
	b = format_alloc(&big.ev, EBPFNET_FORMAT_JSON);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

/* Each thread formats its own event (own pid and time, so the output of
 * a formatter that kept state in a static buffer would differ). */
struct thread_job {
	enum ebpfnet_format format;
	int id;
	bool ok;
};

static void *format_many(void *arg)
{
	struct thread_job *job = arg;
	struct ebpfnet_hello_event ev;
	char *want, buf[4096];
	int i;

	hostile_event(&ev);
	ev.pid = 100 + (uint32_t)job->id;
	ev.time_ns = T0_NS + (uint64_t)job->id * 3723000000000ull;
	want = format_alloc(&ev, job->format);
	job->ok = true;
	for (i = 0; i < 2000 && job->ok; i++) {
		if (ebpfnet_hello_format(&ev, job->format, buf, sizeof(buf)) !=
			    (int)strlen(want) || strcmp(buf, want) != 0)
			job->ok = false;
	}
	free(want);
	return NULL;
}

START_TEST(test_threads)
{
	struct thread_job jobs[4];
	pthread_t threads[4];
	int i;

	use_utc();
	for (i = 0; i < 4; i++) {
		jobs[i].format = i % 2 ? EBPFNET_FORMAT_JSON : EBPFNET_FORMAT_TEXT;
		jobs[i].id = i;
		jobs[i].ok = false;
		ck_assert_int_eq(pthread_create(&threads[i], NULL, format_many,
						&jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
		ck_assert_msg(jobs[i].ok, "thread %d saw a different output", i);
	}
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("hello_format");
	TCase *tc = tcase_create("golden");

	tcase_add_test(tc, test_validator_self_check);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_text_golden);
	tcase_add_test(tc, test_text_local_time);
	tcase_add_test(tc, test_text_aligned_with_header);
	tcase_add_test(tc, test_json_golden);
	tcase_add_test(tc, test_comm_full_width);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_hostile_text);
	tcase_add_test(tc, test_hostile_text_safe_bytes);
	tcase_add_test(tc, test_hostile_json);
	tcase_add_loop_test(tc, test_json_valid_for_every_byte, 1, 256);
	suite_add_tcase(s, tc);

	tc = tcase_create("buffers");
	tcase_add_test(tc, test_every_len);
	tcase_add_test(tc, test_size_query);
	tcase_add_test(tc, test_long_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad_input");
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_small_sz);
	tcase_add_test(tc, test_larger_sz);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Golden text rows are in UTC unless a test says otherwise. */
	use_utc();
	return test_run_suite(format_suite(), CK_NORMAL);
}
