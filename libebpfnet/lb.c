/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the XDP load balancer object. One pinned balancer per pin root
 * (<pin_root>/lb/<map>), a stage of the XDP chain (xdp_chain.h). This file
 * loads the program on the pinned maps, keeps the service/backend model
 * (with each service's current Maglev table) in memory, writes only what
 * a change changes, in an order that keeps every packet's view consistent
 * (lb_abi.h), and reads counters back.
 *
 * What the datapath does not need but a restarted agent does lives in
 * userspace-only maps pinned next to the others:
 *   lb_meta      ARRAY[1]: generation, next service sequence, last ids
 *   lb_svc_meta  ARRAY by service id: the order services were added in
 *   lb_be_meta   ARRAY by backend id: its service and weight
 * Several processes may manage the balancer: every change takes an
 * exclusive flock on <pin_root>/lb, re-reads the model when another
 * process changed it (lb_meta.generation), and only then writes. Locks
 * are taken in one order: lb, then the chain's.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "lb_internal.h"
#include "maps.h"
#include "netlink.h"
#include "percpu.h"
#include "pinned.h"
#include "stage.h"
#include "xdp_chain.h"
#include "lb.skel.h"

_Static_assert(EBPFNET_LB_MTU_DROP == LB_MTU_POLICY_DROP &&
	       EBPFNET_LB_MTU_ICMP == LB_MTU_POLICY_ICMP, "MTU policies");

#define LB_OBJECT "lb"
#define LB_NEXTHOP_TIMEOUT_MS 3000
#define LB_MAX_WEIGHT 65535
#define LB_ENOTSUPP 524 /* the kernel's ENOTSUPP: no batch operations */
#define META_MAP "lb_meta"
#define SVC_META_MAP "lb_svc_meta"
#define BE_META_MAP "lb_be_meta"
/* Upper bounds of the sizes (memory: lb_rings is 4 bytes a slot). */
#define LB_MAX_SERVICES_LIMIT (1u << 20)
#define LB_MAX_BACKENDS_LIMIT (1u << 24)
#define LB_RING_SLOTS_LIMIT (1u << 28)
#define LB_CONN_TABLE_LIMIT (1u << 27)

static const struct ebpfnet__pinned_kind lb_kind = {
	.object = LB_OBJECT,
	.noun = "balancer",
	.probe_map = "lb_config", /* lb_config's pin tells a balancer exists */
	.opts_type = "ebpfnet_lb_opts",
	.room = 64,
};

/* lb_meta's single entry. */
struct lb_meta {
	__u64 generation;      /* bumped by every change */
	__u64 next_seq;        /* the next service's sequence */
	__u32 last_service_id; /* ids are handed out round robin: a */
	__u32 last_backend_id; /* freed id comes back as late as possible */
};

struct lb_svc_meta {
	__u64 seq;             /* order of addition */
};

struct lb_be_meta {
	__u32 service_id;
	__u32 weight;
};

struct lb_be {
	uint32_t id;
	struct ebpfnet_lb_addr addr;
	uint32_t weight;
	uint8_t state;         /* enum ebpfnet_lb_backend_state */
	uint8_t mac[6];
	uint32_t ifindex;
};

struct lb_svc {
	struct lb_service_key key;
	uint32_t id;
	uint32_t ring_base;
	uint32_t ring_size;
	uint32_t sock_pick;        /* enum ebpfnet_lb_sock_pick */
	uint32_t affinity_timeout; /* seconds */
	uint64_t seq;
	uint32_t *table;       /* what lb_rings holds; NULL until needed */
	struct lb_be *be;
	size_t nbe, be_cap;
};

/* The maps, by name: the datapath's (required unless noted) and ours. */
struct lb_fds {
	int services, vips, rings, backends, conns, config;
	int service_stats, backend_stats, stats, mtu;
	int meta, svc_meta, be_meta;
};

struct ebpfnet_lb {
	struct ebpfnet__pinned pins; /* <pin_root>/lb, probe: lb_config */
	struct ebpfnet__xdp_chain *chain;
	struct lb_bpf *skel;
	int prog_fd;
	struct lb_fds fd;
	uint32_t max_services, max_backends, ring_slots;
	struct lb_config config;
	/* the model */
	struct lb_svc *svc;        /* in the order they were added */
	size_t nsvc, svc_cap;
	uint32_t *be_owner;        /* backend id -> service id (0: free) */
	bool *svc_used;            /* service id -> in use */
	struct lb_ring_alloc *ring;
	struct lb_meta meta;       /* as of our last read or write */
};

/* ---- small helpers ------------------------------------------------------ */

static int check_handle(const struct ebpfnet_lb *lb, const char *fn)
{
	if (!lb) {
		pr_warn("%s: lb is NULL", fn);
		return -EINVAL;
	}
	return 0;
}

/* Map calls, logged in lb's name (maps.h). */
static int map_err(const char *what, int err)
{
	return ebpfnet__map_fail(LB_OBJECT, what, err);
}

static int map_put(int fd, const void *key, const void *value, const char *what)
{
	return ebpfnet__map_put(LB_OBJECT, fd, key, value, what);
}

static int map_del(int fd, const void *key, const char *what)
{
	return ebpfnet__map_del(LB_OBJECT, fd, key, what);
}

static int family_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* AF_INET/AF_INET6 <-> the datapath's 4/6. */
static uint8_t pkt_family(int family)
{
	return family == AF_INET ? 4 : 6;
}

static int af_family(uint8_t pkt)
{
	return pkt == 4 ? AF_INET : AF_INET6;
}

static const char *addr_str(const struct ebpfnet_lb_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "(family %u)", a->family);
	return buf;
}

static const char *svc_str(const struct lb_svc *s, char *buf, size_t len)
{
	struct ebpfnet_lb_addr a = { .family = (uint8_t)af_family(s->key.family) };
	char ip[INET6_ADDRSTRLEN];

	memcpy(a.addr, s->key.vip, sizeof(a.addr));
	addr_str(&a, ip, sizeof(ip));
	snprintf(buf, len, a.family == AF_INET ? "%s:%u/%s" : "[%s]:%u/%s", ip,
		 ntohs(s->key.port), s->key.proto == IPPROTO_TCP ? "tcp" : "udp");
	return buf;
}

/* ---- arrays in bulk ------------------------------------------------------ */

/* Read entries [first, first + n) of an ARRAY map (n values of vsize). */
static int array_read(int fd, uint32_t first, uint32_t n, size_t vsize, void *out,
		      const char *what)
{
	uint32_t *keys = malloc((size_t)n * sizeof(*keys) + 1);
	__u32 in = first - 1, next = 0, got = 0;
	bool batch = keys != NULL;

	while (batch && got < n) {
		__u32 count = n - got;
		int err = bpf_map_lookup_batch(fd, first + got ? &in : NULL, &next,
					       keys + got, (char *)out + got * vsize,
					       &count, NULL);

		if (err && errno != ENOENT)
			batch = false;
		for (__u32 i = 0; batch && i < count; i++)
			batch = keys[got + i] == first + got + i;
		got += count;
		in = next;
		if (batch && (err || !count) && got < n)
			batch = false; /* the map ended early */
	}
	free(keys);
	if (batch)
		return 0;
	for (uint32_t i = 0; i < n; i++) { /* one at a time */
		__u32 key = first + i;

		if (bpf_map_lookup_elem(fd, &key, (char *)out + i * vsize))
			return map_err(what, -errno);
	}
	return 0;
}

/* Write n (key, value) pairs of an ARRAY map; *done: how many were
 * written, in order. */
static int array_write(int fd, const uint32_t *keys, const void *values,
		       uint32_t n, size_t vsize, uint32_t *done, const char *what)
{
	__u32 count = n;

	*done = 0;
	if (!n)
		return 0;
	if (!bpf_map_update_batch(fd, keys, values, &count, NULL)) {
		*done = n;
		return 0;
	}
	if (errno != EINVAL && errno != LB_ENOTSUPP && errno != EOPNOTSUPP) {
		*done = count <= n ? count : 0;
		return map_err(what, -errno);
	}
	for (uint32_t i = 0; i < n; i++) { /* no batches: one at a time */
		if (bpf_map_update_elem(fd, &keys[i], (const char *)values + i * vsize,
					BPF_ANY))
			return map_err(what, -errno);
		*done = i + 1;
	}
	return 0;
}

/* ---- per-CPU counters ---------------------------------------------------- */

/* struct lb_counter: packets, bytes, new_conns, sock_conns. */
static int counter_sum(int fd, uint32_t index, struct ebpfnet_lb_counters *out)
{
	uint64_t sum[4];
	int err = ebpfnet__percpu_sum(LB_OBJECT, fd, index, sum, 4);

	_Static_assert(sizeof(struct lb_counter) == sizeof(sum), "lb_counter");
	out->packets = sum[0];
	out->bytes = sum[1];
	out->new_conns = sum[2];
	out->sock_conns = sum[3];
	return err;
}

/* Zero the per-CPU counters of a (reused) id. */
static int counter_zero(int fd, uint32_t index, const char *what)
{
	return ebpfnet__percpu_zero(LB_OBJECT, fd, index, sizeof(struct lb_counter),
				    what);
}

/* ---- the model ------------------------------------------------------------- */

static void svc_free(struct lb_svc *s)
{
	free(s->table);
	free(s->be);
}

