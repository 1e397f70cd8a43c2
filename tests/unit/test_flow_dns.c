/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet_flow_dns_parse(): messages built here byte by byte (A, AAAA,
 * CNAME chains, NXDOMAIN, skipped TXT/MX answers, more addresses than
 * kept), bytes as a capture shows them, dig's escaping of names, a
 * response cut at every length, hostile messages (compression loops,
 * forward pointers, long labels and names, lying counts), bad arguments,
 * and a fuzz loop over random and mutated messages that must only ever
 * give 0 or -EBADMSG with a sane record (run under ASan by tools/test).
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include "rng.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ebpfnet/ebpfnet.h>

/* ---- building messages --------------------------------------------------- */

struct msg {
	uint8_t b[2048];
	size_t n;
};

static void put8(struct msg *m, unsigned int v)
{
	ck_assert_uint_lt(m->n, sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_bytes(struct msg *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* Labels of a dotted name ("www.example.com"), without the root byte, so
 * a pointer or the root can follow. */
static void put_labels(struct msg *m, const char *dotted)
{
	while (*dotted) {
		size_t n = strcspn(dotted, ".");

		put8(m, (unsigned int)n);
		put_bytes(m, dotted, n);
		dotted += n;
		if (*dotted == '.')
			dotted++;
	}
}

static void put_name(struct msg *m, const char *dotted)
{
	put_labels(m, dotted);
	put8(m, 0);
}

static void put_ptr(struct msg *m, size_t off)
{
	put16(m, 0xc000 | (unsigned int)off);
}

#define FLAG_QR 0x8000
#define FLAG_RD 0x0100
#define FLAG_RA 0x0080
#define FLAG_TC 0x0200
#define RESPONSE (FLAG_QR | FLAG_RD | FLAG_RA)
#define QNAME_OFF 12 /* where the question's name starts */

static void put_header(struct msg *m, unsigned int id, unsigned int flags,
		       unsigned int qd, unsigned int an, unsigned int ns,
		       unsigned int ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void put_question(struct msg *m, const char *name, unsigned int type)
{
	put_name(m, name);
	put16(m, type);
	put16(m, 1);
}

/* An answer's fixed part after its owner name. */
static void put_rr(struct msg *m, unsigned int type, uint32_t ttl,
		   unsigned int rdlen)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

static void put_a(struct msg *m, size_t owner, uint32_t ttl, const char *addr)
{
	uint8_t a[4];

	ck_assert_int_eq(inet_pton(AF_INET, addr, a), 1);
	put_ptr(m, owner);
	put_rr(m, 1, ttl, 4);
	put_bytes(m, a, 4);
}

static void put_aaaa(struct msg *m, size_t owner, uint32_t ttl,
		     const char *addr)
{
	uint8_t a[16];

	ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
	put_ptr(m, owner);
	put_rr(m, 28, ttl, 16);
	put_bytes(m, a, 16);
}

/* ---- parsing ------------------------------------------------------------- */

static struct ebpfnet_flow_dns dns;

static int parse(const struct msg *m)
{
	memset(&dns, 0, sizeof(dns));
	dns.sz = sizeof(dns);
	return ebpfnet_flow_dns_parse(m->b, m->n, &dns);
}

static void assert_ip(uint32_t i, int family, const char *text)
{
	char got[INET6_ADDRSTRLEN];

	ck_assert_uint_lt(i, dns.n_ips);
	ck_assert_int_eq(dns.ips[i].family, family);
	ck_assert_ptr_nonnull(inet_ntop(family, dns.ips[i].addr, got, sizeof(got)));
	ck_assert_str_eq(got, text);
}

/* example.com A -> 93.184.216.34 (TTL 300), 93.184.216.35 (TTL 60). */
static void a_response(struct msg *m)
{
	put_header(m, 0x1234, RESPONSE, 1, 2, 0, 0);
	put_question(m, "example.com", 1);
	put_a(m, QNAME_OFF, 300, "93.184.216.34");
	put_a(m, QNAME_OFF, 60, "93.184.216.35");
}

START_TEST(test_a_response)
{
	struct msg m;

	a_response(&m);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert(dns.is_response);
	ck_assert(!dns.truncated);
	ck_assert_uint_eq(dns.id, 0x1234);
	ck_assert_str_eq(dns.query, "example.com.");
	ck_assert_uint_eq(dns.qtype, 1);
	ck_assert_uint_eq(dns.qclass, 1);
	ck_assert_uint_eq(dns.rcode, 0);
	ck_assert_uint_eq(dns.n_answers, 2);
	ck_assert_uint_eq(dns.n_ips, 2);
	assert_ip(0, AF_INET, "93.184.216.34");
	assert_ip(1, AF_INET, "93.184.216.35");
	ck_assert_uint_eq(dns.ttl, 60);
	ck_assert_uint_eq(dns.n_cnames, 0);
}
END_TEST

START_TEST(test_query)
{
	struct msg m;

	put_header(&m, 7, FLAG_RD, 1, 0, 0, 0);
	put_question(&m, "Example.COM", 28);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert(!dns.is_response);
	ck_assert(!dns.truncated);
	ck_assert_uint_eq(dns.id, 7);
	ck_assert_str_eq(dns.query, "Example.COM.");
	ck_assert_uint_eq(dns.qtype, 28);
	ck_assert_uint_eq(dns.n_answers, 0);
	ck_assert_uint_eq(dns.n_ips, 0);
	ck_assert_uint_eq(dns.ttl, 0);
}
END_TEST

START_TEST(test_aaaa_response)
{
	struct msg m;

	put_header(&m, 2, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "v6.example", 28);
	put_aaaa(&m, QNAME_OFF, 3600, "2001:db8::53");
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.n_ips, 1);
	assert_ip(0, AF_INET6, "2001:db8::53");
	ck_assert_uint_eq(dns.ttl, 3600);
	ck_assert_uint_eq(dns.qtype, 28);
}
END_TEST

/* www.example.com CNAME a.cdn.example.net, a.cdn.example.net CNAME
 * b.cdn.example.net (compressed into the first target), then A. */
START_TEST(test_cname_chain)
{
	struct msg m;
	size_t first_target, second_target;

	put_header(&m, 3, RESPONSE, 1, 3, 0, 0);
	put_question(&m, "www.example.com", 1);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 5, 100, 19);
	first_target = m.n;
	put_name(&m, "a.cdn.example.net");
	ck_assert_uint_eq(m.n - first_target, 19);
	/* owner: the first target; rdata: "b" + a pointer to "cdn..." */
	put_ptr(&m, first_target);
	put_rr(&m, 5, 50, 4);
	second_target = m.n;
	put_labels(&m, "b");
	put_ptr(&m, first_target + 2);
	put_a(&m, second_target, 20, "192.0.2.7");
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.n_answers, 3);
	ck_assert_uint_eq(dns.n_cnames, 2);
	ck_assert_str_eq(dns.cnames[0], "a.cdn.example.net.");
	ck_assert_str_eq(dns.cnames[1], "b.cdn.example.net.");
	ck_assert_uint_eq(dns.n_ips, 1);
	assert_ip(0, AF_INET, "192.0.2.7");
	ck_assert_uint_eq(dns.ttl, 20);
}
END_TEST

START_TEST(test_nxdomain)
{
	struct msg m;

	/* NXDOMAIN with the zone's SOA in the authority section. */
	put_header(&m, 4, RESPONSE | 3, 1, 0, 1, 0);
	put_question(&m, "nope.example", 1);
	put_ptr(&m, QNAME_OFF + 5);
	put_rr(&m, 6, 900, 29);
	put_labels(&m, "ns");
	put_ptr(&m, QNAME_OFF + 5);
	put_labels(&m, "h");
	put_ptr(&m, QNAME_OFF + 5);
	put32(&m, 2026112101); /* serial, refresh, retry, expire, minimum */
	put32(&m, 7200);
	put32(&m, 3600);
	put32(&m, 1209600);
	put32(&m, 900);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.rcode, 3);
	ck_assert_str_eq(dns.query, "nope.example.");
	ck_assert_uint_eq(dns.n_answers, 0);
	ck_assert_uint_eq(dns.n_ips, 0);
	ck_assert(!dns.truncated);
}
END_TEST

