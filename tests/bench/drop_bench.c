/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop_bench: the figures of the drop filter's benchmark (driven by
 * drop_bench.sh). Two jobs:
 *
 *   drop_bench testrun --pin-root DIR [--repeat N] [--rounds R]
 *                      [--prefixes N] [--xdp-filter-dir DIR]
 *
 *     ns per packet from BPF_PROG_TEST_RUN (the kernel's own `duration`,
 *     the median of R runs of N repeats) of the filter's program under
 *     several rule sets, each on a packet it drops and one it passes,
 *     beside the floor (bench_xdp_floor.bpf.c: Ethernet check + drop) and
 *     xdp-filter's program (xdp-tools) with the equivalent rule in its
 *     maps. DIR is a bpffs directory; each rule set gets a fresh filter
 *     below it and removes it again.
 *
 *   drop_bench flood --dst IPV4 --port P [--count N] [--seconds S]
 *
 *     a UDP flood (sendmmsg) to one address, bounded in count and time;
 *     prints what it sent and how fast.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <ebpfnet/ebpfnet.h>

#include "bench_xdp_floor.skel.h"
#include "drop_internal.h"
#include "pktgen.h"
#include "prog_run.h"
#include "bench_util.h"

#define NS_PER_SEC 1000000000ull
#define MAX_ROUNDS 99
#define SIG_RULES 16

/* xdp-filter's map values (xdp-filter/common_kern_user.h): flags in the
 * low bits, a hit counter above them */
#define XDPFILT_FLAG_SRC (1u << 0)
#define XDPFILT_FLAG_DST (1u << 1)
#define XDPFILT_FLAG_UDP (1u << 3)

/* ---- ns per packet --------------------------------------------------------- */

struct testrun_opts {
	const char *pin_root;
	const char *xdpfilt_dir;
	uint32_t repeat;
	uint32_t rounds;
	uint32_t prefixes; /* the large prefix set */
};

struct packet {
	uint8_t buf[256];
	size_t len;
};

