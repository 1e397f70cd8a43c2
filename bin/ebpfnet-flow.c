/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-flow: the node's flow observer (attach, detach, status), its
 * records (observe: the flow table, or live flow and DNS records), their
 * Prometheus metrics (metrics) and service map (map). A thin CLI over the
 * public API of libebpfnet: see ebpfnet-flow(8).
 *
 * The observer is pinned: attach and detach change it and return at once;
 * it keeps counting after the command exits. observe --follow, metrics
 * and map --follow read the live records until SIGINT/SIGTERM, --duration
 * or --count.
 *
 * Exit status: 0 (also after SIGINT/SIGTERM when following), 1 on an
 * error (one line on stderr), 2 on a usage error.
 */
/* pipe2 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_follow.h"
#include "cli_iface.h"
#include "cli_msgs.h"
#include "cli_out.h"
#include "cli_pinned.h"
#include "flow_args.h"

const char cli_program[] = "ebpfnet-flow";

/* A flow kept from the table walk until it is printed (labels copied:
 * the record's own pointers live during the callback only). */
struct kept_flow {
	struct ebpfnet_flow_record flow;
	char *src_labels, *dst_labels;
};

struct cli {
	struct flow_args args;
	struct ebpfnet_flow *flow;
	struct cli_out out;            /* formatter output; records' lines */
	bool first;                    /* first element of a JSON array */
	/* where records go: printed (observe), counted (metrics), mapped
	 * (map; DNS records: NULL) */
	int (*take_flow)(struct cli *cli, const struct ebpfnet_flow_record *flow);
	int (*take_dns)(struct cli *cli, const struct ebpfnet_flow_dns *dns);
	struct kept_flow *kept;        /* observe: the table walk's matches */
	size_t nkept, kept_cap;
	struct ebpfnet_flow_metrics *metrics;
	struct ebpfnet_flow_map *map;
	uint64_t flows, dns;           /* records taken */
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

/* A record with the node name its formatter takes. */
struct record_ref {
	const void *record;
	const char *node_name;
};

/* The library's formatters in cli_out's shape. */
static int format_flow(const void *obj, enum ebpfnet_format format, char *buf,
		       size_t len)
{
	const struct record_ref *ref = obj;

	return ebpfnet_flow_format(ref->record, format, ref->node_name, buf, len);
}

static int format_dns(const void *obj, enum ebpfnet_format format, char *buf,
		      size_t len)
{
	const struct record_ref *ref = obj;

	return ebpfnet_flow_dns_format(ref->record, format, ref->node_name, buf, len);
}

static int format_map(const void *obj, enum ebpfnet_format format, char *buf,
		      size_t len)
{
	(void)format;
	return ebpfnet_flow_map_dot(obj, buf, len);
}

/* One record's line: 0, CLI_OUT_STOP at the --count limit, or an error. */
static int emit(struct cli *cli, cli_format_fn fn, const void *record)
{
	struct record_ref ref = { record, cli->args.node_name };

	return cli_out_emit_record(&cli->out, fn, &ref,
				   cli_out_format_of(cli->args.opts.json));
}

/* ---- the observer -------------------------------------------------------- */

enum open_how {
	OPEN_CREATE,   /* attach: make one when there is none */
	OPEN_EXISTING, /* the others: there must be one; no live reading */
	OPEN_LIVE,     /* read the live records (one process per node) */
};

static int on_flow(void *ctx, const struct ebpfnet_flow_record *flow)
{
	struct cli *cli = ctx;

	if (!flow_filter_match(&cli->args.filter, flow))
		return 0;
	cli->flows++;
	return cli->take_flow(cli, flow);
}

static int on_dns(void *ctx, const struct ebpfnet_flow_dns *dns)
{
	struct cli *cli = ctx;

	/* the map has no use for them */
	if (!cli->take_dns || !flow_filter_match_dns(&cli->args.filter, dns))
		return 0;
	cli->dns++;
	return cli->take_dns(cli, dns);
}

static int open_observer(struct cli *cli, enum open_how how)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts,
		.pin_root = cli->args.pin_root,
		.on_flow = how == OPEN_LIVE ? on_flow : NULL,
		.on_dns = how == OPEN_LIVE ? on_dns : NULL,
		.ctx = cli,
		.open_existing = how != OPEN_CREATE,
		.no_events = how != OPEN_LIVE,
		.no_monitor = how != OPEN_LIVE);
	int err;

	cli_msgs_reset_reason();
	cli->flow = ebpfnet_flow_open(&opts);
	if (cli->flow)
		return CLI_EXIT_OK;
	err = cli_neg_errno();
	if (err == -ENOENT && how != OPEN_CREATE)
		return cli_error("there is no observer under %s (attach it to an interface first)",
				 cli_pin_root(cli->args.pin_root));
	if (err == -EBUSY)
		return cli_fail(err, "cannot read the live records under %s (another process reads them)",
				cli_pin_root(cli->args.pin_root));
	return cli_fail(err, "cannot open the observer under %s", cli_pin_root(cli->args.pin_root));
}

