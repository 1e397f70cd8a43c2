/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: the flow observer object. One observer per pin root: its maps
 * pinned under <pin_root>/flow/ (flow_table, flow_config, flow_stats,
 * flow_events, flow_ifaces), its two TC programs held by the clsact
 * filters of the observed interfaces (at EBPFNET_TC_PRIO_FLOW), so it
 * keeps counting when the agent exits. This file loads the programs on
 * the pinned maps, attaches them, reads the flow_events ring together
 * with the node's monitor ring (monitor.h) into records (flow_decode.c),
 * enriches them from the policy object's pinned maps, sweeps idle and
 * evicted flows, and walks the table for snapshots and statistics.
 *
 * Changes take an exclusive flock on <pin_root>/flow (pinned.h); live
 * reading takes a non-blocking one on <pin_root>/flow/reader (one reader
 * per node: the reader sweeps the table). Locks go flow, then monitor.
 *
 * The idle timeout is the reader's own setting (a handle's), not a node
 * setting: only the reader sweeps.
 */
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "events.h"
#include "flow_internal.h"
#include "internal.h"
#include "maps.h"
#include "monitor.h"
#include "percpu.h"
#include "pinned.h"
#include "policy_abi.h"
#include "stage.h"
#include "tc.h"
#include "flow.skel.h"

/* The kernel's names and the public ones are the same numbers. */
_Static_assert(EBPFNET_FLOW_NEW == FLOW_EV_NEW && EBPFNET_FLOW_FLAGS == FLOW_EV_FLAGS &&
	       EBPFNET_FLOW_INTERVAL == FLOW_EV_INTERVAL &&
	       EBPFNET_FLOW_END == FLOW_EV_END, "flow kinds");

#define FLOW_OBJECT "flow"
#define READER_DIR "reader"
#define DEFAULT_IDLE_TIMEOUT_MS 60000u
#define MAX_FLOWS_LIMIT (1u << 24)
#define NS_PER_MS 1000000ull
#define SWEEP_EVERY_NS 1000000000ull     /* at most once a second */
#define END_GRACE_NS (10ull * 1000000000ull) /* closed flows stay this long */
#define BATCH_CHUNK 256
#define IFNAME_CACHE 16

/* Stops libbpf's loop; the callback's own value is in batch.stop. */
#define FLOW_STOP (-ECANCELED)

static const struct ebpfnet__pinned_kind flow_kind = {
	.object = FLOW_OBJECT,
	.noun = "observer",
	.probe_map = "flow_config",
	.gone_how = "detached from its last interface",
	.opts_type = "ebpfnet_flow_opts",
	.room = 32,
};

/* The maps pinned under <pin_root>/flow (flow_event_budget is per load). */
static const char *const pinned_maps[] = {
	"flow_table", "flow_config", "flow_stats", "flow_events", "flow_ifaces",
};

/* The policy object's maps the records are enriched from, when it exists
 * (-1: not there). */
struct policy_view {
	int ipcache4, ipcache6, identities, endpoints;
};

/* Flows this reader saw start: when one leaves the table without an END
 * or IDLE record of ours, it was evicted (LRU) and is reported so with
 * its last known counters. Open addressing, linear probing. */
enum { SLOT_EMPTY = 0, SLOT_USED = 1, SLOT_GONE = 2 };

struct seen_slot {
	uint8_t state;
	uint32_t mark;              /* the sweep that last found it */
	struct flow_key key;
	struct flow_value last;
};

struct seen_set {
	struct seen_slot *slots;
	size_t cap, used, gone;
};

struct ifname_slot {
	uint32_t ifindex;           /* 0: empty */
	char name[IF_NAMESIZE];
};

/* Labels handed out with a record: valid during its callback. */
struct label_bufs {
	char src[POLICY_LABELS_MAX];
	char dst[POLICY_LABELS_MAX];
};

struct ebpfnet_flow {
	struct ebpfnet__pinned pins;    /* <pin_root>/flow, probe: flow_config */
	struct flow_bpf *skel;
	ebpfnet_flow_fn on_flow;
	ebpfnet_flow_dns_fn on_dns;
	void *ctx;
	uint32_t idle_timeout_ms;
	bool no_events;
	bool no_monitor;
	/* live reading */
	int reader_fd;                  /* flocked <pin_root>/flow/reader */
	struct ring_buffer *rb;
	int monitor_fd;
	uint64_t open_boot_ns;          /* older monitor records are skipped */
	uint64_t monitor_lost_at_open;
	struct ebpfnet__batch batch;
	struct policy_view view;        /* during a batch */
	struct ifname_slot ifnames[IFNAME_CACHE]; /* during a batch */
	struct label_bufs labels;
	struct seen_set seen;
	uint32_t sweep_mark;
	uint64_t next_sweep_ns;
	/* what this handle delivered */
	uint64_t records, dns_records, dns_malformed;
};

/* ---- small helpers ------------------------------------------------------ */

/* The handle, writable: read-only calls of the API still update what
 * the handle caches (sweep marks, catch-up with the pinned state). */
static struct ebpfnet_flow *observer_of(const struct ebpfnet_flow *handle)
{
	return (struct ebpfnet_flow *)(uintptr_t)handle;
}

static int check_handle(const struct ebpfnet_flow *flow, const char *fn)
{
	if (!flow) {
		pr_warn("%s: flow is NULL", fn);
		return -EINVAL;
	}
	return 0;
}

static int map_fd(const struct bpf_map *map)
{
	return bpf_map__fd(map);
}

static uint64_t boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int config_read(const struct ebpfnet_flow *flow, struct flow_config *conf)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(map_fd(flow->skel->maps.flow_config), &zero, conf))
		return ebpfnet__map_fail(FLOW_OBJECT, "reading flow_config", -errno);
	return 0;
}

