/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: the XDP packet filter object. One pinned table per pin root
 * (<pin_root>/drop/<map>), a stage of the XDP chain (xdp_chain.h). This
 * file loads the program on the pinned maps, adopts what they hold into
 * the rule model (drop_table.c), writes the model's changes to the maps,
 * and reads counters and sampled events back.
 *
 * Several processes may manage the same filter: every change takes an
 * exclusive flock on <pin_root>/drop, re-reads the maps when another
 * process changed the rules since (DROP_CFG_GENERATION), and only then
 * writes. Locks are taken in one order: drop, then the chain's.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "drop_internal.h"
#include "internal.h"
#include "maps.h"
#include "monitor.h"
#include "percpu.h"
#include "pinned.h"
#include "stage.h"
#include "xdp_chain.h"

/* The BPF program (drop_abi.h) and the public API (drop.h) name the same
 * values: keep them equal. */
_Static_assert(DROP_ACT_DROP == EBPFNET_DROP_ACTION_DROP &&
	       DROP_ACT_PASS == EBPFNET_DROP_ACTION_PASS &&
	       DROP_ACT_COUNT == EBPFNET_DROP_ACTION_COUNT, "actions");
_Static_assert(DROP_FRAG_INSPECT == EBPFNET_DROP_FRAG_INSPECT &&
	       DROP_FRAG_DROP == EBPFNET_DROP_FRAG_DROP &&
	       DROP_FRAG_PASS == EBPFNET_DROP_FRAG_PASS, "fragment policies");
_Static_assert(DROP_MALFORMED_PASS == EBPFNET_DROP_MALFORMED_PASS &&
	       DROP_MALFORMED_DROP == EBPFNET_DROP_MALFORMED_DROP, "malformed policies");
_Static_assert(DROP_REASON_RULE == EBPFNET_DROP_REASON_RULE &&
	       DROP_REASON_FRAGMENT == EBPFNET_DROP_REASON_FRAGMENT &&
	       DROP_REASON_MALFORMED == EBPFNET_DROP_REASON_MALFORMED, "drop reasons");
_Static_assert(DROP_M_FAMILY == EBPFNET_DROP_MATCH_FAMILY &&
	       DROP_M_PROTO == EBPFNET_DROP_MATCH_PROTO &&
	       DROP_M_ICMP_TYPE == EBPFNET_DROP_MATCH_ICMP_TYPE &&
	       DROP_M_ICMP_CODE == EBPFNET_DROP_MATCH_ICMP_CODE &&
	       DROP_M_SRC == EBPFNET_DROP_MATCH_SRC &&
	       DROP_M_DST == EBPFNET_DROP_MATCH_DST &&
	       DROP_M_SPORT == EBPFNET_DROP_MATCH_SPORT &&
	       DROP_M_DPORT == EBPFNET_DROP_MATCH_DPORT &&
	       DROP_M_SIG == EBPFNET_DROP_MATCH_SIG, "match bits");
_Static_assert(DROP_EVENT_BYTES == EBPFNET_DROP_EVENT_BYTES &&
	       DROP_SIG_MAX == EBPFNET_DROP_SIG_MAX, "sizes");
#include "drop.skel.h"

#define DROP_OBJECT "drop"
#define DROP_DEFAULT_EVENT_RATE 100
/* The map whose size tells a pinned filter's max_rules (max_rules + 1
 * counters: ids start at 1). */
#define PIN_SIZE_MAP "drop_rule_counters"

static const struct ebpfnet__pinned_kind drop_kind = {
	.object = DROP_OBJECT,
	.noun = "filter",
	.probe_map = "drop_config",
	.gone_how = "detached from its last interface",
	.opts_type = "ebpfnet_drop_opts",
	.room = 16,
};

struct ebpfnet_drop {
	struct ebpfnet__pinned pins;  /* <pin_root>/drop, probe: drop_config */
	struct ebpfnet__xdp_chain *chain;
	struct drop_bpf *skel;
	/* drop_config, mapped: each knob and shape slot is one aligned
	 * 32-bit store, which a packet sees whole (old or new) */
	struct drop_config *conf;
	size_t conf_len;
	struct drop_table *table;
	struct ring_buffer *rb;       /* with on_event only */
	ebpfnet_drop_event_fn on_event;
	void *ctx;
	/* per poll batch */
	struct ebpfnet__batch batch;   /* of the poll()/consume() running */
};

/* ---- small helpers ------------------------------------------------------ */

static int check_handle(const struct ebpfnet_drop *drop, const char *fn)
{
	if (!drop) {
		pr_warn("%s: drop is NULL", fn);
		return -EINVAL;
	}
	return 0;
}

static int map_fd(const struct bpf_map *map)
{
	return bpf_map__fd(map);
}

/* One 32-bit field of the mapped drop_config: loads and stores whole,
 * in program order with the map syscalls around them. */
static uint32_t conf_load(const uint32_t *field)
{
	return __atomic_load_n(field, __ATOMIC_SEQ_CST);
}

static void conf_store(uint32_t *field, uint32_t value)
{
	__atomic_store_n(field, value, __ATOMIC_SEQ_CST);
}

static int cfg_read(const struct ebpfnet_drop *drop, enum drop_cfg knob,
		    uint32_t *value)
{
	if ((unsigned int)knob >= DROP_CFG_NR) {
		pr_warn("drop: no setting %u", (unsigned int)knob);
		return -EINVAL;
	}
	*value = conf_load(&drop->conf->knob[knob]);
	return 0;
}

