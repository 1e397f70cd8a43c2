/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The lb_rings slot allocator (lb_ring.c): take (first fit), release
 * (coalescing with both neighbours, in every order of three), reserve
 * (adoption; overlaps refused), exhaustion, free_slots bookkeeping, bad
 * arguments, a random stress against a bitmap model that predicts every
 * answer, and the speed with 10,000 services and a fragmented ring.
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include "rng.h"
#include "speed.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "lb_internal.h"

static struct lb_ring_alloc *new_alloc(uint32_t slots)
{
	struct lb_ring_alloc *a = lb_ring_alloc_new(slots);

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), slots);
	return a;
}

static uint32_t take(struct lb_ring_alloc *a, uint32_t size)
{
	uint32_t base = UINT32_MAX;

	ck_assert_int_eq(lb_ring_alloc_take(a, size, &base), 0);
	return base;
}

static void expect_nospc(struct lb_ring_alloc *a, uint32_t size)
{
	uint32_t base = 12345;

	errno = 0;
	ck_assert_int_eq(lb_ring_alloc_take(a, size, &base), -ENOSPC);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(base, 12345);
}

/* ---- basics --------------------------------------------------------------- */

START_TEST(test_new_and_destroy)
{
	errno = 0;
	ck_assert_ptr_null(lb_ring_alloc_new(0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "at least one slot"));
	lb_ring_alloc_destroy(NULL);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(NULL), 0);
	lb_ring_alloc_destroy(new_alloc(1));
	lb_ring_alloc_destroy(new_alloc(UINT32_MAX));
}
END_TEST

START_TEST(test_take_until_full)
{
	struct lb_ring_alloc *a = new_alloc(10);

	ck_assert_uint_eq(take(a, 3), 0);
	ck_assert_uint_eq(take(a, 4), 3);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 3);
	expect_nospc(a, 4);
	ck_assert_uint_eq(take(a, 3), 7);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 0);
	expect_nospc(a, 1);
	expect_nospc(a, UINT32_MAX);
	lb_ring_alloc_destroy(a);
}
END_TEST

START_TEST(test_take_whole_ring)
{
	struct lb_ring_alloc *a = new_alloc(UINT32_MAX);

	ck_assert_uint_eq(take(a, UINT32_MAX), 0);
	expect_nospc(a, 1);
	lb_ring_alloc_release(a, UINT32_MAX - 1, 1);
	ck_assert_uint_eq(take(a, 1), UINT32_MAX - 1);
	lb_ring_alloc_destroy(a);
	a = new_alloc(16381);
	ck_assert_uint_eq(take(a, 16381), 0);
	expect_nospc(a, 1);
	lb_ring_alloc_release(a, 0, 16381);
	ck_assert_uint_eq(take(a, 16381), 0);
	lb_ring_alloc_destroy(a);
}
END_TEST

