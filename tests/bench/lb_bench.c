/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb_bench: the figures of the load balancer's benchmark (driven by
 * lb_bench.sh).
 *
 *   lb_bench --pin-root DIR --backend4 A.B.C.0 --backend6 PREFIX::
 *            [--runs N] [--services LIST] [--maglev-rounds R]
 *
 * 1. ns per packet from BPF_PROG_TEST_RUN (the kernel's own `duration`)
 *    of the lb XDP program, for an established flow (connection-table
 *    hit) and a new one (a SYN: Maglev + connection-table insert), IPv4
 *    and IPv6, with 1, 100 and 10,000 services of 10 backends each.
 *
 *    The encapsulation changes the packet, and with repeat > 1 the kernel
 *    runs the program again on the buffer the previous run left (checked
 *    at start: the result is printed). So every figure is repeat=1, N
 *    times, each on a freshly copied input: the median and mean of the N
 *    durations. A repeat=1 duration includes the kernel's timer reads
 *    around one run: the floor program (bench_xdp_floor.bpf.c: Ethernet
 *    check + drop) measured the same way shows that fixed part.
 *
 * 2. Maglev table build time (ebpfnet_maglev_build) for M = 65537 with 10,
 *    100 and 1,000 backends.
 *
 * DIR is a bpffs directory; each configuration gets a fresh balancer below
 * it and removes it again. The backends A.B.C.1..10 and PREFIX::1..a must
 * be reachable (a route and a resolvable next hop): the balancer resolves
 * their MACs through the kernel's neighbour table.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <ebpfnet/ebpfnet.h>

#include "bench_xdp_floor.skel.h"
#include "lb_internal.h"
#include "pktgen.h"
#include "prog_run.h"
#include "bench_util.h"

#define NS_PER_SEC 1000000000ull
#define BACKENDS_PER_SERVICE 10
#define DEFAULT_TABLE 16381     /* the library's default Maglev size */
#define LARGE_TABLE 1021        /* for 10,000 services: ring slots fit */
#define LARGE_SERVICES 1000     /* from here on, LARGE_TABLE */
#define EST_FLOWS 256           /* established flows cycled through */
#define MAX_SERVICE_COUNTS 8

static void print_quiet(enum ebpfnet_print_level level, const char *msg)
{
	if (level <= EBPFNET_PRINT_WARN || getenv("EBPFNET_BENCH_DEBUG"))
		fprintf(stderr, "libebpfnet: %s\n", msg);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

struct bench_opts {
	const char *pin_root;
	uint8_t backend4[4];   /* A.B.C.0: backends A.B.C.1.. */
	uint8_t backend6[16];  /* PREFIX::: backends PREFIX::1.. */
	uint32_t runs;
	uint32_t services[MAX_SERVICE_COUNTS];
	int nservices;
	uint32_t maglev_rounds;
};

/* ---- statistics of N durations ------------------------------------------ */

struct figure {
	double median, mean;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct figure summarize(uint32_t *ns, uint32_t n)
{
	struct figure f = { 0 };
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		sum += ns[i];
	qsort(ns, n, sizeof(ns[0]), cmp_u32);
	f.median = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2.0;
	f.mean = (double)sum / n;
	return f;
}

/* ---- packets ------------------------------------------------------------------ */

struct packet {
	uint8_t buf[256];
	size_t len;
};

/* Service i's VIP: 10.100.(i / 256).(i % 256) or fd00:100::(i). */
static void vip_text(int family, uint32_t i, char *buf, size_t len)
{
	if (family == AF_INET)
		snprintf(buf, len, "10.100.%u.%u", (i / 256) % 256, i % 256);
	else
		snprintf(buf, len, "fd00:100::%x", i);
}

/* Flow n: a client address and port of its own (10.1.x.y / fd00:1::n). */
static int flow_packet(int family, uint32_t service, uint32_t n, bool syn,
		       struct packet *p)
{
	char src[64], dst[64];
	struct pkt_spec s = { .family = family == AF_INET ? 4 : 6,
			      .src = src, .dst = dst, .proto = IPPROTO_TCP,
			      .sport = (uint16_t)(1024 + n % 60000), .dport = 80,
			      .tcp_flags = syn ? 0x02 : 0x10,
			      .payload_len = syn ? 0 : 64 };
	int len;

	if (family == AF_INET)
		snprintf(src, sizeof(src), "10.%u.%u.%u", 1 + (n >> 16) % 200,
			 (n >> 8) & 0xff, n & 0xff);
	else
		snprintf(src, sizeof(src), "fd00:1::%x:%x", n >> 16, n & 0xffff);
	vip_text(family, service, dst, sizeof(dst));
	len = pktgen_build(&s, p->buf, sizeof(p->buf), NULL);
	if (len < 0) {
		fprintf(stderr, "lb_bench: pktgen_build: %s\n", strerror(-len));
		return len;
	}
	p->len = (size_t)len;
	return 0;
}

/* One repeat=1 run that must end in `want`; its duration in *ns. */
static int run_once(int prog_fd, const struct packet *p, uint32_t want,
		    uint32_t *ns)
{
	static struct test_run_result r;
	int err = test_run_xdp(prog_fd, p->buf, p->len, 1, &r);

	if (err) {
		fprintf(stderr, "lb_bench: test_run: %s\n", strerror(-err));
		return err;
	}
	if (r.retval != want) {
		fprintf(stderr, "lb_bench: verdict %u, expected %u\n", r.retval, want);
		return -EPROTO;
	}
	*ns = r.duration_ns;
	return 0;
}

/* ---- one balancer configuration ---------------------------------------------- */

struct config {
	struct ebpfnet_lb *lb;
	char root[PATH_MAX];
	int family;
	uint32_t services;
	uint32_t table_size;
	double setup_s;
};

static struct ebpfnet_lb_addr backend_addr(const struct bench_opts *o,
					   int family, int j)
{
	struct ebpfnet_lb_addr a = { .family = (uint8_t)family };

	if (family == AF_INET) {
		memcpy(a.addr, o->backend4, 4);
		a.addr[3] = (uint8_t)(j + 1);
	} else {
		memcpy(a.addr, o->backend6, 16);
		a.addr[15] = (uint8_t)(j + 1);
	}
	return a;
}

static void config_close(struct config *c)
{
	ebpfnet_lb_destroy(c->lb);
	c->lb = NULL;
	nftw(c->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A balancer with c->services services of 10 backends each (the same
 * 10 backend addresses behind every VIP). */
static int config_open(struct config *c, const struct bench_opts *o)
{
	uint32_t slots = c->services * c->table_size, i;
	uint64_t t0 = monotonic_ns();
	int j, err;

	snprintf(c->root, sizeof(c->root), "%s/lb-%s-%u", o->pin_root,
		 c->family == AF_INET ? "v4" : "v6", c->services);
	if (mkdir(c->root, 0700)) {
		fprintf(stderr, "lb_bench: mkdir %s: %s\n", c->root, strerror(errno));
		return -errno;
	}
	EBPFNET_OPTS(ebpfnet_lb_opts, lo,
		.pin_root = c->root,
		.max_services = c->services + 16,
		.max_backends = c->services * BACKENDS_PER_SERVICE + 16,
		.ring_slots = slots > LB_DEFAULT_RING_SLOTS ? slots :
							      LB_DEFAULT_RING_SLOTS);
	c->lb = ebpfnet_lb_open(&lo);
	if (!c->lb) {
		err = -errno;
		fprintf(stderr, "lb_bench: ebpfnet_lb_open: %s\n", ebpfnet_strerror(err));
		nftw(c->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		return err;
	}
	for (i = 0; i < c->services; i++) {
		EBPFNET_OPTS(ebpfnet_lb_service, s, .port = 80,
			     .proto = IPPROTO_TCP, .table_size = c->table_size);
		char vip[64];

		vip_text(c->family, i, vip, sizeof(vip));
		s.vip.family = (uint8_t)c->family;
		inet_pton(c->family, vip, s.vip.addr);
		err = ebpfnet_lb_service_add(c->lb, &s);
		for (j = 0; !err && j < BACKENDS_PER_SERVICE; j++) {
			EBPFNET_OPTS(ebpfnet_lb_backend, b, .weight = 1);

			b.addr = backend_addr(o, c->family, j);
			err = ebpfnet_lb_backend_add(c->lb, &s, &b);
		}
		if (err) {
			fprintf(stderr, "lb_bench: service %s: %s\n", vip,
				ebpfnet_strerror(err));
			config_close(c);
			return err;
		}
	}
	c->setup_s = (double)(monotonic_ns() - t0) / NS_PER_SEC;
	return 0;
}

static uint32_t rng32(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

struct result {
	struct figure est, syn;
	uint64_t hits, misses;
};

/*
 * established: EST_FLOWS flows over random services, each opened by a SYN
 * first, then `runs` packets cycling through them (every one a hit).
 * SYN: `runs` new flows over random services (every one a miss and an
 * insert). The balancer's counters confirm both.
 */
static int measure(const struct config *c, const struct bench_opts *o,
		   uint32_t *ns, struct result *res)
{
	static struct packet est[EST_FLOWS];
	EBPFNET_OPTS(ebpfnet_lb_stats, before);
	EBPFNET_OPTS(ebpfnet_lb_stats, mid);
	EBPFNET_OPTS(ebpfnet_lb_stats, after);
	int fd = ebpfnet__lb_prog_fd(c->lb), err;
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ c->services ^ (uint64_t)c->family;
	struct packet p;
	uint32_t i, dummy;

	for (i = 0; i < EST_FLOWS; i++) {
		uint32_t svc = rng32(&seed) % c->services;

		if ((err = flow_packet(c->family, svc, i, true, &p)) ||
		    (err = run_once(fd, &p, XDP_TX, &dummy)) ||
		    (err = flow_packet(c->family, svc, i, false, &est[i])))
			return err;
	}
	if ((err = ebpfnet_lb_stats(c->lb, &before)))
		return err;
	for (i = 0; i < o->runs; i++)
		if ((err = run_once(fd, &est[i % EST_FLOWS], XDP_TX, &ns[i])))
			return err;
	res->est = summarize(ns, o->runs);
	if ((err = ebpfnet_lb_stats(c->lb, &mid)))
		return err;
	for (i = 0; i < o->runs; i++) {
		/* flow numbers after the established ones: all new */
		if ((err = flow_packet(c->family, rng32(&seed) % c->services,
				       EST_FLOWS + i, true, &p)) ||
		    (err = run_once(fd, &p, XDP_TX, &ns[i])))
			return err;
	}
	res->syn = summarize(ns, o->runs);
	if ((err = ebpfnet_lb_stats(c->lb, &after)))
		return err;
	res->hits = mid.conn_hits - before.conn_hits;
	res->misses = after.conn_misses - mid.conn_misses;
	if (res->hits != o->runs || mid.conn_misses != before.conn_misses ||
	    res->misses != o->runs || after.conn_hits != mid.conn_hits) {
		fprintf(stderr, "lb_bench: counters disagree: established %llu hits "
			"(want %u), SYN %llu misses (want %u)\n",
			(unsigned long long)res->hits, o->runs,
			(unsigned long long)res->misses, o->runs);
		return -EPROTO;
	}
	return 0;
}

/* ---- the repeat check and the floor ------------------------------------------- */

/*
 * What a run with repeat=2 does to an encapsulating program: if the
 * second run saw the first one's output (an IPIP packet to a backend, not
 * for a VIP), it passes it on and the output holds one encapsulation.
 */
static void repeat_check(const struct config *c)
{
	static struct test_run_result r1, r2;
	int fd = ebpfnet__lb_prog_fd(c->lb);
	struct packet p;

	if (flow_packet(c->family, 0, 999999, true, &p) ||
	    test_run_xdp(fd, p.buf, p.len, 1, &r1) ||
	    flow_packet(c->family, 0, 999998, true, &p) ||
	    test_run_xdp(fd, p.buf, p.len, 2, &r2)) {
		printf("repeat check: could not run\n");
		return;
	}
	printf("repeat check: repeat=1 -> verdict %u, %u bytes out; repeat=2 -> "
	       "verdict %u, %u bytes out: %s\n", r1.retval, r1.data_out_len,
	       r2.retval, r2.data_out_len,
	       r2.retval == XDP_PASS && r2.data_out_len == r1.data_out_len ?
	       "the second run got the first run's output (the buffer is not "
	       "restored between repeats), so every figure is repeat=1" :
	       r2.retval == XDP_TX && r2.data_out_len == r1.data_out_len ?
	       "each repeat got a fresh copy (figures still use repeat=1)" :
	       "unexpected; figures use repeat=1");
}

static int floor_ns(uint32_t runs, uint32_t *ns, struct figure *f)
{
	struct bench_xdp_floor_bpf *skel = bench_xdp_floor_bpf__open_and_load();
	struct packet p;
	uint32_t i;
	int fd, err = 0;

	if (!skel) {
		fprintf(stderr, "lb_bench: floor program: %s\n", strerror(errno));
		return -errno;
	}
	fd = bpf_program__fd(skel->progs.bench_xdp_floor);
	if (!(err = flow_packet(AF_INET, 0, 1, true, &p)))
		for (i = 0; i < runs && !err; i++)
			err = run_once(fd, &p, XDP_DROP, &ns[i]);
	if (!err)
		*f = summarize(ns, runs);
	bench_xdp_floor_bpf__destroy(skel);
	return err;
}

/* ---- Maglev build time ------------------------------------------------------- */

static int maglev_times(uint32_t rounds)
{
	static const uint32_t counts[] = { 10, 100, 1000 };
	static uint32_t table[65537];
	struct ebpfnet_maglev_backend b[1000];
	uint8_t keys[1000][4];
	uint32_t ns[64];
	size_t k, i;
	uint32_t r;
	int err;

	if (rounds > 64)
		rounds = 64;
	printf("\nMaglev table build (ebpfnet_maglev_build, M = 65537, median of %u)\n",
	       rounds);
	printf("%-9s %12s\n", "backends", "ms");
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		for (i = 0; i < counts[k]; i++) {
			keys[i][0] = 198, keys[i][1] = 19;
			keys[i][2] = (uint8_t)(i >> 8), keys[i][3] = (uint8_t)i;
			b[i] = (struct ebpfnet_maglev_backend){ keys[i], 4, 1 };
		}
		for (r = 0; r < rounds; r++) {
			uint64_t t0 = monotonic_ns();

			err = ebpfnet_maglev_build(b, counts[k], 65537, 0, table);
			if (err) {
				fprintf(stderr, "lb_bench: maglev_build: %s\n",
					ebpfnet_strerror(err));
				return err;
			}
			ns[r] = (uint32_t)((monotonic_ns() - t0) / 1000); /* us */
		}
		printf("%-9u %12.2f\n", counts[k], summarize(ns, rounds).median / 1000.0);
	}
	return 0;
}

/* ---- main ---------------------------------------------------------------------- */

static void print_header(uint32_t runs)
{
	printf("\nns per packet (BPF_PROG_TEST_RUN, kernel duration, repeat=1 x %u "
	       "runs, median / mean)\n", runs);
	printf("%-8s %-8s %-6s %-6s %17s %17s %9s\n", "services", "backends",
	       "table", "family", "established", "SYN+insert", "setup s");
}

static int run_all(const struct bench_opts *o)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint32_t *ns = calloc(o->runs, sizeof(uint32_t));
	struct figure floor = { 0 };
	bool checked = false;
	struct result res;
	int k, f, err = 0;

	if (!ns)
		return -ENOMEM;
	for (k = 0; k < o->nservices && !err; k++) {
		for (f = 0; f < 2 && !err; f++) {
			struct config c = { .family = families[f],
					    .services = o->services[k] };

			c.table_size = c.services >= LARGE_SERVICES ? LARGE_TABLE :
								      DEFAULT_TABLE;
			fprintf(stderr, "lb_bench: %u %s services of %d backends...\n",
				c.services, f ? "IPv6" : "IPv4", BACKENDS_PER_SERVICE);
			if ((err = config_open(&c, o)))
				break;
			if (!checked) {
				repeat_check(&c);
				print_header(o->runs);
				checked = true;
			}
			err = measure(&c, o, ns, &res);
			if (!err)
				printf("%-8u %-8d %-6u %-6s %8.0f / %6.1f %8.0f / %6.1f %9.1f\n",
				       c.services, BACKENDS_PER_SERVICE, c.table_size,
				       f ? "IPv6" : "IPv4", res.est.median, res.est.mean,
				       res.syn.median, res.syn.mean, c.setup_s);
			fflush(stdout);
			config_close(&c);
		}
	}
	if (!err)
		err = floor_ns(o->runs, ns, &floor);
	if (!err) {
		printf("floor (bench_xdp_floor: Ethernet check + drop, same method): "
		       "%.0f / %.1f\n", floor.median, floor.mean);
		printf("Katran (the issue's reference, repeat over one packet): "
		       "established ~95, SYN without insert ~120, SYN with insert "
		       "~220, IPv6 ~120\n");
	}
	free(ns);
	return err;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	x = strtoull(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int parse_services(char *list, struct bench_opts *o)
{
	char *save = NULL, *w;

	o->nservices = 0;
	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (o->nservices == MAX_SERVICE_COUNTS ||
		    parse_u32(w, 1, 100000, &o->services[o->nservices]))
			return -1;
		o->nservices++;
	}
	return o->nservices ? 0 : -1;
}

static void usage(FILE *out)
{
	fputs("usage: lb_bench --pin-root DIR --backend4 A.B.C.0 --backend6 PREFIX::\n"
	      "                [--runs N] [--services LIST] [--maglev-rounds R]\n"
	      "  --runs N           repeat=1 runs per figure (default 100000)\n"
	      "  --services LIST    service counts (default 1,100,10000)\n"
	      "  --maglev-rounds R  Maglev builds per size (default 5; 0: none)\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "backend4", required_argument, NULL, '4' },
		{ "backend6", required_argument, NULL, '6' },
		{ "runs", required_argument, NULL, 'n' },
		{ "services", required_argument, NULL, 's' },
		{ "maglev-rounds", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .runs = 100000, .maglev_rounds = 5,
				.services = { 1, 100, 10000 }, .nservices = 3 };
	bool have4 = false, have6 = false;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o.pin_root = optarg; break;
		case '4': have4 = inet_pton(AF_INET, optarg, o.backend4) == 1; break;
		case '6': have6 = inet_pton(AF_INET6, optarg, o.backend6) == 1; break;
		case 'n':
			if (parse_u32(optarg, 1, 10000000, &o.runs))
				goto bad;
			break;
		case 's':
			if (parse_services(optarg, &o))
				goto bad;
			break;
		case 'm':
			if (parse_u32(optarg, 0, 64, &o.maglev_rounds))
				goto bad;
			break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind != argc || !o.pin_root || !have4 || !have6)
		goto bad;
	ebpfnet_set_print(print_quiet);
	err = run_all(&o);
	if (!err && o.maglev_rounds)
		err = maglev_times(o.maglev_rounds);
	return err ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
