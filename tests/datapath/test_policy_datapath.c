/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The policy datapath (root): crafted packets through policy_ingress /
 * policy_egress (the skeleton, loaded once) with BPF_PROG_TEST_RUN, the
 * maps written directly as policy_abi.h lays them out (endpoint records,
 * policy entries as the compiler makes them, ipcache prefixes, config),
 * and for each packet the verdict, the statistics, the rule counters, the
 * connection table and the verdict events (policy_events and the monitor
 * ring) checked exactly.
 *
 * A test run's skb is on the loopback device (ifindex 1; the kernel
 * accepts ctx.ifindex only for a device that exists, and 1 is the one
 * every namespace has): the endpoint under test is ifindex 1. Its
 * addresses: 10.0.0.2 / fd00::2. TC egress (policy_egress) carries what
 * it receives (its INGRESS direction), TC ingress what it sends.
 *
 * Each test starts from empty maps (a checked fixture, in the test's own
 * process, clears every map the programs read).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check_run.h"
#include "parse.h"
#include "pktgen.h"
#include "policy_abi.h"
#include "policy.skel.h"
#include "priv.h"
#include "prog_run.h"

#define EP_IFINDEX 1
#define EP_ID 7
#define EP_IDENTITY 2000
#define ID_FRONT 1000    /* 10.0.0.1, fd00::1 */
#define ID_OTHER 1001    /* 10.0.0.3 */
#define ID_CIDR (POLICY_ID_CIDR_MIN + 1) /* 192.168.0.0/16 */
#define EP_ADDR "10.0.0.2"
#define FRONT "10.0.0.1"
#define OTHER "10.0.0.3"
#define HOST "10.0.0.254"
#define OUTSIDE "8.8.8.8"
#define PASS ((uint32_t)TC_ACT_UNSPEC)
#define DROP ((uint32_t)TC_ACT_SHOT)
#define MAX_EVENTS 64

static struct policy_bpf *skel;
static int ncpus;

/* ---- maps ----------------------------------------------------------------- */

static int map_fd(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

static void clear_hash(struct bpf_map *m)
{
	uint8_t key[sizeof(struct policy_doc_key)], next[sizeof(key)];
	int fd = map_fd(m);

	/* always the first key: each one is deleted */
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, sizeof(key));
		ck_assert_int_eq(bpf_map_delete_elem(fd, key), 0);
	}
}

static void clear_percpu(struct bpf_map *m)
{
	size_t vsz = bpf_map__value_size(m);
	uint32_t n = bpf_map__max_entries(m), i;
	void *zero = calloc(ncpus, (vsz + 7) & ~7ul);

	ck_assert_ptr_nonnull(zero);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(bpf_map_update_elem(map_fd(m), &i, zero, 0), 0);
	free(zero);
}

static uint64_t stat_of(uint32_t s)
{
	uint64_t v[ncpus], sum = 0;
	int i;

	ck_assert_int_eq(bpf_map_lookup_elem(map_fd(skel->maps.policy_stats), &s, v), 0);
	for (i = 0; i < ncpus; i++)
		sum += v[i];
	return sum;
}

static struct policy_rule_counter counter(uint32_t rule)
{
	struct policy_rule_counter v[ncpus], sum = { 0 };
	int i;

	ck_assert_int_eq(bpf_map_lookup_elem(map_fd(skel->maps.policy_rule_counters),
					     &rule, v), 0);
	for (i = 0; i < ncpus; i++) {
		sum.allowed += v[i].allowed;
		sum.denied += v[i].denied;
		sum.denied_bytes += v[i].denied_bytes;
	}
	return sum;
}

/* The endpoint record and, per bank, the lengths its entries use. */
static struct policy_endpoint ep;
static uint32_t bank_lens[2][2][2];

static void ep_write(void)
{
	uint32_t ifindex = EP_IFINDEX;

	memcpy(ep.lens, bank_lens[ep.bank & 1], sizeof(ep.lens));
	ck_assert_int_eq(bpf_map_update_elem(map_fd(skel->maps.policy_endpoints),
					     &ifindex, &ep, 0), 0);
}

/* The endpoint with enforcement `enforce`, bank 0, generation 1. */
static void ep_set(uint8_t enforce)
{
	memset(&ep, 0, sizeof(ep));
	ep.ep_id = EP_ID;
	ep.identity = EP_IDENTITY;
	ep.generation = 1;
	ep.enforce = enforce;
	ep_write();
}

/* A policy entry; its length bit is recorded for the bank (written to
 * the endpoint record at the next ep_write). */
static void entry_bank(uint8_t bank, uint8_t dir, uint32_t identity,
		       uint8_t proto, uint8_t plen, uint16_t port,
		       uint32_t rule, bool deny)
{
	struct policy_key k = {
		.ep_id = EP_ID, .identity = identity, .bank = bank, .dir = dir,
		.proto = plen == POLICY_PLEN_L3 ? 0 : proto, .plen = plen,
		.port = plen == POLICY_PLEN_L3 || !plen ? 0 :
			port & (uint16_t)(0xffff << (16 - plen)),
	};
	struct policy_entry e = { .rule_id = rule, .deny = deny };

	ck_assert_int_eq(bpf_map_update_elem(map_fd(skel->maps.policy_map),
					     &k, &e, 0), 0);
	bank_lens[bank][dir][identity == POLICY_ID_ANY] |= 1u << plen;
}

