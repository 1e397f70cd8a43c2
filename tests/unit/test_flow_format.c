/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet_flow_format(), ebpfnet_flow_dns_format() and the enum names:
 * golden Hubble lines (IPv4/IPv6, TCP flags, request/reply/unknown
 * arrows, ICMP, UDP, drops, policy verdicts, counters, DNS requests and
 * responses), golden JSON objects, hostile strings (labels, interface,
 * node and DNS names with quotes, control bytes, invalid UTF-8), output
 * cut at every buffer length, and bad arguments. Every JSON output is
 * checked by the strict RFC 8259 validator of tests/lib/json_check.h, and
 * once by Python's json module (duplicate keys rejected too).
 */
#include <check.h>

#include "check_run.h"
#include "json_check.h"
#include "log_capture.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>


/* ---- records ---------------------------------------------------------------- */

#define NODE "node-1"
/* 2026-11-21T10:00:00.123456789Z */
#define T0 1795255200123456789ull
#define T0_JSON "\"2026-11-21T10:00:00.123456789Z\""

static void set_addr(struct ebpfnet_flow_peer *p, int family, const char *text,
		     uint16_t port, uint32_t identity, const char *labels)
{
	memset(p->addr, 0, sizeof(p->addr));
	ck_assert_int_eq(inet_pton(family, text, p->addr), 1);
	p->port = port;
	p->identity = identity;
	p->labels = labels;
}

/* The first packet of a TCP connection from the world to an endpoint. */
static void syn_flow(struct ebpfnet_flow_record *f)
{
	memset(f, 0, sizeof(*f));
	f->sz = sizeof(*f);
	f->time_ns = f->first_ns = f->last_ns = T0;
	f->kind = EBPFNET_FLOW_NEW;
	f->verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	f->obs = EBPFNET_FLOW_OBS_TO_ENDPOINT;
	f->direction = EBPFNET_FLOW_DIR_INGRESS;
	f->ifindex = 7;
	strcpy(f->ifname, "veth-web");
	f->family = AF_INET;
	f->proto = IPPROTO_TCP;
	f->reply_known = true;
	f->tcp_flags = f->tcp_flags_seen = 0x02;
	set_addr(&f->src, AF_INET, "10.0.0.1", 43210, 2, NULL);
	set_addr(&f->dst, AF_INET, "10.0.0.2", 80, 1234,
		 "k8s:app=web,k8s:tier=front");
	f->orig.packets = 1;
	f->orig.bytes = 74;
	f->pkt_len = 74;
}

/* The reply: from the endpoint back to the world. */
static void syn_ack_flow(struct ebpfnet_flow_record *f)
{
	struct ebpfnet_flow_peer client;

	syn_flow(f);
	client = f->src;
	f->src = f->dst;
	f->dst = client;
	f->kind = EBPFNET_FLOW_FLAGS;
	f->obs = EBPFNET_FLOW_OBS_FROM_ENDPOINT;
	f->is_reply = true;
	f->tcp_flags = 0x12;
	f->tcp_flags_seen = 0x12;
	f->reply.packets = 1;
	f->reply.bytes = 74;
}

static void dns_response(struct ebpfnet_flow_dns *d)
{
	memset(d, 0, sizeof(*d));
	d->sz = sizeof(*d);
	d->time_ns = T0;
	d->ifindex = 3;
	strcpy(d->ifname, "eth0");
	d->family = AF_INET;
	d->proto = IPPROTO_UDP;
	set_addr(&d->src, AF_INET, "10.0.0.53", 53, 2, NULL);
	set_addr(&d->dst, AF_INET, "10.0.0.1", 40000, 1234, "app=web");
	d->is_response = true;
	d->id = 0x1234;
	d->qtype = 1;
	d->qclass = 1;
	strcpy(d->query, "example.com.");
	d->ttl = 300;
	d->n_ips = 2;
	d->ips[0].family = d->ips[1].family = AF_INET;
	inet_pton(AF_INET, "93.184.216.34", d->ips[0].addr);
	inet_pton(AF_INET, "93.184.216.35", d->ips[1].addr);
	d->n_cnames = 1;
	strcpy(d->cnames[0], "cdn.example.net.");
	d->n_answers = 3;
}

static void dns_request(struct ebpfnet_flow_dns *d)
{
	struct ebpfnet_flow_peer server;

	dns_response(d);
	server = d->src;
	d->src = d->dst;
	d->dst = server;
	d->is_response = false;
	d->ttl = 0;
	d->n_ips = d->n_cnames = d->n_answers = 0;
}

/* ---- formatting ----------------------------------------------------------- */

static char out[8192];

/* Format into out: TEXT as it is, JSON checked by the validator. */
static const char *fmt_flow(const struct ebpfnet_flow_record *f, enum ebpfnet_format format)
{
	int n = ebpfnet_flow_format(f, format, NODE, out, sizeof(out));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(out), "%d: %s", n, last_warn);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	if (format == EBPFNET_FORMAT_JSON)
		ck_assert_msg(json_valid(out), "invalid JSON: %s", out);
	else
		ck_assert_msg(!strchr(out, '\n'), "a newline in: %s", out);
	return out;
}

