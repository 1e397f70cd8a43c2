/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Clocks shared by the objects that read BPF timestamps.
 */
#ifndef EBPFNET_CLOCK_H
#define EBPFNET_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME - CLOCK_BOOTTIME in ns: added to a BPF timestamp
 * (bpf_ktime_get_boot_ns(), ebpfnet_event_hdr.time_ns) it gives the wall
 * clock time. Read it once per batch of events: it moves when the wall
 * clock is set. */
int64_t ebpfnet__realtime_offset_ns(void);

#endif /* EBPFNET_CLOCK_H */
