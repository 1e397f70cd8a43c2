/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the L4 load balancer. Part 1 is the north-south datapath in XDP
 * (Katran-style: one-armed, Maglev consistent hashing, a connection table,
 * IPIP / IP6IP6 encapsulation, direct server return), plus the decap
 * program a backend needs when its kernel cannot decapsulate IPIP itself.
 *
 * One service table per node (per pin root), shared by every interface
 * the balancer is attached to (an XDP stage after drop, see ebpfnet(7)).
 *
 *     open(opts) -> service_add / backend_add ... -> attach(ifname)
 *     -> destroy()  (the pinned balancer keeps forwarding)
 *
 * One handle, one thread at a time; several handles and processes may
 * change the same node's tables: changes are serialized by a lock on the
 * pin directory.
 */
#ifndef EBPFNET_LB_H
#define EBPFNET_LB_H

#include <ebpfnet/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An IPv4 or IPv6 address, network byte order. */
struct ebpfnet_lb_addr {
	uint8_t family;    /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* 4 or 16 bytes used */
};

/* A service: VIP + port + protocol. port 0: every port of the VIP (then
 * the flow hash covers the source address and both ports). */
/* How the socket level (part 2) picks a backend for a new socket. */
enum ebpfnet_lb_sock_pick {
	EBPFNET_LB_PICK_MAGLEV = 0, /* Maglev slot of a hash of the socket cookie */
	EBPFNET_LB_PICK_RANDOM = 1, /* a random slot: random by weight */
};

struct ebpfnet_lb_service {
	size_t sz;
	struct ebpfnet_lb_addr vip;
	uint16_t port;        /* host byte order; 0: every port */
	uint8_t proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t table_size;  /* Maglev table size, a prime; 0: 16381 */
	/* socket level (part 2) */
	enum ebpfnet_lb_sock_pick sock_pick;
	uint32_t affinity_timeout; /* seconds a client (its network namespace)
				    * keeps its backend; 0: no affinity */
};

enum ebpfnet_lb_backend_state {
	EBPFNET_LB_BACKEND_ACTIVE = 0,   /* new and established connections */
	EBPFNET_LB_BACKEND_DRAINING = 1, /* established connections only */
	EBPFNET_LB_BACKEND_DOWN = 2,     /* nothing: its connections move */
};

struct ebpfnet_lb_backend {
	size_t sz;
	struct ebpfnet_lb_addr addr;  /* either family, behind either VIP family */
	uint32_t weight;              /* 1..65535; 0 means 1 */
	enum ebpfnet_lb_backend_state state;
};

/* What packets of a VIP meet when encapsulation would exceed the MTU of
 * the interface they leave by. */
enum ebpfnet_lb_mtu_policy {
	EBPFNET_LB_MTU_DROP = 0,     /* drop and count (too_big) */
	EBPFNET_LB_MTU_ICMP = 1,     /* answer ICMP frag-needed / packet-too-big */
};

struct ebpfnet_lb_opts {
	size_t sz;
	const char *pin_root;         /* NULL: EBPFNET_PIN_ROOT_DEFAULT */
	/* sizes, used when the balancer is created (0: the default) */
	uint32_t max_services;        /* 4096 */
	uint32_t max_backends;        /* 65536 (over all services) */
	uint32_t ring_slots;          /* Maglev slots over all services: 4194304 */
	uint32_t conn_table_size;     /* connection table entries: 262144 */
	/* outer source prefixes (Katran's conventions); NULL: the default */
	const char *outer_src4;       /* "172.16.0.0/16" */
	const char *outer_src6;       /* "100::/64" */
	uint64_t hash_seed;           /* 0: a fixed default (the same on every node) */
	bool open_existing;           /* only adopt: ENOENT when there is none */
};

struct ebpfnet_lb;

/* Open the node's balancer under pin_root: adopt the pinned one or create
 * it. NULL with errno set on failure. */
EBPFNET_API struct ebpfnet_lb *ebpfnet_lb_open(const struct ebpfnet_lb_opts *opts);

/* Attach / detach the XDP stage on ifname (see ebpfnet_drop_attach: same
 * chain, modes and errors). Detaching the last interface leaves the
 * tables (services are node state; ebpfnet_lb_service_del removes them). */
EBPFNET_API int ebpfnet_lb_attach(struct ebpfnet_lb *lb, const char *ifname,
				  enum ebpfnet_xdp_mode mode);
EBPFNET_API int ebpfnet_lb_detach(struct ebpfnet_lb *lb, const char *ifname);
EBPFNET_API int ebpfnet_lb_mode(const struct ebpfnet_lb *lb, const char *ifname);

