/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The flow observer's datapath (root): crafted packets run through
 * flow_ingress / flow_egress (bpf/flow.bpf.c, from the library's
 * skeleton) with BPF_PROG_TEST_RUN, then the exact flow_table entries,
 * flow_stats counters and flow_events records checked against what
 * flow_abi.h says the observer does.
 *
 * Every run also checks that the program returned TC_ACT_UNSPEC and left
 * the packet as it was. A test run's packet arrives on the loopback
 * device: every key's ifindex is 1.
 *
 * Each test loads its own copy of the programs and maps (a checked
 * fixture: in the test's own process, gone with it) and runs on one CPU,
 * so that the per-CPU event budget is the one it counts on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check_run.h"
#include "flow.skel.h"
#include "flow_abi.h"
#include "parse.h"
#include "pktgen.h"
#include "priv.h"
#include "prog_run.h"

#define LO_IFINDEX 1        /* where a test run's packet arrives */
#define TABLE_SIZE 1024     /* flow_table entries of each test's copy */
#define MAX_EVENTS 64
#define RATE_PLENTY 1000000 /* an event rate no test reaches */

#define A4 "10.0.0.1"
#define B4 "10.0.0.2"
#define A6 "fd00::1"
#define B6 "fd00::2"

/* ---- fixture: the programs and maps, and the events read back ---------- */

struct event_copy {
	size_t len;
	union {
		struct flow_event_head head;
		struct flow_event flow;
		struct flow_dns_event dns;
	};
};

static struct flow_bpf *skel;
static struct ring_buffer *ring;
static struct event_copy events[MAX_EVENTS];
static int n_events;

static int on_event(void *ctx, void *data, size_t len)
{
	struct event_copy *e;

	(void)ctx;
	ck_assert_msg(n_events < MAX_EVENTS, "more than %d events", MAX_EVENTS);
	ck_assert_msg(len >= sizeof(struct flow_event_head) &&
		      len <= sizeof(e->dns), "record of %zu bytes", len);
	e = &events[n_events++];
	memset(e, 0, sizeof(*e));
	e->len = len;
	memcpy(&e->head, data, len);
	return 0;
}

static void set_config(uint64_t interval_ns, uint32_t event_rate, uint32_t dns)
{
	struct flow_config c = { .interval_ns = interval_ns,
				 .event_rate = event_rate, .dns = dns };
	uint32_t zero = 0;

	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(skel->maps.flow_config),
					     &zero, &c, BPF_ANY), 0);
}

static void setup(void)
{
	cpu_set_t one;
	int err;

	/* one CPU: one event budget, one per-CPU slot of the stats */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);

	skel = flow_bpf__open();
	ck_assert_msg(skel, "flow_bpf__open: %s", strerror(errno));
	ck_assert_int_eq(bpf_map__set_max_entries(skel->maps.flow_table,
						  TABLE_SIZE), 0);
	err = flow_bpf__load(skel);
	ck_assert_msg(err == 0, "flow_bpf__load: %s", strerror(-err));
	ring = ring_buffer__new(bpf_map__fd(skel->maps.flow_events), on_event,
				NULL, NULL);
	ck_assert_msg(ring, "ring_buffer__new: %s", strerror(errno));
	n_events = 0;
	set_config(0, RATE_PLENTY, 1);
}

static void teardown(void)
{
	ring_buffer__free(ring);
	ring = NULL;
	flow_bpf__destroy(skel);
	skel = NULL;
}

/* Read what the runs so far sent; the number of records now held. */
static int read_events(void)
{
	int ret = ring_buffer__consume(ring);

	ck_assert_msg(ret >= 0, "ring_buffer__consume: %d", ret);
	return n_events;
}

/* ---- packets ------------------------------------------------------------- */

struct packet {
	uint8_t buf[PKTGEN_MAX_LEN];
	int len;
	struct pkt_layout l;
};

static void build(const struct pkt_spec *s, struct packet *p)
{
	p->len = pktgen_build(s, p->buf, sizeof(p->buf), &p->l);
	ck_assert_msg(p->len > 0, "pktgen_build: %d", p->len);
}

enum hook { INGRESS, EGRESS };

/*
 * Run [buf, buf + len) through the hook's program once. 0 when it ran
 * (TC_ACT_UNSPEC, the packet unchanged: checked), -EINVAL when the kernel
 * refused it (allowed with may_refuse only).
 */
