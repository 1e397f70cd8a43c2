/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the ICMP side of the balancer (bpf/lb.bpf.c). BPF only.
 *
 *  - lb_icmp_flow(): an ICMP "fragmentation needed" (type 3 code 4) or
 *    ICMPv6 "packet too big" (type 2) sent to a VIP quotes the packet a
 *    router could not forward: a backend's direct reply VIP -> client.
 *    The flow key of the original direction (client -> VIP: addresses and
 *    ports swapped) sends the error to the backend that owns the
 *    connection. The quoted header must be TCP or UDP right after the IP
 *    header (no IPv6 extension headers) and not a non-first fragment.
 *  - lb_icmp_too_big(): the answer to a packet that would exceed the MTU
 *    once encapsulated (EBPFNET_LB_MTU_ICMP), from the VIP to the client,
 *    quoting the first LB_ICMP_QUOTE4 / LB_ICMP_QUOTE6 bytes of its IP
 *    datagram. DF is not looked at: XDP cannot fragment.
 */
#ifndef EBPFNET_LB_ICMP_H
#define EBPFNET_LB_ICMP_H

#if defined(__bpf__)

#include <linux/types.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lb_abi.h"
#include "lb_encap.h"
#include "parse.h"

#define LB_ICMP_HLEN 8          /* ICMP / ICMPv6 header */
#define LB_ICMP_FRAG_NEEDED 3   /* type; code 4 */
#define LB_ICMP_FRAG_NEEDED_CODE 4
#define LB_ICMP6_TOO_BIG 2      /* type; code 0 */
/* Quoted bytes (multiples of 4 for bpf_csum_diff): an IPv4 header with
 * the most options and 8 bytes (RFC 792); for IPv6, well within the
 * 1280-byte minimum MTU (RFC 4443). */
#define LB_ICMP_QUOTE4 68
#define LB_ICMP_QUOTE6 128

static __always_inline int lb_icmp_is_too_big(__u8 family, __u8 proto,
					      __u8 type, __u8 code)
{
	if (family == PKT_FAMILY_IPV4)
		return proto == IPPROTO_ICMP && type == LB_ICMP_FRAG_NEEDED &&
		       code == LB_ICMP_FRAG_NEEDED_CODE;
	return proto == IPPROTO_ICMPV6 && type == LB_ICMP6_TOO_BIG && !code;
}