static const char *fmt_dns(const struct ebpfnet_flow_dns *d, enum ebpfnet_format format)
{
	int n = ebpfnet_flow_dns_format(d, format, NODE, out, sizeof(out));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(out), "%d: %s", n, last_warn);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	if (format == EBPFNET_FORMAT_JSON)
		ck_assert_msg(json_valid(out), "invalid JSON: %s", out);
	else
		ck_assert_msg(!strchr(out, '\n'), "a newline in: %s", out);
	return out;
}

#define TEXT(f) fmt_flow((f), EBPFNET_FORMAT_TEXT)
#define JSON(f) fmt_flow((f), EBPFNET_FORMAT_JSON)
#define DNS_TEXT(d) fmt_dns((d), EBPFNET_FORMAT_TEXT)
#define DNS_JSON(d) fmt_dns((d), EBPFNET_FORMAT_JSON)

static void assert_has(const char *s, const char *part)
{
	ck_assert_msg(strstr(s, part), "[%s] not in [%s]", part, s);
}

static void assert_lacks(const char *s, const char *part)
{
	ck_assert_msg(!strstr(s, part), "[%s] in [%s]", part, s);
}

/* ---- names -------------------------------------------------------------------- */

START_TEST(test_names)
{
	ck_assert_str_eq(ebpfnet_flow_verdict_name(EBPFNET_FLOW_VERDICT_FORWARDED), "FORWARDED");
	ck_assert_str_eq(ebpfnet_flow_verdict_name(EBPFNET_FLOW_VERDICT_DROPPED), "DROPPED");
	ck_assert_str_eq(ebpfnet_flow_verdict_name(EBPFNET_FLOW_VERDICT_UNKNOWN), "VERDICT_UNKNOWN");
	ck_assert_str_eq(ebpfnet_flow_verdict_name((enum ebpfnet_flow_verdict)99), "VERDICT_UNKNOWN");
	ck_assert_str_eq(ebpfnet_flow_verdict_name((enum ebpfnet_flow_verdict)-1), "VERDICT_UNKNOWN");

	ck_assert_str_eq(ebpfnet_flow_obs_name(EBPFNET_FLOW_OBS_FROM_ENDPOINT), "from-endpoint");
	ck_assert_str_eq(ebpfnet_flow_obs_name(EBPFNET_FLOW_OBS_TO_ENDPOINT), "to-endpoint");
	ck_assert_str_eq(ebpfnet_flow_obs_name(EBPFNET_FLOW_OBS_FROM_NETWORK), "from-network");
	ck_assert_str_eq(ebpfnet_flow_obs_name(EBPFNET_FLOW_OBS_TO_NETWORK), "to-network");
	ck_assert_str_eq(ebpfnet_flow_obs_name(EBPFNET_FLOW_OBS_UNKNOWN), "unknown");
	ck_assert_str_eq(ebpfnet_flow_obs_name((enum ebpfnet_flow_obs)5), "unknown");
	ck_assert_str_eq(ebpfnet_flow_obs_name((enum ebpfnet_flow_obs)-7), "unknown");

	ck_assert_str_eq(ebpfnet_flow_drop_reason_name(EBPFNET_FLOW_DROP_RULE), "DROP_RULE");
	ck_assert_str_eq(ebpfnet_flow_drop_reason_name(EBPFNET_FLOW_DROP_FRAGMENT), "FRAGMENT_DROPPED");
	ck_assert_str_eq(ebpfnet_flow_drop_reason_name(EBPFNET_FLOW_DROP_INVALID), "INVALID_PACKET_DROPPED");
	ck_assert_str_eq(ebpfnet_flow_drop_reason_name(EBPFNET_FLOW_DROP_POLICY_DENIED), "POLICY_DENIED");
	ck_assert_str_eq(ebpfnet_flow_drop_reason_name(EBPFNET_FLOW_DROP_POLICY_DENY), "POLICY_DENY");
	ck_assert_str_eq(ebpfnet_flow_drop_reason_name(EBPFNET_FLOW_DROP_NONE), "DROP_REASON_UNKNOWN");
	ck_assert_str_eq(ebpfnet_flow_drop_reason_name((enum ebpfnet_flow_drop_reason)6), "DROP_REASON_UNKNOWN");
}
END_TEST

/* ---- text lines --------------------------------------------------------------- */

START_TEST(test_text_request)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.1:43210 (world) -> "
			 "10.0.0.2:80 (ID:1234) to-endpoint FORWARDED (TCP Flags: SYN)");
}
END_TEST

/* A reply is written initiator first, with "<-" (Hubble flips it). */
START_TEST(test_text_reply_and_unknown)
{
	struct ebpfnet_flow_record f;

	syn_ack_flow(&f);
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.1:43210 (world) <- "
			 "10.0.0.2:80 (ID:1234) from-endpoint FORWARDED "
			 "(TCP Flags: SYN, ACK) [flags packets 2 bytes 148]");
	/* direction a guess: the packet's own direction, "<>" */
	f.reply_known = false;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.2:80 (ID:1234) <> "
			 "10.0.0.1:43210 (world) from-endpoint FORWARDED "
			 "(TCP Flags: SYN, ACK) [flags packets 2 bytes 148]");
}
END_TEST

