/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The floor of the flow benchmark: the least a TC observer can do. It
 * reads the packet pointers, checks that an Ethernet header is there and
 * lets the packet go on (TC_ACT_UNSPEC), as the observer does. No map,
 * no parsing beyond that one bounds check.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int bench_tc_floor(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	int fits = data + sizeof(struct ethhdr) <= data_end;

	/* the outcome is the same either way: keep the check, the work */
	asm volatile("" : : "r"(fits));
	return TC_ACT_UNSPEC;
}
