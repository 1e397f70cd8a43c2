/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the socket level (east-west). cgroup sock_addr programs balance a
 * socket once, when it connects (or sends an unconnected UDP datagram) to
 * a VIP:port: the destination becomes the chosen backend, so no packet is
 * ever rewritten. recvmsg() and getpeername() are shown the VIP again.
 * The service table is the XDP balancer's (lb_maps.h).
 *
 * Policies:
 *  - The service: {vip, port, proto} then {vip, 0, proto}; proto is the
 *    socket's (TCP or UDP; other sockets are left alone). An IPv6 socket
 *    asking for a v4-mapped ::ffff:a.b.c.d asks for the IPv4 VIP.
 *  - The backend: with the service's affinity_timeout, the one this
 *    client (its network namespace cookie) had, while it was used within
 *    the timeout and is still ACTIVE; else a slot of the service's Maglev
 *    ring: the slot of a hash of the socket cookie (MAGLEV), or a random
 *    slot (RANDOM: random by weight). Only ACTIVE backends of the service.
 *  - Families: an IPv6 socket reaches an IPv4 backend at its v4-mapped
 *    address (a dual-stack socket; an IPV6_V6ONLY one then fails with
 *    ENETUNREACH, from the kernel). An IPv4 socket cannot reach an IPv6
 *    backend: refused and counted (family_mismatch).
 *  - Refused (no usable backend, family mismatch): ECONNREFUSED where the
 *    kernel has bpf_set_retval() (5.18+; the library sets has_set_retval
 *    from a probe), EPERM otherwise. The port is never changed.
 *  - Reverse entries (lb_sock_rev, LRU: they age out after the socket is
 *    gone): {cookie, backend as the socket sees it} -> the VIP, written at
 *    connect() and sendmsg(), read by recvmsg() and getpeername().
 *  - Counters: sock_conns of the service and the backend once per
 *    connect(), and once per (UDP socket, backend) for sendmsg();
 *    LB_SOCK_STAT_BALANCED per rewrite.
 *  - refuse_bind: bind() to a VIP:port of a service (or any port of a
 *    port-0 service) fails: EADDRINUSE (EPERM without bpf_set_retval).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lb_abi.h"
#include "lb_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define ECONNREFUSED 111
#define EADDRINUSE 98
#define NS_PER_SEC 1000000000ull
#define LB_PICK_RANDOM 1 /* EBPFNET_LB_PICK_RANDOM */
/* lb_abi.h's families (as parse.h's PKT_FAMILY_*) */
#define PKT_FAMILY_IPV4 4
#define PKT_FAMILY_IPV6 6

/* Set by the library before load. */
const volatile bool has_set_retval = false;
const volatile bool refuse_bind = false;

/* ---- maps of the socket level (pinned next to the others) --------------- */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lb_sock_rev_key);
	__type(value, struct lb_sock_rev_val);
} lb_sock_rev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lb_affinity_key);
	__type(value, struct lb_affinity_val);
} lb_affinity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_SOCK_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} lb_sock_stats SEC(".maps");

/* ---- helpers ---------------------------------------------------------------- */

static __always_inline void stat_inc(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&lb_sock_stats, &stat);

	if (v)
		(*v)++;
}

static __always_inline void sock_conns_inc(void *map, __u32 id)
{
	struct lb_counter *c = bpf_map_lookup_elem(map, &id);

	if (c)
		c->sock_conns++;
}

/* A refused connect()/sendmsg(). */
static __always_inline int refuse(__u32 stat)
{
	stat_inc(stat);
	if (has_set_retval)
		bpf_set_retval(-ECONNREFUSED);
	return 0;
}

/* An address as the socket sees it: 4 or 16 bytes, family 4 or 6. */
struct sock_addr {
	__u32 ip[4];
	__u8 family;
};

static __always_inline bool is_v4_mapped(const __u32 *ip)
{
	return !ip[0] && !ip[1] && ip[2] == bpf_htonl(0xffff);
}

