/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Map calls the network objects (drop, lb) share: writes that log why they
 * failed in the object's name ("<object>: <what>: <error>"), and facts
 * about a map (its id, its size, whether it holds anything).
 */
#ifndef EBPFNET_MAPS_H
#define EBPFNET_MAPS_H

#include <stdbool.h>
#include <stdint.h>

/* Log "<object>: <what>: <err>" and return err. */
int ebpfnet__map_fail(const char *object, const char *what, int err);

/* Update (BPF_ANY) or delete one entry; a failure is logged as above.
 * Deleting a missing entry is not a failure. */
int ebpfnet__map_put(const char *object, int fd, const void *key,
		     const void *value, const char *what);
int ebpfnet__map_del(const char *object, int fd, const void *key,
		     const char *what);

/* The map's id, 0 when it cannot be read. */
uint32_t ebpfnet__map_id(int fd);

/* The map's max_entries (0/-errno, not logged). */
int ebpfnet__map_max_entries(int fd, uint32_t *entries);

/* True when the map has no entry (false too when that cannot be told). */
bool ebpfnet__map_empty(int fd);

#endif /* EBPFNET_MAPS_H */
