/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: the network policy datapath, two TC (clsact) programs on the
 * host-side interface of each endpoint. policy_abi.h's top comment is the
 * algorithm; this file follows it step by step. Choices it leaves open:
 *
 *  - Packet access: parse_skb.h (direct packet access; the headers are
 *    pulled into the linear part only when they are not there already;
 *    paged payload and GSO packets are never linearized).
 *  - Malformed IP (the parser cannot follow it) is dropped, counted: the
 *    policy is a security boundary and a packet it cannot classify must
 *    not slip through. Non-IP frames pass, counted; so does IPv6
 *    neighbour discovery (ICMPv6 133..137), which the endpoint needs.
 *  - Connection tracking key: the first packet's tuple and ifindex; for
 *    ICMP/ICMPv6 echo the identifier is both ports, so an echo reply is a
 *    reply; other ICMP and protocols without ports use 0, 0. A non-first
 *    fragment has no ports: it is tracked and decided as port 0 (it
 *    matches only L3 and any-port entries).
 *  - ICMP errors (IPv4 dest unreachable, time exceeded, parameter
 *    problem; ICMPv6 1..4) whose embedded packet belongs to a tracked,
 *    current connection pass as replies (the embedded IPv4 header may
 *    have options; an embedded IPv6 header must be followed directly by
 *    TCP/UDP/SCTP/ICMPv6, otherwise the error is decided by policy).
 *  - TCP state: a reply with ACK marks the connection established; FIN
 *    each way and RST close it (closing timeout); a SYN in the original
 *    direction of a closed connection opens it again.
 *  - A tracked connection decided again after a policy change is decided
 *    in its original direction, peer and port taken from the key; its
 *    verdict event carries that direction and reeval = 1.
 *  - policy_ct is an LRU: when it is full, an insert evicts the least
 *    recently used connection rather than failing. POLICY_STAT_CT_FULL
 *    counts the inserts that fail all the same (memory pressure).
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "policy_abi.h"
#include "parse_skb.h"
#include "event_budget.h"
#include "monitor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps (their names are the pinned layout) ---------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct policy_endpoint);
} policy_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY_DEFAULT_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
} policy_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_ipcache4_key);
	__type(value, struct policy_ipcache_value);
} policy_ipcache4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_ipcache6_key);
	__type(value, struct policy_ipcache_value);
} policy_ipcache6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLICY_DEFAULT_MAX_CONNS);
	__type(key, struct policy_ct_key);
	__type(value, struct policy_ct_value);
} policy_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct policy_config);
} policy_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, POLICY_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} policy_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, POLICY_MAX_RULES + 1);
	__type(key, __u32);
	__type(value, struct policy_rule_counter);
} policy_rule_counters SEC(".maps");

/* Per CPU, per program instance: never pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_budget);
} policy_event_budget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} policy_events SEC(".maps");

/* The library's own state: never read here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct policy_identity_rec);
} policy_identities SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct policy_ep_meta);
} policy_epmeta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY_MAX_DOCS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct policy_doc_key);
	__type(value, struct policy_doc);
} policy_docs SEC(".maps");

/*
 * The parsed packet. In a map rather than on the stack so that the
 * verifier does not track its values: it checks what follows the parser
 * once, not once per parser path (VLAN tags, IPv4 options, IPv6
 * extension headers). Per program instance: never pinned (the library
 * pins the maps named policy_*, hence the other name).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pkt);
} parse_scratch SEC(".maps");

/* ---- small helpers --------------------------------------------------------- */

#define NS_PER_SEC 1000000000ull
#define CT_SYN_NS (60 * NS_PER_SEC)
#define CT_TCP_NS (6 * 3600 * NS_PER_SEC)
#define CT_CLOSING_NS (10 * NS_PER_SEC)
#define CT_OTHER_NS (60 * NS_PER_SEC)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP6_ERROR_MAX 4      /* 1..4: unreachable .. parameter problem */
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_ND_FIRST 133     /* router solicitation .. redirect */
#define ICMP6_ND_LAST 137

