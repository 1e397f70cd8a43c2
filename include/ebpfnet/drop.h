/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: the XDP packet filter ("packet of death" mitigation). One rule
 * table per node (per pin root), shared by every interface the filter is
 * attached to; rules change at run time, atomically as seen by packets.
 *
 *     open(opts) -> attach(ifname) / add(rule) / del(id) / stats ...
 *     -> destroy()  (the pinned filter keeps running)
 *
 * One handle, one thread at a time; different handles (and processes) may
 * change the same node's rules: changes are serialized by a lock on the
 * pin directory.
 */
#ifndef EBPFNET_DROP_H
#define EBPFNET_DROP_H

#include <ebpfnet/core.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ebpfnet_drop_action {
	EBPFNET_DROP_ACTION_DROP = 0,  /* drop the packet */
	EBPFNET_DROP_ACTION_PASS = 1,  /* an exception: beats every drop */
	EBPFNET_DROP_ACTION_COUNT = 2, /* monitor only: count, then go on */
};

/* ebpfnet_drop_rule.match: which fields of the rule are set. A rule
 * matches a packet when every field it sets matches. */
#define EBPFNET_DROP_MATCH_FAMILY (1u << 0)    /* family: AF_INET or AF_INET6 */
#define EBPFNET_DROP_MATCH_PROTO (1u << 1)     /* proto: IPPROTO_* (any number) */
#define EBPFNET_DROP_MATCH_ICMP_TYPE (1u << 2) /* icmp_type (ICMP or ICMPv6) */
#define EBPFNET_DROP_MATCH_ICMP_CODE (1u << 3) /* icmp_code */
#define EBPFNET_DROP_MATCH_SRC (1u << 4)       /* src prefix */
#define EBPFNET_DROP_MATCH_DST (1u << 5)       /* dst prefix */
#define EBPFNET_DROP_MATCH_SPORT (1u << 6)     /* sport (TCP, UDP, SCTP) */
#define EBPFNET_DROP_MATCH_DPORT (1u << 7)     /* dport */
#define EBPFNET_DROP_MATCH_SIG (1u << 8)       /* byte signature */

#define EBPFNET_DROP_SIG_MAX 16 /* bytes of a signature */

/* An IPv4 or IPv6 prefix; addr in network byte order (4 or 16 bytes). */
struct ebpfnet_drop_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;    /* prefix length: 0..32 or 0..128 */
	uint8_t addr[16];
};

/* Where a signature's offset counts from. */
enum ebpfnet_drop_sig_base {
	EBPFNET_DROP_SIG_L3 = 0, /* the IPv4/IPv6 header */
	EBPFNET_DROP_SIG_L4 = 1, /* the L4 header (after IPv6 extension headers) */
};

/* One rule. Declare with EBPFNET_OPTS (it starts with sz). */
struct ebpfnet_drop_rule {
	size_t sz;
	uint32_t id;                      /* set by ebpfnet_drop_add() */
	enum ebpfnet_drop_action action;
	uint32_t match;                   /* EBPFNET_DROP_MATCH_* */
	uint8_t family;                   /* AF_INET, AF_INET6 */
	uint8_t proto;                    /* IPPROTO_ICMP, IPPROTO_TCP, ... */
	uint8_t icmp_type;
	uint8_t icmp_code;
	struct ebpfnet_drop_prefix src;
	struct ebpfnet_drop_prefix dst;
	uint16_t sport;                   /* host byte order */
	uint16_t dport;                   /* host byte order */
	enum ebpfnet_drop_sig_base sig_base;
	uint16_t sig_offset;              /* bytes from the base, 0..1500 */
	uint8_t sig_len;                  /* 1..EBPFNET_DROP_SIG_MAX */
	uint8_t sig_value[EBPFNET_DROP_SIG_MAX];
	uint8_t sig_mask[EBPFNET_DROP_SIG_MAX]; /* 0xff: compare the whole byte */
};

/* What non-first IP fragments (which carry no L4 header) meet. */
enum ebpfnet_drop_frag_policy {
	/* rules that need no L4 field (family, proto, prefixes, L3
	 * signatures) apply; rules with ports, ICMP fields or an L4 signature
	 * never match a non-first fragment */
	EBPFNET_DROP_FRAG_INSPECT = 0,
	EBPFNET_DROP_FRAG_DROP = 1,   /* every non-first fragment is dropped */
	EBPFNET_DROP_FRAG_PASS = 2,   /* every non-first fragment goes on unmatched */
};

