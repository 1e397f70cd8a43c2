/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-drop: manage the node's XDP packet filter (attach, detach, add
 * and delete rules, read counters, follow sampled drops). A thin CLI over
 * the public API of libebpfnet: see ebpfnet-drop(8).
 *
 * The filter is pinned: every command but `events` changes or reads it and
 * returns at once; the filter keeps running after the command exits.
 *
 * Exit status: 0 (also after SIGINT/SIGTERM in `events`), 1 on an error
 * (one line on stderr), 2 on a usage error.
 */
/* ppoll() */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ebpfnet/ebpfnet.h>

#define PROG "ebpfnet-drop"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* ---- messages ------------------------------------------------------------ */

/*
 * The library's messages. Without -v only its own warnings are shown (never
 * libbpf's, which are forwarded only to keep libbpf's default printer
 * quiet), and they are held back while a command runs: when it fails, the
 * last one becomes the detail of the single error line; when it succeeds,
 * they are shown then.
 */
#define HELD_MAX 8
#define MSG_MAX 512
#define LIBBPF_PREFIX "libbpf: "

static struct {
	bool verbose;
	char last_warn[MSG_MAX];
	char held[HELD_MAX][MSG_MAX];
	unsigned int nheld;
} msgs;

static void print_msg(enum ebpfnet_print_level level, const char *msg)
{
	static const char *const names[] = { "warning", "info", "debug" };
	const char *name = (unsigned int)level < 3 ? names[level] : "debug";
	bool from_libbpf = strncmp(msg, LIBBPF_PREFIX, strlen(LIBBPF_PREFIX)) == 0;

	if (msgs.verbose)
		fprintf(stderr, PROG ": %s: %s\n", name, msg);
	if (level != EBPFNET_PRINT_WARN || from_libbpf)
		return;
	snprintf(msgs.last_warn, sizeof(msgs.last_warn), "%s", msg);
	if (msgs.verbose)
		return;
	/* Keep the very first and the newest HELD_MAX - 1. */
	if (msgs.nheld == HELD_MAX)
		memmove(msgs.held[1], msgs.held[2], sizeof(msgs.held[0]) * (HELD_MAX - 2));
	else
		msgs.nheld++;
	snprintf(msgs.held[msgs.nheld - 1], MSG_MAX, "%s", msg);
}

/* After a success: the warnings held back are worth seeing. */
static void release_warnings(void)
{
	unsigned int i;

	for (i = 0; i < msgs.nheld; i++)
		fprintf(stderr, PROG ": warning: %s\n", msgs.held[i]);
	msgs.nheld = 0;
}

/* The single error line, "ebpfnet-drop: error: <text>"; EXIT_ERROR. The
 * warnings held back are dropped: their last one is in the line already
 * when it matters. */
static int error_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int error_line(const char *fmt, ...)
{
	char text[2 * MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": error: %s\n", text);
	msgs.nheld = 0;
	return EXIT_ERROR;
}

