/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-policy: manage the node's network policy (endpoints, the
 * CiliumNetworkPolicy / NetworkPolicy documents, traces, counters, live
 * verdicts). A thin CLI over the public API of libebpfnet: see
 * ebpfnet-policy(8).
 *
 * The policy is pinned: every command but `verdicts --follow` changes or
 * reads it and returns at once; it keeps being enforced after the command
 * exits.
 *
 * Exit status: 0 (also after SIGINT/SIGTERM in `verdicts --follow`), 1 on
 * an error (one line on stderr), 2 on a usage error, 3 when `trace` finds
 * the connection denied.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_follow.h"
#include "cli_iface.h"
#include "cli_msgs.h"
#include "cli_out.h"
#include "cli_pinned.h"
#include "policy_args.h"

const char cli_program[] = "ebpfnet-policy";

/* apply reads at most this much YAML (all files together). */
#define APPLY_MAX_BYTES (64u << 20)

struct cli {
	struct policy_args args;
	bool follow;                 /* verdicts --follow: open with the callback */
	struct ebpfnet_policy *pol;
	struct cli_out out;          /* formatter output; verdicts' lines */
	bool first;                  /* first element of a JSON array */
	const char *ifname;          /* endpoint add: the endpoint to show */
	bool shown;                  /* ... and it was shown */
	struct ebpfnet_policy_rule_info *rules; /* list: the rules, copied */
	size_t n_rules;
};

/* ---- output -------------------------------------------------------------- */

/* printf to stdout; the error is checked when the command ends. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static bool json(const struct cli *cli)
{
	return cli->args.opts.json;
}

/* "," before every element of a JSON array but the first. */
static const char *sep(struct cli *cli)
{
	bool first = cli->first;

	cli->first = false;
	return first ? "" : ",";
}

/* "key":"s" (s escaped); the key is ours, plain. */
static int put_json_field(struct cli *cli, const char *key, const char *s)
{
	out("\"%s\":", key);
	return cli_out_put_json_string(&cli->out, s);
}

static const char *dir_name(enum ebpfnet_policy_dir dir)
{
	return dir == EBPFNET_POLICY_EGRESS ? "egress" : "ingress";
}

static const char *verdict_name(enum ebpfnet_policy_verdict verdict)
{
	return verdict == EBPFNET_POLICY_ALLOWED ? "ALLOWED" : "DENIED";
}

static int format_verdict(const void *obj, enum ebpfnet_format format,
			  char *buf, size_t len)
{
	return ebpfnet_policy_verdict_format(obj, format, buf, len);
}

/* ---- the policy ---------------------------------------------------------- */

static int on_verdict(void *ctx, const struct ebpfnet_policy_verdict_event *v);

/* Only the commands that make something create the policy: the others
 * have nothing to work on without it. */
static int open_policy(struct cli *cli, enum cli_open_how how)
{
	EBPFNET_OPTS(ebpfnet_policy_opts, opts,
		.pin_root = cli->args.pin_root,
		.on_verdict = cli->follow ? on_verdict : NULL,
		.ctx = cli,
		.open_existing = how != CLI_OPEN_CREATE);

	cli_msgs_reset_reason();
	cli->pol = ebpfnet_policy_open(&opts);
	if (cli->pol)
		return CLI_EXIT_OK;
	return cli_open_failed(how, "policy",
			       "add an endpoint or apply a policy first",
			       cli_pin_root(cli->args.pin_root));
}

/* After a listing callback stopped early or the library failed: close a
 * JSON array so what was printed is whole lines, then the error line. */
static int list_failed(struct cli *cli, int rc, const char *closing,
		       const char *what)
{
	return cli_out_list_failed(&cli->out, json(cli), closing, "the output",
				   rc, what);
}

/* Open the policy for a listing: CLI_EXIT_OK to list; no policy state is
 * an empty list ("[]" in JSON), done: -ENOENT; or the error line. */