/* What packets the parser cannot follow meet (truncated headers, bad IHL,
 * too many IPv6 extension headers). They are counted either way. */
enum ebpfnet_drop_malformed_policy {
	EBPFNET_DROP_MALFORMED_PASS = 0,
	EBPFNET_DROP_MALFORMED_DROP = 1,
};

/* One sampled dropped packet. Pointers valid during the callback only. */
#define EBPFNET_DROP_EVENT_BYTES 128
struct ebpfnet_drop_event {
	size_t sz;
	uint64_t time_ns;        /* wall clock, ns since the epoch */
	uint32_t ifindex;        /* where it arrived */
	uint32_t rule_id;        /* the rule that dropped it; 0: a policy */
	uint32_t reason;         /* enum ebpfnet_drop_reason */
	uint32_t pkt_len;        /* the packet's length */
	uint32_t cap_len;        /* bytes in data[] */
	const uint8_t *data;     /* the first cap_len bytes, from Ethernet */
};

enum ebpfnet_drop_reason {
	EBPFNET_DROP_REASON_RULE = 0,      /* a drop rule */
	EBPFNET_DROP_REASON_FRAGMENT = 1,  /* EBPFNET_DROP_FRAG_DROP */
	EBPFNET_DROP_REASON_MALFORMED = 2, /* EBPFNET_DROP_MALFORMED_DROP */
};

typedef int (*ebpfnet_drop_event_fn)(void *ctx,
				     const struct ebpfnet_drop_event *event);

struct ebpfnet_drop_opts {
	size_t sz;
	const char *pin_root;         /* NULL: EBPFNET_PIN_ROOT_DEFAULT */
	ebpfnet_drop_event_fn on_event;
	void *ctx;
	uint32_t max_rules;           /* when the table is created: 0 = 16384 */
	bool open_existing;           /* only adopt: ENOENT when there is no filter */
};

struct ebpfnet_drop;

/* Open the node's filter under pin_root: adopt the pinned one (rules,
 * counters, attachments) or create it (not with open_existing: ENOENT).
 * NULL with errno set on failure. */
EBPFNET_API struct ebpfnet_drop *
ebpfnet_drop_open(const struct ebpfnet_drop_opts *opts);

/* Attach the filter to ifname (XDP; AUTO = native, falling back to
 * generic). Idempotent for the same mode; -EBUSY when another XDP program
 * not managed by libebpfnet holds the interface; -ENODEV unknown ifname.
 * The attachment is pinned: it outlives the process. */
EBPFNET_API int ebpfnet_drop_attach(struct ebpfnet_drop *drop,
				    const char *ifname,
				    enum ebpfnet_xdp_mode mode);

/* Detach from ifname. When no interface is left, the filter's pinned
 * state (program, rules, counters) is removed too: nothing stays behind. */
EBPFNET_API int ebpfnet_drop_detach(struct ebpfnet_drop *drop,
				    const char *ifname);

/* The XDP mode the filter runs in on ifname, or a negative errno
 * (-ENOENT: not attached there). */
EBPFNET_API int ebpfnet_drop_mode(const struct ebpfnet_drop *drop,
				  const char *ifname);

/* Add a rule; its id goes to *id (and rule->id is not written). -EEXIST
 * for a rule with the same match as an existing one, -ENOSPC when the
 * table is full, -EINVAL for a malformed rule (reason logged). */
EBPFNET_API int ebpfnet_drop_add(struct ebpfnet_drop *drop,
				 const struct ebpfnet_drop_rule *rule,
				 uint32_t *id);

/* Delete a rule by id (-ENOENT when there is none). */
EBPFNET_API int ebpfnet_drop_del(struct ebpfnet_drop *drop, uint32_t id);

/* Counters of one rule, or of the whole filter. Per-CPU counters summed.
 * Declare with EBPFNET_OPTS. */
struct ebpfnet_drop_counters {
	size_t sz;
	uint64_t packets;
	uint64_t bytes;
};

/* Call fn for every rule (in id order) with its counters. fn returning
 * non-zero stops the walk and is returned. */
