// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * probe_features: what the running kernel and process offer libebpfnet,
 * as one JSON object. Most fields need no privilege; run it as root to
 * see what an agent would get.
 *
 *     cc -o probe_features probe_features.c $(pkg-config --cflags --libs ebpfnet)
 *     ./probe_features | python3 -m json.tool
 */
#include <stdio.h>
#include <stdlib.h>

#include <ebpfnet/ebpfnet.h>

int main(void)
{
	char small[4096], *json = small;
	int len, err;

	EBPFNET_OPTS(ebpfnet_features, features);
	err = ebpfnet_probe_features(&features);
	if (err) {
		fprintf(stderr, "ebpfnet_probe_features: %s\n", ebpfnet_strerror(err));
		return 1;
	}

	/* Like snprintf: the return is the length the whole output needs. */
	len = ebpfnet_features_format(&features, EBPFNET_FORMAT_JSON,
				      small, sizeof(small));
	if (len >= (int)sizeof(small)) {
		json = malloc((size_t)len + 1);
		if (!json) {
			perror("malloc");
			return 1;
		}
		len = ebpfnet_features_format(&features, EBPFNET_FORMAT_JSON,
					      json, (size_t)len + 1);
	}
	if (len < 0) {
		fprintf(stderr, "ebpfnet_features_format: %s\n", ebpfnet_strerror(len));
		return 1;
	}
	printf("%s\n", json);
	if (json != small)
		free(json);
	return 0;
}
