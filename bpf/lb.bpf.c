/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the XDP load balancer, a stage of the XDP chain (after drop). Per
 * packet, as lb_abi.h's top comment says: parse, find the service, the
 * backend (connection table, else Maglev), encapsulate towards it
 * (lb_encap.h) and send it back out (XDP_TX); the backend answers the
 * client directly (DSR). Constant cost: hash and array lookups only, no
 * loop over services or backends.
 *
 * Policies:
 *  - Not IP, or IP not for a service: the next chain stage. A malformed
 *    packet is counted and goes on too: it is not ours to judge.
 *  - Fragments: a first fragment carries the ports and is balanced like
 *    any packet. A non-first fragment carries none, so it cannot be
 *    hashed to the backend of its flow: one for a VIP address (lb_vips)
 *    is counted (fragments) and given to the local stack (XDP_PASS).
 *  - The connection table is an LRU: a TCP FIN or RST leaves the entry,
 *    which ages out. An entry whose backend is DOWN or gone, or that
 *    belongs to another service, is a miss and is replaced. New flows go
 *    to ACTIVE backends only (a draining one keeps its connections).
 *  - ICMP "fragmentation needed" / "packet too big" to a VIP go to the
 *    backend of the connection they quote (lb_icmp.h), looked up without
 *    inserting into the connection table. Other ICMP: the next stage.
 *  - MTU: the outer datagram (inner datagram + 20 or 40) is checked
 *    against lb_mtu[the interface the packet came in on, which XDP_TX
 *    leaves by]; no entry, no check (and no lookup at all when the
 *    packet fits lb_config.mtu_min, the smallest MTU there). Over it:
 *    counted (too_big) and, by
 *    lb_config.mtu_policy, dropped or answered with ICMP too-big
 *    (lb_icmp.h; never for an ICMP error).
 *  - The frame keeps its VLAN tags (lb_encap.h); its destination MAC
 *    becomes the backend's next hop (all zero: not resolved yet, dropped
 *    and counted), its source MAC the one it was sent to (ours).
 *
 * The packet is parsed into a per-CPU scratch map and read back from
 * there (as drop.bpf.c does): the verifier then checks what follows the
 * parser once, not once per parser path.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lb_abi.h"
#include "lb_encap.h"
#include "lb_icmp.h"
#include "lb_maps.h"
#include "parse.h"
#include "xdp_chain_stage.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- maps (their names are part of the pinned layout) ----------------- */

/* The sizes below are defaults: the library sizes the maps before load.
 * lb_services, lb_rings, lb_backends, lb_config, lb_service_stats and
 * lb_backend_stats are shared with the socket level: lb_maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_DEFAULT_MAX_SERVICES);
	__type(key, struct lb_vip_key);
	__type(value, __u32);
} lb_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_DEFAULT_CONN_TABLE);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct lb_conn_key);
	__type(value, struct lb_conn_val);
} lb_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MTU_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} lb_mtu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} lb_stats SEC(".maps");

/* The parsed packet and the keys; per program instance, never pinned.
 * The chosen backend is read in place from lb_backends: a copy would be
 * no more consistent against a concurrent update (neither read is
 * atomic) and costs a word copy per packet. */
#define LB_ALIGNED __attribute__((aligned(8))) /* word copies */
struct lb_scratch {
	struct pkt p;
	struct lb_conn_key key LB_ALIGNED;
	struct lb_service_key skey LB_ALIGNED;
	struct lb_vip_key vkey LB_ALIGNED;
	struct lb_conn_val conn LB_ALIGNED;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_scratch);
} lb_scratch SEC(".maps");

/* ---- small helpers ----------------------------------------------------- */

/* A load the compiler must really do from the scratch map, so the
 * verifier sees an unknown value (drop.bpf.c). */
#define SCRATCH(field) (*(volatile __typeof__(field) *)&(field))

static __always_inline void stat_inc(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&lb_stats, &stat);

	if (v) /* per-CPU: no other writer */
		(*v)++;
}

/* A flow's service and backend counters, each looked up once per packet
 * and as soon as the ids are known: on a large configuration their lines
 * are cold, and a miss started early overlaps the encapsulation. A new
 * connection counts when it is inserted, sent or not. */
struct lb_flow_counters {
	struct lb_counter *svc, *backend;
};

static __always_inline void counters_open(struct lb_flow_counters *fc,
					  __u32 svc_id, __u32 id, __u32 inserted)
{
	fc->svc = bpf_map_lookup_elem(&lb_service_stats, &svc_id);
	fc->backend = bpf_map_lookup_elem(&lb_backend_stats, &id);
	if (fc->svc)
		fc->svc->new_conns += inserted;
	if (fc->backend)
		fc->backend->new_conns += inserted;
}

static __always_inline void counters_sent(const struct lb_flow_counters *fc,
					  __u64 bytes)
{
	if (fc->svc) {
		fc->svc->packets++;
		fc->svc->bytes += bytes;
	}
	if (fc->backend) {
		fc->backend->packets++;
		fc->backend->bytes += bytes;
	}
}

