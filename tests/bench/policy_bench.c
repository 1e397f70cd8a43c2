/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy_bench: the figures of the policy benchmark (driven by
 * policy_bench.sh). The policy program comes from its skeleton; its maps
 * are written directly as policy_abi.h lays them out (one endpoint, N
 * policy entries spread over many identities and ports, always with the
 * same prefix lengths in use, so that only the COUNT changes).
 *
 *   policy_bench testrun [--repeat N] [--rounds R] [--runs M]
 *
 *     ns per packet from BPF_PROG_TEST_RUN (the kernel's `duration`) with
 *     10, 1,000 and 100,000 entries, IPv4:
 *       ct hit       a packet of a tracked connection: median of R runs of
 *                    N repeats;
 *       new allowed  the first packet of a connection, decided and
 *                    tracked: each run is ONE packet (repeat 1) with a
 *                    source port no earlier run used, so every run looks
 *                    the policy up and inserts a connection; the median
 *                    over M runs, and the median of that over R rounds;
 *       new denied   a packet the policy denies (nothing is tracked, so
 *                    every repeat decides again): median of R runs of N
 *                    repeats.
 *
 *   policy_bench veth --ifname IF --netns NAME --dst IPV4 --port P
 *                     --entries N [--decide-each] [--count N] [--seconds S]
 *
 *     loads the program, makes IF (the host side of a veth) an endpoint
 *     whose egress allows UDP to --dst:P among N entries,
 *     attaches it at TC ingress (priority 20), floods from namespace NAME
 *     and prints what it sent, how fast, and how many packets the policy
 *     let through; detaches on exit. --decide-each: connection timeouts
 *     of 1 ns, so every packet is decided (a new connection each).
 *
 *   policy_bench flood --dst IPV4 --port P [--count N] [--seconds S]
 *
 *     the UDP flood alone (sendmmsg), for the nftables runs.
 *
 *   policy_bench compile [--endpoints E] [--rules K] [--rounds R]
 *
 *     pol_yaml_parse() + pol_compile() of one CiliumNetworkPolicy with K
 *     ingress rules (each: one label peer, one TCP port) selecting E
 *     endpoints; best, median and worst of R rounds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "pktgen.h"
#include "policy_abi.h"
#include "policy_model.h"
#include "policy.skel.h"
#include "prog_run.h"
#include "tc.h"
#include "bench_util.h"

#define NS_PER_SEC 1000000000ull
#define MAX_ROUNDS 99
#define EP_ID 1
#define EP_IDENTITY 2000
#define PEER_IDENTITY 100000    /* the peer of the measured packet */
#define FILL_FIRST_ID 300       /* identities of the other entries */
#define FILL_GROUP 8            /* entries per filler identity */
#define FILL_ANY_PORT 20000     /* any-peer entries: ports from here */
#define MEASURED_PORT 80
#define DENIED_PORT 81
#define MEASURED_RULE 1

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* ---- the maps --------------------------------------------------------------- */

static int put(struct bpf_map *m, const void *k, const void *v, const char *what)
{
	if (bpf_map_update_elem(bpf_map__fd(m), k, v, 0)) {
		fprintf(stderr, "policy_bench: writing %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int put_entry(struct policy_bpf *skel, uint8_t dir, uint32_t identity,
		     uint8_t proto, uint8_t plen, uint16_t port, uint32_t rule)
{
	struct policy_key k = {
		.ep_id = EP_ID, .identity = identity, .dir = dir,
		.proto = plen == POLICY_PLEN_L3 ? 0 : proto, .plen = plen,
		.port = plen == POLICY_PLEN_L3 ? 0 : port,
	};
	struct policy_entry e = { .rule_id = rule };

	return put(skel->maps.policy_map, &k, &e, "a policy entry");
}

static int put_ipcache4(struct policy_bpf *skel, uint32_t addr_be, int plen,
			uint32_t identity)
{
	struct policy_ipcache4_key k = { .prefixlen = plen };
	struct policy_ipcache_value v = { .identity = identity };

	memcpy(k.addr, &addr_be, 4);
	return put(skel->maps.policy_ipcache4, &k, &v, "an ipcache prefix");
}

/*
 * The endpoint on ifindex, enforced in `dir`, with n entries: the measured
 * one (the peer's identity, proto/port), and n - 1
 * others over many identities and ports. Whatever n, the same prefix
 * lengths are in use (peer: 16 and L3; any peer: 16), so a packet does the
 * same lookups: only the number of entries changes.
 */
static int setup_policy(struct policy_bpf *skel, uint32_t ifindex, uint8_t dir,
			uint32_t peer_be, uint8_t proto, uint16_t port,
			uint32_t n, const struct policy_config *conf)
{
	struct policy_endpoint ep = {
		.ep_id = EP_ID, .identity = EP_IDENTITY, .generation = 1,
		.enforce = 1u << dir,
	};
	uint32_t zero = 0, i;

	ep.lens[dir][0] = 1u << 16 | 1u << POLICY_PLEN_L3;
	ep.lens[dir][1] = 1u << 16;
	if (put(skel->maps.policy_config, &zero, conf, "the config") ||
	    put_ipcache4(skel, 0, 0, POLICY_ID_WORLD) ||
	    put_ipcache4(skel, peer_be, 32, PEER_IDENTITY) ||
	    put_entry(skel, dir, PEER_IDENTITY, proto, 16, port, MEASURED_RULE))
		return -1;
	for (i = 0; i + 1 < n; i++) {
		uint32_t group = i / FILL_GROUP, kind = i % FILL_GROUP;
		uint32_t id = FILL_FIRST_ID + group, rule = 2 + i % 60000;
		int err;

		if (kind == 0) /* the identity, any port */
			err = put_entry(skel, dir, id, 0, POLICY_PLEN_L3, 0, rule);
		else if (kind == FILL_GROUP - 1) /* any peer, one port */
			err = put_entry(skel, dir, POLICY_ID_ANY, IPPROTO_TCP, 16,
					FILL_ANY_PORT + group, rule);
		else /* the identity, one TCP or UDP port */
			err = put_entry(skel, dir, id,
					kind & 1 ? IPPROTO_TCP : IPPROTO_UDP, 16,
					1000 + kind * 1000 + group % 1000, rule);
		if (err)
			return -1;
		/* each filler identity has an address (10.128.0.0/9) */
		if (kind == 0 && put_ipcache4(skel, htonl(0x0a800000u + group),
					      32, id))
			return -1;
	}
	return put(skel->maps.policy_endpoints, &ifindex, &ep, "the endpoint");
}

static struct policy_bpf *load(void)
{
	struct policy_bpf *skel = policy_bpf__open_and_load();

	if (!skel)
		fprintf(stderr, "policy_bench: loading the policy program: %s\n",
			strerror(errno));
	return skel;
}

static uint64_t stat_sum(struct policy_bpf *skel, uint32_t stat)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	uint64_t v[ncpus > 0 ? ncpus : 1], sum = 0;

	if (ncpus <= 0 ||
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.policy_stats), &stat, v))
		return 0;
	for (i = 0; i < ncpus; i++)
		sum += v[i];
	return sum;
}

