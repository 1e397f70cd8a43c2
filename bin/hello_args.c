/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-hello's command line. Numbers are parsed strictly (digits only,
 * no sign, no junk, range-checked); user names are resolved with
 * getpwnam_r; conflicting options are usage errors that say why.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hello_args.h"

/* Long-only options get values past any char. */
enum {
	OPT_UID = 0x100,
	OPT_COMM,
	OPT_CGROUP,
	OPT_FAILED,
	OPT_MODE,
	OPT_PRINTK,
	OPT_DURATION,
	OPT_COUNT,
	OPT_JSON,
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
};

static const struct option long_options[] = {
	{ "uid", required_argument, NULL, OPT_UID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "printk", no_argument, NULL, OPT_PRINTK },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* '+': stop at the first non-option (argv is left in order); ':': report a
 * missing argument as ':' and let us word the messages. */
static const char short_options[] = "+:vh";

/* The longest comm the kernel keeps (TASK_COMM_LEN - 1). */
#define COMM_MAX 15

void hello_args_usage(FILE *out)
{
	fputs("Usage: ebpfnet-hello [OPTION]...\n"
	      "Trace every exec on this node (one line or JSON object per exec).\n"
	      "\n"
	      "Filters (applied in the kernel):\n"
	      "      --uid UID         only execs by this real user (number or name)\n"
	      "      --comm NAME       only processes named NAME after the exec (<= 15 bytes)\n"
	      "      --cgroup PATH     only processes in this cgroup v2 directory and below\n"
	      "      --failed          only execs that failed\n"
	      "\n"
	      "Tracer:\n"
	      "      --mode MODE       hook: auto (default), fentry, kprobe, tracepoint\n"
	      "      --printk          demo mode: print the BPF program's \"I'm alive!\" lines\n"
	      "\n"
	      "Output and run time:\n"
	      "      --json            one JSON object per line instead of a table\n"
	      "      --duration SEC    stop after SEC seconds (1..31536000)\n"
	      "      --count N         stop after N events (or printk lines)\n"
	      "  -v, --verbose         show the library's and libbpf's messages, and the hook\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 on success (also after SIGINT or SIGTERM), 1 on error,\n"
	      "2 on a usage error. See ebpfnet-hello(8).\n",
	      out);
}

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * A decimal number in [min, max]: digits only (strtoull alone would take
 * leading spaces, a sign, and wrap "-1" around). 0 or -1 (err written).
 */
static int parse_number(const char *opt, const char *s, uint64_t min,
			uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return usage_error(err, errlen, "invalid %s '%s': not a positive decimal number",
				   opt, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return usage_error(err, errlen, "invalid %s '%s': trailing characters after the number",
				   opt, s);
	if (errno == ERANGE || v > max)
		return usage_error(err, errlen, "invalid %s '%s': larger than %llu",
				   opt, s, (unsigned long long)max);
	if (v < min)
		return usage_error(err, errlen, "invalid %s '%s': must be at least %llu",
				   opt, s, (unsigned long long)min);
	*out = v;
	return 0;
}

/* The uid of user `name`: 0, or -1 with a reason in err. */
static int lookup_user(const char *name, uint32_t *uid, char *err,
		       size_t errlen)
{
	struct passwd pw, *found = NULL;
	size_t size = 4096;
	char *buf = NULL;
	int rc;

	for (;;) {
		char *bigger = realloc(buf, size);

		if (!bigger) {
			free(buf);
			return usage_error(err, errlen, "cannot look up user '%s': %s",
					   name, strerror(ENOMEM));
		}
		buf = bigger;
		rc = getpwnam_r(name, &pw, buf, size, &found);
		if (rc != ERANGE || size >= (1u << 20))
			break;
		size *= 2;
	}
	if (found)
		*uid = (uint32_t)pw.pw_uid;
	free(buf);
	if (rc)
		return usage_error(err, errlen, "cannot look up user '%s': %s",
				   name, strerror(rc));
	if (!found)
		return usage_error(err, errlen, "invalid --uid '%s': no such user", name);
	return 0;
}

static int parse_uid(const char *s, uint32_t *uid, char *err, size_t errlen)
{
	uint64_t v;

	/* Digits first: a number (4294967295 is (uid_t)-1, not a user). */
	if (*s >= '0' && *s <= '9') {
		if (parse_number("--uid", s, 0, UINT32_MAX - 1, &v, err, errlen))
			return -1;
		*uid = (uint32_t)v;
		return 0;
	}
	if (!*s)
		return usage_error(err, errlen, "invalid --uid '': empty");
	return lookup_user(s, uid, err, errlen);
}

static int parse_mode(const char *s, enum ebpfnet_hello_hook *hook,
		      char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum ebpfnet_hello_hook hook;
	} modes[] = {
		{ "auto", EBPFNET_HELLO_HOOK_AUTO },
		{ "fentry", EBPFNET_HELLO_HOOK_FENTRY },
		{ "kprobe", EBPFNET_HELLO_HOOK_KPROBE },
		{ "tracepoint", EBPFNET_HELLO_HOOK_TRACEPOINT },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i].name) == 0) {
			*hook = modes[i].hook;
			return 0;
		}
	}
	return usage_error(err, errlen, "invalid --mode '%s': expected auto, fentry, kprobe or tracepoint",
			   s);
}

