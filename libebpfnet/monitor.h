/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The node's monitor ring (bpf/include/monitor.h): one ring buffer that
 * drop and policy copy their drop/verdict events into, read by the flow
 * observer. Its two maps are pinned at <pin_root>/monitor/{ring,lost};
 * every BPF object that includes monitor.h is pointed at those pins
 * before it is loaded, so all of them share one ring.
 */
#ifndef EBPFNET_MONITOR_INTERNAL_H
#define EBPFNET_MONITOR_INTERNAL_H

#include <stdint.h>

struct bpf_object;

/* Make sure the monitor's pins exist under <pin_root>/monitor/ (created
 * when missing: pin_dir rules), then point the monitor maps of obj, when
 * it has them, at those pins. obj may be NULL (a reader such as flow,
 * whose own programs do not write to the monitor). Call before
 * bpf_object__load(). */
int ebpfnet__monitor_prepare(const char *pin_root, struct bpf_object *obj);

/* The pinned ring's fd (-ENOENT, not logged, when there is none). */
int ebpfnet__monitor_ring_fd(const char *pin_root);

/* Records lost so far (the per-CPU counter summed); 0 when none. */
int ebpfnet__monitor_lost(const char *pin_root, uint64_t *lost);

/* Remove <pin_root>/monitor when no object that uses it (drop, policy,
 * flow) has a directory under pin_root any more. Called by those objects
 * after they removed their own pinned state. */
void ebpfnet__monitor_release(const char *pin_root);

#endif /* EBPFNET_MONITOR_INTERNAL_H */