/* The error line "<what>: <strerror> (<library's reason>)". */
static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int err, const char *fmt, ...)
{
	char what[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (msgs.last_warn[0])
		return error_line("%s: %s (%s)", what, ebpfnet_strerror(err),
				  msgs.last_warn);
	return error_line("%s: %s", what, ebpfnet_strerror(err));
}

/* A failed call's errno as a negative code (never 0). */
static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* ---- the command line ---------------------------------------------------- */

enum {
	OPT_PIN_ROOT = 0x100,
	OPT_JSON,
	OPT_MODE,
	OPT_ACTION,
	OPT_COUNT,
	OPT_DURATION,
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
};

/* Options a command takes besides the global ones. */
#define OPTF_MODE (1u << 0)
#define OPTF_ACTION (1u << 1)
#define OPTF_COUNT (1u << 2)
#define OPTF_DURATION (1u << 3)

static const struct option long_options[] = {
	{ "pin-root", required_argument, NULL, OPT_PIN_ROOT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ NULL, 0, NULL, 0 },
};

/* '-': operands come back in order as option 1 (whatever POSIXLY_CORRECT
 * says), so options may follow the command; ':': we word the errors. */
static const char short_options[] = "-:vh";

#define DURATION_MAX 31536000u /* --duration: one year */

struct cli;

struct command {
	const char *name;
	int (*run)(struct cli *cli);
	unsigned int options;  /* OPTF_* */
	int min_ops, max_ops;  /* operands; max -1: no limit */
	const char *synopsis;  /* for the messages */
};

struct cli {
	/* global options */
	const char *pin_root;        /* NULL: the library's default */
	bool json;
	bool help;
	/* the command and its options */
	const struct command *cmd;
	enum ebpfnet_xdp_mode mode;  /* attach --mode */
	const char *action;          /* add --action */
	uint64_t count;              /* events --count; 0: no limit */
	uint32_t duration_s;         /* events --duration; 0: until a signal */
	const char **ops;            /* operands after the command */
	int nops;
	uint32_t rule_id;            /* del ID */
	int set_knob;                /* set: index in set_knobs */
	uint64_t set_value;
	bool follow;                 /* events: open with the event callback */
	/* run time */
	struct ebpfnet_drop *drop;
	char *buf;                   /* formatter output, grown on demand */
	size_t buf_len;
	uint64_t lines;
	bool first;                  /* first element of a JSON array */
	int write_err;
	int format_err;
};

static int usage_msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A decimal number in [min, max]: digits only (strtoull alone would take
 * spaces, a sign, and wrap "-1" around). 0, or -1 with err written. */
static int parse_number(const char *what, const char *s, uint64_t min,
			uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return usage_msg(err, errlen, "invalid %s '%s': not a decimal number",
				 what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return usage_msg(err, errlen, "invalid %s '%s': trailing characters after the number",
				 what, s);
	if (errno == ERANGE || v > max)
		return usage_msg(err, errlen, "invalid %s '%s': larger than %llu",
				 what, s, (unsigned long long)max);
	if (v < min)
		return usage_msg(err, errlen, "invalid %s '%s': must be at least %llu",
				 what, s, (unsigned long long)min);
	*out = v;
	return 0;
}

/* Index of `s` in the NULL-terminated `names`, or -1. */
static int lookup_word(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Indexed by enum ebpfnet_xdp_mode. */
static const char *const mode_words[] = { "auto", "native", "generic", NULL };

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

/* Word getopt's '?' and ':' answers (glibc sets optopt to the val of a
 * long option with a missing or unwanted argument, to the character of an
 * unknown short option, and to 0 for an unknown long one). */
static int getopt_error(int c, int opt, const char *arg, char *err,
			size_t errlen)
{
	/* every option with an argument is a long one */
	if (c == ':')
		return usage_msg(err, errlen, "option '--%s' requires an argument",
				 long_name(opt));
	if (is_option_val(opt) && arg && strncmp(arg, "--", 2) == 0)
		return usage_msg(err, errlen, "option '--%s' takes no argument",
				 long_name(opt));
	if (opt > 0x20 && opt < 0x7f)
		return usage_msg(err, errlen, "unknown option '-%c'", opt);
	return usage_msg(err, errlen, "unknown or ambiguous option '%s'",
			 arg ? arg : "?");
}

/* Which OPTF_* bit an option needs; 0 for the global ones. */
static unsigned int option_flag(int c)
{
	switch (c) {
	case OPT_MODE:
		return OPTF_MODE;
	case OPT_ACTION:
		return OPTF_ACTION;
	case OPT_COUNT:
		return OPTF_COUNT;
	case OPT_DURATION:
		return OPTF_DURATION;
	default:
		return 0;
	}
}

static int apply_option(struct cli *cli, int c, const char *arg, char *err,
			size_t errlen)
{
	uint64_t v;
	int i;

	switch (c) {
	case OPT_PIN_ROOT:
		if (!*arg)
			return usage_msg(err, errlen, "invalid --pin-root '': empty path");
		cli->pin_root = arg;
		return 0;
	case OPT_JSON:
		cli->json = true;
		return 0;
	case OPT_VERBOSE:
		msgs.verbose = true;
		return 0;
	case OPT_HELP:
		cli->help = true;
		return 0;
	case OPT_MODE:
		i = lookup_word(mode_words, arg);
		if (i < 0)
			return usage_msg(err, errlen, "invalid --mode '%s': expected auto, native or generic",
					 arg);
		cli->mode = (enum ebpfnet_xdp_mode)i;
		return 0;
	case OPT_ACTION:
		/* Judged with the rule's other words by the library. */
		cli->action = arg;
		return 0;
	case OPT_COUNT:
		return parse_number("--count", arg, 1, UINT64_MAX, &cli->count,
				    err, errlen);
	case OPT_DURATION:
		if (parse_number("--duration", arg, 1, DURATION_MAX, &v, err,
				 errlen))
			return -1;
		cli->duration_s = (uint32_t)v;
		return 0;
	default:
		return usage_msg(err, errlen, "internal error: option %d not handled", c);
	}
}

static const struct command *find_command(const char *name);

static int check_operands(const struct cli *cli, char *err, size_t errlen)
{
	const struct command *cmd = cli->cmd;

	if (cli->nops < cmd->min_ops)
		return usage_msg(err, errlen, "'%s' needs %s", cmd->name,
				 cmd->synopsis);
	if (cmd->max_ops >= 0 && cli->nops > cmd->max_ops)
		return usage_msg(err, errlen, "unexpected argument '%s' after '%s%s%s'",
				 cli->ops[cmd->max_ops], cmd->name,
				 cmd->max_ops ? " " : "",
				 cmd->max_ops ? cmd->synopsis : "");
	return 0;
}

/*
 * argv -> *cli. Global options may come before the command and after it;
 * a command's own options only after it. Returns 0 to run, 1 for --help,
 * -1 on a usage error (a one-line reason in err).
 */
static int parse_args(int argc, char **argv, struct cli *cli, char *err,
		      size_t errlen)
{
	int c;

	cli->ops = calloc((size_t)argc, sizeof(*cli->ops));
	if (!cli->ops)
		return usage_msg(err, errlen, "out of memory");
	optind = 0; /* 0, not 1: glibc reinitialises all of getopt's state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		unsigned int flag;

		if (c == '?' || c == ':')
			return getopt_error(c, optopt, argv[optind - 1], err,
					    errlen);
		if (c == 1) {
			if (cli->cmd) {
				cli->ops[cli->nops++] = optarg;
				continue;
			}
			cli->cmd = find_command(optarg);
			if (!cli->cmd)
				return usage_msg(err, errlen, "unknown command '%s'",
						 optarg);
			continue;
		}
		flag = option_flag(c);
		if (flag && !cli->cmd)
			return usage_msg(err, errlen, "option '--%s' must follow its command",
					 long_name(c));
		if (flag && !(cli->cmd->options & flag))
			return usage_msg(err, errlen, "'%s' takes no option '--%s'",
					 cli->cmd->name, long_name(c));
		if (apply_option(cli, c, optarg, err, errlen))
			return -1;
	}
	/* after "--": the rest are operands (the command first) */
	for (; optind < argc; optind++) {
		if (!cli->cmd) {
			cli->cmd = find_command(argv[optind]);
			if (!cli->cmd)
				return usage_msg(err, errlen, "unknown command '%s'",
						 argv[optind]);
			continue;
		}
		cli->ops[cli->nops++] = argv[optind];
	}
	if (cli->help)
		return 1;
	if (!cli->cmd)
		return usage_msg(err, errlen, "no command given");
	return check_operands(cli, err, errlen);
}

static void usage(FILE *out)
{
	fputs("Usage: ebpfnet-drop [GLOBAL OPTION]... COMMAND [ARG]...\n"
	      "Manage this node's XDP packet filter. The filter is pinned: it keeps\n"
	      "running after the command exits.\n"
	      "\n"
	      "Commands:\n"
	      "  attach IFACE [--mode auto|native|generic]   filter IFACE's incoming packets\n"
	      "  detach IFACE                  stop filtering IFACE (the last one removes it all)\n"
	      "  add [--action drop|pass|count] MATCH...   add a rule, print its id\n"
	      "  del ID                        delete rule ID\n"
	      "  list                          rules with their packet and byte counters\n"
	      "  stats                         the filter's counters\n"
	      "  events [--count N] [--duration SEC]   follow sampled drops\n"
	      "  status                        attached interfaces and the rule table\n"
	      "  set frag inspect|drop|pass    what non-first IP fragments meet\n"
	      "  set malformed pass|drop       what packets that cannot be parsed meet\n"
	      "  set event-rate N              sampled drop events per CPU per second (0: none)\n"
	      "\n"
	      "MATCH words: proto icmp|icmpv6|tcp|udp|N, icmp-type T, icmp-code C,\n"
	      "  src PREFIX, dst PREFIX, src-port P, dst-port P, family ipv4|ipv6,\n"
	      "  sig l3|l4+OFFSET:HEX[/HEXMASK], action drop|pass|count\n"
	      "  e.g.  add proto icmp icmp-type echo-request\n"
	      "        add proto udp dst-port 9999 sig l4+8:deadbeef\n"
	      "\n"
	      "Global options (before or after the command):\n"
	      "      --pin-root DIR    the filter's pinned state lives under DIR\n"
	      "                        (default " EBPFNET_PIN_ROOT_DEFAULT ")\n"
	      "      --json            print data as JSON\n"
	      "  -v, --verbose         show the library's and libbpf's messages\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 on success (also after SIGINT or SIGTERM in 'events'),\n"
	      "1 on error, 2 on a usage error. See ebpfnet-drop(8).\n",
	      out);
}

/* ---- output -------------------------------------------------------------- */

/* One line to stdout, flushed now (a pipe or file may be read while
 * `events` runs). 0 or a negative errno, kept in write_err. */
static int write_line(struct cli *cli, const char *line)
{
	if (fputs(line, stdout) == EOF || putchar('\n') == EOF ||
	    fflush(stdout) == EOF) {
		cli->write_err = neg_errno();
		return cli->write_err;
	}
	return 0;
}

/* printf to stdout; the error is checked when the command ends. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* Flush stdout: EXIT_OK, or the error line. */
static int finish_output(struct cli *cli)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		cli->write_err = neg_errno();
	if (cli->write_err) {
		msgs.last_warn[0] = '\0';
		return fail(cli->write_err, "cannot write the output");
	}
	return EXIT_OK;
}

/* The library's formatters share one shape; these adapt them. */
typedef int (*format_fn)(const void *obj, enum ebpfnet_format format,
			 char *buf, size_t len);

static int format_rule(const void *obj, enum ebpfnet_format format, char *buf,
		       size_t len)
{
	return ebpfnet_drop_rule_format(obj, format, buf, len);
}

static int format_event(const void *obj, enum ebpfnet_format format,
			char *buf, size_t len)
{
	return ebpfnet_drop_event_format(obj, format, buf, len);
}

static int format_json_string(const void *obj, enum ebpfnet_format format,
			      char *buf, size_t len)
{
	(void)format;
	return ebpfnet_json_string(obj, buf, len);
}

/* Format obj into cli->buf (grown as needed): the text, or NULL with
 * format_err set. */
static const char *format_into(struct cli *cli, format_fn fn, const void *obj,
			       enum ebpfnet_format format)
{
	int need = fn(obj, format, cli->buf, cli->buf_len);

	if (need >= 0 && (size_t)need >= cli->buf_len) {
		char *bigger = realloc(cli->buf, (size_t)need + 1);

		if (!bigger) {
			cli->format_err = -ENOMEM;
			return NULL;
		}
		cli->buf = bigger;
		cli->buf_len = (size_t)need + 1;
		need = fn(obj, format, cli->buf, cli->buf_len);
	}
	if (need < 0) {
		cli->format_err = need;
		return NULL;
	}
	return cli->buf;
}

/* Print `s` as a JSON string literal (interface names, paths). */
static int out_json_string(struct cli *cli, const char *s)
{
	const char *lit = format_into(cli, format_json_string, s,
				      EBPFNET_FORMAT_JSON);

	if (!lit)
		return cli->format_err;
	fputs(lit, stdout);
	return 0;
}

static enum ebpfnet_format out_format(const struct cli *cli)
{
	return cli->json ? EBPFNET_FORMAT_JSON : EBPFNET_FORMAT_TEXT;
}

/* ---- the filter ---------------------------------------------------------- */

static int on_event(void *ctx, const struct ebpfnet_drop_event *event);

static const char *pin_root(const struct cli *cli)
{
	return cli->pin_root ? cli->pin_root : EBPFNET_PIN_ROOT_DEFAULT;
}

/*
 * Open the node's filter. Only attach and add create one (OPEN_CREATE): the
 * other commands have nothing to work on without it, and creating it
 * there would leave state behind for nothing. OPEN_EXISTING_QUIET: when
 * there is no filter, -ENOENT without an error line (the caller decides).
 */
enum open_how { OPEN_EXISTING, OPEN_CREATE, OPEN_EXISTING_QUIET };

static int open_filter(struct cli *cli, enum open_how how)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, opts,
		.pin_root = cli->pin_root,
		.on_event = cli->follow ? on_event : NULL,
		.ctx = cli,
		.open_existing = how != OPEN_CREATE);
	int err;

	msgs.last_warn[0] = '\0';
	cli->drop = ebpfnet_drop_open(&opts);
	if (cli->drop)
		return EXIT_OK;
	err = neg_errno();
	if (err == -ENOENT && how == OPEN_EXISTING_QUIET) {
		msgs.nheld = 0; /* the library's "no filter" is no warning here */
		return -ENOENT;
	}
	if (err == -ENOENT)
		return error_line("there is no filter under %s (attach it or add a rule first)",
				  pin_root(cli));
	return fail(err, "cannot open the filter under %s", pin_root(cli));
}

