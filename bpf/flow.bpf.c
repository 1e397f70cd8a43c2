/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: the TC observer. Every packet at TC ingress/egress of an observed
 * interface is folded into flow_table as flow_abi.h's top comment says
 * (the algorithm lives there), exports go to flow_events, and the packet
 * goes on untouched: both programs return TC_ACT_UNSPEC, never write the
 * packet, and never fail it.
 *
 * Concurrency: the table is shared by every CPU. Packet and byte counters
 * are added atomically; last_ns, export_ns, the flags and the state bits
 * are plain stores (the flags of each direction are a byte of their own,
 * so the two directions never overwrite each other's): two CPUs handling
 * the same direction of one flow at the same instant may both export, or
 * lose a flag bit, never a count.
 *
 * Event counters (flow_stats): EV_SENT counts every record sent, flow
 * exports and DNS records alike, DNS_SENT the DNS records among them;
 * EV_SUPPRESSED and EV_LOST count refusals of both kinds. With event_rate
 * 0 nothing is sent and nothing counted as suppressed.
 *
 * Kernel floor 5.10: no kfuncs, no atomic fetch operations (the counters'
 * adds are plain BPF_ADD, whose result is never used), bounded loops only
 * (the parser's).
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ebpfnet_event.h"
#include "event_budget.h"
#include "flow_abi.h"
#include "parse_skb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps (their names are the pin file names under <pin_root>/flow/) --- */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_DEFAULT_MAX_FLOWS);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flow_table SEC(".maps");

/* Mmapable: the library may store one field without a read-modify-write. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct flow_config);
} flow_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOW_STAT_NR);
	__type(key, __u32);
	__type(value, struct flow_counter);
} flow_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_budget);
} flow_event_budget SEC(".maps");

/* 8 MiB: about 55,000 exports, over half a second of new flows at
 * 100,000 a second, so a reader that loses the CPU for a moment to the
 * traffic it observes catches up instead of losing records. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} flow_events SEC(".maps");

/* The library's record of the observed interfaces: never read here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct flow_iface);
} flow_ifaces SEC(".maps");

/* ---- small helpers ------------------------------------------------------- */

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMP_ECHO_HDR_LEN 8   /* type, code, checksum, identifier, sequence */
#define UDP_HDR_LEN 8
#define TCP_DNS_PREFIX 2      /* DNS over TCP: the message length first */

/* Packet offsets read back from struct pkt are unknown to the verifier:
 * bounded by this before use (the parser's offsets are at most
 * PARSE_MAX_HDR_OFF + 8). */
#define FLOW_MAX_L4_OFF 0xff08

_Static_assert((FLOW_DNS_MAX & (FLOW_DNS_MAX - 1)) == 0,
	       "send_dns() bounds the copy with a mask");

static __always_inline void stat_add(__u32 stat, __u64 bytes)
{
	struct flow_counter *c = bpf_map_lookup_elem(&flow_stats, &stat);

	if (c) { /* per-CPU: no other writer */
		c->packets++;
		c->bytes += bytes;
	}
}

/* What the packet tells the observer, beside its parsed headers. */
struct flow_pkt {
	struct flow_key key;  /* in the flow's orientation once looked up */
	__u32 len;            /* skb->len */
	__u8 dir;             /* FLOW_DIR_* of this packet */
	__u8 ingress;
	__u8 tcp_flags;       /* TCP only */
	__u8 is_tcp;
};

/* The echo identifier of an ICMP/ICMPv6 echo request or reply, in *id;
 * 1: an echo, 0: another message, -1: an echo cut short. */
static __always_inline int icmp_echo_id(void *data, void *data_end,
					const struct pkt *p, __be16 *id)
{
	__u64 off = p->l4_off, end = p->l3_off + p->l3_len;
	__u8 *icmp;

	if (p->proto == IPPROTO_ICMP) {
		if (p->icmp_type != ICMP_ECHO_REQUEST &&
		    p->icmp_type != ICMP_ECHO_REPLY)
			return 0;
	} else if (p->icmp_type != ICMPV6_ECHO_REQUEST &&
		   p->icmp_type != ICMPV6_ECHO_REPLY) {
		return 0;
	}
	/* one register, bounded before the packet access (the verifier
	 * knows nothing of a value read back from *p) */
	asm volatile("" : "+r"(off));
	if (off > FLOW_MAX_L4_OFF || off + ICMP_ECHO_HDR_LEN > end)
		return -1;
	icmp = data + off;
	if ((void *)(icmp + ICMP_ECHO_HDR_LEN) > data_end)
		return -1;
	*id = *(__be16 *)(icmp + 4);
	return 1;
}

/* The key in the packet's orientation. 0, or -1 for a packet that cannot
 * be keyed (an ICMP echo cut short). */
static __always_inline int key_from_pkt(void *data, void *data_end,
					const struct pkt *p, __u32 ifindex,
					struct flow_key *k)
{
	__be16 id = 0;
	int echo;

	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->family = p->family;
	k->proto = p->proto;
	__builtin_memcpy(k->addr_a, p->saddr, sizeof(k->addr_a));
	__builtin_memcpy(k->addr_b, p->daddr, sizeof(k->addr_b));
	if (!p->l4_ok)
		return 0; /* a later fragment, or a protocol without ports */
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		echo = icmp_echo_id(data, data_end, p, &id);
		if (echo < 0)
			return -1;
		/* the same identifier both ways: a reply folds */
		k->port_a = id;
		k->port_b = id;
		return 0;
	}
	k->port_a = p->sport;
	k->port_b = p->dport;
	return 0;
}

static __always_inline void key_reverse(struct flow_key *k)
{
	__be32 addr[4];
	__be16 port = k->port_a;

	k->port_a = k->port_b;
	k->port_b = port;
	__builtin_memcpy(addr, k->addr_a, sizeof(addr));
	__builtin_memcpy(k->addr_a, k->addr_b, sizeof(addr));
	__builtin_memcpy(k->addr_b, addr, sizeof(addr));
}

/* ---- the flow table -------------------------------------------------------- */

/*
 * The flow of the packet (fp->key turned to the flow's orientation and
 * fp->dir set), created when there is none (*created = 1); NULL when the
 * table has no room.
 */
static __always_inline struct flow_value *flow_find(struct flow_pkt *fp,
						    __u64 now, int *created)
{
	struct flow_value *v, fresh = {};
	int err;

	*created = 0;
	fp->dir = FLOW_DIR_ORIG;
	v = bpf_map_lookup_elem(&flow_table, &fp->key);
	if (v)
		return v;
	key_reverse(&fp->key);
	fp->dir = FLOW_DIR_REPLY;
	v = bpf_map_lookup_elem(&flow_table, &fp->key);
	if (v)
		return v;

	/* A SYN+ACK answers a SYN that was not seen: the flow is the
	 * other side's, this packet its first reply. */
	if (fp->is_tcp && (fp->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK)) ==
			  (FLOW_TCP_SYN | FLOW_TCP_ACK)) {
		fresh.state = FLOW_ST_SYNACK_FIRST;
	} else {
		key_reverse(&fp->key);
		fp->dir = FLOW_DIR_ORIG;
	}
	if (fp->ingress)
		fresh.state |= FLOW_ST_INGRESS;
	fresh.first_ns = now;
	fresh.last_ns = now;
	fresh.export_ns = now; /* the interval counts from the creation */
	err = bpf_map_update_elem(&flow_table, &fp->key, &fresh, BPF_NOEXIST);
	if (!err)
		*created = 1;
	else if (err != -EEXIST) /* EEXIST: another CPU was first */
		return NULL;
	return bpf_map_lookup_elem(&flow_table, &fp->key);
}