/* What lb_process() returns for a packet the next chain stage gets: the
 * chain's tail calls are then inlined once, not at every such exit. */
#define LB_GO_ON (-1)

static __always_inline int not_service(void)
{
	stat_inc(LB_STAT_NOT_SERVICE);
	return LB_GO_ON;
}

/* ---- the flow ------------------------------------------------------------ */

static __always_inline void key_from_packet(struct lb_scratch *s)
{
	struct lb_conn_key *k = &s->key;

	lb_copy16(k->src, s->p.saddr);
	lb_copy16(k->dst, s->p.daddr);
	k->sport = s->p.sport;
	k->dport = s->p.dport;
	k->proto = s->p.proto;
	k->family = s->p.family;
	k->pad[0] = 0;
	k->pad[1] = 0;
}

/* The flow's service: {vip, port}, then {vip, 0} (every port). */
static __always_inline struct lb_service_val *service_lookup(struct lb_scratch *s)
{
	struct lb_service_key *sk = &s->skey;
	struct lb_service_val *svc;

	lb_copy16(sk->vip, s->key.dst);
	sk->port = s->key.dport;
	sk->proto = s->key.proto;
	sk->family = s->key.family;
	svc = bpf_map_lookup_elem(&lb_services, sk);
	if (svc || !sk->port)
		return svc;
	sk->port = 0;
	return bpf_map_lookup_elem(&lb_services, sk);
}

/* A non-first fragment: its destination is all there is to go by. */
static __always_inline int later_fragment(struct lb_scratch *s)
{
	struct lb_vip_key *vk = &s->vkey;

	lb_copy16(vk->vip, s->p.daddr);
	vk->family = s->p.family;
	vk->pad[0] = vk->pad[1] = vk->pad[2] = 0;
	if (!bpf_map_lookup_elem(&lb_vips, vk))
		return not_service();
	stat_inc(LB_STAT_FRAGMENTS);
	return XDP_PASS;
}

/* Backend `id` when it may take the flow of service svc_id (new: ACTIVE
 * only; established: not DOWN), else NULL. A backend of another service
 * (an id reused since a connection entry was written) never may. */
static __always_inline const struct lb_backend_val *
usable_backend(__u32 id, __u32 svc_id, bool established)
{
	const struct lb_backend_val *b;
	__u8 family, state;

	if (!id)
		return NULL;
	b = bpf_map_lookup_elem(&lb_backends, &id);
	if (!b)
		return NULL;
	family = b->family;
	state = b->state;
	if (family != PKT_FAMILY_IPV4 && family != PKT_FAMILY_IPV6)
		return NULL;
	if (b->service_id != svc_id)
		return NULL;
	if (established ? state == LB_BACKEND_DOWN : state != LB_BACKEND_ACTIVE)
		return NULL;
	return b;
}

/* The backend of the flow in s->key (its id in *id), or NULL. A new
 * connection is inserted into the connection table (*inserted: 1),
 * unless the packet is an ICMP error (`insert` false). */
static __always_inline const struct lb_backend_val *
pick_backend(struct lb_scratch *s, const struct lb_config *cfg,
	     const struct lb_service_val *svc, bool insert, __u32 *id,
	     __u32 *inserted)
{
	__u32 svc_id = svc->id, ring_size = svc->ring_size, slot;
	const struct lb_backend_val *b;
	struct lb_conn_val *conn;
	__u32 *ring_id;

	conn = bpf_map_lookup_elem(&lb_conns, &s->key);
	if (conn && conn->service_id == svc_id) {
		*id = conn->backend_id;
		b = usable_backend(*id, svc_id, true);
		if (b) {
			stat_inc(LB_STAT_CONN_HITS);
			return b;
		}
	}
	stat_inc(LB_STAT_CONN_MISSES);
	if (!ring_size)
		return NULL;
	slot = svc->ring_base + lb_flow_hash(&s->key, cfg->seed) % ring_size;
	ring_id = bpf_map_lookup_elem(&lb_rings, &slot);
	*id = ring_id ? *ring_id : 0;
	b = usable_backend(*id, svc_id, false);
	if (b && insert) {
		s->conn.backend_id = *id;
		s->conn.service_id = svc_id;
		*inserted = !bpf_map_update_elem(&lb_conns, &s->key, &s->conn,
						 BPF_ANY);
	}
	return b;
}

static __always_inline bool mac_is_zero(const __u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* ---- encapsulation --------------------------------------------------------- */

/*
 * Puts the outer header of backend b's family (outer_len bytes) in front
 * of the IP datagram (which stays byte for byte as it came) and rewrites
 * the L2 header. 0, or -1 when the frame cannot grow.
 */
static __always_inline int encapsulate(struct xdp_md *ctx,
				       struct lb_scratch *s,
				       const struct lb_config *cfg,
				       const struct lb_backend_val *b,
				       __u32 outer_len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u16 inner_len = SCRATCH(s->p.l3_len);
	__u8 tos = SCRATCH(s->p.tos);
	struct lb_l2 l2;
	void *ip;
	int l2_len;

	if (lb_l2_save(data, data_end, SCRATCH(s->p.vlans), &l2))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)outer_len))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	l2_len = lb_l2_write(data, data_end, b->mac, l2.dst, &l2,
			     outer_len == LB_ENCAP_LEN4 ? ETH_P_IP : ETH_P_IPV6);
	if (l2_len < 0 || l2_len > LB_L2_MAX_LEN)
		return -1;
	ip = data + l2_len;
	if (outer_len == LB_ENCAP_LEN4) {
		if (ip + LB_ENCAP_LEN4 > data_end)
			return -1;
		lb_outer4(ip, cfg, &s->key, *(const __be32 *)b->addr, tos,
			  inner_len);
	} else {
		if (ip + LB_ENCAP_LEN6 > data_end)
			return -1;
		lb_outer6(ip, cfg, &s->key, b->addr, tos, inner_len);
	}
	return 0;
}