static int config_write(const struct ebpfnet_flow *flow,
			const struct flow_config *conf)
{
	__u32 zero = 0;

	return ebpfnet__map_put(FLOW_OBJECT, map_fd(flow->skel->maps.flow_config),
				&zero, conf, "writing flow_config");
}

/* Bump the generation (attach, detach): others can tell a change. */
static int config_touch(const struct ebpfnet_flow *flow)
{
	struct flow_config conf;
	int err = config_read(flow, &conf);

	if (!err) {
		conf.generation++;
		err = config_write(flow, &conf);
	}
	return err;
}

/* ---- the flow table, read whole ------------------------------------------ */

struct table {
	struct flow_key *keys;
	struct flow_value *values;
	size_t n, cap;
};

static void table_free(struct table *t)
{
	free(t->keys);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

static int table_grow(struct table *t, size_t need)
{
	size_t cap = t->cap ? t->cap : BATCH_CHUNK;
	void *k, *v;

	while (cap < need)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	k = realloc(t->keys, cap * sizeof(*t->keys));
	if (k)
		t->keys = k;
	v = realloc(t->values, cap * sizeof(*t->values));
	if (v)
		t->values = v;
	if (!k || !v)
		return -ENOMEM;
	t->cap = cap;
	return 0;
}

/* Every entry of flow_table, by batches (consistent per hash bucket). */
static int table_read(const struct ebpfnet_flow *flow, struct table *t)
{
	int fd = map_fd(flow->skel->maps.flow_table);
	struct flow_key token; /* the kernel's batch cursor (a bucket index) */
	__u32 chunk = BATCH_CHUNK;
	bool first = true;
	int err = 0;

	memset(t, 0, sizeof(*t));
	for (;;) {
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = chunk;

		err = table_grow(t, t->n + chunk);
		if (err)
			break;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   t->keys + t->n, t->values + t->n,
					   &count, &opts);
		err = err ? -errno : 0;
		if (err == -ENOSPC && count == 0) {
			chunk *= 2; /* a bucket holds more than a chunk */
			continue;
		}
		t->n += count;
		first = false;
		if (err)
			break;
	}
	if (err == -ENOENT)
		return 0;
	table_free(t);
	return ebpfnet__map_fail(FLOW_OBJECT, "reading flow_table", err);
}

/* ---- the policy object's maps (identities, labels, endpoints) ------------- */

