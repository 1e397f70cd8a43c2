/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The drop rule model (drop_table.c) against an in-memory simulation of
 * the drop maps. Two classifiers judge it: one reads only the simulated
 * maps and does what bpf/drop.bpf.c does (LPM classes, one masked lookup
 * per shape slot, the active signature bank); the other checks every rule
 * of the list directly. Random rule sets (fixed seeds) must make them
 * agree, after every add and delete and, for the packets' view, after
 * every single map write in between (each packet sees the old rule set or
 * the new one). Half the rules added overlap an existing one (same
 * fields, nested prefixes): every matching rule must still be found, each
 * in its own slot. Also: adoption (after deletions in every order),
 * -EEXIST/-ENOSPC, undo after a failure injected at every write, every
 * validation error, and the model's speed.
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include "rng.h"
#include "speed.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "drop_internal.h"
#include "internal.h"

#define L4_BITS (DROP_M_ICMP_TYPE | DROP_M_ICMP_CODE | DROP_M_SPORT | DROP_M_DPORT)

/* ---- the simulated maps ------------------------------------------------ */

#define SIM_LPM_MAX 1024
#define SIM_TUPLE_SLOTS (1u << 14)
#define SIM_MAX_RULES 128

struct sim_lpm {
	int family;
	uint8_t addr[16];
	uint8_t len;
	uint32_t class_id;
};

struct sim_tuple {
	bool used;
	struct drop_key key;
	struct drop_verdict verdict;
};

struct sim {
	struct sim_lpm lpm[SIM_LPM_MAX];
	uint32_t nlpm;
	struct sim_tuple tuples[SIM_TUPLE_SLOTS];
	uint32_t ntuples;
	uint32_t shapes[DROP_MAX_SHAPES];
	struct drop_sig_rule sigs[2 * DROP_MAX_SIG_RULES];
	uint32_t cfg[DROP_CFG_NR];
	struct drop_rule_record recs[SIM_MAX_RULES + 1];
	bool has_rec[SIM_MAX_RULES + 1];
};

/* What a test hooks into the simulation (not map state). */
struct sim_ctx {
	struct sim *sim;
	unsigned int calls;      /* every op */
	unsigned int fail_at;    /* the call that fails with -EIO (0: none) */
	unsigned int order_errors;
	char first_order_error[200];
	void (*after_write)(void *arg);
	void *arg;
	uint32_t last_reset;     /* last counters_reset id */
	/* a trace of the calls: kind letter + a value */
	char trace_kind[4096];
	uint32_t trace_val[4096];
	unsigned int ntrace;
};

static void order_error(struct sim_ctx *c, const char *what)
{
	if (!c->order_errors++)
		snprintf(c->first_order_error, sizeof(c->first_order_error),
			 "%s", what);
}

static size_t tkey_hash(const struct drop_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h & (SIM_TUPLE_SLOTS - 1);
}

static struct sim_tuple *tuple_find(const struct sim *s,
				    const struct drop_key *k)
{
	size_t i;

	for (i = tkey_hash(k);; i = (i + 1) & (SIM_TUPLE_SLOTS - 1)) {
		const struct sim_tuple *e = &s->tuples[i];

		if (!e->used || !memcmp(&e->key, k, sizeof(*k)))
			return (struct sim_tuple *)e;
	}
}

static bool prefix_match(const uint8_t *addr, const uint8_t *pfx,
			 unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len / 8; i++)
		if (addr[i] != pfx[i])
			return false;
	if (len % 8) {
		uint8_t m = (uint8_t)(0xff00 >> (len % 8));

		if ((addr[len / 8] & m) != (pfx[len / 8] & m))
			return false;
	}
	return true;
}

static uint32_t lpm_lookup(const struct sim *s, int family,
			   const uint8_t *addr)
{
	int best = -1;
	uint32_t cls = 0, i;

	for (i = 0; i < s->nlpm; i++) {
		const struct sim_lpm *e = &s->lpm[i];

		if (e->family == family && (int)e->len > best &&
		    prefix_match(addr, e->addr, e->len)) {
			best = e->len;
			cls = e->class_id;
		}
	}
	return cls;
}

static struct sim_lpm *lpm_find(struct sim *s, int family, const uint8_t *addr,
				uint8_t len)
{
	uint32_t i;
	unsigned int n = family == 4 ? 4 : 16;

	for (i = 0; i < s->nlpm; i++)
		if (s->lpm[i].family == family && s->lpm[i].len == len &&
		    !memcmp(s->lpm[i].addr, addr, n))
			return &s->lpm[i];
	return NULL;
}

static int sim_enter(struct sim_ctx *c, char kind, uint32_t val)
{
	c->calls++;
	if (c->ntrace < EBPFNET_ARRAY_SIZE(c->trace_kind)) {
		c->trace_kind[c->ntrace] = kind;
		c->trace_val[c->ntrace++] = val;
	}
	return c->fail_at && c->calls == c->fail_at ? -EIO : 0;
}

static int sim_done(struct sim_ctx *c, int err)
{
	if (!err && c->after_write)
		c->after_write(c->arg);
	return err;
}

static int sim_lpm_update(void *ctx, int family, const uint8_t *addr,
			  uint8_t len, uint32_t class_id)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	struct sim_lpm *e;
	int err = sim_enter(c, 'L', class_id);

	if (err)
		return err;
	if ((family != 4 && family != 6) || !class_id)
		return -EINVAL;
	e = lpm_find(s, family, addr, len);
	if (!e) {
		if (s->nlpm == SIM_LPM_MAX)
			return -E2BIG;
		e = &s->lpm[s->nlpm++];
		memset(e, 0, sizeof(*e));
		e->family = family;
		memcpy(e->addr, addr, family == 4 ? 4 : 16);
		e->len = len;
	}
	e->class_id = class_id;
	return sim_done(c, 0);
}

static int sim_lpm_delete(void *ctx, int family, const uint8_t *addr,
			  uint8_t len)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	struct sim_lpm *e;
	int err = sim_enter(c, 'l', len);

	if (err)
		return err;
	e = lpm_find(s, family, addr, len);
	if (!e)
		return -ENOENT;
	*e = s->lpm[--s->nlpm];
	return sim_done(c, 0);
}

static int sim_tuple_update(void *ctx, const struct drop_key *key,
			    const struct drop_verdict *v)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	struct sim_tuple *e;
	int err = sim_enter(c, 'T', v->rule_id);

	if (err)
		return err;
	if (v->rule_id > SIM_MAX_RULES || !s->has_rec[v->rule_id])
		order_error(c, "tuple entry of a rule without a record");
	if (key->shape >= DROP_MAX_SHAPES || !s->shapes[key->shape] ||
	    key->shape >= s->cfg[DROP_CFG_NSHAPES])
		order_error(c, "tuple entry of a shape not in use");
	e = tuple_find(s, key);
	if (!e->used) {
		if (s->ntuples >= SIM_TUPLE_SLOTS * 3 / 4)
			return -E2BIG;
		s->ntuples++;
		e->used = true;
		e->key = *key;
	}
	e->verdict = *v;
	return sim_done(c, 0);
}

static int sim_tuple_delete(void *ctx, const struct drop_key *key)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	struct sim_tuple *e;
	size_t i, j, mask = SIM_TUPLE_SLOTS - 1;
	int err = sim_enter(c, 't', key->shape);

	if (err)
		return err;
	e = tuple_find(s, key);
	if (!e->used)
		return -ENOENT;
	s->ntuples--;
	i = (size_t)(e - s->tuples);
	for (j = (i + 1) & mask; s->tuples[j].used; j = (j + 1) & mask) {
		size_t h = tkey_hash(&s->tuples[j].key);
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);

		if (!stays) {
			s->tuples[i] = s->tuples[j];
			i = j;
		}
	}
	memset(&s->tuples[i], 0, sizeof(s->tuples[i]));
	return sim_done(c, 0);
}

static int sim_shape_set(void *ctx, uint32_t index, uint32_t match)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	int err = sim_enter(c, 'S', index);
	size_t i;

	if (err)
		return err;
	if (index >= DROP_MAX_SHAPES)
		return -EINVAL;
	if (!match)
		for (i = 0; i < SIM_TUPLE_SLOTS; i++)
			if (s->tuples[i].used && s->tuples[i].key.shape == index)
				order_error(c, "shape cleared with entries left");
	s->shapes[index] = match;
	return sim_done(c, 0);
}

static int sim_sig_write(void *ctx, uint32_t slot,
			 const struct drop_sig_rule *rule)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	int err = sim_enter(c, 'G', slot);

	if (err)
		return err;
	if (slot >= 2 * DROP_MAX_SIG_RULES)
		return -EINVAL;
	if (slot / DROP_MAX_SIG_RULES == s->cfg[DROP_CFG_SIG_BANK])
		order_error(c, "write to the active signature bank");
	s->sigs[slot] = *rule;
	return sim_done(c, 0);
}

static int sim_cfg_set(void *ctx, enum drop_cfg knob, uint32_t value)
{
	struct sim_ctx *c = ctx;
	int err = sim_enter(c, 'C', knob);

	if (err)
		return err;
	if ((unsigned int)knob >= DROP_CFG_NR)
		return -EINVAL;
	c->sim->cfg[knob] = value;
	return sim_done(c, 0);
}

static int sim_counters_reset(void *ctx, uint32_t id)
{
	struct sim_ctx *c = ctx;
	int err = sim_enter(c, 'Z', id);

	if (err)
		return err;
	c->last_reset = id;
	return sim_done(c, 0);
}

static int sim_record_store(void *ctx, const struct drop_rule_record *rec)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	int err = sim_enter(c, 'R', rec->id);

	if (err)
		return err;
	if (!rec->id || rec->id > SIM_MAX_RULES)
		return -E2BIG;
	if (c->last_reset != rec->id && !s->has_rec[rec->id])
		order_error(c, "record stored before its counters were reset");
	s->recs[rec->id] = *rec;
	s->has_rec[rec->id] = true;
	return sim_done(c, 0);
}

static int sim_record_delete(void *ctx, uint32_t id)
{
	struct sim_ctx *c = ctx;
	struct sim *s = c->sim;
	int err = sim_enter(c, 'r', id);
	size_t i;

	if (err)
		return err;
	if (!id || id > SIM_MAX_RULES || !s->has_rec[id])
		return -ENOENT;
	for (i = 0; i < SIM_TUPLE_SLOTS; i++)
		if (s->tuples[i].used && s->tuples[i].verdict.rule_id == id)
			order_error(c, "record deleted with tuple entries left");
	for (i = 0; i < DROP_MAX_SIG_RULES; i++)
		if (s->sigs[s->cfg[DROP_CFG_SIG_BANK] * DROP_MAX_SIG_RULES + i]
			    .rule_id == id &&
		    i < s->cfg[DROP_CFG_NSIGS])
			order_error(c, "record deleted with its signature active");
	s->has_rec[id] = false;
	memset(&s->recs[id], 0, sizeof(s->recs[id]));
	return sim_done(c, 0);
}

static struct drop_map_ops sim_ops(struct sim_ctx *c)
{
	return (struct drop_map_ops){
		.ctx = c,
		.lpm_update = sim_lpm_update,
		.lpm_delete = sim_lpm_delete,
		.tuple_update = sim_tuple_update,
		.tuple_delete = sim_tuple_delete,
		.shape_set = sim_shape_set,
		.sig_write = sim_sig_write,
		.cfg_set = sim_cfg_set,
		.counters_reset = sim_counters_reset,
		.record_store = sim_record_store,
		.record_delete = sim_record_delete,
	};
}

