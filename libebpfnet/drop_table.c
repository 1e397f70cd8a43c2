/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: the rule model. Pure userspace: it turns "add rule" / "delete
 * rule" into writes through struct drop_map_ops (drop_internal.h) in an
 * order that keeps every packet's view whole (the classifier is described
 * at the top of drop_abi.h).
 *
 * What the model keeps:
 *  - rules by id (the lowest free id is given out);
 *  - one binary trie (path-compressed) of stored prefixes per family; a
 *    stored prefix has a class id (its LPM entry) and the rules naming it;
 *  - shape slots: the effective match bits of tuple rules (a rule with a
 *    prefix also matches on the family, since class ids are per family);
 *  - `matches`: every tuple rule's match (its own key, slot replaced by
 *    its bits) -> the rule (duplicates);
 *  - `entries`: every tuple entry written -> the rule that owns it. A rule
 *    on P owns the entries of its key for P's class and for the class of
 *    every stored prefix inside P (the cross product for src and dst).
 *  - signature rules (two banks, the inactive one rewritten, then flipped).
 *
 * Every matching rule counts, so two rules must never want one tuple key.
 * Two rules "overlap" (would share a key) when they differ only in their
 * prefixes and these nest on each side: pass 10/8 and drop 10.1/16. Such
 * rules go to different slots holding the same bits: a rule goes to the
 * lowest slot of its bits where no rule overlaps it, else to a new slot.
 * The program scans every slot, so each rule is found in its own. Rules
 * never move between slots (a move is not atomic for packets: for a while
 * the rule would match twice), so where a rule sits depends on the
 * history; the stored record keeps its slot for adoption.
 *
 * Every map write goes through a journal, so that a failure midway can be
 * undone in reverse; the model changes only once every write succeeded.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "drop_internal.h"
#include "internal.h"

/* PKT_FAMILY_IPV4/6 of bpf/include/parse.h (a BPF-only header). */
#define KEY_FAMILY_IPV4 4
#define KEY_FAMILY_IPV6 6

#define DROP_M_ALL (DROP_M_FAMILY | DROP_M_PROTO | DROP_M_ICMP_TYPE | \
		    DROP_M_ICMP_CODE | DROP_M_SRC | DROP_M_DST |         \
		    DROP_M_SPORT | DROP_M_DPORT | DROP_M_SIG)
#define DROP_M_PREFIXES (DROP_M_SRC | DROP_M_DST)
#define MAX_RULES_LIMIT (1u << 20)

enum { SIDE_SRC = 0, SIDE_DST = 1 };

/* ---- validation ------------------------------------------------------ */

static unsigned int af_bits(uint8_t af)
{
	return af == AF_INET ? 32 : 128;
}

static bool bit_at(const uint8_t *addr, unsigned int i)
{
	return (addr[i / 8] >> (7 - i % 8)) & 1;
}

static const char *prefix_str(uint8_t af, const uint8_t *addr, uint8_t len,
			      char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(af, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, size, "%s/%u", ip, len);
	return buf;
}

static int check_prefix(const char *field, uint8_t af, uint8_t len,
			const uint8_t addr[16])
{
	char text[INET6_ADDRSTRLEN + 8];
	unsigned int i;

	if (af != AF_INET && af != AF_INET6) {
		pr_warn("drop rule: %s: family %u is not AF_INET or AF_INET6",
			field, af);
		return -EINVAL;
	}
	if (len > af_bits(af)) {
		pr_warn("drop rule: %s: prefix length %u is over %u", field,
			len, af_bits(af));
		return -EINVAL;
	}
	for (i = af_bits(af) / 8; i < 16; i++) {
		if (addr[i]) {
			pr_warn("drop rule: %s: bytes past the IPv4 address must be zero",
				field);
			return -EINVAL;
		}
	}
	for (i = len; i < af_bits(af); i++) {
		if (bit_at(addr, i)) {
			pr_warn("drop rule: %s: %s has host bits set", field,
				prefix_str(af, addr, len, text, sizeof(text)));
			return -EINVAL;
		}
	}
	return 0;
}

