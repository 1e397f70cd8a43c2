/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: one ring buffer record (struct hello_exec_event, sent truncated
 * after args[]) into the public struct ebpfnet_hello_event. Trusts nothing
 * in the record and never reads past its size.
 */
#include <string.h>

#include "hello_internal.h"

/* The wire format and the public header must agree. */
_Static_assert(HELLO_MAX_ARGS == EBPFNET_HELLO_MAX_ARGS, "HELLO_MAX_ARGS");
_Static_assert(HELLO_ARG_MAX == EBPFNET_HELLO_ARG_MAX, "HELLO_ARG_MAX");
_Static_assert(HELLO_ARGS_BUDGET == EBPFNET_HELLO_ARGS_BUDGET, "HELLO_ARGS_BUDGET");
_Static_assert(HELLO_FILENAME_MAX == EBPFNET_HELLO_FILENAME_MAX, "HELLO_FILENAME_MAX");
_Static_assert(HELLO_COMM_LEN == sizeof(((struct ebpfnet_hello_event *)0)->comm),
	       "HELLO_COMM_LEN");
_Static_assert(HELLO_F_ARGS_TRUNCATED == EBPFNET_HELLO_ARGS_TRUNCATED, "ARGS_TRUNCATED");
_Static_assert(HELLO_F_FILENAME_TRUNCATED == EBPFNET_HELLO_FILENAME_TRUNCATED,
	       "FILENAME_TRUNCATED");
_Static_assert(HELLO_F_EXECVEAT == EBPFNET_HELLO_EXECVEAT, "EXECVEAT");

#define HELLO_KNOWN_FLAGS \
	(HELLO_F_ARGS_TRUNCATED | HELLO_F_FILENAME_TRUNCATED | HELLO_F_EXECVEAT)

static int malformed(const char *why, size_t value)
{
	pr_debug("hello: malformed record: %s (%zu)", why, value);
	return -EINVAL;
}

/* Copy a fixed-size field that should be NUL-terminated, forcing a NUL. */
static void copy_terminated(char *dst, const char *src, size_t len)
{
	size_t n = strnlen(src, len);

	if (n == len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Point argv[0..argc) at argc NUL-terminated strings that fill args
 * exactly. */
static int split_args(const char *args, size_t args_size, unsigned int argc,
		      const char **argv)
{
	size_t off = 0;

	for (unsigned int i = 0; i < argc; i++) {
		const char *nul = memchr(args + off, '\0', args_size - off);

		if (!nul)
			return malformed("argc larger than the strings present", argc);
		argv[i] = args + off;
		off = (size_t)(nul - args) + 1;
	}
	argv[argc] = NULL;
	if (off != args_size)
		return malformed("bytes after the last argument", args_size - off);
	return 0;
}

int ebpfnet__hello_decode(const void *record, size_t size,
			  int64_t realtime_offset_ns,
			  struct hello_decode_buf *buf,
			  struct ebpfnet_hello_event *event)
{
	struct hello_exec_event fixed; /* only the part before args[] is used */
	const char *args;
	int err;

	if (!record || !buf || !event)
		return malformed("NULL argument", 0);
	if (size < HELLO_RECORD_FIXED_SIZE)
		return malformed("shorter than the fixed part", size);
	memcpy(&fixed, record, HELLO_RECORD_FIXED_SIZE); /* aligned copy */
	if (fixed.hdr.type != EBPFNET_EV_EXEC)
		return malformed("not an exec record", fixed.hdr.type);
	if (fixed.hdr.version != HELLO_EVENT_VERSION)
		return malformed("unknown version", fixed.hdr.version);
	if (fixed.hdr.size != size)
		return malformed("hdr.size differs from the record size", fixed.hdr.size);
	if (fixed.args_size > HELLO_ARGS_BUF ||
	    HELLO_RECORD_FIXED_SIZE + fixed.args_size != size)
		return malformed("args_size does not match the record", fixed.args_size);
	if (fixed.argc > HELLO_MAX_ARGS)
		return malformed("argc above the maximum", fixed.argc);

	args = (const char *)record + HELLO_RECORD_FIXED_SIZE;
	err = split_args(args, fixed.args_size, fixed.argc, buf->argv);
	if (err)
		return err;
	copy_terminated(buf->filename, fixed.filename, sizeof(fixed.filename));

	memset(event, 0, sizeof(*event));
	event->sz = sizeof(*event);
	event->time_ns = fixed.hdr.time_ns + (uint64_t)realtime_offset_ns;
	event->pid = fixed.pid;
	event->tid = fixed.tid;
	event->ppid = fixed.ppid;
	event->uid = fixed.uid;
	event->gid = fixed.gid;
	event->ret = fixed.ret;
	event->cgroup_id = fixed.cgroup_id;
	copy_terminated(event->comm, fixed.comm, sizeof(event->comm));
	event->filename = buf->filename;
	event->argc = fixed.argc;
	event->argv = buf->argv;
	event->flags = fixed.flags & HELLO_KNOWN_FLAGS;
	return 0;
}
