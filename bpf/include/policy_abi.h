/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: the maps and records shared by bpf/policy.bpf.c and the library.
 * Compiles with clang -target bpf and with the host compiler.
 *
 * Two TC (clsact) programs, policy_ingress and policy_egress, at priority
 * EBPFNET_TC_PRIO_POLICY on the host-side interface of each endpoint. TC
 * ingress there carries what the endpoint sends (its EGRESS direction),
 * TC egress what it receives (its INGRESS direction). A verdict:
 * TC_ACT_UNSPEC to let the packet go on (the flow observer runs next),
 * TC_ACT_SHOT to drop it.
 *
 * Per packet (IPv4/IPv6; anything else, and IPv6 neighbour discovery,
 * passes, counted):
 *  1. policy_endpoints[ifindex]: not an endpoint -> pass (counted).
 *  2. connection tracking (policy_ct, LRU): the packet's tuple on this
 *     ifindex -> an established connection; the reversed tuple -> a reply
 *     of one. A hit whose generation equals the endpoint's passes (timeout
 *     refreshed, TCP state followed). A hit with an older generation (the
 *     policy changed since) is decided again, in the connection's
 *     original direction: still allowed -> passes, generation updated;
 *     denied -> the entry is deleted and the packet dropped.
 *  3. no entry: the direction not enforced (no rule selects the endpoint
 *     that way) -> allowed. Otherwise the peer's identity (policy_ipcache4
 *     /6, LPM: the most specific prefix; 0.0.0.0/0 and ::/0 -> world),
 *     then the policy map, in the endpoint's active bank:
 *       for identity in (peer, POLICY_ID_ANY):
 *         for plen in 16, 15, ..., 0, then POLICY_PLEN_L3 — only the
 *         lengths whose bit is set in lens[dir][identity is ANY]:
 *           key (ep_id, identity, bank, dir, proto or 0 for L3,
 *                plen, dport masked to plen) -> the first hit is that
 *                identity's answer (the most specific)
 *     a deny answer from either identity -> denied; else an allow answer
 *     -> allowed; else denied (default deny). The library compiles deny
 *     into every more specific allow entry it covers, so "most specific
 *     first" never lets an allow escape a broader deny.
 *     (Ports: TCP/UDP/SCTP destination port; ICMP and other protocols
 *     match only plen 0 (any port) and L3 entries.)
 *  4. allowed -> a policy_ct entry (original direction) is created; a
 *     full table is counted (POLICY_STAT_CT_FULL) and the packet still
 *     passes (it will be decided again). Denied -> dropped, counted for
 *     the deciding rule (rule 0: default deny).
 * Verdict events (policy_events ring buffer and the node's monitor,
 * rate-limited per CPU by policy_event_budget): one per decision of
 * step 3 (new connections and every denied packet); none for tracked
 * packets.
 */
#ifndef EBPFNET_POLICY_ABI_H
#define EBPFNET_POLICY_ABI_H

#include <linux/types.h>
#include "ebpfnet_event.h"

/* Reserved identities, numbered as Cilium numbers them. */
#define POLICY_ID_ANY 0        /* in policy keys: any peer */
#define POLICY_ID_HOST 1
#define POLICY_ID_WORLD 2
#define POLICY_ID_UNMANAGED 3
#define POLICY_ID_HEALTH 4
#define POLICY_ID_INIT 5
#define POLICY_ID_REMOTE_NODE 6
#define POLICY_ID_KUBE_APISERVER 7
#define POLICY_ID_INGRESS 8
/* Identities of label sets: POLICY_ID_LABELS_MIN..POLICY_ID_LABELS_MAX;
 * CIDR identities (prefixes used by rules, outside the node):
 * POLICY_ID_CIDR_MIN..POLICY_ID_CIDR_MAX (Cilium's local scope). */
#define POLICY_ID_LABELS_MIN 256u
#define POLICY_ID_LABELS_MAX 0x00ffffffu
#define POLICY_ID_CIDR_MIN 0x01000000u
#define POLICY_ID_CIDR_MAX 0x01ffffffu

/* Directions, as the endpoint sees them. */
#define POLICY_DIR_INGRESS 0
#define POLICY_DIR_EGRESS 1

#define POLICY_ENFORCE_INGRESS (1u << POLICY_DIR_INGRESS)
#define POLICY_ENFORCE_EGRESS (1u << POLICY_DIR_EGRESS)

#define POLICY_PLEN_L3 17      /* any protocol, any port */
#define POLICY_PLEN_BITS 18    /* bits of policy_endpoint.lens */

