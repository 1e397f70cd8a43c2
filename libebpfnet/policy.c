/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: the identity-based policy object. One node-wide state per pin
 * root (<pin_root>/policy/<map>): the datapath's maps (policy_abi.h) and
 * the library's own records of what users gave (policy_epmeta: the
 * endpoints, policy_docs: the documents' YAML), so every process sees the
 * same policy and nothing is cached here.
 *
 * Every change takes the exclusive flock on <pin_root>/policy, reads the
 * stored endpoints and documents, applies the change in memory, compiles
 * the whole state (policy_model.h) and makes the maps show the result:
 *   identities and ipcache prefixes added first; per endpoint its new
 *   entries written into its inactive bank, then its policy_endpoints
 *   record replaced in one update (bank flipped, generation + 1), then
 *   the old bank's entries deleted; prefixes, identities and records
 *   nothing uses deleted last; then the stored records.
 * A packet sees an endpoint's old entries or its new ones, never a mix.
 * When a step fails, the maps are driven back to the previous state the
 * same way (the write is a convergence to a target, so it serves as its
 * own undo) and the stored records, which are written last, are put back.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "internal.h"
#include "maps.h"
#include "monitor.h"
#include "percpu.h"
#include "pinned.h"
#include "policy_internal.h"
#include "policy_model.h"
#include "tc.h"
#include "text.h"
#include "policy.skel.h"

#define POLICY_OBJECT "policy"
#define POLICY_MIN_TABLE 64u           /* max_entries / max_conns bounds */
#define POLICY_MAX_TABLE (1u << 24)
#define POLICY_ERR_LEN 512
#define NS_PER_SEC 1000000000ull

static const struct ebpfnet__pinned_kind policy_kind = {
	.object = POLICY_OBJECT,
	.noun = "policy state",
	.probe_map = "policy_config",
	.gone_how = "left with no endpoint and no policy",
	.opts_type = "ebpfnet_policy_opts",
	.room = 40,
};

struct ebpfnet_policy {
	struct ebpfnet__pinned pins;  /* <pin_root>/policy, probe: policy_config */
	struct policy_bpf *skel;
	struct ring_buffer *rb;       /* with on_verdict only */
	ebpfnet_policy_verdict_fn on_verdict;
	void *ctx;
	struct ebpfnet__batch batch;  /* of the poll()/consume() running */
	uint32_t max_entries;         /* of the pinned policy_map */
	uint32_t max_conns;           /* of the pinned policy_ct */
};

/* ---- small helpers ---------------------------------------------------------- */

static int check_handle(const struct ebpfnet_policy *pol, const char *fn)
{
	if (!pol) {
		pr_warn("%s: pol is NULL", fn);
		return -EINVAL;
	}
	return 0;
}

static int map_fd(const struct bpf_map *map)
{
	return bpf_map__fd(map);
}

static int put(const struct bpf_map *map, const void *key, const void *value,
	       const char *what)
{
	return ebpfnet__map_put(POLICY_OBJECT, map_fd(map), key, value, what);
}

static int del(const struct bpf_map *map, const void *key, const char *what)
{
	return ebpfnet__map_del(POLICY_OBJECT, map_fd(map), key, what);
}

static void copy_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* Grow *arr (of *cap elements of size) to hold n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * Every key of a map into *keys (malloc'd, *n of key_size bytes). A walk
 * of a map the programs change (the LRU connection table) may restart
 * when the key it stands on goes away: it stops after `limit` keys.
 */
static int map_keys(int fd, size_t key_size, size_t limit, void **keys,
		    size_t *n, const char *what)
{
	char *buf = NULL;
	size_t cap = 0;
	int err;

	*keys = NULL;
	*n = 0;
	while (*n < limit) {
		err = grow((void **)&buf, &cap, *n, key_size);
		if (err) {
			free(buf);
			return err;
		}
		if (bpf_map_get_next_key(fd, *n ? buf + (*n - 1) * key_size : NULL,
					 buf + *n * key_size)) {
			if (errno == ENOENT)
				break;
			err = ebpfnet__map_fail(POLICY_OBJECT, what, -errno);
			free(buf);
			return err;
		}
		(*n)++;
	}
	*keys = buf;
	return 0;
}

static size_t map_count(int fd, size_t key_size, size_t limit, const char *what)
{
	void *keys;
	size_t n;

	if (map_keys(fd, key_size, limit, &keys, &n, what))
		return 0;
	free(keys);
	return n;
}

/* ---- the stored state: endpoints and documents ---------------------------------- */

struct pol_ep {
	uint32_t ifindex;
	struct policy_ep_meta meta;
};

struct pol_sdoc {
	struct pol_doc *doc;        /* parsed, its first rule set */
	const char *text;           /* its YAML (NUL-terminated when stored) */
	size_t len;
	uint32_t first_rule, n_rules;
	char name[POLICY_NAME_MAX];
};

struct pol_state {
	struct pol_ep *eps;         /* by ifindex */
	size_t n_eps, cap_eps;
	struct pol_sdoc *docs;      /* by name */
	size_t n_docs, cap_docs;
};

/* What the parsed documents of a change hang on (freed together). */
struct pol_owned {
	struct pol_doc **docs;
	size_t n;
	char *text;
};

struct policy_arena {
	struct pol_owned *items;
	size_t n, cap;
};

static int arena_add(struct policy_arena *a, struct pol_doc **docs, size_t n,
		     char *text)
{
	int err = grow((void **)&a->items, &a->cap, a->n, sizeof(*a->items));

	if (err) {
		pol_docs_free(docs, n);
		free(text);
		return err;
	}
	a->items[a->n++] = (struct pol_owned){ .docs = docs, .n = n, .text = text };
	return 0;
}

static void arena_free(struct policy_arena *a)
{
	for (size_t i = 0; i < a->n; i++) {
		pol_docs_free(a->items[i].docs, a->items[i].n);
		free(a->items[i].text);
	}
	free(a->items);
	memset(a, 0, sizeof(*a));
}

static void state_free(struct pol_state *st)
{
	free(st->eps);
	free(st->docs);
	memset(st, 0, sizeof(*st));
}

static int cmp_ep(const void *a, const void *b)
{
	const struct pol_ep *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static int cmp_doc(const void *a, const void *b)
{
	const struct pol_sdoc *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void state_sort(struct pol_state *st)
{
	if (st->n_eps)
		qsort(st->eps, st->n_eps, sizeof(*st->eps), cmp_ep);
	if (st->n_docs)
		qsort(st->docs, st->n_docs, sizeof(*st->docs), cmp_doc);
}

static int state_copy(const struct pol_state *from, struct pol_state *to)
{
	memset(to, 0, sizeof(*to));
	if (from->n_eps) {
		to->eps = malloc(from->n_eps * sizeof(*to->eps));
		if (!to->eps)
			return -ENOMEM;
		memcpy(to->eps, from->eps, from->n_eps * sizeof(*to->eps));
	}
	to->n_eps = to->cap_eps = from->n_eps;
	if (from->n_docs) {
		to->docs = malloc(from->n_docs * sizeof(*to->docs));
		if (!to->docs) {
			state_free(to);
			return -ENOMEM;
		}
		memcpy(to->docs, from->docs, from->n_docs * sizeof(*to->docs));
	}
	to->n_docs = to->cap_docs = from->n_docs;
	return 0;
}

static struct pol_ep *find_ep(const struct pol_state *st, uint32_t ifindex)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ifindex == ifindex)
			return &st->eps[i];
	return NULL;
}

static struct pol_sdoc *find_doc(const struct pol_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_docs; i++)
		if (!strcmp(st->docs[i].name, name))
			return &st->docs[i];
	return NULL;
}

static void remove_ep(struct pol_state *st, struct pol_ep *ep)
{
	size_t i = (size_t)(ep - st->eps);

	memmove(&st->eps[i], &st->eps[i + 1], (st->n_eps - i - 1) * sizeof(*ep));
	st->n_eps--;
}

static void remove_doc(struct pol_state *st, struct pol_sdoc *d)
{
	size_t i = (size_t)(d - st->docs);

	memmove(&st->docs[i], &st->docs[i + 1], (st->n_docs - i - 1) * sizeof(*d));
	st->n_docs--;
}

static int read_eps(const struct ebpfnet_policy *pol, struct pol_state *st)
{
	int fd = map_fd(pol->skel->maps.policy_epmeta);
	__u32 *keys;
	size_t n;
	int err = map_keys(fd, sizeof(*keys), POLICY_MAX_ENDPOINTS, (void **)&keys,
			   &n, "walking policy_epmeta");

	for (size_t i = 0; !err && i < n; i++) {
		struct pol_ep ep = { .ifindex = keys[i] };

		if (bpf_map_lookup_elem(fd, &keys[i], &ep.meta)) {
			err = ebpfnet__map_fail(POLICY_OBJECT, "reading policy_epmeta",
						-errno);
			break;
		}
		ep.meta.ifname[sizeof(ep.meta.ifname) - 1] = '\0';
		ep.meta.labels[sizeof(ep.meta.labels) - 1] = '\0';
		if (ep.meta.n_addrs > POLICY_EP_MAX_ADDRS) {
			pr_warn("policy: the stored endpoint %s has %u addresses",
				ep.meta.ifname, ep.meta.n_addrs);
			err = -EINVAL;
			break;
		}
		err = grow((void **)&st->eps, &st->cap_eps, st->n_eps, sizeof(ep));
		if (!err)
			st->eps[st->n_eps++] = ep;
	}
	free(keys);
	return err;
}

