/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The bounded string builder and the two escapers of libebpfnet/json.c:
 * snprintf semantics at every buffer length, the long printf path, every
 * byte value alone, and valid/invalid UTF-8; and the public
 * ebpfnet_json_string() on top of them.
 */
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Which escaper a helper runs. */
enum escaper { ESC_JSON, ESC_TEXT };

static void escape(enum escaper which, struct ebpfnet_sbuf *sb,
		   const char *s, size_t n)
{
	if (which == ESC_JSON)
		ebpfnet__sbuf_json_str(sb, s, n);
	else
		ebpfnet__sbuf_text_str(sb, s, n);
}

/* Escape n bytes into a large buffer and compare with `want`. */
static void check_escape(enum escaper which, const char *s, size_t n,
			 const char *want)
{
	char buf[1024];
	struct ebpfnet_sbuf sb;

	ebpfnet__sbuf_init(&sb, buf, sizeof(buf));
	escape(which, &sb, s, n);
	ck_assert_msg(strcmp(buf, want) == 0,
		      "%s escaper: got [%s], want [%s]",
		      which == ESC_JSON ? "json" : "text", buf, want);
	ck_assert_uint_eq(sb.need, strlen(want));
}

#define CHECK_JSON(lit, want) check_escape(ESC_JSON, lit, sizeof(lit) - 1, want)
#define CHECK_TEXT(lit, want) check_escape(ESC_TEXT, lit, sizeof(lit) - 1, want)

/* The same sequence of appends, run against any buffer. */
typedef void (*build_fn)(struct ebpfnet_sbuf *sb);

/*
 * Run `build` with a buffer of every length from 0 to the full length + 2
 * and check snprintf semantics: need is always the full length, the
 * buffer holds the longest prefix that fits and is NUL-terminated, and no
 * byte past len is written.
 */
static void check_every_len(build_fn build)
{
	struct ebpfnet_sbuf sb;
	char *full, *buf;
	size_t full_len, len;

	ebpfnet__sbuf_init(&sb, NULL, 0);
	build(&sb);
	full_len = sb.need;
	ck_assert_uint_gt(full_len, 0);
	full = calloc(1, full_len + 1);
	ck_assert_ptr_nonnull(full);
	ebpfnet__sbuf_init(&sb, full, full_len + 1);
	build(&sb);
	ck_assert_uint_eq(sb.need, full_len);
	ck_assert_uint_eq(strlen(full), full_len);

	buf = malloc(full_len + 8);
	ck_assert_ptr_nonnull(buf);
	for (len = 0; len <= full_len + 2; len++) {
		size_t kept = len ? (len - 1 < full_len ? len - 1 : full_len) : 0;

		memset(buf, 'Z', full_len + 8);
		ebpfnet__sbuf_init(&sb, buf, len);
		build(&sb);
		ck_assert_uint_eq(sb.need, full_len);
		if (len) {
			ck_assert_msg(memcmp(buf, full, kept) == 0,
				      "len %zu: wrong prefix", len);
			ck_assert_int_eq(buf[kept], '\0');
		}
		ck_assert_msg(buf[len] == 'Z', "len %zu: wrote past the buffer",
			      len);
	}
	free(buf);
	free(full);
}

static void build_mixed(struct ebpfnet_sbuf *sb)
{
	static const char hostile[] = "q\"b\\\x01\xff\xe2\x82\xac";
	static const char terminal[] = "t\\\x1b\xc2\x85\xf0\x9f\x98\x80";

	ebpfnet__sbuf_printf(sb, "n=%d s=%s;", 42, "abc");
	ebpfnet__sbuf_putc(sb, '[');
	ebpfnet__sbuf_json_str(sb, hostile, sizeof(hostile) - 1);
	ebpfnet__sbuf_putc(sb, ']');
	ebpfnet__sbuf_text_str(sb, terminal, sizeof(terminal) - 1);
	ebpfnet__sbuf_printf(sb, "%s", "");
	ebpfnet__sbuf_printf(sb, "%05u", 7u);
}

/* A printf whose output is longer than json.c's 256-byte scratch buffer,
 * after and before other appends, so it lands at an offset. */
