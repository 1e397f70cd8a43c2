/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: one DNS message (RFC 1035 wire format) -> struct ebpfnet_flow_dns.
 * The bytes come from the network, so nothing in them is trusted: every
 * length is checked against the end of the copy, compression pointers
 * only go backwards (and are bounded in number), names are bounded at 255
 * bytes. The datapath copies at most FLOW_DNS_MAX bytes, so a message may
 * end early: answers cut off there are dropped and the record says
 * `truncated`; only a header or question that is malformed or missing
 * makes the message an error.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <ebpfnet/flow.h>

#include "internal.h"

#define DNS_HDR_LEN 12
#define DNS_QR 0x8000
#define DNS_TC 0x0200
#define DNS_RCODE 0x000f
#define DNS_RR_FIXED 10      /* type, class, ttl, rdlength */
#define DNS_LABEL_MAX 63
#define DNS_NAME_WIRE_MAX 255
#define DNS_POINTER_HOPS_MAX 16
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
/* Presentation form of a name: what query[] and cnames[] hold. */
#define DNS_NAME_TEXT sizeof(((struct ebpfnet_flow_dns *)0)->query)

/* What a read returns when the copy ends inside what it reads: the
 * message was cut, not malformed (an answer section keeps what it had). */
#define DNS_CUT (-ENODATA)

struct dns_msg {
	const uint8_t *p;
	size_t len;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* One label as dig writes it: the characters of the zone file syntax
 * with a backslash, bytes outside printable ASCII as \DDD. */
static void put_label(struct ebpfnet_sbuf *sb, const uint8_t *label, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = label[i];

		if (c && strchr("\".;\\()@$", c))
			ebpfnet__sbuf_printf(sb, "\\%c", c);
		else if (c > 0x20 && c < 0x7f)
			ebpfnet__sbuf_putc(sb, (char)c);
		else
			ebpfnet__sbuf_printf(sb, "\\%03u", c);
	}
	ebpfnet__sbuf_putc(sb, '.');
}

/*
 * Read the name at *off into text (its presentation form, "." for the
 * root) and move *off past it (past its first pointer). The bytes before
 * the first pointer must end before `limit`: going past it returns
 * `overrun` (DNS_CUT when limit is the end of the copy, -EBADMSG inside
 * an rdata). Everything else that is wrong is -EBADMSG: a label type 01
 * or 10, a label over 63 bytes, a pointer that does not point backwards
 * (before itself), more than DNS_POINTER_HOPS_MAX pointers, a name over
 * 255 bytes, a text form that does not fit text, a pointer target whose
 * labels run past the copy.
 */
static int read_name(const struct dns_msg *m, size_t *off, size_t limit,
		     int overrun, char text[DNS_NAME_TEXT])
{
	struct ebpfnet_sbuf sb;
	size_t pos = *off, wire = 1;
	unsigned int hops = 0;
	bool jumped = false;

	ebpfnet__sbuf_init(&sb, text, DNS_NAME_TEXT);
	for (;;) {
		uint8_t c;

		if (pos >= limit)
			return jumped ? -EBADMSG : overrun;
		c = m->p[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= limit)
				return jumped ? -EBADMSG : overrun;
			target = (size_t)(c & 0x3f) << 8 | m->p[pos + 1];
			if (target >= pos || ++hops > DNS_POINTER_HOPS_MAX)
				return -EBADMSG;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			/* A compressed name's rest lies before the pointer,
			 * anywhere in the copy. */
			limit = m->len;
			pos = target;
			continue;
		}
		if (c > DNS_LABEL_MAX) /* 01 and 10: no such labels today */
			return -EBADMSG;
		if (!c)
			break;
		wire += 1 + (size_t)c;
		if (wire > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (pos + 1 + c > limit)
			return jumped ? -EBADMSG : overrun;
		put_label(&sb, m->p + pos + 1, c);
		pos += 1 + (size_t)c;
	}
	if (!jumped)
		*off = pos + 1;
	if (!sb.need)
		ebpfnet__sbuf_putc(&sb, '.');
	return sb.need < DNS_NAME_TEXT ? 0 : -EBADMSG;
}

/* The first question: name, type, class. A question that is not all
 * there is an error, cut or not: without it the record says nothing. */
static int read_question(const struct dns_msg *m, size_t *off,
			 struct ebpfnet_flow_dns *out)
{
	int err = read_name(m, off, m->len, -EBADMSG, out->query);

	if (err)
		return err;
	if (m->len - *off < 4)
		return -EBADMSG;
	out->qtype = get16(m->p + *off);
	out->qclass = get16(m->p + *off + 2);
	*off += 4;
	return 0;
}

/* Other questions (rare) are checked and skipped. */
static int skip_question(const struct dns_msg *m, size_t *off)
{
	char scratch[DNS_NAME_TEXT];
	int err = read_name(m, off, m->len, DNS_CUT, scratch);

	if (err)
		return err;
	if (m->len - *off < 4)
		return DNS_CUT;
	*off += 4;
	return 0;
}