static int build_packet(const struct pkt_spec *spec, struct packet *p)
{
	int len = pktgen_build(spec, p->buf, sizeof(p->buf), NULL);

	if (len < 0) {
		fprintf(stderr, "drop_bench: pktgen_build: %s\n", strerror(-len));
		return len;
	}
	p->len = (size_t)len;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The median over o->rounds test runs of ns per run; -1 on failure (the
 * verdict must be `want`: a benchmark of the wrong outcome is no
 * benchmark). */
static long time_prog(int prog_fd, const struct packet *p, uint32_t want,
		      const struct testrun_opts *o)
{
	static struct test_run_result r;
	uint32_t ns[MAX_ROUNDS];
	uint32_t i;
	int err;

	for (i = 0; i < o->rounds; i++) {
		err = test_run_xdp(prog_fd, p->buf, p->len, o->repeat, &r);
		if (err) {
			fprintf(stderr, "drop_bench: test_run: %s\n", strerror(-err));
			return -1;
		}
		if (r.retval != want) {
			fprintf(stderr, "drop_bench: verdict %u, expected %u\n",
				r.retval, want);
			return -1;
		}
		ns[i] = r.duration_ns;
	}
	qsort(ns, o->rounds, sizeof(ns[0]), cmp_u32);
	return ns[o->rounds / 2];
}

/* ---- rule sets ---------------------------------------------------------------- */

/* One IPv4 prefix of a rule (addr in network order). */
struct prefix4 {
	uint32_t addr;
	uint8_t len;
};

/* What a rule set needs: its rules for ebpfnet-drop and for xdp-filter,
 * and a packet that is dropped and one that passes. */
struct rule_set {
	const char *name;
	const char *xdpfilt_obj;      /* NULL: xdp-filter has no equivalent */
	bool has_drop;                /* some packet is dropped */
	struct packet drop_pkt, pass_pkt;
	const char *const *words;     /* one rule, as ebpfnet-drop add takes it */
	int nwords;
	uint16_t udp_dport;           /* xdp-filter: this UDP dst port */
	const struct prefix4 *pfx;    /* src prefixes of the prefix rules */
	uint32_t npfx;
	bool sigs;                    /* SIG_RULES signature rules */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A random prefix of `len` bits, outside 10/8 (the test packets'
 * addresses), 0/8, 127/8 and 224/3. */
static struct prefix4 random_prefix(uint8_t len)
{
	struct prefix4 p = { .len = len };
	uint32_t a;

	do {
		a = (uint32_t)rng_next();
	} while ((a >> 24) == 10 || (a >> 24) == 0 || (a >> 24) == 127 ||
		 (a >> 24) >= 224);
	if (len < 32)
		a &= ~0u << (32 - len);
	p.addr = htonl(a);
	return p;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct prefix4 *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->len - (int)y->len;
}

/* n distinct random prefixes, half /32 and half /24 (sorted). */
static struct prefix4 *random_prefixes(uint32_t n)
{
	struct prefix4 *p = calloc(n, sizeof(*p));
	bool dup = true;
	uint32_t i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = random_prefix(i % 2 ? 24 : 32);
	while (dup) {
		dup = false;
		qsort(p, n, sizeof(*p), cmp_prefix);
		for (i = 1; i < n; i++) {
			if (!cmp_prefix(&p[i], &p[i - 1])) {
				p[i] = random_prefix(p[i].len);
				dup = true;
			}
		}
	}
	return p;
}

/* The last /32 of the set (random_prefixes() makes half of them /32). */
static const struct prefix4 *last_host_prefix(const struct prefix4 *p,
					      uint32_t n)
{
	while (n > 1 && p[n - 1].len != 32)
		n--;
	return &p[n - 1];
}

/* A UDP packet 10.0.0.1:5000 -> 10.0.0.2:dport, or from src. */
static int udp_packet(struct packet *p, const char *src, uint16_t dport,
		      const void *payload, size_t payload_len)
{
	struct pkt_spec s = { .family = 4, .src = src, .proto = IPPROTO_UDP,
			      .sport = 5000, .dport = dport, .payload = payload,
			      .payload_len = payload_len };

	return build_packet(&s, p);
}

static int tcp_packet(struct packet *p)
{
	struct pkt_spec s = { .family = 4, .proto = IPPROTO_TCP, .sport = 40000,
			      .dport = 80, .payload_len = 18 };

	return build_packet(&s, p);
}

/* ---- ebpfnet-drop under a rule set -------------------------------------------- */

static int add_words(struct ebpfnet_drop *drop, int argc,
		     const char *const *argv)
{
	EBPFNET_OPTS(ebpfnet_drop_rule, rule);
	char err[256];
	uint32_t id;
	int ret;

	ret = ebpfnet_drop_rule_parse(argc, argv, &rule, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "drop_bench: rule: %s\n", err);
		return ret;
	}
	return ebpfnet_drop_add(drop, &rule, &id);
}

/* Add the prefix rules (a drop rule "src PREFIX" each). */
static int add_prefixes(struct ebpfnet_drop *drop, const struct prefix4 *pfx,
			uint32_t n)
{
	uint64_t t0 = monotonic_ns();
	uint32_t i, id;
	int ret;

	for (i = 0; i < n; i++) {
		EBPFNET_OPTS(ebpfnet_drop_rule, rule,
			     .action = EBPFNET_DROP_ACTION_DROP,
			     .match = EBPFNET_DROP_MATCH_SRC);

		rule.src.family = AF_INET;
		rule.src.len = pfx[i].len;
		memcpy(rule.src.addr, &pfx[i].addr, 4);
		ret = ebpfnet_drop_add(drop, &rule, &id);
		if (ret) {
			fprintf(stderr, "drop_bench: adding prefix rule %u: %s\n",
				i + 1, ebpfnet_strerror(ret));
			return ret;
		}
	}
	if (n >= 1000)
		fprintf(stderr, "drop_bench: added %u prefix rules in %.1f s\n",
			n, (double)(monotonic_ns() - t0) / NS_PER_SEC);
	return 0;
}

/* SIG_RULES rules "sig l4+8:deadbeXX" (XX = 00..0f): the dropped packet
 * carries the last one, the passing one shares 3 of 4 bytes with all. */
static const uint8_t sig_drop_payload[18] = { 0xde, 0xad, 0xbe, SIG_RULES - 1 };
static const uint8_t sig_pass_payload[18] = { 0xde, 0xad, 0xbe, 0xff };

static int add_sigs(struct ebpfnet_drop *drop)
{
	int i, ret;

	for (i = 0; i < SIG_RULES; i++) {
		char sig[32];
		const char *argv[] = { "sig", sig };

		snprintf(sig, sizeof(sig), "l4+8:deadbe%02x", i);
		ret = add_words(drop, 2, argv);
		if (ret)
			return ret;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

struct measured {
	long drop_ns, pass_ns; /* -1: not measured */
};

/* The size of the filter's program, as loaded and as verified (the
 * verifier's limit is 1,000,000 instructions processed); printed below
 * the table. */
static struct bpf_prog_info filter_info;

static void note_prog_size(int prog_fd)
{
	__u32 len = sizeof(filter_info);

	if (bpf_obj_get_info_by_fd(prog_fd, &filter_info, &len))
		memset(&filter_info, 0, sizeof(filter_info));
}

/* A fresh filter under <pin_root>/<index>, the rule set in it, both
 * packets timed; then the filter's pins are removed. */
static int time_ebpfnet(const struct rule_set *rs, int index,
			const struct testrun_opts *o, struct measured *m)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, opts);
	struct ebpfnet_drop *drop;
	char root[PATH_MAX];
	int fd, ret = -1;

	snprintf(root, sizeof(root), "%s/ruleset-%d", o->pin_root, index);
	if (mkdir(root, 0700)) {
		fprintf(stderr, "drop_bench: mkdir %s: %s\n", root, strerror(errno));
		return -1;
	}
	opts.pin_root = root;
	opts.max_rules = rs->npfx > 16384 ? rs->npfx + 16 : 0;
	drop = ebpfnet_drop_open(&opts);
	if (!drop) {
		fprintf(stderr, "drop_bench: ebpfnet_drop_open: %s\n",
			strerror(errno));
		goto out;
	}
	/* the classification's cost, not the sampling's */
	if (ebpfnet_drop_set_event_rate(drop, 0))
		goto out;
	if (rs->words && add_words(drop, rs->nwords, rs->words))
		goto out;
	if (rs->npfx && add_prefixes(drop, rs->pfx, rs->npfx))
		goto out;
	if (rs->sigs && add_sigs(drop))
		goto out;
	fd = ebpfnet__drop_prog_fd(drop);
	if (index == 0)
		note_prog_size(fd);
	m->drop_ns = rs->has_drop ? time_prog(fd, &rs->drop_pkt, XDP_DROP, o) : -1;
	m->pass_ns = time_prog(fd, &rs->pass_pkt, XDP_PASS, o);
	if ((rs->has_drop && m->drop_ns < 0) || m->pass_ns < 0)
		goto out;
	ret = 0;
out:
	ebpfnet_drop_destroy(drop);
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}

/* ---- xdp-filter ------------------------------------------------------------------ */

static void silence_libbpf_warnings(void)
{
	/* xdp-filter's objects carry sections libbpf skips with a warning */
	libbpf_set_print(NULL);
}

/* Set a per-CPU map entry to `flags` on every CPU, as xdp-filter does. */
static int xdpfilt_set(struct bpf_object *obj, const char *map_name,
		       const void *key, uint64_t flags)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, map_name);
	int ncpus = libbpf_num_possible_cpus(), i, ret;
	uint64_t *values;

	if (!map || ncpus <= 0)
		return -ENOENT;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (i = 0; i < ncpus; i++)
		values[i] = flags;
	ret = bpf_map_update_elem(bpf_map__fd(map), key, values, BPF_ANY);
	free(values);
	return ret ? -errno : 0;
}

