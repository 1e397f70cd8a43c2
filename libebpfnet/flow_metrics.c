/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Prometheus counters fed with flow and DNS records, named and labelled as
 * Hubble's metrics, and their text exposition (format 0.0.4). Each family
 * keeps its series in an array sorted by label values, so the exposition
 * is stable; a family holds at most FLOW_METRIC_MAX_SERIES series and
 * counts the increments that did not fit.
 */
#define _GNU_SOURCE /* mkostemp */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_metrics_internal.h"
#include "flow_names.h"
#include "text.h"

#define FLOW_METRIC_MAX_SERIES 10000
#define FLOW_METRIC_MAX_LABELS 3
#define FLOW_METRIC_VALUE_MAX 64     /* bytes of a label value, NUL included */

struct flow_metric_series {
	char values[FLOW_METRIC_MAX_LABELS][FLOW_METRIC_VALUE_MAX];
	uint64_t value;
};

struct flow_metric_desc {
	const char *name;
	const char *help;
	const char *labels[FLOW_METRIC_MAX_LABELS];
};

static const struct flow_metric_desc descs[FM_NR] = {
	[FM_LOST_EVENTS] = { "ebpfnet_lost_events_total",
		"Events lost before the agent read them (ring: the observer's ring buffer was full; monitor: the node's monitor ring was full)",
		{ "source" } },
	[FM_SERIES_DROPPED] = { "ebpfnet_metrics_series_dropped_total",
		"Increments not counted because their metric had reached its maximum number of series",
		{ "metric" } },
	[FM_SUPPRESSED_EVENTS] = { "ebpfnet_suppressed_events_total",
		"Flow events not sent because they were over the in-kernel rate limit",
		{ NULL } },
	[FM_DNS_QUERIES] = { "hubble_dns_queries_total",
		"Number of DNS queries observed",
		{ "rcode", "qtypes", "ips_returned" } },
	[FM_DNS_RESPONSES] = { "hubble_dns_responses_total",
		"Number of DNS responses observed",
		{ "rcode", "qtypes", "ips_returned" } },
	[FM_DROP] = { "hubble_drop_total", "Number of drops",
		{ "reason", "protocol" } },
	[FM_FLOWS_PROCESSED] = { "hubble_flows_processed_total",
		"Total number of flows processed",
		{ "type", "subtype", "verdict" } },
	[FM_ICMP] = { "hubble_icmp_total", "Number of ICMP messages",
		{ "family", "type" } },
	[FM_PORT_DISTRIBUTION] = { "hubble_port_distribution_total",
		"Numbers of packets distributed by destination port",
		{ "protocol", "port" } },
	[FM_TCP_FLAGS] = { "hubble_tcp_flags_total", "TCP flag occurrences",
		{ "flag", "family" } },
};

/* One increment of one series: what a record adds up to. */
struct flow_metric_inc {
	enum flow_metric_id id;
	const char *values[FLOW_METRIC_MAX_LABELS];
};

/* At most: processed, drop, icmp, port, three TCP flags. */
#define FLOW_METRIC_MAX_INCS 8

static size_t desc_nlabels(const struct flow_metric_desc *d)
{
	size_t i = 0;

	while (i < FLOW_METRIC_MAX_LABELS && d->labels[i])
		i++;
	return i;
}

/* ---- escaping (shared with flow_map.c) ------------------------------- */

void ebpfnet__sbuf_escaped(struct ebpfnet_sbuf *sb, const char *s, size_t n,
			   flow_escape_fn escape)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		const char *as = p[i] < 0x80 ? escape(p[i]) : NULL;
		size_t seq;

		if (as) {
			ebpfnet__sbuf_printf(sb, "%s", as);
			i++;
			continue;
		}
		seq = ebpfnet__utf8_seq_len(p + i, n - i);
		if (!seq) {
			ebpfnet__sbuf_printf(sb, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
			continue;
		}
		ebpfnet__sbuf_printf(sb, "%.*s", (int)seq, s + i);
		i += seq;
	}
}

