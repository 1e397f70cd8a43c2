/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: the exec record the BPF program sends and the library decodes,
 * and the .rodata/map contract between them. Compiles with clang -target
 * bpf and with the host compiler.
 */
#ifndef EBPFNET_HELLO_ABI_H
#define EBPFNET_HELLO_ABI_H

#include <linux/types.h>
#include "ebpfnet_event.h"

/* Keep in step with <ebpfnet/hello.h> (a unit test checks they agree). */
#define HELLO_MAX_ARGS 20
#define HELLO_ARG_MAX 512       /* one argument's read, NUL included */
#define HELLO_ARGS_BUDGET 2048  /* no argument starts at or past this */
/* args[] holds a read of HELLO_ARG_MAX starting anywhere below the budget */
#define HELLO_ARGS_BUF (HELLO_ARGS_BUDGET + HELLO_ARG_MAX)
#define HELLO_FILENAME_MAX 512
#define HELLO_COMM_LEN 16

#define HELLO_EVENT_VERSION 1

/* hello_exec_event.flags: the same bits as EBPFNET_HELLO_* */
#define HELLO_F_ARGS_TRUNCATED (1u << 0)
#define HELLO_F_FILENAME_TRUNCATED (1u << 1)
#define HELLO_F_EXECVEAT (1u << 2)

/* Indexes of the per-CPU `hello_lost` counters. */
enum hello_lost_counter {
	HELLO_LOST_RINGBUF = 0,   /* bpf_ringbuf_output failed */
	HELLO_LOST_PENDING = 1,   /* in-flight table full at exec entry */
	HELLO_LOST_NR = 2,
};

/*
 * One exec. The record is sent truncated after the last used byte of
 * args[] (hdr.size = offsetof(args) + args_size), so most records are
 * small. args[] holds argc NUL-terminated strings back to back.
 */
struct hello_exec_event {
	struct ebpfnet_event_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__s32 ret;
	__u64 cgroup_id;
	__u32 flags;
	__u16 argc;
	__u16 args_size;
	char comm[HELLO_COMM_LEN];
	char filename[HELLO_FILENAME_MAX];
	char args[HELLO_ARGS_BUF];
};

#endif /* EBPFNET_HELLO_ABI_H */