#define ETH_HDR_LEN 14
#define IP4_HDR_LEN 20
#define IP6_HDR_LEN 40

/* A load the compiler must really do from the scratch map. */
#define SCRATCH(field) (*(volatile __typeof__(field) *)&(field))

static __always_inline void stat_inc(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&policy_stats, &stat);

	if (v) /* per-CPU: no other writer */
		*v += 1;
}

static __always_inline int is_port_proto(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

static __always_inline int is_echo(__u8 family, __u8 proto, __u8 type)
{
	if (family == PKT_FAMILY_IPV4)
		return proto == IPPROTO_ICMP &&
		       (type == ICMP_ECHO_REQUEST || type == ICMP_ECHO_REPLY);
	return proto == IPPROTO_ICMPV6 &&
	       (type == ICMP6_ECHO_REQUEST || type == ICMP6_ECHO_REPLY);
}

static __always_inline int is_icmp_error(__u8 family, __u8 proto, __u8 type)
{
	if (family == PKT_FAMILY_IPV4)
		return proto == IPPROTO_ICMP &&
		       (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
			type == ICMP_PARAM_PROBLEM);
	return proto == IPPROTO_ICMPV6 && type >= 1 && type <= ICMP6_ERROR_MAX;
}

static __always_inline __u64 or_default(__u64 v, __u64 def)
{
	return v ? v : def;
}

/* The 16-bit word at l4_off + at (ICMP echo identifier: at = 4), 0 when
 * it lies past the packet. */
static __always_inline __be16 l4_word(struct __sk_buff *skb, __u32 l4_off,
				      __u32 at)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *w;

	if (l4_off > PARSE_MAX_HDR_OFF)
		return 0;
	w = data + l4_off + at;
	if ((void *)(w + 2) > data_end)
		return 0;
	return *(__be16 *)w;
}

/* ---- connection tracking --------------------------------------------------- */

static __always_inline void ct_key_reverse(struct policy_ct_key *r,
					   const struct policy_ct_key *k)
{
	r->ifindex = k->ifindex;
	r->family = k->family;
	r->proto = k->proto;
	r->sport = k->dport;
	r->dport = k->sport;
	r->pad = 0;
	__builtin_memcpy(r->saddr, k->daddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, k->saddr, sizeof(r->daddr));
}

/* A live entry (not past its expiry) for *k, or NULL. */
static __always_inline struct policy_ct_value *ct_find(struct policy_ct_key *k,
						       __u64 now)
{
	struct policy_ct_value *v = bpf_map_lookup_elem(&policy_ct, k);

	if (v && v->expires_ns <= now)
		return NULL;
	return v;
}

static __always_inline __u64 ct_timeout(const struct policy_config *c,
					__u8 proto, __u8 state)
{
	if (proto != IPPROTO_TCP)
		return or_default(c->ct_other_ns, CT_OTHER_NS);
	if ((state & POLICY_CT_RST) ||
	    (state & (POLICY_CT_FIN_ORIG | POLICY_CT_FIN_REPLY)) ==
		    (POLICY_CT_FIN_ORIG | POLICY_CT_FIN_REPLY))
		return or_default(c->ct_closing_ns, CT_CLOSING_NS);
	if (state & POLICY_CT_SYNACK_REPLY)
		return or_default(c->ct_tcp_ns, CT_TCP_NS);
	return or_default(c->ct_syn_ns, CT_SYN_NS);
}

/* The TCP state after a packet with `flags` (reply: against the
 * connection's first direction). */