static void model_clear(struct ebpfnet_lb *lb)
{
	for (size_t i = 0; i < lb->nsvc; i++)
		svc_free(&lb->svc[i]);
	lb->nsvc = 0;
	if (lb->be_owner)
		memset(lb->be_owner, 0, ((size_t)lb->max_backends + 1) * sizeof(*lb->be_owner));
	if (lb->svc_used)
		memset(lb->svc_used, 0, ((size_t)lb->max_services + 1) * sizeof(*lb->svc_used));
	lb_ring_alloc_destroy(lb->ring);
	lb->ring = NULL;
}

static struct lb_svc *svc_by_key(const struct ebpfnet_lb *lb,
				 const struct lb_service_key *key)
{
	for (size_t i = 0; i < lb->nsvc; i++)
		if (!memcmp(&lb->svc[i].key, key, sizeof(*key)))
			return &lb->svc[i];
	return NULL;
}

static struct lb_svc *svc_by_id(const struct ebpfnet_lb *lb, uint32_t id)
{
	for (size_t i = 0; i < lb->nsvc; i++)
		if (lb->svc[i].id == id)
			return &lb->svc[i];
	return NULL;
}

static struct lb_be *be_by_addr(const struct lb_svc *s,
				const struct ebpfnet_lb_addr *addr)
{
	int n = family_bytes(addr->family);

	for (size_t i = 0; i < s->nbe; i++)
		if (s->be[i].addr.family == addr->family &&
		    !memcmp(s->be[i].addr.addr, addr->addr, (size_t)n))
			return &s->be[i];
	return NULL;
}

static struct lb_be *be_by_id(const struct lb_svc *s, uint32_t id)
{
	for (size_t i = 0; i < s->nbe; i++)
		if (s->be[i].id == id)
			return &s->be[i];
	return NULL;
}

static int be_push(struct lb_svc *s, const struct lb_be *b)
{
	if (s->nbe == s->be_cap) {
		size_t cap = s->be_cap ? s->be_cap * 2 : 8;
		void *p = realloc(s->be, cap * sizeof(*s->be));

		if (!p)
			return -ENOMEM;
		s->be = p;
		s->be_cap = cap;
	}
	s->be[s->nbe++] = *b;
	return 0;
}

static void be_remove(struct lb_svc *s, const struct lb_be *b)
{
	size_t i = (size_t)(b - s->be);

	memmove(&s->be[i], &s->be[i + 1], (s->nbe - i - 1) * sizeof(*s->be));
	s->nbe--;
}

static struct lb_svc *svc_push(struct ebpfnet_lb *lb)
{
	if (lb->nsvc == lb->svc_cap) {
		size_t cap = lb->svc_cap ? lb->svc_cap * 2 : 16;
		void *p = realloc(lb->svc, cap * sizeof(*lb->svc));

		if (!p)
			return NULL;
		lb->svc = p;
		lb->svc_cap = cap;
	}
	memset(&lb->svc[lb->nsvc], 0, sizeof(*lb->svc));
	return &lb->svc[lb->nsvc++];
}

typedef bool (*id_used_fn)(const struct ebpfnet_lb *lb, uint32_t id);

/* The next free id after `last`, round robin over 1..max (0: none). */
static uint32_t id_next(const struct ebpfnet_lb *lb, uint32_t last, uint32_t max,
			id_used_fn used)
{
	for (uint32_t i = 1; i <= max; i++) {
		uint32_t id = (uint32_t)(((uint64_t)last + i - 1) % max) + 1;

		if (!used(lb, id))
			return id;
	}
	return 0;
}

static bool svc_id_used(const struct ebpfnet_lb *lb, uint32_t id)
{
	return lb->svc_used[id];
}

static bool be_id_used(const struct ebpfnet_lb *lb, uint32_t id)
{
	return lb->be_owner[id] != 0;
}

/* ---- lb_meta and the generation --------------------------------------------- */

static int meta_read(struct ebpfnet_lb *lb, struct lb_meta *m)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(lb->fd.meta, &key, m))
		return map_err("reading " META_MAP, -errno);
	return 0;
}

/* The end of a change: the next generation, so other handles re-read. */
static int meta_commit(struct ebpfnet_lb *lb)
{
	__u32 key = 0;

	lb->meta.generation++;
	return map_put(lb->fd.meta, &key, &lb->meta, "writing " META_MAP);
}

/* ---- the Maglev table of a service ------------------------------------------ */

/* Read the service's slots from lb_rings (once per adoption). */
static int svc_table_load(const struct ebpfnet_lb *lb, struct lb_svc *s)
{
	uint32_t *t;
	int err;

	if (s->table)
		return 0;
	t = calloc(s->ring_size, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = array_read(lb->fd.rings, s->ring_base, s->ring_size, sizeof(*t), t,
			 "reading a service's slots (lb_rings)");
	if (err) {
		free(t);
		return err;
	}
	s->table = t;
	return 0;
}

/* The table the service's ACTIVE backends make (backend ids; 0 where
 * there is none). */
static int svc_table_build(const struct ebpfnet_lb *lb, const struct lb_svc *s,
			   uint32_t *table)
{
	struct ebpfnet_maglev_backend *mb;
	uint32_t *ids;
	size_t n = 0;
	int err = 0;

	memset(table, 0, (size_t)s->ring_size * sizeof(*table));
	mb = calloc(s->nbe + 1, sizeof(*mb));
	ids = calloc(s->nbe + 1, sizeof(*ids));
	if (!mb || !ids) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->nbe; i++) {
		if (s->be[i].state != EBPFNET_LB_BACKEND_ACTIVE)
			continue;
		mb[n].key = s->be[i].addr.addr;
		mb[n].key_len = (size_t)family_bytes(s->be[i].addr.family);
		mb[n].weight = s->be[i].weight;
		ids[n++] = s->be[i].id;
	}
	if (n) {
		err = ebpfnet_maglev_build(mb, n, s->ring_size, lb->config.seed, table);
		if (err)
			pr_warn("lb: cannot build the Maglev table of %u slots for %zu backends: %s",
				s->ring_size, n, ebpfnet_strerror(err));
		for (uint32_t i = 0; !err && i < s->ring_size; i++)
			table[i] = table[i] < n ? ids[table[i]] : 0;
	}
out:
	free(mb);
	free(ids);
	return err;
}

/*
 * Make lb_rings hold the table the service's backends make now, writing
 * only the slots that change. On failure the slots written are put back
 * (the ring then holds what it held) and the model's table is unchanged.
 */
static int svc_apply(struct ebpfnet_lb *lb, struct lb_svc *s)
{
	uint32_t *want, *keys = NULL, *vals = NULL, *old = NULL, n = 0, done, undone;
	int err = svc_table_load(lb, s);

	if (err)
		return err;
	want = calloc(s->ring_size, sizeof(*want));
	if (!want)
		return -ENOMEM;
	err = svc_table_build(lb, s, want);
	if (!err) {
		keys = malloc((size_t)s->ring_size * sizeof(*keys));
		vals = malloc((size_t)s->ring_size * sizeof(*vals));
		old = malloc((size_t)s->ring_size * sizeof(*old));
		if (!keys || !vals || !old)
			err = -ENOMEM;
	}
	for (uint32_t i = 0; !err && i < s->ring_size; i++) {
		if (want[i] == s->table[i])
			continue;
		keys[n] = s->ring_base + i;
		vals[n] = want[i];
		old[n++] = s->table[i];
	}
	if (!err) {
		err = array_write(lb->fd.rings, keys, vals, n, sizeof(*vals), &done,
				  "writing Maglev slots (lb_rings)");
		if (err && array_write(lb->fd.rings, keys, old, done, sizeof(*old),
				       &undone, "putting Maglev slots back (lb_rings)"))
			pr_warn("lb: the slots of a service are half updated: the next change of it rewrites them");
	}
	if (!err) {
		pr_debug("lb: %u of %u Maglev slots changed", n, s->ring_size);
		free(s->table);
		s->table = want;
		want = NULL;
	}
	free(want);
	free(keys);
	free(vals);
	free(old);
	return err;
}

/* ---- backends in the maps -------------------------------------------------- */

static void be_value(const struct lb_svc *s, const struct lb_be *b,
		     struct lb_backend_val *v)
{
	memset(v, 0, sizeof(*v));
	v->service_id = s->id;
	memcpy(v->addr, b->addr.addr, (size_t)family_bytes(b->addr.family));
	v->family = pkt_family(b->addr.family);
	v->state = b->state;
	memcpy(v->mac, b->mac, sizeof(v->mac));
	v->ifindex = b->ifindex;
}

static int be_write(struct ebpfnet_lb *lb, const struct lb_svc *s,
		    const struct lb_be *b)
{
	struct lb_backend_val v;

	be_value(s, b, &v);
	return map_put(lb->fd.backends, &b->id, &v, "writing a backend (lb_backends)");
}

static int be_meta_write(struct ebpfnet_lb *lb, const struct lb_svc *s,
			 const struct lb_be *b)
{
	struct lb_be_meta m = { .service_id = s->id, .weight = b->weight };

	return map_put(lb->fd.be_meta, &b->id, &m, "writing " BE_META_MAP);
}

/* Empty a backend id's entries (after no slot names it). */
static int be_clear(struct ebpfnet_lb *lb, uint32_t id)
{
	struct lb_backend_val v = {};
	struct lb_be_meta m = {};
	int err = map_put(lb->fd.backends, &id, &v, "clearing a backend (lb_backends)");

	if (!err)
		err = map_put(lb->fd.be_meta, &id, &m, "clearing " BE_META_MAP);
	return err;
}