static int cfg_write(const struct ebpfnet_drop *drop, enum drop_cfg knob,
		     uint32_t value)
{
	if ((unsigned int)knob >= DROP_CFG_NR) {
		pr_warn("drop: no setting %u", (unsigned int)knob);
		return -EINVAL;
	}
	conf_store(&drop->conf->knob[knob], value);
	return 0;
}

/* Map drop_config (after load). */
static int conf_map(struct ebpfnet_drop *drop)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = sizeof(struct drop_config);
	void *p;

	if (page > 0)
		len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 map_fd(drop->skel->maps.drop_config), 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		pr_warn("drop: cannot map drop_config: %s", ebpfnet_strerror(err));
		return err;
	}
	drop->conf = p;
	drop->conf_len = len;
	return 0;
}

/* ---- map writes for the rule model -------------------------------------- */

/* Map calls, logged in drop's name (maps.h). */
static int map_fail(const char *what, int err)
{
	return ebpfnet__map_fail(DROP_OBJECT, what, err);
}

static int put(const struct bpf_map *map, const void *key, const void *value,
	       const char *what)
{
	return ebpfnet__map_put(DROP_OBJECT, map_fd(map), key, value, what);
}

static int del(const struct bpf_map *map, const void *key, const char *what)
{
	return ebpfnet__map_del(DROP_OBJECT, map_fd(map), key, what);
}

/* Host prefixes (/32, /128) go to the exact-match hashes, which the
 * program looks up before the tries: the rule model sees one table. */
static bool is_host_prefix(int family, uint8_t len)
{
	return len == (family == 4 ? 32 : 128);
}

static const struct bpf_map *host_map(const struct ebpfnet_drop *drop,
				     int family)
{
	return family == 4 ? drop->skel->maps.drop_host4 :
			     drop->skel->maps.drop_host6;
}

static int ops_lpm_update(void *ctx, int family, const uint8_t *addr,
			  uint8_t len, uint32_t class_id)
{
	struct ebpfnet_drop *drop = ctx;

	if (is_host_prefix(family, len))
		return put(host_map(drop, family), addr, &class_id,
			   family == 4 ? "writing an IPv4 host (drop_host4)" :
					 "writing an IPv6 host (drop_host6)");
	if (family == 4) {
		struct drop_lpm4_key k = { .prefixlen = len };

		memcpy(k.addr, addr, sizeof(k.addr));
		return put(drop->skel->maps.drop_lpm4, &k, &class_id,
			   "writing an IPv4 prefix (drop_lpm4)");
	} else {
		struct drop_lpm6_key k = { .prefixlen = len };

		memcpy(k.addr, addr, sizeof(k.addr));
		return put(drop->skel->maps.drop_lpm6, &k, &class_id,
			   "writing an IPv6 prefix (drop_lpm6)");
	}
}

static int ops_lpm_delete(void *ctx, int family, const uint8_t *addr,
			  uint8_t len)
{
	struct ebpfnet_drop *drop = ctx;

	if (is_host_prefix(family, len))
		return del(host_map(drop, family), addr,
			   family == 4 ? "deleting an IPv4 host (drop_host4)" :
					 "deleting an IPv6 host (drop_host6)");
	if (family == 4) {
		struct drop_lpm4_key k = { .prefixlen = len };

		memcpy(k.addr, addr, sizeof(k.addr));
		return del(drop->skel->maps.drop_lpm4, &k,
			   "deleting an IPv4 prefix (drop_lpm4)");
	} else {
		struct drop_lpm6_key k = { .prefixlen = len };

		memcpy(k.addr, addr, sizeof(k.addr));
		return del(drop->skel->maps.drop_lpm6, &k,
			   "deleting an IPv6 prefix (drop_lpm6)");
	}
}

static int ops_tuple_update(void *ctx, const struct drop_key *key,
			    const struct drop_verdict *verdict)
{
	struct ebpfnet_drop *drop = ctx;

	return put(drop->skel->maps.drop_tuples, key, verdict,
		   "writing a rule entry (drop_tuples)");
}

static int ops_tuple_delete(void *ctx, const struct drop_key *key)
{
	struct ebpfnet_drop *drop = ctx;

	return del(drop->skel->maps.drop_tuples, key,
		   "deleting a rule entry (drop_tuples)");
}

/* The OR of the shape slots, slot `index` taken as `match`. */
static uint32_t shapes_union_with(const struct drop_config *conf,
				  uint32_t index, uint32_t match)
{
	uint32_t all = 0;

	for (uint32_t i = 0; i < DROP_MAX_SHAPES; i++)
		all |= i == index ? match : conf_load(&conf->shape[i]);
	return all;
}

/* The union first grows to cover both the old and the new slot, then the
 * slot changes, then the union shrinks to what is in use: a packet never
 * sees a slot with a bit the union lacks. */
static int ops_shape_set(void *ctx, uint32_t index, uint32_t match)
{
	struct ebpfnet_drop *drop = ctx;
	struct drop_config *conf = drop->conf;

	if (index >= DROP_MAX_SHAPES) {
		pr_warn("drop: no shape slot %u", index);
		return -EINVAL;
	}
	conf_store(&conf->shapes_union,
		   conf_load(&conf->shapes_union) | match);
	conf_store(&conf->shape[index], match);
	conf_store(&conf->shapes_union, shapes_union_with(conf, index, match));
	return 0;
}

