/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: the XDP packet filter, a stage of the XDP chain. Classifies every
 * IP packet as drop_abi.h's top comment says (prefix classes from the host
 * hashes or the LPM tries, then one hash lookup per shape in use, then the
 * bounded signature bank), counts each matching rule, and drops, or hands
 * the packet to the next stage.
 *
 * Every knob and table is a map the library writes at run time: nothing
 * here is set before load, so one loaded program serves any rule set, and
 * a newer process's program can replace an older one on the same maps.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "drop_abi.h"
#include "event_budget.h"
#include "monitor.h"
#include "parse.h"
#include "xdp_chain_stage.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps (their names are part of the pinned layout) ----------------- */

/* The sizes below are defaults: the library sizes every rule-bound map
 * from max_rules before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES * 4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct drop_key);
	__type(value, struct drop_verdict);
} drop_tuples SEC(".maps");

/* Host prefixes (/32, /128): address -> class, looked up before the
 * tries, which hold the shorter prefixes only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES * 2);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __be32);
	__type(value, __u32);
} drop_host4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES * 2);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __be32[4]);
	__type(value, __u32);
} drop_host6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES * 2);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct drop_lpm4_key);
	__type(value, __u32);
} drop_lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES * 2);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct drop_lpm6_key);
	__type(value, __u32);
} drop_lpm6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * DROP_MAX_SIG_RULES);
	__type(key, __u32);
	__type(value, struct drop_sig);
} drop_sigs SEC(".maps");

/* Every knob and shape slot: one element, one lookup per packet. The
 * library stores into it through a shared mapping (BPF_F_MMAPABLE). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct drop_config);
} drop_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_STAT_NR);
	__type(key, __u32);
	__type(value, struct drop_counter);
} drop_stats SEC(".maps");

/* by rule id (1..max_rules; slot 0 unused) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES + 1);
	__type(key, __u32);
	__type(value, struct drop_counter);
} drop_rule_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_budget);
} drop_event_budget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} drop_events SEC(".maps");

/* The rules as given, for the library only: never read here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DROP_DEFAULT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct drop_rule_record);
} drop_rules SEC(".maps");

/*
 * The parsed packet and the classifier's state. In a map rather than on
 * the stack so that the verifier does not track these values: it then
 * checks the classifier once, not once for each combination of parser
 * path (VLAN tags, IPv4 options, IPv6 extension headers...), found LPM
 * classes and earlier matches. Per program instance: never pinned.
 */
struct drop_scratch {
	struct pkt p;
	__u32 l4_ok;      /* L4 fields usable (not a later fragment) */
	__u32 l4_base_ok; /* an L4 signature may apply */
	__u32 src_class;
	__u32 dst_class;
	__u32 actions;    /* bit (1 << DROP_ACT_*) per matching rule's action */
	__u32 drop_id;    /* the first drop rule that matched */
	/* a sampled drop event is built here, then copied to drop_events
	 * and to the node's monitor: either may be full without the other
	 * losing it */
	struct drop_event ev;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drop_scratch);
} drop_scratch SEC(".maps");

/* ---- small helpers ----------------------------------------------------- */

/* A signature starting further into the frame never matches: it keeps
 * packet offsets in the range the verifier accepts (larger than any
 * frame XDP sees in one linear buffer). */
#define SIG_MAX_PKT_OFF 0x7fff

/* A load the compiler must really do from the scratch map (no value
 * carried over in a register), so the verifier sees an unknown value. */
#define SCRATCH(field) (*(volatile __typeof__(field) *)&(field))