static int policy_map_open(const char *pin_root, const char *name)
{
	char path[PATH_MAX];
	int fd, n = snprintf(path, sizeof(path), "%s/policy/%s", pin_root, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		pr_debug("flow: cannot open %s: %s", path, ebpfnet_strerror(-errno));
	return fd < 0 ? -1 : fd;
}

static void policy_view_open(const char *pin_root, struct policy_view *v)
{
	v->ipcache4 = policy_map_open(pin_root, "policy_ipcache4");
	v->ipcache6 = policy_map_open(pin_root, "policy_ipcache6");
	v->identities = policy_map_open(pin_root, "policy_identities");
	v->endpoints = policy_map_open(pin_root, "policy_endpoints");
}

static void policy_view_close(struct policy_view *v)
{
	int *fds[] = { &v->ipcache4, &v->ipcache6, &v->identities, &v->endpoints };

	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* The identity of an address: the most specific prefix of the ipcache. */
static uint32_t view_identity(const struct policy_view *v, uint8_t family,
			      const uint8_t *addr)
{
	struct policy_ipcache_value value;
	int err;

	if (family == AF_INET && v->ipcache4 >= 0) {
		struct policy_ipcache4_key k = { .prefixlen = 32 };

		memcpy(k.addr, addr, sizeof(k.addr));
		err = bpf_map_lookup_elem(v->ipcache4, &k, &value);
	} else if (family == AF_INET6 && v->ipcache6 >= 0) {
		struct policy_ipcache6_key k = { .prefixlen = 128 };

		memcpy(k.addr, addr, sizeof(k.addr));
		err = bpf_map_lookup_elem(v->ipcache6, &k, &value);
	} else {
		return 0;
	}
	return err ? 0 : value.identity;
}

static const char *view_labels(const struct policy_view *v, uint32_t identity,
			       char buf[POLICY_LABELS_MAX])
{
	if (!identity || v->identities < 0 ||
	    bpf_map_lookup_elem(v->identities, &identity, buf) || !buf[0])
		return NULL;
	buf[POLICY_LABELS_MAX - 1] = '\0';
	return buf;
}

static bool view_endpoint(const struct policy_view *v, uint32_t ifindex)
{
	struct policy_endpoint ep;

	return v->endpoints >= 0 && !bpf_map_lookup_elem(v->endpoints, &ifindex, &ep);
}

/* The interface's name ("" when it is gone), cached during a batch. */
static void ifname_of(struct ifname_slot *cache, uint32_t ifindex,
		      char name[IF_NAMESIZE])
{
	struct ifname_slot *slot = cache ? &cache[ifindex % IFNAME_CACHE] : NULL;

	if (slot && slot->ifindex == ifindex && ifindex) {
		memcpy(name, slot->name, IF_NAMESIZE);
		return;
	}
	if (!ifindex || !if_indextoname(ifindex, name))
		name[0] = '\0';
	if (slot) {
		slot->ifindex = ifindex;
		memcpy(slot->name, name, IF_NAMESIZE);
	}
}

static void enrich_peer(const struct policy_view *v, uint8_t family,
			struct ebpfnet_flow_peer *peer, bool known_identity,
			char labels[POLICY_LABELS_MAX])
{
	if (!known_identity)
		peer->identity = view_identity(v, family, peer->addr);
	peer->labels = view_labels(v, peer->identity, labels);
}

/* What the node tells of a decoded record. */
static void enrich_flow(const struct policy_view *v, struct ifname_slot *cache,
			struct label_bufs *labels, struct ebpfnet_flow_record *f)
{
	/* a verdict carries the identities the policy decided on */
	bool given = f->kind == EBPFNET_FLOW_POLICY;

	ifname_of(cache, f->ifindex, f->ifname);
	if (f->family) {
		enrich_peer(v, f->family, &f->src, given, labels->src);
		enrich_peer(v, f->family, &f->dst, given, labels->dst);
	}
	flow_apply_endpoint(f, view_endpoint(v, f->ifindex));
}

/* ---- delivering records --------------------------------------------------- */

static int deliver(struct ebpfnet_flow *flow, struct ebpfnet_flow_record *rec)
{
	int ret;

	if (!flow->on_flow)
		return 0;
	enrich_flow(&flow->view, flow->ifnames, &flow->labels, rec);
	flow->records++;
	flow->batch.delivered++;
	ret = flow->on_flow(flow->ctx, rec);
	if (ret) {
		flow->batch.stop = ret;
		return FLOW_STOP;
	}
	return 0;
}

static int deliver_dns(struct ebpfnet_flow *flow, const void *data, size_t size)
{
	struct ebpfnet_flow_dns dns;
	int ret = flow_decode_dns(data, size, flow->batch.realtime_offset_ns, &dns);

	if (ret == -EPROTO) {
		flow->dns_malformed++;
		return 0;
	}
	if (ret) {
		pr_warn("flow: skipped a malformed DNS record of %zu bytes", size);
		return 0;
	}
	if (!flow->on_dns)
		return 0;
	ifname_of(flow->ifnames, dns.ifindex, dns.ifname);
	enrich_peer(&flow->view, dns.family, &dns.src, false, flow->labels.src);
	enrich_peer(&flow->view, dns.family, &dns.dst, false, flow->labels.dst);
	flow->dns_records++;
	flow->batch.delivered++;
	ret = flow->on_dns(flow->ctx, &dns);
	if (ret) {
		flow->batch.stop = ret;
		return FLOW_STOP;
	}
	return 0;
}

/* ---- flows seen by this reader --------------------------------------------- */

static uint64_t key_hash(const struct flow_key *key)
{
	const uint8_t *p = (const uint8_t *)key;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*key); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* The slot of key, or (insert) where it goes; NULL when absent. */
static struct seen_slot *seen_lookup(const struct seen_set *s,
				     const struct flow_key *key, bool insert)
{
	struct seen_slot *free_slot = NULL;
	size_t i;

	if (!s->cap)
		return NULL;
	i = key_hash(key) & (s->cap - 1);
	for (size_t n = 0; n < s->cap; n++, i = (i + 1) & (s->cap - 1)) {
		struct seen_slot *slot = &s->slots[i];

		if (slot->state == SLOT_EMPTY)
			return insert ? (free_slot ? free_slot : slot) : NULL;
		if (slot->state == SLOT_GONE) {
			if (!free_slot)
				free_slot = slot;
		} else if (!memcmp(&slot->key, key, sizeof(*key))) {
			return slot;
		}
	}
	return insert ? free_slot : NULL;
}

/* Keep the table at most half full (of used and gone slots). */
static int seen_reserve(struct seen_set *s)
{
	struct seen_set bigger = { 0 };

	if ((s->used + s->gone + 1) * 2 <= s->cap)
		return 0;
	bigger.cap = s->cap ? s->cap : 1024; /* the same size drops the gone slots */
	while ((s->used + 1) * 4 > bigger.cap)
		bigger.cap *= 2;
	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		struct seen_slot *slot = &s->slots[i];

		if (slot->state == SLOT_USED) {
			*seen_lookup(&bigger, &slot->key, true) = *slot;
			bigger.used++;
		}
	}
	free(s->slots);
	*s = bigger;
	return 0;
}

static void seen_add(struct seen_set *s, const struct flow_key *key,
		     const struct flow_value *value, uint32_t mark)
{
	struct seen_slot *slot;

	if (seen_reserve(s)) {
		pr_debug("flow: out of memory: a flow's eviction will not be reported");
		return;
	}
	slot = seen_lookup(s, key, true);
	if (slot->state != SLOT_USED) {
		if (slot->state == SLOT_GONE)
			s->gone--;
		s->used++;
		slot->state = SLOT_USED;
		slot->key = *key;
	}
	slot->last = *value;
	slot->mark = mark;
}

static void seen_forget(struct seen_set *s, struct seen_slot *slot)
{
	if (slot && slot->state == SLOT_USED) {
		slot->state = SLOT_GONE;
		s->used--;
		s->gone++;
	}
}

/* Follow an export: a flow is tracked from its first record on (NEW, or
 * one of a flow that started before this reader), until its END. */
static void seen_follow(struct ebpfnet_flow *flow, const struct flow_event *ev)
{
	if (ev->head.kind == FLOW_EV_END)
		seen_forget(&flow->seen, seen_lookup(&flow->seen, &ev->head.key, false));
	else
		seen_add(&flow->seen, &ev->head.key, &ev->value, flow->sweep_mark);
}

/* ---- the sweep ------------------------------------------------------------ */

/* How long since the flow's last packet (one counted after `now` was
 * read: 0). */
static uint64_t age_ns(uint64_t now, const struct flow_value *value)
{
	return now > value->last_ns ? now - value->last_ns : 0;
}

/* An entry idle or closed long enough: deleted (when it still is, the
 * program may have counted a packet since the walk). */
static bool delete_if_still(int fd, const struct flow_key *key, uint64_t now,
			    uint64_t max_age_ns, struct flow_value *value)
{
	if (bpf_map_lookup_elem(fd, key, value) || age_ns(now, value) <= max_age_ns)
		return false;
	return !bpf_map_delete_elem(fd, key);
}

static int report_entry(struct ebpfnet_flow *flow, const struct flow_key *key,
			const struct flow_value *value, enum ebpfnet_flow_kind kind,
			uint64_t now_boot)
{
	int64_t offset = flow->batch.realtime_offset_ns;
	struct ebpfnet_flow_record rec;

	flow_decode_entry(key, value, kind, now_boot + (uint64_t)offset, offset, &rec);
	return deliver(flow, &rec);
}

/* One entry of the walk: idle -> deleted and reported; closed past the
 * grace -> deleted quietly; otherwise marked as still there. */
static int sweep_entry(struct ebpfnet_flow *flow, const struct flow_key *key,
		       const struct flow_value *value, uint64_t now)
{
	int fd = map_fd(flow->skel->maps.flow_table);
	uint64_t idle_ns = (uint64_t)flow->idle_timeout_ms * NS_PER_MS;
	struct seen_slot *slot = seen_lookup(&flow->seen, key, false);
	struct flow_value latest;

	if (value->state & FLOW_ST_CLOSED) {
		if (age_ns(now, value) > END_GRACE_NS &&
		    delete_if_still(fd, key, now, END_GRACE_NS, &latest)) {
			seen_forget(&flow->seen, slot);
			return 0;
		}
	} else if (age_ns(now, value) > idle_ns &&
		   delete_if_still(fd, key, now, idle_ns, &latest)) {
		seen_forget(&flow->seen, slot);
		return report_entry(flow, key, &latest, EBPFNET_FLOW_IDLE, now);
	}
	if (slot) {
		slot->last = *value;
		slot->mark = flow->sweep_mark;
	}
	return 0;
}

/* Tracked flows the walk did not find: evicted. */
static int report_evicted(struct ebpfnet_flow *flow, uint64_t now)
{
	for (size_t i = 0; i < flow->seen.cap; i++) {
		struct seen_slot *slot = &flow->seen.slots[i];
		int err;

		if (slot->state != SLOT_USED || slot->mark == flow->sweep_mark)
			continue;
		seen_forget(&flow->seen, slot);
		err = report_entry(flow, &slot->key, &slot->last,
				   EBPFNET_FLOW_EVICTED, now);
		if (err)
			return err;
	}
	return 0;
}

static void sweep_if_due(struct ebpfnet_flow *flow)
{
	uint64_t now = boot_now_ns();
	struct table t;
	int err;

	if (now < flow->next_sweep_ns)
		return;
	flow->next_sweep_ns = now + SWEEP_EVERY_NS;
	if (table_read(flow, &t))
		return; /* logged; the next sweep tries again */
	/* flows tracked from now on carry the new mark: not evicted */
	flow->sweep_mark++;
	err = 0;
	for (size_t i = 0; !err && i < t.n; i++)
		err = sweep_entry(flow, &t.keys[i], &t.values[i], now);
	if (!err)
		report_evicted(flow, now);
	table_free(&t);
}

/* ---- ring buffer records --------------------------------------------------- */

static int handle_export(void *ctx, void *data, size_t size)
{
	struct ebpfnet_flow *flow = ctx;
	const struct flow_event_head *head = data;
	struct ebpfnet_flow_record rec;

	if (size >= sizeof(*head) && head->kind == FLOW_EV_DNS)
		return deliver_dns(flow, data, size);
	if (flow_decode_export(data, size, flow->batch.realtime_offset_ns, &rec)) {
		pr_warn("flow: skipped a malformed flow record of %zu bytes", size);
		return 0;
	}
	seen_follow(flow, data);
	return deliver(flow, &rec);
}

static int handle_monitor(void *ctx, void *data, size_t size)
{
	struct ebpfnet_flow *flow = ctx;
	const struct ebpfnet_event_hdr *hdr = data;
	struct ebpfnet_flow_record rec;
	int err;

	/* left in the ring while nobody read it */
	if (size >= sizeof(*hdr) && hdr->time_ns < flow->open_boot_ns)
		return 0;
	err = flow_decode_monitor(data, size, flow->batch.realtime_offset_ns, &rec);
	if (err == -ENOMSG)
		return 0; /* another object's record, not for us */
	if (err) {
		pr_warn("flow: skipped a malformed monitor record of %zu bytes", size);
		return 0;
	}
	err = deliver(flow, &rec);
	/* As in Hubble, a denied packet is a policy verdict and a drop. */
	if (!err && rec.kind == EBPFNET_FLOW_POLICY &&
	    rec.verdict == EBPFNET_FLOW_VERDICT_DROPPED) {
		rec.kind = EBPFNET_FLOW_DROP;
		err = deliver(flow, &rec);
	}
	return err;
}

/* ---- removal ----------------------------------------------------------------- */

/* Remove the observer's pins (and the monitor when nothing else uses it).
 * Called with the lock held. */
static void remove_observer(struct ebpfnet_flow *flow, const char *why)
{
	char reader[PATH_MAX];

	if (!ebpfnet__pinned_path(&flow->pins, READER_DIR, reader, sizeof(reader)))
		rmdir(reader); /* a reader's flock does not keep it */
	ebpfnet__pin_dir_cleanup(flow->pins.pin_root, flow->pins.dir);
	ebpfnet__monitor_release(flow->pins.pin_root);
	pr_info("flow: removed the observer under %s: %s", flow->pins.dir, why);
}

static bool attached_nowhere(const struct ebpfnet_flow *flow)
{
	return ebpfnet__map_empty(map_fd(flow->skel->maps.flow_ifaces));
}

/* ---- open ------------------------------------------------------------------ */

static void free_handle(struct ebpfnet_flow *flow);

static bool pin_this_map(const struct bpf_map *map, const void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(pinned_maps); i++)
		if (!strcmp(bpf_map__name(map), pinned_maps[i]))
			return true;
	return false;
}