typedef int (*ebpfnet_drop_rule_fn)(void *ctx,
				    const struct ebpfnet_drop_rule *rule,
				    const struct ebpfnet_drop_counters *counters);
EBPFNET_API int ebpfnet_drop_rules(const struct ebpfnet_drop *drop,
				   ebpfnet_drop_rule_fn fn, void *ctx);

struct ebpfnet_drop_stats {
	size_t sz;
	struct ebpfnet_drop_counters dropped;   /* by a drop rule or a policy */
	struct ebpfnet_drop_counters passed;    /* by a pass rule */
	struct ebpfnet_drop_counters counted;   /* matched a count rule */
	struct ebpfnet_drop_counters unmatched; /* no rule: went on */
	struct ebpfnet_drop_counters fragments; /* non-first fragments seen */
	struct ebpfnet_drop_counters malformed; /* could not be parsed */
	uint64_t events_sent;                   /* sampled drop events */
	uint64_t events_suppressed;             /* over the in-kernel rate */
	uint64_t events_lost;                   /* ring buffer full */
	uint32_t rules;                         /* rules in the table */
	uint32_t max_rules;
};

EBPFNET_API int ebpfnet_drop_stats(const struct ebpfnet_drop *drop,
				   struct ebpfnet_drop_stats *stats);

/* Node-wide settings (pinned with the rules). */
EBPFNET_API int ebpfnet_drop_set_frag_policy(struct ebpfnet_drop *drop,
					     enum ebpfnet_drop_frag_policy policy);
EBPFNET_API int ebpfnet_drop_set_malformed_policy(
	struct ebpfnet_drop *drop, enum ebpfnet_drop_malformed_policy policy);
/* Sampled drop events: at most `per_sec` per CPU per second (0: none). */
EBPFNET_API int ebpfnet_drop_set_event_rate(struct ebpfnet_drop *drop,
					    uint32_t per_sec);

/* Interfaces the filter is attached to: fn(ctx, ifname, ifindex, mode). */
typedef int (*ebpfnet_drop_iface_fn)(void *ctx, const char *ifname,
				     uint32_t ifindex,
				     enum ebpfnet_xdp_mode mode);
EBPFNET_API int ebpfnet_drop_ifaces(const struct ebpfnet_drop *drop,
				    ebpfnet_drop_iface_fn fn, void *ctx);

/* Sampled drop events through on_event; as ebpfnet_hello_poll/consume/fd. */
EBPFNET_API int ebpfnet_drop_poll(struct ebpfnet_drop *drop, int timeout_ms);
EBPFNET_API int ebpfnet_drop_consume(struct ebpfnet_drop *drop);
EBPFNET_API int ebpfnet_drop_fd(const struct ebpfnet_drop *drop);

/*
 * Rule text, as the CLI takes it: argv words such as
 *   proto icmp icmp-type echo-request
 *   src 10.0.0.0/8 dst 2001:db8::/32
 *   dst-port 53 proto udp
 *   sig l4+8:deadbeef/ffffffff        (offset, hex value, optional hex mask)
 *   family ipv6   action count
 * into *rule (which the caller declared with EBPFNET_OPTS). On a bad word,
 * -EINVAL and a one-line reason in err (errlen bytes). Thread-safe.
 */
EBPFNET_API int ebpfnet_drop_rule_parse(int argc, const char *const *argv,
					struct ebpfnet_drop_rule *rule,
					char *err, size_t errlen);

/* A rule as the words rule_parse() takes (TEXT) or one JSON object
 * (JSON); a drop event likewise. snprintf-like returns. Thread-safe. */
EBPFNET_API int ebpfnet_drop_rule_format(const struct ebpfnet_drop_rule *rule,
					 enum ebpfnet_format format, char *buf,
					 size_t len);
EBPFNET_API int ebpfnet_drop_event_format(const struct ebpfnet_drop_event *event,
					  enum ebpfnet_format format, char *buf,
					  size_t len);

/* Close the handle. The pinned filter keeps running; a filter with no
 * rule and no interface (nothing to keep) is removed. NULL-safe. */
EBPFNET_API void ebpfnet_drop_destroy(struct ebpfnet_drop *drop);

#ifdef __cplusplus
}
#endif

#endif /* EBPFNET_DROP_H */
