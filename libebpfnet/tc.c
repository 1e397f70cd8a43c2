/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * TC (clsact) filters at fixed priorities (tc.h), through libbpf's
 * bpf_tc_* calls. Every filter of ours uses handle 1 at its object's
 * priority, so (prio, handle) names it. The clsact qdisc is created when
 * missing and never destroyed: other filters (ours or not) may use it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "internal.h"
#include "netlink.h"
#include "tc.h"

#define TC_HANDLE 1

static const char *hook_name(bool ingress)
{
	return ingress ? "ingress" : "egress";
}

/* For messages: the interface name, or its index when it has none. */
static const char *iface_name(uint32_t ifindex, char buf[IF_NAMESIZE])
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%u", ifindex);
	return buf;
}

static int check_args(const char *fn, uint32_t ifindex,
		      enum ebpfnet__tc_prio prio)
{
	if (!ifindex) {
		pr_warn("%s: ifindex is 0", fn);
		return -EINVAL;
	}
	if (prio != EBPFNET_TC_PRIO_LB_DECAP && prio != EBPFNET_TC_PRIO_POLICY &&
	    prio != EBPFNET_TC_PRIO_FLOW) {
		pr_warn("%s: %d is not a priority of ours", fn, (int)prio);
		return -EINVAL;
	}
	return 0;
}

static void hook_init(struct bpf_tc_hook *hook, uint32_t ifindex, bool ingress)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = (int)ifindex;
	hook->attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

int ebpfnet__tc_attach(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio,
		       int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
			    .priority = (__u32)prio, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);
	char name[IF_NAMESIZE];
	struct bpf_tc_hook hook;
	int err = check_args("ebpfnet__tc_attach", ifindex, prio);

	if (!err && prog_fd < 0) {
		pr_warn("ebpfnet__tc_attach: prog_fd %d is not a file descriptor",
			prog_fd);
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	hook_init(&hook, ifindex, ingress);
	err = ebpfnet__has_clsact(ifindex);
	if (err == 0)
		err = bpf_tc_hook_create(&hook);
	else if (err > 0)
		err = 0;
	if (err && err != -EEXIST) {
		pr_warn("tc: cannot add the clsact qdisc on %s: %s",
			iface_name(ifindex, name), ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_warn("tc: cannot attach to %s %s at priority %d: %s",
			iface_name(ifindex, name), hook_name(ingress), (int)prio,
			ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	pr_debug("tc: program id %u attached to %s %s at priority %d",
		 opts.prog_id, iface_name(ifindex, name), hook_name(ingress),
		 (int)prio);
	return 0;
}

/* The kernel says "no such filter" in several ways: no clsact qdisc
 * (EINVAL), no filter chain (ENOENT). */
static bool is_absent(int err)
{
	return err == -ENOENT || err == -EINVAL;
}

int ebpfnet__tc_query(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio,
		      uint32_t *prog_id)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
			    .priority = (__u32)prio);
	char name[IF_NAMESIZE];
	struct bpf_tc_hook hook;
	int err = check_args("ebpfnet__tc_query", ifindex, prio);

	if (!err && !prog_id) {
		pr_warn("ebpfnet__tc_query: prog_id is NULL");
		err = -EINVAL;
	}
	if (err)
		return ebpfnet__err(err);
	*prog_id = 0;
	hook_init(&hook, ifindex, ingress);
	err = bpf_tc_query(&hook, &opts);
	if (is_absent(err) && if_indextoname(ifindex, name))
		return 0;
	if (err) {
		pr_warn("tc: cannot query %s %s at priority %d: %s",
			iface_name(ifindex, name), hook_name(ingress), (int)prio,
			ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	*prog_id = opts.prog_id;
	return 0;
}

int ebpfnet__tc_detach(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
			    .priority = (__u32)prio);
	char name[IF_NAMESIZE];
	struct bpf_tc_hook hook;
	uint32_t id;
	int err = ebpfnet__tc_query(ifindex, ingress, prio, &id);

	if (err)
		return err; /* logged, errno set */
	if (!id) {
		pr_debug("tc: nothing attached to %s %s at priority %d",
			 iface_name(ifindex, name), hook_name(ingress), (int)prio);
		return ebpfnet__err(-ENOENT);
	}
	hook_init(&hook, ifindex, ingress);
	err = bpf_tc_detach(&hook, &opts);
	if (err) {
		pr_warn("tc: cannot detach from %s %s at priority %d: %s",
			iface_name(ifindex, name), hook_name(ingress), (int)prio,
			ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	pr_debug("tc: detached program id %u from %s %s at priority %d", id,
		 iface_name(ifindex, name), hook_name(ingress), (int)prio);
	return 0;
}