/* A new observer's settings: the defaults, then the options' own. */
static int write_settings(const struct ebpfnet_flow *flow, bool created,
			  const struct ebpfnet_flow_opts *opts)
{
	uint32_t interval_ms = EBPFNET_OPTS_GET(opts, interval_ms, 0);
	uint32_t rate = EBPFNET_OPTS_GET(opts, event_rate, 0);
	struct flow_config conf = { 0 };
	int err;

	if (created) {
		conf.interval_ns = FLOW_DEFAULT_INTERVAL_NS;
		conf.event_rate = FLOW_DEFAULT_EVENT_RATE;
		conf.dns = 1;
	} else if (!interval_ms && !rate) {
		return 0;
	} else if ((err = config_read(flow, &conf))) {
		return err;
	}
	if (interval_ms)
		conf.interval_ns = interval_ms * NS_PER_MS;
	if (rate)
		conf.event_rate = rate;
	return config_write(flow, &conf);
}

/* Load the programs on the pinned maps (creating them when there are
 * none). Called with the lock held. */
static int load(struct ebpfnet_flow *flow, const struct ebpfnet_flow_opts *opts,
		bool *created)
{
	uint32_t max_flows = EBPFNET_OPTS_GET(opts, max_flows, 0), pinned_size;
	int err;

	err = ebpfnet__pinned_is_new(&flow->pins, created);
	if (!err)
		err = ebpfnet__pinned_max_entries(&flow->pins, "flow_table", &pinned_size);
	if (err)
		return err;
	if (pinned_size && max_flows && max_flows != pinned_size)
		pr_info("flow: the observer under %s holds up to %u flows: ebpfnet_flow_opts.max_flows %u applies when it is created",
			flow->pins.dir, pinned_size, max_flows);
	flow->skel = flow_bpf__open();
	if (!flow->skel)
		return ebpfnet__pinned_open_error(&flow->pins, -errno);
	if (max_flows && !pinned_size &&
	    (err = bpf_map__set_max_entries(flow->skel->maps.flow_table, max_flows)))
		return ebpfnet__map_fail(FLOW_OBJECT, "sizing flow_table", err);
	err = ebpfnet__pinned_set_pin_paths(&flow->pins, flow->skel->obj,
					    pin_this_map, NULL, true);
	if (!err) /* the observer reads the ring; its programs do not write it */
		err = ebpfnet__monitor_prepare(flow->pins.pin_root, flow->skel->obj);
	if (err)
		return err;
	err = flow_bpf__load(flow->skel);
	if (err)
		return ebpfnet__pinned_load_error(&flow->pins, err);
	flow->pins.probe_id = ebpfnet__map_id(map_fd(flow->skel->maps.flow_config));
	return write_settings(flow, *created, opts);
}

