/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The one wire format of every event a libebpfnet BPF program sends to
 * userspace through a ring buffer: a fixed header, then the object's own
 * record. Shared by the BPF programs and the library (so the flow observer
 * can decode the drop and verdict events of the other objects).
 *
 * Only __u* types from <linux/types.h>: this header compiles both with
 * clang -target bpf and with the host C compiler.
 */
#ifndef EBPFNET_EVENT_H
#define EBPFNET_EVENT_H

#include <linux/types.h>

/* Values are only ever appended. */
enum ebpfnet_event_type {
	EBPFNET_EV_EXEC = 1,      /* hello: one exec */
	EBPFNET_EV_DROP = 2,      /* drop: a sampled dropped packet */
	EBPFNET_EV_LB = 3,        /* lb */
	EBPFNET_EV_VERDICT = 4,   /* policy: a verdict */
	EBPFNET_EV_FLOW = 5,      /* flow: a flow record */
};

struct ebpfnet_event_hdr {
	__u16 type;     /* enum ebpfnet_event_type */
	__u16 version;  /* version of the record that follows, from 1 */
	__u32 size;     /* bytes of the whole record, header included */
	__u64 time_ns;  /* CLOCK_BOOTTIME, bpf_ktime_get_boot_ns() */
};

#endif /* EBPFNET_EVENT_H */
