/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * TC (clsact) attachment shared by every TC object: lb's decap today,
 * policy and flow later. Each object owns a fixed priority on the hook,
 * so they coexist in a known order (lower runs first) and detaching one
 * never touches the others. The clsact qdisc is created when missing and
 * left in place (other users may share it).
 */
#ifndef EBPFNET_TC_H
#define EBPFNET_TC_H

#include <stdbool.h>
#include <stdint.h>

enum ebpfnet__tc_prio {
	EBPFNET_TC_PRIO_LB_DECAP = 10, /* strip the balancer's encapsulation first */
	EBPFNET_TC_PRIO_POLICY = 20,   /* then decide */
	EBPFNET_TC_PRIO_FLOW = 30,     /* then observe, verdict known */
};

/* Attach prog_fd on ifindex (ingress or egress) at `prio` (handle 1),
 * replacing a program of ours already there (atomic for packets). */
int ebpfnet__tc_attach(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio,
		       int prog_fd);
/* Detach what is at `prio`; -ENOENT when nothing is. */
int ebpfnet__tc_detach(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio);
/* The id of the program at `prio`, 0 when none (or a negative errno). */
int ebpfnet__tc_query(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio,
		      uint32_t *prog_id);

#endif /* EBPFNET_TC_H */