/* Count the packet in the flow; the flow export it calls for (FLOW_EV_*),
 * or -1 for none. */
static __always_inline int flow_account(struct flow_value *v,
					const struct flow_pkt *fp, __u64 now,
					int created, __u64 interval_ns)
{
	__u8 dir = fp->dir & 1, flags = fp->tcp_flags, seen, state;
	int kind = -1;

	__sync_fetch_and_add(&v->dir[dir].packets, 1);
	__sync_fetch_and_add(&v->dir[dir].bytes, fp->len);
	v->last_ns = now;

	if (created)
		kind = FLOW_EV_NEW;
	else if (interval_ns && now - v->export_ns >= interval_ns)
		kind = FLOW_EV_INTERVAL;

	if (fp->is_tcp) {
		seen = v->tcp_flags[dir];
		if (flags & ~seen) {
			v->tcp_flags[dir] = seen | flags;
			/* a new flow's record already carries its flags */
			if ((flags & FLOW_TCP_EXPORTED & ~seen) && !created)
				kind = FLOW_EV_FLAGS;
		}
		state = v->state;
		if (flags & FLOW_TCP_FIN)
			state |= dir ? FLOW_ST_FIN_REPLY : FLOW_ST_FIN_ORIG;
		if (flags & FLOW_TCP_RST)
			state |= FLOW_ST_RST;
		if (!(state & FLOW_ST_CLOSED) &&
		    ((flags & FLOW_TCP_RST) ||
		     ((flags & FLOW_TCP_FIN) &&
		      (state & (FLOW_ST_FIN_ORIG | FLOW_ST_FIN_REPLY)) ==
			      (FLOW_ST_FIN_ORIG | FLOW_ST_FIN_REPLY)))) {
			state |= FLOW_ST_CLOSED;
			kind = FLOW_EV_END;
		}
		if (state != v->state)
			v->state = state;
	}
	if (kind >= 0)
		v->export_ns = now;
	return kind;
}

