/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Milliseconds on CLOCK_MONOTONIC, for tests' deadlines. */
#ifndef EBPFNET_TEST_NOW_H
#define EBPFNET_TEST_NOW_H

#include <stdint.h>
#include <time.h>

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* EBPFNET_TEST_NOW_H */