static int run_bytes(enum hook hook, const void *buf, size_t len,
		     bool may_refuse)
{
	static struct test_run_result r; /* 8 KiB: not on the stack */
	struct bpf_program *prog = hook == INGRESS ? skel->progs.flow_ingress :
						    skel->progs.flow_egress;
	int ret = test_run_skb(bpf_program__fd(prog), buf, len, 1, NULL, &r);

	if (ret == -EINVAL && may_refuse)
		return ret;
	ck_assert_msg(ret == 0, "test_run (%zu bytes): %s", len, strerror(-ret));
	ck_assert_msg((int32_t)r.retval == TC_ACT_UNSPEC,
		      "returned %d, expected TC_ACT_UNSPEC", (int32_t)r.retval);
	ck_assert_msg(r.data_out_len == len && !memcmp(r.data_out, buf, len),
		      "the program changed the packet (%u bytes out of %zu)",
		      r.data_out_len, len);
	return 0;
}

/* Build and run; the frame's length. */
static uint32_t run(enum hook hook, const struct pkt_spec *s)
{
	struct packet p;

	build(s, &p);
	run_bytes(hook, p.buf, (size_t)p.len, false);
	return (uint32_t)p.len;
}

/* ---- table and counters ----------------------------------------------------- */

static void parse_addr(int family, const char *text, __be32 addr[4])
{
	memset(addr, 0, 16);
	ck_assert_int_eq(inet_pton(family == 4 ? AF_INET : AF_INET6, text, addr), 1);
}

/* The key of a flow initiated by a:pa towards b:pb (host order ports). */
static struct flow_key make_key(int family, uint8_t proto, const char *a,
				uint16_t pa, const char *b, uint16_t pb)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.ifindex = LO_IFINDEX;
	k.family = family == 4 ? PKT_FAMILY_IPV4 : PKT_FAMILY_IPV6;
	k.proto = proto;
	k.port_a = htons(pa);
	k.port_b = htons(pb);
	parse_addr(family, a, k.addr_a);
	parse_addr(family, b, k.addr_b);
	return k;
}

static int table_count(void)
{
	int fd = bpf_map__fd(skel->maps.flow_table), n = 0;
	struct flow_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static struct flow_value lookup(const struct flow_key *k)
{
	struct flow_value v;
	int ret = bpf_map_lookup_elem(bpf_map__fd(skel->maps.flow_table), k, &v);

	ck_assert_msg(ret == 0, "no flow for the expected key (%d flows)",
		      table_count());
	return v;
}

/* The sum over CPUs of flow_stats[stat] (.packets, or .bytes). */
static uint64_t stat_sum(enum flow_stat stat, bool bytes)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	struct flow_counter *c = calloc((size_t)ncpus, sizeof(*c));
	uint32_t key = stat;
	uint64_t sum = 0;

	ck_assert(ncpus > 0 && c);
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flow_stats),
					     &key, c), 0);
	for (i = 0; i < ncpus; i++)
		sum += bytes ? c[i].bytes : c[i].packets;
	free(c);
	return sum;
}

static uint64_t stat_packets(enum flow_stat s)
{
	return stat_sum(s, false);
}

/* What a flow must hold (its time stamps are checked for order only). */
struct want_flow {
	uint64_t packets[2], bytes[2];
	uint8_t flags[2];
	uint8_t state;
	uint8_t icmp_type, icmp_code;
};

static void expect_value(const char *what, const struct flow_value *v,
			 const struct want_flow *w)
{
	int d;

	for (d = 0; d < 2; d++) {
		ck_assert_msg(v->dir[d].packets == w->packets[d] &&
			      v->dir[d].bytes == w->bytes[d],
			      "%s: dir %d has %llu packets / %llu bytes, expected %llu / %llu",
			      what, d, (unsigned long long)v->dir[d].packets,
			      (unsigned long long)v->dir[d].bytes,
			      (unsigned long long)w->packets[d],
			      (unsigned long long)w->bytes[d]);
		ck_assert_msg(v->tcp_flags[d] == w->flags[d],
			      "%s: dir %d flags 0x%02x, expected 0x%02x", what,
			      d, v->tcp_flags[d], w->flags[d]);
	}
	ck_assert_msg(v->state == w->state, "%s: state 0x%02x, expected 0x%02x",
		      what, v->state, w->state);
	ck_assert_msg(v->icmp_type == w->icmp_type && v->icmp_code == w->icmp_code,
		      "%s: icmp %u/%u, expected %u/%u", what, v->icmp_type,
		      v->icmp_code, w->icmp_type, w->icmp_code);
	ck_assert_msg(v->first_ns && v->first_ns <= v->last_ns &&
		      v->first_ns <= v->export_ns && v->export_ns <= v->last_ns,
		      "%s: times first %llu last %llu export %llu", what,
		      (unsigned long long)v->first_ns,
		      (unsigned long long)v->last_ns,
		      (unsigned long long)v->export_ns);
	ck_assert(!v->pad[0] && !v->pad[1] && !v->pad[2]);
}