/* ---- attach, detach ------------------------------------------------------ */

struct iface_search {
	const char *name;
	bool found;
};

static int find_iface(void *ctx, const char *ifname, uint32_t ifindex)
{
	struct iface_search *s = ctx;

	(void)ifindex;
	if (strcmp(s->name, ifname) == 0)
		s->found = true;
	return 0;
}

/* Is ifname observed? 1, 0, or a negative errno. */
static int observed(const struct cli *cli, const char *ifname)
{
	struct iface_search s = { ifname, false };
	int rc = ebpfnet_flow_ifaces(cli->flow, find_iface, &s);

	return rc ? rc : s.found;
}

/* The result lines of attach and detach, after every interface is done. */
static int iface_lines(struct cli *cli, const char *text, const char *json_key)
{
	int i;

	for (i = 0; i < cli->args.nops; i++) {
		if (!cli->args.opts.json) {
			out("%s %s\n", text, cli->args.ops[i]);
			continue;
		}
		out("{\"interface\":");
		if (cli_out_put_json_string(&cli->out, cli->args.ops[i]))
			return cli_fail(cli->out.format_err, "cannot format the output");
		out(",\"%s\":true}\n", json_key);
	}
	return CLI_EXIT_OK;
}

/* Undo the attachments this command made (interfaces 0..n-1 of ops that
 * were not observed before, was[i] == 0). */
static void undo_attach(struct cli *cli, const int *was, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--)
		if (!was[i])
			ebpfnet_flow_detach(cli->flow, cli->args.ops[i]);
}

static int cmd_attach(struct cli *cli)
{
	int i, rc, *was;

	for (i = 0; i < cli->args.nops; i++) {
		rc = cli_iface_check(cli->args.ops[i]);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	rc = open_observer(cli, OPEN_CREATE);
	if (rc != CLI_EXIT_OK)
		return rc;
	was = calloc((size_t)cli->args.nops, sizeof(*was));
	if (!was)
		return cli_fail(-ENOMEM, "cannot attach");
	for (i = 0; i < cli->args.nops; i++) {
		was[i] = observed(cli, cli->args.ops[i]);
		if (was[i] < 0) {
			rc = cli_fail(was[i], "cannot list the observed interfaces");
			undo_attach(cli, was, i);
			break;
		}
		cli_msgs_reset_reason();
		rc = ebpfnet_flow_attach(cli->flow, cli->args.ops[i]);
		if (rc) {
			/* all or nothing: the ones attached here go again */
			rc = cli_fail(rc, "cannot attach to %s", cli->args.ops[i]);
			undo_attach(cli, was, i);
			break;
		}
		rc = CLI_EXIT_OK;
	}
	free(was);
	return rc == CLI_EXIT_OK ? iface_lines(cli, "attached to", "attached") : rc;
}

/* Is operand i one of the operands before it? */
static bool named_before(const struct cli *cli, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (strcmp(cli->args.ops[j], cli->args.ops[i]) == 0)
			return true;
	return false;
}

static int cmd_detach(struct cli *cli)
{
	int i, rc = open_observer(cli, OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	/* every name is checked before any is detached */
	for (i = 0; i < cli->args.nops; i++) {
		rc = observed(cli, cli->args.ops[i]);
		if (rc < 0)
			return cli_fail(rc, "cannot list the observed interfaces");
		if (!rc)
			return cli_error("cannot detach from %s: not observed",
					 cli->args.ops[i]);
	}
	for (i = 0; i < cli->args.nops; i++) {
		/* a name given twice is gone the second time */
		if (named_before(cli, i))
			continue;
		cli_msgs_reset_reason();
		rc = ebpfnet_flow_detach(cli->flow, cli->args.ops[i]);
		if (rc)
			return cli_fail(rc, "cannot detach from %s", cli->args.ops[i]);
	}
	return iface_lines(cli, "detached from", "detached");
}

/* ---- status -------------------------------------------------------------- */

#define STAT_FIELD(name) { #name, offsetof(struct ebpfnet_flow_stats, name) }

/* The uint64_t counters of struct ebpfnet_flow_stats, by name. */
static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
	STAT_FIELD(not_ip),
	STAT_FIELD(malformed),
	STAT_FIELD(flows_created),
	STAT_FIELD(table_full),
	STAT_FIELD(events_sent),
	STAT_FIELD(events_suppressed),
	STAT_FIELD(events_lost),
	STAT_FIELD(dns_sent),
	STAT_FIELD(monitor_lost),
};

static uint64_t stat_value(const struct ebpfnet_flow_stats *stats, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)stats + stat_fields[i].offset, sizeof(v));
	return v;
}

