/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: identity-based network policy, stateful and default-deny, in
 * Cilium's model. Endpoints are workloads' interfaces (the host-side end
 * of their veth) with addresses and labels; a label set gives a numeric
 * identity (the same labels, the same number, on every restart); rules
 * select endpoints and peers by labels, CIDRs or entities and are written
 * as CiliumNetworkPolicy or Kubernetes NetworkPolicy YAML. The datapath
 * (TC on each endpoint's interface) decides a new connection with a fixed
 * number of hash lookups, then tracks it.
 *
 *     open(opts) -> endpoint_add(...) / apply(yaml) / delete(name) ...
 *     -> poll() verdicts -> destroy()   (the pinned policy keeps running)
 *
 * One node-wide state per pin root (<pin_root>/policy), shared by every
 * process: changes are serialized by a lock on the pin directory, and
 * every change is atomic as seen by packets. One handle, one thread at a
 * time.
 */
#ifndef EBPFNET_POLICY_H
#define EBPFNET_POLICY_H

#include <ebpfnet/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reserved identities (Cilium's numbers). */
#define EBPFNET_POLICY_ID_HOST 1
#define EBPFNET_POLICY_ID_WORLD 2

enum ebpfnet_policy_dir {
	EBPFNET_POLICY_INGRESS = 0, /* traffic to the endpoint */
	EBPFNET_POLICY_EGRESS = 1,  /* traffic from the endpoint */
};

enum ebpfnet_policy_verdict {
	EBPFNET_POLICY_ALLOWED = 1,
	EBPFNET_POLICY_DENIED = 2,
};

/* What decided, as Cilium's match types. */
enum ebpfnet_policy_match {
	EBPFNET_POLICY_MATCH_NONE = 0,    /* no rule: default deny, or not enforced */
	EBPFNET_POLICY_MATCH_L3_ONLY = 1, /* the peer, any port */
	EBPFNET_POLICY_MATCH_L3_L4 = 2,   /* the peer and the port */
	EBPFNET_POLICY_MATCH_L4_ONLY = 3, /* any peer, the port */
	EBPFNET_POLICY_MATCH_ALL = 4,     /* any peer, any port */
};

/* An address with its family (network order, IPv4 in the first 4 bytes). */
struct ebpfnet_policy_addr {
	uint8_t family;                   /* AF_INET / AF_INET6 */
	uint8_t addr[16];
};

#define EBPFNET_POLICY_MAX_ADDRS 8

/* An endpoint as listed. Pointers valid during the callback. */
struct ebpfnet_policy_endpoint {
	size_t sz;
	char ifname[16];
	uint32_t ifindex;
	uint32_t identity;
	const char *labels;               /* canonical "k=v,k=v" (sorted) */
	uint32_t n_addrs;
	struct ebpfnet_policy_addr addrs[EBPFNET_POLICY_MAX_ADDRS];
	bool ingress_enforced;            /* some rule selects it for ingress */
	bool egress_enforced;
	uint32_t policy_entries;          /* datapath entries compiled for it */
};

/* A policy as listed. */
struct ebpfnet_policy_info {
	size_t sz;
	const char *name;                 /* "namespace/name" */
	const char *kind;                 /* "CiliumNetworkPolicy", "NetworkPolicy" */
	uint32_t first_rule;              /* its rules: first_rule .. + n_rules - 1 */
	uint32_t n_rules;
	uint32_t endpoints;               /* endpoints it selects now */
	const char *yaml;                 /* the document as applied */
};

/* One rule (an ingress/egress/ingressDeny/egressDeny element) with its
 * counters. */
struct ebpfnet_policy_rule_info {
	size_t sz;
	uint32_t id;
	const char *policy;               /* "namespace/name" */
	enum ebpfnet_policy_dir dir;
	bool deny;
	const char *text;                 /* a one-line summary */
	uint64_t allowed;                 /* connections it allowed */
	uint64_t denied;                  /* packets it denied */
	uint64_t denied_bytes;
};

/* One verdict event. */
struct ebpfnet_policy_verdict_event {
	size_t sz;
	uint64_t time_ns;                 /* wall clock */
	uint32_t ifindex;
	char ifname[16];
	enum ebpfnet_policy_verdict verdict;
	enum ebpfnet_policy_dir dir;
	enum ebpfnet_policy_match match;
	uint32_t rule_id;                 /* 0: default deny */
	uint32_t ep_identity;
	uint32_t peer_identity;
	uint8_t family;                   /* AF_INET / AF_INET6 */
	uint8_t proto;
	uint8_t tcp_flags;
	bool reeval;                      /* a tracked connection decided again */
	struct ebpfnet_policy_addr src;
	struct ebpfnet_policy_addr dst;
	uint16_t sport;                   /* host order */
	uint16_t dport;
	uint32_t pkt_len;
};

typedef int (*ebpfnet_policy_verdict_fn)(void *ctx,
					 const struct ebpfnet_policy_verdict_event *v);

struct ebpfnet_policy_opts {
	size_t sz;
	const char *pin_root;             /* NULL: EBPFNET_PIN_ROOT_DEFAULT */
	ebpfnet_policy_verdict_fn on_verdict;
	void *ctx;
	uint32_t max_entries;             /* policy map, when created: 0 = 262144 */
	uint32_t max_conns;               /* connection table, when created: 0 = 262144 */
	bool open_existing;               /* only adopt: ENOENT when none */
};

struct ebpfnet_policy;

EBPFNET_API struct ebpfnet_policy *
ebpfnet_policy_open(const struct ebpfnet_policy_opts *opts);

/* Add (or replace) the endpoint on ifname (the host side of its veth):
 * its addresses ("10.0.1.2", "fd00::2"; 1..EBPFNET_POLICY_MAX_ADDRS) and
 * labels ("app=web,tier=front"; keys may carry a source, "k8s:app=web";
 * without a k8s:io.kubernetes.pod.namespace label it is in namespace
 * "default"). Attaches the TC programs. -ENODEV unknown ifname, -EINVAL
 * malformed address or labels (reason logged), -EEXIST an address that
 * another endpoint has. */
EBPFNET_API int ebpfnet_policy_endpoint_add(struct ebpfnet_policy *pol,
					    const char *ifname,
					    const char *const *addrs,
					    size_t n_addrs, const char *labels);
/* Remove the endpoint (detaches; its connections are forgotten). With no
 * endpoint and no policy left, the pinned state is removed. */
EBPFNET_API int ebpfnet_policy_endpoint_del(struct ebpfnet_policy *pol,
					    const char *ifname);
typedef int (*ebpfnet_policy_endpoint_fn)(void *ctx,
					  const struct ebpfnet_policy_endpoint *ep);
EBPFNET_API int ebpfnet_policy_endpoints(const struct ebpfnet_policy *pol,
					 ebpfnet_policy_endpoint_fn fn, void *ctx);

/* Apply YAML text holding one or more documents (CiliumNetworkPolicy
 * cilium.io/v2, NetworkPolicy networking.k8s.io/v1); each replaces the
 * policy of the same namespace/name. All or nothing: on any error
 * nothing changes, -EINVAL, and err gets one line naming the field and
 * its line ("line 12: toPorts[0].rules: not supported"). Connections a
 * changed policy no longer allows are cut at their next packet. */
EBPFNET_API int ebpfnet_policy_apply(struct ebpfnet_policy *pol,
				     const char *yaml, size_t len,
				     char *err, size_t errlen);
/* Delete a policy by "namespace/name" (or "name" in "default"). */
EBPFNET_API int ebpfnet_policy_delete(struct ebpfnet_policy *pol, const char *name);

typedef int (*ebpfnet_policy_info_fn)(void *ctx,
				      const struct ebpfnet_policy_info *info);
EBPFNET_API int ebpfnet_policy_list(const struct ebpfnet_policy *pol,
				    ebpfnet_policy_info_fn fn, void *ctx);
typedef int (*ebpfnet_policy_rule_fn)(void *ctx,
				      const struct ebpfnet_policy_rule_info *rule);
EBPFNET_API int ebpfnet_policy_rules(const struct ebpfnet_policy *pol,
				     ebpfnet_policy_rule_fn fn, void *ctx);

/*
 * Explain what the node's policy decides for a new connection, like
 * `cilium policy trace`. from/to: a label list ("app=web") or an address
 * ("10.0.1.2", resolved to its identity as the datapath would); proto
 * IPPROTO_TCP/UDP/SCTP/ICMP/ICMPV6; dport host order (0 for ICMP). The
 * verdict goes to *verdict (both the source's egress and the
 * destination's ingress must allow), the explanation (several lines) to
 * buf (snprintf-like return; -EINVAL for malformed from/to).
 */
EBPFNET_API int ebpfnet_policy_trace(const struct ebpfnet_policy *pol,
				     const char *from, const char *to,
				     uint8_t proto, uint16_t dport,
				     enum ebpfnet_policy_verdict *verdict,
				     char *buf, size_t len);

/* The identity of a label set ("app=web,tier=front"), as endpoint_add
 * would give it. Pure; thread-safe. */
EBPFNET_API int ebpfnet_policy_identity(const char *labels, uint32_t *identity);

struct ebpfnet_policy_stats {
	size_t sz;
	uint64_t seen;
	uint64_t not_ip;
	uint64_t not_endpoint;
	uint64_t malformed;
	uint64_t tracked;                 /* passed by the connection table */
	uint64_t tracked_replies;
	uint64_t unenforced;
	uint64_t allowed;                 /* new connections allowed by a rule */
	uint64_t denied;                  /* packets denied */
	uint64_t reevaluated;
	uint64_t reevaluated_denied;
	uint64_t conn_table_full;
	uint64_t events_sent;
	uint64_t events_suppressed;
	uint64_t events_lost;
	uint32_t endpoints;
	uint32_t policies;
	uint32_t rules;
	uint32_t identities;
	uint32_t policy_entries;          /* in the active banks */
	uint32_t max_entries;
	uint32_t conns;                   /* tracked connections now */
	uint32_t max_conns;
};
EBPFNET_API int ebpfnet_policy_stats(const struct ebpfnet_policy *pol,
				     struct ebpfnet_policy_stats *stats);

/* Verdict events per CPU per second (0: none); allowed: also the
 * ALLOWED verdicts (denied ones are always sent). */
EBPFNET_API int ebpfnet_policy_set_events(struct ebpfnet_policy *pol,
					  uint32_t per_sec, bool allowed);

/* Verdict events through on_verdict; as ebpfnet_hello_poll/consume/fd. */
EBPFNET_API int ebpfnet_policy_poll(struct ebpfnet_policy *pol, int timeout_ms);
EBPFNET_API int ebpfnet_policy_consume(struct ebpfnet_policy *pol);
EBPFNET_API int ebpfnet_policy_fd(const struct ebpfnet_policy *pol);

/* A verdict as one Hubble-like text line or one JSON object;
 * snprintf-like. Thread-safe. */
EBPFNET_API int ebpfnet_policy_verdict_format(
	const struct ebpfnet_policy_verdict_event *v,
	enum ebpfnet_format format, char *buf, size_t len);

/* Close. The pinned policy keeps running; one with no endpoint and no
 * policy is removed. NULL-safe. */
EBPFNET_API void ebpfnet_policy_destroy(struct ebpfnet_policy *pol);

#ifdef __cplusplus
}
#endif

#endif /* EBPFNET_POLICY_H */
