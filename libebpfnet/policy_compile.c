/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Rules x endpoints -> the datapath's entries (policy_abi.h has the
 * lookup they serve), the ipcache and the identities. Pure and
 * deterministic: the same input gives the same output in the same order.
 *
 * Per endpoint and direction, every active rule of a document whose
 * subject selects the endpoint becomes entries (peer identity or ANY,
 * protocol or L3, port prefix). Same key: deny beats allow, then the
 * lowest rule id. Then each allow entry that a deny entry of the same
 * identity covers (less specific, containing it) becomes that deny: the
 * datapath stops at the most specific entry of an identity, so a broader
 * deny must be written into the narrower allows. Across identities no
 * copy is needed: the datapath denies when either identity's answer is
 * deny.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "policy_model_internal.h"

static int cerr(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int cerr(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- a set of identities (open addressing; 0 never stored) ---------------- */

struct idset {
	uint32_t *slots;
	size_t mask;            /* slots - 1 (a power of two) */
	size_t n;
	int error;
};

static int idset_init(struct idset *s, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	s->slots = calloc(cap, sizeof(*s->slots));
	s->mask = cap - 1;
	return s->slots ? 0 : -ENOMEM;
}

static bool idset_put(struct idset *s, uint32_t id)
{
	size_t i = (id * 2654435761u) & s->mask;

	while (s->slots[i]) {
		if (s->slots[i] == id)
			return false;
		i = (i + 1) & s->mask;
	}
	s->slots[i] = id;
	s->n++;
	return true;
}

/* Add id; false when it was there already (or no memory: -ENOMEM in
 * s->error, and the caller's result is discarded). */
static bool idset_add(struct idset *s, uint32_t id)
{
	if (2 * (s->n + 1) > s->mask + 1) {
		struct idset bigger = { .mask = 2 * s->mask + 1 };

		bigger.slots = calloc(bigger.mask + 1, sizeof(*bigger.slots));
		if (!bigger.slots) {
			s->error = -ENOMEM;
			return true;
		}
		for (size_t i = 0; i <= s->mask; i++)
			if (s->slots[i])
				idset_put(&bigger, s->slots[i]);
		free(s->slots);
		*s = bigger;
	}
	return idset_put(s, id);
}

/* The preferred number, or the next free one in min..max. */
static uint32_t idset_assign(struct idset *s, uint32_t id, uint32_t min,
			     uint32_t max)
{
	while (!idset_add(s, id) && !s->error)
		id = id == max ? min : id + 1;
	return id;
}

/* ---- the state of one compilation ----------------------------------------- */

struct label_id {
	const char *labels;             /* canonical */
	uint32_t id;
	struct pol_labelset *ls;
};

struct cidr_id {
	struct pol_prefix p;
	uint32_t id;
	char text[POLICY_LABELS_MAX];   /* "cidr:10.0.0.0/8" */
};

struct id_list {
	bool any;                       /* POLICY_ID_ANY */
	uint32_t *ids;                  /* sorted, unique */
	size_t n;
};

struct raw_entry {
	struct policy_key key;
	uint32_t rule_id;
	uint8_t deny;
	bool orig_deny;
};

struct compile {
	const struct pol_endpoint_in *eps;
	size_t n_eps;
	struct pol_doc *const *docs;
	size_t n_docs;
	char *err;
	size_t errlen;
	struct label_id *sets;          /* distinct label sets, sorted */
	size_t n_sets;
	size_t *ep_set;                 /* by endpoint: its index in sets */
	struct cidr_id *cidrs;          /* sorted by prefix */
	size_t n_cidrs;
	struct id_list **peers;         /* by document, by rule */
	struct raw_entry *raw;
	size_t n_raw, cap_raw;
};

static int label_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label_id *)a)->labels,
		      ((const struct label_id *)b)->labels);
}

static int prefix_cmp(const struct pol_prefix *a, const struct pol_prefix *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, 16);
	if (r)
		return r;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