/* The one live reader of the node: a non-blocking flock. */
static int lock_reader(struct ebpfnet_flow *flow)
{
	char path[PATH_MAX];
	int err = ebpfnet__pinned_path(&flow->pins, READER_DIR, path, sizeof(path));

	if (err)
		return err;
	if (mkdir(path, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("flow: cannot create %s: %s", path, ebpfnet_strerror(err));
		return err;
	}
	flow->reader_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (flow->reader_fd < 0) {
		err = -errno;
		pr_warn("flow: cannot open %s: %s", path, ebpfnet_strerror(err));
		return err;
	}
	if (!flock(flow->reader_fd, LOCK_EX | LOCK_NB))
		return 0;
	err = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (err == -EBUSY)
		pr_warn("flow: another process reads the observer's events (it holds %s): one reader per node; open with no_events to read the table only",
			path);
	else
		pr_warn("flow: cannot lock %s: %s", path, ebpfnet_strerror(err));
	return err;
}

/* flow_events, and the node's monitor ring, in one ring_buffer: one fd. */
static int open_events(struct ebpfnet_flow *flow)
{
	int err = lock_reader(flow);

	if (err)
		return err;
	flow->open_boot_ns = boot_now_ns();
	flow->rb = ring_buffer__new(map_fd(flow->skel->maps.flow_events),
				    handle_export, flow, NULL);
	if (!flow->rb) {
		err = -errno;
		pr_warn("flow: cannot read the flow_events ring buffer: %s",
			ebpfnet_strerror(err));
		return err;
	}
	if (flow->no_monitor)
		return 0;
	flow->monitor_fd = ebpfnet__monitor_ring_fd(flow->pins.pin_root);
	if (flow->monitor_fd < 0) {
		pr_warn("flow: cannot open the node's monitor ring under %s: %s",
			flow->pins.pin_root, ebpfnet_strerror(flow->monitor_fd));
		return flow->monitor_fd;
	}
	err = ring_buffer__add(flow->rb, flow->monitor_fd, handle_monitor, flow);
	if (err) {
		pr_warn("flow: cannot read the node's monitor ring: %s",
			ebpfnet_strerror(err));
		return err;
	}
	return ebpfnet__monitor_lost(flow->pins.pin_root, &flow->monitor_lost_at_open);
}

static int check_opts(const struct ebpfnet_flow_opts *opts)
{
	uint32_t max_flows = EBPFNET_OPTS_GET(opts, max_flows, 0);

	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_flow_opts, no_events))
		return -EINVAL;
	if (max_flows > MAX_FLOWS_LIMIT) {
		pr_warn("ebpfnet_flow_opts.max_flows: %u is more than %u", max_flows,
			MAX_FLOWS_LIMIT);
		return -EINVAL;
	}
	if (!EBPFNET_OPTS_GET(opts, no_events, false) &&
	    !EBPFNET_OPTS_GET(opts, on_flow, NULL) &&
	    !EBPFNET_OPTS_GET(opts, on_dns, NULL)) {
		pr_warn("ebpfnet_flow_opts: on_flow and on_dns are NULL: set one, or no_events");
		return -EINVAL;
	}
	return 0;
}

