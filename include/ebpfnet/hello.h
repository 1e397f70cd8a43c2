/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: the exec tracer. One event per execve/execveat on the node, with
 * process details, filtered in the kernel; or the classic bpf_printk
 * "I'm alive!" demo mode.
 *
 *     open(opts) -> attach() -> poll()/consume() ... -> destroy()
 *
 * One handle, one thread at a time; different handles are independent.
 */
#ifndef EBPFNET_HELLO_H
#define EBPFNET_HELLO_H

#include <ebpfnet/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the tracer hooks the kernel, best first. AUTO takes the first the
 * kernel offers. */
enum ebpfnet_hello_hook {
	EBPFNET_HELLO_HOOK_AUTO = 0,
	EBPFNET_HELLO_HOOK_FENTRY = 1,     /* fentry/fexit on the syscall */
	EBPFNET_HELLO_HOOK_KPROBE = 2,     /* kprobe/kretprobe on the syscall */
	EBPFNET_HELLO_HOOK_TRACEPOINT = 3, /* syscalls:sys_{enter,exit}_execve{,at} */
};

/* Bounds of what one event carries. */
#define EBPFNET_HELLO_MAX_ARGS 20      /* arguments captured at most */
#define EBPFNET_HELLO_ARG_MAX 512      /* bytes of one argument, NUL included */
#define EBPFNET_HELLO_ARGS_BUDGET 2048 /* no argument starts at or past this byte */
#define EBPFNET_HELLO_FILENAME_MAX 512 /* bytes of the filename, NUL included */

/* ebpfnet_hello_event.flags */
#define EBPFNET_HELLO_ARGS_TRUNCATED (1u << 0)     /* argv did not fit */
#define EBPFNET_HELLO_FILENAME_TRUNCATED (1u << 1) /* filename did not fit */
#define EBPFNET_HELLO_EXECVEAT (1u << 2)           /* came from execveat() */

/* One exec. Pointers are valid during the callback only. Fields are only
 * ever appended: check sz before reading a field newer than your code. */
struct ebpfnet_hello_event {
	size_t sz;
	uint64_t time_ns;         /* wall clock at exec return, ns since epoch */
	uint32_t pid;             /* process (thread group) id */
	uint32_t tid;             /* thread id */
	uint32_t ppid;            /* parent's process id */
	uint32_t uid;             /* real uid */
	uint32_t gid;             /* real gid */
	int32_t ret;              /* 0, or the exec's -errno (-ENOENT...) */
	uint64_t cgroup_id;       /* cgroup v2 id */
	char comm[16];            /* command name after the exec */
	const char *filename;     /* path as passed to execve/execveat */
	uint32_t argc;            /* entries in argv */
	const char *const *argv;  /* argc NUL-terminated strings */
	uint32_t flags;           /* EBPFNET_HELLO_* flags */
};

/* Return 0 to go on; non-zero stops poll()/consume(), which return it. */
typedef int (*ebpfnet_hello_event_fn)(void *ctx,
				      const struct ebpfnet_hello_event *event);
/* printk mode: one trace_pipe line without its newline. */
typedef int (*ebpfnet_hello_trace_fn)(void *ctx, const char *line);

struct ebpfnet_hello_opts {
	size_t sz;
	enum ebpfnet_hello_hook hook;   /* default AUTO */
	ebpfnet_hello_event_fn on_event;
	ebpfnet_hello_trace_fn on_trace; /* printk mode only */
	void *ctx;                      /* passed to the callbacks */
	bool printk;                    /* demo mode: bpf_printk("I'm alive!") */
	bool filter_uid;                /* keep only execs by real uid `uid` */
	uint32_t uid;
	const char *comm;               /* keep only this comm after exec (<= 15 chars) */
	const char *cgroup_path;        /* keep only this cgroup v2 and below */
	bool failed_only;               /* keep only execs that failed */
	size_t ringbuf_size;            /* bytes, power of two; 0 = 4 MiB */
};

struct ebpfnet_hello;

/* Validate opts, probe the kernel, choose the hook and load the programs.
 * NULL with errno set on failure (EINVAL bad opts, EOPNOTSUPP a forced hook
 * the kernel lacks, ENOENT a missing cgroup path, EPERM no privilege). */
EBPFNET_API struct ebpfnet_hello *
ebpfnet_hello_open(const struct ebpfnet_hello_opts *opts);

/* Attach the loaded programs. 0 or a negative errno. Idempotent. */
EBPFNET_API int ebpfnet_hello_attach(struct ebpfnet_hello *hello);

/* Wait up to timeout_ms (-1: forever) and deliver pending events through
 * the callback. Returns the number delivered, or a negative errno, or the
 * callback's non-zero return. -EINTR when a signal interrupted the wait. */
EBPFNET_API int ebpfnet_hello_poll(struct ebpfnet_hello *hello, int timeout_ms);

/* Deliver what is pending without waiting. Same returns as poll(). */
EBPFNET_API int ebpfnet_hello_consume(struct ebpfnet_hello *hello);

/* An fd that becomes readable when events are pending, for the caller's
 * own epoll loop. Negative errno on failure. */
EBPFNET_API int ebpfnet_hello_fd(const struct ebpfnet_hello *hello);

/* The hook the handle chose. */
EBPFNET_API enum ebpfnet_hello_hook
ebpfnet_hello_hook(const struct ebpfnet_hello *hello);

/* "auto", "fentry", "kprobe", "tracepoint"; "unknown" otherwise. */
EBPFNET_API const char *ebpfnet_hello_hook_name(enum ebpfnet_hello_hook hook);

/* Counters of one handle. Declare with EBPFNET_OPTS. */
struct ebpfnet_hello_stats {
	size_t sz;
	uint64_t events;        /* delivered to the callback */
	uint64_t lost_ringbuf;  /* dropped in the kernel: ring buffer full */
	uint64_t lost_pending;  /* dropped in the kernel: in-flight table full */
	uint64_t lost;          /* the sum of every lost_* counter */
};

EBPFNET_API int ebpfnet_hello_stats(const struct ebpfnet_hello *hello,
				    struct ebpfnet_hello_stats *stats);

/* Format one event into buf (len bytes, always NUL-terminated when len >
 * 0) as a table row (EBPFNET_FORMAT_TEXT, columns of
 * ebpfnet_hello_header()) or one JSON object (EBPFNET_FORMAT_JSON), with no
 * trailing newline. Returns the length the full output needs (like
 * snprintf), or a negative errno. Every byte of argv is rendered safely.
 * Thread-safe. */
EBPFNET_API int ebpfnet_hello_format(const struct ebpfnet_hello_event *event,
				     enum ebpfnet_format format, char *buf,
				     size_t len);

/* The header line of the text table. Thread-safe. */
EBPFNET_API const char *ebpfnet_hello_header(void);

/* Detach, unload and free. NULL-safe. */
EBPFNET_API void ebpfnet_hello_destroy(struct ebpfnet_hello *hello);

#ifdef __cplusplus
}
#endif

#endif /* EBPFNET_HELLO_H */