static void expect_flow(const struct flow_key *k, const struct want_flow *w)
{
	struct flow_value v = lookup(k);

	expect_value("table", &v, w);
}

/* Record i: kind, packet direction, flags, length and the flow's key. */
static const struct event_copy *expect_event(int i, uint8_t kind, uint8_t dir,
					     uint8_t flags, uint32_t pkt_len,
					     const struct flow_key *k)
{
	const struct event_copy *e = &events[i];
	const struct flow_event_head *h = &e->head;
	size_t size = kind == FLOW_EV_DNS ? sizeof(struct flow_dns_event) :
					    sizeof(struct flow_event);

	ck_assert_msg(i < n_events, "record %d missing (%d read)", i, n_events);
	ck_assert_uint_eq(h->hdr.type, EBPFNET_EV_FLOW);
	ck_assert_uint_eq(h->hdr.version, FLOW_EVENT_VERSION);
	ck_assert_uint_eq(h->hdr.size, size);
	ck_assert_uint_ge(e->len, size);
	ck_assert_msg(h->hdr.time_ns != 0, "record %d: no time", i);
	ck_assert_msg(h->kind == kind && h->dir == dir,
		      "record %d: kind %u dir %u, expected kind %u dir %u", i,
		      h->kind, h->dir, kind, dir);
	ck_assert_msg(h->tcp_flags == flags, "record %d: flags 0x%02x, expected 0x%02x",
		      i, h->tcp_flags, flags);
	ck_assert_uint_eq(h->pkt_len, pkt_len);
	ck_assert_msg(!memcmp(&h->key, k, sizeof(*k)), "record %d: another key", i);
	return e;
}

/* ---- packet shorthands ---------------------------------------------------------- */

static const char *addr_a(int family)
{
	return family == 4 ? A4 : A6;
}

static const char *addr_b(int family)
{
	return family == 4 ? B4 : B6;
}

/* TCP from a:40000 to b:80 (to_b) or back, with flags and payload. */
static struct pkt_spec tcp_spec(int family, bool to_b, uint8_t flags,
				size_t payload_len)
{
	struct pkt_spec s = { .family = family, .proto = IPPROTO_TCP,
			      .tcp_flags = flags, .payload_len = payload_len };

	s.src = to_b ? addr_a(family) : addr_b(family);
	s.dst = to_b ? addr_b(family) : addr_a(family);
	s.sport = to_b ? 40000 : 80;
	s.dport = to_b ? 80 : 40000;
	return s;
}

static struct pkt_spec udp_spec(int family, bool to_b, uint16_t pa,
				uint16_t pb, size_t payload_len)
{
	struct pkt_spec s = { .family = family, .proto = IPPROTO_UDP,
			      .payload_len = payload_len };

	s.src = to_b ? addr_a(family) : addr_b(family);
	s.dst = to_b ? addr_b(family) : addr_a(family);
	s.sport = to_b ? pa : pb;
	s.dport = to_b ? pb : pa;
	return s;
}

#define SYN FLOW_TCP_SYN
#define ACK FLOW_TCP_ACK
#define FIN FLOW_TCP_FIN
#define RST FLOW_TCP_RST
#define PSH FLOW_TCP_PSH

/* ---- TCP: one connection, both ways, one flow ----------------------------------- */

/* Handshake, data both ways, FIN both ways, last ACK: the flow's
 * counters, flags and state, and the four exports (NEW with the first
 * SYN, FLAGS for each later new SYN/FIN, END on the second FIN). */