START_TEST(test_other_types_skipped)
{
	struct msg m;

	put_header(&m, 5, RESPONSE, 1, 3, 0, 0);
	put_question(&m, "mixed.example", 255);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 16, 10, 6); /* TXT "hello" */
	put8(&m, 5);
	put_bytes(&m, "hello", 5);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 15, 5, 4); /* MX 10 mixed.example */
	put16(&m, 10);
	put_ptr(&m, QNAME_OFF);
	put_a(&m, QNAME_OFF, 30, "198.51.100.1");
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.n_answers, 3);
	ck_assert_uint_eq(dns.n_ips, 1);
	assert_ip(0, AF_INET, "198.51.100.1");
	/* only A/AAAA TTLs count */
	ck_assert_uint_eq(dns.ttl, 30);
	ck_assert_uint_eq(dns.n_cnames, 0);
}
END_TEST

/* 20 A + 2 AAAA answers: the first 16 addresses are kept; the smallest
 * TTL is over all of them. */
START_TEST(test_many_answers)
{
	char addr[32];
	struct msg m;
	unsigned int i;

	put_header(&m, 6, RESPONSE, 1, 22, 0, 0);
	put_question(&m, "many.example", 1);
	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%u", i + 1);
		put_a(&m, QNAME_OFF, 1000 - i, addr);
	}
	put_aaaa(&m, QNAME_OFF, 7, "2001:db8::1");
	put_aaaa(&m, QNAME_OFF, 9, "2001:db8::2");
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.n_answers, 22);
	ck_assert_uint_eq(dns.n_ips, EBPFNET_FLOW_DNS_MAX_IPS);
	assert_ip(0, AF_INET, "10.0.0.1");
	assert_ip(15, AF_INET, "10.0.0.16");
	ck_assert_uint_eq(dns.ttl, 7);
}
END_TEST