static int lpm_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sim_lpm));
}

/* Same visible state (the inactive signature bank too when `exact`). */
static bool sim_equal(struct sim *a, struct sim *b, bool exact)
{
	uint32_t i, bank = a->cfg[DROP_CFG_SIG_BANK];

	if (a->nlpm != b->nlpm || a->ntuples != b->ntuples ||
	    memcmp(a->shapes, b->shapes, sizeof(a->shapes)) ||
	    memcmp(a->cfg, b->cfg, sizeof(a->cfg)) ||
	    memcmp(a->has_rec, b->has_rec, sizeof(a->has_rec)) ||
	    memcmp(a->recs, b->recs, sizeof(a->recs)))
		return false;
	if (exact ? memcmp(a->sigs, b->sigs, sizeof(a->sigs)) :
		    memcmp(&a->sigs[bank * DROP_MAX_SIG_RULES],
			   &b->sigs[bank * DROP_MAX_SIG_RULES],
			   DROP_MAX_SIG_RULES * sizeof(a->sigs[0])))
		return false;
	qsort(a->lpm, a->nlpm, sizeof(a->lpm[0]), lpm_cmp);
	qsort(b->lpm, b->nlpm, sizeof(b->lpm[0]), lpm_cmp);
	if (memcmp(a->lpm, b->lpm, a->nlpm * sizeof(a->lpm[0])))
		return false;
	for (i = 0; i < SIM_TUPLE_SLOTS; i++) {
		const struct sim_tuple *e = &a->tuples[i], *f;

		if (!e->used)
			continue;
		f = tuple_find(b, &e->key);
		if (!f->used || memcmp(&e->verdict, &f->verdict, sizeof(e->verdict)))
			return false;
	}
	return true;
}

/* ---- packets and the two classifiers ----------------------------------- */

struct tpkt {
	uint8_t family;   /* 4 or 6 */
	uint8_t proto;
	bool l4_ok;
	uint8_t icmp_type, icmp_code;
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	uint8_t data[128]; /* from the L3 header */
	uint16_t len;
	uint16_t l4_off;
};

#define VERDICT_NONE 0
#define VERDICT_DROP 1
#define VERDICT_PASS 2

struct matches {
	uint64_t ids[(SIM_MAX_RULES + 64) / 64];
	int verdict;
};

static void match_add(struct matches *m, uint32_t id, uint32_t action)
{
	m->ids[id / 64] |= 1ull << (id % 64);
	if (action == DROP_ACT_PASS)
		m->verdict = VERDICT_PASS;
	else if (action == DROP_ACT_DROP && m->verdict != VERDICT_PASS)
		m->verdict = VERDICT_DROP;
}

static bool matches_equal(const struct matches *a, const struct matches *b)
{
	return a->verdict == b->verdict && !memcmp(a->ids, b->ids, sizeof(a->ids));
}

static bool sig_bytes_match(const struct tpkt *p, unsigned int base,
			    unsigned int off, unsigned int len,
			    const uint8_t *value, const uint8_t *mask)
{
	unsigned int start, i;

	if (base == EBPFNET_DROP_SIG_L4 && !p->l4_ok)
		return false;
	start = (base == EBPFNET_DROP_SIG_L4 ? p->l4_off : 0) + off;
	if (start + len > p->len)
		return false;
	for (i = 0; i < len; i++)
		if ((p->data[start + i] & mask[i]) != value[i])
			return false;
	return true;
}

static bool sig_rule_matches(const struct drop_sig_rule *r,
			     const struct tpkt *p)
{
	if ((r->match & L4_BITS) && !p->l4_ok)
		return false;
	if ((r->match & DROP_M_FAMILY) && p->family != r->family)
		return false;
	if ((r->match & DROP_M_PROTO) && p->proto != r->proto)
		return false;
	if ((r->match & DROP_M_ICMP_TYPE) && p->icmp_type != r->icmp_type)
		return false;
	if ((r->match & DROP_M_ICMP_CODE) && p->icmp_code != r->icmp_code)
		return false;
	if ((r->match & DROP_M_SPORT) && htons(p->sport) != r->sport)
		return false;
	if ((r->match & DROP_M_DPORT) && htons(p->dport) != r->dport)
		return false;
	if ((r->match & DROP_M_SRC) &&
	    !prefix_match(p->saddr, (const uint8_t *)r->src, r->src_len))
		return false;
	if ((r->match & DROP_M_DST) &&
	    !prefix_match(p->daddr, (const uint8_t *)r->dst, r->dst_len))
		return false;
	return sig_bytes_match(p, r->sig_base, r->sig_offset, r->sig_len,
			       r->value, r->mask);
}

/* What bpf/drop.bpf.c does, reading the simulated maps only. */
static void classify_maps(const struct sim *s, const struct tpkt *p,
			  struct matches *m)
{
	uint32_t sc = lpm_lookup(s, p->family, p->saddr);
	uint32_t dc = lpm_lookup(s, p->family, p->daddr);
	uint32_t i, bank = s->cfg[DROP_CFG_SIG_BANK];

	memset(m, 0, sizeof(*m));
	for (i = 0; i < s->cfg[DROP_CFG_NSHAPES] && i < DROP_MAX_SHAPES; i++) {
		uint32_t bits = s->shapes[i];
		const struct sim_tuple *e;
		struct drop_key k;

		if (!bits || ((bits & L4_BITS) && !p->l4_ok))
			continue;
		memset(&k, 0, sizeof(k));
		k.shape = i;
		k.src_class = bits & DROP_M_SRC ? sc : 0;
		k.dst_class = bits & DROP_M_DST ? dc : 0;
		k.sport = bits & DROP_M_SPORT ? htons(p->sport) : 0;
		k.dport = bits & DROP_M_DPORT ? htons(p->dport) : 0;
		k.family = bits & DROP_M_FAMILY ? p->family : 0;
		k.proto = bits & DROP_M_PROTO ? p->proto : 0;
		k.icmp_type = bits & DROP_M_ICMP_TYPE ? p->icmp_type : 0;
		k.icmp_code = bits & DROP_M_ICMP_CODE ? p->icmp_code : 0;
		e = tuple_find(s, &k);
		if (e->used)
			match_add(m, e->verdict.rule_id, e->verdict.action);
	}
	for (i = 0; i < s->cfg[DROP_CFG_NSIGS] && i < DROP_MAX_SIG_RULES; i++) {
		const struct drop_sig_rule *r = &s->sigs[bank * DROP_MAX_SIG_RULES + i];

		if (r->rule_id && sig_rule_matches(r, p))
			match_add(m, r->rule_id, r->action);
	}
}

static uint8_t pkt_family(uint8_t af)
{
	return af == AF_INET ? 4 : 6;
}

static uint8_t rec_af(const struct drop_rule_record *r)
{
	if (r->match & DROP_M_FAMILY)
		return r->family;
	if (r->match & DROP_M_SRC)
		return r->src_family;
	if (r->match & DROP_M_DST)
		return r->dst_family;
	return 0;
}

/* Every field the rule sets, checked directly. */
static bool rule_matches(const struct drop_rule_record *r, const struct tpkt *p)
{
	uint32_t m = r->match;

	if ((m & L4_BITS) && !p->l4_ok)
		return false;
	if (rec_af(r) && pkt_family(rec_af(r)) != p->family)
		return false;
	if ((m & DROP_M_PROTO) && p->proto != r->proto)
		return false;
	if ((m & DROP_M_ICMP_TYPE) && p->icmp_type != r->icmp_type)
		return false;
	if ((m & DROP_M_ICMP_CODE) && p->icmp_code != r->icmp_code)
		return false;
	if ((m & DROP_M_SPORT) && p->sport != r->sport)
		return false;
	if ((m & DROP_M_DPORT) && p->dport != r->dport)
		return false;
	if ((m & DROP_M_SRC) && !prefix_match(p->saddr, r->src, r->src_len))
		return false;
	if ((m & DROP_M_DST) && !prefix_match(p->daddr, r->dst, r->dst_len))
		return false;
	if ((m & DROP_M_SIG) &&
	    !sig_bytes_match(p, r->sig_base, r->sig_offset, r->sig_len,
			     r->sig_value, r->sig_mask))
		return false;
	return true;
}

/* The public contract, rule by rule: a rule matches when every field it
 * sets matches; every matching rule is counted; a pass match beats any
 * drop match; count rules only count. */
static void classify_rules(struct drop_rule_record *const *rules,
			   const struct tpkt *p, struct matches *m)
{
	uint32_t id;

	memset(m, 0, sizeof(*m));
	for (id = 1; id <= SIM_MAX_RULES; id++)
		if (rules[id] && rule_matches(rules[id], p))
			match_add(m, id, rules[id]->action);
}

/* ---- random prefixes, rules and packets ------------------------------- */

struct tprefix {
	uint8_t af, len;
	uint8_t addr[16];
};

static const char *const pool_text[] = {
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32",
	"10.1.3.0/24", "10.2.0.0/16", "192.168.0.0/16", "192.168.1.0/24",
	"172.16.0.0/12", "0.0.0.0/0", "2001:db8::/32", "2001:db8:1::/48",
	"2001:db8:1:2::/64", "2001:db8:1:2::1/128", "2001:db8:2::/48",
	"fd00::/8", "::/0",
};

static struct tprefix pool[64];
static unsigned int npool;

static void mask_to(uint8_t *addr, unsigned int len)
{
	unsigned int i;

	for (i = len; i < 128; i++)
		addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static struct tprefix parse_prefix(const char *text)
{
	struct tprefix p;
	char buf[64], *slash;

	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	*slash = '\0';
	p.len = (uint8_t)atoi(slash + 1);
	p.af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(p.af, buf, p.addr), 1);
	return p;
}

/* The fixed pool, and random prefixes nested inside it. */
static void make_pool(void)
{
	unsigned int i, bits;

	npool = 0;
	for (i = 0; i < EBPFNET_ARRAY_SIZE(pool_text); i++)
		pool[npool++] = parse_prefix(pool_text[i]);
	while (npool < 30) {
		struct tprefix p = pool[rnd_below(EBPFNET_ARRAY_SIZE(pool_text))];

		bits = p.af == AF_INET ? 32 : 128;
		if (p.len < 8 || p.len >= bits)
			continue;
		p.len = (uint8_t)(p.len + 1 + rnd_below(bits - p.len));
		for (i = 0; i < 16; i++)
			p.addr[i] |= (uint8_t)rnd();
		if (p.af == AF_INET)
			memset(p.addr + 4, 0, 12);
		mask_to(p.addr, p.len);
		pool[npool++] = p;
	}
}

static const struct tprefix *pool_pick(uint8_t af)
{
	for (;;) {
		const struct tprefix *p = &pool[rnd_below(npool)];

		if (p->af == af && (p->len || !rnd_below(4)))
			return p;
	}
}

static void set_prefix(struct ebpfnet_drop_prefix *out, const struct tprefix *p)
{
	out->family = p->af;
	out->len = p->len;
	memcpy(out->addr, p->addr, 16);
}

