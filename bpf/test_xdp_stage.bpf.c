/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Two XDP chain stages for the chain's own tests (XDP_STAGE_TEST_A/B).
 * Each counts the packets it sees and the IPv4 ICMP echo requests among
 * them (index 0: stage A, 1: stage B), drops a marker frame meant for it
 * (ethertype TEST_ETH_P_MARKER, first payload byte TEST_MARKER_A/B), and
 * hands everything else to the next stage of the chain.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_chain_stage.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TEST_ETH_P_MARKER 0x88B5 /* IEEE local experimental */
#define TEST_MARKER_A 0xA
#define TEST_MARKER_B 0xB
#define TEST_ICMP_ECHO 8 /* <linux/icmp.h> pulls in libc headers */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} stage_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} stage_pings SEC(".maps");

static __always_inline void count(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline bool is_echo_request(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 *icmp_type;

	if ((void *)(ip + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl < 5 ||
	    ip->protocol != IPPROTO_ICMP)
		return false;
	icmp_type = (void *)ip + ip->ihl * 4;
	return (void *)(icmp_type + 1) <= data_end &&
	       *icmp_type == TEST_ICMP_ECHO;
}

static __always_inline bool is_marker(void *data, void *data_end, __u8 marker)
{
	struct ethhdr *eth = data;
	__u8 *payload = (void *)(eth + 1);

	return (void *)(payload + 1) <= data_end &&
	       eth->h_proto == bpf_htons(TEST_ETH_P_MARKER) &&
	       *payload == marker;
}

static __always_inline int run_stage(struct xdp_md *ctx, __u32 idx,
				     int stage, __u8 marker)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	count(&stage_seen, idx);
	if (is_echo_request(data, data_end))
		count(&stage_pings, idx);
	if (is_marker(data, data_end, marker))
		return XDP_DROP;
	return xdp_chain_next(ctx, stage);
}

SEC("xdp")
int stage_a(struct xdp_md *ctx)
{
	return run_stage(ctx, 0, XDP_STAGE_TEST_A, TEST_MARKER_A);
}

SEC("xdp")
int stage_b(struct xdp_md *ctx)
{
	return run_stage(ctx, 1, XDP_STAGE_TEST_B, TEST_MARKER_B);
}
