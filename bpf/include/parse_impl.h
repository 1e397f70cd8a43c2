/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * parse_pkt(): the implementation behind parse.h (include parse.h, not
 * this file).
 *
 * Offsets are kept as bounded scalars and every read goes through a check
 * of data + off + size against data_end, so the verifier (5.10 and up)
 * accepts it under XDP and TC alike. The VLAN loop is unrolled; the IPv6
 * extension header loop is a bounded loop (verifier: 5.3 and up), with the
 * verifier's state reset at each turn (parse_forget_path()). About 330
 * instructions, about 10k verifier steps (tests/datapath/test_parse.c).
 * Callers that use the offsets of *p for packet access bound them first:
 * read back from *p the verifier may know nothing of them.
 *
 * Besides the packet end, headers are also checked against the end of the
 * IP datagram (IPv4 total length, IPv6 40 + payload length): Ethernet
 * padding after the datagram is never read as a header.
 *
 * What the fields hold after each result:
 *  - PARSE_MALFORMED: whatever was parsed before the fault; use none of it.
 *  - PARSE_NOT_IP: vlans, vlan_id and l3_off (where the payload after the
 *    tags starts); family 0.
 *  - PARSE_OK: the L3 fields, and l4_off = where the L4 part starts (for a
 *    PKT_FRAG_LATER fragment: where its data starts). l4_ok = 1 only when
 *    the L4 header of TCP/UDP/SCTP/ICMP/ICMPv6 was read (never for
 *    PKT_FRAG_LATER, never for other protocols: GRE, ESP, ...).
 * Also MALFORMED: an IPv6 jumbogram (payload length 0 with a jumbo
 * option: its headers lie past the 40 bytes it claims), an IPv6 AH whose
 * length is not a multiple of 8 bytes (RFC 4302), and extension headers
 * that start past PARSE_MAX_HDR_OFF. Offsets in struct pkt are at most
 * PARSE_MAX_HDR_OFF (+ 8 after a fragment header).
 */
#ifndef EBPFNET_PARSE_IMPL_H
#define EBPFNET_PARSE_IMPL_H

/* BPF only: the host compiler sees struct pkt and the constants of parse.h
 * (tests and the library read them), not the parser. */
#if defined(__bpf__)

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

/* Headers must start within this many bytes of data (offsets in struct
 * pkt are 16-bit; no packet buffer holds headers beyond). */
#define PARSE_MAX_HDR_OFF 0xff00

#define PARSE_IP_MF 0x2000      /* IPv4 frag_off: more fragments */
#define PARSE_IP_OFFSET 0x1fff  /* IPv4 frag_off: offset in 8-byte units */
#define PARSE_IP6_OFFSET 0xfff8 /* IPv6 fragment header: offset << 3 */
#define PARSE_IP6_MF 0x0001     /* IPv6 fragment header: M flag */

/* struct ethhdr is packed (read byte by byte); this one is not. */
struct parse_eth_hdr {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

/* One 802.1Q / 802.1ad tag, after the MAC addresses (linux/if_vlan.h is
 * not UAPI). */
struct parse_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* True when `need` bytes at `off` lie inside the packet (the check the
 * verifier sees) and inside the datagram ending at `end_off`. */
#define PARSE_HAVE(data, data_end, off, end_off, need)                       \
	((void *)(data) + (off) + (need) <= (void *)(data_end) &&                 \
	 (off) + (need) <= (end_off))

/*
 * The verifier follows every path through the extension header loop with
 * the exact range `off` got on that path, and paths that differ are checked
 * again to the end of the program: thousands of times after a few headers.
 * Passing `off` through memory it does not track (a 16-bit field of *p: a
 * map value, or a stack slot that is not 8-byte aligned) gives back an
 * unknown 16-bit value, the same on every path, so the paths meet again.
 */
static __always_inline __u32 parse_forget_path(struct pkt *p, __u32 off)
{
	p->l4_off = off;
	return *(volatile __u16 *)&p->l4_off;
}

static __always_inline int parse_is_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT ||
	       nexthdr == IPPROTO_AH;
}

