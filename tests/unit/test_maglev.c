/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet_maglev_build() against the properties of the Maglev paper, and
 * ebpfnet__is_prime():
 *  - balance: each backend's share of the slots is its weight share to
 *    within a slot or two (equal weights, 1:2:3, 1:10, random 1..100,
 *    weight 0);
 *  - disruption: removing one of N backends moves few slots besides its
 *    own (an explicit bound), re-weighting one moves few;
 *  - restoration: adding it back gives the old table byte for byte;
 *  - determinism: the same inputs give the same table, another seed
 *    another table, and the order of the caller's array does not change
 *    the table read by key;
 *  - every validation error, with the table left untouched;
 *  - speed: M = 65537 with 1,000 backends.
 * Figures measured are printed, so a run shows how close to the bounds
 * the algorithm is.
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include "rng.h"
#include "speed.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "lb_internal.h"

static const uint32_t sizes[] = { 65537, 16381 };

/* ---- backend sets ----------------------------------------------------------- */

/*
 * A set of backends named by id. Keys are IPv6-sized addresses
 * 2001:db8::<id>, so two sets with the same ids have the same keys.
 * table_id[] turns a table (indexes into be[]) into ids.
 */
#define MAX_BACKENDS 1000

struct set {
	size_t n;
	struct ebpfnet_maglev_backend be[MAX_BACKENDS];
	uint8_t key[MAX_BACKENDS][16];
	uint32_t id[MAX_BACKENDS];
};

static void set_add(struct set *s, uint32_t id, uint32_t weight)
{
	size_t i = s->n++;

	ck_assert_uint_le(s->n, MAX_BACKENDS);
	memset(s->key[i], 0, 16);
	s->key[i][0] = 0x20;
	s->key[i][1] = 0x01;
	s->key[i][2] = 0x0d;
	s->key[i][3] = 0xb8;
	s->key[i][12] = (uint8_t)(id >> 24);
	s->key[i][13] = (uint8_t)(id >> 16);
	s->key[i][14] = (uint8_t)(id >> 8);
	s->key[i][15] = (uint8_t)id;
	s->be[i].key = s->key[i];
	s->be[i].key_len = 16;
	s->be[i].weight = weight;
	s->id[i] = id;
}

static struct set *set_equal(size_t n)
{
	struct set *s = calloc(1, sizeof(*s));
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		set_add(s, (uint32_t)i + 1, 1);
	return s;
}

/* The same set without the backend of id `id` (order kept). */
static struct set *set_without(const struct set *s, uint32_t id)
{
	struct set *out = calloc(1, sizeof(*out));
	size_t i;

	ck_assert_ptr_nonnull(out);
	for (i = 0; i < s->n; i++)
		if (s->id[i] != id)
			set_add(out, s->id[i], s->be[i].weight);
	ck_assert_uint_eq(out->n, s->n - 1);
	return out;
}

/* Every slot names a backend. (No ck_assert per slot: in check's fork
 * mode each one writes to a pipe.) */
static void check_indexes(const uint32_t *t, uint32_t m, size_t n)
{
	uint32_t i;

	for (i = 0; i < m; i++)
		if (t[i] >= n)
			ck_abort_msg("slot %u names backend %u of %zu", i, t[i], n);
}

/* Build and translate to ids. */
static uint32_t *build_ids(const struct set *s, uint32_t m, uint64_t seed)
{
	uint32_t *t = malloc(m * sizeof(*t));
	uint32_t i;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(ebpfnet_maglev_build(s->be, s->n, m, seed, t), 0);
	check_indexes(t, m, s->n);
	for (i = 0; i < m; i++)
		t[i] = s->id[t[i]];
	return t;
}

static uint32_t count_id(const uint32_t *t, uint32_t m, uint32_t id)
{
	uint32_t i, c = 0;

	for (i = 0; i < m; i++)
		c += t[i] == id;
	return c;
}

static uint32_t count_diff(const uint32_t *a, const uint32_t *b, uint32_t m)
{
	uint32_t i, c = 0;

	for (i = 0; i < m; i++)
		c += a[i] != b[i];
	return c;
}

static uint64_t weight_sum(const struct set *s)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += s->be[i].weight;
	return sum;
}

