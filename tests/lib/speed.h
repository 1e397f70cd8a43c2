/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * For speed tests: SLOW_BUILD, how many times their time bounds stretch in
 * this build (10 under AddressSanitizer, else 1), and a stopwatch.
 */
#ifndef EBPFNET_TEST_SPEED_H
#define EBPFNET_TEST_SPEED_H

#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLOW_BUILD 10
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW_BUILD 10
#endif
#endif
#ifndef SLOW_BUILD
#define SLOW_BUILD 1
#endif

/* Seconds on CLOCK_MONOTONIC since *t0 (taken on that clock). */
static inline double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

#endif /* EBPFNET_TEST_SPEED_H */