/* Word w (0..3) of the mask of a len-bit prefix, network order. */
static __be32 prefix_word_mask(uint32_t len, uint32_t w)
{
	uint32_t bits = len > 32 * w ? len - 32 * w : 0;

	if (bits >= 32)
		return 0xffffffffu;
	return bits ? htonl(~0u << (32 - bits)) : 0;
}

static void sig_prefix(struct drop_sig *s, int side, const __be32 *pfx,
		       uint32_t len)
{
	for (uint32_t w = 0; w < 4; w++) {
		s->pfx_mask[4 * side + w] = prefix_word_mask(len, w);
		s->pfx[4 * side + w] = pfx[w] & s->pfx_mask[4 * side + w];
	}
	s->prefixes = 1;
}

/* A field of the word drop_sig_fields() makes, all ones, when `bits`
 * meet the rule's match. */
static uint64_t sig_field_mask(uint32_t match, uint32_t bits, uint64_t field)
{
	return match & bits ? field : 0;
}

/* The model's signature rule -> the form the program reads (drop_abi.h):
 * the fields as one masked word, the prefixes as masked words, the bytes
 * as two masked words. */
static void sig_compile(const struct drop_sig_rule *r, struct drop_sig *s)
{
	uint8_t value[DROP_SIG_MAX] = { 0 }, mask[DROP_SIG_MAX] = { 0 };
	uint32_t mt = r->match;

	memset(s, 0, sizeof(*s));
	s->rule_id = r->rule_id;
	s->action = r->action;
	s->fields_mask =
		sig_field_mask(mt, DROP_M_FAMILY | DROP_M_SRC | DROP_M_DST,
			       drop_sig_fields(0xff, 0, 0, 0, 0, 0)) |
		sig_field_mask(mt, DROP_M_PROTO, drop_sig_fields(0, 0xff, 0, 0, 0, 0)) |
		sig_field_mask(mt, DROP_M_ICMP_TYPE, drop_sig_fields(0, 0, 0xff, 0, 0, 0)) |
		sig_field_mask(mt, DROP_M_ICMP_CODE, drop_sig_fields(0, 0, 0, 0xff, 0, 0)) |
		sig_field_mask(mt, DROP_M_SPORT, drop_sig_fields(0, 0, 0, 0, 0xffff, 0)) |
		sig_field_mask(mt, DROP_M_DPORT, drop_sig_fields(0, 0, 0, 0, 0, 0xffff));
	s->fields_value = drop_sig_fields(r->family, r->proto, r->icmp_type,
					  r->icmp_code, r->sport, r->dport) &
			  s->fields_mask;
	s->need = (mt & DROP_M_L4 ? DROP_SIG_NEED_L4 : 0) |
		  (r->sig_base ? DROP_SIG_NEED_L4_BASE : 0);
	s->offset = r->sig_offset;
	s->len = r->sig_len;
	if (mt & DROP_M_SRC)
		sig_prefix(s, 0, r->src, r->src_len);
	if (mt & DROP_M_DST)
		sig_prefix(s, 1, r->dst, r->dst_len);
	for (uint32_t j = 0; j < r->sig_len && j < DROP_SIG_MAX; j++) {
		mask[j] = r->mask[j];
		value[j] = r->value[j] & r->mask[j];
	}
	memcpy(s->value, value, sizeof(s->value));
	memcpy(s->mask, mask, sizeof(s->mask));
}

static int ops_sig_write(void *ctx, uint32_t slot,
			 const struct drop_sig_rule *rule)
{
	struct ebpfnet_drop *drop = ctx;
	struct drop_sig sig;

	sig_compile(rule, &sig);
	return put(drop->skel->maps.drop_sigs, &slot, &sig,
		   "writing a signature rule (drop_sigs)");
}

static int ops_cfg_set(void *ctx, enum drop_cfg knob, uint32_t value)
{
	return cfg_write(ctx, knob, value);
}

static int ops_counters_reset(void *ctx, uint32_t rule_id)
{
	struct ebpfnet_drop *drop = ctx;

	return ebpfnet__percpu_zero(DROP_OBJECT,
				    map_fd(drop->skel->maps.drop_rule_counters),
				    rule_id, sizeof(struct drop_counter),
				    "resetting a rule's counters (drop_rule_counters)");
}

static int ops_record_store(void *ctx, const struct drop_rule_record *rec)
{
	struct ebpfnet_drop *drop = ctx;

	return put(drop->skel->maps.drop_rules, &rec->id, rec,
		   "storing a rule (drop_rules)");
}

static int ops_record_delete(void *ctx, uint32_t rule_id)
{
	struct ebpfnet_drop *drop = ctx;

	return del(drop->skel->maps.drop_rules, &rule_id,
		   "deleting a rule (drop_rules)");
}

static struct drop_map_ops map_ops(struct ebpfnet_drop *drop)
{
	return (struct drop_map_ops){
		.ctx = drop,
		.lpm_update = ops_lpm_update,
		.lpm_delete = ops_lpm_delete,
		.tuple_update = ops_tuple_update,
		.tuple_delete = ops_tuple_delete,
		.shape_set = ops_shape_set,
		.sig_write = ops_sig_write,
		.cfg_set = ops_cfg_set,
		.counters_reset = ops_counters_reset,
		.record_store = ops_record_store,
		.record_delete = ops_record_delete,
	};
}

/* ---- adoption: the maps -> the model ------------------------------------- */

struct adopt_buf {
	struct drop_rule_record *recs;
	size_t nrecs;
	struct drop_lpm_entry *lpm;
	size_t nlpm, lpm_cap;
};

