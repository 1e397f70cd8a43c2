/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: the exec tracer. One object with the programs of every hook; the
 * library loads only the chosen hook's pair (plus the sched_process_exec
 * re-keying program). The entry program records filename and argv in
 * `hello_pending`, keyed by thread id; the exit program completes the
 * record with what is known after the exec and sends it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

#include "ebpfnet_core_defs.h"
#include "hello_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Filters, set by the library before load (the verifier prunes the ones
 * left off). */
const volatile bool printk_mode = false;
const volatile bool filter_uid = false;
const volatile __u32 uid = 0;
const volatile bool filter_cgroup = false;
const volatile bool filter_comm = false;
const volatile char comm[HELLO_COMM_LEN] = {};
const volatile bool failed_only = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* the library sets the size */
} hello_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HELLO_LOST_NR);
	__type(key, __u32);
	__type(value, __u64);
} hello_lost SEC(".maps");

/*
 * An exec between entry and exit. The user pointers are kept because a
 * read at entry can fault: after fork() the child's file-backed pages
 * (string literals in .rodata) are mapped only when first touched, and
 * BPF cannot fault them in. What could not be read is read again once the
 * kernel has touched it: from the new image in sched_process_exec
 * (success), or from the same pointers at exit (failure).
 */
struct hello_pending {
	struct hello_exec_event ev;
	__u64 filename_uptr;
	__u64 argv_uptr;
	__u32 refetch; /* REFETCH_* */
};

#define REFETCH_FILENAME (1u << 0)
#define REFETCH_ARGS (1u << 1)

/* by thread id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct hello_pending);
} hello_pending SEC(".maps");

/* The record is ~3 KiB, far more than the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hello_pending);
} hello_scratch SEC(".maps");

/* Slot 0: the cgroup v2 directory of the cgroup filter. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} hello_cgroup SEC(".maps");

static __always_inline void count_lost(__u32 counter)
{
	__u64 *n = bpf_map_lookup_elem(&hello_lost, &counter);

	if (n)
		*n += 1; /* per-CPU: no other writer */
}

static __always_inline bool entry_wanted(void)
{
	if (filter_uid && (__u32)bpf_get_current_uid_gid() != uid)
		return false;
	/* 1: under the cgroup (or a descendant); 0: not; <0: error */
	if (filter_cgroup && bpf_current_task_under_cgroup(&hello_cgroup, 0) != 1)
		return false;
	return true;
}

static __always_inline bool comm_wanted(const char *task_comm)
{
	if (!filter_comm)
		return true;
	for (int i = 0; i < HELLO_COMM_LEN; i++) {
		if (task_comm[i] != comm[i])
			return false;
		if (!task_comm[i])
			break;
	}
	return true;
}

/* A string read into `max` bytes filled them: was it cut, or did it fit
 * exactly (its NUL being the last byte)? */
static __always_inline bool user_str_cut(const char *s, __u32 max)
{
	char c = 0;

	bpf_probe_read_user(&c, 1, s + max - 1);
	return c != 0;
}

static __always_inline bool kernel_str_cut(const char *s, __u32 max)
{
	char c = 0;

	bpf_probe_read_kernel(&c, 1, s + max - 1);
	return c != 0;
}

/* Append one user string to e->args at *size; false when unreadable.
 * *cut tells whether it was longer than HELLO_ARG_MAX - 1. *size stays
 * below HELLO_ARGS_BUF (the caller checked it against the budget, which
 * also bounds the offset for the verifier). */
static __always_inline bool append_arg(struct hello_exec_event *e, __u32 *size,
				       __u32 *argc, const char *arg, long *len,
				       bool *cut)
{
	long n = bpf_probe_read_user_str(&e->args[*size], HELLO_ARG_MAX, arg);

	if (n <= 0)
		return false;
	*cut = n == HELLO_ARG_MAX && user_str_cut(arg, HELLO_ARG_MAX);
	if (*cut)
		e->flags |= HELLO_F_ARGS_TRUNCATED;
	*size += n;
	*argc += 1;
	*len = n;
	return true;
}

/* argv (a user array of pointers) into e->args. False on a fault. */
static __always_inline bool read_argv(struct hello_exec_event *e,
				      const char *const *argv)
{
	const char *arg = NULL;
	__u32 size = 0, argc = 0;
	bool ok = true, cut;
	long n;

	for (int i = 0; i < HELLO_MAX_ARGS; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i])) {
			ok = false;
			goto done;
		}
		if (!arg)
			goto done;
		if (size >= HELLO_ARGS_BUDGET)
			goto truncated;
		if (!append_arg(e, &size, &argc, arg, &n, &cut)) {
			ok = false;
			goto done;
		}
	}
	/* Every slot used: are there more? */
	if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[HELLO_MAX_ARGS]) && arg)
		goto truncated;
	goto done;
truncated:
	e->flags |= HELLO_F_ARGS_TRUNCATED;
