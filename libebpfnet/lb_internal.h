/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: internal pieces shared by the object (lb.c), its pure helpers and
 * the tests.
 */
#ifndef EBPFNET_LB_INTERNAL_H
#define EBPFNET_LB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <ebpfnet/lb.h>
#include "lb_abi.h"

/* ---- lb_ring.c: slots of lb_rings handed out to services (pure) ------- */

/* First-fit allocator of contiguous ranges in [0, slots); freed ranges
 * coalesce. */
struct lb_ring_alloc;
struct lb_ring_alloc *lb_ring_alloc_new(uint32_t slots);
void lb_ring_alloc_destroy(struct lb_ring_alloc *a);
/* A free range of `size` slots: its first slot in *base, or -ENOSPC. */
int lb_ring_alloc_take(struct lb_ring_alloc *a, uint32_t size, uint32_t *base);
/* Mark [base, base + size) used (adoption); -EINVAL if it overlaps. */
int lb_ring_alloc_reserve(struct lb_ring_alloc *a, uint32_t base, uint32_t size);
void lb_ring_alloc_release(struct lb_ring_alloc *a, uint32_t base, uint32_t size);
uint32_t lb_ring_alloc_free_slots(const struct lb_ring_alloc *a);

/* ---- maglev.c ------------------------------------------------------------- */

/* The largest Maglev table ebpfnet_maglev_build() takes. */
#define EBPFNET__MAGLEV_MAX_TABLE_SIZE (1u << 24)

/* True when n is a prime (the table sizes Maglev needs). */
bool ebpfnet__is_prime(uint32_t n);

/* ---- lb_decap.c ------------------------------------------------------------ */

/* The outer source prefixes from options (NULL: the defaults,
 * 172.16.0.0/16 and 100::/64; at most /16 and /64, since the rest of the
 * address is built per flow) into the fields lb_config and
 * lb_decap_config share. `opts_name` names the options struct in
 * messages. */
int ebpfnet__lb_outer_parse(const char *src4, const char *src6,
			    const char *opts_name, struct lb_decap_config *out);

/* ---- lb.c: for the socket level (lb_sock.c) -------------------------------- */

struct ebpfnet__pinned;

/* The balancer's pin directory (<pin_root>/lb). */
const struct ebpfnet__pinned *ebpfnet__lb_pins(const struct ebpfnet_lb *lb);
/* Take the balancer's lock for a change (the pinned balancer still the
 * one this handle loaded; what other processes changed re-read), and
 * release it. */
int ebpfnet__lb_lock(struct ebpfnet_lb *lb);
void ebpfnet__lb_unlock(struct ebpfnet_lb *lb);

/* ---- lb_sock.c ---------------------------------------------------------------- */

/* True when the socket level is attached to some cgroup (a link is
 * pinned under <dir>/sock/): the balancer is then not empty. */
bool ebpfnet__lb_sock_attached(const struct ebpfnet__pinned *p);

/* ---- lb.c: for tests ------------------------------------------------------ */

int ebpfnet__lb_prog_fd(const struct ebpfnet_lb *lb);

#endif /* EBPFNET_LB_INTERNAL_H */