/* Services. -EEXIST, -ENOENT, -ENOSPC (services, ring slots), -EINVAL. */
EBPFNET_API int ebpfnet_lb_service_add(struct ebpfnet_lb *lb,
				       const struct ebpfnet_lb_service *service);
EBPFNET_API int ebpfnet_lb_service_del(struct ebpfnet_lb *lb,
				       const struct ebpfnet_lb_service *service);

/* Backends of a service (identified by vip, port, proto). add: -EEXIST
 * when the address is there; set: changes weight and state (weight 0
 * keeps the current weight); del: its connections move on their next
 * packet. Every change rewrites only the
 * Maglev slots that change, in an order that keeps each packet's view
 * consistent, and never moves a connection whose backend stays active or
 * draining. */
EBPFNET_API int ebpfnet_lb_backend_add(struct ebpfnet_lb *lb,
				       const struct ebpfnet_lb_service *service,
				       const struct ebpfnet_lb_backend *backend);
EBPFNET_API int ebpfnet_lb_backend_set(struct ebpfnet_lb *lb,
				       const struct ebpfnet_lb_service *service,
				       const struct ebpfnet_lb_backend *backend);
EBPFNET_API int ebpfnet_lb_backend_del(struct ebpfnet_lb *lb,
				       const struct ebpfnet_lb_service *service,
				       const struct ebpfnet_lb_addr *addr);

/* Counters, per-CPU values summed. Declare with EBPFNET_OPTS. */
struct ebpfnet_lb_counters {
	size_t sz;
	uint64_t packets;
	uint64_t bytes;
	uint64_t new_conns;  /* connection-table inserts */
	uint64_t sock_conns; /* sockets balanced at connect()/sendmsg() */
};

typedef int (*ebpfnet_lb_service_fn)(void *ctx,
				     const struct ebpfnet_lb_service *service,
				     const struct ebpfnet_lb_counters *counters);
typedef int (*ebpfnet_lb_backend_fn)(void *ctx,
				     const struct ebpfnet_lb_backend *backend,
				     const struct ebpfnet_lb_counters *counters);
/* Walk the services (in the order they were added) / the backends of one. */
EBPFNET_API int ebpfnet_lb_services(const struct ebpfnet_lb *lb,
				    ebpfnet_lb_service_fn fn, void *ctx);
EBPFNET_API int ebpfnet_lb_backends(const struct ebpfnet_lb *lb,
				    const struct ebpfnet_lb_service *service,
				    ebpfnet_lb_backend_fn fn, void *ctx);

struct ebpfnet_lb_stats {
	size_t sz;
	uint64_t conn_hits;      /* packets whose connection was known */
	uint64_t conn_misses;    /* packets that needed Maglev */
	uint64_t forwarded;      /* encapsulated and sent (XDP_TX) */
	uint64_t not_service;    /* not for a VIP: went on */
	uint64_t no_backend;     /* a VIP with no usable backend: dropped */
	uint64_t too_big;        /* over the MTU after encapsulation */
	uint64_t icmp_forwarded; /* ICMP errors sent to the flow's backend */
	uint64_t fragments;      /* IP fragments to a VIP: see ebpfnet_lb(3) */
	uint64_t malformed;      /* could not be parsed */
	uint64_t no_neighbour;   /* next hop MAC unknown: dropped */
	uint32_t services;
	uint32_t backends;
	/* socket level (part 2) */
	uint64_t sock_balanced;        /* connect()/sendmsg() rewritten */
	uint64_t sock_no_backend;      /* refused: no usable backend */
	uint64_t sock_affinity_hits;   /* backend kept by client affinity */
	uint64_t sock_family_mismatch; /* refused: backend family unreachable */
	uint64_t sock_reversed;        /* recvmsg()/getpeername() shown the VIP */
	uint64_t sock_bind_refused;    /* bind() to a VIP:port refused */
};

EBPFNET_API int ebpfnet_lb_stats(const struct ebpfnet_lb *lb,
				 struct ebpfnet_lb_stats *stats);

EBPFNET_API int ebpfnet_lb_set_mtu_policy(struct ebpfnet_lb *lb,
					  enum ebpfnet_lb_mtu_policy policy);

/* A flow, for simulate(). */
struct ebpfnet_lb_flow {
	size_t sz;
	struct ebpfnet_lb_addr src;
	struct ebpfnet_lb_addr dst;
	uint16_t sport;      /* host byte order */
	uint16_t dport;
	uint8_t proto;
};

/* The backend a new packet of `flow` would go to (the connection table is
 * consulted first, as the datapath does). -ENOENT: not a service, or no
 * usable backend. */