/* ---- attach, detach ------------------------------------------------------ */

/* A name the kernel does not know fails here, before the filter is opened
 * (which would create the node's pinned state for nothing). */
static int check_iface(const char *ifname)
{
	if (strlen(ifname) >= IF_NAMESIZE)
		return fail(-EINVAL, "invalid interface name '%s'", ifname);
	if (!if_nametoindex(ifname))
		return fail(errno == ENODEV ? -ENODEV : neg_errno(),
			    "cannot find interface '%s'", ifname);
	return EXIT_OK;
}

static int cmd_attach(struct cli *cli)
{
	const char *ifname = cli->ops[0];
	int rc, mode;

	rc = check_iface(ifname);
	if (rc == EXIT_OK)
		rc = open_filter(cli, OPEN_CREATE);
	if (rc != EXIT_OK)
		return rc;
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_attach(cli->drop, ifname, cli->mode);
	if (rc)
		return fail(rc, "cannot attach to %s", ifname);
	mode = ebpfnet_drop_mode(cli->drop, ifname);
	if (mode < 0)
		return fail(mode, "attached to %s, but cannot read the mode back", ifname);
	if (cli->json) {
		out("{\"interface\":");
		if (out_json_string(cli, ifname))
			return fail(cli->format_err, "cannot format the output");
		out(",\"mode\":\"%s\"}\n",
		    ebpfnet_xdp_mode_name((enum ebpfnet_xdp_mode)mode));
	} else {
		out("attached to %s (%s)\n", ifname,
		    ebpfnet_xdp_mode_name((enum ebpfnet_xdp_mode)mode));
	}
	return EXIT_OK;
}