/*
 * Every backend's slots against its weight share M * w / sum(w).
 * Bound: the turns are stride scheduling (maglev.c), so a backend gets
 * its share to within a slot or two (measured: at most 1.0 slots off over
 * every set below); we allow 3 slots, and for shares of 1,000 slots or
 * more also 0.3%. Returns the largest relative deviation among the
 * shares of 100 slots or more.
 */
#define SHARE_SLOTS_SLACK 3.0
#define SHARE_REL_SLACK 0.003

static double check_shares(const struct set *s, uint32_t m, uint64_t seed,
			   double *max_abs)
{
	uint32_t *t = malloc(m * sizeof(*t)), *count = calloc(s->n, sizeof(*count));
	double sum = (double)weight_sum(s), worst_rel = 0, total = 0;
	size_t i;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(count);
	ck_assert_int_eq(ebpfnet_maglev_build(s->be, s->n, m, seed, t), 0);
	check_indexes(t, m, s->n);
	for (i = 0; i < m; i++)
		count[t[i]]++;
	*max_abs = 0;
	for (i = 0; i < s->n; i++) {
		double want = (double)m * s->be[i].weight / sum;
		double got = count[i];
		double dev = fabs(got - want);
		double allowed = fmax(SHARE_SLOTS_SLACK, SHARE_REL_SLACK * want);

		ck_assert_msg(dev <= allowed,
			      "M=%u n=%zu backend %zu (weight %u): %.0f slots, want %.1f",
			      m, s->n, i, s->be[i].weight, got, want);
		if (s->be[i].weight == 0)
			ck_assert_msg(got == 0, "weight 0 got %.0f slots", got);
		*max_abs = fmax(*max_abs, dev);
		if (want >= 100)
			worst_rel = fmax(worst_rel, dev / want);
		total += got;
	}
	ck_assert_msg(total == m, "slots counted %.0f of %u", total, m);
	free(count);
	free(t);
	return worst_rel;
}

/* ---- (1) balance ------------------------------------------------------------ */

/* Equal weights: 1/N each. For M=65537 and N <= 100 the relative bound
 * is 3%, as the issue asks; shares of ~16 slots (N=1000, M=16381) are
 * held to the slot bound. */
START_TEST(test_equal_weights)
{
	static const size_t ns[] = { 3, 10, 100, 1000 };
	size_t si, ni;

	for (si = 0; si < EBPFNET_ARRAY_SIZE(sizes); si++) {
		for (ni = 0; ni < EBPFNET_ARRAY_SIZE(ns); ni++) {
			struct set *s = set_equal(ns[ni]);
			double max_abs, rel = check_shares(s, sizes[si], 0, &max_abs);

			printf("maglev: equal   M=%-5u N=%-4zu max deviation %.2f slots (%.3f%% of shares >= 100)\n",
			       sizes[si], ns[ni], max_abs, rel * 100);
			if (sizes[si] == 65537 && ns[ni] <= 100)
				ck_assert_msg(rel <= 0.03, "%.4f", rel);
			free(s);
		}
	}
}
END_TEST

static void check_weighted(const char *name, const uint32_t *w, size_t n)
{
	size_t si, i;

	for (si = 0; si < EBPFNET_ARRAY_SIZE(sizes); si++) {
		struct set *s = calloc(1, sizeof(*s));
		double max_abs, rel;

		ck_assert_ptr_nonnull(s);
		for (i = 0; i < n; i++)
			set_add(s, (uint32_t)i + 1, w[i]);
		rel = check_shares(s, sizes[si], 7, &max_abs);
		printf("maglev: %-7s M=%-5u N=%-4zu max deviation %.2f slots (%.3f%% of shares >= 100)\n",
		       name, sizes[si], n, max_abs, rel * 100);
		free(s);
	}
}

START_TEST(test_weights_1_2_3)
{
	static const uint32_t w[] = { 1, 2, 3 };

	check_weighted("1:2:3", w, 3);
}
END_TEST

START_TEST(test_weights_1_10)
{
	static const uint32_t w[] = { 1, 10 };

	check_weighted("1:10", w, 2);
}
END_TEST