const char *ebpfnet__prom_escape(unsigned char c)
{
	switch (c) {
	case '\\': return "\\\\";
	case '"': return "\\\"";
	case '\n': return "\\n";
	default: return NULL;
	}
}

/* ---- series ------------------------------------------------------------ */

static int series_cmp(const struct flow_metric_series *s,
		      const char *const values[], size_t nlabels)
{
	size_t i;
	int c;

	for (i = 0; i < nlabels; i++) {
		c = strcmp(s->values[i], values[i] ? values[i] : "");
		if (c)
			return c;
	}
	return 0;
}

/* Index of the series with these values, or where it would go (*found
 * false). */
static size_t series_find(const struct flow_metric_family *f, size_t nlabels,
			  const char *const values[], bool *found)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = series_cmp(&f->series[mid], values, nlabels);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Room for `more` new series (up to the maximum): 0 or -ENOMEM. */
static int family_reserve(struct flow_metric_family *f, size_t more)
{
	size_t want = f->n + more, cap;
	struct flow_metric_series *s;

	if (want > FLOW_METRIC_MAX_SERIES)
		want = FLOW_METRIC_MAX_SERIES;
	if (want <= f->cap)
		return 0;
	cap = f->cap ? f->cap : 8;
	while (cap < want)
		cap *= 2;
	if (cap > FLOW_METRIC_MAX_SERIES)
		cap = FLOW_METRIC_MAX_SERIES;
	s = realloc(f->series, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	f->series = s;
	f->cap = cap;
	return 0;
}

static bool values_fit(const char *const values[], size_t nlabels)
{
	size_t i;

	for (i = 0; i < nlabels; i++)
		if (values[i] && strlen(values[i]) >= FLOW_METRIC_VALUE_MAX)
			return false;
	return true;
}

/*
 * The series of family id with these values, created (at 0) when there is
 * room reserved for it; NULL when the family is full or a value is too
 * long (counted in ebpfnet_metrics_series_dropped_total).
 */
static struct flow_metric_series *series_get(struct ebpfnet_flow_metrics *m,
					     enum flow_metric_id id,
					     const char *const values[])
{
	struct flow_metric_family *f = &m->families[id];
	size_t nlabels = desc_nlabels(&descs[id]), at, i;
	struct flow_metric_series *s;
	bool found;

	at = series_find(f, nlabels, values, &found);
	if (found)
		return &f->series[at];
	if (f->n >= f->cap || !values_fit(values, nlabels)) {
		const char *metric[FLOW_METRIC_MAX_LABELS] = { descs[id].name };

		f->dropped++;
		/* Never recursive: FM_SERIES_DROPPED has room for every
		 * family from the start, and the names fit. */
		if (id != FM_SERIES_DROPPED) {
			s = series_get(m, FM_SERIES_DROPPED, metric);
			if (s)
				s->value++;
		}
		return NULL;
	}
	memmove(&f->series[at + 1], &f->series[at],
		(f->n - at) * sizeof(*f->series));
	s = &f->series[at];
	memset(s, 0, sizeof(*s));
	for (i = 0; i < nlabels; i++)
		snprintf(s->values[i], sizeof(s->values[i]), "%s",
			 values[i] ? values[i] : "");
	f->n++;
	return s;
}

/*
 * Apply n increments, all or none: room for every new series is reserved
 * first (the only step that can fail), then the counters are added.
 */
static int apply_incs(struct ebpfnet_flow_metrics *m,
		      const struct flow_metric_inc *incs, size_t n)
{
	size_t more[FM_NR] = { 0 }, i;
	struct flow_metric_series *s;

	for (i = 0; i < n; i++)
		more[incs[i].id]++;
	for (i = 0; i < FM_NR; i++) {
		if (more[i] && family_reserve(&m->families[i], more[i])) {
			pr_warn("flow metrics: out of memory for %s", descs[i].name);
			return ebpfnet__err(-ENOMEM);
		}
	}
	for (i = 0; i < n; i++) {
		s = series_get(m, incs[i].id, incs[i].values);
		if (s)
			s->value++;
	}
	return 0;
}

/* ---- names -------------------------------------------------------------- */

/* Hubble's v1.FlowProtocol() for L4. */
static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMPv4";
	case IPPROTO_ICMPV6: return "ICMPv6";
	case IPPROTO_SCTP: return "SCTP";
	default: return "Unknown";
	}
}

