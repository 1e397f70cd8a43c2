/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Run one check suite and turn its result into the process exit code. */
#ifndef EBPFNET_TEST_CHECK_RUN_H
#define EBPFNET_TEST_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int test_run_suite(Suite *suite, enum print_output mode)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, mode);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* EBPFNET_TEST_CHECK_RUN_H */