static void tcp_conversation(int family)
{
	static const struct { bool to_b; uint8_t flags; size_t payload; } seq[] = {
		{ true, SYN, 0 }, { false, SYN | ACK, 0 }, { true, ACK, 0 },
		{ true, PSH | ACK, 100 }, { false, PSH | ACK, 200 },
		{ true, FIN | ACK, 0 }, { false, FIN | ACK, 0 }, { true, ACK, 0 },
	};
	struct flow_key k = make_key(family, IPPROTO_TCP, addr_a(family), 40000,
				     addr_b(family), 80);
	struct want_flow w = { .state = FLOW_ST_INGRESS };
	uint32_t len[8];
	size_t i;

	for (i = 0; i < 8; i++) {
		struct pkt_spec s = tcp_spec(family, seq[i].to_b, seq[i].flags,
					     seq[i].payload);
		int d = seq[i].to_b ? FLOW_DIR_ORIG : FLOW_DIR_REPLY;

		len[i] = run(INGRESS, &s);
		w.packets[d]++;
		w.bytes[d] += len[i];
		w.flags[d] |= seq[i].flags;
	}
	w.state |= FLOW_ST_FIN_ORIG | FLOW_ST_FIN_REPLY | FLOW_ST_CLOSED;
	ck_assert_int_eq(table_count(), 1);
	expect_flow(&k, &w);

	ck_assert_int_eq(read_events(), 4);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, SYN, len[0], &k);
	expect_event(1, FLOW_EV_FLAGS, FLOW_DIR_REPLY, SYN | ACK, len[1], &k);
	expect_event(2, FLOW_EV_FLAGS, FLOW_DIR_ORIG, FIN | ACK, len[5], &k);
	expect_event(3, FLOW_EV_END, FLOW_DIR_REPLY, FIN | ACK, len[6], &k);
	/* the END record carries the flow after its packet: all but the
	 * last ACK */
	w.packets[FLOW_DIR_ORIG]--;
	w.bytes[FLOW_DIR_ORIG] -= len[7];
	expect_value("END record", &events[3].flow.value, &w);
	ck_assert(events[3].head.ingress == 1);

	ck_assert_uint_eq(stat_packets(FLOW_STAT_SEEN), 8);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_NEW), 1);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_EV_SENT), 4);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_MALFORMED) + stat_packets(FLOW_STAT_NOT_IP) +
			  stat_packets(FLOW_STAT_TABLE_FULL) + stat_packets(FLOW_STAT_EV_LOST) +
			  stat_packets(FLOW_STAT_EV_SUPPRESSED) + stat_packets(FLOW_STAT_DNS_SENT), 0);
}

START_TEST(test_tcp4_conversation)
{
	tcp_conversation(4);
}
END_TEST

START_TEST(test_tcp6_conversation)
{
	tcp_conversation(6);
}
END_TEST

/* A SYN+ACK seen first (the SYN was not): the flow is created the other
 * way round, the packet counted as its reply; the client's ACK folds in. */
START_TEST(test_synack_first)
{
	struct flow_key k = make_key(4, IPPROTO_TCP, A4, 40000, B4, 80);
	struct pkt_spec synack = tcp_spec(4, false, SYN | ACK, 0);
	struct pkt_spec ack = tcp_spec(4, true, ACK, 0);
	uint32_t l1, l2;

	l1 = run(EGRESS, &synack);
	l2 = run(EGRESS, &ack);
	ck_assert_int_eq(table_count(), 1);
	expect_flow(&k, &(struct want_flow){
		.packets = { 1, 1 }, .bytes = { l2, l1 },
		.flags = { ACK, SYN | ACK }, .state = FLOW_ST_SYNACK_FIRST });
	ck_assert_int_eq(read_events(), 1);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_REPLY, SYN | ACK, l1, &k);
	ck_assert(events[0].head.ingress == 0);
}
END_TEST

/* An RST ends the flow at once (END wins over the new flag). */
START_TEST(test_tcp_rst_ends)
{
	struct flow_key k = make_key(6, IPPROTO_TCP, A6, 40000, B6, 80);
	struct pkt_spec syn = tcp_spec(6, true, SYN, 0);
	struct pkt_spec rst = tcp_spec(6, false, RST | ACK, 0);
	uint32_t l1, l2;

	l1 = run(INGRESS, &syn);
	l2 = run(INGRESS, &rst);
	expect_flow(&k, &(struct want_flow){
		.packets = { 1, 1 }, .bytes = { l1, l2 }, .flags = { SYN, RST | ACK },
		.state = FLOW_ST_INGRESS | FLOW_ST_RST | FLOW_ST_CLOSED });
	ck_assert_int_eq(read_events(), 2);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, SYN, l1, &k);
	expect_event(1, FLOW_EV_END, FLOW_DIR_REPLY, RST | ACK, l2, &k);
	/* a second RST: no second END, and no new flag */
	run(INGRESS, &rst);
	ck_assert_int_eq(read_events(), 2);
}
END_TEST

/* A flag is exported once per direction: SYN again (a retransmission)
 * sends nothing, SYN from the other side is new there. A flow that starts
 * with a plain ACK (mid-connection) is NEW. */
