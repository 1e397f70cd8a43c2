/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Labels (policy_labels.c): the canonical form, identities (stable
 * numbers hard-coded here, computed independently: FNV-1a 64 of the
 * canonical string, folded to 32 bits, into 256..0xffffff), the public
 * ebpfnet_policy_identity(), and selectors with every operator and
 * source rule.
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy_model_internal.h"

#define NS_DEFAULT "k8s:io.kubernetes.pod.namespace=default"

static void canon_ok(const char *in, const char *want)
{
	char out[POLICY_LABELS_MAX], err[256];
	int ret = pol_labels_canon(in, out, sizeof(out), err, sizeof(err));

	ck_assert_msg(ret == 0, "'%s': %d %s", in, ret, err);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, "");
}

START_TEST(canon_forms)
{
	canon_ok("app=web", "app=web," NS_DEFAULT);
	canon_ok("tier=front, app=web", "app=web," NS_DEFAULT ",tier=front");
	canon_ok("  tier=front ,\tapp=web  ", "app=web," NS_DEFAULT ",tier=front");
	canon_ok("k8s:app=web", "k8s:app=web," NS_DEFAULT);
	canon_ok("", NS_DEFAULT);
	canon_ok("   ", NS_DEFAULT);
	canon_ok("io.kubernetes.pod.namespace=prod,app=db",
		 "app=db,k8s:io.kubernetes.pod.namespace=prod");
	canon_ok("k8s:io.kubernetes.pod.namespace=prod",
		 "k8s:io.kubernetes.pod.namespace=prod");
	canon_ok("empty=", "empty=," NS_DEFAULT);
	canon_ok("a.b/c-d_e=V.1-x_y/z", "a.b/c-d_e=V.1-x_y/z," NS_DEFAULT);
	/* canonical in, the same out */
	canon_ok("app=web," NS_DEFAULT ",tier=front",
		 "app=web," NS_DEFAULT ",tier=front");
}
END_TEST

static const char *const bad_labels[] = {
	"app",                  /* no '=' */
	"=web",                 /* empty key */
	"app=web,app=db",       /* duplicate */
	"app=web,k8s:app=db",   /* duplicate key, other source */
	"app=web,,tier=x",      /* empty item */
	"app=web,",             /* empty last item */
	",app=web",
	"my app=web",           /* space in key */
	"app=we b",
	"app=web!",
	"app=w=eb",
	":app=web",             /* empty source */
	"a:b:app=web",
	"reserved:io.kubernetes.pod.namespace=x",
	"app=caf\xc3\xa9",
};