/* Random weights 1..100 for 10, 100 and 1000 backends; some 0s too. */
START_TEST(test_weights_random)
{
	static const size_t ns[] = { 10, 100, 1000 };
	uint32_t *w = calloc(MAX_BACKENDS, sizeof(*w));
	size_t ni, i;

	ck_assert_ptr_nonnull(w);
	for (ni = 0; ni < EBPFNET_ARRAY_SIZE(ns); ni++) {
		rng_seed(ns[ni] + (uint64_t)_i * 1000);
		for (i = 0; i < ns[ni]; i++)
			w[i] = _i == 1 && i % 7 == 3 ? 0 : 1 + rnd_below(100);
		check_weighted(_i ? "rand+0" : "random", w, ns[ni]);
	}
	free(w);
}
END_TEST

/* Weights up to 2^32-1: the virtual-time products must not overflow. */
START_TEST(test_weights_extreme)
{
	static const uint32_t w[] = { UINT32_MAX, 1, UINT32_MAX / 2, 65535 };

	check_weighted("extreme", w, 4);
}
END_TEST

/* A backend of weight 0 gets nothing, and the table is the one built
 * without it (by key). */
START_TEST(test_weight_zero_is_absent)
{
	struct set *s = set_equal(10), *without = set_without(s, 4);
	uint32_t *a, *b;

	s->be[3].weight = 0;  /* id 4 */
	a = build_ids(s, 16381, 1);
	b = build_ids(without, 16381, 1);
	ck_assert_uint_eq(count_id(a, 16381, 4), 0);
	ck_assert_uint_eq(count_diff(a, b, 16381), 0);
	free(a);
	free(b);
	free(s);
	free(without);
}
END_TEST

/* ---- (2) disruption, (3) restoration ----------------------------------------- */

/*
 * Remove one of N backends (each of them for N = 10, 20 spread out for
 * larger N): how many slots change, as a multiple of M / N (the removed
 * backend's own share, which must move). Maglev is not minimally
 * disruptive: a freed slot changes who claims what next, so a few slots
 * of the others move too, more when M / N is small (the paper, section
 * 5.3 and figure 12). Worst over the removals, measured here (seed 3):
 *
 *      M       N=10    N=100   N=1000
 *      65537   1.04    1.65    7.4
 *      16381   1.06    2.52    8.4
 *
 * The bounds below leave some margin. Whatever N, the others' slots
 * mostly stay: at most 2% of them move (measured: 1.51% for N=100 at
 * M=16381, 0.7% at most otherwise).
 */
struct removal_case {
	uint32_t m;
	size_t n;
	double factor;  /* changed slots <= factor * M / N */
};

static const struct removal_case removal_cases[] = {
	{ 65537, 10, 1.2 }, { 65537, 100, 2.0 }, { 65537, 1000, 9.0 },
	{ 16381, 10, 1.2 }, { 16381, 100, 3.0 }, { 16381, 1000, 10.0 },
};

#define OTHERS_MOVED_MAX 0.02

/* Remove backend k of s: the slots that changed, of which `moved` did
 * not belong to it. */
static uint32_t removal_change(const struct set *s, size_t k,
			       const uint32_t *full, uint32_t m, uint64_t seed,
			       uint32_t *moved)
{
	struct set *less = set_without(s, s->id[k]);
	uint32_t *t = build_ids(less, m, seed);
	uint32_t own = count_id(full, m, s->id[k]);
	uint32_t changed = count_diff(full, t, m);

	/* Every slot of the removed backend changes; no slot names it. */
	ck_assert_uint_eq(count_id(t, m, s->id[k]), 0);
	*moved = changed - own;
	ck_assert_msg(*moved <= OTHERS_MOVED_MAX * (m - own),
		      "M=%u N=%zu remove %u: %u of the others' %u slots moved",
		      m, s->n, s->id[k], *moved, m - own);
	free(t);
	free(less);
	return changed;
}

