/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A bounded string builder with snprintf semantics, and the two escapers
 * every formatter shares: JSON string literals and terminal-safe text.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void ebpfnet__sbuf_init(struct ebpfnet_sbuf *sb, char *buf, size_t len)
{
	sb->buf = buf;
	sb->len = buf ? len : 0;
	sb->need = 0;
	if (sb->len)
		sb->buf[0] = '\0';
}

/* Append n bytes: copy what fits (keeping room for the NUL), count all. */
static void sbuf_put(struct ebpfnet_sbuf *sb, const char *s, size_t n)
{
	if (sb->len && sb->need < sb->len - 1) {
		size_t room = sb->len - 1 - sb->need;
		size_t take = n < room ? n : room;

		memcpy(sb->buf + sb->need, s, take);
		sb->buf[sb->need + take] = '\0';
	}
	sb->need += n;
}

void ebpfnet__sbuf_putc(struct ebpfnet_sbuf *sb, char c)
{
	sbuf_put(sb, &c, 1);
}

void ebpfnet__sbuf_printf(struct ebpfnet_sbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sbuf_put(sb, small, (size_t)n);
		return;
	}
	/* Longer than the scratch buffer: format straight into place. */
	if (sb->len && sb->need < sb->len - 1) {
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->need, sb->len - sb->need, fmt, ap);
		va_end(ap);
	}
	sb->need += (size_t)n;
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one (overlong forms, surrogates and code points past
 * U+10FFFF are invalid).
 */
size_t ebpfnet__utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void ebpfnet__sbuf_json_str(struct ebpfnet_sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	ebpfnet__sbuf_putc(sb, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t seq;

		switch (c) {
		case '"': sbuf_put(sb, "\\\"", 2); i++; continue;
		case '\\': sbuf_put(sb, "\\\\", 2); i++; continue;
		case '\n': sbuf_put(sb, "\\n", 2); i++; continue;
		case '\r': sbuf_put(sb, "\\r", 2); i++; continue;
		case '\t': sbuf_put(sb, "\\t", 2); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			ebpfnet__sbuf_printf(sb, "\\u%04x", c);
			i++;
			continue;
		}
		seq = ebpfnet__utf8_seq_len(p + i, n - i);
		if (!seq) {
			sbuf_put(sb, "\\ufffd", 6);
			i++;
			continue;
		}
		sbuf_put(sb, s + i, seq);
		i += seq;
	}
	ebpfnet__sbuf_putc(sb, '"');
}

void ebpfnet__sbuf_text_str(struct ebpfnet_sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t seq;

		if (c == '\\') {
			sbuf_put(sb, "\\\\", 2);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			ebpfnet__sbuf_printf(sb, "\\x%02x", c);
			i++;
			continue;
		}
		seq = ebpfnet__utf8_seq_len(p + i, n - i);
		/* C1 controls (U+0080..U+009F, 0xc2 0x80..0x9f) steer some
		 * terminals as ESC does: escape them like invalid bytes. */
		if (!seq || (seq == 2 && c == 0xc2 && p[i + 1] < 0xa0)) {
			ebpfnet__sbuf_printf(sb, "\\x%02x", c);
			i++;
			continue;
		}
		sbuf_put(sb, s + i, seq);
		i += seq;
	}
}

int ebpfnet_json_string(const char *s, char *buf, size_t len)
{
	struct ebpfnet_sbuf sb;

	if (!s || (!buf && len)) {
		pr_warn("ebpfnet_json_string: %s is NULL", s ? "buf" : "s");
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	ebpfnet__sbuf_json_str(&sb, s, strlen(s));
	if (sb.need > INT32_MAX)
		return ebpfnet__err(-EOVERFLOW);
	return (int)sb.need;
}

void ebpfnet__sbuf_rfc3339(struct ebpfnet_sbuf *sb, uint64_t time_ns)
{
	time_t secs = (time_t)(time_ns / 1000000000ull);
	struct tm tm;

	/* gmtime_r cannot fail for a time_t from a uint64 of nanoseconds
	 * (year 2554 at most); keep the output well-formed if it ever does. */
	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	ebpfnet__sbuf_printf(sb, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned int)(time_ns % 1000000000ull));
}