static int cmd_detach(struct cli *cli)
{
	const char *ifname = cli->ops[0];
	int rc = open_filter(cli, OPEN_EXISTING);

	if (rc != EXIT_OK)
		return rc;
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_detach(cli->drop, ifname);
	if (rc)
		return fail(rc, "cannot detach from %s", ifname);
	if (cli->json) {
		out("{\"interface\":");
		if (out_json_string(cli, ifname))
			return fail(cli->format_err, "cannot format the output");
		out(",\"detached\":true}\n");
	} else {
		out("detached from %s\n", ifname);
	}
	return EXIT_OK;
}

/* ---- rules --------------------------------------------------------------- */

static int cmd_add(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_drop_rule, rule);
	const char **words = cli->ops;
	int nwords = cli->nops;
	char reason[MSG_MAX];
	uint32_t id;
	int rc;

	if (cli->action) {
		/* --action X is the words "action X", put in front */
		words = calloc((size_t)nwords + 2, sizeof(*words));
		if (!words)
			return fail(-ENOMEM, "cannot add the rule");
		words[0] = "action";
		words[1] = cli->action;
		memcpy(words + 2, cli->ops, sizeof(*words) * (size_t)nwords);
		nwords += 2;
	}
	reason[0] = '\0';
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_rule_parse(nwords, words, &rule, reason, sizeof(reason));
	if (words != cli->ops)
		free(words);
	if (rc)
		return error_line("invalid rule: %s",
				  reason[0] ? reason : ebpfnet_strerror(rc));
	rc = open_filter(cli, OPEN_CREATE);
	if (rc != EXIT_OK)
		return rc;
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_add(cli->drop, &rule, &id);
	if (rc)
		return fail(rc, "cannot add the rule");
	if (cli->json)
		out("{\"id\":%" PRIu32 "}\n", id);
	else
		out("%" PRIu32 "\n", id);
	return EXIT_OK;
}

