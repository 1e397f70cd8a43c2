// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * The shared packet parser (bpf/include/parse_impl.h) under XDP and TC:
 * bpf/test_parse.bpf.c stores parse_pkt()'s result and the whole struct
 * pkt in the map parse_out. Every packet goes through both programs and
 * every field is checked: a table of crafted packets (VLANs, IPv4 options,
 * IPv6 extension headers, fragments, malformed headers), then every
 * truncation of a few packets, as cut (the IP lengths now lie) and with
 * the lengths fixed to the cut (the L4 header is what is missing).
 */
#include <check.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "check_run.h"
#include "parse.h"
#include "pktgen.h"
#include "priv.h"
#include "prog_run.h"
#include "test_parse.skel.h"

/* The value of parse_out, as in bpf/test_parse.bpf.c. */
struct parse_result {
	__u32 ret;
	struct pkt p;
};

/* Budget for the parser inlined into a program (plus the test's few
 * instructions): it is inlined in every network object. */
#define MAX_XLATED_INSNS 600
#define MAX_VERIFIED_INSNS 100000

#define ETH_LEN 14
#define VLAN_LEN 4
#define V4_LEN 20
#define V6_LEN 40
#define TCP_LEN 20
#define UDP_LEN 8
#define ICMP_LEN 8
#define SCTP_LEN 12

enum hook { HOOK_XDP, HOOK_TC, HOOK_COUNT };
static const char *const hook_names[HOOK_COUNT] = { "xdp", "tc" };

static struct test_parse_bpf *skel;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- running one packet ------------------------------------------------ */

/*
 * Runs the packet through one hook's program and reads what it stored.
 * Returns the test run's result (0, or -EINVAL for a packet the kernel
 * refuses). XDP gets a packet shorter than an Ethernet header with the
 * missing bytes in front as metadata, which the program does not see.
 */
static int run_parse(enum hook hook, const uint8_t *pkt, size_t len,
		     struct parse_result *out)
{
	static struct test_run_result r;
	struct parse_result poison;
	__u32 key = 0;
	size_t meta;
	int err;

	/* so that a run which stores nothing cannot pass */
	memset(&poison, 0xa5, sizeof(poison));
	ck_assert_int_eq(bpf_map__update_elem(skel->maps.parse_out, &key,
					      sizeof(key), &poison,
					      sizeof(poison), BPF_ANY), 0);
	if (hook == HOOK_XDP) {
		meta = len < ETH_LEN ? (ETH_LEN - len + 3) & ~(size_t)3 : 0;
		err = test_run_xdp_meta(bpf_program__fd(skel->progs.parse_xdp),
					pkt, len, meta, 1, &r);
		if (!err)
			ck_assert_uint_eq(r.retval, XDP_PASS);
	} else {
		err = test_run_skb(bpf_program__fd(skel->progs.parse_tc), pkt,
				   len, 1, NULL, &r);
		if (!err)
			ck_assert_uint_eq(r.retval, TC_ACT_OK);
	}
	if (err)
		return err;
	/* the parser only reads */
	ck_assert_uint_eq(r.data_out_len, len);
	ck_assert(len == 0 || memcmp(r.data_out, pkt, len) == 0);
	ck_assert_int_eq(bpf_map__lookup_elem(skel->maps.parse_out, &key,
					      sizeof(key), out, sizeof(*out),
					      0), 0);
	ck_assert_msg(out->ret <= PARSE_MALFORMED, "%s: undefined result %#x",
		      hook_names[hook], out->ret);
	return 0;
}

/* ---- what a packet must parse into -------------------------------------- */

/* The structure, worked out by hand per case; the values copied from the
 * packet (addresses, ports, VIDs...) come from the spec. */
struct expect {
	int ret;
	int l3_off, l4_off, l3_len;
	int vlans, family, proto, frag, l4_ok;
};

static void spec_addrs(const struct pkt_spec *s, struct pkt *want)
{
	int af = s->family == 4 ? AF_INET : AF_INET6;
	const char *src = s->src, *dst = s->dst;

	if (!src)
		src = s->family == 4 ? "10.0.0.1" : "fd00::1";
	if (!dst)
		dst = s->family == 4 ? "10.0.0.2" : "fd00::2";
	ck_assert_int_eq(inet_pton(af, src, want->saddr), 1);
	ck_assert_int_eq(inet_pton(af, dst, want->daddr), 1);
}

/* The L4 fields: from the spec, or from the packet bytes when the spec
 * wrote the L4 part as raw payload. */
