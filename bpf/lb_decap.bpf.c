/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb_decap: the backend side of the balancer (TC ingress). This kernel has
 * no ipip / fou tunnel device, so this program takes the outer header off
 * what the balancer sends: IPv4 with protocol 4 (IPIP) or 41 (IPv6 in
 * IPv4), IPv6 with next header 4 or 41, whose outer source lies in one of
 * lb_decap_config's prefixes. The inner packet then goes up the stack as
 * if it had arrived by itself, to the VIP bound on this host.
 *
 * Not decapsulated (left untouched, TC_ACT_OK): an outer IPv4 header with
 * options or fragmented, an outer IPv6 header with extension headers
 * before the inner packet, an inner packet whose version does not match
 * the protocol number, a frame with a VLAN tag still in it (the stack has
 * already taken out the one tag it understands before TC ingress), and
 * anything from a source outside the prefixes (counted: rejected).
 *
 * A family change (IPv6 in IPv4, IPv4 in IPv6) goes through
 * bpf_skb_change_proto(), which sets skb->protocol (and moves the header
 * room by the 20 bytes the two headers differ); bpf_skb_adjust_room()
 * then takes off the rest. Both exist since Linux 5.2 (5.10 is the floor);
 * the 6.3+ decap flags of bpf_skb_adjust_room are not needed. GSO
 * packets keep their gso_size (BPF_F_ADJ_ROOM_FIXED_GSO): the inner
 * segments are as large as before. A packet GRO merged as IPIP keeps its
 * tunnel GSO type bit (no helper clears it on 5.10): harmless for local
 * delivery, which is what the VIP gets.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lb_abi.h"
#include "lb_encap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_decap_config);
} lb_decap_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_DECAP_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} lb_decap_stats SEC(".maps");

/* The outer headers and the first byte of the inner one. */
#define DECAP_PULL_LEN (ETH_HLEN + LB_ENCAP_LEN6 + 1)

static __always_inline int count(__u32 stat, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&lb_decap_stats, &stat);

	if (v)
		(*v)++;
	return verdict;
}

static __always_inline int in_prefix4(__be32 addr,
				      const struct lb_decap_config *c)
{
	__be32 mask = lb_prefix_mask(c->outer_src4_len, 0);

	return !((addr ^ *(const __be32 *)c->outer_src4) & mask);
}

static __always_inline int in_prefix6(const __be32 *addr,
				      const struct lb_decap_config *c)
{
	const __be32 *prefix = (const __be32 *)c->outer_src6;
	__u32 len = c->outer_src6_len;

	return !(((addr[0] ^ prefix[0]) & lb_prefix_mask(len, 0)) |
		 ((addr[1] ^ prefix[1]) & lb_prefix_mask(len, 1)) |
		 ((addr[2] ^ prefix[2]) & lb_prefix_mask(len, 2)) |
		 ((addr[3] ^ prefix[3]) & lb_prefix_mask(len, 3)));
}

static __always_inline int is_tunnel_proto(__u8 proto)
{
	return proto == IPPROTO_IPIP || proto == IPPROTO_IPV6;
}

SEC("tc")
int lb_decap(struct __sk_buff *skb)
{
	__u32 zero = 0, outer_len, remove, pull;
	const struct lb_decap_config *cfg;
	__u8 outer_family, inner_family, inner_proto;
	void *data, *data_end;
	__be16 eth_proto;
	__u8 *eth, *inner;

	cfg = bpf_map_lookup_elem(&lb_decap_config, &zero);
	if (!cfg)
		return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);
	pull = skb->len < DECAP_PULL_LEN ? skb->len : DECAP_PULL_LEN;
	if (bpf_skb_pull_data(skb, pull))
		return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + ETH_HLEN) > data_end)
		return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);
	eth_proto = *(__be16 *)(eth + 12);

	if (eth_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + ETH_HLEN);

		if ((void *)(ip + 1) > data_end || ip->version != 4 ||
		    ip->ihl != 5 || !is_tunnel_proto(ip->protocol) ||
		    (ip->frag_off & bpf_htons(0x3fff))) /* MF, offset */
			return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);
		if (!in_prefix4(ip->saddr, cfg))
			return count(LB_DECAP_STAT_REJECTED, TC_ACT_OK);
		outer_family = PKT_FAMILY_IPV4;
		outer_len = LB_ENCAP_LEN4;
		inner_proto = ip->protocol;
	} else if (eth_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + ETH_HLEN);

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6 ||
		    !is_tunnel_proto(ip6->nexthdr))
			return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);
		if (!in_prefix6((const __be32 *)&ip6->saddr, cfg))
			return count(LB_DECAP_STAT_REJECTED, TC_ACT_OK);
		outer_family = PKT_FAMILY_IPV6;
		outer_len = LB_ENCAP_LEN6;
		inner_proto = ip6->nexthdr;
	} else {
		return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);
	}

	inner_family = inner_proto == IPPROTO_IPIP ? PKT_FAMILY_IPV4 :
						     PKT_FAMILY_IPV6;
	inner = eth + ETH_HLEN + outer_len;
	if ((void *)(inner + 1) > data_end || (*inner >> 4) != inner_family)
		return count(LB_DECAP_STAT_PASSED, TC_ACT_OK);

	/* From here on the packet changes: a failure drops it rather than
	 * hand the stack a half-decapsulated one. */
	remove = outer_len;
	if (inner_family != outer_family) {
		eth_proto = bpf_htons(inner_family == PKT_FAMILY_IPV4 ?
				      ETH_P_IP : ETH_P_IPV6);
		if (bpf_skb_change_proto(skb, eth_proto, 0))
			return count(LB_DECAP_STAT_FAILED, TC_ACT_SHOT);
		/* it added (4 -> 6) or took off (6 -> 4) 20 bytes */
		remove = inner_family == PKT_FAMILY_IPV6 ?
				 outer_len + (LB_ENCAP_LEN6 - LB_ENCAP_LEN4) :
				 outer_len - (LB_ENCAP_LEN6 - LB_ENCAP_LEN4);
	}
	if (bpf_skb_adjust_room(skb, -(int)remove, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO))
		return count(LB_DECAP_STAT_FAILED, TC_ACT_SHOT);
	if (inner_family != outer_family &&
	    bpf_skb_store_bytes(skb, 12, &eth_proto, sizeof(eth_proto), 0))
		return count(LB_DECAP_STAT_FAILED, TC_ACT_SHOT);
	return count(LB_DECAP_STAT_DECAPSULATED, TC_ACT_OK);
}