/* ---- adoption: the maps -> the model ---------------------------------------- */

static int adopt_services(struct ebpfnet_lb *lb)
{
	struct lb_service_key key, next;
	struct lb_service_val val;
	bool first = true;
	char text[80];

	while (!bpf_map_get_next_key(lb->fd.services, first ? NULL : &key, &next)) {
		struct lb_svc_meta m = {};
		struct lb_svc *s;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(lb->fd.services, &key, &val)) {
			if (errno == ENOENT)
				continue;
			return map_err("reading lb_services", -errno);
		}
		if (!val.id || val.id > lb->max_services || lb->svc_used[val.id] ||
		    lb_ring_alloc_reserve(lb->ring, val.ring_base, val.ring_size)) {
			pr_warn("lb: lb_services holds an entry with a bad id (%u) or slot range (%u+%u): not a balancer of this version?",
				val.id, val.ring_base, val.ring_size);
			return -EINVAL;
		}
		s = svc_push(lb);
		if (!s)
			return -ENOMEM;
		s->key = key;
		s->id = val.id;
		s->ring_base = val.ring_base;
		s->ring_size = val.ring_size;
		s->sock_pick = val.sock_pick;
		s->affinity_timeout = val.affinity_timeout;
		lb->svc_used[val.id] = true;
		if (bpf_map_lookup_elem(lb->fd.svc_meta, &s->id, &m))
			return map_err("reading " SVC_META_MAP, -errno);
		s->seq = m.seq;
		pr_debug("lb: adopted service %s (id %u)", svc_str(s, text, sizeof(text)), s->id);
	}
	return errno == ENOENT ? 0 : map_err("walking lb_services", -errno);
}

static int by_seq(const void *a, const void *b)
{
	const struct lb_svc *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int adopt_backends(struct ebpfnet_lb *lb)
{
	uint32_t n = lb->max_backends;
	struct lb_backend_val *vals = calloc(n, sizeof(*vals));
	struct lb_be_meta *metas = calloc(n, sizeof(*metas));
	int err = -ENOMEM;

	if (!vals || !metas)
		goto out;
	err = array_read(lb->fd.backends, 1, n, sizeof(*vals), vals,
			 "reading lb_backends");
	if (!err)
		err = array_read(lb->fd.be_meta, 1, n, sizeof(*metas), metas,
				 "reading " BE_META_MAP);
	for (uint32_t i = 0; !err && i < n; i++) {
		const struct lb_backend_val *v = &vals[i];
		struct lb_svc *s;
		struct lb_be b = { .id = i + 1 };

		if (!v->family)
			continue;
		s = metas[i].service_id ? svc_by_id(lb, metas[i].service_id) : NULL;
		if (!s || (v->family != 4 && v->family != 6)) {
			pr_debug("lb: backend id %u belongs to no service: ignored", b.id);
			continue;
		}
		b.addr.family = (uint8_t)af_family(v->family);
		memcpy(b.addr.addr, v->addr, sizeof(b.addr.addr));
		b.weight = metas[i].weight ? metas[i].weight : 1;
		b.state = v->state;
		memcpy(b.mac, v->mac, sizeof(b.mac));
		b.ifindex = v->ifindex;
		err = be_push(s, &b);
		if (!err)
			lb->be_owner[b.id] = s->id;
	}
out:
	free(vals);
	free(metas);
	return err;
}

/* Rebuild the model from the maps (called with the lock held). */
static int adopt(struct ebpfnet_lb *lb)
{
	__u32 key = 0;
	int err;

	model_clear(lb);
	lb->ring = lb_ring_alloc_new(lb->ring_slots);
	if (!lb->ring)
		return -errno ? -errno : -ENOMEM;
	err = meta_read(lb, &lb->meta);
	if (!err && bpf_map_lookup_elem(lb->fd.config, &key, &lb->config))
		err = map_err("reading lb_config", -errno);
	if (!err)
		err = adopt_services(lb);
	if (!err && lb->nsvc) /* qsort() takes no NULL array, even empty */
		qsort(lb->svc, lb->nsvc, sizeof(*lb->svc), by_seq);
	if (!err)
		err = adopt_backends(lb);
	if (err) {
		pr_warn("lb: the maps under %s do not make a consistent balancer: %s",
			lb->pins.dir, ebpfnet_strerror(err));
		return err;
	}
	pr_debug("lb: adopted %zu services (generation %llu) from %s", lb->nsvc,
		 (unsigned long long)lb->meta.generation, lb->pins.dir);
	return 0;
}

/* ---- a change: lock, check we still hold the node's balancer, catch up ---- */

/* Re-read the model when another process changed it. */
static int catch_up(void *ctx)
{
	struct ebpfnet_lb *lb = ctx;
	struct lb_meta m;
	int err = meta_read(lb, &m);

	if (err || m.generation == lb->meta.generation)
		return err;
	pr_debug("lb: changed by another process (generation %llu, ours %llu): re-reading",
		 (unsigned long long)m.generation, (unsigned long long)lb->meta.generation);
	return adopt(lb);
}

/* Lock, check the balancer is still ours, catch up (pinned.h). */
static int begin_change(struct ebpfnet_lb *lb)
{
	return ebpfnet__pinned_begin_change(&lb->pins, catch_up, lb);
}

/* A read-only call shows what the maps hold now. */
static int refresh(const struct ebpfnet_lb *lb)
{
	struct ebpfnet_lb *l = (struct ebpfnet_lb *)lb;
	struct lb_meta m;
	int err = meta_read(l, &m);

	if (err || m.generation == lb->meta.generation)
		return err;
	return ebpfnet__pinned_catch_up(&l->pins, catch_up, l);
}

/* ---- open -------------------------------------------------------------------- */

struct lb_sizes {
	uint32_t max_services, max_backends, ring_slots, conn_table;
};

static int check_size(const char *field, uint32_t value, uint32_t min, uint32_t max)
{
	if (value && (value < min || value > max)) {
		pr_warn("ebpfnet_lb_opts.%s: %u is not %u..%u", field, value, min, max);
		return -EINVAL;
	}
	return 0;
}

static int sizes_from_opts(const struct ebpfnet_lb_opts *opts, struct lb_sizes *z)
{
	int err;

	z->max_services = EBPFNET_OPTS_GET(opts, max_services, 0);
	z->max_backends = EBPFNET_OPTS_GET(opts, max_backends, 0);
	z->ring_slots = EBPFNET_OPTS_GET(opts, ring_slots, 0);
	z->conn_table = EBPFNET_OPTS_GET(opts, conn_table_size, 0);
	if ((err = check_size("max_services", z->max_services, 1, LB_MAX_SERVICES_LIMIT)) ||
	    (err = check_size("max_backends", z->max_backends, 1, LB_MAX_BACKENDS_LIMIT)) ||
	    (err = check_size("ring_slots", z->ring_slots, 2, LB_RING_SLOTS_LIMIT)) ||
	    (err = check_size("conn_table_size", z->conn_table, 64, LB_CONN_TABLE_LIMIT)))
		return err;
	if (!z->max_services)
		z->max_services = LB_DEFAULT_MAX_SERVICES;
	if (!z->max_backends)
		z->max_backends = LB_DEFAULT_MAX_BACKENDS;
	if (!z->ring_slots)
		z->ring_slots = LB_DEFAULT_RING_SLOTS;
	if (!z->conn_table)
		z->conn_table = LB_DEFAULT_CONN_TABLE;
	return 0;
}

static bool pin_this_map(const struct bpf_map *map, const void *ctx)
{
	const char *name = bpf_map__name(map);

	(void)ctx;
	return !bpf_map__is_internal(map) && !strncmp(name, "lb_", 3) &&
	       !strstr(name, "scratch");
}

/* The fd of the object's map `name`; -1 (optional) or -ENOENT logged. */
static int object_map(const struct ebpfnet_lb *lb, const char *name, bool required)
{
	struct bpf_map *map = bpf_object__find_map_by_name(lb->skel->obj, name);

	if (map)
		return bpf_map__fd(map);
	if (required) {
		pr_warn("lb: the BPF object has no map %s", name);
		return -ENOENT;
	}
	return -1;
}

/* Size the maps (from the pins when there are, else from opts), pin every
 * lb map under dir, and share the chain's maps. */
static int prepare_maps(struct ebpfnet_lb *lb, const struct lb_sizes *z)
{
	const struct {
		const char *name;
		uint32_t entries;
	} sized[] = {
		{ "lb_services", z->max_services },
		{ "lb_vips", z->max_services },
		{ "lb_service_stats", z->max_services + 1 }, /* ids from 1 */
		{ "lb_backends", z->max_backends + 1 },
		{ "lb_backend_stats", z->max_backends + 1 },
		{ "lb_rings", z->ring_slots },
		{ "lb_conns", z->conn_table },
	};
	struct bpf_object *obj = lb->skel->obj;
	struct bpf_map *map;
	int err;

	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(sized); i++) {
		map = bpf_object__find_map_by_name(obj, sized[i].name);
		if (map && (err = bpf_map__set_max_entries(map, sized[i].entries)))
			return map_err("sizing the maps", err);
	}
	/* a pinned map keeps its size: load on it as it is */
	err = ebpfnet__pinned_set_pin_paths(&lb->pins, obj, pin_this_map, NULL, true);
	if (!err)
		err = ebpfnet__stage_share_chain_maps(lb->chain, obj, LB_OBJECT);
	return err;
}

