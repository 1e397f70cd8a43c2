/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* One batch of events read from a BPF ring buffer (events.h). */
#include <errno.h>

#include <bpf/libbpf.h>

#include "clock.h"
#include "events.h"
#include "internal.h"

void ebpfnet__batch_begin(struct ebpfnet__batch *batch)
{
	batch->delivered = 0;
	batch->stop = 0;
	batch->realtime_offset_ns = ebpfnet__realtime_offset_ns();
}

int ebpfnet__ringbuf_read(struct ring_buffer *rb, int timeout_ms)
{
	if (timeout_ms < -1)
		return ring_buffer__consume(rb);
	return ring_buffer__poll(rb, timeout_ms);
}

int ebpfnet__batch_end(const struct ebpfnet__batch *batch, int err,
		       const char *object)
{
	if (batch->stop)
		return ebpfnet__err(batch->stop);
	if (err < 0) {
		if (err != -EINTR)
			pr_warn("%s: reading events failed: %s", object,
				ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	return batch->delivered;
}