static void random_rule(struct ebpfnet_drop_rule *r, bool allow_sig)
{
	static const uint8_t l4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	uint8_t af = rnd_below(2) ? AF_INET : AF_INET6;
	uint8_t icmp = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	r->action = (enum ebpfnet_drop_action)rnd_below(3);
	if (!rnd_below(3)) {
		r->match |= EBPFNET_DROP_MATCH_FAMILY;
		r->family = af;
	}
	if (rnd_below(2)) {
		r->match |= EBPFNET_DROP_MATCH_SRC;
		set_prefix(&r->src, pool_pick(af));
	}
	if (rnd_below(2)) {
		r->match |= EBPFNET_DROP_MATCH_DST;
		set_prefix(&r->dst, pool_pick(af));
	}
	switch (rnd_below(4)) {
	case 0:
		break;
	case 1:
		r->match |= EBPFNET_DROP_MATCH_PROTO;
		r->proto = icmp;
		if (rnd_below(2)) {
			r->match |= EBPFNET_DROP_MATCH_ICMP_TYPE;
			r->icmp_type = (uint8_t)(rnd_below(2) ? 8 : 0);
		}
		if (!rnd_below(3)) {
			r->match |= EBPFNET_DROP_MATCH_ICMP_CODE;
			r->icmp_code = (uint8_t)rnd_below(2);
		}
		break;
	default:
		r->match |= EBPFNET_DROP_MATCH_PROTO;
		r->proto = l4[rnd_below(3)];
		if (!rnd_below(3)) {
			r->match |= EBPFNET_DROP_MATCH_SPORT;
			r->sport = rnd_below(2) ? 53 : 80;
		}
		if (rnd_below(2)) {
			r->match |= EBPFNET_DROP_MATCH_DPORT;
			r->dport = rnd_below(2) ? 53 : 443;
		}
		break;
	}
	if (allow_sig && !rnd_below(6)) {
		unsigned int i;

		r->match |= EBPFNET_DROP_MATCH_SIG;
		r->sig_base = (enum ebpfnet_drop_sig_base)rnd_below(2);
		r->sig_offset = (uint16_t)rnd_below(24);
		r->sig_len = (uint8_t)(1 + rnd_below(4));
		for (i = 0; i < r->sig_len; i++) {
			r->sig_mask[i] = (uint8_t)(rnd() | (i == 0));
			r->sig_value[i] = (uint8_t)rnd() & r->sig_mask[i];
		}
	}
	if (!r->match) {
		r->match = EBPFNET_DROP_MATCH_PROTO;
		r->proto = IPPROTO_UDP;
	}
}

static void random_addr(uint8_t *addr, uint8_t af, const struct drop_rule_record *r,
			bool src)
{
	bool use_rule = r && (r->match & (src ? DROP_M_SRC : DROP_M_DST)) &&
			rnd_below(5);
	const struct tprefix *p;
	struct tprefix rp;
	unsigned int i, len, bits = af == AF_INET ? 32 : 128;

	if (use_rule) {
		rp.af = af;
		rp.len = src ? r->src_len : r->dst_len;
		memcpy(rp.addr, src ? r->src : r->dst, 16);
		p = &rp;
	} else {
		p = pool_pick(af);
	}
	len = p->len;
	for (i = 0; i < 16; i++)
		addr[i] = (uint8_t)rnd();
	/* a host right at the prefix, or a random one in it */
	if (!rnd_below(3))
		memset(addr, 0, 16);
	for (i = 0; i < len; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		addr[i / 8] = (uint8_t)((addr[i / 8] & ~bit) | (p->addr[i / 8] & bit));
	}
	for (i = bits; i < 128; i++)
		addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* A packet near rule r (NULL: anywhere), one field mutated at times. */
static void random_packet(struct tpkt *p, const struct drop_rule_record *r)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP,
					  IPPROTO_ICMP, IPPROTO_ICMPV6, 47 };
	uint8_t af = r && rec_af(r) ? rec_af(r) : (rnd_below(2) ? AF_INET : AF_INET6);
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->family = pkt_family(af);
	random_addr(p->saddr, af, r, true);
	random_addr(p->daddr, af, r, false);
	p->proto = r && (r->match & DROP_M_PROTO) && rnd_below(6) ?
			   r->proto : protos[rnd_below(EBPFNET_ARRAY_SIZE(protos))];
	p->l4_ok = rnd_below(10) != 0;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		p->icmp_type = r && (r->match & DROP_M_ICMP_TYPE) && rnd_below(4) ?
				       r->icmp_type : (uint8_t)(rnd_below(2) ? 8 : 0);
		p->icmp_code = r && (r->match & DROP_M_ICMP_CODE) && rnd_below(4) ?
				       r->icmp_code : (uint8_t)rnd_below(2);
	}
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP ||
	    p->proto == IPPROTO_SCTP) {
		p->sport = r && (r->match & DROP_M_SPORT) && rnd_below(4) ?
				   r->sport : (uint16_t)(rnd_below(2) ? 53 : 80);
		p->dport = r && (r->match & DROP_M_DPORT) && rnd_below(4) ?
				   r->dport : (uint16_t)(rnd_below(2) ? 53 : 443);
	}
	p->l4_off = p->family == 4 ? 20 : 40;
	p->len = (uint16_t)(p->l4_off + rnd_below(sizeof(p->data) - p->l4_off + 1));
	for (i = 0; i < p->len; i++)
		p->data[i] = (uint8_t)rnd();
	if (r && (r->match & DROP_M_SIG) && rnd_below(4)) {
		unsigned int start = (r->sig_base ? p->l4_off : 0) + r->sig_offset;

		for (i = 0; i < r->sig_len && start + i < sizeof(p->data); i++)
			p->data[start + i] = (uint8_t)((p->data[start + i] &
							~r->sig_mask[i]) |
						       r->sig_value[i]);
		if (start + r->sig_len > p->len && start + r->sig_len <= sizeof(p->data))
			p->len = (uint16_t)(start + r->sig_len);
	}
}

/* ---- the harness: a table, its simulated maps, the expected rules -------- */

#define NPKT 120

struct world {
	struct drop_table *t;
	struct sim *sim;
	struct sim_ctx ctx;
	struct drop_map_ops ops;
	struct drop_rule_record *rules[SIM_MAX_RULES + 1]; /* the expected list */
	struct tpkt pkts[NPKT];
	struct matches before[NPKT], after[NPKT];
	unsigned int write_checks;
	unsigned int adds, overlapping; /* rules added; overlapping another */
};

static void world_init(struct world *w, uint32_t max_rules)
{
	memset(w, 0, sizeof(*w));
	w->sim = calloc(1, sizeof(*w->sim));
	ck_assert_ptr_nonnull(w->sim);
	w->t = drop_table_new(max_rules);
	ck_assert_ptr_nonnull(w->t);
	w->ctx.sim = w->sim;
	w->ops = sim_ops(&w->ctx);
}

static void world_free(struct world *w)
{
	uint32_t id;

	drop_table_free(w->t);
	free(w->sim);
	for (id = 0; id <= SIM_MAX_RULES; id++)
		free(w->rules[id]);
}

static void new_packets(struct world *w, const struct drop_rule_record *extra)
{
	const struct drop_rule_record *near[SIM_MAX_RULES + 2];
	uint32_t id, n = 0, i;

	for (id = 1; id <= SIM_MAX_RULES; id++)
		if (w->rules[id])
			near[n++] = w->rules[id];
	if (extra)
		near[n++] = extra;
	for (i = 0; i < NPKT; i++)
		random_packet(&w->pkts[i],
			      n && rnd_below(4) ? near[rnd_below(n)] : NULL);
}

/* After every map write: each packet sees the old rule set or the new. */
static void check_between_writes(void *arg)
{
	struct world *w = arg;
	struct matches m;
	unsigned int i;

	w->write_checks++;
	for (i = 0; i < NPKT; i++) {
		classify_maps(w->sim, &w->pkts[i], &m);
		if (!matches_equal(&m, &w->before[i]) &&
		    !matches_equal(&m, &w->after[i]))
			order_error(&w->ctx, "a packet saw neither the old nor the new rule set");
	}
}

static void expect_all(struct world *w, struct matches *out)
{
	unsigned int i;

	for (i = 0; i < NPKT; i++)
		classify_rules(w->rules, &w->pkts[i], &out[i]);
}

static void check_agree(struct world *w)
{
	struct matches want, got;
	unsigned int i;

	for (i = 0; i < NPKT; i++) {
		classify_rules(w->rules, &w->pkts[i], &want);
		classify_maps(w->sim, &w->pkts[i], &got);
		ck_assert_msg(matches_equal(&want, &got),
			      "packet %u: the maps disagree with the rule list (verdict %d vs %d)",
			      i, got.verdict, want.verdict);
	}
}

static uint32_t effective_shape(const struct drop_rule_record *r)
{
	uint32_t bits = r->match;

	if (bits & (DROP_M_SRC | DROP_M_DST))
		bits |= DROP_M_FAMILY;
	return bits;
}

static bool same_match(const struct drop_rule_record *a,
		       const struct drop_rule_record *b)
{
	struct drop_rule_record x = *a, y = *b;

	if (effective_shape(a) != effective_shape(b) || rec_af(a) != rec_af(b))
		return false;
	x.id = y.id = x.action = y.action = 0;
	x.family = y.family = 0;
	x.match = y.match = 0;
	return !memcmp(&x, &y, sizeof(x));
}

static bool prefixes_nest(const uint8_t *a, unsigned int alen,
			  const uint8_t *b, unsigned int blen)
{
	return prefix_match(a, b, alen < blen ? alen : blen);
}

/* Two tuple rules that differ only in their prefixes, which nest on each
 * side: a packet can match both through one tuple key. */
static bool overlap(const struct drop_rule_record *a,
		    const struct drop_rule_record *b)
{
	struct drop_rule_record x = *a, y = *b;

	if (((a->match | b->match) & DROP_M_SIG) ||
	    effective_shape(a) != effective_shape(b) || rec_af(a) != rec_af(b))
		return false;
	if ((a->match & DROP_M_SRC) &&
	    !prefixes_nest(a->src, a->src_len, b->src, b->src_len))
		return false;
	if ((a->match & DROP_M_DST) &&
	    !prefixes_nest(a->dst, a->dst_len, b->dst, b->dst_len))
		return false;
	x.id = y.id = x.action = y.action = 0;
	x.family = y.family = 0;
	x.match = y.match = 0;
	x.src_len = y.src_len = x.dst_len = y.dst_len = 0;
	memset(x.src, 0, 16);
	memset(y.src, 0, 16);
	memset(x.dst, 0, 16);
	memset(y.dst, 0, 16);
	return !memcmp(&x, &y, sizeof(x));
}

/* Where each tuple rule sits (-1: nowhere), read from its entries in the
 * simulated maps. */
static void sim_rule_slots(const struct sim *s, int slot[SIM_MAX_RULES + 1])
{
	uint32_t i;

	for (i = 0; i <= SIM_MAX_RULES; i++)
		slot[i] = -1;
	for (i = 0; i < SIM_TUPLE_SLOTS; i++)
		if (s->tuples[i].used && s->tuples[i].verdict.rule_id <= SIM_MAX_RULES)
			slot[s->tuples[i].verdict.rule_id] = (int)s->tuples[i].key.shape;
}

/* Every tuple rule has its entries in one slot of its bits, and no two
 * overlapping rules share a slot. */
static void check_placement(struct world *w)
{
	int slot[SIM_MAX_RULES + 1];
	uint32_t i, j;

	sim_rule_slots(w->sim, slot);
	for (i = 1; i <= SIM_MAX_RULES; i++) {
		const struct drop_rule_record *r = w->rules[i];

		if (!r || (r->match & DROP_M_SIG))
			continue;
		ck_assert_int_ge(slot[i], 0);
		ck_assert_uint_eq(w->sim->shapes[slot[i]], effective_shape(r));
		for (j = 1; j < i; j++)
			ck_assert_msg(!w->rules[j] || !overlap(r, w->rules[j]) ||
				      slot[i] != slot[j],
				      "rules %u and %u overlap in slot %d", j, i, slot[i]);
	}
}