done:
	e->argc = argc;
	e->args_size = size;
	return ok;
}

/* The new image's arguments: NUL-separated strings in [start, end) of its
 * stack, which the kernel has just written. */
static __always_inline void read_arg_area(struct hello_exec_event *e,
					  unsigned long start, unsigned long end)
{
	__u32 size = 0, argc = 0;
	bool cut = false;
	long n = 0;

	for (int i = 0; i < HELLO_MAX_ARGS; i++) {
		if (start >= end)
			goto done;
		if (size >= HELLO_ARGS_BUDGET)
			goto truncated;
		if (!append_arg(e, &size, &argc, (const char *)start, &n, &cut))
			goto truncated;
		if (cut)
			goto truncated; /* the next one's start is unknown */
		start += n;
	}
	if (start < end)
		goto truncated;
	goto done;
truncated:
	e->flags |= HELLO_F_ARGS_TRUNCATED;
done:
	e->argc = argc;
	e->args_size = size;
}

/* Read filename and argv through the saved user pointers; remember what
 * faulted. */
static __always_inline void read_user_args(struct hello_pending *p)
{
	struct hello_exec_event *e = &p->ev;
	long n;

	e->flags &= ~(HELLO_F_FILENAME_TRUNCATED | HELLO_F_ARGS_TRUNCATED);
	p->refetch = 0;
	/* On failure the buffer is zeroed: an empty filename. */
	n = bpf_probe_read_user_str(e->filename, sizeof(e->filename),
				    (const char *)p->filename_uptr);
	if (n < 0)
		p->refetch |= REFETCH_FILENAME;
	if (n == HELLO_FILENAME_MAX &&
	    user_str_cut((const char *)p->filename_uptr, HELLO_FILENAME_MAX))
		e->flags |= HELLO_F_FILENAME_TRUNCATED;
	if (!read_argv(e, (const char *const *)p->argv_uptr))
		p->refetch |= REFETCH_ARGS;
}

static __always_inline int exec_enter(const char *filename,
				      const char *const *argv, bool is_execveat)
{
	struct hello_pending *p;
	__u32 zero = 0;
	__u32 tid;

	if (printk_mode) {
		bpf_printk("I'm alive!");
		return 0;
	}
	if (!entry_wanted())
		return 0;
	p = bpf_map_lookup_elem(&hello_scratch, &zero);
	if (!p)
		return 0;

	p->ev.flags = is_execveat ? HELLO_F_EXECVEAT : 0;
	p->filename_uptr = (unsigned long)filename;
	p->argv_uptr = (unsigned long)argv;
	read_user_args(p);

	tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&hello_pending, &tid, p, BPF_ANY))
		count_lost(HELLO_LOST_PENDING);
	return 0;
}

static __always_inline int exec_exit(long ret)
{
	struct hello_exec_event *e;
	struct hello_pending *p;
	struct task_struct *task;
	__u64 pid_tgid, uid_gid;
	__u32 tid, size;

	if (printk_mode)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	tid = (__u32)pid_tgid;
	p = bpf_map_lookup_elem(&hello_pending, &tid);
	if (!p)
		return 0;
	e = &p->ev;
	if (failed_only && ret == 0)
		goto out;
	bpf_get_current_comm(e->comm, sizeof(e->comm)); /* the new comm */
	if (!comm_wanted(e->comm))
		goto out;
	/* A failed exec still has the old image, now touched by the kernel. */
	if (p->refetch && ret != 0)
		read_user_args(p);
	if (p->refetch & REFETCH_FILENAME)
		e->flags |= HELLO_F_FILENAME_TRUNCATED;
	if (p->refetch & REFETCH_ARGS)
		e->flags |= HELLO_F_ARGS_TRUNCATED;

	task = (struct task_struct *)bpf_get_current_task();
	uid_gid = bpf_get_current_uid_gid();
	e->ret = ret;
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();

	size = e->args_size;
	if (size > HELLO_ARGS_BUF) /* for the verifier: never true */
		size = HELLO_ARGS_BUF;
	size += offsetof(struct hello_exec_event, args);
	e->hdr.type = EBPFNET_EV_EXEC;
	e->hdr.version = HELLO_EVENT_VERSION;
	e->hdr.size = size;
	e->hdr.time_ns = bpf_ktime_get_boot_ns();
	if (bpf_ringbuf_output(&hello_events, e, size, 0))
		count_lost(HELLO_LOST_RINGBUF);
out:
	bpf_map_delete_elem(&hello_pending, &tid);
	return 0;
}

/* ---- tracepoints ----------------------------------------------------- */

SEC("tp/syscalls/sys_enter_execve")
int hello_tp_enter_execve(struct ebpfnet_tp_sys_enter *ctx)
{
	return exec_enter((const char *)ctx->args[0],
			  (const char *const *)ctx->args[1], false);
}

