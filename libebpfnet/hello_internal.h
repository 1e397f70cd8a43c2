/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello internals shared by hello.c and the unit tests: the hook choice and
 * the decoding of ring buffer records. Both are pure (no kernel, no I/O
 * beyond logging).
 */
#ifndef EBPFNET_HELLO_INTERNAL_H
#define EBPFNET_HELLO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/hello.h>

#include "hello_abi.h"
#include "internal.h"

/* ---- hook choice (hello_hook.c) -------------------------------------- */

/*
 * The hook to load for `requested`, given what the kernel offers: the
 * requested hook itself, or for AUTO the first of fentry (needs fentry and
 * BTF), kprobe, tracepoint. -EOPNOTSUPP (logged, naming what is missing)
 * when the kernel lacks it; -EINVAL for a value outside the enum.
 */
int ebpfnet__hello_hook_choose(enum ebpfnet_hello_hook requested,
			       const struct ebpfnet_features *features);

/*
 * AUTO's next choice after `failed` could not be loaded: the next hook in
 * AUTO's order that the kernel offers, or -EOPNOTSUPP when none is left.
 * -EINVAL when `failed` is not a concrete hook.
 */
int ebpfnet__hello_hook_next(enum ebpfnet_hello_hook failed,
			     const struct ebpfnet_features *features);

/* ---- record decoding (hello_decode.c) -------------------------------- */

/* Fixed part of a record: everything before args[]. */
#define HELLO_RECORD_FIXED_SIZE offsetof(struct hello_exec_event, args)

/* Storage the decoded event points into; lives as long as the event. */
struct hello_decode_buf {
	const char *argv[HELLO_MAX_ARGS + 1];
	char filename[HELLO_FILENAME_MAX];
};

/*
 * Decode one ring buffer record of `size` bytes into `event`. `event`'s
 * argv points into `buf->argv` and the record's args; its filename into
 * `buf->filename` (always NUL-terminated). hdr.time_ns (CLOCK_BOOTTIME) +
 * `realtime_offset_ns` (CLOCK_REALTIME - CLOCK_BOOTTIME) becomes the wall
 * clock time. Never reads past `size` bytes. -EINVAL (logged at debug)
 * for a malformed record.
 */
int ebpfnet__hello_decode(const void *record, size_t size,
			  int64_t realtime_offset_ns,
			  struct hello_decode_buf *buf,
			  struct ebpfnet_hello_event *event);

#endif /* EBPFNET_HELLO_INTERNAL_H */