static bool overlaps_any(const struct world *w, uint32_t id)
{
	uint32_t i;

	for (i = 1; i <= SIM_MAX_RULES; i++)
		if (i != id && w->rules[i] && overlap(w->rules[i], w->rules[id]))
			return true;
	return false;
}

/* What adding rec must return, from the expected list and where the maps
 * hold its rules; *slot: where a tuple rule must go (the lowest slot of
 * its bits where no rule overlaps it, else the lowest free one). */
static int expected_add(struct world *w, const struct drop_rule_record *rec,
			int *slot)
{
	uint32_t id, i, nsigs = 0, n = 0, busy = 0, bits = effective_shape(rec);
	int where[SIM_MAX_RULES + 1];
	bool dup = false;

	sim_rule_slots(w->sim, where);
	for (id = 1; id <= SIM_MAX_RULES; id++) {
		const struct drop_rule_record *r = w->rules[id];

		if (!r)
			continue;
		n++;
		dup |= same_match(r, rec);
		nsigs += (r->match & DROP_M_SIG) != 0;
		if (overlap(r, rec))
			busy |= 1u << where[id];
	}
	*slot = -1;
	if (n >= drop_table_max_rules(w->t))
		return -ENOSPC;
	if (rec->match & DROP_M_SIG)
		return nsigs >= DROP_MAX_SIG_RULES ? -ENOSPC : dup ? -EEXIST : 0;
	if (dup)
		return -EEXIST;
	for (i = 0; i < DROP_MAX_SHAPES && *slot < 0; i++)
		if (w->sim->shapes[i] == bits && !(busy & (1u << i)))
			*slot = (int)i;
	for (i = 0; i < DROP_MAX_SHAPES && *slot < 0; i++)
		if (!w->sim->shapes[i])
			*slot = (int)i;
	return *slot < 0 ? -ENOSPC : 0;
}

static uint32_t lowest_free(struct world *w)
{
	uint32_t id;

	for (id = 1; id <= SIM_MAX_RULES; id++)
		if (!w->rules[id])
			return id;
	return 0;
}

/* One random add or delete, checked around and between its writes. */
/* p, moved to a prefix nesting with it: around it or inside it. */
static void nest_prefix(struct ebpfnet_drop_prefix *p)
{
	unsigned int bits = p->family == AF_INET ? 32 : 128, more, i;

	if (p->len && (p->len == bits || rnd_below(2))) {
		p->len = (uint8_t)rnd_below(p->len);
	} else {
		more = 1 + rnd_below(bits - p->len < 16 ? bits - p->len : 16);
		for (i = p->len; i < p->len + more; i++)
			if (rnd() & 1)
				p->addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		p->len = (uint8_t)(p->len + more);
	}
	mask_to(p->addr, p->len);
}

/* An existing tuple rule with one prefix nesting with its own (and any
 * action): a rule that overlaps it. False when no rule names a prefix. */
static bool nested_rule(const struct world *w, struct ebpfnet_drop_rule *out)
{
	const struct drop_rule_record *base[SIM_MAX_RULES];
	uint32_t id, n = 0;
	bool src;

	for (id = 1; id <= SIM_MAX_RULES; id++)
		if (w->rules[id] && !(w->rules[id]->match & DROP_M_SIG) &&
		    (w->rules[id]->match & (DROP_M_SRC | DROP_M_DST)))
			base[n++] = w->rules[id];
	if (!n)
		return false;
	drop_record_to_rule(base[rnd_below(n)], out);
	out->id = 0;
	out->action = (enum ebpfnet_drop_action)rnd_below(3);
	src = (out->match & EBPFNET_DROP_MATCH_SRC) &&
	      (!(out->match & EBPFNET_DROP_MATCH_DST) || rnd_below(2));
	nest_prefix(src ? &out->src : &out->dst);
	return true;
}

/* Half the time a rule overlapping an existing one. */
static void pick_rule(const struct world *w, struct ebpfnet_drop_rule *r,
		      bool allow_sig)
{
	if (!rnd_below(2) && nested_rule(w, r))
		return;
	random_rule(r, allow_sig);
}

/* One random add or delete, checked around and between its writes. */
static void random_op(struct world *w, bool allow_sig)
{
	struct drop_rule_record rec, *copy;
	struct ebpfnet_drop_rule rule;
	uint32_t id = 0, n = 0, del = 0, i;
	int err, want, slot, where[SIM_MAX_RULES + 1];

	for (i = 1; i <= SIM_MAX_RULES; i++)
		n += w->rules[i] != NULL;
	if (n && rnd_below(3) == 0) {
		do
			del = 1 + rnd_below(SIM_MAX_RULES);
		while (!w->rules[del]);
		new_packets(w, w->rules[del]);
		expect_all(w, w->before);
		copy = w->rules[del];
		w->rules[del] = NULL;
		expect_all(w, w->after);
		w->ctx.after_write = check_between_writes;
		w->ctx.arg = w;
		err = drop_table_del(w->t, del, &w->ops);
		w->ctx.after_write = NULL;
		ck_assert_int_eq(err, 0);
		ck_assert_ptr_null(drop_table_get(w->t, del));
		free(copy);
	} else {
		pick_rule(w, &rule, allow_sig);
		ck_assert_int_eq(drop_rule_to_record(&rule, &rec), 0);
		want = expected_add(w, &rec, &slot);
		rec.id = lowest_free(w);
		new_packets(w, &rec);
		expect_all(w, w->before);
		if (!want) {
			copy = malloc(sizeof(*copy));
			*copy = rec;
			w->rules[rec.id] = copy;
		}
		expect_all(w, w->after);
		w->ctx.after_write = check_between_writes;
		w->ctx.arg = w;
		err = drop_table_add(w->t, &rec, &w->ops, &id);
		w->ctx.after_write = NULL;
		ck_assert_msg(err == want, "add: %d, expected %d (%s)", err, want,
			      last_warn);
		if (!err)
			ck_assert_uint_eq(id, rec.id);
		if (!err && slot >= 0) {
			sim_rule_slots(w->sim, where);
			ck_assert_int_eq(where[id], slot);
		}
		w->adds += !err;
		w->overlapping += !err && slot >= 0 && overlaps_any(w, id);
	}
	ck_assert_msg(!w->ctx.order_errors, "order: %s",
		      w->ctx.first_order_error);
	check_placement(w);
	check_agree(w);
}

/* ---- the property tests ------------------------------------------------ */

START_TEST(test_random_rule_sets)
{
	struct world w;
	unsigned int op;

	rng_seed(1000 + (uint64_t)_i);
	make_pool();
	ebpfnet_set_print(NULL);
	world_init(&w, 48);
	for (op = 0; op < 120; op++)
		random_op(&w, true);
	ck_assert_uint_gt(w.write_checks, 100);
	/* overlapping rules of one shape are common, not a corner case */
	ck_assert_msg(w.overlapping * 5 >= w.adds, "%u of %u adds overlapped",
		      w.overlapping, w.adds);
	/* and everything away again */
	while (drop_table_count(w.t)) {
		uint32_t id = drop_table_next(w.t, 0);

		free(w.rules[id]);
		w.rules[id] = NULL;
		ck_assert_int_eq(drop_table_del(w.t, id, &w.ops), 0);
		check_agree(&w);
	}
	ck_assert_uint_eq(w.sim->nlpm, 0);
	ck_assert_uint_eq(w.sim->ntuples, 0);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], 0);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSIGS], 0);
	world_free(&w);
}
END_TEST

/* Everything the pinned maps hold, as adoption takes it. */
static int adopt_from_sim(struct drop_table *t, const struct sim *s)
{
	struct drop_rule_record recs[SIM_MAX_RULES];
	struct drop_lpm_entry lpm[SIM_LPM_MAX];
	size_t nrecs = 0, i;

	for (i = 1; i <= SIM_MAX_RULES; i++)
		if (s->has_rec[i])
			recs[nrecs++] = s->recs[i];
	for (i = 0; i < s->nlpm; i++) {
		memset(&lpm[i], 0, sizeof(lpm[i]));
		lpm[i].family = s->lpm[i].family;
		memcpy(lpm[i].addr, s->lpm[i].addr, 16);
		lpm[i].len = s->lpm[i].len;
		lpm[i].class_id = s->lpm[i].class_id;
	}
	return drop_table_adopt(t, recs, nrecs, lpm, s->nlpm, s->shapes,
				s->cfg[DROP_CFG_SIG_BANK]);
}

/* b: a new world that adopts a's maps (a process started later). */
static void world_adopt(struct world *b, const struct world *a)
{
	uint32_t id;

	world_init(b, drop_table_max_rules(a->t));
	memcpy(b->sim, a->sim, sizeof(*a->sim));
	ck_assert_msg(adopt_from_sim(b->t, b->sim) == 0, "adopt: %s", last_warn);
	drop_table_set_generation(b->t, b->sim->cfg[DROP_CFG_GENERATION]);
	ck_assert_uint_eq(drop_table_count(b->t), drop_table_count(a->t));
	for (id = drop_table_next(a->t, 0); id; id = drop_table_next(a->t, id)) {
		ck_assert_ptr_nonnull(drop_table_get(b->t, id));
		ck_assert_mem_eq(drop_table_get(a->t, id), drop_table_get(b->t, id),
				 sizeof(struct drop_rule_record));
		b->rules[id] = malloc(sizeof(struct drop_rule_record));
		*b->rules[id] = *a->rules[id];
	}
}

START_TEST(test_adopt_behaves_the_same)
{
	struct world a, b;
	uint64_t saved;
	unsigned int op;

	rng_seed(2000 + (uint64_t)_i);
	make_pool();
	ebpfnet_set_print(NULL);
	world_init(&a, 48);
	for (op = 0; op < 60; op++)
		random_op(&a, true);
	world_adopt(&b, &a);
	/* the same changes on both: the same maps */
	for (op = 0; op < 60; op++) {
		saved = rng;
		random_op(&a, true);
		rng = saved;
		random_op(&b, true);
		ck_assert_msg(sim_equal(a.sim, b.sim, true),
			      "the adopted model wrote different maps after op %u", op);
	}
	world_free(&a);
	world_free(&b);
}
END_TEST

START_TEST(test_undo_at_every_write)
{
	struct world w;
	struct sim *snap = malloc(sizeof(*snap));
	unsigned int op, k;

	rng_seed(3000 + (uint64_t)_i);
	make_pool();
	ebpfnet_set_print(NULL);
	world_init(&w, 48);
	for (op = 0; op < 40; op++) {
		struct ebpfnet_drop_rule rule;
		struct drop_rule_record rec;
		size_t count = drop_table_count(w.t);
		uint32_t del = 0, id;
		int err;

		if (count && rnd_below(3) == 0)
			del = drop_table_next(w.t, rnd_below(SIM_MAX_RULES));
		if (count && rnd_below(3) == 0 && !del)
			del = drop_table_next(w.t, 0);
		pick_rule(&w, &rule, true);
		ck_assert_int_eq(drop_rule_to_record(&rule, &rec), 0);
		for (k = 1;; k++) {
			memcpy(snap, w.sim, sizeof(*snap));
			w.ctx.calls = 0;
			w.ctx.fail_at = k;
			err = del ? drop_table_del(w.t, del, &w.ops) :
				    drop_table_add(w.t, &rec, &w.ops, &id);
			w.ctx.fail_at = 0;
			if (err != -EIO)
				break;
			ck_assert_msg(sim_equal(snap, w.sim, true),
				      "a failure at write %u left the maps changed", k);
			ck_assert_uint_eq(drop_table_count(w.t), count);
		}
		ck_assert_msg(err == 0 || err == -EEXIST || err == -ENOSPC,
			      "err %d", err);
		if (err)
			continue;
		/* the op wrote k - 1 times: the failure was injected at each */
		ck_assert_uint_eq(w.ctx.calls, k - 1);
		if (del) {
			free(w.rules[del]);
			w.rules[del] = NULL;
		} else {
			rec.id = id;
			w.rules[id] = malloc(sizeof(rec));
			*w.rules[id] = rec;
		}
		new_packets(&w, NULL);
		check_agree(&w);
	}
	free(snap);
	world_free(&w);
}
END_TEST

