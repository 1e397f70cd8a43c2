/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The in-kernel rate limit of every object's events: a per-CPU budget of
 * `rate` events per window of at least one second. Each program keeps one
 * struct event_budget per CPU (a one-element per-CPU array) and asks
 * event_budget_take() before it reserves a ring buffer record; a refusal
 * is counted by the caller as "suppressed".
 *
 * The clock is read when a window starts and, once the budget is spent,
 * on the first refusal and every EVENT_BUDGET_CLOCK_EVERY-th after it: a
 * flood does not pay a clock read per packet.
 */
#ifndef EBPFNET_EVENT_BUDGET_H
#define EBPFNET_EVENT_BUDGET_H

#include <linux/types.h>

#define EVENT_BUDGET_NS_PER_SEC 1000000000ull
#define EVENT_BUDGET_CLOCK_EVERY 32

struct event_budget {
	__u64 window_ns;  /* start of the current window */
	__u32 sent;       /* events sent in it */
	__u32 streak;     /* refusals in a row */
};

#ifdef __BPF__
/* true: send (and the event is charged); false: over budget, or rate 0. */
static __always_inline int event_budget_take(struct event_budget *b, __u32 rate)
{
	__u64 now;

	if (!rate || !b)
		return 0;
	if (b->sent >= rate) {
		if (b->streak++ % EVENT_BUDGET_CLOCK_EVERY)
			return 0;
		now = bpf_ktime_get_ns();
		if (now - b->window_ns < EVENT_BUDGET_NS_PER_SEC)
			return 0;
		b->window_ns = now;
		b->sent = 0;
	} else if (!b->sent) {
		b->window_ns = bpf_ktime_get_ns();
	}
	b->sent++;
	b->streak = 0;
	return 1;
}
#endif

#endif /* EBPFNET_EVENT_BUDGET_H */