/* xdp-filter's object for the rule set, its maps filled the way
 * `xdp-filter port` / `xdp-filter ip` fill them, both packets timed. */
static int time_xdpfilt(const struct rule_set *rs, const struct testrun_opts *o,
			struct measured *m)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];
	uint32_t i, key;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/%s", o->xdpfilt_dir, rs->xdpfilt_obj);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "drop_bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* its maps are pinned by name under /sys/fs/bpf: not here */
	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
	/* xdp-filter holds 10,000 addresses; the large set needs more room */
	map = bpf_object__find_map_by_name(obj, "filter_ipv4");
	if (map && rs->npfx > bpf_map__max_entries(map))
		bpf_map__set_max_entries(map, rs->npfx);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "drop_bench: loading %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (rs->udp_dport) {
		key = htons(rs->udp_dport);
		if (xdpfilt_set(obj, "filter_ports", &key,
				XDPFILT_FLAG_DST | XDPFILT_FLAG_UDP))
			goto out;
	}
	/* no prefixes in xdp-filter: each rule's address, exactly */
	for (i = 0; i < rs->npfx; i++) {
		if (xdpfilt_set(obj, "filter_ipv4", &rs->pfx[i].addr,
				XDPFILT_FLAG_SRC))
			goto out;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		goto out;
	m->drop_ns = rs->has_drop ?
		time_prog(bpf_program__fd(prog), &rs->drop_pkt, XDP_DROP, o) : -1;
	m->pass_ns = time_prog(bpf_program__fd(prog), &rs->pass_pkt, XDP_PASS, o);
	if ((rs->has_drop && m->drop_ns < 0) || m->pass_ns < 0)
		goto out;
	ret = 0;
out:
	bpf_object__close(obj);
	return ret;
}

