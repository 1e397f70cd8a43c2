/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow_decode.c (pure): flow exports, table entries, the drop object's
 * drop events (the captured frame parsed: VLAN tags, IPv4 options, IPv6
 * extension headers, later fragments, truncation) and the policy object's
 * verdict events into public records; malformed records refused.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check_run.h"
#include "drop_abi.h"
#include "flow_internal.h"
#include "policy_abi.h"

#define OFFSET 1000000000ll /* realtime - boottime, for the tests */

static void ip4(uint8_t *p, int proto, int ihl_words, uint16_t frag,
		const char *src, const char *dst)
{
	p[0] = (uint8_t)(0x40 | ihl_words);
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = (uint8_t)proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
}

/* An Ethernet header with `vlans` tags; the offset of the payload. */
static size_t eth(uint8_t *f, uint16_t type, int vlans)
{
	size_t off = 12;

	for (int i = 0; i < vlans; i++) {
		f[off] = i ? 0x81 : 0x88;
		f[off + 1] = i ? 0x00 : 0xa8;
		f[off + 3] = 7; /* VID */
		off += 4;
	}
	f[off] = (uint8_t)(type >> 8);
	f[off + 1] = (uint8_t)type;
	return off + 2;
}

START_TEST(test_frame_tcp_vlan_options)
{
	uint8_t f[128] = { 0 };
	struct ebpfnet_flow_record out = { 0 };
	size_t l3 = eth(f, 0x0800, 2), l4 = l3 + 24; /* 4 bytes of options */

	ip4(f + l3, IPPROTO_TCP, 6, 0, "10.0.0.1", "10.0.0.2");
	f[l4] = 0x30; f[l4 + 1] = 0x39;     /* 12345 */
	f[l4 + 2] = 0x00; f[l4 + 3] = 0x50; /* 80 */
	f[l4 + 13] = 0x12;                  /* SYN+ACK */
	ck_assert_int_eq(flow_parse_frame(f, l4 + 20, &out), 0);
	ck_assert_uint_eq(out.family, AF_INET);
	ck_assert_uint_eq(out.proto, IPPROTO_TCP);
	ck_assert_uint_eq(out.src.port, 12345);
	ck_assert_uint_eq(out.dst.port, 80);
	ck_assert_uint_eq(out.tcp_flags, 0x12);
	ck_assert_uint_eq(out.src.addr[3], 1);
	ck_assert_uint_eq(out.dst.addr[3], 2);
}
END_TEST

START_TEST(test_frame_later_fragment_and_truncation)
{
	uint8_t f[128] = { 0 };
	struct ebpfnet_flow_record out = { 0 };
	size_t l3 = eth(f, 0x0800, 0);

	ip4(f + l3, IPPROTO_UDP, 5, 0x0010, "10.0.0.1", "10.0.0.2"); /* offset 128 */
	f[l3 + 20] = 0x12; f[l3 + 21] = 0x34;
	ck_assert_int_eq(flow_parse_frame(f, l3 + 28, &out), 0);
	ck_assert_uint_eq(out.src.port, 0); /* no L4 header in a later fragment */
	/* cut inside the IPv4 header, or the Ethernet header */
	ck_assert_int_eq(flow_parse_frame(f, l3 + 19, &out), FLOW_DECODE_BAD);
	ck_assert_int_eq(flow_parse_frame(f, 13, &out), FLOW_DECODE_BAD);
	/* ARP is not for us */
	eth(f, 0x0806, 0);
	ck_assert_int_eq(flow_parse_frame(f, 60, &out), -ENOMSG);
}
END_TEST

START_TEST(test_frame_ipv6_ext)
{
	uint8_t f[160] = { 0 };
	struct ebpfnet_flow_record out = { 0 };
	size_t l3 = eth(f, 0x86dd, 1), ext = l3 + 40, l4 = ext + 8;

	f[l3] = 0x60;
	f[l3 + 6] = 0;   /* hop-by-hop first */
	inet_pton(AF_INET6, "fd00::1", f + l3 + 8);
	inet_pton(AF_INET6, "fd00::2", f + l3 + 24);
	f[ext] = IPPROTO_ICMPV6;
	f[ext + 1] = 0;  /* 8 bytes */
	f[l4] = 128;     /* echo request */
	ck_assert_int_eq(flow_parse_frame(f, l4 + 8, &out), 0);
	ck_assert_uint_eq(out.family, AF_INET6);
	ck_assert_uint_eq(out.proto, IPPROTO_ICMPV6);
	ck_assert_uint_eq(out.icmp_type, 128);
	ck_assert_uint_eq(out.dst.addr[15], 2);
}
END_TEST

static struct flow_event export_of(uint8_t kind, uint8_t dir)
{
	struct flow_event ev = { 0 };