/* One stored document, parsed again. */
static int read_doc(const struct policy_doc_key *key, const struct policy_doc *rec,
		    struct pol_state *st, struct policy_arena *arena)
{
	char err_text[POLICY_ERR_LEN];
	struct pol_sdoc d = { 0 };
	struct pol_doc **docs;
	size_t n;
	char *text;
	int err;

	if (rec->version != POLICY_DOC_VERSION || rec->len > POLICY_DOC_MAX) {
		pr_warn("policy: the stored policy %.*s has version %u, %u bytes: not ours",
			POLICY_NAME_MAX, key->name, rec->version, rec->len);
		return -EINVAL;
	}
	text = malloc(rec->len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, rec->text, rec->len);
	text[rec->len] = '\0';
	err = pol_yaml_parse(text, rec->len, &docs, &n, err_text, sizeof(err_text));
	if (err) {
		pr_warn("policy: the stored policy %.*s no longer parses: %s",
			POLICY_NAME_MAX, key->name, err_text);
		free(text);
		return -EINVAL;
	}
	err = arena_add(arena, docs, n, text);
	if (err)
		return err;
	snprintf(d.name, sizeof(d.name), "%.*s", POLICY_NAME_MAX - 1, key->name);
	if (n != 1 || strcmp(pol_doc_name(docs[0]), d.name) ||
	    pol_doc_rules(docs[0]) != rec->n_rules) {
		pr_warn("policy: the stored policy %s does not parse as it was stored",
			d.name);
		return -EINVAL;
	}
	d.doc = docs[0];
	d.text = text;
	d.len = rec->len;
	d.first_rule = rec->first_rule;
	d.n_rules = rec->n_rules;
	pol_doc_set_first_rule(d.doc, d.first_rule);
	err = grow((void **)&st->docs, &st->cap_docs, st->n_docs, sizeof(d));
	if (!err)
		st->docs[st->n_docs++] = d;
	return err;
}

static int read_docs(const struct ebpfnet_policy *pol, struct pol_state *st,
		     struct policy_arena *arena)
{
	int fd = map_fd(pol->skel->maps.policy_docs);
	struct policy_doc_key *keys;
	struct policy_doc *rec;
	size_t n;
	int err;

	rec = malloc(sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	err = map_keys(fd, sizeof(*keys), POLICY_MAX_DOCS, (void **)&keys, &n,
		       "walking policy_docs");
	for (size_t i = 0; !err && i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], rec)) {
			err = ebpfnet__map_fail(POLICY_OBJECT, "reading policy_docs",
						-errno);
			break;
		}
		err = read_doc(&keys[i], rec, st, arena);
	}
	free(keys);
	free(rec);
	return err;
}

/* The stored endpoints and documents (called with the lock held). */
static int read_state(const struct ebpfnet_policy *pol, struct pol_state *st,
		      struct policy_arena *arena)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = read_eps(pol, st);
	if (!err)
		err = read_docs(pol, st, arena);
	if (err)
		state_free(st);
	else
		state_sort(st);
	return err;
}

/* ---- compilation ---------------------------------------------------------------- */