/* ---- fixed cases ------------------------------------------------------ */

static struct ebpfnet_drop_rule base_rule(void)
{
	struct ebpfnet_drop_rule r;

	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.action = EBPFNET_DROP_ACTION_DROP;
	r.match = EBPFNET_DROP_MATCH_PROTO;
	r.proto = IPPROTO_UDP;
	return r;
}

static void with_prefix(struct ebpfnet_drop_prefix *p, const char *text)
{
	struct tprefix t = parse_prefix(text);

	set_prefix(p, &t);
}

static uint32_t add_ok(struct world *w, const struct ebpfnet_drop_rule *rule)
{
	struct drop_rule_record rec;
	uint32_t id = 0;

	ck_assert_int_eq(drop_rule_to_record(rule, &rec), 0);
	ck_assert_msg(drop_table_add(w->t, &rec, &w->ops, &id) == 0, "add: %s",
		      last_warn);
	rec.id = id;
	w->rules[id] = malloc(sizeof(rec));
	*w->rules[id] = rec;
	return id;
}

static int add_err(struct world *w, const struct ebpfnet_drop_rule *rule)
{
	struct drop_rule_record rec;
	uint32_t id = 0;

	ck_assert_int_eq(drop_rule_to_record(rule, &rec), 0);
	return drop_table_add(w->t, &rec, &w->ops, &id);
}

/* Each case: a change to a valid rule and a word of the expected log. */
struct bad_case {
	const char *name;
	void (*mutate)(struct ebpfnet_drop_rule *r);
	const char *warn;
};

static void bad_action(struct ebpfnet_drop_rule *r) { r->action = 3; }
static void bad_bits(struct ebpfnet_drop_rule *r) { r->match |= 1u << 9; }
static void bad_empty(struct ebpfnet_drop_rule *r) { r->match = 0; r->proto = 0; }
static void bad_family(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_FAMILY;
	r->family = 3;
}
static void bad_unset(struct ebpfnet_drop_rule *r) { r->dport = 53; }
static void bad_src_family(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_SRC;
	r->src.family = 0;
}
static void bad_src_len(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_SRC;
	with_prefix(&r->src, "10.0.0.0/8");
	r->src.len = 33;
}
static void bad_dst_len6(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_DST;
	with_prefix(&r->dst, "2001:db8::/32");
	r->dst.len = 129;
}
static void bad_host_bits(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_SRC;
	with_prefix(&r->src, "10.0.0.0/32");
	r->src.addr[3] = 1;
	r->src.len = 8;
}
static void bad_v4_tail(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_DST;
	with_prefix(&r->dst, "10.0.0.0/8");
	r->dst.addr[7] = 1;
}
static void bad_prefix_vs_family(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_FAMILY | EBPFNET_DROP_MATCH_SRC;
	r->family = AF_INET6;
	with_prefix(&r->src, "10.0.0.0/8");
}
static void bad_dst_vs_family(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_FAMILY | EBPFNET_DROP_MATCH_DST;
	r->family = AF_INET;
	with_prefix(&r->dst, "2001:db8::/32");
}
static void bad_src_vs_dst(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_SRC | EBPFNET_DROP_MATCH_DST;
	with_prefix(&r->src, "10.0.0.0/8");
	with_prefix(&r->dst, "2001:db8::/32");
}
static void bad_icmp_proto(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_ICMP_TYPE;
	r->icmp_type = 8;
}
static void bad_icmp_code_noproto(struct ebpfnet_drop_rule *r)
{
	r->match = EBPFNET_DROP_MATCH_ICMP_CODE;
	r->proto = 0;
	r->icmp_code = 1;
}
static void bad_icmp_v6(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_ICMP_TYPE | EBPFNET_DROP_MATCH_FAMILY;
	r->proto = IPPROTO_ICMP;
	r->family = AF_INET6;
}
static void bad_icmpv6_v4(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_ICMP_TYPE | EBPFNET_DROP_MATCH_SRC;
	r->proto = IPPROTO_ICMPV6;
	with_prefix(&r->src, "10.0.0.0/8");
}
static void bad_port_proto(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_DPORT;
	r->proto = IPPROTO_ICMP;
	r->dport = 53;
}
static void bad_port_noproto(struct ebpfnet_drop_rule *r)
{
	r->match = EBPFNET_DROP_MATCH_SPORT;
	r->proto = 0;
	r->sport = 53;
}
static void bad_port_zero(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_DPORT;
}
static void sig_ok(struct ebpfnet_drop_rule *r)
{
	r->match |= EBPFNET_DROP_MATCH_SIG;
	r->sig_len = 2;
	r->sig_value[0] = 0xde;
	r->sig_value[1] = 0xad;
	r->sig_mask[0] = r->sig_mask[1] = 0xff;
}
static void bad_sig_base(struct ebpfnet_drop_rule *r) { sig_ok(r); r->sig_base = 2; }
static void bad_sig_len0(struct ebpfnet_drop_rule *r)
{
	sig_ok(r);
	r->sig_len = 0;
	memset(r->sig_value, 0, sizeof(r->sig_value));
	memset(r->sig_mask, 0, sizeof(r->sig_mask));
}
static void bad_sig_len17(struct ebpfnet_drop_rule *r) { sig_ok(r); r->sig_len = 17; }
static void bad_sig_offset(struct ebpfnet_drop_rule *r)
{
	sig_ok(r);
	r->sig_offset = DROP_SIG_MAX_OFFSET + 1;
}
static void bad_sig_mask0(struct ebpfnet_drop_rule *r)
{
	sig_ok(r);
	r->sig_mask[0] = r->sig_mask[1] = 0;
	r->sig_value[0] = r->sig_value[1] = 0;
}
static void bad_sig_value(struct ebpfnet_drop_rule *r)
{
	sig_ok(r);
	r->sig_mask[1] = 0x0f;
}
static void bad_sig_tail(struct ebpfnet_drop_rule *r) { sig_ok(r); r->sig_mask[5] = 1; }
static void bad_sz_tail(struct ebpfnet_drop_rule *r) { (void)r; }

static const struct bad_case bad_cases[] = {
	{ "action", bad_action, "action" },
	{ "unknown bits", bad_bits, "unknown bits" },
	{ "empty", bad_empty, "'family ipv4'" },
	{ "family", bad_family, "family: 3" },
	{ "field without its bit", bad_unset, "dport is set" },
	{ "src family", bad_src_family, "src: family" },
	{ "src len", bad_src_len, "over 32" },
	{ "dst len v6", bad_dst_len6, "over 128" },
	{ "host bits", bad_host_bits, "10.0.0.1/8 has host bits set" },
	{ "v4 tail", bad_v4_tail, "past the IPv4 address" },
	{ "src vs family", bad_prefix_vs_family, "src: the prefix's family" },
	{ "dst vs family", bad_dst_vs_family, "dst: the prefix's family" },
	{ "src vs dst", bad_src_vs_dst, "different families" },
	{ "icmp type proto", bad_icmp_proto, "icmp_type: needs proto icmp" },
	{ "icmp code no proto", bad_icmp_code_noproto, "icmp_code: needs proto" },
	{ "icmp on v6", bad_icmp_v6, "IPv6 has icmpv6" },
	{ "icmpv6 on v4", bad_icmpv6_v4, "IPv4 has icmp" },
	{ "port proto", bad_port_proto, "ports need proto tcp, udp or sctp" },
	{ "port no proto", bad_port_noproto, "sport: ports need" },
	{ "port zero", bad_port_zero, "dport: 0 is not a port" },
	{ "sig base", bad_sig_base, "sig_base" },
	{ "sig len 0", bad_sig_len0, "sig_len: 0" },
	{ "sig len 17", bad_sig_len17, "sig_len: 17" },
	{ "sig offset", bad_sig_offset, "sig_offset" },
	{ "sig mask zero", bad_sig_mask0, "all zero" },
	{ "sig value outside mask", bad_sig_value, "outside its mask" },
	{ "sig bytes past len", bad_sig_tail, "past sig_len" },
	{ "sz", bad_sz_tail, NULL },
};

START_TEST(test_validation_errors)
{
	const struct bad_case *c = &bad_cases[_i];
	struct {
		struct ebpfnet_drop_rule rule;
		uint64_t newer;
	} big;
	struct drop_rule_record rec;
	struct ebpfnet_drop_rule r = base_rule();

	ck_assert_int_eq(drop_rule_to_record(&r, &rec), 0);
	c->mutate(&r);
	if (!c->warn) {
		/* a newer caller's field this library does not know */
		memset(&big, 0, sizeof(big));
		big.rule = r;
		big.rule.sz = sizeof(big);
		ck_assert_int_eq(drop_rule_to_record(&big.rule, &rec), 0);
		big.newer = 1;
		errno = 0;
		ck_assert_int_eq(drop_rule_to_record(&big.rule, &rec), -EINVAL);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_nonnull(strstr(last_warn, "ebpfnet_drop_rule"));
		big.rule.sz = 4;
		ck_assert_int_eq(drop_rule_to_record(&big.rule, &rec), -EINVAL);
		return;
	}
	errno = 0;
	ck_assert_msg(drop_rule_to_record(&r, &rec) == -EINVAL, "case %s accepted",
		      c->name);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(last_warn, c->warn), "case %s: log '%s' lacks '%s'",
		      c->name, last_warn, c->warn);
}
END_TEST

START_TEST(test_record_round_trip)
{
	struct ebpfnet_drop_rule r = base_rule(), back;
	struct drop_rule_record rec, rec2;
	unsigned int i;

	ck_assert_int_eq(drop_rule_to_record(NULL, &rec), -EINVAL);
	ck_assert_int_eq(drop_rule_to_record(&r, NULL), -EINVAL);
	rng_seed(7);
	make_pool();
	for (i = 0; i < 500; i++) {
		random_rule(&r, true);
		r.id = 77; /* ignored: the table gives ids */
		ck_assert_int_eq(drop_rule_to_record(&r, &rec), 0);
		ck_assert_uint_eq(rec.id, 0);
		ck_assert_uint_eq(rec.version, DROP_RULE_RECORD_VERSION);
		drop_record_to_rule(&rec, &back);
		ck_assert_uint_eq(back.sz, sizeof(back));
		r.id = 0;
		ck_assert_mem_eq(&r, &back, sizeof(r));
		ck_assert_int_eq(drop_rule_to_record(&back, &rec2), 0);
		ck_assert_mem_eq(&rec, &rec2, sizeof(rec));
	}
	/* an older caller: a struct that ends before the signature fields */
	r = base_rule();
	r.sz = offsetof(struct ebpfnet_drop_rule, sig_base);
	r.sig_len = 3; /* past its sz: not read */
	ck_assert_int_eq(drop_rule_to_record(&r, &rec), 0);
	ck_assert_uint_eq(rec.sig_len, 0);
}
END_TEST