static int read_stats(struct cli *cli, struct ebpfnet_flow_stats *stats)
{
	int rc;

	cli_msgs_reset_reason();
	rc = ebpfnet_flow_stats(cli->flow, stats);
	return rc ? cli_fail(rc, "cannot read the counters") : CLI_EXIT_OK;
}

static int status_iface(void *ctx, const char *ifname, uint32_t ifindex)
{
	struct cli *cli = ctx;

	if (cli->args.opts.json) {
		out("%s{\"name\":", cli->first ? "" : ",");
		if (cli_out_put_json_string(&cli->out, ifname))
			return cli->out.format_err;
		out(",\"ifindex\":%" PRIu32 "}", ifindex);
	} else {
		out("%-18s %s (ifindex %" PRIu32 ")\n", "interface", ifname, ifindex);
	}
	cli->first = false;
	return 0;
}

static void status_rest_json(const struct ebpfnet_flow_stats *s)
{
	size_t i;

	out("],\"settings\":{\"max_flows\":%" PRIu32 ",\"interval_ms\":%" PRIu32
	    ",\"event_rate\":%" PRIu32 ",\"idle_timeout_ms\":%" PRIu32 "}"
	    ",\"stats\":{\"flows\":%" PRIu32 ",\"seen\":{\"packets\":%" PRIu64
	    ",\"bytes\":%" PRIu64 "}",
	    s->max_flows, s->interval_ms, s->event_rate, s->idle_timeout_ms,
	    s->flows, s->seen.packets, s->seen.bytes);
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
		out(",\"%s\":%" PRIu64, stat_fields[i].name, stat_value(s, i));
	out("}}\n");
}

static void status_rest_text(const struct ebpfnet_flow_stats *s)
{
	size_t i;

	out("%-18s %" PRIu32 " of %" PRIu32 "\n", "flows", s->flows, s->max_flows);
	out("%-18s %" PRIu32 " ms\n%-18s %" PRIu32 " per CPU per second\n"
	    "%-18s %" PRIu32 " ms\n",
	    "interval", s->interval_ms, "event rate", s->event_rate,
	    "idle timeout", s->idle_timeout_ms);
	out("%-18s %" PRIu64 " packets %" PRIu64 " bytes\n", "seen",
	    s->seen.packets, s->seen.bytes);
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
		out("%-18s %" PRIu64 "\n", stat_fields[i].name, stat_value(s, i));
}

static int cmd_status(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_flow_stats, stats);
	int rc = open_observer(cli, OPEN_EXISTING);

	if (rc == CLI_EXIT_OK)
		rc = read_stats(cli, &stats);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli->first = true;
	if (cli->args.opts.json) {
		out("{\"pin_root\":");
		if (cli_out_put_json_string(&cli->out, cli_pin_root(cli->args.pin_root)))
			return cli_fail(cli->out.format_err, "cannot format the output");
		out(",\"interfaces\":[");
	} else {
		out("%-18s %s\n", "pin root", cli_pin_root(cli->args.pin_root));
	}
	cli_msgs_reset_reason();
	rc = ebpfnet_flow_ifaces(cli->flow, status_iface, cli);
	if (rc)
		return cli_out_list_failed(&cli->out, cli->args.opts.json, "]}\n",
					   "the output", rc,
					   "observed interfaces");
	if (cli->args.opts.json) {
		status_rest_json(&stats);
		return CLI_EXIT_OK;
	}
	if (cli->first)
		out("%-18s (none)\n", "interface");
	status_rest_text(&stats);
	return CLI_EXIT_OK;
}