static __always_inline void addr_read(struct bpf_sock_addr *ctx, bool v6,
				      struct sock_addr *a)
{
	if (v6) {
		a->ip[0] = ctx->user_ip6[0];
		a->ip[1] = ctx->user_ip6[1];
		a->ip[2] = ctx->user_ip6[2];
		a->ip[3] = ctx->user_ip6[3];
		a->family = PKT_FAMILY_IPV6;
	} else {
		a->ip[0] = ctx->user_ip4;
		a->ip[1] = a->ip[2] = a->ip[3] = 0;
		a->family = PKT_FAMILY_IPV4;
	}
}

static __always_inline void addr_write(struct bpf_sock_addr *ctx,
				       const struct sock_addr *a)
{
	if (a->family == PKT_FAMILY_IPV6) {
		ctx->user_ip6[0] = a->ip[0];
		ctx->user_ip6[1] = a->ip[1];
		ctx->user_ip6[2] = a->ip[2];
		ctx->user_ip6[3] = a->ip[3];
	} else {
		ctx->user_ip4 = a->ip[0];
	}
}

/* The service of {address, port, proto} (a v4-mapped address: the IPv4
 * VIP), exact port first, then port 0. */
static __always_inline struct lb_service_val *
service_find(const struct sock_addr *a, __be16 port, __u8 proto)
{
	struct lb_service_key key = {};
	struct lb_service_val *svc;
	__u32 *vip = (__u32 *)key.vip;

	if (a->family == PKT_FAMILY_IPV6 && !is_v4_mapped(a->ip)) {
		vip[0] = a->ip[0];
		vip[1] = a->ip[1];
		vip[2] = a->ip[2];
		vip[3] = a->ip[3];
		key.family = PKT_FAMILY_IPV6;
	} else {
		vip[0] = a->family == PKT_FAMILY_IPV6 ? a->ip[3] : a->ip[0];
		key.family = PKT_FAMILY_IPV4;
	}
	key.port = port;
	key.proto = proto;
	svc = bpf_map_lookup_elem(&lb_services, &key);
	if (svc || !port)
		return svc;
	key.port = 0;
	return bpf_map_lookup_elem(&lb_services, &key);
}

/* Backend `id` when a new socket of service svc_id may go to it. */
static __always_inline const struct lb_backend_val *usable(__u32 id, __u32 svc_id)
{
	const struct lb_backend_val *b;

	if (!id)
		return NULL;
	b = bpf_map_lookup_elem(&lb_backends, &id);
	if (!b || b->service_id != svc_id || b->state != LB_BACKEND_ACTIVE)
		return NULL;
	if (b->family != PKT_FAMILY_IPV4 && b->family != PKT_FAMILY_IPV6)
		return NULL;
	return b;
}

/* The slot of the service's ring for this socket. */
static __always_inline __u32 ring_slot(const struct lb_service_val *svc,
				       __u32 ring_size, __u64 cookie)
{
	__u32 zero = 0, h;
	const struct lb_config *cfg;

	if (svc->sock_pick == LB_PICK_RANDOM)
		return bpf_get_prandom_u32() % ring_size;
	cfg = bpf_map_lookup_elem(&lb_config, &zero);
	h = cfg ? (__u32)cfg->seed ^ (__u32)(cfg->seed >> 32) : 0;
	h = lb_hash_step(h, (__u32)cookie);
	h = lb_hash_step(h, (__u32)(cookie >> 32));
	return lb_mix32(h ^ 8) % ring_size;
}