/* One of our userspace maps: the pinned one, or a new one pinned. */
static int meta_map(struct ebpfnet_lb *lb, const char *name, size_t vsize,
		    uint32_t entries)
{
	char path[PATH_MAX];
	int fd = ebpfnet__pinned_map(&lb->pins, name), err;

	if (fd != -ENOENT)
		return fd;
	err = ebpfnet__pinned_path(&lb->pins, name, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), (__u32)vsize,
			    entries, NULL);
	if (fd < 0)
		return map_err("creating the model maps", -errno);
	if (bpf_obj_pin(fd, path)) {
		err = map_err("pinning the model maps", -errno);
		close(fd);
		return err;
	}
	return fd;
}

static int find_fds(struct ebpfnet_lb *lb)
{
	struct lb_fds *f = &lb->fd;
	struct bpf_program *prog;

	lb->prog_fd = -1;
	bpf_object__for_each_program(prog, lb->skel->obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_XDP) {
			lb->prog_fd = bpf_program__fd(prog);
			break;
		}
	if (lb->prog_fd < 0) {
		pr_warn("lb: the BPF object has no XDP program");
		return -ENOENT;
	}
	if ((f->services = object_map(lb, "lb_services", true)) < 0 ||
	    (f->rings = object_map(lb, "lb_rings", true)) < 0 ||
	    (f->backends = object_map(lb, "lb_backends", true)) < 0 ||
	    (f->conns = object_map(lb, "lb_conns", true)) < 0 ||
	    (f->config = object_map(lb, "lb_config", true)) < 0 ||
	    (f->service_stats = object_map(lb, "lb_service_stats", true)) < 0 ||
	    (f->backend_stats = object_map(lb, "lb_backend_stats", true)) < 0 ||
	    (f->stats = object_map(lb, "lb_stats", true)) < 0)
		return -ENOENT;
	f->vips = object_map(lb, "lb_vips", false);
	f->mtu = object_map(lb, "lb_mtu", false);
	return 0;
}

/* max_entries of a loaded map (logged "reading <name>"). */
static int loaded_size(int fd, const char *name, uint32_t *entries)
{
	char what[64];
	int err = ebpfnet__map_max_entries(fd, entries);

	if (err) {
		snprintf(what, sizeof(what), "reading %s", name);
		return map_err(what, err);
	}
	return 0;
}

/* Sizes as the loaded maps have them. */
static int read_sizes(struct ebpfnet_lb *lb)
{
	uint32_t backend_entries;
	int err;

	if ((err = loaded_size(lb->fd.services, "lb_services", &lb->max_services)) ||
	    (err = loaded_size(lb->fd.backends, "lb_backends", &backend_entries)) ||
	    (err = loaded_size(lb->fd.rings, "lb_rings", &lb->ring_slots)))
		return err;
	lb->max_backends = backend_entries - 1; /* ids from 1 */
	if (!lb->max_services || !lb->max_backends || !lb->ring_slots) {
		pr_warn("lb: the pinned maps under %s have no room (not a balancer?)",
			lb->pins.dir);
		return -EINVAL;
	}
	lb->be_owner = calloc((size_t)lb->max_backends + 1, sizeof(*lb->be_owner));
	lb->svc_used = calloc((size_t)lb->max_services + 1, sizeof(*lb->svc_used));
	return lb->be_owner && lb->svc_used ? 0 : -ENOMEM;
}

/* The settings opts ask for. */
struct lb_wanted {
	struct lb_config config;
	bool outer_asked, seed_asked;
};

static int wanted_from_opts(const struct ebpfnet_lb_opts *opts, struct lb_wanted *w)
{
	const char *s4 = EBPFNET_OPTS_GET(opts, outer_src4, NULL);
	const char *s6 = EBPFNET_OPTS_GET(opts, outer_src6, NULL);
	uint64_t seed = EBPFNET_OPTS_GET(opts, hash_seed, 0);
	struct lb_decap_config outer;
	int err = ebpfnet__lb_outer_parse(s4, s6, "ebpfnet_lb_opts", &outer);

	if (err)
		return err;
	memset(w, 0, sizeof(*w));
	memcpy(w->config.outer_src4, outer.outer_src4, sizeof(outer.outer_src4));
	memcpy(w->config.outer_src6, outer.outer_src6, sizeof(outer.outer_src6));
	w->config.outer_src4_len = outer.outer_src4_len;
	w->config.outer_src6_len = outer.outer_src6_len;
	w->config.seed = seed ? seed : LB_DEFAULT_SEED;
	w->config.mtu_policy = EBPFNET_LB_MTU_DROP;
	w->outer_asked = s4 || s6;
	w->seed_asked = seed != 0;
	return 0;
}

/* Settings are fixed when the balancer is created: say when opts asked
 * for others. */
static void compare_config(const struct ebpfnet_lb *lb, const struct lb_wanted *w)
{
	const struct lb_config *have = &lb->config, *want = &w->config;

	if (w->outer_asked &&
	    (memcmp(have->outer_src4, want->outer_src4, sizeof(have->outer_src4)) ||
	     memcmp(have->outer_src6, want->outer_src6, sizeof(have->outer_src6)) ||
	     have->outer_src4_len != want->outer_src4_len ||
	     have->outer_src6_len != want->outer_src6_len))
		pr_warn("lb: the balancer under %s keeps the outer source prefixes it was created with: ebpfnet_lb_opts.outer_src4/6 apply when it is created",
			lb->pins.dir);
	if (w->seed_asked && have->seed != want->seed)
		pr_warn("lb: the balancer under %s keeps the hash seed it was created with: ebpfnet_lb_opts.hash_seed applies when it is created",
			lb->pins.dir);
}

/* Load the program on the pinned maps (creating them when there are
 * none), then adopt them. Called with the lock held. */
static int load(struct ebpfnet_lb *lb, const struct lb_sizes *z,
		const struct lb_wanted *w, bool *created)
{
	__u32 key = 0;
	int err;

	err = ebpfnet__pinned_is_new(&lb->pins, created);
	if (err)
		return err;
	lb->skel = lb_bpf__open();
	if (!lb->skel)
		return ebpfnet__pinned_open_error(&lb->pins, -errno);
	err = prepare_maps(lb, z);
	if (err)
		return err;
	err = lb_bpf__load(lb->skel);
	if (err)
		return ebpfnet__pinned_load_error(&lb->pins, err);
	err = find_fds(lb);
	if (!err)
		err = read_sizes(lb);
	if (err)
		return err;
	lb->pins.probe_id = ebpfnet__map_id(lb->fd.config);
	if ((lb->fd.meta = meta_map(lb, META_MAP, sizeof(struct lb_meta), 1)) < 0)
		return lb->fd.meta;
	if ((lb->fd.svc_meta = meta_map(lb, SVC_META_MAP, sizeof(struct lb_svc_meta),
					lb->max_services + 1)) < 0)
		return lb->fd.svc_meta;
	if ((lb->fd.be_meta = meta_map(lb, BE_META_MAP, sizeof(struct lb_be_meta),
				       lb->max_backends + 1)) < 0)
		return lb->fd.be_meta;
	if (*created) {
		err = map_put(lb->fd.config, &key, &w->config, "writing lb_config");
		if (err)
			return err;
	}
	err = adopt(lb);
	if (!err && !*created)
		compare_config(lb, w);
	return err;
}

static void fds_init(struct lb_fds *f)
{
	f->services = f->vips = f->rings = f->backends = f->conns = f->config = -1;
	f->service_stats = f->backend_stats = f->stats = f->mtu = -1;
	f->meta = f->svc_meta = f->be_meta = -1;
}

struct ebpfnet_lb *ebpfnet_lb_open(const struct ebpfnet_lb_opts *opts)
{
	struct lb_wanted wanted;
	struct lb_sizes sizes;
	struct ebpfnet_lb *lb;
	bool created = false;
	int err;

	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_lb_opts, open_existing))
		return ebpfnet__err_ptr(-EINVAL);
	err = sizes_from_opts(opts, &sizes);
	if (!err)
		err = wanted_from_opts(opts, &wanted);
	if (err)
		return ebpfnet__err_ptr(err);
	lb = calloc(1, sizeof(*lb));
	if (!lb)
		return ebpfnet__err_ptr(-ENOMEM);
	fds_init(&lb->fd);
	err = ebpfnet__stage_open(&lb->pins, &lb_kind,
				  EBPFNET_OPTS_GET(opts, pin_root, NULL),
				  EBPFNET_OPTS_GET(opts, open_existing, false), &lb->chain);
	if (!err)
		err = load(lb, &sizes, &wanted, &created);
	if (err) {
		ebpfnet__stage_undo_open(&lb->pins, lb->chain, created);
		goto fail;
	}
	ebpfnet__pinned_unlock(&lb->pins);
	pr_debug("lb: %s the balancer under %s (%zu services)",
		 created ? "created" : "adopted", lb->pins.dir, lb->nsvc);
	return lb;
fail:
	ebpfnet_lb_destroy(lb);
	return ebpfnet__err_ptr(err);
}

/* ---- attach and detach ------------------------------------------------------ */

