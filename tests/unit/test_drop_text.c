/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet_drop_rule_parse(), ebpfnet_drop_rule_format() and
 * ebpfnet_drop_event_format(): every word with good and bad values (the
 * canonical text of a parsed rule is compared with a golden string), the
 * round trip parse(format(rule)) == rule over random rules, golden JSON,
 * truncation at every buffer length, size queries and bad arguments.
 */
#include <check.h>

#include "check_run.h"
#include "format_check.h"
#include "log_capture.h"
#include "rng.h"
#include "words.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ebpfnet/ebpfnet.h>

static int parse_line(const char *line, struct ebpfnet_drop_rule *rule,
		      char *err, size_t errlen)
{
	struct words w;

	words_split(&w, NULL, line);
	memset(rule, 0, sizeof(*rule));
	rule->sz = sizeof(*rule);
	return ebpfnet_drop_rule_parse(w.argc, words_const(&w), rule, err, errlen);
}

static const char *text_of(const struct ebpfnet_drop_rule *rule,
			   enum ebpfnet_format format)
{
	static char out[1024];
	int n = ebpfnet_drop_rule_format(rule, format, out, sizeof(out));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(out), "format: %d (%s)", n,
		      last_warn);
	return out;
}

/* ---- good words: parse, then the canonical text ------------------------ */

static const struct {
	const char *in;
	const char *text;
} good[] = {
	{ "proto icmp icmp-type echo-request",
	  "action drop family ipv4 proto icmp icmp-type echo-request" },
	{ "icmp-type echo-request proto icmpv6",
	  "action drop family ipv6 proto icmpv6 icmp-type echo-request" },
	{ "icmp-type time-exceeded family ipv6",
	  "action drop family ipv6 proto icmpv6 icmp-type time-exceeded" },
	{ "icmp-type 3 icmp-code 1",
	  "action drop family ipv4 proto icmp icmp-type dest-unreachable icmp-code 1" },
	{ "proto icmp icmp-type 200 icmp-code 0",
	  "action drop family ipv4 proto icmp icmp-type 200 icmp-code 0" },
	{ "proto 58 icmp-type 135",
	  "action drop family ipv6 proto icmpv6 icmp-type neighbor-solicitation" },
	{ "family ip proto udp dst-port 53",
	  "action drop family ipv4 proto udp dst-port 53" },
	{ "family ip6 proto 99", "action drop family ipv6 proto 99" },
	{ "family ipv6 action pass", "action pass family ipv6" },
	{ "proto gre action count", "action count proto gre" },
	{ "proto esp", "action drop proto esp" },
	{ "proto ah", "action drop proto ah" },
	{ "proto 0", "action drop proto 0" },
	{ "proto 255", "action drop proto 255" },
	{ "proto sctp src-port 1 dst-port 65535",
	  "action drop proto sctp src-port 1 dst-port 65535" },
	{ "src 10.0.0.1", "action drop src 10.0.0.1/32" },
	{ "dst 2001:db8::1", "action drop dst 2001:db8::1/128" },
	{ "src 0.0.0.0/0", "action drop src 0.0.0.0/0" },
	{ "dst ::/0", "action drop dst ::/0" },
	{ "dst 2001:db8::/32 action count proto tcp src-port 80",
	  "action count proto tcp src-port 80 dst 2001:db8::/32" },
	{ "src 10.0.0.0/8 dst 10.1.2.0/24 proto udp dst-port 53 src-port 1024",
	  "action drop proto udp src 10.0.0.0/8 src-port 1024 dst 10.1.2.0/24 dst-port 53" },
	{ "proto icmp src 10.0.0.0/8",
	  "action drop family ipv4 proto icmp src 10.0.0.0/8" },
	{ "sig l4+8:deadbeef/ffffffff",
	  "action drop sig l4+8:deadbeef/ffffffff" },
	{ "sig l3+0:AB", "action drop sig l3+0:ab/ff" },
	{ "sig l3+1500:00112233445566778899aabbccddee0f/ffffffffffffffffffffffffffffff0f",
	  "action drop sig l3+1500:00112233445566778899aabbccddee0f/ffffffffffffffffffffffffffffff0f" },
	{ "sig l4+0:10/f0 proto udp", "action drop proto udp sig l4+0:10/f0" },
};