/* Every address of every interface of the host (this network namespace). */
static int host_addrs(struct ebpfnet_policy_addr **out, size_t *n)
{
	struct ifaddrs *list, *i;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (getifaddrs(&list)) {
		int err = -errno;

		pr_warn("policy: cannot list the host's addresses: %s",
			ebpfnet_strerror(err));
		return err;
	}
	for (i = list; i; i = i->ifa_next)
		count += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
					 i->ifa_addr->sa_family == AF_INET6);
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out) {
		freeifaddrs(list);
		return -ENOMEM;
	}
	for (i = list; i; i = i->ifa_next) {
		struct ebpfnet_policy_addr *a = &(*out)[*n];

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			a->family = AF_INET;
			memcpy(a->addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a->family = AF_INET6;
			memcpy(a->addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		(*n)++;
	}
	freeifaddrs(list);
	return 0;
}

/* A state compiled: the model's inputs and its output. */
struct pol_view {
	struct pol_endpoint_in *eps;
	struct pol_doc **docs;
	struct pol_compiled c;
	bool compiled;
};

static void view_free(struct pol_view *v)
{
	if (v->compiled)
		pol_compiled_free(&v->c);
	free(v->eps);
	free(v->docs);
	memset(v, 0, sizeof(*v));
}

static void ep_in(const struct pol_ep *ep, struct pol_endpoint_in *in)
{
	memset(in, 0, sizeof(*in));
	in->ifindex = ep->ifindex;
	in->ep_id = ep->meta.ep_id;
	in->labels = ep->meta.labels;
	in->n_addrs = ep->meta.n_addrs;
	for (uint32_t j = 0; j < ep->meta.n_addrs; j++) {
		in->addrs[j].family = ep->meta.addrs[j].family;
		memcpy(in->addrs[j].addr, ep->meta.addrs[j].addr, 16);
	}
}

static int view_build(const struct ebpfnet_policy *pol, const struct pol_state *st,
		      struct pol_view *v, char *err, size_t errlen)
{
	char text[POLICY_ERR_LEN] = "";
	struct ebpfnet_policy_addr *host;
	size_t n_host;
	int ret;

	memset(v, 0, sizeof(*v));
	v->eps = calloc(st->n_eps ? st->n_eps : 1, sizeof(*v->eps));
	v->docs = calloc(st->n_docs ? st->n_docs : 1, sizeof(*v->docs));
	if (!v->eps || !v->docs) {
		view_free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->n_eps; i++)
		ep_in(&st->eps[i], &v->eps[i]);
	for (size_t i = 0; i < st->n_docs; i++)
		v->docs[i] = st->docs[i].doc;
	ret = host_addrs(&host, &n_host);
	if (ret) {
		view_free(v);
		return ret;
	}
	ret = pol_compile(v->eps, st->n_eps, v->docs, st->n_docs, host, n_host,
			  pol->max_entries, &v->c, text, sizeof(text));
	free(host);
	if (ret) {
		pr_warn("policy: %s", text[0] ? text : ebpfnet_strerror(ret));
		copy_err(err, errlen, text[0] ? text : ebpfnet_strerror(ret));
		view_free(v);
		return ret;
	}
	v->compiled = true;
	return 0;
}

/* ---- writing a compiled state to the datapath's maps ------------------------------ */

/* The keys of policy_map, sorted by endpoint and bank. */
struct pkeys {
	struct policy_key *keys;
	size_t n;
};

static int cmp_pkey(const void *a, const void *b)
{
	const struct policy_key *x = a, *y = b;

	if (x->ep_id != y->ep_id)
		return x->ep_id < y->ep_id ? -1 : 1;
	return (int)x->bank - (int)y->bank;
}

/* The run of keys of (ep_id, bank): its first index, its length. */
static size_t pkeys_run(const struct pkeys *k, uint32_t ep_id, uint8_t bank,
			size_t *count)
{
	size_t lo = 0, hi = k->n, first;
	struct policy_key probe = { .ep_id = ep_id, .bank = bank };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_pkey(&k->keys[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < k->n && !cmp_pkey(&k->keys[lo], &probe))
		lo++;
	*count = lo - first;
	return first;
}

static int pkeys_read(const struct ebpfnet_policy *pol, struct pkeys *k)
{
	int err = map_keys(map_fd(pol->skel->maps.policy_map), sizeof(*k->keys),
			   (size_t)pol->max_entries + 1, (void **)&k->keys, &k->n,
			   "walking policy_map");

	if (!err && k->n)
		qsort(k->keys, k->n, sizeof(*k->keys), cmp_pkey);
	return err;
}

static int pkeys_delete_run(const struct ebpfnet_policy *pol,
			    const struct pkeys *k, uint32_t ep_id, uint8_t bank)
{
	size_t count, first = pkeys_run(k, ep_id, bank, &count);
	int err = 0;

	for (size_t i = first; !err && i < first + count; i++)
		err = del(pol->skel->maps.policy_map, &k->keys[i],
			  "deleting a policy entry (policy_map)");
	return err;
}

/* What the write does for one endpoint. */
struct ep_plan {
	bool have;                   /* a record exists */
	bool rewrite;                /* its entries or enforcement change */
	struct policy_endpoint cur;
	size_t stale;                /* entries in its inactive bank */
	size_t old;                  /* entries in its active bank */
};

/* Whether the active bank holds exactly the compiled entries. */
static bool entries_same(const struct ebpfnet_policy *pol,
			 const struct pol_compiled *c,
			 const struct pol_endpoint_out *o, uint8_t bank,
			 size_t old)
{
	int fd = map_fd(pol->skel->maps.policy_map);

	if (old != o->n_entries)
		return false;
	for (size_t i = o->first_entry; i < o->first_entry + o->n_entries; i++) {
		struct policy_key key = c->entries[i].key;
		struct policy_entry value;

		key.bank = bank;
		if (bpf_map_lookup_elem(fd, &key, &value) ||
		    value.rule_id != c->entries[i].value.rule_id ||
		    value.deny != c->entries[i].value.deny)
			return false;
	}
	return true;
}

static int plan_endpoint(const struct ebpfnet_policy *pol,
			 const struct pol_compiled *c, uint32_t ifindex,
			 const struct pol_endpoint_out *o, const struct pkeys *k,
			 struct ep_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (bpf_map_lookup_elem(map_fd(pol->skel->maps.policy_endpoints), &ifindex,
				&p->cur)) {
		if (errno != ENOENT)
			return ebpfnet__map_fail(POLICY_OBJECT,
						 "reading policy_endpoints", -errno);
		p->rewrite = true;
		pkeys_run(k, o->ep_id, 0, &p->stale);
		return 0;
	}
	p->have = true;
	p->cur.bank &= 1;
	pkeys_run(k, p->cur.ep_id, p->cur.bank, &p->old);
	pkeys_run(k, o->ep_id, p->cur.bank ^ 1, &p->stale);
	p->rewrite = p->cur.ep_id != o->ep_id || p->cur.enforce != o->enforce ||
		     memcmp(p->cur.lens, o->lens, sizeof(o->lens)) ||
		     !entries_same(pol, c, o, p->cur.bank, p->old);
	return 0;
}

/* The entries the update holds at its fullest (endpoints are rewritten
 * one after the other: new bank written, then the old one deleted) must
 * fit the map. */
static int check_room(const struct ebpfnet_policy *pol,
		      const struct pol_compiled *c, const struct ep_plan *plans,
		      const struct pkeys *k)
{
	size_t now = k->n, peak = k->n;

	for (size_t i = 0; i < c->n_endpoints; i++) {
		if (!plans[i].rewrite)
			continue;
		now -= plans[i].stale;
		now += c->endpoints[i].n_entries;
		if (now > peak)
			peak = now;
		now -= plans[i].old;
	}
	if (peak > pol->max_entries) {
		pr_warn("policy: the update needs %zu policy entries at once (old and new banks) but policy_map holds %u: open with a larger ebpfnet_policy_opts.max_entries on a new pin root, or use fewer rules",
			peak, pol->max_entries);
		return -ENOSPC;
	}
	return 0;
}

/* The bank an endpoint's entries are in after the write. */
static uint8_t new_bank(const struct ep_plan *p)
{
	if (!p->have)
		return 0;
	return p->rewrite ? p->cur.bank ^ 1 : p->cur.bank;
}

/* Write one endpoint's entries into its inactive bank, flip its record,
 * delete the old bank's entries. */
static int write_endpoint(const struct ebpfnet_policy *pol,
			  const struct pol_compiled *c, uint32_t ifindex,
			  const struct pol_endpoint_out *o,
			  const struct ep_plan *p, const struct pkeys *k)
{
	uint8_t bank = new_bank(p);
	struct policy_endpoint rec = {
		.ep_id = o->ep_id,
		.identity = o->identity,
		.generation = p->have ? p->cur.generation + 1 : 1,
		.bank = bank,
		.enforce = o->enforce,
	};
	int err;

	if (!p->rewrite) {
		if (p->cur.identity == o->identity)
			return 0;
		rec = p->cur;
		rec.identity = o->identity;
		return put(pol->skel->maps.policy_endpoints, &ifindex, &rec,
			   "writing an endpoint (policy_endpoints)");
	}
	memcpy(rec.lens, o->lens, sizeof(rec.lens));
	err = pkeys_delete_run(pol, k, o->ep_id, bank);
	for (size_t i = o->first_entry; !err && i < o->first_entry + o->n_entries; i++) {
		struct policy_key key = c->entries[i].key;

		key.bank = bank;
		err = put(pol->skel->maps.policy_map, &key, &c->entries[i].value,
			  "writing a policy entry (policy_map)");
	}
	if (!err)
		err = put(pol->skel->maps.policy_endpoints, &ifindex, &rec,
			  "writing an endpoint (policy_endpoints)");
	if (!err && p->have)
		err = pkeys_delete_run(pol, k, p->cur.ep_id, p->cur.bank);
	return err;
}

/* An ipcache prefix, comparable whole. */
struct ipc_key {
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

static int cmp_ipc(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ipc_key));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const struct bpf_map *ipcache_map(const struct ebpfnet_policy *pol,
					 uint8_t family)
{
	return family == AF_INET ? pol->skel->maps.policy_ipcache4 :
				   pol->skel->maps.policy_ipcache6;
}

/* The trie key of a prefix (policy_ipcache6_key has room for either). */
static void ipc_trie_key(const struct ipc_key *k, struct policy_ipcache6_key *t)
{
	memset(t, 0, sizeof(*t));
	t->prefixlen = k->plen;
	memcpy(t->addr, k->addr, k->family == AF_INET ? 4 : 16);
}

static int ipcache_put_all(const struct ebpfnet_policy *pol,
			   const struct pol_compiled *c)
{
	int err = 0;

	for (size_t i = 0; !err && i < c->n_ipcache; i++) {
		const struct pol_ipcache_out *e = &c->ipcache[i];
		struct ipc_key k = { .family = e->family, .plen = e->prefixlen };
		struct policy_ipcache_value v = { .identity = e->identity };
		struct policy_ipcache6_key t;

		memcpy(k.addr, e->addr, e->family == AF_INET ? 4 : 16);
		ipc_trie_key(&k, &t);
		err = put(ipcache_map(pol, e->family), &t, &v,
			  "writing a prefix (policy_ipcache)");
	}
	return err;
}

/* Delete the prefixes of one family's trie that c does not hold. */
static int ipcache_prune(const struct ebpfnet_policy *pol,
			 const struct pol_compiled *c, uint8_t family)
{
	size_t alen = family == AF_INET ? 4 : 16, n = 0, n_keys = 0;
	size_t ksize = family == AF_INET ? sizeof(struct policy_ipcache4_key) :
					   sizeof(struct policy_ipcache6_key);
	const struct bpf_map *map = ipcache_map(pol, family);
	struct ipc_key *want;
	char *keys;
	int err;

	want = calloc(c->n_ipcache ? c->n_ipcache : 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_ipcache; i++) {
		if (c->ipcache[i].family != family)
			continue;
		want[n].family = family;
		want[n].plen = c->ipcache[i].prefixlen;
		memcpy(want[n++].addr, c->ipcache[i].addr, alen);
	}
	qsort(want, n, sizeof(*want), cmp_ipc);
	err = map_keys(map_fd(map), ksize, (size_t)bpf_map__max_entries(map) + 1,
		       (void **)&keys, &n_keys, "walking policy_ipcache");
	for (size_t i = 0; !err && i < n_keys; i++) {
		const struct policy_ipcache6_key *t = (const void *)(keys + i * ksize);
		struct ipc_key k = { .family = family, .plen = (uint8_t)t->prefixlen };

		memcpy(k.addr, t->addr, alen);
		if (!bsearch(&k, want, n, sizeof(*want), cmp_ipc))
			err = del(map, t, "deleting a prefix (policy_ipcache)");
	}
	free(keys);
	free(want);
	return err;
}

static int identities_put_all(const struct ebpfnet_policy *pol,
			      const struct pol_compiled *c)
{
	int err = 0;

	for (size_t i = 0; !err && i < c->n_identities; i++) {
		struct policy_identity_rec rec;

		memset(&rec, 0, sizeof(rec));
		snprintf(rec.labels, sizeof(rec.labels), "%s", c->identities[i].labels);
		err = put(pol->skel->maps.policy_identities,
			  &c->identities[i].identity, &rec,
			  "writing an identity (policy_identities)");
	}
	return err;
}

static int identities_prune(const struct ebpfnet_policy *pol,
			    const struct pol_compiled *c)
{
	const struct bpf_map *map = pol->skel->maps.policy_identities;
	uint32_t *want, *keys;
	size_t n_keys;
	int err;

	want = calloc(c->n_identities ? c->n_identities : 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_identities; i++)
		want[i] = c->identities[i].identity;
	qsort(want, c->n_identities, sizeof(*want), cmp_u32);
	err = map_keys(map_fd(map), sizeof(*keys), (size_t)bpf_map__max_entries(map) + 1,
		       (void **)&keys, &n_keys, "walking policy_identities");
	for (size_t i = 0; !err && i < n_keys; i++)
		if (!bsearch(&keys[i], want, c->n_identities, sizeof(*want), cmp_u32))
			err = del(map, &keys[i], "deleting an identity (policy_identities)");
	free(keys);
	free(want);
	return err;
}

/* Delete the records of interfaces st has no endpoint on, then every
 * entry outside the active bank of its endpoint id (active[ep_id]: the
 * bank, -1 for an id no endpoint has). */
static int endpoints_prune(const struct ebpfnet_policy *pol,
			   const struct pol_state *st, const struct pkeys *k,
			   const int8_t *active)
{
	const struct bpf_map *map = pol->skel->maps.policy_endpoints;
	__u32 *keys;
	size_t n;
	int err;

	err = map_keys(map_fd(map), sizeof(*keys), POLICY_MAX_ENDPOINTS + 1,
		       (void **)&keys, &n, "walking policy_endpoints");
	for (size_t i = 0; !err && i < n; i++)
		if (!find_ep(st, keys[i]))
			err = del(map, &keys[i], "deleting an endpoint (policy_endpoints)");
	free(keys);
	for (size_t i = 0; !err && i < k->n; i++)
		if (k->keys[i].ep_id > POLICY_MAX_ENDPOINTS ||
		    active[k->keys[i].ep_id] != k->keys[i].bank)
			err = del(pol->skel->maps.policy_map, &k->keys[i],
				  "deleting a policy entry (policy_map)");
	return err;
}

/*
 * Make the datapath's maps show the compiled state v of st, whatever they
 * hold now (the previous state, or a half-written one): a convergence,
 * so writing the previous state again undoes a failed write.
 */
static int write_datapath(const struct ebpfnet_policy *pol,
			  const struct pol_state *st, const struct pol_view *v)
{
	const struct pol_compiled *c = &v->c;
	int8_t active[POLICY_MAX_ENDPOINTS + 1];
	struct ep_plan *plans;
	struct pkeys k = { 0 };
	int err;

	memset(active, -1, sizeof(active));
	plans = calloc(st->n_eps ? st->n_eps : 1, sizeof(*plans));
	if (!plans)
		return -ENOMEM;
	err = pkeys_read(pol, &k);
	for (size_t i = 0; !err && i < st->n_eps; i++)
		err = plan_endpoint(pol, c, st->eps[i].ifindex, &c->endpoints[i], &k,
				    &plans[i]);
	if (!err)
		err = check_room(pol, c, plans, &k);
	/* what the new entries name first: identities, prefixes */
	if (!err)
		err = identities_put_all(pol, c);
	if (!err)
		err = ipcache_put_all(pol, c);
	for (size_t i = 0; !err && i < st->n_eps; i++) {
		err = write_endpoint(pol, c, st->eps[i].ifindex, &c->endpoints[i],
				     &plans[i], &k);
		if (c->endpoints[i].ep_id <= POLICY_MAX_ENDPOINTS)
			active[c->endpoints[i].ep_id] = (int8_t)new_bank(&plans[i]);
	}
	/* what nothing names any more, last */
	if (!err)
		err = endpoints_prune(pol, st, &k, active);
	if (!err)
		err = ipcache_prune(pol, c, AF_INET);
	if (!err)
		err = ipcache_prune(pol, c, AF_INET6);
	if (!err)
		err = identities_prune(pol, c);
	free(k.keys);
	free(plans);
	return err;
}

/* ---- the stored records ---------------------------------------------------------- */

static int store_eps(const struct ebpfnet_policy *pol, const struct pol_state *from,
		     const struct pol_state *to)
{
	const struct bpf_map *map = pol->skel->maps.policy_epmeta;
	int err = 0;

	for (size_t i = 0; !err && i < to->n_eps; i++) {
		const struct pol_ep *was = find_ep(from, to->eps[i].ifindex);

		if (!was || memcmp(&was->meta, &to->eps[i].meta, sizeof(was->meta)))
			err = put(map, &to->eps[i].ifindex, &to->eps[i].meta,
				  "storing an endpoint (policy_epmeta)");
	}
	for (size_t i = 0; !err && i < from->n_eps; i++)
		if (!find_ep(to, from->eps[i].ifindex))
			err = del(map, &from->eps[i].ifindex,
				  "deleting an endpoint (policy_epmeta)");
	return err;
}

static bool doc_same(const struct pol_sdoc *a, const struct pol_sdoc *b)
{
	return a->first_rule == b->first_rule && a->n_rules == b->n_rules &&
	       a->len == b->len && !memcmp(a->text, b->text, a->len);
}

static void doc_key(const char *name, struct policy_doc_key *key)
{
	memset(key, 0, sizeof(*key));
	snprintf(key->name, sizeof(key->name), "%s", name);
}

static int store_docs(const struct ebpfnet_policy *pol, const struct pol_state *from,
		      const struct pol_state *to)
{
	const struct bpf_map *map = pol->skel->maps.policy_docs;
	struct policy_doc_key key;
	struct policy_doc *rec = NULL;
	int err = 0;

	for (size_t i = 0; !err && i < to->n_docs; i++) {
		const struct pol_sdoc *d = &to->docs[i], *was = find_doc(from, d->name);

		if (was && doc_same(was, d))
			continue;
		if (!rec && !(rec = malloc(sizeof(*rec))))
			return -ENOMEM;
		memset(rec, 0, sizeof(*rec));
		rec->version = POLICY_DOC_VERSION;
		rec->first_rule = d->first_rule;
		rec->n_rules = d->n_rules;
		rec->len = (__u32)d->len;
		memcpy(rec->text, d->text, d->len);
		doc_key(d->name, &key);
		err = put(map, &key, rec, "storing a policy (policy_docs)");
	}
	for (size_t i = 0; !err && i < from->n_docs; i++) {
		if (find_doc(to, from->docs[i].name))
			continue;
		doc_key(from->docs[i].name, &key);
		err = del(map, &key, "deleting a policy (policy_docs)");
	}
	free(rec);
	return err;
}

static int store_state(const struct ebpfnet_policy *pol,
		       const struct pol_state *from, const struct pol_state *to)
{
	int err = store_eps(pol, from, to);

	return err ? err : store_docs(pol, from, to);
}

/* Zero the counters of the rule ids of a's documents that b does not
 * give the same document (new ranges before they are used, freed ones
 * after). */
static int reset_ranges(const struct ebpfnet_policy *pol, const struct pol_state *a,
			const struct pol_state *b)
{
	int fd = map_fd(pol->skel->maps.policy_rule_counters), err = 0;

	for (size_t i = 0; !err && i < a->n_docs; i++) {
		const struct pol_sdoc *d = &a->docs[i], *other = find_doc(b, d->name);

		if (other && other->first_rule == d->first_rule &&
		    other->n_rules == d->n_rules)
			continue;
		for (uint32_t id = d->first_rule;
		     !err && d->n_rules && id < d->first_rule + d->n_rules; id++)
			err = ebpfnet__percpu_zero(POLICY_OBJECT, fd, id,
						   sizeof(struct policy_rule_counter),
						   "resetting a rule's counters (policy_rule_counters)");
	}
	return err;
}

/* ---- TC ------------------------------------------------------------------------ */

static int tc_attach_both(const struct ebpfnet_policy *pol, uint32_t ifindex)
{
	int err = ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_POLICY,
				     bpf_program__fd(pol->skel->progs.policy_ingress));

	if (!err)
		err = ebpfnet__tc_attach(ifindex, false, EBPFNET_TC_PRIO_POLICY,
					 bpf_program__fd(pol->skel->progs.policy_egress));
	return err;
}

/* Detach both programs; an interface that is gone has none. */
static void tc_detach_both(uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	if (!if_indextoname(ifindex, name))
		return;
	ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_POLICY);
	ebpfnet__tc_detach(ifindex, false, EBPFNET_TC_PRIO_POLICY);
}