/* ---- ns per packet ----------------------------------------------------------- */

struct testrun_opts {
	uint32_t repeat, rounds, runs;
};

struct packet {
	uint8_t buf[128];
	int len;
};

#define PEER "10.0.0.1"
#define EP_ADDR "10.0.0.2"

static int tcp_packet(struct packet *p, uint16_t sport, uint16_t dport,
		      uint8_t flags)
{
	struct pkt_spec s = { .family = 4, .src = PEER, .dst = EP_ADDR,
			      .proto = IPPROTO_TCP, .sport = sport,
			      .dport = dport, .tcp_flags = flags };

	p->len = pktgen_build(&s, p->buf, sizeof(p->buf), NULL);
	if (p->len < 0) {
		fprintf(stderr, "policy_bench: pktgen_build: %s\n", strerror(-p->len));
		return -1;
	}
	return 0;
}

/* One test run; its ns per repeat, or -1 (also when the verdict is not
 * `want`: a benchmark of the wrong outcome is no benchmark). */
static int64_t run_once(int fd, const struct packet *p, uint32_t repeat,
			int want)
{
	static struct test_run_result r;
	int err = test_run_skb(fd, p->buf, p->len, repeat, NULL, &r);

	if (err) {
		fprintf(stderr, "policy_bench: test run: %s\n", strerror(-err));
		return -1;
	}
	if ((int)r.retval != want) {
		fprintf(stderr, "policy_bench: verdict %d, expected %d\n",
			(int)r.retval, want);
		return -1;
	}
	return r.duration_ns;
}