START_TEST(test_text_tcp_flags)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.tcp_flags = 0xff;
	assert_has(TEXT(&f), "(TCP Flags: SYN, ACK, RST, FIN, PSH, URG, ECE, CWR)");
	f.tcp_flags = 0x11;
	assert_has(TEXT(&f), "(TCP Flags: ACK, FIN)");
	f.tcp_flags = 0x14;
	assert_has(TEXT(&f), "(TCP Flags: ACK, RST)");
	/* no packet: the flags seen over the flow */
	f.kind = EBPFNET_FLOW_SNAPSHOT;
	f.tcp_flags = 0;
	f.tcp_flags_seen = 0x1b;
	f.reply.packets = 4;
	f.reply.bytes = 1000;
	assert_has(TEXT(&f), "(TCP Flags: SYN, ACK, FIN, PSH) [snapshot packets 5 bytes 1074]");
}
END_TEST

START_TEST(test_text_ipv6_udp)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.family = AF_INET6;
	f.proto = IPPROTO_UDP;
	f.obs = EBPFNET_FLOW_OBS_TO_NETWORK;
	set_addr(&f.src, AF_INET6, "2001:db8::1", 5353, 0, NULL);
	set_addr(&f.dst, AF_INET6, "2001:db8::2", 53, 3, NULL);
	f.kind = EBPFNET_FLOW_END;
	f.reply.packets = 1;
	f.reply.bytes = 1500;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: [2001:db8::1]:5353 -> "
			 "[2001:db8::2]:53 (ID:3) to-network FORWARDED (UDP) "
			 "[end packets 2 bytes 1574]");
}
END_TEST

START_TEST(test_text_icmp)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.proto = IPPROTO_ICMP;
	f.icmp_type = 8;
	f.src.identity = 1;
	f.obs = EBPFNET_FLOW_OBS_FROM_NETWORK;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.1 (host) -> "
			 "10.0.0.2 (ID:1234) from-network FORWARDED (ICMPv4 EchoRequest)");
	f.icmp_type = 3;
	f.icmp_code = 3;
	assert_has(TEXT(&f), "(ICMPv4 DestinationUnreachable(Port))");
	f.icmp_code = 16;
	assert_has(TEXT(&f), "(ICMPv4 DestinationUnreachable(Code: 16))");
	f.icmp_type = 8;
	f.icmp_code = 1;
	assert_has(TEXT(&f), "(ICMPv4 EchoRequest(Code: 1))");
	f.icmp_type = 200;
	f.icmp_code = 3;
	assert_has(TEXT(&f), "(ICMPv4 200(3))");
	f.icmp_type = 11;
	f.icmp_code = 0;
	assert_has(TEXT(&f), "(ICMPv4 TimeExceeded(TTLExceeded))");

	f.family = AF_INET6;
	f.proto = IPPROTO_ICMPV6;
	set_addr(&f.src, AF_INET6, "fd00::1", 0, 0, NULL);
	set_addr(&f.dst, AF_INET6, "fd00::2", 0, 0, NULL);
	f.icmp_type = 129;
	f.icmp_code = 0;
	f.is_reply = true;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: fd00::2 <- fd00::1 "
			 "from-network FORWARDED (ICMPv6 EchoReply)");
	f.icmp_type = 1;
	f.icmp_code = 4;
	assert_has(TEXT(&f), "(ICMPv6 DestinationUnreachable(PortUnreachable))");
	f.icmp_type = 135;
	assert_has(TEXT(&f), "(ICMPv6 NeighborSolicitation(Code: 4))");
}
END_TEST

START_TEST(test_text_other_protocol)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.proto = 47;
	f.src.identity = f.dst.identity = 0;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.1 -> 10.0.0.2 "
			 "to-endpoint FORWARDED (proto 47)");
	f.proto = IPPROTO_SCTP;
	assert_has(TEXT(&f), "10.0.0.1:43210 -> 10.0.0.2:80 to-endpoint FORWARDED (SCTP)");
}
END_TEST

START_TEST(test_text_drop)
{
	static const char *const reasons[] = {
		"Unknown reason", "Drop rule", "Fragment dropped", "Invalid packet",
		"Policy denied", "Policy denied by denylist", "Unknown reason",
	};
	struct ebpfnet_flow_record f;
	char want[256];
	unsigned int r;

	syn_flow(&f);
	f.kind = EBPFNET_FLOW_DROP;
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.obs = EBPFNET_FLOW_OBS_FROM_NETWORK;
	f.drop_reason = EBPFNET_FLOW_DROP_POLICY_DENIED;
	f.reply_known = false;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.1:43210 (world) <> "
			 "10.0.0.2:80 (ID:1234) Policy denied DROPPED (TCP Flags: SYN)");
	for (r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
		f.drop_reason = (enum ebpfnet_flow_drop_reason)r;
		snprintf(want, sizeof(want), " %s DROPPED (", reasons[r]);
		assert_has(TEXT(&f), want);
	}
}
END_TEST

START_TEST(test_text_policy)
{
	static const char *const matches[] = {
		"none", "L3-Only", "L3-L4", "L4-Only", "all", "unknown",
	};
	struct ebpfnet_flow_record f;
	char want[256];
	unsigned int m;

	syn_flow(&f);
	f.kind = EBPFNET_FLOW_POLICY;
	f.policy_match = EBPFNET_FLOW_MATCH_L3_L4;
	f.policy_ingress = true;
	f.rule_id = 3;
	ck_assert_str_eq(TEXT(&f), "Nov 21 10:00:00.123: 10.0.0.1:43210 (world) -> "
			 "10.0.0.2:80 (ID:1234) policy-verdict:L3-L4 INGRESS ALLOWED "
			 "(TCP Flags: SYN)");
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.drop_reason = EBPFNET_FLOW_DROP_POLICY_DENIED;
	f.policy_ingress = false;
	f.proto = IPPROTO_UDP;
	for (m = 0; m < sizeof(matches) / sizeof(matches[0]); m++) {
		f.policy_match = (enum ebpfnet_flow_policy_match)m;
		snprintf(want, sizeof(want),
			 " policy-verdict:%s EGRESS DENIED (UDP)", matches[m]);
		assert_has(TEXT(&f), want);
	}
}
END_TEST