static __always_inline __u8 ct_next_state(__u8 state, __u8 flags, int reply)
{
	if (flags & TCP_RST)
		return state | POLICY_CT_RST;
	if (!reply && (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
	    (state & (POLICY_CT_RST | POLICY_CT_FIN_ORIG | POLICY_CT_FIN_REPLY)))
		return POLICY_CT_SYN_ORIG; /* the tuple is used again */
	if (!reply && (flags & TCP_SYN))
		state |= POLICY_CT_SYN_ORIG;
	if (reply && (flags & TCP_ACK))
		state |= POLICY_CT_SYNACK_REPLY;
	if (flags & TCP_FIN)
		state |= reply ? POLICY_CT_FIN_REPLY : POLICY_CT_FIN_ORIG;
	return state;
}

/* A tracked packet: state followed, timeout refreshed. */
static __always_inline void ct_refresh(struct policy_ct_value *v,
				       const struct policy_config *c,
				       __u8 proto, __u8 flags, int reply,
				       __u64 now)
{
	__u8 state = v->state;

	if (proto == IPPROTO_TCP) {
		state = ct_next_state(state, flags, reply);
		v->state = state;
	}
	v->expires_ns = now + ct_timeout(c, proto, state);
	__sync_fetch_and_add(&v->packets, 1);
}

/* ---- the policy lookup ----------------------------------------------------- */

struct decision {
	__u32 rule_id;
	__u32 peer_identity;
	__u8 allowed;
	__u8 match;  /* POLICY_MATCH_* */
};

/* The identity of addr (the most specific ipcache prefix; world when
 * none holds it). */
static __always_inline __u32 peer_identity(__u8 family, const __be32 *addr)
{
	struct policy_ipcache_value *v;

	if (family == PKT_FAMILY_IPV4) {
		struct policy_ipcache4_key k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, addr, 4);
		v = bpf_map_lookup_elem(&policy_ipcache4, &k4);
	} else {
		struct policy_ipcache6_key k6 = { .prefixlen = 128 };

		__builtin_memcpy(k6.addr, addr, 16);
		v = bpf_map_lookup_elem(&policy_ipcache6, &k6);
	}
	return v ? v->identity : POLICY_ID_WORLD;
}

/*
 * One identity's answer: the most specific entry of the active bank,
 * port prefixes 16 down to 0, then L3, only the lengths in use (`lens`).
 * A global function: the verifier checks it once, on its own, and its
 * caller sees an unknown result (not one state per prefix length found).
 * Scalars only (what 5.10 accepts in a global function):
 *   shape: bank | dir << 8 | proto << 16 | has_port << 24
 * Returns 0 (no entry) or LOOKUP_FOUND | rule id | plen << 32 | deny << 40.
 */
#define LOOKUP_FOUND (1ull << 48)
#define LOOKUP_RULE(r) ((__u32)(r))
#define LOOKUP_PLEN(r) ((__u32)((r) >> 32) & 0xff)
#define LOOKUP_DENY(r) (((r) >> 40) & 1)

__noinline __u64 policy_lookup_identity(__u32 ep_id, __u32 identity,
					__u32 shape, __u32 lens, __u32 port)
{
	struct policy_key k = {
		.ep_id = ep_id,
		.identity = identity,
		.bank = shape & 0xff,
		.dir = (shape >> 8) & 0xff,
	};
	__u8 proto = (shape >> 16) & 0xff, has_port = (shape >> 24) & 1;
	struct policy_entry *e;
	__u32 i;

	for (i = 0; i < POLICY_PLEN_BITS; i++) {
		__u32 plen = i < POLICY_PLEN_L3 ? POLICY_PLEN_L3 - 1 - i :
						  POLICY_PLEN_L3;

		if (!(lens & (1u << plen)))
			continue;
		if (plen == POLICY_PLEN_L3) {
			k.proto = 0;
			k.port = 0;
		} else if (plen == 0) {
			k.proto = proto;
			k.port = 0;
		} else {
			if (!has_port)
				continue;
			k.proto = proto;
			k.port = port & (__u16)(0xffff << (16 - plen));
		}
		k.plen = plen;
		e = bpf_map_lookup_elem(&policy_map, &k);
		if (e)
			return LOOKUP_FOUND | e->rule_id | (__u64)plen << 32 |
			       (__u64)(e->deny & 1) << 40;
	}
	return 0;
}