EBPFNET_API int ebpfnet_lb_simulate(const struct ebpfnet_lb *lb,
				    const struct ebpfnet_lb_flow *flow,
				    struct ebpfnet_lb_backend *backend);

/* The backend side: strip the outer header of IPIP / IPv6-in-IP packets
 * arriving on ifname from the balancer's outer source prefixes (TC
 * ingress), so the inner packet reaches the VIP bound on this host. Pinned
 * under <pin_root>/lb-decap/<ifname>/. */
struct ebpfnet_lb_decap_opts {
	size_t sz;
	const char *pin_root;    /* NULL: EBPFNET_PIN_ROOT_DEFAULT */
	const char *outer_src4;  /* accepted outer sources: "172.16.0.0/16" */
	const char *outer_src6;  /* "100::/64" */
};
EBPFNET_API int ebpfnet_lb_decap_attach(const char *ifname,
					const struct ebpfnet_lb_decap_opts *opts);
EBPFNET_API int ebpfnet_lb_decap_detach(const char *ifname,
					const struct ebpfnet_lb_decap_opts *opts);

/* Text: "VIP:PORT/PROTO" ("10.0.0.1:80/tcp", "[2001:db8::1]:443/tcp",
 * "10.0.0.1:0/udp"), "ADDR:PORT" and addresses; -EINVAL with a reason in
 * err. Formats: TEXT (the same syntax) or JSON. Thread-safe. */
EBPFNET_API int ebpfnet_lb_service_parse(const char *text,
					 struct ebpfnet_lb_service *service,
					 char *err, size_t errlen);
EBPFNET_API int ebpfnet_lb_addr_parse(const char *text,
				      struct ebpfnet_lb_addr *addr,
				      char *err, size_t errlen);
EBPFNET_API int ebpfnet_lb_endpoint_parse(const char *text,
					  struct ebpfnet_lb_addr *addr,
					  uint16_t *port, char *err,
					  size_t errlen);
EBPFNET_API int ebpfnet_lb_service_format(const struct ebpfnet_lb_service *service,
					  enum ebpfnet_format format,
					  char *buf, size_t len);
EBPFNET_API int ebpfnet_lb_backend_format(const struct ebpfnet_lb_backend *backend,
					  enum ebpfnet_format format,
					  char *buf, size_t len);

/*
 * Socket level (part 2, east-west): cgroup sock_addr programs on a cgroup
 * v2 directory (NULL: the root of the cgroup2 mount) rewrite connect() to
 * a VIP:port into a connect() to the chosen backend (sendmsg() for
 * unconnected UDP), and show the VIP again to recvmsg()/getpeername(): no
 * per-packet NAT. The same services and backends as the XDP datapath. A
 * service with no usable backend: connect() fails with ECONNREFUSED
 * (EPERM on kernels without bpf_set_retval, before 5.18). Pinned under
 * <pin_root>/lb/sock/<cgroup id>/.
 */
struct ebpfnet_lb_socket_opts {
	size_t sz;
	bool refuse_bind;  /* bind() to a VIP:port of a service fails (EADDRINUSE) */
};
EBPFNET_API int ebpfnet_lb_socket_attach(struct ebpfnet_lb *lb,
					 const char *cgroup_path,
					 const struct ebpfnet_lb_socket_opts *opts);
EBPFNET_API int ebpfnet_lb_socket_detach(struct ebpfnet_lb *lb,
					 const char *cgroup_path);
/* Cgroups the socket level is attached to: fn(ctx, path). */
typedef int (*ebpfnet_lb_cgroup_fn)(void *ctx, const char *cgroup_path);
EBPFNET_API int ebpfnet_lb_socket_cgroups(const struct ebpfnet_lb *lb,
					  ebpfnet_lb_cgroup_fn fn, void *ctx);

/* Close the handle; the pinned balancer keeps forwarding. NULL-safe. */
EBPFNET_API void ebpfnet_lb_destroy(struct ebpfnet_lb *lb);

/*
 * Maglev (Eisenbud et al., NSDI 2016), weighted: fill `table`
 * (table_size entries, table_size a prime > n) with indexes into
 * backends[], each backend's share of slots proportional to its weight.
 * Deterministic: the same keys, weights, size and seed give the same
 * table on every node. A backend of weight 0 gets no slot. Thread-safe.
 */
struct ebpfnet_maglev_backend {
	const void *key;   /* identity bytes (e.g. the address) */
	size_t key_len;
	uint32_t weight;
};
EBPFNET_API int ebpfnet_maglev_build(const struct ebpfnet_maglev_backend *backends,
				     size_t n, uint32_t table_size,
				     uint64_t seed, uint32_t *table);

#ifdef __cplusplus
}
#endif

#endif /* EBPFNET_LB_H */