START_TEST(test_text_time)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.time_ns = 1798902245000999999ull; /* 2027-01-02T15:04:05.000999999Z */
	ck_assert(!strncmp(TEXT(&f), "Jan  2 15:04:05.000: ", 21));
	f.time_ns = 0;
	ck_assert(!strncmp(TEXT(&f), "Jan  1 00:00:00.000: ", 21));
}
END_TEST

/* ---- JSON ------------------------------------------------------------------------ */

START_TEST(test_json_golden)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	ck_assert_str_eq(JSON(&f),
		"{\"flow\":{\"time\":" T0_JSON ",\"verdict\":\"FORWARDED\","
		"\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\",\"ipVersion\":\"IPv4\"},"
		"\"l4\":{\"TCP\":{\"source_port\":43210,\"destination_port\":80,\"flags\":{\"SYN\":true}}},"
		"\"source\":{\"identity\":2,\"labels\":[\"reserved:world\"]},"
		"\"destination\":{\"identity\":1234,\"labels\":[\"k8s:app=web\",\"k8s:tier=front\"]},"
		"\"Type\":\"L3_L4\",\"node_name\":\"node-1\","
		"\"event_type\":{\"type\":4,\"sub_type\":0},"
		"\"traffic_direction\":\"INGRESS\",\"trace_observation_point\":\"TO_ENDPOINT\","
		"\"is_reply\":false,\"interface\":{\"index\":7,\"name\":\"veth-web\"},"
		"\"Summary\":\"TCP Flags: SYN\",\"packets\":1,\"bytes\":74,"
		"\"ebpfnet\":{\"kind\":\"new\",\"orig\":{\"packets\":1,\"bytes\":74},"
		"\"reply\":{\"packets\":0,\"bytes\":0},\"first_seen\":" T0_JSON ","
		"\"last_seen\":" T0_JSON ",\"tcp_flags_seen\":{\"SYN\":true},"
		"\"pkt_len\":74,\"rule_id\":0,\"reply_known\":true}},"
		"\"node_name\":\"node-1\",\"time\":" T0_JSON "}");
}
END_TEST

START_TEST(test_json_variants)
{
	struct ebpfnet_flow_record f;

	syn_ack_flow(&f);
	f.tcp_flags = 0xff;
	assert_has(JSON(&f), "\"flags\":{\"FIN\":true,\"SYN\":true,\"RST\":true,"
		   "\"PSH\":true,\"ACK\":true,\"URG\":true,\"ECE\":true,\"CWR\":true}");
	assert_has(out, "\"is_reply\":true");
	assert_has(out, "\"event_type\":{\"type\":4,\"sub_type\":5}");
	assert_has(out, "\"trace_observation_point\":\"FROM_ENDPOINT\"");
	assert_has(out, "\"packets\":2,\"bytes\":148");
	assert_has(out, "\"orig\":{\"packets\":1,\"bytes\":74},\"reply\":{\"packets\":1,\"bytes\":74}");
	assert_lacks(out, "drop_reason_desc");
	assert_lacks(out, "policy_match_type");
	/* unknown direction: no is_reply at all (Hubble's nil) */
	f.reply_known = false;
	assert_lacks(JSON(&f), "is_reply");
	assert_has(out, "\"reply_known\":false");

	syn_flow(&f);
	f.family = AF_INET6;
	f.proto = IPPROTO_ICMPV6;
	f.icmp_type = 128;
	f.obs = EBPFNET_FLOW_OBS_TO_NETWORK;
	f.direction = EBPFNET_FLOW_DIR_EGRESS;
	set_addr(&f.src, AF_INET6, "2001:db8::1", 0, 0, NULL);
	set_addr(&f.dst, AF_INET6, "2001:db8::2", 0, 77, "");
	assert_has(JSON(&f), "\"IP\":{\"source\":\"2001:db8::1\",\"destination\":"
		   "\"2001:db8::2\",\"ipVersion\":\"IPv6\"},\"l4\":{\"ICMPv6\":{\"type\":128,\"code\":0}}");
	assert_has(out, "\"source\":{\"identity\":0,\"labels\":[]},"
		   "\"destination\":{\"identity\":77,\"labels\":[]}");
	assert_has(out, "\"traffic_direction\":\"EGRESS\"");
	assert_has(out, "\"event_type\":{\"type\":4,\"sub_type\":11}");
	assert_has(out, "\"Summary\":\"ICMPv6 EchoRequest\"");
	assert_lacks(out, "tcp_flags_seen");

	syn_flow(&f);
	f.proto = IPPROTO_ICMP;
	f.icmp_type = 3;
	f.icmp_code = 4;
	f.src.identity = 1;
	assert_has(JSON(&f), "\"l4\":{\"ICMPv4\":{\"type\":3,\"code\":4}}");
	assert_has(out, "\"source\":{\"identity\":1,\"labels\":[\"reserved:host\"]}");
	f.proto = IPPROTO_UDP;
	assert_has(JSON(&f), "\"l4\":{\"UDP\":{\"source_port\":43210,\"destination_port\":80}}");
	f.proto = 47;
	assert_lacks(JSON(&f), "\"l4\"");
	assert_has(out, "\"Summary\":\"proto 47\"");

	/* out-of-range enums still give their fallback names */
	f.obs = (enum ebpfnet_flow_obs)42;
	f.direction = (enum ebpfnet_flow_direction)42;
	f.kind = (enum ebpfnet_flow_kind)42;
	assert_has(JSON(&f), "\"event_type\":{\"type\":4}");
	assert_has(out, "\"trace_observation_point\":\"UNKNOWN_POINT\"");
	assert_has(out, "\"traffic_direction\":\"TRAFFIC_DIRECTION_UNKNOWN\"");
	assert_has(out, "\"kind\":\"unknown\"");
	assert_has(TEXT(&f), " unknown FORWARDED (proto 47) [unknown packets 1 bytes 74]");
}
END_TEST

