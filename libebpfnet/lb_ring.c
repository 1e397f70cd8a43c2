/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the allocator of lb_rings slots. Each service's Maglev table lives
 * in one contiguous range of the shared ring array; this hands the ranges
 * out first-fit over [0, slots).
 *
 * The free ranges are kept in an array sorted by base, never adjacent
 * (a release merges with both neighbours). Release and reserve find their
 * place by binary search; take scans from the lowest address, so its cost
 * grows with the number of holes, not with the number of services: with
 * services added and never removed there is one free range.
 *
 * Release has no way to report an error, so the array keeps room for one
 * more range after every call that can (take, reserve, release itself):
 * the insertion a release may need then never allocates.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lb_internal.h"

struct free_range {
	uint32_t base;
	uint32_t size;
};

struct lb_ring_alloc {
	uint32_t slots;
	uint32_t free_slots;
	struct free_range *r;  /* sorted by base, not adjacent */
	uint32_t len;
	uint32_t cap;
};

static uint64_t range_end(const struct free_range *r)
{
	return (uint64_t)r->base + r->size;
}

/* Room for `len + 1` ranges. */
static int keep_spare(struct lb_ring_alloc *a)
{
	uint32_t cap;
	struct free_range *r;

	if (a->len < a->cap)
		return 0;
	if (a->cap > UINT32_MAX / 2)
		return -ENOMEM;
	cap = a->cap ? 2 * a->cap : 8;
	r = realloc(a->r, (size_t)cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	a->r = r;
	a->cap = cap;
	return 0;
}

static void insert_at(struct lb_ring_alloc *a, uint32_t i, uint32_t base,
		      uint32_t size)
{
	memmove(&a->r[i + 1], &a->r[i], (size_t)(a->len - i) * sizeof(*a->r));
	a->r[i].base = base;
	a->r[i].size = size;
	a->len++;
}

static void remove_at(struct lb_ring_alloc *a, uint32_t i)
{
	memmove(&a->r[i], &a->r[i + 1], (size_t)(a->len - i - 1) * sizeof(*a->r));
	a->len--;
}

/* The index of the first free range whose base is above `slot`. */
static uint32_t first_above(const struct lb_ring_alloc *a, uint32_t slot)
{
	uint32_t lo = 0, hi = a->len;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (a->r[mid].base <= slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool range_valid(const struct lb_ring_alloc *a, uint32_t base,
			uint32_t size, const char *what)
{
	if (!a) {
		pr_warn("lb ring: %s: no allocator", what);
		return false;
	}
	if (size == 0 || (uint64_t)base + size > a->slots) {
		pr_warn("lb ring: %s: range [%u, +%u) is empty or outside the %u slots",
			what, base, size, a->slots);
		return false;
	}
	return true;
}

struct lb_ring_alloc *lb_ring_alloc_new(uint32_t slots)
{
	struct lb_ring_alloc *a;

	if (slots == 0) {
		pr_warn("lb ring: an allocator needs at least one slot");
		return ebpfnet__err_ptr(-EINVAL);
	}
	a = calloc(1, sizeof(*a));
	if (!a || keep_spare(a)) {
		free(a);
		pr_warn("lb ring: out of memory");
		return ebpfnet__err_ptr(-ENOMEM);
	}
	a->slots = slots;
	a->free_slots = slots;
	insert_at(a, 0, 0, slots);
	return a;
}

void lb_ring_alloc_destroy(struct lb_ring_alloc *a)
{
	if (!a)
		return;
	free(a->r);
	free(a);
}

int lb_ring_alloc_take(struct lb_ring_alloc *a, uint32_t size, uint32_t *base)
{
	uint32_t i;

	if (!a || !base || size == 0) {
		pr_warn("lb ring: take: needs an allocator, a base pointer and a size");
		return ebpfnet__err(-EINVAL);
	}
	for (i = 0; i < a->len; i++) {
		struct free_range *r = &a->r[i];

		if (r->size < size)
			continue;
		*base = r->base;
		r->base += size;
		r->size -= size;
		if (r->size == 0)
			remove_at(a, i);
		a->free_slots -= size;
		/* Best effort: shrinking never needs room; a later release
		 * that finds none logs it. */
		(void)keep_spare(a);
		return 0;
	}
	pr_debug("lb ring: no free range of %u slots (%u free in %u ranges)",
		 size, a->free_slots, a->len);
	return ebpfnet__err(-ENOSPC);
}

int lb_ring_alloc_reserve(struct lb_ring_alloc *a, uint32_t base, uint32_t size)
{
	uint64_t end = (uint64_t)base + size;
	struct free_range *r;
	uint32_t i;
	int err;

	if (!range_valid(a, base, size, "reserve"))
		return ebpfnet__err(-EINVAL);
	i = first_above(a, base);
	r = i ? &a->r[i - 1] : NULL;
	if (!r || end > range_end(r)) {
		pr_warn("lb ring: reserve: [%u, +%u) overlaps slots in use",
			base, size);
		return ebpfnet__err(-EINVAL);
	}
	if (base > r->base && end < range_end(r)) {
		/* A split: the head stays in r, the tail becomes a new range. */
		err = keep_spare(a);
		if (err) {
			pr_warn("lb ring: reserve: out of memory");
			return ebpfnet__err(err);
		}
		r = &a->r[i - 1];
		insert_at(a, i, (uint32_t)end, (uint32_t)(range_end(r) - end));
		r->size = base - r->base;
	} else if (base > r->base) {
		r->size = base - r->base;        /* the tail goes */
	} else if (end < range_end(r)) {
		r->size -= size;                 /* the head goes */
		r->base = (uint32_t)end;
	} else {
		remove_at(a, i - 1);             /* the whole range goes */
	}
	a->free_slots -= size;
	(void)keep_spare(a);
	return 0;
}

void lb_ring_alloc_release(struct lb_ring_alloc *a, uint32_t base, uint32_t size)
{
	uint64_t end = (uint64_t)base + size;
	struct free_range *prev, *next;
	bool join_prev, join_next;
	uint32_t i;

	if (!range_valid(a, base, size, "release"))
		return;
	i = first_above(a, base);
	prev = i ? &a->r[i - 1] : NULL;
	next = i < a->len ? &a->r[i] : NULL;
	if ((prev && range_end(prev) > base) || (next && end > next->base)) {
		pr_warn("lb ring: release: [%u, +%u) is already free in part; ignored",
			base, size);
		return;
	}
	join_prev = prev && range_end(prev) == base;
	join_next = next && next->base == end;
	if (join_prev && join_next) {
		prev->size += size + next->size;
		remove_at(a, i);
	} else if (join_prev) {
		prev->size += size;
	} else if (join_next) {
		next->base = base;
		next->size += size;
	} else {
		if (keep_spare(a)) {
			pr_warn("lb ring: release: out of memory; [%u, +%u) stays in use",
				base, size);
			return;
		}
		insert_at(a, i, base, size);
	}
	a->free_slots += size;
	(void)keep_spare(a);
}

uint32_t lb_ring_alloc_free_slots(const struct lb_ring_alloc *a)
{
	return a ? a->free_slots : 0;
}
