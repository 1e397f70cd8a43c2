/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Weighted Maglev lookup tables (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016, section 3.4).
 *
 * Each backend i has a permutation of the M slots,
 *     offset_i = h1(key_i) mod M,  skip_i = h2(key_i) mod (M - 1) + 1,
 *     p_i[j]   = (offset_i + j * skip_i) mod M,
 * and backends take turns claiming the next slot of their permutation that
 * nobody has claimed yet, until every slot is taken.
 *
 * Weights: whose turn it is follows stride scheduling. Backend i's k-th
 * claim happens at the virtual time k / w_i; turns are taken in order of
 * virtual time, ties broken by a fixed order of the backends (below). With
 * equal weights this is the paper's round robin. Unlike Katran's "maglev
 * v2" (credit += w_i / max_w per round), the times do not depend on the
 * other backends' weights: removing or re-weighting one backend leaves the
 * relative order of everybody else's turns unchanged, which keeps the
 * paper's small-disruption property; and backend i gets floor(t * w_i) or
 * one more of the slots, i.e. its weight share to within about a slot.
 *
 * Order: the backends are sorted by (h1, key) before the turns start, so
 * the table, read by key, does not depend on the order of the caller's
 * array; the entries written are still indexes into the caller's array.
 *
 * Memory: O(n) besides the caller's table, which doubles as the "claimed"
 * marker (UINT32_MAX until claimed). Time: O(M log n) for the turns plus
 * the probing of the permutations (about M ln M probes over all).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lb_internal.h"

#define MAGLEV_FREE UINT32_MAX

/* ---- primes ---------------------------------------------------------------- */

static uint32_t mul_mod(uint32_t a, uint32_t b, uint32_t m)
{
	return (uint32_t)((uint64_t)a * b % m);
}

static uint32_t pow_mod(uint32_t base, uint32_t exp, uint32_t m)
{
	uint32_t result = 1 % m;

	base %= m;
	while (exp) {
		if (exp & 1)
			result = mul_mod(result, base, m);
		base = mul_mod(base, base, m);
		exp >>= 1;
	}
	return result;
}

/* One Miller-Rabin round: false when `a` proves n (odd, > a) composite. */
static bool miller_rabin_passes(uint32_t n, uint32_t a)
{
	uint32_t d = n - 1;
	unsigned int r = 0;
	uint32_t x;

	while (!(d & 1)) {
		d >>= 1;
		r++;
	}
	x = pow_mod(a, d, n);
	if (x == 1 || x == n - 1)
		return true;
	while (--r) {
		x = mul_mod(x, x, n);
		if (x == n - 1)
			return true;
	}
	return false;
}

bool ebpfnet__is_prime(uint32_t n)
{
	/* Bases 2, 7 and 61 decide every n < 4,759,123,141 (Jaeschke 1993). */
	static const uint32_t witnesses[] = { 2, 7, 61 };
	static const uint32_t small[] = { 2, 3, 5, 7, 11, 13, 61 };
	size_t i;

	if (n < 2)
		return false;
	for (i = 0; i < EBPFNET_ARRAY_SIZE(small); i++) {
		if (n == small[i])
			return true;
		if (n % small[i] == 0)
			return false;
	}
	for (i = 0; i < EBPFNET_ARRAY_SIZE(witnesses); i++)
		if (!miller_rabin_passes(n, witnesses[i]))
			return false;
	return true;
}

/* ---- the key hash ---------------------------------------------------------- */

/* The murmur3 / splitmix64 finaliser: every input bit reaches every
 * output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Little-endian load of up to 8 bytes, so the hash is the same on every
 * host whatever its byte order. */
static uint64_t load_le(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	while (len--)
		v = (v << 8) | p[len];
	return v;
}

/* A seeded 64-bit hash of key bytes: 8-byte words folded in with a
 * multiply-rotate step, the length folded in, then mixed. */
static uint64_t key_hash(const void *key, size_t len, uint64_t seed)
{
	const uint8_t *p = key;
	uint64_t h = mix64(seed ^ 0x9e3779b97f4a7c15ull) ^ (len * 0x87c37b91114253d5ull);

	while (len) {
		size_t chunk = len < 8 ? len : 8;
		uint64_t word = load_le(p, chunk) * 0x87c37b91114253d5ull;

		word = (word << 31) | (word >> 33);
		h ^= word * 0x4cf5ad432745937full;
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
		p += chunk;
		len -= chunk;
	}
	return mix64(h);
}

/* ---- validation ------------------------------------------------------------ */

struct maglev_entry {
	const uint8_t *key;
	size_t key_len;
	uint64_t h1;
	uint32_t weight;
	uint32_t index;   /* into the caller's array */
	uint32_t pos;     /* current slot of the permutation */
	uint32_t skip;
	uint32_t claims;  /* slots claimed so far */
};

static int key_cmp(const struct maglev_entry *a, const struct maglev_entry *b)
{
	size_t min = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, min);

	if (c)
		return c;
	return (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct maglev_entry *a = pa, *b = pb;

	if (a->h1 != b->h1)
		return a->h1 < b->h1 ? -1 : 1;
	return key_cmp(a, b);
}