static void spec_l4(const struct pkt_spec *s, const uint8_t *buf,
		    int l4_off, struct pkt *want)
{
	const uint8_t *l4 = buf + l4_off;
	bool raw = s->raw_l4;

	switch (s->proto) {
	case IPPROTO_TCP:
		want->tcp_flags = raw ? l4[13] : s->tcp_flags ? s->tcp_flags : 0x10;
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		want->sport = htons(raw ? get16(l4) : s->sport);
		want->dport = htons(raw ? get16(l4 + 2) : s->dport);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		want->icmp_type = raw ? l4[0] : s->icmp_type;
		want->icmp_code = raw ? l4[1] : s->icmp_code;
		break;
	}
}

static struct pkt expected_pkt(const struct pkt_spec *s, const uint8_t *buf,
			       const struct expect *e)
{
	struct pkt want;
	int i;

	memset(&want, 0, sizeof(want));
	want.l3_off = e->l3_off;
	want.vlans = e->vlans;
	for (i = 0; i < e->vlans && i < PKT_MAX_VLANS; i++)
		want.vlan_id[i] = s->vid[i];
	if (e->ret != PARSE_OK)
		return want;
	want.l4_off = e->l4_off;
	want.l3_len = e->l3_len;
	want.family = e->family;
	want.proto = e->proto;
	want.frag = e->frag;
	want.l4_ok = e->l4_ok;
	want.tos = s->tos;
	want.ttl = s->ttl ? s->ttl : 64;
	spec_addrs(s, &want);
	if (e->l4_ok)
		spec_l4(s, buf, e->l4_off, &want);
	return want;
}

#define CHECK_FIELD(f)                                                          \
	ck_assert_msg(got->f == want->f, "%s [%s]: " #f " = %u, want %u", name, \
		      hook, (unsigned)got->f, (unsigned)want->f)

/* Every field of struct pkt (after a malformed result: the result only;
 * the fields are documented as unusable). */
static void check_result(const char *name, const char *hook,
			 const struct parse_result *res, int want_ret,
			 const struct pkt *want)
{
	const struct pkt *got = &res->p;
	int i;

	ck_assert_msg((int)res->ret == want_ret, "%s [%s]: result %u, want %d",
		      name, hook, res->ret, want_ret);
	if (want_ret == PARSE_MALFORMED)
		return;
	CHECK_FIELD(l3_off);
	CHECK_FIELD(l4_off);
	CHECK_FIELD(l3_len);
	CHECK_FIELD(vlan_id[0]);
	CHECK_FIELD(vlan_id[1]);
	CHECK_FIELD(vlans);
	CHECK_FIELD(family);
	CHECK_FIELD(proto);
	CHECK_FIELD(frag);
	CHECK_FIELD(l4_ok);
	CHECK_FIELD(tcp_flags);
	CHECK_FIELD(icmp_type);
	CHECK_FIELD(icmp_code);
	CHECK_FIELD(tos);
	CHECK_FIELD(ttl);
	CHECK_FIELD(pad[0]);
	CHECK_FIELD(pad[1]);
	CHECK_FIELD(sport);
	CHECK_FIELD(dport);
	for (i = 0; i < 4; i++) {
		CHECK_FIELD(saddr[i]);
		CHECK_FIELD(daddr[i]);
	}
}

/*
 * Where the kernel may refuse a test run (EINVAL) rather than run it: a
 * frame shorter than an Ethernet header (Linux 6.x refuses it for XDP too,
 * even with the missing bytes as metadata), and for TC an untagged IPv4 or
 * IPv6 frame without a whole IP header (the kernel reads it to build the
 * skb). A kernel that runs these anyway must get the expected result.
 */
static bool kernel_may_refuse(enum hook hook, const uint8_t *buf, size_t len)
{
	uint16_t ethertype = len >= ETH_LEN ? get16(buf + 12) : 0;

	if (len < ETH_LEN)
		return true;
	if (hook != HOOK_TC)
		return false;
	return (ethertype == 0x0800 && len < ETH_LEN + V4_LEN) ||
	       (ethertype == 0x86dd && len < ETH_LEN + V6_LEN);
}

/* Both hooks, the same expectations. */
static void check_both(const char *name, const uint8_t *buf, size_t len,
		       int want_ret, const struct pkt *want)
{
	struct parse_result res;
	int hook, err;

	for (hook = 0; hook < HOOK_COUNT; hook++) {
		err = run_parse(hook, buf, len, &res);
		if (err == -EINVAL && kernel_may_refuse(hook, buf, len))
			continue;
		ck_assert_msg(err == 0, "%s [%s]: test run: %s", name,
			      hook_names[hook], strerror(-err));
		check_result(name, hook_names[hook], &res, want_ret, want);
	}
}

/* ---- the table ----------------------------------------------------------- */

