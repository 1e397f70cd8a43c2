/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the headers the balancer writes (bpf/lb.bpf.c) and the Internet
 * checksum. BPF only.
 *
 *  - L2: the frame's own Ethernet header and VLAN tags are kept (XDP_TX
 *    leaves by the interface the packet came in on, so on its VLAN); only
 *    the MACs and the last EtherType change.
 *  - The outer IPv4 / IPv6 header of the encapsulation, with Katran's
 *    conventions (TTL / hop limit 64, DF clear, TOS / traffic class of the
 *    inner packet, flow label 0, IP ID 0) and outer sources built from
 *    the client so that flows spread over the backend's RSS queues:
 *      IPv4: prefix, then o3 ^ sport_lo . o4 ^ sport_hi, where o3.o4 are
 *            the client's last two address bytes (an IPv6 client: bytes
 *            14 and 15) and sport_lo/hi the low/high byte of its source
 *            port: 172.16.(o3 ^ lo).(o4 ^ hi) with the default /16;
 *      IPv6: prefix, then bytes 8..11 zero and bytes 12..15 the client's
 *            last 4 address bytes (an IPv4 client: its address) with
 *            bytes 12 and 13 XORed with the source port in network order
 *            (high byte, low byte): Katran's saddr[3] = src ^ port.
 *    Address bits inside the configured prefix length come from the
 *    prefix, the others from the built suffix.
 */
#ifndef EBPFNET_LB_ENCAP_H
#define EBPFNET_LB_ENCAP_H

#if defined(__bpf__)

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lb_abi.h"
#include "parse.h"

#define LB_OUTER_TTL 64
#define LB_ENCAP_LEN4 20 /* sizeof(struct iphdr) */
#define LB_ENCAP_LEN6 40 /* sizeof(struct ipv6hdr) */
/* MACs + two tags: the most L2 header a parsed frame has (and, with the
 * IP header after it, always inside the frame). */
#define LB_L2_MAX_LEN (ETH_HLEN + 4 * PKT_MAX_VLANS)

/* The frame's L2 header as it came in. */
struct lb_l2 {
	__u8 dst[ETH_ALEN];   /* ours */
	__u8 src[ETH_ALEN];   /* the previous hop */
	__be32 tag[PKT_MAX_VLANS]; /* TPID + TCI, outermost first */
	__u32 vlans;          /* 0..PKT_MAX_VLANS */
};

/* Words that may alias anything: headers are built as structs and read
 * back as words (strict aliasing would let the compiler reorder them). */
typedef __u32 __attribute__((__may_alias__)) lb_word32;
typedef __u16 __attribute__((__may_alias__)) lb_word16;

/* ---- checksums ----------------------------------------------------------- */

static __always_inline __u16 lb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The one's complement sum of the n_bytes (a constant multiple of 4) at
 * p, 32 bits at a time: lb_csum_fold() makes it the 16-bit sum. */
static __always_inline __u64 lb_csum_words(const void *p, int n_bytes)
{
	const lb_word32 *w = p;
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n_bytes / 4; i++)
		sum += w[i];
	return sum;
}

/* ---- copies ---------------------------------------------------------------- */

/* Word by word: __builtin_memcpy of __u8 arrays copies byte by byte.
 * Packet and map memory allow unaligned words (and the scratch map's
 * are aligned). */
static __always_inline void lb_copy16(void *dst, const void *src)
{
	lb_word32 *d = dst;
	const lb_word32 *s = src;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
	d[3] = s[3];
}

static __always_inline void lb_copy_mac(void *dst, const void *src)
{
	*(lb_word32 *)dst = *(const lb_word32 *)src;
	*(lb_word16 *)(dst + 4) = *(const lb_word16 *)(src + 4);
}

/* ---- L2 ------------------------------------------------------------------ */

/* Copies the frame's L2 header; -1 when the frame cannot hold the most
 * a parsed frame has (never for a parsed IP packet). */
static __always_inline int lb_l2_save(void *data, void *data_end,
				      __u32 vlans, struct lb_l2 *l2)
{
	__u8 *eth = data;

	if ((void *)(eth + LB_L2_MAX_LEN) > data_end || vlans > PKT_MAX_VLANS)
		return -1;
	lb_copy_mac(l2->dst, eth);
	lb_copy_mac(l2->src, eth + ETH_ALEN);
	l2->tag[0] = *(__be32 *)(eth + 12);
	l2->tag[1] = *(__be32 *)(eth + 16);
	l2->vlans = vlans;
	return 0;
}

/* Writes the L2 header at data: dst, src, the saved tags, then eth_proto.
 * Returns its length, or -1 when the frame is too short for it. */
static __always_inline int lb_l2_write(void *data, void *data_end,
				       const __u8 *dst, const __u8 *src,
				       const struct lb_l2 *l2, __u16 eth_proto)
{
	__u32 vlans = l2->vlans, len;
	__u8 *eth = data;

	if ((void *)(eth + LB_L2_MAX_LEN) > data_end || vlans > PKT_MAX_VLANS)
		return -1;
	len = ETH_HLEN + 4 * vlans;
	lb_copy_mac(eth, dst);
	lb_copy_mac(eth + ETH_ALEN, src);
	/* constant offsets: the verifier allows no variable one here */
	if (vlans == 0) {
		*(__be16 *)(eth + 12) = bpf_htons(eth_proto);
	} else if (vlans == 1) {
		*(__be32 *)(eth + 12) = l2->tag[0];
		*(__be16 *)(eth + 16) = bpf_htons(eth_proto);
	} else {
		*(__be32 *)(eth + 12) = l2->tag[0];
		*(__be32 *)(eth + 16) = l2->tag[1];
		*(__be16 *)(eth + 20) = bpf_htons(eth_proto);
	}
	return len;
}

