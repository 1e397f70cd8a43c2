/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Size-versioned structs (the libbpf `sz` pattern): options coming in from
 * a caller whose headers may be older or newer than this library, and
 * output structs going back out to such a caller.
 */
#include <string.h>

#include <ebpfnet/version.h>

#include "internal.h"

/* The struct's leading `size_t sz`; read with memcpy, the struct type is
 * not known here. */
static size_t struct_sz(const void *p)
{
	size_t sz;

	memcpy(&sz, p, sizeof(sz));
	return sz;
}

bool ebpfnet__opts_valid(const void *opts, size_t known_sz,
			 const char *type_name)
{
	const unsigned char *bytes = opts;
	size_t sz, off;

	if (!opts)
		return true;
	sz = struct_sz(opts);
	if (sz < sizeof(size_t)) {
		pr_warn("struct %s: sz %zu is smaller than its sz field",
			type_name, sz);
		return false;
	}
	/* A newer caller may have set fields this library does not have:
	 * zero there means "left at the default", anything else would be
	 * silently ignored, so refuse it. */
	for (off = known_sz; off < sz; off++) {
		if (bytes[off]) {
			pr_warn("struct %s: non-zero byte at offset %zu, past the fields libebpfnet %s knows (header newer than the library?)",
				type_name, off, EBPFNET_VERSION);
			return false;
		}
	}
	return true;
}

int ebpfnet__out_copy(void *dst, const void *src, size_t src_sz,
		      const char *type_name)
{
	unsigned char *out = dst;
	size_t dst_sz, copy_sz;

	if (!dst) {
		pr_warn("struct %s: NULL pointer", type_name);
		return ebpfnet__err(-EINVAL);
	}
	dst_sz = struct_sz(dst);
	if (dst_sz < sizeof(size_t)) {
		pr_warn("struct %s: sz %zu is smaller than its sz field (set it with EBPFNET_OPTS)",
			type_name, dst_sz);
		return ebpfnet__err(-EINVAL);
	}
	if (src_sz < sizeof(size_t)) {
		pr_warn("struct %s: internal source size %zu is too small",
			type_name, src_sz);
		return ebpfnet__err(-EINVAL);
	}
	/* Everything after the caller's sz, which stays as the caller set it. */
	copy_sz = dst_sz < src_sz ? dst_sz : src_sz;
	memcpy(out + sizeof(size_t), (const unsigned char *)src + sizeof(size_t),
	       copy_sz - sizeof(size_t));
	if (dst_sz > src_sz)
		memset(out + src_sz, 0, dst_sz - src_sz);
	return 0;
}
