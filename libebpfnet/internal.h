/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Internal helpers shared by every object of libebpfnet. Nothing here is
 * exported from the shared library (hidden visibility); unit tests reach it
 * by linking the static library.
 */
#ifndef EBPFNET_INTERNAL_H
#define EBPFNET_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/core.h>

#ifndef offsetofend
#define offsetofend(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
#endif

#define EBPFNET_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- logging (log.c) ------------------------------------------------- */

/* Format one message and hand it to the print callback, if any. */
void ebpfnet__log(enum ebpfnet_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...) ebpfnet__log(EBPFNET_PRINT_WARN, __VA_ARGS__)
#define pr_info(...) ebpfnet__log(EBPFNET_PRINT_INFO, __VA_ARGS__)
#define pr_debug(...) ebpfnet__log(EBPFNET_PRINT_DEBUG, __VA_ARGS__)

/* Between quiet_begin() and quiet_end() on this thread, forwarded libbpf
 * messages are demoted to EBPFNET_PRINT_DEBUG: used around attempts that
 * are expected to fail (probes, hook fallbacks). Nests. */
void ebpfnet__libbpf_quiet_begin(void);
void ebpfnet__libbpf_quiet_end(void);

/* ---- errors ----------------------------------------------------------- */

/* Set errno from a negative (or positive) error code and return NULL. */
static inline void *ebpfnet__err_ptr(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

/* Set errno from a negative error code and return it (0 passes through). */
static inline int ebpfnet__err(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

/* ---- options and output structs (opts.c) ------------------------------ */

/*
 * Check an options struct that starts with `size_t sz`: sz must cover at
 * least sz itself, and every byte past `known_sz` (the fields this library
 * knows) up to sz must be zero. Logs a reason naming `type_name` (and the
 * offset of the first unknown non-zero byte) and returns false otherwise.
 * A NULL opts is valid (all defaults).
 */
bool ebpfnet__opts_valid(const void *opts, size_t known_sz,
			 const char *type_name);

/* Fields this library knows of `type`: everything up to its last field. */
#define EBPFNET_OPTS_VALID(opts, type, last_field)                           \
	ebpfnet__opts_valid((opts), offsetofend(struct type, last_field), #type)

/* True when the caller's (possibly older, shorter) struct has `field`. */
#define EBPFNET_OPTS_HAS(opts, field)                                         \
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))

/* The caller's value of `field`, or `fallback` when the struct is NULL or
 * too old to have it. */
#define EBPFNET_OPTS_GET(opts, field, fallback)                               \
	(EBPFNET_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/*
 * Copy an output struct that starts with `size_t sz` (features, stats) to
 * the caller's `dst`, whose sz the caller set: copies min(dst->sz, src_sz)
 * bytes, keeps dst->sz, zeroes the caller's bytes the library does not
 * know. -EINVAL (logged, naming type_name) when dst is NULL or dst->sz is
 * smaller than sizeof(size_t).
 */
int ebpfnet__out_copy(void *dst, const void *src, size_t src_sz,
		      const char *type_name);

/* ---- mounts and paths (mounts.c) ---------------------------------------- */

/* statfs magic checks. */
bool ebpfnet__is_bpffs(const char *path);
bool ebpfnet__is_tracefs(const char *path);
bool ebpfnet__is_cgroup2(const char *path);

/* First mount point of `fstype` in /proc/mounts ("cgroup2", "bpf",
 * "tracefs") into buf. 0, -ENOENT when none, -ENAMETOOLONG. */
int ebpfnet__find_mount(const char *fstype, char *buf, size_t len);

/*
 * Prepare the pin directory <pin_root>/<object>/<scope>/ and write its path
 * to buf: pin_root must lie on a bpffs; when it does not and it is (below)
 * /sys/fs/bpf, a bpffs is mounted at /sys/fs/bpf; otherwise -EINVAL with a
 * message that says what to do. Creates the directories (mode 0700).
 * scope may be NULL (then <pin_root>/<object>/).
 */
int ebpfnet__pin_dir(const char *pin_root, const char *object,
		     const char *scope, char *buf, size_t len);

/* Remove <dir> and every empty parent up to (not including) pin_root. */
void ebpfnet__pin_dir_cleanup(const char *pin_root, const char *dir);

/* Open a cgroup v2 directory (O_RDONLY|O_DIRECTORY|O_CLOEXEC): the fd, or
 * -ENOENT (missing), -ENOTDIR, -EINVAL (not on cgroup2), logged. */
int ebpfnet__open_cgroup2(const char *path);

/* ---- feature probing (probe.c) ------------------------------------------ */

/* Probe into a full-size struct (sz set inside). Used by the objects. */
int ebpfnet__probe(struct ebpfnet_features *f);

/* ---- JSON and text output (json.c) -------------------------------------- */

/*
 * A bounded string builder with snprintf semantics: writes at most len-1
 * bytes and a NUL into buf, but counts the full length in `need`, so a
 * caller can size a second attempt.
 */
struct ebpfnet_sbuf {
	char *buf;
	size_t len;
	size_t need;
};

void ebpfnet__sbuf_init(struct ebpfnet_sbuf *sb, char *buf, size_t len);
void ebpfnet__sbuf_printf(struct ebpfnet_sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ebpfnet__sbuf_putc(struct ebpfnet_sbuf *sb, char c);
/* A JSON string literal (with quotes) of n bytes: escapes quotes,
 * backslashes and control characters; invalid UTF-8 becomes U+FFFD. */
void ebpfnet__sbuf_json_str(struct ebpfnet_sbuf *sb, const char *s, size_t n);
/* A wall clock time (ns since the epoch) in RFC 3339, UTC, with
 * nanoseconds: 2026-11-21T10:00:00.123456789Z (no quotes). */
void ebpfnet__sbuf_rfc3339(struct ebpfnet_sbuf *sb, uint64_t time_ns);
/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when the
 * bytes there are not one (overlong forms, surrogates, past U+10FFFF). */
size_t ebpfnet__utf8_seq_len(const unsigned char *s, size_t n);
/* Text for a terminal: printable ASCII and valid UTF-8 as they are,
 * backslash as "\\", everything else as "\xNN". */
void ebpfnet__sbuf_text_str(struct ebpfnet_sbuf *sb, const char *s, size_t n);

#endif /* EBPFNET_INTERNAL_H */
