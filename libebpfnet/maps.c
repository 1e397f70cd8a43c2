/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Map calls the network objects share (maps.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "maps.h"

int ebpfnet__map_fail(const char *object, const char *what, int err)
{
	pr_warn("%s: %s: %s", object, what, ebpfnet_strerror(err));
	return err;
}

int ebpfnet__map_put(const char *object, int fd, const void *key,
		     const void *value, const char *what)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY))
		return ebpfnet__map_fail(object, what, -errno);
	return 0;
}

int ebpfnet__map_del(const char *object, int fd, const void *key,
		     const char *what)
{
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return ebpfnet__map_fail(object, what, -errno);
	return 0;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

uint32_t ebpfnet__map_id(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.id;
}

int ebpfnet__map_max_entries(int fd, uint32_t *entries)
{
	struct bpf_map_info info;
	int err = map_info(fd, &info);

	*entries = err ? 0 : info.max_entries;
	return err;
}

bool ebpfnet__map_empty(int fd)
{
	struct bpf_map_info info;
	bool empty;
	void *key;

	if (map_info(fd, &info))
		return false;
	key = malloc(info.key_size ? info.key_size : 1);
	if (!key)
		return false;
	empty = bpf_map_get_next_key(fd, NULL, key) && errno == ENOENT;
	free(key);
	return empty;
}
