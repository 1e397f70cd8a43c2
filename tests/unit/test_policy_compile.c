/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Compilation (policy_compile.c) against golden tables: the exact
 * entries (keys and values), enforcement, lens, ipcache and identities
 * for small inputs. The classic three tiers as CiliumNetworkPolicy and as
 * NetworkPolicy give identical output; deny beats allow in every shape;
 * port ranges become the fewest prefixes; default deny starts exactly
 * when Cilium / Kubernetes say; CIDRs with exceptions, entities,
 * namespaces, identity collisions, determinism, -ENOSPC, bad input; and
 * 1,000 endpoints x 100 rules compiled (its time printed, not asserted).
 */
#include <check.h>

#include "check_run.h"
#include "speed.h"
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy_fixture.h"

#define W(...) ((struct want_entry){ __VA_ARGS__ })
#define CNP_HEAD(name) "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n" \
		       "metadata:\n  name: " name "\n"

static char *read_fixture(const char *name)
{
	const char *root = getenv("EBPFNET_SOURCE_ROOT");
	char path[1024];
	char *buf = calloc(1, 1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/policy/%s", root ? root : ".", name);
	f = fopen(path, "r");
	ck_assert_msg(f, "cannot open %s", path);
	ck_assert_uint_gt(fread(buf, 1, (1 << 16) - 1, f), 0);
	fclose(f);
	return buf;
}

static void classic(struct fixture *f, const char *file)
{
	char *yaml = read_fixture(file);

	memset(f, 0, sizeof(*f));
	fx_ep(f, "app=frontend", "10.0.0.1");
	fx_ep(f, "app=backend", "10.0.0.2,fd00::2");
	fx_ep(f, "app=db", "10.0.0.3");
	fx_ep(f, "app=other", "10.0.0.4");
	fx_addr("192.168.1.1", &f->host[0]);
	f->n_host = 1;
	fx_docs(f, yaml);
	free(yaml);
	fx_compile_ok(f);
}

START_TEST(classic_golden)
{
	static const struct want_entry want[] = {
		{ 1, EG, ID_BACKEND, TCP, 16, 80, 1, 0 },
		{ 2, IN, ID_FRONTEND, TCP, 16, 80, 2, 0 },
		{ 2, EG, ID_DB, TCP, 16, 5432, 3, 0 },
		{ 3, IN, ID_BACKEND, TCP, 16, 5432, 4, 0 },
	};
	struct fixture f;
	const struct pol_compiled *c = &f.c;

	classic(&f, "classic_cnp.yaml");
	fx_entries_are(&f, want, 4);
	ck_assert_uint_eq(c->n_endpoints, 4);
	ck_assert_uint_eq(c->endpoints[0].identity, ID_FRONTEND);
	ck_assert_uint_eq(c->endpoints[1].identity, ID_BACKEND);
	ck_assert_uint_eq(c->endpoints[2].identity, ID_DB);
	ck_assert_uint_eq(c->endpoints[0].enforce, POLICY_ENFORCE_EGRESS);
	ck_assert_uint_eq(c->endpoints[1].enforce,
			  POLICY_ENFORCE_INGRESS | POLICY_ENFORCE_EGRESS);
	ck_assert_uint_eq(c->endpoints[2].enforce, POLICY_ENFORCE_INGRESS);
	ck_assert_uint_eq(c->endpoints[3].enforce, 0);
	ck_assert_uint_eq(c->endpoints[0].lens[EG][0], 1u << 16);
	ck_assert_uint_eq(c->endpoints[0].lens[EG][1], 0);
	ck_assert_uint_eq(c->endpoints[0].lens[IN][0], 0);
	ck_assert_uint_eq(c->endpoints[1].lens[IN][0], 1u << 16);
	ck_assert_uint_eq(c->endpoints[1].first_entry, 1);
	ck_assert_uint_eq(c->endpoints[1].n_entries, 2);
	ck_assert_uint_eq(c->endpoints[3].n_entries, 0);
	ck_assert_uint_eq(c->endpoints[1].ep_id, 2);
	/* identities: reserved, then the label sets, by number */
	ck_assert_uint_eq(c->n_identities, 6);
	ck_assert_uint_eq(c->identities[0].identity, 1);
	ck_assert_str_eq(c->identities[0].labels, "reserved:host");
	ck_assert_uint_eq(c->identities[1].identity, 2);
	ck_assert_str_eq(c->identities[1].labels, "reserved:world");
	ck_assert_uint_eq(c->identities[2].identity, ID_BACKEND);
	ck_assert_str_eq(c->identities[2].labels, "app=backend," NS_DEFAULT);
	for (size_t i = 1; i < c->n_identities; i++)
		ck_assert_uint_lt(c->identities[i - 1].identity, c->identities[i].identity);
	/* ipcache: 0/0, the endpoints' /32, the host, ::/0, fd00::2/128 */
	ck_assert_uint_eq(c->n_ipcache, 8);
	ck_assert_uint_eq(c->ipcache[0].family, AF_INET);
	ck_assert_uint_eq(c->ipcache[0].prefixlen, 0);
	ck_assert_uint_eq(c->ipcache[0].identity, POLICY_ID_WORLD);
	ck_assert_uint_eq(c->ipcache[1].prefixlen, 32);
	ck_assert_uint_eq(c->ipcache[1].addr[3], 1);
	ck_assert_uint_eq(c->ipcache[1].identity, ID_FRONTEND);
	ck_assert_uint_eq(c->ipcache[5].addr[0], 192);
	ck_assert_uint_eq(c->ipcache[5].identity, POLICY_ID_HOST);
	ck_assert_uint_eq(c->ipcache[6].family, AF_INET6);
	ck_assert_uint_eq(c->ipcache[6].prefixlen, 0);
	ck_assert_uint_eq(c->ipcache[6].identity, POLICY_ID_WORLD);
	ck_assert_uint_eq(c->ipcache[7].prefixlen, 128);
	ck_assert_uint_eq(c->ipcache[7].identity, ID_BACKEND);
	fx_free(&f);
}
END_TEST

START_TEST(classic_cnp_equals_k8s)
{
	struct fixture a, b;

	classic(&a, "classic_cnp.yaml");
	classic(&b, "classic_k8s.yaml");
	ck_assert_uint_eq(a.c.n_endpoints, b.c.n_endpoints);
	ck_assert_uint_eq(a.c.n_entries, b.c.n_entries);
	ck_assert_uint_eq(a.c.n_ipcache, b.c.n_ipcache);
	ck_assert_uint_eq(a.c.n_identities, b.c.n_identities);
	ck_assert(!memcmp(a.c.endpoints, b.c.endpoints,
			  a.c.n_endpoints * sizeof(*a.c.endpoints)));
	ck_assert(!memcmp(a.c.entries, b.c.entries, a.c.n_entries * sizeof(*a.c.entries)));
	ck_assert(!memcmp(a.c.ipcache, b.c.ipcache, a.c.n_ipcache * sizeof(*a.c.ipcache)));
	ck_assert(!memcmp(a.c.identities, b.c.identities,
			  a.c.n_identities * sizeof(*a.c.identities)));
	fx_free(&a);
	fx_free(&b);
}
END_TEST

/* backend (ep 1) with rules from frontend (ep 2) */
static void two_tiers(struct fixture *f, const char *spec)
{
	char yaml[4096];

	memset(f, 0, sizeof(*f));
	fx_ep(f, "app=backend", "10.0.0.2");
	fx_ep(f, "app=frontend", "10.0.0.1");
	snprintf(yaml, sizeof(yaml), CNP_HEAD("p") "spec:\n  endpointSelector:\n"
		 "    matchLabels: {app: backend}\n%s", spec);
	fx_docs(f, yaml);
	fx_compile_ok(f);
}

#define FROM_FE "    fromEndpoints: [{matchLabels: {app: frontend}}]\n"

START_TEST(deny_broader_than_allow)
{
	struct fixture f;

	/* allow TCP/80 from frontend, deny everything from frontend */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
		      FROM_FE "  ingressDeny:\n  - fromEndpoints: [{matchLabels: {app: frontend}}]\n");
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, ID_FRONTEND, 0, L3, 0, 2, 1 },
		{ 1, IN, ID_FRONTEND, TCP, 16, 80, 2, 1 }, /* the deny, written in */
	}, 2);
	ck_assert_uint_eq(f.c.endpoints[0].lens[IN][0], (1u << 16) | (1u << L3));
	fx_free(&f);

	/* allow 81 and 90, deny 80-83: 81 becomes deny, 90 stays */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"81\", protocol: TCP},"
		      " {port: \"90\", protocol: TCP}]}]\n" FROM_FE
		      "  ingressDeny:\n  - toPorts: [{ports: [{port: \"80\", endPort: 83,"
		      " protocol: TCP}]}]\n" FROM_FE);
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, ID_FRONTEND, TCP, 14, 80, 2, 1 },
		{ 1, IN, ID_FRONTEND, TCP, 16, 81, 2, 1 },
		{ 1, IN, ID_FRONTEND, TCP, 16, 90, 1, 0 },
	}, 3);
	fx_free(&f);

	/* a narrower deny stays narrower: allow all from frontend, deny 22 */
	two_tiers(&f, "  ingress:\n  - fromEndpoints: [{matchLabels: {app: frontend}}]\n"
		      "  ingressDeny:\n  - toPorts: [{ports: [{port: \"22\", protocol: TCP}]}]\n"
		      FROM_FE);
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, ID_FRONTEND, 0, L3, 0, 1, 0 },
		{ 1, IN, ID_FRONTEND, TCP, 16, 22, 2, 1 },
	}, 2);
	fx_free(&f);
}
END_TEST