/* ---- the flow table ------------------------------------------------------ */

static void free_kept(struct cli *cli)
{
	size_t i;

	for (i = 0; i < cli->nkept; i++) {
		free(cli->kept[i].src_labels);
		free(cli->kept[i].dst_labels);
	}
	free(cli->kept);
	cli->kept = NULL;
	cli->nkept = cli->kept_cap = 0;
}

/* A copy of labels (NULL stays NULL); false when out of memory. */
static bool copy_labels(const char *labels, char **copy)
{
	*copy = labels ? strdup(labels) : NULL;
	return !labels || *copy;
}

/* ebpfnet_flow_snapshot's callback: keep the flows the filter lets through. */
static int keep_flow(void *ctx, const struct ebpfnet_flow_record *flow)
{
	struct cli *cli = ctx;
	struct kept_flow *k;

	if (!flow_filter_match(&cli->args.filter, flow))
		return 0;
	if (cli->nkept == cli->kept_cap) {
		size_t cap = cli->kept_cap ? 2 * cli->kept_cap : 256;
		struct kept_flow *bigger = realloc(cli->kept, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		cli->kept = bigger;
		cli->kept_cap = cap;
	}
	k = &cli->kept[cli->nkept];
	k->flow = *flow;
	if (!copy_labels(flow->src.labels, &k->src_labels) ||
	    !copy_labels(flow->dst.labels, &k->dst_labels)) {
		free(k->src_labels);
		return -ENOMEM;
	}
	k->flow.src.labels = k->src_labels;
	k->flow.dst.labels = k->dst_labels;
	cli->nkept++;
	return 0;
}

/* By last seen, then first seen: the most recent last. */
static int by_last_seen(const void *a, const void *b)
{
	const struct ebpfnet_flow_record *x = &((const struct kept_flow *)a)->flow;
	const struct ebpfnet_flow_record *y = &((const struct kept_flow *)b)->flow;

	if (x->last_ns != y->last_ns)
		return x->last_ns < y->last_ns ? -1 : 1;
	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return 0;
}

/* Print the --last N most recently seen flows of the table that the filter
 * lets through, oldest first. */
static int print_table(struct cli *cli)
{
	uint64_t n = cli->args.last;
	size_t i;
	int rc;

	cli_msgs_reset_reason();
	rc = ebpfnet_flow_snapshot(cli->flow, keep_flow, cli);
	if (rc)
		return cli_fail(rc, "cannot read the flow table");
	qsort(cli->kept, cli->nkept, sizeof(*cli->kept), by_last_seen);
	if (cli->args.opts.count && cli->args.opts.count < n)
		n = cli->args.opts.count;
	for (i = cli->nkept > n ? cli->nkept - (size_t)n : 0; i < cli->nkept; i++) {
		rc = emit(cli, format_flow, &cli->kept[i].flow);
		if (rc < 0)
			return cli->out.write_err ?
			       cli_fail(rc, "cannot write the output") :
			       cli_fail(rc, "cannot format a flow");
		if (rc == CLI_OUT_STOP)
			break;
	}
	free_kept(cli);
	return CLI_EXIT_OK;
}

/* ---- following the live records ----------------------------------------- */

/* The live loop: the observer's fd, the metrics server's (when it serves)
 * and a one-second timer, in one epoll set that cli_follow() waits on. The
 * timer lets the library sweep idle flows in quiet times and drives the
 * metrics' stats and textfile. */
struct live {
	struct cli *cli;
	int epfd, timerfd;
	uint64_t ticks;
	int (*on_tick)(struct cli *cli, uint64_t ticks);
};

static void live_close(struct live *live)
{
	if (live->timerfd >= 0)
		close(live->timerfd);
	if (live->epfd >= 0)
		close(live->epfd);
	live->timerfd = live->epfd = -1;
}

static int live_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* CLI_EXIT_OK, or the error line. */
static int live_open(struct live *live, struct cli *cli)
{
	struct itimerspec second = { { 1, 0 }, { 1, 0 } };
	int rc, fd;

	live->cli = cli;
	live->timerfd = -1;
	live->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (live->epfd < 0)
		return cli_fail(-errno, "cannot create an epoll set");
	fd = ebpfnet_flow_fd(cli->flow);
	if (fd < 0)
		return cli_fail(fd, "cannot get the observer's file descriptor");
	rc = live_add(live->epfd, fd);
	if (rc)
		return cli_fail(rc, "cannot wait for the observer's records");
	if (cli->metrics && cli->args.listen) {
		fd = ebpfnet_flow_metrics_fd(cli->metrics);
		if (fd < 0)
			return cli_fail(fd, "cannot get the metrics server's file descriptor");
		rc = live_add(live->epfd, fd);
		if (rc)
			return cli_fail(rc, "cannot wait for metrics requests");
	}
	live->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (live->timerfd < 0 || timerfd_settime(live->timerfd, 0, &second, NULL))
		return cli_fail(-errno, "cannot create a timer");
	rc = live_add(live->epfd, live->timerfd);
	return rc ? cli_fail(rc, "cannot wait for the timer") : CLI_EXIT_OK;
}

/* cli_follow()'s consume: whatever is ready. >= 0, or a negative errno. */
static int live_consume(void *source)
{
	struct live *live = source;
	struct cli *cli = live->cli;
	uint64_t expired;
	int rc;

	/* always the records: they are the point, and the library sweeps */
	rc = ebpfnet_flow_consume(cli->flow);
	if (rc < 0)
		return rc;
	if (cli->metrics && cli->args.listen) {
		rc = ebpfnet_flow_metrics_run(cli->metrics);
		if (rc < 0)
			return rc;
	}
	if (read(live->timerfd, &expired, sizeof(expired)) == sizeof(expired)) {
		live->ticks += expired;
		if (live->on_tick)
			return live->on_tick(cli, live->ticks);
	}
	return 0;
}

/* Lost events are never silent: the node-wide counts on stderr. */
static void live_summary(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_flow_stats, stats);

	if (ebpfnet_flow_stats(cli->flow, &stats) == 0)
		fprintf(stderr, "%s: %" PRIu64 " flow and %" PRIu64
			" DNS records; node-wide %" PRIu64
			" events suppressed by the rate limit, %" PRIu64
			" lost, %" PRIu64 " monitor events lost\n",
			cli_program, cli->flows, cli->dns, stats.events_suppressed,
			stats.events_lost, stats.monitor_lost);
}

