/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* libebpfnet: the umbrella header. Include this, link with
 * `pkg-config --cflags --libs ebpfnet`. */
#ifndef EBPFNET_EBPFNET_H
#define EBPFNET_EBPFNET_H

#include <ebpfnet/version.h>
#include <ebpfnet/core.h>
#include <ebpfnet/hello.h>
#include <ebpfnet/drop.h>
#include <ebpfnet/lb.h>
#include <ebpfnet/flow.h>
#include <ebpfnet/policy.h>

#endif /* EBPFNET_EBPFNET_H */