static void entry(uint8_t dir, uint32_t identity, uint8_t proto, uint8_t plen,
		  uint16_t port, uint32_t rule, bool deny)
{
	entry_bank(ep.bank, dir, identity, proto, plen, port, rule, deny);
	ep_write();
}

#define L3 POLICY_PLEN_L3
#define IN POLICY_DIR_INGRESS
#define OUT POLICY_DIR_EGRESS
#define ALLOW false
#define DENY true

static void ipcache(const char *addr, int plen, uint32_t identity)
{
	struct policy_ipcache_value v = { .identity = identity };

	if (strchr(addr, ':')) {
		struct policy_ipcache6_key k = { .prefixlen = plen };

		ck_assert_int_eq(inet_pton(AF_INET6, addr, k.addr), 1);
		ck_assert_int_eq(bpf_map_update_elem(
			map_fd(skel->maps.policy_ipcache6), &k, &v, 0), 0);
	} else {
		struct policy_ipcache4_key k = { .prefixlen = plen };

		ck_assert_int_eq(inet_pton(AF_INET, addr, k.addr), 1);
		ck_assert_int_eq(bpf_map_update_elem(
			map_fd(skel->maps.policy_ipcache4), &k, &v, 0), 0);
	}
}

static struct policy_config config;

static void config_write(void)
{
	uint32_t zero = 0;

	ck_assert_int_eq(bpf_map_update_elem(map_fd(skel->maps.policy_config),
					     &zero, &config, 0), 0);
}

static uint32_t ct_count(void)
{
	struct policy_ct_key k, next;
	int fd = map_fd(skel->maps.policy_ct);
	uint32_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* ---- events --------------------------------------------------------------- */

struct events {
	struct policy_verdict_event ev[MAX_EVENTS];
	int n;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct events *e = ctx;

	ck_assert_uint_eq(len, sizeof(struct policy_verdict_event));
	if (e->n < MAX_EVENTS)
		memcpy(&e->ev[e->n], data, len);
	e->n++;
	return 0;
}

/* Every event waiting in the ring into *e (NULL: dropped). */
static void drain(struct bpf_map *ring, struct events *e)
{
	static struct events sink;
	struct ring_buffer *rb;

	if (!e)
		e = &sink;
	memset(e, 0, sizeof(*e));
	rb = ring_buffer__new(map_fd(ring), on_event, e, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert_int_ge(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
}

/* ---- fixture -------------------------------------------------------------- */

static void reset(void)
{
	clear_hash(skel->maps.policy_endpoints);
	clear_hash(skel->maps.policy_map);
	clear_hash(skel->maps.policy_ipcache4);
	clear_hash(skel->maps.policy_ipcache6);
	clear_hash(skel->maps.policy_ct);
	clear_percpu(skel->maps.policy_stats);
	clear_percpu(skel->maps.policy_rule_counters);
	clear_percpu(skel->maps.policy_event_budget);
	drain(skel->maps.policy_events, NULL);
	drain(skel->maps.ebpfnet_monitor, NULL);
	memset(bank_lens, 0, sizeof(bank_lens));
	memset(&config, 0, sizeof(config));
	config_write();
	/* the world and the known addresses */
	ipcache("0.0.0.0", 0, POLICY_ID_WORLD);
	ipcache("::", 0, POLICY_ID_WORLD);
	ipcache(FRONT, 32, ID_FRONT);
	ipcache(OTHER, 32, ID_OTHER);
	ipcache(EP_ADDR, 32, EP_IDENTITY);
	ipcache(HOST, 32, POLICY_ID_HOST);
	ipcache("192.168.0.0", 16, ID_CIDR);
	ipcache("fd00::1", 128, ID_FRONT);
	ipcache("fd00::2", 128, EP_IDENTITY);
}

static void suite_setup(void)
{
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		abort();
	skel = policy_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "policy_bpf__open_and_load: %s\n", strerror(errno));
		abort();
	}
}

static void suite_teardown(void)
{
	policy_bpf__destroy(skel);
}

/* ---- packets ---------------------------------------------------------------- */

struct packet {
	uint8_t buf[512];
	int len;
};

static struct packet build(const struct pkt_spec *s)
{
	struct packet p;

	p.len = pktgen_build(s, p.buf, sizeof(p.buf), NULL);
	ck_assert_msg(p.len > 0, "pktgen_build: %d", p.len);
	return p;
}

/* A TCP packet; the endpoint's INGRESS program is policy_egress. */
#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define TCP4(s, d, sp, dp, fl) (struct pkt_spec){ .family = 4, .src = (s), \
	.dst = (d), .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), \
	.tcp_flags = (fl) }
