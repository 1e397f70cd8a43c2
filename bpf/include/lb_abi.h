/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the maps and values shared by bpf/lb.bpf.c, bpf/lb_decap.bpf.c and
 * the library. Compiles with clang -target bpf and with the host compiler.
 *
 * Per packet (constant cost, no loop over services or backends):
 *  1. parse (bpf/include/parse.h); not TCP/UDP/ICMP to a VIP -> next stage
 *  2. lb_services[{vip, port, proto}] (then {vip, 0, proto}) -> service
 *  3. lb_conns[5-tuple] (LRU) -> backend id, unless that backend is DOWN
 *  4. else Maglev: lb_rings[service.ring_base + hash % service.ring_size]
 *     -> backend id; insert into lb_conns
 *  5. lb_backends[id] -> address, family, next-hop MAC; encapsulate
 *     (IPIP / IPv6-in-IPv4 when the backend is IPv4, IPv4-in-IPv6 /
 *     IP6IP6 when IPv6), swap MACs, XDP_TX
 * The library writes a service's ring before the service entry points at
 * it, and a backend entry before any ring slot names it; on removal the
 * other way round: every packet sees a consistent table.
 */
#ifndef EBPFNET_LB_ABI_H
#define EBPFNET_LB_ABI_H

#include <linux/types.h>

#define LB_DEFAULT_MAX_SERVICES 4096
#define LB_DEFAULT_MAX_BACKENDS 65536
#define LB_DEFAULT_RING_SLOTS 4194304
#define LB_DEFAULT_CONN_TABLE 262144
#define LB_DEFAULT_TABLE_SIZE 16381
#define LB_DEFAULT_SEED 0x65627066ull /* "ebpf" */

/* lb_services key. Family as PKT_FAMILY_IPV4/6 (4/6); address in network
 * order, IPv4 in the first 4 bytes, the rest zero. */
struct lb_service_key {
	__u8 vip[16];
	__be16 port;     /* 0: every port */
	__u8 proto;
	__u8 family;
};

struct lb_service_val {
	__u32 id;         /* 1..max_services: index of lb_service_stats */
	__u32 ring_base;  /* first slot in lb_rings */
	__u32 ring_size;  /* Maglev table size (prime) */
	__u32 flags;      /* LB_SVC_F_* */
	__u32 sock_pick;  /* enum ebpfnet_lb_sock_pick (socket level) */
	__u32 affinity_timeout; /* seconds; 0: none (socket level) */
};

#define LB_SVC_F_ALL_PORTS (1u << 0) /* a port-0 service */

/* lb_rings: ARRAY of __u32 backend ids (0: slot unused). */

/* lb_backends: ARRAY, index = backend id (1..max_backends). */
struct lb_backend_val {
	__u8 addr[16];
	__u8 family;      /* 4 or 6; 0: unused entry */
	__u8 state;       /* enum ebpfnet_lb_backend_state */
	__u8 mac[6];      /* next hop towards the backend */
	__u32 ifindex;    /* interface of that next hop (0: unknown) */
	__u32 service_id; /* the service it belongs to: a connection entry
			   * naming a reused id of another service is a miss */
};

/* lb_conns: LRU_HASH (per-CPU LRU lists), both families. */
struct lb_conn_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

struct lb_conn_val {
	__u32 backend_id;
	__u32 service_id;
};

/* lb_config: ARRAY of one struct lb_config (written whole by userspace). */
struct lb_config {
	__u8 outer_src4[4];   /* prefix, /16 by convention (Katran) */
	__u8 outer_src6[16];  /* prefix, /64 */
	__u32 outer_src4_len;
	__u32 outer_src6_len;
	__u64 seed;
	__u32 mtu_policy;     /* enum ebpfnet_lb_mtu_policy */
	/* The smallest MTU in lb_mtu (0: lb_mtu is empty). A packet whose
	 * encapsulated size fits it cannot exceed any interface's MTU, so it
	 * skips the lb_mtu lookup. Lowered before a new lb_mtu entry's
	 * interface gets the stage, raised after an entry is deleted. */
	__u32 mtu_min;
};

/* lb_service_stats / lb_backend_stats: PERCPU_ARRAY by id. */
struct lb_counter {
	__u64 packets;
	__u64 bytes;
	__u64 new_conns;
	__u64 sock_conns; /* socket level: sockets balanced */
};

/* lb_stats: PERCPU_ARRAY of __u64, one per LB_STAT_*. */
enum lb_stat {
	LB_STAT_CONN_HITS = 0,
	LB_STAT_CONN_MISSES = 1,
	LB_STAT_FORWARDED = 2,
	LB_STAT_NOT_SERVICE = 3,
	LB_STAT_NO_BACKEND = 4,
	LB_STAT_TOO_BIG = 5,
	LB_STAT_ICMP_FORWARDED = 6,
	LB_STAT_FRAGMENTS = 7,
	LB_STAT_MALFORMED = 8,
	LB_STAT_NO_NEIGHBOUR = 9,
	LB_STAT_NR = 10,
};

/* lb_decap_config (the decap program): ARRAY of one. */
struct lb_decap_config {
	__u8 outer_src4[4];
	__u8 outer_src6[16];
	__u32 outer_src4_len;
	__u32 outer_src6_len;
};