START_TEST(test_json_drop_and_policy)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.kind = EBPFNET_FLOW_DROP;
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.drop_reason = EBPFNET_FLOW_DROP_RULE;
	f.rule_id = 9;
	assert_has(JSON(&f), "\"verdict\":\"DROPPED\"");
	assert_has(out, "\"event_type\":{\"type\":1}");
	assert_has(out, "\"trace_observation_point\":\"TO_ENDPOINT\",\"drop_reason_desc\":\"DROP_RULE\"");
	assert_has(out, "\"kind\":\"drop\"");
	assert_has(out, "\"rule_id\":9");

	syn_flow(&f);
	f.kind = EBPFNET_FLOW_POLICY;
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.drop_reason = EBPFNET_FLOW_DROP_POLICY_DENY;
	f.policy_match = EBPFNET_FLOW_MATCH_L4_ONLY;
	assert_has(JSON(&f), "\"event_type\":{\"type\":5},\"traffic_direction\":\"INGRESS\","
		   "\"policy_match_type\":3,");
	assert_has(out, "\"drop_reason_desc\":\"POLICY_DENY\"");
	f.verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	assert_lacks(JSON(&f), "drop_reason_desc");
	assert_has(out, "\"verdict\":\"FORWARDED\"");
}
END_TEST

/* ---- DNS ------------------------------------------------------------------------ */

START_TEST(test_dns_text)
{
	struct ebpfnet_flow_dns d;

	dns_request(&d);
	ck_assert_str_eq(DNS_TEXT(&d), "Nov 21 10:00:00.123: 10.0.0.1:40000 (ID:1234) -> "
			 "10.0.0.53:53 (world) dns-request FORWARDED (DNS Query example.com. A)");
	dns_response(&d);
	ck_assert_str_eq(DNS_TEXT(&d), "Nov 21 10:00:00.123: 10.0.0.1:40000 (ID:1234) <- "
			 "10.0.0.53:53 (world) dns-response FORWARDED (DNS Answer "
			 "\"93.184.216.34,93.184.216.35\" TTL: 300 (Query example.com. A))");
	d.rcode = 3;
	d.n_ips = 0;
	d.ttl = 0;
	assert_has(DNS_TEXT(&d), " dns-response FORWARDED (DNS Answer RCode: NXDOMAIN "
		   "TTL: 0 (Query example.com. A))");
	d.rcode = 14;
	assert_has(DNS_TEXT(&d), "(DNS Answer RCode: RCODE14 TTL: 0");
	d.rcode = 0;
	d.truncated = true;
	d.qtype = 28;
	d.n_ips = 1;
	d.ips[0].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::53", d.ips[0].addr);
	assert_has(DNS_TEXT(&d), "(DNS Answer \"2001:db8::53\" TTL: 0 (Query example.com. AAAA)) [truncated]");
	d.qtype = 4711;
	assert_has(DNS_TEXT(&d), "(Query example.com. TYPE4711))");
	/* no question */
	d.query[0] = '\0';
	assert_has(DNS_TEXT(&d), "TTL: 0 (Query)) [truncated]");
	/* IPv6 transport, TCP */
	dns_request(&d);
	d.family = AF_INET6;
	d.proto = IPPROTO_TCP;
	set_addr(&d.src, AF_INET6, "fd00::1", 40000, 0, NULL);
	set_addr(&d.dst, AF_INET6, "fd00::53", 53, 0, NULL);
	ck_assert_str_eq(DNS_TEXT(&d), "Nov 21 10:00:00.123: [fd00::1]:40000 -> "
			 "[fd00::53]:53 dns-request FORWARDED (DNS Query example.com. A)");
}
END_TEST