/* Over the MTU once encapsulated: by policy, drop or answer too-big. */
static __always_inline int too_big(struct xdp_md *ctx, struct lb_scratch *s,
				   const struct lb_config *cfg, __u32 mtu,
				   __u32 outer_len, bool icmp_error)
{
	stat_inc(LB_STAT_TOO_BIG);
	if (cfg->mtu_policy != LB_MTU_POLICY_ICMP || icmp_error ||
	    mtu <= outer_len)
		return XDP_DROP;
	return lb_icmp_too_big(ctx, SCRATCH(s->p.family), SCRATCH(s->p.vlans),
			       (const __u8 *)s->p.saddr,
			       (const __u8 *)s->p.daddr, mtu - outer_len);
}

/* ---- the program ------------------------------------------------------- */

/* An XDP verdict, or LB_GO_ON. */
static __always_inline int lb_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	__u32 zero = 0, ifindex, id = 0, svc_id, outer_len, *mtu;
	__u32 inserted = 0;
	struct lb_flow_counters fc;
	const struct lb_backend_val *b;
	const struct lb_service_val *svc;
	const struct lb_config *cfg;
	struct lb_scratch *s;
	bool icmp_error;
	__u8 proto;
	int parsed, verdict;

	s = bpf_map_lookup_elem(&lb_scratch, &zero);
	cfg = bpf_map_lookup_elem(&lb_config, &zero);
	if (!s || !cfg)
		return LB_GO_ON;
	parsed = parse_pkt(data, data_end, &s->p);
	if (parsed == PARSE_NOT_IP)
		return LB_GO_ON;
	if (parsed != PARSE_OK) {
		stat_inc(LB_STAT_MALFORMED);
		return LB_GO_ON;
	}
	/* From here on, the packet is read through ctx and the scratch map
	 * only: whatever the parser's path, the verifier's state is one. */
	asm volatile("" ::: "memory");

	if (SCRATCH(s->p.frag) == PKT_FRAG_LATER)
		return later_fragment(s);
	proto = SCRATCH(s->p.proto);
	icmp_error = false;
	if (lb_is_tcp_udp(proto)) {
		key_from_packet(s);
	} else if (lb_icmp_is_too_big(SCRATCH(s->p.family), proto,
				      SCRATCH(s->p.icmp_type),
				      SCRATCH(s->p.icmp_code))) {
		if (lb_icmp_flow(data, data_end, SCRATCH(s->p.l4_off),
				 SCRATCH(s->p.family), &s->key))
			return not_service();
		icmp_error = true;
	} else {
		return not_service();
	}

	svc = service_lookup(s);
	if (!svc)
		return not_service();
	svc_id = svc->id;
	b = pick_backend(s, cfg, svc, !icmp_error, &id, &inserted);
	if (!b) {
		stat_inc(LB_STAT_NO_BACKEND);
		return XDP_DROP;
	}

	counters_open(&fc, svc_id, id, inserted);
	/* the family checked by usable_backend(), read once */
	outer_len = b->family == PKT_FAMILY_IPV4 ? LB_ENCAP_LEN4 : LB_ENCAP_LEN6;
	ifindex = ctx->ingress_ifindex;
	if (mac_is_zero(b->mac)) {
		stat_inc(LB_STAT_NO_NEIGHBOUR);
		verdict = XDP_DROP;
	} else if (cfg->mtu_min &&
		   SCRATCH(s->p.l3_len) + outer_len > cfg->mtu_min &&
		   (mtu = bpf_map_lookup_elem(&lb_mtu, &ifindex)) &&
		   SCRATCH(s->p.l3_len) + outer_len > *mtu) {
		verdict = too_big(ctx, s, cfg, *mtu, outer_len, icmp_error);
	} else if (encapsulate(ctx, s, cfg, b, outer_len)) {
		verdict = XDP_ABORTED;
	} else {
		counters_sent(&fc, bytes);
		stat_inc(LB_STAT_FORWARDED);
		if (icmp_error)
			stat_inc(LB_STAT_ICMP_FORWARDED);
		verdict = XDP_TX;
	}
	return verdict;
}

SEC("xdp")
int lb_xdp(struct xdp_md *ctx)
{
	int verdict = lb_process(ctx);

	if (verdict == LB_GO_ON)
		return xdp_chain_next(ctx, XDP_STAGE_LB);
	return verdict;
}