static int cmd_del(struct cli *cli)
{
	int rc = open_filter(cli, OPEN_EXISTING);

	if (rc != EXIT_OK)
		return rc;
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_del(cli->drop, cli->rule_id);
	if (rc)
		return fail(rc, "cannot delete rule %" PRIu32, cli->rule_id);
	return EXIT_OK;
}

static int list_one(void *ctx, const struct ebpfnet_drop_rule *rule,
		    const struct ebpfnet_drop_counters *counters)
{
	struct cli *cli = ctx;
	const char *text = format_into(cli, format_rule, rule, out_format(cli));

	if (!text)
		return cli->format_err;
	if (cli->json)
		out("%s{\"id\":%" PRIu32 ",\"rule\":%s,\"packets\":%" PRIu64
		    ",\"bytes\":%" PRIu64 "}",
		    cli->first ? "" : ",", rule->id, text, counters->packets,
		    counters->bytes);
	else
		out("%" PRIu32 "\t%s\t%" PRIu64 " packets\t%" PRIu64 " bytes\n",
		    rule->id, text, counters->packets, counters->bytes);
	cli->first = false;
	return 0;
}

static int cmd_list(struct cli *cli)
{
	int rc = open_filter(cli, OPEN_EXISTING_QUIET);

	/* no filter: no rules */
	if (rc == -ENOENT) {
		if (cli->json)
			out("[]\n");
		return EXIT_OK;
	}
	if (rc != EXIT_OK)
		return rc;
	cli->first = true;
	if (cli->json)
		out("[");
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_rules(cli->drop, list_one, cli);
	if (rc) {
		/* what was printed so far is not a list: a whole line at least */
		if (cli->json)
			out("]\n");
		fflush(stdout);
		if (cli->format_err)
			return fail(cli->format_err, "cannot format a rule");
		return fail(rc, "cannot list the rules");
	}
	if (cli->json)
		out("]\n");
	return EXIT_OK;
}