START_TEST(test_removal_equal)
{
	const struct removal_case *c = &removal_cases[_i];
	struct set *s = set_equal(c->n);
	uint32_t *full = build_ids(s, c->m, 3), moved;
	size_t step = c->n > 20 ? c->n / 20 : 1, k;
	double worst = 0, worst_moved = 0, bound = c->factor * c->m / c->n;

	for (k = 0; k < s->n; k += step) {
		uint32_t changed = removal_change(s, k, full, c->m, 3, &moved);

		ck_assert_msg(changed <= bound,
			      "M=%u N=%zu remove %u: %u slots changed > %.0f",
			      c->m, c->n, s->id[k], changed, bound);
		worst = fmax(worst, changed / ((double)c->m / c->n));
		worst_moved = fmax(worst_moved, (double)moved / c->m);
	}
	printf("maglev: remove 1 of %-4zu M=%-5u worst change %.3f x M/N (bound %.1f), others moved <= %.3f%%\n",
	       c->n, c->m, worst, c->factor, worst_moved * 100);
	free(full);
	free(s);
}
END_TEST

/*
 * Weighted (50 backends, weights 1..100, M = 65537), each removed in
 * turn. Besides its own slots, a removal moves some of the others':
 * about 0.2 of the removed share on average (measured 0.205 over the 50;
 * with equal weights 0.218), but never much less than ~100 slots however
 * small the share (measured: weight 1, 26 slots of its own, 107 moved),
 * because every freed slot starts a chain of re-claims. Bounds: in all,
 * at most 0.3 of the removed slots; each, at most half its share plus
 * 0.4% of M; and the others' slots mostly stay (removal_change()).
 */
START_TEST(test_removal_weighted)
{
	struct set *s = calloc(1, sizeof(*s));
	uint32_t m = 65537, *full, moved;
	double worst = 0, sum, all_moved = 0;
	size_t k;

	ck_assert_ptr_nonnull(s);
	rng_seed(42);
	for (k = 0; k < 50; k++)
		set_add(s, (uint32_t)k + 1, 1 + rnd_below(100));
	sum = (double)weight_sum(s);
	full = build_ids(s, m, 5);
	for (k = 0; k < s->n; k++) {
		double share = m * s->be[k].weight / sum;

		removal_change(s, k, full, m, 5, &moved);
		ck_assert_msg(moved <= 0.5 * share + 0.004 * m,
			      "weighted remove %u (share %.0f): %u others moved",
			      s->id[k], share, moved);
		worst = fmax(worst, moved / share);
		all_moved += moved;
	}
	/* Each backend was removed once: the removed slots add up to M. */
	printf("maglev: weighted remove 1 of 50: others moved %.3f x the removed slots in all, worst %.2f x\n",
	       all_moved / m, worst);
	ck_assert_msg(all_moved <= 0.3 * m, "%.0f moved", all_moved);
	free(full);
	free(s);
}
END_TEST

/* Re-weighting one backend (x2, /2) moves about the change in its share. */
START_TEST(test_reweight)
{
	struct set *s = set_equal(20);
	uint32_t m = 16381, *before = build_ids(s, m, 9), *after, changed;
	double delta;

	s->be[5].weight = 2;
	after = build_ids(s, m, 9);
	changed = count_diff(before, after, m);
	delta = (double)m * 2 / 21 - (double)m / 20;
	printf("maglev: weight 1 -> 2 of 1 in 20: %u slots changed, share grew %.0f\n",
	       changed, delta);
	ck_assert_msg(changed <= 2.0 * delta, "%u changed for a %.0f change",
		      changed, delta);
	free(after);
	free(before);
	free(s);
}
END_TEST

/* Remove a backend, add it back (at the same place, then at the end):
 * the old table again, byte for byte, and by key. */
