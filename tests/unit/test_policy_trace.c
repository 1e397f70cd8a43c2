/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The explanation of a decision (policy_trace.c): allowed, denied by a
 * rule, default deny, not enforced, outside addresses (world, CIDR
 * identities), ICMP, ranges, the exact text of one explanation, bad
 * arguments; and, for random rule sets, its verdict (a replay of the
 * datapath's lookups over the compiled entries) against a direct reading
 * of the rules: deny of any selecting rule wins, else any allow, else
 * default deny.
 */
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_fixture.h"

#define CNP_HEAD(name) "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n" \
		       "metadata:\n  name: " name "\n"

static char out[4096];

static enum ebpfnet_policy_verdict trace(struct fixture *f, const char *from,
					 const char *to, uint8_t proto, uint16_t port)
{
	enum ebpfnet_policy_verdict v = 0;
	int ret = pol_trace(&f->c, f->eps, f->n_eps, f->docs, f->n_docs, from, to,
			    proto, port, &v, out, sizeof(out));

	ck_assert_msg(ret > 0, "trace %s -> %s: %d %s", from, to, ret, out);
	ck_assert_uint_eq((size_t)ret, strlen(out));
	return v;
}

#define HAS(s) ck_assert_msg(strstr(out, s), "want '%s' in:\n%s", s, out)

static void classic(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	fx_ep(f, "app=frontend", "10.0.0.1");
	fx_ep(f, "app=backend", "10.0.0.2");
	fx_ep(f, "app=db", "10.0.0.3");
	fx_ep(f, "app=other", "10.0.0.4,fd00::4");
	fx_addr("192.168.1.1", &f->host[0]);
	f->n_host = 1;
	fx_docs(f, CNP_HEAD("backend") "spec:\n  endpointSelector: {matchLabels: {app: backend}}\n"
		"  ingress:\n  - fromEndpoints: [{matchLabels: {app: frontend}}]\n"
		"    toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
		"  - fromCIDR: [10.100.0.0/16]\n"
		"    toPorts: [{ports: [{port: \"8000\", endPort: 8003, protocol: TCP}]}]\n"
		"  - toPorts: [{ports: [{port: \"9090\", protocol: TCP}]}]\n"
		"  - fromEntities: [host]\n"
		"  ingressDeny:\n  - fromCIDR: [10.100.5.0/24]\n"
		"---\n" CNP_HEAD("db") "spec:\n  endpointSelector: {matchLabels: {app: db}}\n"
		"  ingress:\n  - fromEndpoints: [{matchLabels: {app: backend}}]\n"
		"    toPorts: [{ports: [{port: \"5432\", protocol: TCP}]}]\n");
	fx_compile_ok(f);
}

START_TEST(allowed_exact_text)
{
	struct fixture f;
	char want[2048];

	classic(&f);
	ck_assert_int_eq(trace(&f, "app=frontend", "10.0.0.2", IPPROTO_TCP, 80),
			 EBPFNET_POLICY_ALLOWED);
	snprintf(want, sizeof(want),
		 "from: app=frontend: endpoint 1 (ifindex 100), identity %u "
		 "(app=frontend," NS_DEFAULT ")\n"
		 "to: 10.0.0.2: endpoint 2 (ifindex 101), identity %u "
		 "(app=backend," NS_DEFAULT ")\n"
		 "connection: TCP to port 80\n"
		 "egress of endpoint 1 (identity %u): not enforced (no rule selects it): allowed\n"
		 "ingress of endpoint 2 (identity %u): enforced\n"
		 "  identity %u: TCP port 80 -> allow by rule 1 of default/backend: "
		 "allow ingress from app=frontend to TCP/80\n"
		 "  any identity: no entry\n"
		 "  => allowed (L3-L4 match, rule 1 of default/backend: "
		 "allow ingress from app=frontend to TCP/80)\n"
		 "verdict: ALLOWED\n",
		 ID_FRONTEND, ID_BACKEND, ID_FRONTEND, ID_BACKEND, ID_FRONTEND);
	ck_assert_str_eq(out, want);
	fx_free(&f);
}
END_TEST

START_TEST(denied_and_unenforced)
{
	struct fixture f;

	classic(&f);
	/* default deny on db's ingress */
	ck_assert_int_eq(trace(&f, "app=frontend", "app=db", IPPROTO_TCP, 5432),
			 EBPFNET_POLICY_DENIED);
	HAS("ingress of endpoint 3");
	HAS("=> denied (no entry allows it: default deny)");
	HAS("verdict: DENIED");
	ck_assert_int_eq(trace(&f, "app=backend", "app=db", IPPROTO_TCP, 5432),
			 EBPFNET_POLICY_ALLOWED);
	/* another port: default deny */
	ck_assert_int_eq(trace(&f, "app=backend", "app=db", IPPROTO_TCP, 5433),
			 EBPFNET_POLICY_DENIED);
	/* UDP to the TCP port */
	ck_assert_int_eq(trace(&f, "app=backend", "app=db", IPPROTO_UDP, 5432),
			 EBPFNET_POLICY_DENIED);
	/* nobody selects other: both sides unenforced */
	ck_assert_int_eq(trace(&f, "app=frontend", "fd00::4", IPPROTO_UDP, 53),
			 EBPFNET_POLICY_ALLOWED);
	HAS("ingress of endpoint 4 (identity");
	HAS("not enforced (no rule selects it): allowed");
	/* the outside to an unenforced endpoint */
	ck_assert_int_eq(trace(&f, "8.8.8.8", "app=other", IPPROTO_TCP, 22),
			 EBPFNET_POLICY_ALLOWED);
	HAS("from: 8.8.8.8: not a local endpoint, identity 2 (reserved:world)");
	/* neither side local */
	ck_assert_int_eq(trace(&f, "8.8.8.8", "1.1.1.1", IPPROTO_TCP, 22),
			 EBPFNET_POLICY_ALLOWED);
	HAS("neither side is a local endpoint: no policy applies");
	fx_free(&f);
}
END_TEST

START_TEST(cidr_range_any_host)
{
	struct fixture f;
	uint32_t wide, narrow;

	classic(&f);
	wide = fx_identity(&f, "cidr:10.100.0.0/16");
	narrow = fx_identity(&f, "cidr:10.100.5.0/24");
	/* a range inside 10.100/16 */
	ck_assert_int_eq(trace(&f, "10.100.1.1", "app=backend", IPPROTO_TCP, 8002),
			 EBPFNET_POLICY_ALLOWED);
	HAS("not a local endpoint, identity");
	HAS("(cidr:10.100.0.0/16)");
	HAS("TCP ports 8000-8003 (8000/14) -> allow by rule 2 of default/backend");
	(void)wide;
	ck_assert_int_eq(trace(&f, "10.100.1.1", "app=backend", IPPROTO_TCP, 8004),
			 EBPFNET_POLICY_DENIED);
	/* the /24 inside is denied (ingressDeny, L3) even on 8000 */
	ck_assert_int_eq(trace(&f, "10.100.5.9", "app=backend", IPPROTO_TCP, 8000),
			 EBPFNET_POLICY_DENIED);
	HAS("(cidr:10.100.5.0/24)");
	/* the allow of the /16 covers the /24's identity: the deny is
	 * written into that entry */
	HAS("TCP ports 8000-8003 (8000/14) -> deny by rule 5 of default/backend: "
	    "deny ingress from 10.100.5.0/24 to any port");
	HAS("=> denied (L3-L4 match, rule 5");
	ck_assert_int_eq(trace(&f, "10.100.5.9", "app=backend", IPPROTO_UDP, 1),
			 EBPFNET_POLICY_DENIED);
	HAS("any protocol, any port -> deny by rule 5");
	HAS("=> denied (L3-only match, rule 5");
	/* ...and on the any-peer port 9090 too (deny from either identity) */
	ck_assert_int_eq(trace(&f, "10.100.5.9", "app=backend", IPPROTO_TCP, 9090),
			 EBPFNET_POLICY_DENIED);
	HAS("any identity: TCP port 9090 -> allow by rule 3");
	(void)narrow;
	/* anyone on 9090: L4-only */
	ck_assert_int_eq(trace(&f, "8.8.8.8", "app=backend", IPPROTO_TCP, 9090),
			 EBPFNET_POLICY_ALLOWED);
	HAS("=> allowed (L4-only match, rule 3");
	/* the host: L3-only, any protocol, ICMP too */
	ck_assert_int_eq(trace(&f, "192.168.1.1", "app=backend", IPPROTO_ICMP, 0),
			 EBPFNET_POLICY_ALLOWED);
	HAS("identity 1 (reserved:host)");
	HAS("connection: ICMP\n");
	HAS("=> allowed (L3-only match, rule 4");
	/* ICMP from frontend: only port entries: denied */
	ck_assert_int_eq(trace(&f, "app=frontend", "app=backend", IPPROTO_ICMP, 0),
			 EBPFNET_POLICY_DENIED);
	fx_free(&f);
}
END_TEST

START_TEST(egress_side)
{
	struct fixture f = { 0 };

	fx_ep(&f, "app=web", "10.0.0.5");
	fx_docs(&f, CNP_HEAD("web") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
		"  egress:\n  - toEntities: [world]\n"
		"    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n");
	fx_compile_ok(&f);
	ck_assert_int_eq(trace(&f, "app=web", "93.184.216.34", IPPROTO_TCP, 443),
			 EBPFNET_POLICY_ALLOWED);
	HAS("egress of endpoint 1");
	HAS("identity 2: TCP port 443 -> allow by rule 1 of default/web");
	ck_assert_int_eq(trace(&f, "10.0.0.5", "93.184.216.34", IPPROTO_TCP, 80),
			 EBPFNET_POLICY_DENIED);
	ck_assert_int_eq(trace(&f, "app=web", "2001:db8::1", IPPROTO_TCP, 443),
			 EBPFNET_POLICY_ALLOWED);
	fx_free(&f);
}
END_TEST

START_TEST(errors_and_buffer)
{
	struct fixture f;
	enum ebpfnet_policy_verdict v;
	char small[16];
	int full, ret;

	classic(&f);
	ret = pol_trace(&f.c, f.eps, f.n_eps, f.docs, f.n_docs, "app=", "app=db",
			IPPROTO_TCP, 1, &v, out, sizeof(out));
	ck_assert_int_eq(ret, -ENOENT); /* valid labels, no such endpoint */
	ck_assert_ptr_nonnull(strstr(out, "no endpoint has the labels app=,"));
	ret = pol_trace(&f.c, f.eps, f.n_eps, f.docs, f.n_docs, "app=frontend",
			"10.0.0.300", IPPROTO_TCP, 1, &v, out, sizeof(out));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_ptr_nonnull(strstr(out, "'10.0.0.300' is neither an address nor labels"));
	ck_assert_int_eq(pol_trace(NULL, f.eps, f.n_eps, f.docs, f.n_docs, "a=b", "c=d",
				   6, 1, &v, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(pol_trace(&f.c, f.eps, f.n_eps, f.docs, f.n_docs, NULL, "c=d",
				   6, 1, &v, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(pol_trace(&f.c, f.eps, f.n_eps, f.docs, f.n_docs, "a=b", "c=d",
				   6, 1, NULL, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(pol_trace(&f.c, f.eps, f.n_eps - 1, f.docs, f.n_docs, "a=b",
				   "c=d", 6, 1, &v, out, sizeof(out)), -EINVAL);
	/* snprintf-like */
	full = pol_trace(&f.c, f.eps, f.n_eps, f.docs, f.n_docs, "app=frontend",
			 "app=backend", IPPROTO_TCP, 80, &v, NULL, 0);
	ck_assert_int_gt(full, 100);
	ret = pol_trace(&f.c, f.eps, f.n_eps, f.docs, f.n_docs, "app=frontend",
			"app=backend", IPPROTO_TCP, 80, &v, small, sizeof(small));
	ck_assert_int_eq(ret, full);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(v, EBPFNET_POLICY_ALLOWED);
	fx_free(&f);
}
END_TEST

/* ---- verdicts against the rules, read directly ------------------------------------- */

static bool port_matches(const struct pol_rule *r, uint8_t proto, uint16_t port)
{
	if (!r->n_ports)
		return true;
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct pol_port *p = &r->ports[i];

		if (p->proto != proto && !(p->proto == POL_PROTO_ANY))
			continue;
		if (!p->first || (port >= p->first && port <= p->last))
			return true;
	}
	return false;
}

static bool peer_matches(const struct pol_rule *r, const struct pol_labelset *peer)
{
	if (r->any_peer)
		return true;
	for (size_t i = 0; i < r->n_peers; i++) {
		if (r->peers[i].kind == POL_PEER_ENTITY &&
		    r->peers[i].entity == POL_ENTITY_ALL)
			return true;
		if (r->peers[i].kind == POL_PEER_ENDPOINTS &&
		    pol_selector_matches(&r->peers[i].sel, peer))
			return true;
	}
	return false;
}

/* The ingress of `to` from `from`, from the rules themselves. */
static bool oracle(const struct fixture *f, size_t to, size_t from, uint16_t port)
{
	struct pol_labelset me, peer;
	bool enforced = false, allowed = false;

	pol_labelset_split(f->eps[to].labels, &me);
	pol_labelset_split(f->eps[from].labels, &peer);
	for (size_t d = 0; d < f->n_docs; d++) {
		const struct pol_doc *doc = f->docs[d];

		for (size_t i = 0; i < doc->n_rules; i++) {
			const struct pol_rule *r = &doc->rules[i];

			if (r->dir != POLICY_DIR_INGRESS ||
			    !pol_selector_matches(&doc->specs[r->spec].subject, &me))
				continue;
			enforced = true;
			if (!peer_matches(r, &peer) || !port_matches(r, IPPROTO_TCP, port))
				continue;
			if (r->deny)
				return false;
			allowed = true;
		}
	}
	return !enforced || allowed;
}

static unsigned int next_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* One rule as a flow map: a peer (or none: any peer), ports (a range,
 * TCP or ANY) or none (L3). */
static void random_rule(char *buf, size_t len, unsigned int *seed)
{
	static const char *const peers[] = {
		"fromEndpoints: [{matchLabels: {app: a}}]",
		"fromEndpoints: [{matchLabels: {app: b}}]",
		"fromEndpoints: [{matchExpressions: [{key: app, operator: NotIn,"
		" values: [a]}]}]",
		"fromEntities: [all]",
		NULL,
	};
	const char *peer = peers[next_rand(seed) % 5];
	unsigned int lo = 1 + next_rand(seed) % 60;
	unsigned int span = next_rand(seed) % 3 ? 0 : next_rand(seed) % 20;
	char ports[160] = "";

	if (!peer || next_rand(seed) % 4)
		snprintf(ports, sizeof(ports), "toPorts: [{ports: [{port: \"%u\","
			 " endPort: %u, protocol: %s}]}]", lo, lo + span,
			 next_rand(seed) % 2 ? "TCP" : "ANY");
	snprintf(buf, len, "  - {%s%s%s}\n", peer ? peer : "",
		 peer && ports[0] ? ", " : "", ports);
}

START_TEST(random_against_rules)
{
	unsigned int seed = 4242;

	for (int round = 0; round < 200; round++) {
		struct fixture f = { 0 };
		char yaml[8192], rule[512];
		size_t n = 0;

		fx_ep(&f, "app=a", NULL);
		fx_ep(&f, "app=b", NULL);
		fx_ep(&f, "app=c", NULL);
		n += (size_t)snprintf(yaml, sizeof(yaml), CNP_HEAD("r")
				      "spec:\n  endpointSelector: {matchLabels: {app: c}}\n"
				      "  ingress:\n");
		for (int i = 0; i < 1 + round % 4; i++) {
			random_rule(rule, sizeof(rule), &seed);
			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%s", rule);
		}
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "  ingressDeny:\n");
		for (int i = 0; i < round % 3; i++) {
			random_rule(rule, sizeof(rule), &seed);
			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%s", rule);
		}
		if (round % 3 == 0)
			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "  - {}\n");
		fx_docs(&f, yaml);
		fx_compile_ok(&f);
		for (size_t from = 0; from < 2; from++) {
			for (uint16_t port = 1; port <= 82; port++) {
				bool want = oracle(&f, 2, from, port);
				enum ebpfnet_policy_verdict v = trace(&f, f.eps[from].labels,
								      f.eps[2].labels,
								      IPPROTO_TCP, port);

				ck_assert_msg((v == EBPFNET_POLICY_ALLOWED) == want,
					      "round %d from %zu port %u: trace %d, rules %d\n%s\n%s",
					      round, from, port, v, want, yaml, out);
			}
		}
		fx_free(&f);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_trace");
	TCase *tc = tcase_create("trace");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, allowed_exact_text);
	tcase_add_test(tc, denied_and_unenforced);
	tcase_add_test(tc, cidr_range_any_host);
	tcase_add_test(tc, egress_side);
	tcase_add_test(tc, errors_and_buffer);
	tcase_add_test(tc, random_against_rules);
	suite_add_tcase(s, tc);
	return test_run_suite(s, CK_NORMAL);
}