/* A failed open leaves nothing it created behind. */
struct ebpfnet_flow *ebpfnet_flow_open(const struct ebpfnet_flow_opts *opts)
{
	struct ebpfnet_flow *flow;
	bool created = false;
	int err = check_opts(opts);

	if (err)
		return ebpfnet__err_ptr(err);
	flow = calloc(1, sizeof(*flow));
	if (!flow)
		return ebpfnet__err_ptr(-ENOMEM);
	flow->reader_fd = -1;
	flow->monitor_fd = -1;
	flow->on_flow = EBPFNET_OPTS_GET(opts, on_flow, NULL);
	flow->on_dns = EBPFNET_OPTS_GET(opts, on_dns, NULL);
	flow->ctx = EBPFNET_OPTS_GET(opts, ctx, NULL);
	flow->idle_timeout_ms = EBPFNET_OPTS_GET(opts, idle_timeout_ms, 0);
	if (!flow->idle_timeout_ms)
		flow->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
	flow->no_events = EBPFNET_OPTS_GET(opts, no_events, false);
	flow->no_monitor = EBPFNET_OPTS_GET(opts, no_monitor, false);
	err = ebpfnet__pinned_init(&flow->pins, &flow_kind,
				   EBPFNET_OPTS_GET(opts, pin_root, NULL));
	if (!err)
		err = ebpfnet__pinned_lock_open(&flow->pins,
						EBPFNET_OPTS_GET(opts, open_existing, false));
	if (!err)
		err = load(flow, opts, &created);
	if (!err && !flow->no_events)
		err = open_events(flow);
	if (err) {
		if (created && flow->pins.lock_fd >= 0)
			remove_observer(flow, "its open failed");
		free_handle(flow); /* never removes an observer it adopted */
		return ebpfnet__err_ptr(err);
	}
	ebpfnet__pinned_unlock(&flow->pins);
	pr_debug("flow: %s the observer under %s", created ? "created" : "adopted",
		 flow->pins.dir);
	return flow;
}

/* ---- attach, detach, interfaces ---------------------------------------------- */

static int no_catch_up(void *ctx)
{
	(void)ctx;
	return 0;
}

static uint32_t prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) ? 0 : info.id;
}

/* Both hooks of ifindex; a first attach that fails half-way is undone. */
static int tc_attach_both(const struct ebpfnet_flow *flow, uint32_t ifindex,
			  bool was_attached)
{
	int err = ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_FLOW,
				     bpf_program__fd(flow->skel->progs.flow_ingress));

	if (err)
		return err;
	err = ebpfnet__tc_attach(ifindex, false, EBPFNET_TC_PRIO_FLOW,
				 bpf_program__fd(flow->skel->progs.flow_egress));
	if (err && !was_attached)
		ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_FLOW);
	return err;
}

int ebpfnet_flow_attach(struct ebpfnet_flow *handle, const char *ifname)
{
	struct ebpfnet_flow *flow = observer_of(handle);
	struct flow_iface rec = { 0 };
	unsigned int ifindex = 0;
	bool was_attached;
	int fd, err;

	err = check_handle(flow, "ebpfnet_flow_attach");
	if (!err)
		err = ebpfnet__stage_check_ifname("ebpfnet_flow_attach", ifname);
	if (!err && !(ifindex = if_nametoindex(ifname))) {
		pr_warn("flow: no interface named %s", ifname);
		err = -ENODEV;
	}
	if (!err)
		err = ebpfnet__pinned_begin_change(&flow->pins, no_catch_up, NULL);
	if (err)
		return ebpfnet__err(err);
	fd = map_fd(flow->skel->maps.flow_ifaces);
	was_attached = !bpf_map_lookup_elem(fd, &ifindex, &rec);
	err = tc_attach_both(flow, ifindex, was_attached);
	if (!err) {
		memset(&rec, 0, sizeof(rec));
		strncpy(rec.name, ifname, sizeof(rec.name) - 1);
		rec.prog_id_ingress = prog_id(flow->skel->progs.flow_ingress);
		rec.prog_id_egress = prog_id(flow->skel->progs.flow_egress);
		err = ebpfnet__map_put(FLOW_OBJECT, fd, &ifindex, &rec,
				       "recording the interface (flow_ifaces)");
		if (err && !was_attached) {
			ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_FLOW);
			ebpfnet__tc_detach(ifindex, false, EBPFNET_TC_PRIO_FLOW);
		}
	}
	if (!err)
		config_touch(flow);
	ebpfnet__pinned_unlock(&flow->pins);
	if (err) {
		pr_warn("flow: cannot attach to %s: %s", ifname, ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	pr_info("flow: %s %s (TC ingress and egress)",
		was_attached ? "replaced the programs on" : "attached to", ifname);
	return 0;
}

/* The ifindex flow_ifaces records for ifname: its index now when
 * recorded, else the one recorded under that name (an interface gone). */
static int find_iface(const struct ebpfnet_flow *flow, const char *ifname,
		      uint32_t *ifindex)
{
	int fd = map_fd(flow->skel->maps.flow_ifaces);
	struct flow_iface rec;
	__u32 key, next, *prev = NULL;

	*ifindex = if_nametoindex(ifname);
	if (*ifindex && !bpf_map_lookup_elem(fd, ifindex, &rec))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &rec) &&
		    !strncmp(rec.name, ifname, sizeof(rec.name))) {
			*ifindex = key;
			return 0;
		}
	}
	return -ENOENT;
}

