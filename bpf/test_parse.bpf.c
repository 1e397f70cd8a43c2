// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Test only: runs parse_pkt() on the packet and stores its result and the
 * whole struct pkt in parse_out, so tests/datapath/test_parse.c can check
 * every field. The same parser under XDP and under TC (direct packet
 * access in both).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct parse_result {
	__u32 ret;
	struct pkt p;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parse_result);
} parse_out SEC(".maps");

static __always_inline void parse_and_store(void *data, void *data_end)
{
	struct parse_result *out;
	__u32 zero = 0;
	struct pkt p;
	int ret;

	/* on the stack, as the network objects use it */
	ret = parse_pkt(data, data_end, &p);
	out = bpf_map_lookup_elem(&parse_out, &zero);
	if (out) {
		out->ret = ret;
		__builtin_memcpy(&out->p, &p, sizeof(p));
	}
}

SEC("xdp")
int parse_xdp(struct xdp_md *ctx)
{
	parse_and_store((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int parse_tc(struct __sk_buff *skb)
{
	/* make the whole packet direct-accessible (a no-op when linear) */
	bpf_skb_pull_data(skb, skb->len);
	parse_and_store((void *)(long)skb->data, (void *)(long)skb->data_end);
	return TC_ACT_OK;
}