/* ---- exports ------------------------------------------------------------------ */

/* May one more event be sent? Counts a refusal as suppressed. */
static __always_inline int event_allowed(const struct flow_config *cfg)
{
	__u32 zero = 0;
	struct event_budget *b;

	if (!cfg->event_rate)
		return 0;
	b = bpf_map_lookup_elem(&flow_event_budget, &zero);
	if (event_budget_take(b, cfg->event_rate))
		return 1;
	stat_add(FLOW_STAT_EV_SUPPRESSED, 0);
	return 0;
}

static __always_inline void head_fill(struct flow_event_head *h, __u32 size,
				      __u8 kind, const struct flow_pkt *fp)
{
	h->hdr.type = EBPFNET_EV_FLOW;
	h->hdr.version = FLOW_EVENT_VERSION;
	h->hdr.size = size;
	h->hdr.time_ns = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->dir = fp->dir;
	h->ingress = fp->ingress;
	h->tcp_flags = fp->tcp_flags;
	h->pkt_len = fp->len;
	__builtin_memcpy(&h->key, &fp->key, sizeof(h->key));
}

static __always_inline void send_flow(const struct flow_config *cfg,
				      const struct flow_pkt *fp,
				      const struct flow_value *v, int kind)
{
	struct flow_event *e;

	if (!event_allowed(cfg))
		return;
	e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);
	if (!e) {
		stat_add(FLOW_STAT_EV_LOST, 0);
		return;
	}
	head_fill(&e->head, sizeof(*e), kind, fp);
	__builtin_memcpy(&e->value, v, sizeof(e->value));
	bpf_ringbuf_submit(e, 0);
	stat_add(FLOW_STAT_EV_SENT, 0);
}

/*
 * Where the DNS message of a UDP/TCP packet from or to port 53 starts
 * (*msg_off), how many of its bytes the packet holds (*avail) and its
 * length (*msg_len: the UDP payload, or TCP's length prefix). 0, or -1
 * when the packet carries no message start.
 */
static __always_inline int dns_locate(struct __sk_buff *skb, void *data,
				      void *data_end, const struct pkt *p,
				      __u32 *msg_off, __u32 *avail,
				      __u32 *msg_len)
{
	__u64 off = p->l4_off, end = p->l3_off + p->l3_len;
	__be16 prefix;
	__u8 *th;

	if (!p->l4_ok || (p->sport != bpf_htons(FLOW_DNS_PORT) &&
			  p->dport != bpf_htons(FLOW_DNS_PORT)))
		return -1;
	asm volatile("" : "+r"(off)); /* as in icmp_echo_id() */
	if (off > FLOW_MAX_L4_OFF)
		return -1;
	if (p->proto == IPPROTO_UDP) {
		off += UDP_HDR_LEN;
		if (off > end)
			return -1;
		*msg_off = off;
		*avail = end - off;
		*msg_len = end - off;
		return 0;
	}
	/* TCP: the parser has checked the fixed header is there */
	th = data + off;
	if ((void *)(th + 20) > data_end)
		return -1;
	off += (th[12] >> 4) * 4;
	/* a segment that starts a message holds at least its length */
	if (off + TCP_DNS_PREFIX > end)
		return -1;
	if (bpf_skb_load_bytes(skb, off, &prefix, sizeof(prefix)))
		return -1;
	off += TCP_DNS_PREFIX;
	*msg_off = off;
	*avail = end - off;
	*msg_len = bpf_ntohs(prefix);
	return 0;
}