START_TEST(deny_same_key_and_lowest_rule)
{
	struct fixture f;

	/* the same key allowed by rules 1 and 3, denied by 2: deny 2 */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
		      FROM_FE "  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n" FROM_FE
		      "  ingressDeny:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
		      FROM_FE);
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, ID_FRONTEND, TCP, 16, 80, 3, 1 },
	}, 1);
	fx_free(&f);
	/* two allows of the same key: the lowest rule id */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP},"
		      " {port: \"81\", protocol: TCP}]}]\n" FROM_FE
		      "  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n" FROM_FE);
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, ID_FRONTEND, TCP, 16, 80, 1, 0 },
		{ 1, IN, ID_FRONTEND, TCP, 16, 81, 1, 0 },
	}, 2);
	fx_free(&f);
}
END_TEST

START_TEST(deny_any_versus_identity)
{
	struct fixture f;

	/* allow all from frontend (identity, L3), deny TCP/80 from anyone
	 * (ANY): no copy across identities; the datapath denies when either
	 * answer is deny */
	two_tiers(&f, "  ingress:\n  - fromEndpoints: [{matchLabels: {app: frontend}}]\n"
		      "  ingressDeny:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n");
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, POLICY_ID_ANY, TCP, 16, 80, 2, 1 },
		{ 1, IN, ID_FRONTEND, 0, L3, 0, 1, 0 },
	}, 2);
	ck_assert_uint_eq(f.c.endpoints[0].lens[IN][0], 1u << L3);
	ck_assert_uint_eq(f.c.endpoints[0].lens[IN][1], 1u << 16);
	fx_free(&f);
	/* allow TCP/80 from anyone, deny all from frontend (entity all as
	 * ANY, L3) */
	two_tiers(&f, "  ingress:\n  - fromEntities: [all]\n"
		      "    toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
		      "  ingressDeny:\n  - fromEndpoints: [{matchLabels: {app: frontend}}]\n");
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, POLICY_ID_ANY, TCP, 16, 80, 1, 0 },
		{ 1, IN, ID_FRONTEND, 0, L3, 0, 2, 1 },
	}, 2);
	fx_free(&f);
	/* deny all from anyone covers allows of ANY only */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
		      "  - fromEndpoints: [{matchLabels: {app: frontend}}]\n"
		      "  ingressDeny:\n  - fromEntities: [all]\n");
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, POLICY_ID_ANY, 0, L3, 0, 3, 1 },
		{ 1, IN, POLICY_ID_ANY, TCP, 16, 80, 3, 1 },
		{ 1, IN, ID_FRONTEND, 0, L3, 0, 2, 0 },
	}, 3);
	fx_free(&f);
}
END_TEST

