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
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "lb_internal.h"
#include "netlink.h"
#include "xdp_chain.h"
#include "lb.skel.h"

_Static_assert(EBPFNET_LB_MTU_DROP == LB_MTU_POLICY_DROP &&
	       EBPFNET_LB_MTU_ICMP == LB_MTU_POLICY_ICMP, "MTU policies");

#define LB_OBJECT "lb"
#define LB_LOCK_ATTEMPTS 5
#define LB_NEXTHOP_TIMEOUT_MS 3000
#define LB_MAX_WEIGHT 65535
#define LB_ENOTSUPP 524 /* the kernel's ENOTSUPP: no batch operations */
/* The map whose pin tells an existing balancer (and whose id tells ours). */
#define PIN_PROBE_MAP "lb_config"
#define META_MAP "lb_meta"
#define SVC_META_MAP "lb_svc_meta"
#define BE_META_MAP "lb_be_meta"
/* Upper bounds of the sizes (memory: lb_rings is 4 bytes a slot). */
#define LB_MAX_SERVICES_LIMIT (1u << 20)
#define LB_MAX_BACKENDS_LIMIT (1u << 24)
#define LB_RING_SLOTS_LIMIT (1u << 28)
#define LB_CONN_TABLE_LIMIT (1u << 27)

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
	char pin_root[PATH_MAX];
	char dir[PATH_MAX];        /* <pin_root>/lb */
	int lock_fd;
	__u32 config_id;           /* our lb_config's id, to spot a new balancer */
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

static int check_ifname(const char *fn, const char *ifname)
{
	if (!ifname || !*ifname) {
		pr_warn("%s: ifname is %s", fn, ifname ? "empty" : "NULL");
		return -EINVAL;
	}
	if (strnlen(ifname, IF_NAMESIZE) >= IF_NAMESIZE) {
		pr_warn("%s: ifname '%.32s...' is longer than %d bytes", fn,
			ifname, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	return 0;
}

static int map_err(const char *what, int err)
{
	pr_warn("lb: %s: %s", what, ebpfnet_strerror(err));
	return err;
}

static int map_put(int fd, const void *key, const void *value, const char *what)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY))
		return map_err(what, -errno);
	return 0;
}

static int map_del(int fd, const void *key, const char *what)
{
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return map_err(what, -errno);
	return 0;
}

