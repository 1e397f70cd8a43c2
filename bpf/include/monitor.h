/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The node's monitor: one ring buffer that every object copies its drop
 * and verdict events into (drop's sampled drops, policy's verdicts), so
 * the flow observer sees them whatever loaded first. Pinned at
 * <pin_root>/monitor/ring (and the lost counter at
 * <pin_root>/monitor/lost); the library (libebpfnet/monitor.h) points
 * each object's copy of these two maps at those pins before loading, so
 * every object shares the same two maps.
 *
 * Records are the objects' own records (struct ebpfnet_event_hdr first),
 * copied whole. Nobody reading means a full ring: outputs then fail fast
 * and are counted in `lost`; a reader reports the growth of that counter
 * while it reads and ignores records older than its start.
 */
#ifndef EBPFNET_MONITOR_H
#define EBPFNET_MONITOR_H

#include <linux/types.h>

#define MONITOR_RING_BYTES (1u << 20)
#define MONITOR_DIR "monitor"
#define MONITOR_RING_PIN "ring"     /* <pin_root>/monitor/ring */
#define MONITOR_LOST_PIN "lost"     /* <pin_root>/monitor/lost */
/* Map names inside every BPF object that includes this header. */
#define MONITOR_RING_MAP "ebpfnet_monitor"
#define MONITOR_LOST_MAP "ebpfnet_monitor_lost"

#ifdef __BPF__
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MONITOR_RING_BYTES);
} ebpfnet_monitor SEC(".maps");

/* One __u64 per CPU: records that did not fit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ebpfnet_monitor_lost SEC(".maps");

/* Copy a whole record (its header's size) into the monitor. */
static __always_inline void monitor_output(void *rec, __u64 size)
{
	__u32 zero = 0;
	__u64 *lost;

	if (!bpf_ringbuf_output(&ebpfnet_monitor, rec, size, 0))
		return;
	lost = bpf_map_lookup_elem(&ebpfnet_monitor_lost, &zero);
	if (lost)
		*lost += 1;
}
#endif

#endif /* EBPFNET_MONITOR_H */
