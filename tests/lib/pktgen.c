// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/* Test packet builder: see pktgen.h. */
#include "pktgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88a8

#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define SCTP_HDR_LEN 12
#define ICMP_HDR_LEN 8
#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define AH_DEFAULT_LEN 4   /* (4 + 2) * 4 = 24 bytes: a 96-bit ICV */
#define ROUTING_TYPE_EXP 253 /* RFC 4727: for experiments */

/* A cursor over the caller's buffer; `err` sticks at the first overflow. */
struct writer {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err;
};

/* Room for n more bytes at the cursor (zeroed), or NULL. */
static uint8_t *w_take(struct writer *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->pos) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->buf + w->pos;
	memset(p, 0, n);
	w->pos += n;
	return p;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t csum_add(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t pktgen_csum(const void *data, size_t len, uint32_t sum)
{
	return csum_fold(csum_add(data, len, sum));
}

void pktgen_fix_ipv4_csum(void *buf, int l3_off)
{
	uint8_t *ip = (uint8_t *)buf + l3_off;

	put16(ip + 10, 0);
	put16(ip + 10, pktgen_csum(ip, (ip[0] & 0x0f) * 4, 0));
}

/* CRC32c (Castagnoli), bit by bit: SCTP's checksum. */
static uint32_t crc32c(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return ~crc;
}

struct addrs {
	uint8_t src[16], dst[16];
	size_t len; /* 4 or 16 */
};

static int parse_addrs(const struct pkt_spec *s, struct addrs *a)
{
	int af = s->family == 4 ? AF_INET : AF_INET6;
	const char *src = s->src, *dst = s->dst;

	if (!src)
		src = s->family == 4 ? "10.0.0.1" : "fd00::1";
	if (!dst)
		dst = s->family == 4 ? "10.0.0.2" : "fd00::2";
	a->len = s->family == 4 ? 4 : 16;
	if (inet_pton(af, src, a->src) != 1 || inet_pton(af, dst, a->dst) != 1)
		return -EINVAL;
	return 0;
}

static bool has_frag_hdr(const struct pkt_spec *s)
{
	int i;

	for (i = 0; i < s->n_ext; i++)
		if (s->ext_hdrs[i] == PKTGEN_EXT_FRAGMENT)
			return true;
	return false;
}

static int check_spec(const struct pkt_spec *s)
{
	int i;

	if (s->vlans < 0 || s->vlans > PKTGEN_MAX_VLANS)
		return -EINVAL;
	for (i = 0; i < s->vlans; i++)
		if (s->vid[i] > 0x0fff || s->vlan_prio[i] > 7)
			return -EINVAL;
	if (s->ethertype)
		return 0;
	if (s->family != 4 && s->family != 6)
		return -EINVAL;
	if (s->family == 4) {
		if (s->ip_opts_len < 0 || s->ip_opts_len > PKTGEN_MAX_IP_OPTS ||
		    s->ip_opts_len % 4 || s->n_ext || s->frag_off > 0x1fff)
			return -EINVAL;
		return 0;
	}
	if (s->ip_opts_len || s->dont_frag || s->n_ext < 0 ||
	    s->n_ext > PKTGEN_MAX_EXT || s->frag_off > 0x1fff)
		return -EINVAL;
	if ((s->frag_off || s->more_frags) && !has_frag_hdr(s))
		return -EINVAL;
	for (i = 0; i < s->n_ext; i++) {
		switch (s->ext_hdrs[i]) {
		case PKTGEN_EXT_HOPOPTS:
		case PKTGEN_EXT_ROUTING:
		case PKTGEN_EXT_FRAGMENT:
		case PKTGEN_EXT_DSTOPTS:
			break;
		case PKTGEN_EXT_AH:
			if (s->ext_len[i] == 1) /* (1 + 2) * 4: less than its fields */
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

static void write_l2(struct writer *w, const struct pkt_spec *s,
		     uint16_t ethertype)
{
	static const uint8_t def_src[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t def_dst[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t zero[6];
	uint8_t *eth = w_take(w, 12);
	uint8_t *tag;
	uint16_t tpid;
	int i;

	if (!eth)
		return;
	memcpy(eth, memcmp(s->dst_mac, zero, 6) ? s->dst_mac : def_dst, 6);
	memcpy(eth + 6, memcmp(s->src_mac, zero, 6) ? s->src_mac : def_src, 6);
	for (i = 0; i < s->vlans; i++) {
		tpid = s->vlan_proto[i];
		if (!tpid)
			tpid = s->vlans == 2 && i == 0 ? TPID_8021AD : TPID_8021Q;
		tag = w_take(w, 4);
		if (!tag)
			return;
		put16(tag, tpid);
		put16(tag + 2, (uint16_t)(s->vlan_prio[i] << 13 | s->vid[i]));
	}
	tag = w_take(w, 2);
	if (tag)
		put16(tag, ethertype);
}

static void write_ipv4_hdr(struct writer *w, const struct pkt_spec *s,
			   const struct addrs *a)
{
	uint8_t *ip = w_take(w, IPV4_HDR_LEN + s->ip_opts_len);
	uint16_t frag = s->frag_off;

	if (!ip)
		return;
	ip[0] = 0x40 | (IPV4_HDR_LEN + s->ip_opts_len) / 4;
	ip[1] = s->tos;
	put16(ip + 4, s->ip_id);
	if (s->dont_frag)
		frag |= 0x4000;
	if (s->more_frags)
		frag |= 0x2000;
	put16(ip + 6, frag);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto;
	memcpy(ip + 12, a->src, 4);
	memcpy(ip + 16, a->dst, 4);
	/* options: NOPs, the last byte an EOL */
	if (s->ip_opts_len) {
		memset(ip + IPV4_HDR_LEN, 1, s->ip_opts_len - 1);
		ip[IPV4_HDR_LEN + s->ip_opts_len - 1] = 0;
	}
	/* total length and checksum: in finish_l3() */
}

/* One IPv6 extension header of type `type`, followed by `next`. */
static void write_ext_hdr(struct writer *w, const struct pkt_spec *s,
			  uint8_t type, uint8_t len_field, uint8_t next)
{
	size_t size;
	uint8_t *h;

	if (type == PKTGEN_EXT_FRAGMENT)
		size = 8;
	else if (type == PKTGEN_EXT_AH)
		size = ((len_field ? len_field : AH_DEFAULT_LEN) + 2) * 4;
	else
		size = (len_field + 1) * 8;
	h = w_take(w, size);
	if (!h)
		return;
	h[0] = next;
	switch (type) {
	case PKTGEN_EXT_FRAGMENT:
		put16(h + 2, (uint16_t)(s->frag_off << 3 | s->more_frags));
		put32(h + 4, s->frag_id);
		break;
	case PKTGEN_EXT_AH:
		h[1] = len_field ? len_field : AH_DEFAULT_LEN;
		put32(h + 4, 0x100); /* SPI; sequence number and ICV zero */
		break;
	case PKTGEN_EXT_ROUTING:
		h[1] = len_field;
		h[2] = ROUTING_TYPE_EXP; /* segments left 0: nothing to route */
		break;
	default: /* hop-by-hop and destination options: one PadN */
		h[1] = len_field;
		h[2] = 1;
		h[3] = (uint8_t)(size - 4);
		break;
	}
}

static void write_ipv6_hdrs(struct writer *w, const struct pkt_spec *s,
			    const struct addrs *a)
{
	uint8_t *ip = w_take(w, IPV6_HDR_LEN);
	uint8_t next;
	int i;

	if (!ip)
		return;
	put32(ip, 6u << 28 | (uint32_t)s->tos << 20);
	ip[6] = s->n_ext ? s->ext_hdrs[0] : s->proto;
	ip[7] = s->ttl ? s->ttl : 64;
	memcpy(ip + 8, a->src, 16);
	memcpy(ip + 24, a->dst, 16);
	for (i = 0; i < s->n_ext; i++) {
		next = i + 1 < s->n_ext ? s->ext_hdrs[i + 1] : s->proto;
		write_ext_hdr(w, s, s->ext_hdrs[i], s->ext_len[i], next);
	}
	/* payload length: in finish_l3() */
}

static size_t l4_hdr_len(const struct pkt_spec *s)
{
	if (s->raw_l4 || s->frag_off)
		return 0;
	switch (s->proto) {
	case IPPROTO_TCP:
		return TCP_HDR_LEN;
	case IPPROTO_UDP:
		return UDP_HDR_LEN;
	case IPPROTO_SCTP:
		return SCTP_HDR_LEN;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return ICMP_HDR_LEN;
	default:
		return 0;
	}
}

/* The L4 header fields but the checksum. */
static void write_l4_hdr(uint8_t *h, const struct pkt_spec *s, size_t l4_len)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put32(h + 4, s->seq);
		put32(h + 8, s->ack);
		h[12] = (TCP_HDR_LEN / 4) << 4;
		h[13] = s->tcp_flags ? s->tcp_flags : 0x10;
		put16(h + 14, 65535);
		break;
	case IPPROTO_UDP:
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put16(h + 4, (uint16_t)l4_len);
		break;
	case IPPROTO_SCTP:
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put32(h + 4, 1); /* verification tag */
		break;
	default: /* ICMP, ICMPv6 */
		h[0] = s->icmp_type;
		h[1] = s->icmp_code;
		put16(h + 4, s->icmp_id);
		put16(h + 6, s->icmp_seq);
		break;
	}
}

/* The sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 793, RFC 8200 8.1). */
static uint32_t pseudo_sum(const struct addrs *a, uint8_t proto, size_t len)
{
	uint32_t sum = csum_add(a->src, a->len, 0);

	sum = csum_add(a->dst, a->len, sum);
	return sum + proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
}

/* The checksum of the L4 part [l4, l4 + len): computed over the bytes
 * present, so a first fragment carries a checksum of itself only. */
static void write_l4_csum(uint8_t *l4, const struct pkt_spec *s,
			  const struct addrs *a, size_t len)
{
	uint16_t c;
	uint32_t crc;

	switch (s->proto) {
	case IPPROTO_TCP:
		put16(l4 + 16, pktgen_csum(l4, len, pseudo_sum(a, s->proto, len)));
		break;
	case IPPROTO_UDP:
		c = pktgen_csum(l4, len, pseudo_sum(a, s->proto, len));
		put16(l4 + 6, c ? c : 0xffff); /* 0 means "no checksum" */
		break;
	case IPPROTO_SCTP:
		crc = crc32c(l4, len); /* stored least significant byte first */
		l4[8] = crc & 0xff;
		l4[9] = (crc >> 8) & 0xff;
		l4[10] = (crc >> 16) & 0xff;
		l4[11] = crc >> 24;
		break;
	case IPPROTO_ICMP:
		put16(l4 + 2, pktgen_csum(l4, len, 0));
		break;
	case IPPROTO_ICMPV6:
		put16(l4 + 2, pktgen_csum(l4, len, pseudo_sum(a, s->proto, len)));
		break;
	}
}

static void write_payload(struct writer *w, const struct pkt_spec *s)
{
	uint8_t *p = w_take(w, s->payload_len);
	size_t i;

	if (!p)
		return;
	if (s->payload)
		memcpy(p, s->payload, s->payload_len);
	else
		for (i = 0; i < s->payload_len; i++)
			p[i] = i & 0xff;
}

/* Length fields and the IPv4 header checksum, once the datagram is whole. */
static int finish_l3(uint8_t *ip, const struct pkt_spec *s, size_t l3_len)
{
	if (s->family == 4) {
		if (l3_len > 0xffff)
			return -EINVAL;
		put16(ip + 2, (uint16_t)l3_len);
		put16(ip + 10, pktgen_csum(ip, (ip[0] & 0x0f) * 4, 0));
	} else {
		if (l3_len - IPV6_HDR_LEN > 0xffff)
			return -EINVAL;
		put16(ip + 4, (uint16_t)(l3_len - IPV6_HDR_LEN));
	}
	return 0;
}

int pktgen_build(const struct pkt_spec *s, void *buf, size_t cap,
		 struct pkt_layout *layout)
{
	struct writer w = { .buf = buf, .cap = cap };
	struct pkt_layout l = { 0 };
	size_t hdr_len;
	struct addrs a;
	uint8_t *l4;
	int err;

	if (!s || !buf)
		return -EINVAL;
	err = check_spec(s);
	if (!err && !s->ethertype)
		err = parse_addrs(s, &a);
	if (err)
		return err;

	write_l2(&w, s, s->ethertype ? s->ethertype :
		 s->family == 4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6);
	l.l3_off = (int)w.pos;
	if (s->ethertype) {
		l.l4_off = l.payload_off = l.l3_off;
		write_payload(&w, s);
	} else {
		if (s->family == 4)
			write_ipv4_hdr(&w, s, &a);
		else
			write_ipv6_hdrs(&w, s, &a);
		l.l4_off = (int)w.pos;
		hdr_len = l4_hdr_len(s);
		l4 = w_take(&w, hdr_len);
		l.payload_off = (int)w.pos;
		write_payload(&w, s);
		if (w.err)
			return w.err;
		l.l3_len = (int)w.pos - l.l3_off;
		if (hdr_len) {
			write_l4_hdr(l4, s, w.pos - l.l4_off);
			write_l4_csum(l4, s, &a, w.pos - l.l4_off);
		}
		err = finish_l3(w.buf + l.l3_off, s, l.l3_len);
		if (err)
			return err;
	}
	w_take(&w, s->trailer_len);
	if (w.err)
		return w.err;
	l.len = (int)w.pos;
	if (layout)
		*layout = l;
	return l.len;
}