START_TEST(test_tcp_flags_once_per_direction)
{
	struct flow_key k = make_key(4, IPPROTO_TCP, A4, 40000, B4, 80);
	struct pkt_spec ack = tcp_spec(4, true, ACK, 10);
	struct pkt_spec syn = tcp_spec(4, true, SYN, 0);
	struct pkt_spec rsyn = tcp_spec(4, false, SYN, 0);
	uint32_t l1, l2, l4;

	l1 = run(INGRESS, &ack);
	l2 = run(INGRESS, &syn);
	run(INGRESS, &syn);
	l4 = run(INGRESS, &rsyn);
	ck_assert_int_eq(read_events(), 3);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, ACK, l1, &k);
	expect_event(1, FLOW_EV_FLAGS, FLOW_DIR_ORIG, SYN, l2, &k);
	expect_event(2, FLOW_EV_FLAGS, FLOW_DIR_REPLY, SYN, l4, &k);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_NEW), 1);
}
END_TEST

/* ---- UDP, ICMP ------------------------------------------------------------------- */

START_TEST(test_udp_folds)
{
	struct flow_key k = make_key(4, IPPROTO_UDP, A4, 5000, B4, 7000);
	struct pkt_spec out = udp_spec(4, true, 5000, 7000, 30);
	struct pkt_spec back = udp_spec(4, false, 5000, 7000, 300);
	uint32_t l1, l2, l3;

	l1 = run(INGRESS, &out);
	l2 = run(INGRESS, &out);
	l3 = run(INGRESS, &back);
	ck_assert_int_eq(table_count(), 1);
	expect_flow(&k, &(struct want_flow){
		.packets = { 2, 1 }, .bytes = { l1 + l2, l3 },
		.state = FLOW_ST_INGRESS });
	/* NEW once, nothing else without an interval */
	ck_assert_int_eq(read_events(), 1);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, 0, l1, &k);
	expect_value("NEW record", &events[0].flow.value, &(struct want_flow){
		.packets = { 1, 0 }, .bytes = { l1, 0 }, .state = FLOW_ST_INGRESS });
	ck_assert_uint_eq(stat_sum(FLOW_STAT_SEEN, true), l1 + l2 + l3);

	/* another source port: another flow */
	out.sport = 5001;
	run(INGRESS, &out);
	ck_assert_int_eq(table_count(), 2);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_NEW), 2);
}
END_TEST

/* Echo request and reply fold into one flow keyed by the identifier. */
static void icmp_echo(int family)
{
	uint8_t proto = family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	uint8_t req = family == 4 ? 8 : 128, rep = family == 4 ? 0 : 129;
	struct pkt_spec request = { .family = family, .proto = proto,
				    .src = addr_a(family), .dst = addr_b(family),
				    .icmp_type = req, .icmp_id = 0x1234,
				    .icmp_seq = 1, .payload_len = 56 };
	struct pkt_spec reply = request;
	struct flow_key k = make_key(family, proto, addr_a(family), 0x1234,
				     addr_b(family), 0x1234);
	uint32_t l1, l2;

	reply.src = addr_b(family);
	reply.dst = addr_a(family);
	reply.icmp_type = rep;
	l1 = run(INGRESS, &request);
	l2 = run(INGRESS, &reply);
	ck_assert_int_eq(table_count(), 1);
	expect_flow(&k, &(struct want_flow){
		.packets = { 1, 1 }, .bytes = { l1, l2 },
		.state = FLOW_ST_INGRESS, .icmp_type = rep });
	ck_assert_int_eq(read_events(), 1);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, 0, l1, &k);
	ck_assert_uint_eq(events[0].flow.value.icmp_type, req);

	/* another identifier: another flow */
	request.icmp_id = 0x1235;
	run(INGRESS, &request);
	ck_assert_int_eq(table_count(), 2);
}

START_TEST(test_icmp4_echo)
{
	icmp_echo(4);
}
END_TEST

START_TEST(test_icmp6_echo)
{
	icmp_echo(6);
}
END_TEST

