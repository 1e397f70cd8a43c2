/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Privileged tests: skip (exit 77) without root or a kernel feature,
 * unless EBPFNET_REQUIRE_PRIV=1 (CI), where such a skip is a failure. */
#ifndef EBPFNET_TEST_PRIV_H
#define EBPFNET_TEST_PRIV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void test_skip_or_fail(const char *why)
{
	const char *req = getenv("EBPFNET_REQUIRE_PRIV");

	if (req && *req && strcmp(req, "0") != 0) {
		fprintf(stderr, "FAIL: cannot run: %s (EBPFNET_REQUIRE_PRIV is set)\n", why);
		exit(1);
	}
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}

static inline void test_require_root(void)
{
	if (geteuid() != 0)
		test_skip_or_fail("needs root");
}

#endif /* EBPFNET_TEST_PRIV_H */