#define POLICY_DEFAULT_MAX_ENTRIES 262144
#define POLICY_DEFAULT_MAX_CONNS 262144
#define POLICY_DEFAULT_EVENT_RATE 1000   /* per CPU per second */
#define POLICY_MAX_ENDPOINTS 4096
#define POLICY_MAX_RULES 65536           /* rule ids 1..; 0: default deny */
#define POLICY_EP_MAX_ADDRS 8
#define POLICY_LABELS_MAX 512            /* "k=v,k=v", NUL-terminated */
#define POLICY_NAME_MAX 256              /* "namespace/name" */
#define POLICY_DOC_MAX (64 * 1024 - 16)  /* bytes of one stored document */
#define POLICY_MAX_DOCS 4096

/* policy_endpoints: hash, ifindex -> struct policy_endpoint. Replaced
 * whole (atomic for packets): a bank flip, enforcement and generation
 * change together. */
struct policy_endpoint {
	__u32 ep_id;       /* 1..POLICY_MAX_ENDPOINTS, in policy keys */
	__u32 identity;    /* the endpoint's own */
	__u32 generation;  /* bumped whenever its policy entries change */
	__u8 bank;         /* the active bank of its policy entries: 0 or 1 */
	__u8 enforce;      /* POLICY_ENFORCE_* */
	__u8 pad[2];
	/* by [dir][0: a peer identity, 1: POLICY_ID_ANY]: bit plen set when
	 * the active bank holds an entry of that prefix length */
	__u32 lens[2][2];
};

/* policy_map: hash, struct policy_key -> struct policy_entry. Fields
 * outside the entry's shape are zero (proto and port for L3 entries,
 * port bits past plen). */
struct policy_key {
	__u32 ep_id;
	__u32 identity;    /* the peer's, or POLICY_ID_ANY */
	__u8 bank;
	__u8 dir;          /* POLICY_DIR_* */
	__u8 proto;        /* IPPROTO_*; 0 with POLICY_PLEN_L3 */
	__u8 plen;         /* 0..16: the port prefix; POLICY_PLEN_L3 */
	__u16 port;        /* destination port, host order, masked to plen */
	__u16 pad;
};

struct policy_entry {
	__u32 rule_id;     /* the rule that decides: counters, events */
	__u8 deny;         /* 1: deny, 0: allow */
	__u8 pad[3];
};

/* policy_ipcache4 / policy_ipcache6: LPM tries, prefix -> identity. */
struct policy_ipcache4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct policy_ipcache6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct policy_ipcache_value {
	__u32 identity;
	__u32 pad;
};

/* policy_ct: LRU hash; key: the connection's first packet on ifindex. */
struct policy_ct_key {
	__u32 ifindex;
	__u8 family;       /* PKT_FAMILY_IPV4 / PKT_FAMILY_IPV6 */
	__u8 proto;
	__be16 sport;      /* ICMP echo: the identifier in both ports */
	__be16 dport;
	__u16 pad;
	__be32 saddr[4];
	__be32 daddr[4];
};

/* policy_ct_value.state */
#define POLICY_CT_SYN_ORIG (1u << 0)
#define POLICY_CT_SYNACK_REPLY (1u << 1)  /* established */
#define POLICY_CT_FIN_ORIG (1u << 2)
#define POLICY_CT_FIN_REPLY (1u << 3)
#define POLICY_CT_RST (1u << 4)

struct policy_ct_value {
	__u64 expires_ns;    /* bpf_ktime_get_ns(); past it: not tracked */
	__u32 generation;    /* the endpoint's when last decided */
	__u32 rule_id;       /* the allowing rule (0: not enforced) */
	__u32 peer_identity;
	__u8 dir;            /* POLICY_DIR_* of the first packet */
	__u8 state;          /* POLICY_CT_* */
	__u8 pad[2];
	__u64 packets;       /* both directions */
};

/* policy_config: one element. Timeouts in ns. */
struct policy_config {
	__u32 event_rate;      /* verdict events per CPU per second; 0: none */
	__u32 allowed_events;  /* non-zero: also send ALLOWED verdicts */
	__u64 ct_syn_ns;       /* TCP before the reply's SYN+ACK: 60 s */
	__u64 ct_tcp_ns;       /* TCP established: 6 h */
	__u64 ct_closing_ns;   /* TCP after RST or both FINs: 10 s */
	__u64 ct_other_ns;     /* UDP, ICMP, others: 60 s */
};