static const char *long_name(int val)
{
	const struct option *o;

	for (o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static bool is_option_val(int val)
{
	const struct option *o;

	for (o = long_options; o->name; o++)
		if (o->val == val)
			return true;
	return false;
}

/*
 * Word getopt's '?' and ':' answers. glibc sets optopt to the option's
 * val for a long option with a missing or unwanted argument, to the
 * character for an unknown short option, and to 0 for an unknown long one.
 */
static int getopt_error(int c, int opt, const char *arg, char *err,
			size_t errlen)
{
	if (c == ':')
		return usage_error(err, errlen, "option '--%s' requires an argument",
				   long_name(opt));
	if (is_option_val(opt) && arg && strncmp(arg, "--", 2) == 0)
		return usage_error(err, errlen, "option '--%s' takes no argument",
				   long_name(opt));
	if (opt > 0x20 && opt < 0x7f)
		return usage_error(err, errlen, "unknown option '-%c'", opt);
	return usage_error(err, errlen, "unknown or ambiguous option '%s'",
			   arg ? arg : "?");
}

static int apply_option(int c, const char *arg, struct hello_args *out,
			char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case OPT_UID:
		out->filter_uid = true;
		return parse_uid(arg, &out->uid, err, errlen);
	case OPT_COMM:
		if (!*arg || strlen(arg) > COMM_MAX)
			return usage_error(err, errlen, "invalid --comm '%s': must be 1 to %d bytes (the kernel keeps %d)",
					   arg, COMM_MAX, COMM_MAX);
		out->comm = arg;
		return 0;
	case OPT_CGROUP:
		if (!*arg)
			return usage_error(err, errlen, "invalid --cgroup '': empty path");
		out->cgroup_path = arg;
		return 0;
	case OPT_FAILED:
		out->failed_only = true;
		return 0;
	case OPT_MODE:
		return parse_mode(arg, &out->hook, err, errlen);
	case OPT_PRINTK:
		out->printk = true;
		return 0;
	case OPT_DURATION:
		if (parse_number("--duration", arg, 1, HELLO_ARGS_DURATION_MAX,
				 &v, err, errlen))
			return -1;
		out->duration_s = (uint32_t)v;
		return 0;
	case OPT_COUNT:
		return parse_number("--count", arg, 1, UINT64_MAX, &out->count,
				    err, errlen);
	case OPT_JSON:
		out->json = true;
		return 0;
	case OPT_VERBOSE:
		out->verbose = true;
		return 0;
	default:
		return usage_error(err, errlen, "internal error: option %d not handled", c);
	}
}

/* Options that make no sense together: a usage error that says why. */
static int check_conflicts(const struct hello_args *a, char *err,
			   size_t errlen)
{
	const char *filter = a->filter_uid ? "--uid" :
			     a->comm ? "--comm" :
			     a->cgroup_path ? "--cgroup" :
			     a->failed_only ? "--failed" : NULL;

	if (!a->printk)
		return 0;
	if (a->json)
		return usage_error(err, errlen, "--printk cannot be combined with --json: printk mode prints the kernel's raw trace_pipe lines, which have no JSON form");
	if (filter)
		return usage_error(err, errlen, "--printk cannot be combined with %s: the demo program prints for every exec, the filters apply to exec events only",
				   filter);
	return 0;
}

int hello_args_parse(int argc, char **argv, struct hello_args *out,
		     char *err, size_t errlen)
{
	bool help = false;
	int c;

	if (err && errlen)
		err[0] = '\0';
	if (!out || argc < 1 || !argv)
		return usage_error(err, errlen, "internal error: no arguments to parse");
	memset(out, 0, sizeof(*out));
	out->hook = EBPFNET_HELLO_HOOK_AUTO;

	/* 0, not 1: makes glibc reinitialise all of getopt's state. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		if (c == '?' || c == ':')
			return getopt_error(c, optopt, argv[optind - 1], err,
					    errlen);
		if (c == OPT_HELP) {
			help = true;
			continue;
		}
		if (apply_option(c, optarg, out, err, errlen))
			return -1;
	}
	if (optind < argc)
		return usage_error(err, errlen, "unexpected argument '%s' (ebpfnet-hello takes no operands)",
				   argv[optind]);
	if (help)
		return 1;
	return check_conflicts(out, err, errlen);
}
