/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* An lb address from its text, for tests' expected values. */
#ifndef EBPFNET_TEST_LB_ADDR_H
#define EBPFNET_TEST_LB_ADDR_H

#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <sys/socket.h>

#include <ebpfnet/ebpfnet.h>

/* ip: IPv4 or IPv6 text (the test fails on anything else). */
static inline struct ebpfnet_lb_addr addr_of(const char *ip)
{
	struct ebpfnet_lb_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, a.addr) == 1) {
		a.family = AF_INET;
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, a.addr), 1);
		a.family = AF_INET6;
	}
	return a;
}

#endif /* EBPFNET_TEST_LB_ADDR_H */