static __always_inline void send_dns(struct __sk_buff *skb, void *data,
				     void *data_end, const struct pkt *p,
				     const struct flow_config *cfg,
				     const struct flow_pkt *fp)
{
	__u32 msg_off, avail, msg_len, copy;
	struct flow_dns_event *e;

	if (dns_locate(skb, data, data_end, p, &msg_off, &avail, &msg_len))
		return;
	if (!event_allowed(cfg))
		return;
	e = bpf_ringbuf_reserve(&flow_events, sizeof(*e), 0);
	if (!e) {
		stat_add(FLOW_STAT_EV_LOST, 0);
		return;
	}
	head_fill(&e->head, sizeof(*e), FLOW_EV_DNS, fp);
	/* a TCP message may not fit in this segment */
	copy = avail;
	if (copy > msg_len)
		copy = msg_len;
	if (copy > FLOW_DNS_MAX)
		copy = FLOW_DNS_MAX;
	/* reserved memory holds older records: zero what the copy leaves */
	__builtin_memset(e->dns, 0, sizeof(e->dns));
	if (copy) {
		/* copy is 1..FLOW_DNS_MAX: written so the verifier sees that
		 * too (5.10 learns nothing from copy != 0) */
		__u32 n = copy - 1;

		asm volatile("" : "+r"(n));
		n = (n & (FLOW_DNS_MAX - 1)) + 1;
		if (bpf_skb_load_bytes(skb, msg_off, e->dns, n))
			copy = 0;
	}
	e->dns_len = copy;
	e->pad = 0;
	e->msg_len = msg_len;
	bpf_ringbuf_submit(e, 0);
	stat_add(FLOW_STAT_EV_SENT, 0);
	stat_add(FLOW_STAT_DNS_SENT, 0);
}

/* ---- the programs ------------------------------------------------------------- */

static __always_inline int observe(struct __sk_buff *skb, __u8 ingress)
{
	struct flow_value *v;
	struct flow_config *cfg;
	struct flow_pkt fp;
	void *data, *data_end;
	__u32 zero = 0;
	struct pkt p;
	int created, kind, ret;
	__u64 now;

	fp.len = skb->len;
	stat_add(FLOW_STAT_SEEN, fp.len);
	cfg = bpf_map_lookup_elem(&flow_config, &zero);
	if (!cfg)
		return TC_ACT_UNSPEC;

	ret = parse_skb(skb, &p);
	if (ret == PARSE_NOT_IP) {
		stat_add(FLOW_STAT_NOT_IP, fp.len);
		return TC_ACT_UNSPEC;
	}
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (ret != PARSE_OK ||
	    key_from_pkt(data, data_end, &p, skb->ifindex, &fp.key)) {
		stat_add(FLOW_STAT_MALFORMED, fp.len);
		return TC_ACT_UNSPEC;
	}
	fp.ingress = ingress;
	fp.is_tcp = p.proto == IPPROTO_TCP && p.l4_ok;
	fp.tcp_flags = fp.is_tcp ? p.tcp_flags : 0;

	now = bpf_ktime_get_boot_ns();
	v = flow_find(&fp, now, &created);
	if (!v) {
		stat_add(FLOW_STAT_TABLE_FULL, fp.len);
	} else {
		if (created)
			stat_add(FLOW_STAT_NEW, 0);
		if (p.proto == IPPROTO_ICMP || p.proto == IPPROTO_ICMPV6) {
			v->icmp_type = p.icmp_type;
			v->icmp_code = p.icmp_code;
		}
		kind = flow_account(v, &fp, now, created, cfg->interval_ns);
		if (kind >= 0)
			send_flow(cfg, &fp, v, kind);
	}
	if (cfg->dns && (p.proto == IPPROTO_UDP || p.proto == IPPROTO_TCP))
		send_dns(skb, data, data_end, &p, cfg, &fp);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int flow_ingress(struct __sk_buff *skb)
{
	return observe(skb, 1);
}

SEC("tc")
int flow_egress(struct __sk_buff *skb)
{
	return observe(skb, 0);
}