/* The backend of a new socket (its id in *id), or NULL. */
static __always_inline const struct lb_backend_val *
pick(struct bpf_sock_addr *ctx, const struct lb_service_val *svc, __u64 cookie,
     __u32 *id)
{
	__u32 svc_id = svc->id, ring_size = svc->ring_size, timeout, slot, *ring_id;
	struct lb_affinity_key akey = {};
	struct lb_affinity_val aval = {}, *a = NULL;
	const struct lb_backend_val *b;
	__u64 now = 0;

	timeout = svc->affinity_timeout;
	if (timeout) {
		akey.netns_cookie = bpf_get_netns_cookie(ctx);
		akey.service_id = svc_id;
		now = bpf_ktime_get_ns();
		a = bpf_map_lookup_elem(&lb_affinity, &akey);
		if (a && now - a->last_ns <= (__u64)timeout * NS_PER_SEC) {
			*id = a->backend_id;
			b = usable(*id, svc_id);
			if (b) {
				a->last_ns = now;
				stat_inc(LB_SOCK_STAT_AFFINITY_HITS);
				return b;
			}
		}
	}
	if (!ring_size)
		return NULL;
	slot = svc->ring_base + ring_slot(svc, ring_size, cookie);
	ring_id = bpf_map_lookup_elem(&lb_rings, &slot);
	*id = ring_id ? *ring_id : 0;
	b = usable(*id, svc_id);
	if (b && timeout) {
		aval.backend_id = *id;
		aval.last_ns = now;
		bpf_map_update_elem(&lb_affinity, &akey, &aval, BPF_ANY);
	}
	return b;
}

/* The backend's address as a socket of family sock_family reaches it
 * (IPv4 behind an IPv6 socket: v4-mapped); false when it cannot. */
static __always_inline bool backend_addr(const struct lb_backend_val *b,
					 __u8 sock_family, struct sock_addr *out)
{
	const __u32 *ip = (const __u32 *)b->addr;

	out->family = sock_family;
	if (b->family == PKT_FAMILY_IPV4) {
		if (sock_family == PKT_FAMILY_IPV4) {
			out->ip[0] = ip[0];
			out->ip[1] = out->ip[2] = out->ip[3] = 0;
		} else {
			out->ip[0] = 0;
			out->ip[1] = 0;
			out->ip[2] = bpf_htonl(0xffff);
			out->ip[3] = ip[0];
		}
		return true;
	}
	if (sock_family == PKT_FAMILY_IPV4)
		return false;
	out->ip[0] = ip[0];
	out->ip[1] = ip[1];
	out->ip[2] = ip[2];
	out->ip[3] = ip[3];
	return true;
}

static __always_inline void rev_key(struct lb_sock_rev_key *k, __u64 cookie,
				    const struct sock_addr *a, __be16 port)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->cookie = cookie;
	__builtin_memcpy(k->addr, a->ip, sizeof(k->addr));
	k->port = port;
	k->family = a->family;
}

/* The socket's proto when it is one services have (TCP, UDP), else 0. */
static __always_inline __u8 sock_proto(struct bpf_sock_addr *ctx)
{
	__u32 proto = ctx->protocol;

	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ? (__u8)proto : 0;
}

/*
 * connect() (connected: true) or an unconnected sendmsg(): a VIP's
 * destination becomes the chosen backend's. 1 to go on, 0 refused.
 */
static __always_inline int balance(struct bpf_sock_addr *ctx, bool v6,
				   bool connected)
{
	struct lb_sock_rev_key rk;
	struct lb_sock_rev_val rv = {};
	struct sock_addr vip, to;
	const struct lb_backend_val *b;
	const struct lb_service_val *svc;
	__be16 port = (__be16)ctx->user_port;
	__u8 proto = sock_proto(ctx);
	__u32 id = 0, svc_id;
	__u64 cookie;
	bool counted;

	if (!proto)
		return 1;
	addr_read(ctx, v6, &vip);
	svc = service_find(&vip, port, proto);
	if (!svc)
		return 1;
	svc_id = svc->id;
	cookie = bpf_get_socket_cookie(ctx);
	b = pick(ctx, svc, cookie, &id);
	if (!b)
		return refuse(LB_SOCK_STAT_NO_BACKEND);
	if (!backend_addr(b, vip.family, &to))
		return refuse(LB_SOCK_STAT_FAMILY_MISMATCH);
	addr_write(ctx, &to);

	rev_key(&rk, cookie, &to, port);
	__builtin_memcpy(rv.vip, vip.ip, sizeof(rv.vip));
	rv.port = port;
	rv.family = vip.family;
	/* a UDP socket counts once per backend it sends to */
	counted = !bpf_map_update_elem(&lb_sock_rev, &rk, &rv,
				       connected ? BPF_ANY : BPF_NOEXIST);
	if (connected || counted) {
		sock_conns_inc(&lb_service_stats, svc_id);
		sock_conns_inc(&lb_backend_stats, id);
	}
	stat_inc(LB_SOCK_STAT_BALANCED);
	return 1;
}