/* ---- a change -------------------------------------------------------------------- */

struct change {
	struct policy_arena arena;
	struct pol_state prev;       /* what the maps hold */
	struct pol_state next;       /* what they should hold */
	uint32_t attach_ifindex;     /* attach TC here after the write */
	bool was_attached;           /* ... where it was attached before */
	uint32_t detach_ifindex;     /* detach TC here before the write */
};

static int no_catch_up(void *ctx)
{
	(void)ctx; /* nothing is cached: every call reads the maps */
	return 0;
}

static void change_end(struct ebpfnet_policy *pol, struct change *ch)
{
	ebpfnet__pinned_unlock(&pol->pins);
	state_free(&ch->prev);
	state_free(&ch->next);
	arena_free(&ch->arena);
}

/* Lock, check the state is still this handle's, read it. */
static int change_begin(struct ebpfnet_policy *pol, struct change *ch)
{
	int err;

	memset(ch, 0, sizeof(*ch));
	err = ebpfnet__pinned_begin_change(&pol->pins, no_catch_up, pol);
	if (err)
		return err;
	err = read_state(pol, &ch->prev, &ch->arena);
	if (!err)
		err = state_copy(&ch->prev, &ch->next);
	if (err)
		change_end(pol, ch);
	return err;
}

static void remove_pins(struct ebpfnet_policy *pol, const char *why)
{
	ebpfnet__pin_dir_cleanup(pol->pins.pin_root, pol->pins.dir);
	ebpfnet__monitor_release(pol->pins.pin_root);
	pr_info("policy: removed the policy state under %s: %s", pol->pins.dir, why);
}

/* Put back what a failed commit wrote. */
static void undo(struct ebpfnet_policy *pol, struct change *ch,
		 const struct pol_view *prev, bool have_prev)
{
	int err = store_state(pol, &ch->next, &ch->prev);

	if (ch->attach_ifindex && !ch->was_attached)
		tc_detach_both(ch->attach_ifindex);
	if (!err && have_prev)
		err = write_datapath(pol, &ch->prev, prev);
	if (ch->detach_ifindex)
		err = err ? err : tc_attach_both(pol, ch->detach_ifindex);
	if (err || !have_prev)
		pr_warn("policy: the failed change could not be undone completely (%s): apply the policies again",
			ebpfnet_strerror(err ? err : -EINVAL));
}

/*
 * Make the maps show ch->next: compile it (nothing is written when that
 * fails), detach/write/attach, store the records; on a failure put back
 * ch->prev. With nothing left, the pinned state is removed.
 */
