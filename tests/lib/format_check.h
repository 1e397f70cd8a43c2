/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* The snprintf contract of the library's formatters, checked at every
 * buffer length. */
#ifndef EBPFNET_TEST_FORMAT_CHECK_H
#define EBPFNET_TEST_FORMAT_CHECK_H

#include <check.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

/* A formatter (<object>_format) with its object as a void pointer. */
typedef int (*format_fn)(const void *obj, enum ebpfnet_format format,
			 char *buf, size_t len);

/*
 * For both formats: the length is the same for every buffer (NULL and 0
 * too); a buffer of len bytes gets the first len - 1 bytes of the text and
 * a NUL, and nothing past them is touched. `what` names obj in messages.
 */
static inline void check_truncation(const char *what, format_fn fmt,
				    const void *obj)
{
	char full[1024], buf[1024 + 1];
	enum ebpfnet_format f;
	size_t len;
	int n;

	for (f = EBPFNET_FORMAT_TEXT; f <= EBPFNET_FORMAT_JSON; f++) {
		n = fmt(obj, f, NULL, 0);
		ck_assert_msg(n > 0 && (size_t)n < sizeof(full), "%s: length %d",
			      what, n);
		ck_assert_int_eq(fmt(obj, f, full, sizeof(full)), n);
		ck_assert_uint_eq(strlen(full), (size_t)n);
		for (len = 0; len <= (size_t)n + 1; len++) {
			memset(buf, '#', sizeof(buf));
			ck_assert_int_eq(fmt(obj, f, len ? buf : NULL, len), n);
			if (len) {
				size_t kept = len - 1;

				ck_assert_msg(buf[kept] == '\0' &&
					      !strncmp(buf, full, kept),
					      "%s len %zu: [%s]", what, len, buf);
			}
			ck_assert_int_eq(buf[len], '#');
		}
	}
}

#endif /* EBPFNET_TEST_FORMAT_CHECK_H */