START_TEST(test_dns_json)
{
	struct ebpfnet_flow_dns d;

	dns_response(&d);
	ck_assert_str_eq(DNS_JSON(&d),
		"{\"flow\":{\"time\":" T0_JSON ",\"verdict\":\"FORWARDED\","
		"\"IP\":{\"source\":\"10.0.0.53\",\"destination\":\"10.0.0.1\",\"ipVersion\":\"IPv4\"},"
		"\"l4\":{\"UDP\":{\"source_port\":53,\"destination_port\":40000}},"
		"\"source\":{\"identity\":2,\"labels\":[\"reserved:world\"]},"
		"\"destination\":{\"identity\":1234,\"labels\":[\"app=web\"]},"
		"\"Type\":\"L7\",\"node_name\":\"node-1\","
		"\"l7\":{\"type\":\"RESPONSE\",\"dns\":{\"query\":\"example.com.\","
		"\"ips\":[\"93.184.216.34\",\"93.184.216.35\"],\"ttl\":300,"
		"\"cnames\":[\"cdn.example.net.\"],\"rcode\":0,\"qtypes\":[\"A\"],"
		"\"rrtypes\":[\"CNAME\",\"A\"]}},"
		"\"event_type\":{\"type\":129},\"is_reply\":true,"
		"\"interface\":{\"index\":3,\"name\":\"eth0\"},"
		"\"Summary\":\"DNS Answer \\\"93.184.216.34,93.184.216.35\\\" TTL: 300 (Query example.com. A)\","
		"\"ebpfnet\":{\"id\":4660,\"qclass\":1,\"truncated\":false,\"answers\":3}},"
		"\"node_name\":\"node-1\",\"time\":" T0_JSON "}");

	dns_request(&d);
	assert_has(DNS_JSON(&d), "\"l7\":{\"type\":\"REQUEST\",\"dns\":{\"query\":\"example.com.\","
		   "\"qtypes\":[\"A\"]}}");
	assert_has(out, "\"is_reply\":false");
	assert_has(out, "\"Summary\":\"DNS Query example.com. A\"");

	dns_response(&d);
	d.n_cnames = 0;
	d.n_ips = 3;
	d.ips[2].family = AF_INET6;
	memset(d.ips[2].addr, 0, 16);
	d.ips[2].addr[15] = 1;
	d.proto = IPPROTO_TCP;
	assert_has(DNS_JSON(&d), "\"rrtypes\":[\"A\",\"AAAA\"]");
	assert_has(out, "\"ips\":[\"93.184.216.34\",\"93.184.216.35\",\"::1\"]");
	assert_has(out, "\"l4\":{\"TCP\":{\"source_port\":53,\"destination_port\":40000,\"flags\":{}}}");
	d.n_ips = 0;
	d.rcode = 3;
	assert_has(DNS_JSON(&d), "\"ips\":[],\"ttl\":300,\"cnames\":[],\"rcode\":3,"
		   "\"qtypes\":[\"A\"],\"rrtypes\":[]");
	d.query[0] = '\0';
	assert_has(DNS_JSON(&d), "\"query\":\"\",");
	assert_has(out, "\"qtypes\":[]");
}
END_TEST

/* The parser's output formats as a whole: one path, end to end. */
START_TEST(test_dns_parse_then_format)
{
	static const uint8_t msg[] = {
		0x00, 0x2a, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x01, 'a', 0x02, 'b', '"', 0x00, 0x00, 0x01, 0x00, 0x01,
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
		0x0a, 0x00, 0x00, 0x09,
	};
	struct ebpfnet_flow_dns d;

	dns_request(&d);
	ck_assert_int_eq(ebpfnet_flow_dns_parse(msg, sizeof(msg), &d), 0);
	assert_has(DNS_TEXT(&d), "(DNS Answer \"10.0.0.9\" TTL: 60 (Query a.b\\\\\". A))");
	assert_has(DNS_JSON(&d), "\"query\":\"a.b\\\\\\\".\"");
}
END_TEST

/* ---- hostile strings ------------------------------------------------------------ */

static const char hostile[] = "q\"uo\\te\n\x1b[31m\x01\xff\xc3(\xe2\x82,x=\"}]";

START_TEST(test_hostile_flow)
{
	struct ebpfnet_flow_record f;

	syn_flow(&f);
	f.src.labels = hostile;
	f.dst.labels = ",,k=v,,";
	memset(f.ifname, 0, sizeof(f.ifname));
	memcpy(f.ifname, "e\"\\\x01\xff\n0123456789", 16); /* no NUL */
	ck_assert_int_gt(ebpfnet_flow_format(&f, EBPFNET_FORMAT_JSON, hostile, out,
					     sizeof(out)), 0);
	ck_assert_msg(json_valid(out), "invalid JSON: %s", out);
	assert_has(out, "\"labels\":[\"q\\\"uo\\\\te\\n\\u001b[31m\\u0001\\ufffd\\ufffd(\\ufffd\\ufffd\","
		   "\"x=\\\"}]\"]");
	assert_has(out, "\"destination\":{\"identity\":1234,\"labels\":[\"k=v\"]}");
	assert_has(out, "\"name\":\"e\\\"\\\\\\u0001\\ufffd\\n0123456789\"}");
	assert_has(out, "\"node_name\":\"q\\\"uo\\\\te\\n");
	/* the text line shows neither labels nor names: nothing to escape */
	ck_assert_int_gt(ebpfnet_flow_format(&f, EBPFNET_FORMAT_TEXT, hostile, out,
					     sizeof(out)), 0);
	assert_lacks(out, "uo");
}
END_TEST

