/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A strict RFC 8259 JSON validator for the formatters' tests (one value,
 * UTF-8 checked, no trailing bytes, nesting bounded), and its self-check:
 * a test case that proves it rejects what it should. Header-only: each
 * test includes it once.
 */
#ifndef EBPFNET_TEST_JSON_CHECK_H
#define EBPFNET_TEST_JSON_CHECK_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct json_in {
	const unsigned char *p;
	const unsigned char *end;
	int depth;
};

static bool json_value(struct json_in *in);

static void json_ws(struct json_in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' ||
				   *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

static bool json_lit(struct json_in *in, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0)
		return false;
	in->p += n;
	return true;
}

static bool json_digits(struct json_in *in)
{
	const unsigned char *start = in->p;

	while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
		in->p++;
	return in->p > start;
}

static bool json_number(struct json_in *in)
{
	if (in->p < in->end && *in->p == '-')
		in->p++;
	if (in->p < in->end && *in->p == '0')
		in->p++;
	else if (!(in->p < in->end && *in->p >= '1' && *in->p <= '9') ||
		 !json_digits(in))
		return false;
	if (in->p < in->end && *in->p == '.') {
		in->p++;
		if (!json_digits(in))
			return false;
	}
	if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
		in->p++;
		if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
			in->p++;
		if (!json_digits(in))
			return false;
	}
	return true;
}

static int json_hex4(struct json_in *in)
{
	int v = 0, i;

	if (in->end - in->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = *in->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* One raw UTF-8 character, strictly (no overlong, surrogate, > U+10FFFF). */
static bool json_utf8(struct json_in *in)
{
	unsigned char c = *in->p;
	uint32_t cp, min;
	int len, i;

	if (c < 0x80) {
		in->p++;
		return true;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return false;
	}
	if (in->end - in->p < len)
		return false;
	for (i = 1; i < len; i++) {
		if ((in->p[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (in->p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	in->p += len;
	return true;
}

static bool json_string(struct json_in *in)
{
	if (in->p >= in->end || *in->p != '"')
		return false;
	in->p++;
	while (in->p < in->end) {
		unsigned char c = *in->p;
		int u;

		if (c == '"') {
			in->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			if (!json_utf8(in))
				return false;
			continue;
		}
		if (++in->p >= in->end)
			return false;
		c = *in->p++;
		if (strchr("\"\\/bfnrt", c) && c)
			continue;
		if (c != 'u' || (u = json_hex4(in)) < 0)
			return false;
		if (u >= 0xdc00 && u <= 0xdfff)
			return false; /* lone low surrogate */
		if (u >= 0xd800 && u <= 0xdbff) {
			int lo;

			if (!json_lit(in, "\\u") || (lo = json_hex4(in)) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return false;
		}
	}
	return false;
}

static bool json_members(struct json_in *in, char close, bool object)
{
	in->p++; /* '{' or '[' */
	json_ws(in);
	if (in->p < in->end && *in->p == close) {
		in->p++;
		return true;
	}
	for (;;) {
		json_ws(in);
		if (object) {
			if (!json_string(in))
				return false;
			json_ws(in);
			if (in->p >= in->end || *in->p++ != ':')
				return false;
		}
		if (!json_value(in))
			return false;
		json_ws(in);
		if (in->p >= in->end)
			return false;
		if (*in->p == close) {
			in->p++;
			return true;
		}
		if (*in->p++ != ',')
			return false;
	}
}

static bool json_value(struct json_in *in)
{
	bool ok;

	json_ws(in);
	if (in->p >= in->end)
		return false;
	switch (*in->p) {
	case '{':
	case '[':
		if (++in->depth > 64)
			return false;
		ok = json_members(in, *in->p == '{' ? '}' : ']', *in->p == '{');
		in->depth--;
		return ok;
	case '"': return json_string(in);
	case 't': return json_lit(in, "true");
	case 'f': return json_lit(in, "false");
	case 'n': return json_lit(in, "null");
	default: return json_number(in);
	}
}

/* True when s (n bytes) is exactly one valid JSON text. */
static bool json_valid_n(const char *s, size_t n)
{
	struct json_in in = { (const unsigned char *)s,
			      (const unsigned char *)s + n, 0 };

	if (!json_value(&in))
		return false;
	json_ws(&in);
	return in.p == in.end;
}

static bool json_valid(const char *s)
{
	return json_valid_n(s, strlen(s));
}

/* The validator must reject what it should, or its "valid" means nothing. */
START_TEST(test_validator_self_check)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-1.5e+3", "\"\"", "true", " null ",
		"{\"a\":[1,{\"b\":\"\\u00e9\\ud83d\\ude00\"}],\"c\":false}",
		"\"\xf0\x9f\x98\x80\"",
	};
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "1.", "-",
		"\"\x01\"", "\"\n\"", "\"\\x41\"", "\"\\u12\"", "\"abc",
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\\udc00\"",
		"\"\\ud800\"", "\"\\ud800\\u0041\"", "truex", "{} {}", "nul",
		"\"\xf4\x90\x80\x80\"", "'a'", "[1 2]",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(json_valid(good[i]), "rejected good [%s]", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!json_valid(bad[i]), "accepted bad [%s]", bad[i]);
	/* A NUL inside the text is a raw control character. */
	ck_assert(!json_valid_n("\"a\0b\"", 5));
}
END_TEST

#endif /* EBPFNET_TEST_JSON_CHECK_H */