static int read_records(const struct ebpfnet_drop *drop, struct adopt_buf *b)
{
	int fd = map_fd(drop->skel->maps.drop_rules);
	uint32_t max = drop_table_max_rules(drop->table);
	__u32 key, next, *prev = NULL;

	b->recs = calloc(max ? max : 1, sizeof(*b->recs));
	if (!b->recs)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (b->nrecs >= max) {
			pr_warn("drop: drop_rules holds more than max_rules (%u) rules",
				max);
			return -EINVAL;
		}
		if (bpf_map_lookup_elem(fd, &key, &b->recs[b->nrecs])) {
			if (errno == ENOENT)
				continue; /* deleted while we walked */
			return map_fail("reading drop_rules", -errno);
		}
		b->nrecs++;
	}
	return errno == ENOENT ? 0 : map_fail("walking drop_rules", -errno);
}

static int lpm_push(struct adopt_buf *b, int family, const uint8_t *addr,
		    size_t addr_len, uint32_t len, uint32_t class_id)
{
	struct drop_lpm_entry *e;

	if (b->nlpm == b->lpm_cap) {
		size_t cap = b->lpm_cap ? b->lpm_cap * 2 : 64;
		void *p = realloc(b->lpm, cap * sizeof(*b->lpm));

		if (!p)
			return -ENOMEM;
		b->lpm = p;
		b->lpm_cap = cap;
	}
	e = &b->lpm[b->nlpm++];
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->addr, addr, addr_len);
	e->len = (uint8_t)len;
	e->class_id = class_id;
	return 0;
}

/* Every entry of one LPM trie (keys: struct drop_lpm4_key / _lpm6_key). */
static int read_lpm(int fd, int family, size_t addr_len, struct adopt_buf *b)
{
	struct drop_lpm6_key key, next; /* room for either key */
	bool first = true;
	uint32_t class_id;
	int err;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		memcpy(&key, &next, sizeof(key));
		if (bpf_map_lookup_elem(fd, &key, &class_id)) {
			if (errno == ENOENT)
				continue;
			return map_fail("reading an LPM trie", -errno);
		}
		err = lpm_push(b, family, key.addr, addr_len, key.prefixlen,
			       class_id);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : map_fail("walking an LPM trie", -errno);
}

/* Every entry of one host hash (key: the address), as /32 or /128. */
static int read_hosts(int fd, int family, size_t addr_len, struct adopt_buf *b)
{
	uint8_t key[16], next[16];
	bool first = true;
	uint32_t class_id;
	int err;

	while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, addr_len);
		if (bpf_map_lookup_elem(fd, key, &class_id)) {
			if (errno == ENOENT)
				continue;
			return map_fail("reading a host hash", -errno);
		}
		err = lpm_push(b, family, key, addr_len, addr_len * 8, class_id);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : map_fail("walking a host hash", -errno);
}

static void read_shapes(const struct ebpfnet_drop *drop,
			uint32_t shapes[DROP_MAX_SHAPES])
{
	for (__u32 i = 0; i < DROP_MAX_SHAPES; i++)
		shapes[i] = conf_load(&drop->conf->shape[i]);
}

/* Rebuild the model from the maps (called with the lock held). */
static int adopt(struct ebpfnet_drop *drop)
{
	uint32_t shapes[DROP_MAX_SHAPES], bank = 0, generation = 0;
	struct adopt_buf b = {};
	int err;

	err = read_records(drop, &b);
	if (!err)
		err = read_lpm(map_fd(drop->skel->maps.drop_lpm4), 4, 4, &b);
	if (!err)
		err = read_lpm(map_fd(drop->skel->maps.drop_lpm6), 6, 16, &b);
	if (!err)
		err = read_hosts(map_fd(drop->skel->maps.drop_host4), 4, 4, &b);
	if (!err)
		err = read_hosts(map_fd(drop->skel->maps.drop_host6), 6, 16, &b);
	if (!err)
		read_shapes(drop, shapes);
	if (!err)
		err = cfg_read(drop, DROP_CFG_SIG_BANK, &bank);
	if (!err)
		err = cfg_read(drop, DROP_CFG_GENERATION, &generation);
	if (!err)
		err = drop_table_adopt(drop->table, b.recs, b.nrecs, b.lpm,
				       b.nlpm, shapes, bank);
	if (!err) {
		drop_table_set_generation(drop->table, generation);
		pr_debug("drop: adopted %zu rules (generation %u) from %s",
			 b.nrecs, generation, drop->pins.dir);
	} else {
		pr_warn("drop: the maps under %s do not make a consistent rule table: %s",
			drop->pins.dir, ebpfnet_strerror(err));
	}
	free(b.recs);
	free(b.lpm);
	return err;
}

/* ---- a change: lock, check we still hold the node's filter, catch up --- */

/* Re-read the rules when another process changed them. */
static int catch_up(void *ctx)
{
	struct ebpfnet_drop *drop = ctx;
	uint32_t generation;
	int err = cfg_read(drop, DROP_CFG_GENERATION, &generation);

	if (err || generation == drop_table_generation(drop->table))
		return err;
	pr_debug("drop: rules changed by another process (generation %u, ours %u): re-reading them",
		 generation, drop_table_generation(drop->table));
	return adopt(drop);
}

/* Lock, check the filter is still ours, catch up (pinned.h). */
static int begin_change(struct ebpfnet_drop *drop)
{
	return ebpfnet__pinned_begin_change(&drop->pins, catch_up, drop);
}