/* Open the observer for live reading and follow it until a signal, the
 * --duration or the --count limit; before: print the table when first is
 * set. CLI_EXIT_OK, or the error line. */
static int follow(struct cli *cli, int (*on_tick)(struct cli *, uint64_t),
		  int (*first)(struct cli *))
{
	struct live live = { .epfd = -1, .timerfd = -1, .on_tick = on_tick };
	int rc = cli_catch_signals();

	if (rc == CLI_EXIT_OK)
		rc = open_observer(cli, OPEN_LIVE);
	if (rc == CLI_EXIT_OK && first)
		rc = first(cli);
	if (rc == CLI_EXIT_OK)
		rc = live_open(&live, cli);
	if (rc == CLI_EXIT_OK && !cli_out_full(&cli->out)) {
		cli_msgs_release();
		rc = cli_follow(live.epfd, cli->args.opts.duration_s, live_consume,
				&live, &cli->out);
	}
	live_close(&live);
	if (rc == CLI_EXIT_OK)
		live_summary(cli);
	return rc;
}

/* ---- observe ------------------------------------------------------------- */

static int print_flow(struct cli *cli, const struct ebpfnet_flow_record *flow)
{
	return emit(cli, format_flow, flow);
}

static int print_dns(struct cli *cli, const struct ebpfnet_flow_dns *dns)
{
	return emit(cli, format_dns, dns);
}

static int cmd_observe(struct cli *cli)
{
	struct timespec now;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	flow_args_resolve(&cli->args, (uint64_t)now.tv_sec * 1000000000u +
					      (uint64_t)now.tv_nsec);
	cli->take_flow = print_flow;
	cli->take_dns = print_dns;
	if (cli->args.follow)
		return follow(cli, NULL, cli->args.last ? print_table : NULL);
	rc = open_observer(cli, OPEN_EXISTING);
	return rc == CLI_EXIT_OK ? print_table(cli) : rc;
}

/* ---- metrics ------------------------------------------------------------- */

