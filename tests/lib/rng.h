/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A fixed-seed PRNG (xorshift64*) for tests that must draw the same
 * "random" inputs on every run. One state per test program.
 */
#ifndef EBPFNET_TEST_RNG_H
#define EBPFNET_TEST_RNG_H

#include <stdint.h>

static uint64_t rng;

static inline void rng_seed(uint64_t seed)
{
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
}

static inline uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* In [0, n). */
static inline uint32_t rnd_below(uint32_t n)
{
	return rnd() % n;
}

#endif /* EBPFNET_TEST_RNG_H */
