/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* What the objects' text modules share (see text.h). */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "text.h"

/* Longest address text inet_pton takes; longer text is no address. */
#define ADDR_TEXT_MAX INET6_ADDRSTRLEN

int ebpfnet__format_check(const char *fn, const void *obj, int format,
			  const char *buf, size_t len)
{
	if (!obj || (!buf && len) ||
	    (format != EBPFNET_FORMAT_TEXT && format != EBPFNET_FORMAT_JSON)) {
		pr_warn("%s: %s", fn, !obj ? "the object is NULL" :
				      (!buf && len) ? "buf is NULL" :
						      "unknown format");
		return -EINVAL;
	}
	return 0;
}

int ebpfnet__format_result(const struct ebpfnet_sbuf *sb)
{
	if (sb->need > INT_MAX)
		return ebpfnet__err(-EOVERFLOW);
	return (int)sb->need;
}

static int pton_one(int family, const char *text, uint8_t addr[16])
{
	return inet_pton(family, text, addr) == 1 ? family : 0;
}

int ebpfnet__text_pton(int family, const char *s, size_t n, uint8_t addr[16])
{
	char text[ADDR_TEXT_MAX + 1];

	memset(addr, 0, 16);
	if (n > ADDR_TEXT_MAX)
		return 0;
	memcpy(text, s, n);
	text[n] = '\0';
	if (family != AF_UNSPEC)
		return pton_one(family, text, addr);
	return pton_one(AF_INET, text, addr) ?: pton_one(AF_INET6, text, addr);
}