/* lb_mtu[ifindex]: the MTU packets leaving by ifname may have. */
static int mtu_write(struct ebpfnet_lb *lb, const char *ifname, uint32_t ifindex)
{
	struct ifreq ifr = {};
	__u32 mtu;
	int sk, err = 0;

	if (lb->fd.mtu < 0)
		return 0;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return map_err("reading an interface's MTU", -errno);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sk, SIOCGIFMTU, &ifr))
		err = -errno;
	close(sk);
	if (err) {
		pr_warn("lb: cannot read the MTU of %s: %s", ifname, ebpfnet_strerror(err));
		return err;
	}
	mtu = (__u32)ifr.ifr_mtu;
	pr_debug("lb: MTU of %s: %u", ifname, mtu);
	return map_put(lb->fd.mtu, &ifindex, &mtu, "writing lb_mtu");
}

/* Drop lb_mtu[ifindex] when the stage does not run there (any more). */
static void mtu_forget(struct ebpfnet_lb *lb, uint32_t ifindex)
{
	if (ifindex && lb->fd.mtu >= 0)
		map_del(lb->fd.mtu, &ifindex, "deleting from lb_mtu");
}

/* lb_config.mtu_min: the smallest MTU in lb_mtu, 0 when it is empty.
 * Called after every lb_mtu change, with the lock held. */
static int mtu_min_refresh(struct ebpfnet_lb *lb)
{
	__u32 key = 0, ifindex, next, mtu, min = 0;
	bool more;

	if (lb->fd.mtu < 0)
		return 0;
	for (more = !bpf_map_get_next_key(lb->fd.mtu, NULL, &next); more;
	     more = !bpf_map_get_next_key(lb->fd.mtu, &ifindex, &next)) {
		ifindex = next;
		if (!bpf_map_lookup_elem(lb->fd.mtu, &ifindex, &mtu) &&
		    (!min || mtu < min))
			min = mtu;
	}
	if (bpf_map_lookup_elem(lb->fd.config, &key, &lb->config))
		return map_err("reading lb_config", -errno);
	if (lb->config.mtu_min == min)
		return 0;
	lb->config.mtu_min = min;
	return map_put(lb->fd.config, &key, &lb->config, "writing lb_config");
}

int ebpfnet_lb_attach(struct ebpfnet_lb *lb, const char *ifname,
		      enum ebpfnet_xdp_mode mode)
{
	enum ebpfnet_xdp_mode active = mode;
	uint32_t ifindex = 0;
	bool there;
	int err;

	err = check_handle(lb, "ebpfnet_lb_attach");
	if (!err)
		err = ebpfnet__stage_check_attach("ebpfnet_lb_attach", LB_OBJECT, ifname,
						  mode, &ifindex);
	if (!err)
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	err = ebpfnet_lb_mode(lb, ifname);
	there = err >= 0;
	err = there || err == -ENOENT ? 0 : err;
	/* the MTU before packets can meet the stage there */
	if (!err)
		err = mtu_write(lb, ifname, ifindex);
	if (!err)
		err = mtu_min_refresh(lb);
	if (!err)
		err = ebpfnet__stage_enable(lb->chain, XDP_STAGE_LB, ifname, mode,
					    lb->prog_fd, &active);
	if (err && !there) {
		mtu_forget(lb, ifindex);
		mtu_min_refresh(lb);
	}
	ebpfnet__pinned_unlock(&lb->pins);
	return ebpfnet__stage_attach_result(LB_OBJECT, ifname, err, active);
}

int ebpfnet_lb_detach(struct ebpfnet_lb *lb, const char *ifname)
{
	uint32_t ifindex;
	int err, left;

	err = check_handle(lb, "ebpfnet_lb_detach");
	if (!err)
		err = ebpfnet__stage_check_ifname("ebpfnet_lb_detach", ifname);
	if (!err)
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	ifindex = if_nametoindex(ifname);
	err = ebpfnet__stage_disable(lb->chain, XDP_STAGE_LB, LB_OBJECT, ifname, &left);
	if (!err) {
		mtu_forget(lb, ifindex);
		mtu_min_refresh(lb);
	}
	/* The services stay (node state); the stage slot only while an
	 * interface uses it, so that drop can remove an unused chain. */
	if (!err && left == 0)
		ebpfnet__xdp_chain_clear_stage(lb->chain, XDP_STAGE_LB);
	ebpfnet__pinned_unlock(&lb->pins);
	return ebpfnet__err(err);
}

int ebpfnet_lb_mode(const struct ebpfnet_lb *lb, const char *ifname)
{
	int err = check_handle(lb, "ebpfnet_lb_mode");

	if (err)
		return ebpfnet__err(err);
	return ebpfnet__err(ebpfnet__stage_mode(lb->chain, XDP_STAGE_LB, "ebpfnet_lb_mode",
						LB_OBJECT, ifname));
}

/* ---- arguments: services, backends, addresses -------------------------------- */

static int check_addr(const char *what, const struct ebpfnet_lb_addr *a)
{
	if (a->family != AF_INET && a->family != AF_INET6) {
		pr_warn("%s: family %u is not AF_INET or AF_INET6", what, a->family);
		return -EINVAL;
	}
	return 0;
}

/* The service's key (vip, port, proto); table_size into *table_size when
 * asked. */
static int service_key(const char *fn, const struct ebpfnet_lb_service *service,
		       struct lb_service_key *key, uint32_t *table_size)
{
	char what[96];
	int err;

	if (!service) {
		pr_warn("%s: service is NULL", fn);
		return -EINVAL;
	}
	if (!EBPFNET_OPTS_VALID(service, ebpfnet_lb_service, affinity_timeout))
		return -EINVAL;
	if (service->sz < offsetofend(struct ebpfnet_lb_service, proto)) {
		pr_warn("%s: struct ebpfnet_lb_service of %zu bytes has no proto", fn,
			service->sz);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "%s: service vip", fn);
	err = check_addr(what, &service->vip);
	if (err)
		return err;
	if (service->proto != IPPROTO_TCP && service->proto != IPPROTO_UDP) {
		pr_warn("%s: service protocol %u is not TCP (6) or UDP (17)", fn,
			service->proto);
		return -EINVAL;
	}
	memset(key, 0, sizeof(*key));
	memcpy(key->vip, service->vip.addr, (size_t)family_bytes(service->vip.family));
	key->port = htons(service->port);
	key->proto = service->proto;
	key->family = pkt_family(service->vip.family);
	if (table_size)
		*table_size = EBPFNET_OPTS_GET(service, table_size, 0);
	return 0;
}

static void service_out(const struct lb_svc *s, struct ebpfnet_lb_service *out)
{
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->vip.family = (uint8_t)af_family(s->key.family);
	memcpy(out->vip.addr, s->key.vip, sizeof(out->vip.addr));
	out->port = ntohs(s->key.port);
	out->proto = s->key.proto;
	out->table_size = s->ring_size;
	out->sock_pick = (enum ebpfnet_lb_sock_pick)s->sock_pick;
	out->affinity_timeout = s->affinity_timeout;
}

static void backend_out(const struct lb_be *b, struct ebpfnet_lb_backend *out)
{
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->addr = b->addr;
	out->weight = b->weight;
	out->state = (enum ebpfnet_lb_backend_state)b->state;
}

/* A backend's address, weight (0 -> 1) and state from the caller. */
static int backend_in(const char *fn, const struct ebpfnet_lb_backend *backend,
		      struct lb_be *b)
{
	char what[96];
	int err;

	if (!backend) {
		pr_warn("%s: backend is NULL", fn);
		return -EINVAL;
	}
	if (!EBPFNET_OPTS_VALID(backend, ebpfnet_lb_backend, state))
		return -EINVAL;
	if (backend->sz < offsetofend(struct ebpfnet_lb_backend, addr)) {
		pr_warn("%s: struct ebpfnet_lb_backend of %zu bytes has no addr", fn,
			backend->sz);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "%s: backend addr", fn);
	err = check_addr(what, &backend->addr);
	if (err)
		return err;
	memset(b, 0, sizeof(*b));
	b->addr.family = backend->addr.family;
	memcpy(b->addr.addr, backend->addr.addr, (size_t)family_bytes(backend->addr.family));
	b->weight = EBPFNET_OPTS_GET(backend, weight, 0);
	b->state = (uint8_t)EBPFNET_OPTS_GET(backend, state, EBPFNET_LB_BACKEND_ACTIVE);
	if (b->weight > LB_MAX_WEIGHT) {
		pr_warn("%s: weight %u is not 1..%u", fn, b->weight, LB_MAX_WEIGHT);
		return -EINVAL;
	}
	if (!b->weight)
		b->weight = 1;
	if (EBPFNET_OPTS_GET(backend, state, 0) > EBPFNET_LB_BACKEND_DOWN) {
		pr_warn("%s: state %d is not active (0), draining (1) or down (2)", fn,
			(int)backend->state);
		return -EINVAL;
	}
	return 0;
}

/* The next hop towards a backend, outside the lock (it may wait for ARP).
 * Not resolved: the backend is added anyway, packets to it are dropped. */
static void backend_nexthop(struct lb_be *b)
{
	char ip[INET6_ADDRSTRLEN];

	if (ebpfnet__nexthop(b->addr.family, b->addr.addr, LB_NEXTHOP_TIMEOUT_MS,
			     b->mac, &b->ifindex)) {
		memset(b->mac, 0, sizeof(b->mac));
		b->ifindex = 0;
		pr_warn("lb: next hop of %s not resolved: packets to it are dropped and counted as no_neighbour until `backend set` resolves it",
			addr_str(&b->addr, ip, sizeof(ip)));
	}
}

static struct lb_svc *find_service(const struct ebpfnet_lb *lb,
				   const struct lb_service_key *key)
{
	struct lb_svc *s = svc_by_key(lb, key);
	struct lb_svc tmp = { .key = *key };
	char text[80];

	if (!s)
		pr_warn("lb: no service %s", svc_str(&tmp, text, sizeof(text)));
	return s;
}