static __u32 map_id_of_fd(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int pin_path(const struct ebpfnet_lb *lb, const char *name, char *buf,
		    size_t len)
{
	int n = snprintf(buf, len, "%s/%s", lb->dir, name);

	if (n < 0 || (size_t)n >= len) {
		pr_warn("lb: pin path %s/%s is too long", lb->dir, name);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The pinned map `name`'s fd, -ENOENT when there is none. */
static int pinned_map(const struct ebpfnet_lb *lb, const char *name)
{
	char path[PATH_MAX];
	int fd, err = pin_path(lb, name, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			pr_warn("lb: cannot open %s: %s", path, ebpfnet_strerror(err));
		return err;
	}
	return fd;
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

static int percpu_read(int fd, uint32_t index, size_t vsize, void **values,
		       int *ncpus)
{
	*ncpus = libbpf_num_possible_cpus();
	if (*ncpus <= 0)
		return *ncpus ? *ncpus : -EINVAL;
	*values = calloc((size_t)*ncpus, vsize);
	if (!*values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &index, *values)) {
		int err = -errno;

		free(*values);
		*values = NULL;
		pr_warn("lb: cannot read counter %u: %s", index, ebpfnet_strerror(err));
		return err;
	}
	return 0;
}

static int counter_sum(int fd, uint32_t index, struct ebpfnet_lb_counters *out)
{
	struct lb_counter *v;
	int ncpus, err = percpu_read(fd, index, sizeof(*v), (void **)&v, &ncpus);

	out->packets = out->bytes = out->new_conns = 0;
	if (err)
		return err;
	for (int i = 0; i < ncpus; i++) {
		out->packets += v[i].packets;
		out->bytes += v[i].bytes;
		out->new_conns += v[i].new_conns;
	}
	free(v);
	return 0;
}

static int stat_sum(int fd, uint32_t index, uint64_t *out)
{
	__u64 *v;
	int ncpus, err = percpu_read(fd, index, sizeof(*v), (void **)&v, &ncpus);

	*out = 0;
	if (err)
		return err;
	for (int i = 0; i < ncpus; i++)
		*out += v[i];
	free(v);
	return 0;
}

/* Zero the per-CPU counters of a (reused) id. */
static int counter_zero(int fd, uint32_t index, const char *what)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	struct lb_counter *zeros;

	if (ncpus <= 0)
		return map_err(what, ncpus ? ncpus : -EINVAL);
	zeros = calloc((size_t)ncpus, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &index, zeros, BPF_ANY))
		err = map_err(what, -errno);
	free(zeros);
	return err;
}

/* ---- the lock ------------------------------------------------------------- */

/* As drop.c: flock <pin_root>/lb; when it was removed and made again while
 * we waited, lock what the path names now. */
static int lock(struct ebpfnet_lb *lb, bool create)
{
	for (int attempt = 0; attempt < LB_LOCK_ATTEMPTS; attempt++) {
		struct stat held, now;
		int fd, err;

		if (create) {
			err = ebpfnet__pin_dir(lb->pin_root, LB_OBJECT, NULL, lb->dir,
					       sizeof(lb->dir));
			if (err)
				return err;
		}
		fd = open(lb->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			if (err != -ENOENT || create)
				pr_warn("lb: cannot open %s: %s", lb->dir,
					ebpfnet_strerror(err));
			return err;
		}
		if (flock(fd, LOCK_EX)) {
			err = -errno;
			pr_warn("lb: cannot lock %s: %s", lb->dir, ebpfnet_strerror(err));
			close(fd);
			return err;
		}
		if (!fstat(fd, &held) && !stat(lb->dir, &now) &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
			lb->lock_fd = fd;
			return 0;
		}
		close(fd);
		if (!create)
			return -ENOENT;
	}
	pr_warn("lb: %s keeps being removed and created again", lb->dir);
	return -EAGAIN;
}

static void unlock(struct ebpfnet_lb *lb)
{
	if (lb->lock_fd >= 0) {
		close(lb->lock_fd);
		lb->lock_fd = -1;
	}
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
	if (!err)
		qsort(lb->svc, lb->nsvc, sizeof(*lb->svc), by_seq);
	if (!err)
		err = adopt_backends(lb);
	if (err) {
		pr_warn("lb: the maps under %s do not make a consistent balancer: %s",
			lb->dir, ebpfnet_strerror(err));
		return err;
	}
	pr_debug("lb: adopted %zu services (generation %llu) from %s", lb->nsvc,
		 (unsigned long long)lb->meta.generation, lb->dir);
	return 0;
}

/* ---- a change: lock, check we still hold the node's balancer, catch up ---- */

static int check_current(const struct ebpfnet_lb *lb)
{
	int fd = pinned_map(lb, PIN_PROBE_MAP);
	__u32 id;

	if (fd == -ENOENT) {
		pr_warn("lb: the balancer under %s was removed: open it again", lb->dir);
		return -ESTALE;
	}
	if (fd < 0)
		return fd;
	id = map_id_of_fd(fd);
	close(fd);
	if (id != lb->config_id) {
		pr_warn("lb: the balancer under %s was created again by another process: open it again",
			lb->dir);
		return -ESTALE;
	}
	return 0;
}

/* Re-read the model when another process changed it. */
static int catch_up(struct ebpfnet_lb *lb)
{
	struct lb_meta m;
	int err = meta_read(lb, &m);

	if (err || m.generation == lb->meta.generation)
		return err;
	pr_debug("lb: changed by another process (generation %llu, ours %llu): re-reading",
		 (unsigned long long)m.generation, (unsigned long long)lb->meta.generation);
	return adopt(lb);
}

static int begin_change(struct ebpfnet_lb *lb)
{
	int err = lock(lb, false);

	if (err == -ENOENT) {
		pr_warn("lb: %s is gone (the balancer was removed): open it again", lb->dir);
		return -ESTALE;
	}
	if (!err)
		err = check_current(lb);
	if (!err)
		err = catch_up(lb);
	if (err)
		unlock(lb);
	return err;
}

/* A read-only call shows what the maps hold now. */
static int refresh(const struct ebpfnet_lb *lb)
{
	struct ebpfnet_lb *l = (struct ebpfnet_lb *)lb;
	struct lb_meta m;
	int err = meta_read(l, &m);

	if (err || m.generation == lb->meta.generation)
		return err;
	err = lock(l, false);
	if (err == -ENOENT)
		return 0; /* removed: show what the handle holds */
	if (!err)
		err = catch_up(l);
	unlock(l);
	return err;
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

static bool pin_this_map(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

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
	bpf_object__for_each_map(map, obj) {
		char path[PATH_MAX];
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (!pin_this_map(map))
			continue;
		err = pin_path(lb, bpf_map__name(map), path, sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return map_err("setting a pin path", err);
		/* a pinned map keeps its size: load on it as it is */
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (!bpf_obj_get_info_by_fd(fd, &info, &len))
				bpf_map__set_max_entries(map, info.max_entries);
			close(fd);
		}
	}
	map = bpf_object__find_map_by_name(obj, "xdp_chain");
	err = map ? bpf_map__reuse_fd(map, ebpfnet__xdp_chain_prog_array_fd(lb->chain)) : -ENOENT;
	map = bpf_object__find_map_by_name(obj, "xdp_ifaces");
	if (!err)
		err = map ? bpf_map__reuse_fd(map, ebpfnet__xdp_chain_ifaces_fd(lb->chain)) : -ENOENT;
	if (err)
		return map_err("sharing the XDP chain's maps", err);
	return 0;
}

/* One of our userspace maps: the pinned one, or a new one pinned. */
static int meta_map(struct ebpfnet_lb *lb, const char *name, size_t vsize,
		    uint32_t entries)
{
	char path[PATH_MAX];
	int fd = pinned_map(lb, name), err;

	if (fd != -ENOENT)
		return fd;
	err = pin_path(lb, name, path, sizeof(path));
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

/* Sizes as the loaded maps have them. */
static int read_sizes(struct ebpfnet_lb *lb)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(lb->fd.services, &info, &len))
		return map_err("reading lb_services", -errno);
	lb->max_services = info.max_entries;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(lb->fd.backends, &info, &len))
		return map_err("reading lb_backends", -errno);
	lb->max_backends = info.max_entries - 1;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(lb->fd.rings, &info, &len))
		return map_err("reading lb_rings", -errno);
	lb->ring_slots = info.max_entries;
	if (!lb->max_services || !lb->max_backends || !lb->ring_slots) {
		pr_warn("lb: the pinned maps under %s have no room (not a balancer?)", lb->dir);
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
			lb->dir);
	if (w->seed_asked && have->seed != want->seed)
		pr_warn("lb: the balancer under %s keeps the hash seed it was created with: ebpfnet_lb_opts.hash_seed applies when it is created",
			lb->dir);
}