static const char *family_name(uint8_t family)
{
	return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : NULL;
}

/* gopacket's ICMPv4TypeCode.TypeString(), ICMPv6TypeCode.TypeString():
 * the type's name, or its number. */
static const char *icmp_type_name(uint8_t proto, uint8_t type, char num[4])
{
	const char *name = ebpfnet__icmp_type_name(proto, type);

	if (name)
		return name;
	snprintf(num, 4, "%u", type);
	return num;
}

/* miekg/dns TypeToString (what Hubble's qtypes hold), else "TYPE<n>". */
static const char *dns_type_name(uint16_t type, char buf[12])
{
	const char *name;

	if (!type)
		return ""; /* no question */
	name = ebpfnet__dns_type_name(type);
	if (name)
		return name;
	snprintf(buf, 12, "TYPE%u", type);
	return buf;
}

/* Hubble's rcodeNames, else the number. */
static const char *dns_rcode_name(uint8_t rcode, char buf[4])
{
	static const char *const names[] = {
		"No Error", "Format Error", "Server Failure",
		"Non-Existent Domain", "Not Implemented", "Query Refused",
		"Name Exists when it should not",
		"RR Set Exists when it should not",
		"RR Set that should exist does not",
		"Server Not Authoritative for zone",
		"Name not contained in zone",
	};

	if (rcode < EBPFNET_ARRAY_SIZE(names))
		return names[rcode];
	snprintf(buf, 4, "%u", rcode);
	return buf;
}

static const char *name_or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- records -> increments -------------------------------------------- */

/* Scratch space for the label values a record's increments point to. */
struct flow_metric_scratch {
	char icmp_type[4];
	char port[6];
	char qtype[12];
	char rcode[4];
	char ips[12];
};

static void push(struct flow_metric_inc *incs, size_t *n, enum flow_metric_id id,
		 const char *v0, const char *v1, const char *v2)
{
	incs[*n] = (struct flow_metric_inc){ id, { v0, v1, v2 } };
	(*n)++;
}

static void tcp_flag_incs(const struct ebpfnet_flow_record *flow, const char *family,
			  struct flow_metric_inc *incs, size_t *n)
{
	uint8_t flags = flow->tcp_flags;

	/* Hubble's tcp handler: FIN, RST, then SYN or SYN-ACK. */
	if (flags & 0x01)
		push(incs, n, FM_TCP_FLAGS, "FIN", family, NULL);
	if (flags & 0x04)
		push(incs, n, FM_TCP_FLAGS, "RST", family, NULL);
	if (flags & 0x02)
		push(incs, n, FM_TCP_FLAGS, (flags & 0x10) ? "SYN-ACK" : "SYN",
		     family, NULL);
}

static size_t flow_incs(const struct ebpfnet_flow_record *flow,
			struct flow_metric_scratch *sc,
			struct flow_metric_inc *incs)
{
	const char *verdict = name_or_empty(ebpfnet_flow_verdict_name(flow->verdict));
	const char *family = family_name(flow->family);
	const char *proto = proto_name(flow->proto);
	bool forwarded = flow->verdict == EBPFNET_FLOW_VERDICT_FORWARDED;
	/* a denied packet comes twice, as a POLICY verdict and as a DROP
	 * record (as in Hubble): per-packet counters take the DROP one */
	bool packet_kind = flow->kind == EBPFNET_FLOW_NEW ||
			   flow->kind == EBPFNET_FLOW_DROP;
	size_t n = 0;

	if (flow->kind == EBPFNET_FLOW_DROP)
		push(incs, &n, FM_FLOWS_PROCESSED, "Drop", "", verdict);
	else if (flow->kind == EBPFNET_FLOW_POLICY)
		push(incs, &n, FM_FLOWS_PROCESSED, "PolicyVerdict", "", verdict);
	else
		push(incs, &n, FM_FLOWS_PROCESSED, "Trace",
		     name_or_empty(ebpfnet_flow_obs_name(flow->obs)), verdict);