/* The L4 header at `off` of a datagram ending at `end_off`; p->proto and
 * p->frag are set. */
static __always_inline int parse_l4(void *data, void *data_end, __u32 off,
				    __u32 end_off, struct pkt *p)
{
	__u8 *l4 = data + off;
	__u32 need;

	p->l4_off = off;
	if (p->frag == PKT_FRAG_LATER)
		return PARSE_OK;

	switch (p->proto) {
	case IPPROTO_TCP:
		need = sizeof(struct tcphdr);
		break;
	case IPPROTO_UDP:
		need = sizeof(struct udphdr);
		break;
	case IPPROTO_SCTP:   /* the ports */
	case IPPROTO_ICMP:   /* type, code, checksum */
	case IPPROTO_ICMPV6:
		need = 4;
		break;
	default:
		return PARSE_OK;
	}
	/* The IP header claims this L4 protocol but the packet (or the
	 * datagram) ends before its header does: malformed, not "no L4". */
	if (off + need > end_off)
		return PARSE_MALFORMED;
	if ((void *)(l4 + 4) > data_end) /* for the verifier */
		return PARSE_MALFORMED;

	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
	} else {
		p->sport = *(__be16 *)l4;
		p->dport = *(__be16 *)(l4 + 2);
	}
	if (p->proto == IPPROTO_TCP) {
		if ((void *)(l4 + sizeof(struct tcphdr)) > data_end)
			return PARSE_MALFORMED;
		p->tcp_flags = l4[13]; /* the byte after data offset */
	}
	p->l4_ok = 1;
	return PARSE_OK;
}

/* The IPv4 header at *off; on PARSE_OK, *off is where L4 starts and
 * *end_off where the datagram ends. */
static __always_inline int parse_ipv4(void *data, void *data_end,
				      __u32 frame_len, __u32 *off,
				      __u32 *end_off, struct pkt *p)
{
	struct iphdr *iph = data + *off;
	__u32 hdr_len, tot_len;
	__u16 frag_off;

	if ((void *)(iph + 1) > data_end)
		return PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_MALFORMED;
	hdr_len = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hdr_len || *off + tot_len > frame_len)
		return PARSE_MALFORMED;

	p->family = PKT_FAMILY_IPV4;
	p->l3_len = tot_len;
	p->proto = iph->protocol;
	p->tos = iph->tos;
	p->ttl = iph->ttl;
	p->saddr[0] = iph->saddr;
	p->daddr[0] = iph->daddr;
	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & PARSE_IP_OFFSET)
		p->frag = PKT_FRAG_LATER;
	else if (frag_off & PARSE_IP_MF)
		p->frag = PKT_FRAG_FIRST;
	/* options skipped: tot_len >= hdr_len keeps them inside the packet */
	*end_off = *off + tot_len;
	*off += hdr_len;
	return PARSE_OK;
}

/* The IPv6 header at *off and its extension headers; on PARSE_OK, *off
 * is where L4 starts and *end_off where the datagram ends. */