START_TEST(test_take_bad_args)
{
	struct lb_ring_alloc *a = new_alloc(10);
	uint32_t base;

	errno = 0;
	ck_assert_int_eq(lb_ring_alloc_take(NULL, 1, &base), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(lb_ring_alloc_take(a, 1, NULL), -EINVAL);
	nwarn = 0;
	ck_assert_int_eq(lb_ring_alloc_take(a, 0, &base), -EINVAL);
	ck_assert_uint_eq(nwarn, 1);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 10);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* First fit: the lowest free range that is large enough, even when a
 * later one would fit exactly. */
START_TEST(test_first_fit)
{
	struct lb_ring_alloc *a = new_alloc(100);
	uint32_t b[5], i;

	for (i = 0; i < 5; i++)
		b[i] = take(a, 10);            /* [0,50) used */
	lb_ring_alloc_release(a, b[1], 10);    /* hole [10,20) */
	lb_ring_alloc_release(a, b[3], 10);    /* hole [30,40) */
	ck_assert_uint_eq(take(a, 11), 50);    /* no hole fits: the tail */
	ck_assert_uint_eq(take(a, 4), 10);     /* the first hole */
	ck_assert_uint_eq(take(a, 6), 14);     /* the rest of it, exactly */
	ck_assert_uint_eq(take(a, 7), 30);
	ck_assert_uint_eq(take(a, 3), 37);
	ck_assert_uint_eq(take(a, 1), 61);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 38);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* ---- coalescing -------------------------------------------------------------- */

/*
 * Three neighbours A, B, C of sizes 3, 5, 7, released in each of the 6
 * orders; placement 0: used guards on both sides, 1: A at slot 0 and C at
 * the end of the ring. After the three releases one free range remains:
 * a take of exactly its size gets A's base.
 */
START_TEST(test_coalesce_every_order)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	static const uint32_t size[3] = { 3, 5, 7 };
	bool edges = _i >= 6;
	const int *order = orders[_i % 6];
	uint32_t slots = edges ? 15 : 25;
	struct lb_ring_alloc *a = new_alloc(slots);
	uint32_t base[3], freed = 0, k;

	if (!edges)
		take(a, 4);                    /* guard before */
	for (k = 0; k < 3; k++)
		base[k] = take(a, size[k]);
	if (!edges)
		take(a, 6);                    /* guard after */
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 0);

	for (k = 0; k < 3; k++) {
		lb_ring_alloc_release(a, base[order[k]], size[order[k]]);
		freed += size[order[k]];
		ck_assert_uint_eq(lb_ring_alloc_free_slots(a), freed);
	}
	ck_assert_uint_eq(nwarn, 0);
	expect_nospc(a, 16);
	ck_assert_uint_eq(take(a, 15), base[0]);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 0);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* Two releases that leave a hole between them, then the hole: one range. */
START_TEST(test_coalesce_fills_gap)
{
	struct lb_ring_alloc *a = new_alloc(30);

	take(a, 30);
	lb_ring_alloc_release(a, 0, 10);
	lb_ring_alloc_release(a, 20, 10);
	expect_nospc(a, 11);
	lb_ring_alloc_release(a, 10, 10);
	ck_assert_uint_eq(take(a, 30), 0);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* ---- reserve ---------------------------------------------------------------- */

START_TEST(test_reserve)
{
	struct lb_ring_alloc *a = new_alloc(100);

	ck_assert_int_eq(lb_ring_alloc_reserve(a, 40, 10), 0);  /* a split */
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 90);
	ck_assert_int_eq(lb_ring_alloc_reserve(a, 0, 5), 0);    /* a head */
	ck_assert_int_eq(lb_ring_alloc_reserve(a, 95, 5), 0);   /* a tail */
	ck_assert_int_eq(lb_ring_alloc_reserve(a, 50, 45), 0);  /* a whole range */
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 35);
	/* Left: [5, 40). */
	expect_nospc(a, 36);
	ck_assert_uint_eq(take(a, 35), 5);
	lb_ring_alloc_release(a, 50, 45);
	ck_assert_uint_eq(take(a, 1), 50);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* Overlaps with used slots (inside, across either edge, around), empty
 * and out-of-range ranges: -EINVAL, nothing changed. */
START_TEST(test_reserve_refused)
{
	static const uint32_t bad[][2] = {
		{ 20, 10 }, { 25, 2 }, { 15, 10 }, { 25, 10 }, { 10, 40 },
		{ 29, 1 }, { 20, 1 }, { 0, 0 }, { 99, 2 }, { 100, 1 },
		{ UINT32_MAX, 2 }, { 1, UINT32_MAX },
	};
	struct lb_ring_alloc *a = new_alloc(100);
	size_t i;

	ck_assert_int_eq(lb_ring_alloc_reserve(a, 20, 10), 0);
	for (i = 0; i < EBPFNET_ARRAY_SIZE(bad); i++) {
		last_warn[0] = '\0';
		errno = 0;
		ck_assert_msg(lb_ring_alloc_reserve(a, bad[i][0], bad[i][1]) == -EINVAL,
			      "reserve [%u, +%u)", bad[i][0], bad[i][1]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_str_ne(last_warn, "");
		ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 90);
	}
	ck_assert_int_eq(lb_ring_alloc_reserve(NULL, 0, 1), -EINVAL);
	ck_assert_uint_eq(take(a, 20), 0);
	ck_assert_uint_eq(take(a, 70), 30);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* A release of slots that are (partly) free, or outside the ring, is
 * refused with a warning and changes nothing. */
START_TEST(test_release_refused)
{
	struct lb_ring_alloc *a = new_alloc(100);

	take(a, 50);                           /* [0, 50) used */
	lb_ring_alloc_release(a, 10, 10);      /* [10, 20) free */
	nwarn = 0;
	lb_ring_alloc_release(a, 10, 10);      /* again */
	lb_ring_alloc_release(a, 5, 6);        /* overlaps its start */
	lb_ring_alloc_release(a, 19, 2);       /* overlaps its end */
	lb_ring_alloc_release(a, 45, 10);      /* into the free tail */
	lb_ring_alloc_release(a, 60, 1);       /* inside the free tail */
	lb_ring_alloc_release(a, 0, 0);
	lb_ring_alloc_release(a, 99, 2);
	lb_ring_alloc_release(a, UINT32_MAX, 1);
	lb_ring_alloc_release(NULL, 0, 1);
	ck_assert_uint_eq(nwarn, 9);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 60);
	ck_assert_uint_eq(take(a, 10), 10);
	ck_assert_uint_eq(take(a, 50), 50);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), 0);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* ---- random stress against a bitmap -------------------------------------- */

