/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Test packets for the datapath tests: a declarative spec, built into the
 * caller's buffer with valid checksums.
 *
 *   Ethernet [+ 1 or 2 VLAN tags] + IPv4 [options] | IPv6 [extension headers]
 *   + TCP | UDP | SCTP | ICMP | ICMPv6 header + payload
 *   or + payload only (any other protocol number, or a non-first fragment)
 *   [+ trailer: bytes after the IP datagram, e.g. Ethernet padding]
 *
 * Example: an ICMP echo request from 10.0.0.1 to 10.0.0.2
 *
 *   struct pkt_spec s = { .family = 4, .src = "10.0.0.1",
 *                         .dst = "10.0.0.2", .proto = IPPROTO_ICMP,
 *                         .icmp_type = 8 };
 *   uint8_t buf[PKTGEN_MAX_LEN];
 *   struct pkt_layout l;
 *   int len = pktgen_build(&s, buf, sizeof(buf), &l);
 *
 * Fields left zero take the defaults written beside them.
 */
#ifndef EBPFNET_TEST_PKTGEN_H
#define EBPFNET_TEST_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKTGEN_MAX_LEN 4096   /* what a test buffer needs at most */
#define PKTGEN_MAX_VLANS 2
#define PKTGEN_MAX_EXT 16     /* IPv6 extension headers in one packet */
#define PKTGEN_MAX_IP_OPTS 40

/* IPv6 extension header numbers, for pkt_spec.ext_hdrs */
#define PKTGEN_EXT_HOPOPTS 0
#define PKTGEN_EXT_ROUTING 43
#define PKTGEN_EXT_FRAGMENT 44
#define PKTGEN_EXT_AH 51
#define PKTGEN_EXT_DSTOPTS 60

struct pkt_spec {
	/* L2 */
	uint8_t src_mac[6];          /* all zero: 02:00:00:00:00:01 */
	uint8_t dst_mac[6];          /* all zero: 02:00:00:00:00:02 */
	int vlans;                   /* 0, 1 or 2 tags */
	uint16_t vlan_proto[PKTGEN_MAX_VLANS]; /* TPID, outermost first; 0:
	                                * 0x8100 for a single tag, 0x88a8 +
	                                * 0x8100 for two */
	uint16_t vid[PKTGEN_MAX_VLANS];
	uint8_t vlan_prio[PKTGEN_MAX_VLANS];
	uint16_t ethertype;          /* set: a non-IP frame of this type
	                              * (0x0806 ARP...): payload right after
	                              * the tags; family is then ignored */

	/* L3 */
	int family;                  /* 4 or 6 */
	const char *src, *dst;       /* inet_pton() text; NULL: 10.0.0.1 /
	                              * 10.0.0.2 or fd00::1 / fd00::2 */
	uint8_t proto;               /* L4 protocol number (IPPROTO_*) */
	uint8_t ttl;                 /* 0: 64 (IPv4 TTL / IPv6 hop limit) */
	uint8_t tos;                 /* IPv4 TOS / IPv6 traffic class */
	uint16_t ip_id;              /* IPv4 identification */
	int ip_opts_len;             /* IPv4 options: 0..40, a multiple of 4
	                              * (NOPs ending with an EOL) */
	bool dont_frag;              /* IPv4 DF */
	bool more_frags;             /* IPv4 MF / IPv6 fragment header M */
	uint16_t frag_off;           /* fragment offset in 8-byte units: > 0 is
	                              * a non-first fragment (no L4 header:
	                              * only the payload follows the IP
	                              * headers); IPv6 needs a fragment header
	                              * in ext_hdrs for these */
	uint32_t frag_id;            /* IPv6 fragment header identification */
	uint8_t ext_hdrs[PKTGEN_MAX_EXT]; /* IPv6 extension headers in this
	                              * order (PKTGEN_EXT_*) */
	uint8_t ext_len[PKTGEN_MAX_EXT]; /* their Hdr Ext Len field: hop-by-hop,
	                              * routing, destination options (n + 1) * 8
	                              * bytes, AH (n + 2) * 4 (0: 4, 24 bytes);
	                              * ignored for the fragment header */
	int n_ext;

	/* L4 */
	uint16_t sport, dport;       /* TCP, UDP, SCTP; host order */
	uint8_t tcp_flags;           /* 0: ACK */
	uint32_t seq, ack;           /* TCP */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;  /* echo: the 4 bytes after the checksum */
	bool raw_l4;                 /* TCP/UDP/SCTP/ICMP too: no header
	                              * written, the payload is the whole L4 */

	const void *payload;         /* NULL with payload_len > 0: bytes
	                              * 0, 1, 2... */
	size_t payload_len;
	size_t trailer_len;          /* zero bytes after the IP datagram */
};

/* Offsets (from the first byte) of what pktgen_build() wrote. */
struct pkt_layout {
	int l3_off;       /* IP header (the payload after the tags when non-IP) */
	int l4_off;       /* L4 header (where the fragment data starts for a
	                   * non-first fragment) */
	int payload_off;  /* payload after the L4 header */
	int l3_len;       /* IPv4 total length / 40 + IPv6 payload length */
	int len;          /* the whole frame, trailer included */
};

/* Builds the packet described by *s into buf (cap bytes). Returns its
 * length, or -EINVAL (a field out of range, an address that does not parse,
 * fragment fields on IPv6 without a fragment header) or -ENOSPC (does not
 * fit). layout may be NULL. */
int pktgen_build(const struct pkt_spec *s, void *buf, size_t cap,
		 struct pkt_layout *layout);

/* The Internet checksum (RFC 1071) of [data, data + len), folded into
 * `sum` (0 to start): for tests that patch a header and fix it again. */
uint16_t pktgen_csum(const void *data, size_t len, uint32_t sum);

/* Recomputes the IPv4 header checksum of the header at buf + l3_off. */
void pktgen_fix_ipv4_csum(void *buf, int l3_off);

#endif /* EBPFNET_TEST_PKTGEN_H */