/* ---- the table --------------------------------------------------------------------- */

static void print_ratio(long a, long b)
{
	if (a < 0 || b <= 0)
		printf(" %10s", "-");
	else
		printf(" %10.2f", (double)a / (double)b);
}

static void print_row(const char *set, const char *pkt, long ours, long floor,
		      long xdpfilt)
{
	printf("%-22s %-5s %9ld %9ld", set, pkt, ours, floor);
	if (xdpfilt < 0)
		printf(" %10s", "-");
	else
		printf(" %10ld", xdpfilt);
	print_ratio(ours, floor);
	print_ratio(ours, xdpfilt);
	printf("\n");
}

struct row_result {
	struct measured ours, floor, xdpfilt;
};

static int run_rule_set(const struct rule_set *rs, int index, int floor_fd,
			const struct testrun_opts *o, struct row_result *res)
{
	res->xdpfilt.drop_ns = res->xdpfilt.pass_ns = -1;
	if (time_ebpfnet(rs, index, o, &res->ours))
		return -1;
	/* the floor drops every frame: timed on the same packets */
	res->floor.drop_ns = rs->has_drop ?
		time_prog(floor_fd, &rs->drop_pkt, XDP_DROP, o) : -1;
	res->floor.pass_ns = time_prog(floor_fd, &rs->pass_pkt, XDP_DROP, o);
	if (rs->xdpfilt_obj && o->xdpfilt_dir && time_xdpfilt(rs, o, &res->xdpfilt))
		return -1;
	if (rs->has_drop)
		print_row(rs->name, "drop", res->ours.drop_ns, res->floor.drop_ns,
			  res->xdpfilt.drop_ns);
	print_row(rs->name, "pass", res->ours.pass_ns, res->floor.pass_ns,
		  res->xdpfilt.pass_ns);
	fflush(stdout);
	return 0;
}