START_TEST(test_ids_and_duplicates)
{
	struct ebpfnet_drop_rule r = base_rule(), r2;
	struct world w;
	uint32_t a, b, c;

	world_init(&w, 3);
	a = add_ok(&w, &r);
	ck_assert_uint_eq(a, 1);
	/* the same match: -EEXIST whatever the action */
	r.action = EBPFNET_DROP_ACTION_PASS;
	ck_assert_int_eq(add_err(&w, &r), -EEXIST);
	ck_assert_ptr_nonnull(strstr(last_warn, "rule 1 has the same match"));
	/* a prefix brings its family: "family ipv4 src P" == "src P" */
	r2 = base_rule();
	r2.match |= EBPFNET_DROP_MATCH_SRC;
	with_prefix(&r2.src, "10.0.0.0/8");
	b = add_ok(&w, &r2);
	ck_assert_uint_eq(b, 2);
	r2.match |= EBPFNET_DROP_MATCH_FAMILY;
	r2.family = AF_INET;
	ck_assert_int_eq(add_err(&w, &r2), -EEXIST);
	r.proto = IPPROTO_TCP;
	c = add_ok(&w, &r);
	ck_assert_uint_eq(c, 3);
	r.proto = IPPROTO_SCTP;
	ck_assert_int_eq(add_err(&w, &r), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(last_warn, "full"));
	/* the lowest free id comes back */
	ck_assert_int_eq(drop_table_del(w.t, 2, &w.ops), 0);
	free(w.rules[2]);
	w.rules[2] = NULL;
	ck_assert_int_eq(drop_table_del(w.t, 2, &w.ops), -ENOENT);
	ck_assert_int_eq(drop_table_del(w.t, 0, &w.ops), -ENOENT);
	ck_assert_int_eq(drop_table_del(w.t, 99, &w.ops), -ENOENT);
	ck_assert_uint_eq(add_ok(&w, &r), 2);
	ck_assert_uint_eq(drop_table_count(w.t), 3);
	ck_assert_uint_eq(drop_table_max_rules(w.t), 3);
	ck_assert_uint_eq(drop_table_next(w.t, 0), 1);
	ck_assert_uint_eq(drop_table_next(w.t, 1), 2);
	ck_assert_uint_eq(drop_table_next(w.t, 3), 0);
	ck_assert_uint_eq(drop_table_get(w.t, 2)->proto, IPPROTO_SCTP);
	ck_assert_ptr_null(drop_table_get(w.t, 4));
	/* bad arguments */
	ck_assert_int_eq(drop_table_add(NULL, w.rules[1], &w.ops, &a), -EINVAL);
	ck_assert_int_eq(drop_table_add(w.t, w.rules[1], NULL, &a), -EINVAL);
	ck_assert_int_eq(drop_table_add(w.t, w.rules[1], &w.ops, NULL), -EINVAL);
	ck_assert_int_eq(drop_table_del(NULL, 1, &w.ops), -EINVAL);
	w.ops.cfg_set = NULL;
	ck_assert_int_eq(drop_table_del(w.t, 1, &w.ops), -EINVAL);
	ck_assert_ptr_null(drop_table_new(DROP_MAX_CLASSES * 2u));
	ck_assert_int_eq(errno, EINVAL);
	drop_table_free(NULL);
	world_free(&w);
}
END_TEST

START_TEST(test_shape_and_sig_limits)
{
	struct ebpfnet_drop_rule r;
	struct world w;
	uint32_t i, first_sig = 0;

	world_init(&w, 100);
	/* 16 shapes from 16 combinations of match bits */
	for (i = 0; i < DROP_MAX_SHAPES; i++) {
		r = base_rule();
		if (i & 1) {
			r.match |= EBPFNET_DROP_MATCH_DPORT;
			r.dport = 53;
		}
		if (i & 2) {
			r.match |= EBPFNET_DROP_MATCH_SPORT;
			r.sport = 53;
		}
		if (i & 4) {
			r.match |= EBPFNET_DROP_MATCH_SRC;
			with_prefix(&r.src, "10.0.0.0/8");
		}
		if (i & 8) {
			r.match |= EBPFNET_DROP_MATCH_DST;
			with_prefix(&r.dst, "10.0.0.0/8");
		}
		add_ok(&w, &r);
	}
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], DROP_MAX_SHAPES);
	r = base_rule();
	r.match |= EBPFNET_DROP_MATCH_FAMILY;
	r.family = AF_INET6;
	ck_assert_int_eq(add_err(&w, &r), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(last_warn, "at most 16"));
	/* a shape in use takes more rules */
	r = base_rule();
	r.proto = IPPROTO_TCP;
	add_ok(&w, &r);
	/* freeing the last rule of a shape frees its slot */
	ck_assert_int_eq(drop_table_del(w.t, 2, &w.ops), 0);
	free(w.rules[2]);
	w.rules[2] = NULL;
	ck_assert_uint_eq(w.sim->shapes[1], 0);
	r = base_rule();
	r.match |= EBPFNET_DROP_MATCH_FAMILY;
	r.family = AF_INET6;
	ck_assert_uint_eq(add_ok(&w, &r), 2);
	ck_assert_uint_eq(w.sim->shapes[1], DROP_M_FAMILY | DROP_M_PROTO);
	/* signatures: 32, then -ENOSPC; a duplicate is -EEXIST */
	for (i = 0; i < DROP_MAX_SIG_RULES; i++) {
		r = base_rule();
		sig_ok(&r);
		r.sig_offset = (uint16_t)i;
		if (!first_sig)
			first_sig = add_ok(&w, &r);
		else
			add_ok(&w, &r);
		if (!i) {
			ck_assert_int_eq(add_err(&w, &r), -EEXIST);
		}
	}
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSIGS], DROP_MAX_SIG_RULES);
	r = base_rule();
	sig_ok(&r);
	r.sig_offset = 1000;
	ck_assert_int_eq(add_err(&w, &r), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(last_warn, "signature rules"));
	ck_assert_int_eq(drop_table_del(w.t, first_sig, &w.ops), 0);
	free(w.rules[first_sig]);
	w.rules[first_sig] = NULL;
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSIGS], DROP_MAX_SIG_RULES - 1);
	world_free(&w);
}
END_TEST

static int trace_find(const struct sim_ctx *c, char kind, uint32_t val,
		      int from)
{
	unsigned int i;

	for (i = (unsigned int)from; i < c->ntrace; i++)
		if (c->trace_kind[i] == kind && c->trace_val[i] == val)
			return (int)i;
	return -1;
}

START_TEST(test_write_order)
{
	struct ebpfnet_drop_rule a = base_rule(), b = base_rule();
	struct world w;
	uint32_t ida, idb, gen;
	int lpm, inherited;

	world_init(&w, 16);
	a.match |= EBPFNET_DROP_MATCH_DST;
	with_prefix(&a.dst, "10.0.0.0/8");
	ida = add_ok(&w, &a);
	gen = w.sim->cfg[DROP_CFG_GENERATION];
	ck_assert_uint_eq(gen, 1);
	ck_assert_uint_eq(drop_table_generation(w.t), 1);
	/* b: a new class inside a's prefix, another shape */
	b.match |= EBPFNET_DROP_MATCH_DST | EBPFNET_DROP_MATCH_DPORT;
	b.dport = 53;
	with_prefix(&b.dst, "10.1.0.0/16");
	w.ctx.ntrace = 0;
	idb = add_ok(&w, &b);
	ck_assert_int_eq(w.ctx.trace_kind[0], 'Z');
	ck_assert_uint_eq(w.ctx.trace_val[0], idb);
	ck_assert_int_eq(w.ctx.trace_kind[1], 'R');
	/* a's entry for the new class before the LPM entry makes it live */
	inherited = trace_find(&w.ctx, 'T', ida, 0);
	lpm = trace_find(&w.ctx, 'L', 2, 0);
	ck_assert_int_ge(inherited, 0);
	ck_assert_int_gt(lpm, inherited);
	/* the shape before its entries, the own entry last, then the
	 * generation */
	ck_assert_int_lt(trace_find(&w.ctx, 'S', 1, 0), trace_find(&w.ctx, 'T', idb, 0));
	ck_assert_int_eq(w.ctx.trace_kind[w.ctx.ntrace - 2], 'T');
	ck_assert_uint_eq(w.ctx.trace_val[w.ctx.ntrace - 2], idb);
	ck_assert_int_eq(w.ctx.trace_kind[w.ctx.ntrace - 1], 'C');
	ck_assert_uint_eq(w.ctx.trace_val[w.ctx.ntrace - 1], DROP_CFG_GENERATION);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_GENERATION], gen + 1);
	/* delete b: its entry, then the LPM entry, then a's inherited entry,
	 * the shape, the record, the generation */
	w.ctx.ntrace = 0;
	ck_assert_int_eq(drop_table_del(w.t, idb, &w.ops), 0);
	ck_assert_int_eq(w.ctx.trace_kind[0], 't');
	lpm = trace_find(&w.ctx, 'l', 16, 0);
	ck_assert_int_gt(lpm, 0);
	ck_assert_int_gt(trace_find(&w.ctx, 't', 0, lpm), lpm);
	ck_assert_int_gt(trace_find(&w.ctx, 'S', 1, 0), lpm);
	ck_assert_int_eq(w.ctx.trace_kind[w.ctx.ntrace - 2], 'r');
	ck_assert_int_eq(w.ctx.trace_kind[w.ctx.ntrace - 1], 'C');
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_GENERATION], gen + 2);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], 1);
	ck_assert_uint_eq(w.sim->nlpm, 1);
	ck_assert_uint_eq(w.sim->ntuples, 1);
	free(w.rules[idb]);
	w.rules[idb] = NULL;
	world_free(&w);
}
END_TEST

static void del_ok(struct world *w, uint32_t id)
{
	ck_assert_msg(drop_table_del(w->t, id, &w->ops) == 0, "del %u: %s", id,
		      last_warn);
	free(w->rules[id]);
	w->rules[id] = NULL;
}

/* "action A src PREFIX proto udp" */
static struct ebpfnet_drop_rule udp_src_rule(enum ebpfnet_drop_action action,
					     const char *prefix)
{
	struct ebpfnet_drop_rule r = base_rule();

	r.action = action;
	r.match |= EBPFNET_DROP_MATCH_SRC;
	with_prefix(&r.src, prefix);
	return r;
}

/* The maps' verdict and matched rules for a UDP packet from src, against
 * what is expected (ids: a bit per rule id) and the rule list. */
static void expect_udp(struct world *w, const char *src, int verdict,
		       uint64_t ids)
{
	struct matches m, want;
	struct tpkt p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.proto = IPPROTO_UDP;
	p.l4_ok = true;
	p.sport = p.dport = 53;
	p.l4_off = 20;
	p.len = 28;
	ck_assert_int_eq(inet_pton(AF_INET, src, p.saddr), 1);
	classify_maps(w->sim, &p, &m);
	ck_assert_msg(m.verdict == verdict && m.ids[0] == ids,
		      "%s: verdict %d rules 0x%llx, expected %d 0x%llx", src,
		      m.verdict, (unsigned long long)m.ids[0], verdict,
		      (unsigned long long)ids);
	classify_rules(w->rules, &p, &want);
	ck_assert(matches_equal(&m, &want));
}

/* pass 10/8 over drop 10.1/16, added in both orders: a packet of 10.1/16
 * matches both (both counted) and passes. */