/* The start of a change to one service: the lock (begin_change), then
 * the service (-ENOENT, logged, and the lock released when there is
 * none). */
static int begin_service_change(struct ebpfnet_lb *lb, const struct lb_service_key *key,
				struct lb_svc **s)
{
	int err = begin_change(lb);

	if (err)
		return err;
	*s = find_service(lb, key);
	if (!*s) {
		ebpfnet__pinned_unlock(&lb->pins);
		return -ENOENT;
	}
	return 0;
}

/* The end of a change: the lock released, err returned with errno set. */
static int end_change(struct ebpfnet_lb *lb, int err)
{
	ebpfnet__pinned_unlock(&lb->pins);
	return ebpfnet__err(err);
}

/* The service's backend at addr, or NULL (logged). */
static struct lb_be *find_backend(const struct lb_svc *s,
				  const struct ebpfnet_lb_addr *addr)
{
	struct lb_be *b = be_by_addr(s, addr);
	char ip[INET6_ADDRSTRLEN];

	if (!b)
		pr_warn("lb: %s is not a backend of that service",
			addr_str(addr, ip, sizeof(ip)));
	return b;
}

/* The arguments of backend_add/set: the handle, the service's key, the
 * backend; then the backend's next hop (outside the lock). */
static int backend_args(const struct ebpfnet_lb *lb, const char *fn,
			const struct ebpfnet_lb_service *service,
			const struct ebpfnet_lb_backend *backend,
			struct lb_service_key *key, struct lb_be *b)
{
	int err = check_handle(lb, fn);

	if (!err)
		err = service_key(fn, service, key, NULL);
	if (!err)
		err = backend_in(fn, backend, b);
	if (!err)
		backend_nexthop(b);
	return err;
}

/* ---- services --------------------------------------------------------------- */

/* lb_vips[vip]: how many services the address has (0: no entry). */
static int vip_update(struct ebpfnet_lb *lb, const struct lb_service_key *key)
{
	struct lb_vip_key vk = { .family = key->family };
	__u32 n = 0;

	if (lb->fd.vips < 0)
		return 0;
	memcpy(vk.vip, key->vip, sizeof(vk.vip));
	for (size_t i = 0; i < lb->nsvc; i++)
		n += !memcmp(lb->svc[i].key.vip, key->vip, sizeof(key->vip)) &&
		     lb->svc[i].key.family == key->family;
	return n ? map_put(lb->fd.vips, &vk, &n, "writing lb_vips") :
		   map_del(lb->fd.vips, &vk, "deleting from lb_vips");
}

/* Zero the slots [base, base + size). */
static int ring_zero(struct ebpfnet_lb *lb, uint32_t base, uint32_t size)
{
	uint32_t *keys = malloc((size_t)size * sizeof(*keys));
	uint32_t *zeros = calloc(size, sizeof(*zeros));
	uint32_t done;
	int err = -ENOMEM;

	if (keys && zeros) {
		for (uint32_t i = 0; i < size; i++)
			keys[i] = base + i;
		err = array_write(lb->fd.rings, keys, zeros, size, sizeof(*zeros), &done,
				  "emptying Maglev slots (lb_rings)");
	}
	free(keys);
	free(zeros);
	return err;
}

static int check_table_size(uint32_t size)
{
	if (size < 3 || size > EBPFNET__MAGLEV_MAX_TABLE_SIZE || !ebpfnet__is_prime(size)) {
		pr_warn("ebpfnet_lb_service.table_size: %u is not a prime from 3 to %u", size,
			EBPFNET__MAGLEV_MAX_TABLE_SIZE);
		return -EINVAL;
	}
	return 0;
}

/* The socket-level settings of a service (0 for an older, shorter
 * struct). */
#define LB_MAX_AFFINITY_TIMEOUT 86400 /* a day */
static int service_sock_in(const struct ebpfnet_lb_service *service,
			   uint32_t *pick, uint32_t *timeout)
{
	*pick = (uint32_t)EBPFNET_OPTS_GET(service, sock_pick, EBPFNET_LB_PICK_MAGLEV);
	*timeout = EBPFNET_OPTS_GET(service, affinity_timeout, 0);
	if (*pick != EBPFNET_LB_PICK_MAGLEV && *pick != EBPFNET_LB_PICK_RANDOM) {
		pr_warn("ebpfnet_lb_service.sock_pick: %u is not maglev (0) or random (1)",
			*pick);
		return -EINVAL;
	}
	if (*timeout > LB_MAX_AFFINITY_TIMEOUT) {
		pr_warn("ebpfnet_lb_service.affinity_timeout: %u is over %u seconds",
			*timeout, LB_MAX_AFFINITY_TIMEOUT);
		return -EINVAL;
	}
	return 0;
}

/* Write a new service: its slots empty, its counters zero, then the
 * entry that points at them. */
static int service_write(struct ebpfnet_lb *lb, struct lb_svc *s)
{
	struct lb_service_val val = { .id = s->id, .ring_base = s->ring_base,
				      .ring_size = s->ring_size,
				      .flags = s->key.port ? 0 : LB_SVC_F_ALL_PORTS,
				      .sock_pick = s->sock_pick,
				      .affinity_timeout = s->affinity_timeout };
	struct lb_svc_meta m = { .seq = s->seq };
	int err = ring_zero(lb, s->ring_base, s->ring_size);

	if (!err)
		err = counter_zero(lb->fd.service_stats, s->id,
				   "resetting a service's counters (lb_service_stats)");
	if (!err)
		err = map_put(lb->fd.svc_meta, &s->id, &m, "writing " SVC_META_MAP);
	if (!err)
		err = vip_update(lb, &s->key);
	if (!err && bpf_map_update_elem(lb->fd.services, &s->key, &val, BPF_NOEXIST))
		err = map_err("writing lb_services", -errno);
	return err;
}

int ebpfnet_lb_service_add(struct ebpfnet_lb *lb,
			   const struct ebpfnet_lb_service *service)
{
	struct lb_service_key key;
	uint32_t size = 0, id, base, pick, timeout;
	struct lb_svc *s;
	char text[80];
	int err;

	err = check_handle(lb, "ebpfnet_lb_service_add");
	if (!err)
		err = service_key("ebpfnet_lb_service_add", service, &key, &size);
	if (!err)
		err = service_sock_in(service, &pick, &timeout);
	if (!err && !size)
		size = LB_DEFAULT_TABLE_SIZE;
	if (!err)
		err = check_table_size(size);
	if (!err)
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	if (svc_by_key(lb, &key)) {
		struct lb_svc tmp = { .key = key };

		pr_warn("lb: service %s exists", svc_str(&tmp, text, sizeof(text)));
		err = -EEXIST;
		goto out;
	}
	id = id_next(lb, lb->meta.last_service_id, lb->max_services, svc_id_used);
	if (!id) {
		pr_warn("lb: no room for another service (max_services %u)", lb->max_services);
		err = -ENOSPC;
		goto out;
	}
	err = lb_ring_alloc_take(lb->ring, size, &base);
	if (err) {
		pr_warn("lb: no room for %u more Maglev slots (%u of ring_slots %u free)",
			size, lb_ring_alloc_free_slots(lb->ring), lb->ring_slots);
		goto out;
	}
	s = svc_push(lb);
	if (!s) {
		lb_ring_alloc_release(lb->ring, base, size);
		err = -ENOMEM;
		goto out;
	}
	s->key = key;
	s->id = id;
	s->ring_base = base;
	s->ring_size = size;
	s->sock_pick = pick;
	s->affinity_timeout = timeout;
	s->seq = ++lb->meta.next_seq;
	s->table = calloc(size, sizeof(*s->table));
	err = s->table ? service_write(lb, s) : -ENOMEM;
	if (err) {
		svc_free(s);
		lb->nsvc--;
		lb_ring_alloc_release(lb->ring, base, size);
		vip_update(lb, &key);
		goto out;
	}
	lb->svc_used[id] = true;
	lb->meta.last_service_id = id;
	err = meta_commit(lb);
	pr_debug("lb: added service %s (id %u, slots %u+%u)", svc_str(s, text, sizeof(text)),
		 id, base, size);
out:
	return end_change(lb, err);
}

int ebpfnet_lb_service_del(struct ebpfnet_lb *lb,
			   const struct ebpfnet_lb_service *service)
{
	struct lb_service_key key;
	struct lb_svc *s, gone;
	char text[80];
	int err;

	err = check_handle(lb, "ebpfnet_lb_service_del");
	if (!err)
		err = service_key("ebpfnet_lb_service_del", service, &key, NULL);
	if (!err)
		err = begin_service_change(lb, &key, &s);
	if (err)
		return ebpfnet__err(err);
	/* packets stop finding it first; then its slots and backends go */
	if (bpf_map_delete_elem(lb->fd.services, &key) && errno != ENOENT) {
		err = map_err("deleting from lb_services", -errno);
		goto out;
	}
	gone = *s;
	memmove(s, s + 1, (size_t)(lb->svc + lb->nsvc - s - 1) * sizeof(*s));
	lb->nsvc--;
	vip_update(lb, &key);
	for (size_t i = 0; i < gone.nbe; i++) {
		be_clear(lb, gone.be[i].id);
		lb->be_owner[gone.be[i].id] = 0;
	}
	map_put(lb->fd.svc_meta, &gone.id, &(struct lb_svc_meta){ 0 },
		"clearing " SVC_META_MAP);
	lb_ring_alloc_release(lb->ring, gone.ring_base, gone.ring_size);
	lb->svc_used[gone.id] = false;
	pr_debug("lb: deleted service %s", svc_str(&gone, text, sizeof(text)));
	svc_free(&gone);
	err = meta_commit(lb);
out:
	return end_change(lb, err);
}