/* ---- open ------------------------------------------------------------------ */

/* max_rules of the pinned filter, 0 when there is none. */
static int pinned_max_rules(const struct ebpfnet_drop *drop, uint32_t *max)
{
	uint32_t entries;
	int err = ebpfnet__pinned_max_entries(&drop->pins, PIN_SIZE_MAP, &entries);

	*max = 0;
	if (err || !entries)
		return err;
	if (entries < 2) {
		pr_warn("drop: the pinned %s has %u entries (not a drop filter?)",
			PIN_SIZE_MAP, entries);
		return -EINVAL;
	}
	*max = entries - 1;
	return 0;
}

/* Every drop map (drop_*) is pinned, but the per-program scratch: not
 * the chain's maps (xdp_chain_stage.h), which the chain shares. */
static bool pin_this_map(const struct bpf_map *map, const void *ctx)
{
	const struct drop_bpf *skel = ctx;

	return map != skel->maps.drop_scratch &&
	       !strncmp(bpf_map__name(map), "drop_", 5);
}

/* Size every rule-bound map from max_rules, pin every drop map under dir,
 * and share the chain's maps. */
static int prepare_maps(struct ebpfnet_drop *drop, uint32_t max_rules)
{
	struct drop_bpf *skel = drop->skel;
	uint64_t classes = (uint64_t)max_rules * 2;
	int err;

	if (classes > DROP_MAX_CLASSES)
		classes = DROP_MAX_CLASSES;
	if ((err = bpf_map__set_max_entries(skel->maps.drop_tuples, max_rules * 4)) ||
	    (err = bpf_map__set_max_entries(skel->maps.drop_lpm4, (__u32)classes)) ||
	    (err = bpf_map__set_max_entries(skel->maps.drop_lpm6, (__u32)classes)) ||
	    (err = bpf_map__set_max_entries(skel->maps.drop_host4, (__u32)classes)) ||
	    (err = bpf_map__set_max_entries(skel->maps.drop_host6, (__u32)classes)) ||
	    (err = bpf_map__set_max_entries(skel->maps.drop_rule_counters, max_rules + 1)) ||
	    (err = bpf_map__set_max_entries(skel->maps.drop_rules, max_rules)))
		return map_fail("sizing the maps", err);
	err = ebpfnet__pinned_set_pin_paths(&drop->pins, skel->obj, pin_this_map,
					    skel, false);
	if (!err)
		err = ebpfnet__stage_share_chain_maps(drop->chain, skel->obj,
						      DROP_OBJECT);
	return err;
}

static int set_defaults(struct ebpfnet_drop *drop)
{
	int err = cfg_write(drop, DROP_CFG_EVENT_RATE, DROP_DEFAULT_EVENT_RATE);

	if (!err)
		err = cfg_write(drop, DROP_CFG_FRAG, EBPFNET_DROP_FRAG_INSPECT);
	if (!err)
		err = cfg_write(drop, DROP_CFG_MALFORMED, EBPFNET_DROP_MALFORMED_PASS);
	return err;
}

static int handle_record(void *ctx, void *data, size_t size);

/* Load the program on the pinned maps (creating them when there are
 * none), then adopt them. Called with the lock held. */
static int load(struct ebpfnet_drop *drop, uint32_t opts_max_rules,
		bool *created)
{
	uint32_t max_rules;
	int err;

	err = pinned_max_rules(drop, &max_rules);
	if (err)
		return err;
	if (max_rules && opts_max_rules && opts_max_rules != max_rules)
		pr_info("drop: the filter under %s holds up to %u rules: ebpfnet_drop_opts.max_rules %u applies when it is created",
			drop->pins.dir, max_rules, opts_max_rules);
	if (!max_rules)
		max_rules = opts_max_rules;
	drop->table = drop_table_new(max_rules); /* validates, 0: default */
	if (!drop->table)
		return -errno;
	max_rules = drop_table_max_rules(drop->table);

	err = ebpfnet__pinned_is_new(&drop->pins, created);
	if (err)
		return err;
	drop->skel = drop_bpf__open();
	if (!drop->skel)
		return ebpfnet__pinned_open_error(&drop->pins, -errno);
	err = prepare_maps(drop, max_rules);
	if (!err)
		err = ebpfnet__monitor_prepare(drop->pins.pin_root, drop->skel->obj);
	if (err)
		return err;
	err = drop_bpf__load(drop->skel);
	if (err)
		return ebpfnet__pinned_load_error(&drop->pins, err);
	drop->pins.probe_id = ebpfnet__map_id(map_fd(drop->skel->maps.drop_config));
	err = conf_map(drop);
	if (err)
		return err;
	if (*created) {
		err = set_defaults(drop);
		if (err)
			return err;
	}
	return adopt(drop);
}