/* The decision for a connection in direction `dir` with the peer at
 * peer_addr: deny from either identity > allow > default deny. */
static __always_inline void decide(const struct policy_endpoint *ep, __u8 dir,
				   __u8 family, const __be32 *peer_addr,
				   __u8 proto, int has_port, __u16 port,
				   struct decision *d)
{
	__u32 shape = ep->bank | (__u32)dir << 8 | (__u32)proto << 16 |
		      (__u32)(has_port ? 1 : 0) << 24;
	__u64 peer, any = 0, r;

	d->peer_identity = peer_identity(family, peer_addr);
	peer = policy_lookup_identity(ep->ep_id, d->peer_identity, shape,
				      ep->lens[dir & 1][0], port);
	/* a peer deny decides: the any-peer answer cannot change it */
	if (!(peer & LOOKUP_FOUND) || !LOOKUP_DENY(peer))
		any = policy_lookup_identity(ep->ep_id, POLICY_ID_ANY, shape,
					     ep->lens[dir & 1][1], port);

	/* deny from either > the peer's allow > the any-peer allow */
	if ((peer & LOOKUP_FOUND) &&
	    (LOOKUP_DENY(peer) || !(any & LOOKUP_FOUND) || !LOOKUP_DENY(any))) {
		r = peer;
		d->match = LOOKUP_PLEN(r) == POLICY_PLEN_L3 ?
			POLICY_MATCH_L3_ONLY : POLICY_MATCH_L3_L4;
	} else if (any & LOOKUP_FOUND) {
		r = any;
		d->match = LOOKUP_PLEN(r) == POLICY_PLEN_L3 ?
			POLICY_MATCH_ALL : POLICY_MATCH_L4_ONLY;
	} else {
		d->allowed = 0;
		d->rule_id = 0;
		d->match = POLICY_MATCH_NONE;
		return;
	}
	d->allowed = !LOOKUP_DENY(r);
	d->rule_id = LOOKUP_RULE(r);
}

/* ---- verdicts: counters and events ------------------------------------- */

static __always_inline void send_verdict(struct __sk_buff *skb,
					 const struct policy_config *c,
					 const struct policy_endpoint *ep,
					 const struct policy_ct_key *k,
					 __u8 tcp_flags, __u8 dir,
					 const struct decision *d, __u8 reeval)
{
	struct policy_verdict_event e;
	struct event_budget *b;
	__u32 zero = 0;

	/* rate 0: events are off (not suppressed) */
	if (!c->event_rate || (d->allowed && !c->allowed_events))
		return;
	b = bpf_map_lookup_elem(&policy_event_budget, &zero);
	if (!event_budget_take(b, c->event_rate)) {
		stat_inc(POLICY_STAT_EV_SUPPRESSED);
		return;
	}
	__builtin_memset(&e, 0, sizeof(e));
	e.hdr.type = EBPFNET_EV_VERDICT;
	e.hdr.version = POLICY_VERDICT_VERSION;
	e.hdr.size = sizeof(e);
	e.hdr.time_ns = bpf_ktime_get_boot_ns();
	e.ifindex = skb->ifindex;
	e.ep_identity = ep->identity;
	e.peer_identity = d->peer_identity;
	e.rule_id = d->rule_id;
	e.verdict = d->allowed ? POLICY_VERDICT_ALLOWED : POLICY_VERDICT_DENIED;
	e.dir = dir;
	e.match = d->match;
	e.family = k->family;
	e.proto = k->proto;
	e.tcp_flags = tcp_flags;
	e.reeval = reeval;
	e.pkt_len = skb->len;
	e.sport = k->sport;
	e.dport = k->dport;
	__builtin_memcpy(e.saddr, k->saddr, sizeof(e.saddr));
	__builtin_memcpy(e.daddr, k->daddr, sizeof(e.daddr));
	if (bpf_ringbuf_output(&policy_events, &e, sizeof(e), 0))
		stat_inc(POLICY_STAT_EV_LOST);
	else
		stat_inc(POLICY_STAT_EV_SENT);
	monitor_output(&e, sizeof(e));
}