START_TEST(test_more_cnames_than_kept)
{
	char name[32];
	struct msg m;
	unsigned int i;
	size_t rd;

	put_header(&m, 8, RESPONSE, 1, 6, 0, 0);
	put_question(&m, "c.example", 1);
	for (i = 0; i < 6; i++) {
		put_ptr(&m, QNAME_OFF);
		put_rr(&m, 5, 60, 0);
		rd = m.n;
		snprintf(name, sizeof(name), "t%u.example", i);
		put_name(&m, name);
		m.b[rd - 1] = (uint8_t)(m.n - rd);
	}
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.n_answers, 6);
	ck_assert_uint_eq(dns.n_cnames, EBPFNET_FLOW_DNS_MAX_CNAMES);
	ck_assert_str_eq(dns.cnames[3], "t3.example.");
}
END_TEST

/*
 * A response as a capture shows it (dig +edns www.example.org A through a
 * resolver): compressed names, a CNAME, two A records, and an OPT record
 * in the additional section (not parsed).
 */
static const uint8_t captured[] = {
	0xa4, 0x3c, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
	/* www.example.org A IN */
	0x03, 'w', 'w', 'w', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	0x03, 'o', 'r', 'g', 0x00, 0x00, 0x01, 0x00, 0x01,
	/* www.example.org CNAME www.example.org-v4.edgesuite.net */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x1e,
	0x0e, 'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '-', 'v',
	'4', 0x09, 'e', 'd', 'g', 'e', 's', 'u', 'i', 't', 'e', 0x03, 'n',
	'e', 't', 0x00,
	/* (the CNAME target, at 45) A 192.0.2.10, A 192.0.2.11 */
	0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x04,
	0xc0, 0x00, 0x02, 0x0a,
	0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x13, 0x00, 0x04,
	0xc0, 0x00, 0x02, 0x0b,
	/* OPT, UDP size 1232 */
	0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

START_TEST(test_captured_response)
{
	struct msg m;

	m.n = sizeof(captured);
	memcpy(m.b, captured, sizeof(captured));
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(dns.id, 0xa43c);
	ck_assert(dns.is_response);
	ck_assert_str_eq(dns.query, "www.example.org.");
	ck_assert_uint_eq(dns.n_answers, 3);
	ck_assert_uint_eq(dns.n_cnames, 1);
	/* the '.' inside the first label is escaped as dig does */
	ck_assert_str_eq(dns.cnames[0], "www\\.example-v4.edgesuite.net.");
	ck_assert_uint_eq(dns.n_ips, 2);
	assert_ip(0, AF_INET, "192.0.2.10");
	assert_ip(1, AF_INET, "192.0.2.11");
	ck_assert_uint_eq(dns.ttl, 19);
}
END_TEST

START_TEST(test_name_escapes)
{
	static const uint8_t label[] = { 'a', '.', ' ', '\\', '"', ';', '*',
					 0x00, 0x7f, 0xff, '_', '-' };
	struct msg m;

	put_header(&m, 9, 0, 1, 0, 0, 0);
	put8(&m, sizeof(label));
	put_bytes(&m, label, sizeof(label));
	put_name(&m, "example");
	put16(&m, 16);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_str_eq(dns.query,
			 "a\\.\\032\\\\\\\"\\;*\\000\\127\\255_-.example.");
}
END_TEST

START_TEST(test_root_name)
{
	struct msg m;

	put_header(&m, 10, 0, 1, 0, 0, 0);
	put8(&m, 0);
	put16(&m, 2);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_str_eq(dns.query, ".");
	ck_assert_uint_eq(dns.qtype, 2);
}
END_TEST

/* No question (some error responses): a record with an empty query. */
START_TEST(test_no_question)
{
	struct msg m;

	put_header(&m, 11, RESPONSE | 4, 0, 0, 0, 0);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_str_eq(dns.query, "");
	ck_assert_uint_eq(dns.rcode, 4);
}
END_TEST

START_TEST(test_tc_bit)
{
	struct msg m;

	put_header(&m, 12, RESPONSE | FLAG_TC, 1, 0, 0, 0);
	put_question(&m, "big.example", 16);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert(dns.truncated);
}
END_TEST

/* ---- a response cut at every length -------------------------------------- */

/* Bytes of a_response() up to the end of its question, and of each answer. */
#define A_QUESTION_END (12 + 13 + 4)
#define A_ANSWER_LEN 16

START_TEST(test_every_truncation)
{
	struct ebpfnet_flow_dns before;
	struct msg full, m;
	size_t len;

	a_response(&full);
	ck_assert_uint_eq(full.n, A_QUESTION_END + 2 * A_ANSWER_LEN);
	for (len = 0; len <= full.n; len++) {
		int err;

		memcpy(m.b, full.b, len);
		m.n = len;
		memset(&dns, 0xa5, sizeof(dns));
		dns.sz = sizeof(dns);
		before = dns;
		err = ebpfnet_flow_dns_parse(m.b, m.n, &dns);
		if (len < A_QUESTION_END) {
			ck_assert_msg(err == -EBADMSG && errno == EBADMSG,
				      "len %zu: %d", len, err);
			ck_assert_msg(!memcmp(&dns, &before, sizeof(dns)),
				      "len %zu: written on error", len);
			continue;
		}
		ck_assert_msg(err == 0, "len %zu: %d", len, err);
		ck_assert_str_eq(dns.query, "example.com.");
		ck_assert_uint_eq(dns.n_answers, (len - A_QUESTION_END) / A_ANSWER_LEN);
		ck_assert_uint_eq(dns.n_ips, dns.n_answers);
		ck_assert_msg(dns.truncated == (len < full.n), "len %zu", len);
		ck_assert_uint_eq(dns.ttl, dns.n_ips == 0 ? 0 :
					   dns.n_ips == 1 ? 300 : 60);
		/* the addressing fields are the caller's */
		ck_assert_uint_eq(dns.ifindex, before.ifindex);
		ck_assert_uint_eq(dns.time_ns, before.time_ns);
		ck_assert(!memcmp(&dns.src, &before.src, sizeof(dns.src)));
	}
}
END_TEST

/* ---- hostile messages ----------------------------------------------------- */

static void assert_rejected(const struct msg *m, const char *what)
{
	struct ebpfnet_flow_dns before;
	int err;

	memset(&dns, 0x5a, sizeof(dns));
	dns.sz = sizeof(dns);
	before = dns;
	errno = 0;
	err = ebpfnet_flow_dns_parse(m->b, m->n, &dns);
	ck_assert_msg(err == -EBADMSG && errno == EBADMSG, "%s: %d", what, err);
	ck_assert_msg(!memcmp(&dns, &before, sizeof(dns)), "%s: written", what);
}

START_TEST(test_pointer_to_itself)
{
	struct msg m;

	put_header(&m, 1, 0, 1, 0, 0, 0);
	put_ptr(&m, QNAME_OFF);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, "question name pointing at itself");

	/* the same in an answer's owner name */
	a_response(&m);
	put_ptr(&m, m.n);
	put_rr(&m, 1, 1, 4);
	put32(&m, 0);
	m.b[7] = 3;
	assert_rejected(&m, "answer name pointing at itself");
}
END_TEST