static int check_args(const struct ebpfnet_maglev_backend *backends, size_t n,
		      uint32_t table_size, const uint32_t *table)
{
	bool any_weight = false;
	size_t i;

	if (!backends || !table) {
		pr_warn("maglev: backends and table must not be NULL");
		return -EINVAL;
	}
	if (n == 0) {
		pr_warn("maglev: no backends");
		return -EINVAL;
	}
	if (table_size > EBPFNET__MAGLEV_MAX_TABLE_SIZE) {
		pr_warn("maglev: table size %u is over the limit of %u",
			table_size, EBPFNET__MAGLEV_MAX_TABLE_SIZE);
		return -EINVAL;
	}
	if (table_size <= n) {
		pr_warn("maglev: table size %u must be larger than the number of backends (%zu)",
			table_size, n);
		return -EINVAL;
	}
	if (!ebpfnet__is_prime(table_size)) {
		pr_warn("maglev: table size %u is not a prime", table_size);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!backends[i].key || backends[i].key_len == 0) {
			pr_warn("maglev: backend %zu has no key", i);
			return -EINVAL;
		}
		if (backends[i].weight)
			any_weight = true;
	}
	if (!any_weight) {
		pr_warn("maglev: every backend has weight 0");
		return -EINVAL;
	}
	return 0;
}

/* ---- the turns --------------------------------------------------------------- */

/* Whose turn comes first: the earlier virtual time (claims + 1) / weight,
 * compared exactly by cross-multiplying (claims <= 2^24, weight < 2^32:
 * the products fit in 64 bits); ties go to the earlier backend. */
static bool turn_before(const struct maglev_entry *e, uint32_t a, uint32_t b)
{
	uint64_t ta = (uint64_t)(e[a].claims + 1) * e[b].weight;
	uint64_t tb = (uint64_t)(e[b].claims + 1) * e[a].weight;

	if (ta != tb)
		return ta < tb;
	return a < b;
}

/* A binary min-heap of entry numbers ordered by turn_before(). */
struct turn_heap {
	uint32_t *item;
	uint32_t len;
	const struct maglev_entry *e;
};

static void heap_sift_down(struct turn_heap *h, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, best = i, tmp;

		if (l < h->len && turn_before(h->e, h->item[l], h->item[best]))
			best = l;
		if (r < h->len && turn_before(h->e, h->item[r], h->item[best]))
			best = r;
		if (best == i)
			return;
		tmp = h->item[i];
		h->item[i] = h->item[best];
		h->item[best] = tmp;
		i = best;
	}
}

/* Claim the next free slot of entry e's permutation. A free slot exists
 * because the table is not full, and the permutation visits every slot. */
static void claim_next(struct maglev_entry *e, uint32_t *table,
		       uint32_t table_size)
{
	while (table[e->pos] != MAGLEV_FREE) {
		e->pos += e->skip;
		if (e->pos >= table_size)
			e->pos -= table_size;
	}
	table[e->pos] = e->index;
	e->claims++;
}

static void fill_table(struct maglev_entry *e, uint32_t *heap_items,
		       uint32_t count, uint32_t *table, uint32_t table_size)
{
	struct turn_heap h = { .item = heap_items, .len = count, .e = e };
	uint32_t filled, i;

	for (i = 0; i < count; i++)
		heap_items[i] = i;
	for (i = count / 2; i-- > 0;)
		heap_sift_down(&h, i);
	for (i = 0; i < table_size; i++)
		table[i] = MAGLEV_FREE;

	/* The root takes its turn, its next turn comes later: sift it down. */
	for (filled = 0; filled < table_size; filled++) {
		claim_next(&e[h.item[0]], table, table_size);
		heap_sift_down(&h, 0);
	}
}

int ebpfnet_maglev_build(const struct ebpfnet_maglev_backend *backends,
			 size_t n, uint32_t table_size, uint64_t seed,
			 uint32_t *table)
{
	/* h2 comes from a second seed derived from the first. */
	uint64_t seed2 = mix64(seed + 0x6a09e667f3bcc909ull);
	struct maglev_entry *e;
	uint32_t *heap_items;
	uint32_t count = 0;
	size_t i;
	int err;

	err = check_args(backends, n, table_size, table);
	if (err)
		return ebpfnet__err(err);

	/* n < table_size <= 2^24: the counts fit in 32 bits. */
	e = calloc(n, sizeof(*e));
	heap_items = calloc(n, sizeof(*heap_items));
	if (!e || !heap_items) {
		pr_warn("maglev: out of memory for %zu backends", n);
		err = -ENOMEM;
		goto out;
	}

	for (i = 0; i < n; i++) {
		e[i].key = backends[i].key;
		e[i].key_len = backends[i].key_len;
		e[i].weight = backends[i].weight;
		e[i].index = (uint32_t)i;
		e[i].h1 = key_hash(e[i].key, e[i].key_len, seed);
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	for (i = 1; i < n; i++) {
		if (entry_cmp(&e[i - 1], &e[i]) == 0) {
			pr_warn("maglev: backends %u and %u have the same key",
				e[i - 1].index, e[i].index);
			err = -EINVAL;
			goto out;
		}
	}

	/* Keep the backends that take turns (weight > 0), in sorted order. */
	for (i = 0; i < n; i++) {
		struct maglev_entry cur = e[i];
		uint64_t h2;

		if (!cur.weight)
			continue;
		h2 = key_hash(cur.key, cur.key_len, seed2);
		cur.pos = (uint32_t)(cur.h1 % table_size);
		cur.skip = (uint32_t)(h2 % (table_size - 1)) + 1;
		e[count++] = cur;
	}

	fill_table(e, heap_items, count, table, table_size);
	pr_debug("maglev: %u slots filled for %u of %zu backends",
		 table_size, count, n);
out:
	free(heap_items);
	free(e);
	return ebpfnet__err(err);
}
