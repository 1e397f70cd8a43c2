/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: what the object (policy.c) and its text module (policy_text.c)
 * share: turning a verdict record of the ring buffer into the public
 * event, and the names the formatter and the log use.
 */
#ifndef EBPFNET_POLICY_INTERNAL_H
#define EBPFNET_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/policy.h>
#include "policy_abi.h"

/* A record of policy_events (size bytes, struct policy_verdict_event)
 * into *v (its sz set here): the boot-time stamp moved to the wall clock
 * by realtime_offset_ns, addresses to AF_INET/AF_INET6, ports to host
 * order, ifname looked up by ifindex (empty when the interface is gone).
 * -EINVAL when the record is not a verdict this library can read. */
int ebpfnet__policy_verdict_decode(const void *rec, size_t size,
				   int64_t realtime_offset_ns,
				   struct ebpfnet_policy_verdict_event *v);

/* "INGRESS"/"EGRESS", "ALLOWED"/"DENIED", "L3-L4"... (Hubble's words);
 * NULL for a value out of range. */
const char *ebpfnet__policy_dir_name(enum ebpfnet_policy_dir dir);
const char *ebpfnet__policy_verdict_name(enum ebpfnet_policy_verdict verdict);
const char *ebpfnet__policy_match_name(enum ebpfnet_policy_match match);

#endif /* EBPFNET_POLICY_INTERNAL_H */