/* Two pointers that point at each other: one of them points forwards. */
START_TEST(test_two_pointer_cycle)
{
	struct msg m;

	put_header(&m, 1, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "x.example", 1);
	put_ptr(&m, m.n + 2);   /* at P: -> P + 2 */
	put_ptr(&m, m.n - 2);   /* at P + 2: -> P */
	put_rr(&m, 1, 1, 4);
	put32(&m, 0);
	assert_rejected(&m, "two-pointer cycle");
}
END_TEST

/* Backwards only, yet a loop: a label, then a pointer back to it ("a.a.a...").
 * Caught by the bound on hops and on the name's length. */
START_TEST(test_backward_loop)
{
	struct msg m;

	put_header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 1);
	put8(&m, 'a');
	put_ptr(&m, QNAME_OFF);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, "label + pointer back to it");

	/* Long labels reach 255 bytes before 16 hops. */
	put_header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 63);
	memset(m.b + m.n, 'b', 63);
	m.n += 63;
	put_ptr(&m, QNAME_OFF);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, "long label + pointer back to it");
}
END_TEST

START_TEST(test_forward_pointer)
{
	struct msg m;

	put_header(&m, 1, 0, 1, 0, 0, 0);
	put_ptr(&m, QNAME_OFF + 6);
	put16(&m, 1);
	put16(&m, 1);
	put_name(&m, "later");
	assert_rejected(&m, "forward pointer");
}
END_TEST