START_TEST(test_add_back_restores)
{
	struct set *s = set_equal(100), *less = set_without(s, 37), *back;
	uint32_t m = 65537;
	uint32_t *a = malloc(m * sizeof(*a)), *b = malloc(m * sizeof(*b));
	uint32_t *ka, *kb;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(ebpfnet_maglev_build(s->be, s->n, m, 11, a), 0);
	ck_assert_int_eq(ebpfnet_maglev_build(less->be, less->n, m, 11, b), 0);
	ck_assert_uint_gt(count_diff(a, b, m), 0);

	/* Back at its place: the arrays are equal, so is the table. */
	back = calloc(1, sizeof(*back));
	ck_assert_ptr_nonnull(back);
	for (size_t i = 0; i < s->n; i++)
		set_add(back, s->id[i], 1);
	ck_assert_int_eq(ebpfnet_maglev_build(back->be, back->n, m, 11, b), 0);
	ck_assert_int_eq(memcmp(a, b, m * sizeof(*a)), 0);

	/* Back at the end of the array: the same table by key. */
	set_add(less, 37, 1);
	ka = build_ids(s, m, 11);
	kb = build_ids(less, m, 11);
	ck_assert_int_eq(memcmp(ka, kb, m * sizeof(*ka)), 0);
	free(ka);
	free(kb);
	free(back);
	free(less);
	free(s);
	free(a);
	free(b);
}
END_TEST

/* ---- (4) determinism -------------------------------------------------------- */

START_TEST(test_deterministic)
{
	struct set *s = set_equal(10);
	uint32_t m = 16381, *a = build_ids(s, m, 77), *b = build_ids(s, m, 77);

	ck_assert_int_eq(memcmp(a, b, m * sizeof(*a)), 0);
	free(a);
	free(b);
	free(s);
}
END_TEST

/* A golden value pins the hash and the algorithm: a table built on any
 * node (and by any later version of this library) must be this one. */
START_TEST(test_golden)
{
	struct set *s = set_equal(3);
	uint32_t m = 13, t[13], i;
	char got[64] = "";

	ck_assert_int_eq(ebpfnet_maglev_build(s->be, s->n, m, 0, t), 0);
	for (i = 0; i < m; i++)
		got[i] = (char)('0' + t[i]);
	printf("maglev: golden table M=13 N=3 seed 0: %s\n", got);
	ck_assert_str_eq(got, "0222210011021");
	free(s);
}
END_TEST

START_TEST(test_seed_changes_table)
{
	struct set *s = set_equal(10);
	uint32_t m = 16381, *a = build_ids(s, m, 1), *b = build_ids(s, m, 2);
	uint32_t diff = count_diff(a, b, m);

	/* Unrelated tables agree on about 1/N of the slots. */
	ck_assert_msg(diff > m * 0.8, "seeds 1 and 2 differ in %u slots only",
		      diff);
	free(a);
	free(b);
	free(s);
}
END_TEST

