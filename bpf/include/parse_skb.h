/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The packet parser for TC programs (flow, policy): the headers must be
 * in the skb's linear part, the payload may be paged (GSO packets carry
 * 64 KiB in pages). When the linear part is shorter than both the frame
 * and PARSE_SKB_HEADROOM, that much is pulled in first — never the whole
 * frame. Data pointers taken before the call are invalid after it.
 */
#ifndef EBPFNET_PARSE_SKB_H
#define EBPFNET_PARSE_SKB_H

#include "parse.h"

/* Enough for Ethernet, two VLAN tags, IPv6 and a few extension headers
 * and a TCP header with options. */
#define PARSE_SKB_HEADROOM 256

#ifdef __bpf__
static __always_inline int parse_skb(struct __sk_buff *skb, struct pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 linear = data_end - data, len = skb->len;

	if (linear < len && linear < PARSE_SKB_HEADROOM) {
		if (bpf_skb_pull_data(skb, len < PARSE_SKB_HEADROOM ?
					   len : PARSE_SKB_HEADROOM))
			return PARSE_MALFORMED;
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	return parse_pkt_frame(data, data_end, len, p);
}
#endif

#endif /* EBPFNET_PARSE_SKB_H */