START_TEST(test_good_words)
{
	struct ebpfnet_drop_rule rule;
	char err[128] = "untouched";

	ck_assert_msg(parse_line(good[_i].in, &rule, err, sizeof(err)) == 0,
		      "'%s': %s", good[_i].in, err);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(text_of(&rule, EBPFNET_FORMAT_TEXT), good[_i].text);
	ck_assert_uint_eq(rule.sz, sizeof(rule));
}
END_TEST

START_TEST(test_icmp_type_names)
{
	static const struct {
		const char *name;
		uint8_t v4, v6; /* 0xff: no such name */
	} names[] = {
		{ "echo-request", 8, 128 }, { "echo-reply", 0, 129 },
		{ "dest-unreachable", 3, 1 }, { "time-exceeded", 11, 3 },
		{ "redirect", 5, 0xff }, { "parameter-problem", 12, 4 },
		{ "source-quench", 4, 0xff }, { "timestamp", 13, 0xff },
		{ "router-advertisement", 9, 134 },
		{ "router-solicitation", 10, 133 },
		{ "packet-too-big", 0xff, 2 },
		{ "neighbor-solicitation", 0xff, 135 },
		{ "neighbor-advertisement", 0xff, 136 },
	};
	struct ebpfnet_drop_rule rule;
	char line[128], err[128];
	size_t i;
	int v6;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (v6 = 0; v6 < 2; v6++) {
			uint8_t want = v6 ? names[i].v6 : names[i].v4;

			snprintf(line, sizeof(line), "icmp-type %s proto %s",
				 names[i].name, v6 ? "icmpv6" : "icmp");
			if (want == 0xff) {
				ck_assert_int_eq(parse_line(line, &rule, err, sizeof(err)),
						 -EINVAL);
				ck_assert_ptr_nonnull(strstr(err, "is not an"));
				continue;
			}
			ck_assert_msg(parse_line(line, &rule, err, sizeof(err)) == 0,
				      "%s: %s", line, err);
			ck_assert_uint_eq(rule.icmp_type, want);
			ck_assert_uint_eq(rule.proto, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
			ck_assert_uint_eq(rule.family, v6 ? AF_INET6 : AF_INET);
		}
	}
}
END_TEST

START_TEST(test_fields)
{
	struct ebpfnet_drop_rule rule;
	char err[128];
	uint8_t want[4] = { 10, 1, 2, 0 };

	ck_assert_int_eq(parse_line("src 10.1.2.0/24 dst-port 443 proto tcp action count",
				    &rule, err, sizeof(err)), 0);
	ck_assert_uint_eq(rule.match, EBPFNET_DROP_MATCH_SRC |
					      EBPFNET_DROP_MATCH_DPORT |
					      EBPFNET_DROP_MATCH_PROTO);
	ck_assert_int_eq(rule.action, EBPFNET_DROP_ACTION_COUNT);
	ck_assert_uint_eq(rule.src.family, AF_INET);
	ck_assert_uint_eq(rule.src.len, 24);
	ck_assert_mem_eq(rule.src.addr, want, 4);
	ck_assert_uint_eq(rule.dport, 443);
	ck_assert_uint_eq(rule.proto, IPPROTO_TCP);
	ck_assert_int_eq(parse_line("sig l4+8:de00/ff0f", &rule, err, sizeof(err)), 0);
	ck_assert_uint_eq(rule.match, EBPFNET_DROP_MATCH_SIG);
	ck_assert_int_eq(rule.sig_base, EBPFNET_DROP_SIG_L4);
	ck_assert_uint_eq(rule.sig_offset, 8);
	ck_assert_uint_eq(rule.sig_len, 2);
	ck_assert_uint_eq(rule.sig_value[0], 0xde);
	ck_assert_uint_eq(rule.sig_mask[1], 0x0f);
}
END_TEST

/* ---- bad words --------------------------------------------------------- */