	if (flow->kind == EBPFNET_FLOW_DROP)
		push(incs, &n, FM_DROP,
		     name_or_empty(ebpfnet_flow_drop_reason_name(flow->drop_reason)),
		     proto, NULL);

	if (forwarded && family && flow->proto == IPPROTO_TCP &&
	    (flow->kind == EBPFNET_FLOW_NEW || flow->kind == EBPFNET_FLOW_FLAGS ||
	     flow->kind == EBPFNET_FLOW_END))
		tcp_flag_incs(flow, family, incs, &n);

	if (packet_kind && (flow->proto == IPPROTO_ICMP ||
			    flow->proto == IPPROTO_ICMPV6))
		push(incs, &n, FM_ICMP,
		     flow->proto == IPPROTO_ICMP ? "IPv4" : "IPv6",
		     icmp_type_name(flow->proto, flow->icmp_type, sc->icmp_type),
		     NULL);

	if (flow->kind == EBPFNET_FLOW_NEW && forwarded && !flow->is_reply &&
	    (flow->proto == IPPROTO_TCP || flow->proto == IPPROTO_UDP ||
	     flow->proto == IPPROTO_SCTP)) {
		snprintf(sc->port, sizeof(sc->port), "%u", flow->dst.port);
		push(incs, &n, FM_PORT_DISTRIBUTION, proto, sc->port, NULL);
	}
	return n;
}

static int check_flow(const struct ebpfnet_flow_record *flow)
{
	if (!flow) {
		pr_warn("flow metrics: the record is NULL");
		return -EINVAL;
	}
	if (flow->sz < offsetofend(struct ebpfnet_flow_record, dst)) {
		pr_warn("flow metrics: struct ebpfnet_flow_record: sz %zu is too small",
			flow->sz);
		return -EINVAL;
	}
	if ((unsigned int)flow->kind > EBPFNET_FLOW_POLICY) {
		pr_warn("flow metrics: unknown record kind %u",
			(unsigned int)flow->kind);
		return -EINVAL;
	}
	if (flow->family && flow->family != AF_INET && flow->family != AF_INET6) {
		pr_warn("flow metrics: unknown address family %u", flow->family);
		return -EINVAL;
	}
	return 0;
}

static int check_metrics(const struct ebpfnet_flow_metrics *m, const char *fn)
{
	if (!m) {
		pr_warn("%s: the metrics object is NULL", fn);
		return -EINVAL;
	}
	return 0;
}

int ebpfnet_flow_metrics_add_flow(struct ebpfnet_flow_metrics *m,
				  const struct ebpfnet_flow_record *flow)
{
	struct flow_metric_inc incs[FLOW_METRIC_MAX_INCS];
	struct flow_metric_scratch sc;
	int err;

	err = check_metrics(m, __func__) ?: check_flow(flow);
	if (err)
		return ebpfnet__err(err);
	/* A snapshot shows the table, it is no event: counting it would
	 * count its flows again. */
	if (flow->kind == EBPFNET_FLOW_SNAPSHOT)
		return 0;
	return apply_incs(m, incs, flow_incs(flow, &sc, incs));
}