START_TEST(test_hostile_dns)
{
	struct ebpfnet_flow_dns d;

	dns_response(&d);
	memset(d.query, 'x', sizeof(d.query)); /* no NUL */
	memcpy(d.query, hostile, sizeof(hostile) - 1);
	strcpy(d.cnames[0], hostile);
	memset(d.ifname, '\x7f', sizeof(d.ifname));
	DNS_JSON(&d);
	assert_has(out, "\"query\":\"q\\\"uo\\\\te\\n\\u001b[31m\\u0001\\ufffd");
	assert_has(out, "\"cnames\":[\"q\\\"uo");
	assert_has(out, "\"name\":\"\\u007f\\u007f");
	/* text: control bytes and invalid UTF-8 as \xNN, nothing raw */
	DNS_TEXT(&d);
	assert_has(out, "(Query q\"uo\\\\te\\x0a\\x1b[31m\\x01\\xff\\xc3(\\xe2\\x82,x=\"}]xxx");
	ck_assert(!strchr(out, '\x1b'));
}
END_TEST

/* Every byte value in labels and the interface name: valid JSON. */
START_TEST(test_json_every_byte)
{
	struct ebpfnet_flow_record f;
	struct ebpfnet_flow_dns d;
	char labels[8];

	syn_flow(&f);
	snprintf(labels, sizeof(labels), "a=%c,%c", _i, _i);
	f.src.labels = labels;
	f.ifname[0] = (char)_i;
	JSON(&f);
	dns_response(&d);
	d.query[0] = (char)_i;
	d.cnames[0][1] = (char)_i;
	DNS_JSON(&d);
	DNS_TEXT(&d);
	ck_assert(!strchr(out, '\n') && !strchr(out, '\x1b'));
}
END_TEST

/* ---- node name, buffers, arguments --------------------------------------------- */

START_TEST(test_node_name_default)
{
	struct ebpfnet_flow_record f;
	char host[256] = "", want[300];

	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	snprintf(want, sizeof(want), ",\"node_name\":\"%s\",\"time\":", host);
	syn_flow(&f);
	ck_assert_int_gt(ebpfnet_flow_format(&f, EBPFNET_FORMAT_JSON, NULL, out,
					     sizeof(out)), 0);
	ck_assert(json_valid(out));
	assert_has(out, want);
}
END_TEST

typedef int (*any_format_fn)(const void *obj, enum ebpfnet_format format,
			     char *buf, size_t len);

static int flow_fmt(const void *obj, enum ebpfnet_format format, char *buf,
		    size_t len)
{
	return ebpfnet_flow_format(obj, format, NODE, buf, len);
}

static int dns_fmt(const void *obj, enum ebpfnet_format format, char *buf,
		   size_t len)
{
	return ebpfnet_flow_dns_format(obj, format, NODE, buf, len);
}

/* snprintf's contract at every length: the same return, a NUL-terminated
 * prefix, nothing written past len. */
static void check_every_len(any_format_fn fmt, const void *obj)
{
	enum ebpfnet_format format;
	char full[4096], buf[4096 + 2];
	size_t len;
	int n;

	for (format = EBPFNET_FORMAT_TEXT; format <= EBPFNET_FORMAT_JSON; format++) {
		n = fmt(obj, format, NULL, 0);
		ck_assert_int_gt(n, 0);
		ck_assert_uint_lt((size_t)n, sizeof(full));
		ck_assert_int_eq(fmt(obj, format, full, sizeof(full)), n);
		for (len = 0; len <= (size_t)n + 1; len++) {
			memset(buf, '#', sizeof(buf));
			ck_assert_int_eq(fmt(obj, format, len ? buf : NULL, len), n);
			if (len) {
				ck_assert_int_eq(buf[len - 1], '\0');
				ck_assert(!strncmp(buf, full, len - 1));
			}
			ck_assert_msg(buf[len] == '#', "len %zu: written past it", len);
		}
	}
}