	ev.head.hdr.type = EBPFNET_EV_FLOW;
	ev.head.hdr.version = 1;
	ev.head.hdr.size = sizeof(ev);
	ev.head.hdr.time_ns = 5000;
	ev.head.kind = kind;
	ev.head.dir = dir;
	ev.head.ingress = dir == FLOW_DIR_REPLY;
	ev.head.pkt_len = 74;
	ev.head.key.ifindex = 3;
	ev.head.key.family = 4;
	ev.head.key.proto = IPPROTO_TCP;
	ev.head.key.port_a = htons(40000);
	ev.head.key.port_b = htons(80);
	inet_pton(AF_INET, "10.0.0.1", &ev.head.key.addr_a[0]);
	inet_pton(AF_INET, "10.0.0.2", &ev.head.key.addr_b[0]);
	ev.value.first_ns = 4000;
	ev.value.last_ns = 5000;
	ev.value.dir[0].packets = 1;
	ev.value.dir[0].bytes = 74;
	ev.value.tcp_flags[0] = FLOW_TCP_SYN;
	ev.value.state = FLOW_ST_INGRESS;
	return ev;
}

START_TEST(test_export)
{
	struct flow_event ev = export_of(FLOW_EV_NEW, FLOW_DIR_ORIG);
	struct ebpfnet_flow_record out;

	/* the first packet's export (its SYN) is the flow's NEW record */
	ck_assert_int_eq(flow_decode_export(&ev, sizeof(ev), OFFSET, &out), 0);
	ck_assert_int_eq(out.kind, EBPFNET_FLOW_NEW);
	ck_assert_uint_eq(out.time_ns, 5000 + OFFSET);
	ck_assert_uint_eq(out.first_ns, 4000 + OFFSET);
	ck_assert_uint_eq(out.src.port, 40000);
	ck_assert(!out.is_reply && out.reply_known);
	ck_assert_int_eq(out.obs, EBPFNET_FLOW_OBS_TO_NETWORK);
	flow_apply_endpoint(&out, false);
	ck_assert_int_eq(out.direction, EBPFNET_FLOW_DIR_UNKNOWN);

	/* the reply's SYN+ACK: FLAGS, oriented as the packet */
	ev = export_of(FLOW_EV_FLAGS, FLOW_DIR_REPLY);
	ev.value.dir[1].packets = 1;
	ck_assert_int_eq(flow_decode_export(&ev, sizeof(ev), OFFSET, &out), 0);
	ck_assert_int_eq(out.kind, EBPFNET_FLOW_FLAGS);
	ck_assert(out.is_reply);
	ck_assert_uint_eq(out.src.port, 80);
	ck_assert_uint_eq(out.dst.port, 40000);
	ck_assert_int_eq(out.obs, EBPFNET_FLOW_OBS_FROM_NETWORK);
	/* on an endpoint: the endpoint initiated (its packets at ingress) */
	flow_apply_endpoint(&out, true);
	ck_assert_int_eq(out.obs, EBPFNET_FLOW_OBS_FROM_ENDPOINT);
	ck_assert_int_eq(out.direction, EBPFNET_FLOW_DIR_EGRESS);

	/* malformed: short, wrong type, size past the data, unknown kind */
	ck_assert_int_eq(flow_decode_export(&ev, sizeof(ev) - 1, 0, &out), FLOW_DECODE_BAD);
	ev.head.hdr.size = sizeof(ev) + 1;
	ck_assert_int_eq(flow_decode_export(&ev, sizeof(ev), 0, &out), FLOW_DECODE_BAD);
	ev = export_of(9, FLOW_DIR_ORIG);
	ck_assert_int_eq(flow_decode_export(&ev, sizeof(ev), 0, &out), FLOW_DECODE_BAD);
	ev = export_of(FLOW_EV_NEW, FLOW_DIR_ORIG);
	ev.head.hdr.type = EBPFNET_EV_DROP;
	ck_assert_int_eq(flow_decode_export(&ev, sizeof(ev), 0, &out), FLOW_DECODE_BAD);
}
END_TEST

START_TEST(test_entry_reply_known)
{
	struct flow_event ev = export_of(FLOW_EV_NEW, FLOW_DIR_ORIG);
	struct ebpfnet_flow_record out;

	ev.value.tcp_flags[0] = FLOW_TCP_ACK; /* joined mid-connection */
	flow_decode_entry(&ev.head.key, &ev.value, EBPFNET_FLOW_SNAPSHOT, 42, OFFSET, &out);
	ck_assert_int_eq(out.kind, EBPFNET_FLOW_SNAPSHOT);
	ck_assert_uint_eq(out.time_ns, 42);
	ck_assert(!out.reply_known);
	ck_assert_uint_eq(out.pkt_len, 0);
	ev.value.state |= FLOW_ST_SYNACK_FIRST;
	ck_assert(flow_reply_known(&ev.head.key, &ev.value));
}
END_TEST