static int count_flow(struct cli *cli, const struct ebpfnet_flow_record *flow)
{
	return ebpfnet_flow_metrics_add_flow(cli->metrics, flow);
}

static int count_dns(struct cli *cli, const struct ebpfnet_flow_dns *dns)
{
	return ebpfnet_flow_metrics_add_dns(cli->metrics, dns);
}

/* The observer's lost-event counts into the metrics; the textfile. */
static int metrics_update(struct cli *cli, bool write_file)
{
	EBPFNET_OPTS(ebpfnet_flow_stats, stats);
	int rc = ebpfnet_flow_stats(cli->flow, &stats);

	if (rc == 0)
		rc = ebpfnet_flow_metrics_set_stats(cli->metrics, &stats);
	if (rc == 0 && write_file && cli->args.textfile)
		rc = ebpfnet_flow_metrics_write(cli->metrics, cli->args.textfile);
	return rc;
}

static int metrics_tick(struct cli *cli, uint64_t ticks)
{
	return metrics_update(cli, ticks % cli->args.every_s == 0);
}

/* Before following: the listener, the first textfile, the line that says
 * where the metrics are. */
static int metrics_start(struct cli *cli)
{
	const char *listen = cli->args.listen;
	char line[128];
	int rc, port;

	if (listen) {
		cli_msgs_reset_reason();
		rc = ebpfnet_flow_metrics_listen(cli->metrics, listen);
		if (rc)
			return cli_fail(rc, "cannot listen on %s", listen);
		port = ebpfnet_flow_metrics_port(cli->metrics);
		if (port < 0)
			return cli_fail(port, "cannot read the metrics port");
		snprintf(line, sizeof(line), "serving metrics on http://%.*s:%d/metrics",
			 (int)(strrchr(listen, ':') - listen), listen, port);
		if (cli_out_write_line(&cli->out, line))
			return cli_fail(cli->out.write_err, "cannot write the output");
	}
	cli_msgs_reset_reason();
	rc = metrics_update(cli, true);
	if (rc)
		return cli_fail(rc, "cannot write the metrics to %s", cli->args.textfile);
	if (cli->args.textfile) {
		snprintf(line, sizeof(line), "writing metrics to %s every %" PRIu32 " s",
			 cli->args.textfile, cli->args.every_s);
		if (cli_out_write_line(&cli->out, line))
			return cli_fail(cli->out.write_err, "cannot write the output");
	}
	return CLI_EXIT_OK;
}

static int cmd_metrics(struct cli *cli)
{
	int rc;

	cli->metrics = ebpfnet_flow_metrics_new();
	if (!cli->metrics)
		return cli_fail(cli_neg_errno(), "cannot create the metrics");
	cli->take_flow = count_flow;
	cli->take_dns = count_dns;
	rc = follow(cli, metrics_tick, metrics_start);
	if (rc != CLI_EXIT_OK || !cli->args.textfile)
		return rc;
	/* the last counts */
	cli_msgs_reset_reason();
	rc = metrics_update(cli, true);
	return rc ? cli_fail(rc, "cannot write the metrics to %s", cli->args.textfile) :
		    CLI_EXIT_OK;
}

/* ---- map ----------------------------------------------------------------- */

static int map_flow(struct cli *cli, const struct ebpfnet_flow_record *flow)
{
	return ebpfnet_flow_map_add(cli->map, flow);
}

static int map_snapshot_one(void *ctx, const struct ebpfnet_flow_record *flow)
{
	return map_flow(ctx, flow);
}