static int commit(struct ebpfnet_policy *pol, struct change *ch, char *err_text,
		  size_t errlen)
{
	struct pol_view next, prev;
	bool have_prev;
	int err;

	err = view_build(pol, &ch->next, &next, err_text, errlen);
	if (err)
		return err;
	have_prev = !view_build(pol, &ch->prev, &prev, NULL, 0);
	err = reset_ranges(pol, &ch->next, &ch->prev);
	if (!err && ch->detach_ifindex)
		tc_detach_both(ch->detach_ifindex);
	if (!err)
		err = write_datapath(pol, &ch->next, &next);
	if (!err && ch->attach_ifindex)
		err = tc_attach_both(pol, ch->attach_ifindex);
	if (!err)
		err = store_state(pol, &ch->prev, &ch->next);
	if (err)
		undo(pol, ch, &prev, have_prev);
	else
		reset_ranges(pol, &ch->prev, &ch->next); /* logged; harmless */
	view_free(&next);
	if (have_prev)
		view_free(&prev);
	if (!err && !ch->next.n_eps && !ch->next.n_docs)
		remove_pins(pol, "no endpoint and no policy left");
	return err;
}

/* ---- open and destroy -------------------------------------------------------------- */

static bool pin_this_map(const struct bpf_map *map, const void *ctx)
{
	const char *name = bpf_map__name(map);

	(void)ctx;
	return !strncmp(name, "policy_", 7) && strcmp(name, "policy_event_budget");
}

static int table_size(const char *field, uint32_t value, uint32_t fallback,
		      uint32_t *out)
{
	if (!value) {
		*out = fallback;
		return 0;
	}
	if (value < POLICY_MIN_TABLE || value > POLICY_MAX_TABLE) {
		pr_warn("ebpfnet_policy_opts.%s: %u is not 0 (default) or %u..%u",
			field, value, POLICY_MIN_TABLE, POLICY_MAX_TABLE);
		return -EINVAL;
	}
	*out = value;
	return 0;
}

static int write_defaults(const struct ebpfnet_policy *pol)
{
	struct policy_config conf = {
		.event_rate = POLICY_DEFAULT_EVENT_RATE,
		.allowed_events = 1,
		.ct_syn_ns = 60 * NS_PER_SEC,
		.ct_tcp_ns = 6 * 3600 * NS_PER_SEC,
		.ct_closing_ns = 10 * NS_PER_SEC,
		.ct_other_ns = 60 * NS_PER_SEC,
	};
	__u32 zero = 0;

	return put(pol->skel->maps.policy_config, &zero, &conf,
		   "writing the settings (policy_config)");
}

/* Sizes of the pinned tables, noted when opts asked for others (0: not
 * asked). */
static int read_sizes(struct ebpfnet_policy *pol, uint32_t want_entries,
		      uint32_t want_conns, bool created)
{
	int err = ebpfnet__map_max_entries(map_fd(pol->skel->maps.policy_map),
					   &pol->max_entries);

	if (!err)
		err = ebpfnet__map_max_entries(map_fd(pol->skel->maps.policy_ct),
					       &pol->max_conns);
	if (err)
		return ebpfnet__map_fail(POLICY_OBJECT, "reading the table sizes", err);
	if (!created && ((want_entries && pol->max_entries != want_entries) ||
			 (want_conns && pol->max_conns != want_conns)))
		pr_info("policy: the state under %s has %u policy entries and %u connections: ebpfnet_policy_opts sizes apply when it is created",
			pol->pins.dir, pol->max_entries, pol->max_conns);
	return 0;
}

static int handle_record(void *ctx, void *data, size_t size);

/* Load the programs on the pinned maps (created when there are none).
 * Called with the lock held. */
static int load(struct ebpfnet_policy *pol, const struct ebpfnet_policy_opts *opts,
		uint32_t max_entries, uint32_t max_conns, bool *created)
{
	struct policy_bpf *skel;
	int err;

	err = ebpfnet__pinned_is_new(&pol->pins, created);
	if (err)
		return err;
	skel = pol->skel = policy_bpf__open();
	if (!skel)
		return ebpfnet__pinned_open_error(&pol->pins, -errno);
	if ((err = bpf_map__set_max_entries(skel->maps.policy_map, max_entries)) ||
	    (err = bpf_map__set_max_entries(skel->maps.policy_ct, max_conns)))
		return ebpfnet__map_fail(POLICY_OBJECT, "sizing the maps", err);
	err = ebpfnet__pinned_set_pin_paths(&pol->pins, skel->obj, pin_this_map,
					    NULL, true);
	if (!err)
		err = ebpfnet__monitor_prepare(pol->pins.pin_root, skel->obj);
	if (err)
		return err;
	err = policy_bpf__load(skel);
	if (err)
		return ebpfnet__pinned_load_error(&pol->pins, err);
	pol->pins.probe_id = ebpfnet__map_id(map_fd(skel->maps.policy_config));
	err = read_sizes(pol, EBPFNET_OPTS_GET(opts, max_entries, 0),
			 EBPFNET_OPTS_GET(opts, max_conns, 0), *created);
	if (!err && *created)
		err = write_defaults(pol);
	if (!err && pol->on_verdict) {
		pol->rb = ring_buffer__new(map_fd(skel->maps.policy_events),
					   handle_record, pol, NULL);
		if (!pol->rb) {
			err = -errno;
			pr_warn("policy: cannot read the verdict ring buffer: %s",
				ebpfnet_strerror(err));
		}
	}
	return err;
}

/* A failed open leaves nothing it created behind. */
struct ebpfnet_policy *ebpfnet_policy_open(const struct ebpfnet_policy_opts *opts)
{
	uint32_t max_entries, max_conns;
	struct ebpfnet_policy *pol;
	bool created = false;
	int err;

	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_policy_opts, open_existing))
		return ebpfnet__err_ptr(-EINVAL);
	err = table_size("max_entries", EBPFNET_OPTS_GET(opts, max_entries, 0),
			 POLICY_DEFAULT_MAX_ENTRIES, &max_entries);
	if (!err)
		err = table_size("max_conns", EBPFNET_OPTS_GET(opts, max_conns, 0),
				 POLICY_DEFAULT_MAX_CONNS, &max_conns);
	if (err)
		return ebpfnet__err_ptr(err);
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		return ebpfnet__err_ptr(-ENOMEM);
	pol->on_verdict = EBPFNET_OPTS_GET(opts, on_verdict, NULL);
	pol->ctx = EBPFNET_OPTS_GET(opts, ctx, NULL);
	err = ebpfnet__pinned_init(&pol->pins, &policy_kind,
				   EBPFNET_OPTS_GET(opts, pin_root, NULL));
	if (!err)
		err = ebpfnet__pinned_lock_open(&pol->pins,
						EBPFNET_OPTS_GET(opts, open_existing, false));
	if (err) {
		free(pol);
		return ebpfnet__err_ptr(err);
	}
	err = load(pol, opts, max_entries, max_conns, &created);
	if (err) {
		if (created) {
			ebpfnet__pin_dir_cleanup(pol->pins.pin_root, pol->pins.dir);
			ebpfnet__monitor_release(pol->pins.pin_root);
		}
		ring_buffer__free(pol->rb);
		policy_bpf__destroy(pol->skel);
		ebpfnet__pinned_unlock(&pol->pins);
		free(pol);
		return ebpfnet__err_ptr(err);
	}
	ebpfnet__pinned_unlock(&pol->pins);
	pr_debug("policy: %s the policy state under %s (%u entries, %u connections)",
		 created ? "created" : "adopted", pol->pins.dir, pol->max_entries,
		 pol->max_conns);
	return pol;
}

/* The pinned state is still the one this handle loaded (no warning). */
static bool is_current(const struct ebpfnet_policy *pol)
{
	int fd = ebpfnet__pinned_map(&pol->pins, policy_kind.probe_map);
	bool current;

	if (fd < 0)
		return false;
	current = ebpfnet__map_id(fd) == pol->pins.probe_id;
	close(fd);
	return current;
}

void ebpfnet_policy_destroy(struct ebpfnet_policy *pol)
{
	if (!pol)
		return;
	if (pol->skel && !ebpfnet__pinned_lock(&pol->pins, false)) {
		if (is_current(pol) &&
		    ebpfnet__map_empty(map_fd(pol->skel->maps.policy_epmeta)) &&
		    ebpfnet__map_empty(map_fd(pol->skel->maps.policy_docs)))
			remove_pins(pol, "it has no endpoint and no policy");
		ebpfnet__pinned_unlock(&pol->pins);
	}
	ring_buffer__free(pol->rb);
	policy_bpf__destroy(pol->skel); /* our fds only: the pins stay */
	free(pol);
}

/* ---- endpoints -------------------------------------------------------------------- */

static int check_ifname(const char *fn, const char *ifname)
{
	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
		pr_warn("%s: ifname %s", fn, !ifname ? "is NULL" :
			!*ifname ? "is empty" : "is longer than 15 bytes");
		return -EINVAL;
	}
	return 0;
}

static int parse_addrs(const char *fn, const char *const *addrs, size_t n,
		       struct policy_ep_meta *meta)
{
	static const uint8_t zero[16];