struct model {
	uint32_t slots;
	uint8_t *used;
	uint32_t free_slots;
};

static bool model_all(const struct model *m, uint32_t base, uint32_t size,
		      uint8_t used)
{
	uint32_t i;

	if (size == 0 || (uint64_t)base + size > m->slots)
		return false;
	for (i = base; i < base + size; i++)
		if (m->used[i] != used)
			return false;
	return true;
}

static void model_mark(struct model *m, uint32_t base, uint32_t size,
		       uint8_t used)
{
	memset(m->used + base, used, size);
	if (used)
		m->free_slots -= size;
	else
		m->free_slots += size;
}

/* First fit over the bitmap: the base of the first run of `size` free
 * slots, or UINT32_MAX. */
static uint32_t model_first_fit(const struct model *m, uint32_t size)
{
	uint32_t run = 0, i;

	for (i = 0; i < m->slots; i++) {
		run = m->used[i] ? 0 : run + 1;
		if (run == size)
			return i + 1 - size;
	}
	return UINT32_MAX;
}

/* A random range inside [0, slots) of 1..max_len slots. */
static void random_range(uint32_t slots, uint32_t max_len, uint32_t *base,
			 uint32_t *size)
{
	*base = rnd_below(slots);
	*size = 1 + rnd_below(max_len);
	if (*size > slots - *base)
		*size = slots - *base;
}

/* A random range of used slots, or false when nothing is used. */
static bool random_used_range(const struct model *m, uint32_t *base,
			      uint32_t *size)
{
	uint32_t start = rnd_below(m->slots), i, len = 0, limit;

	for (i = 0; i < m->slots; i++) {
		uint32_t s = (start + i) % m->slots;

		if (m->used[s]) {
			*base = s;
			break;
		}
	}
	if (i == m->slots)
		return false;
	limit = 1 + rnd_below(64);
	while (len < limit && *base + len < m->slots && m->used[*base + len])
		len++;
	*size = len;
	return true;
}