/* Is `name` an executable in PATH? */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char dir[4096];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s/%s", (int)len, len ? path : ".", name);
		if (access(dir, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return cli_fail(-errno, "cannot write %s", path);
	if (fputs(text, f) == EOF)
		err = cli_neg_errno();
	if (fclose(f) && !err)
		err = cli_neg_errno();
	return err ? cli_fail(err, "cannot write %s", path) : CLI_EXIT_OK;
}

/* Write all of text to fd; 0 or a negative errno. */
static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* `dot -Tsvg -o svg` with the DOT text on its stdin. */
static int render_svg(const char *svg, const char *dot)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int pipefd[2], status, err;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return cli_fail(-errno, "cannot run dot");
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return cli_fail(err, "cannot run dot");
	}
	if (pid == 0) {
		if (dup2(pipefd[0], STDIN_FILENO) < 0)
			_exit(127);
		execlp("dot", "dot", "-Tsvg", "-o", svg, (char *)NULL);
		_exit(127);
	}
	close(pipefd[0]);
	/* dot may exit early: its error then, not our SIGPIPE */
	sigaction(SIGPIPE, &ign, &old);
	err = write_all(pipefd[1], dot, strlen(dot));
	close(pipefd[1]);
	sigaction(SIGPIPE, &old, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cli_fail(-errno, "cannot wait for dot");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cli_error("dot -Tsvg failed (%s %d) writing %s",
				 WIFEXITED(status) ? "exit status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				 svg);
	return err ? cli_fail(err, "cannot give dot the map") : CLI_EXIT_OK;
}

static int map_output(struct cli *cli)
{
	const char *text = cli_out_format(&cli->out, format_map, cli->map,
					  EBPFNET_FORMAT_TEXT);
	int rc = CLI_EXIT_OK;

	if (!text)
		return cli_fail(cli->out.format_err, "cannot make the service map");
	if (cli->args.dot)
		rc = write_file(cli->args.dot, text);
	if (rc == CLI_EXIT_OK && cli->args.svg)
		rc = render_svg(cli->args.svg, text);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (cli->args.opts.json) {
		out("{");
		if (cli->args.dot) {
			out("\"dot\":");
			cli_out_put_json_string(&cli->out, cli->args.dot);
		}
		if (cli->args.svg) {
			out("%s\"svg\":", cli->args.dot ? "," : "");
			cli_out_put_json_string(&cli->out, cli->args.svg);
		}
		out("}\n");
		return cli->out.format_err ?
		       cli_fail(cli->out.format_err, "cannot format the output") :
		       CLI_EXIT_OK;
	}
	if (cli->args.dot)
		out("wrote %s\n", cli->args.dot);
	if (cli->args.svg)
		out("wrote %s\n", cli->args.svg);
	return CLI_EXIT_OK;
}

static int cmd_map(struct cli *cli)
{
	int rc;

	/* before anything is read: a missing renderer is known now */
	if (cli->args.svg && !in_path("dot"))
		return cli_error("cannot write %s: dot (Graphviz) is not installed (not found in PATH)",
				 cli->args.svg);
	cli->map = ebpfnet_flow_map_new();
	if (!cli->map)
		return cli_fail(cli_neg_errno(), "cannot create the service map");
	cli->take_flow = map_flow;
	if (cli->args.follow) {
		rc = follow(cli, NULL, NULL);
	} else {
		rc = open_observer(cli, OPEN_EXISTING);
		if (rc == CLI_EXIT_OK) {
			cli_msgs_reset_reason();
			rc = ebpfnet_flow_snapshot(cli->flow, map_snapshot_one, cli);
			if (rc)
				rc = cli_fail(rc, "cannot read the flow table");
		}
	}
	return rc == CLI_EXIT_OK ? map_output(cli) : rc;
}

/* ---- main ---------------------------------------------------------------- */

static int (*const runners[])(struct cli *cli) = {
	[FLOW_CMD_ATTACH] = cmd_attach,
	[FLOW_CMD_DETACH] = cmd_detach,
	[FLOW_CMD_STATUS] = cmd_status,
	[FLOW_CMD_OBSERVE] = cmd_observe,
	[FLOW_CMD_METRICS] = cmd_metrics,
	[FLOW_CMD_MAP] = cmd_map,
};

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = flow_args_parse(argc, argv, &cli.args, err, sizeof(err));
	if (rc) {
		flow_args_free(&cli.args);
		return cli_parse_answer(rc, err, flow_args_usage);
	}
	/* observe's table takes its own limit; live records are counted */
	cli.out.max_lines = cli.args.opts.count;

	/* Held back while the command runs: shown after a success, the last
	 * one the detail of the error line after a failure. */
	cli_msgs_start(cli.args.opts.verbose);
	cli_msgs_hold(true);
	rc = cli_out_end(&cli.out, runners[cli.args.command](&cli), CLI_EXIT_OK);

	free_kept(&cli);
	ebpfnet_flow_map_free(cli.map);
	ebpfnet_flow_metrics_free(cli.metrics);
	ebpfnet_flow_destroy(cli.flow);
	cli_msgs_stop();
	cli_out_free(&cli.out);
	flow_args_free(&cli.args);
	return rc;
}