/* Other ICMP messages: no ports in the key, type and code kept. */
START_TEST(test_icmp_other)
{
	struct pkt_spec unreach = { .family = 4, .proto = IPPROTO_ICMP,
				    .src = B4, .dst = A4, .icmp_type = 3,
				    .icmp_code = 1, .payload_len = 28 };
	struct pkt_spec too_big = { .family = 6, .proto = IPPROTO_ICMPV6,
				    .src = B6, .dst = A6, .icmp_type = 2,
				    .payload_len = 48 };
	struct flow_key k4 = make_key(4, IPPROTO_ICMP, B4, 0, A4, 0);
	struct flow_key k6 = make_key(6, IPPROTO_ICMPV6, B6, 0, A6, 0);
	uint32_t l4, l6;

	l4 = run(EGRESS, &unreach);
	l6 = run(EGRESS, &too_big);
	expect_flow(&k4, &(struct want_flow){ .packets = { 1, 0 },
		.bytes = { l4, 0 }, .icmp_type = 3, .icmp_code = 1 });
	expect_flow(&k6, &(struct want_flow){ .packets = { 1, 0 },
		.bytes = { l6, 0 }, .icmp_type = 2 });
}
END_TEST

/* An echo request cut short of its identifier (the datagram ends after
 * 4 bytes of ICMP): malformed, nothing in the table. */
START_TEST(test_icmp_echo_without_id)
{
	struct pkt_spec s = { .family = 4, .proto = IPPROTO_ICMP, .raw_l4 = true,
			      .payload = (const uint8_t[]){ 8, 0, 0, 0 },
			      .payload_len = 4 };

	run(INGRESS, &s);
	ck_assert_int_eq(table_count(), 0);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_MALFORMED), 1);
}
END_TEST

/* ---- VLAN tags: not part of the key ------------------------------------------------ */

START_TEST(test_vlan_and_qinq)
{
	struct flow_key k = make_key(4, IPPROTO_UDP, A4, 5000, B4, 7000);
	struct pkt_spec plain = udp_spec(4, true, 5000, 7000, 20);
	struct pkt_spec one = plain, two = udp_spec(4, false, 5000, 7000, 20);
	struct flow_key k6 = make_key(6, IPPROTO_TCP, A6, 40000, B6, 80);
	struct pkt_spec tcp6 = tcp_spec(6, true, SYN, 0);
	uint32_t l0, l1, l2, l6;

	one.vlans = 1;
	one.vid[0] = 42;
	two.vlans = 2;
	two.vid[0] = 100;
	two.vid[1] = 200;
	l0 = run(INGRESS, &plain);
	l1 = run(INGRESS, &one);
	l2 = run(INGRESS, &two);
	ck_assert_uint_eq(l1, l0 + 4);
	ck_assert_uint_eq(l2, l0 + 8);
	ck_assert_int_eq(table_count(), 1);
	expect_flow(&k, &(struct want_flow){ .packets = { 2, 1 },
		.bytes = { l0 + l1, l2 }, .state = FLOW_ST_INGRESS });

	tcp6.vlans = 2;
	l6 = run(INGRESS, &tcp6);
	expect_flow(&k6, &(struct want_flow){ .packets = { 1, 0 },
		.bytes = { l6, 0 }, .flags = { SYN }, .state = FLOW_ST_INGRESS });
}
END_TEST

/* ---- truncated and non-IP packets ----------------------------------------------------- */

/* Every prefix of a TCP packet: malformed (the IP header claims more),
 * the table untouched, the packet unchanged. The kernel refuses frames
 * shorter than Ethernet + the IP header it names. */
static void truncations(int family, int vlans)
{
	struct pkt_spec s = tcp_spec(family, true, PSH | ACK, 8);
	struct packet p;
	uint64_t ran = 0;
	int len;

	s.vlans = vlans;
	build(&s, &p);
	for (len = 0; len < p.len; len++) {
		bool may_refuse = len < (vlans ? p.l.l3_off : p.l.l3_off +
					 (family == 4 ? 20 : 40));

		if (run_bytes(INGRESS, p.buf, (size_t)len, may_refuse))
			continue;
		ran++;
	}
	ck_assert_msg(ran >= (uint64_t)(p.len - p.l.l4_off), "only %llu ran",
		      (unsigned long long)ran);
	ck_assert_int_eq(table_count(), 0);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_MALFORMED), ran);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_SEEN), ran);
	ck_assert_int_eq(read_events(), 0);
	/* the whole packet, for contrast */
	run_bytes(INGRESS, p.buf, (size_t)p.len, false);
	ck_assert_int_eq(table_count(), 1);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_MALFORMED), ran);
}

START_TEST(test_truncated_tcp4)
{
	truncations(4, 0);
}
END_TEST

START_TEST(test_truncated_tcp6)
{
	truncations(6, 0);
}
END_TEST