#define UDP4(s, d, sp, dp) (struct pkt_spec){ .family = 4, .src = (s), \
	.dst = (d), .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp), \
	.payload_len = 8 }

enum hook { TO_EP, FROM_EP }; /* policy_egress, policy_ingress */

static int prog_fd(enum hook h)
{
	return bpf_program__fd(h == TO_EP ? skel->progs.policy_egress :
					    skel->progs.policy_ingress);
}

/* Run the frame `repeat` times on the endpoint's interface; the verdict. */
static uint32_t run_raw(enum hook h, const struct packet *p, uint32_t repeat)
{
	static struct test_run_result r;
	struct __sk_buff ctx = { .ifindex = EP_IFINDEX };
	int ret = test_run_skb(prog_fd(h), p->buf, p->len, repeat, &ctx, &r);

	ck_assert_msg(ret == 0, "test_run: %s", strerror(-ret));
	return r.retval;
}

static uint32_t run(enum hook h, struct pkt_spec s)
{
	struct packet p = build(&s);

	return run_raw(h, &p, 1);
}

#define expect(h, spec, want) do {                                          \
	uint32_t got_ = run(h, spec);                                            \
	ck_assert_msg(got_ == (want), "line %d: verdict %d, expected %d",        \
		      __LINE__, (int)got_, (int)(want));                         \
} while (0)

/* ---- allow: the four match shapes -------------------------------------- */

START_TEST(l3_only)
{
	struct pkt_spec s = TCP4(FRONT, EP_ADDR, 40000, 80, SYN);
	struct packet denied = build(&(struct pkt_spec)TCP4(OTHER, EP_ADDR, 40000, 80, SYN));

	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, ID_FRONT, 0, L3, 0, 1, ALLOW);
	expect(TO_EP, s, PASS);
	s.dport = 5432; s.sport = 40001;
	expect(TO_EP, s, PASS);
	ck_assert_uint_eq(run_raw(TO_EP, &denied, 3), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_ALLOWED), 2);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 3);
	ck_assert_uint_eq(stat_of(POLICY_STAT_SEEN), 5);
	ck_assert_uint_eq(counter(1).allowed, 2);
	ck_assert_uint_eq(counter(0).denied, 3);
	ck_assert_uint_eq(counter(0).denied_bytes, 3 * (uint64_t)denied.len);
	ck_assert_uint_eq(ct_count(), 2);
}
END_TEST

START_TEST(l3_l4)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, ID_FRONT, IPPROTO_TCP, 16, 80, 1, ALLOW);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 81, SYN), DROP);
	expect(TO_EP, UDP4(FRONT, EP_ADDR, 40000, 80), DROP);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 80, SYN), DROP);
	ck_assert_uint_eq(counter(1).allowed, 1);
	ck_assert_uint_eq(counter(0).denied, 3);
}
END_TEST

START_TEST(l4_only)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, POLICY_ID_ANY, IPPROTO_TCP, 16, 443, 3, ALLOW);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 443, SYN), PASS);
	expect(TO_EP, TCP4(OUTSIDE, EP_ADDR, 40000, 443, SYN), PASS);
	expect(TO_EP, TCP4(OUTSIDE, EP_ADDR, 40000, 444, SYN), DROP);
	ck_assert_uint_eq(counter(3).allowed, 2);
}
END_TEST

START_TEST(all)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, POLICY_ID_ANY, 0, L3, 0, 4, ALLOW);
	expect(TO_EP, TCP4(OUTSIDE, EP_ADDR, 40000, 1, SYN), PASS);
	expect(TO_EP, UDP4(OTHER, EP_ADDR, 40000, 53), PASS);
	expect(TO_EP, ((struct pkt_spec){ .family = 4, .src = OTHER, .dst = EP_ADDR,
		  .proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 5 }), PASS);
	ck_assert_uint_eq(counter(4).allowed, 3);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 0);
}
END_TEST

/* 80/14: 80..83 */
START_TEST(port_range)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, ID_FRONT, IPPROTO_TCP, 14, 80, 1, ALLOW);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 83, SYN), PASS);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 84, SYN), DROP);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 79, SYN), DROP);
	ck_assert_uint_eq(counter(1).allowed, 2);
	ck_assert_uint_eq(counter(0).denied, 2);
}
END_TEST

/* ---- deny beats allow ------------------------------------------------------ */

START_TEST(deny_peer_vs_any_allow)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, POLICY_ID_ANY, IPPROTO_TCP, 16, 80, 2, ALLOW);
	entry(IN, ID_FRONT, IPPROTO_TCP, 16, 80, 5, DENY);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), DROP);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 80, SYN), PASS);
	ck_assert_uint_eq(counter(5).denied, 1);
	ck_assert_uint_eq(counter(2).allowed, 1);
	ck_assert_uint_eq(counter(0).denied, 0);
}
END_TEST

/* A broader deny (FRONT, any port) compiled into the more specific allow
 * it covers (FRONT TCP/80 becomes a deny of the same rule). */