START_TEST(port_ranges)
{
	struct fixture f;

	/* 80-83 -> 80/14; 1000-1030 -> 1000/13, 1008/12, 1024/14, 1028/15,
	 * 1030/16; ANY -> TCP, UDP and SCTP; a protocol without a port -> /0 */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"80\", endPort: 83,"
		      " protocol: TCP}, {port: \"1000\", endPort: 1030, protocol: UDP},"
		      " {port: \"7\"}, {protocol: SCTP}]}]\n" FROM_FE);
	fx_entries_are(&f, (struct want_entry[]){
		{ 1, IN, ID_FRONTEND, TCP, 14, 80, 1, 0 },
		{ 1, IN, ID_FRONTEND, TCP, 16, 7, 1, 0 },
		{ 1, IN, ID_FRONTEND, UDP, 12, 1008, 1, 0 },
		{ 1, IN, ID_FRONTEND, UDP, 13, 1000, 1, 0 },
		{ 1, IN, ID_FRONTEND, UDP, 14, 1024, 1, 0 },
		{ 1, IN, ID_FRONTEND, UDP, 15, 1028, 1, 0 },
		{ 1, IN, ID_FRONTEND, UDP, 16, 7, 1, 0 },
		{ 1, IN, ID_FRONTEND, UDP, 16, 1030, 1, 0 },
		{ 1, IN, ID_FRONTEND, SCTP, 0, 0, 1, 0 },
		{ 1, IN, ID_FRONTEND, SCTP, 16, 7, 1, 0 },
	}, 10);
	ck_assert_uint_eq(f.c.endpoints[0].lens[IN][0],
			  (1u << 0) | (1u << 12) | (1u << 13) | (1u << 14) |
			  (1u << 15) | (1u << 16));
	fx_free(&f);

	/* 1-65535: 16 prefixes, 1/16 .. 32768/1 */
	two_tiers(&f, "  ingress:\n  - toPorts: [{ports: [{port: \"1\", endPort: 65535,"
		      " protocol: TCP}]}]\n" FROM_FE);
	ck_assert_uint_eq(f.c.n_entries, 16);
	for (size_t i = 0; i < 16; i++) {
		const struct pol_entry_out *e = &f.c.entries[i];
		unsigned int plen = (unsigned int)(1 + i);

		ck_assert_uint_eq(e->key.plen, plen);
		ck_assert_uint_eq(e->key.port, 1u << (16 - plen));
	}
	fx_free(&f);
}
END_TEST