static int cidr_id_cmp(const void *a, const void *b)
{
	return prefix_cmp(&((const struct cidr_id *)a)->p,
			  &((const struct cidr_id *)b)->p);
}

int pol_key_cmp(const struct policy_key *a, const struct policy_key *b)
{
#define KEY_FIELD(f) \
	if (a->f != b->f) \
		return a->f < b->f ? -1 : 1
	KEY_FIELD(ep_id);
	KEY_FIELD(dir);
	KEY_FIELD(identity);
	KEY_FIELD(proto);
	KEY_FIELD(plen);
	KEY_FIELD(port);
	KEY_FIELD(bank);
#undef KEY_FIELD
	return 0;
}

static int raw_cmp(const void *pa, const void *pb)
{
	const struct raw_entry *a = pa, *b = pb;
	int r = pol_key_cmp(&a->key, &b->key);

	if (r)
		return r;
	if (a->deny != b->deny)
		return a->deny ? -1 : 1; /* deny first: it wins */
	return (a->rule_id > b->rule_id) - (a->rule_id < b->rule_id);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* ---- identities ------------------------------------------------------------ */

static int label_sets(struct compile *k, struct idset *used)
{
	k->sets = calloc(k->n_eps + 1, sizeof(*k->sets));
	k->ep_set = calloc(k->n_eps + 1, sizeof(*k->ep_set));
	if (!k->sets || !k->ep_set)
		return -ENOMEM;
	for (size_t i = 0; i < k->n_eps; i++)
		k->sets[i].labels = k->eps[i].labels;
	qsort(k->sets, k->n_eps, sizeof(*k->sets), label_id_cmp);
	for (size_t i = 0; i < k->n_eps; i++) {
		if (k->n_sets && !strcmp(k->sets[k->n_sets - 1].labels,
					 k->sets[i].labels))
			continue;
		k->sets[k->n_sets++].labels = k->sets[i].labels;
	}
	for (size_t i = 0; i < k->n_sets; i++) {
		struct label_id *s = &k->sets[i];

		s->ls = malloc(sizeof(*s->ls));
		if (!s->ls)
			return -ENOMEM;
		if (pol_labelset_split(s->labels, s->ls))
			return cerr(k->err, k->errlen, -EINVAL,
				    "labels '%s' are not canonical", s->labels);
		s->id = idset_assign(used, pol_labels_identity(s->labels),
				     POLICY_ID_LABELS_MIN, POLICY_ID_LABELS_MAX);
	}
	if (used->error)
		return used->error;
	for (size_t i = 0; i < k->n_eps; i++) {
		struct label_id key = { .labels = k->eps[i].labels };
		struct label_id *s = bsearch(&key, k->sets, k->n_sets,
					     sizeof(*k->sets), label_id_cmp);

		k->ep_set[i] = (size_t)(s - k->sets);
	}
	return 0;
}

static bool addr_is_full_prefix(const struct pol_prefix *p, uint8_t family,
				const uint8_t *addr)
{
	return p->family == family &&
	       p->plen == (family == AF_INET ? 32 : 128) &&
	       !memcmp(p->addr, addr, family == AF_INET ? 4 : 16);
}

/* A rule prefix that is an endpoint's or the host's address: the
 * ipcache gives that address the endpoint's (host's) identity. */
static bool prefix_taken(const struct compile *k, const struct pol_prefix *p,
			 const struct ebpfnet_policy_addr *host, size_t n_host)
{
	for (size_t i = 0; i < k->n_eps; i++)
		for (uint32_t a = 0; a < k->eps[i].n_addrs; a++)
			if (addr_is_full_prefix(p, k->eps[i].addrs[a].family,
						k->eps[i].addrs[a].addr))
				return true;
	for (size_t i = 0; i < n_host; i++)
		if (addr_is_full_prefix(p, host[i].family, host[i].addr))
			return true;
	return false;
}

static int add_cidr(struct compile *k, const struct pol_prefix *p, size_t *cap)
{
	if (!p->plen)
		return 0; /* 0.0.0.0/0, ::/0: world */
	if (k->n_cidrs == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct cidr_id *c = realloc(k->cidrs, ncap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		k->cidrs = c;
		*cap = ncap;
	}
	memset(&k->cidrs[k->n_cidrs], 0, sizeof(k->cidrs[0]));
	k->cidrs[k->n_cidrs++].p = *p;
	return 0;
}

void pol_prefix_text(const struct pol_prefix *p, struct ebpfnet_sbuf *sb)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	ebpfnet__sbuf_printf(sb, "%s/%u", a, p->plen);
}

static int cidr_identities(struct compile *k, struct idset *used,
			   const struct ebpfnet_policy_addr *host, size_t n_host)
{
	size_t cap = 0, n = 0;
	int ret = 0;

	for (size_t d = 0; d < k->n_docs; d++) {
		const struct pol_doc *doc = k->docs[d];

		for (size_t r = 0; r < doc->n_rules; r++) {
			const struct pol_rule *rule = &doc->rules[r];

			for (size_t p = 0; p < rule->n_peers; p++) {
				const struct pol_peer *peer = &rule->peers[p];

				if (peer->kind != POL_PEER_CIDR)
					continue;
				ret = add_cidr(k, &peer->cidr, &cap);
				for (size_t e = 0; !ret && e < peer->n_except; e++)
					ret = add_cidr(k, &peer->except[e], &cap);
				if (ret)
					return ret;
			}
		}
	}
	if (k->n_cidrs)
		qsort(k->cidrs, k->n_cidrs, sizeof(*k->cidrs), cidr_id_cmp);
	for (size_t i = 0; i < k->n_cidrs; i++) {
		if ((n && !prefix_cmp(&k->cidrs[n - 1].p, &k->cidrs[i].p)) ||
		    prefix_taken(k, &k->cidrs[i].p, host, n_host))
			continue;
		k->cidrs[n++] = k->cidrs[i];
	}
	k->n_cidrs = n;
	for (size_t i = 0; i < n; i++) {
		struct cidr_id *c = &k->cidrs[i];
		struct ebpfnet_sbuf sb;


		ebpfnet__sbuf_init(&sb, c->text, sizeof(c->text));
		ebpfnet__sbuf_printf(&sb, "cidr:");
		pol_prefix_text(&c->p, &sb);
		c->id = idset_assign(used, pol_hash_fold(c->text, POLICY_ID_CIDR_MIN,
							 POLICY_ID_CIDR_MAX),
				     POLICY_ID_CIDR_MIN, POLICY_ID_CIDR_MAX);
	}
	return used->error;
}

/* ---- peers of a rule -------------------------------------------------------- */

bool pol_prefix_inside(const struct pol_prefix *inner,
		       const struct pol_prefix *outer)
{
	unsigned int full = outer->plen / 8, rest = outer->plen % 8;

	if (inner->family != outer->family || inner->plen < outer->plen)
		return false;
	if (memcmp(inner->addr, outer->addr, full))
		return false;
	return !rest || !((inner->addr[full] ^ outer->addr[full]) &
			  (uint8_t)(0xff << (8 - rest)));
}

static int list_add(struct id_list *l, size_t *cap, uint32_t id)
{
	if (l->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		uint32_t *ids = realloc(l->ids, ncap * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		l->ids = ids;
		*cap = ncap;
	}
	l->ids[l->n++] = id;
	return 0;
}

static int cidr_peer(const struct compile *k, const struct pol_peer *peer,
		     struct id_list *l, size_t *cap)
{
	int ret = 0;

	if (!peer->cidr.plen)
		ret = list_add(l, cap, POLICY_ID_WORLD);
	for (size_t i = 0; !ret && i < k->n_cidrs; i++) {
		const struct pol_prefix *p = &k->cidrs[i].p;
		bool excepted = false;

		if (!pol_prefix_inside(p, &peer->cidr))
			continue;
		for (size_t e = 0; e < peer->n_except && !excepted; e++)
			excepted = pol_prefix_inside(p, &peer->except[e]);
		if (!excepted)
			ret = list_add(l, cap, k->cidrs[i].id);
	}
	return ret;
}

static int entity_peer(const struct compile *k, enum pol_entity entity,
		       struct id_list *l, size_t *cap)
{
	int ret = 0;

	switch (entity) {
	case POL_ENTITY_ALL:
		l->any = true;
		break;
	case POL_ENTITY_HOST:
		ret = list_add(l, cap, POLICY_ID_HOST);
		break;
	case POL_ENTITY_WORLD: /* CIDR identities are outside the cluster too */
		ret = list_add(l, cap, POLICY_ID_WORLD);
		for (size_t i = 0; !ret && i < k->n_cidrs; i++)
			ret = list_add(l, cap, k->cidrs[i].id);
		break;
	case POL_ENTITY_CLUSTER:
		ret = list_add(l, cap, POLICY_ID_HOST);
		for (size_t i = 0; !ret && i < k->n_sets; i++)
			ret = list_add(l, cap, k->sets[i].id);
		break;
	}
	return ret;
}

static int rule_peers(const struct compile *k, const struct pol_rule *r,
		      struct id_list *l)
{
	size_t cap = 0;
	int ret = 0;

	l->any = r->any_peer;
	for (size_t p = 0; !ret && p < r->n_peers; p++) {
		const struct pol_peer *peer = &r->peers[p];

		if (peer->kind == POL_PEER_CIDR) {
			ret = cidr_peer(k, peer, l, &cap);
		} else if (peer->kind == POL_PEER_ENTITY) {
			ret = entity_peer(k, peer->entity, l, &cap);
		} else {
			for (size_t i = 0; !ret && i < k->n_sets; i++)
				if (pol_selector_matches(&peer->sel, k->sets[i].ls))
					ret = list_add(l, &cap, k->sets[i].id);
		}
	}
	if (ret || !l->n)
		return ret;
	qsort(l->ids, l->n, sizeof(*l->ids), u32_cmp);
	cap = 1;
	for (size_t i = 1; i < l->n; i++)
		if (l->ids[i] != l->ids[cap - 1])
			l->ids[cap++] = l->ids[i];
	l->n = cap;
	return 0;
}

static int all_rule_peers(struct compile *k)
{
	k->peers = calloc(k->n_docs + 1, sizeof(*k->peers));
	if (!k->peers)
		return -ENOMEM;
	for (size_t d = 0; d < k->n_docs; d++) {
		const struct pol_doc *doc = k->docs[d];

		k->peers[d] = calloc(doc->n_rules + 1, sizeof(*k->peers[d]));
		if (!k->peers[d])
			return -ENOMEM;
		for (size_t r = 0; r < doc->n_rules; r++) {
			int ret = rule_peers(k, &doc->rules[r], &k->peers[d][r]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- entries of one endpoint -------------------------------------------------- */

static int raw_add(struct compile *k, const struct raw_entry *e)
{
	if (k->n_raw == k->cap_raw) {
		size_t ncap = k->cap_raw ? 2 * k->cap_raw : 256;
		struct raw_entry *raw = realloc(k->raw, ncap * sizeof(*raw));

		if (!raw)
			return -ENOMEM;
		k->raw = raw;
		k->cap_raw = ncap;
	}
	k->raw[k->n_raw++] = *e;
	return 0;
}

static uint16_t port_mask(unsigned int plen)
{
	return plen ? (uint16_t)(0xffffu << (16 - plen)) : 0;
}

/* A port range as the fewest prefixes (80-83 -> 80/14). */
struct port_prefix {
	uint16_t port;
	uint8_t plen;
};

static size_t port_prefixes(uint16_t first, uint16_t last,
			    struct port_prefix *out)
{
	uint32_t lo = first, hi = last;
	size_t n = 0;

	if (!first && !last) {
		out[0] = (struct port_prefix){ 0, 0 };
		return 1;
	}
	while (lo <= hi) {
		unsigned int bits = 0;

		while (bits < 16 && !(lo & (1u << bits)) &&
		       lo + (2u << bits) - 1 <= hi)
			bits++;
		out[n++] = (struct port_prefix){ (uint16_t)lo, (uint8_t)(16 - bits) };
		lo += 1u << bits;
	}
	return n;
}

static int expand_port(struct compile *k, struct raw_entry *e,
		       const struct pol_port *port)
{
	static const uint8_t any[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	struct port_prefix pp[34];
	size_t n = port_prefixes(port->first, port->last, pp);

	for (size_t p = 0; p < 3; p++) {
		if (port->proto != POL_PROTO_ANY && p)
			break;
		e->key.proto = port->proto == POL_PROTO_ANY ? any[p] : port->proto;
		for (size_t i = 0; i < n; i++) {
			int ret;

			e->key.plen = pp[i].plen;
			e->key.port = pp[i].port;
			ret = raw_add(k, e);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int expand_rule(struct compile *k, uint32_t ep_id, const struct pol_rule *r,
		       uint32_t rule_id, const struct id_list *peers)
{
	size_t n_ids = peers->n + (peers->any ? 1 : 0);

	for (size_t i = 0; i < n_ids; i++) {
		struct raw_entry e = {
			.key = { .ep_id = ep_id, .dir = r->dir,
				 .identity = i < peers->n ? peers->ids[i] : POLICY_ID_ANY,
				 .plen = POLICY_PLEN_L3 },
			.rule_id = rule_id,
			.deny = r->deny,
			.orig_deny = r->deny,
		};
		int ret = 0;

		if (!r->n_ports)
			ret = raw_add(k, &e);
		for (size_t p = 0; !ret && p < r->n_ports; p++)
			ret = expand_port(k, &e, &r->ports[p]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether a spec of doc selects the labels: enforcement. */
static uint8_t doc_enforce(const struct pol_doc *doc, const struct pol_labelset *ls)
{
	uint8_t enforce = 0;

	for (size_t s = 0; s < doc->n_specs; s++) {
		const struct pol_spec *spec = &doc->specs[s];

		if (!pol_selector_matches(&spec->subject, ls))
			continue;
		if (spec->enforce[POLICY_DIR_INGRESS])
			enforce |= POLICY_ENFORCE_INGRESS;
		if (spec->enforce[POLICY_DIR_EGRESS])
			enforce |= POLICY_ENFORCE_EGRESS;
	}
	return enforce;
}

/* Every active rule selecting endpoint i, into k->raw; its enforcement. */
static int endpoint_rules(struct compile *k, size_t i, uint8_t *enforce)
{
	const struct pol_labelset *ls = k->sets[k->ep_set[i]].ls;

	*enforce = 0;
	k->n_raw = 0;
	for (size_t d = 0; d < k->n_docs; d++) {
		const struct pol_doc *doc = k->docs[d];
		uint32_t spec = UINT32_MAX;
		bool selected = false;

		*enforce |= doc_enforce(doc, ls);
		for (size_t r = 0; r < doc->n_rules; r++) {
			const struct pol_rule *rule = &doc->rules[r];
			int ret;

			if (rule->spec != spec) {
				spec = rule->spec;
				selected = pol_selector_matches(
					&doc->specs[spec].subject, ls);
			}
			if (!selected || !rule->active)
				continue;
			ret = expand_rule(k, k->eps[i].ep_id, rule,
					  doc->first_rule + (uint32_t)r,
					  &k->peers[d][r]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static const struct raw_entry *find_key(const struct raw_entry *v, size_t n,
					const struct policy_key *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = pol_key_cmp(&v[mid].key, key);

		if (!r)
			return &v[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The most specific deny (as written) of the same identity that covers
 * e, or NULL. */
static const struct raw_entry *covering_deny(const struct raw_entry *v, size_t n,
					     const struct raw_entry *e)
{
	struct policy_key key = e->key;
	const struct raw_entry *d;

	if (e->key.plen == POLICY_PLEN_L3)
		return NULL;
	for (int plen = e->key.plen - 1; plen >= 0; plen--) {
		key.plen = (uint8_t)plen;
		key.port = e->key.port & port_mask((unsigned int)plen);
		d = find_key(v, n, &key);
		if (d && d->orig_deny)
			return d;
	}
	key.proto = 0;
	key.plen = POLICY_PLEN_L3;
	key.port = 0;
	d = find_key(v, n, &key);
	return d && d->orig_deny ? d : NULL;
}

/* Sort, keep the winner of each key, write deny into covered allows. */
static size_t resolve(struct compile *k)
{
	size_t n = 0;

	if (!k->n_raw)
		return 0;
	qsort(k->raw, k->n_raw, sizeof(*k->raw), raw_cmp);
	for (size_t i = 0; i < k->n_raw; i++)
		if (!n || pol_key_cmp(&k->raw[n - 1].key, &k->raw[i].key))
			k->raw[n++] = k->raw[i];
	for (size_t i = 0; i < n; i++) {
		struct raw_entry *e = &k->raw[i];
		const struct raw_entry *d;

		if (e->orig_deny)
			continue;
		d = covering_deny(k->raw, n, e);
		if (d) {
			e->deny = 1;
			e->rule_id = d->rule_id;
		}
	}
	return n;
}

/* ---- output --------------------------------------------------------------------- */

static int append_entries(struct compile *k, struct pol_compiled *out,
			  size_t *cap, size_t n, size_t max_entries,
			  struct pol_endpoint_out *ep)
{
	if (out->n_entries + n > max_entries)
		return cerr(k->err, k->errlen, -ENOSPC,
			    "the policy needs more than %zu datapath entries (the policy map's size)",
			    max_entries);
	if (out->n_entries + n > *cap) {
		size_t ncap = *cap ? *cap : 1024;
		struct pol_entry_out *e;

		while (ncap < out->n_entries + n)
			ncap *= 2;
		e = realloc(out->entries, ncap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		out->entries = e;
		*cap = ncap;
	}
	ep->first_entry = out->n_entries;
	ep->n_entries = n;
	for (size_t i = 0; i < n; i++) {
		const struct raw_entry *r = &k->raw[i];
		struct pol_entry_out *e = &out->entries[out->n_entries++];

		memset(e, 0, sizeof(*e));
		e->key = r->key;
		e->value.rule_id = r->rule_id;
		e->value.deny = r->deny;
		ep->lens[r->key.dir][r->key.identity == POLICY_ID_ANY] |=
			1u << r->key.plen;
	}
	return 0;
}

static int compile_endpoints(struct compile *k, size_t max_entries,
			     struct pol_compiled *out)
{
	size_t cap = 0;

	out->endpoints = calloc(k->n_eps + 1, sizeof(*out->endpoints));
	if (!out->endpoints)
		return -ENOMEM;
	out->n_endpoints = k->n_eps;
	for (size_t i = 0; i < k->n_eps; i++) {
		struct pol_endpoint_out *ep = &out->endpoints[i];
		int ret = endpoint_rules(k, i, &ep->enforce);

		ep->ep_id = k->eps[i].ep_id;
		ep->identity = k->sets[k->ep_set[i]].id;
		if (!ret)
			ret = append_entries(k, out, &cap, resolve(k), max_entries, ep);
		if (ret)
			return ret;
	}
	return 0;
}

static int ipcache_cmp(const void *pa, const void *pb)
{
	const struct pol_ipcache_out *a = pa, *b = pb;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, 16);
	return r ? r : (a->prefixlen > b->prefixlen) - (a->prefixlen < b->prefixlen);
}

static void ipcache_put(struct pol_compiled *out, uint8_t family, uint8_t plen,
			const uint8_t *addr, uint32_t identity)
{
	struct pol_ipcache_out *c = &out->ipcache[out->n_ipcache++];

	memset(c, 0, sizeof(*c));
	c->family = family;
	c->prefixlen = plen;
	memcpy(c->addr, addr, family == AF_INET ? 4 : 16);
	c->identity = identity;
}

static int build_ipcache(struct compile *k, const struct ebpfnet_policy_addr *host,
			 size_t n_host, struct pol_compiled *out)
{
	static const uint8_t zero[16];
	size_t n = 2 + n_host + k->n_cidrs;
	size_t kept = 0;

	for (size_t i = 0; i < k->n_eps; i++)
		n += k->eps[i].n_addrs;
	out->ipcache = calloc(n, sizeof(*out->ipcache));
	if (!out->ipcache)
		return -ENOMEM;
	ipcache_put(out, AF_INET, 0, zero, POLICY_ID_WORLD);
	ipcache_put(out, AF_INET6, 0, zero, POLICY_ID_WORLD);
	for (size_t i = 0; i < k->n_eps; i++)
		for (uint32_t a = 0; a < k->eps[i].n_addrs; a++) {
			const struct ebpfnet_policy_addr *ad = &k->eps[i].addrs[a];

			ipcache_put(out, ad->family, ad->family == AF_INET ? 32 : 128,
				    ad->addr, k->sets[k->ep_set[i]].id);
		}
	for (size_t i = 0; i < n_host; i++)
		ipcache_put(out, host[i].family, host[i].family == AF_INET ? 32 : 128,
			    host[i].addr, POLICY_ID_HOST);
	for (size_t i = 0; i < k->n_cidrs; i++)
		ipcache_put(out, k->cidrs[i].p.family, k->cidrs[i].p.plen,
			    k->cidrs[i].p.addr, k->cidrs[i].id);
	qsort(out->ipcache, out->n_ipcache, sizeof(*out->ipcache), ipcache_cmp);
	for (size_t i = 0; i < out->n_ipcache; i++) {
		struct pol_ipcache_out *c = &out->ipcache[i];

		if (kept && !ipcache_cmp(&out->ipcache[kept - 1], c)) {
			char a[INET6_ADDRSTRLEN];

			if (out->ipcache[kept - 1].identity == c->identity &&
			    c->identity == POLICY_ID_HOST)
				continue; /* a host address given twice */
			inet_ntop(c->family, c->addr, a, sizeof(a));
			return cerr(k->err, k->errlen, -EINVAL,
				    "address %s belongs to two endpoints (or an endpoint and the host)",
				    a);
		}
		out->ipcache[kept++] = *c;
	}
	out->n_ipcache = kept;
	return 0;
}

static int identity_cmp(const void *a, const void *b)
{
	return u32_cmp(&((const struct pol_identity_out *)a)->identity,
		       &((const struct pol_identity_out *)b)->identity);
}

static void identity_put(struct pol_compiled *out, uint32_t id, const char *labels)
{
	struct pol_identity_out *i = &out->identities[out->n_identities++];

	i->identity = id;
	snprintf(i->labels, sizeof(i->labels), "%s", labels);
}

static int build_identities(struct compile *k, struct pol_compiled *out)
{
	out->identities = calloc(2 + k->n_sets + k->n_cidrs,
				 sizeof(*out->identities));
	if (!out->identities)
		return -ENOMEM;
	identity_put(out, POLICY_ID_HOST, "reserved:host");
	identity_put(out, POLICY_ID_WORLD, "reserved:world");
	for (size_t i = 0; i < k->n_sets; i++)
		identity_put(out, k->sets[i].id, k->sets[i].labels);
	for (size_t i = 0; i < k->n_cidrs; i++)
		identity_put(out, k->cidrs[i].id, k->cidrs[i].text);
	qsort(out->identities, out->n_identities, sizeof(*out->identities),
	      identity_cmp);
	return 0;
}

/* ---- the call ---------------------------------------------------------------------- */

static bool family_ok(uint8_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static int check_input(const struct compile *k,
		       const struct ebpfnet_policy_addr *host, size_t n_host,
		       size_t max_entries)
{
	for (size_t i = 0; i < k->n_eps; i++) {
		const struct pol_endpoint_in *ep = &k->eps[i];

		if (!ep->labels || !ep->ep_id || ep->ep_id > POLICY_MAX_ENDPOINTS ||
		    ep->n_addrs > POLICY_EP_MAX_ADDRS)
			return cerr(k->err, k->errlen, -EINVAL,
				    "endpoint %zu: no labels, ep_id out of 1..%d or too many addresses",
				    i, POLICY_MAX_ENDPOINTS);
		for (uint32_t a = 0; a < ep->n_addrs; a++)
			if (!family_ok(ep->addrs[a].family))
				return cerr(k->err, k->errlen, -EINVAL,
					    "endpoint %zu: address %u has no family",
					    i, a);
		for (size_t j = 0; j < i; j++)
			if (k->eps[j].ep_id == ep->ep_id)
				return cerr(k->err, k->errlen, -EINVAL,
					    "endpoints %zu and %zu have ep_id %u",
					    j, i, ep->ep_id);
	}
	for (size_t d = 0; d < k->n_docs; d++)
		if (!k->docs[d])
			return cerr(k->err, k->errlen, -EINVAL, "document %zu is NULL", d);
	for (size_t i = 0; i < n_host; i++)
		if (!family_ok(host[i].family))
			return cerr(k->err, k->errlen, -EINVAL,
				    "host address %zu has no family", i);
	if (!max_entries)
		return cerr(k->err, k->errlen, -EINVAL, "max_entries is 0");
	return 0;
}

static void compile_free(struct compile *k)
{
	for (size_t d = 0; k->peers && d < k->n_docs; d++) {
		for (size_t r = 0; k->peers[d] && r < k->docs[d]->n_rules; r++)
			free(k->peers[d][r].ids);
		free(k->peers[d]);
	}
	free(k->peers);
	for (size_t i = 0; i < k->n_sets; i++)
		free(k->sets[i].ls);
	free(k->sets);
	free(k->ep_set);
	free(k->cidrs);
	free(k->raw);
}

int pol_compile(const struct pol_endpoint_in *eps, size_t n_eps,
		struct pol_doc *const *docs, size_t n_docs,
		const struct ebpfnet_policy_addr *host_addrs, size_t n_host,
		size_t max_entries, struct pol_compiled *out,
		char *err, size_t errlen)
{
	struct compile k = { .eps = eps, .n_eps = n_eps, .docs = docs,
			     .n_docs = n_docs, .err = err, .errlen = errlen };
	struct idset used = { 0 };
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out || (n_eps && !eps) || (n_docs && !docs) || (n_host && !host_addrs) ||
	    (!err && errlen))
		return cerr(err, errlen, -EINVAL, "pol_compile: missing argument");
	memset(out, 0, sizeof(*out));
	ret = check_input(&k, host_addrs, n_host, max_entries);
	if (ret)
		return ret;
	ret = idset_init(&used, 64);
	if (!ret)
		ret = label_sets(&k, &used);
	if (!ret)
		ret = cidr_identities(&k, &used, host_addrs, n_host);
	if (!ret)
		ret = all_rule_peers(&k);
	if (!ret)
		ret = compile_endpoints(&k, max_entries, out);
	if (!ret)
		ret = build_ipcache(&k, host_addrs, n_host, out);
	if (!ret)
		ret = build_identities(&k, out);
	free(used.slots);
	compile_free(&k);
	if (ret == -ENOMEM)
		cerr(err, errlen, ret, "out of memory");
	if (ret)
		pol_compiled_free(out);
	return ret;
}

void pol_compiled_free(struct pol_compiled *c)
{
	if (!c)
		return;
	free(c->endpoints);
	free(c->entries);
	free(c->ipcache);
	free(c->identities);
	memset(c, 0, sizeof(*c));
}