START_TEST(deny_compiled_into_specific)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, ID_FRONT, 0, L3, 0, 5, DENY);
	entry(IN, ID_FRONT, IPPROTO_TCP, 16, 80, 5, DENY);
	entry(IN, POLICY_ID_ANY, 0, L3, 0, 6, ALLOW);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), DROP);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 22, SYN), DROP);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 22, SYN), PASS);
	ck_assert_uint_eq(counter(5).denied, 2);
	ck_assert_uint_eq(counter(6).allowed, 1);
}
END_TEST

START_TEST(deny_any_vs_peer_allow)
{
	struct events ev;

	config.event_rate = 100;
	config.allowed_events = 1;
	config_write();
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, POLICY_ID_ANY, IPPROTO_TCP, 16, 80, 7, DENY);
	entry(IN, ID_FRONT, 0, L3, 0, 8, ALLOW);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), DROP);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 22, SYN), PASS);
	ck_assert_uint_eq(counter(7).denied, 1);
	ck_assert_uint_eq(counter(8).allowed, 1);
	drain(skel->maps.policy_events, &ev);
	ck_assert_int_eq(ev.n, 2);
	ck_assert_uint_eq(ev.ev[0].verdict, POLICY_VERDICT_DENIED);
	ck_assert_uint_eq(ev.ev[0].match, POLICY_MATCH_L4_ONLY);
	ck_assert_uint_eq(ev.ev[0].rule_id, 7);
	ck_assert_uint_eq(ev.ev[1].verdict, POLICY_VERDICT_ALLOWED);
	ck_assert_uint_eq(ev.ev[1].match, POLICY_MATCH_L3_ONLY);
	ck_assert_uint_eq(ev.ev[1].rule_id, 8);
}
END_TEST

/* ---- default deny, enforcement ------------------------------------------- */

START_TEST(default_deny_and_unenforced)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), DROP);
	/* egress is not enforced: the endpoint's own connections go out */
	expect(FROM_EP, TCP4(EP_ADDR, OUTSIDE, 40000, 443, SYN), PASS);
	ck_assert_uint_eq(stat_of(POLICY_STAT_UNENFORCED), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 1);
	ck_assert_uint_eq(counter(0).denied, 1);
	ck_assert_uint_eq(counter(0).allowed, 0);
	/* and their replies come in, tracked */
	expect(TO_EP, TCP4(OUTSIDE, EP_ADDR, 443, 40000, SYN | ACK), PASS);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_REPLY), 1);
	ck_assert_uint_eq(ct_count(), 1);
	/* a segment without SYN goes out untracked (a retransmission after
	 * a cut must not open a connection whose replies would pass) ... */
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, ACK), PASS);
	ck_assert_uint_eq(ct_count(), 1);
	/* ... so the peer's answer is decided by the ingress policy */
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, ACK), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 2);
	/* nothing enforced: everything passes */
	ep_set(0);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 81, SYN), PASS);
	ck_assert_uint_eq(stat_of(POLICY_STAT_UNENFORCED), 3);
}
END_TEST

/* ---- peers: world, host, CIDR, IPv6 -------------------------------------- */

START_TEST(world_host_cidr)
{
	struct policy_ct_key k = { .ifindex = EP_IFINDEX, .family = 4,
				   .proto = IPPROTO_TCP, .sport = htons(40000),
				   .dport = htons(5432) };
	struct policy_ct_value v;

	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, POLICY_ID_WORLD, IPPROTO_TCP, 16, 80, 1, ALLOW);
	entry(IN, POLICY_ID_HOST, 0, L3, 0, 2, ALLOW);
	entry(IN, ID_CIDR, IPPROTO_TCP, 16, 5432, 3, ALLOW);
	expect(TO_EP, TCP4(OUTSIDE, EP_ADDR, 40000, 80, SYN), PASS);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 80, SYN), DROP); /* not world */
	expect(TO_EP, TCP4(HOST, EP_ADDR, 40000, 9999, SYN), PASS);
	expect(TO_EP, TCP4("192.168.5.5", EP_ADDR, 40000, 5432, SYN), PASS);
	expect(TO_EP, TCP4("192.169.0.1", EP_ADDR, 40000, 5432, SYN), DROP);
	ck_assert_uint_eq(counter(1).allowed, 1);
	ck_assert_uint_eq(counter(2).allowed, 1);
	ck_assert_uint_eq(counter(3).allowed, 1);
	inet_pton(AF_INET, "192.168.5.5", k.saddr);
	inet_pton(AF_INET, EP_ADDR, k.daddr);
	ck_assert_int_eq(bpf_map_lookup_elem(map_fd(skel->maps.policy_ct), &k, &v), 0);
	ck_assert_uint_eq(v.peer_identity, ID_CIDR);
	ck_assert_uint_eq(v.rule_id, 3);
	ck_assert_uint_eq(v.dir, POLICY_DIR_INGRESS);
	ck_assert_uint_eq(v.state, POLICY_CT_SYN_ORIG);
	ck_assert_uint_eq(v.generation, 1);
}
END_TEST