static int64_t time_repeated(int fd, const struct packet *p, int want,
			     const struct testrun_opts *o)
{
	uint64_t ns[MAX_ROUNDS];
	uint32_t i;

	for (i = 0; i < o->rounds; i++) {
		int64_t t = run_once(fd, p, o->repeat, want);

		if (t < 0)
			return -1;
		ns[i] = (uint64_t)t;
	}
	return (int64_t)median(ns, o->rounds);
}

/* New connections: one packet per run, a source port no run used before
 * (the connection table holds every one of them: 262,144 entries). */
static int64_t time_new_allowed(int fd, const struct testrun_opts *o)
{
	uint64_t round_ns[MAX_ROUNDS], *run_ns;
	uint32_t sport = 1024, i, j;
	struct packet p;

	run_ns = calloc(o->runs, sizeof(*run_ns));
	if (!run_ns)
		return -1;
	for (i = 0; i < o->rounds; i++) {
		for (j = 0; j < o->runs; j++) {
			int64_t t;

			if (tcp_packet(&p, sport, MEASURED_PORT, 0x02))
				goto fail;
			sport = sport == 65535 ? 1024 : sport + 1;
			t = run_once(fd, &p, 1, TC_ACT_UNSPEC);
			if (t < 0)
				goto fail;
			run_ns[j] = (uint64_t)t;
		}
		round_ns[i] = median(run_ns, o->runs);
	}
	free(run_ns);
	return (int64_t)median(round_ns, o->rounds);
fail:
	free(run_ns);
	return -1;
}

struct testrun_row {
	uint32_t entries;
	int64_t hit, new_allowed, new_denied;
};

static int testrun_one(uint32_t entries, const struct testrun_opts *o,
		       struct testrun_row *row)
{
	struct policy_config conf = { 0 }; /* no events: measure the decision */
	struct policy_bpf *skel = load();
	struct packet established, denied;
	uint32_t peer;
	int fd, ret = -1;

	if (!skel)
		return -1;
	inet_pton(AF_INET, PEER, &peer);
	/* the measured packets arrive at the endpoint (its ingress): the
	 * test run's skb is on ifindex 1 */
	if (setup_policy(skel, 1, POLICY_DIR_INGRESS, peer, IPPROTO_TCP,
			 MEASURED_PORT, entries, &conf) ||
	    tcp_packet(&established, 40000, MEASURED_PORT, 0x10) ||
	    tcp_packet(&denied, 40000, DENIED_PORT, 0x02))
		goto out;
	fd = bpf_program__fd(skel->progs.policy_egress);
	row->entries = entries;
	/* its first run creates the connection */
	row->hit = run_once(fd, &established, 1, TC_ACT_UNSPEC) < 0 ? -1 :
		time_repeated(fd, &established, TC_ACT_UNSPEC, o);
	row->new_denied = time_repeated(fd, &denied, TC_ACT_SHOT, o);
	row->new_allowed = time_new_allowed(fd, o);
	if (row->hit >= 0 && row->new_denied >= 0 && row->new_allowed >= 0)
		ret = 0;
	if (stat_sum(skel, POLICY_STAT_CT_FULL))
		fprintf(stderr, "policy_bench: the connection table was full\n");
out:
	policy_bpf__destroy(skel);
	return ret;
}

static void print_ratio(const char *what, int64_t big, int64_t small)
{
	printf("%-12s 100,000 / 10 entries: %.3f\n", what,
	       small > 0 ? (double)big / (double)small : 0.0);
}

