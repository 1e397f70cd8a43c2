/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * libebpfnet core: versions, errors, logging, options structs, kernel
 * feature probing and the bpffs/tracefs mount helpers every object uses.
 *
 * This header exposes no libbpf type and compiles alone as C99 and as C++.
 */
#ifndef EBPFNET_CORE_H
#define EBPFNET_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EBPFNET_API
#define EBPFNET_API __attribute__((visibility("default")))
#endif

/*
 * Declare and zero-fill an options struct whose first field is `size_t sz`,
 * then set the named fields:
 *
 *     EBPFNET_OPTS(ebpfnet_hello_opts, opts, .failed_only = true);
 *
 * The whole struct (padding included) is zeroed so that a library older
 * than this header can tell "field left at its default" from "field set".
 */
#define EBPFNET_OPTS(TYPE, NAME, ...)                                      \
	struct TYPE NAME = __extension__({                                 \
		memset(&NAME, 0, sizeof(struct TYPE));                     \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };   \
	})

/* The library's version as "MAJOR.MINOR.PATCH"; compare with
 * EBPFNET_VERSION from <ebpfnet/version.h> (the headers' version).
 * Thread-safe. */
EBPFNET_API const char *ebpfnet_version(void);

/* A static description of an error code, negative or positive errno
 * ("Operation not supported"). Never NULL. Thread-safe. */
EBPFNET_API const char *ebpfnet_strerror(int err);

/* Logging. The library never writes to stdout or stderr itself: every
 * human-readable reason goes to the print callback, one line (without a
 * trailing newline) per call. No callback is installed by default. */
enum ebpfnet_print_level {
	EBPFNET_PRINT_WARN = 0,
	EBPFNET_PRINT_INFO = 1,
	EBPFNET_PRINT_DEBUG = 2,
};

typedef void (*ebpfnet_print_fn)(enum ebpfnet_print_level level,
				 const char *msg);

/* Install `fn` (NULL: silence) and return the previous callback.
 * Thread-safe. */
EBPFNET_API ebpfnet_print_fn ebpfnet_set_print(ebpfnet_print_fn fn);

/* Opt in (true) or out (false) of forwarding libbpf's own messages to the
 * print callback. Opting in replaces libbpf's process-wide print function;
 * opting out restores the one that was there before. Messages of attempts
 * the library expects may fail (feature probes, hook fallbacks) arrive at
 * EBPFNET_PRINT_DEBUG whatever libbpf's level. Returns 0. Thread-safe. */
EBPFNET_API int ebpfnet_forward_libbpf(bool enable);

/* Output formats shared by every object's formatter. */
enum ebpfnet_format {
	EBPFNET_FORMAT_TEXT = 0,
	EBPFNET_FORMAT_JSON = 1,
};

/* What the running kernel and process offer. Filled by
 * ebpfnet_probe_features(); declare it with EBPFNET_OPTS. */
#define EBPFNET_PATH_MAX 256
struct ebpfnet_features {
	size_t sz;
	char kernel_release[65];   /* uname -r */
	bool bpf_syscall;          /* a trivial program loads */
	bool btf;                  /* /sys/kernel/btf/vmlinux is readable */
	bool ringbuf;              /* BPF_MAP_TYPE_RINGBUF */
	bool kprobe;               /* kprobe PMU or kprobe_events */
	bool fentry;               /* a fentry program loads (BTF trampolines) */
	bool tracepoint;           /* syscalls:sys_enter_execve exists */
	bool raw_tracepoint;       /* BPF_PROG_TYPE_RAW_TRACEPOINT loads */
	bool xdp;                  /* BPF_PROG_TYPE_XDP loads */
	bool tc;                   /* BPF_PROG_TYPE_SCHED_CLS loads */
	bool cgroup_sock_addr;     /* BPF_PROG_TYPE_CGROUP_SOCK_ADDR loads */
	bool cgroup2;              /* a cgroup2 hierarchy is mounted */
	char cgroup2_path[EBPFNET_PATH_MAX];
	bool bpffs;                /* a bpffs is mounted */
	char bpffs_path[EBPFNET_PATH_MAX];
	bool tracefs;              /* a tracefs is mounted */
	char tracefs_path[EBPFNET_PATH_MAX];
	bool cap_bpf;              /* effective CAP_BPF (or CAP_SYS_ADMIN) */
	bool cap_perfmon;          /* effective CAP_PERFMON (or CAP_SYS_ADMIN) */
	bool cap_net_admin;        /* effective CAP_NET_ADMIN */
	bool cap_sys_admin;        /* effective CAP_SYS_ADMIN */
};

/* Probe the running kernel and process into `features` (its sz set by the
 * caller; fields past sz are not written). Probing mounts nothing and
 * leaves no BPF object behind. Returns 0 or a negative errno (-EINVAL for a
 * NULL pointer or a bad sz). */
EBPFNET_API int ebpfnet_probe_features(struct ebpfnet_features *features);

/* Render `features` as a two-column table (EBPFNET_FORMAT_TEXT, one
 * "name value" line per field, '\n'-separated) or one JSON object
 * (EBPFNET_FORMAT_JSON), NUL-terminated in buf (len bytes), no trailing
 * newline. Returns the length the whole output needs (like snprintf) or a
 * negative errno. Thread-safe. */
EBPFNET_API int ebpfnet_features_format(const struct ebpfnet_features *features,
					enum ebpfnet_format format, char *buf,
					size_t len);

/* Make sure `path` is a bpffs mount point, mounting one there (creating
 * the directory) when it is not. 0 when it is (or now is) a bpffs;
 * -ENOTDIR/-EEXIST when something else is there; -EPERM without the
 * privilege to mount. */
EBPFNET_API int ebpfnet_mount_bpffs(const char *path);

/* Make sure a tracefs is mounted (at /sys/kernel/tracing when none is) and
 * write its path to `path` (`len` bytes). Returns 0 or a negative errno. */
EBPFNET_API int ebpfnet_mount_tracefs(char *path, size_t len);

/* How an XDP program is attached (drop, lb). AUTO: native, falling back
 * to generic (skb) where the driver has no native XDP. */
enum ebpfnet_xdp_mode {
	EBPFNET_XDP_MODE_AUTO = 0,
	EBPFNET_XDP_MODE_NATIVE = 1,
	EBPFNET_XDP_MODE_GENERIC = 2,
};

/* "auto", "native", "generic"; "unknown" otherwise. Thread-safe. */
EBPFNET_API const char *ebpfnet_xdp_mode_name(enum ebpfnet_xdp_mode mode);

/* Write `s` as a JSON string literal (quotes included; control
 * characters escaped; invalid UTF-8 as U+FFFD) into buf (len bytes, always
 * NUL-terminated when len > 0). snprintf-like return: the length the
 * whole literal needs, or -EINVAL. For agents that print our formats next
 * to their own. Thread-safe. */
EBPFNET_API int ebpfnet_json_string(const char *s, char *buf, size_t len);

/* The default pin root of every object. */
#define EBPFNET_PIN_ROOT_DEFAULT "/sys/fs/bpf/ebpfnet"

#ifdef __cplusplus
}
#endif

#endif /* EBPFNET_CORE_H */
