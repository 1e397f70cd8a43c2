/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * What the objects' text modules (drop_text.c, lb_text.c) share: the
 * checks and the return of a formatter (snprintf-like:
 * <object>_format(obj, format, buf, len)), and addresses read from words.
 */
#ifndef EBPFNET_TEXT_H
#define EBPFNET_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The arguments every formatter checks (obj, buf for len, format): 0, or
 * -EINVAL with a warning naming fn. */
int ebpfnet__format_check(const char *fn, const void *obj, int format,
			  const char *buf, size_t len);

/* A formatter's return for what sb needed: its length, or -EOVERFLOW
 * (errno set) when that is more than an int holds. */
int ebpfnet__format_result(const struct ebpfnet_sbuf *sb);

/*
 * The address written in the n bytes at s (no NUL needed), as inet_pton
 * reads it (strict: no octal, no zones): `family` AF_INET or AF_INET6, or
 * AF_UNSPEC for either (IPv4 tried first). addr (16 bytes) is zeroed,
 * then holds the address. Its family, or 0 when the text is no address.
 */
int ebpfnet__text_pton(int family, const char *s, size_t n, uint8_t addr[16]);

#endif /* EBPFNET_TEXT_H */