/* policy_stats: per-CPU array of __u64 by POLICY_STAT_*. */
enum policy_stat {
	POLICY_STAT_SEEN = 0,
	POLICY_STAT_NOT_IP = 1,        /* passed: not IP, or IPv6 ND */
	POLICY_STAT_NOT_ENDPOINT = 2,  /* passed: ifindex is no endpoint */
	POLICY_STAT_MALFORMED = 3,     /* dropped: IP the parser cannot follow */
	POLICY_STAT_CT_HIT = 4,        /* tracked, original direction */
	POLICY_STAT_CT_REPLY = 5,      /* tracked, reply direction */
	POLICY_STAT_UNENFORCED = 6,    /* new, direction not enforced */
	POLICY_STAT_ALLOWED = 7,       /* new, allowed by a rule */
	POLICY_STAT_DENIED = 8,        /* dropped by a deny rule or default deny */
	POLICY_STAT_REEVAL = 9,        /* tracked, decided again (policy changed) */
	POLICY_STAT_REEVAL_DENIED = 10,
	POLICY_STAT_CT_FULL = 11,      /* allowed, but no room to track it */
	POLICY_STAT_EV_SENT = 12,
	POLICY_STAT_EV_SUPPRESSED = 13,
	POLICY_STAT_EV_LOST = 14,
	POLICY_STAT_NR = 15,
};

/* policy_rule_counters: per-CPU array by rule id (0: default deny). */
struct policy_rule_counter {
	__u64 allowed;         /* connections it allowed */
	__u64 denied;          /* packets it denied */
	__u64 denied_bytes;
};

/* Verdict events (hdr.type EBPFNET_EV_VERDICT). */
#define POLICY_VERDICT_ALLOWED 1
#define POLICY_VERDICT_DENIED 2

/* What matched (policy_verdict_event.match), as Cilium's match types. */
#define POLICY_MATCH_NONE 0      /* no entry: default deny / not enforced */
#define POLICY_MATCH_L3_ONLY 1   /* the peer's identity, any port */
#define POLICY_MATCH_L3_L4 2     /* the peer's identity and the port */
#define POLICY_MATCH_L4_ONLY 3   /* any peer, the port */
#define POLICY_MATCH_ALL 4       /* any peer, any port */

#define POLICY_VERDICT_VERSION 1
struct policy_verdict_event {
	struct ebpfnet_event_hdr hdr;
	__u32 ifindex;
	__u32 ep_identity;
	__u32 peer_identity;
	__u32 rule_id;
	__u8 verdict;      /* POLICY_VERDICT_* */
	__u8 dir;          /* POLICY_DIR_* */
	__u8 match;        /* POLICY_MATCH_* */
	__u8 family;       /* PKT_FAMILY_* */
	__u8 proto;
	__u8 tcp_flags;
	__u8 reeval;       /* 1: a tracked connection decided again */
	__u8 pad;
	__u32 pkt_len;
	__be16 sport;
	__be16 dport;
	__be32 saddr[4];   /* the packet's, as it travels */
	__be32 daddr[4];
};

/*
 * The library's own state, pinned with the maps so that any process (the
 * CLI, a restarted agent) sees the same endpoints and policies. Never
 * read by the programs.
 */

/* policy_identities: hash, identity -> the labels (also read by flow). */
struct policy_identity_rec {
	char labels[POLICY_LABELS_MAX]; /* canonical "k=v,k=v" (sorted) */
};

/* policy_epmeta: hash, ifindex -> an endpoint as the user gave it. */
struct policy_ep_addr {
	__u8 family;       /* AF_INET / AF_INET6 */
	__u8 pad[3];
	__u8 addr[16];
};

struct policy_ep_meta {
	char ifname[16];
	__u32 ep_id;
	__u32 n_addrs;
	struct policy_ep_addr addrs[POLICY_EP_MAX_ADDRS];
	char labels[POLICY_LABELS_MAX];
};

/* policy_docs: hash (BPF_F_NO_PREALLOC), "namespace/name" -> the policy
 * document as applied (YAML text, re-parsed on adoption). */
struct policy_doc_key {
	char name[POLICY_NAME_MAX];
};

struct policy_doc {
	__u32 version;     /* POLICY_DOC_VERSION */
	__u32 first_rule;  /* its rules are first_rule .. first_rule+n_rules-1 */
	__u32 n_rules;
	__u32 len;         /* bytes of text */
	char text[POLICY_DOC_MAX];
};
#define POLICY_DOC_VERSION 1

#endif /* EBPFNET_POLICY_ABI_H */
