/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Policy YAML (policy_yaml.c): both kinds with every supported field
 * (read back through the parsed model and the rule summaries), the
 * fixtures in tests/unit/policy/, each document's own text, and hostile
 * input: huge and deep documents, alias bombs, wrong types, unknown and
 * unsupported fields at every level, bad values — each an error naming
 * the line and the field path, and all-or-nothing over several documents.
 */
#include <check.h>

#include "check_run.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_model_internal.h"

#define NS_DEFAULT "k8s:io.kubernetes.pod.namespace=default"

static char err[512];

static struct pol_doc **parse_ok(const char *text, size_t want_docs)
{
	struct pol_doc **docs = NULL;
	size_t n = 0;
	int ret = pol_yaml_parse(text, strlen(text), &docs, &n, err, sizeof(err));

	ck_assert_msg(ret == 0, "parse: %d %s", ret, err);
	ck_assert_uint_eq(n, want_docs);
	return docs;
}

static void parse_fails(const char *text, size_t len, const char *want)
{
	struct pol_doc **docs = (struct pol_doc **)0x1;
	size_t n = 77;
	int ret = pol_yaml_parse(text, len, &docs, &n, err, sizeof(err));

	ck_assert_msg(ret == -EINVAL, "want -EINVAL (%s), got %d: %s", want, ret, err);
	ck_assert_msg(strstr(err, want), "want '%s' in '%s'", want, err);
	ck_assert_ptr_eq(docs, (struct pol_doc **)0x1); /* untouched */
	ck_assert_uint_eq(n, 77);
}

