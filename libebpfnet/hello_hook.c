/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: which hook to load, from what the kernel offers. Pure: the
 * features come from the caller, so every combination is unit-tested.
 */
#include "hello_internal.h"

/* AUTO's order, best first. */
static const enum ebpfnet_hello_hook auto_order[] = {
	EBPFNET_HELLO_HOOK_FENTRY,
	EBPFNET_HELLO_HOOK_KPROBE,
	EBPFNET_HELLO_HOOK_TRACEPOINT,
};

const char *ebpfnet_hello_hook_name(enum ebpfnet_hello_hook hook)
{
	switch (hook) {
	case EBPFNET_HELLO_HOOK_AUTO:
		return "auto";
	case EBPFNET_HELLO_HOOK_FENTRY:
		return "fentry";
	case EBPFNET_HELLO_HOOK_KPROBE:
		return "kprobe";
	case EBPFNET_HELLO_HOOK_TRACEPOINT:
		return "tracepoint";
	}
	return "unknown";
}

/* What `hook` needs that the kernel lacks, or NULL when it has it all. */
static const char *hook_missing(enum ebpfnet_hello_hook hook,
				const struct ebpfnet_features *f)
{
	switch (hook) {
	case EBPFNET_HELLO_HOOK_FENTRY:
		if (!f->fentry)
			return "this kernel cannot load fentry programs";
		if (!f->btf)
			return "this kernel has no BTF (/sys/kernel/btf/vmlinux)";
		return NULL;
	case EBPFNET_HELLO_HOOK_KPROBE:
		if (!f->kprobe)
			return "this kernel has no kprobes (CONFIG_KPROBES)";
		return NULL;
	case EBPFNET_HELLO_HOOK_TRACEPOINT:
		if (!f->tracepoint)
			return "this kernel has no syscalls:sys_enter_execve tracepoint (CONFIG_FTRACE_SYSCALLS, tracefs)";
		return NULL;
	case EBPFNET_HELLO_HOOK_AUTO:
		break;
	}
	return "not a hook";
}

static bool hook_valid(enum ebpfnet_hello_hook hook)
{
	/* through unsigned: an enum may be signed or unsigned */
	return (unsigned int)hook <= EBPFNET_HELLO_HOOK_TRACEPOINT;
}

/* The first hook of auto_order from index `from` the kernel offers. */
static int first_available(size_t from, const struct ebpfnet_features *f)
{
	for (size_t i = from; i < EBPFNET_ARRAY_SIZE(auto_order); i++) {
		if (!hook_missing(auto_order[i], f))
			return auto_order[i];
	}
	return -EOPNOTSUPP;
}

int ebpfnet__hello_hook_choose(enum ebpfnet_hello_hook requested,
			       const struct ebpfnet_features *f)
{
	const char *missing;
	int hook;

	if (!f || !hook_valid(requested)) {
		pr_warn("hello: ebpfnet_hello_opts.hook: %d is not a hook (0-%d)",
			(int)requested, EBPFNET_HELLO_HOOK_TRACEPOINT);
		return -EINVAL;
	}
	if (requested != EBPFNET_HELLO_HOOK_AUTO) {
		missing = hook_missing(requested, f);
		if (missing) {
			pr_warn("hello: %s requested but %s",
				ebpfnet_hello_hook_name(requested), missing);
			return -EOPNOTSUPP;
		}
		return requested;
	}
	hook = first_available(0, f);
	if (hook < 0)
		pr_warn("hello: no hook available: fentry: %s; kprobe: %s; tracepoint: %s",
			hook_missing(EBPFNET_HELLO_HOOK_FENTRY, f),
			hook_missing(EBPFNET_HELLO_HOOK_KPROBE, f),
			hook_missing(EBPFNET_HELLO_HOOK_TRACEPOINT, f));
	return hook;
}

int ebpfnet__hello_hook_next(enum ebpfnet_hello_hook failed,
			     const struct ebpfnet_features *f)
{
	for (size_t i = 0; f && i < EBPFNET_ARRAY_SIZE(auto_order); i++) {
		if (auto_order[i] == failed)
			return first_available(i + 1, f);
	}
	return -EINVAL;
}
