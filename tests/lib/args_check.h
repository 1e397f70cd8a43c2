/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The harness of a CLI argument parser's unit test (bin/<cli>_args.c),
 * for parsers of the shape
 *   int parse(int argc, char **argv, TYPE *args, char *err, size_t errlen)
 * Define before including it:
 *   ARGS_CHECK_PROGRAM   the program name, argv[0]
 *   ARGS_CHECK_TYPE      the parser's result type
 *   ARGS_CHECK_PARSE     the parser
 *   ARGS_CHECK_USAGE     its usage printer, void (FILE *)
 *   ARGS_CHECK_AFTER(r)  (optional) run with each parse's result: keep it
 *                        to free what the parser allocated
 * and it gives:
 *   parse(arg, ..., NULL)  the parser's result (struct parse_result) for
 *                          the arguments (the program name added), after
 *                          checking that err is NUL-terminated and argv is
 *                          left in order
 *   OK(arg, ...)           the parse must succeed: its args
 *   BAD(needle, arg, ...)  it must be a usage error whose one-line
 *                          message contains needle
 *   HELP(arg, ...)         it must ask for help (the parser's 1)
 *   USAGE_MENTIONS(must)   the usage text contains each string of the
 *                          array must
 * Copies of the arguments live until the next parse: the parser's results
 * may point into argv.
 */
#ifndef EBPFNET_TEST_ARGS_CHECK_H
#define EBPFNET_TEST_ARGS_CHECK_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ARGS_CHECK_AFTER
#define ARGS_CHECK_AFTER(r) ((void)(r))
#endif

#define MAX_ARGS 16

struct parse_result {
	int rc;
	ARGS_CHECK_TYPE args;
	char err[256];
};

static char arena[MAX_ARGS + 1][512];

/* Parse a NULL-terminated list of arguments (the program name is added). */
static struct parse_result parse_list(const char *first, va_list ap)
{
	struct parse_result r;
	char *argv[MAX_ARGS + 2];
	const char *a;
	int argc = 0, i;

	snprintf(arena[argc], sizeof(arena[argc]), "%s", ARGS_CHECK_PROGRAM);
	argv[argc] = arena[argc];
	argc++;
	for (a = first; a; a = va_arg(ap, const char *)) {
		ck_assert_int_le(argc, MAX_ARGS);
		ck_assert_uint_lt(strlen(a), sizeof(arena[argc]));
		strcpy(arena[argc], a);
		argv[argc] = arena[argc];
		argc++;
	}
	argv[argc] = NULL;
	memset(r.err, 'X', sizeof(r.err));
	memset(&r.args, 0xa5, sizeof(r.args));
	r.rc = ARGS_CHECK_PARSE(argc, argv, &r.args, r.err, sizeof(r.err));
	ARGS_CHECK_AFTER(r);
	ck_assert_msg(memchr(r.err, '\0', sizeof(r.err)) != NULL,
		      "err not NUL-terminated");
	/* argv is left in order */
	for (i = 0; i < argc; i++)
		ck_assert_ptr_eq(argv[i], arena[i]);
	return r;
}

static inline struct parse_result parse(const char *first, ...)
{
	struct parse_result r;
	va_list ap;

	va_start(ap, first);
	r = parse_list(first, ap);
	va_end(ap);
	return r;
}

/* The parse must succeed. */
#define OK(...)                                                             \
	({                                                                  \
		struct parse_result r_ = parse(__VA_ARGS__, NULL);           \
		ck_assert_msg(r_.rc == 0, "rc %d err [%s]", r_.rc, r_.err);  \
		ck_assert_str_eq(r_.err, "");                                \
		r_.args;                                                     \
	})

/* The parse must be a usage error whose message contains `needle`. */
static inline void check_usage_error(const char *needle, const char *first, ...)
{
	struct parse_result r;
	va_list ap;

	va_start(ap, first);
	r = parse_list(first, ap);
	va_end(ap);
	ck_assert_msg(r.rc == -1, "expected a usage error, rc %d", r.rc);
	ck_assert_msg(strstr(r.err, needle) != NULL, "err [%s] lacks [%s]",
		      r.err, needle);
	ck_assert_msg(strchr(r.err, '\n') == NULL, "err has a newline: [%s]",
		      r.err);
}

#define BAD(needle, ...) check_usage_error(needle, __VA_ARGS__, NULL)

#define HELP(...) ck_assert_int_eq(parse(__VA_ARGS__, NULL).rc, 1)

static inline void check_usage_mentions(const char *const *must, size_t n)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ARGS_CHECK_USAGE(f);
	fclose(f);
	for (i = 0; i < n; i++)
		ck_assert_msg(strstr(text, must[i]), "usage lacks %s", must[i]);
	free(text);
}

#define USAGE_MENTIONS(must) \
	check_usage_mentions(must, sizeof(must) / sizeof((must)[0]))

#endif /* EBPFNET_TEST_ARGS_CHECK_H */