START_TEST(test_pointer_past_end)
{
	struct msg m;

	put_header(&m, 1, 0, 1, 0, 0, 0);
	put_ptr(&m, 0x3fff);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, "pointer past the end");

	/* A pointer cut after its first byte, in the question. */
	put_header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 0xc0);
	assert_rejected(&m, "half a pointer");
}
END_TEST

START_TEST(test_label_types)
{
	struct msg m;

	put_header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 64); /* bits 01 */
	memset(m.b + m.n, 'x', 64);
	m.n += 64;
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, "64-byte label");

	put_header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 0x81); /* bits 10 */
	put8(&m, 'x');
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, "label type 10");
}
END_TEST

/* A name of labels 63, 63, 63, last: 255 bytes pass, 256 do not. */
static void long_name(struct msg *m, unsigned int last, uint8_t fill)
{
	unsigned int i, n;

	put_header(m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 4; i++) {
		n = i < 3 ? 63 : last;
		put8(m, n);
		memset(m->b + m->n, fill, n);
		m->n += n;
	}
	put8(m, 0);
	put16(m, 1);
	put16(m, 1);
}

START_TEST(test_name_length)
{
	struct msg m;

	long_name(&m, 61, 'x');
	ck_assert_int_eq(parse(&m), 0);
	ck_assert_uint_eq(strlen(dns.query), 254);
	long_name(&m, 62, 'x');
	assert_rejected(&m, "256-byte name");
	/* 255 bytes, but every byte is \DDD: the text would not fit. */
	long_name(&m, 61, 0x01);
	assert_rejected(&m, "name whose text is over 255 characters");
}
END_TEST

START_TEST(test_lying_counts)
{
	struct msg m;

	/* ANCOUNT 65535, no answer: what the copy holds is kept. */
	put_header(&m, 1, RESPONSE, 1, 65535, 0, 0);
	put_question(&m, "lie.example", 1);
	ck_assert_int_eq(parse(&m), 0);
	ck_assert(dns.truncated);
	ck_assert_uint_eq(dns.n_answers, 0);
	ck_assert_str_eq(dns.query, "lie.example.");

	/* A question count past the end. */
	put_header(&m, 1, 0, 65535, 0, 0, 0);
	assert_rejected(&m, "QDCOUNT 65535 and no question");
	put_header(&m, 1, 0, 1, 0, 0, 0);
	put_name(&m, "cut");
	put16(&m, 1);
	assert_rejected(&m, "question without its class");

	/* An rdata length past the end: the answer is cut. */
	a_response(&m);
	m.b[m.n - 5] = 0xff;
	ck_assert_int_eq(parse(&m), 0);
	ck_assert(dns.truncated);
	ck_assert_uint_eq(dns.n_ips, 1);
}
END_TEST

