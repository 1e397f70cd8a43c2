/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * A pinned object directory: lock, pin paths, staleness (pinned.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "maps.h"
#include "pinned.h"

/* Locking a directory that keeps being removed and made again gives up
 * after this many tries. */
#define LOCK_ATTEMPTS 5

int ebpfnet__pinned_init(struct ebpfnet__pinned *p,
			 const struct ebpfnet__pinned_kind *kind,
			 const char *pin_root)
{
	size_t room = kind->room;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->lock_fd = -1;
	if (!pin_root)
		pin_root = EBPFNET_PIN_ROOT_DEFAULT;
	if (strlen(pin_root) >= sizeof(p->pin_root) - room) {
		pr_warn("%s.pin_root: longer than %zu bytes", kind->opts_type,
			sizeof(p->pin_root) - room - 1);
		return -ENAMETOOLONG;
	}
	strcpy(p->pin_root, pin_root);
	return 0;
}

/* The directory may be removed (a last detach) and created again by
 * another process while we wait for the flock: lock what the path names
 * now. */
int ebpfnet__pinned_lock(struct ebpfnet__pinned *p, bool create)
{
	const char *object = p->kind->object;

	for (int attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
		struct stat held, now;
		int fd, err;

		if (create) {
			err = ebpfnet__pin_dir(p->pin_root, object, NULL, p->dir,
					       sizeof(p->dir));
			if (err)
				return err;
		}
		fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			if (err != -ENOENT || create)
				pr_warn("%s: cannot open %s: %s", object, p->dir,
					ebpfnet_strerror(err));
			return err;
		}
		if (flock(fd, LOCK_EX)) {
			err = -errno;
			pr_warn("%s: cannot lock %s: %s", object, p->dir,
				ebpfnet_strerror(err));
			close(fd);
			return err;
		}
		if (!fstat(fd, &held) && !stat(p->dir, &now) &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
			p->lock_fd = fd;
			return 0;
		}
		close(fd); /* removed meanwhile: lock the new one */
		if (!create)
			return -ENOENT;
	}
	pr_warn("%s: %s keeps being removed and created again", object, p->dir);
	return -EAGAIN;
}

void ebpfnet__pinned_unlock(struct ebpfnet__pinned *p)
{
	if (p->lock_fd >= 0) {
		close(p->lock_fd); /* drops the flock */
		p->lock_fd = -1;
	}
}

/* Lock the object pinned under the directory, or -ENOENT when there is
 * none (nothing is created). */
static int lock_existing(struct ebpfnet__pinned *p)
{
	int n, err, fd;

	/* init left room for the object's name */
	n = snprintf(p->dir, sizeof(p->dir), "%s/%s", p->pin_root, p->kind->object);
	if (n < 0 || (size_t)n >= sizeof(p->dir))
		return -ENAMETOOLONG;
	err = ebpfnet__pinned_lock(p, false);
	if (!err) {
		fd = ebpfnet__pinned_map(p, p->kind->probe_map);
		if (fd >= 0)
			close(fd);
		err = fd < 0 ? fd : 0;
	}
	if (err == -ENOENT)
		pr_warn("%s: there is no %s under %s", p->kind->object,
			p->kind->noun, p->dir);
	if (err)
		ebpfnet__pinned_unlock(p);
	return err;
}

int ebpfnet__pinned_lock_open(struct ebpfnet__pinned *p, bool existing)
{
	return existing ? lock_existing(p) : ebpfnet__pinned_lock(p, true);
}

int ebpfnet__pin_open(const char *object, const char *what, const char *path)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			pr_warn("%s: cannot open %s%s: %s", object, what, path,
				ebpfnet_strerror(err));
		return err;
	}
	return fd;
}

int ebpfnet__pinned_path(const struct ebpfnet__pinned *p, const char *name,
			 char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", p->dir, name);

	if (n < 0 || (size_t)n >= len) {
		pr_warn("%s: pin path %s/%s is too long", p->kind->object, p->dir,
			name);
		return -ENAMETOOLONG;
	}
	return 0;
}

int ebpfnet__pinned_map(const struct ebpfnet__pinned *p, const char *name)
{
	char path[PATH_MAX];
	int err = ebpfnet__pinned_path(p, name, path, sizeof(path));

	return err ? err : ebpfnet__pin_open(p->kind->object, "", path);
}