START_TEST(ipv6)
{
	struct pkt_spec s = { .family = 6, .src = "fd00::1", .dst = "fd00::2",
			      .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
			      .tcp_flags = SYN };

	ep_set(POLICY_ENFORCE_INGRESS | POLICY_ENFORCE_EGRESS);
	entry(IN, ID_FRONT, IPPROTO_TCP, 16, 80, 1, ALLOW);
	expect(TO_EP, s, PASS);
	s.src = "fd00::3";
	expect(TO_EP, s, DROP);
	/* the reply of the first, in the other direction (denied there) */
	s = (struct pkt_spec){ .family = 6, .src = "fd00::2", .dst = "fd00::1",
			       .proto = IPPROTO_TCP, .sport = 80, .dport = 40000,
			       .tcp_flags = SYN | ACK };
	expect(FROM_EP, s, PASS);
	s.dport = 40001;
	expect(FROM_EP, s, DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_REPLY), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 2);
}
END_TEST

START_TEST(nd_non_ip_malformed_non_endpoint)
{
	struct pkt_spec s = { .family = 6, .src = "fe80::1", .dst = "ff02::1",
			      .proto = IPPROTO_ICMPV6, .icmp_type = 135 };
	struct pkt_layout l;
	struct packet p;

	ep_set(POLICY_ENFORCE_INGRESS | POLICY_ENFORCE_EGRESS);
	expect(TO_EP, s, PASS);
	s.icmp_type = 136;
	expect(FROM_EP, s, PASS);
	s.icmp_type = 128; /* echo is no ND: denied */
	expect(TO_EP, s, DROP);
	expect(TO_EP, ((struct pkt_spec){ .ethertype = 0x0806, .payload_len = 28 }),
	       PASS);
	ck_assert_uint_eq(stat_of(POLICY_STAT_NOT_IP), 3);

	/* IPv4 header length 16 (ihl 4): malformed, dropped */
	s = TCP4(FRONT, EP_ADDR, 40000, 80, SYN);
	p.len = pktgen_build(&s, p.buf, sizeof(p.buf), &l);
	ck_assert_int_gt(p.len, 0);
	p.buf[l.l3_off] = 0x44;
	ck_assert_uint_eq(run_raw(TO_EP, &p, 1), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_MALFORMED), 1);

	/* not an endpoint: passes, counted, nothing else */
	clear_hash(skel->maps.policy_endpoints);
	ck_assert_uint_eq(run_raw(TO_EP, &p, 1), PASS);
	expect(TO_EP, TCP4(OTHER, EP_ADDR, 40000, 80, SYN), PASS);
	ck_assert_uint_eq(stat_of(POLICY_STAT_NOT_ENDPOINT), 2);
	ck_assert_uint_eq(stat_of(POLICY_STAT_MALFORMED), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_SEEN), 7);
	ck_assert_uint_eq(ct_count(), 0);
}
END_TEST

/* ---- connection tracking --------------------------------------------------- */

static struct policy_ct_value ct_get(const char *src, const char *dst,
				     uint8_t proto, uint16_t sp, uint16_t dp)
{
	struct policy_ct_key k = { .ifindex = EP_IFINDEX, .family = 4,
				   .proto = proto, .sport = htons(sp),
				   .dport = htons(dp) };
	struct policy_ct_value v;

	inet_pton(AF_INET, src, k.saddr);
	inet_pton(AF_INET, dst, k.daddr);
	ck_assert_msg(bpf_map_lookup_elem(map_fd(skel->maps.policy_ct), &k, &v) == 0,
		      "no connection %s:%u -> %s:%u", src, sp, dst, dp);
	return v;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* FRONT -> endpoint:80 allowed; the endpoint's egress denies everything. */
static void classic(void)
{
	ep_set(POLICY_ENFORCE_INGRESS | POLICY_ENFORCE_EGRESS);
	entry(IN, ID_FRONT, IPPROTO_TCP, 16, 80, 1, ALLOW);
}

START_TEST(ct_reply_both_ways)
{
	struct policy_ct_value v;

	classic();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	v = ct_get(FRONT, EP_ADDR, IPPROTO_TCP, 40000, 80);
	ck_assert_uint_eq(v.state, POLICY_CT_SYN_ORIG);
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, SYN | ACK), PASS);
	v = ct_get(FRONT, EP_ADDR, IPPROTO_TCP, 40000, 80);
	ck_assert_uint_eq(v.state, POLICY_CT_SYN_ORIG | POLICY_CT_SYNACK_REPLY);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, ACK), PASS);
	v = ct_get(FRONT, EP_ADDR, IPPROTO_TCP, 40000, 80);
	ck_assert_uint_eq(v.packets, 3);
	/* the endpoint's own new connection: egress denies it */
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40001, SYN | ACK), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_HIT), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_REPLY), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_ALLOWED), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 1);
	ck_assert_uint_eq(counter(1).allowed, 1); /* connections, not packets */
	ck_assert_uint_eq(ct_count(), 1);
}
END_TEST