	if (!addrs || n < 1 || n > POLICY_EP_MAX_ADDRS) {
		pr_warn("%s: %s", fn, !addrs ? "addrs is NULL" :
			"n_addrs is not 1..8");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		struct policy_ep_addr *a = &meta->addrs[i];
		int family;

		if (!addrs[i]) {
			pr_warn("%s: addrs[%zu] is NULL", fn, i);
			return -EINVAL;
		}
		family = ebpfnet__text_pton(AF_UNSPEC, addrs[i], strlen(addrs[i]),
					    a->addr);
		if (!family || !memcmp(a->addr, zero, sizeof(zero))) {
			pr_warn("%s: '%s' is not an IPv4 or IPv6 address of a workload",
				fn, addrs[i]);
			return -EINVAL;
		}
		a->family = (uint8_t)family;
		for (size_t j = 0; j < i; j++) {
			if (meta->addrs[j].family == a->family &&
			    !memcmp(meta->addrs[j].addr, a->addr, 16)) {
				pr_warn("%s: address %s is given twice", fn, addrs[i]);
				return -EINVAL;
			}
		}
	}
	meta->n_addrs = (uint32_t)n;
	return 0;
}

/* The address of `ep` that `meta` has too, or -1. */
static int shared_addr(const struct policy_ep_meta *ep,
		       const struct policy_ep_meta *meta)
{
	for (uint32_t i = 0; i < meta->n_addrs; i++)
		for (uint32_t j = 0; j < ep->n_addrs; j++)
			if (ep->addrs[j].family == meta->addrs[i].family &&
			    !memcmp(ep->addrs[j].addr, meta->addrs[i].addr, 16))
				return (int)i;
	return -1;
}

/* The smallest endpoint id no endpoint of st has (0: none free). */
static uint32_t free_ep_id(const struct pol_state *st)
{
	bool used[POLICY_MAX_ENDPOINTS + 1] = { false };

	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].meta.ep_id <= POLICY_MAX_ENDPOINTS)
			used[st->eps[i].meta.ep_id] = true;
	for (uint32_t id = 1; id <= POLICY_MAX_ENDPOINTS; id++)
		if (!used[id])
			return id;
	return 0;
}

/* Put ep into ch->next (as new, or replacing the one on its ifindex, or
 * one left on an interface of the same name that is gone). */
static int next_with_ep(struct change *ch, struct pol_ep *ep,
			const char *const *addr_text)
{
	struct pol_ep *same = find_ep(&ch->next, ep->ifindex);
	int err;

	for (size_t i = 0; i < ch->next.n_eps; i++) {
		struct pol_ep *other = &ch->next.eps[i];
		int shared;

		if (other->ifindex == ep->ifindex)
			continue;
		if (!strcmp(other->meta.ifname, ep->meta.ifname)) {
			/* its interface was deleted and made again */
			remove_ep(&ch->next, other);
			same = find_ep(&ch->next, ep->ifindex);
			i--;
			continue;
		}
		shared = shared_addr(&other->meta, &ep->meta);
		if (shared >= 0) {
			pr_warn("policy: address %s is the endpoint %s's",
				addr_text[shared], other->meta.ifname);
			return -EEXIST;
		}
	}
	ch->was_attached = same != NULL;
	ep->meta.ep_id = same ? same->meta.ep_id : free_ep_id(&ch->next);
	if (!ep->meta.ep_id) {
		pr_warn("policy: no room for another endpoint (%u at most)",
			POLICY_MAX_ENDPOINTS);
		return -ENOSPC;
	}
	if (same) {
		*same = *ep;
		return 0;
	}
	err = grow((void **)&ch->next.eps, &ch->next.cap_eps, ch->next.n_eps,
		   sizeof(*ep));
	if (err)
		return err;
	ch->next.eps[ch->next.n_eps++] = *ep;
	state_sort(&ch->next);
	return 0;
}

int ebpfnet_policy_endpoint_add(struct ebpfnet_policy *pol, const char *ifname,
				const char *const *addrs, size_t n_addrs,
				const char *labels)
{
	static const char fn[] = "ebpfnet_policy_endpoint_add";
	char reason[POLICY_ERR_LEN];
	struct pol_ep ep;
	struct change ch;
	int err;

	memset(&ep, 0, sizeof(ep));
	err = check_handle(pol, fn);
	if (!err)
		err = check_ifname(fn, ifname);
	if (!err)
		err = parse_addrs(fn, addrs, n_addrs, &ep.meta);
	if (!err && !labels) {
		pr_warn("%s: labels is NULL", fn);
		err = -EINVAL;
	}
	if (!err && pol_labels_canon(labels, ep.meta.labels, sizeof(ep.meta.labels),
				     reason, sizeof(reason))) {
		pr_warn("%s: labels '%s': %s", fn, labels, reason);
		err = -EINVAL;
	}
	if (!err && !(ep.ifindex = if_nametoindex(ifname))) {
		pr_warn("%s: no interface %s", fn, ifname);
		err = -ENODEV;
	}
	if (err)
		return ebpfnet__err(err);
	snprintf(ep.meta.ifname, sizeof(ep.meta.ifname), "%s", ifname);
	err = change_begin(pol, &ch);
	if (err)
		return ebpfnet__err(err);
	err = next_with_ep(&ch, &ep, addrs);
	if (!err) {
		ch.attach_ifindex = ep.ifindex;
		err = commit(pol, &ch, NULL, 0);
	}
	change_end(pol, &ch);
	if (!err)
		pr_debug("policy: endpoint %s (endpoint id %u, labels %s)", ifname,
			 ep.meta.ep_id, ep.meta.labels);
	return ebpfnet__err(err);
}

/* Forget the tracked connections of an interface. */
static void forget_conns(const struct ebpfnet_policy *pol, uint32_t ifindex)
{
	const struct bpf_map *map = pol->skel->maps.policy_ct;
	struct policy_ct_key *keys;
	size_t n;

	if (map_keys(map_fd(map), sizeof(*keys), (size_t)pol->max_conns * 2,
		     (void **)&keys, &n, "walking policy_ct"))
		return;
	for (size_t i = 0; i < n; i++)
		if (keys[i].ifindex == ifindex)
			del(map, &keys[i], "deleting a connection (policy_ct)");
	free(keys);
}

int ebpfnet_policy_endpoint_del(struct ebpfnet_policy *pol, const char *ifname)
{
	static const char fn[] = "ebpfnet_policy_endpoint_del";
	struct pol_ep *ep = NULL;
	struct change ch;
	uint32_t ifindex;
	int err;

	err = check_handle(pol, fn);
	if (!err)
		err = check_ifname(fn, ifname);
	if (!err)
		err = change_begin(pol, &ch);
	if (err)
		return ebpfnet__err(err);
	for (size_t i = 0; i < ch.next.n_eps && !ep; i++)
		if (!strcmp(ch.next.eps[i].meta.ifname, ifname))
			ep = &ch.next.eps[i];
	if (!ep) {
		pr_warn("policy: %s is not an endpoint", ifname);
		change_end(pol, &ch);
		return ebpfnet__err(-ENOENT);
	}
	ifindex = ep->ifindex;
	remove_ep(&ch.next, ep);
	ch.detach_ifindex = ifindex;
	err = commit(pol, &ch, NULL, 0);
	if (!err)
		forget_conns(pol, ifindex);
	change_end(pol, &ch);
	if (!err)
		pr_debug("policy: endpoint %s removed", ifname);
	return ebpfnet__err(err);
}

/* ---- documents -------------------------------------------------------------------- */

static int cmp_range(const void *a, const void *b)
{
	return cmp_u32(a, b); /* {first, n} pairs by first */
}

/* The smallest gap of n free rule ids among the ranges of st's other
 * documents (those with a range: first_rule set). */
static uint32_t free_range(const struct pol_state *st, const struct pol_sdoc *self,
			   uint32_t n)
{
	uint32_t (*ranges)[2] = calloc(st->n_docs ? st->n_docs : 1, sizeof(*ranges));
	uint64_t next = 1;
	uint32_t found = 0;
	size_t m = 0;

	if (!ranges)
		return 0;
	for (size_t i = 0; i < st->n_docs; i++) {
		if (&st->docs[i] == self || !st->docs[i].first_rule ||
		    !st->docs[i].n_rules)
			continue;
		ranges[m][0] = st->docs[i].first_rule;
		ranges[m++][1] = st->docs[i].n_rules;
	}
	qsort(ranges, m, sizeof(*ranges), cmp_range);
	for (size_t i = 0; i <= m; i++) {
		uint64_t end = i < m ? ranges[i][0] : (uint64_t)POLICY_MAX_RULES + 1;

		if (end >= next && end - next >= n) {
			found = (uint32_t)next;
			break;
		}
		if (i < m && ranges[i][0] + (uint64_t)ranges[i][1] > next)
			next = ranges[i][0] + (uint64_t)ranges[i][1];
	}
	free(ranges);
	return found;
}

/* Put the parsed documents into ch->next, replacing same-name ones; a
 * document keeps its rule ids when its number of rules stays. */
