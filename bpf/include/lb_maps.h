/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the maps both datapaths use, the XDP balancer (bpf/lb.bpf.c) and the
 * socket level (bpf/lb_sock.bpf.c). Both objects load on the same pinned
 * maps (<pin_root>/lb/<name>), so the definitions must be one: libbpf
 * reuses a pinned map only when type, key, value and flags match. The
 * sizes are defaults: the library sizes the maps before load (or takes
 * the pinned sizes).
 */
#ifndef EBPFNET_LB_MAPS_H
#define EBPFNET_LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lb_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_DEFAULT_MAX_SERVICES);
	__type(key, struct lb_service_key);
	__type(value, struct lb_service_val);
} lb_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_DEFAULT_RING_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} lb_rings SEC(".maps");

/* index = backend id (1..max_backends; 0 unused) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_DEFAULT_MAX_BACKENDS + 1);
	__type(key, __u32);
	__type(value, struct lb_backend_val);
} lb_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} lb_config SEC(".maps");

/* by service id (1..max_services) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_DEFAULT_MAX_SERVICES + 1);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_service_stats SEC(".maps");

/* by backend id (1..max_backends) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_DEFAULT_MAX_BACKENDS + 1);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_backend_stats SEC(".maps");

#endif /* EBPFNET_LB_MAPS_H */