struct parse_case {
	const char *name;
	struct pkt_spec spec;
	/* a change after building, for what pktgen does not make */
	void (*patch)(uint8_t *buf, const struct pkt_layout *l);
	struct expect want;
};

#define OK(l3, l4, len, vl, fam, pr, fr, ok) \
	{ PARSE_OK, l3, l4, len, vl, fam, pr, fr, ok }
#define MALFORMED { .ret = PARSE_MALFORMED }
#define NOT_IP(l3, vl) { .ret = PARSE_NOT_IP, .l3_off = l3, .vlans = vl }

#define NONE PKT_FRAG_NONE
#define FIRST PKT_FRAG_FIRST
#define LATER PKT_FRAG_LATER
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ICMP IPPROTO_ICMP
#define ICMP6 IPPROTO_ICMPV6
#define SCTP IPPROTO_SCTP
#define GRE 47
#define NO_NEXT 59
#define HOP PKTGEN_EXT_HOPOPTS
#define RT PKTGEN_EXT_ROUTING
#define FRAG PKTGEN_EXT_FRAGMENT
#define AH PKTGEN_EXT_AH
#define DST PKTGEN_EXT_DSTOPTS

static void ipv4_set_tot_len(uint8_t *buf, const struct pkt_layout *l,
			     uint16_t tot_len)
{
	buf[l->l3_off + 2] = tot_len >> 8;
	buf[l->l3_off + 3] = tot_len & 0xff;
	pktgen_fix_ipv4_csum(buf, l->l3_off);
}

static void ipv6_set_payload_len(uint8_t *buf, const struct pkt_layout *l,
				 uint16_t payload_len)
{
	buf[l->l3_off + 4] = payload_len >> 8;
	buf[l->l3_off + 5] = payload_len & 0xff;
}

static void ihl_4(uint8_t *buf, const struct pkt_layout *l)
{
	buf[l->l3_off] = 0x44;
	pktgen_fix_ipv4_csum(buf, l->l3_off);
}

static void version_6(uint8_t *buf, const struct pkt_layout *l)
{
	buf[l->l3_off] = 0x65;
}

static void version_4(uint8_t *buf, const struct pkt_layout *l)
{
	buf[l->l3_off] = 0x45;
}

static void tot_len_past_end(uint8_t *buf, const struct pkt_layout *l)
{
	ipv4_set_tot_len(buf, l, (uint16_t)(l->l3_len + 1));
}

static void tot_len_19(uint8_t *buf, const struct pkt_layout *l)
{
	ipv4_set_tot_len(buf, l, 19);
}

static void tot_len_24(uint8_t *buf, const struct pkt_layout *l)
{
	ipv4_set_tot_len(buf, l, 24);
}

/* 10 bytes of the TCP header inside the datagram, the rest in padding */
static void tot_len_30(uint8_t *buf, const struct pkt_layout *l)
{
	ipv4_set_tot_len(buf, l, 30);
}

static void payload_len_past_end(uint8_t *buf, const struct pkt_layout *l)
{
	ipv6_set_payload_len(buf, l, (uint16_t)(l->l3_len - V6_LEN + 1));
}

/* the first extension header claims 256 * 8 bytes */
static void ext_len_255(uint8_t *buf, const struct pkt_layout *l)
{
	buf[l->l3_off + V6_LEN + 1] = 255;
}