static int cmd_testrun(const struct testrun_opts *o)
{
	static const uint32_t sizes[] = { 10, 1000, 100000 };
	struct testrun_row rows[3];
	size_t i;

	printf("ns per packet (BPF_PROG_TEST_RUN, IPv4 TCP; medians of %u rounds;"
	       " %u repeats, new allowed: %u single runs per round)\n",
	       o->rounds, o->repeat, o->runs);
	printf("%10s %10s %12s %12s\n", "entries", "ct hit", "new allowed",
	       "new denied");
	for (i = 0; i < 3; i++) {
		if (testrun_one(sizes[i], o, &rows[i]))
			return 1;
		printf("%10u %10lld %12lld %12lld\n", rows[i].entries,
		       (long long)rows[i].hit, (long long)rows[i].new_allowed,
		       (long long)rows[i].new_denied);
		fflush(stdout);
	}
	print_ratio("ct hit", rows[2].hit, rows[0].hit);
	print_ratio("new allowed", rows[2].new_allowed, rows[0].new_allowed);
	print_ratio("new denied", rows[2].new_denied, rows[0].new_denied);
	return 0;
}

/* ---- the UDP flood ------------------------------------------------------------ */

#define FLOOD_BATCH 64
#define FLOOD_PAYLOAD 18 /* a 60-byte frame: the Ethernet minimum */

struct flood_opts {
	const char *dst;
	uint16_t port;
	uint64_t count, seconds;
};

static int flood(const struct flood_opts *f)
{
	static const uint8_t payload[FLOOD_PAYLOAD] = "ebpfnet policy!!";
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov = { .iov_base = (void *)payload, .iov_len = sizeof(payload) };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(f->port) };
	uint64_t sent = 0, errors = 0, t0, now, deadline;
	int fd, n, i;

	if (inet_pton(AF_INET, f->dst, &to.sin_addr) != 1) {
		fprintf(stderr, "policy_bench: flood: '%s' is not an IPv4 address\n",
			f->dst);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("policy_bench: socket");
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
	deadline = t0 + f->seconds * NS_PER_SEC;
	while (sent < f->count && now < deadline) {
		unsigned int batch = f->count - sent < FLOOD_BATCH ?
			(unsigned int)(f->count - sent) : FLOOD_BATCH;

		n = sendmmsg(fd, msgs, batch, 0);
		if (n > 0) {
			sent += (uint64_t)n;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR ||
			   errno == ECONNREFUSED) {
			errors++; /* ICMP port unreachable reported back */
		} else {
			perror("policy_bench: sendmmsg");
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
	fflush(stdout);
	return 0;
}

/* The flood from namespace `netns` (a child that enters it). */
static int flood_in_netns(const char *netns, const struct flood_opts *f)
{
	char path[256];
	int status, fd;
	pid_t pid;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			fprintf(stderr, "policy_bench: entering %s: %s\n", path,
				strerror(errno));
			_exit(1);
		}
		_exit(flood(f));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return 0;
}

struct veth_opts {
	const char *ifname, *netns;
	uint32_t entries;
	bool decide_each;
	struct flood_opts flood;
};

static int cmd_veth(const struct veth_opts *o)
{
	struct policy_config conf = { 0 };
	uint32_t ifindex = if_nametoindex(o->ifname), dst;
	struct policy_bpf *skel;
	uint64_t before, after;
	int err, ret = 1;

	if (!ifindex || inet_pton(AF_INET, o->flood.dst, &dst) != 1) {
		fprintf(stderr, "policy_bench: veth: bad --ifname or --dst\n");
		return 2;
	}
	if (o->decide_each)
		conf.ct_other_ns = 1; /* expired at once: every packet is new */
	skel = load();
	if (!skel)
		return 1;
	/* the namespace sends (the endpoint's egress, TC ingress) to the
	 * host side: the peer */
	if (setup_policy(skel, ifindex, POLICY_DIR_EGRESS, dst, IPPROTO_UDP,
			 o->flood.port, o->entries, &conf))
		goto out;
	err = ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_POLICY,
				 bpf_program__fd(skel->progs.policy_ingress));
	if (err) {
		fprintf(stderr, "policy_bench: attaching to %s: %s\n", o->ifname,
			strerror(-err));
		goto out;
	}
	before = stat_sum(skel, POLICY_STAT_ALLOWED) +
		 stat_sum(skel, POLICY_STAT_CT_HIT);
	if (!flood_in_netns(o->netns, &o->flood))
		ret = 0;
	after = stat_sum(skel, POLICY_STAT_ALLOWED) +
		stat_sum(skel, POLICY_STAT_CT_HIT);
	printf("policy: passed=%llu denied=%llu decided=%llu\n",
	       (unsigned long long)(after - before),
	       (unsigned long long)stat_sum(skel, POLICY_STAT_DENIED),
	       (unsigned long long)stat_sum(skel, POLICY_STAT_ALLOWED));
	ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_POLICY);