static int cmd_testrun(const struct testrun_opts *o)
{
	static const char *const proto_words[] = { "proto", "udp" };
	static const char *const port_words[] = { "proto", "udp", "dst-port", "53" };
	struct prefix4 *small = random_prefixes(10);
	struct prefix4 *large = random_prefixes(o->prefixes);
	struct rule_set sets[6] = {
		{ .name = "no rules", .xdpfilt_obj = "xdpfilt_alw_all.o" },
		{ .name = "1 protocol rule", .has_drop = true,
		  .words = proto_words, .nwords = 2 },
		{ .name = "1 port rule", .xdpfilt_obj = "xdpfilt_alw_udp.o",
		  .has_drop = true, .words = port_words, .nwords = 4,
		  .udp_dport = 53 },
		{ .name = "10 prefix rules", .xdpfilt_obj = "xdpfilt_alw_ip.o",
		  .has_drop = true, .pfx = small, .npfx = 10 },
		{ .name = "", .xdpfilt_obj = "xdpfilt_alw_ip.o",
		  .has_drop = true, .pfx = large, .npfx = o->prefixes },
		{ .name = "16 signature rules", .has_drop = true, .sigs = true },
	};
	struct row_result res[6];
	struct bench_xdp_floor_bpf *floor;
	char large_name[32], src[INET_ADDRSTRLEN];
	int i, ret = 1;

	if (!small || !large)
		goto out_free;
	snprintf(large_name, sizeof(large_name), "%u prefix rules", o->prefixes);
	sets[4].name = large_name;
	/* packets: every set passes a TCP packet or a UDP one to port 54
	 * unless it says otherwise below */
	if (udp_packet(&sets[0].pass_pkt, NULL, 53, NULL, 18) ||
	    udp_packet(&sets[1].drop_pkt, NULL, 53, NULL, 18) ||
	    tcp_packet(&sets[1].pass_pkt) ||
	    udp_packet(&sets[2].drop_pkt, NULL, 53, NULL, 18) ||
	    udp_packet(&sets[2].pass_pkt, NULL, 54, NULL, 18) ||
	    udp_packet(&sets[5].drop_pkt, NULL, 53, sig_drop_payload, 18) ||
	    udp_packet(&sets[5].pass_pkt, NULL, 53, sig_pass_payload, 18))
		goto out_free;

	floor = bench_xdp_floor_bpf__open_and_load();
	if (!floor) {
		fprintf(stderr, "drop_bench: loading the floor program: %s\n",
			strerror(errno));
		goto out_free;
	}
	printf("ns per packet (BPF_PROG_TEST_RUN, median of %u runs of %u repeats)\n",
	       o->rounds, o->repeat);
	printf("%-22s %-5s %9s %9s %10s %10s %10s\n", "rule set", "pkt",
	       "ebpfnet", "floor", "xdp-filter", "/floor", "/xdp-filt");
	for (i = 0; i < 6; i++) {
		struct rule_set *rs = &sets[i];

		if (rs->npfx) {
			/* dropped: from a /32 rule's address; passed: from
			 * 10.255.255.254, outside every rule */
			const struct prefix4 *hit = last_host_prefix(rs->pfx, rs->npfx);

			inet_ntop(AF_INET, &hit->addr, src, sizeof(src));
			if (udp_packet(&rs->drop_pkt, src, 53, NULL, 18) ||
			    udp_packet(&rs->pass_pkt, "10.255.255.254", 53, NULL, 18))
				goto out_floor;
		}
		if (run_rule_set(rs, i, bpf_program__fd(floor->progs.bench_xdp_floor),
				 o, &res[i]))
			goto out_floor;
	}
	printf("%u prefix rules / 10 prefix rules: drop %.2f, pass %.2f (target <= 1.5)\n",
	       o->prefixes, (double)res[4].ours.drop_ns / (double)res[3].ours.drop_ns,
	       (double)res[4].ours.pass_ns / (double)res[3].ours.pass_ns);
	if (filter_info.xlated_prog_len)
		printf("filter program: %u instructions, %u processed by the verifier\n",
		       filter_info.xlated_prog_len / 8, filter_info.verified_insns);
	ret = 0;
out_floor:
	bench_xdp_floor_bpf__destroy(floor);
out_free:
	free(small);
	free(large);
	return ret;
}