static __always_inline int parse_ipv6(void *data, void *data_end,
				      __u32 frame_len, __u32 *off_p,
				      __u32 *end_off_p, struct pkt *p)
{
	__u32 off = *off_p, end_off, len, units;
	struct ipv6hdr *ip6 = data + off;
	__u8 nexthdr;
	__u8 *eh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (len > 0xffff || off + len > frame_len) /* l3_len is 16-bit */
		return PARSE_MALFORMED;

	p->family = PKT_FAMILY_IPV6;
	p->l3_len = len;
	p->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	p->ttl = ip6->hop_limit;
	__builtin_memcpy(p->saddr, &ip6->saddr, sizeof(p->saddr));
	__builtin_memcpy(p->daddr, &ip6->daddr, sizeof(p->daddr));
	nexthdr = ip6->nexthdr;
	end_off = off + len;
	off += sizeof(*ip6);

	/* a bounded loop, not unrolled: 8 copies would double the size of
	 * every program that inlines the parser */
#pragma clang loop unroll(disable)
	for (i = 0; i < PKT_MAX_EXT_HDRS; i++) {
		if (!parse_is_ipv6_ext(nexthdr))
			break;
		/* every extension header is at least 8 bytes */
		if (!PARSE_HAVE(data, data_end, off, end_off, 8))
			return PARSE_MALFORMED;
		eh = data + off;
		/* length in 8-byte units minus one, from the same formula for
		 * every type: fewer distinct states for the verifier */
		units = eh[1];
		if (nexthdr == IPPROTO_FRAGMENT) {
			__u16 frag = bpf_ntohs(*(__be16 *)(eh + 2));

			if (frag & PARSE_IP6_OFFSET)
				p->frag = PKT_FRAG_LATER;
			else if (frag & PARSE_IP6_MF)
				p->frag = PKT_FRAG_FIRST;
			units = 0; /* always 8 bytes */
		} else if (nexthdr == IPPROTO_AH) {
			/* (len + 2) * 4 bytes: a multiple of 8 in IPv6 */
			if (units & 1)
				return PARSE_MALFORMED;
			units >>= 1;
		}
		nexthdr = eh[0];
		off += (units + 1) * 8;
		if (off > end_off)
			return PARSE_MALFORMED;
		/* after a non-first fragment's header comes fragment data */
		if (p->frag == PKT_FRAG_LATER)
			break;
		off = parse_forget_path(p, off);
		if (off > PARSE_MAX_HDR_OFF)
			return PARSE_MALFORMED;
	}
	if (p->frag != PKT_FRAG_LATER && parse_is_ipv6_ext(nexthdr))
		return PARSE_MALFORMED; /* more than PKT_MAX_EXT_HDRS */
	p->proto = nexthdr;
	*off_p = off;
	*end_off_p = end_off;
	return PARSE_OK;
}

/* The frame is frame_len bytes from data; [data, data_end) holds at least
 * its headers (TC: the linear part of an skb whose payload may be paged). */
static __always_inline int parse_pkt_frame(void *data, void *data_end,
					   __u32 frame_len, struct pkt *p)
{
	struct parse_eth_hdr *eth = data;
	struct parse_vlan_hdr *vh;
	__u32 off = sizeof(*eth), end_off;
	__be16 proto;
	int i, ret;

	__builtin_memset(p, 0, sizeof(*p));
	/* Keep *p in memory: split into registers (when the caller's struct
	 * is on its stack), its fields would be shuffled at every return. */
	asm volatile("" : : "r"(p) : "memory");
	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	proto = eth->proto;

#pragma unroll
	for (i = 0; i <= PKT_MAX_VLANS; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if (i == PKT_MAX_VLANS)
			return PARSE_MALFORMED; /* a third tag */
		vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return PARSE_MALFORMED;
		p->vlan_id[i] = bpf_ntohs(vh->tci) & 0x0fff;
		p->vlans = i + 1;
		proto = vh->encap_proto;
		off += sizeof(*vh);
	}
	p->l3_off = off;

	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(data, data_end, frame_len, &off, &end_off, p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_ipv6(data, data_end, frame_len, &off, &end_off, p);
	else
		return PARSE_NOT_IP;
	if (ret != PARSE_OK)
		return ret;
	return parse_l4(data, data_end, off, end_off, p);
}

static __always_inline int parse_pkt(void *data, void *data_end, struct pkt *p)
{
	return parse_pkt_frame(data, data_end, (__u32)(data_end - data), p);
}

#endif /* __bpf__ */
#endif /* EBPFNET_PARSE_IMPL_H */
