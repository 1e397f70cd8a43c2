/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * What test_policy_compile.c and test_policy_trace.c share: endpoints and
 * documents set up in a few calls, compiled, and the compiled entries
 * compared with a golden table.
 */
#ifndef EBPFNET_TEST_POLICY_FIXTURE_H
#define EBPFNET_TEST_POLICY_FIXTURE_H

#include <check.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_model_internal.h"

#define NS_DEFAULT "k8s:io.kubernetes.pod.namespace=default"
#define FX_MAX_EPS 16

/* Golden identities (test_policy_labels.c computes them independently). */
#define ID_FRONTEND 11130153u
#define ID_BACKEND 2677161u
#define ID_DB 10409467u

struct fixture {
	struct pol_doc **docs;
	size_t n_docs;
	struct pol_endpoint_in eps[FX_MAX_EPS];
	char labels[FX_MAX_EPS][POLICY_LABELS_MAX];
	size_t n_eps;
	struct ebpfnet_policy_addr host[2];
	size_t n_host;
	struct pol_compiled c;
	char err[512];
};

static inline void fx_addr(const char *text, struct ebpfnet_policy_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(text, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(a->family, text, a->addr), 1);
}

/* Parse documents (appended), rule ids numbered from 1 across them. */
static inline void fx_docs(struct fixture *f, const char *yaml)
{
	struct pol_doc **docs, **all;
	size_t n;
	uint32_t next = 1;
	int ret = pol_yaml_parse(yaml, strlen(yaml), &docs, &n, f->err, sizeof(f->err));

	ck_assert_msg(ret == 0, "parse: %s", f->err);
	all = realloc(f->docs, (f->n_docs + n) * sizeof(*all));
	ck_assert_ptr_nonnull(all);
	memcpy(all + f->n_docs, docs, n * sizeof(*docs));
	free(docs);
	f->docs = all;
	f->n_docs += n;
	for (size_t i = 0; i < f->n_docs; i++) {
		pol_doc_set_first_rule(f->docs[i], next);
		next += pol_doc_rules(f->docs[i]);
	}
}

/* An endpoint: ep_id n + 1, ifindex 100 + n; addrs: one or two
 * (comma-separated) or NULL. */
static inline void fx_ep(struct fixture *f, const char *labels, const char *addrs)
{
	struct pol_endpoint_in *ep = &f->eps[f->n_eps];
	char copy[128], *save = NULL;

	ck_assert_uint_lt(f->n_eps, FX_MAX_EPS);
	ck_assert_int_eq(pol_labels_canon(labels, f->labels[f->n_eps],
					  POLICY_LABELS_MAX, NULL, 0), 0);
	memset(ep, 0, sizeof(*ep));
	ep->ifindex = 100 + (uint32_t)f->n_eps;
	ep->ep_id = 1 + (uint32_t)f->n_eps;
	ep->labels = f->labels[f->n_eps];
	if (addrs) {
		snprintf(copy, sizeof(copy), "%s", addrs);
		for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save))
			fx_addr(a, &ep->addrs[ep->n_addrs++]);
	}
	f->n_eps++;
}

static inline int fx_compile(struct fixture *f, size_t max_entries)
{
	pol_compiled_free(&f->c);
	return pol_compile(f->eps, f->n_eps, f->docs, f->n_docs, f->host, f->n_host,
			   max_entries, &f->c, f->err, sizeof(f->err));
}

static inline void fx_compile_ok(struct fixture *f)
{
	int ret = fx_compile(f, POLICY_DEFAULT_MAX_ENTRIES);

	ck_assert_msg(ret == 0, "compile: %d %s", ret, f->err);
}

static inline void fx_free(struct fixture *f)
{
	pol_compiled_free(&f->c);
	pol_docs_free(f->docs, f->n_docs);
	memset(f, 0, sizeof(*f));
}

/* The identity compiled for a canonical label set (or "cidr:...") */
static inline uint32_t fx_identity(const struct fixture *f, const char *labels)
{
	for (size_t i = 0; i < f->c.n_identities; i++)
		if (!strcmp(f->c.identities[i].labels, labels))
			return f->c.identities[i].identity;
	ck_abort_msg("no identity for %s", labels);
	return 0;
}

struct want_entry {
	uint32_t ep_id;
	uint8_t dir;
	uint32_t identity;
	uint8_t proto;
	uint8_t plen;
	uint16_t port;
	uint32_t rule_id;
	uint8_t deny;
};

#define IN POLICY_DIR_INGRESS
#define EG POLICY_DIR_EGRESS
#define L3 POLICY_PLEN_L3
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define SCTP IPPROTO_SCTP

/* Every compiled entry, in order, is the table's. */
static inline void fx_entries_are(const struct fixture *f, const struct want_entry *w,
				  size_t n)
{
	for (size_t i = 0; i < f->c.n_entries && i < n; i++) {
		const struct pol_entry_out *e = &f->c.entries[i];

		ck_assert_msg(e->key.ep_id == w[i].ep_id && e->key.dir == w[i].dir &&
			      e->key.identity == w[i].identity &&
			      e->key.proto == w[i].proto && e->key.plen == w[i].plen &&
			      e->key.port == w[i].port && e->key.bank == 0 &&
			      e->key.pad == 0 && e->value.rule_id == w[i].rule_id &&
			      e->value.deny == w[i].deny,
			      "entry %zu: got ep %u dir %u id %u proto %u plen %u port %u "
			      "rule %u deny %u; want ep %u dir %u id %u proto %u plen %u "
			      "port %u rule %u deny %u", i, e->key.ep_id, e->key.dir,
			      e->key.identity, e->key.proto, e->key.plen, e->key.port,
			      e->value.rule_id, e->value.deny, w[i].ep_id, w[i].dir,
			      w[i].identity, w[i].proto, w[i].plen, w[i].port,
			      w[i].rule_id, w[i].deny);
	}
	ck_assert_uint_eq(f->c.n_entries, n);
}

#endif /* EBPFNET_TEST_POLICY_FIXTURE_H */