/* Random ranges: the prefixes cover exactly the range, no two overlap,
 * and each is as large as its alignment allows (so: the fewest). */
START_TEST(port_ranges_exact)
{
	unsigned int seed = 12345;

	for (int t = 0; t < 300; t++) {
		char spec[512];
		struct fixture f;
		uint32_t lo, hi, covered = 0;

		seed = seed * 1103515245u + 12345u;
		lo = 1 + (seed >> 8) % 65535;
		seed = seed * 1103515245u + 12345u;
		hi = lo + (seed >> 8) % (t % 3 ? 300 : 65536 - lo);
		if (hi > 65535)
			hi = 65535;
		snprintf(spec, sizeof(spec), "  ingress:\n  - toPorts: [{ports: [{port:"
			 " \"%u\", endPort: %u, protocol: TCP}]}]\n" FROM_FE, lo, hi);
		two_tiers(&f, spec);
		for (size_t i = 0; i < f.c.n_entries; i++) {
			const struct pol_entry_out *e = &f.c.entries[i];
			uint32_t size = 1u << (16 - e->key.plen);

			ck_assert_uint_ge(e->key.port, lo);
			ck_assert_uint_le(e->key.port + size - 1, hi);
			ck_assert_uint_eq(e->key.port % size, 0);
			covered += size;
		}
		ck_assert_uint_eq(covered, hi - lo + 1);
		ck_assert_uint_le(f.c.n_entries, 30);
		fx_free(&f);
	}
}
END_TEST

START_TEST(default_deny_enablement)
{
	struct fixture f = { 0 };

	fx_ep(&f, "app=web", NULL);
	fx_ep(&f, "app=db", NULL);
	fx_ep(&f, "app=cache", NULL);
	fx_ep(&f, "app=api", NULL);
	fx_ep(&f, "app=free", NULL);
	fx_docs(&f,
		/* {} selects nothing but enforces ingress */
		CNP_HEAD("empty-rule") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
		"  ingress:\n  - {}\n---\n"
		/* ingress: [] is no rule: nothing enforced */
		CNP_HEAD("empty-list") "spec:\n  endpointSelector: {matchLabels: {app: free}}\n"
		"  ingress: []\n---\n"
		/* k8s: Egress only, with no egress rule: deny all egress */
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: eg}\n"
		"spec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Egress]\n---\n"
		/* k8s: no policyTypes, ingress: [] -> deny all ingress */
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: in}\n"
		"spec:\n  podSelector: {matchLabels: {app: cache}}\n  ingress: []\n---\n"
		/* k8s: Ingress only; its egress rule inactive; ingress {} = all */
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api}\n"
		"spec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n"
		"  ingress:\n  - {}\n  egress:\n  - {}\n");
	fx_compile_ok(&f);
	ck_assert_uint_eq(f.c.endpoints[0].enforce, POLICY_ENFORCE_INGRESS);
	ck_assert_uint_eq(f.c.endpoints[0].n_entries, 0);
	ck_assert_uint_eq(f.c.endpoints[1].enforce, POLICY_ENFORCE_EGRESS);
	ck_assert_uint_eq(f.c.endpoints[1].n_entries, 0);
	ck_assert_uint_eq(f.c.endpoints[2].enforce, POLICY_ENFORCE_INGRESS);
	ck_assert_uint_eq(f.c.endpoints[2].n_entries, 0);
	ck_assert_uint_eq(f.c.endpoints[3].enforce, POLICY_ENFORCE_INGRESS);
	ck_assert_uint_eq(f.c.endpoints[4].enforce, 0);
	/* rule ids: empty-rule 1, api ingress 2, api egress 3 (inactive) */
	fx_entries_are(&f, (struct want_entry[]){
		{ 4, IN, POLICY_ID_ANY, 0, L3, 0, 2, 0 },
	}, 1);
	ck_assert_uint_eq(f.c.endpoints[3].lens[IN][1], 1u << L3);
	ck_assert_uint_eq(f.c.endpoints[3].lens[EG][1], 0);
	fx_free(&f);
}
END_TEST

