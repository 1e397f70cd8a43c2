/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * BPF_PROG_TEST_RUN for the datapath tests and benchmarks: run an XDP or
 * TC program on one packet, `repeat` times, and get its return value, the
 * kernel's time per run and the packet as the program left it.
 *
 * The kernel refuses packets shorter than an Ethernet header
 * (TEST_RUN_MIN_LEN) with EINVAL. test_run_xdp_meta() puts bytes of
 * metadata in front of the packet (at most 32, a multiple of 4): some
 * kernels then run an XDP packet shorter than 14 bytes, but Linux 6.x
 * refuses it too (EINVAL, measured on 6.18), so a test must accept that
 * refusal for those lengths. For TC, Linux 6.x also refuses an untagged
 * IPv4/IPv6 frame shorter than 14 + its IP header (20/40 bytes).
 */
#ifndef EBPFNET_TEST_PROG_RUN_H
#define EBPFNET_TEST_PROG_RUN_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#define TEST_RUN_DATA_MAX 8192  /* room for a packet a program has grown */
#define TEST_RUN_META_MAX 32    /* the kernel's limit on XDP metadata */
#define TEST_RUN_MIN_LEN 14     /* ETH_HLEN: shorter packets may be refused */

struct test_run_result {
	uint32_t retval;       /* XDP_* / TC_ACT_* */
	uint32_t duration_ns;  /* per run: the kernel's total / repeat */
	uint32_t data_out_len; /* bytes in data_out */
	uint8_t data_out[TEST_RUN_DATA_MAX];
};

/* The common part: opts prepared by the caller, result copied into *r. */
static inline int test_run_opts(int prog_fd, struct bpf_test_run_opts *opts,
				struct test_run_result *r)
{
	int err;

	opts->data_out = r->data_out;
	opts->data_size_out = sizeof(r->data_out);
	err = bpf_prog_test_run_opts(prog_fd, opts);
	if (err)
		return err < 0 ? err : -EINVAL;
	r->retval = opts->retval;
	r->duration_ns = opts->duration;
	r->data_out_len = opts->data_size_out;
	return 0;
}

/*
 * XDP, with `meta_len` bytes of metadata in front of the packet (0, or a
 * multiple of 4 up to 32). data_out then holds the packet only.
 * Returns 0 or -errno (-EINVAL: a length the kernel refuses).
 */
static inline int test_run_xdp_meta(int prog_fd, const void *pkt, size_t len,
				    size_t meta_len, uint32_t repeat,
				    struct test_run_result *r)
{
	uint8_t in[TEST_RUN_META_MAX + TEST_RUN_DATA_MAX];
	struct xdp_md ctx = { 0 };
	int err;

	if (!r || (len && !pkt) || meta_len > TEST_RUN_META_MAX ||
	    meta_len % 4 || len > TEST_RUN_DATA_MAX)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memset(in, 0, meta_len);
	if (len)
		memcpy(in + meta_len, pkt, len);
	ctx.data = (uint32_t)meta_len;
	ctx.data_end = (uint32_t)(meta_len + len);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = (uint32_t)(meta_len + len),
		.ctx_in = meta_len ? &ctx : NULL,
		.ctx_size_in = meta_len ? sizeof(ctx) : 0,
		.ctx_out = meta_len ? &ctx : NULL,
		.ctx_size_out = meta_len ? sizeof(ctx) : 0,
		.repeat = repeat);
	err = test_run_opts(prog_fd, &opts, r);
	if (err || !meta_len)
		return err;
	/* data_out starts with the metadata (as long as the program left
	 * it: ctx.data): keep the packet only */
	if (r->data_out_len < ctx.data)
		return -EPROTO;
	r->data_out_len -= ctx.data;
	memmove(r->data_out, r->data_out + ctx.data, r->data_out_len);
	return 0;
}

/* XDP on [pkt, pkt + len) (at least 14 bytes). Returns 0 or -errno. */
static inline int test_run_xdp(int prog_fd, const void *pkt, size_t len,
			       uint32_t repeat, struct test_run_result *r)
{
	return test_run_xdp_meta(prog_fd, pkt, len, 0, repeat, r);
}

/*
 * TC (an skb; at least 14 bytes). ctx, when not NULL, is passed in (mark,
 * priority, ifindex, cb[], tstamp... the fields the kernel accepts) and
 * receives the program's context back. Returns 0 or -errno.
 */
static inline int test_run_skb(int prog_fd, const void *pkt, size_t len,
			       uint32_t repeat, struct __sk_buff *ctx,
			       struct test_run_result *r)
{
	if (!r || !pkt || len > TEST_RUN_DATA_MAX)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = (uint32_t)len,
		.ctx_in = ctx,
		.ctx_size_in = ctx ? sizeof(*ctx) : 0,
		.ctx_out = ctx,
		.ctx_size_out = ctx ? sizeof(*ctx) : 0,
		.repeat = repeat);
	return test_run_opts(prog_fd, &opts, r);
}

#endif /* EBPFNET_TEST_PROG_RUN_H */