int ebpfnet_flow_metrics_add_dns(struct ebpfnet_flow_metrics *m,
				 const struct ebpfnet_flow_dns *dns)
{
	struct flow_metric_inc incs[2];
	struct flow_metric_scratch sc;
	const char *qtypes;
	int err;

	err = check_metrics(m, __func__);
	if (!err && !dns) {
		pr_warn("%s: the record is NULL", __func__);
		err = -EINVAL;
	} else if (!err && dns->sz < offsetofend(struct ebpfnet_flow_dns, n_ips)) {
		pr_warn("%s: struct ebpfnet_flow_dns: sz %zu is too small",
			__func__, dns->sz);
		err = -EINVAL;
	} else if (!err && dns->n_ips > EBPFNET_FLOW_DNS_MAX_IPS) {
		pr_warn("%s: n_ips %u is over %u", __func__, dns->n_ips,
			EBPFNET_FLOW_DNS_MAX_IPS);
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);

	qtypes = dns_type_name(dns->qtype, sc.qtype);
	incs[0] = (struct flow_metric_inc){ FM_FLOWS_PROCESSED,
		{ "L7", "DNS", name_or_empty(ebpfnet_flow_verdict_name(
				       EBPFNET_FLOW_VERDICT_FORWARDED)) } };
	if (dns->is_response) {
		snprintf(sc.ips, sizeof(sc.ips), "%u", dns->n_ips);
		incs[1] = (struct flow_metric_inc){ FM_DNS_RESPONSES,
			{ dns_rcode_name(dns->rcode, sc.rcode), qtypes, sc.ips } };
	} else {
		incs[1] = (struct flow_metric_inc){ FM_DNS_QUERIES,
			{ "", qtypes, "0" } };
	}
	return apply_incs(m, incs, 2);
}

/* ---- stats ------------------------------------------------------------- */

static void series_set(struct ebpfnet_flow_metrics *m, enum flow_metric_id id,
		       const char *v0, uint64_t value)
{
	const char *values[FLOW_METRIC_MAX_LABELS] = { v0 };
	struct flow_metric_series *s = series_get(m, id, values);

	if (s) /* always: created by ebpfnet_flow_metrics_new() */
		s->value = value;
}

