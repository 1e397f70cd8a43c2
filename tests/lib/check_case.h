/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Integration tests whose every case gets an environment of its own
 * (namespaces, veths, a bpffs), and the library's messages on stderr.
 */
#ifndef EBPFNET_TEST_CHECK_CASE_H
#define EBPFNET_TEST_CHECK_CASE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <ebpfnet/ebpfnet.h>

/* `test` as a case of its own: its environment made by setup and removed
 * by teardown in the runner process (an unchecked fixture, so also after a
 * failed or crashed test), within timeout_s seconds. */
static inline void add_isolated_case(Suite *s, const char *name,
				     const TTest *test, SFun setup,
				     SFun teardown, double timeout_s)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout_s);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

/* A print callback: warnings and info to stderr; debug too when
 * EBPFNET_TEST_DEBUG is set. */
static inline void print_to_stderr(enum ebpfnet_print_level level,
				   const char *msg)
{
	static const char *const names[] = { "warn", "info", "debug" };

	if (level <= EBPFNET_PRINT_INFO || getenv("EBPFNET_TEST_DEBUG"))
		fprintf(stderr, "libebpfnet %s: %s\n", names[level], msg);
}

#endif /* EBPFNET_TEST_CHECK_CASE_H */
