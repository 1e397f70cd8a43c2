/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The node's monitor ring (monitor.h): its two maps, pinned at
 * <pin_root>/monitor/{ring,lost}, created by whichever object comes
 * first and shared by every object loaded after it.
 *
 * Every change (creating the pins, removing them) holds an exclusive
 * flock on <pin_root>/monitor, taken after the calling object's own lock
 * (locks go object, then monitor). The objects that use the ring create
 * their own directory before they prepare the monitor and remove it
 * before they release it, so the release, which looks for those
 * directories under the lock, never removes a ring an object is about to
 * share.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "monitor.h"
#include "percpu.h"
#include "pinned.h"
#include "../bpf/include/monitor.h"

#define MONITOR_OBJECT "monitor"

/* The objects that copy events into the ring or read it: while one of
 * their directories exists under pin_root, the ring stays. */
static const char *const monitor_users[] = { "drop", "policy", "flow" };

static const struct ebpfnet__pinned_kind monitor_kind = {
	.object = MONITOR_OBJECT,
	.noun = "monitor ring",
	.probe_map = MONITOR_RING_PIN,
	.gone_how = NULL,
	.opts_type = "the monitor's",
	.room = 16,
};

/* The two maps: their pin names, their shapes (as monitor.h declares
 * them in every BPF object). */
struct monitor_map {
	const char *pin;
	const char *map_name;
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries;
};

static const struct monitor_map monitor_maps[] = {
	{ MONITOR_RING_PIN, MONITOR_RING_MAP, BPF_MAP_TYPE_RINGBUF, 0, 0,
	  MONITOR_RING_BYTES },
	{ MONITOR_LOST_PIN, MONITOR_LOST_MAP, BPF_MAP_TYPE_PERCPU_ARRAY,
	  sizeof(__u32), sizeof(__u64), 1 },
};

/* <pin_root>/monitor/<pin> into buf. */
static int monitor_path(const char *pin_root, const char *pin, char *buf,
			size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s",
			 pin_root ? pin_root : EBPFNET_PIN_ROOT_DEFAULT,
			 MONITOR_DIR, pin);

	if (n < 0 || (size_t)n >= len) {
		pr_warn("monitor: pin path under %s is too long", pin_root);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The fd of the pinned map (made and pinned when missing). Called with
 * the monitor's lock held. */
static int pinned_or_created(const struct ebpfnet__pinned *p,
			     const struct monitor_map *m)
{
	char path[PATH_MAX];
	int fd, err;

	err = ebpfnet__pinned_path(p, m->pin, path, sizeof(path));
	if (err)
		return err;
	fd = ebpfnet__pin_open(MONITOR_OBJECT, "", path);
	if (fd != -ENOENT)
		return fd;
	fd = bpf_map_create(m->type, m->map_name, m->key_size, m->value_size,
			    m->max_entries, NULL);
	if (fd < 0) {
		err = -errno;
		pr_warn("monitor: cannot create the map %s: %s", m->map_name,
			ebpfnet_strerror(err));
		return err;
	}
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		pr_warn("monitor: cannot pin %s: %s", path, ebpfnet_strerror(err));
		close(fd);
		return err;
	}
	pr_debug("monitor: created %s", path);
	return fd;
}

/* Make obj's copy of the map (when it has one) the pinned map. */
static int share_map(struct bpf_object *obj, const struct monitor_map *m,
		     int fd)
{
	struct bpf_map *map;
	int err;

	if (!obj)
		return 0;
	map = bpf_object__find_map_by_name(obj, m->map_name);
	if (!map)
		return 0;
	err = bpf_map__reuse_fd(map, fd);
	if (err)
		pr_warn("monitor: cannot share the map %s: %s", m->map_name,
			ebpfnet_strerror(err));
	return err;
}

/* obj may be NULL: the pins are then only made sure of (the flow
 * observer reads the ring even when its own programs do not write it). */
int ebpfnet__monitor_prepare(const char *pin_root, struct bpf_object *obj)
{
	struct ebpfnet__pinned p;
	int err;

	err = ebpfnet__pinned_init(&p, &monitor_kind, pin_root);
	if (!err)
		err = ebpfnet__pinned_lock(&p, true);
	for (size_t i = 0; !err && i < EBPFNET_ARRAY_SIZE(monitor_maps); i++) {
		int fd = pinned_or_created(&p, &monitor_maps[i]);

		if (fd < 0) {
			err = fd;
			break;
		}
		err = share_map(obj, &monitor_maps[i], fd);
		close(fd); /* reuse_fd keeps its own */
	}
	ebpfnet__pinned_unlock(&p);
	return err;
}

int ebpfnet__monitor_ring_fd(const char *pin_root)
{
	char path[PATH_MAX];
	int err = monitor_path(pin_root, MONITOR_RING_PIN, path, sizeof(path));

	return err ? err : ebpfnet__pin_open(MONITOR_OBJECT, "the ring ", path);
}

int ebpfnet__monitor_lost(const char *pin_root, uint64_t *lost)
{
	char path[PATH_MAX];
	int fd, err;

	if (!lost)
		return -EINVAL;
	*lost = 0;
	err = monitor_path(pin_root, MONITOR_LOST_PIN, path, sizeof(path));
	if (err)
		return err;
	fd = ebpfnet__pin_open(MONITOR_OBJECT, "the lost counter ", path);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	err = ebpfnet__percpu_sum(MONITOR_OBJECT, fd, 0, lost, 1);
	close(fd);
	return err;
}

static bool has_user(const char *pin_root)
{
	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(monitor_users); i++) {
		char path[PATH_MAX];
		struct stat st;
		int n = snprintf(path, sizeof(path), "%s/%s", pin_root,
				 monitor_users[i]);

		if (n < 0 || (size_t)n >= sizeof(path) || !stat(path, &st))
			return true; /* in doubt, keep it */
	}
	return false;
}

void ebpfnet__monitor_release(const char *pin_root)
{
	struct ebpfnet__pinned p;

	if (ebpfnet__pinned_init(&p, &monitor_kind, pin_root))
		return;
	/* the directory, without creating it (pinned_lock(create) would) */
	if (snprintf(p.dir, sizeof(p.dir), "%s/%s", p.pin_root, MONITOR_DIR) >=
	    (int)sizeof(p.dir))
		return;
	if (ebpfnet__pinned_lock(&p, false))
		return; /* none (ENOENT), or logged */
	if (!has_user(p.pin_root)) {
		ebpfnet__pin_dir_cleanup(p.pin_root, p.dir);
		pr_debug("monitor: removed %s: no object uses it", p.dir);
	}
	ebpfnet__pinned_unlock(&p);
}