/* A failed open leaves nothing it created behind. */
struct ebpfnet_drop *ebpfnet_drop_open(const struct ebpfnet_drop_opts *opts)
{
	struct ebpfnet_drop *drop;
	bool created = false;
	int err;

	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_drop_opts, open_existing))
		return ebpfnet__err_ptr(-EINVAL);
	drop = calloc(1, sizeof(*drop));
	if (!drop)
		return ebpfnet__err_ptr(-ENOMEM);
	drop->on_event = EBPFNET_OPTS_GET(opts, on_event, NULL);
	drop->ctx = EBPFNET_OPTS_GET(opts, ctx, NULL);
	err = ebpfnet__stage_open(&drop->pins, &drop_kind,
				  EBPFNET_OPTS_GET(opts, pin_root, NULL),
				  EBPFNET_OPTS_GET(opts, open_existing, false),
				  &drop->chain);
	if (!err)
		err = load(drop, EBPFNET_OPTS_GET(opts, max_rules, 0), &created);
	if (!err && drop->on_event) {
		drop->rb = ring_buffer__new(map_fd(drop->skel->maps.drop_events),
					    handle_record, drop, NULL);
		if (!drop->rb) {
			err = -errno;
			pr_warn("drop: cannot read the event ring buffer: %s",
				ebpfnet_strerror(err));
		}
	}
	if (err) {
		ebpfnet__stage_undo_open(&drop->pins, drop->chain, created);
		ebpfnet__monitor_release(drop->pins.pin_root);
		goto fail;
	}
	ebpfnet__pinned_unlock(&drop->pins);
	pr_debug("drop: %s the filter under %s (%zu rules, at most %u)",
		 created ? "created" : "adopted", drop->pins.dir,
		 drop_table_count(drop->table), drop_table_max_rules(drop->table));
	return drop;
fail:
	ebpfnet_drop_destroy(drop);
	return ebpfnet__err_ptr(err);
}

void ebpfnet_drop_destroy(struct ebpfnet_drop *drop)
{
	if (!drop)
		return;
	ebpfnet__stage_remove_if_empty(&drop->pins, drop->chain, XDP_STAGE_DROP,
				       drop->skel ? map_fd(drop->skel->maps.drop_rules) : -1,
				       NULL, "it has no rule and no interface");
	ebpfnet__monitor_release(drop->pins.pin_root);
	ring_buffer__free(drop->rb);
	if (drop->conf)
		munmap(drop->conf, drop->conf_len);
	drop_bpf__destroy(drop->skel); /* our fds only: the pins stay */
	drop_table_free(drop->table);
	ebpfnet__xdp_chain_close(drop->chain);
	ebpfnet__pinned_unlock(&drop->pins);
	free(drop);
}

int ebpfnet__drop_prog_fd(const struct ebpfnet_drop *drop)
{
	int err = check_handle(drop, "ebpfnet__drop_prog_fd");

	if (err)
		return ebpfnet__err(err);
	return bpf_program__fd(drop->skel->progs.drop_xdp);
}

/* ---- attach and detach ------------------------------------------------------ */

int ebpfnet_drop_attach(struct ebpfnet_drop *drop, const char *ifname,
			enum ebpfnet_xdp_mode mode)
{
	enum ebpfnet_xdp_mode active = mode;
	int err;

	err = check_handle(drop, "ebpfnet_drop_attach");
	if (!err)
		err = ebpfnet__stage_check_attach("ebpfnet_drop_attach", DROP_OBJECT,
						  ifname, mode, NULL);
	if (!err)
		err = begin_change(drop);
	if (err)
		return ebpfnet__err(err);
	err = ebpfnet__stage_enable(drop->chain, XDP_STAGE_DROP, ifname, mode,
				    bpf_program__fd(drop->skel->progs.drop_xdp),
				    &active);
	ebpfnet__pinned_unlock(&drop->pins);
	return ebpfnet__stage_attach_result(DROP_OBJECT, ifname, err, active);
}

int ebpfnet_drop_detach(struct ebpfnet_drop *drop, const char *ifname)
{
	int err, left;

	err = check_handle(drop, "ebpfnet_drop_detach");
	if (!err)
		err = ebpfnet__stage_check_ifname("ebpfnet_drop_detach", ifname);
	if (!err) {
		err = ebpfnet__pinned_lock(&drop->pins, false);
		if (err == -ENOENT) {
			pr_warn("drop: not attached to %s (no filter under %s)",
				ifname, drop->pins.dir);
			return ebpfnet__err(-ENOENT);
		}
	}
	if (err)
		return ebpfnet__err(err);
	err = ebpfnet__stage_disable(drop->chain, XDP_STAGE_DROP, DROP_OBJECT,
				     ifname, &left);
	if (!err && left == 0) {
		ebpfnet__stage_remove(&drop->pins, drop->chain, XDP_STAGE_DROP,
				      "detached from its last interface");
		ebpfnet__monitor_release(drop->pins.pin_root);
	} else if (!err && left < 0)
		pr_warn("drop: cannot tell whether other interfaces still use the filter: %s",
			ebpfnet_strerror(left));
	ebpfnet__pinned_unlock(&drop->pins);
	return ebpfnet__err(err);
}

int ebpfnet_drop_mode(const struct ebpfnet_drop *drop, const char *ifname)
{
	int err = check_handle(drop, "ebpfnet_drop_mode");

	if (err)
		return ebpfnet__err(err);
	return ebpfnet__err(ebpfnet__stage_mode(drop->chain, XDP_STAGE_DROP,
						"ebpfnet_drop_mode", DROP_OBJECT,
						ifname));
}

