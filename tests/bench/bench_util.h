/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* What the benchmark programs share: a monotonic clock and a strict
 * number parser for their options. */
#ifndef EBPFNET_BENCH_UTIL_H
#define EBPFNET_BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns. */
static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A decimal number in [min, max] into *v: 0, or -1 (*v undefined). */
static inline int parse_u64(const char *s, uint64_t min, uint64_t max,
			    uint64_t *v)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -1;
	return 0;
}

#endif /* EBPFNET_BENCH_UTIL_H */