/* ---- outer headers --------------------------------------------------------- */

/* Network-order mask of the bits of 32-bit word `word` (0..3) inside a
 * prefix of `len` bits. */
static __always_inline __be32 lb_prefix_mask(__u32 len, int word)
{
	__s32 bits = (__s32)len - 32 * word;

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return 0xffffffff;
	return bpf_htonl(0xffffffffu << (32 - bits));
}

static __always_inline __be32 lb_prefix_merge(__be32 prefix, __be32 suffix,
					      __be32 mask)
{
	return (prefix & mask) | (suffix & ~mask);
}

/* The client's last 4 address bytes (an IPv4 client: its address). */
static __always_inline __be32 lb_client_last4(const struct lb_conn_key *k)
{
	return k->family == PKT_FAMILY_IPV4 ? *(const __be32 *)k->src :
					       *(const __be32 *)(k->src + 12);
}

/* Word-wise, byte-order neutral: port is the client's source port in
 * host order; its low byte lands on the suffix's byte 2, high on 3. */
static __always_inline __be32 lb_outer_src4(const struct lb_config *c,
					    const struct lb_conn_key *k)
{
	__u32 port = bpf_ntohs(k->sport);
	__be32 suffix = (lb_client_last4(k) & bpf_htonl(0xffff)) ^
			bpf_htonl((port & 0xff) << 8 | port >> 8);

	return lb_prefix_merge(*(const __be32 *)c->outer_src4, suffix,
			       lb_prefix_mask(c->outer_src4_len, 0));
}

static __always_inline void lb_outer_src6(const struct lb_config *c,
					  const struct lb_conn_key *k,
					  __be32 *saddr)
{
	const __be32 *prefix = (const __be32 *)c->outer_src6;
	__u32 len = c->outer_src6_len;
	/* the source port as on the wire over the first two bytes */
	__be32 last = lb_client_last4(k) ^
		      bpf_htonl((__u32)bpf_ntohs(k->sport) << 16);

	saddr[0] = lb_prefix_merge(prefix[0], 0, lb_prefix_mask(len, 0));
	saddr[1] = lb_prefix_merge(prefix[1], 0, lb_prefix_mask(len, 1));
	saddr[2] = lb_prefix_merge(prefix[2], 0, lb_prefix_mask(len, 2));
	saddr[3] = lb_prefix_merge(prefix[3], last, lb_prefix_mask(len, 3));
}

/* The inner packet's protocol number in the outer header. */
static __always_inline __u8 lb_inner_proto(__u8 inner_family)
{
	return inner_family == PKT_FAMILY_IPV4 ? IPPROTO_IPIP : IPPROTO_IPV6;
}

/*
 * The outer headers are written straight into the packet, word by word.
 * IPv4: of the ten 16-bit words the checksum covers, only TOS, total
 * length and the addresses vary; the rest (version and IHL, ID and
 * fragment offset 0, TTL, protocol) are two constant words per inner
 * family, so the checksum is 4 additions and a fold.
 */
static __always_inline void lb_outer4(void *ip, const struct lb_config *c,
				      const struct lb_conn_key *k,
				      __be32 daddr, __u8 tos, __u16 inner_len)
{
	lb_word32 *w = ip;
	/* version 4, IHL 5, TOS, total length */
	__be32 w0 = bpf_htonl(0x45000000u | (__u32)tos << 16 |
			      (__u32)(__u16)(inner_len + LB_ENCAP_LEN4));
	/* TTL, protocol, checksum 0 (filled below) */
	__be32 w2 = bpf_htonl((__u32)LB_OUTER_TTL << 24 |
			      (__u32)lb_inner_proto(k->family) << 16);
	__be32 saddr = lb_outer_src4(c, k);

	w[0] = w0;
	w[1] = 0; /* ID 0, DF clear, offset 0 */
	w[2] = w2;
	w[3] = saddr;
	w[4] = daddr;
	((struct iphdr *)ip)->check =
		lb_csum_fold((__u64)w0 + w2 + saddr + daddr);
}

static __always_inline void lb_outer6(void *ip, const struct lb_config *c,
				      const struct lb_conn_key *k,
				      const __u8 *backend, __u8 tos,
				      __u16 inner_len)
{
	lb_word32 *w = ip;

	/* version 6, traffic class, flow label 0 */
	w[0] = bpf_htonl(0x60000000u | ((__u32)tos << 20));
	/* payload length, next header, hop limit */
	w[1] = bpf_htonl((__u32)inner_len << 16 |
			 (__u32)lb_inner_proto(k->family) << 8 | LB_OUTER_TTL);
	lb_outer_src6(c, k, (__be32 *)&((struct ipv6hdr *)ip)->saddr);
	lb_copy16(&((struct ipv6hdr *)ip)->daddr, backend);
}

#endif /* __bpf__ */
#endif /* EBPFNET_LB_ENCAP_H */