START_TEST(cidr_except)
{
	struct fixture f = { 0 };
	uint32_t a, b, c, v6;

	fx_ep(&f, "app=web", "10.0.0.5");
	fx_ep(&f, "app=db", "10.0.0.6");
	fx_addr("10.9.9.9", &f.host[0]);
	f.n_host = 1;
	fx_docs(&f, CNP_HEAD("web") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
		"  egress:\n  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}]\n"
		"  - toCIDR: [0.0.0.0/0]\n    toPorts: [{ports: [{port: \"53\", protocol: UDP}]}]\n"
		"  - toCIDR: [\"2001:db8::/32\"]\n"
		"---\n" CNP_HEAD("db") "spec:\n  endpointSelector: {matchLabels: {app: db}}\n"
		"  ingress:\n  - fromCIDR: [10.1.2.0/24, 10.0.0.5/32, 10.9.9.9/32]\n");
	fx_compile_ok(&f);
	a = fx_identity(&f, "cidr:10.0.0.0/8");
	b = fx_identity(&f, "cidr:10.1.0.0/16");
	c = fx_identity(&f, "cidr:10.1.2.0/24");
	v6 = fx_identity(&f, "cidr:2001:db8::/32");
	/* golden (hash of the text into the CIDR range) */
	ck_assert_uint_eq(a, 30980158);
	ck_assert_uint_eq(b, 27610484);
	ck_assert_uint_ge(c, POLICY_ID_CIDR_MIN);
	ck_assert_uint_le(c, POLICY_ID_CIDR_MAX);
	/* 10.0.0.5/32 and 10.9.9.9/32 are an endpoint's and the host's: no
	 * CIDR identity, not selected (fromCIDR is for outside the node) */
	ck_assert_uint_eq(f.c.n_identities, 2 + 2 + 4);
	{
		struct want_entry want[] = {
			/* db ingress from 10.1.2.0/24 only */
			{ 2, IN, c, 0, L3, 0, 4, 0 },
		};
		struct want_entry web[] = {
			/* rule 1: 10/8 except 10.1/16: only 10/8 itself
			 * (10.1/16 and 10.1.2/24 are inside the exception) */
			{ 1, EG, POLICY_ID_WORLD, UDP, 16, 53, 2, 0 },
			{ 1, EG, a, 0, L3, 0, 1, 0 },
			{ 1, EG, a, UDP, 16, 53, 2, 0 },
			{ 1, EG, b, UDP, 16, 53, 2, 0 },
			{ 1, EG, c, UDP, 16, 53, 2, 0 },
			{ 1, EG, v6, 0, L3, 0, 3, 0 },
		};
		struct want_entry all[7];
		size_t n = 0;

		/* sort the web entries by identity as the compiler does */
		for (size_t i = 0; i < 6; i++)
			for (size_t j = i + 1; j < 6; j++)
				if (web[j].identity < web[i].identity ||
				    (web[j].identity == web[i].identity &&
				     web[j].proto < web[i].proto)) {
					struct want_entry t = web[i];

					web[i] = web[j];
					web[j] = t;
				}
		for (size_t i = 0; i < 6; i++)
			all[n++] = web[i];
		all[n++] = want[0];
		fx_entries_are(&f, all, n);
	}
	/* ipcache: rule prefixes with their identities, the endpoints', the
	 * host's, the two /0 */
	ck_assert_uint_eq(f.c.n_ipcache, 2 + 2 + 1 + 4);
	for (size_t i = 0; i < f.c.n_ipcache; i++) {
		const struct pol_ipcache_out *e = &f.c.ipcache[i];

		if (e->prefixlen == 16 && e->family == AF_INET)
			ck_assert_uint_eq(e->identity, b);
		if (e->family == AF_INET && e->prefixlen == 32 && e->addr[0] == 10 &&
		    e->addr[3] == 5)
			ck_assert_uint_eq(e->identity, f.c.endpoints[0].identity);
		if (e->family == AF_INET && e->prefixlen == 32 && e->addr[1] == 9)
			ck_assert_uint_eq(e->identity, POLICY_ID_HOST);
	}
	fx_free(&f);
}
END_TEST