static int next_with_docs(struct change *ch, struct pol_doc **docs, size_t n,
			  char *err_text, size_t errlen)
{
	size_t first_new;
	int err;

	for (size_t i = 0; i < n; i++) {
		const char *name = pol_doc_name(docs[i]);
		struct pol_sdoc d = { .doc = docs[i] };
		struct pol_sdoc *was = find_doc(&ch->next, name);

		snprintf(d.name, sizeof(d.name), "%s", name);
		d.text = pol_doc_text(docs[i], &d.len);
		d.n_rules = pol_doc_rules(docs[i]);
		if (was) {
			d.first_rule = was->n_rules == d.n_rules ? was->first_rule : 0;
			remove_doc(&ch->next, was);
		}
		err = grow((void **)&ch->next.docs, &ch->next.cap_docs,
			   ch->next.n_docs, sizeof(d));
		if (err)
			return err;
		ch->next.docs[ch->next.n_docs++] = d;
	}
	if (ch->next.n_docs > POLICY_MAX_DOCS) {
		snprintf(err_text, errlen, "more than %u policies", POLICY_MAX_DOCS);
		return -ENOSPC;
	}
	/* the documents just added are the last n: ranges for them */
	first_new = ch->next.n_docs - n;
	for (size_t i = first_new; i < ch->next.n_docs; i++) {
		struct pol_sdoc *d = &ch->next.docs[i];

		if (!d->first_rule && d->n_rules)
			d->first_rule = free_range(&ch->next, d, d->n_rules);
		if (!d->first_rule && d->n_rules) {
			snprintf(err_text, errlen,
				 "no room for the %u rules of %s (%u rule ids)",
				 d->n_rules, d->name, POLICY_MAX_RULES);
			return -ENOSPC;
		}
		pol_doc_set_first_rule(d->doc, d->first_rule);
	}
	state_sort(&ch->next);
	return 0;
}

