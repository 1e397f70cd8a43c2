/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: a Hubble-style flow observer. TC (clsact) programs on the chosen
 * interfaces fold every packet into a flow table (both directions of a
 * connection in one flow); flows are exported when they start, when TCP
 * flags appear, at an interval while active and when they end; DNS
 * messages become DNS records; the drop and verdict events of the other
 * objects (drop, policy) become flows with verdict DROPPED. One observer
 * per node (per pin root), pinned: it keeps counting when the agent exits.
 *
 *     open(opts) -> attach(ifname)... -> poll()/snapshot() ... -> destroy()
 *
 * Formatting (Hubble text and JSON), Prometheus metrics and the service
 * map are separate, pure helpers fed with the records.
 *
 * One handle, one thread at a time. One process at a time reads a node's
 * live events (the reader takes a lock; a second gets -EBUSY).
 */
#ifndef EBPFNET_FLOW_H
#define EBPFNET_FLOW_H

#include <ebpfnet/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hubble's verdicts (same numbers). */
enum ebpfnet_flow_verdict {
	EBPFNET_FLOW_VERDICT_UNKNOWN = 0,
	EBPFNET_FLOW_VERDICT_FORWARDED = 1,
	EBPFNET_FLOW_VERDICT_DROPPED = 2,
};

/* Why this record was made. */
enum ebpfnet_flow_kind {
	EBPFNET_FLOW_NEW = 0,      /* the flow's first packet */
	EBPFNET_FLOW_FLAGS = 1,    /* a new TCP flag (SYN, FIN, RST) */
	EBPFNET_FLOW_INTERVAL = 2, /* still active after the interval */
	EBPFNET_FLOW_END = 3,      /* TCP closed (RST, or FIN both ways) */
	EBPFNET_FLOW_IDLE = 4,     /* no packet for idle_timeout: removed */
	EBPFNET_FLOW_EVICTED = 5,  /* pushed out of a full table (last counts known) */
	EBPFNET_FLOW_SNAPSHOT = 6, /* from ebpfnet_flow_snapshot() */
	EBPFNET_FLOW_DROP = 7,     /* a packet the drop object dropped */
	EBPFNET_FLOW_POLICY = 8,   /* a verdict of the policy object */
};

/* Where the packet was seen (Hubble's observation points). Interfaces
 * the policy object knows as endpoints give from-/to-endpoint; others
 * from-/to-network; XDP drops from-network. */
enum ebpfnet_flow_obs {
	EBPFNET_FLOW_OBS_UNKNOWN = 0,
	EBPFNET_FLOW_OBS_FROM_ENDPOINT = 1, /* TC ingress of an endpoint's host side */
	EBPFNET_FLOW_OBS_TO_ENDPOINT = 2,   /* TC egress of an endpoint's host side */
	EBPFNET_FLOW_OBS_FROM_NETWORK = 3,  /* TC ingress / XDP elsewhere */
	EBPFNET_FLOW_OBS_TO_NETWORK = 4,    /* TC egress elsewhere */
};

/* Hubble's traffic_direction (of the connection, from the endpoint). */
enum ebpfnet_flow_direction {
	EBPFNET_FLOW_DIR_UNKNOWN = 0,
	EBPFNET_FLOW_DIR_INGRESS = 1,
	EBPFNET_FLOW_DIR_EGRESS = 2,
};

/* Drop reasons (drop_reason), named as Hubble's where Hubble has one. */
enum ebpfnet_flow_drop_reason {
	EBPFNET_FLOW_DROP_NONE = 0,
	EBPFNET_FLOW_DROP_RULE = 1,          /* "DROP_RULE": a drop object rule */
	EBPFNET_FLOW_DROP_FRAGMENT = 2,      /* "FRAGMENT_DROPPED": drop's fragment policy */
	EBPFNET_FLOW_DROP_INVALID = 3,       /* "INVALID_PACKET_DROPPED" */
	EBPFNET_FLOW_DROP_POLICY_DENIED = 4, /* "POLICY_DENIED": default deny */
	EBPFNET_FLOW_DROP_POLICY_DENY = 5,   /* "POLICY_DENY": a deny rule */
};

/* Policy verdicts (kind EBPFNET_FLOW_POLICY): policy_match. */
enum ebpfnet_flow_policy_match {
	EBPFNET_FLOW_MATCH_NONE = 0,    /* default deny / not enforced */
	EBPFNET_FLOW_MATCH_L3_ONLY = 1,
	EBPFNET_FLOW_MATCH_L3_L4 = 2,
	EBPFNET_FLOW_MATCH_L4_ONLY = 3,
	EBPFNET_FLOW_MATCH_ALL = 4,
};