/* lb_mtu: HASH, __u32 ifindex -> __u32 MTU of that interface (the L3 size
 * a frame leaving by it may have). XDP_TX leaves by the interface the
 * packet came in on: the library writes the MTU of every interface the
 * balancer is attached to. No entry: no MTU check there. */
#define LB_MTU_MAX_IFACES 1024

/* lb_config.mtu_policy: the values of enum ebpfnet_lb_mtu_policy. */
#define LB_MTU_POLICY_DROP 0
#define LB_MTU_POLICY_ICMP 1

/* lb_backend_val.state: the values of enum ebpfnet_lb_backend_state. */
#define LB_BACKEND_ACTIVE 0
#define LB_BACKEND_DRAINING 1
#define LB_BACKEND_DOWN 2

/* lb_vips: HASH, struct lb_vip_key -> __u32 (the number of services on
 * that address), sized like max_services. Non-first fragments carry no
 * ports, so only the address tells whether one is for a VIP. */
struct lb_vip_key {
	__u8 vip[16];
	__u8 family;
	__u8 pad[3];
};

/* lb_decap_stats: PERCPU_ARRAY of __u64, one per LB_DECAP_STAT_*. */
enum lb_decap_stat {
	LB_DECAP_STAT_DECAPSULATED = 0, /* outer header removed */
	LB_DECAP_STAT_PASSED = 1,       /* not IPIP / IPv6-in-IP: untouched */
	LB_DECAP_STAT_REJECTED = 2,     /* outer source outside the prefixes */
	LB_DECAP_STAT_FAILED = 3,       /* a helper failed: dropped */
	LB_DECAP_STAT_NR = 4,
};

/* ---- socket level (bpf/lb_sock.bpf.c, part 2) ------------------------ */

/* lb_sock_rev: LRU_HASH. An unconnected UDP socket's datagrams go to the
 * backend; recvmsg() must show the VIP the application asked for: the
 * backend address (+ port, family) seen by socket cookie -> the VIP. */
struct lb_sock_rev_key {
	__u64 cookie;
	__u8 addr[16];
	__be16 port;
	__u8 family;
	__u8 pad[5];
};

struct lb_sock_rev_val {
	__u8 vip[16];
	__be16 port;
	__u8 family;
	__u8 pad[5];
};

/* lb_affinity: LRU_HASH. A client (its network namespace cookie) keeps
 * its backend for the service's affinity_timeout. */
struct lb_affinity_key {
	__u64 netns_cookie;
	__u32 service_id;
	__u32 pad;
};

struct lb_affinity_val {
	__u32 backend_id;
	__u32 pad;
	__u64 last_ns;   /* bpf_ktime_get_ns() of the last use */
};

/* lb_sock_stats: PERCPU_ARRAY of __u64, one per LB_SOCK_STAT_*. */
enum lb_sock_stat {
	LB_SOCK_STAT_BALANCED = 0,        /* connect()/sendmsg() rewritten */
	LB_SOCK_STAT_NO_BACKEND = 1,      /* refused: no usable backend */
	LB_SOCK_STAT_AFFINITY_HITS = 2,   /* backend from lb_affinity */
	LB_SOCK_STAT_FAMILY_MISMATCH = 3, /* refused: backend family unreachable */
	LB_SOCK_STAT_REVERSED = 4,        /* recvmsg()/getpeername() shown the VIP */
	LB_SOCK_STAT_BIND_REFUSED = 5,    /* bind() to a VIP:port refused */
	LB_SOCK_STAT_NR = 6,
};

/*
 * The flow hash, computed the same way by the datapath and by
 * ebpfnet_lb_simulate(): murmur3's steps over the 5-tuple's words, then
 * its finalizer, with the seed. Every service hashes the whole 5-tuple
 * (for a port-0 service the destination port is part of it too).
 */
static inline __u32 lb_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline __u32 lb_hash_step(__u32 h, __u32 w)
{
	w *= 0xcc9e2d51u;
	w = (w << 15) | (w >> 17);
	w *= 0x1b873593u;
	h ^= w;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

/* key: the flow as lb_conn_key (network order fields, as on the wire). */
static inline __u32 lb_flow_hash(const struct lb_conn_key *k, __u64 seed)
{
	const __u32 *s = (const __u32 *)k->src;
	const __u32 *d = (const __u32 *)k->dst;
	__u32 h = (__u32)seed ^ (__u32)(seed >> 32);

	h = lb_hash_step(h, s[0]);
	h = lb_hash_step(h, s[1]);
	h = lb_hash_step(h, s[2]);
	h = lb_hash_step(h, s[3]);
	h = lb_hash_step(h, d[0]);
	h = lb_hash_step(h, d[1]);
	h = lb_hash_step(h, d[2]);
	h = lb_hash_step(h, d[3]);
	h = lb_hash_step(h, ((__u32)k->sport << 16) | k->dport);
	h = lb_hash_step(h, ((__u32)k->proto << 8) | k->family);
	return lb_mix32(h ^ 40);
}

#endif /* EBPFNET_LB_ABI_H */