START_TEST(test_truncated_tcp4_vlan)
{
	truncations(4, 1);
}
END_TEST

START_TEST(test_arp_not_ip)
{
	struct pkt_spec arp = { .ethertype = 0x0806, .payload_len = 28 };
	uint32_t len;

	len = run(INGRESS, &arp);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_NOT_IP), 1);
	ck_assert_uint_eq(stat_sum(FLOW_STAT_NOT_IP, true), len);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_SEEN), 1);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_MALFORMED), 0);
	ck_assert_int_eq(table_count(), 0);
	ck_assert_int_eq(read_events(), 0);
}
END_TEST

/* ---- interval and rate limit --------------------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

START_TEST(test_interval_export)
{
	struct flow_key k = make_key(4, IPPROTO_UDP, A4, 5000, B4, 7000);
	struct pkt_spec out = udp_spec(4, true, 5000, 7000, 10);
	struct pkt_spec back = udp_spec(4, false, 5000, 7000, 10);
	uint32_t l1, l2, l3;

	set_config(20 * 1000000ull, RATE_PLENTY, 1); /* 20 ms */
	l1 = run(INGRESS, &out);
	l2 = run(INGRESS, &back);     /* at once: nothing */
	ck_assert_int_eq(read_events(), 1);
	sleep_ms(30);
	l3 = run(INGRESS, &back);     /* after the interval */
	run(INGRESS, &out);           /* at once again: nothing */
	ck_assert_int_eq(read_events(), 2);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, 0, l1, &k);
	expect_event(1, FLOW_EV_INTERVAL, FLOW_DIR_REPLY, 0, l3, &k);
	expect_value("INTERVAL record", &events[1].flow.value, &(struct want_flow){
		.packets = { 1, 2 }, .bytes = { l1, l2 + l3 }, .state = FLOW_ST_INGRESS });
	ck_assert_uint_ge(events[1].flow.value.export_ns -
			  events[0].flow.value.export_ns, 20 * 1000000ull);

	/* interval 0: none */
	set_config(0, RATE_PLENTY, 1);
	sleep_ms(30);
	run(INGRESS, &out);
	ck_assert_int_eq(read_events(), 2);
}
END_TEST

START_TEST(test_rate_limit)
{
	struct pkt_spec s = udp_spec(4, true, 5000, 7000, 10);
	int i;

	set_config(0, 3, 1);
	for (i = 0; i < 5; i++) {
		s.sport = (uint16_t)(5000 + i); /* a new flow each: NEW each */
		run(INGRESS, &s);
	}
	ck_assert_int_eq(read_events(), 3);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_NEW), 5);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_EV_SENT), 3);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_EV_SUPPRESSED), 2);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_EV_LOST), 0);
	ck_assert_int_eq(table_count(), 5);

	/* rate 0: no events, none counted as suppressed */
	set_config(0, 0, 1);
	s.sport = 6000;
	run(INGRESS, &s);
	ck_assert_int_eq(read_events(), 3);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_EV_SUPPRESSED), 2);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_NEW), 6);
}
END_TEST

/* ---- DNS -------------------------------------------------------------------------------------- */

/* A query for example.com A, with EDNS0 padding to `len` bytes. */
static size_t dns_message(uint8_t *buf, size_t len)
{
	static const uint8_t query[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
		'm', 0, 0x00, 0x01, 0x00, 0x01,
	};
	size_t i;

	ck_assert(len >= sizeof(query));
	memcpy(buf, query, sizeof(query));
	for (i = sizeof(query); i < len; i++)
		buf[i] = (uint8_t)i;
	return len;
}

/* The DNS record i: the flow's key and the message's bytes. */
static void expect_dns(int i, uint8_t dir, uint8_t flags, uint32_t pkt_len,
		       const struct flow_key *k, const uint8_t *msg,
		       uint32_t copied, uint32_t msg_len)
{
	const struct event_copy *e = expect_event(i, FLOW_EV_DNS, dir, flags,
						  pkt_len, k);

	ck_assert_uint_eq(e->dns.dns_len, copied);
	ck_assert_uint_eq(e->dns.msg_len, msg_len);
	ck_assert_msg(!memcmp(e->dns.dns, msg, copied), "record %d: DNS bytes differ", i);
	ck_assert_uint_eq(e->dns.pad, 0);
}