START_TEST(test_malformed_rdata)
{
	struct msg m;
	size_t rd;

	put_header(&m, 1, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "a.example", 1);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 1, 1, 5);
	put32(&m, 0);
	put8(&m, 0);
	assert_rejected(&m, "A record of 5 bytes");

	put_header(&m, 1, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "a.example", 28);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 28, 1, 4);
	put32(&m, 0);
	assert_rejected(&m, "AAAA record of 4 bytes");

	/* A CNAME whose name ends before its rdata does. */
	put_header(&m, 1, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "a.example", 1);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 5, 1, 0);
	rd = m.n;
	put_name(&m, "t.example");
	put8(&m, 0);
	m.b[rd - 1] = (uint8_t)(m.n - rd);
	assert_rejected(&m, "CNAME with bytes after its name");

	/* A CNAME whose name runs past its rdata. */
	put_header(&m, 1, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "a.example", 1);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 5, 1, 3);
	put_name(&m, "t.example");
	assert_rejected(&m, "CNAME name past its rdata");

	/* A CNAME pointing forwards. */
	put_header(&m, 1, RESPONSE, 1, 1, 0, 0);
	put_question(&m, "a.example", 1);
	put_ptr(&m, QNAME_OFF);
	put_rr(&m, 5, 1, 2);
	put_ptr(&m, m.n + 2);
	put_name(&m, "x");
	assert_rejected(&m, "CNAME pointing forwards");
}
END_TEST

/* ---- arguments ------------------------------------------------------------ */

START_TEST(test_arguments)
{
	struct msg m;

	a_response(&m);
	memset(&dns, 0, sizeof(dns));
	dns.sz = sizeof(dns);
	errno = 0;
	ck_assert_int_eq(ebpfnet_flow_dns_parse(NULL, m.n, &dns), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(last_warn, "ebpfnet_flow_dns_parse: msg is NULL");
	ck_assert_int_eq(ebpfnet_flow_dns_parse(m.b, m.n, NULL), -EINVAL);
	dns.sz = sizeof(size_t);
	ck_assert_int_eq(ebpfnet_flow_dns_parse(m.b, m.n, &dns), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "dns->sz"));
	dns.sz = 0;
	ck_assert_int_eq(ebpfnet_flow_dns_parse(m.b, m.n, &dns), -EINVAL);
	/* hostile input is no misuse: rejected without a warning */
	nwarn = 0;
	dns.sz = sizeof(dns);
	ck_assert_int_eq(ebpfnet_flow_dns_parse(m.b, 11, &dns), -EBADMSG);
	ck_assert_int_eq(ebpfnet_flow_dns_parse(m.b, 0, &dns), -EBADMSG);
	ck_assert_uint_eq(nwarn, 0);
}
END_TEST

/* ---- fuzz ----------------------------------------------------------------- */

#define FUZZ_ROUNDS 200000

/* What every accepted record must look like, whatever the input. */
static void check_sane(const uint8_t *msg, size_t len)
{
	uint32_t i;

	ck_assert_uint_le(dns.n_ips, EBPFNET_FLOW_DNS_MAX_IPS);
	ck_assert_uint_le(dns.n_cnames, EBPFNET_FLOW_DNS_MAX_CNAMES);
	ck_assert_uint_le(dns.n_answers, (uint16_t)(msg[6] << 8 | msg[7]));
	ck_assert_uint_le(dns.n_ips + dns.n_cnames, dns.n_answers);
	ck_assert_uint_ge(len, 12);
	ck_assert(memchr(dns.query, '\0', sizeof(dns.query)));
	/* presentation form: printable ASCII, no space */
	for (i = 0; dns.query[i]; i++)
		ck_assert(dns.query[i] > 0x20 && dns.query[i] < 0x7f);
	for (i = 0; i < dns.n_cnames; i++) {
		ck_assert(memchr(dns.cnames[i], '\0', sizeof(dns.cnames[i])));
		ck_assert_uint_gt(strlen(dns.cnames[i]), 0);
	}
	for (i = 0; i < dns.n_ips; i++)
		ck_assert(dns.ips[i].family == AF_INET ||
			  dns.ips[i].family == AF_INET6);
}

/* Parse an exact-size heap copy, so ASan sees any read past len. */
static void fuzz_one(const uint8_t *bytes, size_t len, unsigned int *accepted)
{
	struct ebpfnet_flow_dns before;
	uint8_t *msg = malloc(len ? len : 1);
	int err;

	ck_assert_ptr_nonnull(msg);
	memcpy(msg, bytes, len);
	memset(&dns, 0x77, sizeof(dns));
	dns.sz = sizeof(dns);
	before = dns;
	err = ebpfnet_flow_dns_parse(msg, len, &dns);
	if (!err)
		check_sane(msg, len);
	free(msg);
	ck_assert_msg(err == 0 || err == -EBADMSG, "unexpected %d", err);
	if (err) {
		ck_assert(!memcmp(&dns, &before, sizeof(dns)));
		return;
	}
	(*accepted)++;
}