static __always_inline void count_allowed(__u32 rule_id)
{
	struct policy_rule_counter *rc;

	if (!rule_id)
		return; /* not enforced: no rule allowed it */
	rc = bpf_map_lookup_elem(&policy_rule_counters, &rule_id);
	if (rc)
		rc->allowed++;
}

static __always_inline int deny_packet(struct __sk_buff *skb, __u32 rule_id)
{
	struct policy_rule_counter *rc;

	stat_inc(POLICY_STAT_DENIED);
	rc = bpf_map_lookup_elem(&policy_rule_counters, &rule_id);
	if (rc) {
		rc->denied++;
		rc->denied_bytes += skb->len;
	}
	return TC_ACT_SHOT;
}

/* ---- ICMP errors of tracked connections -------------------------------- */

/*
 * The tuple of the packet embedded in an ICMP error at l4_off (what the
 * error's receiver once sent), into *k. Returns 0, or -1 when it cannot
 * be read cheaply (then the error is decided by policy).
 */
static __always_inline int icmp_inner_tuple(struct __sk_buff *skb,
					    __u32 l4_off, __u8 family,
					    struct policy_ct_key *k)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 inner = l4_off + 8, l4;
	__u8 *h, proto;

	if (l4_off > PARSE_MAX_HDR_OFF)
		return -1;
	h = data + inner;
	if (family == PKT_FAMILY_IPV4) {
		if ((void *)(h + IP4_HDR_LEN) > data_end || (h[0] >> 4) != 4)
			return -1;
		proto = h[9];
		__builtin_memcpy(k->saddr, h + 12, 4);
		__builtin_memcpy(k->daddr, h + 16, 4);
		l4 = inner + (h[0] & 0x0f) * 4;
	} else {
		if ((void *)(h + IP6_HDR_LEN) > data_end || (h[0] >> 4) != 6)
			return -1;
		proto = h[6];
		__builtin_memcpy(k->saddr, h + 8, 16);
		__builtin_memcpy(k->daddr, h + 24, 16);
		l4 = inner + IP6_HDR_LEN;
	}
	k->family = family;
	k->proto = proto;
	if (is_port_proto(proto)) {
		k->sport = l4_word(skb, l4, 0);
		k->dport = l4_word(skb, l4, 2);
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		h = data + l4;
		if (l4 > PARSE_MAX_HDR_OFF || (void *)(h + 1) > data_end ||
		    !is_echo(family, proto, h[0]))
			return -1;
		k->sport = k->dport = l4_word(skb, l4, 4);
	} else {
		return -1;
	}
	return 0;
}

/* Whether the ICMP error belongs to a current tracked connection. */
static __always_inline int icmp_error_related(struct __sk_buff *skb,
					      const struct pkt *p,
					      const struct policy_endpoint *ep,
					      __u64 now)
{
	struct policy_ct_key k = { .ifindex = skb->ifindex }, r;
	struct policy_ct_value *v;

	if (icmp_inner_tuple(skb, SCRATCH(p->l4_off), p->family, &k))
		return 0;
	v = ct_find(&k, now);
	if (!v) {
		ct_key_reverse(&r, &k);
		v = ct_find(&r, now);
	}
	return v && v->generation == ep->generation;
}

/* ---- the program ----------------------------------------------------------- */

/*
 * The tuple of the parsed packet into *k: ports for TCP/UDP/SCTP, the
 * identifier for ICMP echo, else 0.
 */