out:
	policy_bpf__destroy(skel);
	return ret;
}

/* ---- compile time ---------------------------------------------------------------- */

struct compile_opts {
	uint32_t endpoints, rules, rounds;
};

/* One CiliumNetworkPolicy: K ingress rules, rule k from app=svc<k%100>
 * to TCP port 8000 + k, selecting every endpoint with tier=app. */
static char *policy_yaml(uint32_t rules, size_t *len)
{
	size_t cap = 256 + (size_t)rules * 256, off;
	char *y = malloc(cap);
	uint32_t k;

	if (!y)
		return NULL;
	off = (size_t)snprintf(y, cap,
		"apiVersion: cilium.io/v2\n"
		"kind: CiliumNetworkPolicy\n"
		"metadata:\n  name: bench\n"
		"spec:\n  endpointSelector:\n    matchLabels:\n      tier: app\n"
		"  ingress:\n");
	for (k = 0; k < rules; k++)
		off += (size_t)snprintf(y + off, cap - off,
			"  - fromEndpoints:\n    - matchLabels:\n        app: svc%u\n"
			"    toPorts:\n    - ports:\n      - port: \"%u\"\n"
			"        protocol: TCP\n", k % 100, 8000 + k);
	*len = off;
	return y;
}

static int cmd_compile(const struct compile_opts *o)
{
	struct pol_endpoint_in *eps = calloc(o->endpoints, sizeof(*eps));
	char (*labels)[POLICY_LABELS_MAX] = calloc(o->endpoints, sizeof(*labels));
	uint64_t parse_ns[MAX_ROUNDS], compile_ns[MAX_ROUNDS];
	size_t ylen = 0, n_entries = 0;
	char *yaml = policy_yaml(o->rules, &ylen), err[256];
	uint32_t i, r;
	int ret = 1;

	if (!eps || !labels || !yaml)
		goto out;
	for (i = 0; i < o->endpoints; i++) {
		char text[64];

		snprintf(text, sizeof(text), "app=svc%u,tier=app", i % 100);
		if (pol_labels_canon(text, labels[i], sizeof(labels[i]), err,
				     sizeof(err))) {
			fprintf(stderr, "policy_bench: labels: %s\n", err);
			goto out;
		}
		eps[i].ifindex = 1000 + i;
		eps[i].ep_id = i + 1;
		eps[i].labels = labels[i];
		eps[i].n_addrs = 1;
		eps[i].addrs[0].family = AF_INET;
		eps[i].addrs[0].addr[0] = 10;
		eps[i].addrs[0].addr[1] = 100;
		eps[i].addrs[0].addr[2] = (uint8_t)(i >> 8);
		eps[i].addrs[0].addr[3] = (uint8_t)i;
	}
	for (r = 0; r < o->rounds; r++) {
		struct pol_compiled c = { 0 };
		struct pol_doc **docs = NULL;
		size_t n_docs = 0;
		uint64_t t0, t1, t2;
		int e;

		t0 = monotonic_ns();
		e = pol_yaml_parse(yaml, ylen, &docs, &n_docs, err, sizeof(err));
		t1 = monotonic_ns();
		if (e) {
			fprintf(stderr, "policy_bench: pol_yaml_parse: %s\n", err);
			goto out;
		}
		e = pol_compile(eps, o->endpoints, docs, n_docs, NULL, 0,
				POLICY_DEFAULT_MAX_ENTRIES, &c, err, sizeof(err));
		t2 = monotonic_ns();
		pol_docs_free(docs, n_docs);
		if (e) {
			fprintf(stderr, "policy_bench: pol_compile: %s\n", err);
			goto out;
		}
		n_entries = c.n_entries;
		pol_compiled_free(&c);
		parse_ns[r] = t1 - t0;
		compile_ns[r] = t2 - t1;
	}
	qsort(parse_ns, o->rounds, sizeof(uint64_t), cmp_u64);
	qsort(compile_ns, o->rounds, sizeof(uint64_t), cmp_u64);
	printf("compile: %u endpoints x %u rules -> %zu entries (%zu bytes of YAML),"
	       " %u rounds\n", o->endpoints, o->rules, n_entries, ylen, o->rounds);
	printf("%-14s %10s %10s %10s\n", "ms", "best", "median", "worst");
	printf("%-14s %10.2f %10.2f %10.2f\n", "pol_yaml_parse", parse_ns[0] / 1e6,
	       parse_ns[o->rounds / 2] / 1e6, parse_ns[o->rounds - 1] / 1e6);
	printf("%-14s %10.2f %10.2f %10.2f\n", "pol_compile", compile_ns[0] / 1e6,
	       compile_ns[o->rounds / 2] / 1e6, compile_ns[o->rounds - 1] / 1e6);
	ret = 0;
out:
	free(eps);
	free(labels);
	free(yaml);
	return ret;
}