START_TEST(entities)
{
	struct fixture f = { 0 };
	uint32_t cidr;

	fx_ep(&f, "app=web", "10.0.0.5");
	fx_ep(&f, "app=db", "10.0.0.6");
	fx_docs(&f, CNP_HEAD("web") "spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
		"  ingress:\n  - fromEntities: [world]\n  - fromEntities: [host]\n"
		"  - fromEntities: [cluster]\n  - fromEntities: [all]\n"
		"  egress:\n  - toCIDR: [192.168.0.0/16]\n");
	fx_compile_ok(&f);
	cidr = fx_identity(&f, "cidr:192.168.0.0/16");
	{
		uint32_t web = f.c.endpoints[0].identity, db = f.c.endpoints[1].identity;
		struct want_entry want[8];
		size_t n = 0;

		want[n++] = W(1, IN, POLICY_ID_ANY, 0, L3, 0, 4, 0);
		want[n++] = W(1, IN, POLICY_ID_HOST, 0, L3, 0, 2, 0);
		want[n++] = W(1, IN, POLICY_ID_WORLD, 0, L3, 0, 1, 0);
		/* cluster: the host (rule 2 is lower) and every endpoint;
		 * world: the CIDR identities too */
		if (web < db) {
			want[n++] = W(1, IN, web, 0, L3, 0, 3, 0);
			want[n++] = W(1, IN, db, 0, L3, 0, 3, 0);
		} else {
			want[n++] = W(1, IN, db, 0, L3, 0, 3, 0);
			want[n++] = W(1, IN, web, 0, L3, 0, 3, 0);
		}
		want[n++] = W(1, IN, cidr, 0, L3, 0, 1, 0);
		want[n++] = W(1, EG, cidr, 0, L3, 0, 5, 0);
		fx_entries_are(&f, want, n);
	}
	fx_free(&f);
}
END_TEST

START_TEST(namespaces)
{
	struct fixture f = { 0 };
	uint32_t prod_web;

	fx_ep(&f, "app=web", NULL);
	fx_ep(&f, "app=web,io.kubernetes.pod.namespace=prod", NULL);
	fx_ep(&f, "app=client,io.kubernetes.pod.namespace=prod", NULL);
	fx_docs(&f, "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
		"metadata: {name: web, namespace: prod}\n"
		"spec:\n  endpointSelector: {matchLabels: {app: web}}\n"
		"  ingress:\n  - fromEndpoints: [{}]\n"
		"  - fromEndpoints: [{matchLabels: {app: web,"
		" \"k8s:io.kubernetes.pod.namespace\": default}}]\n"
		"    toPorts: [{ports: [{port: \"8080\", protocol: TCP}]}]\n");
	fx_compile_ok(&f);
	prod_web = f.c.endpoints[1].identity;
	ck_assert_uint_eq(f.c.endpoints[0].enforce, 0); /* default/web: not selected */
	ck_assert_uint_eq(f.c.endpoints[1].enforce, POLICY_ENFORCE_INGRESS);
	{
		uint32_t client = f.c.endpoints[2].identity;
		uint32_t def_web = f.c.endpoints[0].identity;
		struct want_entry want[] = {
			/* {} = every endpoint of prod */
			W(2, IN, client, 0, L3, 0, 1, 0),
			W(2, IN, prod_web, 0, L3, 0, 1, 0),
			/* the selector names default: default/web */
			W(2, IN, def_web, TCP, 16, 8080, 2, 0),
		};
		struct want_entry sorted[3];
		size_t n = 0;

		/* in identity order */
		for (uint32_t min = 0; n < 3; n++) {
			size_t best = 3;

			for (size_t i = 0; i < 3; i++)
				if (want[i].identity >= min &&
				    (best == 3 || want[i].identity < want[best].identity))
					best = i;
			sorted[n] = want[best];
			min = want[best].identity + 1;
		}
		fx_entries_are(&f, sorted, 3);
	}
	fx_free(&f);
}
END_TEST

