/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Route and neighbour look-ups through rtnetlink (libnl-route), shared by
 * the objects that write Ethernet headers themselves (lb).
 */
#ifndef EBPFNET_NETLINK_H
#define EBPFNET_NETLINK_H

#include <stdint.h>

/*
 * The next hop towards `addr` (family AF_INET/AF_INET6, 4 or 16 bytes):
 * the route's gateway, or addr itself when it is on a link; its MAC from
 * the neighbour table. When the neighbour is not resolved yet, ask the
 * kernel to resolve it (a neighbour entry with NTF_USE: the kernel sends
 * the ARP/ND itself) and wait up to timeout_ms. 0 with mac and ifindex
 * filled; -ENETUNREACH no route; -EHOSTUNREACH not resolved in time.
 */
int ebpfnet__nexthop(int family, const uint8_t *addr, int timeout_ms,
		     uint8_t mac[6], uint32_t *ifindex);

/* 1 when ifindex has a clsact qdisc, 0 when not, -EIO (logged). Lets
 * tc.c create the qdisc only when missing: creating it again fails in the
 * kernel with a message libbpf would print. */
int ebpfnet__has_clsact(uint32_t ifindex);

#endif /* EBPFNET_NETLINK_H */
