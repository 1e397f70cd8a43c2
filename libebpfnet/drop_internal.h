/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: the library's model of the node's rule table (drop_table.c, pure
 * userspace, unit-tested without a kernel) and the glue to the object.
 *
 * The model turns "add rule" / "delete rule" into writes to the maps of
 * bpf/include/drop_abi.h through a table of operations, in an order that
 * keeps every packet's view consistent: a packet sees a rule whole or not
 * at all, never half of it (new LPM classes get their tuple entries before
 * the LPM entry makes them reachable; deletions go the other way; the
 * signature bank is rewritten off-line and flipped).
 */
#ifndef EBPFNET_DROP_INTERNAL_H
#define EBPFNET_DROP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/drop.h>
#include "drop_abi.h"

/* Map writes, implemented by drop.c on the real maps and by the unit tests
 * on an in-memory simulation. Each returns 0 or a negative errno. */
struct drop_map_ops {
	void *ctx;
	int (*lpm_update)(void *ctx, int family /* 4 or 6 */, const uint8_t *addr,
			  uint8_t len, uint32_t class_id);
	int (*lpm_delete)(void *ctx, int family, const uint8_t *addr, uint8_t len);
	int (*tuple_update)(void *ctx, const struct drop_key *key,
			    const struct drop_verdict *verdict);
	int (*tuple_delete)(void *ctx, const struct drop_key *key);
	int (*shape_set)(void *ctx, uint32_t index, uint32_t match);
	int (*sig_write)(void *ctx, uint32_t slot, const struct drop_sig_rule *rule);
	int (*cfg_set)(void *ctx, enum drop_cfg knob, uint32_t value);
	int (*counters_reset)(void *ctx, uint32_t rule_id);
	int (*record_store)(void *ctx, const struct drop_rule_record *rec);
	int (*record_delete)(void *ctx, uint32_t rule_id);
};

struct drop_table;

struct drop_table *drop_table_new(uint32_t max_rules);
void drop_table_free(struct drop_table *t);

/*
 * Rebuild the model from what the pinned maps hold (adoption by a new
 * process): the stored rule records, the LPM entries (prefix -> class)
 * and the shape slots, and the active signature bank. No map is written.
 * -EINVAL when they are inconsistent (reason logged).
 */
struct drop_lpm_entry {
	int family;              /* 4 or 6 */
	uint8_t addr[16];
	uint8_t len;
	uint32_t class_id;
};
int drop_table_adopt(struct drop_table *t,
		     const struct drop_rule_record *recs, size_t nrecs,
		     const struct drop_lpm_entry *lpm, size_t nlpm,
		     const uint32_t shapes[DROP_MAX_SHAPES], uint32_t sig_bank);

/* Validate a public rule (every field, naming the bad one in the log) and
 * turn it into a record. */
int drop_rule_to_record(const struct ebpfnet_drop_rule *rule,
			struct drop_rule_record *rec);
void drop_record_to_rule(const struct drop_rule_record *rec,
			 struct ebpfnet_drop_rule *rule);

/* Add (id chosen by the table: the lowest free one) / delete one rule,
 * writing through ops. On failure nothing visible to packets changed. */
int drop_table_add(struct drop_table *t, const struct drop_rule_record *rec,
		   const struct drop_map_ops *ops, uint32_t *id);
int drop_table_del(struct drop_table *t, uint32_t id,
		   const struct drop_map_ops *ops);

/* The DROP_CFG_GENERATION value the model last wrote or adopted. After
 * drop_table_adopt(), drop.c sets it from the map (adoption cannot know
 * it); every successful add/del writes generation + 1 through cfg_set. */
uint32_t drop_table_generation(const struct drop_table *t);
void drop_table_set_generation(struct drop_table *t, uint32_t generation);

/* Read access for listing. */
size_t drop_table_count(const struct drop_table *t);
uint32_t drop_table_max_rules(const struct drop_table *t);
const struct drop_rule_record *drop_table_get(const struct drop_table *t,
					      uint32_t id);
/* Next used id after `id` (0 starts), 0 when none. */
uint32_t drop_table_next(const struct drop_table *t, uint32_t id);

/* For tests and the object: the BPF program fd (BPF_PROG_TEST_RUN). */
struct ebpfnet_drop;
int ebpfnet__drop_prog_fd(const struct ebpfnet_drop *drop);

#endif /* EBPFNET_DROP_INTERNAL_H */
