/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Per-CPU counter slots (percpu.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "maps.h"
#include "percpu.h"

/* The possible CPUs (a per-CPU value holds one entry for each), or a
 * negative errno. */
static int possible_cpus(void)
{
	int ncpus = libbpf_num_possible_cpus();

	return ncpus ? ncpus : -EINVAL;
}

int ebpfnet__percpu_zero(const char *object, int fd, uint32_t index,
			 size_t vsize, const char *what)
{
	int ncpus = possible_cpus(), err = 0;
	void *zeros;

	if (ncpus < 0)
		return ebpfnet__map_fail(object, what, ncpus);
	zeros = calloc((size_t)ncpus, vsize);
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, &index, zeros, BPF_ANY))
		err = ebpfnet__map_fail(object, what, -errno);
	free(zeros);
	return err;
}

int ebpfnet__percpu_sum(const char *object, int fd, uint32_t index,
			uint64_t *sums, size_t nfields)
{
	int ncpus = possible_cpus(), err = 0;
	uint64_t *values;

	memset(sums, 0, nfields * sizeof(*sums));
	if (ncpus < 0)
		return ncpus;
	values = calloc((size_t)ncpus * nfields, sizeof(*values));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &index, values)) {
		err = -errno;
		pr_warn("%s: cannot read counter %u: %s", object, index,
			ebpfnet_strerror(err));
	} else {
		for (size_t i = 0; i < (size_t)ncpus * nfields; i++)
			sums[i % nfields] += values[i];
	}
	free(values);
	return err;
}
