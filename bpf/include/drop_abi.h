/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: the maps and records shared by bpf/drop.bpf.c and the library.
 * Compiles with clang -target bpf and with the host compiler.
 *
 * Classification, with a per-packet cost that does not grow with the rule
 * count:
 *  1. prefixes: every prefix used by a rule maps to a "class" id; a packet
 *     gets the class of its most specific source prefix and of its most
 *     specific destination prefix (0: none). Host prefixes (/32, /128)
 *     sit in exact-match hashes (drop_host4 / drop_host6, key: the
 *     address), looked up first; only on a miss is the LPM trie of the
 *     family (drop_lpm4 / drop_lpm6, the shorter prefixes) walked. The
 *     library routes each prefix by its length; to the rule model both
 *     are one table of prefixes. A rule on a prefix P also holds for the
 *     more specific prefixes stored inside P: the library writes its
 *     tuple entries for their classes too (so the most specific class is
 *     enough).
 *  2. tuple space: every rule without a signature has a "shape" (the set
 *     of EBPFNET_DROP_MATCH_* fields it uses); for each shape slot in use
 *     (at most DROP_MAX_SHAPES) the packet's fields are masked to the
 *     shape and looked up in one hash: drop_key -> drop_verdict. Several
 *     slots may hold the same bits: rules whose prefixes nest would want
 *     the same key, so each sits in its own slot and all of them match.
 *     The prefix lookups of step 1 are made only when a shape in use
 *     has the side (struct drop_config.shapes_union).
 *  3. signature rules (at most DROP_MAX_SIG_RULES) are checked one by
 *     one, in the form the library compiles them to (struct drop_sig):
 *     the packet's fields as one 64-bit word against a mask and value,
 *     the prefixes as masked words, then the bytes as two 64-bit words
 *     (byte by byte only when the window runs past the frame's end).
 * All matching rules are counted; a pass match beats any drop match; a
 * drop match drops; count rules only count. No match: the next XDP stage.
 *
 * Every knob and the shape slots live in ONE array element (drop_config,
 * struct drop_config): a packet does one lookup for all of them. The
 * library maps it (BPF_F_MMAPABLE) and stores each 32-bit field alone,
 * so a packet sees every field either old or new, never torn.
 */
#ifndef EBPFNET_DROP_ABI_H
#define EBPFNET_DROP_ABI_H

#include <linux/types.h>
#include "ebpfnet_event.h"

#define DROP_MAX_SHAPES 16
#define DROP_MAX_SIG_RULES 32
#define DROP_SIG_MAX 16
#define DROP_SIG_MAX_OFFSET 1500
#define DROP_EVENT_BYTES 128
#define DROP_DEFAULT_MAX_RULES 16384
#define DROP_MAX_CLASSES (1u << 20)  /* LPM entries per family, at most */

/* Rule actions: the values of enum ebpfnet_drop_action. */
#define DROP_ACT_DROP 0
#define DROP_ACT_PASS 1
#define DROP_ACT_COUNT 2

/* Match bits: the values of EBPFNET_DROP_MATCH_*. */
#define DROP_M_FAMILY (1u << 0)
#define DROP_M_PROTO (1u << 1)
#define DROP_M_ICMP_TYPE (1u << 2)
#define DROP_M_ICMP_CODE (1u << 3)
#define DROP_M_SRC (1u << 4)
#define DROP_M_DST (1u << 5)
#define DROP_M_SPORT (1u << 6)
#define DROP_M_DPORT (1u << 7)
#define DROP_M_SIG (1u << 8)
/* fields that need the L4 header (never match a non-first fragment) */
#define DROP_M_L4 (DROP_M_ICMP_TYPE | DROP_M_ICMP_CODE | DROP_M_SPORT | DROP_M_DPORT)

/* LPM trie keys (drop_lpm4 / drop_lpm6: prefixes shorter than the
 * address); value: __u32 class id (>= 1). Host prefixes: drop_host4 /
 * drop_host6, key the address alone (4 / 16 bytes), value the class id. */
struct drop_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct drop_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Tuple-space key (drop_tuples): the packet's fields masked to a shape;
 * fields outside the shape are zero. */
struct drop_key {
	__u32 shape;     /* slot in drop_config.shape[] */
	__u32 src_class;
	__u32 dst_class;
	__be16 sport;
	__be16 dport;
	__u8 family;     /* PKT_FAMILY_IPV4/6 */
	__u8 proto;
	__u8 icmp_type;
	__u8 icmp_code;
};

struct drop_verdict {
	__u32 rule_id;   /* 1..max_rules: index in drop_rule_counters */
	__u32 action;    /* DROP_ACT_* */
};

/* One signature rule as the rule model (drop_table.c) describes it; the
 * library compiles it into a struct drop_sig before writing it. */
struct drop_sig_rule {
	__u32 rule_id;   /* 0: slot unused */
	__u32 action;
	__u32 match;     /* DROP_M_*, DROP_M_SIG included */
	__u8 family;
	__u8 proto;
	__u8 icmp_type;
	__u8 icmp_code;
	__be16 sport;
	__be16 dport;
	__u8 src_len;    /* prefix lengths */
	__u8 dst_len;
	__u8 sig_base;   /* 0: L3, 1: L4 */
	__u8 sig_len;    /* 1..DROP_SIG_MAX */
	__u16 sig_offset;
	__u8 pad[2];
	__be32 src[4];   /* prefixes, masked */
	__be32 dst[4];
	__u8 value[DROP_SIG_MAX]; /* already masked */
	__u8 mask[DROP_SIG_MAX];
};

/*
 * One signature rule as the program reads it (drop_sigs: two banks of
 * DROP_MAX_SIG_RULES slots, slot = bank * DROP_MAX_SIG_RULES + i; the
 * library writes the inactive bank, then flips DROP_CFG_SIG_BANK: an
 * update is atomic). Compiled by the library from a struct drop_sig_rule.
 */
#define DROP_SIG_NEED_L4 (1u << 0)      /* L4 fields usable (see l4_ok) */
#define DROP_SIG_NEED_L4_BASE (1u << 1) /* where L4 starts is known */
struct drop_sig {
	__u32 rule_id;      /* 0: slot unused */
	__u32 action;
	__u64 fields_mask;  /* over drop_sig_fields() of the packet */
	__u64 fields_value; /* already masked */
	__u32 need;         /* DROP_SIG_NEED_*: packet properties required */
	__u16 offset;       /* of the bytes, from L3 or (NEED_L4_BASE) L4 */
	__u8 len;           /* 1..DROP_SIG_MAX */
	__u8 prefixes;      /* non-zero: check pfx below */
	__be32 pfx_mask[8]; /* source words 0-3, destination words 4-7 */
	__be32 pfx[8];      /* already masked; mask 0 for an unused side */
	__u64 value[2];     /* DROP_SIG_MAX bytes in packet order, masked */
	__u64 mask[2];      /* zero past len */
};

/* The packet's fields that a signature rule may set, as one word (the
 * ports in network order, as in struct pkt). */
static inline __u64 drop_sig_fields(__u8 family, __u8 proto, __u8 icmp_type,
				    __u8 icmp_code, __be16 sport, __be16 dport)
{
	return (__u64)family | (__u64)proto << 8 | (__u64)icmp_type << 16 |
	       (__u64)icmp_code << 24 | (__u64)sport << 32 | (__u64)dport << 48;
}

/* drop_config: one element (struct drop_config) holding every knob and
 * shape slot; each __u32 field is stored alone (atomic for readers). */
enum drop_cfg {
	DROP_CFG_NSHAPES = 0,     /* shape slots to scan: highest used + 1 */
	DROP_CFG_NSIGS = 1,       /* signature slots to scan in the active bank */
	DROP_CFG_SIG_BANK = 2,    /* active signature bank: 0 or 1 */
	DROP_CFG_FRAG = 3,        /* enum ebpfnet_drop_frag_policy */
	DROP_CFG_MALFORMED = 4,   /* enum ebpfnet_drop_malformed_policy */
	DROP_CFG_EVENT_RATE = 5,  /* sampled events per CPU per second; 0: off */
	/* userspace only: bumped by every rule change, so a process whose
	 * model is older re-reads the maps before it changes anything */
	DROP_CFG_GENERATION = 6,
	DROP_CFG_NR = 8,
};

struct drop_config {
	__u32 knob[DROP_CFG_NR];          /* by enum drop_cfg */
	/* The OR of shape[]: written by the library before a shape gains
	 * bits and after it loses them, so it always holds every bit of a
	 * shape in use (a packet may skip a prefix lookup on it). */
	__u32 shapes_union;
	__u32 shape[DROP_MAX_SHAPES];     /* DROP_M_* bits of slot i; 0: unused */
};

/* Values of the DROP_CFG_FRAG / DROP_CFG_MALFORMED knobs and of
 * drop_event.reason: those of enum ebpfnet_drop_frag_policy,
 * ebpfnet_drop_malformed_policy and ebpfnet_drop_reason. */
#define DROP_FRAG_INSPECT 0
#define DROP_FRAG_DROP 1
#define DROP_FRAG_PASS 2
#define DROP_MALFORMED_PASS 0
#define DROP_MALFORMED_DROP 1
#define DROP_REASON_RULE 0
#define DROP_REASON_FRAGMENT 1
#define DROP_REASON_MALFORMED 2

/* drop_stats: per-CPU array of struct drop_counter, one per DROP_STAT_*;
 * drop_rule_counters: per-CPU array of struct drop_counter by rule id. */
struct drop_counter {
	__u64 packets;
	__u64 bytes;
};

enum drop_stat {
	DROP_STAT_DROPPED = 0,
	DROP_STAT_PASSED = 1,
	DROP_STAT_COUNTED = 2,
	DROP_STAT_UNMATCHED = 3,
	DROP_STAT_FRAGMENTS = 4,
	DROP_STAT_MALFORMED = 5,
	DROP_STAT_EVENTS_SENT = 6,       /* packets field only */
	DROP_STAT_EVENTS_SUPPRESSED = 7, /* packets field only */
	DROP_STAT_EVENTS_LOST = 8,       /* packets field only */
	DROP_STAT_NR = 9,
};

/* The per-CPU budget of the sampled events (map drop_event_budget) is a
 * struct event_budget (event_budget.h). */

/* The drop_events ring buffer record. */
#define DROP_EVENT_VERSION 1
struct drop_event {
	struct ebpfnet_event_hdr hdr;  /* type EBPFNET_EV_DROP */
	__u32 ifindex;
	__u32 rule_id;
	__u32 reason;    /* enum ebpfnet_drop_reason */
	__u32 pkt_len;
	__u32 cap_len;
	__u32 pad;
	__u8 data[DROP_EVENT_BYTES];
};

/*
 * drop_rules: hash, rule id -> the rule as the user gave it, so that any
 * process (the CLI, a restarted agent) can list the rules and rebuild the
 * library's model. The BPF program never reads it. A fixed layout (no
 * size_t): it lives in pinned maps across library versions.
 */
#define DROP_RULE_RECORD_VERSION 2
struct drop_rule_record {
	__u32 version;   /* DROP_RULE_RECORD_VERSION */
	__u32 id;
	__u32 action;
	__u32 match;
	__u8 family;     /* AF_INET/AF_INET6 as the user gave it, 0 */
	__u8 proto;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 src_family; /* AF_INET/AF_INET6 */
	__u8 src_len;
	__u8 dst_family;
	__u8 dst_len;
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;     /* host order */
	__u16 dport;
	__u8 sig_base;
	__u8 sig_len;
	__u16 sig_offset;
	__u8 sig_value[DROP_SIG_MAX];
	__u8 sig_mask[DROP_SIG_MAX];
	/* The shape slot (drop_config.shape[]) + 1 that holds the rule's
	 * tuple entries; 0 for signature rules. Rules of one shape whose prefixes nest sit in
	 * different slots of the same bits, and never move, so adoption reads
	 * the slot back instead of recomputing it. */
	__u32 shape_slot;
};

#endif /* EBPFNET_DROP_ABI_H */
