/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * maglev_bench: how long ebpfnet_maglev_build() takes for M = 65537 and
 * M = 16381 with 10, 100 and 1,000 backends, equal weights and random
 * weights 1..100. Each build is timed with CLOCK_MONOTONIC; after one
 * warm-up build, RUNS builds per row (default 11), each with another
 * seed; the table shows the best, the median and the worst.
 *
 *     maglev_bench [-r RUNS]
 *
 * It needs no privilege. See tests/bench/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#define MAX_BACKENDS 1000
#define MAX_RUNS 1000

struct row {
	uint32_t table_size;
	size_t n;
	bool weighted;
};

static const struct row rows[] = {
	{ 65537, 10, false }, { 65537, 100, false }, { 65537, 1000, false },
	{ 65537, 10, true },  { 65537, 100, true },  { 65537, 1000, true },
	{ 16381, 10, false }, { 16381, 100, false }, { 16381, 1000, false },
	{ 16381, 10, true },  { 16381, 100, true },  { 16381, 1000, true },
};

/* Keys: IPv6 addresses 2001:db8::<i>, as the balancer would use. */
static uint8_t keys[MAX_BACKENDS][16];
static struct ebpfnet_maglev_backend backends[MAX_BACKENDS];

static void make_backends(size_t n, bool weighted)
{
	uint64_t x = 0x243f6a8885a308d3ull;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(keys[i], 0, 16);
		memcpy(keys[i], "\x20\x01\x0d\xb8", 4);
		keys[i][14] = (uint8_t)((i + 1) >> 8);
		keys[i][15] = (uint8_t)(i + 1);
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		backends[i].key = keys[i];
		backends[i].key_len = 16;
		backends[i].weight = weighted ? 1 + (uint32_t)(x % 100) : 1;
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* RUNS timed builds of one row into ms[] (sorted). */
static int time_row(const struct row *r, uint32_t *table, double *ms,
		    int runs)
{
	int i, err;

	make_backends(r->n, r->weighted);
	err = ebpfnet_maglev_build(backends, r->n, r->table_size, 0, table);
	if (err)
		return err;
	for (i = 0; i < runs; i++) {
		double t0 = now_ms();

		err = ebpfnet_maglev_build(backends, r->n, r->table_size,
					   (uint64_t)i + 1, table);
		ms[i] = now_ms() - t0;
		if (err)
			return err;
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: maglev_bench [-r RUNS]   (RUNS 1..%d, default 11)\n",
		MAX_RUNS);
}

int main(int argc, char **argv)
{
	static double ms[MAX_RUNS];
	uint32_t *table;
	int runs = 11, opt;
	size_t i;

	while ((opt = getopt(argc, argv, "r:h")) != -1) {
		switch (opt) {
		case 'r':
			runs = atoi(optarg);
			if (runs < 1 || runs > MAX_RUNS) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	table = malloc(65537 * sizeof(*table));
	if (!table) {
		perror("malloc");
		return 1;
	}

	printf("Maglev table build time (CLOCK_MONOTONIC, %d runs per row)\n",
	       runs);
	printf("%7s %9s %9s %10s %10s %10s %12s\n", "M", "backends", "weights",
	       "best ms", "median ms", "worst ms", "ns/slot");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int err = time_row(r, table, ms, runs);

		if (err) {
			fprintf(stderr, "maglev_bench: M=%u n=%zu: %s\n",
				r->table_size, r->n, ebpfnet_strerror(err));
			free(table);
			return 1;
		}
		printf("%7u %9zu %9s %10.3f %10.3f %10.3f %12.1f\n",
		       r->table_size, r->n, r->weighted ? "1..100" : "equal",
		       ms[0], ms[runs / 2], ms[runs - 1],
		       ms[runs / 2] * 1e6 / r->table_size);
	}
	free(table);
	return 0;
}
