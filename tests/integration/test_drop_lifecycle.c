/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: what a handle leaves behind. A read-only open of a clean node
 * (open_existing) creates nothing; a filter with no rule and no interface
 * is removed by destroy; one with rules stays pinned for the next process.
 * Every case runs under a private bpffs pin root.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#include "check_run.h"
#include "priv.h"

/* One bpffs for the whole run, mounted and removed by the parent process
 * (unchecked fixture: its teardown runs even when a test fails); each test
 * takes a pin root of its own below it. */
static char base[64];
static char root[PATH_MAX];

static void mount_base(void)
{
	char tmpl[] = "/tmp/ebpfnet-drop-life-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(base, sizeof(base), "%s", tmpl);
	ck_assert_int_eq(ebpfnet_mount_bpffs(base), 0);
}

static void umount_base(void)
{
	umount2(base, MNT_DETACH);
	rmdir(base);
}

static void setup(void)
{
	static int n;

	snprintf(root, sizeof(root), "%s/t%d-%d", base, getpid(), n++);
	ck_assert_int_eq(mkdir(root, 0700), 0);
}

/* Entries directly under the test's pin root (".", ".." excluded). */
static int root_entries(void)
{
	DIR *d = opendir(root);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static struct ebpfnet_drop *open_drop(bool existing)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, opts, .pin_root = root,
		     .open_existing = existing);

	return ebpfnet_drop_open(&opts);
}

static uint32_t add_words(struct ebpfnet_drop *drop, int argc,
			  const char *const *argv)
{
	EBPFNET_OPTS(ebpfnet_drop_rule, rule);
	char err[128];
	uint32_t id = 0;

	ck_assert_int_eq(ebpfnet_drop_rule_parse(argc, argv, &rule, err, sizeof(err)), 0);
	ck_assert_int_eq(ebpfnet_drop_add(drop, &rule, &id), 0);
	ck_assert_uint_gt(id, 0);
	return id;
}

START_TEST(test_open_existing_on_clean_node)
{
	errno = 0;
	ck_assert_ptr_null(open_drop(true));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(root_entries(), 0);
}
END_TEST

START_TEST(test_empty_filter_removed_by_destroy)
{
	struct ebpfnet_drop *drop = open_drop(false);

	ck_assert_ptr_nonnull(drop);
	ck_assert_int_gt(root_entries(), 0); /* created and pinned */
	ebpfnet_drop_destroy(drop);
	ck_assert_int_eq(root_entries(), 0);
}
END_TEST

START_TEST(test_filter_with_rules_stays)
{
	static const char *const words[] = { "proto", "icmp" };
	struct ebpfnet_drop *drop = open_drop(false);
	struct ebpfnet_drop_stats st;
	uint32_t id;

	ck_assert_ptr_nonnull(drop);
	id = add_words(drop, 2, words);
	ebpfnet_drop_destroy(drop);
	ck_assert_int_gt(root_entries(), 0);

	/* a later process adopts it, read-only */
	drop = open_drop(true);
	ck_assert_ptr_nonnull(drop);
	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	ck_assert_int_eq(ebpfnet_drop_stats(drop, &st), 0);
	ck_assert_uint_eq(st.rules, 1);

	/* its last rule gone and no interface: nothing left to keep */
	ck_assert_int_eq(ebpfnet_drop_del(drop, id), 0);
	ebpfnet_drop_destroy(drop);
	ck_assert_int_eq(root_entries(), 0);
}
END_TEST

static Suite *lifecycle_suite(void)
{
	Suite *s = suite_create("drop_lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_unchecked_fixture(tc, mount_base, umount_base);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_open_existing_on_clean_node);
	tcase_add_test(tc, test_empty_filter_removed_by_destroy);
	tcase_add_test(tc, test_filter_with_rules_stays);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	test_require_root();
	return test_run_suite(lifecycle_suite(), CK_NORMAL);
}
