/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Error descriptions and the library version. */
#define _GNU_SOURCE /* strerrordesc_np() */
#include <limits.h>
#include <string.h>

#include <ebpfnet/version.h>

#include "internal.h"

const char *ebpfnet_version(void)
{
	return EBPFNET_VERSION;
}

/*
 * strerrordesc_np() returns static, immutable text (unlike strerror(),
 * which may format "Unknown error N" into a shared buffer), so this is
 * thread-safe. Codes it does not know get one fixed string.
 */
const char *ebpfnet_strerror(int err)
{
	const char *desc;

	if (err == INT_MIN)
		return "Unknown error";
	desc = strerrordesc_np(err < 0 ? -err : err);
	return desc ? desc : "Unknown error";
}