/* ---- backends --------------------------------------------------------------- */

int ebpfnet_lb_backend_add(struct ebpfnet_lb *lb,
			   const struct ebpfnet_lb_service *service,
			   const struct ebpfnet_lb_backend *backend)
{
	struct lb_service_key key;
	struct lb_be b, *added;
	struct lb_svc *s;
	char ip[INET6_ADDRSTRLEN];
	int err;

	err = backend_args(lb, "ebpfnet_lb_backend_add", service, backend, &key, &b);
	if (!err)
		err = begin_service_change(lb, &key, &s);
	if (err)
		return ebpfnet__err(err);
	if (be_by_addr(s, &b.addr)) {
		pr_warn("lb: %s is a backend of that service already",
			addr_str(&b.addr, ip, sizeof(ip)));
		err = -EEXIST;
		goto out;
	}
	if (s->nbe + 1 >= s->ring_size) {
		pr_warn("lb: a service of %u Maglev slots takes fewer than %u backends",
			s->ring_size, s->ring_size - 1);
		err = -ENOSPC;
		goto out;
	}
	b.id = id_next(lb, lb->meta.last_backend_id, lb->max_backends, be_id_used);
	if (!b.id) {
		pr_warn("lb: no room for another backend (max_backends %u)", lb->max_backends);
		err = -ENOSPC;
		goto out;
	}
	/* the backend entry before any slot names it */
	err = counter_zero(lb->fd.backend_stats, b.id,
			   "resetting a backend's counters (lb_backend_stats)");
	if (!err)
		err = be_meta_write(lb, s, &b);
	if (!err)
		err = be_write(lb, s, &b);
	if (!err)
		err = be_push(s, &b);
	if (err) {
		be_clear(lb, b.id);
		goto out;
	}
	added = &s->be[s->nbe - 1];
	err = svc_apply(lb, s);
	if (err) {
		be_remove(s, added);
		be_clear(lb, b.id);
		goto out;
	}
	lb->be_owner[b.id] = s->id;
	lb->meta.last_backend_id = b.id;
	err = meta_commit(lb);
	pr_debug("lb: added backend %s (id %u)", addr_str(&b.addr, ip, sizeof(ip)), b.id);
out:
	return end_change(lb, err);
}

int ebpfnet_lb_backend_set(struct ebpfnet_lb *lb,
			   const struct ebpfnet_lb_service *service,
			   const struct ebpfnet_lb_backend *backend)
{
	struct lb_service_key key;
	struct lb_be want, old, *b;
	struct lb_svc *s;
	char ip[INET6_ADDRSTRLEN];
	int err;

	err = backend_args(lb, "ebpfnet_lb_backend_set", service, backend, &key, &want);
	if (!err)
		err = begin_service_change(lb, &key, &s);
	if (err)
		return ebpfnet__err(err);
	b = find_backend(s, &want.addr);
	if (!b) {
		err = -ENOENT;
		goto out;
	}
	old = *b;
	/* weight 0 in set(): keep the current one (a state change alone) */
	if (!EBPFNET_OPTS_GET(backend, weight, 0))
		want.weight = old.weight;
	b->weight = want.weight;
	b->state = want.state;
	memcpy(b->mac, want.mac, sizeof(b->mac));
	b->ifindex = want.ifindex;
	/* More usable: the entry first, then the slots. Less: the other way
	 * round, so no new flow meets a state it should not. */
	if (b->state == EBPFNET_LB_BACKEND_ACTIVE) {
		err = be_write(lb, s, b);
		if (!err)
			err = svc_apply(lb, s);
	} else {
		err = svc_apply(lb, s);
		if (!err)
			err = be_write(lb, s, b);
	}
	if (!err)
		err = be_meta_write(lb, s, b);
	if (err) {
		*b = old; /* put back what packets may see */
		be_write(lb, s, b);
		be_meta_write(lb, s, b);
		svc_apply(lb, s);
		goto out;
	}
	err = meta_commit(lb);
	pr_debug("lb: backend %s: weight %u, state %u", addr_str(&b->addr, ip, sizeof(ip)),
		 b->weight, b->state);
out:
	return end_change(lb, err);
}

int ebpfnet_lb_backend_del(struct ebpfnet_lb *lb,
			   const struct ebpfnet_lb_service *service,
			   const struct ebpfnet_lb_addr *addr)
{
	struct lb_service_key key;
	struct lb_be gone, *b;
	struct lb_svc *s;
	char ip[INET6_ADDRSTRLEN];
	int err;

	err = check_handle(lb, "ebpfnet_lb_backend_del");
	if (!err)
		err = service_key("ebpfnet_lb_backend_del", service, &key, NULL);
	if (!err && !addr) {
		pr_warn("ebpfnet_lb_backend_del: addr is NULL");
		err = -EINVAL;
	}
	if (!err)
		err = check_addr("ebpfnet_lb_backend_del: addr", addr);
	if (!err)
		err = begin_service_change(lb, &key, &s);
	if (err)
		return ebpfnet__err(err);
	b = find_backend(s, addr);
	if (!b) {
		err = -ENOENT;
		goto out;
	}
	/* the slots stop naming it first, then its entry goes */
	gone = *b;
	be_remove(s, b);
	err = svc_apply(lb, s);
	if (err) {
		be_push(s, &gone);
		goto out;
	}
	be_clear(lb, gone.id);
	lb->be_owner[gone.id] = 0;
	err = meta_commit(lb);
	pr_debug("lb: deleted backend %s (id %u)", addr_str(&gone.addr, ip, sizeof(ip)), gone.id);
out:
	return end_change(lb, err);
}

/* ---- reading ----------------------------------------------------------------- */

int ebpfnet_lb_services(const struct ebpfnet_lb *lb, ebpfnet_lb_service_fn fn,
			void *ctx)
{
	int err = check_handle(lb, "ebpfnet_lb_services");

	if (!err && !fn) {
		pr_warn("ebpfnet_lb_services: fn is NULL");
		err = -EINVAL;
	}
	if (!err)
		err = refresh(lb);
	if (err)
		return ebpfnet__err(err);
	for (size_t i = 0; i < lb->nsvc; i++) {
		struct ebpfnet_lb_counters c = { .sz = sizeof(c) };
		struct ebpfnet_lb_service svc;
		int ret;

		service_out(&lb->svc[i], &svc);
		err = counter_sum(lb->fd.service_stats, lb->svc[i].id, &c);
		if (err)
			return ebpfnet__err(err);
		ret = fn(ctx, &svc, &c);
		if (ret)
			return ret;
	}
	return 0;
}

int ebpfnet_lb_backends(const struct ebpfnet_lb *lb,
			const struct ebpfnet_lb_service *service,
			ebpfnet_lb_backend_fn fn, void *ctx)
{
	struct lb_service_key key;
	const struct lb_svc *s;
	int err = check_handle(lb, "ebpfnet_lb_backends");

	if (!err)
		err = service_key("ebpfnet_lb_backends", service, &key, NULL);
	if (!err && !fn) {
		pr_warn("ebpfnet_lb_backends: fn is NULL");
		err = -EINVAL;
	}
	if (!err)
		err = refresh(lb);
	if (err)
		return ebpfnet__err(err);
	s = find_service(lb, &key);
	if (!s)
		return ebpfnet__err(-ENOENT);
	for (size_t i = 0; i < s->nbe; i++) {
		struct ebpfnet_lb_counters c = { .sz = sizeof(c) };
		struct ebpfnet_lb_backend be;
		int ret;

		backend_out(&s->be[i], &be);
		err = counter_sum(lb->fd.backend_stats, s->be[i].id, &c);
		if (err)
			return ebpfnet__err(err);
		ret = fn(ctx, &be, &c);
		if (ret)
			return ret;
	}
	return 0;
}

/* The socket level's counters (lb_sock_stats, pinned once the socket
 * level was attached; zero before). */
static int sock_stats(const struct ebpfnet_lb *lb, struct ebpfnet_lb_stats *s)
{
	static const struct {
		enum lb_sock_stat stat;
		size_t offset;
	} by_counter[] = {
		{ LB_SOCK_STAT_BALANCED, offsetof(struct ebpfnet_lb_stats, sock_balanced) },
		{ LB_SOCK_STAT_NO_BACKEND, offsetof(struct ebpfnet_lb_stats, sock_no_backend) },
		{ LB_SOCK_STAT_AFFINITY_HITS,
		  offsetof(struct ebpfnet_lb_stats, sock_affinity_hits) },
		{ LB_SOCK_STAT_FAMILY_MISMATCH,
		  offsetof(struct ebpfnet_lb_stats, sock_family_mismatch) },
		{ LB_SOCK_STAT_REVERSED, offsetof(struct ebpfnet_lb_stats, sock_reversed) },
		{ LB_SOCK_STAT_BIND_REFUSED,
		  offsetof(struct ebpfnet_lb_stats, sock_bind_refused) },
	};
	int fd = ebpfnet__pinned_map(&lb->pins, "lb_sock_stats"), err = 0;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	for (size_t i = 0; !err && i < EBPFNET_ARRAY_SIZE(by_counter); i++)
		err = ebpfnet__percpu_sum(LB_OBJECT, fd, by_counter[i].stat,
					  (uint64_t *)((char *)s + by_counter[i].offset), 1);
	close(fd);
	return err;
}