static void keep_address(struct ebpfnet_flow_dns *out, uint8_t family,
			 const uint8_t *addr, size_t n, uint32_t ttl)
{
	if (!out->n_ips || ttl < out->ttl)
		out->ttl = ttl;
	if (out->n_ips >= EBPFNET_FLOW_DNS_MAX_IPS)
		return;
	out->ips[out->n_ips].family = family;
	memcpy(out->ips[out->n_ips].addr, addr, n);
	out->n_ips++;
}

/* A CNAME's target: a name that fills the rdata exactly. */
static int keep_cname(const struct dns_msg *m, size_t rdata, size_t rdlen,
		      struct ebpfnet_flow_dns *out)
{
	char scratch[DNS_NAME_TEXT];
	bool keep = out->n_cnames < EBPFNET_FLOW_DNS_MAX_CNAMES;
	char *text = keep ? out->cnames[out->n_cnames] : scratch;
	size_t off = rdata;
	int err = read_name(m, &off, rdata + rdlen, -EBADMSG, text);

	if (err)
		return err;
	if (off != rdata + rdlen)
		return -EBADMSG;
	if (keep)
		out->n_cnames++;
	return 0;
}

/* One answer record: A/AAAA addresses and CNAME targets are kept, the
 * other types skipped. DNS_CUT when the copy ends inside it. */
static int read_answer(const struct dns_msg *m, size_t *off,
		       struct ebpfnet_flow_dns *out)
{
	char owner[DNS_NAME_TEXT];
	uint16_t type, class, rdlen;
	size_t rdata;
	uint32_t ttl;
	int err = read_name(m, off, m->len, DNS_CUT, owner);

	if (err)
		return err;
	if (m->len - *off < DNS_RR_FIXED)
		return DNS_CUT;
	type = get16(m->p + *off);
	class = get16(m->p + *off + 2);
	ttl = get32(m->p + *off + 4);
	rdlen = get16(m->p + *off + 8);
	rdata = *off + DNS_RR_FIXED;
	if (m->len - rdata < rdlen)
		return DNS_CUT;
	*off = rdata + rdlen;
	if (class != DNS_CLASS_IN)
		return 0;
	switch (type) {
	case DNS_TYPE_A:
		if (rdlen != 4)
			return -EBADMSG;
		keep_address(out, AF_INET, m->p + rdata, 4, ttl);
		return 0;
	case DNS_TYPE_AAAA:
		if (rdlen != 16)
			return -EBADMSG;
		keep_address(out, AF_INET6, m->p + rdata, 16, ttl);
		return 0;
	case DNS_TYPE_CNAME:
		return keep_cname(m, rdata, rdlen, out);
	default:
		return 0;
	}
}

/* The whole message into out (zeroed by the caller): 0 or -EBADMSG, and
 * a debug message saying why. */
static int parse_message(const struct dns_msg *m, struct ebpfnet_flow_dns *out)
{
	uint16_t flags, qdcount, ancount, i;
	size_t off = DNS_HDR_LEN;
	int err = 0;

	if (m->len < DNS_HDR_LEN) {
		pr_debug("dns: %zu bytes, shorter than a header", m->len);
		return -EBADMSG;
	}
	out->id = get16(m->p);
	flags = get16(m->p + 2);
	qdcount = get16(m->p + 4);
	ancount = get16(m->p + 6);
	out->is_response = flags & DNS_QR;
	out->truncated = flags & DNS_TC;
	out->rcode = flags & DNS_RCODE;
	if (qdcount && read_question(m, &off, out)) {
		pr_debug("dns: id %u: the question is malformed or cut", out->id);
		return -EBADMSG;
	}
	for (i = 1; i < qdcount && !err; i++)
		err = skip_question(m, &off);
	for (i = 0; i < ancount && !err; i++) {
		err = read_answer(m, &off, out);
		if (!err)
			out->n_answers++;
	}
	if (err == DNS_CUT) {
		out->truncated = true;
		return 0;
	}
	if (err)
		pr_debug("dns: id %u: a malformed name or record", out->id);
	return err;
}

int ebpfnet_flow_dns_parse(const uint8_t *msg, size_t len,
			   struct ebpfnet_flow_dns *dns)
{
	/* The fields parsed, is_response..n_answers, are contiguous. */
	const size_t first = offsetof(struct ebpfnet_flow_dns, is_response);
	const size_t end = offsetofend(struct ebpfnet_flow_dns, n_answers);
	struct ebpfnet_flow_dns out;
	struct dns_msg m = { msg, len };
	int err;

	if (!msg || !dns) {
		pr_warn("ebpfnet_flow_dns_parse: %s is NULL", msg ? "dns" : "msg");
		return ebpfnet__err(-EINVAL);
	}
	if (dns->sz < end) {
		pr_warn("ebpfnet_flow_dns_parse: dns->sz %zu is smaller than the %zu bytes of struct ebpfnet_flow_dns this library writes",
			dns->sz, end);
		return ebpfnet__err(-EINVAL);
	}
	memset(&out, 0, sizeof(out));
	err = parse_message(&m, &out);
	if (err)
		return ebpfnet__err(err);
	memcpy((char *)dns + first, (const char *)&out + first, end - first);
	return 0;
}