int ebpfnet_drop_ifaces(const struct ebpfnet_drop *drop,
			ebpfnet_drop_iface_fn fn, void *ctx)
{
	int err = check_handle(drop, "ebpfnet_drop_ifaces");

	if (!err && !fn) {
		pr_warn("ebpfnet_drop_ifaces: fn is NULL");
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	/* the public callback has the chain's signature */
	return ebpfnet__err(ebpfnet__xdp_chain_ifaces(drop->chain, XDP_STAGE_DROP,
						      fn, ctx));
}

/* ---- rules and settings ---------------------------------------------------- */

int ebpfnet_drop_add(struct ebpfnet_drop *drop,
		     const struct ebpfnet_drop_rule *rule, uint32_t *id)
{
	struct drop_map_ops ops;
	struct drop_rule_record rec;
	uint32_t new_id = 0;
	int err;

	err = check_handle(drop, "ebpfnet_drop_add");
	if (!err && (!rule || !id)) {
		pr_warn("ebpfnet_drop_add: %s is NULL", !rule ? "rule" : "id");
		err = -EINVAL;
	}
	if (!err)
		err = drop_rule_to_record(rule, &rec); /* validates, logs */
	if (!err)
		err = begin_change(drop);
	if (err)
		return ebpfnet__err(err);
	ops = map_ops(drop);
	err = drop_table_add(drop->table, &rec, &ops, &new_id);
	ebpfnet__pinned_unlock(&drop->pins);
	if (err)
		return ebpfnet__err(err);
	*id = new_id;
	pr_debug("drop: added rule %u", new_id);
	return 0;
}

int ebpfnet_drop_del(struct ebpfnet_drop *drop, uint32_t id)
{
	struct drop_map_ops ops;
	int err = check_handle(drop, "ebpfnet_drop_del");

	if (!err)
		err = begin_change(drop);
	if (err)
		return ebpfnet__err(err);
	if (!drop_table_get(drop->table, id)) {
		pr_warn("drop: no rule %u", id);
		err = -ENOENT;
	} else {
		ops = map_ops(drop);
		err = drop_table_del(drop->table, id, &ops);
	}
	ebpfnet__pinned_unlock(&drop->pins);
	if (!err)
		pr_debug("drop: deleted rule %u", id);
	return ebpfnet__err(err);
}

/* One node-wide setting, written under the lock. */
static int set_knob(struct ebpfnet_drop *drop, const char *fn,
		    enum drop_cfg knob, uint32_t value)
{
	int err = check_handle(drop, fn);

	if (!err)
		err = begin_change(drop);
	if (err)
		return ebpfnet__err(err);
	err = cfg_write(drop, knob, value);
	ebpfnet__pinned_unlock(&drop->pins);
	return ebpfnet__err(err);
}

int ebpfnet_drop_set_frag_policy(struct ebpfnet_drop *drop,
				 enum ebpfnet_drop_frag_policy policy)
{
	if (policy != EBPFNET_DROP_FRAG_INSPECT && policy != EBPFNET_DROP_FRAG_DROP &&
	    policy != EBPFNET_DROP_FRAG_PASS) {
		pr_warn("ebpfnet_drop_set_frag_policy: policy %d is not inspect (0), drop (1) or pass (2)",
			(int)policy);
		return ebpfnet__err(-EINVAL);
	}
	return set_knob(drop, "ebpfnet_drop_set_frag_policy", DROP_CFG_FRAG, policy);
}

int ebpfnet_drop_set_malformed_policy(struct ebpfnet_drop *drop,
				      enum ebpfnet_drop_malformed_policy policy)
{
	if (policy != EBPFNET_DROP_MALFORMED_PASS &&
	    policy != EBPFNET_DROP_MALFORMED_DROP) {
		pr_warn("ebpfnet_drop_set_malformed_policy: policy %d is not pass (0) or drop (1)",
			(int)policy);
		return ebpfnet__err(-EINVAL);
	}
	return set_knob(drop, "ebpfnet_drop_set_malformed_policy",
			DROP_CFG_MALFORMED, policy);
}

int ebpfnet_drop_set_event_rate(struct ebpfnet_drop *drop, uint32_t per_sec)
{
	return set_knob(drop, "ebpfnet_drop_set_event_rate", DROP_CFG_EVENT_RATE,
			per_sec);
}

/* ---- reading: rules, counters, statistics ----------------------------------- */

/* A read-only call shows what the maps hold now: re-read the rules when
 * another process changed them. */
static int refresh(const struct ebpfnet_drop *drop)
{
	struct ebpfnet_drop *d = (struct ebpfnet_drop *)drop;
	uint32_t generation;
	int err;

	err = cfg_read(drop, DROP_CFG_GENERATION, &generation);
	if (err || generation == drop_table_generation(drop->table))
		return err;
	return ebpfnet__pinned_catch_up(&d->pins, catch_up, d);
}

/* Sum a per-CPU counter (struct drop_counter: packets, bytes). */
static int counter_sum(int fd, uint32_t index, struct ebpfnet_drop_counters *out)
{
	uint64_t sum[2];
	int err = ebpfnet__percpu_sum(DROP_OBJECT, fd, index, sum, 2);

	_Static_assert(sizeof(struct drop_counter) == sizeof(sum), "drop_counter");
	out->packets = sum[0];
	out->bytes = sum[1];
	return err;
}

int ebpfnet_drop_rules(const struct ebpfnet_drop *drop,
		       ebpfnet_drop_rule_fn fn, void *ctx)
{
	int err = check_handle(drop, "ebpfnet_drop_rules");
	uint32_t id;

	if (!err && !fn) {
		pr_warn("ebpfnet_drop_rules: fn is NULL");
		err = -EINVAL;
	}
	if (!err)
		err = refresh(drop);
	if (err)
		return ebpfnet__err(err);
	for (id = drop_table_next(drop->table, 0); id;
	     id = drop_table_next(drop->table, id)) {
		EBPFNET_OPTS(ebpfnet_drop_counters, counters);
		EBPFNET_OPTS(ebpfnet_drop_rule, rule);
		int ret;

		drop_record_to_rule(drop_table_get(drop->table, id), &rule);
		err = counter_sum(map_fd(drop->skel->maps.drop_rule_counters), id,
				  &counters);
		if (err)
			return ebpfnet__err(err);
		ret = fn(ctx, &rule, &counters);
		if (ret)
			return ret;
	}
	return 0;
}

int ebpfnet_drop_stats(const struct ebpfnet_drop *drop,
		       struct ebpfnet_drop_stats *stats)
{
	static const struct {
		enum drop_stat stat;
		size_t offset;
	} by_counter[] = {
		{ DROP_STAT_DROPPED, offsetof(struct ebpfnet_drop_stats, dropped) },
		{ DROP_STAT_PASSED, offsetof(struct ebpfnet_drop_stats, passed) },
		{ DROP_STAT_COUNTED, offsetof(struct ebpfnet_drop_stats, counted) },
		{ DROP_STAT_UNMATCHED, offsetof(struct ebpfnet_drop_stats, unmatched) },
		{ DROP_STAT_FRAGMENTS, offsetof(struct ebpfnet_drop_stats, fragments) },
		{ DROP_STAT_MALFORMED, offsetof(struct ebpfnet_drop_stats, malformed) },
	};
	struct ebpfnet_drop_stats s = { .sz = sizeof(s) };
	struct ebpfnet_drop_counters events[3];
	int fd, err = check_handle(drop, "ebpfnet_drop_stats");

	if (err)
		return ebpfnet__err(err);
	if (!stats || stats->sz < sizeof(size_t)) /* out_copy says why */
		return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
						      "ebpfnet_drop_stats"));
	err = refresh(drop);
	fd = map_fd(drop->skel->maps.drop_stats);
	for (size_t i = 0; !err && i < EBPFNET_ARRAY_SIZE(by_counter); i++) {
		struct ebpfnet_drop_counters *c =
			(void *)((char *)&s + by_counter[i].offset);

		c->sz = sizeof(*c);
		err = counter_sum(fd, by_counter[i].stat, c);
	}
	for (int i = 0; !err && i < 3; i++)
		err = counter_sum(fd, DROP_STAT_EVENTS_SENT + i, &events[i]);
	if (err)
		return ebpfnet__err(err);
	s.events_sent = events[0].packets;
	s.events_suppressed = events[1].packets;
	s.events_lost = events[2].packets;
	s.rules = (uint32_t)drop_table_count(drop->table);
	s.max_rules = drop_table_max_rules(drop->table);
	return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
					      "ebpfnet_drop_stats"));
}