START_TEST(test_dns_udp)
{
	struct flow_key k = make_key(4, IPPROTO_UDP, A4, 33333, B4, 53);
	struct pkt_spec query = udp_spec(4, true, 33333, 53, 0);
	struct pkt_spec answer = udp_spec(4, false, 33333, 53, 0);
	uint8_t msg[600];
	uint32_t l1, l2, l3;

	query.payload = msg;
	query.payload_len = dns_message(msg, 40);
	answer.payload = msg;
	answer.payload_len = 100;
	dns_message(msg, sizeof(msg));
	l1 = run(INGRESS, &query);
	l2 = run(INGRESS, &answer);  /* from port 53 */
	ck_assert_int_eq(read_events(), 3);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, 0, l1, &k);
	expect_dns(1, FLOW_DIR_ORIG, 0, l1, &k, msg, 40, 40);
	expect_dns(2, FLOW_DIR_REPLY, 0, l2, &k, msg, 100, 100);

	/* longer than FLOW_DNS_MAX: the first FLOW_DNS_MAX bytes */
	answer.payload_len = sizeof(msg);
	l3 = run(INGRESS, &answer);
	ck_assert_int_eq(read_events(), 4);
	expect_dns(3, FLOW_DIR_REPLY, 0, l3, &k, msg, FLOW_DNS_MAX, sizeof(msg));
	ck_assert_uint_eq(stat_packets(FLOW_STAT_DNS_SENT), 3);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_EV_SENT), 4);

	/* dns off: no record; another port: none either */
	set_config(0, RATE_PLENTY, 0);
	run(INGRESS, &answer);
	set_config(0, RATE_PLENTY, 1);
	query.dport = 54;
	run(INGRESS, &query);
	ck_assert_int_eq(read_events(), 5); /* the NEW of port 54's flow */
	ck_assert_uint_eq(events[4].head.kind, FLOW_EV_NEW);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_DNS_SENT), 3);
}
END_TEST

START_TEST(test_dns_tcp)
{
	struct flow_key k = make_key(6, IPPROTO_TCP, A6, 40000, B6, 53);
	struct pkt_spec s = tcp_spec(6, true, PSH | ACK, 0);
	uint8_t seg[2 + 64];
	uint32_t l1, l2;

	s.dport = 53;
	seg[0] = 0;
	seg[1] = 64;
	dns_message(seg + 2, 64);
	s.payload = seg;
	s.payload_len = sizeof(seg);
	l1 = run(EGRESS, &s);
	/* the length prefix skipped */
	ck_assert_int_eq(read_events(), 2);
	expect_event(0, FLOW_EV_NEW, FLOW_DIR_ORIG, PSH | ACK, l1, &k);
	expect_dns(1, FLOW_DIR_ORIG, PSH | ACK, l1, &k, seg + 2, 64, 64);

	/* a message longer than the segment: what the segment holds */
	seg[0] = 1;
	seg[1] = 0;
	l2 = run(EGRESS, &s);
	ck_assert_int_eq(read_events(), 3);
	expect_dns(2, FLOW_DIR_ORIG, PSH | ACK, l2, &k, seg + 2, 64, 256);

	/* no payload, or one byte of it: no message starts here */
	s.payload_len = 0;
	run(EGRESS, &s);
	s.payload_len = 1;
	run(EGRESS, &s);
	ck_assert_int_eq(read_events(), 3);
	ck_assert_uint_eq(stat_packets(FLOW_STAT_DNS_SENT), 2);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------------ */

static Suite *flow_datapath_suite(void)
{
	Suite *s = suite_create("flow_datapath");
	TCase *tc = tcase_create("datapath");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tcp4_conversation);
	tcase_add_test(tc, test_tcp6_conversation);
	tcase_add_test(tc, test_synack_first);
	tcase_add_test(tc, test_tcp_rst_ends);
	tcase_add_test(tc, test_tcp_flags_once_per_direction);
	tcase_add_test(tc, test_udp_folds);
	tcase_add_test(tc, test_icmp4_echo);
	tcase_add_test(tc, test_icmp6_echo);
	tcase_add_test(tc, test_icmp_other);
	tcase_add_test(tc, test_icmp_echo_without_id);
	tcase_add_test(tc, test_vlan_and_qinq);
	tcase_add_test(tc, test_truncated_tcp4);
	tcase_add_test(tc, test_truncated_tcp6);
	tcase_add_test(tc, test_truncated_tcp4_vlan);
	tcase_add_test(tc, test_arp_not_ip);
	tcase_add_test(tc, test_interval_export);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_dns_udp);
	tcase_add_test(tc, test_dns_tcp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	test_require_root();
	return test_run_suite(flow_datapath_suite(), CK_VERBOSE);
}