static void build_long_printf(struct ebpfnet_sbuf *sb)
{
	char long_arg[700];

	memset(long_arg, 'x', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	long_arg[100] = 'm';
	ebpfnet__sbuf_printf(sb, "head-");
	ebpfnet__sbuf_printf(sb, "<%s|%d>", long_arg, 12345);
	ebpfnet__sbuf_putc(sb, '!');
}

static void build_exactly_256(struct ebpfnet_sbuf *sb)
{
	/* 255 fits the scratch buffer with its NUL; 256 does not. */
	ebpfnet__sbuf_printf(sb, "%255s", "a");
	ebpfnet__sbuf_printf(sb, "%256s", "b");
	ebpfnet__sbuf_printf(sb, "%257s", "c");
}

START_TEST(test_sbuf_every_len_mixed)
{
	check_every_len(build_mixed);
}
END_TEST

START_TEST(test_sbuf_every_len_long_printf)
{
	check_every_len(build_long_printf);
}
END_TEST

START_TEST(test_sbuf_scratch_boundary)
{
	char buf[1024];
	struct ebpfnet_sbuf sb;

	check_every_len(build_exactly_256);
	ebpfnet__sbuf_init(&sb, buf, sizeof(buf));
	build_exactly_256(&sb);
	ck_assert_uint_eq(sb.need, 255 + 256 + 257);
	ck_assert_uint_eq(strlen(buf), 255 + 256 + 257);
	ck_assert_int_eq(buf[254], 'a');
	ck_assert_int_eq(buf[255 + 255], 'b');
	ck_assert_int_eq(buf[255 + 256 + 256], 'c');
}
END_TEST

START_TEST(test_sbuf_long_printf_content)
{
	char buf[2048], want[2048];
	struct ebpfnet_sbuf sb;
	char long_arg[700];

	memset(long_arg, 'x', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	long_arg[100] = 'm';
	snprintf(want, sizeof(want), "head-<%s|%d>!", long_arg, 12345);
	ebpfnet__sbuf_init(&sb, buf, sizeof(buf));
	build_long_printf(&sb);
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(sb.need, strlen(want));
}
END_TEST

START_TEST(test_sbuf_null_and_zero)
{
	struct ebpfnet_sbuf sb;
	char one = 'Z';

	/* NULL buffer: a pure size count, whatever len says. */
	ebpfnet__sbuf_init(&sb, NULL, 100);
	ck_assert_uint_eq(sb.len, 0);
	ebpfnet__sbuf_printf(&sb, "%s", "hello");
	ebpfnet__sbuf_putc(&sb, 'x');
	ck_assert_uint_eq(sb.need, 6);

	/* len 1: only the NUL fits. */
	ebpfnet__sbuf_init(&sb, &one, 1);
	ck_assert_int_eq(one, '\0');
	ebpfnet__sbuf_printf(&sb, "abc");
	ck_assert_int_eq(one, '\0');
	ck_assert_uint_eq(sb.need, 3);
}
END_TEST

/* What the JSON escaper must make of one byte on its own. */
static void json_want_byte(unsigned c, char *want, size_t len)
{
	switch (c) {
	case '"': snprintf(want, len, "\"\\\"\""); return;
	case '\\': snprintf(want, len, "\"\\\\\""); return;
	case '\n': snprintf(want, len, "\"\\n\""); return;
	case '\r': snprintf(want, len, "\"\\r\""); return;
	case '\t': snprintf(want, len, "\"\\t\""); return;
	default: break;
	}
	if (c < 0x20 || c == 0x7f)
		snprintf(want, len, "\"\\u%04x\"", c);
	else if (c < 0x80)
		snprintf(want, len, "\"%c\"", (char)c);
	else /* a lone byte >= 0x80 is never valid UTF-8 */
		snprintf(want, len, "\"\\ufffd\"");
}

/* What the text escaper must make of one byte on its own. */
static void text_want_byte(unsigned c, char *want, size_t len)
{
	if (c == '\\')
		snprintf(want, len, "\\\\");
	else if (c < 0x20 || c >= 0x7f)
		snprintf(want, len, "\\x%02x", c);
	else
		snprintf(want, len, "%c", (char)c);
}

START_TEST(test_every_byte_alone)
{
	unsigned c = (unsigned)_i;
	char in = (char)c, want[32];

	json_want_byte(c, want, sizeof(want));
	check_escape(ESC_JSON, &in, 1, want);
	text_want_byte(c, want, sizeof(want));
	check_escape(ESC_TEXT, &in, 1, want);
}
END_TEST

START_TEST(test_escape_lengths)
{
	/* Only n bytes are read: a NUL inside is a byte like any other,
	 * and n = 0 gives an empty literal. */
	check_escape(ESC_JSON, "a\0b", 3, "\"a\\u0000b\"");
	check_escape(ESC_TEXT, "a\0b", 3, "a\\x00b");
	check_escape(ESC_JSON, "abc", 0, "\"\"");
	check_escape(ESC_TEXT, "abc", 0, "");
	check_escape(ESC_JSON, "abc", 2, "\"ab\"");
}
END_TEST

START_TEST(test_utf8_valid)
{
	/* 2, 3 and 4 bytes, and the edges of each range. */
	CHECK_JSON("\xc3\xa9", "\"\xc3\xa9\"");                 /* U+00E9 */
	CHECK_JSON("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080 */
	CHECK_JSON("\xdf\xbf", "\"\xdf\xbf\"");                 /* U+07FF */
	CHECK_JSON("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800 */
	CHECK_JSON("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* U+20AC */
	CHECK_JSON("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF */
	CHECK_JSON("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000 */
	CHECK_JSON("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");         /* U+FFFF */
	CHECK_JSON("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
	CHECK_JSON("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* emoji */
	CHECK_JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */

	CHECK_TEXT("\xc3\xa9", "\xc3\xa9");
	CHECK_TEXT("\xc2\xa0", "\xc2\xa0");                     /* U+00A0 */
	CHECK_TEXT("\xdf\xbf", "\xdf\xbf");
	CHECK_TEXT("\xe2\x82\xac", "\xe2\x82\xac");
	CHECK_TEXT("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	CHECK_TEXT("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");

	/* Mixed with ASCII on both sides. */
	CHECK_JSON("a\xc3\xa9z", "\"a\xc3\xa9z\"");
	CHECK_TEXT("a\xe2\x82\xacz", "a\xe2\x82\xacz");
}
END_TEST

START_TEST(test_utf8_invalid)
{
	/* Truncated at the end of the input: every byte on its own. */
	CHECK_JSON("\xc3", "\"\\ufffd\"");
	CHECK_JSON("a\xe2\x82", "\"a\\ufffd\\ufffd\"");
	CHECK_JSON("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_TEXT("a\xe2\x82", "a\\xe2\\x82");
	CHECK_TEXT("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	/* A lead byte followed by a non-continuation byte. */
	CHECK_JSON("\xc3(", "\"\\ufffd(\"");
	CHECK_TEXT("\xe2\x82(", "\\xe2\\x82(");
	/* Overlong forms of '/' and NUL. */
	CHECK_JSON("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	CHECK_JSON("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	CHECK_JSON("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_TEXT("\xc0\x80", "\\xc0\\x80");
	CHECK_TEXT("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	/* UTF-16 surrogates encoded in UTF-8. */
	CHECK_JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_TEXT("\xed\xa0\x80", "\\xed\\xa0\\x80");
	/* Past U+10FFFF, and lead bytes that can never start a sequence. */
	CHECK_JSON("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_JSON("\xf8\x88\x80\x80\x80",
		   "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK_TEXT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	CHECK_TEXT("\xfe\xff", "\\xfe\\xff");
	/* A stray continuation byte between valid characters. */
	CHECK_JSON("\xc3\xa9\x80\xc3\xa9", "\"\xc3\xa9\\ufffd\xc3\xa9\"");
	CHECK_TEXT("\xc3\xa9\x80\xc3\xa9", "\xc3\xa9\\x80\xc3\xa9");
}
END_TEST

START_TEST(test_text_c1_controls)
{
	/* U+0080..U+009F are escaped byte by byte in text (CSI is U+009B);
	 * JSON keeps them, they are valid there. */
	CHECK_TEXT("\xc2\x80", "\\xc2\\x80");
	CHECK_TEXT("\xc2\x9b[31m", "\\xc2\\x9b[31m");
	CHECK_TEXT("\xc2\x9f", "\\xc2\\x9f");
	CHECK_TEXT("\x1b[2J", "\\x1b[2J");
	CHECK_JSON("\xc2\x9b", "\"\xc2\x9b\"");
	CHECK_JSON("\x1b[2J", "\"\\u001b[2J\"");
}
END_TEST

START_TEST(test_text_keeps_quotes)
{
	/* Quoting is the caller's job in text mode. */
	CHECK_TEXT("say \"hi\"", "say \"hi\"");
	CHECK_TEXT("a\\b", "a\\\\b");
	CHECK_JSON("say \"hi\"", "\"say \\\"hi\\\"\"");
}
END_TEST

/* ebpfnet_json_string(): the public wrapper of the JSON escaper. */

/* Call it with a large buffer, compare with `want` and the return. */
static void check_json_string(const char *s, const char *want)
{
	char buf[256];
	int n;

	memset(buf, 'Z', sizeof(buf));
	n = ebpfnet_json_string(s, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_str_eq(buf, want);
}

START_TEST(test_json_string_quotes)
{
	check_json_string("", "\"\"");
	check_json_string("plain", "\"plain\"");
	check_json_string("say \"hi\"", "\"say \\\"hi\\\"\"");
	check_json_string("C:\\dir\\", "\"C:\\\\dir\\\\\"");
	check_json_string("\"", "\"\\\"\"");
}
END_TEST

START_TEST(test_json_string_controls)
{
	check_json_string("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
	check_json_string("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	check_json_string("\x1b[2J", "\"\\u001b[2J\"");
	check_json_string("\b\f", "\"\\u0008\\u000c\"");
}
END_TEST

START_TEST(test_json_string_utf8)
{
	/* Valid sequences are kept as they are. */
	check_json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
			  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* Every byte of an invalid sequence becomes U+FFFD. */
	check_json_string("a\xff" "b", "\"a\\ufffdb\"");
	check_json_string("\xc3(", "\"\\ufffd(\"");
	check_json_string("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	check_json_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	check_json_string("end\xe2\x82", "\"end\\ufffd\\ufffd\"");
}
END_TEST

START_TEST(test_json_string_size_query)
{
	const char *s = "x\"y\n\xff";
	const char *want = "\"x\\\"y\\n\\ufffd\"";
	char one = 'Z';

	/* NULL buffer and 0 bytes: only the length, like snprintf. */
	ck_assert_int_eq(ebpfnet_json_string(s, NULL, 0), (int)strlen(want));
	/* A buffer of 0 bytes is not touched. */
	ck_assert_int_eq(ebpfnet_json_string(s, &one, 0), (int)strlen(want));
	ck_assert_int_eq(one, 'Z');
}
END_TEST

START_TEST(test_json_string_truncation)
{
	const char *s = "tab\there \"q\" \xc3\xa9\x01";
	char full[128], buf[128];
	int need, len;

	need = ebpfnet_json_string(s, full, sizeof(full));
	ck_assert_int_gt(need, 0);
	ck_assert_int_eq((int)strlen(full), need);
	/* Every length: the longest prefix that fits, NUL-terminated, the
	 * same return, and not one byte written past len. */
	for (len = 1; len <= need + 2; len++) {
		int kept = len - 1 < need ? len - 1 : need;

		memset(buf, 'Z', sizeof(buf));
		ck_assert_int_eq(ebpfnet_json_string(s, buf, (size_t)len), need);
		ck_assert_int_eq(buf[kept], '\0');
		ck_assert_int_eq(memcmp(buf, full, (size_t)kept), 0);
		ck_assert_msg(buf[len] == 'Z', "byte %d past len %d written",
			      len, len);
	}
}
END_TEST

START_TEST(test_json_string_einval)
{
	char buf[16] = "untouched";

	errno = 0;
	ck_assert_int_eq(ebpfnet_json_string(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(buf, "untouched");
	errno = 0;
	ck_assert_int_eq(ebpfnet_json_string(NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	/* A NULL buffer with a non-zero length is a caller bug, not a query. */
	errno = 0;
	ck_assert_int_eq(ebpfnet_json_string("x", NULL, 8), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("sbuf");

	tcase_add_test(tc, test_sbuf_every_len_mixed);
	tcase_add_test(tc, test_sbuf_every_len_long_printf);
	tcase_add_test(tc, test_sbuf_scratch_boundary);
	tcase_add_test(tc, test_sbuf_long_printf_content);
	tcase_add_test(tc, test_sbuf_null_and_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_every_byte_alone, 0, 256);
	tcase_add_test(tc, test_escape_lengths);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_invalid);
	tcase_add_test(tc, test_text_c1_controls);
	tcase_add_test(tc, test_text_keeps_quotes);
	suite_add_tcase(s, tc);

	tc = tcase_create("json_string");
	tcase_add_test(tc, test_json_string_quotes);
	tcase_add_test(tc, test_json_string_controls);
	tcase_add_test(tc, test_json_string_utf8);
	tcase_add_test(tc, test_json_string_size_query);
	tcase_add_test(tc, test_json_string_truncation);
	tcase_add_test(tc, test_json_string_einval);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(json_suite(), CK_NORMAL);
}