/* ---- stats, status ------------------------------------------------------- */

static const struct {
	const char *name;
	size_t offset;
} counter_fields[] = {
	{ "dropped", offsetof(struct ebpfnet_drop_stats, dropped) },
	{ "passed", offsetof(struct ebpfnet_drop_stats, passed) },
	{ "counted", offsetof(struct ebpfnet_drop_stats, counted) },
	{ "unmatched", offsetof(struct ebpfnet_drop_stats, unmatched) },
	{ "fragments", offsetof(struct ebpfnet_drop_stats, fragments) },
	{ "malformed", offsetof(struct ebpfnet_drop_stats, malformed) },
};

static int read_stats(struct cli *cli, struct ebpfnet_drop_stats *stats)
{
	int rc;

	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_stats(cli->drop, stats);
	return rc ? fail(rc, "cannot read the counters") : EXIT_OK;
}

static int cmd_stats(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_drop_stats, stats);
	size_t i;
	int rc = open_filter(cli, OPEN_EXISTING);

	if (rc == EXIT_OK)
		rc = read_stats(cli, &stats);
	if (rc != EXIT_OK)
		return rc;
	if (cli->json)
		out("{");
	for (i = 0; i < sizeof(counter_fields) / sizeof(counter_fields[0]); i++) {
		const struct ebpfnet_drop_counters *c =
			(const void *)((const char *)&stats + counter_fields[i].offset);

		if (cli->json)
			out("\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "},",
			    counter_fields[i].name, c->packets, c->bytes);
		else
			out("%-10s %20" PRIu64 " packets %20" PRIu64 " bytes\n",
			    counter_fields[i].name, c->packets, c->bytes);
	}
	if (cli->json)
		out("\"events\":{\"sent\":%" PRIu64 ",\"suppressed\":%" PRIu64
		    ",\"lost\":%" PRIu64 "},\"rules\":%" PRIu32
		    ",\"max_rules\":%" PRIu32 "}\n",
		    stats.events_sent, stats.events_suppressed, stats.events_lost,
		    stats.rules, stats.max_rules);
	else
		out("%-10s %20" PRIu64 " sent %" PRIu64 " suppressed %" PRIu64
		    " lost\n%-10s %20" PRIu32 " of %" PRIu32 "\n",
		    "events", stats.events_sent, stats.events_suppressed,
		    stats.events_lost, "rules", stats.rules, stats.max_rules);
	return EXIT_OK;
}

static int status_iface(void *ctx, const char *ifname, uint32_t ifindex,
			enum ebpfnet_xdp_mode mode)
{
	struct cli *cli = ctx;

	if (cli->json) {
		out("%s{\"name\":", cli->first ? "" : ",");
		if (out_json_string(cli, ifname))
			return cli->format_err;
		out(",\"ifindex\":%" PRIu32 ",\"mode\":\"%s\"}", ifindex,
		    ebpfnet_xdp_mode_name(mode));
	} else {
		out("%-10s %s (ifindex %" PRIu32 ", %s)\n", "interface", ifname,
		    ifindex, ebpfnet_xdp_mode_name(mode));
	}
	cli->first = false;
	return 0;
}

static int cmd_status(struct cli *cli)
{
	const char *root = pin_root(cli);
	EBPFNET_OPTS(ebpfnet_drop_stats, stats);
	int rc = open_filter(cli, OPEN_EXISTING);

	if (rc == EXIT_OK)
		rc = read_stats(cli, &stats);
	if (rc != EXIT_OK)
		return rc;
	cli->first = true;
	if (cli->json) {
		out("{\"pin_root\":");
		if (out_json_string(cli, root))
			return fail(cli->format_err, "cannot format the output");
		out(",\"interfaces\":[");
	} else {
		out("%-10s %s\n", "pin root", root);
	}
	msgs.last_warn[0] = '\0';
	rc = ebpfnet_drop_ifaces(cli->drop, status_iface, cli);
	if (rc) {
		if (cli->json)
			out("]}\n");
		fflush(stdout);
		if (cli->format_err)
			return fail(cli->format_err, "cannot format the output");
		return fail(rc, "cannot list the attached interfaces");
	}
	if (cli->json) {
		out("],\"rules\":%" PRIu32 ",\"max_rules\":%" PRIu32 "}\n",
		    stats.rules, stats.max_rules);
		return EXIT_OK;
	}
	if (cli->first)
		out("%-10s (none)\n", "interface");
	out("%-10s %" PRIu32 " of %" PRIu32 "\n", "rules", stats.rules,
	    stats.max_rules);
	return EXIT_OK;
}