static int open_listing(struct cli *cli)
{
	int rc = open_policy(cli, CLI_OPEN_EXISTING_QUIET);

	if (rc == -ENOENT && json(cli))
		out("[]\n");
	return rc;
}

/* What walk() prints, in a JSON array in JSON. */
static int list_all(struct cli *cli, int (*walk)(struct cli *cli),
		    const char *what)
{
	int rc;

	cli->first = true;
	if (json(cli))
		out("[");
	cli_msgs_reset_reason();
	rc = walk(cli);
	if (rc)
		return list_failed(cli, rc, "]", what);
	if (json(cli))
		out("]\n");
	return CLI_EXIT_OK;
}

/* ---- endpoints ----------------------------------------------------------- */

static void put_addr(const struct ebpfnet_policy_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	out("%s", text);
}

static int put_endpoint_json(struct cli *cli,
			     const struct ebpfnet_policy_endpoint *ep)
{
	uint32_t i;

	out("{");
	if (put_json_field(cli, "interface", ep->ifname))
		return cli->out.format_err;
	out(",\"ifindex\":%" PRIu32 ",\"identity\":%" PRIu32 ",", ep->ifindex,
	    ep->identity);
	if (put_json_field(cli, "labels", ep->labels))
		return cli->out.format_err;
	out(",\"addresses\":[");
	for (i = 0; i < ep->n_addrs && i < EBPFNET_POLICY_MAX_ADDRS; i++) {
		out("%s\"", i ? "," : "");
		put_addr(&ep->addrs[i]);
		out("\"");
	}
	out("],\"ingress_enforced\":%s,\"egress_enforced\":%s,\"policy_entries\":%" PRIu32 "}",
	    ep->ingress_enforced ? "true" : "false",
	    ep->egress_enforced ? "true" : "false", ep->policy_entries);
	return 0;
}

static const char endpoint_header[] =
	"INTERFACE        IFINDEX  IDENTITY  INGRESS   EGRESS    ENTRIES  ADDRESSES / LABELS\n";

static void put_endpoint_text(const struct ebpfnet_policy_endpoint *ep)
{
	uint32_t i;

	out("%-15s %8" PRIu32 " %9" PRIu32 "  %-8s  %-8s %8" PRIu32 "  ",
	    ep->ifname, ep->ifindex, ep->identity,
	    ep->ingress_enforced ? "enforced" : "open",
	    ep->egress_enforced ? "enforced" : "open", ep->policy_entries);
	for (i = 0; i < ep->n_addrs && i < EBPFNET_POLICY_MAX_ADDRS; i++) {
		out("%s", i ? "," : "");
		put_addr(&ep->addrs[i]);
	}
	out(" %s\n", ep->labels);
}

static int list_endpoint(void *ctx, const struct ebpfnet_policy_endpoint *ep)
{
	struct cli *cli = ctx;

	if (!json(cli)) {
		if (cli->first)
			out("%s", endpoint_header);
		cli->first = false;
		put_endpoint_text(ep);
		return 0;
	}
	out("%s", sep(cli));
	return put_endpoint_json(cli, ep);
}

static int walk_endpoints(struct cli *cli)
{
	return ebpfnet_policy_endpoints(cli->pol, list_endpoint, cli);
}

static int cmd_endpoint_list(struct cli *cli)
{
	int rc = open_listing(cli);

	if (rc != CLI_EXIT_OK)
		return rc == -ENOENT ? CLI_EXIT_OK : rc;
	return list_all(cli, walk_endpoints, "endpoints");
}

/* endpoint add's answer: the endpoint as the library now has it. */
static int show_added(void *ctx, const struct ebpfnet_policy_endpoint *ep)
{
	struct cli *cli = ctx;
	int rc = 0;

	if (strcmp(ep->ifname, cli->ifname) != 0)
		return 0;
	cli->shown = true;
	if (json(cli))
		rc = put_endpoint_json(cli, ep);
	else
		out("%s: identity %" PRIu32 " (%s)", ep->ifname, ep->identity,
		    ep->labels);
	out("\n");
	return rc;
}