static const struct {
	const char *in;
	const char *err;
} bad[] = {
	{ "", "at least one match word" },
	{ "foo bar", "unknown word 'foo'" },
	{ "proto udp foo", "unknown word 'foo'" },
	{ "src", "'src' needs a value" },
	{ "proto udp dst-port", "'dst-port' needs a value" },
	{ "proto udp dst-port 70000", "dst-port: '70000' is not a port (1-65535)" },
	{ "proto udp dst-port 0", "dst-port: '0' is not a port" },
	{ "proto udp src-port -1", "src-port: '-1' is not a port" },
	{ "proto udp src-port 53x", "src-port: '53x' is not a port" },
	{ "proto udp src-port +53", "src-port: '+53' is not a port" },
	{ "proto udp proto tcp", "'proto' is given twice" },
	{ "action maybe proto udp", "action: 'maybe' is not drop, pass or count" },
	{ "action drop", "besides 'action'" },
	{ "family ipv5", "family: 'ipv5' is not ipv4 or ipv6" },
	{ "proto foo", "proto: 'foo' is not icmp" },
	{ "proto 256", "proto: '256' is not" },
	{ "proto icmp icmp-code 256", "icmp-code: '256' is not a number" },
	{ "proto icmp icmp-type bogus", "icmp-type: 'bogus' is not an icmp type" },
	{ "proto icmp icmp-type 256", "icmp-type: '256'" },
	{ "src 10.0.0.1/8", "src: '10.0.0.1/8' has host bits set" },
	{ "src 10.0.0.0/33", "the prefix length is not 0-32" },
	{ "dst 2001:db8::/129", "the prefix length is not 0-128" },
	{ "dst 10.0.0.0/", "the prefix length" },
	{ "src 300.1.1.1", "src: '300.1.1.1' is not an IPv4 or IPv6 prefix" },
	{ "src 10.0.0.0/8 dst 2001:db8::/32", "different families" },
	{ "family ipv6 src 10.0.0.0/8", "family ipv6 does not fit the prefixes" },
	{ "proto icmp src 2001:db8::/32", "IPv6 has proto icmpv6" },
	{ "proto icmpv6 family ipv4", "IPv4 has proto icmp" },
	{ "proto tcp icmp-type 8", "need proto icmp or icmpv6" },
	{ "dst-port 53", "ports need proto tcp, udp or sctp" },
	{ "proto icmp src-port 5", "ports need proto tcp, udp or sctp" },
	{ "sig x3+0:ff", "does not start with l3+ or l4+" },
	{ "sig l3+:ff", "the offset and ':' are missing" },
	{ "sig l3+0", "the offset and ':' are missing" },
	{ "sig l3+1501:ff", "the offset is not 0-1500" },
	{ "sig l3+x:ff", "the offset is not" },
	{ "sig l3+0:f", "not 1-16 bytes of hex" },
	{ "sig l3+0:zz", "not 1-16 bytes of hex" },
	{ "sig l3+0:", "not 1-16 bytes of hex" },
	{ "sig l3+0:00112233445566778899aabbccddeeff00", "not 1-16 bytes" },
	{ "sig l3+0:ffff/ff", "the mask is not hex of the value's length" },
	{ "sig l3+0:ff/0f", "bits outside the mask" },
	{ "sig l3+0:00/00", "the mask is all zero" },
};