static __always_inline void ct_key_of(struct __sk_buff *skb, const struct pkt *p,
				      struct policy_ct_key *k)
{
	__u8 proto = SCRATCH(p->proto), family = SCRATCH(p->family);

	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = skb->ifindex;
	k->family = family;
	k->proto = proto;
	if (SCRATCH(p->l4_ok)) {
		if (is_port_proto(proto)) {
			k->sport = SCRATCH(p->sport);
			k->dport = SCRATCH(p->dport);
		} else if (is_echo(family, proto, SCRATCH(p->icmp_type))) {
			k->sport = k->dport = l4_word(skb, SCRATCH(p->l4_off), 4);
		}
	}
	__builtin_memcpy(k->saddr, p->saddr, sizeof(k->saddr));
	__builtin_memcpy(k->daddr, p->daddr, sizeof(k->daddr));
}

/* Decide the connection of key *k (its first packet's tuple), first seen
 * in direction dir. */
static __always_inline void decide_conn(const struct policy_endpoint *ep,
					const struct policy_ct_key *k, __u8 dir,
					int has_port, struct decision *d)
{
	if (!(ep->enforce & (1u << dir))) {
		d->allowed = 1;
		d->rule_id = 0;
		d->match = POLICY_MATCH_NONE;
		d->peer_identity = 0;
		return;
	}
	decide(ep, dir, k->family,
	       dir == POLICY_DIR_INGRESS ? k->saddr : k->daddr, k->proto,
	       has_port, bpf_ntohs(k->dport), d);
}

/* A connection tracked by an older generation: decided again. */
static __always_inline int reevaluate(struct __sk_buff *skb,
				      const struct policy_config *c,
				      const struct policy_endpoint *ep,
				      struct policy_ct_value *v,
				      const struct policy_ct_key *pkt_key,
				      __u8 flags, int reply, __u64 now)
{
	struct policy_ct_key orig;
	struct decision d;
	__u8 dir = v->dir & 1;

	/* the key: the packet's tuple, or its reverse for a reply */
	if (reply)
		ct_key_reverse(&orig, pkt_key);
	else
		__builtin_memcpy(&orig, pkt_key, sizeof(orig));
	stat_inc(POLICY_STAT_REEVAL);
	decide_conn(ep, &orig, dir,
		    is_port_proto(orig.proto) && (orig.sport || orig.dport),
		    &d);
	send_verdict(skb, c, ep, pkt_key, flags, dir, &d, 1);
	if (!d.allowed) {
		bpf_map_delete_elem(&policy_ct, &orig);
		stat_inc(POLICY_STAT_REEVAL_DENIED);
		return deny_packet(skb, d.rule_id);
	}
	v->generation = ep->generation;
	v->rule_id = d.rule_id;
	v->peer_identity = d.peer_identity;
	ct_refresh(v, c, orig.proto, flags, reply, now);
	return TC_ACT_UNSPEC;
}

/* A new connection: decided, tracked when allowed. */
static __always_inline int new_conn(struct __sk_buff *skb,
				    const struct policy_config *c,
				    const struct policy_endpoint *ep,
				    struct policy_ct_key *k, __u8 dir,
				    int has_port, __u8 flags, __u64 now)
{
	struct policy_ct_value v = {};
	struct decision d;

	decide_conn(ep, k, dir, has_port, &d);
	send_verdict(skb, c, ep, k, flags, dir, &d, 0);
	if (!d.allowed)
		return deny_packet(skb, d.rule_id);
	if (!d.rule_id && d.match == POLICY_MATCH_NONE)
		stat_inc(POLICY_STAT_UNENFORCED);
	else
		stat_inc(POLICY_STAT_ALLOWED);
	count_allowed(d.rule_id);
	/* A TCP packet that opens nothing (no SYN) in a direction no rule
	 * restricts is not tracked: a retransmission after a policy change
	 * cut its connection must not bring it back as a new one whose
	 * replies would then pass. */
	if (d.match == POLICY_MATCH_NONE && k->proto == IPPROTO_TCP &&
	    !(flags & TCP_SYN))
		return TC_ACT_UNSPEC;

	v.generation = ep->generation;
	v.rule_id = d.rule_id;
	v.peer_identity = d.peer_identity;
	v.dir = dir;
	v.packets = 1;
	if (k->proto == IPPROTO_TCP)
		v.state = ct_next_state(0, flags, 0);
	v.expires_ns = now + ct_timeout(c, k->proto, v.state);
	if (bpf_map_update_elem(&policy_ct, k, &v, BPF_ANY))
		stat_inc(POLICY_STAT_CT_FULL);
	return TC_ACT_UNSPEC;
}

