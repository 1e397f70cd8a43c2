/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The few kernel types the exec tracer reads, written by hand instead of a
 * vmlinux.h dumped from the build host: the kernel structs carry
 * preserve_access_index so libbpf relocates every field access (CO-RE)
 * against the running kernel's BTF; the tracepoint contexts follow the
 * formats in tracefs, which are a stable ABI.
 *
 * Include this instead of <bpf/bpf_tracing.h>: it includes the libbpf BPF
 * headers itself, after defining __VMLINUX_H__, so that the PT_REGS_*
 * macros use the kernel's pt_regs field names (di, si...) rather than the
 * UAPI ones (rdi, rsi...), which do not exist in the kernel BTF.
 */
#ifndef EBPFNET_CORE_DEFS_H
#define EBPFNET_CORE_DEFS_H

#include <linux/types.h>

#if defined(__TARGET_ARCH_x86)

struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
} __attribute__((preserve_access_index));

#elif defined(__TARGET_ARCH_arm64)

/* bpf_tracing.h reads the registers through struct user_pt_regs. */
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
} __attribute__((preserve_access_index));

struct pt_regs {
	union {
		struct user_pt_regs user_regs;
		struct {
			__u64 regs[31];
			__u64 sp;
			__u64 pc;
			__u64 pstate;
		};
	};
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));

#else
#error "ebpfnet_core_defs.h: only x86_64 and arm64 are supported (define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64)"
#endif

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

#define __VMLINUX_H__ 1
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* ---- tracepoint contexts (tracefs events/.../format) ------------------- */

struct ebpfnet_trace_entry {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
};

/* syscalls:sys_enter_*: the syscall's arguments as unsigned longs. */
struct ebpfnet_tp_sys_enter {
	struct ebpfnet_trace_entry ent;
	int __syscall_nr;
	unsigned long args[6];
};

/* syscalls:sys_exit_* */
struct ebpfnet_tp_sys_exit {
	struct ebpfnet_trace_entry ent;
	int __syscall_nr;
	long ret;
};

/* sched:sched_process_exec */
struct ebpfnet_tp_sched_process_exec {
	struct ebpfnet_trace_entry ent;
	__u32 __data_loc_filename;
	int pid;
	int old_pid;
};

_Static_assert(__builtin_offsetof(struct ebpfnet_tp_sys_enter, __syscall_nr) == 8,
	       "sys_enter: __syscall_nr at 8");
_Static_assert(__builtin_offsetof(struct ebpfnet_tp_sys_enter, args) == 16,
	       "sys_enter: args from 16");
_Static_assert(__builtin_offsetof(struct ebpfnet_tp_sys_exit, ret) == 16,
	       "sys_exit: ret at 16");
_Static_assert(__builtin_offsetof(struct ebpfnet_tp_sched_process_exec, pid) == 12,
	       "sched_process_exec: pid at 12");
_Static_assert(__builtin_offsetof(struct ebpfnet_tp_sched_process_exec, old_pid) == 16,
	       "sched_process_exec: old_pid at 16");

#endif /* EBPFNET_CORE_DEFS_H */