/* The family the rule is about (AF_*), from `family` or a prefix; 0. */
static uint8_t record_af(const struct drop_rule_record *rec)
{
	if (rec->match & DROP_M_FAMILY)
		return rec->family;
	if (rec->match & DROP_M_SRC)
		return rec->src_family;
	if (rec->match & DROP_M_DST)
		return rec->dst_family;
	return 0;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/* A field the match does not name must be zero: a value there is a
 * forgotten match bit, not something to ignore. */
static int check_unset(const struct drop_rule_record *rec)
{
	static const struct {
		uint32_t bit;
		const char *name;
		size_t off, len;
	} fields[] = {
#define F(bit, name, field) \
	{ bit, name, offsetof(struct drop_rule_record, field), \
	  sizeof(((struct drop_rule_record *)0)->field) }
		F(DROP_M_FAMILY, "family", family),
		F(DROP_M_PROTO, "proto", proto),
		F(DROP_M_ICMP_TYPE, "icmp_type", icmp_type),
		F(DROP_M_ICMP_CODE, "icmp_code", icmp_code),
		F(DROP_M_SRC, "src", src_family), F(DROP_M_SRC, "src", src_len),
		F(DROP_M_SRC, "src", src),
		F(DROP_M_DST, "dst", dst_family), F(DROP_M_DST, "dst", dst_len),
		F(DROP_M_DST, "dst", dst),
		F(DROP_M_SPORT, "sport", sport),
		F(DROP_M_DPORT, "dport", dport),
		F(DROP_M_SIG, "sig_base", sig_base),
		F(DROP_M_SIG, "sig_len", sig_len),
		F(DROP_M_SIG, "sig_offset", sig_offset),
		F(DROP_M_SIG, "sig_value", sig_value),
		F(DROP_M_SIG, "sig_mask", sig_mask),
#undef F
	};
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(fields); i++) {
		if (!(rec->match & fields[i].bit) &&
		    !all_zero((const uint8_t *)rec + fields[i].off,
			      fields[i].len)) {
			pr_warn("drop rule: %s is set but its EBPFNET_DROP_MATCH_* bit is not in match",
				fields[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_family(const struct drop_rule_record *rec)
{
	uint32_t m = rec->match;

	if ((m & DROP_M_FAMILY) && rec->family != AF_INET &&
	    rec->family != AF_INET6) {
		pr_warn("drop rule: family: %u is not AF_INET or AF_INET6",
			rec->family);
		return -EINVAL;
	}
	if ((m & DROP_M_SRC) &&
	    check_prefix("src", rec->src_family, rec->src_len, rec->src))
		return -EINVAL;
	if ((m & DROP_M_DST) &&
	    check_prefix("dst", rec->dst_family, rec->dst_len, rec->dst))
		return -EINVAL;
	if ((m & DROP_M_FAMILY) && (m & DROP_M_SRC) &&
	    rec->family != rec->src_family) {
		pr_warn("drop rule: src: the prefix's family is not the rule's family");
		return -EINVAL;
	}
	if ((m & DROP_M_FAMILY) && (m & DROP_M_DST) &&
	    rec->family != rec->dst_family) {
		pr_warn("drop rule: dst: the prefix's family is not the rule's family");
		return -EINVAL;
	}
	if ((m & DROP_M_SRC) && (m & DROP_M_DST) &&
	    rec->src_family != rec->dst_family) {
		pr_warn("drop rule: dst: src and dst prefixes are of different families");
		return -EINVAL;
	}
	return 0;
}

static int check_l4(const struct drop_rule_record *rec)
{
	uint32_t m = rec->match;
	uint8_t af = record_af(rec);
	bool has_proto = m & DROP_M_PROTO;

	if (m & (DROP_M_ICMP_TYPE | DROP_M_ICMP_CODE)) {
		const char *field = (m & DROP_M_ICMP_TYPE) ? "icmp_type" :
							     "icmp_code";

		if (!has_proto || (rec->proto != IPPROTO_ICMP &&
				   rec->proto != IPPROTO_ICMPV6)) {
			pr_warn("drop rule: %s: needs proto icmp (1) or icmpv6 (58)",
				field);
			return -EINVAL;
		}
		if (rec->proto == IPPROTO_ICMP && af == AF_INET6) {
			pr_warn("drop rule: %s: proto icmp (1) is IPv4's; IPv6 has icmpv6 (58)",
				field);
			return -EINVAL;
		}
		if (rec->proto == IPPROTO_ICMPV6 && af == AF_INET) {
			pr_warn("drop rule: %s: proto icmpv6 (58) is IPv6's; IPv4 has icmp (1)",
				field);
			return -EINVAL;
		}
	}
	if (m & (DROP_M_SPORT | DROP_M_DPORT)) {
		const char *field = (m & DROP_M_SPORT) ? "sport" : "dport";

		if (!has_proto || (rec->proto != IPPROTO_TCP &&
				   rec->proto != IPPROTO_UDP &&
				   rec->proto != IPPROTO_SCTP)) {
			pr_warn("drop rule: %s: ports need proto tcp, udp or sctp",
				field);
			return -EINVAL;
		}
		if (((m & DROP_M_SPORT) && !rec->sport) ||
		    ((m & DROP_M_DPORT) && !rec->dport)) {
			pr_warn("drop rule: %s: 0 is not a port (1-65535)",
				(m & DROP_M_SPORT) && !rec->sport ? "sport" :
								    "dport");
			return -EINVAL;
		}
	}
	return 0;
}

static int check_sig(const struct drop_rule_record *rec)
{
	unsigned int i;

	if (!(rec->match & DROP_M_SIG))
		return 0;
	if (rec->sig_base != EBPFNET_DROP_SIG_L3 &&
	    rec->sig_base != EBPFNET_DROP_SIG_L4) {
		pr_warn("drop rule: sig_base: %u is not L3 (0) or L4 (1)",
			rec->sig_base);
		return -EINVAL;
	}
	if (rec->sig_len < 1 || rec->sig_len > DROP_SIG_MAX) {
		pr_warn("drop rule: sig_len: %u is not 1..%u", rec->sig_len,
			DROP_SIG_MAX);
		return -EINVAL;
	}
	if (rec->sig_offset > DROP_SIG_MAX_OFFSET) {
		pr_warn("drop rule: sig_offset: %u is over %u", rec->sig_offset,
			DROP_SIG_MAX_OFFSET);
		return -EINVAL;
	}
	if (!all_zero(rec->sig_value + rec->sig_len,
		      DROP_SIG_MAX - rec->sig_len) ||
	    !all_zero(rec->sig_mask + rec->sig_len,
		      DROP_SIG_MAX - rec->sig_len)) {
		pr_warn("drop rule: sig_value/sig_mask: bytes past sig_len (%u) must be zero",
			rec->sig_len);
		return -EINVAL;
	}
	if (all_zero(rec->sig_mask, rec->sig_len)) {
		pr_warn("drop rule: sig_mask: all zero (it would match every packet)");
		return -EINVAL;
	}
	for (i = 0; i < rec->sig_len; i++) {
		if (rec->sig_value[i] & ~rec->sig_mask[i]) {
			pr_warn("drop rule: sig_value: byte %u (0x%02x) has bits outside its mask (0x%02x)",
				i, rec->sig_value[i], rec->sig_mask[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Every field of a record, as it comes from a caller or a pinned map. */
static int validate_record(const struct drop_rule_record *rec)
{
	if (rec->version != DROP_RULE_RECORD_VERSION) {
		pr_warn("drop rule: record version %u, this library knows %u",
			rec->version, DROP_RULE_RECORD_VERSION);
		return -EINVAL;
	}
	if (rec->action > DROP_ACT_COUNT) {
		pr_warn("drop rule: action: %u is not drop (0), pass (1) or count (2)",
			rec->action);
		return -EINVAL;
	}
	if (rec->match & ~DROP_M_ALL) {
		pr_warn("drop rule: match: unknown bits 0x%x",
			rec->match & ~DROP_M_ALL);
		return -EINVAL;
	}
	if (!rec->match) {
		pr_warn("drop rule: match: empty, the rule would match every packet (to drop all traffic, add rules 'family ipv4' and 'family ipv6')");
		return -EINVAL;
	}
	if (check_unset(rec) || check_family(rec) || check_l4(rec) ||
	    check_sig(rec))
		return -EINVAL;
	return 0;
}

int drop_rule_to_record(const struct ebpfnet_drop_rule *rule,
			struct drop_rule_record *rec)
{
	struct ebpfnet_drop_rule r;

	if (!rule || !rec) {
		pr_warn("drop rule: %s is NULL", rule ? "record" : "rule");
		return ebpfnet__err(-EINVAL);
	}
	if (!EBPFNET_OPTS_VALID(rule, ebpfnet_drop_rule, sig_mask))
		return ebpfnet__err(-EINVAL);
	/* An older, shorter struct: the fields it lacks are unset. */
	memset(&r, 0, sizeof(r));
	memcpy(&r, rule, rule->sz < sizeof(r) ? rule->sz : sizeof(r));
	if ((unsigned int)r.action > DROP_ACT_COUNT) {
		pr_warn("drop rule: action: %u is not drop (0), pass (1) or count (2)",
			(unsigned int)r.action);
		return ebpfnet__err(-EINVAL);
	}
	if ((unsigned int)r.sig_base > EBPFNET_DROP_SIG_L4) {
		pr_warn("drop rule: sig_base: %u is not L3 (0) or L4 (1)",
			(unsigned int)r.sig_base);
		return ebpfnet__err(-EINVAL);
	}
	memset(rec, 0, sizeof(*rec));
	rec->version = DROP_RULE_RECORD_VERSION;
	rec->action = r.action;
	rec->match = r.match;
	rec->family = r.family;
	rec->proto = r.proto;
	rec->icmp_type = r.icmp_type;
	rec->icmp_code = r.icmp_code;
	rec->src_family = r.src.family;
	rec->src_len = r.src.len;
	memcpy(rec->src, r.src.addr, sizeof(rec->src));
	rec->dst_family = r.dst.family;
	rec->dst_len = r.dst.len;
	memcpy(rec->dst, r.dst.addr, sizeof(rec->dst));
	rec->sport = r.sport;
	rec->dport = r.dport;
	rec->sig_base = (uint8_t)r.sig_base;
	rec->sig_len = r.sig_len;
	rec->sig_offset = r.sig_offset;
	memcpy(rec->sig_value, r.sig_value, sizeof(rec->sig_value));
	memcpy(rec->sig_mask, r.sig_mask, sizeof(rec->sig_mask));
	return ebpfnet__err(validate_record(rec));
}

void drop_record_to_rule(const struct drop_rule_record *rec,
			 struct ebpfnet_drop_rule *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->sz = sizeof(*rule);
	rule->id = rec->id;
	rule->action = (enum ebpfnet_drop_action)rec->action;
	rule->match = rec->match;
	rule->family = rec->family;
	rule->proto = rec->proto;
	rule->icmp_type = rec->icmp_type;
	rule->icmp_code = rec->icmp_code;
	rule->src.family = rec->src_family;
	rule->src.len = rec->src_len;
	memcpy(rule->src.addr, rec->src, sizeof(rule->src.addr));
	rule->dst.family = rec->dst_family;
	rule->dst.len = rec->dst_len;
	memcpy(rule->dst.addr, rec->dst, sizeof(rule->dst.addr));
	rule->sport = rec->sport;
	rule->dport = rec->dport;
	rule->sig_base = (enum ebpfnet_drop_sig_base)rec->sig_base;
	rule->sig_offset = rec->sig_offset;
	rule->sig_len = rec->sig_len;
	memcpy(rule->sig_value, rec->sig_value, sizeof(rule->sig_value));
	memcpy(rule->sig_mask, rec->sig_mask, sizeof(rule->sig_mask));
}

/* ---- id allocation: the lowest free id, from a bitmap ------------------ */

struct id_alloc {
	uint64_t *bits;     /* bit i: id i in use (bit 0 stays set) */
	uint32_t nwords;
	uint32_t hint;      /* no free id below it */
	uint32_t max;       /* ids 1..max */
	uint32_t used;
};

static int ids_init(struct id_alloc *a, uint32_t max)
{
	memset(a, 0, sizeof(*a));
	a->max = max;
	a->hint = 1;
	a->nwords = 1;
	a->bits = calloc(1, sizeof(uint64_t));
	if (!a->bits)
		return -ENOMEM;
	a->bits[0] = 1;
	return 0;
}

static bool ids_test(const struct id_alloc *a, uint32_t id)
{
	return id / 64 < a->nwords && (a->bits[id / 64] >> (id % 64)) & 1;
}

/* Mark `id` used (growing the bitmap). */
static int ids_take(struct id_alloc *a, uint32_t id)
{
	if (id / 64 >= a->nwords) {
		uint32_t n = a->nwords;
		uint64_t *bits;

		while (id / 64 >= n)
			n *= 2;
		bits = realloc(a->bits, n * sizeof(uint64_t));
		if (!bits)
			return -ENOMEM;
		memset(bits + a->nwords, 0, (n - a->nwords) * sizeof(uint64_t));
		a->bits = bits;
		a->nwords = n;
	}
	a->bits[id / 64] |= 1ull << (id % 64);
	a->used++;
	return 0;
}

/* The lowest free id (not taken yet), 0 when all max are in use. */
static uint32_t ids_lowest(struct id_alloc *a)
{
	uint32_t w;

	if (a->used >= a->max)
		return 0;
	for (w = a->hint / 64; w < a->nwords; w++) {
		if (~a->bits[w]) {
			uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(~a->bits[w]);

			a->hint = id;
			return id <= a->max ? id : 0;
		}
	}
	a->hint = a->nwords * 64;
	return a->hint <= a->max ? a->hint : 0;
}

static void ids_put(struct id_alloc *a, uint32_t id)
{
	a->bits[id / 64] &= ~(1ull << (id % 64));
	a->used--;
	if (id < a->hint)
		a->hint = id;
}

/* ---- the prefix trie (path-compressed, one per family) ------------------ */

struct rule;

struct pfx_user {
	struct rule *rule;
	int side;               /* SIDE_SRC or SIDE_DST */
};

struct pfx {
	struct pfx *child[2];
	struct pfx *parent;
	uint8_t addr[16];       /* masked to len */
	uint8_t len;
	uint8_t family;         /* KEY_FAMILY_IPV4/6 */
	uint32_t class_id;      /* 0: a branching node, not a stored prefix */
	struct pfx_user *users; /* the rules naming it */
	uint32_t nusers, capusers;
};

struct trie {
	struct pfx *root;
	struct pfx **by_class;  /* class id -> prefix */
	uint32_t cap;
	struct id_alloc classes;
	uint8_t family;
};

static unsigned int common_bits(const uint8_t *a, const uint8_t *b,
				unsigned int max)
{
	unsigned int i = 0;

	while (i < max && i % 8 == 0 && max - i >= 8 && a[i / 8] == b[i / 8])
		i += 8;
	while (i < max && bit_at(a, i) == bit_at(b, i))
		i++;
	return i;
}

static void mask_addr(uint8_t *out, const uint8_t *addr, unsigned int len)
{
	unsigned int i;

	memset(out, 0, 16);
	for (i = 0; i < len / 8; i++)
		out[i] = addr[i];
	if (len % 8)
		out[len / 8] = addr[len / 8] & (uint8_t)(0xff00 >> (len % 8));
}

static struct pfx *pfx_new(uint8_t family, const uint8_t *addr, uint8_t len)
{
	struct pfx *p = calloc(1, sizeof(*p));

	if (p) {
		mask_addr(p->addr, addr, len);
		p->len = len;
		p->family = family;
	}
	return p;
}

static bool pfx_contains(const struct pfx *outer, const struct pfx *inner)
{
	return outer->len <= inner->len &&
	       common_bits(outer->addr, inner->addr, outer->len) == outer->len;
}

static struct pfx **trie_link(struct trie *tr, struct pfx *p)
{
	return p->parent ? &p->parent->child[bit_at(p->addr, p->parent->len)] :
			   &tr->root;
}

static struct pfx *trie_find(const struct trie *tr, const uint8_t *addr,
			     uint8_t len)
{
	struct pfx *n = tr->root;

	while (n && n->len <= len &&
	       common_bits(n->addr, addr, n->len) == n->len) {
		if (n->len == len)
			return n->class_id ? n : NULL;
		n = n->child[bit_at(addr, n->len)];
	}
	return NULL;
}

/* The node of addr/len, created (without a class) when missing. */
static struct pfx *trie_insert(struct trie *tr, const uint8_t *addr,
			       uint8_t len)
{
	struct pfx **link = &tr->root, *parent = NULL, *n, *p, *glue;
	unsigned int common = 0;

	while ((n = *link)) {
		common = common_bits(n->addr, addr, n->len < len ? n->len : len);
		if (common < n->len)
			break;
		if (n->len == len)
			return n;
		parent = n;
		link = &n->child[bit_at(addr, n->len)];
	}
	p = pfx_new(tr->family, addr, len);
	if (!p)
		return NULL;
	p->parent = parent;
	if (!n) {
		*link = p;
		return p;
	}
	if (common == len) {
		/* p lies on the way to n: n goes below p */
		p->child[bit_at(n->addr, len)] = n;
		n->parent = p;
		*link = p;
		return p;
	}
	glue = pfx_new(tr->family, addr, (uint8_t)common);
	if (!glue) {
		free(p);
		return NULL;
	}
	glue->parent = parent;
	glue->child[bit_at(addr, common)] = p;
	glue->child[bit_at(n->addr, common)] = n;
	p->parent = glue;
	n->parent = glue;
	*link = glue;
	return p;
}

/* Drop nodes that are neither stored nor branching, from p upwards. */
static void trie_prune(struct trie *tr, struct pfx *p)
{
	while (p && !p->class_id && !(p->child[0] && p->child[1])) {
		struct pfx *c = p->child[0] ? p->child[0] : p->child[1];
		struct pfx *parent = p->parent;

		*trie_link(tr, p) = c;
		if (c)
			c->parent = parent;
		free(p->users);
		free(p);
		if (c)
			break;
		p = parent;
	}
}

/* Give p class `id`. */
static int trie_store_id(struct trie *tr, struct pfx *p, uint32_t id)
{
	int err;

	if (id >= tr->cap) {
		uint32_t cap = tr->cap ? tr->cap : 64;
		struct pfx **v;

		while (id >= cap)
			cap *= 2;
		v = realloc(tr->by_class, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + tr->cap, 0, (cap - tr->cap) * sizeof(*v));
		tr->by_class = v;
		tr->cap = cap;
	}
	err = ids_take(&tr->classes, id);
	if (err)
		return err;
	p->class_id = id;
	tr->by_class[id] = p;
	return 0;
}

/* Give p a class id: the lowest free one. */
static int trie_store(struct trie *tr, struct pfx *p)
{
	uint32_t id = ids_lowest(&tr->classes);

	if (!id) {
		pr_warn("drop table: %u prefixes of %s in use, no class left",
			DROP_MAX_CLASSES,
			tr->family == KEY_FAMILY_IPV4 ? "IPv4" : "IPv6");
		return -ENOSPC;
	}
	return trie_store_id(tr, p, id);
}

static void trie_unstore(struct trie *tr, struct pfx *p)
{
	tr->by_class[p->class_id] = NULL;
	ids_put(&tr->classes, p->class_id);
	p->class_id = 0;
	trie_prune(tr, p);
}

/* The nearest stored prefix above p, NULL at the top. */
static struct pfx *stored_parent(const struct pfx *p)
{
	for (p = p->parent; p && !p->class_id; p = p->parent)
		;
	return (struct pfx *)p;
}

static void trie_free(struct pfx *p)
{
	if (!p)
		return;
	trie_free(p->child[0]);
	trie_free(p->child[1]);
	free(p->users);
	free(p);
}

/* Room for `extra` more users of p. */
static int pfx_reserve_users(struct pfx *p, uint32_t extra)
{
	uint32_t cap = p->capusers ? p->capusers : 2;
	struct pfx_user *u;

	while (p->nusers + extra > cap)
		cap *= 2;
	if (cap == p->capusers)
		return 0;
	u = realloc(p->users, cap * sizeof(*u));
	if (!u)
		return -ENOMEM;
	p->users = u;
	p->capusers = cap;
	return 0;
}

/* ---- a hash of tuple keys (open addressing, linear probing) ------------- */

struct kslot {
	struct drop_key key;
	struct rule *rule;      /* NULL: empty */
};

struct keymap {
	struct kslot *slots;
	size_t cap;             /* a power of two */
	size_t n;
};

static size_t key_hash(const struct drop_key *k)
{
	uint32_t w[5];
	uint64_t h = 0x9e3779b97f4a7c15ull;
	size_t i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return (size_t)h;
}

_Static_assert(sizeof(struct drop_key) == 20, "drop_key has no padding");

static struct kslot *keymap_slot(const struct keymap *m,
				 const struct drop_key *k)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = key_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct kslot *s = &m->slots[i];

		if (!s->rule || !memcmp(&s->key, k, sizeof(*k)))
			return s;
	}
}

static struct rule *keymap_get(const struct keymap *m, const struct drop_key *k)
{
	struct kslot *s = keymap_slot(m, k);

	return s ? s->rule : NULL;
}

/* Room for `extra` more keys without growing (so a later set cannot
 * fail). */
static int keymap_reserve(struct keymap *m, size_t extra)
{
	struct kslot *old = m->slots;
	size_t oldcap = m->cap, cap = m->cap ? m->cap : 64, i;

	while ((m->n + extra) * 2 > cap)
		cap *= 2;
	if (cap == m->cap)
		return 0;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (i = 0; i < oldcap; i++)
		if (old[i].rule)
			*keymap_slot(m, &old[i].key) = old[i];
	free(old);
	return 0;
}

/* Set (rule) or remove (NULL) a key; call keymap_reserve() first. */
static void keymap_set(struct keymap *m, const struct drop_key *k,
		       struct rule *r)
{
	struct kslot *s = keymap_slot(m, k);
	size_t i, j, mask = m->cap - 1;

	if (r) {
		if (!s->rule)
			m->n++;
		s->key = *k;
		s->rule = r;
		return;
	}
	if (!s || !s->rule)
		return;
	m->n--;
	/* backward-shift deletion: no tombstones */
	i = (size_t)(s - m->slots);
	for (j = (i + 1) & mask; m->slots[j].rule; j = (j + 1) & mask) {
		size_t h = key_hash(&m->slots[j].key) & mask;
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);

		if (!stays) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].rule = NULL;
}

/* ---- the table -------------------------------------------------------- */

struct rule {
	struct drop_rule_record rec;
	struct pfx *pfx[2];     /* src, dst: tuple rules naming a prefix */
	uint32_t user_pos[2];   /* index in pfx[side]->users */
	uint32_t shape;         /* slot (tuple rules) */
	uint32_t bits;          /* effective shape bits (tuple rules) */
};

struct shape_slot {
	uint32_t bits;          /* 0: free */
	uint32_t rules;
};

enum undo_kind {
	UNDO_TUPLE,       /* entry key was owned by `rule` (NULL: absent) */
	UNDO_LPM_ADDED,   /* lpm_update of pfx: delete it */
	UNDO_LPM_REMOVED, /* lpm_delete of pfx: put it back */
	UNDO_SHAPE,       /* slot `a` held bits `b` */
	UNDO_CFG,         /* knob `a` held `b` */
	UNDO_SIG,         /* slot `a` of the inactive bank: from the copy */
	UNDO_RECORD_STORED,
	UNDO_RECORD_DELETED,
};

struct undo {
	enum undo_kind kind;
	uint32_t a, b;
	struct rule *rule;
	struct pfx *pfx;
	struct drop_key key;
};

struct drop_table {
	uint32_t max_rules;
	struct rule **rules;    /* [max_rules + 1], by id */
	struct id_alloc ids;
	struct trie tries[2];   /* IPv4, IPv6 */
	struct keymap matches;  /* match_key() of a tuple rule -> the rule */
	struct keymap entries;  /* every tuple entry -> its owner */
	struct shape_slot shapes[DROP_MAX_SHAPES];
	struct rule *sigs[DROP_MAX_SIG_RULES]; /* signature rules, by id */
	uint32_t nsigs;
	struct drop_sig_rule banks[2][DROP_MAX_SIG_RULES]; /* as written */
	bool bank_known[2];     /* false: unknown, rewrite every slot */
	struct drop_sig_rule bank_saved[DROP_MAX_SIG_RULES];
	bool bank_saved_known;
	uint32_t cfg[DROP_CFG_NR]; /* the knobs as written */
	const struct drop_map_ops *ops; /* of the change in progress */
	struct undo *journal;
	size_t njournal, capjournal;
	struct pfx **scratch[2]; /* prefix lists while enumerating keys */
	size_t nscratch[2], capscratch[2];
};

static struct trie *trie_of(struct drop_table *t, uint8_t af)
{
	return &t->tries[af == AF_INET ? 0 : 1];
}

static int journal_reserve(struct drop_table *t, size_t extra)
{
	size_t cap = t->capjournal ? t->capjournal : 64;
	struct undo *j;

	while (t->njournal + extra > cap)
		cap *= 2;
	if (cap == t->capjournal)
		return 0;
	j = realloc(t->journal, cap * sizeof(*j));
	if (!j)
		return -ENOMEM;
	t->journal = j;
	t->capjournal = cap;
	return 0;
}

static void journal_push(struct drop_table *t, struct undo u)
{
	t->journal[t->njournal++] = u;
}

static struct drop_verdict verdict_of(const struct rule *r)
{
	return (struct drop_verdict){ .rule_id = r->rec.id,
				      .action = r->rec.action };
}

/*
 * A tuple rule's slot, kept in its stored record (shape_slot = slot + 1):
 * rules never move, so adoption cannot recompute where they sit, it reads
 * it back. The model's records (drop_table_get) carry 0 there.
 */
static struct drop_rule_record stored_record(const struct rule *r)
{
	struct drop_rule_record rec = r->rec;

	if (!(rec.match & DROP_M_SIG))
		rec.shape_slot = r->shape + 1;
	return rec;
}

/* Take the slot out of a stored record: slot + 1, 0 when it names none. */
static uint32_t record_take_slot(struct drop_rule_record *rec)
{
	uint32_t placed = rec->shape_slot;

	rec->shape_slot = 0;
	return placed;
}

static int pfx_lpm_update(const struct drop_map_ops *ops, const struct pfx *p)
{
	return ops->lpm_update(ops->ctx, p->family, p->addr, p->len,
			       p->class_id);
}

/* Undo one journaled write (best effort: a failure is logged). */
static void undo_one(struct drop_table *t, const struct drop_map_ops *ops,
		     const struct undo *u)
{
	struct drop_rule_record rec;
	struct drop_verdict v;
	int err = 0;

	switch (u->kind) {
	case UNDO_TUPLE:
		if (u->rule) {
			v = verdict_of(u->rule);
			err = ops->tuple_update(ops->ctx, &u->key, &v);
		} else {
			err = ops->tuple_delete(ops->ctx, &u->key);
		}
		keymap_set(&t->entries, &u->key, u->rule);
		break;
	case UNDO_LPM_ADDED:
		err = ops->lpm_delete(ops->ctx, u->pfx->family, u->pfx->addr,
				      u->pfx->len);
		break;
	case UNDO_LPM_REMOVED:
		err = pfx_lpm_update(ops, u->pfx);
		break;
	case UNDO_SHAPE:
		err = ops->shape_set(ops->ctx, u->a, u->b);
		t->shapes[u->a].bits = u->b;
		break;
	case UNDO_CFG:
		err = ops->cfg_set(ops->ctx, (enum drop_cfg)u->a, u->b);
		t->cfg[u->a] = u->b;
		break;
	case UNDO_SIG:
		err = ops->sig_write(ops->ctx, u->a, &t->bank_saved[u->b]);
		t->banks[u->a / DROP_MAX_SIG_RULES][u->b] = t->bank_saved[u->b];
		t->bank_known[u->a / DROP_MAX_SIG_RULES] = t->bank_saved_known;
		break;
	case UNDO_RECORD_STORED:
		err = ops->record_delete(ops->ctx, u->a);
		break;
	case UNDO_RECORD_DELETED:
		rec = stored_record(u->rule);
		err = ops->record_store(ops->ctx, &rec);
		break;
	}
	if (err)
		pr_warn("drop table: undoing a map write failed (%s): the maps may hold a partial change",
			ebpfnet_strerror(err));
}

static void journal_rollback(struct drop_table *t,
			     const struct drop_map_ops *ops)
{
	while (t->njournal)
		undo_one(t, ops, &t->journal[--t->njournal]);
}

/* Write (owner) or delete (NULL) one tuple entry, journaled. */
static int set_entry(struct drop_table *t, const struct drop_map_ops *ops,
		     const struct drop_key *k, struct rule *owner)
{
	struct rule *prev = keymap_get(&t->entries, k);
	struct drop_verdict v;
	int err;

	err = journal_reserve(t, 1);
	if (!err)
		err = keymap_reserve(&t->entries, 1);
	if (err)
		return err;
	if (owner) {
		v = verdict_of(owner);
		err = ops->tuple_update(ops->ctx, k, &v);
	} else {
		err = ops->tuple_delete(ops->ctx, k);
	}
	if (err)
		return err;
	journal_push(t, (struct undo){ .kind = UNDO_TUPLE, .key = *k,
				       .rule = prev });
	keymap_set(&t->entries, k, owner);
	return 0;
}

static int set_cfg(struct drop_table *t, const struct drop_map_ops *ops,
		   enum drop_cfg knob, uint32_t value)
{
	int err = journal_reserve(t, 1);

	if (!err)
		err = ops->cfg_set(ops->ctx, knob, value);
	if (err)
		return err;
	journal_push(t, (struct undo){ .kind = UNDO_CFG, .a = knob,
				       .b = t->cfg[knob] });
	t->cfg[knob] = value;
	return 0;
}

static int set_shape(struct drop_table *t, const struct drop_map_ops *ops,
		     uint32_t slot, uint32_t bits)
{
	int err = journal_reserve(t, 1);

	if (!err)
		err = ops->shape_set(ops->ctx, slot, bits);
	if (err)
		return err;
	journal_push(t, (struct undo){ .kind = UNDO_SHAPE, .a = slot,
				       .b = t->shapes[slot].bits });
	t->shapes[slot].bits = bits;
	return 0;
}

static int lpm_change(struct drop_table *t, const struct drop_map_ops *ops,
		      struct pfx *p, bool add)
{
	int err = journal_reserve(t, 1);

	if (err)
		return err;
	err = add ? pfx_lpm_update(ops, p) :
		    ops->lpm_delete(ops->ctx, p->family, p->addr, p->len);
	if (err)
		return err;
	journal_push(t, (struct undo){
		.kind = add ? UNDO_LPM_ADDED : UNDO_LPM_REMOVED, .pfx = p });
	return 0;
}

/* ---- tuple keys of a rule ----------------------------------------------- */

/* The effective shape: class ids are per family, so a prefix brings the
 * family into the key. */
static uint32_t shape_bits(const struct drop_rule_record *rec)
{
	uint32_t bits = rec->match & ~DROP_M_SIG;

	if (bits & DROP_M_PREFIXES)
		bits |= DROP_M_FAMILY;
	return bits;
}

static uint8_t key_family(uint8_t af)
{
	return af == AF_INET ? KEY_FAMILY_IPV4 : KEY_FAMILY_IPV6;
}

static struct drop_key rule_key(const struct rule *r, const struct pfx *src,
				const struct pfx *dst)
{
	const struct drop_rule_record *rec = &r->rec;
	struct drop_key k;

	memset(&k, 0, sizeof(k));
	k.shape = r->shape;
	if (r->bits & DROP_M_SRC)
		k.src_class = src->class_id;
	if (r->bits & DROP_M_DST)
		k.dst_class = dst->class_id;
	if (r->bits & DROP_M_SPORT)
		k.sport = htons(rec->sport);
	if (r->bits & DROP_M_DPORT)
		k.dport = htons(rec->dport);
	if (r->bits & DROP_M_FAMILY)
		k.family = key_family(record_af(rec));
	if (r->bits & DROP_M_PROTO)
		k.proto = rec->proto;
	if (r->bits & DROP_M_ICMP_TYPE)
		k.icmp_type = rec->icmp_type;
	if (r->bits & DROP_M_ICMP_CODE)
		k.icmp_code = rec->icmp_code;
	return k;
}

/* What identifies a tuple rule's match: its own key, with its bits in
 * place of its slot (duplicates have the same one, wherever they sit). */
static struct drop_key match_key(const struct rule *r)
{
	struct drop_key k = rule_key(r, r->pfx[SIDE_SRC], r->pfx[SIDE_DST]);

	k.shape = r->bits;
	return k;
}

static bool pfx_nest(const struct pfx *a, const struct pfx *b)
{
	return pfx_contains(a, b) || pfx_contains(b, a);
}

/* r and y would want one tuple key in one slot: they differ at most in
 * their prefixes (same bits, family, other fields), which nest on each
 * side they name. */
static bool rules_overlap(const struct rule *r, const struct rule *y)
{
	struct drop_key a = match_key(r), b = match_key(y);
	int side;

	if (r == y)
		return false;
	a.src_class = a.dst_class = b.src_class = b.dst_class = 0;
	if (memcmp(&a, &b, sizeof(a)))
		return false;
	for (side = 0; side < 2; side++)
		if (r->pfx[side] && !pfx_nest(r->pfx[side], y->pfx[side]))
			return false;
	return true;
}

static int scratch_push(struct drop_table *t, int which, struct pfx *p)
{
	if (t->nscratch[which] == t->capscratch[which]) {
		size_t cap = t->capscratch[which] ? t->capscratch[which] * 2 : 64;
		struct pfx **v = realloc(t->scratch[which], cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->scratch[which] = v;
		t->capscratch[which] = cap;
	}
	t->scratch[which][t->nscratch[which]++] = p;
	return 0;
}

/* The stored prefixes inside p (p included) into scratch list `which`. */
static int collect_subs(struct drop_table *t, int which, struct pfx *p)
{
	int err = 0;

	if (p->class_id)
		err = scratch_push(t, which, p);
	if (!err && p->child[0])
		err = collect_subs(t, which, p->child[0]);
	if (!err && p->child[1])
		err = collect_subs(t, which, p->child[1]);
	return err;
}

/* Scratch list `which` for one side of r: with `only`, {only} when r's
 * prefix on that side holds it (else nothing); without, the stored
 * prefixes inside r's prefix, or {NULL} when r names none there. */
static int side_list(struct drop_table *t, struct rule *r, int side,
		     struct pfx *only, int which)
{
	struct pfx *p = r->pfx[side];

	t->nscratch[which] = 0;
	if (only)
		return p && p->family == only->family && pfx_contains(p, only) ?
			       scratch_push(t, which, only) : 0;
	return p ? collect_subs(t, which, p) : scratch_push(t, which, NULL);
}

typedef int (*key_fn)(struct drop_table *t, struct rule *r,
		      const struct drop_key *k, struct pfx *src,
		      struct pfx *dst, void *ctx);

/* fn for the pairs of scratch lists 0 x 1, but src == skip. */
static int pair_keys(struct drop_table *t, struct rule *r, struct pfx *skip,
		     key_fn fn, void *ctx)
{
	size_t i, j;
	int err;

	for (i = 0; i < t->nscratch[0]; i++) {
		struct pfx *s = t->scratch[0][i];

		if (skip && s == skip)
			continue;
		for (j = 0; j < t->nscratch[1]; j++) {
			struct pfx *d = t->scratch[1][j];
			struct drop_key k = rule_key(r, s, d);

			err = fn(t, r, &k, s, d, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Call fn for every tuple key r covers: its classes and those of every
 * stored prefix inside them (the cross product for src and dst). With
 * `only`, just the keys where a side is the class of `only`. fn must not
 * enumerate keys itself (the scratch lists are shared).
 */
static int rule_keys(struct drop_table *t, struct rule *r, struct pfx *only,
		     key_fn fn, void *ctx)
{
	int err;

	if (!only) {
		err = side_list(t, r, SIDE_SRC, NULL, 0);
		if (!err)
			err = side_list(t, r, SIDE_DST, NULL, 1);
		return err ? err : pair_keys(t, r, NULL, fn, ctx);
	}
	/* (only x dst's), then (src's x only) without (only, only) again */
	err = side_list(t, r, SIDE_SRC, only, 0);
	if (!err && t->nscratch[0]) {
		err = side_list(t, r, SIDE_DST, NULL, 1);
		if (!err)
			err = pair_keys(t, r, NULL, fn, ctx);
	}
	if (!err)
		err = side_list(t, r, SIDE_DST, only, 1);
	if (!err && t->nscratch[1]) {
		err = side_list(t, r, SIDE_SRC, NULL, 0);
		if (!err)
			err = pair_keys(t, r, only, fn, ctx);
	}
	return err;
}

/* Call fn for every key, involving `q`, of every rule naming a stored
 * prefix that holds q (q included). */
static int keys_through(struct drop_table *t, struct pfx *q, key_fn fn,
			void *ctx)
{
	struct pfx *a;
	uint32_t i;
	int err;

	for (a = q; a; a = stored_parent(a)) {
		for (i = 0; i < a->nusers; i++) {
			err = rule_keys(t, a->users[i].rule, q, fn, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ---- new and free ------------------------------------------------------- */

struct drop_table *drop_table_new(uint32_t max_rules)
{
	struct drop_table *t;

	if (!max_rules)
		max_rules = DROP_DEFAULT_MAX_RULES;
	if (max_rules > MAX_RULES_LIMIT) {
		pr_warn("drop table: max_rules %u is over %u", max_rules,
			MAX_RULES_LIMIT);
		return ebpfnet__err_ptr(-EINVAL);
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return ebpfnet__err_ptr(-ENOMEM);
	t->max_rules = max_rules;
	t->rules = calloc((size_t)max_rules + 1, sizeof(*t->rules));
	t->tries[0].family = KEY_FAMILY_IPV4;
	t->tries[1].family = KEY_FAMILY_IPV6;
	/* fresh maps are zero: both banks known */
	t->bank_known[0] = t->bank_known[1] = true;
	if (!t->rules || ids_init(&t->ids, max_rules) ||
	    ids_init(&t->tries[0].classes, DROP_MAX_CLASSES) ||
	    ids_init(&t->tries[1].classes, DROP_MAX_CLASSES)) {
		drop_table_free(t);
		return ebpfnet__err_ptr(-ENOMEM);
	}
	return t;
}

/* Everything but the settings: back to an empty table. */
static void table_clear(struct drop_table *t)
{
	uint32_t id;
	int i;

	for (id = 1; id <= t->max_rules; id++) {
		free(t->rules[id]);
		t->rules[id] = NULL;
	}
	free(t->ids.bits);
	for (i = 0; i < 2; i++) {
		trie_free(t->tries[i].root);
		t->tries[i].root = NULL;
		free(t->tries[i].by_class);
		t->tries[i].by_class = NULL;
		t->tries[i].cap = 0;
		free(t->tries[i].classes.bits);
		t->tries[i].classes.bits = NULL;
	}
	t->ids.bits = NULL;
	free(t->matches.slots);
	free(t->entries.slots);
	memset(&t->matches, 0, sizeof(t->matches));
	memset(&t->entries, 0, sizeof(t->entries));
	memset(t->shapes, 0, sizeof(t->shapes));
	memset(t->sigs, 0, sizeof(t->sigs));
	t->nsigs = 0;
	memset(t->banks, 0, sizeof(t->banks));
	memset(t->cfg, 0, sizeof(t->cfg));
}

void drop_table_free(struct drop_table *t)
{
	if (!t)
		return;
	table_clear(t);
	free(t->rules);
	free(t->journal);
	free(t->scratch[0]);
	free(t->scratch[1]);
	free(t);
}

/* ---- model bookkeeping ------------------------------------------------- */

static void pfx_del_user(struct pfx *p, struct rule *r, int side)
{
	uint32_t pos = r->user_pos[side];
	struct pfx_user moved = p->users[--p->nusers];

	if (pos != p->nusers) {
		p->users[pos] = moved;
		moved.rule->user_pos[moved.side] = pos;
	}
}

/* Room to link r (so that linking after the map writes cannot fail). */
static int reserve_link(struct drop_table *t, struct rule *r)
{
	bool same = r->pfx[SIDE_SRC] == r->pfx[SIDE_DST];
	int err = keymap_reserve(&t->matches, 1);

	if (!err && r->pfx[SIDE_SRC])
		err = pfx_reserve_users(r->pfx[SIDE_SRC], same ? 2 : 1);
	if (!err && r->pfx[SIDE_DST] && !same)
		err = pfx_reserve_users(r->pfx[SIDE_DST], 1);
	return err;
}

/* Enter a tuple rule (prefixes stored, shape set, reserve_link() done)
 * into the indexes; no map write. */
static void link_tuple_rule(struct drop_table *t, struct rule *r)
{
	struct drop_key k = match_key(r);
	int side;

	for (side = 0; side < 2; side++) {
		struct pfx *p = r->pfx[side];

		if (p) {
			r->user_pos[side] = p->nusers;
			p->users[p->nusers++] = (struct pfx_user){ r, side };
		}
	}
	keymap_set(&t->matches, &k, r);
	t->shapes[r->shape].rules++;
}

static void unlink_tuple_rule(struct drop_table *t, struct rule *r)
{
	struct drop_key k = match_key(r);
	int side;

	keymap_set(&t->matches, &k, NULL);
	for (side = 1; side >= 0; side--)
		if (r->pfx[side])
			pfx_del_user(r->pfx[side], r, side);
	t->shapes[r->shape].rules--;
}

static void link_sig_rule(struct drop_table *t, struct rule *r)
{
	uint32_t i = t->nsigs++;

	while (i && t->sigs[i - 1]->rec.id > r->rec.id) {
		t->sigs[i] = t->sigs[i - 1];
		i--;
	}
	t->sigs[i] = r;
}

static void unlink_sig_rule(struct drop_table *t, struct rule *r)
{
	uint32_t i = 0;

	while (t->sigs[i] != r)
		i++;
	memmove(&t->sigs[i], &t->sigs[i + 1],
		(t->nsigs - i - 1) * sizeof(t->sigs[0]));
	t->sigs[--t->nsigs] = NULL;
}

/* ---- signature banks ---------------------------------------------------- */

static void addr_words(__be32 out[4], const uint8_t *addr)
{
	memcpy(out, addr, 16);
}

static struct drop_sig_rule sig_rule_of(const struct rule *r)
{
	const struct drop_rule_record *rec = &r->rec;
	struct drop_sig_rule s;

	memset(&s, 0, sizeof(s));
	s.rule_id = rec->id;
	s.action = rec->action;
	s.match = rec->match;
	if (rec->match & DROP_M_PREFIXES)
		s.match |= DROP_M_FAMILY;
	if (s.match & DROP_M_FAMILY)
		s.family = key_family(record_af(rec));
	s.proto = rec->proto;
	s.icmp_type = rec->icmp_type;
	s.icmp_code = rec->icmp_code;
	s.sport = htons(rec->sport);
	s.dport = htons(rec->dport);
	s.src_len = rec->src_len;
	s.dst_len = rec->dst_len;
	addr_words(s.src, rec->src);
	addr_words(s.dst, rec->dst);
	s.sig_base = rec->sig_base;
	s.sig_len = rec->sig_len;
	s.sig_offset = rec->sig_offset;
	memcpy(s.value, rec->sig_value, sizeof(s.value));
	memcpy(s.mask, rec->sig_mask, sizeof(s.mask));
	return s;
}

/*
 * Make `list` (n rules, by id) the active signature set: write it whole
 * into the inactive bank (zero slots after it), then flip the bank with
 * NSIGS at the larger of the two counts meanwhile, so that a packet scans
 * either bank whole.
 */
static int sig_publish(struct drop_table *t, const struct drop_map_ops *ops,
		       struct rule *const *list, uint32_t n)
{
	uint32_t bank = !t->cfg[DROP_CFG_SIG_BANK], i;
	struct drop_sig_rule *mirror = t->banks[bank];
	int err;

	memcpy(t->bank_saved, mirror, sizeof(t->bank_saved));
	t->bank_saved_known = t->bank_known[bank];
	for (i = 0; i < DROP_MAX_SIG_RULES; i++) {
		struct drop_sig_rule want;
		uint32_t slot = bank * DROP_MAX_SIG_RULES + i;

		if (i < n)
			want = sig_rule_of(list[i]);
		else
			memset(&want, 0, sizeof(want));
		if (t->bank_known[bank] && !memcmp(&mirror[i], &want, sizeof(want)))
			continue;
		err = journal_reserve(t, 1);
		if (!err)
			err = ops->sig_write(ops->ctx, slot, &want);
		if (err)
			return err;
		journal_push(t, (struct undo){ .kind = UNDO_SIG, .a = slot,
					       .b = i });
		mirror[i] = want;
	}
	t->bank_known[bank] = true;
	if (n > t->cfg[DROP_CFG_NSIGS]) {
		err = set_cfg(t, ops, DROP_CFG_NSIGS, n);
		if (err)
			return err;
	}
	err = set_cfg(t, ops, DROP_CFG_SIG_BANK, bank);
	if (!err && n < t->cfg[DROP_CFG_NSIGS])
		err = set_cfg(t, ops, DROP_CFG_NSIGS, n);
	return err;
}

/* ---- add --------------------------------------------------------------- */

static bool ops_complete(const struct drop_map_ops *ops)
{
	return ops && ops->lpm_update && ops->lpm_delete && ops->tuple_update &&
	       ops->tuple_delete && ops->shape_set && ops->sig_write &&
	       ops->cfg_set && ops->counters_reset && ops->record_store &&
	       ops->record_delete;
}

static bool same_sig_match(const struct rule *a, const struct rule *b)
{
	struct drop_sig_rule sa = sig_rule_of(a), sb = sig_rule_of(b);

	sa.rule_id = sb.rule_id = 0;
	sa.action = sb.action = 0;
	return !memcmp(&sa, &sb, sizeof(sa));
}

static int find_shape(const struct drop_table *t, uint32_t bits)
{
	int i;

	for (i = 0; i < DROP_MAX_SHAPES; i++)
		if (t->shapes[i].bits == bits)
			return i;
	return -1;
}

/* The users of p naming it on `side` that overlap r: their slots into
 * *busy. */
static void overlap_users(const struct pfx *p, int side, const struct rule *r,
			  uint32_t *busy)
{
	uint32_t i;

	for (i = 0; i < p->nusers; i++)
		if (p->users[i].side == side && rules_overlap(r, p->users[i].rule))
			*busy |= 1u << p->users[i].rule->shape;
}

static void overlap_below(const struct pfx *p, int side, const struct rule *r,
			  uint32_t *busy)
{
	if (!p)
		return;
	overlap_users(p, side, r, busy);
	overlap_below(p->child[0], side, r, busy);
	overlap_below(p->child[1], side, r, busy);
}

/* The slots (a bit mask) holding a rule that overlaps r. Such a rule
 * names a prefix nesting with r's on each side: it is a user of a stored
 * prefix above r's prefix, or of r's, or of one inside it. A rule without
 * prefixes overlaps only a duplicate. */
static uint32_t overlap_slots(const struct rule *r)
{
	int side = r->pfx[SIDE_SRC] ? SIDE_SRC : SIDE_DST;
	const struct pfx *p = r->pfx[side], *a;
	uint32_t busy = 0;

	if (!p)
		return 0;
	for (a = stored_parent(p); a; a = stored_parent(a))
		overlap_users(a, side, r, &busy);
	overlap_below(p, side, r, &busy);
	return busy;
}

/* Where r goes: the lowest slot of its bits where no rule overlaps it,
 * else a free slot (-ENOSPC: none). */
static int place_rule(const struct drop_table *t, const struct rule *r)
{
	uint32_t busy = overlap_slots(r), same = 0;
	int i;

	for (i = 0; i < DROP_MAX_SHAPES; i++) {
		if (t->shapes[i].bits != r->bits)
			continue;
		same++;
		if (!(busy & (1u << i)))
			return i;
	}
	i = find_shape(t, 0);
	if (i >= 0)
		return i;
	if (same)
		pr_warn("drop table: too many overlapping rules of the same shape: the rule overlaps one in each of the %u slots of its fields (0x%x), and all %u slots are in use",
			same, r->bits, DROP_MAX_SHAPES);
	else
		pr_warn("drop table: the rule needs a %uth combination of matched fields; at most %u can be in use at once",
			DROP_MAX_SHAPES + 1, DROP_MAX_SHAPES);
	return -ENOSPC;
}

static uint32_t highest_shape(const struct drop_table *t)
{
	uint32_t n = DROP_MAX_SHAPES;

	while (n && !t->shapes[n - 1].bits)
		n--;
	return n;
}

/* key_fn: write r's entry k (ctx: r's own key, written last). No other
 * rule holds k: overlapping rules sit in other slots. */
static int claim_key(struct drop_table *t, struct rule *r,
		     const struct drop_key *k, struct pfx *src,
		     struct pfx *dst, void *ctx)
{
	struct rule *cur = keymap_get(&t->entries, k);
	struct drop_key *own = ctx;

	(void)src;
	(void)dst;
	if (own && !memcmp(own, k, sizeof(*k)))
		return 0;
	if (cur == r)
		return 0; /* both prefixes new: (src, dst) comes twice */
	if (cur) {
		pr_warn("drop table: rules %u and %u want one tuple entry in slot %u (the model is inconsistent)",
			cur->rec.id, r->rec.id, k->shape);
		return -EINVAL;
	}
	return set_entry(t, t->ops, k, r);
}

/* key_fn: delete r's entry k. */
static int release_key(struct drop_table *t, struct rule *r,
		       const struct drop_key *k, struct pfx *src,
		       struct pfx *dst, void *ctx)
{
	(void)src;
	(void)dst;
	(void)ctx;
	if (keymap_get(&t->entries, k) != r)
		return 0;
	return set_entry(t, t->ops, k, NULL);
}

/* key_fn: delete k (its class is gone from the LPM trie). */
static int forget_key(struct drop_table *t, struct rule *r,
		      const struct drop_key *k, struct pfx *src,
		      struct pfx *dst, void *ctx)
{
	(void)r;
	(void)src;
	(void)dst;
	(void)ctx;
	if (!keymap_get(&t->entries, k))
		return 0;
	return set_entry(t, t->ops, k, NULL);
}

/* The prefix of one side of rec: found, or inserted with a new class
 * (*fresh set). */
static int stored_prefix(struct drop_table *t, const struct rule *r, int side,
			 struct pfx **out, struct pfx **fresh)
{
	const struct drop_rule_record *rec = &r->rec;
	uint8_t af = side == SIDE_SRC ? rec->src_family : rec->dst_family;
	uint8_t len = side == SIDE_SRC ? rec->src_len : rec->dst_len;
	const uint8_t *addr = side == SIDE_SRC ? rec->src : rec->dst;
	struct trie *tr = trie_of(t, af);
	struct pfx *p = trie_find(tr, addr, len);
	int err;

	*out = p;
	if (p)
		return 0;
	p = trie_insert(tr, addr, len);
	if (!p)
		return -ENOMEM;
	err = trie_store(tr, p);
	if (err) {
		trie_prune(tr, p);
		return err;
	}
	*out = *fresh = p;
	return 0;
}

static void drop_fresh(struct drop_table *t, struct pfx *fresh[2])
{
	int side;

	for (side = 1; side >= 0; side--)
		if (fresh[side])
			trie_unstore(&t->tries[fresh[side]->family ==
					       KEY_FAMILY_IPV4 ? 0 : 1],
				     fresh[side]);
}

static int record_writes(struct drop_table *t, const struct drop_map_ops *ops,
			 const struct rule *r)
{
	struct drop_rule_record rec = stored_record(r);
	int err = journal_reserve(t, 1);

	if (!err)
		err = ops->counters_reset(ops->ctx, r->rec.id);
	if (!err)
		err = ops->record_store(ops->ctx, &rec);
	if (!err)
		journal_push(t, (struct undo){ .kind = UNDO_RECORD_STORED,
					       .a = r->rec.id });
	return err;
}

static int add_tuple_writes(struct drop_table *t, const struct drop_map_ops *ops,
			    struct rule *r, bool new_shape,
			    struct pfx *fresh[2])
{
	struct drop_key own = rule_key(r, r->pfx[SIDE_SRC], r->pfx[SIDE_DST]);
	int err, side;

	err = record_writes(t, ops, r);
	if (!err && new_shape) {
		err = set_shape(t, ops, r->shape, r->bits);
		if (!err && r->shape + 1 > t->cfg[DROP_CFG_NSHAPES])
			err = set_cfg(t, ops, DROP_CFG_NSHAPES, r->shape + 1);
	}
	/* a new class gets the entries of the rules above it first: it
	 * changes nothing until the rule's own entries are written */
	for (side = 0; !err && side < 2; side++)
		if (fresh[side])
			err = keys_through(t, fresh[side], claim_key, NULL);
	for (side = 0; !err && side < 2; side++)
		if (fresh[side])
			err = lpm_change(t, ops, fresh[side], true);
	if (!err)
		err = rule_keys(t, r, NULL, claim_key, &own);
	if (!err)
		err = set_entry(t, ops, &own, r);
	return err;
}

static int add_tuple(struct drop_table *t, const struct drop_map_ops *ops,
		     struct rule *r)
{
	struct pfx *fresh[2] = { NULL, NULL };
	bool new_shape = false;
	int err = 0, slot, side;

	r->bits = shape_bits(&r->rec);
	for (side = 0; !err && side < 2; side++)
		if (r->rec.match & (side == SIDE_SRC ? DROP_M_SRC : DROP_M_DST))
			err = stored_prefix(t, r, side, &r->pfx[side],
					    &fresh[side]);
	if (!err && !fresh[SIDE_SRC] && !fresh[SIDE_DST]) {
		struct drop_key k = match_key(r);
		struct rule *dup = keymap_get(&t->matches, &k);

		if (dup) {
			pr_warn("drop table: rule %u has the same match", dup->rec.id);
			err = -EEXIST;
		}
	}
	if (!err) {
		slot = place_rule(t, r);
		if (slot < 0)
			err = slot;
		else
			r->shape = (uint32_t)slot;
	}
	if (!err) {
		new_shape = !t->shapes[r->shape].bits;
		err = reserve_link(t, r);
	}
	if (!err)
		err = add_tuple_writes(t, ops, r, new_shape, fresh);
	if (!err)
		err = set_cfg(t, ops, DROP_CFG_GENERATION,
			      t->cfg[DROP_CFG_GENERATION] + 1);
	if (err) {
		journal_rollback(t, ops);
		drop_fresh(t, fresh);
		return err;
	}
	link_tuple_rule(t, r);
	return 0;
}

static int add_sig(struct drop_table *t, const struct drop_map_ops *ops,
		   struct rule *r)
{
	struct rule *list[DROP_MAX_SIG_RULES];
	uint32_t i, n = 0;
	int err;

	if (t->nsigs >= DROP_MAX_SIG_RULES) {
		pr_warn("drop table: %u signature rules in use, the most there can be",
			DROP_MAX_SIG_RULES);
		return -ENOSPC;
	}
	for (i = 0; i < t->nsigs; i++) {
		if (same_sig_match(t->sigs[i], r)) {
			pr_warn("drop table: rule %u has the same match",
				t->sigs[i]->rec.id);
			return -EEXIST;
		}
	}
	for (i = 0; i < t->nsigs; i++) {
		if (n == i && t->sigs[i]->rec.id > r->rec.id)
			list[n++] = r;
		list[n++] = t->sigs[i];
	}
	if (n == t->nsigs)
		list[n++] = r;
	err = record_writes(t, ops, r);
	if (!err)
		err = sig_publish(t, ops, list, n);
	if (!err)
		err = set_cfg(t, ops, DROP_CFG_GENERATION,
			      t->cfg[DROP_CFG_GENERATION] + 1);
	if (err) {
		journal_rollback(t, ops);
		return err;
	}
	link_sig_rule(t, r);
	return 0;
}

int drop_table_add(struct drop_table *t, const struct drop_rule_record *rec,
		   const struct drop_map_ops *ops, uint32_t *id)
{
	struct rule *r;
	uint32_t new_id;
	int err;

	if (!t || !rec || !id || !ops_complete(ops)) {
		pr_warn("drop table add: %s", !t ? "table is NULL" :
					      !rec ? "rule is NULL" :
					      !id ? "id is NULL" :
						    "map operations missing");
		return ebpfnet__err(-EINVAL);
	}
	err = validate_record(rec);
	if (err)
		return ebpfnet__err(err);
	new_id = ids_lowest(&t->ids);
	if (!new_id) {
		pr_warn("drop table: full (%u rules)", t->max_rules);
		return ebpfnet__err(-ENOSPC);
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return ebpfnet__err(-ENOMEM);
	r->rec = *rec;
	r->rec.id = new_id;
	err = ids_take(&t->ids, new_id);
	if (err) {
		free(r);
		return ebpfnet__err(err);
	}
	t->ops = ops;
	t->njournal = 0;
	err = (rec->match & DROP_M_SIG) ? add_sig(t, ops, r) :
					  add_tuple(t, ops, r);
	t->njournal = 0;
	if (err) {
		ids_put(&t->ids, new_id);
		free(r);
		return ebpfnet__err(err);
	}
	t->rules[new_id] = r;
	*id = new_id;
	return 0;
}

/* ---- delete ---------------------------------------------------------- */

static int shape_release(struct drop_table *t, const struct drop_map_ops *ops,
			 const struct rule *r)
{
	uint32_t n;
	int err;

	if (t->shapes[r->shape].rules > 1)
		return 0;
	err = set_shape(t, ops, r->shape, 0);
	if (err)
		return err;
	n = highest_shape(t);
	return n < t->cfg[DROP_CFG_NSHAPES] ?
		       set_cfg(t, ops, DROP_CFG_NSHAPES, n) : 0;
}

static int del_tuple_writes(struct drop_table *t, const struct drop_map_ops *ops,
			    struct rule *r, struct pfx *gone[2])
{
	struct drop_key own = rule_key(r, r->pfx[SIDE_SRC], r->pfx[SIDE_DST]);
	int err, side;

	/* the rule's entries, own one first */
	err = set_entry(t, ops, &own, NULL);
	if (!err)
		err = rule_keys(t, r, NULL, release_key, NULL);
	/* then the classes nobody names any more: unreachable first */
	for (side = 0; !err && side < 2; side++)
		if (gone[side])
			err = lpm_change(t, ops, gone[side], false);
	for (side = 0; !err && side < 2; side++)
		if (gone[side])
			err = keys_through(t, gone[side], forget_key, NULL);
	if (!err)
		err = shape_release(t, ops, r);
	return err;
}

static int del_tuple(struct drop_table *t, const struct drop_map_ops *ops,
		     struct rule *r)
{
	struct pfx *gone[2] = { NULL, NULL };
	int side;

	for (side = 0; side < 2; side++) {
		struct pfx *p = r->pfx[side];
		uint32_t uses = p && r->pfx[!side] == p ? 2 : 1;

		if (p && p->nusers == uses && (side == SIDE_SRC || uses == 1))
			gone[side] = p;
	}
	return del_tuple_writes(t, ops, r, gone);
}

static void del_tuple_commit(struct drop_table *t, struct rule *r)
{
	struct pfx *p[2] = { r->pfx[SIDE_SRC], r->pfx[SIDE_DST] };
	int side;

	unlink_tuple_rule(t, r);
	if (p[SIDE_SRC] == p[SIDE_DST])
		p[SIDE_DST] = NULL;
	for (side = 0; side < 2; side++)
		if (p[side] && !p[side]->nusers)
			trie_unstore(&t->tries[p[side]->family ==
					       KEY_FAMILY_IPV4 ? 0 : 1],
				     p[side]);
}

static int del_sig(struct drop_table *t, const struct drop_map_ops *ops,
		   struct rule *r)
{
	struct rule *list[DROP_MAX_SIG_RULES];
	uint32_t i, n = 0;

	for (i = 0; i < t->nsigs; i++)
		if (t->sigs[i] != r)
			list[n++] = t->sigs[i];
	return sig_publish(t, ops, list, n);
}

int drop_table_del(struct drop_table *t, uint32_t id,
		   const struct drop_map_ops *ops)
{
	struct rule *r;
	bool sig;
	int err;

	if (!t || !ops_complete(ops)) {
		pr_warn("drop table del: %s", !t ? "table is NULL" :
						   "map operations missing");
		return ebpfnet__err(-EINVAL);
	}
	r = id && id <= t->max_rules ? t->rules[id] : NULL;
	if (!r) {
		pr_warn("drop table: no rule %u", id);
		return ebpfnet__err(-ENOENT);
	}
	sig = r->rec.match & DROP_M_SIG;
	t->ops = ops;
	t->njournal = 0;
	err = sig ? del_sig(t, ops, r) : del_tuple(t, ops, r);
	if (!err)
		err = journal_reserve(t, 1);
	if (!err)
		err = ops->record_delete(ops->ctx, id);
	if (!err) {
		journal_push(t, (struct undo){ .kind = UNDO_RECORD_DELETED,
					       .rule = r });
		err = set_cfg(t, ops, DROP_CFG_GENERATION,
			      t->cfg[DROP_CFG_GENERATION] + 1);
	}
	if (err) {
		journal_rollback(t, ops);
		return ebpfnet__err(err);
	}
	t->njournal = 0;
	if (sig)
		unlink_sig_rule(t, r);
	else
		del_tuple_commit(t, r);
	t->rules[id] = NULL;
	ids_put(&t->ids, id);
	free(r);
	return 0;
}

/* ---- adoption --------------------------------------------------------- */

static int table_reset(struct drop_table *t)
{
	table_clear(t);
	t->bank_known[0] = t->bank_known[1] = true;
	if (ids_init(&t->ids, t->max_rules) ||
	    ids_init(&t->tries[0].classes, DROP_MAX_CLASSES) ||
	    ids_init(&t->tries[1].classes, DROP_MAX_CLASSES))
		return -ENOMEM;
	return 0;
}

static int adopt_prefix(struct drop_table *t, const struct drop_lpm_entry *e)
{
	uint8_t af = e->family == KEY_FAMILY_IPV4 ? AF_INET : AF_INET6;
	char text[INET6_ADDRSTRLEN + 8];
	struct trie *tr;
	struct pfx *p;

	if (e->family != KEY_FAMILY_IPV4 && e->family != KEY_FAMILY_IPV6) {
		pr_warn("drop table: LPM entry of family %d (not 4 or 6)",
			e->family);
		return -EINVAL;
	}
	if (check_prefix("LPM entry", af, e->len, e->addr))
		return -EINVAL;
	prefix_str(af, e->addr, e->len, text, sizeof(text));
	tr = trie_of(t, af);
	if (!e->class_id || e->class_id > DROP_MAX_CLASSES ||
	    ids_test(&tr->classes, e->class_id)) {
		pr_warn("drop table: LPM entry %s: class %u is out of range or used twice",
			text, e->class_id);
		return -EINVAL;
	}
	p = trie_insert(tr, e->addr, e->len);
	if (!p)
		return -ENOMEM;
	if (p->class_id) {
		pr_warn("drop table: LPM entry %s appears twice", text);
		return -EINVAL;
	}
	return trie_store_id(tr, p, e->class_id);
}

static int adopt_shapes(struct drop_table *t, const uint32_t *shapes)
{
	uint32_t i;

	for (i = 0; i < DROP_MAX_SHAPES; i++) {
		if (shapes[i] & ~(DROP_M_ALL & ~DROP_M_SIG)) {
			pr_warn("drop table: shape %u: unknown bits 0x%x", i,
				shapes[i]);
			return -EINVAL;
		}
		t->shapes[i].bits = shapes[i];
	}
	t->cfg[DROP_CFG_NSHAPES] = highest_shape(t);
	return 0;
}

/* The slot of an adopted tuple rule: the one its record names (placed:
 * slot + 1), or, for a record naming none, the only slot of its bits. */
static int adopt_slot(const struct drop_table *t, const struct rule *r,
		      uint32_t placed)
{
	int i, found = -1;

	if (placed) {
		if (placed > DROP_MAX_SHAPES ||
		    t->shapes[placed - 1].bits != r->bits) {
			pr_warn("drop table: rule %u: its record names shape slot %u, which does not hold its fields (0x%x)",
				r->rec.id, placed - 1, r->bits);
			return -EINVAL;
		}
		return (int)placed - 1;
	}
	for (i = 0; i < DROP_MAX_SHAPES; i++) {
		if (t->shapes[i].bits != r->bits)
			continue;
		if (found >= 0) {
			pr_warn("drop table: rule %u: its record names no shape slot and slots %d and %d hold its fields (0x%x)",
				r->rec.id, found, i, r->bits);
			return -EINVAL;
		}
		found = i;
	}
	if (found < 0)
		pr_warn("drop table: rule %u: no shape slot holds its fields (0x%x)",
			r->rec.id, r->bits);
	return found < 0 ? -EINVAL : found;
}

static int adopt_tuple_rule(struct drop_table *t, struct rule *r,
			    uint32_t placed)
{
	char text[INET6_ADDRSTRLEN + 8];
	struct drop_key k;
	int slot, side;

	r->bits = shape_bits(&r->rec);
	for (side = 0; side < 2; side++) {
		const struct drop_rule_record *rec = &r->rec;
		uint8_t af = side == SIDE_SRC ? rec->src_family : rec->dst_family;
		uint8_t len = side == SIDE_SRC ? rec->src_len : rec->dst_len;
		const uint8_t *addr = side == SIDE_SRC ? rec->src : rec->dst;

		if (!(rec->match & (side == SIDE_SRC ? DROP_M_SRC : DROP_M_DST)))
			continue;
		r->pfx[side] = trie_find(trie_of(t, af), addr, len);
		if (!r->pfx[side]) {
			pr_warn("drop table: rule %u: %s %s has no LPM entry",
				rec->id, side == SIDE_SRC ? "src" : "dst",
				prefix_str(af, addr, len, text, sizeof(text)));
			return -EINVAL;
		}
	}
	slot = adopt_slot(t, r, placed);
	if (slot < 0)
		return slot;
	r->shape = (uint32_t)slot;
	k = match_key(r);
	if (keymap_get(&t->matches, &k)) {
		pr_warn("drop table: rules %u and %u have the same match",
			keymap_get(&t->matches, &k)->rec.id, r->rec.id);
		return -EINVAL;
	}
	if (reserve_link(t, r))
		return -ENOMEM;
	link_tuple_rule(t, r);
	return 0;
}

static int adopt_sig_rule(struct drop_table *t, struct rule *r)
{
	uint32_t i;

	if (t->nsigs >= DROP_MAX_SIG_RULES) {
		pr_warn("drop table: more than %u signature rules",
			DROP_MAX_SIG_RULES);
		return -EINVAL;
	}
	for (i = 0; i < t->nsigs; i++) {
		if (same_sig_match(t->sigs[i], r)) {
			pr_warn("drop table: rules %u and %u have the same match",
				t->sigs[i]->rec.id, r->rec.id);
			return -EINVAL;
		}
	}
	link_sig_rule(t, r);
	return 0;
}

static int adopt_rule(struct drop_table *t, const struct drop_rule_record *stored)
{
	struct drop_rule_record rec = *stored;
	uint32_t placed = record_take_slot(&rec);
	struct rule *r;
	int err;

	if (validate_record(&rec)) {
		pr_warn("drop table: stored rule %u is not valid", rec.id);
		return -EINVAL;
	}
	if (!rec.id || rec.id > t->max_rules || t->rules[rec.id]) {
		pr_warn("drop table: stored rule id %u is out of range or used twice",
			rec.id);
		return -EINVAL;
	}
	if (placed && (rec.match & DROP_M_SIG)) {
		pr_warn("drop table: stored signature rule %u names a shape slot",
			rec.id);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->rec = rec;
	err = ids_take(&t->ids, rec.id);
	if (!err)
		err = (rec.match & DROP_M_SIG) ? adopt_sig_rule(t, r) :
						 adopt_tuple_rule(t, r, placed);
	if (err) {
		if (ids_test(&t->ids, rec.id))
			ids_put(&t->ids, rec.id);
		free(r);
		return err;
	}
	t->rules[rec.id] = r;
	return 0;
}

/* A stored prefix no rule names would hide its packets from the rules
 * above it (its class has no entries). */
static int adopt_unused(struct drop_table *t, const struct pfx *p)
{
	char text[INET6_ADDRSTRLEN + 8];

	if (!p)
		return 0;
	if (p->class_id && !p->nusers) {
		pr_warn("drop table: LPM entry %s (class %u) is named by no rule",
			prefix_str(p->family == KEY_FAMILY_IPV4 ? AF_INET : AF_INET6,
				   p->addr, p->len, text, sizeof(text)),
			p->class_id);
		return -EINVAL;
	}
	if (adopt_unused(t, p->child[0]) || adopt_unused(t, p->child[1]))
		return -EINVAL;
	return 0;
}

/* key_fn of adoption: the entry r would have written. */
static int adopt_key(struct drop_table *t, struct rule *r,
		     const struct drop_key *k, struct pfx *src,
		     struct pfx *dst, void *ctx)
{
	struct rule *cur = keymap_get(&t->entries, k);

	(void)src;
	(void)dst;
	(void)ctx;
	if (cur) {
		pr_warn("drop table: rules %u and %u overlap and sit in one shape slot (%u)",
			cur->rec.id, r->rec.id, k->shape);
		return -EINVAL;
	}
	if (keymap_reserve(&t->entries, 1))
		return -ENOMEM;
	keymap_set(&t->entries, k, r);
	return 0;
}

static int adopt_all(struct drop_table *t,
		     const struct drop_rule_record *recs, size_t nrecs,
		     const struct drop_lpm_entry *lpm, size_t nlpm,
		     const uint32_t *shapes, uint32_t sig_bank)
{
	uint32_t i, id;
	size_t n;
	int err;

	for (n = 0; n < nlpm; n++) {
		err = adopt_prefix(t, &lpm[n]);
		if (err)
			return err;
	}
	err = adopt_shapes(t, shapes);
	for (n = 0; !err && n < nrecs; n++)
		err = adopt_rule(t, &recs[n]);
	if (!err)
		err = adopt_unused(t, t->tries[0].root);
	if (!err)
		err = adopt_unused(t, t->tries[1].root);
	for (i = 0; !err && i < DROP_MAX_SHAPES; i++) {
		if (t->shapes[i].bits && !t->shapes[i].rules) {
			pr_warn("drop table: shape %u (0x%x) is used by no rule", i,
				t->shapes[i].bits);
			err = -EINVAL;
		}
	}
	for (id = 1; !err && id <= t->max_rules; id++)
		if (t->rules[id] && !(t->rules[id]->rec.match & DROP_M_SIG))
			err = rule_keys(t, t->rules[id], NULL, adopt_key, NULL);
	if (err)
		return err;
	t->cfg[DROP_CFG_SIG_BANK] = sig_bank;
	t->cfg[DROP_CFG_NSIGS] = t->nsigs;
	for (i = 0; i < t->nsigs; i++)
		t->banks[sig_bank][i] = sig_rule_of(t->sigs[i]);
	t->bank_known[!sig_bank] = false;
	return 0;
}

int drop_table_adopt(struct drop_table *t,
		     const struct drop_rule_record *recs, size_t nrecs,
		     const struct drop_lpm_entry *lpm, size_t nlpm,
		     const uint32_t shapes[DROP_MAX_SHAPES], uint32_t sig_bank)
{
	int err;

	if (!t || (!recs && nrecs) || (!lpm && nlpm) || !shapes ||
	    sig_bank > 1) {
		pr_warn("drop table adopt: %s", !t ? "table is NULL" :
						!shapes ? "shapes is NULL" :
						sig_bank > 1 ? "signature bank is not 0 or 1" :
							       "records or LPM entries are NULL");
		return ebpfnet__err(-EINVAL);
	}
	err = table_reset(t);
	if (!err)
		err = adopt_all(t, recs, nrecs, lpm, nlpm, shapes, sig_bank);
	if (err) {
		table_reset(t);
		return ebpfnet__err(err);
	}
	return 0;
}

/* ---- read access ------------------------------------------------------- */

size_t drop_table_count(const struct drop_table *t)
{
	return t ? t->ids.used : 0;
}

uint32_t drop_table_max_rules(const struct drop_table *t)
{
	return t ? t->max_rules : 0;
}

const struct drop_rule_record *drop_table_get(const struct drop_table *t,
					      uint32_t id)
{
	if (!t || !id || id > t->max_rules || !t->rules[id])
		return NULL;
	return &t->rules[id]->rec;
}

uint32_t drop_table_next(const struct drop_table *t, uint32_t id)
{
	if (!t)
		return 0;
	for (id++; id <= t->max_rules; id++)
		if (t->rules[id])
			return id;
	return 0;
}

uint32_t drop_table_generation(const struct drop_table *t)
{
	return t ? t->cfg[DROP_CFG_GENERATION] : 0;
}

void drop_table_set_generation(struct drop_table *t, uint32_t generation)
{
	if (t)
		t->cfg[DROP_CFG_GENERATION] = generation;
}
