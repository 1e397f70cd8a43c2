/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello's record decoder: well-formed records (0, 1, 20 arguments, flags)
 * and malformed ones (every short size, size and type mismatches, argc
 * against the strings present, missing NULs). Every record sits in a heap
 * block of exactly its size, so a read past it shows under ASan.
 */
#include <check.h>

#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello_internal.h"

#define FIXED HELLO_RECORD_FIXED_SIZE
#define OFFSET_NS 1000000000000000000LL /* realtime - boottime */

/* A record under construction: the full struct plus its used size. */
struct builder {
	struct hello_exec_event ev;
	size_t size;
};

static void build(struct builder *b, unsigned int argc, const char *const *args)
{
	memset(b, 0, sizeof(*b));
	b->ev.hdr.type = EBPFNET_EV_EXEC;
	b->ev.hdr.version = HELLO_EVENT_VERSION;
	b->ev.hdr.time_ns = 5;
	b->ev.pid = 100;
	b->ev.tid = 101;
	b->ev.ppid = 1;
	b->ev.uid = 1000;
	b->ev.gid = 1001;
	b->ev.ret = -2;
	b->ev.cgroup_id = 4242;
	strcpy(b->ev.comm, "true");
	strcpy(b->ev.filename, "/bin/true");
	for (unsigned int i = 0; i < argc; i++) {
		size_t n = strlen(args[i]) + 1;

		memcpy(b->ev.args + b->ev.args_size, args[i], n);
		b->ev.args_size += n;
	}
	b->ev.argc = argc;
	b->size = FIXED + b->ev.args_size;
	b->ev.hdr.size = b->size;
}

/* Decode `len` bytes of the built record from a heap block of exactly
 * `len` bytes. */
static int decode_len(const struct builder *b, size_t len,
		      struct hello_decode_buf *buf, struct ebpfnet_hello_event *ev)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, &b->ev, len);
	memset(ev, 0xa5, sizeof(*ev));
	ret = ebpfnet__hello_decode(copy, len, OFFSET_NS, buf, ev);
	/* Pointers into the record must not outlive it: check them first. */
	if (ret == 0) {
		for (unsigned int i = 0; i < ev->argc; i++) {
			ck_assert(ev->argv[i] >= copy && ev->argv[i] < copy + len);
			ck_assert(memchr(ev->argv[i], '\0', copy + len - ev->argv[i]));
		}
		ck_assert_ptr_null(ev->argv[ev->argc]);
	}
	free(copy);
	return ret;
}

static int decode(const struct builder *b, struct hello_decode_buf *buf,
		  struct ebpfnet_hello_event *ev)
{
	return decode_len(b, b->size, buf, ev);
}

START_TEST(test_zero_args)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 0, NULL);
	ck_assert_uint_eq(b.size, FIXED);
	ck_assert_int_eq(decode(&b, &buf, &ev), 0);
	ck_assert_uint_eq(ev.sz, sizeof(ev));
	ck_assert_uint_eq(ev.time_ns, 5 + OFFSET_NS);
	ck_assert_uint_eq(ev.pid, 100);
	ck_assert_uint_eq(ev.tid, 101);
	ck_assert_uint_eq(ev.ppid, 1);
	ck_assert_uint_eq(ev.uid, 1000);
	ck_assert_uint_eq(ev.gid, 1001);
	ck_assert_int_eq(ev.ret, -2);
	ck_assert_uint_eq(ev.cgroup_id, 4242);
	ck_assert_str_eq(ev.comm, "true");
	ck_assert_str_eq(ev.filename, "/bin/true");
	ck_assert_uint_eq(ev.argc, 0);
	ck_assert_ptr_null(ev.argv[0]);
	ck_assert_uint_eq(ev.flags, 0);
}
END_TEST

START_TEST(test_one_arg)
{
	const char *args[] = { "true" };
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 1, args);
	ck_assert_int_eq(decode_len(&b, b.size, &buf, &ev), 0);
	ck_assert_uint_eq(ev.argc, 1);
	ck_assert_ptr_eq(ev.argv, buf.argv);
	/* an empty argument is an argument too */
	args[0] = "";
	build(&b, 1, args);
	ck_assert_int_eq(decode(&b, &buf, &ev), 0);
	ck_assert_uint_eq(ev.argc, 1);
}
END_TEST

START_TEST(test_twenty_args_and_flags)
{
	const char *args[HELLO_MAX_ARGS];
	char storage[HELLO_MAX_ARGS][8];
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;
	char *copy;

	for (int i = 0; i < HELLO_MAX_ARGS; i++) {
		snprintf(storage[i], sizeof(storage[i]), "arg%d", i);
		args[i] = storage[i];
	}
	build(&b, HELLO_MAX_ARGS, args);
	b.ev.flags = HELLO_F_ARGS_TRUNCATED | HELLO_F_FILENAME_TRUNCATED |
		     HELLO_F_EXECVEAT | (1u << 31); /* unknown bit dropped */
	copy = malloc(b.size);
	memcpy(copy, &b.ev, b.size);
	ck_assert_int_eq(ebpfnet__hello_decode(copy, b.size, 0, &buf, &ev), 0);
	ck_assert_uint_eq(ev.argc, HELLO_MAX_ARGS);
	for (int i = 0; i < HELLO_MAX_ARGS; i++)
		ck_assert_str_eq(ev.argv[i], storage[i]);
	ck_assert_ptr_null(ev.argv[HELLO_MAX_ARGS]);
	ck_assert_uint_eq(ev.flags, EBPFNET_HELLO_ARGS_TRUNCATED |
					    EBPFNET_HELLO_FILENAME_TRUNCATED |
					    EBPFNET_HELLO_EXECVEAT);
	free(copy);
}
END_TEST