/* recvmsg() / getpeername(): a backend's address shown as the VIP. */
static __always_inline int reverse(struct bpf_sock_addr *ctx, bool v6)
{
	struct lb_sock_rev_key rk;
	struct lb_sock_rev_val *rv;
	struct sock_addr a;

	addr_read(ctx, v6, &a);
	rev_key(&rk, bpf_get_socket_cookie(ctx), &a, (__be16)ctx->user_port);
	rv = bpf_map_lookup_elem(&lb_sock_rev, &rk);
	if (!rv)
		return 1;
	__builtin_memcpy(a.ip, rv->vip, sizeof(a.ip));
	addr_write(ctx, &a);
	ctx->user_port = rv->port;
	stat_inc(LB_SOCK_STAT_REVERSED);
	return 1;
}

/* After bind(): a VIP:port of a service is refused with refuse_bind. */
static __always_inline int check_bind(struct bpf_sock *sk, bool v6)
{
	struct sock_addr a;
	__u32 proto;

	if (!refuse_bind)
		return 1;
	proto = sk->protocol;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 1;
	if (v6) {
		a.ip[0] = sk->src_ip6[0];
		a.ip[1] = sk->src_ip6[1];
		a.ip[2] = sk->src_ip6[2];
		a.ip[3] = sk->src_ip6[3];
		a.family = PKT_FAMILY_IPV6;
	} else {
		a.ip[0] = sk->src_ip4;
		a.ip[1] = a.ip[2] = a.ip[3] = 0;
		a.family = PKT_FAMILY_IPV4;
	}
	/* src_port is in host order here */
	if (!service_find(&a, bpf_htons((__u16)sk->src_port), (__u8)proto))
		return 1;
	stat_inc(LB_SOCK_STAT_BIND_REFUSED);
	if (has_set_retval)
		bpf_set_retval(-EADDRINUSE);
	return 0;
}

/* ---- the programs ------------------------------------------------------------- */

SEC("cgroup/connect4")
int lb_sock_connect4(struct bpf_sock_addr *ctx)
{
	return balance(ctx, false, true);
}

SEC("cgroup/connect6")
int lb_sock_connect6(struct bpf_sock_addr *ctx)
{
	return balance(ctx, true, true);
}

SEC("cgroup/sendmsg4")
int lb_sock_sendmsg4(struct bpf_sock_addr *ctx)
{
	return balance(ctx, false, false);
}

SEC("cgroup/sendmsg6")
int lb_sock_sendmsg6(struct bpf_sock_addr *ctx)
{
	return balance(ctx, true, false);
}

SEC("cgroup/recvmsg4")
int lb_sock_recvmsg4(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, false);
}

SEC("cgroup/recvmsg6")
int lb_sock_recvmsg6(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, true);
}

SEC("cgroup/getpeername4")
int lb_sock_getpeername4(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, false);
}

SEC("cgroup/getpeername6")
int lb_sock_getpeername6(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, true);
}

SEC("cgroup/post_bind4")
int lb_sock_post_bind4(struct bpf_sock *sk)
{
	return check_bind(sk, false);
}

SEC("cgroup/post_bind6")
int lb_sock_post_bind6(struct bpf_sock *sk)
{
	return check_bind(sk, true);
}
