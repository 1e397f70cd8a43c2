/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The one packet parser of every network object (drop, lb, policy, flow):
 * Ethernet, up to two VLAN tags (802.1Q / 802.1ad), IPv4 with options,
 * IPv6 with a bounded walk of extension headers, fragments, and the first
 * bytes of TCP/UDP/SCTP/ICMP/ICMPv6. Works on any [data, data_end) with
 * direct packet access (XDP, and TC after bpf_skb_pull_data). Every read
 * is checked against data_end; nothing is read past it.
 */
#ifndef EBPFNET_PARSE_H
#define EBPFNET_PARSE_H

#include <linux/types.h>

#define PKT_FAMILY_IPV4 4
#define PKT_FAMILY_IPV6 6

/* pkt.frag */
#define PKT_FRAG_NONE 0   /* not a fragment */
#define PKT_FRAG_FIRST 1  /* offset 0, more fragments follow: has L4 */
#define PKT_FRAG_LATER 2  /* offset > 0: no L4 header */

/* parse_pkt() result */
#define PARSE_OK 0        /* IPv4/IPv6 parsed (L4 as far as present) */
#define PARSE_NOT_IP 1    /* a well-formed frame that is not IP (ARP...) */
#define PARSE_MALFORMED 2 /* truncated or inconsistent headers */

#define PKT_MAX_VLANS 2
#define PKT_MAX_EXT_HDRS 8 /* IPv6 extension headers walked at most */

struct pkt {
	__u16 l3_off;       /* IP header, from data */
	__u16 l4_off;       /* L4 header, from data (valid when l4_ok) */
	__u16 l3_len;       /* IP total length (v4) / 40 + payload length (v6) */
	__u16 vlan_id[PKT_MAX_VLANS]; /* outermost first, VID only */
	__u8 vlans;         /* tags seen */
	__u8 family;        /* PKT_FAMILY_*, 0 when not IP */
	__u8 proto;         /* L4 protocol (IPv6: after extension headers) */
	__u8 frag;          /* PKT_FRAG_* */
	__u8 l4_ok;         /* the L4 fields below were read */
	__u8 tcp_flags;     /* TCP only: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
	__u8 icmp_type;     /* ICMP/ICMPv6 only */
	__u8 icmp_code;
	__u8 tos;           /* IPv4 TOS / IPv6 traffic class */
	__u8 ttl;           /* IPv4 TTL / IPv6 hop limit */
	__u8 pad[2];
	__be16 sport;       /* TCP/UDP/SCTP ports, network order; 0 otherwise */
	__be16 dport;
	__be32 saddr[4];    /* IPv4: saddr[0], the rest zero */
	__be32 daddr[4];
};

/*
 * Parse [data, data_end) into *p (zeroed first). Returns PARSE_OK,
 * PARSE_NOT_IP or PARSE_MALFORMED. Defined in parse_impl.h as a static
 * __always_inline function so that each program inlines it.
 *
 * parse_pkt_frame(data, data_end, frame_len, p) is the same for a frame
 * of frame_len bytes of which [data, data_end) holds at least the
 * headers: the IP datagram may run past data_end (a TC program's skb
 * with paged payload, GSO). Headers are still read only below data_end.
 * parse_skb.h does it for TC programs.
 */
#include "parse_impl.h"

#endif /* EBPFNET_PARSE_H */