/* Remove our filters from both hooks; an interface that is gone took
 * them with it. */
static int tc_detach_both(uint32_t ifindex)
{
	char name[IF_NAMESIZE];
	int err = 0;

	if (!if_indextoname(ifindex, name))
		return 0;
	for (int ingress = 1; ingress >= 0; ingress--) {
		int e = ebpfnet__tc_detach(ifindex, ingress, EBPFNET_TC_PRIO_FLOW);

		if (e && e != -ENOENT && !err)
			err = e;
	}
	return err;
}

int ebpfnet_flow_detach(struct ebpfnet_flow *handle, const char *ifname)
{
	struct ebpfnet_flow *flow = observer_of(handle);
	uint32_t ifindex;
	int err;

	err = check_handle(flow, "ebpfnet_flow_detach");
	if (!err)
		err = ebpfnet__stage_check_ifname("ebpfnet_flow_detach", ifname);
	if (err)
		return ebpfnet__err(err);
	err = ebpfnet__pinned_begin_change(&flow->pins, no_catch_up, NULL);
	if (err)
		return ebpfnet__err(err);
	err = find_iface(flow, ifname, &ifindex);
	if (err)
		pr_warn("flow: not attached to %s", ifname);
	if (!err)
		err = tc_detach_both(ifindex);
	if (!err)
		err = ebpfnet__map_del(FLOW_OBJECT, map_fd(flow->skel->maps.flow_ifaces),
				       &ifindex, "forgetting the interface (flow_ifaces)");
	if (!err) {
		pr_info("flow: detached from %s", ifname);
		config_touch(flow);
		if (attached_nowhere(flow))
			remove_observer(flow, "detached from its last interface");
	} else if (err != -ENOENT) {
		pr_warn("flow: cannot detach from %s: %s", ifname, ebpfnet_strerror(err));
	}
	ebpfnet__pinned_unlock(&flow->pins);
	return ebpfnet__err(err);
}

int ebpfnet_flow_ifaces(const struct ebpfnet_flow *handle,
			ebpfnet_flow_iface_fn fn, void *ctx)
{
	const struct ebpfnet_flow *flow = observer_of(handle);
	struct flow_iface rec;
	__u32 key, next, *prev = NULL;
	int fd, err = check_handle(flow, "ebpfnet_flow_ifaces");

	if (!err && !fn) {
		pr_warn("ebpfnet_flow_ifaces: fn is NULL");
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	fd = map_fd(flow->skel->maps.flow_ifaces);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		char name[sizeof(rec.name) + 1] = { 0 };
		int ret;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &rec))
			continue; /* detached meanwhile */
		memcpy(name, rec.name, sizeof(rec.name));
		ret = fn(ctx, name, key);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- live events -------------------------------------------------------------- */

static int check_events(const struct ebpfnet_flow *flow, const char *fn)
{
	int err = check_handle(flow, fn);

	if (!err && !flow->rb) {
		pr_warn("%s: opened with no_events: no live events", fn);
		err = -EINVAL;
	}
	return err;
}

/* One batch: poll (timeout_ms >= -1) or consume (-2), then the sweep. */
static int run_batch(struct ebpfnet_flow *flow, int timeout_ms)
{
	int err;

	ebpfnet__batch_begin(&flow->batch);
	memset(flow->ifnames, 0, sizeof(flow->ifnames));
	policy_view_open(flow->pins.pin_root, &flow->view);
	err = ebpfnet__ringbuf_read(flow->rb, timeout_ms);
	if (err >= 0 && !flow->batch.stop)
		sweep_if_due(flow);
	policy_view_close(&flow->view);
	return ebpfnet__batch_end(&flow->batch, err, FLOW_OBJECT);
}