/* Load the program on the pinned maps (creating them when there are
 * none), then adopt them. Called with the lock held. */
static int load(struct ebpfnet_lb *lb, const struct lb_sizes *z,
		const struct lb_wanted *w, bool *created)
{
	__u32 key = 0;
	int err, fd;

	fd = pinned_map(lb, PIN_PROBE_MAP);
	if (fd < 0 && fd != -ENOENT)
		return fd;
	*created = fd == -ENOENT;
	if (fd >= 0)
		close(fd);
	lb->skel = lb_bpf__open();
	if (!lb->skel) {
		err = -errno;
		pr_warn("lb: cannot open the BPF object: %s", ebpfnet_strerror(err));
		return err;
	}
	err = prepare_maps(lb, z);
	if (err)
		return err;
	err = lb_bpf__load(lb->skel);
	if (err) {
		pr_warn("lb: cannot load the balancer on the maps under %s: %s%s",
			lb->dir, ebpfnet_strerror(err),
			err == -EINVAL ? " (pins left by an incompatible version?)" : "");
		return err;
	}
	err = find_fds(lb);
	if (!err)
		err = read_sizes(lb);
	if (err)
		return err;
	lb->config_id = map_id_of_fd(lb->fd.config);
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

static int open_existing_lock(struct ebpfnet_lb *lb)
{
	int err, fd;

	snprintf(lb->dir, sizeof(lb->dir), "%s/%s", lb->pin_root, LB_OBJECT);
	err = lock(lb, false);
	if (!err) {
		fd = pinned_map(lb, PIN_PROBE_MAP);
		if (fd >= 0)
			close(fd);
		err = fd < 0 ? fd : 0;
	}
	if (err == -ENOENT)
		pr_warn("lb: there is no balancer under %s", lb->dir);
	if (err)
		unlock(lb);
	return err;
}

static void undo_open(struct ebpfnet_lb *lb, bool created)
{
	if (created && lb->dir[0])
		ebpfnet__pin_dir_cleanup(lb->pin_root, lb->dir);
	if (lb->chain && ebpfnet__xdp_chain_unused(lb->chain))
		ebpfnet__xdp_chain_remove(lb->chain);
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
	const char *pin_root;
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
	pin_root = EBPFNET_OPTS_GET(opts, pin_root, NULL);
	if (!pin_root)
		pin_root = EBPFNET_PIN_ROOT_DEFAULT;
	if (strlen(pin_root) >= PATH_MAX - 64) {
		pr_warn("ebpfnet_lb_opts.pin_root: longer than %d bytes", PATH_MAX - 65);
		return ebpfnet__err_ptr(-ENAMETOOLONG);
	}
	lb = calloc(1, sizeof(*lb));
	if (!lb)
		return ebpfnet__err_ptr(-ENOMEM);
	lb->lock_fd = -1;
	fds_init(&lb->fd);
	strcpy(lb->pin_root, pin_root);

	err = EBPFNET_OPTS_GET(opts, open_existing, false) ? open_existing_lock(lb) :
							      lock(lb, true);
	if (err)
		goto fail;
	err = ebpfnet__xdp_chain_open(pin_root, &lb->chain);
	if (!err)
		err = load(lb, &sizes, &wanted, &created);
	if (err) {
		undo_open(lb, created);
		goto fail;
	}
	unlock(lb);
	pr_debug("lb: %s the balancer under %s (%zu services)",
		 created ? "created" : "adopted", lb->dir, lb->nsvc);
	return lb;
fail:
	ebpfnet_lb_destroy(lb);
	return ebpfnet__err_ptr(err);
}

/* ---- attach and detach ------------------------------------------------------ */

static int check_mode(const char *fn, enum ebpfnet_xdp_mode mode)
{
	if (mode != EBPFNET_XDP_MODE_AUTO && mode != EBPFNET_XDP_MODE_NATIVE &&
	    mode != EBPFNET_XDP_MODE_GENERIC) {
		pr_warn("%s: mode %d is not auto, native or generic", fn, (int)mode);
		return -EINVAL;
	}
	return 0;
}

static int count_iface(void *ctx, const char *ifname, uint32_t ifindex,
		       enum ebpfnet_xdp_mode mode)
{
	(void)ifname;
	(void)ifindex;
	(void)mode;
	(*(unsigned int *)ctx)++;
	return 0;
}

/* Interfaces where the lb stage is enabled, or a negative errno. */
static int lb_iface_count(const struct ebpfnet_lb *lb)
{
	unsigned int n = 0;
	int err = ebpfnet__xdp_chain_ifaces(lb->chain, XDP_STAGE_LB, count_iface, &n);

	return err < 0 ? err : (int)n;
}

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

int ebpfnet_lb_attach(struct ebpfnet_lb *lb, const char *ifname,
		      enum ebpfnet_xdp_mode mode)
{
	enum ebpfnet_xdp_mode active = mode;
	uint32_t ifindex = 0;
	int err, before;
	bool there;

	err = check_handle(lb, "ebpfnet_lb_attach");
	if (!err)
		err = check_ifname("ebpfnet_lb_attach", ifname);
	if (!err)
		err = check_mode("ebpfnet_lb_attach", mode);
	if (!err && !(ifindex = if_nametoindex(ifname))) {
		pr_warn("lb: no interface named %s", ifname);
		err = -ENODEV;
	}
	if (!err)
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	before = lb_iface_count(lb);
	err = before < 0 ? before : 0;
	there = !err && ebpfnet_lb_mode(lb, ifname) >= 0;
	/* the MTU before packets can meet the stage there */
	if (!err)
		err = mtu_write(lb, ifname, ifindex);
	if (!err)
		err = ebpfnet__xdp_chain_set_stage(lb->chain, XDP_STAGE_LB, lb->prog_fd);
	if (!err) {
		err = ebpfnet__xdp_chain_enable(lb->chain, ifname, XDP_STAGE_LB, mode,
						&active);
		if (err && before == 0)
			ebpfnet__xdp_chain_clear_stage(lb->chain, XDP_STAGE_LB);
	}
	if (err && !there && lb->fd.mtu >= 0)
		map_del(lb->fd.mtu, &ifindex, "deleting from lb_mtu");
	unlock(lb);
	if (err) {
		pr_warn("lb: cannot attach to %s: %s", ifname, ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	pr_info("lb: attached to %s in %s mode", ifname, ebpfnet_xdp_mode_name(active));
	return 0;
}

int ebpfnet_lb_detach(struct ebpfnet_lb *lb, const char *ifname)
{
	uint32_t ifindex;
	int err, left;

	err = check_handle(lb, "ebpfnet_lb_detach");
	if (!err)
		err = check_ifname("ebpfnet_lb_detach", ifname);
	if (!err)
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	ifindex = if_nametoindex(ifname);
	err = ebpfnet__xdp_chain_disable(lb->chain, ifname, XDP_STAGE_LB);
	if (err == -ENOENT)
		pr_warn("lb: not attached to %s", ifname);
	else if (err)
		pr_warn("lb: cannot detach from %s: %s", ifname, ebpfnet_strerror(err));
	if (!err) {
		if (ifindex && lb->fd.mtu >= 0)
			map_del(lb->fd.mtu, &ifindex, "deleting from lb_mtu");
		left = lb_iface_count(lb);
		/* The services stay (node state); the stage slot only while an
		 * interface uses it, so that drop can remove an unused chain. */
		if (left == 0)
			ebpfnet__xdp_chain_clear_stage(lb->chain, XDP_STAGE_LB);
		pr_info("lb: detached from %s", ifname);
	}
	unlock(lb);
	return ebpfnet__err(err);
}

struct find_iface {
	const char *ifname;
	int mode;
};

static int match_iface(void *ctx, const char *ifname, uint32_t ifindex,
		       enum ebpfnet_xdp_mode mode)
{
	struct find_iface *f = ctx;

	(void)ifindex;
	if (strcmp(ifname, f->ifname))
		return 0;
	f->mode = mode;
	return 1;
}

int ebpfnet_lb_mode(const struct ebpfnet_lb *lb, const char *ifname)
{
	struct find_iface f = { .ifname = ifname, .mode = -ENOENT };
	int err;

	err = check_handle(lb, "ebpfnet_lb_mode");
	if (!err)
		err = check_ifname("ebpfnet_lb_mode", ifname);
	if (!err) {
		err = ebpfnet__xdp_chain_ifaces(lb->chain, XDP_STAGE_LB, match_iface, &f);
		if (err > 0)
			err = 0;
	}
	if (!err && f.mode < 0)
		pr_debug("lb: not attached to %s", ifname);
	return ebpfnet__err(err ? err : f.mode);
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
	if (!EBPFNET_OPTS_VALID(service, ebpfnet_lb_service, table_size))
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

/* Write a new service: its slots empty, its counters zero, then the
 * entry that points at them. */
static int service_write(struct ebpfnet_lb *lb, struct lb_svc *s)
{
	struct lb_service_val val = { .id = s->id, .ring_base = s->ring_base,
				      .ring_size = s->ring_size,
				      .flags = s->key.port ? 0 : LB_SVC_F_ALL_PORTS };
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
	uint32_t size = 0, id, base;
	struct lb_svc *s;
	char text[80];
	int err;

	err = check_handle(lb, "ebpfnet_lb_service_add");
	if (!err)
		err = service_key("ebpfnet_lb_service_add", service, &key, &size);
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
	unlock(lb);
	return ebpfnet__err(err);
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
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	s = find_service(lb, &key);
	if (!s) {
		err = -ENOENT;
		goto out;
	}
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
	unlock(lb);
	return ebpfnet__err(err);
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

	err = check_handle(lb, "ebpfnet_lb_backend_add");
	if (!err)
		err = service_key("ebpfnet_lb_backend_add", service, &key, NULL);
	if (!err)
		err = backend_in("ebpfnet_lb_backend_add", backend, &b);
	if (err)
		return ebpfnet__err(err);
	backend_nexthop(&b);
	err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	s = find_service(lb, &key);
	if (!s) {
		err = -ENOENT;
		goto out;
	}
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
	unlock(lb);
	return ebpfnet__err(err);
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

	err = check_handle(lb, "ebpfnet_lb_backend_set");
	if (!err)
		err = service_key("ebpfnet_lb_backend_set", service, &key, NULL);
	if (!err)
		err = backend_in("ebpfnet_lb_backend_set", backend, &want);
	if (err)
		return ebpfnet__err(err);
	backend_nexthop(&want);
	err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	s = find_service(lb, &key);
	b = s ? be_by_addr(s, &want.addr) : NULL;
	if (s && !b)
		pr_warn("lb: %s is not a backend of that service",
			addr_str(&want.addr, ip, sizeof(ip)));
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
	unlock(lb);
	return ebpfnet__err(err);
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
		err = begin_change(lb);
	if (err)
		return ebpfnet__err(err);
	s = find_service(lb, &key);
	b = s ? be_by_addr(s, addr) : NULL;
	if (s && !b)
		pr_warn("lb: %s is not a backend of that service", addr_str(addr, ip, sizeof(ip)));
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
	unlock(lb);
	return ebpfnet__err(err);
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
		err = stat_sum(lb->fd.stats, by_counter[i].stat,
			       (uint64_t *)((char *)&s + by_counter[i].offset));
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
	unlock(lb);
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

/* A balancer with no service and no interface holds nothing worth
 * keeping (a read-only open of a clean node created it): remove its pins,
 * and the chain's when nothing else uses it. */
static void remove_if_empty(struct ebpfnet_lb *lb)
{
	struct lb_service_key key;

	if (!lb->skel || !lb->chain || lb->fd.services < 0 || lock(lb, false))
		return;
	if (!check_current(lb) &&
	    bpf_map_get_next_key(lb->fd.services, NULL, &key) && errno == ENOENT &&
	    lb_iface_count(lb) == 0) {
		ebpfnet__xdp_chain_clear_stage(lb->chain, XDP_STAGE_LB);
		ebpfnet__pin_dir_cleanup(lb->pin_root, lb->dir);
		if (ebpfnet__xdp_chain_unused(lb->chain))
			ebpfnet__xdp_chain_remove(lb->chain);
		pr_info("lb: removed the balancer under %s: it has no service and no interface",
			lb->dir);
	}
	unlock(lb);
}

void ebpfnet_lb_destroy(struct ebpfnet_lb *lb)
{
	if (!lb)
		return;
	remove_if_empty(lb);
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
	unlock(lb);
	free(lb);
}

int ebpfnet__lb_prog_fd(const struct ebpfnet_lb *lb)
{
	int err = check_handle(lb, "ebpfnet__lb_prog_fd");

	if (err)
		return ebpfnet__err(err);
	return lb->prog_fd;
}