static const struct parse_case cases[] = {
	/* IPv4 */
	{ "ipv4 tcp", { .family = 4, .proto = TCP, .sport = 40000, .dport = 80,
	  .tcp_flags = 0x02, .payload_len = 10 },
	  NULL, OK(14, 34, 50, 0, 4, TCP, NONE, 1) },
	{ "ipv4 udp", { .family = 4, .proto = UDP, .sport = 5353, .dport = 53,
	  .payload_len = 5 },
	  NULL, OK(14, 34, 33, 0, 4, UDP, NONE, 1) },
	{ "ipv4 icmp echo", { .family = 4, .proto = ICMP, .icmp_type = 8,
	  .icmp_id = 7, .icmp_seq = 1, .payload_len = 16 },
	  NULL, OK(14, 34, 44, 0, 4, ICMP, NONE, 1) },
	{ "ipv4 icmp port unreachable", { .family = 4, .proto = ICMP,
	  .icmp_type = 3, .icmp_code = 3 },
	  NULL, OK(14, 34, 28, 0, 4, ICMP, NONE, 1) },
	{ "ipv4 sctp", { .family = 4, .proto = SCTP, .sport = 5000,
	  .dport = 6000, .payload_len = 16 },
	  NULL, OK(14, 34, 48, 0, 4, SCTP, NONE, 1) },
	{ "ipv4 gre", { .family = 4, .proto = GRE, .payload_len = 4 },
	  NULL, OK(14, 34, 24, 0, 4, GRE, NONE, 0) },
	{ "ipv4 gre, empty", { .family = 4, .proto = GRE },
	  NULL, OK(14, 34, 20, 0, 4, GRE, NONE, 0) },
	{ "ipv4 tos, ttl, addresses", { .family = 4, .proto = UDP, .tos = 0xb8,
	  .ttl = 1, .src = "192.168.1.1", .dst = "172.16.0.9", .sport = 1,
	  .dport = 65535 },
	  NULL, OK(14, 34, 28, 0, 4, UDP, NONE, 1) },
	/* IPv6 */
	{ "ipv6 tcp", { .family = 6, .proto = TCP, .sport = 443,
	  .dport = 50000, .tcp_flags = 0x12 },
	  NULL, OK(14, 54, 60, 0, 6, TCP, NONE, 1) },
	{ "ipv6 udp", { .family = 6, .proto = UDP, .sport = 546, .dport = 547,
	  .payload_len = 3 },
	  NULL, OK(14, 54, 51, 0, 6, UDP, NONE, 1) },
	{ "ipv6 icmpv6 echo", { .family = 6, .proto = ICMP6, .icmp_type = 128,
	  .icmp_id = 1, .icmp_seq = 2, .payload_len = 4 },
	  NULL, OK(14, 54, 52, 0, 6, ICMP6, NONE, 1) },
	{ "ipv6 icmpv6 neighbor solicitation", { .family = 6, .proto = ICMP6,
	  .icmp_type = 135, .ttl = 255 },
	  NULL, OK(14, 54, 48, 0, 6, ICMP6, NONE, 1) },
	{ "ipv6 sctp", { .family = 6, .proto = SCTP, .sport = 9, .dport = 10 },
	  NULL, OK(14, 54, 52, 0, 6, SCTP, NONE, 1) },
	{ "ipv6 gre", { .family = 6, .proto = GRE, .payload_len = 8 },
	  NULL, OK(14, 54, 48, 0, 6, GRE, NONE, 0) },
	{ "ipv6 traffic class, hop limit, addresses", { .family = 6,
	  .proto = UDP, .tos = 0xb8, .ttl = 255, .src = "2001:db8::1",
	  .dst = "2001:db8:ffff::abcd", .sport = 7, .dport = 8 },
	  NULL, OK(14, 54, 48, 0, 6, UDP, NONE, 1) },
	{ "ipv6 no next header", { .family = 6, .proto = NO_NEXT },
	  NULL, OK(14, 54, 40, 0, 6, NO_NEXT, NONE, 0) },
	/* VLAN */
	{ "802.1q ipv4 tcp", { .vlans = 1, .vid = { 100 }, .family = 4,
	  .proto = TCP, .sport = 1, .dport = 2 },
	  NULL, OK(18, 38, 40, 1, 4, TCP, NONE, 1) },
	{ "802.1ad ipv6 udp", { .vlans = 1, .vlan_proto = { 0x88a8 },
	  .vid = { 4094 }, .vlan_prio = { 5 }, .family = 6, .proto = UDP,
	  .sport = 3, .dport = 4 },
	  NULL, OK(18, 58, 48, 1, 6, UDP, NONE, 1) },
	{ "802.1ad + 802.1q ipv4 icmp", { .vlans = 2, .vid = { 10, 20 },
	  .family = 4, .proto = ICMP, .icmp_type = 8 },
	  NULL, OK(22, 42, 28, 2, 4, ICMP, NONE, 1) },
	{ "802.1q + 802.1q ipv6 tcp", { .vlans = 2,
	  .vlan_proto = { 0x8100, 0x8100 }, .vid = { 1, 4095 }, .family = 6,
	  .proto = TCP, .sport = 5, .dport = 6 },
	  NULL, OK(22, 62, 60, 2, 6, TCP, NONE, 1) },
	/* the third tag (VID 3), then a sound IPv4 UDP packet */
	{ "three vlan tags", { .vlans = 2, .vid = { 1, 2 }, .ethertype = 0x8100,
	  .payload = (const uint8_t[]){ 0x00, 0x03, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, UDP, 0, 0, 10, 0, 0, 1,
		10, 0, 0, 2, 0, 1, 0, 2, 0, 8, 0, 0 },
	  .payload_len = 32 },
	  NULL, MALFORMED },
	{ "arp", { .ethertype = 0x0806, .payload_len = 28 },
	  NULL, NOT_IP(14, 0) },
	{ "802.1q arp", { .vlans = 1, .vid = { 7 }, .ethertype = 0x0806,
	  .payload_len = 28 },
	  NULL, NOT_IP(18, 1) },
	{ "qinq lldp", { .vlans = 2, .vid = { 7, 8 }, .ethertype = 0x88cc,
	  .payload_len = 30 },
	  NULL, NOT_IP(22, 2) },
	/* IPv4 header */
	{ "ipv4 options 4", { .family = 4, .proto = TCP, .ip_opts_len = 4,
	  .sport = 1, .dport = 2 },
	  NULL, OK(14, 38, 44, 0, 4, TCP, NONE, 1) },
	{ "ipv4 options 20", { .family = 4, .proto = UDP, .ip_opts_len = 20,
	  .sport = 1, .dport = 2 },
	  NULL, OK(14, 54, 48, 0, 4, UDP, NONE, 1) },
	{ "ipv4 options 40", { .family = 4, .proto = ICMP, .ip_opts_len = 40,
	  .icmp_type = 8 },
	  NULL, OK(14, 74, 68, 0, 4, ICMP, NONE, 1) },
	{ "ipv4 ihl 4", { .family = 4, .proto = TCP },
	  ihl_4, MALFORMED },
	{ "ipv4 version 6", { .family = 4, .proto = TCP },
	  version_6, MALFORMED },
	{ "ipv4 total length past the end", { .family = 4, .proto = UDP,
	  .payload_len = 10 },
	  tot_len_past_end, MALFORMED },
	/* GRE: no L4 header to find missing, only the IP header check */
	{ "ipv4 total length below the header", { .family = 4, .proto = GRE,
	  .payload_len = 8 },
	  tot_len_19, MALFORMED },
	{ "ipv4 total length below the options", { .family = 4, .proto = GRE,
	  .ip_opts_len = 8, .payload_len = 8 },
	  tot_len_24, MALFORMED },
	{ "ipv4 padding after the datagram", { .family = 4, .proto = UDP,
	  .sport = 1, .dport = 2, .trailer_len = 18 },
	  NULL, OK(14, 34, 28, 0, 4, UDP, NONE, 1) },
	{ "ipv4 tcp header ending in the padding", { .family = 4, .proto = TCP,
	  .trailer_len = 30 },
	  tot_len_30, MALFORMED },
	/* IPv4 fragments */
	{ "ipv4 first fragment", { .family = 4, .proto = UDP, .more_frags = true,
	  .sport = 9, .dport = 10, .payload_len = 8 },
	  NULL, OK(14, 34, 36, 0, 4, UDP, FIRST, 1) },
	{ "ipv4 middle fragment", { .family = 4, .proto = UDP,
	  .more_frags = true, .frag_off = 185, .payload_len = 16 },
	  NULL, OK(14, 34, 36, 0, 4, UDP, LATER, 0) },
	{ "ipv4 last fragment", { .family = 4, .proto = TCP, .frag_off = 1,
	  .payload_len = 8 },
	  NULL, OK(14, 34, 28, 0, 4, TCP, LATER, 0) },
	{ "ipv4 fragment at offset 256 * 8", { .family = 4, .proto = UDP,
	  .more_frags = true, .frag_off = 256, .payload_len = 8 },
	  NULL, OK(14, 34, 28, 0, 4, UDP, LATER, 0) },
	{ "ipv4 fragment at the largest offset", { .family = 4, .proto = UDP,
	  .dont_frag = true, .frag_off = 0x1fff, .payload_len = 8 },
	  NULL, OK(14, 34, 28, 0, 4, UDP, LATER, 0) },
	{ "ipv4 last fragment, options", { .family = 4, .proto = ICMP,
	  .frag_off = 2, .ip_opts_len = 12, .payload_len = 3 },
	  NULL, OK(14, 46, 35, 0, 4, ICMP, LATER, 0) },
	{ "ipv4 don't fragment", { .family = 4, .proto = TCP, .dont_frag = true,
	  .sport = 1, .dport = 2 },
	  NULL, OK(14, 34, 40, 0, 4, TCP, NONE, 1) },
	/* IPv6 extension headers and fragments */
	{ "ipv6 first fragment", { .family = 6, .proto = UDP, .n_ext = 1,
	  .ext_hdrs = { FRAG }, .more_frags = true, .sport = 1, .dport = 2,
	  .payload_len = 8 },
	  NULL, OK(14, 62, 64, 0, 6, UDP, FIRST, 1) },
	{ "ipv6 later fragment", { .family = 6, .proto = UDP, .n_ext = 1,
	  .ext_hdrs = { FRAG }, .frag_off = 100, .payload_len = 16 },
	  NULL, OK(14, 62, 64, 0, 6, UDP, LATER, 0) },
	{ "ipv6 fragment at the largest offset", { .family = 6, .proto = TCP,
	  .n_ext = 1, .ext_hdrs = { FRAG }, .frag_off = 0x1fff,
	  .payload_len = 8 },
	  NULL, OK(14, 62, 56, 0, 6, TCP, LATER, 0) },
	{ "ipv6 fragment at offset 32 * 8", { .family = 6, .proto = TCP,
	  .n_ext = 1, .ext_hdrs = { FRAG }, .frag_off = 32, .more_frags = true,
	  .payload_len = 8 },
	  NULL, OK(14, 62, 56, 0, 6, TCP, LATER, 0) },
	{ "ipv6 atomic fragment", { .family = 6, .proto = TCP, .n_ext = 1,
	  .ext_hdrs = { FRAG }, .sport = 1, .dport = 2 },
	  NULL, OK(14, 62, 68, 0, 6, TCP, NONE, 1) },
	{ "ipv6 1 extension header", { .family = 6, .proto = TCP, .n_ext = 1,
	  .ext_hdrs = { HOP }, .sport = 1, .dport = 2 },
	  NULL, OK(14, 62, 68, 0, 6, TCP, NONE, 1) },
	{ "ipv6 3 extension headers", { .family = 6, .proto = UDP, .n_ext = 3,
	  .ext_hdrs = { HOP, RT, DST }, .ext_len = { 1, 0, 2 }, .sport = 1,
	  .dport = 2 },
	  NULL, OK(14, 102, 96, 0, 6, UDP, NONE, 1) },
	{ "ipv6 8 extension headers", { .family = 6, .proto = ICMP6, .n_ext = 8,
	  .ext_hdrs = { HOP, DST, RT, FRAG, AH, DST, DST, RT },
	  .more_frags = true, .icmp_type = 128 },
	  NULL, OK(14, 134, 128, 0, 6, ICMP6, FIRST, 1) },
	{ "ipv6 9 extension headers", { .family = 6, .proto = UDP, .n_ext = 9,
	  .ext_hdrs = { HOP, DST, DST, DST, DST, DST, DST, DST, DST } },
	  NULL, MALFORMED },
	{ "ipv6 later fragment after 7 extension headers", { .family = 6,
	  .proto = UDP, .n_ext = 8,
	  .ext_hdrs = { HOP, DST, DST, DST, DST, DST, DST, FRAG },
	  .frag_off = 8, .payload_len = 8 },
	  NULL, OK(14, 118, 112, 0, 6, UDP, LATER, 0) },
	{ "802.1q ipv6 ah", { .vlans = 1, .vid = { 3 }, .family = 6,
	  .proto = ICMP6, .n_ext = 1, .ext_hdrs = { AH }, .icmp_type = 129 },
	  NULL, OK(18, 82, 72, 1, 6, ICMP6, NONE, 1) },
	{ "ipv6 ah of 20 bytes", { .family = 6, .proto = UDP, .n_ext = 1,
	  .ext_hdrs = { AH }, .ext_len = { 3 } },
	  NULL, MALFORMED },
	{ "ipv6 extension header past the datagram", { .family = 6,
	  .proto = UDP, .n_ext = 1, .ext_hdrs = { HOP }, .trailer_len = 100 },
	  ext_len_255, MALFORMED },
	{ "ipv6 payload length past the end", { .family = 6, .proto = UDP },
	  payload_len_past_end, MALFORMED },
	{ "ipv6 version 4", { .family = 6, .proto = UDP },
	  version_4, MALFORMED },
	{ "ipv6 padding after the datagram", { .family = 6, .proto = TCP,
	  .sport = 1, .dport = 2, .trailer_len = 10 },
	  NULL, OK(14, 54, 60, 0, 6, TCP, NONE, 1) },
	/* L4 headers the packet ends inside */
	{ "ipv4 tcp, 10 bytes of header", { .family = 4, .proto = TCP,
	  .raw_l4 = true, .payload_len = 10 },
	  NULL, MALFORMED },
	{ "ipv4 tcp, no header", { .family = 4, .proto = TCP, .raw_l4 = true },
	  NULL, MALFORMED },
	{ "ipv4 udp, 4 bytes of header", { .family = 4, .proto = UDP,
	  .raw_l4 = true, .payload_len = 4 },
	  NULL, MALFORMED },
	{ "ipv4 icmp, 3 bytes", { .family = 4, .proto = ICMP, .raw_l4 = true,
	  .payload_len = 3 },
	  NULL, MALFORMED },
	{ "ipv4 icmp, 4 bytes", { .family = 4, .proto = ICMP, .raw_l4 = true,
	  .payload = (const uint8_t[]){ 3, 1, 0, 0 }, .payload_len = 4 },
	  NULL, OK(14, 34, 24, 0, 4, ICMP, NONE, 1) },
	{ "ipv4 sctp, the ports only", { .family = 4, .proto = SCTP,
	  .raw_l4 = true, .payload = (const uint8_t[]){ 0x13, 0x88, 0x17, 0x70 },
	  .payload_len = 4 },
	  NULL, OK(14, 34, 24, 0, 4, SCTP, NONE, 1) },
	{ "ipv6 tcp, 19 bytes of header", { .family = 6, .proto = TCP,
	  .raw_l4 = true, .payload_len = 19 },
	  NULL, MALFORMED },
	{ "ipv6 tcp, exactly the header", { .family = 6, .proto = TCP,
	  .raw_l4 = true, .payload_len = 20 },
	  NULL, OK(14, 54, 60, 0, 6, TCP, NONE, 1) },
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

START_TEST(test_table)
{
	const struct parse_case *c = &cases[_i];
	uint8_t buf[PKTGEN_MAX_LEN];
	struct pkt_layout l;
	struct pkt want;
	int len;

	len = pktgen_build(&c->spec, buf, sizeof(buf), &l);
	ck_assert_msg(len > 0, "%s: pktgen_build: %d", c->name, len);
	if (c->patch)
		c->patch(buf, &l);
	/* the hand-computed offsets agree with what pktgen wrote */
	if (c->want.ret == PARSE_OK) {
		ck_assert_int_eq(c->want.l3_off, l.l3_off);
		ck_assert_int_eq(c->want.l4_off, l.l4_off);
		ck_assert_int_eq(c->want.l3_len, l.l3_len);
	}
	want = expected_pkt(&c->spec, buf, &c->want);
	check_both(c->name, buf, (size_t)len, c->want.ret, &want);
}
END_TEST

/* ---- every truncation ------------------------------------------------------ */

struct cut_base {
	const char *name;
	struct pkt_spec spec;
	int need; /* bytes of L4 header the parser needs */
	struct expect full;
};

static const struct cut_base cut_bases[] = {
	{ "ipv4 tcp", { .family = 4, .proto = TCP, .sport = 1000, .dport = 2000,
	  .tcp_flags = 0x02, .payload_len = 6 },
	  TCP_LEN, OK(14, 34, 46, 0, 4, TCP, NONE, 1) },
	{ "ipv6 udp after 2 extension headers", { .family = 6, .proto = UDP,
	  .n_ext = 2, .ext_hdrs = { HOP, DST }, .ext_len = { 0, 1 },
	  .sport = 53, .dport = 3000, .payload_len = 8 },
	  UDP_LEN, OK(14, 78, 80, 0, 6, UDP, NONE, 1) },
	{ "802.1q ipv4 icmp", { .vlans = 1, .vid = { 5 }, .family = 4,
	  .proto = ICMP, .icmp_type = 8, .payload_len = 4 },
	  4, OK(18, 38, 32, 1, 4, ICMP, NONE, 1) },
	{ "qinq ipv6 icmpv6 first fragment", { .vlans = 2, .vid = { 6, 7 },
	  .family = 6, .proto = ICMP6, .n_ext = 1, .ext_hdrs = { FRAG },
	  .more_frags = true, .icmp_type = 128, .payload_len = 2 },
	  4, OK(22, 70, 58, 2, 6, ICMP6, FIRST, 1) },
};

#define N_CUT_BASES ((int)(sizeof(cut_bases) / sizeof(cut_bases[0])))

/* Sets the IP length field, when the cut left it, to what is left. */
static void fix_lengths(uint8_t *buf, size_t len, const struct pkt_layout *l,
			int family)
{
	size_t left = len - (size_t)l->l3_off;

	if (len < (size_t)l->l3_off)
		return;
	if (family == 4 && left >= 4)
		ipv4_set_tot_len(buf, l, (uint16_t)left);
	else if (family == 6 && left >= V6_LEN)
		ipv6_set_payload_len(buf, l, (uint16_t)(left - V6_LEN));
}

START_TEST(test_truncations)
{
	const struct cut_base *b = &cut_bases[_i];
	uint8_t full[PKTGEN_MAX_LEN], buf[PKTGEN_MAX_LEN];
	struct pkt_layout l;
	struct expect e;
	struct pkt want;
	char name[128];
	int len, n, ok;

	len = pktgen_build(&b->spec, full, sizeof(full), &l);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(l.l4_off, b->full.l4_off);
	ck_assert_int_eq(l.l3_len, b->full.l3_len);

	for (n = 0; n <= len; n++) {
		/* as cut: the IP length still counts the lost bytes */
		snprintf(name, sizeof(name), "%s cut to %d", b->name, n);
		want = expected_pkt(&b->spec, full, &b->full);
		check_both(name, full, (size_t)n,
			   n == len ? PARSE_OK : PARSE_MALFORMED, &want);

		/* the IP length fixed: whole headers parse, a cut L4 header
		 * (or anything before it) is malformed */
		memcpy(buf, full, (size_t)len);
		fix_lengths(buf, (size_t)n, &l, b->spec.family);
		snprintf(name, sizeof(name), "%s cut to %d, length fixed",
			 b->name, n);
		ok = n >= l.l4_off + b->need;
		e = b->full;
		e.l3_len = n - l.l3_off;
		want = expected_pkt(&b->spec, buf, &e);
		check_both(name, buf, (size_t)n,
			   ok ? PARSE_OK : PARSE_MALFORMED, &want);
	}
}
END_TEST

/* ---- pktgen's checksums ---------------------------------------------------- */

/* RFC 1071 sum, written apart from pktgen's: a valid checksum sums to
 * 0xffff with its own field included. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

/* The header of the example in Wikipedia's "IPv4 header checksum"
 * (checksum 0xb861) and valid L4 checksums for each protocol. */
START_TEST(test_pktgen_checksums)
{
	static const uint8_t protos[] = { TCP, UDP, ICMP, ICMP6 };
	uint8_t buf[PKTGEN_MAX_LEN], pseudo[40];
	struct pkt_spec s = { .family = 4, .proto = UDP, .dont_frag = true,
			      .src = "192.168.0.1", .dst = "192.168.0.199",
			      .payload_len = 0x73 - 28 };
	struct pkt_layout l;
	size_t i, l4_len, alen;
	uint32_t sum;
	int len, family;

	len = pktgen_build(&s, buf, sizeof(buf), &l);
	ck_assert_int_eq(len, 14 + 0x73);
	ck_assert_uint_eq(get16(buf + l.l3_off + 10), 0xb861);

	for (family = 4; family <= 6; family += 2) {
		for (i = 0; i < sizeof(protos); i++) {
			memset(&s, 0, sizeof(s));
			s.family = family;
			s.proto = protos[i];
			s.sport = 1234;
			s.dport = 80;
			s.icmp_type = family == 4 ? 8 : 128;
			s.payload_len = 33; /* odd: the last byte padded */
			len = pktgen_build(&s, buf, sizeof(buf), &l);
			ck_assert_int_gt(len, 0);
			l4_len = (size_t)(len - l.l4_off);
			alen = family == 4 ? 4 : 16;
			/* pseudo-header: addresses, length, protocol */
			memcpy(pseudo, buf + l.l3_off + (family == 4 ? 12 : 8),
			       2 * alen);
			sum = sum16(pseudo, 2 * alen, 0) + (uint32_t)l4_len +
			      protos[i];
			if (protos[i] == ICMP)
				sum = 0; /* ICMPv4 has no pseudo-header */
			sum = sum16(buf + l.l4_off, l4_len, sum);
			ck_assert_msg(fold(sum) == 0xffff,
				      "family %d proto %u: checksum %#x", family,
				      protos[i], fold(sum));
		}
	}
}
END_TEST

/* ---- size -------------------------------------------------------------------- */

START_TEST(test_instruction_count)
{
	struct bpf_program *progs[] = { skel->progs.parse_xdp,
					skel->progs.parse_tc };
	struct bpf_prog_info info;
	__u32 info_len;
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		memset(&info, 0, sizeof(info));
		info_len = sizeof(info);
		ck_assert_int_eq(bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]),
							&info, &info_len), 0);
		printf("%s: %u instructions, %u processed by the verifier\n",
		       bpf_program__name(progs[i]), info.xlated_prog_len / 8,
		       info.verified_insns);
		ck_assert_uint_le(info.xlated_prog_len / 8, MAX_XLATED_INSNS);
		/* verified_insns: 0 before Linux 5.16 */
		ck_assert_uint_le(info.verified_insns, MAX_VERIFIED_INSNS);
	}
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_table, 0, N_CASES);
	tcase_add_loop_test(tc, test_truncations, 0, N_CUT_BASES);
	tcase_add_test(tc, test_instruction_count);
	tcase_add_test(tc, test_pktgen_checksums);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int ret;

	test_require_root();
	skel = test_parse_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "FAIL: loading test_parse.bpf.o: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	ret = test_run_suite(parse_suite(), CK_VERBOSE);
	test_parse_bpf__destroy(skel);
	return ret;
}