int ebpfnet_lb_stats(const struct ebpfnet_lb *lb, struct ebpfnet_lb_stats *stats)
{
	static const struct {
		enum lb_stat stat;
		size_t offset;
	} by_counter[] = {
		{ LB_STAT_CONN_HITS, offsetof(struct ebpfnet_lb_stats, conn_hits) },
		{ LB_STAT_CONN_MISSES, offsetof(struct ebpfnet_lb_stats, conn_misses) },
		{ LB_STAT_FORWARDED, offsetof(struct ebpfnet_lb_stats, forwarded) },
		{ LB_STAT_NOT_SERVICE, offsetof(struct ebpfnet_lb_stats, not_service) },
		{ LB_STAT_NO_BACKEND, offsetof(struct ebpfnet_lb_stats, no_backend) },
		{ LB_STAT_TOO_BIG, offsetof(struct ebpfnet_lb_stats, too_big) },
		{ LB_STAT_ICMP_FORWARDED, offsetof(struct ebpfnet_lb_stats, icmp_forwarded) },
		{ LB_STAT_FRAGMENTS, offsetof(struct ebpfnet_lb_stats, fragments) },
		{ LB_STAT_MALFORMED, offsetof(struct ebpfnet_lb_stats, malformed) },
		{ LB_STAT_NO_NEIGHBOUR, offsetof(struct ebpfnet_lb_stats, no_neighbour) },
	};
	struct ebpfnet_lb_stats s = { .sz = sizeof(s) };
	int err = check_handle(lb, "ebpfnet_lb_stats");

	if (err)
		return ebpfnet__err(err);
	if (!stats || stats->sz < sizeof(size_t))
		return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
						      "ebpfnet_lb_stats"));
	err = refresh(lb);
	for (size_t i = 0; !err && i < EBPFNET_ARRAY_SIZE(by_counter); i++)
		err = ebpfnet__percpu_sum(LB_OBJECT, lb->fd.stats, by_counter[i].stat,
					  (uint64_t *)((char *)&s + by_counter[i].offset), 1);
	if (!err)
		err = sock_stats(lb, &s);
	if (err)
		return ebpfnet__err(err);
	s.services = (uint32_t)lb->nsvc;
	for (size_t i = 0; i < lb->nsvc; i++)
		s.backends += (uint32_t)lb->svc[i].nbe;
	return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s), "ebpfnet_lb_stats"));
}

int ebpfnet_lb_set_mtu_policy(struct ebpfnet_lb *lb, enum ebpfnet_lb_mtu_policy policy)
{
	__u32 key = 0;
	int err = check_handle(lb, "ebpfnet_lb_set_mtu_policy");

	if (!err && policy != EBPFNET_LB_MTU_DROP && policy != EBPFNET_LB_MTU_ICMP) {
		pr_warn("ebpfnet_lb_set_mtu_policy: policy %d is not drop (0) or icmp (1)",
			(int)policy);
		err = -EINVAL;
	}
	if (!err)
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	if (bpf_map_lookup_elem(lb->fd.config, &key, &lb->config))
		err = map_err("reading lb_config", -errno);
	if (!err) {
		lb->config.mtu_policy = (__u32)policy;
		err = map_put(lb->fd.config, &key, &lb->config, "writing lb_config");
	}
	ebpfnet__pinned_unlock(&lb->pins);
	return ebpfnet__err(err);
}

/* ---- simulate ------------------------------------------------------------------ */

static int check_flow(const struct ebpfnet_lb_flow *flow)
{
	int err;

	if (!flow) {
		pr_warn("ebpfnet_lb_simulate: flow is NULL");
		return -EINVAL;
	}
	if (!EBPFNET_OPTS_VALID(flow, ebpfnet_lb_flow, proto))
		return -EINVAL;
	if (flow->sz < offsetofend(struct ebpfnet_lb_flow, proto)) {
		pr_warn("ebpfnet_lb_simulate: struct ebpfnet_lb_flow of %zu bytes is too short",
			flow->sz);
		return -EINVAL;
	}
	err = check_addr("ebpfnet_lb_simulate: flow src", &flow->src);
	if (!err)
		err = check_addr("ebpfnet_lb_simulate: flow dst", &flow->dst);
	if (!err && flow->src.family != flow->dst.family) {
		pr_warn("ebpfnet_lb_simulate: the flow's addresses are of two families");
		err = -EINVAL;
	}
	if (!err && flow->proto != IPPROTO_TCP && flow->proto != IPPROTO_UDP) {
		pr_warn("ebpfnet_lb_simulate: protocol %u is not TCP (6) or UDP (17)",
			flow->proto);
		err = -EINVAL;
	}
	return err;
}

/* The backend of the connection table's entry for the flow, if it is
 * one the datapath would use (of this service, not DOWN). */
static const struct lb_be *conn_backend(const struct ebpfnet_lb *lb,
					const struct lb_svc *s,
					const struct lb_conn_key *ck)
{
	struct lb_conn_val cv;
	const struct lb_be *b;

	if (bpf_map_lookup_elem(lb->fd.conns, ck, &cv) || cv.service_id != s->id)
		return NULL;
	b = be_by_id(s, cv.backend_id);
	return b && b->state != EBPFNET_LB_BACKEND_DOWN ? b : NULL;
}

int ebpfnet_lb_simulate(const struct ebpfnet_lb *lb, const struct ebpfnet_lb_flow *flow,
			struct ebpfnet_lb_backend *backend)
{
	struct lb_service_key key = {};
	struct lb_conn_key ck = {};
	struct ebpfnet_lb_backend out = { .sz = sizeof(out) };
	const struct lb_be *b;
	struct lb_svc *s;
	char text[80];
	int n, err;

	err = check_handle(lb, "ebpfnet_lb_simulate");
	if (!err)
		err = check_flow(flow);
	if (!err && (!backend || backend->sz < sizeof(size_t)))
		return ebpfnet__err(ebpfnet__out_copy(backend, &out, sizeof(out),
						      "ebpfnet_lb_backend"));
	if (!err)
		err = refresh(lb);
	if (err)
		return ebpfnet__err(err);
	n = family_bytes(flow->dst.family);
	memcpy(key.vip, flow->dst.addr, (size_t)n);
	key.port = htons(flow->dport);
	key.proto = flow->proto;
	key.family = pkt_family(flow->dst.family);
	s = svc_by_key(lb, &key);
	if (!s) {
		key.port = 0;
		s = svc_by_key(lb, &key);
	}
	if (!s) {
		pr_info("lb: the flow is not for a service");
		return ebpfnet__err(-ENOENT);
	}
	memcpy(ck.src, flow->src.addr, (size_t)n);
	memcpy(ck.dst, flow->dst.addr, (size_t)n);
	ck.sport = htons(flow->sport);
	ck.dport = htons(flow->dport);
	ck.proto = flow->proto;
	ck.family = key.family;
	b = conn_backend(lb, s, &ck);
	if (!b) {
		uint32_t slot = lb_flow_hash(&ck, lb->config.seed) % s->ring_size;

		err = svc_table_load(lb, s);
		if (err)
			return ebpfnet__err(err);
		b = be_by_id(s, s->table[slot]);
	}
	if (!b) {
		pr_info("lb: service %s has no usable backend", svc_str(s, text, sizeof(text)));
		return ebpfnet__err(-ENOENT);
	}
	backend_out(b, &out);
	return ebpfnet__err(ebpfnet__out_copy(backend, &out, sizeof(out),
					      "ebpfnet_lb_backend"));
}

/* ---- destroy -------------------------------------------------------------------- */

void ebpfnet_lb_destroy(struct ebpfnet_lb *lb)
{
	if (!lb)
		return;
	/* a balancer whose socket level is attached is not empty */
	ebpfnet__stage_remove_if_empty(&lb->pins, lb->chain, XDP_STAGE_LB,
				       lb->fd.services, /* -1 until loaded */
				       ebpfnet__lb_sock_attached,
				       "it has no service and no interface");
	model_clear(lb);
	free(lb->svc);
	free(lb->be_owner);
	free(lb->svc_used);
	if (lb->fd.meta >= 0)
		close(lb->fd.meta);
	if (lb->fd.svc_meta >= 0)
		close(lb->fd.svc_meta);
	if (lb->fd.be_meta >= 0)
		close(lb->fd.be_meta);
	lb_bpf__destroy(lb->skel); /* our fds only: the pins stay */
	ebpfnet__xdp_chain_close(lb->chain);
	ebpfnet__pinned_unlock(&lb->pins);
	free(lb);
}

/* ---- for the socket level (lb_sock.c) -------------------------------------------- */

const struct ebpfnet__pinned *ebpfnet__lb_pins(const struct ebpfnet_lb *lb)
{
	return &lb->pins;
}

int ebpfnet__lb_lock(struct ebpfnet_lb *lb)
{
	return begin_change(lb);
}

void ebpfnet__lb_unlock(struct ebpfnet_lb *lb)
{
	ebpfnet__pinned_unlock(&lb->pins);
}

int ebpfnet__lb_prog_fd(const struct ebpfnet_lb *lb)
{
	int err = check_handle(lb, "ebpfnet__lb_prog_fd");

	if (err)
		return ebpfnet__err(err);
	return lb->prog_fd;
}