START_TEST(test_pass_over_nested_drop)
{
	struct ebpfnet_drop_rule pass = udp_src_rule(EBPFNET_DROP_ACTION_PASS,
						     "10.0.0.0/8");
	struct ebpfnet_drop_rule drop = udp_src_rule(EBPFNET_DROP_ACTION_DROP,
						     "10.1.0.0/16");
	uint32_t bits = DROP_M_FAMILY | DROP_M_PROTO | DROP_M_SRC, idp, idd;
	struct world w;

	world_init(&w, 16);
	if (_i) {
		idd = add_ok(&w, &drop);
		idp = add_ok(&w, &pass);
	} else {
		idp = add_ok(&w, &pass);
		idd = add_ok(&w, &drop);
	}
	/* two slots of the same bits, the first rule in the first */
	ck_assert_uint_eq(w.sim->shapes[0], bits);
	ck_assert_uint_eq(w.sim->shapes[1], bits);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], 2);
	expect_udp(&w, "10.1.2.3", VERDICT_PASS, 1ull << idp | 1ull << idd);
	expect_udp(&w, "10.1.0.0", VERDICT_PASS, 1ull << idp | 1ull << idd);
	expect_udp(&w, "10.2.2.3", VERDICT_PASS, 1ull << idp);
	expect_udp(&w, "11.1.2.3", VERDICT_NONE, 0);
	/* the pass rule goes: the drop rule alone, its slot stays */
	del_ok(&w, idp);
	expect_udp(&w, "10.1.2.3", VERDICT_DROP, 1ull << idd);
	expect_udp(&w, "10.2.2.3", VERDICT_NONE, 0);
	ck_assert_uint_eq(w.sim->shapes[_i ? 1 : 0], 0);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], _i ? 1 : 2);
	del_ok(&w, idd);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], 0);
	ck_assert_uint_eq(w.sim->ntuples, 0);
	ck_assert_uint_eq(w.sim->nlpm, 0);
	world_free(&w);
}
END_TEST

/* pass /8, drop /16, count /24: three slots; every level counted. */
START_TEST(test_three_levels)
{
	struct ebpfnet_drop_rule r[3] = {
		udp_src_rule(EBPFNET_DROP_ACTION_PASS, "10.0.0.0/8"),
		udp_src_rule(EBPFNET_DROP_ACTION_DROP, "10.1.0.0/16"),
		udp_src_rule(EBPFNET_DROP_ACTION_COUNT, "10.1.2.0/24"),
	};
	static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
					  { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	struct ebpfnet_drop_rule sibling;
	uint64_t pass, drop, count;
	uint32_t id[3], ids;
	struct world w;
	int i;

	rng_seed(4000 + (uint64_t)_i);
	make_pool();
	world_init(&w, 16);
	for (i = 0; i < 3; i++)
		id[orders[_i][i]] = add_ok(&w, &r[orders[_i][i]]);
	pass = 1ull << id[0];
	drop = 1ull << id[1];
	count = 1ull << id[2];
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], 3);
	expect_udp(&w, "10.1.2.3", VERDICT_PASS, pass | drop | count);
	expect_udp(&w, "10.1.3.3", VERDICT_PASS, pass | drop);
	expect_udp(&w, "10.9.2.3", VERDICT_PASS, pass);
	/* a sibling of the /24 inside the /16 needs no 4th slot */
	sibling = udp_src_rule(EBPFNET_DROP_ACTION_DROP, "10.1.9.0/24");
	ids = add_ok(&w, &sibling);
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], 3);
	expect_udp(&w, "10.1.9.9", VERDICT_PASS, pass | drop | 1ull << ids);
	del_ok(&w, ids);
	del_ok(&w, id[0]);
	expect_udp(&w, "10.1.2.3", VERDICT_DROP, drop | count);
	expect_udp(&w, "10.1.3.3", VERDICT_DROP, drop);
	del_ok(&w, id[1]);
	/* a count rule alone: counted, no verdict */
	expect_udp(&w, "10.1.2.3", VERDICT_NONE, count);
	new_packets(&w, NULL);
	check_agree(&w);
	world_free(&w);
}
END_TEST

/* 16 nested prefixes of one shape fill the 16 slots: a 17th is -ENOSPC
 * and changes nothing; a rule that overlaps none still fits. */
START_TEST(test_slots_exhausted)
{
	struct ebpfnet_drop_rule r = udp_src_rule(EBPFNET_DROP_ACTION_DROP,
						  "10.0.0.0/8"), other;
	struct sim *snap = malloc(sizeof(*snap));
	int where[SIM_MAX_RULES + 1], slot15;
	uint32_t i, id, id15 = 0;
	unsigned int calls;
	struct world w;

	rng_seed(5000);
	make_pool();
	world_init(&w, 64);
	for (i = 0; i < DROP_MAX_SHAPES; i++) {
		r.src.len = (uint8_t)(8 + i);
		r.action = (enum ebpfnet_drop_action)(i % 3);
		id = add_ok(&w, &r);
		if (r.src.len == 15)
			id15 = id;
	}
	ck_assert_uint_eq(w.sim->cfg[DROP_CFG_NSHAPES], DROP_MAX_SHAPES);
	expect_udp(&w, "10.0.0.1", VERDICT_PASS, (1ull << 17) - 2);
	memcpy(snap, w.sim, sizeof(*snap));
	calls = w.ctx.calls;
	r.src.len = 24;
	ck_assert_int_eq(add_err(&w, &r), -ENOSPC);
	ck_assert_msg(strstr(last_warn, "too many overlapping rules of the same shape"),
		      "log: %s", last_warn);
	ck_assert_uint_eq(w.ctx.calls, calls);
	ck_assert(sim_equal(snap, w.sim, true));
	ck_assert_uint_eq(drop_table_count(w.t), DROP_MAX_SHAPES);
	/* the same shape, overlapping nothing: the first slot */
	other = udp_src_rule(EBPFNET_DROP_ACTION_DROP, "11.0.0.0/8");
	id = add_ok(&w, &other);
	sim_rule_slots(w.sim, where);
	ck_assert_int_eq(where[id], 0);
	/* a new combination of fields has no slot */
	other = base_rule();
	other.match |= EBPFNET_DROP_MATCH_FAMILY;
	other.family = AF_INET6;
	ck_assert_int_eq(add_err(&w, &other), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(last_warn, "at most 16"));
	/* the /15 goes, its slot is freed, the /24 takes it */
	slot15 = where[id15];
	del_ok(&w, id15);
	ck_assert_uint_eq(w.sim->shapes[slot15], 0);
	id = add_ok(&w, &r);
	sim_rule_slots(w.sim, where);
	ck_assert_int_eq(where[id], slot15);
	check_placement(&w);
	new_packets(&w, NULL);
	check_agree(&w);
	free(snap);
	world_free(&w);
}
END_TEST

/* The same change on a live model and on one adopted from its maps: the
 * same result and the same maps. */
static void both_add(struct world *a, struct world *b,
		     const struct ebpfnet_drop_rule *r)
{
	ck_assert_uint_eq(add_ok(a, r), add_ok(b, r));
	ck_assert_msg(sim_equal(a->sim, b->sim, true), "maps differ after an add");
}

static void both_del(struct world *a, struct world *b, uint32_t id)
{
	del_ok(a, id);
	del_ok(b, id);
	ck_assert_msg(sim_equal(a->sim, b->sim, true), "maps differ after del %u", id);
}

/* pass 10/8, drop 10.1/16, count 10.1.2/24, drop 10.2/16, drop 11/8
 * (slots 0, 1, 2, 1, 0), deleted in each of the 120 orders; after each
 * step a new model adopts the maps, then both add a rule overlapping most
 * and delete the rest: they must write the same maps. */
START_TEST(test_delete_every_order_then_adopt)
{
	static const char *const prefixes[5] = { "10.0.0.0/8", "10.1.0.0/16",
						 "10.1.2.0/24", "10.2.0.0/16",
						 "11.0.0.0/8" };
	static const enum ebpfnet_drop_action actions[5] = {
		EBPFNET_DROP_ACTION_PASS, EBPFNET_DROP_ACTION_DROP,
		EBPFNET_DROP_ACTION_COUNT, EBPFNET_DROP_ACTION_DROP,
		EBPFNET_DROP_ACTION_DROP };
	struct ebpfnet_drop_rule rules[5], probe = udp_src_rule(
		EBPFNET_DROP_ACTION_DROP, "10.1.2.3/32");
	unsigned int perm, k, i, j, order[5];
	struct world a, b;
	uint32_t probe_id;

	for (i = 0; i < 5; i++)
		rules[i] = udp_src_rule(actions[i], prefixes[i]);
	for (perm = 0; perm < 120; perm++) {
		/* the perm-th ordering (factorial number system) */
		unsigned int left[5] = { 1, 2, 3, 4, 5 }, n = 5, code = perm;

		for (i = 0; i < 5; i++, n--) {
			unsigned int f = 1;

			for (j = 2; j < n; j++)
				f *= j;
			order[i] = left[code / f];
			memmove(&left[code / f], &left[code / f + 1],
				(n - code / f - 1) * sizeof(left[0]));
			code %= f;
		}
		for (k = 0; k <= 5; k++) {
			world_init(&a, 16);
			for (i = 0; i < 5; i++)
				ck_assert_uint_eq(add_ok(&a, &rules[i]), i + 1);
			for (i = 0; i < k; i++)
				del_ok(&a, order[i]);
			world_adopt(&b, &a);
			ck_assert_msg(sim_equal(a.sim, b.sim, true), "perm %u", perm);
			probe_id = add_ok(&a, &probe);
			ck_assert_uint_eq(add_ok(&b, &probe), probe_id);
			ck_assert_msg(sim_equal(a.sim, b.sim, true),
				      "order %u%u%u%u%u, %u deleted: the adopted model placed the probe elsewhere",
				      order[0], order[1], order[2], order[3], order[4], k);
			for (i = k; i < 5; i++)
				both_del(&a, &b, order[i]);
			both_del(&a, &b, probe_id);
			ck_assert_uint_eq(b.sim->ntuples, 0);
			ck_assert_uint_eq(b.sim->cfg[DROP_CFG_NSHAPES], 0);
			world_free(&a);
			world_free(&b);
		}
	}
}
END_TEST

/* A placement that the rules alone do not give: pass 10/8 gets id 1
 * (freed before) but sits above drop 10.1/16 (id 2, slot 0). Adoption
 * reads it back from the maps. */
START_TEST(test_adopt_after_a_hole)
{
	struct ebpfnet_drop_rule filler = udp_src_rule(EBPFNET_DROP_ACTION_DROP,
						       "12.0.0.0/8");
	struct ebpfnet_drop_rule drop = udp_src_rule(EBPFNET_DROP_ACTION_DROP,
						     "10.1.0.0/16");
	struct ebpfnet_drop_rule pass = udp_src_rule(EBPFNET_DROP_ACTION_PASS,
						     "10.0.0.0/8");
	int where[SIM_MAX_RULES + 1];
	struct world a, b;

	world_init(&a, 16);
	filler.proto = IPPROTO_TCP;
	ck_assert_uint_eq(add_ok(&a, &filler), 1);
	ck_assert_uint_eq(add_ok(&a, &drop), 2);
	del_ok(&a, 1);
	ck_assert_uint_eq(add_ok(&a, &pass), 1);
	sim_rule_slots(a.sim, where);
	ck_assert_int_eq(where[1], 1);
	ck_assert_int_eq(where[2], 0);
	world_adopt(&b, &a);
	expect_udp(&b, "10.1.2.3", VERDICT_PASS, 1ull << 1 | 1ull << 2);
	/* deleting the drop rule frees slot 0: a new overlapping rule goes
	 * there on both */
	both_del(&a, &b, 2);
	both_add(&a, &b, &drop);
	both_add(&a, &b, &filler);
	sim_rule_slots(b.sim, where);
	ck_assert_int_eq(where[2], 0);
	ck_assert_int_eq(where[3], 0);
	both_del(&a, &b, 1);
	both_del(&a, &b, 2);
	both_del(&a, &b, 3);
	world_free(&a);
	world_free(&b);
}
END_TEST