static __always_inline void counter_add(void *map, __u32 index, __u64 bytes)
{
	struct drop_counter *c = bpf_map_lookup_elem(map, &index);

	if (c) { /* per-CPU: no other writer */
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void stat_add(__u32 stat, __u64 bytes)
{
	counter_add(&drop_stats, stat, bytes);
}

/* All ones when `bits` meet `match`, else 0. Field tests are written as
 * arithmetic rather than branches, so the verifier walks one path per
 * rule, not one per combination of fields. */
static __always_inline __u32 all_ones_if(__u32 match, __u32 bits)
{
	return -(__u32)((match & bits) != 0);
}

/* ---- sampled drop events ----------------------------------------------- */

/* A sampled drop event, within the per-CPU budget (event_budget.h), to
 * drop's own ring and to the node's monitor (monitor.h). */
static __always_inline void send_event(struct xdp_md *ctx,
				       const struct drop_config *c,
				       struct drop_scratch *s, __u32 reason,
				       __u32 rule_id)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct drop_event *e = &s->ev;
	__u32 i, zero = 0;

	if (!event_budget_take(bpf_map_lookup_elem(&drop_event_budget, &zero),
			       c->knob[DROP_CFG_EVENT_RATE])) {
		stat_add(DROP_STAT_EVENTS_SUPPRESSED, 0);
		return;
	}
	e->hdr.type = EBPFNET_EV_DROP;
	e->hdr.version = DROP_EVENT_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.time_ns = bpf_ktime_get_boot_ns();
	e->ifindex = ctx->ingress_ifindex;
	e->rule_id = rule_id;
	e->reason = reason;
	e->pkt_len = data_end - data;
	e->pad = 0;
	/* Zero what the frame does not fill (the previous event's bytes).
	 * Then byte by byte against data_end (bpf_xdp_load_bytes is 5.18+). */
	__builtin_memset(e->data, 0, sizeof(e->data));
	for (i = 0; i < DROP_EVENT_BYTES; i++) {
		__u8 *b = data + i;

		if ((void *)(b + 1) > data_end)
			break;
		e->data[i] = *b;
	}
	e->cap_len = i;
	if (bpf_ringbuf_output(&drop_events, e, sizeof(*e), 0))
		stat_add(DROP_STAT_EVENTS_LOST, 0);
	else
		stat_add(DROP_STAT_EVENTS_SENT, 0);
	monitor_output(e, sizeof(*e));
}

static __always_inline int drop_packet(struct xdp_md *ctx,
				       const struct drop_config *c,
				       struct drop_scratch *s, __u64 bytes,
				       __u32 reason, __u32 rule_id)
{
	stat_add(DROP_STAT_DROPPED, bytes);
	send_event(ctx, c, s, reason, rule_id);
	return XDP_DROP;
}

/* ---- classification ---------------------------------------------------- */

static __always_inline void rule_matched(struct drop_scratch *s, __u32 rule_id,
					 __u32 action, __u64 bytes)
{
	counter_add(&drop_rule_counters, rule_id, bytes);
	s->actions |= 1u << (action & 31);
	if (action == DROP_ACT_DROP && !SCRATCH(s->drop_id))
		s->drop_id = rule_id;
}

/* The class of the most specific prefix holding addr (0: none): a host
 * prefix first (one hash lookup), else the trie of shorter prefixes. The
 * hash key is read from the scratch map in place. */
static __always_inline __u32 addr_class(const struct pkt *p, const __be32 *addr)
{
	__u32 *class;

	if (p->family == PKT_FAMILY_IPV4) {
		struct drop_lpm4_key k4 = { .prefixlen = 32 };

		class = bpf_map_lookup_elem(&drop_host4, addr);
		if (class)
			return *class;
		__builtin_memcpy(k4.addr, addr, 4);
		class = bpf_map_lookup_elem(&drop_lpm4, &k4);
	} else {
		struct drop_lpm6_key k6 = { .prefixlen = 128 };

		class = bpf_map_lookup_elem(&drop_host6, addr);
		if (class)
			return *class;
		__builtin_memcpy(k6.addr, addr, 16);
		class = bpf_map_lookup_elem(&drop_lpm6, &k6);
	}
	return class ? *class : 0;
}

/* Tuple space: one hash lookup per shape in use. */
static __always_inline void match_tuples(const struct drop_config *c,
					 struct drop_scratch *s, __u64 bytes)
{
	__u32 nshapes = c->knob[DROP_CFG_NSHAPES], all = c->shapes_union;
	const struct pkt *p = &s->p;
	struct drop_verdict *v;
	struct drop_key key;
	__u32 i;

	/* The prefix lookups only when a shape in use has the side. */
	s->src_class = all & DROP_M_SRC ? addr_class(p, p->saddr) : 0;
	s->dst_class = all & DROP_M_DST ? addr_class(p, p->daddr) : 0;

#pragma clang loop unroll(disable)
	for (i = 0; i < DROP_MAX_SHAPES; i++) {
		__u32 shape, src_class, dst_class;

		if (i >= nshapes)
			break;
		shape = c->shape[i];
		if (!shape || ((shape & DROP_M_L4) && !SCRATCH(s->l4_ok)))
			continue;
		/* Class 0 is no rule's prefix: no match possible. */
		src_class = SCRATCH(s->src_class);
		dst_class = SCRATCH(s->dst_class);
		if (((shape & DROP_M_SRC) && !src_class) ||
		    ((shape & DROP_M_DST) && !dst_class))
			continue;
		key.shape = i;
		key.src_class = src_class & all_ones_if(shape, DROP_M_SRC);
		key.dst_class = dst_class & all_ones_if(shape, DROP_M_DST);
		key.family = p->family & all_ones_if(shape, DROP_M_FAMILY);
		key.proto = p->proto & all_ones_if(shape, DROP_M_PROTO);
		key.icmp_type = p->icmp_type & all_ones_if(shape, DROP_M_ICMP_TYPE);
		key.icmp_code = p->icmp_code & all_ones_if(shape, DROP_M_ICMP_CODE);
		key.sport = p->sport & all_ones_if(shape, DROP_M_SPORT);
		key.dport = p->dport & all_ones_if(shape, DROP_M_DPORT);
		v = bpf_map_lookup_elem(&drop_tuples, &key);
		if (v)
			rule_matched(s, v->rule_id, v->action, bytes);
	}
}

/* Non-zero when an address is outside a prefix the rule sets (its masks
 * and prefixes are zero for a side it does not set). */
static __always_inline __u32 sig_prefix_miss(const struct drop_sig *r,
					     const struct pkt *p)
{
	__u32 miss = 0;
	int w;

	for (w = 0; w < 4; w++) {
		miss |= (p->saddr[w] & r->pfx_mask[w]) ^ r->pfx[w];
		miss |= (p->daddr[w] & r->pfx_mask[4 + w]) ^ r->pfx[4 + w];
	}
	return miss;
}

/* The signature's bytes at `off` from the frame start. A window inside
 * the frame is compared as two 64-bit words (the masks are zero past the
 * signature's length); one that runs past its end, byte by byte against
 * data_end: a signature past the end does not match. */
static __always_inline bool sig_bytes_match(const struct drop_sig *r,
					    void *data, void *data_end,
					    __u32 off)
{
	__u32 len = r->len, j;
	__u64 diff = 0;
	__u8 *w;

	if (!len || off > SIG_MAX_PKT_OFF)
		return false;
	w = data + off;
	if ((void *)(w + DROP_SIG_MAX) <= data_end) {
		diff = (*(__u64 *)w & r->mask[0]) ^ r->value[0];
		diff |= (*(__u64 *)(w + 8) & r->mask[1]) ^ r->value[1];
		return !diff;
	}
	if (!len)
		return false;
	for (j = 0; j < DROP_SIG_MAX; j++) {
		__u8 *b = w + j;

		if (j >= len)
			break;
		if ((void *)(b + 1) > data_end)
			return false;
		/* the words' bytes in memory order: the packet's order */
		diff |= (*b & ((const __u8 *)r->mask)[j]) ^
			((const __u8 *)r->value)[j];
	}
	return !diff;
}

/* The active signature bank, slot by slot; the packet's side of the
 * field comparison is computed once. */
static __always_inline void match_sigs(struct xdp_md *ctx,
				       const struct drop_config *c,
				       struct drop_scratch *s, __u64 bytes)
{
	__u32 nsigs = c->knob[DROP_CFG_NSIGS], first, i, have;
	const struct pkt *p = &s->p;
	__u64 fields;

	first = (c->knob[DROP_CFG_SIG_BANK] & 1) * DROP_MAX_SIG_RULES;
	fields = drop_sig_fields(p->family, p->proto, p->icmp_type,
				 p->icmp_code, p->sport, p->dport);
	have = (SCRATCH(s->l4_ok) ? DROP_SIG_NEED_L4 : 0) |
	       (SCRATCH(s->l4_base_ok) ? DROP_SIG_NEED_L4_BASE : 0);
#pragma clang loop unroll(disable)
	for (i = 0; i < DROP_MAX_SIG_RULES; i++) {
		void *data = (void *)(long)ctx->data;
		void *data_end = (void *)(long)ctx->data_end;
		const struct drop_sig *r;
		__u32 slot = first + i, base;

		if (i >= nsigs)
			break;
		r = bpf_map_lookup_elem(&drop_sigs, &slot);
		if (!r)
			break;
		if (!r->rule_id || ((fields & r->fields_mask) ^ r->fields_value) ||
		    (r->need & ~have))
			continue;
		if (r->prefixes && sig_prefix_miss(r, p))
			continue;
		base = r->need & DROP_SIG_NEED_L4_BASE ? SCRATCH(s->p.l4_off) :
							 SCRATCH(s->p.l3_off);
		if (sig_bytes_match(r, data, data_end, base + r->offset))
			rule_matched(s, r->rule_id, r->action, bytes);
	}
}

/* ---- the program ------------------------------------------------------- */

static __always_inline int go_on(struct xdp_md *ctx)
{
	return xdp_chain_next(ctx, XDP_STAGE_DROP);
}

SEC("xdp")
int drop_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	const struct drop_config *c;
	struct drop_scratch *s;
	bool later_frag;
	__u32 zero = 0;
	int parsed;

	s = bpf_map_lookup_elem(&drop_scratch, &zero);
	c = bpf_map_lookup_elem(&drop_config, &zero);
	if (!s || !c)
		return go_on(ctx);
	parsed = parse_pkt(data, data_end, &s->p);
	if (parsed == PARSE_NOT_IP)
		return go_on(ctx);
	if (parsed != PARSE_OK) {
		stat_add(DROP_STAT_MALFORMED, bytes);
		if (c->knob[DROP_CFG_MALFORMED] == DROP_MALFORMED_DROP)
			return drop_packet(ctx, c, s, bytes, DROP_REASON_MALFORMED, 0);
		return go_on(ctx);
	}
	/* From here on, the packet is read through ctx and the scratch map
	 * only: whatever the parser's path, the verifier's state is one. */
	asm volatile("" ::: "memory");

	/* A non-first fragment carries no L4 header: its policy decides
	 * whether it is classified at all. */
	later_frag = SCRATCH(s->p.frag) == PKT_FRAG_LATER;
	if (later_frag) {
		__u32 policy = c->knob[DROP_CFG_FRAG];

		stat_add(DROP_STAT_FRAGMENTS, bytes);
		if (policy == DROP_FRAG_DROP)
			return drop_packet(ctx, c, s, bytes, DROP_REASON_FRAGMENT, 0);
		if (policy == DROP_FRAG_PASS) {
			stat_add(DROP_STAT_UNMATCHED, bytes);
			return go_on(ctx);
		}
	}
	s->l4_ok = s->p.l4_ok && !later_frag;
	/* An L4 signature needs where L4 starts, whatever the protocol (the
	 * parser reads the fields of a few only), and never in a later
	 * fragment, whose payload is not an L4 header. */
	s->l4_base_ok = s->p.l4_off && !later_frag;
	s->actions = 0;
	s->drop_id = 0;

	if (c->knob[DROP_CFG_NSHAPES])
		match_tuples(c, s, bytes);
	if (c->knob[DROP_CFG_NSIGS])
		match_sigs(ctx, c, s, bytes);

	if (SCRATCH(s->actions) & (1u << DROP_ACT_PASS)) {
		stat_add(DROP_STAT_PASSED, bytes);
		return go_on(ctx);
	}
	if (SCRATCH(s->actions) & (1u << DROP_ACT_DROP))
		return drop_packet(ctx, c, s, bytes, DROP_REASON_RULE,
				   SCRATCH(s->drop_id));
	stat_add(SCRATCH(s->actions) ? DROP_STAT_COUNTED : DROP_STAT_UNMATCHED,
		 bytes);
	return go_on(ctx);
}