static int cmd_endpoint_add(struct cli *cli)
{
	const char *ifname = cli->args.ops[0];
	uint32_t identity;
	int rc;

	/* what the command line names is judged before anything is created */
	rc = cli_iface_check(ifname);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_identity(cli->args.labels, &identity);
	if (rc)
		return cli_fail(rc, "invalid labels '%s'", cli->args.labels);
	rc = open_policy(cli, CLI_OPEN_CREATE);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_endpoint_add(cli->pol, ifname, cli->args.addrs,
					 cli->args.n_addrs, cli->args.labels);
	if (rc)
		return cli_fail(rc, "cannot add endpoint %s", ifname);
	cli->ifname = ifname;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_endpoints(cli->pol, show_added, cli);
	if (rc) {
		fflush(stdout);
		if (cli->out.format_err)
			return cli_fail(cli->out.format_err, "cannot format the output");
		return cli_fail(rc, "added endpoint %s, but cannot read it back", ifname);
	}
	if (!cli->shown)
		return cli_error("added endpoint %s, but it is not listed", ifname);
	return CLI_EXIT_OK;
}

static int cmd_endpoint_del(struct cli *cli)
{
	const char *ifname = cli->args.ops[0];
	int rc = open_policy(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_endpoint_del(cli->pol, ifname);
	if (rc)
		return cli_fail(rc, "cannot remove endpoint %s", ifname);
	return CLI_EXIT_OK;
}

/* ---- apply --------------------------------------------------------------- */

/* The YAML of every file, joined by document separators, and where each
 * file's lines start in it (for the error line). */
struct yaml_text {
	char *buf;
	size_t len, cap;
	unsigned long *first_line;   /* per file: its line 1 in buf */
	unsigned long *n_lines;      /* per file */
	unsigned long line;          /* lines in buf so far */
};

static int text_append(struct yaml_text *t, const char *data, size_t n)
{
	size_t i;

	if (t->len + n > APPLY_MAX_BYTES)
		return -EFBIG;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *bigger = realloc(t->buf, cap);

		if (!bigger)
			return -ENOMEM;
		t->buf = bigger;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
	t->buf[t->len] = '\0';
	for (i = 0; i < n; i++)
		t->line += data[i] == '\n';
	return 0;
}

static const char *file_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* Append file (or stdin) number i, then a document separator line. */
static int read_one(struct yaml_text *t, const char *path, int i)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char chunk[65536];
	size_t n;
	int err = 0;

	if (!f)
		return cli_fail(cli_neg_errno(), "cannot read %s", path);
	t->first_line[i] = t->line + 1;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = text_append(t, chunk, n);
	if (!err && ferror(f))
		err = -EIO;
	if (f != stdin)
		fclose(f);
	if (!err && t->len && t->buf[t->len - 1] != '\n')
		err = text_append(t, "\n", 1);
	t->n_lines[i] = t->line + 1 - t->first_line[i];
	if (!err)
		err = text_append(t, "---\n", 4);
	if (err == -EFBIG)
		return cli_error("cannot read %s: the files hold more than %u MiB",
				 file_name(path), APPLY_MAX_BYTES >> 20);
	if (err)
		return cli_fail(err, "cannot read %s", file_name(path));
	return CLI_EXIT_OK;
}

/* The library's "line N: ..." as "FILE: line M: ..."; other reasons with
 * the file's name when there is one file. */
static int apply_failed(const struct cli *cli, const struct yaml_text *t,
			const char *err)
{
	const char *const *files = cli->args.ops;
	int nfiles = cli->args.nops, i, used = 0;
	unsigned long line, local;

	if (sscanf(err, "line %lu: %n", &line, &used) == 1 && used > 0) {
		for (i = nfiles - 1; i > 0 && t->first_line[i] > line; i--)
			;
		local = line - t->first_line[i] + 1;
		/* a separator line between files: the end of the one before */
		if (local > t->n_lines[i])
			local = t->n_lines[i];
		if (!local) /* an empty file */
			return cli_error("%s: %s", file_name(files[i]), err + used);
		return cli_error("%s: line %lu: %s", file_name(files[i]), local,
				 err + used);
	}
	if (nfiles == 1)
		return cli_error("%s: %s", file_name(files[0]), err);
	return cli_error("%s", err);
}

