/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-hello's command line. Numbers are parsed strictly (digits only,
 * no sign, no junk, range-checked); user names are resolved with
 * getpwnam_r; conflicting options are usage errors that say why.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_args.h"
#include "hello_args.h"

/* Long-only options get values past any char (and the shared ones). */
enum {
	OPT_UID = 0x100,
	OPT_COMM,
	OPT_CGROUP,
	OPT_FAILED,
	OPT_MODE,
	OPT_PRINTK,
};

static const struct option long_options[] = {
	{ "uid", required_argument, NULL, OPT_UID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "printk", no_argument, NULL, OPT_PRINTK },
	CLI_OPTION_DURATION,
	CLI_OPTION_COUNT,
	CLI_OPTION_JSON,
	CLI_OPTION_VERBOSE,
	CLI_OPTION_HELP,
	CLI_OPTION_END,
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

/* Every number here is "positive": the message says no sign is taken. */
#define NOT_NUMBER "not a positive decimal number"

static const struct cli_number uid_number = {
	"--uid", 0, UINT32_MAX - 1, NOT_NUMBER /* UINT32_MAX is (uid_t)-1 */
};

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
			return cli_usage_msg(err, errlen, "cannot look up user '%s': %s",
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
		return cli_usage_msg(err, errlen, "cannot look up user '%s': %s",
				     name, strerror(rc));
	if (!found)
		return cli_usage_msg(err, errlen, "invalid --uid '%s': no such user", name);
	return 0;
}

static int parse_uid(const char *s, uint32_t *uid, char *err, size_t errlen)
{
	uint64_t v;

	/* Digits first: a number (4294967295 is (uid_t)-1, not a user). */
	if (*s >= '0' && *s <= '9') {
		if (cli_parse_number(&uid_number, s, &v, err, errlen))
			return -1;
		*uid = (uint32_t)v;
		return 0;
	}
	if (!*s)
		return cli_usage_msg(err, errlen, "invalid --uid '': empty");
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
	return cli_usage_msg(err, errlen, "invalid --mode '%s': expected auto, fentry, kprobe or tracepoint",
			     s);
}

static int apply_option(int c, const char *arg, struct hello_args *out,
			char *err, size_t errlen)
{
	switch (c) {
	case OPT_UID:
		out->filter_uid = true;
		return parse_uid(arg, &out->uid, err, errlen);
	case OPT_COMM:
		if (!*arg || strlen(arg) > COMM_MAX)
			return cli_usage_msg(err, errlen, "invalid --comm '%s': must be 1 to %d bytes (the kernel keeps %d)",
					     arg, COMM_MAX, COMM_MAX);
		out->comm = arg;
		return 0;
	case OPT_CGROUP:
		return cli_parse_path("--cgroup", arg, &out->cgroup_path, err,
				      errlen);
	case OPT_FAILED:
		out->failed_only = true;
		return 0;
	case OPT_MODE:
		return parse_mode(arg, &out->hook, err, errlen);
	case OPT_PRINTK:
		out->printk = true;
		return 0;
	default:
		return cli_apply_opt(&out->opts, c, arg, NOT_NUMBER, err, errlen);
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
	if (a->opts.json)
		return cli_usage_msg(err, errlen, "--printk cannot be combined with --json: printk mode prints the kernel's raw trace_pipe lines, which have no JSON form");
	if (filter)
		return cli_usage_msg(err, errlen, "--printk cannot be combined with %s: the demo program prints for every exec, the filters apply to exec events only",
				     filter);
	return 0;
}

int hello_args_parse(int argc, char **argv, struct hello_args *out,
		     char *err, size_t errlen)
{
	bool help = false;
	int c;

	if (cli_parse_begin(out, argc, 1, argv, err, errlen))
		return -1;
	memset(out, 0, sizeof(*out));
	out->hook = EBPFNET_HELLO_HOOK_AUTO;

	cli_getopt_restart();
	while ((c = cli_getopt_next(argc, argv, short_options, long_options,
				    err, errlen)) != -1) {
		if (c == CLI_GETOPT_ERROR)
			return -1;
		if (c == CLI_OPT_HELP) {
			help = true;
			continue;
		}
		if (apply_option(c, optarg, out, err, errlen))
			return -1;
	}
	if (optind < argc)
		return cli_usage_msg(err, errlen, "unexpected argument '%s' (ebpfnet-hello takes no operands)",
				     argv[optind]);
	if (help)
		return 1;
	return check_conflicts(out, err, errlen);
}
