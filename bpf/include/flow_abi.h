/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: the maps and records shared by bpf/flow.bpf.c and the library.
 * Compiles with clang -target bpf and with the host compiler.
 *
 * Two TC (clsact) programs, flow_ingress and flow_egress, at priority
 * EBPFNET_TC_PRIO_FLOW on each observed interface; both return
 * TC_ACT_UNSPEC (the next filter / the default action decides: the
 * observer never changes a packet's fate).
 *
 * The flow table (flow_table, LRU hash, not per-CPU: the two directions
 * of one connection may be handled by different CPUs and fold into one
 * value; counters are added atomically) is keyed by the flow in the
 * orientation of its first packet ("a" the initiator, "b" the responder)
 * and the interface. A packet looks up its own orientation, then the
 * reverse (a hit there: a reply); on a miss a flow is created in the
 * packet's orientation, except a TCP SYN+ACK (a reply by definition),
 * whose flow is created reversed with the packet counted as a reply.
 *
 * Exports (flow_events ring buffer, rate-limited per CPU by
 * flow_event_budget, see event_budget.h): FLOW_EV_NEW when a flow is
 * created; FLOW_EV_FLAGS when a packet brings a TCP flag among SYN, FIN,
 * RST that its direction had not shown before; FLOW_EV_INTERVAL on the
 * first packet after interval_ns since the last export of the flow;
 * FLOW_EV_END when a TCP flow closes (RST, or FIN seen in both
 * directions); FLOW_EV_DNS for every UDP/TCP packet from or to port 53,
 * carrying up to FLOW_DNS_MAX bytes of the DNS message (TCP: the 2-byte
 * length prefix skipped; only a message that starts in this segment).
 * One packet sends at most one flow export (the most important kind:
 * END > NEW > FLAGS > INTERVAL; a NEW record carries its packet's flags)
 * plus a DNS record. Idle and evicted
 * flows are found by the library's sweep, not here.
 */
#ifndef EBPFNET_FLOW_ABI_H
#define EBPFNET_FLOW_ABI_H

#include <linux/types.h>
#include "ebpfnet_event.h"

#define FLOW_DEFAULT_MAX_FLOWS 65536
#define FLOW_DEFAULT_INTERVAL_NS (5ull * 1000000000ull)
#define FLOW_DEFAULT_EVENT_RATE 100000   /* per CPU per second */
#define FLOW_DNS_MAX 512
#define FLOW_DNS_PORT 53

/* TCP flags as in the header byte (and struct pkt.tcp_flags). */
#define FLOW_TCP_FIN 0x01
#define FLOW_TCP_SYN 0x02
#define FLOW_TCP_RST 0x04
#define FLOW_TCP_PSH 0x08
#define FLOW_TCP_ACK 0x10
#define FLOW_TCP_URG 0x20
#define FLOW_TCP_ECE 0x40
#define FLOW_TCP_CWR 0x80
#define FLOW_TCP_EXPORTED (FLOW_TCP_SYN | FLOW_TCP_FIN | FLOW_TCP_RST)

/*
 * flow_table key. ICMP/ICMPv6 echo request/reply: port_a = port_b = the
 * echo identifier (network order), so a reply folds into its request;
 * other ICMP and protocols without ports: both 0. Addresses as in struct
 * pkt (IPv4 in word 0, the rest zero). Padding is zero.
 */
struct flow_key {
	__u32 ifindex;
	__u8 family;      /* PKT_FAMILY_IPV4 / PKT_FAMILY_IPV6 */
	__u8 proto;       /* IPPROTO_* */
	__be16 port_a;    /* the initiator's port */
	__be16 port_b;    /* the responder's port */
	__u16 pad;
	__be32 addr_a[4]; /* the initiator */
	__be32 addr_b[4]; /* the responder */
};

#define FLOW_DIR_ORIG 0   /* a -> b */
#define FLOW_DIR_REPLY 1  /* b -> a */

struct flow_counter {
	__u64 packets;
	__u64 bytes;      /* skb->len: the frame from the Ethernet header */
};

/* flow_value.state bits */
#define FLOW_ST_FIN_ORIG (1u << 0)
#define FLOW_ST_FIN_REPLY (1u << 1)
#define FLOW_ST_RST (1u << 2)
#define FLOW_ST_CLOSED (1u << 3)     /* END exported */
#define FLOW_ST_INGRESS (1u << 4)    /* first packet seen at TC ingress */
#define FLOW_ST_SYNACK_FIRST (1u << 5) /* created from a SYN+ACK (reversed) */

struct flow_value {
	__u64 first_ns;        /* bpf_ktime_get_boot_ns() of the first packet */
	__u64 last_ns;         /* of the latest packet */
	__u64 export_ns;       /* of the latest export */
	struct flow_counter dir[2]; /* by FLOW_DIR_* */
	__u8 tcp_flags[2];     /* OR of the flags seen, by FLOW_DIR_* */
	__u8 icmp_type;        /* of the latest ICMP packet */
	__u8 icmp_code;
	__u8 state;            /* FLOW_ST_* */
	__u8 pad[3];
};

/* Export kinds (flow_event.kind) */
#define FLOW_EV_NEW 0
#define FLOW_EV_FLAGS 1
#define FLOW_EV_INTERVAL 2
#define FLOW_EV_END 3
#define FLOW_EV_DNS 4

#define FLOW_EVENT_VERSION 1

/* What every flow_events record starts with (hdr.type EBPFNET_EV_FLOW). */
struct flow_event_head {
	struct ebpfnet_event_hdr hdr;
	__u8 kind;         /* FLOW_EV_* */
	__u8 dir;          /* FLOW_DIR_* of the packet that caused it */
	__u8 ingress;      /* 1: seen at TC ingress, 0: at egress */
	__u8 tcp_flags;    /* of that packet */
	__u32 pkt_len;     /* of that packet (skb->len) */
	struct flow_key key;
};

/* FLOW_EV_NEW / FLAGS / INTERVAL / END: the flow after the packet. */
struct flow_event {
	struct flow_event_head head;
	struct flow_value value;
};

/* FLOW_EV_DNS: the DNS message (hdr.size covers the whole struct). */
struct flow_dns_event {
	struct flow_event_head head;
	__u16 dns_len;      /* bytes in dns[] */
	__u16 pad;
	__u32 msg_len;      /* the message's length in the packet */
	__u8 dns[FLOW_DNS_MAX];
};

/* flow_config: one element, written by the library (any field alone). */
struct flow_config {
	__u64 interval_ns;  /* 0: no interval exports */
	__u32 event_rate;   /* per CPU per second; 0: no events at all */
	__u32 dns;          /* non-zero: send FLOW_EV_DNS records */
	__u32 generation;   /* userspace only: bumped by attach/detach */
	__u32 pad;
};

/* flow_stats: per-CPU array of struct flow_counter by FLOW_STAT_*; only
 * .packets is used by the event counters. */
enum flow_stat {
	FLOW_STAT_SEEN = 0,        /* every packet (and its bytes) */
	FLOW_STAT_NOT_IP = 1,      /* not IPv4/IPv6: not in the table */
	FLOW_STAT_MALFORMED = 2,   /* the parser gave up */
	FLOW_STAT_NEW = 3,         /* flows created */
	FLOW_STAT_TABLE_FULL = 4,  /* a flow could not be inserted */
	FLOW_STAT_EV_SENT = 5,
	FLOW_STAT_EV_SUPPRESSED = 6, /* over the rate */
	FLOW_STAT_EV_LOST = 7,     /* ring buffer full */
	FLOW_STAT_DNS_SENT = 8,
	FLOW_STAT_NR = 9,
};

/* flow_ifaces: hash, ifindex -> struct flow_iface (the interfaces the
 * observer is attached to; the library's record, never read here). */
struct flow_iface {
	char name[16];
	__u32 prog_id_ingress;
	__u32 prog_id_egress;
};

#endif /* EBPFNET_FLOW_ABI_H */