SEC("tp/syscalls/sys_exit_execve")
int hello_tp_exit_execve(struct ebpfnet_tp_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_execveat")
int hello_tp_enter_execveat(struct ebpfnet_tp_sys_enter *ctx)
{
	return exec_enter((const char *)ctx->args[1],
			  (const char *const *)ctx->args[2], true);
}

SEC("tp/syscalls/sys_exit_execveat")
int hello_tp_exit_execveat(struct ebpfnet_tp_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

/* ---- kprobes (libbpf adds the arch's syscall prefix) ------------------ */

SEC("ksyscall/execve")
int BPF_KSYSCALL(hello_kprobe_enter_execve, const char *filename,
		 const char *const *argv)
{
	return exec_enter(filename, argv, false);
}

SEC("kretsyscall/execve")
int BPF_KRETPROBE(hello_kprobe_exit_execve, long ret)
{
	return exec_exit(ret);
}

SEC("ksyscall/execveat")
int BPF_KSYSCALL(hello_kprobe_enter_execveat, int fd, const char *filename,
		 const char *const *argv)
{
	return exec_enter(filename, argv, true);
}

SEC("kretsyscall/execveat")
int BPF_KRETPROBE(hello_kprobe_exit_execveat, long ret)
{
	return exec_exit(ret);
}

/* ---- fentry/fexit: the target (the arch's syscall wrapper, e.g.
 * __x64_sys_execve) is set by the library before load. The wrapper's one
 * argument is the user's registers. ------------------------------------ */

SEC("fentry")
int BPF_PROG(hello_fentry_enter_execve, const struct pt_regs *regs)
{
	return exec_enter((const char *)PT_REGS_PARM1_CORE_SYSCALL(regs),
			  (const char *const *)PT_REGS_PARM2_CORE_SYSCALL(regs),
			  false);
}

SEC("fexit")
int BPF_PROG(hello_fexit_exit_execve, const struct pt_regs *regs, long ret)
{
	return exec_exit(ret);
}

SEC("fentry")
int BPF_PROG(hello_fentry_enter_execveat, const struct pt_regs *regs)
{
	return exec_enter((const char *)PT_REGS_PARM2_CORE_SYSCALL(regs),
			  (const char *const *)PT_REGS_PARM3_CORE_SYSCALL(regs),
			  true);
}

SEC("fexit")
int BPF_PROG(hello_fexit_exit_execveat, const struct pt_regs *regs, long ret)
{
	return exec_exit(ret);
}

/* ---- sched:sched_process_exec -----------------------------------------
 * Runs inside a successful exec, in the new image. Two jobs:
 * - what the entry could not read is read here, from the kernel's copy of
 *   the filename and from the new image's argument area;
 * - when a thread other than the leader execs, the kernel gives it the
 *   leader's id (de_thread): move its record to the new id so the exit
 *   program finds it. */

static __always_inline void refetch_in_new_image(
	struct hello_pending *p, struct ebpfnet_tp_sched_process_exec *ctx)
{
	struct task_struct *task;
	unsigned long start, end;
	long n;

	if (p->refetch & REFETCH_FILENAME) {
		/* __data_loc: offset in the low 16 bits */
		const char *name = (const char *)ctx + (ctx->__data_loc_filename & 0xffff);

		n = bpf_probe_read_kernel_str(p->ev.filename,
					      sizeof(p->ev.filename), name);
		if (n == HELLO_FILENAME_MAX && kernel_str_cut(name, HELLO_FILENAME_MAX))
			p->ev.flags |= HELLO_F_FILENAME_TRUNCATED;
		if (n > 0)
			p->refetch &= ~REFETCH_FILENAME;
	}
	if (p->refetch & REFETCH_ARGS) {
		task = (struct task_struct *)bpf_get_current_task();
		start = BPF_CORE_READ(task, mm, arg_start);
		end = BPF_CORE_READ(task, mm, arg_end);
		p->ev.flags &= ~HELLO_F_ARGS_TRUNCATED;
		read_arg_area(&p->ev, start, end);
		p->refetch &= ~REFETCH_ARGS;
	}
}

SEC("tp/sched/sched_process_exec")
int hello_tp_sched_exec(struct ebpfnet_tp_sched_process_exec *ctx)
{
	__u32 old_tid = ctx->old_pid;
	__u32 new_tid = ctx->pid;
	struct hello_pending *p;

	if (printk_mode)
		return 0;
	p = bpf_map_lookup_elem(&hello_pending, &old_tid);
	if (!p)
		return 0;
	if (p->refetch)
		refetch_in_new_image(p, ctx);
	if (old_tid == new_tid)
		return 0;
	if (bpf_map_update_elem(&hello_pending, &new_tid, p, BPF_ANY))
		count_lost(HELLO_LOST_PENDING);
	bpf_map_delete_elem(&hello_pending, &old_tid);
	return 0;
}
