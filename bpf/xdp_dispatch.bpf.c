/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The XDP chain's dispatcher: the one program attached to an interface.
 * It runs the first stage enabled there (xdp_chain.h); the library also
 * creates and pins the chain's maps by loading this object.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_chain_stage.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	return xdp_chain_next(ctx, -1);
}