/* Stored placements that cannot be: adoption refuses them. */
START_TEST(test_adopt_bad_placement)
{
	struct ebpfnet_drop_rule r[3] = {
		udp_src_rule(EBPFNET_DROP_ACTION_PASS, "10.0.0.0/8"),
		udp_src_rule(EBPFNET_DROP_ACTION_DROP, "10.1.0.0/16"),
		udp_src_rule(EBPFNET_DROP_ACTION_DROP, "11.0.0.0/8"),
	};
	struct sim *s = malloc(sizeof(*s));
	struct drop_table *t = drop_table_new(16);
	struct world w;
	uint32_t slot;
	int i;

	world_init(&w, 16);
	for (i = 0; i < 3; i++)
		add_ok(&w, &r[i]); /* slots 0, 1, 0 */
	memcpy(s, w.sim, sizeof(*s));
	ck_assert_int_eq(adopt_from_sim(t, s), 0);
	/* rules 1 and 2 (overlapping) in slot 0, rule 3 in slot 1 */
	slot = s->recs[2].shape_slot;
	s->recs[2].shape_slot = s->recs[1].shape_slot;
	s->recs[3].shape_slot = slot;
	ck_assert_int_eq(adopt_from_sim(t, s), -EINVAL);
	ck_assert_msg(strstr(last_warn, "rules 1 and 2 overlap and sit in one shape slot (0)"),
		      "log: %s", last_warn);
	ck_assert_uint_eq(drop_table_count(t), 0);
	/* a record naming no slot while two slots hold its bits */
	memcpy(s, w.sim, sizeof(*s));
	s->recs[2] = *drop_table_get(w.t, 2);
	ck_assert_int_eq(adopt_from_sim(t, s), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "names no shape slot and slots 0 and 1"));
	/* a record naming a slot of other bits */
	memcpy(s, w.sim, sizeof(*s));
	s->shapes[1] = DROP_M_PROTO;
	ck_assert_int_eq(adopt_from_sim(t, s), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "names shape slot 1, which does not hold its fields"));
	/* the genuine maps still adopt */
	memcpy(s, w.sim, sizeof(*s));
	ck_assert_int_eq(adopt_from_sim(t, s), 0);
	ck_assert_uint_eq(drop_table_count(t), 3);
	drop_table_free(t);
	free(s);
	world_free(&w);
}
END_TEST

START_TEST(test_adopt_inconsistent)
{
	struct ebpfnet_drop_rule r = base_rule();
	struct drop_rule_record recs[2];
	struct drop_lpm_entry lpm[2];
	uint32_t shapes[DROP_MAX_SHAPES] = { 0 };
	struct world w;

	world_init(&w, 16);
	r.match |= EBPFNET_DROP_MATCH_DST;
	with_prefix(&r.dst, "10.0.0.0/8");
	ck_assert_int_eq(drop_rule_to_record(&r, &recs[0]), 0);
	recs[0].id = 1;
	memset(lpm, 0, sizeof(lpm));
	lpm[0].family = 4;
	lpm[0].addr[0] = 10;
	lpm[0].len = 8;
	lpm[0].class_id = 1;
	shapes[0] = DROP_M_FAMILY | DROP_M_PROTO | DROP_M_DST;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 1, shapes, 0), 0);
	ck_assert_uint_eq(drop_table_count(w.t), 1);
	/* the record's prefix without an LPM entry */
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 0, shapes, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "dst 10.0.0.0/8 has no LPM entry"));
	ck_assert_uint_eq(drop_table_count(w.t), 0);
	/* a shape needed but absent */
	shapes[0] = DROP_M_PROTO;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 1, shapes, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "no shape slot"));
	/* a shape nobody uses */
	shapes[0] = DROP_M_FAMILY | DROP_M_PROTO | DROP_M_DST;
	shapes[3] = DROP_M_PROTO;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 1, shapes, 0), -EINVAL);
	shapes[3] = 0;
	/* an LPM entry nobody names, twice the same class */
	lpm[1] = lpm[0];
	lpm[1].addr[1] = 1;
	lpm[1].len = 16;
	lpm[1].class_id = 2;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 2, shapes, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "named by no rule"));
	lpm[1].class_id = 1;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 2, shapes, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "used twice"));
	/* host bits, duplicate ids, invalid records, bad arguments */
	lpm[1] = lpm[0];
	lpm[1].addr[3] = 1;
	lpm[1].class_id = 2;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 2, shapes, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "host bits"));
	recs[1] = recs[0];
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 2, lpm, 1, shapes, 0), -EINVAL);
	recs[1].id = 2;
	recs[1].version = 99;
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 2, lpm, 1, shapes, 0), -EINVAL);
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 1, shapes, 2), -EINVAL);
	ck_assert_int_eq(drop_table_adopt(w.t, recs, 1, lpm, 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(drop_table_adopt(w.t, NULL, 1, lpm, 1, shapes, 0), -EINVAL);
	/* after a failed adoption the table is empty and usable */
	ck_assert_uint_eq(drop_table_count(w.t), 0);
	add_ok(&w, &r);
	world_free(&w);
}
END_TEST

/* ---- the model's speed ------------------------------------------------- */

static int count_lpm(void *ctx, int family, const uint8_t *addr, uint8_t len,
		     uint32_t class_id)
{
	(void)family; (void)addr; (void)len; (void)class_id;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_lpm_del(void *ctx, int family, const uint8_t *addr, uint8_t len)
{
	(void)family; (void)addr; (void)len;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_tuple(void *ctx, const struct drop_key *k,
		       const struct drop_verdict *v)
{
	(void)k; (void)v;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_tuple_del(void *ctx, const struct drop_key *k)
{
	(void)k;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_u32(void *ctx, uint32_t a, uint32_t b)
{
	(void)a; (void)b;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_sig(void *ctx, uint32_t slot, const struct drop_sig_rule *r)
{
	(void)slot; (void)r;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_cfg(void *ctx, enum drop_cfg knob, uint32_t value)
{
	(void)knob; (void)value;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_id(void *ctx, uint32_t id)
{
	(void)id;
	++*(uint64_t *)ctx;
	return 0;
}
static int count_rec(void *ctx, const struct drop_rule_record *rec)
{
	(void)rec;
	++*(uint64_t *)ctx;
	return 0;
}

static void time_rules(const char *what, struct ebpfnet_drop_rule *rules,
		       uint32_t n, uint64_t *writes)
{
	struct drop_map_ops ops = {
		.ctx = writes, .lpm_update = count_lpm, .lpm_delete = count_lpm_del,
		.tuple_update = count_tuple, .tuple_delete = count_tuple_del,
		.shape_set = count_u32, .sig_write = count_sig, .cfg_set = count_cfg,
		.counters_reset = count_id, .record_store = count_rec,
		.record_delete = count_id,
	};
	struct drop_table *t = drop_table_new(n);
	struct drop_rule_record rec;
	struct timespec t0;
	double add_s, del_s;
	uint32_t i, id;

	ck_assert_ptr_nonnull(t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(drop_rule_to_record(&rules[i], &rec), 0);
		ck_assert_int_eq(drop_table_add(t, &rec, &ops, &id), 0);
	}
	add_s = seconds_since(&t0);
	printf("drop_table: %s: %u adds in %.3f s (%.2f us each, %llu map writes)\n",
	       what, n, add_s, add_s * 1e6 / n, (unsigned long long)*writes);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(drop_table_del(t, 1 + (i * 7919u) % n, &ops), 0);
	del_s = seconds_since(&t0);
	printf("drop_table: %s: %u deletes (scattered order) in %.3f s\n", what, n,
	       del_s);
	ck_assert_uint_eq(drop_table_count(t), 0);
	/* generous: the target is well under a second; sanitizers are slow */
	ck_assert_msg(add_s < 10 && del_s < 10, "too slow");
	drop_table_free(t);
}

START_TEST(test_speed_100k_host_prefixes)
{
	const uint32_t n = 100000;
	struct ebpfnet_drop_rule *rules = calloc(n, sizeof(*rules));
	uint64_t writes = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		rules[i] = base_rule();
		rules[i].match |= EBPFNET_DROP_MATCH_SRC;
		rules[i].src.family = AF_INET;
		rules[i].src.len = 32;
		rules[i].src.addr[0] = 10;
		rules[i].src.addr[1] = (uint8_t)(i >> 16);
		rules[i].src.addr[2] = (uint8_t)(i >> 8);
		rules[i].src.addr[3] = (uint8_t)i;
	}
	time_rules("100000 /32 prefixes", rules, n, &writes);
	free(rules);
}
END_TEST

/* 10,000 nested IPv6 prefixes: a /32, 40 /48 inside, 40 x 10 /64 inside
 * those, the rest /128 inside the /64s; one rule each, all of one shape,
 * so the wider rules' entries are inherited by every class inside. */
START_TEST(test_speed_10k_nested_prefixes)
{
	const uint32_t n = 10000;
	struct ebpfnet_drop_rule *rules = calloc(n, sizeof(*rules));
	uint64_t writes = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct ebpfnet_drop_prefix *p = &rules[i].dst;

		rules[i] = base_rule();
		rules[i].match |= EBPFNET_DROP_MATCH_DST;
		with_prefix(p, "2001:db8::/32");
		if (i == 0)
			continue;
		p->addr[4] = (uint8_t)(i % 40);
		p->len = 48;
		if (i <= 40) {
			p->addr[4] = (uint8_t)(i - 1);
			continue;
		}
		p->addr[6] = (uint8_t)(i % 10);
		p->len = 64;
		if (i <= 440) {
			p->addr[4] = (uint8_t)((i - 41) / 10);
			p->addr[6] = (uint8_t)((i - 41) % 10);
			continue;
		}
		p->len = 128;
		p->addr[14] = (uint8_t)(i >> 8);
		p->addr[15] = (uint8_t)i;
	}
	time_rules("10000 nested prefixes", rules, n, &writes);
	free(rules);
}
END_TEST

static Suite *drop_table_suite(void)
{
	Suite *s = suite_create("drop_table");
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_validation_errors, 0,
			    (int)EBPFNET_ARRAY_SIZE(bad_cases));
	tcase_add_test(tc, test_record_round_trip);
	tcase_add_test(tc, test_ids_and_duplicates);
	tcase_add_test(tc, test_shape_and_sig_limits);
	tcase_add_test(tc, test_write_order);
	tcase_add_loop_test(tc, test_pass_over_nested_drop, 0, 2);
	tcase_add_loop_test(tc, test_three_levels, 0, 6);
	tcase_add_test(tc, test_slots_exhausted);
	tcase_add_test(tc, test_delete_every_order_then_adopt);
	tcase_add_test(tc, test_adopt_after_a_hole);
	tcase_add_test(tc, test_adopt_bad_placement);
	tcase_add_test(tc, test_adopt_inconsistent);
	tcase_add_loop_test(tc, test_random_rule_sets, 0, 12);
	tcase_add_loop_test(tc, test_adopt_behaves_the_same, 0, 6);
	tcase_add_loop_test(tc, test_undo_at_every_write, 0, 6);
	tcase_add_test(tc, test_speed_100k_host_prefixes);
	tcase_add_test(tc, test_speed_10k_nested_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(drop_table_suite(), CK_NORMAL);
}