START_TEST(ct_generation_denied)
{
	classic();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, SYN | ACK), PASS);
	/* the rule goes: new bank without it, generation + 1 */
	memset(bank_lens[1], 0, sizeof(bank_lens[1]));
	ep.bank = 1;
	ep.generation = 2;
	ep_write();
	/* a reply: decided again in the original (ingress) direction */
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, ACK), DROP);
	ck_assert_uint_eq(ct_count(), 0);
	ck_assert_uint_eq(stat_of(POLICY_STAT_REEVAL), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_REEVAL_DENIED), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 1);
	ck_assert_uint_eq(counter(0).denied, 1);
	/* and then it is a new packet of an unknown connection */
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, ACK), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_REEVAL), 1);
}
END_TEST

START_TEST(ct_generation_still_allowed)
{
	struct policy_ct_value v;
	struct events ev;

	config.event_rate = 100;
	config_write();
	classic();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	/* new bank with the same rule (another id), generation + 1 */
	entry_bank(1, IN, ID_FRONT, IPPROTO_TCP, 16, 80, 9, ALLOW);
	ep.bank = 1;
	ep.generation = 2;
	ep_write();
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, SYN | ACK), PASS);
	v = ct_get(FRONT, EP_ADDR, IPPROTO_TCP, 40000, 80);
	ck_assert_uint_eq(v.generation, 2);
	ck_assert_uint_eq(v.rule_id, 9);
	ck_assert_uint_eq(v.state, POLICY_CT_SYN_ORIG | POLICY_CT_SYNACK_REPLY);
	ck_assert_uint_eq(stat_of(POLICY_STAT_REEVAL), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_REEVAL_DENIED), 0);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, ACK), PASS);
	ck_assert_uint_eq(stat_of(POLICY_STAT_REEVAL), 1);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_HIT), 1);
	/* allowed verdicts are not sent unless asked */
	drain(skel->maps.policy_events, &ev);
	ck_assert_int_eq(ev.n, 0);
}
END_TEST

START_TEST(ct_expiry)
{
	config.ct_other_ns = 200 * 1000000ull; /* 200 ms */
	config_write();
	ep_set(POLICY_ENFORCE_INGRESS | POLICY_ENFORCE_EGRESS);
	entry(IN, ID_FRONT, IPPROTO_UDP, 16, 53, 1, ALLOW);
	expect(TO_EP, UDP4(FRONT, EP_ADDR, 5000, 53), PASS);
	expect(FROM_EP, UDP4(EP_ADDR, FRONT, 53, 5000), PASS);
	usleep(400 * 1000);
	expect(FROM_EP, UDP4(EP_ADDR, FRONT, 53, 5000), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_REPLY), 1);
}
END_TEST

/* The timeout a connection got: its expiry minus now, in ms. */
static int64_t ct_left_ms(uint16_t sport)
{
	struct policy_ct_value v = ct_get(FRONT, EP_ADDR, IPPROTO_TCP, sport, 80);

	return ((int64_t)v.expires_ns - (int64_t)mono_ns()) / 1000000;
}

START_TEST(ct_tcp_states)
{
	int64_t left;

	config.ct_syn_ns = 30ull * 1000000000;
	config.ct_tcp_ns = 3600ull * 1000000000;
	config.ct_closing_ns = 5ull * 1000000000;
	config_write();
	classic();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	left = ct_left_ms(40000);
	ck_assert_msg(left > 25000 && left <= 30000, "syn: %lld ms", (long long)left);
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, SYN | ACK), PASS);
	left = ct_left_ms(40000);
	ck_assert_msg(left > 3500000, "established: %lld ms", (long long)left);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, FIN | ACK), PASS);
	ck_assert_msg(ct_left_ms(40000) > 3500000, "one FIN");
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40000, FIN | ACK), PASS);
	left = ct_left_ms(40000);
	ck_assert_msg(left > 0 && left <= 5000, "closing: %lld ms", (long long)left);
	ck_assert_uint_eq(ct_get(FRONT, EP_ADDR, IPPROTO_TCP, 40000, 80).state,
			  POLICY_CT_SYN_ORIG | POLICY_CT_SYNACK_REPLY |
			  POLICY_CT_FIN_ORIG | POLICY_CT_FIN_REPLY);
	/* a new SYN on the closed tuple opens it again */
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	ck_assert_uint_eq(ct_get(FRONT, EP_ADDR, IPPROTO_TCP, 40000, 80).state,
			  POLICY_CT_SYN_ORIG);

	/* RST from the endpoint: closing at once */
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40001, 80, SYN), PASS);
	expect(FROM_EP, TCP4(EP_ADDR, FRONT, 80, 40001, RST | ACK), PASS);
	left = ct_left_ms(40001);
	ck_assert_msg(left > 0 && left <= 5000, "rst: %lld ms", (long long)left);

	/* 0 in the config: the built-in defaults (60 s before SYN+ACK) */
	memset(&config, 0, sizeof(config));
	config_write();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40002, 80, SYN), PASS);
	left = ct_left_ms(40002);
	ck_assert_msg(left > 55000 && left <= 60000, "default syn: %lld ms",
		      (long long)left);
}
END_TEST