/* ---- command line ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fputs("usage: policy_bench testrun [--repeat N] [--rounds R] [--runs M]\n"
	      "       policy_bench veth --ifname IF --netns NAME --dst IPV4 --port P\n"
	      "                         --entries N [--decide-each] [--count N]\n"
	      "                         [--seconds S]\n"
	      "       policy_bench flood --dst IPV4 --port P [--count N] [--seconds S]\n"
	      "       policy_bench compile [--endpoints E] [--rules K] [--rounds R]\n"
	      "  Defaults: 1000000 repeats, 5 rounds, 20000 single runs; floods of\n"
	      "  at most 2000000 packets and 10 s; 1000 endpoints x 100 rules.\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repeat", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "runs", required_argument, NULL, 'm' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "netns", required_argument, NULL, 'N' },
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'P' },
		{ "entries", required_argument, NULL, 'e' },
		{ "decide-each", no_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "endpoints", required_argument, NULL, 'E' },
		{ "rules", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct testrun_opts t = { .repeat = 1000000, .rounds = 5, .runs = 20000 };
	struct veth_opts vo = { .entries = 10,
				.flood = { .count = 2000000, .seconds = 10 } };
	struct compile_opts co = { .endpoints = 1000, .rules = 100, .rounds = 5 };
	uint64_t v;
	const char *cmd;
	int c, bad = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': bad |= parse_u64(optarg, 1, 100000000, &v); t.repeat = (uint32_t)v; break;
		case 'R': bad |= parse_u64(optarg, 1, MAX_ROUNDS, &v);
			  t.rounds = co.rounds = (uint32_t)v; break;
		case 'm': bad |= parse_u64(optarg, 1, 200000, &v); t.runs = (uint32_t)v; break;
		case 'i': vo.ifname = optarg; break;
		case 'N': vo.netns = optarg; break;
		case 'd': vo.flood.dst = optarg; break;
		case 'P': bad |= parse_u64(optarg, 1, 65535, &v); vo.flood.port = (uint16_t)v; break;
		case 'e': bad |= parse_u64(optarg, 1, 200000, &v); vo.entries = (uint32_t)v; break;
		case 'D': vo.decide_each = true; break;
		case 'c': bad |= parse_u64(optarg, 1, 100000000, &vo.flood.count); break;
		case 's': bad |= parse_u64(optarg, 1, 60, &vo.flood.seconds); break;
		case 'E': bad |= parse_u64(optarg, 1, POLICY_MAX_ENDPOINTS, &v);
			  co.endpoints = (uint32_t)v; break;
		case 'k': bad |= parse_u64(optarg, 1, 1024, &v); co.rules = (uint32_t)v; break;
		case 'h': usage(stdout); return 0;
		default: bad = 1;
		}
	}
	if (bad || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "testrun"))
		return cmd_testrun(&t);
	if (!strcmp(cmd, "compile"))
		return cmd_compile(&co);
	if (!strcmp(cmd, "flood") && vo.flood.dst && vo.flood.port)
		return flood(&vo.flood);
	if (!strcmp(cmd, "veth") && vo.ifname && vo.netns &&
	    vo.flood.dst && vo.flood.port)
		return cmd_veth(&vo);
	usage(stderr);
	return 2;
}