static void summary_is(const struct pol_doc *doc, uint32_t i, const char *want)
{
	char buf[512];

	ck_assert_int_eq(pol_doc_rule_info(doc, i, NULL, NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

static char *read_fixture(const char *name, size_t *len)
{
	const char *root = getenv("EBPFNET_SOURCE_ROOT");
	char path[1024];
	char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/policy/%s", root ? root : ".", name);
	f = fopen(path, "r");
	ck_assert_msg(f, "cannot open %s (EBPFNET_SOURCE_ROOT)", path);
	buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* ---- the fixtures ---------------------------------------------------------------- */

static void classic_check(const char *file, const char *kind)
{
	size_t len, n;
	char *text = read_fixture(file, &len);
	struct pol_doc **docs;
	enum ebpfnet_policy_dir dir;
	bool deny;

	ck_assert_int_eq(pol_yaml_parse(text, len, &docs, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(pol_doc_name(docs[0]), "default/frontend");
	ck_assert_str_eq(pol_doc_name(docs[1]), "default/backend");
	ck_assert_str_eq(pol_doc_name(docs[2]), "default/db");
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(pol_doc_kind(docs[i]), kind);
	ck_assert_uint_eq(pol_doc_rules(docs[0]), 1);
	ck_assert_uint_eq(pol_doc_rules(docs[1]), 2);
	ck_assert_uint_eq(pol_doc_rules(docs[2]), 1);
	summary_is(docs[0], 0, "allow egress to app=backend on TCP/80");
	summary_is(docs[1], 0, "allow ingress from app=frontend to TCP/80");
	summary_is(docs[1], 1, "allow egress to app=db on TCP/5432");
	summary_is(docs[2], 0, "allow ingress from app=backend to TCP/5432");
	ck_assert_int_eq(pol_doc_rule_info(docs[1], 1, &dir, &deny, NULL, 0), 0);
	ck_assert_int_eq(dir, EBPFNET_POLICY_EGRESS);
	ck_assert(!deny);
	ck_assert_int_eq(pol_doc_rule_info(docs[1], 2, &dir, &deny, NULL, 0), -EINVAL);
	ck_assert(pol_doc_selects(docs[1], "app=backend," NS_DEFAULT));
	ck_assert(!pol_doc_selects(docs[1], "app=frontend," NS_DEFAULT));
	ck_assert(!pol_doc_selects(docs[1],
				   "app=backend,k8s:io.kubernetes.pod.namespace=prod"));
	/* each document's own text parses back to itself */
	for (size_t i = 0; i < n; i++) {
		size_t tlen;
		const char *t = pol_doc_text(docs[i], &tlen);
		struct pol_doc **again;
		size_t m;

		ck_assert_uint_eq(strlen(t), tlen);
		ck_assert_ptr_nonnull(strstr(text, t));
		ck_assert_int_eq(pol_yaml_parse(t, tlen, &again, &m, err, sizeof(err)), 0);
		ck_assert_uint_eq(m, 1);
		ck_assert_str_eq(pol_doc_name(again[0]), pol_doc_name(docs[i]));
		ck_assert_uint_eq(pol_doc_rules(again[0]), pol_doc_rules(docs[i]));
		pol_docs_free(again, m);
	}
	ck_assert_ptr_nonnull(strstr(pol_doc_text(docs[2], NULL), "name: db"));
	ck_assert_ptr_null(strstr(pol_doc_text(docs[2], NULL), "name: backend"));
	pol_doc_set_first_rule(docs[1], 7);
	ck_assert_uint_eq(pol_doc_first_rule(docs[1]), 7);
	pol_docs_free(docs, n);
	free(text);
}

START_TEST(fixture_cnp)
{
	classic_check("classic_cnp.yaml", "CiliumNetworkPolicy");
}
END_TEST

START_TEST(fixture_k8s)
{
	classic_check("classic_k8s.yaml", "NetworkPolicy");
}
END_TEST

START_TEST(fixture_all_fields)
{
	size_t len, n;
	char *text = read_fixture("cnp_all_fields.yaml", &len);
	struct pol_doc **docs;
	const struct pol_doc *d;
	const struct pol_rule *r;

	ck_assert_msg(pol_yaml_parse(text, len, &docs, &n, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(n, 2);
	d = docs[0];
	ck_assert_str_eq(pol_doc_name(d), "shop/everything");
	ck_assert_uint_eq(d->n_specs, 1);
	ck_assert_uint_eq(pol_doc_rules(d), 6);
	summary_is(d, 0, "allow ingress from app=web; k8s:role notin (admin|root),"
			 "tier,!debug; 10.0.0.0/8; 192.168.0.0/16 except "
			 "192.168.1.0/24,192.168.2.0/24; entity:world; entity:host; "
			 "entity:cluster to TCP/80,UDP/53,SCTP/9000-9010,ANY/8080,TCP");
	summary_is(d, 1, "allow ingress from any peer to ANY/443");
	summary_is(d, 2, "allow egress to io.kubernetes.pod.namespace=kube-system; "
			 "fd00::/64; 2001:db8::/32 except 2001:db8:1::/48; entity:all "
			 "on any port");
	summary_is(d, 3, "allow egress: selects nothing (default deny)");
	summary_is(d, 4, "deny ingress from 10.1.0.0/16 to any port");
	summary_is(d, 5, "deny egress to entity:world on TCP/25");
	/* the subject: its own requirements, then the namespace */
	ck_assert_uint_eq(d->specs[0].subject.n_user, 2);
	ck_assert_uint_eq(d->specs[0].subject.n_reqs, 3);
	ck_assert_str_eq(d->specs[0].subject.reqs[2].values[0], "shop");
	ck_assert(d->specs[0].enforce[0] && d->specs[0].enforce[1]);
	ck_assert(pol_doc_selects(d, "app=store,env=prod,k8s:io.kubernetes.pod.namespace=shop"));
	ck_assert(!pol_doc_selects(d, "app=store,env=dev,k8s:io.kubernetes.pod.namespace=shop"));
	ck_assert(!pol_doc_selects(d, "app=store,env=prod"));
	/* peers: fromEndpoints restricted to the namespace unless named */
	r = &d->rules[0];
	ck_assert_uint_eq(r->n_peers, 7);
	ck_assert(!r->any_peer);
	ck_assert_int_eq(r->peers[0].kind, POL_PEER_ENDPOINTS);
	ck_assert_uint_eq(r->peers[0].sel.n_reqs, 2);
	ck_assert_str_eq(r->peers[0].sel.reqs[1].key, POL_NAMESPACE_KEY);
	ck_assert_str_eq(r->peers[0].sel.reqs[1].values[0], "shop");
	ck_assert_uint_eq(r->peers[1].sel.n_reqs, 4);
	ck_assert_int_eq(r->peers[2].kind, POL_PEER_CIDR);
	ck_assert_uint_eq(r->peers[2].cidr.plen, 8);
	ck_assert_uint_eq(r->peers[3].n_except, 2);
	ck_assert_int_eq(r->peers[4].entity, POL_ENTITY_WORLD);
	ck_assert_int_eq(r->peers[6].entity, POL_ENTITY_CLUSTER);
	ck_assert_uint_eq(r->n_ports, 5);
	ck_assert_uint_eq(r->ports[2].proto, IPPROTO_SCTP);
	ck_assert_uint_eq(r->ports[2].first, 9000);
	ck_assert_uint_eq(r->ports[2].last, 9010);
	ck_assert_uint_eq(r->ports[3].proto, POL_PROTO_ANY);
	ck_assert_uint_eq(r->ports[4].first, 0);
	ck_assert(d->rules[1].any_peer);
	r = &d->rules[2];
	ck_assert_uint_eq(r->peers[0].sel.n_reqs, 1); /* names the namespace */
	ck_assert_int_eq(r->peers[1].cidr.family, AF_INET6);
	ck_assert(!d->rules[3].any_peer && !d->rules[3].n_peers);
	ck_assert(d->rules[4].deny && d->rules[5].deny);
	/* specs: a list, each with its selector */
	d = docs[1];
	ck_assert_str_eq(pol_doc_name(d), "default/two-specs");
	ck_assert_uint_eq(d->n_specs, 3);
	ck_assert_uint_eq(pol_doc_rules(d), 3);
	ck_assert_uint_eq(d->rules[0].spec, 0);
	ck_assert_uint_eq(d->rules[1].spec, 1);
	ck_assert_uint_eq(d->rules[2].spec, 2);
	ck_assert(d->specs[0].enforce[0] && !d->specs[0].enforce[1]);
	ck_assert(!d->specs[1].enforce[0] && d->specs[1].enforce[1]);
	ck_assert(pol_doc_selects(d, "app=a," NS_DEFAULT));
	ck_assert(pol_doc_selects(d, "app=b," NS_DEFAULT));
	ck_assert(!pol_doc_selects(d, "app=c," NS_DEFAULT));
	pol_docs_free(docs, n);
	free(text);
}
END_TEST

START_TEST(fixture_k8s_fields)
{
	size_t len, n;
	char *text = read_fixture("k8s_all_fields.yaml", &len);
	struct pol_doc **docs;
	const struct pol_doc *d;

	ck_assert_msg(pol_yaml_parse(text, len, &docs, &n, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(n, 4);
	d = docs[0];
	ck_assert_str_eq(pol_doc_name(d), "prod/api");
	ck_assert_uint_eq(pol_doc_rules(d), 3);
	summary_is(d, 0, "allow ingress from role=client; "
			 "k8s:io.kubernetes.pod.namespace in (prod|staging); "
			 "app=mon,k8s:io.kubernetes.pod.namespace=monitoring; "
			 "k8s:io.kubernetes.pod.namespace; "
			 "172.16.0.0/12 except 172.16.5.0/24 to TCP/443,UDP/5000-5100,SCTP");
	summary_is(d, 1, "allow ingress from any peer to any port");
	summary_is(d, 2, "allow egress to any peer on TCP/53,UDP/53");
	ck_assert(d->specs[0].enforce[0] && d->specs[0].enforce[1]);
	ck_assert(d->rules[0].peers[0].sel.n_reqs == 2); /* + the namespace */
	ck_assert(d->rules[0].peers[1].sel.n_reqs == 1); /* namespaces only */
	ck_assert(pol_doc_selects(d, "k8s:io.kubernetes.pod.namespace=prod"));
	ck_assert(!pol_doc_selects(d, NS_DEFAULT));
	/* policyTypes absent, no egress: Ingress only; ingress: [] denies all */
	d = docs[1];
	ck_assert_uint_eq(pol_doc_rules(d), 0);
	ck_assert(d->specs[0].enforce[0] && !d->specs[0].enforce[1]);
	/* policyTypes [Ingress] with egress rules: those are inactive */
	d = docs[2];
	ck_assert(d->specs[0].enforce[0] && !d->specs[0].enforce[1]);
	ck_assert(!d->rules[0].active);
	summary_is(d, 0, "allow egress to any peer on any port "
			 "(inactive: not in policyTypes)");
	/* policyTypes absent with egress: both */
	d = docs[3];
	ck_assert(d->specs[0].enforce[0] && d->specs[0].enforce[1]);
	ck_assert(d->rules[0].active);
	pol_docs_free(docs, n);
	free(text);
}
END_TEST

/* ---- inline documents ---------------------------------------------------------------- */

#define CNP_HEAD "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n" \
		 "metadata:\n  name: p\n"
#define K8S_HEAD "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" \
		 "metadata:\n  name: p\n"

START_TEST(empty_rule_and_documents)
{
	struct pol_doc **docs = parse_ok(
		"# comment only document\n---\n---\n" CNP_HEAD
		"spec:\n  endpointSelector: {}\n  ingress:\n  - {}\n"
		"---\n...\n", 1);

	ck_assert_uint_eq(pol_doc_rules(docs[0]), 1);
	ck_assert(docs[0]->specs[0].enforce[0]);
	ck_assert(!docs[0]->specs[0].enforce[1]);
	summary_is(docs[0], 0, "allow ingress: selects nothing (default deny)");
	/* {} still names the namespace */
	ck_assert(pol_doc_selects(docs[0], "x=y," NS_DEFAULT));
	ck_assert(!pol_doc_selects(docs[0], "k8s:io.kubernetes.pod.namespace=other"));
	pol_docs_free(docs, 1);

	/* ingress: [] is no rule: nothing enforced */
	docs = parse_ok(CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress: []\n", 1);
	ck_assert(!docs[0]->specs[0].enforce[0]);
	pol_docs_free(docs, 1);
	/* a null value is as absent */
	docs = parse_ok(CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n", 1);
	ck_assert(!docs[0]->specs[0].enforce[0]);
	pol_docs_free(docs, 1);
	/* fromEndpoints: [] selects no peer, even with ports */
	docs = parse_ok(CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n"
			"  - fromEndpoints: []\n    toPorts: [{ports: [{port: 80}]}]\n", 1);
	ck_assert(!docs[0]->rules[0].any_peer && !docs[0]->rules[0].n_peers);
	pol_docs_free(docs, 1);
	/* a quoted or tagged string where a number could be read */
	docs = parse_ok(CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels:\n"
			"      version: \"1\"\n      flag: !!str yes\n", 1);
	ck_assert_str_eq(docs[0]->specs[0].subject.reqs[0].values[0], "1");
	ck_assert_str_eq(docs[0]->specs[0].subject.reqs[1].values[0], "yes");
	pol_docs_free(docs, 1);
}
END_TEST

/* Errors: the input and a part of the message (line and path). */
static const struct {
	const char *yaml;
	const char *want;
} bad_docs[] = {
	/* kinds and metadata */
	{ "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n",
	  "line 2: kind: 'Pod': expected CiliumNetworkPolicy or NetworkPolicy" },
	{ "apiVersion: cilium.io/v1\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\n"
	  "spec: {endpointSelector: {}}\n",
	  "line 1: apiVersion: 'cilium.io/v1': CiliumNetworkPolicy is cilium.io/v2" },
	{ "apiVersion: cilium.io/v2\nkind: NetworkPolicy\nmetadata: {name: p}\n"
	  "spec: {podSelector: {}}\n",
	  "line 1: apiVersion: 'cilium.io/v2': NetworkPolicy is networking.k8s.io/v1" },
	{ "kind: NetworkPolicy\nmetadata: {name: p}\n", "line 1: apiVersion: required" },
	{ "apiVersion: networking.k8s.io/v1\nmetadata: {name: p}\n", "line 1: kind: required" },
	{ "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec: {podSelector: {}}\n",
	  "line 1: metadata: required" },
	{ "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  namespace: x\n"
	  "spec: {podSelector: {}}\n", "line 4: metadata.name: required" },
	{ "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: 123\n",
	  "line 4: metadata.name: expected a string, not a number or boolean (quote it)" },
	{ "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Bad_Name\n",
	  "line 4: metadata.name: 'Bad_Name' is not a name" },
	{ "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n"
	  "  namespace: a.b\n", "line 5: metadata.namespace: 'a.b' is not a namespace" },
	{ "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n"
	  "  uid: x\n", "line 5: metadata.uid: unknown field" },
	{ K8S_HEAD "status: {}\n", "line 5: status: unknown field" },
	{ K8S_HEAD "specs: []\n", "line 5: specs: unknown field" },
	{ K8S_HEAD, "line 1: spec: required" },
	{ K8S_HEAD "spec: {}\n", "line 5: spec.podSelector: required" },
	{ CNP_HEAD "spec: {}\n", "line 5: spec.endpointSelector: required" },
	/* wrong types */
	{ CNP_HEAD "spec:\n- endpointSelector: {}\n", "line 6: spec: expected a map, not a list" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress: {}\n",
	  "line 7: spec.ingress: expected a list, not a map" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  -\n",
	  "spec.ingress[0]: expected a map, not null" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEndpoints: x\n",
	  "line 8: spec.ingress[0].fromEndpoints: expected a list, not a string" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels:\n      app: 1\n",
	  "line 8: spec.endpointSelector.matchLabels.app: expected a string, not a number" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels:\n      app: true\n",
	  "line 8: spec.endpointSelector.matchLabels.app: expected a string" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels:\n      app: [a]\n",
	  "line 8: spec.endpointSelector.matchLabels.app: expected a string, not a list" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels: [app]\n",
	  "line 7: spec.endpointSelector.matchLabels: expected a map, not a list" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels:\n      \"bad key\": x\n",
	  "spec.endpointSelector.matchLabels.bad key: 'bad key' is not a label key" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchLabels:\n      app: \"a b\"\n",
	  "line 8: spec.endpointSelector.matchLabels.app: 'a b': a label value" },
	{ "- a\n- b\n", "line 1: expected a map (a policy), not a list" },
	{ "just a string\n", "line 1: expected a map (a policy), not a string" },
	{ "? [a]\n: b\n", "line 1: a key must be a plain string" },
	/* unknown fields at every level */
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  bogus: 1\n",
	  "line 7: spec.bogus: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector: {matchLabel: {a: b}}\n",
	  "line 6: spec.endpointSelector.matchLabel: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchExpressions:\n"
	  "    - {key: a, operator: Exists, value: [x]}\n",
	  "line 8: spec.endpointSelector.matchExpressions[0].value: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEndpoint: []\n",
	  "line 8: spec.ingress[0].fromEndpoint: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  egress:\n  - fromEndpoints: []\n",
	  "line 8: spec.egress[0].fromEndpoints: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports: [{port: 80}]\n      port: 80\n",
	  "line 10: spec.ingress[0].toPorts[0].port: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - {port: 80, proto: TCP}\n",
	  "line 10: spec.ingress[0].toPorts[0].ports[0].proto: unknown field" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDRSet:\n"
	  "    - {cidr: 10.0.0.0/8, exept: []}\n",
	  "line 9: spec.ingress[0].fromCIDRSet[0].exept: unknown field" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - pod: {}\n",
	  "line 9: spec.ingress[0].from[0].pod: unknown field" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - from:\n"
	  "    - ipBlock: {cidr: 10.0.0.0/8, extra: 1}\n",
	  "line 9: spec.ingress[0].from[0].ipBlock.extra: unknown field" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - to: []\n",
	  "line 8: spec.ingress[0].to: unknown field" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, name: x}\n",
	  "line 9: spec.ingress[0].ports[0].name: unknown field" },
	/* not supported */
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - port: \"80\"\n      rules:\n        http: []\n",
	  "line 11: spec.ingress[0].toPorts[0].rules: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  egress:\n  - toFQDNs:\n"
	  "    - matchName: example.com\n",
	  "line 8: spec.egress[0].toFQDNs: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  egress:\n  - toServices: []\n",
	  "line 8: spec.egress[0].toServices: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - icmps: []\n",
	  "line 8: spec.ingress[0].icmps: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromRequires: []\n",
	  "line 8: spec.ingress[0].fromRequires: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  egress:\n  - toRequires: []\n",
	  "line 8: spec.egress[0].toRequires: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - authentication: {}\n",
	  "line 8: spec.ingress[0].authentication: not supported" },
	{ CNP_HEAD "spec:\n  nodeSelector: {}\n", "line 6: spec.nodeSelector: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n",
	  "line 7: spec.enableDefaultDeny: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities: [remote-node]\n",
	  "line 8: spec.ingress[0].fromEntities[0]: entity 'remote-node' is not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities: [everyone]\n",
	  "line 8: spec.ingress[0].fromEntities[0]: unknown entity 'everyone'" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDRSet:\n"
	  "    - cidrGroupRef: x\n",
	  "line 9: spec.ingress[0].fromCIDRSet[0].cidrGroupRef: not supported" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - port: http\n",
	  "line 10: spec.ingress[0].toPorts[0].ports[0].port: named ports ('http') are not supported" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: http\n",
	  "line 9: spec.ingress[0].ports[0].port: named ports ('http') are not supported" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n"
	  "        matchLabels: {team: a}\n",
	  "line 10: spec.ingress[0].from[0].namespaceSelector.matchLabels: not supported" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n"
	  "        matchExpressions:\n        - {key: kubernetes.io/metadata.name, "
	  "operator: NotIn, values: [a]}\n",
	  "spec.ingress[0].from[0].namespaceSelector.matchExpressions: not supported" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n"
	  "      ipBlock: {cidr: 10.0.0.0/8}\n",
	  "line 10: spec.ingress[0].from[0].ipBlock: cannot be combined with a selector" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - {}\n",
	  "line 9: spec.ingress[0].from[0]: expected podSelector, namespaceSelector or ipBlock" },
	/* values */
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDR: [10.0.0.0/33]\n",
	  "line 8: spec.ingress[0].fromCIDR[0]: '10.0.0.0/33' is not a CIDR" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDR: [10.0.0/8]\n",
	  "line 8: spec.ingress[0].fromCIDR[0]: '10.0.0/8' is not a CIDR" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDR: [\"10.0.0.0/\"]\n",
	  "'10.0.0.0/' is not a CIDR" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDRSet:\n"
	  "    - {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}\n",
	  "line 9: spec.ingress[0].fromCIDRSet[0].except[0]: '11.0.0.0/16' is not inside the cidr" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDRSet:\n"
	  "    - {except: [11.0.0.0/16]}\n",
	  "line 9: spec.ingress[0].fromCIDRSet[0].cidr: required" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - port: 0\n",
	  "line 10: spec.ingress[0].toPorts[0].ports[0].port: 0 is not a port (1-65535)" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - port: \"65536\"\n",
	  "line 10: spec.ingress[0].toPorts[0].ports[0].port: 65536 is not a port (1-65535)" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - port: -1\n",
	  "'-1' is not a port" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - {port: 80, endPort: 79}\n",
	  "line 10: spec.ingress[0].toPorts[0].ports[0].endPort: 79 is less than port 80" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - {endPort: 90}\n",
	  "line 9: spec.ingress[0].ports[0].endPort: needs a port" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, endPort: \"90\"}\n",
	  "line 9: spec.ingress[0].ports[0].endPort: expected a number" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
	  "    - ports:\n      - {port: 80, protocol: ICMP}\n",
	  "line 10: spec.ingress[0].toPorts[0].ports[0].protocol: 'ICMP': expected TCP, UDP, SCTP or ANY" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: ANY}\n",
	  "line 9: spec.ingress[0].ports[0].protocol: 'ANY': expected TCP, UDP or SCTP" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n    - {}\n",
	  "line 9: spec.ingress[0].toPorts[0].ports: required" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchExpressions:\n"
	  "    - {key: a, operator: Like, values: [x]}\n",
	  "line 8: spec.endpointSelector.matchExpressions[0].operator: 'Like': expected In" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchExpressions:\n"
	  "    - {key: a, operator: In}\n",
	  "spec.endpointSelector.matchExpressions[0].values: required (not empty) for In" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchExpressions:\n"
	  "    - {key: a, operator: In, values: []}\n",
	  "spec.endpointSelector.matchExpressions[0].values: required (not empty) for In" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchExpressions:\n"
	  "    - {key: a, operator: Exists, values: [x]}\n",
	  "line 8: spec.endpointSelector.matchExpressions[0].values: must be empty for Exists" },
	{ CNP_HEAD "spec:\n  endpointSelector:\n    matchExpressions:\n    - {operator: Exists}\n",
	  "line 8: spec.endpointSelector.matchExpressions[0].key: required" },
	{ K8S_HEAD "spec:\n  podSelector: {}\n  policyTypes: [Ingress, Sideways]\n",
	  "line 7: spec.policyTypes[1]: 'Sideways': expected Ingress or Egress" },
	{ CNP_HEAD "spec:\n  endpointSelector: {}\n  endpointSelector: {}\n",
	  "line 7: spec.endpointSelector: duplicate key" },
	/* YAML itself */
	{ CNP_HEAD "spec: [\n", "line 6: " },
	{ CNP_HEAD "spec: &s {endpointSelector: {}}\n", "line 5: anchors (&s) are not supported" },
	{ "a: &x [1]\nb: *x\n", "line 1: anchors (&x) are not supported" },
	{ "b: *x\n", "line 1:" },
	{ "", "line 1: no policy document" },
	{ "---\n...\n---\n", "line 1: no policy document" },
	{ "# nothing\n", "line 1: no policy document" },
	/* several documents, the second bad: nothing at all */
	{ CNP_HEAD "spec: {endpointSelector: {}}\n---\n" CNP_HEAD "spec: {endpointSelector: 1}\n",
	  "line 11: spec.endpointSelector: expected a map, not a number or boolean" },
};

START_TEST(bad_document)
{
	parse_fails(bad_docs[_i].yaml, strlen(bad_docs[_i].yaml), bad_docs[_i].want);
}
END_TEST

/* ---- hostile input -------------------------------------------------------------------- */

START_TEST(huge_input)
{
	size_t len = 2u << 20;
	char *text = malloc(len + 1);

	static const char head[] = CNP_HEAD "spec: {endpointSelector: {}}\n#";

	memset(text, '#', len);
	memcpy(text, head, sizeof(head) - 1);
	text[len] = '\0';
	parse_fails(text, len, "line 1: 2097152 bytes of YAML, more than 1048576");
	free(text);
}
END_TEST

START_TEST(document_too_big_to_store)
{
	size_t len = POLICY_DOC_MAX + 200, n;
	char *text = malloc(len + 1);

	n = (size_t)sprintf(text, CNP_HEAD "spec:\n  endpointSelector: {}\n  description: ");
	memset(text + n, 'x', len - n - 1);
	text[len - 1] = '\n';
	text[len] = '\0';
	parse_fails(text, len, "more than a stored policy holds");
	free(text);
}
END_TEST

START_TEST(deep_nesting)
{
	size_t depth = 1000, n = 0;
	char *text = malloc(3 * depth + 64);

	n += (size_t)sprintf(text, "a: ");
	for (size_t i = 0; i < depth; i++)
		text[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		text[n++] = ']';
	text[n++] = '\n';
	text[n] = '\0';
	parse_fails(text, n, "line 1: nesting deeper than 32 levels");
	/* block style, one level per line */
	n = 0;
	for (size_t i = 0; i < 40; i++)
		n += (size_t)sprintf(text + n, "%*sk%zu:\n", (int)(2 * i), "", i);
	parse_fails(text, n, "line 33: nesting deeper than 32 levels");
	free(text);
}
END_TEST

START_TEST(alias_bomb)
{
	static const char bomb[] =
		"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";

	parse_fails(bomb, strlen(bomb), "line 1: anchors (&a) are not supported");
	/* an alias without its anchor (another document's) */
	parse_fails(CNP_HEAD "spec:\n  endpointSelector: *sel\n",
		    strlen(CNP_HEAD "spec:\n  endpointSelector: *sel\n"), "line 6:");
}
END_TEST

static char *many_items(const char *head, const char *item, size_t count)
{
	size_t n = strlen(head), ilen = strlen(item);
	char *text = malloc(n + count * ilen + 1);

	memcpy(text, head, n);
	for (size_t i = 0; i < count; i++, n += ilen)
		memcpy(text + n, item, ilen);
	text[n] = '\0';
	return text;
}

START_TEST(too_many)
{
	char *t;

	t = many_items(CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n", "  - {}\n", 1025);
	parse_fails(t, strlen(t), "line 8: spec.ingress: 1025 items, more than 1024");
	free(t);
	t = many_items(CNP_HEAD "spec:\n  endpointSelector: {}\n  egress:\n", "  - {}\n", 600);
	/* 600 + 600 > 1024 over two lists */
	{
		size_t n = strlen(t);
		char *u = many_items("  ingress:\n", "  - {}\n", 600);
		char *both = malloc(n + strlen(u) + 1);

		memcpy(both, t, n);
		strcpy(both + n, u);
		parse_fails(both, strlen(both), "line 6: spec: more than 1024 rules in one policy");
		free(u);
		free(both);
	}
	free(t);
	t = many_items(CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDR:\n",
		       "    - 10.0.0.0/8\n", 257);
	parse_fails(t, strlen(t), "line 9: spec.ingress[0].fromCIDR: 257 items, more than 256");
	free(t);
	t = many_items(CNP_HEAD "spec:\n  endpointSelector: {}\n  ingress:\n  - fromCIDR:\n",
		       "    - 10.0.0.0/8\n", 200);
	{
		char *u = many_items("    fromEntities:\n", "    - world\n", 100);
		char *both = malloc(strlen(t) + strlen(u) + 1);

		strcpy(both, t);
		strcat(both, u);
		parse_fails(both, strlen(both), "line 8: spec.ingress[0]: more than 256 peers in one rule");
		free(u);
		free(both);
	}
	free(t);
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = CNP_HEAD "spec: {endpointSelector: {}}\n\0x: y\n";
	struct pol_doc **docs;
	size_t n;

	ck_assert_int_eq(pol_yaml_parse(text, sizeof(text) - 1, &docs, &n, err,
					sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "line 6:"), "%s", err);
}
END_TEST

START_TEST(arguments)
{
	struct pol_doc **docs;
	size_t n;

	ck_assert_int_eq(pol_yaml_parse(NULL, 0, &docs, &n, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pol_yaml_parse("a: b", 4, NULL, &n, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pol_yaml_parse("a: b", 4, &docs, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pol_yaml_parse("a: b", 4, &docs, &n, NULL, 10), -EINVAL);
	/* no err buffer at all is fine */
	ck_assert_int_eq(pol_yaml_parse("a: b", 4, &docs, &n, NULL, 0), -EINVAL);
	pol_docs_free(NULL, 0);
	ck_assert_ptr_null(pol_doc_name(NULL));
	ck_assert_uint_eq(pol_doc_rules(NULL), 0);
	ck_assert(!pol_doc_selects(NULL, "a=b"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_yaml");
	TCase *tc = tcase_create("yaml");

	tcase_add_test(tc, fixture_cnp);
	tcase_add_test(tc, fixture_k8s);
	tcase_add_test(tc, fixture_all_fields);
	tcase_add_test(tc, fixture_k8s_fields);
	tcase_add_test(tc, empty_rule_and_documents);
	tcase_add_loop_test(tc, bad_document, 0,
			    (int)(sizeof(bad_docs) / sizeof(bad_docs[0])));
	tcase_add_test(tc, huge_input);
	tcase_add_test(tc, document_too_big_to_store);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, alias_bomb);
	tcase_add_test(tc, too_many);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, arguments);
	suite_add_tcase(s, tc);
	return test_run_suite(s, CK_NORMAL);
}
