/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Helpers the CLIs' argument parsers share (see cli_args.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"

int cli_usage_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int cli_parse_begin(const void *out, int argc, int min_argc, char **argv,
		    char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out || argc < min_argc || !argv)
		return cli_usage_msg(err, errlen, "internal error: no arguments to parse");
	return 0;
}

int cli_parse_number(const struct cli_number *number, const char *s,
		     uint64_t *out, char *err, size_t errlen)
{
	const char *what = number->what;
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return cli_usage_msg(err, errlen, "invalid %s '%s': %s", what, s,
				     number->not_number ? number->not_number :
							  "not a decimal number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return cli_usage_msg(err, errlen, "invalid %s '%s': trailing characters after the number",
				     what, s);
	if (errno == ERANGE || v > number->max)
		return cli_usage_msg(err, errlen, "invalid %s '%s': larger than %llu",
				     what, s, (unsigned long long)number->max);
	if (v < number->min)
		return cli_usage_msg(err, errlen, "invalid %s '%s': must be at least %llu",
				     what, s, (unsigned long long)number->min);
	*out = v;
	return 0;
}

int cli_lookup_word(const char *const *words, const char *s)
{
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0)
			return i;
	return -1;
}

int cli_parse_word(const char *what, const char *const *words,
		   const char *expected, const char *s, int *out, char *err,
		   size_t errlen)
{
	int i = cli_lookup_word(words, s);

	if (i < 0)
		return cli_usage_msg(err, errlen, "invalid %s '%s': expected %s",
				     what, s, expected);
	*out = i;
	return 0;
}

static const struct option *find_option(const struct option *options, int val)
{
	const struct option *o;

	for (o = options; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

const char *cli_option_name(const struct option *options, int val)
{
	const struct option *o = find_option(options, val);

	return o ? o->name : "?";
}

int cli_apply_opt(struct cli_opts *opts, int c, const char *arg,
		  const char *not_number, char *err, size_t errlen)
{
	struct cli_number count = { "--count", 1, UINT64_MAX, not_number };
	struct cli_number duration = {
		"--duration", 1, CLI_DURATION_MAX, not_number
	};
	uint64_t v;

	switch (c) {
	case CLI_OPT_JSON:
		opts->json = true;
		return 0;
	case CLI_OPT_VERBOSE:
		opts->verbose = true;
		return 0;
	case CLI_OPT_COUNT:
		return cli_parse_number(&count, arg, &opts->count, err, errlen);
	case CLI_OPT_DURATION:
		if (cli_parse_number(&duration, arg, &v, err, errlen))
			return -1;
		opts->duration_s = (uint32_t)v;
		return 0;
	default:
		return cli_usage_msg(err, errlen, "internal error: option %d not handled", c);
	}
}

int cli_parse_path(const char *what, const char *arg, const char **out,
		   char *err, size_t errlen)
{
	if (!*arg)
		return cli_usage_msg(err, errlen, "invalid %s '': empty path", what);
	*out = arg;
	return 0;
}

void cli_getopt_restart(void)
{
	optind = 0;
	opterr = 0;
}

/*
 * Word getopt_long's '?' or ':' answer `c`: `opt` is optopt, `arg` the
 * argv element it stopped at. glibc sets optopt to the option's val for a
 * long option with a missing or unwanted argument, to the character of an
 * unknown short option, and to 0 for an unknown long one.
 */
static int getopt_error(const struct option *options, int c, int opt,
			const char *arg, char *err, size_t errlen)
{
	if (c == ':')
		return cli_usage_msg(err, errlen, "option '--%s' requires an argument",
				     cli_option_name(options, opt));
	if (find_option(options, opt) && arg && strncmp(arg, "--", 2) == 0)
		return cli_usage_msg(err, errlen, "option '--%s' takes no argument",
				     cli_option_name(options, opt));
	if (opt > 0x20 && opt < 0x7f)
		return cli_usage_msg(err, errlen, "unknown option '-%c'", opt);
	return cli_usage_msg(err, errlen, "unknown or ambiguous option '%s'",
			     arg ? arg : "?");
}

int cli_getopt_next(int argc, char **argv, const char *shortopts,
		    const struct option *longopts, char *err, size_t errlen)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c != '?' && c != ':')
		return c;
	getopt_error(longopts, c, optopt, argv[optind - 1], err, errlen);
	return CLI_GETOPT_ERROR;
}