int ebpfnet__pinned_is_new(const struct ebpfnet__pinned *p, bool *is_new)
{
	int fd = ebpfnet__pinned_map(p, p->kind->probe_map);

	*is_new = fd == -ENOENT;
	if (fd < 0)
		return *is_new ? 0 : fd;
	close(fd);
	return 0;
}

int ebpfnet__pinned_max_entries(const struct ebpfnet__pinned *p,
				const char *name, uint32_t *entries)
{
	int fd = ebpfnet__pinned_map(p, name), err;

	*entries = 0;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	err = ebpfnet__map_max_entries(fd, entries);
	if (err)
		pr_warn("%s: cannot read the size of the pinned %s: %s",
			p->kind->object, name, ebpfnet_strerror(err));
	close(fd);
	return err;
}

int ebpfnet__pinned_set_pin_paths(const struct ebpfnet__pinned *p,
				  struct bpf_object *obj,
				  bool (*want)(const struct bpf_map *map,
					       const void *ctx),
				  const void *ctx, bool keep_size)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		char path[PATH_MAX];
		uint32_t pinned_size;
		int err;

		if (!want(map, ctx))
			continue;
		err = ebpfnet__pinned_path(p, name, path, sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return ebpfnet__map_fail(p->kind->object,
						 "setting a pin path", err);
		/* a failed read leaves the size as it is: the load says why */
		if (keep_size &&
		    !ebpfnet__pinned_max_entries(p, name, &pinned_size) &&
		    pinned_size)
			bpf_map__set_max_entries(map, pinned_size);
	}
	return 0;
}

int ebpfnet__pinned_open_error(const struct ebpfnet__pinned *p, int err)
{
	pr_warn("%s: cannot open the BPF object: %s", p->kind->object,
		ebpfnet_strerror(err));
	return err;
}

int ebpfnet__pinned_load_error(const struct ebpfnet__pinned *p, int err)
{
	pr_warn("%s: cannot load the %s on the maps under %s: %s%s",
		p->kind->object, p->kind->noun, p->dir, ebpfnet_strerror(err),
		err == -EINVAL ? " (pins left by an incompatible version?)" : "");
	return err;
}

int ebpfnet__pinned_check_current(const struct ebpfnet__pinned *p)
{
	const struct ebpfnet__pinned_kind *k = p->kind;
	int fd = ebpfnet__pinned_map(p, k->probe_map);
	uint32_t id;

	if (fd == -ENOENT) {
		pr_warn("%s: the %s under %s was removed%s%s%s: open it again",
			k->object, k->noun, p->dir, k->gone_how ? " (" : "",
			k->gone_how ? k->gone_how : "", k->gone_how ? ")" : "");
		return -ESTALE;
	}
	if (fd < 0)
		return fd;
	id = ebpfnet__map_id(fd);
	close(fd);
	if (id != p->probe_id) {
		pr_warn("%s: the %s under %s was created again by another process: open it again",
			k->object, k->noun, p->dir);
		return -ESTALE;
	}
	return 0;
}

int ebpfnet__pinned_begin_change(struct ebpfnet__pinned *p,
				 int (*catch_up)(void *ctx), void *ctx)
{
	const struct ebpfnet__pinned_kind *k = p->kind;
	int err = ebpfnet__pinned_lock(p, false);

	if (err == -ENOENT) {
		pr_warn("%s: %s is gone (the %s was %s): open it again", k->object,
			p->dir, k->noun, k->gone_how ? k->gone_how : "removed");
		return -ESTALE;
	}
	if (!err)
		err = ebpfnet__pinned_check_current(p);
	if (!err)
		err = catch_up(ctx);
	if (err)
		ebpfnet__pinned_unlock(p);
	return err;
}

int ebpfnet__pinned_catch_up(struct ebpfnet__pinned *p,
			     int (*catch_up)(void *ctx), void *ctx)
{
	int err = ebpfnet__pinned_lock(p, false);

	if (err == -ENOENT)
		return 0;
	if (!err)
		err = catch_up(ctx);
	ebpfnet__pinned_unlock(p);
	return err;
}
