/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The XDP chain facility (bpf/include/xdp_chain_abi.h): the node-wide
 * stage table and per-interface dispatcher attachments that drop and lb
 * share. Everything is pinned under <pin_root>/xdp/:
 *   chain            the stage prog array
 *   ifaces           ifindex -> enabled-stage bitmask (the source of truth)
 *   ifaces_by_index  the same bitmasks in an array by ifindex, for
 *                    ifindex < XDP_CHAIN_ARRAY_IFINDEX (what packets read)
 *   <ifname>/link    the dispatcher's XDP link on that interface
 *   <ifname>/mode    (not a file: the mode is read back from the link)
 * Several processes may use the chain: changes take an exclusive flock on
 * <pin_root>/xdp.
 */
#ifndef EBPFNET_XDP_CHAIN_H
#define EBPFNET_XDP_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <ebpfnet/core.h>
#include "xdp_chain_abi.h"

struct bpf_object;
struct ebpfnet__xdp_chain;

/* Open (adopt or create) the node's chain under pin_root (NULL: the
 * default). Prepares <pin_root>/xdp with ebpfnet__pin_dir. */
int ebpfnet__xdp_chain_open(const char *pin_root,
			    struct ebpfnet__xdp_chain **chain);
void ebpfnet__xdp_chain_close(struct ebpfnet__xdp_chain *chain);

/* Make every chain map a stage object has (found by name: xdp_chain,
 * xdp_ifaces, xdp_ifaces_by_index) the chain's, with bpf_map__reuse_fd();
 * before the object is loaded. -ENOENT when it has none of them. */
int ebpfnet__xdp_chain_share(const struct ebpfnet__xdp_chain *chain,
			     struct bpf_object *obj);

/* The fds of the stage table and of the ifindex hash (for inspection). */
int ebpfnet__xdp_chain_prog_array_fd(const struct ebpfnet__xdp_chain *chain);
int ebpfnet__xdp_chain_ifaces_fd(const struct ebpfnet__xdp_chain *chain);

/* Put a stage's program in its slot (replacing an older one atomically:
 * packets see the old or the new program, never none). */
int ebpfnet__xdp_chain_set_stage(struct ebpfnet__xdp_chain *chain,
				 enum xdp_stage stage, int prog_fd);
/* Empty a stage's slot (packets then skip the stage). */
int ebpfnet__xdp_chain_clear_stage(struct ebpfnet__xdp_chain *chain,
				   enum xdp_stage stage);

/* Enable `stage` on ifname: attach the dispatcher to the interface if it
 * is not there yet (mode AUTO: native, else generic; the active mode goes
 * to *active), pin its link, then set the stage's bit. -ENODEV unknown
 * interface; -EBUSY an XDP program that is not ours holds it; -EEXIST the
 * dispatcher is there in another mode than the one asked (not AUTO). */
int ebpfnet__xdp_chain_enable(struct ebpfnet__xdp_chain *chain,
			      const char *ifname, enum xdp_stage stage,
			      enum ebpfnet_xdp_mode mode,
			      enum ebpfnet_xdp_mode *active);

/* Disable `stage` on ifname; when no stage is left there, detach the
 * dispatcher and remove <pin_root>/xdp/<ifname>. -ENOENT when the stage
 * was not enabled there. */
int ebpfnet__xdp_chain_disable(struct ebpfnet__xdp_chain *chain,
			       const char *ifname, enum xdp_stage stage);

/* The mode of the dispatcher on ifname (-ENOENT: none). */
int ebpfnet__xdp_chain_mode(const struct ebpfnet__xdp_chain *chain,
			    const char *ifname);

/* Interfaces where `stage` is enabled: fn(ctx, ifname, ifindex, mode). */
typedef int (*ebpfnet__xdp_iface_fn)(void *ctx, const char *ifname,
				     uint32_t ifindex,
				     enum ebpfnet_xdp_mode mode);
int ebpfnet__xdp_chain_ifaces(const struct ebpfnet__xdp_chain *chain,
			      enum xdp_stage stage, ebpfnet__xdp_iface_fn fn,
			      void *ctx);

/* True when no stage is enabled on any interface and no slot is used:
 * then ebpfnet__xdp_chain_remove() may delete the chain's pins. */
bool ebpfnet__xdp_chain_unused(const struct ebpfnet__xdp_chain *chain);
int ebpfnet__xdp_chain_remove(struct ebpfnet__xdp_chain *chain);

/* Serialize a multi-step change against other processes (flock). */
int ebpfnet__xdp_chain_lock(struct ebpfnet__xdp_chain *chain);
void ebpfnet__xdp_chain_unlock(struct ebpfnet__xdp_chain *chain);

#endif /* EBPFNET_XDP_CHAIN_H */