static int cmd_apply(struct cli *cli)
{
	struct yaml_text t = { 0 };
	char err[512] = "";
	int rc = CLI_EXIT_OK, i;

	t.first_line = calloc((size_t)cli->args.nops, sizeof(*t.first_line));
	t.n_lines = calloc((size_t)cli->args.nops, sizeof(*t.n_lines));
	if (!t.first_line || !t.n_lines)
		rc = cli_fail(-ENOMEM, "cannot read the files");
	for (i = 0; rc == CLI_EXIT_OK && i < cli->args.nops; i++)
		rc = read_one(&t, cli->args.ops[i], i);
	if (rc == CLI_EXIT_OK)
		rc = open_policy(cli, CLI_OPEN_CREATE);
	if (rc == CLI_EXIT_OK) {
		cli_msgs_reset_reason();
		rc = ebpfnet_policy_apply(cli->pol, t.buf, t.len, err, sizeof(err));
		if (rc && err[0])
			rc = apply_failed(cli, &t, err);
		else if (rc)
			rc = cli_fail(rc, "cannot apply the policy");
	}
	free(t.buf);
	free(t.first_line);
	free(t.n_lines);
	return rc;
}

static int cmd_delete(struct cli *cli)
{
	const char *name = cli->args.ops[0];
	int rc = open_policy(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_delete(cli->pol, name);
	if (rc)
		return cli_fail(rc, "cannot delete policy %s", name);
	return CLI_EXIT_OK;
}

/* ---- rules: list, verdicts ----------------------------------------------- */

static const char rule_header[] =
	"     ID  DIRECTION  ACTION     ALLOWED     DENIED  DENIED-BYTES  RULE\n";

/* One rule with its counters; with_policy: its policy's name too. */
static int put_rule(struct cli *cli, const struct ebpfnet_policy_rule_info *r,
		    bool with_policy)
{
	if (!json(cli)) {
		out("%7" PRIu32 "  %-9s  %-6s %10" PRIu64 " %10" PRIu64 " %13" PRIu64 "  %s%s%s\n",
		    r->id, dir_name(r->dir), r->deny ? "deny" : "allow", r->allowed,
		    r->denied, r->denied_bytes, with_policy ? r->policy : "",
		    with_policy ? ": " : "", r->text);
		return 0;
	}
	out("{\"id\":%" PRIu32 ",", r->id);
	if (with_policy) {
		if (put_json_field(cli, "policy", r->policy))
			return cli->out.format_err;
		out(",");
	}
	out("\"direction\":\"%s\",\"deny\":%s,", dir_name(r->dir),
	    r->deny ? "true" : "false");
	if (put_json_field(cli, "text", r->text))
		return cli->out.format_err;
	out(",\"allowed\":%" PRIu64 ",\"denied\":%" PRIu64 ",\"denied_bytes\":%" PRIu64 "}",
	    r->allowed, r->denied, r->denied_bytes);
	return 0;
}

static int verdicts_rule(void *ctx, const struct ebpfnet_policy_rule_info *r)
{
	struct cli *cli = ctx;

	if (json(cli))
		out("%s", sep(cli));
	else if (cli->first)
		out("%s", rule_header);
	cli->first = false;
	return put_rule(cli, r, true);
}

/* verdicts without --follow: every rule's counters. */
static int walk_rules(struct cli *cli)
{
	return ebpfnet_policy_rules(cli->pol, verdicts_rule, cli);
}

static int cmd_rule_counters(struct cli *cli)
{
	int rc = open_listing(cli);

	if (rc != CLI_EXIT_OK)
		return rc == -ENOENT ? CLI_EXIT_OK : rc;
	return list_all(cli, walk_rules, "rules");
}

static void free_rules(struct cli *cli)
{
	size_t i;

	for (i = 0; i < cli->n_rules; i++) {
		free((char *)cli->rules[i].policy);
		free((char *)cli->rules[i].text);
	}
	free(cli->rules);
	cli->rules = NULL;
	cli->n_rules = 0;
}

/* list: the rules are copied first, then shown under their policy. */
static int copy_rule(void *ctx, const struct ebpfnet_policy_rule_info *r)
{
	struct cli *cli = ctx;
	struct ebpfnet_policy_rule_info *more, *copy;

	more = realloc(cli->rules, (cli->n_rules + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	cli->rules = more;
	copy = &more[cli->n_rules];
	*copy = *r;
	copy->policy = strdup(r->policy);
	copy->text = strdup(r->text);
	cli->n_rules++;
	return copy->policy && copy->text ? 0 : -ENOMEM;
}

static int put_policy_rules(struct cli *cli, const struct ebpfnet_policy_info *p)
{
	bool first = true;
	size_t i;
	int rc;

	for (i = 0; i < cli->n_rules; i++) {
		const struct ebpfnet_policy_rule_info *r = &cli->rules[i];

		if (r->id < p->first_rule || r->id - p->first_rule >= p->n_rules)
			continue;
		if (json(cli))
			out("%s", first ? "" : ",");
		else if (first)
			out("%s", rule_header);
		first = false;
		rc = put_rule(cli, r, false);
		if (rc)
			return rc;
	}
	return 0;
}

static int list_policy(void *ctx, const struct ebpfnet_policy_info *p)
{
	struct cli *cli = ctx;
	size_t len;

	if (cli->args.yaml) {
		len = strlen(p->yaml);
		out("---\n# %s (%s)\n%s%s", p->name, p->kind, p->yaml,
		    len && p->yaml[len - 1] == '\n' ? "" : "\n");
		return 0;
	}
	if (!json(cli)) {
		out("%s%s  %s  selects %" PRIu32 " endpoint%s\n",
		    cli->first ? "" : "\n", p->name, p->kind, p->endpoints,
		    p->endpoints == 1 ? "" : "s");
		cli->first = false;
		return put_policy_rules(cli, p);
	}
	out("%s{", sep(cli));
	if (put_json_field(cli, "name", p->name))
		return cli->out.format_err;
	out(",");
	if (put_json_field(cli, "kind", p->kind))
		return cli->out.format_err;
	out(",\"endpoints\":%" PRIu32 ",\"rules\":[", p->endpoints);
	if (put_policy_rules(cli, p))
		return cli->out.format_err;
	out("]}");
	return 0;
}

static int walk_policies(struct cli *cli)
{
	return ebpfnet_policy_list(cli->pol, list_policy, cli);
}

static int cmd_list(struct cli *cli)
{
	int rc = open_listing(cli);

	if (rc != CLI_EXIT_OK)
		return rc == -ENOENT ? CLI_EXIT_OK : rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_rules(cli->pol, copy_rule, cli);
	if (rc)
		return cli_fail(rc, "cannot list the rules");
	return list_all(cli, walk_policies, "policies");
}

/* ---- trace --------------------------------------------------------------- */

struct trace_req {
	const struct ebpfnet_policy *pol;
	const struct policy_args *args;
	enum ebpfnet_policy_verdict verdict;
};

/* ebpfnet_policy_trace() in cli_out's formatter shape. */
static int format_trace(const void *obj, enum ebpfnet_format format,
			char *buf, size_t len)
{
	struct trace_req *req = (struct trace_req *)obj;

	(void)format;
	return ebpfnet_policy_trace(req->pol, req->args->from, req->args->to,
				    req->args->proto, req->args->dport,
				    &req->verdict, buf, len);
}

/* The library's reason when it gave one in the buffer (its last line),
 * else its warning. */
static int trace_failed(struct cli *cli)
{
	char *why = cli->out.buf;
	size_t len = strnlen(why, cli->out.buf_len);
	char *nl;

	while (len && why[len - 1] == '\n')
		why[--len] = '\0';
	nl = strrchr(why, '\n');
	if (nl)
		why = nl + 1;
	if (*why)
		return cli_error("cannot trace %s -> %s: %s", cli->args.from,
				 cli->args.to, why);
	return cli_fail(cli->out.format_err, "cannot trace %s -> %s",
			cli->args.from, cli->args.to);
}

/* trace --json: the request, the verdict and the explanation. */
static int put_trace_json(struct cli *cli, enum ebpfnet_policy_verdict verdict,
			  const char *explanation)
{
	out("{");
	if (put_json_field(cli, "from", cli->args.from))
		return cli->out.format_err;
	out(",");
	if (put_json_field(cli, "to", cli->args.to))
		return cli->out.format_err;
	out(",\"protocol\":\"%s\",\"port\":%u,\"verdict\":\"%s\",",
	    policy_args_proto_name(cli->args.proto), cli->args.dport,
	    verdict_name(verdict));
	if (put_json_field(cli, "explanation", explanation))
		return cli->out.format_err;
	out("}\n");
	return 0;
}

static int cmd_trace(struct cli *cli)
{
	struct trace_req req = { .args = &cli->args };
	const char *text;
	char *explanation;
	size_t len;
	int rc = open_policy(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	req.pol = cli->pol;
	cli_msgs_reset_reason();
	/* room up front: when the library cannot trace, the buffer holds why */
	if (cli_out_reserve(&cli->out, 4096))
		return cli_fail(cli->out.format_err, "cannot format the output");
	cli->out.buf[0] = '\0';
	text = cli_out_format(&cli->out, format_trace, &req, EBPFNET_FORMAT_TEXT);
	if (!text)
		return trace_failed(cli);
	/* a copy: JSON escaping reuses out's buffer */
	explanation = strdup(text);
	if (!explanation)
		return cli_fail(-ENOMEM, "cannot format the output");
	len = strlen(explanation);
	if (json(cli))
		rc = put_trace_json(cli, req.verdict, explanation);
	else
		out("%s%s", explanation,
		    len && explanation[len - 1] == '\n' ? "" : "\n");
	free(explanation);
	if (rc)
		return cli_fail(rc, "cannot format the output");
	return req.verdict == EBPFNET_POLICY_ALLOWED ? CLI_EXIT_OK : POLICY_EXIT_DENIED;
}

/* ---- status, set --------------------------------------------------------- */

#define STAT64(name) { #name, offsetof(struct ebpfnet_policy_stats, name), true }
#define STAT32(name) { #name, offsetof(struct ebpfnet_policy_stats, name), false }

static const struct {
	const char *name;
	size_t offset;
	bool wide;
} stat_fields[] = {
	STAT32(endpoints), STAT32(policies), STAT32(rules), STAT32(identities),
	STAT32(policy_entries), STAT32(max_entries), STAT32(conns),
	STAT32(max_conns), STAT64(seen), STAT64(not_ip), STAT64(not_endpoint),
	STAT64(malformed), STAT64(tracked), STAT64(tracked_replies),
	STAT64(unenforced), STAT64(allowed), STAT64(denied), STAT64(reevaluated),
	STAT64(reevaluated_denied), STAT64(conn_table_full), STAT64(events_sent),
	STAT64(events_suppressed), STAT64(events_lost),
};

static uint64_t stat_value(const struct ebpfnet_policy_stats *s, size_t i)
{
	const char *p = (const char *)s + stat_fields[i].offset;

	if (stat_fields[i].wide)
		return *(const uint64_t *)(const void *)p;
	return *(const uint32_t *)(const void *)p;
}

static int read_stats(struct cli *cli, struct ebpfnet_policy_stats *stats)
{
	int rc;

	cli_msgs_reset_reason();
	rc = ebpfnet_policy_stats(cli->pol, stats);
	return rc ? cli_fail(rc, "cannot read the counters") : CLI_EXIT_OK;
}

static int cmd_status(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_policy_stats, stats);
	size_t i;
	int rc = open_policy(cli, CLI_OPEN_EXISTING);

	if (rc == CLI_EXIT_OK)
		rc = read_stats(cli, &stats);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (json(cli)) {
		out("{");
		if (put_json_field(cli, "pin_root", cli_pin_root(cli->args.pin_root)))
			return cli_fail(cli->out.format_err, "cannot format the output");
	} else {
		out("%-20s %s\n", "pin_root", cli_pin_root(cli->args.pin_root));
	}
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		if (json(cli))
			out(",\"%s\":%" PRIu64, stat_fields[i].name, stat_value(&stats, i));
		else
			out("%-20s %" PRIu64 "\n", stat_fields[i].name,
			    stat_value(&stats, i));
	}
	if (json(cli))
		out("}\n");
	return CLI_EXIT_OK;
}

static int cmd_set_events(struct cli *cli)
{
	int rc = open_policy(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_policy_set_events(cli->pol, cli->args.events_rate,
				       cli->args.events_allowed);
	if (rc)
		return cli_fail(rc, "cannot set events to %" PRIu32, cli->args.events_rate);
	return CLI_EXIT_OK;
}

/* ---- verdicts --follow --------------------------------------------------- */

static int on_verdict(void *ctx, const struct ebpfnet_policy_verdict_event *v)
{
	struct cli *cli = ctx;

	return cli_out_emit_record(&cli->out, format_verdict, v,
				   cli_out_format_of(json(cli)));
}

static int consume(void *pol)
{
	return ebpfnet_policy_consume(pol);
}

static int cmd_follow(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_policy_stats, stats);
	int rc = cli_catch_signals();

	if (rc != CLI_EXIT_OK)
		return rc;
	cli->follow = true;
	rc = open_policy(cli, CLI_OPEN_EXISTING);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_release();
	rc = cli_follow_events(ebpfnet_policy_fd(cli->pol),
			       cli->args.opts.duration_s, consume, cli->pol,
			       &cli->out);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ebpfnet_policy_stats(cli->pol, &stats) == 0)
		cli_follow_report("verdicts", cli->out.lines,
				  stats.events_suppressed, stats.events_lost);
	return CLI_EXIT_OK;
}

static int cmd_verdicts(struct cli *cli)
{
	return cli->args.follow ? cmd_follow(cli) : cmd_rule_counters(cli);
}

/* ---- main ---------------------------------------------------------------- */

static int (*const runners[])(struct cli *cli) = {
	[POLICY_CMD_ENDPOINT_ADD] = cmd_endpoint_add,
	[POLICY_CMD_ENDPOINT_DEL] = cmd_endpoint_del,
	[POLICY_CMD_ENDPOINT_LIST] = cmd_endpoint_list,
	[POLICY_CMD_APPLY] = cmd_apply,
	[POLICY_CMD_DELETE] = cmd_delete,
	[POLICY_CMD_LIST] = cmd_list,
	[POLICY_CMD_TRACE] = cmd_trace,
	[POLICY_CMD_VERDICTS] = cmd_verdicts,
	[POLICY_CMD_STATUS] = cmd_status,
	[POLICY_CMD_SET_EVENTS] = cmd_set_events,
};

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = policy_args_parse(argc, argv, &cli.args, err, sizeof(err));
	if (rc) {
		policy_args_free(&cli.args);
		return cli_parse_answer(rc, err, policy_args_usage);
	}
	cli.out.max_lines = cli.args.opts.count;

	/* Held back while the command runs: shown after a success, the last
	 * one the detail of the error line after a failure. */
	cli_msgs_start(cli.args.opts.verbose);
	cli_msgs_hold(true);
	/* trace's "denied" is an answer, not a failure */
	rc = cli_out_end(&cli.out, runners[cli.args.command](&cli),
			 POLICY_EXIT_DENIED);

	ebpfnet_policy_destroy(cli.pol);
	cli_msgs_stop();
	cli_out_free(&cli.out);
	free_rules(&cli);
	policy_args_free(&cli.args);
	return rc;
}