/* Shuffle the array: the table read by key does not change. */
START_TEST(test_order_independent)
{
	struct set *s = set_equal(100), *shuffled = calloc(1, sizeof(*shuffled));
	uint32_t m = 65537, *a, *b, order[100], i;

	ck_assert_ptr_nonnull(shuffled);
	rng_seed(5 + _i);
	for (i = 0; i < 100; i++)
		order[i] = i;
	for (i = 99; i > 0; i--) {
		uint32_t j = rnd_below(i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < 100; i++)
		s->be[i].weight = 1 + i % 4;
	for (i = 0; i < 100; i++)
		set_add(shuffled, s->id[order[i]], s->be[order[i]].weight);
	a = build_ids(s, m, 21);
	b = build_ids(shuffled, m, 21);
	ck_assert_int_eq(memcmp(a, b, m * sizeof(*a)), 0);
	free(a);
	free(b);
	free(shuffled);
	free(s);
}
END_TEST

/* Keys of different lengths, one a prefix of the other, are different
 * backends. */
START_TEST(test_key_prefix_is_distinct)
{
	static const uint8_t k[6] = { 10, 0, 0, 1, 0, 80 };
	struct ebpfnet_maglev_backend be[2] = {
		{ .key = k, .key_len = 4, .weight = 1 },
		{ .key = k, .key_len = 6, .weight = 1 },
	};
	uint32_t t[101];

	ck_assert_int_eq(ebpfnet_maglev_build(be, 2, 101, 0, t), 0);
	ck_assert_uint_ge(count_id(t, 101, 0), 50);
	ck_assert_uint_ge(count_id(t, 101, 1), 50);
}
END_TEST

/* ---- (5) bad input ------------------------------------------------------------ */

struct bad_case {
	const char *what;
	size_t n;          /* backends used */
	uint32_t size;
	int mutate;        /* what to break */
	const char *warn;  /* a word of the logged reason */
};

enum { M_NONE, M_NULL_BACKENDS, M_NULL_TABLE, M_NULL_KEY, M_EMPTY_KEY,
       M_DUP_KEY, M_ALL_ZERO };

static const struct bad_case bad_cases[] = {
	{ "NULL backends", 3, 13, M_NULL_BACKENDS, "NULL" },
	{ "NULL table", 3, 13, M_NULL_TABLE, "NULL" },
	{ "no backends", 0, 13, M_NONE, "no backends" },
	{ "size 0", 3, 0, M_NONE, "larger" },
	{ "size 1", 3, 1, M_NONE, "larger" },
	{ "size 65536", 3, 65536, M_NONE, "not a prime" },
	{ "size 16383", 3, 16383, M_NONE, "not a prime" },
	{ "size 561 (Carmichael)", 3, 561, M_NONE, "not a prime" },
	{ "size = n", 7, 7, M_NONE, "larger" },
	{ "size < n", 8, 7, M_NONE, "larger" },
	{ "size over 2^24", 3, 16777259, M_NONE, "limit" },
	{ "size 2^32-5", 3, 4294967291u, M_NONE, "limit" },
	{ "NULL key", 3, 13, M_NULL_KEY, "no key" },
	{ "empty key", 3, 13, M_EMPTY_KEY, "no key" },
	{ "duplicate key", 3, 13, M_DUP_KEY, "same key" },
	{ "every weight 0", 3, 13, M_ALL_ZERO, "weight 0" },
};

START_TEST(test_bad_input)
{
	const struct bad_case *c = &bad_cases[_i];
	struct set *s = set_equal(8);
	const struct ebpfnet_maglev_backend *be = s->be;
	uint32_t table[64], *tp = table, i;
	int err;

	switch (c->mutate) {
	case M_NULL_BACKENDS: be = NULL; break;
	case M_NULL_TABLE: tp = NULL; break;
	case M_NULL_KEY: s->be[1].key = NULL; break;
	case M_EMPTY_KEY: s->be[2].key_len = 0; break;
	case M_DUP_KEY: memcpy(s->key[2], s->key[0], 16); break;
	case M_ALL_ZERO:
		for (i = 0; i < s->n; i++)
			s->be[i].weight = 0;
		break;
	}
	for (i = 0; i < 64; i++)
		table[i] = 0xabcd0000 + i;
	errno = 0;
	err = ebpfnet_maglev_build(be, c->n, c->size, 0, tp);
	ck_assert_msg(err == -EINVAL, "%s: %d", c->what, err);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(last_warn, c->warn), "%s: logged '%s'", c->what,
		      last_warn);
	for (i = 0; i < 64; i++)
		ck_assert_uint_eq(table[i], 0xabcd0000 + i);
	free(s);
}
END_TEST

/* The edges that are valid: n = M - 1, M = 2, the largest size. */
START_TEST(test_edges)
{
	struct set *s = set_equal(12);
	uint32_t t[13], big = 16777213, *bt, i;
	struct ebpfnet_maglev_backend one = { .key = "a", .key_len = 1, .weight = 5 };

	/* 12 backends in 13 slots: each gets one, one gets two. */
	ck_assert_int_eq(ebpfnet_maglev_build(s->be, 12, 13, 0, t), 0);
	for (i = 0; i < 12; i++)
		ck_assert_uint_ge(count_id(t, 13, i), 1);
	ck_assert_int_eq(ebpfnet_maglev_build(&one, 1, 2, 0, t), 0);
	ck_assert_uint_eq(t[0], 0);
	ck_assert_uint_eq(t[1], 0);

	ck_assert(ebpfnet__is_prime(big));
	bt = malloc((size_t)big * sizeof(*bt));
	ck_assert_ptr_nonnull(bt);
	ck_assert_int_eq(ebpfnet_maglev_build(s->be, 3, big, 0, bt), 0);
	for (i = 0; i < 3; i++) {
		uint32_t c = count_id(bt, big, i);

		ck_assert_msg(c >= big / 3 - 1 && c <= big / 3 + 1, "%u", c);
	}
	free(bt);
	free(s);
	ck_assert_uint_eq(nwarn, 0);
}
END_TEST