#define ECHO4(s, d, t, id) (struct pkt_spec){ .family = 4, .src = (s), \
	.dst = (d), .proto = IPPROTO_ICMP, .icmp_type = (t), .icmp_id = (id) }

START_TEST(icmp_echo_and_errors)
{
	uint8_t inner[28];
	struct pkt_layout l;
	struct packet p;
	struct pkt_spec s;

	ep_set(POLICY_ENFORCE_INGRESS | POLICY_ENFORCE_EGRESS);
	entry(IN, ID_FRONT, IPPROTO_ICMP, 0, 0, 1, ALLOW);
	entry(OUT, POLICY_ID_WORLD, IPPROTO_TCP, 16, 443, 2, ALLOW);
	expect(TO_EP, ECHO4(FRONT, EP_ADDR, 8, 77), PASS);
	expect(FROM_EP, ECHO4(EP_ADDR, FRONT, 0, 77), PASS);
	expect(FROM_EP, ECHO4(EP_ADDR, FRONT, 0, 78), DROP);
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_REPLY), 1);

	/* the endpoint connects out; a router's port unreachable about it */
	s = TCP4(EP_ADDR, OUTSIDE, 40000, 443, SYN);
	p.len = pktgen_build(&s, p.buf, sizeof(p.buf), &l);
	ck_assert_int_gt(p.len, 0);
	memcpy(inner, p.buf + l.l3_off, sizeof(inner));
	s = (struct pkt_spec){ .family = 4, .src = "192.0.2.1", .dst = EP_ADDR,
			       .proto = IPPROTO_ICMP, .icmp_type = 3,
			       .icmp_code = 3, .payload = inner,
			       .payload_len = sizeof(inner) };
	expect(TO_EP, s, DROP); /* no connection yet: decided, denied */
	ck_assert_uint_eq(run_raw(FROM_EP, &p, 1), PASS);
	expect(TO_EP, s, PASS); /* related */
	ck_assert_uint_eq(stat_of(POLICY_STAT_CT_REPLY), 2);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 2);
}
END_TEST

/* ---- banks ----------------------------------------------------------------- */

START_TEST(bank_flip)
{
	ep_set(POLICY_ENFORCE_INGRESS);
	entry_bank(1, IN, ID_FRONT, IPPROTO_TCP, 16, 80, 1, ALLOW);
	ep_write(); /* still bank 0 */
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), DROP);
	ep.bank = 1;
	ep.generation++;
	ep_write();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 80, SYN), PASS);
	/* bank 1's lengths with the entry in bank 0 only: not found */
	clear_hash(skel->maps.policy_ct);
	ep.bank = 0;
	ep_write();
	memcpy(ep.lens, bank_lens[1], sizeof(ep.lens));
	ck_assert_int_eq(bpf_map_update_elem(map_fd(skel->maps.policy_endpoints),
					     &(uint32_t){ EP_IFINDEX }, &ep, 0), 0);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40001, 80, SYN), DROP);
}
END_TEST

/* ---- events ------------------------------------------------------------------ */

static void check_event(const struct policy_verdict_event *e, int len)
{
	uint32_t front, ep_addr;

	inet_pton(AF_INET, FRONT, &front);
	inet_pton(AF_INET, EP_ADDR, &ep_addr);
	ck_assert_uint_eq(e->hdr.type, EBPFNET_EV_VERDICT);
	ck_assert_uint_eq(e->hdr.version, POLICY_VERDICT_VERSION);
	ck_assert_uint_eq(e->hdr.size, sizeof(*e));
	ck_assert_uint_ne(e->hdr.time_ns, 0);
	ck_assert_uint_eq(e->ifindex, EP_IFINDEX);
	ck_assert_uint_eq(e->ep_identity, EP_IDENTITY);
	ck_assert_uint_eq(e->peer_identity, ID_FRONT);
	ck_assert_uint_eq(e->rule_id, 5);
	ck_assert_uint_eq(e->verdict, POLICY_VERDICT_DENIED);
	ck_assert_uint_eq(e->dir, POLICY_DIR_INGRESS);
	ck_assert_uint_eq(e->match, POLICY_MATCH_L3_L4);
	ck_assert_uint_eq(e->family, PKT_FAMILY_IPV4);
	ck_assert_uint_eq(e->proto, IPPROTO_TCP);
	ck_assert_uint_eq(e->tcp_flags, SYN);
	ck_assert_uint_eq(e->reeval, 0);
	ck_assert_uint_eq(e->pkt_len, (uint32_t)len);
	ck_assert_uint_eq(ntohs(e->sport), 40000);
	ck_assert_uint_eq(ntohs(e->dport), 80);
	ck_assert_uint_eq(e->saddr[0], front);
	ck_assert_uint_eq(e->daddr[0], ep_addr);
}