/* A peer of a flow: address, port and what is known of it. */
struct ebpfnet_flow_peer {
	uint8_t addr[16];      /* network order; IPv4 in the first 4 bytes */
	uint16_t port;         /* host order; 0 when the protocol has none */
	uint32_t identity;     /* 0: unknown (no policy object on the node) */
	const char *labels;    /* "k=v,k=v" or NULL; valid during the callback */
};

struct ebpfnet_flow_counter {
	uint64_t packets;
	uint64_t bytes;        /* frames from the Ethernet header */
};

/* One flow record. Pointers are valid during the callback only. The
 * source and destination are those of the packet that caused the record
 * (is_reply: it went from the responder to the initiator); snapshot,
 * idle and evicted records are in the initiator's direction. */
struct ebpfnet_flow_record {
	size_t sz;
	uint64_t time_ns;            /* wall clock (ns since the epoch) */
	uint64_t first_ns;           /* wall clock of the first packet */
	uint64_t last_ns;            /* of the latest packet */
	enum ebpfnet_flow_kind kind;
	enum ebpfnet_flow_verdict verdict;
	enum ebpfnet_flow_drop_reason drop_reason;
	enum ebpfnet_flow_obs obs;
	enum ebpfnet_flow_direction direction;
	uint32_t ifindex;
	char ifname[16];             /* "" when the interface is gone */
	uint8_t family;              /* AF_INET / AF_INET6 */
	uint8_t proto;               /* IPPROTO_* */
	bool is_reply;
	bool reply_known;            /* false: the direction is a guess ("<>") */
	uint8_t tcp_flags;           /* of the packet (TCP header bits) */
	uint8_t tcp_flags_seen;      /* OR over the flow, both directions */
	uint8_t icmp_type;
	uint8_t icmp_code;
	struct ebpfnet_flow_peer src;
	struct ebpfnet_flow_peer dst;
	struct ebpfnet_flow_counter orig;  /* initiator -> responder */
	struct ebpfnet_flow_counter reply; /* responder -> initiator */
	uint32_t pkt_len;            /* of the packet that caused it; 0 for
				      * snapshot/idle/evicted */
	uint32_t rule_id;            /* DROP/POLICY: the deciding rule, 0 none */
	enum ebpfnet_flow_policy_match policy_match;
	bool policy_ingress;         /* POLICY: the endpoint's ingress side */
};

/* One DNS message seen on port 53. */
#define EBPFNET_FLOW_DNS_MAX_IPS 16
#define EBPFNET_FLOW_DNS_MAX_CNAMES 4
struct ebpfnet_flow_dns_ip {
	uint8_t family;              /* AF_INET / AF_INET6 */
	uint8_t addr[16];
};

struct ebpfnet_flow_dns {
	size_t sz;
	uint64_t time_ns;            /* wall clock */
	uint32_t ifindex;
	char ifname[16];
	uint8_t family;              /* of the packet */
	uint8_t proto;               /* IPPROTO_UDP / IPPROTO_TCP */
	struct ebpfnet_flow_peer src;
	struct ebpfnet_flow_peer dst;
	bool is_response;            /* QR bit */
	bool truncated;              /* TC bit, or the copy ended early */
	uint16_t id;
	uint16_t qtype;              /* of the first question */
	uint16_t qclass;
	uint8_t rcode;
	char query[256];             /* "example.com." (escaped as dig does) */
	uint32_t ttl;                /* smallest TTL of the A/AAAA answers */
	uint32_t n_ips;              /* answers kept in ips[] */
	struct ebpfnet_flow_dns_ip ips[EBPFNET_FLOW_DNS_MAX_IPS];
	uint32_t n_cnames;
	char cnames[EBPFNET_FLOW_DNS_MAX_CNAMES][256];
	uint16_t n_answers;          /* ANCOUNT as parsed */
};

typedef int (*ebpfnet_flow_fn)(void *ctx, const struct ebpfnet_flow_record *flow);
typedef int (*ebpfnet_flow_dns_fn)(void *ctx, const struct ebpfnet_flow_dns *dns);

