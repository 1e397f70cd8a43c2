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
 *   ARGS_CHECK_FREE      (optional, instead of ARGS_CHECK_AFTER) the free
 *                        function of a parser that allocates TYPE's `ops`:
 *                        each parse's result is kept in `last` until the
 *                        next parse or free_last() (a test's fixture)
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
 *   check_bad_calls(cmd, a) (with ARGS_CHECK_FREE) the answers to wrong
 *                          calls, to an empty argv, to a small err buffer,
 *                          and that free is NULL-safe and repeatable; *a
 *                          is left freed after a good parse of cmd
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

#ifdef ARGS_CHECK_FREE
/* The last parse's result, freed by the next parse (or the fixture). */
static ARGS_CHECK_TYPE last;

static void free_last(void)
{
	ARGS_CHECK_FREE(&last);
}

static void keep_last(const ARGS_CHECK_TYPE *args)
{
	free_last();
	last = *args;
}

#define ARGS_CHECK_AFTER(r) keep_last(&(r).args)
#endif

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

#ifdef ARGS_CHECK_FREE
static inline void check_bad_calls(const char *command, ARGS_CHECK_TYPE *a)
{
	char program[] = ARGS_CHECK_PROGRAM, word[64], bogus[] = "--bogus-option";
	char *argv[] = { program, word, NULL };
	char *bad[] = { program, bogus, NULL };
	char err[64], small[8];

	ck_assert_uint_lt(strlen(command), sizeof(word));
	strcpy(word, command);
	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(ARGS_CHECK_PARSE(2, NULL, a, err, sizeof(err)), -1);
	ck_assert_int_eq(ARGS_CHECK_PARSE(2, argv, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(ARGS_CHECK_PARSE(-1, argv, a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "internal error: no arguments to parse");
	/* no room for the message: still an answer, nothing written */
	ck_assert_int_eq(ARGS_CHECK_PARSE(2, NULL, a, NULL, 0), -1);
	/* no arguments at all (execve with an empty argv): no command */
	ck_assert_int_eq(ARGS_CHECK_PARSE(0, argv + 2, a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no command given");
	ARGS_CHECK_FREE(a);
	/* a small err buffer gets a truncated, terminated message */
	ck_assert_int_eq(ARGS_CHECK_PARSE(2, bad, a, small, sizeof(small)), -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ARGS_CHECK_FREE(a);
	/* free is NULL-safe and repeatable */
	ARGS_CHECK_FREE(NULL);
	ck_assert_int_eq(ARGS_CHECK_PARSE(2, argv, a, err, sizeof(err)), 0);
	ARGS_CHECK_FREE(a);
	ck_assert_ptr_null(a->ops);
	ARGS_CHECK_FREE(a);
}
#endif

#endif /* EBPFNET_TEST_ARGS_CHECK_H */
