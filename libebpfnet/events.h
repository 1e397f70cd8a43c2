/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * One batch of events read from a BPF ring buffer, shared by the objects
 * that deliver events through poll()/consume(): the record handler counts
 * what it delivered and keeps a callback's non-zero return, which ends
 * the batch and is what poll()/consume() return.
 */
#ifndef EBPFNET_EVENTS_H
#define EBPFNET_EVENTS_H

#include <stdint.h>

struct ring_buffer;

struct ebpfnet__batch {
	int64_t realtime_offset_ns; /* add to a BPF boot-time stamp */
	int delivered;              /* records handed to the callback */
	int stop;                   /* the callback's non-zero return */
};

/* Reset the batch and take the wall clock offset. */
void ebpfnet__batch_begin(struct ebpfnet__batch *batch);

/* Poll (timeout_ms >= -1: -1 waits forever) or consume (timeout_ms < -1). */
int ebpfnet__ringbuf_read(struct ring_buffer *rb, int timeout_ms);

/* What poll()/consume() return after reading with result `err`: the
 * callback's stop value, the error (logged as "<object>: reading events
 * failed", except EINTR), or the number delivered. */
int ebpfnet__batch_end(const struct ebpfnet__batch *batch, int err,
		       const char *object);

#endif /* EBPFNET_EVENTS_H */
