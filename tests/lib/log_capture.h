/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The library's warnings caught in a unit test: the last one's text in
 * last_warn, their number in nwarn. log_capture_start/stop make a checked
 * fixture: tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop).
 */
#ifndef EBPFNET_TEST_LOG_CAPTURE_H
#define EBPFNET_TEST_LOG_CAPTURE_H

#include <stdio.h>

#include <ebpfnet/ebpfnet.h>

static char last_warn[512];
static unsigned int nwarn;

static inline void log_capture(enum ebpfnet_print_level level, const char *msg)
{
	if (level != EBPFNET_PRINT_WARN)
		return;
	snprintf(last_warn, sizeof(last_warn), "%s", msg);
	nwarn++;
}

static inline void log_capture_start(void)
{
	last_warn[0] = '\0';
	nwarn = 0;
	ebpfnet_set_print(log_capture);
}

static inline void log_capture_stop(void)
{
	ebpfnet_set_print(NULL);
}

#endif /* EBPFNET_TEST_LOG_CAPTURE_H */