/* The parsed documents fit the store, once each. */
static int check_docs(struct pol_doc **docs, size_t n, char *err_text, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = pol_doc_name(docs[i]);
		size_t len;

		pol_doc_text(docs[i], &len);
		if (len > POLICY_DOC_MAX) {
			snprintf(err_text, errlen, "policy %s: %zu bytes of YAML (at most %u)",
				 name, len, POLICY_DOC_MAX);
			return -E2BIG;
		}
		if (strlen(name) >= POLICY_NAME_MAX) {
			snprintf(err_text, errlen, "policy %.64s...: name longer than %u bytes",
				 name, POLICY_NAME_MAX - 1);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(pol_doc_name(docs[j]), name)) {
				snprintf(err_text, errlen, "policy %s is given twice", name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int ebpfnet_policy_apply(struct ebpfnet_policy *pol, const char *yaml, size_t len,
			 char *err, size_t errlen)
{
	static const char fn[] = "ebpfnet_policy_apply";
	char text[POLICY_ERR_LEN] = "";
	struct pol_doc **docs = NULL;
	struct change ch;
	size_t n = 0;
	int ret;

	copy_err(err, errlen, "");
	ret = check_handle(pol, fn);
	if (!ret && (!yaml || !len)) {
		pr_warn("%s: %s", fn, !yaml ? "yaml is NULL" : "len is 0");
		ret = -EINVAL;
	}
	if (!ret && !err && errlen) {
		pr_warn("%s: err is NULL with errlen %zu", fn, errlen);
		ret = -EINVAL;
	}
	if (ret)
		return ebpfnet__err(ret);
	ret = pol_yaml_parse(yaml, len, &docs, &n, text, sizeof(text));
	if (ret) {
		ret = ret == -ENOMEM ? ret : -EINVAL;
	} else {
		ret = check_docs(docs, n, text, sizeof(text));
		if (ret)
			pol_docs_free(docs, n);
	}
	if (ret) {
		pr_warn("policy: %s", text);
		copy_err(err, errlen, text);
		return ebpfnet__err(ret);
	}
	ret = change_begin(pol, &ch);
	if (ret) {
		pol_docs_free(docs, n);
		return ebpfnet__err(ret);
	}
	ret = arena_add(&ch.arena, docs, n, NULL);
	if (!ret)
		ret = next_with_docs(&ch, docs, n, text, sizeof(text));
	if (ret && text[0]) {
		pr_warn("policy: %s", text);
		copy_err(err, errlen, text);
	}
	if (!ret) {
		ret = commit(pol, &ch, err, errlen);
		if (ret && err && errlen && !err[0])
			copy_err(err, errlen, ebpfnet_strerror(ret));
	}
	change_end(pol, &ch);
	if (!ret)
		pr_debug("policy: applied %zu %s", n, n == 1 ? "policy" : "policies");
	return ebpfnet__err(ret);
}

int ebpfnet_policy_delete(struct ebpfnet_policy *pol, const char *name)
{
	static const char fn[] = "ebpfnet_policy_delete";
	char full[POLICY_NAME_MAX + 16];
	struct pol_sdoc *d;
	struct change ch;
	int err;

	err = check_handle(pol, fn);
	if (!err && (!name || !*name || strlen(name) >= POLICY_NAME_MAX)) {
		pr_warn("%s: name %s", fn, !name ? "is NULL" : !*name ? "is empty" :
			"is too long");
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	snprintf(full, sizeof(full), "%s%s", strchr(name, '/') ? "" : "default/", name);
	err = change_begin(pol, &ch);
	if (err)
		return ebpfnet__err(err);
	d = find_doc(&ch.next, full);
	if (!d) {
		pr_warn("policy: no policy %s", full);
		err = -ENOENT;
	} else {
		remove_doc(&ch.next, d);
		err = commit(pol, &ch, NULL, 0);
	}
	change_end(pol, &ch);
	if (!err)
		pr_debug("policy: deleted %s", full);
	return ebpfnet__err(err);
}

/* ---- reading ---------------------------------------------------------------------- */

/* The state as stored (and compiled, with `compile`), read under the
 * lock, which is released before any callback runs. */
struct snapshot {
	struct policy_arena arena;
	struct pol_state st;
	struct pol_view view;
	bool compiled;
};

static int snapshot_take(struct ebpfnet_policy *pol, struct snapshot *s, bool compile)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = ebpfnet__pinned_begin_change(&pol->pins, no_catch_up, pol);
	if (err)
		return err;
	err = read_state(pol, &s->st, &s->arena);
	if (!err && compile) {
		err = view_build(pol, &s->st, &s->view, NULL, 0);
		s->compiled = !err;
	}
	ebpfnet__pinned_unlock(&pol->pins);
	if (err) {
		state_free(&s->st);
		arena_free(&s->arena);
	}
	return err;
}

static void snapshot_free(struct snapshot *s)
{
	if (s->compiled)
		view_free(&s->view);
	state_free(&s->st);
	arena_free(&s->arena);
}

static int check_fn(const struct ebpfnet_policy *pol, const char *fn,
		    const void *callback)
{
	int err = check_handle(pol, fn);

	if (!err && !callback) {
		pr_warn("%s: fn is NULL", fn);
		err = -EINVAL;
	}
	return err;
}

int ebpfnet_policy_endpoints(const struct ebpfnet_policy *pol,
			     ebpfnet_policy_endpoint_fn fn, void *ctx)
{
	struct snapshot s;
	int ret = check_fn(pol, "ebpfnet_policy_endpoints", (const void *)fn);

	if (!ret)
		ret = snapshot_take((struct ebpfnet_policy *)pol, &s, true);
	if (ret)
		return ebpfnet__err(ret);
	for (size_t i = 0; !ret && i < s.st.n_eps; i++) {
		const struct pol_ep *e = &s.st.eps[i];
		const struct pol_endpoint_out *o = &s.view.c.endpoints[i];
		struct ebpfnet_policy_endpoint ep;

		memset(&ep, 0, sizeof(ep));
		ep.sz = sizeof(ep);
		snprintf(ep.ifname, sizeof(ep.ifname), "%s", e->meta.ifname);
		ep.ifindex = e->ifindex;
		ep.identity = o->identity;
		ep.labels = e->meta.labels;
		ep.n_addrs = e->meta.n_addrs;
		for (uint32_t j = 0; j < e->meta.n_addrs; j++) {
			ep.addrs[j].family = e->meta.addrs[j].family;
			memcpy(ep.addrs[j].addr, e->meta.addrs[j].addr, 16);
		}
		ep.ingress_enforced = o->enforce & POLICY_ENFORCE_INGRESS;
		ep.egress_enforced = o->enforce & POLICY_ENFORCE_EGRESS;
		ep.policy_entries = (uint32_t)o->n_entries;
		ret = fn(ctx, &ep);
	}
	snapshot_free(&s);
	return ret;
}

int ebpfnet_policy_list(const struct ebpfnet_policy *pol,
			ebpfnet_policy_info_fn fn, void *ctx)
{
	struct snapshot s;
	int ret = check_fn(pol, "ebpfnet_policy_list", (const void *)fn);

	if (!ret)
		ret = snapshot_take((struct ebpfnet_policy *)pol, &s, false);
	if (ret)
		return ebpfnet__err(ret);
	for (size_t i = 0; !ret && i < s.st.n_docs; i++) {
		const struct pol_sdoc *d = &s.st.docs[i];
		struct ebpfnet_policy_info info = {
			.sz = sizeof(info),
			.name = d->name,
			.kind = pol_doc_kind(d->doc),
			.first_rule = d->first_rule,
			.n_rules = d->n_rules,
			.yaml = d->text,
		};

		for (size_t j = 0; j < s.st.n_eps; j++)
			info.endpoints += pol_doc_selects(d->doc, s.st.eps[j].meta.labels);
		ret = fn(ctx, &info);
	}
	snapshot_free(&s);
	return ret;
}

int ebpfnet_policy_rules(const struct ebpfnet_policy *pol,
			 ebpfnet_policy_rule_fn fn, void *ctx)
{
	struct snapshot s;
	int ret = check_fn(pol, "ebpfnet_policy_rules", (const void *)fn);
	int fd;

	if (!ret)
		ret = snapshot_take((struct ebpfnet_policy *)pol, &s, false);
	if (ret)
		return ebpfnet__err(ret);
	fd = map_fd(pol->skel->maps.policy_rule_counters);
	for (size_t i = 0; !ret && i < s.st.n_docs; i++) {
		const struct pol_sdoc *d = &s.st.docs[i];

		for (uint32_t r = 0; !ret && r < d->n_rules; r++) {
			struct ebpfnet_policy_rule_info info = {
				.sz = sizeof(info),
				.id = d->first_rule + r,
				.policy = d->name,
			};
			char summary[512];
			uint64_t sums[3];

			_Static_assert(sizeof(struct policy_rule_counter) == sizeof(sums),
				       "policy_rule_counter");
			ret = pol_doc_rule_info(d->doc, r, &info.dir, &info.deny,
						summary, sizeof(summary));
			if (ret)
				break;
			info.text = summary;
			ret = ebpfnet__percpu_sum(POLICY_OBJECT, fd, info.id, sums, 3);
			if (ret)
				break;
			info.allowed = sums[0];
			info.denied = sums[1];
			info.denied_bytes = sums[2];
			ret = fn(ctx, &info);
		}
	}
	snapshot_free(&s);
	return ebpfnet__err(ret);
}

static bool proto_known(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_ICMP ||
	       proto == IPPROTO_ICMPV6;
}

int ebpfnet_policy_trace(const struct ebpfnet_policy *pol, const char *from,
			 const char *to, uint8_t proto, uint16_t dport,
			 enum ebpfnet_policy_verdict *verdict, char *buf, size_t len)
{
	static const char fn[] = "ebpfnet_policy_trace";
	struct snapshot s;
	int ret = check_handle(pol, fn);

	if (!ret && (!from || !to || !verdict || (!buf && len))) {
		pr_warn("%s: %s is NULL", fn, !from ? "from" : !to ? "to" :
			!verdict ? "verdict" : "buf");
		ret = -EINVAL;
	}
	if (!ret && !proto_known(proto)) {
		pr_warn("%s: protocol %u is not TCP, UDP, SCTP, ICMP or ICMPv6", fn,
			proto);
		ret = -EINVAL;
	}
	if (!ret)
		ret = snapshot_take((struct ebpfnet_policy *)pol, &s, true);
	if (ret)
		return ebpfnet__err(ret);
	ret = pol_trace(&s.view.c, s.view.eps, s.st.n_eps, s.view.docs, s.st.n_docs,
			from, to, proto, dport, verdict, buf, len);
	snapshot_free(&s);
	return ebpfnet__err(ret);
}

int ebpfnet_policy_stats(const struct ebpfnet_policy *pol,
			 struct ebpfnet_policy_stats *stats)
{
	static const struct {
		enum policy_stat stat;
		size_t offset;
	} by_counter[] = {
#define STAT(s, f) { POLICY_STAT_##s, offsetof(struct ebpfnet_policy_stats, f) }
		STAT(SEEN, seen), STAT(NOT_IP, not_ip),
		STAT(NOT_ENDPOINT, not_endpoint), STAT(MALFORMED, malformed),
		STAT(CT_HIT, tracked), STAT(CT_REPLY, tracked_replies),
		STAT(UNENFORCED, unenforced), STAT(ALLOWED, allowed),
		STAT(DENIED, denied), STAT(REEVAL, reevaluated),
		STAT(REEVAL_DENIED, reevaluated_denied),
		STAT(CT_FULL, conn_table_full), STAT(EV_SENT, events_sent),
		STAT(EV_SUPPRESSED, events_suppressed), STAT(EV_LOST, events_lost),
#undef STAT
	};
	struct ebpfnet_policy_stats st = { .sz = sizeof(st) };
	struct snapshot s;
	struct pkeys k = { 0 };
	int fd, err = check_handle(pol, "ebpfnet_policy_stats");

	if (err)
		return ebpfnet__err(err);
	if (!stats || stats->sz < sizeof(size_t)) /* out_copy says why */
		return ebpfnet__err(ebpfnet__out_copy(stats, &st, sizeof(st),
						      "ebpfnet_policy_stats"));
	err = snapshot_take((struct ebpfnet_policy *)pol, &s, false);
	if (err)
		return ebpfnet__err(err);
	fd = map_fd(pol->skel->maps.policy_stats);
	for (size_t i = 0; !err && i < EBPFNET_ARRAY_SIZE(by_counter); i++)
		err = ebpfnet__percpu_sum(POLICY_OBJECT, fd, by_counter[i].stat,
					  (uint64_t *)((char *)&st + by_counter[i].offset), 1);
	st.endpoints = (uint32_t)s.st.n_eps;
	st.policies = (uint32_t)s.st.n_docs;
	for (size_t i = 0; i < s.st.n_docs; i++)
		st.rules += s.st.docs[i].n_rules;
	st.identities = (uint32_t)map_count(map_fd(pol->skel->maps.policy_identities),
					    sizeof(__u32), 1u << 20,
					    "walking policy_identities");
	if (!err)
		err = pkeys_read(pol, &k);
	for (size_t i = 0; !err && i < s.st.n_eps; i++) {
		struct policy_endpoint rec;
		size_t n = 0;

		if (!bpf_map_lookup_elem(map_fd(pol->skel->maps.policy_endpoints),
					 &s.st.eps[i].ifindex, &rec))
			pkeys_run(&k, rec.ep_id, rec.bank, &n);
		st.policy_entries += (uint32_t)n;
	}
	st.max_entries = pol->max_entries;
	st.conns = (uint32_t)map_count(map_fd(pol->skel->maps.policy_ct),
				       sizeof(struct policy_ct_key),
				       (size_t)pol->max_conns * 2, "walking policy_ct");
	st.max_conns = pol->max_conns;
	free(k.keys);
	snapshot_free(&s);
	if (err)
		return ebpfnet__err(err);
	return ebpfnet__err(ebpfnet__out_copy(stats, &st, sizeof(st),
					      "ebpfnet_policy_stats"));
}

int ebpfnet_policy_set_events(struct ebpfnet_policy *pol, uint32_t per_sec,
			      bool allowed)
{
	struct policy_config conf;
	__u32 zero = 0;
	int err = check_handle(pol, "ebpfnet_policy_set_events");

	if (!err)
		err = ebpfnet__pinned_begin_change(&pol->pins, no_catch_up, pol);
	if (err)
		return ebpfnet__err(err);
	if (bpf_map_lookup_elem(map_fd(pol->skel->maps.policy_config), &zero, &conf)) {
		err = ebpfnet__map_fail(POLICY_OBJECT, "reading policy_config", -errno);
	} else {
		conf.event_rate = per_sec;
		conf.allowed_events = allowed;
		err = put(pol->skel->maps.policy_config, &zero, &conf,
			  "writing the settings (policy_config)");
	}
	ebpfnet__pinned_unlock(&pol->pins);
	return ebpfnet__err(err);
}

/* ---- verdict events ------------------------------------------------------------------ */

/* Stops libbpf's loop; the callback's own value is in batch.stop. */
#define POLICY_STOP (-ECANCELED)

static int handle_record(void *ctx, void *data, size_t size)
{
	struct ebpfnet_policy *pol = ctx;
	struct ebpfnet_policy_verdict_event v;
	int ret;

	if (ebpfnet__policy_verdict_decode(data, size, pol->batch.realtime_offset_ns,
					   &v)) {
		pr_warn("policy: skipped a malformed verdict record of %zu bytes", size);
		return 0;
	}
	pol->batch.delivered++;
	ret = pol->on_verdict(pol->ctx, &v);
	if (ret) {
		pol->batch.stop = ret;
		return POLICY_STOP;
	}
	return 0;
}

static int check_events(const struct ebpfnet_policy *pol, const char *fn)
{
	int err = check_handle(pol, fn);

	if (!err && !pol->rb) {
		pr_warn("%s: no verdicts without ebpfnet_policy_opts.on_verdict", fn);
		err = -EINVAL;
	}
	return err;
}

/* One batch: poll (timeout_ms >= -1) or consume (timeout_ms = -2). */
static int run_batch(struct ebpfnet_policy *pol, int timeout_ms)
{
	ebpfnet__batch_begin(&pol->batch);
	return ebpfnet__batch_end(&pol->batch,
				  ebpfnet__ringbuf_read(pol->rb, timeout_ms),
				  POLICY_OBJECT);
}

int ebpfnet_policy_poll(struct ebpfnet_policy *pol, int timeout_ms)
{
	int err = check_events(pol, "ebpfnet_policy_poll");

	if (!err && timeout_ms < -1) {
		pr_warn("ebpfnet_policy_poll: timeout_ms %d is negative (-1 waits forever)",
			timeout_ms);
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	return run_batch(pol, timeout_ms);
}

int ebpfnet_policy_consume(struct ebpfnet_policy *pol)
{
	int err = check_events(pol, "ebpfnet_policy_consume");

	if (err)
		return ebpfnet__err(err);
	return run_batch(pol, -2);
}

int ebpfnet_policy_fd(const struct ebpfnet_policy *pol)
{
	int err = check_events(pol, "ebpfnet_policy_fd");

	if (err)
		return ebpfnet__err(err);
	return ring_buffer__epoll_fd(pol->rb);
}