/* ---- speed ------------------------------------------------------------------ */

/* M = 65537, 1,000 backends: well under 100 ms (best of 3; under the
 * sanitizers 10x that). */
START_TEST(test_speed)
{
	struct set *s = set_equal(1000);
	uint32_t m = 65537, *t = malloc(m * sizeof(*t)), k;
	double best = 1e9;

	ck_assert_ptr_nonnull(t);
	for (k = 0; k < 3; k++) {
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(ebpfnet_maglev_build(s->be, s->n, m, k, t), 0);
		best = fmin(best, seconds_since(&t0));
	}
	printf("maglev: M=65537 N=1000 built in %.2f ms (best of 3)\n",
	       best * 1e3);
	ck_assert_msg(best < 0.05 * SLOW_BUILD, "%.1f ms", best * 1e3);
	free(t);
	free(s);
}
END_TEST

/* ---- ebpfnet__is_prime ---------------------------------------------------------- */

/* Against a sieve up to 2^20. */
START_TEST(test_is_prime_sieve)
{
	const uint32_t limit = 1u << 20;
	uint8_t *composite = calloc(limit, 1);
	uint32_t i, j, primes = 0;

	ck_assert_ptr_nonnull(composite);
	composite[0] = composite[1] = 1;
	for (i = 2; (uint64_t)i * i < limit; i++)
		if (!composite[i])
			for (j = i * i; j < limit; j += i)
				composite[j] = 1;
	for (i = 0; i < limit; i++) {
		if (ebpfnet__is_prime(i) != !composite[i])
			ck_abort_msg("is_prime(%u) is wrong", i);
		primes += !composite[i];
	}
	ck_assert_uint_eq(primes, 82025);  /* pi(2^20) */
	free(composite);
}
END_TEST

START_TEST(test_is_prime_known)
{
	static const uint32_t primes[] = {
		2, 3, 5, 7, 11, 13, 61, 251, 65537, 16381, 16777213, 16777259,
		2147483647u, 4294967291u,
	};
	static const uint32_t composites[] = {
		0, 1, 4, 9, 65536, 16383, 16777215, 16777216, 16777217,
		/* Carmichael numbers */
		561, 1105, 1729, 2465, 2821, 6601, 8911, 41041, 825265,
		321197185u,
		/* strong pseudoprimes to base 2, to 2 and 3, to 2, 3, 5, 7 */
		2047, 3277, 4033, 4681, 8321, 1373653, 25326001,
		3215031751u,
		/* to base 2 and 7 */
		314821u,
		4294967295u, 4294967293u, 2147483649u,
		65521u * 65519u,
	};
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(primes); i++)
		ck_assert_msg(ebpfnet__is_prime(primes[i]), "%u", primes[i]);
	for (i = 0; i < EBPFNET_ARRAY_SIZE(composites); i++)
		ck_assert_msg(!ebpfnet__is_prime(composites[i]), "%u",
			      composites[i]);
}
END_TEST

static Suite *maglev_suite(void)
{
	Suite *s = suite_create("maglev");
	TCase *tc = tcase_create("maglev");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_equal_weights);
	tcase_add_test(tc, test_weights_1_2_3);
	tcase_add_test(tc, test_weights_1_10);
	tcase_add_loop_test(tc, test_weights_random, 0, 2);
	tcase_add_test(tc, test_weights_extreme);
	tcase_add_test(tc, test_weight_zero_is_absent);
	tcase_add_loop_test(tc, test_removal_equal, 0,
			    (int)EBPFNET_ARRAY_SIZE(removal_cases));
	tcase_add_test(tc, test_removal_weighted);
	tcase_add_test(tc, test_reweight);
	tcase_add_test(tc, test_add_back_restores);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_seed_changes_table);
	tcase_add_loop_test(tc, test_order_independent, 0, 3);
	tcase_add_test(tc, test_key_prefix_is_distinct);
	tcase_add_loop_test(tc, test_bad_input, 0,
			    (int)EBPFNET_ARRAY_SIZE(bad_cases));
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_speed);
	tcase_add_test(tc, test_is_prime_sieve);
	tcase_add_test(tc, test_is_prime_known);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(maglev_suite(), CK_NORMAL);
}