int ebpfnet_flow_metrics_set_stats(struct ebpfnet_flow_metrics *m,
				   const struct ebpfnet_flow_stats *stats)
{
	int err = check_metrics(m, __func__);

	if (!err && !stats) {
		pr_warn("%s: stats is NULL", __func__);
		err = -EINVAL;
	} else if (!err && stats->sz < offsetofend(struct ebpfnet_flow_stats,
						   monitor_lost)) {
		pr_warn("%s: struct ebpfnet_flow_stats: sz %zu is too small",
			__func__, stats->sz);
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	series_set(m, FM_LOST_EVENTS, "ring", stats->events_lost);
	series_set(m, FM_LOST_EVENTS, "monitor", stats->monitor_lost);
	series_set(m, FM_SUPPRESSED_EVENTS, NULL, stats->events_suppressed);
	return 0;
}

/* ---- life -------------------------------------------------------------- */

struct ebpfnet_flow_metrics *ebpfnet_flow_metrics_new(void)
{
	struct ebpfnet_flow_metrics *m = calloc(1, sizeof(*m));

	if (!m || family_reserve(&m->families[FM_SERIES_DROPPED], FM_NR) ||
	    family_reserve(&m->families[FM_LOST_EVENTS], 2) ||
	    family_reserve(&m->families[FM_SUPPRESSED_EVENTS], 1)) {
		pr_warn("flow metrics: out of memory");
		ebpfnet_flow_metrics_free(m);
		return ebpfnet__err_ptr(-ENOMEM);
	}
	/* The loss counters exist from the start: 0 is news too. */
	series_set(m, FM_LOST_EVENTS, "monitor", 0);
	series_set(m, FM_LOST_EVENTS, "ring", 0);
	series_set(m, FM_SUPPRESSED_EVENTS, NULL, 0);
	return m;
}

void ebpfnet_flow_metrics_free(struct ebpfnet_flow_metrics *m)
{
	size_t i;

	if (!m)
		return;
	ebpfnet__flow_http_stop(m);
	for (i = 0; i < FM_NR; i++)
		free(m->families[i].series);
	free(m);
}

/* ---- exposition -------------------------------------------------------- */

static void format_family(const struct flow_metric_desc *d,
			  const struct flow_metric_family *f,
			  struct ebpfnet_sbuf *sb)
{
	size_t nlabels = desc_nlabels(d), i, j;

	ebpfnet__sbuf_printf(sb, "# HELP %s %s\n# TYPE %s counter\n", d->name,
			     d->help, d->name);
	for (i = 0; i < f->n; i++) {
		const struct flow_metric_series *s = &f->series[i];

		ebpfnet__sbuf_printf(sb, "%s", d->name);
		for (j = 0; j < nlabels; j++) {
			ebpfnet__sbuf_printf(sb, "%c%s=\"", j ? ',' : '{',
					     d->labels[j]);
			ebpfnet__sbuf_escaped(sb, s->values[j],
					      strlen(s->values[j]),
					      ebpfnet__prom_escape);
			ebpfnet__sbuf_putc(sb, '"');
		}
		ebpfnet__sbuf_printf(sb, "%s %" PRIu64 "\n", nlabels ? "}" : "",
				     s->value);
	}
}

static void format_all(const struct ebpfnet_flow_metrics *m,
		       struct ebpfnet_sbuf *sb)
{
	size_t i;

	for (i = 0; i < FM_NR; i++)
		format_family(&descs[i], &m->families[i], sb);
}

int ebpfnet_flow_metrics_format(const struct ebpfnet_flow_metrics *m,
				char *buf, size_t len)
{
	struct ebpfnet_sbuf sb;

	if (check_metrics(m, __func__))
		return ebpfnet__err(-EINVAL);
	if (!buf && len) {
		pr_warn("%s: buf is NULL", __func__);
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	format_all(m, &sb);
	return ebpfnet__format_result(&sb);
}

char *ebpfnet__flow_metrics_text(const struct ebpfnet_flow_metrics *m,
				 size_t *len)
{
	struct ebpfnet_sbuf sb;
	char *buf;

	ebpfnet__sbuf_init(&sb, NULL, 0);
	format_all(m, &sb);
	if (sb.need > INT_MAX)
		return ebpfnet__err_ptr(-EOVERFLOW);
	buf = malloc(sb.need + 1);
	if (!buf) {
		pr_warn("flow metrics: out of memory for the exposition");
		return ebpfnet__err_ptr(-ENOMEM);
	}
	*len = sb.need;
	ebpfnet__sbuf_init(&sb, buf, *len + 1);
	format_all(m, &sb);
	return buf;
}

/* ---- textfile ------------------------------------------------------------ */

/* Write all n bytes to fd. 0 or -errno. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The directory of path (for the temporary file and its fsync). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* fsync the directory so the rename itself is durable (best effort). */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	dir_of(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Write text into a new temporary file next to path (hidden and not
 * named *.prom, so a collector never reads it half written) and rename
 * it over path. */
static int write_replace(const char *path, const char *text, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	const char *base = strrchr(path, '/');
	int fd, err;

	base = base ? base + 1 : path;
	dir_of(path, dir, sizeof(dir));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >=
	    sizeof(tmp)) {
		pr_warn("flow metrics: %s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("flow metrics: cannot create a temporary file in %s: %s",
			dir, ebpfnet_strerror(err));
		return err;
	}
	err = write_all(fd, text, len);
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		pr_warn("flow metrics: cannot write %s: %s", path,
			ebpfnet_strerror(err));
		unlink(tmp);
		return err;
	}
	sync_dir(path);
	return 0;
}

int ebpfnet_flow_metrics_write(const struct ebpfnet_flow_metrics *m,
			       const char *path)
{
	size_t len, n;
	char *text;
	int err;

	if (check_metrics(m, __func__))
		return ebpfnet__err(-EINVAL);
	if (!path || !*path) {
		pr_warn("%s: the path is %s", __func__, path ? "empty" : "NULL");
		return ebpfnet__err(-EINVAL);
	}
	n = strlen(path);
	if (n >= PATH_MAX) {
		pr_warn("%s: the path is too long", __func__);
		return ebpfnet__err(-ENAMETOOLONG);
	}
	if (path[n - 1] == '/') {
		pr_warn("%s: %s names a directory, not a file", __func__, path);
		return ebpfnet__err(-EISDIR);
	}
	text = ebpfnet__flow_metrics_text(m, &len);
	if (!text)
		return -errno;
	err = write_replace(path, text, len);
	free(text);
	return ebpfnet__err(err);
}
