/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The XDP chain: one interface holds one XDP program, so every XDP object
 * of libebpfnet runs as a stage behind a tiny dispatcher. The dispatcher is
 * what is attached to an interface; each stage, when it does not decide
 * the packet itself, tail-calls the next stage enabled on that interface,
 * or passes the packet when none is left.
 *
 * Node-wide, pinned under <pin_root>/xdp/:
 *   chain            BPF_MAP_TYPE_PROG_ARRAY, slot = stage
 *   ifaces           BPF_MAP_TYPE_HASH, ifindex -> bitmask of enabled
 *                    stages: every interface with a stage enabled (the
 *                    library's source of truth)
 *   ifaces_by_index  BPF_MAP_TYPE_ARRAY, the same bitmasks indexed by
 *                    ifindex for ifindex < XDP_CHAIN_ARRAY_IFINDEX (0:
 *                    nothing enabled); what packets of those interfaces
 *                    read, since the verifier inlines an array lookup
 *                    (about 1-2 ns against 20-25 for the hash)
 * Packets of an interface with a larger ifindex read the hash. The
 * library writes every bitmask to both maps.
 * Compiles with clang -target bpf and with the host compiler.
 */
#ifndef EBPFNET_XDP_CHAIN_ABI_H
#define EBPFNET_XDP_CHAIN_ABI_H

/* Stages, in the order packets meet them. Values only ever appended
 * before XDP_STAGE_MAX. */
enum xdp_stage {
	XDP_STAGE_DROP = 0,
	XDP_STAGE_LB = 1,
	XDP_STAGE_TEST_A = 6, /* reserved for the chain's own tests */
	XDP_STAGE_TEST_B = 7,
	XDP_STAGE_MAX = 8,
};

#define XDP_CHAIN_MAX_IFACES 1024
/* Interfaces below this ifindex are looked up in ifaces_by_index. */
#define XDP_CHAIN_ARRAY_IFINDEX 4096

#endif /* EBPFNET_XDP_CHAIN_ABI_H */