START_TEST(test_bad_words)
{
	struct ebpfnet_drop_rule rule;
	struct words w;
	char err[160];

	words_split(&w, NULL, bad[_i].in);
	memset(&rule, 0, sizeof(rule));
	rule.sz = sizeof(rule);
	rule.match = 0xa5a5a5a5u;
	errno = 0;
	ck_assert_int_eq(ebpfnet_drop_rule_parse(w.argc, words_const(&w), &rule,
						 err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(err, bad[_i].err), "'%s': '%s' lacks '%s'",
		      bad[_i].in, err, bad[_i].err);
	ck_assert_ptr_null(strchr(err, '\n'));
	/* nothing written on failure */
	ck_assert_uint_eq(rule.match, 0xa5a5a5a5u);
}
END_TEST

START_TEST(test_parse_arguments)
{
	const char *argv[] = { "proto", "udp", NULL };
	const char *nul[] = { "proto", NULL };
	struct ebpfnet_drop_rule rule;
	struct {
		struct ebpfnet_drop_rule rule;
		uint64_t newer;
	} big;
	char err[16];

	memset(&rule, 0, sizeof(rule));
	rule.sz = sizeof(rule);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, argv, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(-1, argv, &rule, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, NULL, &rule, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, argv, &rule, NULL, 5), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, nul, &rule, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, argv, &rule, NULL, 0), 0);
	rule.sz = 2;
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, argv, &rule, err, sizeof(err)), -EINVAL);
	/* a newer caller's struct: zero tail accepted, sz kept */
	memset(&big, 0, sizeof(big));
	big.rule.sz = sizeof(big);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, argv, &big.rule, err, sizeof(err)), 0);
	ck_assert_uint_eq(big.rule.sz, sizeof(big));
	ck_assert_uint_eq(big.rule.proto, IPPROTO_UDP);
	big.newer = 1;
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, argv, &big.rule, err, sizeof(err)), -EINVAL);
	/* the reason is cut to errlen, NUL-terminated */
	ck_assert_int_eq(parse_line("foo bar", &rule, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
	ck_assert_int_eq(strncmp(err, "unknown word 'foo'", sizeof(err) - 1), 0);
}
END_TEST

/* An older caller's struct that ends before the signature: words that fit
 * are taken, with nothing written past its sz; a signature is refused. */
START_TEST(test_parse_older_struct)
{
	const size_t sz = offsetof(struct ebpfnet_drop_rule, sig_base);
	const char *udp[] = { "proto", "udp" };
	const char *sig[] = { "sig", "l3+0:ff" };
	struct ebpfnet_drop_rule rule;
	char err[128];
	size_t i;

	memset(&rule, 0x5a, sizeof(rule));
	rule.sz = sz;
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, udp, &rule, err, sizeof(err)), 0);
	ck_assert_uint_eq(rule.sz, sz);
	ck_assert_uint_eq(rule.proto, IPPROTO_UDP);
	for (i = sz; i < sizeof(rule); i++)
		ck_assert_uint_eq(((uint8_t *)&rule)[i], 0x5a);
	ck_assert_int_eq(ebpfnet_drop_rule_parse(2, sig, &rule, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too small"));
}
END_TEST

/* ---- round trips over random rules ------------------------------------- */

static void random_prefix(struct ebpfnet_drop_prefix *p, uint8_t af)
{
	unsigned int bits = af == AF_INET ? 32 : 128, i;

	memset(p, 0, sizeof(*p));
	p->family = af;
	p->len = (uint8_t)(rnd() % (bits + 1));
	for (i = 0; i < p->len; i++)
		if (rnd() & 1)
			p->addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

static void random_rule(struct ebpfnet_drop_rule *r)
{
	uint8_t af = rnd() & 1 ? AF_INET : AF_INET6;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	r->action = (enum ebpfnet_drop_action)(rnd() % 3);
	if (rnd() & 1) {
		r->match |= EBPFNET_DROP_MATCH_SRC;
		random_prefix(&r->src, af);
	}
	if (rnd() & 1) {
		r->match |= EBPFNET_DROP_MATCH_DST;
		random_prefix(&r->dst, af);
	}
	switch (rnd() % 4) {
	case 0:
		if (!(rnd() % 3)) {
			r->match |= EBPFNET_DROP_MATCH_FAMILY;
			r->family = af;
		}
		break;
	case 1: /* ICMP names a family: the parser sets it */
		r->match |= EBPFNET_DROP_MATCH_PROTO | EBPFNET_DROP_MATCH_FAMILY;
		r->family = af;
		r->proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		if (rnd() & 1) {
			r->match |= EBPFNET_DROP_MATCH_ICMP_TYPE;
			r->icmp_type = (uint8_t)rnd();
		}
		if (rnd() & 1) {
			r->match |= EBPFNET_DROP_MATCH_ICMP_CODE;
			r->icmp_code = (uint8_t)rnd();
		}
		break;
	case 2:
		r->match |= EBPFNET_DROP_MATCH_PROTO;
		r->proto = (uint8_t[]){ IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP }[rnd() % 3];
		if (rnd() & 1) {
			r->match |= EBPFNET_DROP_MATCH_SPORT;
			r->sport = (uint16_t)(1 + rnd() % 65535);
		}
		if (rnd() & 1) {
			r->match |= EBPFNET_DROP_MATCH_DPORT;
			r->dport = (uint16_t)(1 + rnd() % 65535);
		}
		break;
	default:
		do {
			r->proto = (uint8_t)rnd();
		} while (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6);
		r->match |= EBPFNET_DROP_MATCH_PROTO;
		break;
	}
	if (!(rnd() % 3) || !r->match) {
		r->match |= EBPFNET_DROP_MATCH_SIG;
		r->sig_base = (enum ebpfnet_drop_sig_base)(rnd() & 1);
		r->sig_offset = (uint16_t)(rnd() % 1501);
		r->sig_len = (uint8_t)(1 + rnd() % 16);
		for (i = 0; i < r->sig_len; i++) {
			r->sig_mask[i] = (uint8_t)(rnd() | 1);
			r->sig_value[i] = (uint8_t)rnd() & r->sig_mask[i];
		}
	}
}

START_TEST(test_round_trip)
{
	struct ebpfnet_drop_rule r, back;
	char err[128], text[1024];
	unsigned int n;

	rng = 0x1234567;
	for (n = 0; n < 5000; n++) {
		random_rule(&r);
		snprintf(text, sizeof(text), "%s", text_of(&r, EBPFNET_FORMAT_TEXT));
		ck_assert_msg(parse_line(text, &back, err, sizeof(err)) == 0,
			      "'%s': %s", text, err);
		ck_assert_msg(!memcmp(&r, &back, sizeof(r)), "'%s' came back different",
			      text);
		ck_assert_str_eq(text_of(&back, EBPFNET_FORMAT_TEXT), text);
	}
}
END_TEST

/* ---- JSON -------------------------------------------------------------- */

START_TEST(test_rule_json)
{
	struct ebpfnet_drop_rule r;
	char err[128];

	ck_assert_int_eq(parse_line("proto udp dst-port 53 src 10.0.0.0/8", &r, err,
				    sizeof(err)), 0);
	r.id = 7;
	ck_assert_str_eq(text_of(&r, EBPFNET_FORMAT_JSON),
			 "{\"id\":7,\"action\":\"drop\",\"proto\":\"udp\",\"src\":\"10.0.0.0/8\",\"dst_port\":53}");
	ck_assert_int_eq(parse_line("action pass icmp-type echo-request icmp-code 0 dst 2001:db8::/32",
				    &r, err, sizeof(err)), 0);
	ck_assert_str_eq(text_of(&r, EBPFNET_FORMAT_JSON),
			 "{\"id\":0,\"action\":\"pass\",\"family\":\"ipv6\",\"proto\":\"icmpv6\",\"icmp_type\":128,\"icmp_code\":0,\"dst\":\"2001:db8::/32\"}");
	ck_assert_int_eq(parse_line("action count sig l4+8:deadbeef/ffffffff proto 99 src-port 1 proto tcp",
				    &r, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(parse_line("action count sig l4+8:deadbeef/ffffffff proto tcp src-port 1",
				    &r, err, sizeof(err)), 0);
	ck_assert_str_eq(text_of(&r, EBPFNET_FORMAT_JSON),
			 "{\"id\":0,\"action\":\"count\",\"proto\":\"tcp\",\"src_port\":1,\"sig\":{\"base\":\"l4\",\"offset\":8,\"value\":\"deadbeef\",\"mask\":\"ffffffff\"}}");
	ck_assert_int_eq(parse_line("proto 99 family ipv4", &r, err, sizeof(err)), 0);
	ck_assert_str_eq(text_of(&r, EBPFNET_FORMAT_JSON),
			 "{\"id\":0,\"action\":\"drop\",\"family\":\"ipv4\",\"proto\":\"99\"}");
}
END_TEST

static int rule_fmt(const void *obj, enum ebpfnet_format f, char *buf, size_t len)
{
	return ebpfnet_drop_rule_format(obj, f, buf, len);
}

static int event_fmt(const void *obj, enum ebpfnet_format f, char *buf, size_t len)
{
	return ebpfnet_drop_event_format(obj, f, buf, len);
}

START_TEST(test_rule_format_sizes_and_errors)
{
	struct ebpfnet_drop_rule r;
	char err[128], buf[64];

	ck_assert_int_eq(parse_line("proto udp dst-port 53 sig l3+0:ff", &r, err,
				    sizeof(err)), 0);
	check_truncation("rule", rule_fmt, &r);
	ck_assert_int_eq(ebpfnet_drop_rule_format(NULL, EBPFNET_FORMAT_TEXT, buf,
						  sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_rule_format(&r, EBPFNET_FORMAT_TEXT, NULL, 5),
			 -EINVAL);
	errno = 0;
	ck_assert_int_eq(ebpfnet_drop_rule_format(&r, (enum ebpfnet_format)7, buf,
						  sizeof(buf)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "unknown format"));
	/* a rule that is not valid is not formatted */
	r.match = 0;
	ck_assert_int_eq(ebpfnet_drop_rule_format(&r, EBPFNET_FORMAT_TEXT, buf,
						  sizeof(buf)), -EINVAL);
	r.match = EBPFNET_DROP_MATCH_PROTO;
	r.sz = 1;
	ck_assert_int_eq(ebpfnet_drop_rule_format(&r, EBPFNET_FORMAT_JSON, buf,
						  sizeof(buf)), -EINVAL);
}
END_TEST

/* ---- events ------------------------------------------------------------- */

START_TEST(test_event_format)
{
	static const uint8_t data[] = { 0x00, 0x01, 0x02, 0xab, 0xff };
	struct ebpfnet_drop_event e;
	struct {
		struct ebpfnet_drop_event e;
		uint64_t newer;
	} big;
	char buf[512];

	memset(&e, 0, sizeof(e));
	e.sz = sizeof(e);
	e.time_ns = 1700000000123456789ull;
	e.ifindex = 3;
	e.rule_id = 12;
	e.reason = EBPFNET_DROP_REASON_RULE;
	e.pkt_len = 98;
	e.cap_len = sizeof(data);
	e.data = data;
	ck_assert_int_gt(ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123456789Z ifindex 3 rule 12 reason rule len 98: 000102abff");
	ck_assert_int_gt(ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_JSON, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"ifindex\":3,\"rule\":12,\"reason\":\"rule\",\"len\":98,\"data\":\"000102abff\"}");
	check_truncation("event", event_fmt, &e);
	e.reason = EBPFNET_DROP_REASON_FRAGMENT;
	e.rule_id = 0;
	e.cap_len = 0;
	e.data = NULL;
	ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123456789Z ifindex 3 rule 0 reason fragment len 98: ");
	e.reason = EBPFNET_DROP_REASON_MALFORMED;
	ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"reason\":\"malformed\""));
	e.reason = 9;
	ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_JSON, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"reason\":\"9\""));
	/* bad arguments */
	ck_assert_int_eq(ebpfnet_drop_event_format(NULL, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_TEXT, NULL, 3), -EINVAL);
	ck_assert_int_eq(ebpfnet_drop_event_format(&e, (enum ebpfnet_format)2, buf, sizeof(buf)), -EINVAL);
	e.cap_len = 4;
	ck_assert_int_eq(ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "NULL data"));
	e.data = data;
	e.cap_len = EBPFNET_DROP_EVENT_BYTES + 1;
	ck_assert_int_eq(ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), -EINVAL);
	e.cap_len = 1;
	e.sz = 3;
	ck_assert_int_eq(ebpfnet_drop_event_format(&e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.e = e;
	big.e.sz = sizeof(big);
	ck_assert_int_gt(ebpfnet_drop_event_format(&big.e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), 0);
	big.newer = 1;
	ck_assert_int_eq(ebpfnet_drop_event_format(&big.e, EBPFNET_FORMAT_TEXT, buf, sizeof(buf)), -EINVAL);
}
END_TEST

static Suite *drop_text_suite(void)
{
	Suite *s = suite_create("drop_text");
	TCase *tc = tcase_create("text");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_loop_test(tc, test_good_words, 0,
			    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_test(tc, test_icmp_type_names);
	tcase_add_test(tc, test_fields);
	tcase_add_loop_test(tc, test_bad_words, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_parse_arguments);
	tcase_add_test(tc, test_parse_older_struct);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_rule_json);
	tcase_add_test(tc, test_rule_format_sizes_and_errors);
	tcase_add_test(tc, test_event_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(drop_text_suite(), CK_NORMAL);
}