/* ---- set ----------------------------------------------------------------- */

/* Indexed by the enums' values. */
static const char *const frag_words[] = { "inspect", "drop", "pass", NULL };
static const char *const malformed_words[] = { "pass", "drop", NULL };

enum { SET_FRAG, SET_MALFORMED, SET_EVENT_RATE };
static const char *const set_knobs[] = { "frag", "malformed", "event-rate", NULL };

/* `set` operands: the knob and its value, checked before anything runs. */
static int parse_set(struct cli *cli, char *err, size_t errlen)
{
	const char *what = cli->ops[0], *arg = cli->ops[1];
	uint64_t *value = &cli->set_value;
	int i;

	cli->set_knob = lookup_word(set_knobs, what);
	switch (cli->set_knob) {
	case SET_FRAG:
		i = lookup_word(frag_words, arg);
		if (i < 0)
			return usage_msg(err, errlen, "invalid 'set frag %s': expected inspect, drop or pass",
					 arg);
		*value = (uint64_t)i;
		return 0;
	case SET_MALFORMED:
		i = lookup_word(malformed_words, arg);
		if (i < 0)
			return usage_msg(err, errlen, "invalid 'set malformed %s': expected pass or drop",
					 arg);
		*value = (uint64_t)i;
		return 0;
	case SET_EVENT_RATE:
		return parse_number("event rate", arg, 0, UINT32_MAX, value, err,
				    errlen);
	default:
		return usage_msg(err, errlen, "unknown setting '%s': expected frag, malformed or event-rate",
				 what);
	}
}

static int cmd_set(struct cli *cli)
{
	int rc = open_filter(cli, OPEN_EXISTING);

	if (rc != EXIT_OK)
		return rc;
	msgs.last_warn[0] = '\0';
	if (cli->set_knob == SET_FRAG)
		rc = ebpfnet_drop_set_frag_policy(cli->drop,
			(enum ebpfnet_drop_frag_policy)cli->set_value);
	else if (cli->set_knob == SET_MALFORMED)
		rc = ebpfnet_drop_set_malformed_policy(cli->drop,
			(enum ebpfnet_drop_malformed_policy)cli->set_value);
	else
		rc = ebpfnet_drop_set_event_rate(cli->drop,
						 (uint32_t)cli->set_value);
	if (rc)
		return fail(rc, "cannot set %s to %s", cli->ops[0], cli->ops[1]);
	return EXIT_OK;
}

/* ---- events -------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* The mask inside ppoll(): the process's own, with SIGINT/SIGTERM open. */
static sigset_t wait_mask;

/* SIGINT/SIGTERM stay blocked except inside ppoll(), so one that arrives
 * anywhere else (even before the first wait) ends the next wait. */
static int install_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask))
		return -errno;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	return 0;
}

/* Stop value of the event callback: consume() returns it. */
#define CLI_STOP 1

static int on_event(void *ctx, const struct ebpfnet_drop_event *event)
{
	struct cli *cli = ctx;
	const char *line = format_into(cli, format_event, event, out_format(cli));
	int err;

	if (!line)
		return cli->format_err;
	err = write_line(cli, line);
	if (err)
		return err;
	cli->lines++;
	return cli->count && cli->lines >= cli->count ? CLI_STOP : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd; signals are let in only here. > 0 readable, 0 on timeout
 * or signal, or a negative errno. */
static int wait_readable(int fd, int64_t timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	int n;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000;
		tsp = &ts;
	}
	if (stop_signal)
		return 0;
	n = ppoll(&pfd, 1, tsp, &wait_mask);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
		return -EIO;
	return n;
}

/* Why consume() stopped with a negative value: ours or the library's. */
static int events_error(struct cli *cli, int err)
{
	if (cli->write_err) {
		/* a signal may cut a blocked write short: that is a stop */
		if (stop_signal && cli->write_err == -EINTR)
			return EXIT_OK;
		msgs.last_warn[0] = '\0';
		return fail(cli->write_err, "cannot write the output");
	}
	if (cli->format_err)
		return fail(cli->format_err, "cannot format an event");
	return fail(err, "cannot read events");
}