START_TEST(test_monitor_drop)
{
	struct drop_event ev = { 0 };
	struct ebpfnet_flow_record out;
	size_t l3 = eth(ev.data, 0x0800, 0);

	ip4(ev.data + l3, IPPROTO_ICMP, 5, 0, "10.0.0.2", "10.0.0.1");
	ev.data[l3 + 20] = 8;
	ev.hdr.type = EBPFNET_EV_DROP;
	ev.hdr.version = 1;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = 7;
	ev.ifindex = 4;
	ev.rule_id = 3;
	ev.reason = DROP_REASON_RULE;
	ev.pkt_len = 98;
	ev.cap_len = 98;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), OFFSET, &out), 0);
	ck_assert_int_eq(out.kind, EBPFNET_FLOW_DROP);
	ck_assert_int_eq(out.verdict, EBPFNET_FLOW_VERDICT_DROPPED);
	ck_assert_int_eq(out.drop_reason, EBPFNET_FLOW_DROP_RULE);
	ck_assert_int_eq(out.obs, EBPFNET_FLOW_OBS_FROM_NETWORK);
	ck_assert_uint_eq(out.rule_id, 3);
	ck_assert_uint_eq(out.icmp_type, 8);
	ck_assert_uint_eq(out.src.addr[3], 2);
	ev.reason = DROP_REASON_FRAGMENT;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), 0);
	ck_assert_int_eq(out.drop_reason, EBPFNET_FLOW_DROP_FRAGMENT);
	ev.reason = DROP_REASON_MALFORMED;
	ev.cap_len = 20; /* cut short: still a record */
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), 0);
	ck_assert_int_eq(out.drop_reason, EBPFNET_FLOW_DROP_INVALID);
	ev.cap_len = DROP_EVENT_BYTES + 1;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), FLOW_DECODE_BAD);
	ev.hdr.type = EBPFNET_EV_EXEC;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), -ENOMSG);
}
END_TEST

START_TEST(test_monitor_verdict)
{
	struct policy_verdict_event ev = { 0 };
	struct ebpfnet_flow_record out;

	ev.hdr.type = EBPFNET_EV_VERDICT;
	ev.hdr.version = 1;
	ev.hdr.size = sizeof(ev);
	ev.ifindex = 5;
	ev.ep_identity = 1234;
	ev.peer_identity = 2;
	ev.verdict = POLICY_VERDICT_DENIED;
	ev.dir = POLICY_DIR_INGRESS;
	ev.match = POLICY_MATCH_NONE;
	ev.family = 4;
	ev.proto = IPPROTO_TCP;
	ev.sport = htons(5555);
	ev.dport = htons(80);
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), 0);
	ck_assert_int_eq(out.kind, EBPFNET_FLOW_POLICY);
	ck_assert_int_eq(out.verdict, EBPFNET_FLOW_VERDICT_DROPPED);
	ck_assert_int_eq(out.drop_reason, EBPFNET_FLOW_DROP_POLICY_DENIED);
	ck_assert_int_eq(out.obs, EBPFNET_FLOW_OBS_TO_ENDPOINT);
	ck_assert_int_eq(out.direction, EBPFNET_FLOW_DIR_INGRESS);
	ck_assert(out.policy_ingress);
	ck_assert_uint_eq(out.src.identity, 2);
	ck_assert_uint_eq(out.dst.identity, 1234);
	ck_assert_uint_eq(out.dst.port, 80);
	ev.rule_id = 7;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), 0);
	ck_assert_int_eq(out.drop_reason, EBPFNET_FLOW_DROP_POLICY_DENY);
	ev.verdict = POLICY_VERDICT_ALLOWED;
	ev.dir = POLICY_DIR_EGRESS;
	ev.match = POLICY_MATCH_L3_L4;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), 0);
	ck_assert_int_eq(out.verdict, EBPFNET_FLOW_VERDICT_FORWARDED);
	ck_assert_int_eq(out.drop_reason, EBPFNET_FLOW_DROP_NONE);
	ck_assert_int_eq(out.policy_match, EBPFNET_FLOW_MATCH_L3_L4);
	ck_assert_uint_eq(out.src.identity, 1234);
	ev.match = 9;
	ck_assert_int_eq(flow_decode_monitor(&ev, sizeof(ev), 0, &out), FLOW_DECODE_BAD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flow_decode");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, test_frame_tcp_vlan_options);
	tcase_add_test(tc, test_frame_later_fragment_and_truncation);
	tcase_add_test(tc, test_frame_ipv6_ext);
	tcase_add_test(tc, test_export);
	tcase_add_test(tc, test_entry_reply_known);
	tcase_add_test(tc, test_monitor_drop);
	tcase_add_test(tc, test_monitor_verdict);
	suite_add_tcase(s, tc);
	return test_run_suite(s, CK_NORMAL);
}
