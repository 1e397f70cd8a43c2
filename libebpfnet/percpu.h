/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Counters in per-CPU arrays (drop's rule and statistic counters, lb's
 * service, backend and statistic counters): each slot holds, for every
 * possible CPU, a value made of __u64 fields.
 */
#ifndef EBPFNET_PERCPU_H
#define EBPFNET_PERCPU_H

#include <stddef.h>
#include <stdint.h>

/* Zero slot `index` on every CPU (a reused id starts from 0). vsize is the
 * size of one CPU's value. A failure is logged "<object>: <what>: ...". */
int ebpfnet__percpu_zero(const char *object, int fd, uint32_t index,
			 size_t vsize, const char *what);

/* sums[i] = field i (of nfields __u64 fields) of slot `index`, summed over
 * the CPUs. sums are 0 on failure; a failed read is logged
 * "<object>: cannot read counter <index>: ...". */
int ebpfnet__percpu_sum(const char *object, int fd, uint32_t index,
			uint64_t *sums, size_t nfields);

#endif /* EBPFNET_PERCPU_H */