/* Two label sets whose hashes collide: the first in sorted order keeps
 * the number, the other the next free one, whatever the input order. */
START_TEST(identity_collision)
{
	static char sets[20000][32];
	static uint32_t ids[20000];
	char canon_a[POLICY_LABELS_MAX], canon_b[POLICY_LABELS_MAX];
	size_t x = 0, y = 0;

	for (size_t i = 0; i < 20000 && !y; i++) {
		snprintf(sets[i], sizeof(sets[i]), "n=%zu", i);
		ck_assert_int_eq(pol_labels_canon(sets[i], canon_a, sizeof(canon_a), NULL, 0), 0);
		ids[i] = pol_labels_identity(canon_a);
		for (size_t j = 0; j < i; j++)
			if (ids[j] == ids[i]) {
				x = j;
				y = i;
				break;
			}
	}
	ck_assert_msg(y, "no collision among 20000 sets");
	pol_labels_canon(sets[x], canon_a, sizeof(canon_a), NULL, 0);
	pol_labels_canon(sets[y], canon_b, sizeof(canon_b), NULL, 0);
	for (int order = 0; order < 2; order++) {
		struct fixture f = { 0 };
		const char *first = strcmp(canon_a, canon_b) < 0 ? canon_a : canon_b;

		fx_ep(&f, order ? sets[y] : sets[x], NULL);
		fx_ep(&f, order ? sets[x] : sets[y], NULL);
		fx_compile_ok(&f);
		ck_assert_uint_eq(fx_identity(&f, first), ids[x]);
		ck_assert_uint_eq(fx_identity(&f, first == canon_a ? canon_b : canon_a),
				  ids[x] + 1);
		fx_free(&f);
	}
}
END_TEST

START_TEST(deterministic)
{
	struct fixture a, b;

	classic(&a, "classic_cnp.yaml");
	classic(&b, "classic_cnp.yaml");
	ck_assert_uint_eq(a.c.n_entries, b.c.n_entries);
	ck_assert(!memcmp(a.c.entries, b.c.entries, a.c.n_entries * sizeof(*a.c.entries)));
	ck_assert(!memcmp(a.c.ipcache, b.c.ipcache, a.c.n_ipcache * sizeof(*a.c.ipcache)));
	/* the endpoints in another order: the same identities */
	fx_free(&b);
	memset(&b, 0, sizeof(b));
	fx_ep(&b, "app=db", "10.0.0.3");
	fx_ep(&b, "app=frontend", "10.0.0.1");
	fx_compile_ok(&b);
	ck_assert_uint_eq(b.c.endpoints[0].identity, ID_DB);
	ck_assert_uint_eq(b.c.endpoints[1].identity, ID_FRONTEND);
	fx_free(&a);
	fx_free(&b);
}
END_TEST

START_TEST(no_space)
{
	struct fixture f;

	classic(&f, "classic_cnp.yaml");
	ck_assert_int_eq(fx_compile(&f, 3), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(f.err, "more than 3"));
	ck_assert_ptr_null(f.c.entries);
	ck_assert_uint_eq(f.c.n_entries, 0);
	ck_assert_int_eq(fx_compile(&f, 4), 0);
	fx_free(&f);
}
END_TEST