static __always_inline int policy_main(struct __sk_buff *skb, __u8 dir)
{
	const struct policy_endpoint *ep;
	const struct policy_config *c;
	struct policy_ct_value *v;
	struct policy_ct_key k, r;
	__u32 zero = 0, ifindex = skb->ifindex;
	struct pkt *p;
	__u8 flags;
	__u64 now;
	int reply = 0, parsed;

	stat_inc(POLICY_STAT_SEEN);
	ep = bpf_map_lookup_elem(&policy_endpoints, &ifindex);
	if (!ep) {
		stat_inc(POLICY_STAT_NOT_ENDPOINT);
		return TC_ACT_UNSPEC;
	}
	c = bpf_map_lookup_elem(&policy_config, &zero);
	p = bpf_map_lookup_elem(&parse_scratch, &zero);
	if (!c || !p)
		return TC_ACT_UNSPEC;

	parsed = parse_skb(skb, p);
	if (parsed == PARSE_NOT_IP) {
		stat_inc(POLICY_STAT_NOT_IP);
		return TC_ACT_UNSPEC;
	}
	if (parsed != PARSE_OK) {
		stat_inc(POLICY_STAT_MALFORMED);
		return TC_ACT_SHOT;
	}
	/* From here on the packet is read through the scratch map and skb
	 * only: whatever the parser's path, the verifier's state is one. */
	asm volatile("" ::: "memory");

	if (SCRATCH(p->family) == PKT_FAMILY_IPV6 &&
	    SCRATCH(p->proto) == IPPROTO_ICMPV6 && SCRATCH(p->l4_ok) &&
	    SCRATCH(p->icmp_type) >= ICMP6_ND_FIRST &&
	    SCRATCH(p->icmp_type) <= ICMP6_ND_LAST) {
		stat_inc(POLICY_STAT_NOT_IP);
		return TC_ACT_UNSPEC;
	}

	ct_key_of(skb, p, &k);
	flags = SCRATCH(p->tcp_flags);
	now = bpf_ktime_get_ns();
	v = ct_find(&k, now);
	if (!v) {
		ct_key_reverse(&r, &k);
		v = ct_find(&r, now);
		reply = 1;
	}
	if (v) {
		if (v->generation != ep->generation)
			return reevaluate(skb, c, ep, v, &k, flags, reply,
					  now);
		stat_inc(reply ? POLICY_STAT_CT_REPLY : POLICY_STAT_CT_HIT);
		ct_refresh(v, c, k.proto, flags, reply, now);
		return TC_ACT_UNSPEC;
	}

	if (SCRATCH(p->l4_ok) &&
	    is_icmp_error(k.family, k.proto, SCRATCH(p->icmp_type)) &&
	    icmp_error_related(skb, p, ep, now)) {
		stat_inc(POLICY_STAT_CT_REPLY);
		return TC_ACT_UNSPEC;
	}

	return new_conn(skb, c, ep, &k, dir,
			SCRATCH(p->l4_ok) && is_port_proto(k.proto), flags, now);
}

/* TC ingress of the host-side interface: what the endpoint sends. */
SEC("tc")
int policy_ingress(struct __sk_buff *skb)
{
	return policy_main(skb, POLICY_DIR_EGRESS);
}

/* TC egress of the host-side interface: what the endpoint receives. */
SEC("tc")
int policy_egress(struct __sk_buff *skb)
{
	return policy_main(skb, POLICY_DIR_INGRESS);
}