START_TEST(events_and_monitor)
{
	struct pkt_spec s = TCP4(FRONT, EP_ADDR, 40000, 80, SYN);
	struct packet p = build(&s);
	static struct events ev, mon;

	config.event_rate = 100;
	config_write();
	ep_set(POLICY_ENFORCE_INGRESS);
	entry(IN, ID_FRONT, IPPROTO_TCP, 16, 80, 5, DENY);
	ck_assert_uint_eq(run_raw(TO_EP, &p, 1), DROP);
	drain(skel->maps.policy_events, &ev);
	drain(skel->maps.ebpfnet_monitor, &mon);
	ck_assert_int_eq(ev.n, 1);
	ck_assert_int_eq(mon.n, 1);
	check_event(&ev.ev[0], p.len);
	ck_assert_int_eq(memcmp(&ev.ev[0], &mon.ev[0], sizeof(ev.ev[0])), 0);
	ck_assert_uint_eq(stat_of(POLICY_STAT_EV_SENT), 1);

	/* allowed: only with allowed_events */
	entry(IN, POLICY_ID_ANY, IPPROTO_TCP, 16, 81, 6, ALLOW);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40000, 81, SYN), PASS);
	drain(skel->maps.policy_events, &ev);
	ck_assert_int_eq(ev.n, 0);
	config.allowed_events = 1;
	config_write();
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40001, 81, SYN), PASS);
	expect(TO_EP, TCP4(FRONT, EP_ADDR, 40001, 81, ACK), PASS); /* tracked */
	drain(skel->maps.policy_events, &ev);
	drain(skel->maps.ebpfnet_monitor, &mon);
	ck_assert_int_eq(ev.n, 1);
	ck_assert_int_eq(mon.n, 1);
	ck_assert_uint_eq(ev.ev[0].verdict, POLICY_VERDICT_ALLOWED);
	ck_assert_uint_eq(ev.ev[0].match, POLICY_MATCH_L4_ONLY);
	ck_assert_uint_eq(ev.ev[0].rule_id, 6);

	/* rate 0: no events at all */
	config.event_rate = 0;
	config_write();
	ck_assert_uint_eq(run_raw(TO_EP, &p, 1), DROP);
	drain(skel->maps.policy_events, &ev);
	ck_assert_int_eq(ev.n, 0);
	ck_assert_uint_eq(stat_of(POLICY_STAT_EV_SUPPRESSED), 0);
	ck_assert_uint_eq(stat_of(POLICY_STAT_EV_SENT), 2);
}
END_TEST

START_TEST(event_rate_limit)
{
	struct pkt_spec s = TCP4(FRONT, EP_ADDR, 40000, 80, SYN);
	struct packet p = build(&s);
	static struct events ev;

	config.event_rate = 3;
	config_write();
	ep_set(POLICY_ENFORCE_INGRESS);
	/* 10 denied packets in one run (one CPU): 3 events */
	ck_assert_uint_eq(run_raw(TO_EP, &p, 10), DROP);
	drain(skel->maps.policy_events, &ev);
	ck_assert_int_eq(ev.n, 3);
	ck_assert_uint_eq(stat_of(POLICY_STAT_EV_SENT), 3);
	ck_assert_uint_eq(stat_of(POLICY_STAT_EV_SUPPRESSED), 7);
	ck_assert_uint_eq(stat_of(POLICY_STAT_DENIED), 10);
	ck_assert_uint_eq(counter(0).denied, 10);
	ck_assert_uint_eq(counter(0).denied_bytes, 10 * (uint64_t)p.len);
}
END_TEST

/* ---- suite --------------------------------------------------------------------- */

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy_datapath");
	TCase *tc = tcase_create("datapath");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, l3_only);
	tcase_add_test(tc, l3_l4);
	tcase_add_test(tc, l4_only);
	tcase_add_test(tc, all);
	tcase_add_test(tc, port_range);
	tcase_add_test(tc, deny_peer_vs_any_allow);
	tcase_add_test(tc, deny_compiled_into_specific);
	tcase_add_test(tc, deny_any_vs_peer_allow);
	tcase_add_test(tc, default_deny_and_unenforced);
	tcase_add_test(tc, world_host_cidr);
	tcase_add_test(tc, ipv6);
	tcase_add_test(tc, nd_non_ip_malformed_non_endpoint);
	tcase_add_test(tc, ct_reply_both_ways);
	tcase_add_test(tc, ct_generation_denied);
	tcase_add_test(tc, ct_generation_still_allowed);
	tcase_add_test(tc, ct_expiry);
	tcase_add_test(tc, ct_tcp_states);
	tcase_add_test(tc, icmp_echo_and_errors);
	tcase_add_test(tc, bank_flip);
	tcase_add_test(tc, events_and_monitor);
	tcase_add_test(tc, event_rate_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	test_require_root();
	return test_run_suite(policy_suite(), CK_NORMAL);
}