START_TEST(test_every_len)
{
	struct ebpfnet_flow_record f;
	struct ebpfnet_flow_dns d;

	syn_ack_flow(&f);
	f.src.labels = hostile;
	check_every_len(flow_fmt, &f);
	dns_response(&d);
	for (d.n_ips = 0; d.n_ips < EBPFNET_FLOW_DNS_MAX_IPS; d.n_ips++) {
		d.ips[d.n_ips].family = AF_INET6;
		memset(d.ips[d.n_ips].addr, 0xfe, 16);
	}
	strcpy(d.query, hostile);
	check_every_len(dns_fmt, &d);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct ebpfnet_flow_record f;
	struct ebpfnet_flow_dns d;

	syn_flow(&f);
	dns_response(&d);
	errno = 0;
	ck_assert_int_eq(ebpfnet_flow_format(NULL, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ebpfnet_flow_format(&f, EBPFNET_FORMAT_TEXT, NODE, NULL, 1), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_format(&f, (enum ebpfnet_format)2, NODE, out, 1), -EINVAL);
	/* a struct from before policy_ingress */
	f.sz = offsetof(struct ebpfnet_flow_record, policy_ingress);
	ck_assert_int_eq(ebpfnet_flow_format(&f, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	assert_has(last_warn, "sz");
	f.sz = 0;
	ck_assert_int_eq(ebpfnet_flow_format(&f, EBPFNET_FORMAT_JSON, NODE, out, 1), -EINVAL);
	syn_flow(&f);
	f.family = AF_UNIX;
	ck_assert_int_eq(ebpfnet_flow_format(&f, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	assert_has(last_warn, "family");

	ck_assert_int_eq(ebpfnet_flow_dns_format(NULL, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_JSON, NODE, NULL, 5), -EINVAL);
	d.sz = 8;
	ck_assert_int_eq(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	dns_response(&d);
	d.n_ips = EBPFNET_FLOW_DNS_MAX_IPS + 1;
	ck_assert_int_eq(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	dns_response(&d);
	d.n_cnames = EBPFNET_FLOW_DNS_MAX_CNAMES + 1;
	ck_assert_int_eq(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_TEXT, NODE, out, 1), -EINVAL);
	dns_response(&d);
	d.ips[1].family = 0;
	ck_assert_int_eq(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_JSON, NODE, out, 1), -EINVAL);
	dns_response(&d);
	d.family = 0;
	ck_assert_int_eq(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_JSON, NODE, out, 1), -EINVAL);
	/* a size query needs no buffer */
	dns_response(&d);
	ck_assert_int_gt(ebpfnet_flow_dns_format(&d, EBPFNET_FORMAT_JSON, NULL, NULL, 0), 0);
}
END_TEST

/* ---- an independent JSON parser ----------------------------------------------- */

static const char py_check[] =
	"import json, sys\n"
	"def no_dups(pairs):\n"
	"    keys = [k for k, _ in pairs]\n"
	"    assert len(keys) == len(set(keys)), 'duplicate key in %r' % keys\n"
	"    return dict(pairs)\n"
	"def bad_constant(c):\n"
	"    raise ValueError('not JSON: ' + c)\n"
	"n = 0\n"
	"for line in open(sys.argv[1], encoding='utf-8', errors='strict'):\n"
	"    o = json.loads(line, object_pairs_hook=no_dups, parse_constant=bad_constant)\n"
	"    assert set(o) == {'flow', 'node_name', 'time'}, o.keys()\n"
	"    n += 1\n"
	"print(n)\n";

/* Run the checker above on path: the number of objects it read, or -1. */
static int python_count(const char *path, char *msg, size_t msg_len)
{
	char cmd[sizeof(py_check) + 128];
	FILE *py;
	int rc;

	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "python3 - '%s' 2>&1 <<'EOF'\n%sEOF\n",
				  path, py_check), (int)sizeof(cmd));
	py = popen(cmd, "r");
	ck_assert_ptr_nonnull(py);
	if (!fgets(msg, (int)msg_len, py))
		msg[0] = '\0';
	rc = pclose(py);
	return rc == 0 ? atoi(msg) : -1;
}

/* Every shape once more, through Python's json module, and through
 * `python3 -m json.tool`, as a user would check it. */
START_TEST(test_python_json)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
					  IPPROTO_SCTP, 47 };
	char path[] = "/tmp/test_flow_format.XXXXXX", cmd[128], msg[256];
	struct ebpfnet_flow_record f;
	struct ebpfnet_flow_dns d;
	int fd = mkstemp(path), lines = 0, n, k;
	FILE *file;

	ck_assert_int_ge(fd, 0);
	file = fdopen(fd, "w");
	ck_assert_ptr_nonnull(file);
	for (k = 0; k <= EBPFNET_FLOW_POLICY; k++) {
		syn_flow(&f);
		f.kind = (enum ebpfnet_flow_kind)k;
		f.proto = protos[k % sizeof(protos)];
		f.src.labels = k % 2 ? hostile : NULL;
		if (k >= EBPFNET_FLOW_DROP)
			f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
		fprintf(file, "%s\n", JSON(&f));
		lines++;
	}
	dns_response(&d);
	strcpy(d.query, hostile);
	fprintf(file, "%s\n", DNS_JSON(&d));
	dns_request(&d);
	fprintf(file, "%s\n", DNS_JSON(&d));
	lines += 2;
	ck_assert_int_eq(fclose(file), 0);

	n = python_count(path, msg, sizeof(msg));
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool --json-lines '%s' >/dev/null",
		 path);
	k = system(cmd);
	unlink(path);
	ck_assert_msg(n == lines, "python3: %s", msg);
	ck_assert_int_eq(k, 0);
}
END_TEST

static Suite *flow_format_suite(void)
{
	Suite *s = suite_create("flow_format");
	TCase *tc = tcase_create("format");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_test(tc, test_validator_self_check);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_text_request);
	tcase_add_test(tc, test_text_reply_and_unknown);
	tcase_add_test(tc, test_text_tcp_flags);
	tcase_add_test(tc, test_text_ipv6_udp);
	tcase_add_test(tc, test_text_icmp);
	tcase_add_test(tc, test_text_other_protocol);
	tcase_add_test(tc, test_text_drop);
	tcase_add_test(tc, test_text_policy);
	tcase_add_test(tc, test_text_time);
	tcase_add_test(tc, test_json_golden);
	tcase_add_test(tc, test_json_variants);
	tcase_add_test(tc, test_json_drop_and_policy);
	tcase_add_test(tc, test_dns_text);
	tcase_add_test(tc, test_dns_json);
	tcase_add_test(tc, test_dns_parse_then_format);
	tcase_add_test(tc, test_hostile_flow);
	tcase_add_test(tc, test_hostile_dns);
	tcase_add_loop_test(tc, test_json_every_byte, 1, 256);
	tcase_add_test(tc, test_node_name_default);
	tcase_add_test(tc, test_every_len);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_python_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Golden lines are in UTC; the library uses the local time zone. */
	setenv("TZ", "UTC", 1);
	tzset();
	return test_run_suite(flow_format_suite(), CK_NORMAL);
}