START_TEST(canon_rejects)
{
	char out[POLICY_LABELS_MAX], err[256];
	const char *in = bad_labels[_i];

	out[0] = 'x';
	ck_assert_int_eq(pol_labels_canon(in, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(err[0], "no reason for '%s'", in);
}
END_TEST

START_TEST(canon_limits)
{
	char big[2 * POLICY_LABELS_MAX], out[POLICY_LABELS_MAX], err[256];
	size_t n = 0;

	/* exactly POLICY_LABELS_MAX - 1 bytes of output fits */
	memset(big, 0, sizeof(big));
	n = POLICY_LABELS_MAX - 1 - strlen("," NS_DEFAULT) - 2;
	big[0] = 'k';
	big[1] = '=';
	memset(big + 2, 'v', n);
	ck_assert_int_eq(pol_labels_canon(big, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(out), POLICY_LABELS_MAX - 1);
	big[2 + n] = 'v'; /* one more */
	ck_assert_int_eq(pol_labels_canon(big, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	/* too many labels */
	n = 0;
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s%c=", i ? "," : "",
				      'a' + i % 26);
	ck_assert_int_eq(pol_labels_canon(big, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	/* a small output buffer */
	ck_assert_int_eq(pol_labels_canon("app=web", out, 10, err, sizeof(err)),
			 -ENOSPC);
	/* arguments */
	ck_assert_int_eq(pol_labels_canon(NULL, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(pol_labels_canon("a=b", NULL, 0, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pol_labels_canon("a=b", out, sizeof(out), NULL, 0), 0);
}
END_TEST

/* Golden numbers: FNV-1a 64 of the canonical text, (h ^ h >> 32) as 32
 * bits, mod (0xffffff - 256 + 1), + 256 (computed in Python). */
START_TEST(identity_golden)
{
	ck_assert_uint_eq(pol_labels_identity("app=frontend," NS_DEFAULT), 11130153);
	ck_assert_uint_eq(pol_labels_identity("app=backend," NS_DEFAULT), 2677161);
	ck_assert_uint_eq(pol_labels_identity("app=db," NS_DEFAULT), 10409467);
	ck_assert_uint_eq(pol_labels_identity(NS_DEFAULT), 5792338);
	ck_assert_uint_eq(pol_labels_identity(
		"app=web,k8s:io.kubernetes.pod.namespace=prod,tier=front"), 1964945);
	ck_assert_uint_eq(pol_hash_fold("cidr:10.0.0.0/8", POLICY_ID_CIDR_MIN,
					POLICY_ID_CIDR_MAX), 30980158);
}
END_TEST

START_TEST(identity_public)
{
	uint32_t a = 0, b = 0;

	ck_assert_int_eq(ebpfnet_policy_identity("app=frontend", &a), 0);
	ck_assert_uint_eq(a, 11130153);
	/* order, blanks and the default namespace do not matter */
	ck_assert_int_eq(ebpfnet_policy_identity(
		" k8s:io.kubernetes.pod.namespace=default , app=frontend", &b), 0);
	ck_assert_uint_eq(a, b);
	ck_assert_int_eq(ebpfnet_policy_identity("tier=front,app=web", &a), 0);
	ck_assert_int_eq(ebpfnet_policy_identity("app=web,tier=front", &b), 0);
	ck_assert_uint_eq(a, b);
	/* another namespace, another identity */
	ck_assert_int_eq(ebpfnet_policy_identity(
		"app=web,tier=front,io.kubernetes.pod.namespace=prod", &b), 0);
	ck_assert_uint_eq(b, 1964945);
	ck_assert_uint_ne(a, b);

	errno = 0;
	ck_assert_int_eq(ebpfnet_policy_identity("app", &a), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "key=value"));
	ck_assert_int_eq(ebpfnet_policy_identity(NULL, &a), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_identity("a=b", NULL), -EINVAL);
	ck_assert_uint_eq(nwarn, 3);
}
END_TEST

START_TEST(identity_range)
{
	char labels[64], canon[POLICY_LABELS_MAX];

	for (int i = 0; i < 20000; i++) {
		uint32_t id;

		snprintf(labels, sizeof(labels), "app=a%d,tier=t%d", i, i % 7);
		ck_assert_int_eq(pol_labels_canon(labels, canon, sizeof(canon), NULL, 0), 0);
		id = pol_labels_identity(canon);
		ck_assert_uint_ge(id, POLICY_ID_LABELS_MIN);
		ck_assert_uint_le(id, POLICY_ID_LABELS_MAX);
	}
}
END_TEST

/* ---- selectors ---------------------------------------------------------------- */

static bool matches(const char *labels, struct pol_req *reqs, size_t n)
{
	struct pol_selector sel = { .reqs = reqs, .n_reqs = n, .n_user = n };
	struct pol_labelset ls;
	char canon[POLICY_LABELS_MAX];

	ck_assert_int_eq(pol_labels_canon(labels, canon, sizeof(canon), NULL, 0), 0);
	ck_assert_int_eq(pol_labelset_split(canon, &ls), 0);
	return pol_selector_matches(&sel, &ls);
}

START_TEST(selector_operators)
{
	const char *web[] = { "web" }, *both[] = { "web", "db" };
	struct pol_req in = { .key = "app", .op = POL_OP_IN, .values = web, .n_values = 1 };
	struct pol_req in2 = { .key = "app", .op = POL_OP_IN, .values = both, .n_values = 2 };
	struct pol_req notin = { .key = "app", .op = POL_OP_NOT_IN, .values = web, .n_values = 1 };
	struct pol_req exists = { .key = "tier", .op = POL_OP_EXISTS };
	struct pol_req absent = { .key = "tier", .op = POL_OP_DOES_NOT_EXIST };
	struct pol_req both_reqs[] = { in2, exists };

	ck_assert(matches("app=web", &in, 1));
	ck_assert(!matches("app=db", &in, 1));
	ck_assert(!matches("tier=x", &in, 1));
	ck_assert(matches("app=db", &in2, 1));
	ck_assert(matches("app=db", &notin, 1));
	ck_assert(!matches("app=web", &notin, 1));
	ck_assert(matches("tier=x", &notin, 1)); /* NotIn: an absent key matches */
	ck_assert(matches("tier=", &exists, 1));
	ck_assert(!matches("app=web", &exists, 1));
	ck_assert(matches("app=web", &absent, 1));
	ck_assert(!matches("tier=x", &absent, 1));
	ck_assert(matches("app=db,tier=b", both_reqs, 2));
	ck_assert(!matches("app=db", both_reqs, 2));
	/* the empty selector selects everything */
	ck_assert(matches("app=web", NULL, 0));
	ck_assert(matches("", NULL, 0));
}
END_TEST

START_TEST(selector_sources)
{
	const char *web[] = { "web" }, *def[] = { "default" };
	struct pol_req any = { .key = "app", .op = POL_OP_IN, .values = web, .n_values = 1 };
	struct pol_req k8s = { .src = "k8s", .key = "app", .op = POL_OP_IN,
			       .values = web, .n_values = 1 };
	struct pol_req ns = { .key = POL_NAMESPACE_KEY, .op = POL_OP_IN,
			      .values = def, .n_values = 1 };
	struct pol_req k8s_exists = { .src = "k8s", .key = "app", .op = POL_OP_EXISTS };
	struct pol_req k8s_absent = { .src = "k8s", .key = "app",
				      .op = POL_OP_DOES_NOT_EXIST };

	ck_assert(matches("app=web", &any, 1));
	ck_assert(matches("k8s:app=web", &any, 1));
	ck_assert(matches("container:app=web", &any, 1));
	ck_assert(matches("k8s:app=web", &k8s, 1));
	ck_assert(!matches("app=web", &k8s, 1));
	ck_assert(!matches("container:app=web", &k8s, 1));
	ck_assert(!matches("app=web", &k8s_exists, 1));
	ck_assert(matches("app=web", &k8s_absent, 1));
	/* the default namespace label is there for a selector without source */
	ck_assert(matches("app=web", &ns, 1));
	ck_assert(pol_req_is_namespace(&ns));
	ck_assert(!pol_req_is_namespace(&any));
	ck_assert(!matches("io.kubernetes.pod.namespace=prod", &ns, 1));
}
END_TEST

START_TEST(selector_text)
{
	const char *web[] = { "web" }, *two[] = { "a", "b" };
	struct pol_req reqs[] = {
		{ .key = "app", .op = POL_OP_IN, .values = web, .n_values = 1 },
		{ .src = "k8s", .key = "tier", .op = POL_OP_NOT_IN, .values = two,
		  .n_values = 2 },
		{ .key = "x", .op = POL_OP_EXISTS },
		{ .key = "y", .op = POL_OP_DOES_NOT_EXIST },
		{ .key = "z", .op = POL_OP_IN, .values = two, .n_values = 2 },
	};
	struct pol_selector sel = { .reqs = reqs, .n_reqs = 5, .n_user = 5 };
	char buf[256];
	struct ebpfnet_sbuf sb;

	ebpfnet__sbuf_init(&sb, buf, sizeof(buf));
	pol_selector_text(&sel, &sb);
	ck_assert_str_eq(buf, "app=web,k8s:tier notin (a|b),x,!y,z in (a|b)");
	sel.n_user = 0;
	ebpfnet__sbuf_init(&sb, buf, sizeof(buf));
	pol_selector_text(&sel, &sb);
	ck_assert_str_eq(buf, "any endpoint");
}
END_TEST

START_TEST(labelset_split)
{
	struct pol_labelset ls;

	ck_assert_int_eq(pol_labelset_split("app=web,k8s:x=,y=z", &ls), 0);
	ck_assert_uint_eq(ls.n, 3);
	ck_assert_str_eq(ls.items[0].src, "");
	ck_assert_str_eq(ls.items[0].key, "app");
	ck_assert_str_eq(ls.items[0].value, "web");
	ck_assert_str_eq(ls.items[1].src, "k8s");
	ck_assert_str_eq(ls.items[1].key, "x");
	ck_assert_str_eq(ls.items[1].value, "");
	ck_assert_int_eq(pol_labelset_split("app", &ls), -EINVAL);
	ck_assert_int_eq(pol_labelset_split(NULL, &ls), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_labels");
	TCase *tc = tcase_create("labels");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_test(tc, canon_forms);
	tcase_add_loop_test(tc, canon_rejects, 0,
			    (int)(sizeof(bad_labels) / sizeof(bad_labels[0])));
	tcase_add_test(tc, canon_limits);
	tcase_add_test(tc, identity_golden);
	tcase_add_test(tc, identity_public);
	tcase_add_test(tc, identity_range);
	tcase_add_test(tc, selector_operators);
	tcase_add_test(tc, selector_sources);
	tcase_add_test(tc, selector_text);
	tcase_add_test(tc, labelset_split);
	suite_add_tcase(s, tc);
	return test_run_suite(s, CK_NORMAL);
}