/* The largest record the BPF program can send: a full buffer of args. */
START_TEST(test_full_args_buffer)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;
	char *copy;

	build(&b, 0, NULL);
	/* 5 arguments of 511 bytes + NUL: 2560 bytes = HELLO_ARGS_BUF */
	memset(b.ev.args, 'x', sizeof(b.ev.args));
	for (int i = 1; i <= 5; i++)
		b.ev.args[i * HELLO_ARG_MAX - 1] = '\0';
	b.ev.argc = 5;
	b.ev.args_size = HELLO_ARGS_BUF;
	b.size = FIXED + HELLO_ARGS_BUF;
	b.ev.hdr.size = b.size;
	ck_assert_uint_eq(b.size, sizeof(b.ev));
	ck_assert_int_eq(decode(&b, &buf, &ev), 0);
	ck_assert_uint_eq(ev.argc, 5);
	/* the strings themselves, while the record lives */
	copy = malloc(b.size);
	memcpy(copy, &b.ev, b.size);
	ck_assert_int_eq(ebpfnet__hello_decode(copy, b.size, 0, &buf, &ev), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_uint_eq(strlen(ev.argv[i]), HELLO_ARG_MAX - 1);
	free(copy);
}
END_TEST

START_TEST(test_every_short_size)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 0, NULL);
	for (size_t len = 0; len < FIXED; len++) {
		b.ev.hdr.size = len; /* even a consistent header does not help */
		ck_assert_msg(decode_len(&b, len, &buf, &ev) == -EINVAL,
			      "size %zu accepted", len);
	}
}
END_TEST

START_TEST(test_size_mismatch)
{
	const char *args[] = { "a", "bc" };
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 2, args);
	b.ev.hdr.size = b.size + 1;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.hdr.size = b.size - 1;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	/* header and args_size agree with each other but not the record */
	build(&b, 2, args);
	ck_assert_int_eq(decode_len(&b, b.size - 1, &buf, &ev), -EINVAL);
}
END_TEST

START_TEST(test_bad_type_and_version)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 0, NULL);
	b.ev.hdr.type = EBPFNET_EV_DROP;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	build(&b, 0, NULL);
	b.ev.hdr.version = HELLO_EVENT_VERSION + 1;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.hdr.version = 0;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
}
END_TEST

START_TEST(test_args_size_too_big)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 0, NULL);
	b.ev.args_size = HELLO_ARGS_BUF + 1;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.args_size = 0xffff;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	/* args_size claims more than the record has */
	b.ev.args_size = 10;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
}
END_TEST

START_TEST(test_argc_against_strings)
{
	const char *args[] = { "one", "two" };
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 2, args);
	b.ev.argc = 3; /* more than present */
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.argc = 1; /* bytes left over */
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.argc = 0;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.argc = HELLO_MAX_ARGS + 1;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	b.ev.argc = 0xffff;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	/* argc 0 with bytes present */
	build(&b, 0, NULL);
	b.ev.argc = 1;
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
}
END_TEST

START_TEST(test_last_arg_without_nul)
{
	const char *args[] = { "one", "two" };
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 2, args);
	b.ev.args[b.ev.args_size - 1] = 'X';
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
	/* and the whole args area without a NUL */
	build(&b, 1, args);
	memset(b.ev.args, 'Y', b.ev.args_size);
	ck_assert_int_eq(decode(&b, &buf, &ev), -EINVAL);
}
END_TEST

START_TEST(test_filename_and_comm_without_nul)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 0, NULL);
	memset(b.ev.filename, 'f', sizeof(b.ev.filename));
	memset(b.ev.comm, 'c', sizeof(b.ev.comm));
	ck_assert_int_eq(decode(&b, &buf, &ev), 0);
	ck_assert_uint_eq(strlen(ev.filename), HELLO_FILENAME_MAX - 1);
	ck_assert_uint_eq(strlen(ev.comm), sizeof(ev.comm) - 1);
	/* the filename is a copy: it outlives the record */
	ck_assert_ptr_eq(ev.filename, buf.filename);
}
END_TEST

START_TEST(test_null_arguments)
{
	struct builder b;
	struct hello_decode_buf buf;
	struct ebpfnet_hello_event ev;

	build(&b, 0, NULL);
	ck_assert_int_eq(ebpfnet__hello_decode(NULL, b.size, 0, &buf, &ev), -EINVAL);
	ck_assert_int_eq(ebpfnet__hello_decode(&b.ev, b.size, 0, NULL, &ev), -EINVAL);
	ck_assert_int_eq(ebpfnet__hello_decode(&b.ev, b.size, 0, &buf, NULL), -EINVAL);
}
END_TEST

static Suite *hello_decode_suite(void)
{
	Suite *s = suite_create("hello_decode");
	TCase *good = tcase_create("well-formed");
	TCase *bad = tcase_create("malformed");

	tcase_add_test(good, test_zero_args);
	tcase_add_test(good, test_one_arg);
	tcase_add_test(good, test_twenty_args_and_flags);
	tcase_add_test(good, test_full_args_buffer);
	tcase_add_test(good, test_filename_and_comm_without_nul);
	suite_add_tcase(s, good);

	tcase_add_test(bad, test_every_short_size);
	tcase_add_test(bad, test_size_mismatch);
	tcase_add_test(bad, test_bad_type_and_version);
	tcase_add_test(bad, test_args_size_too_big);
	tcase_add_test(bad, test_argc_against_strings);
	tcase_add_test(bad, test_last_arg_without_nul);
	tcase_add_test(bad, test_null_arguments);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	return test_run_suite(hello_decode_suite(), CK_NORMAL);
}