int ebpfnet_flow_poll(struct ebpfnet_flow *handle, int timeout_ms)
{
	struct ebpfnet_flow *flow = observer_of(handle);
	int err = check_events(flow, "ebpfnet_flow_poll");

	if (!err && timeout_ms < -1) {
		pr_warn("ebpfnet_flow_poll: timeout_ms %d is negative (-1 waits forever)",
			timeout_ms);
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	return run_batch(flow, timeout_ms);
}

int ebpfnet_flow_consume(struct ebpfnet_flow *handle)
{
	struct ebpfnet_flow *flow = observer_of(handle);
	int err = check_events(flow, "ebpfnet_flow_consume");

	if (err)
		return ebpfnet__err(err);
	return run_batch(flow, -2);
}

int ebpfnet_flow_fd(const struct ebpfnet_flow *handle)
{
	const struct ebpfnet_flow *flow = observer_of(handle);
	int err = check_events(flow, "ebpfnet_flow_fd");

	if (err)
		return ebpfnet__err(err);
	return ring_buffer__epoll_fd(flow->rb);
}

/* ---- snapshot ------------------------------------------------------------------ */

struct order {
	uint64_t first_ns;
	size_t index;
};

static int by_first_seen(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The entries of t in first-seen order (NULL: no memory). */
static struct order *first_seen_order(const struct table *t)
{
	struct order *order = malloc((t->n ? t->n : 1) * sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		order[i] = (struct order){ t->values[i].first_ns, i };
	qsort(order, t->n, sizeof(*order), by_first_seen);
	return order;
}

int ebpfnet_flow_snapshot(const struct ebpfnet_flow *handle, ebpfnet_flow_fn fn,
			  void *ctx)
{
	const struct ebpfnet_flow *flow = observer_of(handle);
	int64_t offset = ebpfnet__realtime_offset_ns();
	struct label_bufs *labels = NULL;
	struct policy_view view;
	struct order *order = NULL;
	uint64_t now;
	struct table t;
	int err = check_handle(flow, "ebpfnet_flow_snapshot"), ret = 0;

	if (!err && !fn) {
		pr_warn("ebpfnet_flow_snapshot: fn is NULL");
		err = -EINVAL;
	}
	if (!err)
		err = table_read(flow, &t);
	if (err)
		return ebpfnet__err(err);
	now = boot_now_ns() + (uint64_t)offset;
	order = first_seen_order(&t);
	labels = malloc(sizeof(*labels));
	if (!order || !labels) {
		free(order);
		free(labels);
		table_free(&t);
		return ebpfnet__err(-ENOMEM);
	}
	policy_view_open(flow->pins.pin_root, &view);
	for (size_t i = 0; !ret && i < t.n; i++) {
		struct ebpfnet_flow_record rec;

		flow_decode_entry(&t.keys[order[i].index], &t.values[order[i].index],
				  EBPFNET_FLOW_SNAPSHOT, now, offset, &rec);
		enrich_flow(&view, NULL, labels, &rec);
		ret = fn(ctx, &rec);
	}
	policy_view_close(&view);
	free(labels);
	free(order);
	table_free(&t);
	return ret;
}

/* ---- statistics ------------------------------------------------------------------ */

int ebpfnet_flow_stats(const struct ebpfnet_flow *handle,
		       struct ebpfnet_flow_stats *stats)
{
	const struct ebpfnet_flow *flow = observer_of(handle);
	static const struct {
		enum flow_stat stat;
		size_t offset;
	} by_counter[] = {
		{ FLOW_STAT_NOT_IP, offsetof(struct ebpfnet_flow_stats, not_ip) },
		{ FLOW_STAT_MALFORMED, offsetof(struct ebpfnet_flow_stats, malformed) },
		{ FLOW_STAT_NEW, offsetof(struct ebpfnet_flow_stats, flows_created) },
		{ FLOW_STAT_TABLE_FULL, offsetof(struct ebpfnet_flow_stats, table_full) },
		{ FLOW_STAT_EV_SENT, offsetof(struct ebpfnet_flow_stats, events_sent) },
		{ FLOW_STAT_EV_SUPPRESSED, offsetof(struct ebpfnet_flow_stats, events_suppressed) },
		{ FLOW_STAT_EV_LOST, offsetof(struct ebpfnet_flow_stats, events_lost) },
		{ FLOW_STAT_DNS_SENT, offsetof(struct ebpfnet_flow_stats, dns_sent) },
	};
	struct ebpfnet_flow_stats s = { .sz = sizeof(s) };
	struct flow_config conf;
	uint64_t sum[2], lost;
	struct table t;
	int fd, err = check_handle(flow, "ebpfnet_flow_stats");

	if (err)
		return ebpfnet__err(err);
	if (!stats || stats->sz < sizeof(size_t)) /* out_copy says why */
		return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
						      "ebpfnet_flow_stats"));
	fd = map_fd(flow->skel->maps.flow_stats);
	err = ebpfnet__percpu_sum(FLOW_OBJECT, fd, FLOW_STAT_SEEN, sum, 2);
	s.seen.packets = sum[0];
	s.seen.bytes = sum[1];
	for (size_t i = 0; !err && i < EBPFNET_ARRAY_SIZE(by_counter); i++) {
		err = ebpfnet__percpu_sum(FLOW_OBJECT, fd, by_counter[i].stat, sum, 2);
		*(uint64_t *)((char *)&s + by_counter[i].offset) = sum[0];
	}
	if (!err && flow->monitor_fd >= 0 &&
	    !ebpfnet__monitor_lost(flow->pins.pin_root, &lost) &&
	    lost > flow->monitor_lost_at_open)
		s.monitor_lost = lost - flow->monitor_lost_at_open;
	if (!err)
		err = config_read(flow, &conf);
	if (!err)
		err = table_read(flow, &t);
	if (err)
		return ebpfnet__err(err);
	s.flows = (uint32_t)t.n;
	table_free(&t);
	s.max_flows = bpf_map__max_entries(flow->skel->maps.flow_table);
	s.interval_ms = (uint32_t)(conf.interval_ns / NS_PER_MS);
	s.event_rate = conf.event_rate;
	s.idle_timeout_ms = flow->idle_timeout_ms;
	s.records = flow->records;
	s.dns_records = flow->dns_records;
	s.dns_malformed = flow->dns_malformed;
	return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
					      "ebpfnet_flow_stats"));
}

/* ---- destroy ------------------------------------------------------------------- */

/* An observer attached nowhere is removed (under the lock, when it is
 * still this handle's). */
static void remove_if_unused(struct ebpfnet_flow *flow)
{
	if (!flow->skel || ebpfnet__pinned_lock(&flow->pins, false))
		return;
	if (!ebpfnet__pinned_check_current(&flow->pins) && attached_nowhere(flow))
		remove_observer(flow, "attached to no interface");
	ebpfnet__pinned_unlock(&flow->pins);
}

void ebpfnet_flow_destroy(struct ebpfnet_flow *handle)
{
	struct ebpfnet_flow *flow = observer_of(handle);
	if (!flow)
		return;
	remove_if_unused(flow);
	free_handle(flow);
}

static void free_handle(struct ebpfnet_flow *flow)
{
	ring_buffer__free(flow->rb);
	if (flow->monitor_fd >= 0)
		close(flow->monitor_fd);
	if (flow->reader_fd >= 0)
		close(flow->reader_fd); /* drops the reader's flock */
	flow_bpf__destroy(flow->skel); /* our fds only: the pins stay */
	ebpfnet__pinned_unlock(&flow->pins);
	free(flow->seen.slots);
	free(flow);
}