START_TEST(test_fuzz)
{
	unsigned int round, i, accepted_random = 0, accepted_mutated = 0;
	struct msg seed_msgs[3], m;
	uint8_t buf[600];

	rng_seed(20261121);
	a_response(&seed_msgs[0]);
	memcpy(seed_msgs[1].b, captured, sizeof(captured));
	seed_msgs[1].n = sizeof(captured);
	put_header(&seed_msgs[2], 1, RESPONSE, 1, 1, 0, 0);
	put_question(&seed_msgs[2], "w.example", 1);
	put_ptr(&seed_msgs[2], QNAME_OFF);
	put_rr(&seed_msgs[2], 5, 9, 4);
	put_labels(&seed_msgs[2], "c");
	put_ptr(&seed_msgs[2], QNAME_OFF);

	for (round = 0; round < FUZZ_ROUNDS; round++) {
		if (round % 4 == 0) {
			/* random bytes behind a plausible header */
			size_t len = rnd_below(sizeof(buf));

			for (i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
			if (len >= 12 && rnd_below(2)) {
				buf[4] = 0;
				buf[5] = (uint8_t)rnd_below(3);
				buf[6] = 0;
				buf[7] = (uint8_t)rnd_below(8);
			}
			fuzz_one(buf, len, &accepted_random);
			continue;
		}
		m = seed_msgs[rnd_below(3)];
		for (i = 1 + rnd_below(6); i; i--) {
			size_t at = rnd_below((uint32_t)m.n);

			switch (rnd_below(4)) {
			case 0: m.b[at] = (uint8_t)rnd(); break;
			case 1: m.b[at] ^= (uint8_t)(1u << rnd_below(8)); break;
			case 2: m.b[at] = (uint8_t)(0xc0 | rnd_below(64)); break;
			default: m.b[at] = (uint8_t)rnd_below(70); break;
			}
		}
		if (rnd_below(4) == 0)
			m.n = rnd_below((uint32_t)m.n + 1);
		fuzz_one(m.b, m.n, &accepted_mutated);
	}
	/* the mutations must not all be rejected, or little was explored */
	ck_assert_uint_gt(accepted_mutated, FUZZ_ROUNDS / 20);
	ck_assert_uint_gt(accepted_random, 0);
}
END_TEST

static Suite *flow_dns_suite(void)
{
	Suite *s = suite_create("flow_dns");
	TCase *tc = tcase_create("parse");
	TCase *hostile = tcase_create("hostile");
	TCase *fuzz = tcase_create("fuzz");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_test(tc, test_a_response);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_aaaa_response);
	tcase_add_test(tc, test_cname_chain);
	tcase_add_test(tc, test_nxdomain);
	tcase_add_test(tc, test_other_types_skipped);
	tcase_add_test(tc, test_many_answers);
	tcase_add_test(tc, test_more_cnames_than_kept);
	tcase_add_test(tc, test_captured_response);
	tcase_add_test(tc, test_name_escapes);
	tcase_add_test(tc, test_root_name);
	tcase_add_test(tc, test_no_question);
	tcase_add_test(tc, test_tc_bit);
	tcase_add_test(tc, test_every_truncation);
	tcase_add_test(tc, test_arguments);
	suite_add_tcase(s, tc);

	tcase_add_test(hostile, test_pointer_to_itself);
	tcase_add_test(hostile, test_two_pointer_cycle);
	tcase_add_test(hostile, test_backward_loop);
	tcase_add_test(hostile, test_forward_pointer);
	tcase_add_test(hostile, test_pointer_past_end);
	tcase_add_test(hostile, test_label_types);
	tcase_add_test(hostile, test_name_length);
	tcase_add_test(hostile, test_lying_counts);
	tcase_add_test(hostile, test_malformed_rdata);
	suite_add_tcase(s, hostile);

	tcase_set_timeout(fuzz, 120);
	tcase_add_test(fuzz, test_fuzz);
	suite_add_tcase(s, fuzz);
	return s;
}

int main(void)
{
	return test_run_suite(flow_dns_suite(), CK_NORMAL);
}