/* ---- the UDP flood ------------------------------------------------------------------ */

#define FLOOD_BATCH 64
#define FLOOD_PAYLOAD 18 /* a 60-byte frame: the Ethernet minimum */

static int cmd_flood(const char *dst, uint16_t port, uint64_t count,
		     uint64_t seconds)
{
	static const uint8_t payload[FLOOD_PAYLOAD] = "ebpfnet drop bench";
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov = { .iov_base = (void *)payload, .iov_len = sizeof(payload) };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t sent = 0, errors = 0, t0, now, deadline;
	int fd, n, i;

	if (inet_pton(AF_INET, dst, &to.sin_addr) != 1) {
		fprintf(stderr, "drop_bench: flood: '%s' is not an IPv4 address\n", dst);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("drop_bench: socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < FLOOD_BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now = monotonic_ns();
	deadline = t0 + seconds * NS_PER_SEC;
	while (sent < count && now < deadline) {
		unsigned int batch = count - sent < FLOOD_BATCH ?
			(unsigned int)(count - sent) : FLOOD_BATCH;

		n = sendmmsg(fd, msgs, batch, 0);
		if (n > 0) {
			sent += (uint64_t)n;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			errors++;
		} else {
			perror("drop_bench: sendmmsg");
			close(fd);
			return 1;
		}
		now = monotonic_ns();
	}
	close(fd);
	printf("flood: sent=%llu errors=%llu elapsed_ns=%llu pps=%.0f\n",
	       (unsigned long long)sent, (unsigned long long)errors,
	       (unsigned long long)(now - t0),
	       (double)sent * NS_PER_SEC / (double)(now - t0 ? now - t0 : 1));
	return 0;
}

/* ---- command line -------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fputs("usage: drop_bench testrun --pin-root DIR [--repeat N] [--rounds R]\n"
	      "                          [--prefixes N] [--xdp-filter-dir DIR]\n"
	      "       drop_bench flood --dst IPV4 --port P [--count N] [--seconds S]\n"
	      "  testrun: ns/packet of the filter under several rule sets, beside\n"
	      "    the floor program and xdp-filter's (from DIR, e.g.\n"
	      "    /usr/lib/x86_64-linux-gnu/bpf); --pin-root: a bpffs directory.\n"
	      "    Defaults: 1000000 repeats, 5 rounds, 100000 prefixes.\n"
	      "  flood: UDP to IPV4:P, at most N packets (default 2000000) and\n"
	      "    S seconds (default 10).\n", out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-root", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "xdp-filter-dir", required_argument, NULL, 'x' },
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'P' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct testrun_opts o = { .repeat = 1000000, .rounds = 5, .prefixes = 100000 };
	uint64_t count = 2000000, seconds = 10, port = 0, v;
	const char *cmd, *dst = NULL;
	int c, bad = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.pin_root = optarg; break;
		case 'x': o.xdpfilt_dir = optarg; break;
		case 'd': dst = optarg; break;
		case 'n': bad |= parse_u64(optarg, 1, 100000000, &v); o.repeat = (uint32_t)v; break;
		case 'R': bad |= parse_u64(optarg, 1, MAX_ROUNDS, &v); o.rounds = (uint32_t)v; break;
		case 'p': bad |= parse_u64(optarg, 10, 1000000, &v); o.prefixes = (uint32_t)v; break;
		case 'P': bad |= parse_u64(optarg, 1, 65535, &port); break;
		case 'c': bad |= parse_u64(optarg, 1, 100000000, &count); break;
		case 's': bad |= parse_u64(optarg, 1, 60, &seconds); break;
		case 'h': usage(stdout); return 0;
		default: bad = 1;
		}
	}
	if (bad || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "testrun") && o.pin_root) {
		silence_libbpf_warnings();
		return cmd_testrun(&o);
	}
	if (!strcmp(cmd, "flood") && dst && port)
		return cmd_flood(dst, (uint16_t)port, count, seconds);
	usage(stderr);
	return 2;
}