struct ebpfnet_flow_opts {
	size_t sz;
	const char *pin_root;          /* NULL: EBPFNET_PIN_ROOT_DEFAULT */
	ebpfnet_flow_fn on_flow;       /* records from poll() */
	ebpfnet_flow_dns_fn on_dns;    /* DNS records from poll() */
	void *ctx;
	uint32_t max_flows;            /* when the table is created: 0 = 65536 */
	/* Node-wide settings, stored with the observer: 0 keeps the current
	 * value (the default for a new observer). */
	uint32_t interval_ms;          /* interval exports: 0 = 5000 */
	uint32_t event_rate;           /* per CPU per second: 0 = 100000 */
	uint32_t idle_timeout_ms;      /* sweep of idle flows: 0 = 60000 */
	bool open_existing;            /* only adopt: ENOENT when none */
	bool no_monitor;               /* do not read other objects' events */
	bool no_events;                /* no live reading (snapshot, status) */
};

struct ebpfnet_flow;

/* Open the node's observer: adopt the pinned one or create it. NULL and
 * errno on failure: ENOENT (open_existing, none), EBUSY (another process
 * reads the live events; not with no_events), EPERM, ENOMEM... */
EBPFNET_API struct ebpfnet_flow *ebpfnet_flow_open(const struct ebpfnet_flow_opts *opts);

/* Observe ifname (TC ingress and egress). Idempotent; -ENODEV unknown
 * ifname. The attachment outlives the process. */
EBPFNET_API int ebpfnet_flow_attach(struct ebpfnet_flow *flow, const char *ifname);
/* Stop observing ifname (-ENOENT when not observed). With no interface
 * left the observer's pinned state is removed. */
EBPFNET_API int ebpfnet_flow_detach(struct ebpfnet_flow *flow, const char *ifname);

typedef int (*ebpfnet_flow_iface_fn)(void *ctx, const char *ifname, uint32_t ifindex);
EBPFNET_API int ebpfnet_flow_ifaces(const struct ebpfnet_flow *flow,
				    ebpfnet_flow_iface_fn fn, void *ctx);

/* Read events: records to on_flow / on_dns; also sweeps idle and evicted
 * flows when due. As ebpfnet_hello_poll()/consume()/fd(). -EINVAL when
 * opened with no_events. */
EBPFNET_API int ebpfnet_flow_poll(struct ebpfnet_flow *flow, int timeout_ms);
EBPFNET_API int ebpfnet_flow_consume(struct ebpfnet_flow *flow);
EBPFNET_API int ebpfnet_flow_fd(const struct ebpfnet_flow *flow);

/* Call fn for every flow in the table now (kind SNAPSHOT, initiator's
 * direction), oldest first seen first. fn returning non-zero stops the
 * walk and is returned. Works with no_events. */
EBPFNET_API int ebpfnet_flow_snapshot(const struct ebpfnet_flow *flow,
				      ebpfnet_flow_fn fn, void *ctx);

struct ebpfnet_flow_stats {
	size_t sz;
	struct ebpfnet_flow_counter seen;  /* packets through the programs */
	uint64_t not_ip;
	uint64_t malformed;
	uint64_t flows_created;
	uint64_t table_full;               /* flows that found no room */
	uint64_t events_sent;
	uint64_t events_suppressed;        /* over the in-kernel rate */
	uint64_t events_lost;              /* ring buffer full */
	uint64_t dns_sent;
	uint64_t monitor_lost;             /* other objects' events lost since open */
	uint64_t records;                  /* records delivered by this handle */
	uint64_t dns_records;
	uint64_t dns_malformed;            /* DNS messages rejected by the parser */
	uint32_t flows;                    /* in the table now */
	uint32_t max_flows;
	uint32_t interval_ms;
	uint32_t event_rate;
	uint32_t idle_timeout_ms;
};

EBPFNET_API int ebpfnet_flow_stats(const struct ebpfnet_flow *flow,
				   struct ebpfnet_flow_stats *stats);

/* Close. The pinned observer keeps running; one attached nowhere is
 * removed. NULL-safe. */
EBPFNET_API void ebpfnet_flow_destroy(struct ebpfnet_flow *flow);

/* ---- Hubble output (pure, thread-safe) --------------------------------- */

/* TEXT: one Hubble line, e.g.
 *   Nov 21 10:00:00.123: 10.0.0.1:43210 (world) -> 10.0.0.2:80 (ID:1234) to-endpoint FORWARDED (TCP Flags: SYN)
 * JSON: one object {"flow":{...},"node_name":...,"time":...} with
 * Hubble's field names plus "packets"/"bytes". node_name NULL: the
 * host name. snprintf-like return; -EINVAL on bad arguments. */
EBPFNET_API int ebpfnet_flow_format(const struct ebpfnet_flow_record *flow,
				    enum ebpfnet_format format,
				    const char *node_name, char *buf, size_t len);
