/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The BPF side of the XDP chain (xdp_chain_abi.h): the node-wide maps and
 * the call to the next stage. A stage object includes this header; the
 * library points every one of these maps at the pinned one
 * (ebpfnet__xdp_chain_share: by name, before the load), so every stage and
 * every dispatcher shares them.
 *
 * A stage that does not decide a packet itself ends with
 *     return xdp_chain_next(ctx, XDP_STAGE_<ME>);
 * instead of XDP_PASS.
 */
#ifndef EBPFNET_XDP_CHAIN_H
#define EBPFNET_XDP_CHAIN_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "xdp_chain_abi.h"

/* Slot = enum xdp_stage: the stage's program, or empty. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XDP_STAGE_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xdp_chain SEC(".maps");

/* ifindex -> bitmask of the stages enabled there (bit = enum xdp_stage). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDP_CHAIN_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} xdp_ifaces SEC(".maps");

/* The same bitmasks for ifindex < XDP_CHAIN_ARRAY_IFINDEX (0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDP_CHAIN_ARRAY_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
} xdp_ifaces_by_index SEC(".maps");

/*
 * Run the first stage after `this_stage` (-1: from the start) that is
 * enabled on the packet's interface. A tail call does not return when it
 * succeeds; when the slot is empty it does, and the next enabled stage is
 * tried. XDP_PASS when no stage is left. The bitmask comes from the
 * array (a lookup the verifier inlines) for the interfaces it covers,
 * else from the hash.
 */
static __always_inline int xdp_chain_next(struct xdp_md *ctx, int this_stage)
{
	__u32 ifindex = ctx->ingress_ifindex;
	__u32 *enabled, mask;
	int stage;

	if (ifindex < XDP_CHAIN_ARRAY_IFINDEX) {
		enabled = bpf_map_lookup_elem(&xdp_ifaces_by_index, &ifindex);
		/* Keeps clang from merging the two lookups into one call on
		 * either map: the verifier inlines an array lookup only at a
		 * call that sees that map alone. */
		barrier_var(enabled);
	} else {
		enabled = bpf_map_lookup_elem(&xdp_ifaces, &ifindex);
	}
	if (!enabled)
		return XDP_PASS;
	mask = *enabled;
	for (stage = 0; stage < XDP_STAGE_MAX; stage++) {
		if (stage <= this_stage || !(mask & (1U << stage)))
			continue;
		bpf_tail_call(ctx, &xdp_chain, stage);
	}
	return XDP_PASS;
}

#endif /* EBPFNET_XDP_CHAIN_H */
