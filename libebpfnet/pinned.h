/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A pinned object directory, <pin_root>/<object> (drop's filter, lb's
 * balancer): the maps pinned in it, the exclusive flock that serializes
 * changes between processes, and whether the object pinned there is still
 * the one this handle loaded (a last detach may remove it, another process
 * may create it again: then the handle is stale).
 */
#ifndef EBPFNET_PINNED_H
#define EBPFNET_PINNED_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_map;
struct bpf_object;

/* What differs between the objects: names, in paths and in messages. */
struct ebpfnet__pinned_kind {
	const char *object;    /* "drop": the directory, the log prefix */
	const char *noun;      /* "filter": what messages call it */
	const char *probe_map; /* its pin tells the object exists, its id ours */
	const char *gone_how;  /* how it goes away, when more than "removed"
				* ("detached from its last interface"), or NULL */
	const char *opts_type; /* "ebpfnet_drop_opts": names its pin_root */
	size_t room;           /* bytes of PATH_MAX kept for the names under
				* pin_root */
};

struct ebpfnet__pinned {
	const struct ebpfnet__pinned_kind *kind;
	char pin_root[PATH_MAX];
	char dir[PATH_MAX];    /* <pin_root>/<object>; empty until locked */
	int lock_fd;           /* the flocked dir; -1 when unlocked */
	uint32_t probe_id;     /* the id of the probe map this handle loaded */
};

/* Unlocked, no directory yet. pin_root NULL: the default; longer than
 * PATH_MAX - kind->room is -ENAMETOOLONG, logged naming
 * <opts_type>.pin_root. */
int ebpfnet__pinned_init(struct ebpfnet__pinned *p,
			 const struct ebpfnet__pinned_kind *kind,
			 const char *pin_root);

/* Take the flock on the directory. With `create`, the directory is made
 * (ebpfnet__pin_dir) when missing; without, a missing directory is
 * -ENOENT (not logged: the object was removed). */
int ebpfnet__pinned_lock(struct ebpfnet__pinned *p, bool create);
void ebpfnet__pinned_unlock(struct ebpfnet__pinned *p);

/* The lock an open takes: with `existing`, of the object pinned there
 * (-ENOENT, logged, when there is none: nothing is created); otherwise of
 * the directory, created when missing. */
int ebpfnet__pinned_lock_open(struct ebpfnet__pinned *p, bool existing);

/* Open the object pinned at path: its fd; -ENOENT (not logged) when
 * there is none; another error logged "<object>: cannot open <what><path>". */
int ebpfnet__pin_open(const char *object, const char *what, const char *path);

/* <dir>/<name> into buf (-ENAMETOOLONG, logged). */
int ebpfnet__pinned_path(const struct ebpfnet__pinned *p, const char *name,
			 char *buf, size_t len);

/* The fd of the pinned map `name`; -ENOENT (not logged) when none. */
int ebpfnet__pinned_map(const struct ebpfnet__pinned *p, const char *name);

/* *is_new: no probe map is pinned (loading creates the object). */
int ebpfnet__pinned_is_new(const struct ebpfnet__pinned *p, bool *is_new);

/* max_entries of the pinned map `name`, 0 when it is not pinned. */
int ebpfnet__pinned_max_entries(const struct ebpfnet__pinned *p,
				const char *name, uint32_t *entries);

/* Set the pin path of every map of obj that want(map, ctx) accepts, so
 * the load adopts the pinned map or creates and pins it. With keep_size,
 * a map pinned already keeps its size (the load takes it as it is). */
int ebpfnet__pinned_set_pin_paths(const struct ebpfnet__pinned *p,
				  struct bpf_object *obj,
				  bool (*want)(const struct bpf_map *map,
					       const void *ctx),
				  const void *ctx, bool keep_size);

/* Log that the BPF object could not be opened or loaded on the pinned
 * maps, and return err. */
int ebpfnet__pinned_open_error(const struct ebpfnet__pinned *p, int err);
int ebpfnet__pinned_load_error(const struct ebpfnet__pinned *p, int err);

/* 0 when the object pinned now is the one this handle loaded (probe_id),
 * else -ESTALE (logged). Called with the lock held. */
int ebpfnet__pinned_check_current(const struct ebpfnet__pinned *p);

/* The start of a change: the lock (-ESTALE when the directory is gone),
 * the object still ours, then catch_up(ctx) (re-reading what another
 * process changed). On failure the lock is released. */
int ebpfnet__pinned_begin_change(struct ebpfnet__pinned *p,
				 int (*catch_up)(void *ctx), void *ctx);

/* What a read-only call does when another process changed the object:
 * catch_up(ctx) under the lock; 0 without it when the object was removed
 * (the handle then shows what it holds). */
int ebpfnet__pinned_catch_up(struct ebpfnet__pinned *p,
			     int (*catch_up)(void *ctx), void *ctx);

#endif /* EBPFNET_PINNED_H */