/* ---- sampled drop events ------------------------------------------------------ */

/* Stops libbpf's loop; the callback's own value is in batch.stop. */
#define DROP_STOP (-ECANCELED)

static int handle_record(void *ctx, void *data, size_t size)
{
	struct ebpfnet_drop *drop = ctx;
	const struct drop_event *rec = data;
	struct ebpfnet_drop_event ev = { .sz = sizeof(ev) };
	int ret;

	if (size < sizeof(*rec) || rec->hdr.type != EBPFNET_EV_DROP ||
	    rec->hdr.version < 1 || rec->hdr.size > size ||
	    rec->cap_len > DROP_EVENT_BYTES) {
		pr_warn("drop: skipped a malformed event record of %zu bytes", size);
		return 0;
	}
	ev.time_ns = rec->hdr.time_ns + drop->batch.realtime_offset_ns;
	ev.ifindex = rec->ifindex;
	ev.rule_id = rec->rule_id;
	ev.reason = rec->reason;
	ev.pkt_len = rec->pkt_len;
	ev.cap_len = rec->cap_len;
	ev.data = rec->data;
	drop->batch.delivered++;
	ret = drop->on_event(drop->ctx, &ev);
	if (ret) {
		drop->batch.stop = ret;
		return DROP_STOP;
	}
	return 0;
}

static int check_events(const struct ebpfnet_drop *drop, const char *fn)
{
	int err = check_handle(drop, fn);

	if (!err && !drop->rb) {
		pr_warn("%s: no events without ebpfnet_drop_opts.on_event", fn);
		err = -EINVAL;
	}
	return err;
}

/* One batch: poll (timeout_ms >= -1) or consume (timeout_ms = -2). */
static int run_batch(struct ebpfnet_drop *drop, int timeout_ms)
{
	ebpfnet__batch_begin(&drop->batch);
	return ebpfnet__batch_end(&drop->batch,
				  ebpfnet__ringbuf_read(drop->rb, timeout_ms), "drop");
}

int ebpfnet_drop_poll(struct ebpfnet_drop *drop, int timeout_ms)
{
	int err = check_events(drop, "ebpfnet_drop_poll");

	if (!err && timeout_ms < -1) {
		pr_warn("ebpfnet_drop_poll: timeout_ms %d is negative (-1 waits forever)",
			timeout_ms);
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	return run_batch(drop, timeout_ms);
}

int ebpfnet_drop_consume(struct ebpfnet_drop *drop)
{
	int err = check_events(drop, "ebpfnet_drop_consume");

	if (err)
		return ebpfnet__err(err);
	return run_batch(drop, -2);
}

int ebpfnet_drop_fd(const struct ebpfnet_drop *drop)
{
	int err = check_events(drop, "ebpfnet_drop_fd");

	if (err)
		return ebpfnet__err(err);
	return ring_buffer__epoll_fd(drop->rb);
}