EBPFNET_API int ebpfnet_flow_dns_format(const struct ebpfnet_flow_dns *dns,
					enum ebpfnet_format format,
					const char *node_name, char *buf, size_t len);

/* Parse one DNS message (wire format) into *dns (sz set by the caller;
 * the addressing fields are left as they are). -EBADMSG for a message
 * that is malformed or hostile (compression loops, lengths past the end),
 * with nothing written. Thread-safe. */
EBPFNET_API int ebpfnet_flow_dns_parse(const uint8_t *msg, size_t len,
				       struct ebpfnet_flow_dns *dns);

/* Names of the enums ("FORWARDED", "to-endpoint", "POLICY_DENIED", ...). */
EBPFNET_API const char *ebpfnet_flow_verdict_name(enum ebpfnet_flow_verdict v);
EBPFNET_API const char *ebpfnet_flow_obs_name(enum ebpfnet_flow_obs obs);
EBPFNET_API const char *ebpfnet_flow_drop_reason_name(enum ebpfnet_flow_drop_reason r);

/* ---- Prometheus metrics (Hubble's names) -------------------------------- */

/*
 * Counters fed with records: hubble_flows_processed_total{type,subtype,
 * verdict}, hubble_drop_total{reason,protocol}, hubble_tcp_flags_total
 * {flag,family}, hubble_icmp_total{family,type},
 * hubble_port_distribution_total{protocol,port},
 * hubble_dns_queries_total{rcode,qtypes,ips_returned},
 * hubble_dns_responses_total{rcode,qtypes,ips_returned},
 * ebpfnet_lost_events_total{source}. Not thread-safe: one thread feeds
 * it and serves it (the HTTP server runs in the caller's loop).
 */
struct ebpfnet_flow_metrics;

EBPFNET_API struct ebpfnet_flow_metrics *ebpfnet_flow_metrics_new(void);
EBPFNET_API void ebpfnet_flow_metrics_free(struct ebpfnet_flow_metrics *m);
EBPFNET_API int ebpfnet_flow_metrics_add_flow(struct ebpfnet_flow_metrics *m,
					      const struct ebpfnet_flow_record *flow);
EBPFNET_API int ebpfnet_flow_metrics_add_dns(struct ebpfnet_flow_metrics *m,
					     const struct ebpfnet_flow_dns *dns);
/* Set the lost-event totals from the observer's stats. */
EBPFNET_API int ebpfnet_flow_metrics_set_stats(struct ebpfnet_flow_metrics *m,
					       const struct ebpfnet_flow_stats *stats);
/* The exposition (Prometheus text format 0.0.4); snprintf-like. */
EBPFNET_API int ebpfnet_flow_metrics_format(const struct ebpfnet_flow_metrics *m,
					    char *buf, size_t len);
/* Write it to path atomically (a temporary file renamed over it), for
 * node_exporter's textfile collector. */
EBPFNET_API int ebpfnet_flow_metrics_write(const struct ebpfnet_flow_metrics *m,
					   const char *path);
/* Serve GET /metrics on "ADDR:PORT" ("127.0.0.1:9965", "[::1]:9965";
 * port 0 picks one: see ebpfnet_flow_metrics_port). No thread is started:
 * put ebpfnet_flow_metrics_fd() in your loop and call
 * ebpfnet_flow_metrics_run() when it is readable (or now and then). */
EBPFNET_API int ebpfnet_flow_metrics_listen(struct ebpfnet_flow_metrics *m,
					    const char *listen);
EBPFNET_API int ebpfnet_flow_metrics_port(const struct ebpfnet_flow_metrics *m);
EBPFNET_API int ebpfnet_flow_metrics_fd(const struct ebpfnet_flow_metrics *m);
EBPFNET_API int ebpfnet_flow_metrics_run(struct ebpfnet_flow_metrics *m);

/* ---- service map --------------------------------------------------------- */

/* Who talks to whom: nodes are peers (address, or labels when known),
 * edges carry protocol/port, packets, bytes and verdicts. Not thread-safe. */
struct ebpfnet_flow_map;

EBPFNET_API struct ebpfnet_flow_map *ebpfnet_flow_map_new(void);
EBPFNET_API void ebpfnet_flow_map_free(struct ebpfnet_flow_map *map);
EBPFNET_API int ebpfnet_flow_map_add(struct ebpfnet_flow_map *map,
				     const struct ebpfnet_flow_record *flow);
/* Graphviz DOT; snprintf-like. */
EBPFNET_API int ebpfnet_flow_map_dot(const struct ebpfnet_flow_map *map,
				     char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EBPFNET_FLOW_H */