START_TEST(bad_input)
{
	struct fixture f = { 0 };
	struct pol_compiled c;
	char err[256];

	fx_ep(&f, "app=a", "10.0.0.1");
	fx_ep(&f, "app=b", "10.0.0.1");
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	ck_assert_ptr_nonnull(strstr(f.err, "address 10.0.0.1 belongs to two endpoints"));
	fx_addr("10.0.0.2", &f.eps[1].addrs[0]);
	f.eps[1].ep_id = 1;
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	ck_assert_ptr_nonnull(strstr(f.err, "ep_id 1"));
	f.eps[1].ep_id = 0;
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	f.eps[1].ep_id = POLICY_MAX_ENDPOINTS + 1;
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	f.eps[1].ep_id = 2;
	ck_assert_int_eq(fx_compile(&f, 0), -EINVAL);
	f.eps[1].labels = "not canonical";
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	f.eps[1].labels = f.labels[1];
	f.eps[1].addrs[0].family = 0;
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	f.eps[1].addrs[0].family = AF_INET;
	/* host address = an endpoint's */
	fx_addr("10.0.0.1", &f.host[0]);
	f.n_host = 1;
	ck_assert_int_eq(fx_compile(&f, 100), -EINVAL);
	f.n_host = 0;
	ck_assert_int_eq(fx_compile(&f, 100), 0);
	ck_assert_int_eq(pol_compile(NULL, 1, NULL, 0, NULL, 0, 10, &c, err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(pol_compile(f.eps, 2, NULL, 0, NULL, 0, 10, NULL, err, sizeof(err)),
			 -EINVAL);
	/* nothing at all compiles to the reserved identities */
	ck_assert_int_eq(pol_compile(NULL, 0, NULL, 0, NULL, 0, 10, &c, NULL, 0), 0);
	ck_assert_uint_eq(c.n_identities, 2);
	ck_assert_uint_eq(c.n_ipcache, 2);
	pol_compiled_free(&c);
	pol_compiled_free(NULL);
	fx_free(&f);
}
END_TEST

/* 1,000 endpoints (100 apps x 10 replicas: 100 identities) x one
 * policy of 100 rules selecting all of them, each rule from one app:
 * 100,000 entries. The bench measures; this prints. */
START_TEST(thousand_by_hundred)
{
	static struct pol_endpoint_in eps[1000];
	static char labels[1000][64];
	size_t cap = 1 << 20, n = 0;
	char *yaml = malloc(cap);
	struct pol_doc **docs;
	struct pol_compiled c;
	struct timespec t0;
	size_t nd;
	char err[256];

	n += (size_t)snprintf(yaml, cap, CNP_HEAD("big") "spec:\n  endpointSelector: {}\n"
			      "  ingress:\n");
	for (int r = 0; r < 100; r++)
		n += (size_t)snprintf(yaml + n, cap - n,
				      "  - fromEndpoints: [{matchLabels: {app: a%d}}]\n"
				      "    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]\n",
				      r, 1000 + r);
	ck_assert_int_eq(pol_yaml_parse(yaml, n, &docs, &nd, err, sizeof(err)), 0);
	pol_doc_set_first_rule(docs[0], 1);
	for (int i = 0; i < 1000; i++) {
		char text[64];

		snprintf(text, sizeof(text), "app=a%d", i % 100);
		pol_labels_canon(text, labels[i], sizeof(labels[i]), NULL, 0);
		eps[i] = (struct pol_endpoint_in){ .ifindex = 10 + (uint32_t)i,
						   .ep_id = 1 + (uint32_t)i,
						   .labels = labels[i], .n_addrs = 1 };
		eps[i].addrs[0].family = AF_INET;
		eps[i].addrs[0].addr[0] = 10;
		eps[i].addrs[0].addr[2] = (uint8_t)(i >> 8);
		eps[i].addrs[0].addr[3] = (uint8_t)i;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pol_compile(eps, 1000, docs, 1, NULL, 0,
				     POLICY_DEFAULT_MAX_ENTRIES, &c, err, sizeof(err)), 0);
	printf("compile: 1000 endpoints x 100 rules -> %zu entries in %.3f s\n",
	       c.n_entries, seconds_since(&t0));
	ck_assert_uint_eq(c.n_entries, 1000u * 100u);
	ck_assert_uint_eq(c.n_identities, 102);
	pol_compiled_free(&c);
	pol_docs_free(docs, nd);
	free(yaml);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_compile");
	TCase *tc = tcase_create("compile");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, classic_golden);
	tcase_add_test(tc, classic_cnp_equals_k8s);
	tcase_add_test(tc, deny_broader_than_allow);
	tcase_add_test(tc, deny_same_key_and_lowest_rule);
	tcase_add_test(tc, deny_any_versus_identity);
	tcase_add_test(tc, port_ranges);
	tcase_add_test(tc, port_ranges_exact);
	tcase_add_test(tc, default_deny_enablement);
	tcase_add_test(tc, cidr_except);
	tcase_add_test(tc, entities);
	tcase_add_test(tc, namespaces);
	tcase_add_test(tc, identity_collision);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, no_space);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, thousand_by_hundred);
	suite_add_tcase(s, tc);
	return test_run_suite(s, CK_NORMAL);
}
