/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * What the flow output modules share: the metrics object (its counters in
 * flow_metrics.c, its HTTP server in flow_http.c) and the escaping of
 * untrusted text into quoted strings of other languages (Prometheus label
 * values, Graphviz DOT strings; flow_map.c uses it too).
 */
#ifndef EBPFNET_FLOW_METRICS_INTERNAL_H
#define EBPFNET_FLOW_METRICS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/flow.h>

#include "internal.h"

struct MHD_Daemon;

/* One metric family: its series, sorted by label values. */
struct flow_metric_series;
struct flow_metric_family {
	struct flow_metric_series *series;
	size_t n;
	size_t cap;
	uint64_t dropped;            /* increments of series that did not fit */
};

/* The families, in the order of their names (the exposition's order). */
enum flow_metric_id {
	FM_LOST_EVENTS,              /* ebpfnet_lost_events_total */
	FM_SERIES_DROPPED,           /* ebpfnet_metrics_series_dropped_total */
	FM_SUPPRESSED_EVENTS,        /* ebpfnet_suppressed_events_total */
	FM_DNS_QUERIES,              /* hubble_dns_queries_total */
	FM_DNS_RESPONSES,            /* hubble_dns_responses_total */
	FM_DROP,                     /* hubble_drop_total */
	FM_FLOWS_PROCESSED,          /* hubble_flows_processed_total */
	FM_ICMP,                     /* hubble_icmp_total */
	FM_PORT_DISTRIBUTION,        /* hubble_port_distribution_total */
	FM_TCP_FLAGS,                /* hubble_tcp_flags_total */
	FM_NR,
};

struct ebpfnet_flow_metrics {
	struct flow_metric_family families[FM_NR];
	struct MHD_Daemon *httpd;    /* NULL until listen (flow_http.c) */
	int port;                    /* the port it listens on */
};

/* Stop serving (flow_http.c): called by ebpfnet_flow_metrics_free(). */
void ebpfnet__flow_http_stop(struct ebpfnet_flow_metrics *m);

/*
 * Append the n bytes at s for a quoted string of another language:
 * `escape` gives the replacement of an ASCII byte (NULL: keep it as it
 * is); a byte sequence that is not valid UTF-8 becomes U+FFFD, one per
 * byte, so the output is always valid UTF-8.
 */
typedef const char *(*flow_escape_fn)(unsigned char c);
void ebpfnet__sbuf_escaped(struct ebpfnet_sbuf *sb, const char *s, size_t n,
			   flow_escape_fn escape);

/* The escapes: inside a Prometheus label value (flow_metrics.c: \\, \",
 * \n), inside a Graphviz DOT string (flow_map.c: \\, \", line feed as
 * the \n line break, other control characters as spaces). */
const char *ebpfnet__prom_escape(unsigned char c);
const char *ebpfnet__dot_escape(unsigned char c);

/* The text exposition in a new NUL-terminated buffer (free() it), its
 * length in *len: what the HTTP server and the textfile writer send.
 * NULL and errno (ENOMEM, EOVERFLOW) on failure. */
char *ebpfnet__flow_metrics_text(const struct ebpfnet_flow_metrics *m,
				 size_t *len);

#endif /* EBPFNET_FLOW_METRICS_INTERNAL_H */