static bool count_reached(const struct cli *cli)
{
	return cli->count && cli->lines >= cli->count;
}

static int follow_events(struct cli *cli)
{
	int64_t deadline = cli->duration_s ?
		now_ms() + (int64_t)cli->duration_s * 1000 : -1;
	int fd, n;

	fd = ebpfnet_drop_fd(cli->drop);
	if (fd < 0)
		return fail(fd, "cannot get the event file descriptor");
	while (!stop_signal && !count_reached(cli)) {
		int64_t timeout = -1;

		if (deadline >= 0) {
			timeout = deadline - now_ms();
			if (timeout <= 0)
				break;
		}
		n = wait_readable(fd, timeout);
		if (n < 0)
			return fail(n, "cannot wait for events");
		if (n == 0)
			continue;
		msgs.last_warn[0] = '\0';
		n = ebpfnet_drop_consume(cli->drop);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return events_error(cli, n);
	}
	return EXIT_OK;
}

static int cmd_events(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_drop_stats, stats);
	int rc = install_signals();

	if (rc)
		return fail(rc, "cannot install the signal handlers");
	cli->follow = true;
	rc = open_filter(cli, OPEN_EXISTING);
	if (rc != EXIT_OK)
		return rc;
	release_warnings();
	rc = follow_events(cli);
	if (rc != EXIT_OK)
		return rc;
	/* Lost events are never silent: the node-wide counts on stderr. */
	if (ebpfnet_drop_stats(cli->drop, &stats) == 0)
		fprintf(stderr, PROG ": %" PRIu64 " events shown; node-wide %" PRIu64
			" suppressed by the rate limit, %" PRIu64 " lost\n",
			cli->lines, stats.events_suppressed, stats.events_lost);
	return EXIT_OK;
}

/* ---- main ---------------------------------------------------------------- */

static const struct command commands[] = {
	{ "attach", cmd_attach, OPTF_MODE, 1, 1, "IFACE" },
	{ "detach", cmd_detach, 0, 1, 1, "IFACE" },
	{ "add", cmd_add, OPTF_ACTION, 0, -1, "MATCH..." },
	{ "del", cmd_del, 0, 1, 1, "ID" },
	{ "list", cmd_list, 0, 0, 0, "" },
	{ "stats", cmd_stats, 0, 0, 0, "" },
	{ "events", cmd_events, OPTF_COUNT | OPTF_DURATION, 0, 0, "" },
	{ "status", cmd_status, 0, 0, 0, "" },
	{ "set", cmd_set, 0, 2, 2, "a setting and its value" },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Operands the command line alone can judge, before anything runs: a
 * usage error when wrong. */
static int check_values(struct cli *cli, char *err, size_t errlen)
{
	uint64_t v;

	if (cli->cmd->run == cmd_del) {
		if (parse_number("rule id", cli->ops[0], 1, UINT32_MAX, &v,
				 err, errlen))
			return -1;
		cli->rule_id = (uint32_t)v;
		return 0;
	}
	if (cli->cmd->run == cmd_set)
		return parse_set(cli, err, errlen);
	if (cli->cmd->run == cmd_add && cli->nops == 0 && !cli->action)
		return usage_msg(err, errlen, "'add' needs MATCH words (e.g. proto icmp)");
	return 0;
}

static int usage_error(const char *msg)
{
	fprintf(stderr, PROG ": error: %s\nTry '" PROG " --help'.\n", msg);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cli cli;
	char err[MSG_MAX];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = parse_args(argc, argv, &cli, err, sizeof(err));
	if (rc == 0 && check_values(&cli, err, sizeof(err)))
		rc = -1;
	if (rc < 0) {
		free(cli.ops);
		return usage_error(err);
	}
	if (rc == 1) {
		free(cli.ops);
		usage(stdout);
		return fflush(stdout) == EOF ? EXIT_ERROR : EXIT_OK;
	}

	ebpfnet_set_print(print_msg);
	/* Always: libbpf's default printer would write to stderr itself;
	 * print_msg() shows libbpf's lines with -v only. */
	ebpfnet_forward_libbpf(true);
	rc = cli.cmd->run(&cli);
	if (rc == EXIT_OK)
		rc = finish_output(&cli);
	if (rc == EXIT_OK)
		release_warnings();

	ebpfnet_drop_destroy(cli.drop);
	ebpfnet_forward_libbpf(false);
	ebpfnet_set_print(NULL);
	free(cli.buf);
	free(cli.ops);
	return rc;
}