START_TEST(test_random_against_bitmap)
{
	static const uint32_t slot_counts[] = { 1, 7, 64, 1000, 4099 };
	struct model m = { .slots = slot_counts[_i % 5] };
	struct lb_ring_alloc *a = new_alloc(m.slots);
	uint32_t op, base, size, want, got;

	rng_seed(1000 + _i);
	m.used = calloc(m.slots, 1);
	m.free_slots = m.slots;
	ck_assert_ptr_nonnull(m.used);

	for (op = 0; op < 20000; op++) {
		switch (rnd_below(6)) {
		case 0:
		case 1:   /* take */
			size = 1 + rnd_below(m.slots < 80 ? m.slots + 2 : 80);
			want = model_first_fit(&m, size);
			got = UINT32_MAX;
			if (want == UINT32_MAX) {
				ck_assert_int_eq(lb_ring_alloc_take(a, size, &got), -ENOSPC);
				break;
			}
			ck_assert_int_eq(lb_ring_alloc_take(a, size, &got), 0);
			ck_assert_msg(got == want, "op %u: take %u got %u, want %u",
				      op, size, got, want);
			model_mark(&m, got, size, 1);
			break;
		case 2:
		case 3:   /* release part or all of something used */
			if (!random_used_range(&m, &base, &size))
				break;
			lb_ring_alloc_release(a, base, size);
			model_mark(&m, base, size, 0);
			break;
		case 4:   /* reserve anything: accepted iff entirely free */
			random_range(m.slots, 40, &base, &size);
			if (model_all(&m, base, size, 0)) {
				ck_assert_int_eq(lb_ring_alloc_reserve(a, base, size), 0);
				model_mark(&m, base, size, 1);
			} else {
				ck_assert_int_eq(lb_ring_alloc_reserve(a, base, size), -EINVAL);
			}
			break;
		case 5:   /* release anything: applied iff entirely used */
			random_range(m.slots, 40, &base, &size);
			nwarn = 0;
			lb_ring_alloc_release(a, base, size);
			if (model_all(&m, base, size, 1)) {
				ck_assert_uint_eq(nwarn, 0);
				model_mark(&m, base, size, 0);
			} else {
				ck_assert_uint_eq(nwarn, 1);
			}
			break;
		}
		ck_assert_uint_eq(lb_ring_alloc_free_slots(a), m.free_slots);
	}
	/* Release everything that is used: one range again. */
	while (random_used_range(&m, &base, &size)) {
		lb_ring_alloc_release(a, base, size);
		model_mark(&m, base, size, 0);
	}
	ck_assert_uint_eq(take(a, m.slots), 0);
	free(m.used);
	lb_ring_alloc_destroy(a);
}
END_TEST

/* ---- speed ------------------------------------------------------------------- */

/*
 * 10,000 services of 401 slots; every other one removed (5,000 holes);
 * then 5,000 services of 802 slots, each of which scans every hole before
 * it fits at the end (the worst case of first fit); then everything
 * released in a scattered order. Under a second (sanitizers: 10 s);
 * measured: a few tens of ms.
 */
START_TEST(test_speed_10000_services)
{
	const uint32_t n = 10000, small = 401, big = 802;
	struct lb_ring_alloc *a = new_alloc(n * small + n / 2 * big);
	uint32_t *base = calloc(n + n / 2, sizeof(*base)), i;
	struct timespec t0;
	double s;

	ck_assert_ptr_nonnull(base);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		base[i] = take(a, small);
	for (i = 0; i < n; i += 2)
		lb_ring_alloc_release(a, base[i], small);
	for (i = 0; i < n / 2; i++)
		base[n + i] = take(a, big);
	ck_assert_uint_eq(base[n], n * small);
	ck_assert_uint_eq(lb_ring_alloc_free_slots(a), n / 2 * small);
	for (i = 1; i < n; i += 2)
		lb_ring_alloc_release(a, base[(i * 7919u) % n | 1], small);
	for (i = 0; i < n / 2; i++)
		lb_ring_alloc_release(a, base[n + (i * 7919u) % (n / 2)], big);
	s = seconds_since(&t0);
	printf("lb_ring: 10000 takes, 15000 releases, 5000 takes past 5000 holes: %.1f ms\n",
	       s * 1e3);
	ck_assert_uint_eq(nwarn, 0);
	ck_assert_uint_eq(take(a, n * small + n / 2 * big), 0);
	ck_assert_msg(s < 1.0 * SLOW_BUILD, "%.3f s", s);
	free(base);
	lb_ring_alloc_destroy(a);
}
END_TEST

static Suite *lb_ring_suite(void)
{
	Suite *s = suite_create("lb_ring");
	TCase *tc = tcase_create("alloc");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_new_and_destroy);
	tcase_add_test(tc, test_take_until_full);
	tcase_add_test(tc, test_take_whole_ring);
	tcase_add_test(tc, test_take_bad_args);
	tcase_add_test(tc, test_first_fit);
	tcase_add_loop_test(tc, test_coalesce_every_order, 0, 12);
	tcase_add_test(tc, test_coalesce_fills_gap);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_reserve_refused);
	tcase_add_test(tc, test_release_refused);
	tcase_add_loop_test(tc, test_random_against_bitmap, 0, 10);
	tcase_add_test(tc, test_speed_10000_services);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(lb_ring_suite(), CK_NORMAL);
}