static __always_inline int lb_is_tcp_udp(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/*
 * The original-direction flow of the packet quoted by the ICMP error whose
 * header is at l4_off, into *k. 0, or -1 when the quote is not one we can
 * read (truncated, not TCP/UDP, a later fragment).
 */
static __always_inline int lb_icmp_flow(void *data, void *data_end,
					__u32 l4_off, __u8 family,
					struct lb_conn_key *k)
{
	__u8 *q, *ports;

	if (l4_off > PARSE_MAX_HDR_OFF + 8)
		return -1;
	q = data + l4_off + LB_ICMP_HLEN;
	__builtin_memset(k, 0, sizeof(*k));
	if (family == PKT_FAMILY_IPV4) {
		struct iphdr *ip = (void *)q;
		__u32 hlen;

		if ((void *)(ip + 1) > data_end)
			return -1;
		if (ip->version != 4 || ip->ihl < 5 ||
		    (ip->frag_off & bpf_htons(PARSE_IP_OFFSET)) ||
		    !lb_is_tcp_udp(ip->protocol))
			return -1;
		hlen = ip->ihl * 4;
		ports = q + hlen;
		if ((void *)(ports + 4) > data_end)
			return -1;
		k->proto = ip->protocol;
		*(__be32 *)k->src = ip->daddr;
		*(__be32 *)k->dst = ip->saddr;
	} else {
		struct ipv6hdr *ip6 = (void *)q;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		if (ip6->version != 6 || !lb_is_tcp_udp(ip6->nexthdr))
			return -1;
		ports = q + sizeof(*ip6);
		if ((void *)(ports + 4) > data_end)
			return -1;
		k->proto = ip6->nexthdr;
		lb_copy16(k->src, &ip6->daddr);
		lb_copy16(k->dst, &ip6->saddr);
	}
	k->sport = *(__be16 *)(ports + 2);
	k->dport = *(__be16 *)ports;
	k->family = family;
	return 0;
}

/* The ICMP header and quote at icmp (LB_ICMP_HLEN + quote bytes inside
 * the packet, checked by the caller): their checksum, folded with `sum`
 * (the IPv6 pseudo-header; 0 for IPv4). */
static __always_inline __u16 lb_icmp_csum(void *icmp, __u32 quote, __u64 sum)
{
	__s64 part = bpf_csum_diff(0, 0, icmp, LB_ICMP_HLEN + quote, 0);

	return lb_csum_fold(sum + (__u32)part);
}

/*
 * Turns the frame into the ICMP too-big answer to its sender and returns
 * XDP_TX, or XDP_DROP when the datagram is shorter than the quote (an MTU
 * below any real one) or the frame cannot be resized. client and vip: the
 * packet's source and destination addresses (16 bytes, IPv4 in the first
 * 4), read before the frame changes. next_mtu: what fits through the
 * tunnel.
 */
static __always_inline int lb_icmp_too_big(struct xdp_md *ctx, __u8 family,
					   __u32 vlans, const __u8 *client,
					   const __u8 *vip, __u32 next_mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 quote, ip_len, l3_off;
	struct lb_l2 l2;
	__u8 *ip, *icmp;
	int l2_len;

	if (lb_l2_save(data, data_end, vlans, &l2))
		return XDP_DROP;
	l3_off = ETH_HLEN + 4 * l2.vlans;
	quote = family == PKT_FAMILY_IPV4 ? LB_ICMP_QUOTE4 : LB_ICMP_QUOTE6;
	ip_len = family == PKT_FAMILY_IPV4 ? LB_ENCAP_LEN4 : LB_ENCAP_LEN6;
	if (data + l3_off + quote > data_end)
		return XDP_DROP;
	/* keep the quote, then make room for the IP and ICMP headers */
	if (bpf_xdp_adjust_tail(ctx, (int)(l3_off + quote) -
				     (int)(data_end - data)))
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, -(int)(ip_len + LB_ICMP_HLEN)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	l2_len = lb_l2_write(data, data_end, l2.src, l2.dst, &l2,
			     family == PKT_FAMILY_IPV4 ? ETH_P_IP : ETH_P_IPV6);
	if (l2_len < 0 || l2_len > LB_L2_MAX_LEN)
		return XDP_DROP;
	ip = data + l2_len;

	if (family == PKT_FAMILY_IPV4) {
		struct iphdr h = {};

		icmp = ip + LB_ENCAP_LEN4;
		if ((void *)(icmp + LB_ICMP_HLEN + LB_ICMP_QUOTE4) > data_end)
			return XDP_DROP;
		*(__u8 *)&h = 0x45;
		h.tot_len = bpf_htons(LB_ENCAP_LEN4 + LB_ICMP_HLEN +
				      LB_ICMP_QUOTE4);
		h.ttl = LB_OUTER_TTL;
		h.protocol = IPPROTO_ICMP;
		h.saddr = *(const __be32 *)vip;
		h.daddr = *(const __be32 *)client;
		h.check = lb_csum_fold(lb_csum_words(&h, LB_ENCAP_LEN4));
		*(struct iphdr *)ip = h;
		icmp[0] = LB_ICMP_FRAG_NEEDED;
		icmp[1] = LB_ICMP_FRAG_NEEDED_CODE;
		*(__u16 *)(icmp + 2) = 0;                 /* checksum */
		*(__u16 *)(icmp + 4) = 0;                 /* unused */
		*(__be16 *)(icmp + 6) = bpf_htons(next_mtu);
		*(__u16 *)(icmp + 2) = lb_icmp_csum(icmp, LB_ICMP_QUOTE4, 0);
	} else {
		struct ipv6hdr h = {};
		__u64 pseudo;

		icmp = ip + LB_ENCAP_LEN6;
		if ((void *)(icmp + LB_ICMP_HLEN + LB_ICMP_QUOTE6) > data_end)
			return XDP_DROP;
		*(__be32 *)&h = bpf_htonl(0x60000000u);
		h.payload_len = bpf_htons(LB_ICMP_HLEN + LB_ICMP_QUOTE6);
		h.nexthdr = IPPROTO_ICMPV6;
		h.hop_limit = LB_OUTER_TTL;
		lb_copy16(&h.saddr, vip);
		lb_copy16(&h.daddr, client);
		*(struct ipv6hdr *)ip = h;
		icmp[0] = LB_ICMP6_TOO_BIG;
		icmp[1] = 0;
		*(__u16 *)(icmp + 2) = 0;
		*(__be32 *)(icmp + 4) = bpf_htonl(next_mtu);
		pseudo = lb_csum_words(&h.saddr, 32) +
			 bpf_htonl(LB_ICMP_HLEN + LB_ICMP_QUOTE6) +
			 bpf_htonl(IPPROTO_ICMPV6);
		*(__u16 *)(icmp + 2) = lb_icmp_csum(icmp, LB_ICMP_QUOTE6, pseudo);
	}
	return XDP_TX;
}

#endif /* __bpf__ */
#endif /* EBPFNET_LB_ICMP_H */
