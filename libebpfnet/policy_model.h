/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: the pure model, between the YAML and the maps. Labels and
 * identities (policy_labels.c), YAML documents of both kinds parsed into
 * rules (policy_yaml.c), rules compiled for a set of endpoints into the
 * datapath's entries (policy_compile.c), and the explanation of a
 * decision (policy_trace.c). No BPF, no kernel: unit-tested alone.
 * policy.c (the object) stores documents and endpoints in pinned maps,
 * calls pol_compile() on every change and writes what it returns.
 */
#ifndef EBPFNET_POLICY_MODEL_H
#define EBPFNET_POLICY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/policy.h>
#include "policy_abi.h"

/* ---- labels and identities (policy_labels.c) ---------------------------- */

#define POL_NAMESPACE_LABEL "k8s:io.kubernetes.pod.namespace"

/* Parse "k=v,src:k=v" (spaces around items allowed; keys unique) into
 * the canonical form: items sorted by key, a missing source written as
 * none ("app=web"), and the namespace label
 * "k8s:io.kubernetes.pod.namespace=default" added when absent. -EINVAL
 * with a reason in err for an empty key, a duplicate key, a value or key
 * with characters outside [A-Za-z0-9._/-], or a result longer than
 * POLICY_LABELS_MAX - 1. */
int pol_labels_canon(const char *text, char *out, size_t outlen,
		     char *err, size_t errlen);

/* The identity of a canonical label set, before collision handling: a
 * hash folded into POLICY_ID_LABELS_MIN..POLICY_ID_LABELS_MAX. */
uint32_t pol_labels_identity(const char *canonical);

/* ---- policy documents (policy_yaml.c) ----------------------------------- */

struct pol_doc; /* one parsed policy (opaque) */

/* Parse YAML text with one or more documents (empty documents skipped;
 * none at all is an error). Each must be kind CiliumNetworkPolicy
 * (apiVersion cilium.io/v2) or NetworkPolicy (networking.k8s.io/v1).
 * Every field the compiler does not implement is an error naming it and
 * its line: "line 12: spec.ingress[0].toPorts[0].rules: not supported".
 * Limits (errors too): 1 MiB of text, nesting 32, 1024 rules per
 * document, 256 peers/ports per rule. On success *docs is an array of *n
 * documents (pol_docs_free). */
int pol_yaml_parse(const char *text, size_t len, struct pol_doc ***docs,
		   size_t *n, char *err, size_t errlen);
void pol_docs_free(struct pol_doc **docs, size_t n);

const char *pol_doc_name(const struct pol_doc *doc);  /* "namespace/name" */
const char *pol_doc_kind(const struct pol_doc *doc);  /* "CiliumNetworkPolicy"... */
/* The document's own text (from the input, for storing and re-parsing). */
const char *pol_doc_text(const struct pol_doc *doc, size_t *len);
/* Rules: every element of ingress, egress, ingressDeny, egressDeny.
 * Ids are first_rule + index, in that order. */
uint32_t pol_doc_rules(const struct pol_doc *doc);
void pol_doc_set_first_rule(struct pol_doc *doc, uint32_t first_rule);
uint32_t pol_doc_first_rule(const struct pol_doc *doc);
/* Rule `index` (0-based): direction, deny, one-line summary
 * ("allow ingress from app=frontend to TCP/80"). */
int pol_doc_rule_info(const struct pol_doc *doc, uint32_t index,
		      enum ebpfnet_policy_dir *dir, bool *deny,
		      char *summary, size_t len);
/* Whether the policy selects a canonical label set (its endpointSelector
 * / podSelector, within its namespace). */
bool pol_doc_selects(const struct pol_doc *doc, const char *canonical_labels);

/* ---- compilation (policy_compile.c) ------------------------------------- */

struct pol_endpoint_in {
	uint32_t ifindex;
	uint32_t ep_id;                 /* 1..POLICY_MAX_ENDPOINTS */
	const char *labels;             /* canonical */
	uint32_t n_addrs;
	struct ebpfnet_policy_addr addrs[POLICY_EP_MAX_ADDRS];
};

struct pol_endpoint_out {
	uint32_t ep_id;
	uint32_t identity;              /* after collision handling */
	uint8_t enforce;                /* POLICY_ENFORCE_* */
	uint32_t lens[2][2];            /* as struct policy_endpoint.lens */
	size_t first_entry;             /* its entries in pol_compiled.entries */
	size_t n_entries;
};

struct pol_entry_out {
	struct policy_key key;          /* bank 0 */
	struct policy_entry value;
};

struct pol_ipcache_out {
	uint8_t family;                 /* AF_INET / AF_INET6 */
	uint8_t prefixlen;
	uint8_t addr[16];
	uint32_t identity;
};

struct pol_identity_out {
	uint32_t identity;
	char labels[POLICY_LABELS_MAX]; /* canonical; CIDR: "cidr:10.0.0.0/8";
					 * reserved: "reserved:world" */
};

struct pol_compiled {
	struct pol_endpoint_out *endpoints; /* same order as the input */
	size_t n_endpoints;
	struct pol_entry_out *entries;      /* grouped by endpoint */
	size_t n_entries;
	struct pol_ipcache_out *ipcache;    /* endpoints' addresses (/32,
					     * /128), host addresses (host),
					     * rule CIDRs and their exceptions
					     * (CIDR identities), 0/0 and ::/0
					     * (world) */
	size_t n_ipcache;
	struct pol_identity_out *identities; /* every identity above */
	size_t n_identities;
};

/*
 * Compile every document for every endpoint. Label-set identities: each
 * distinct set gets pol_labels_identity(), and on a collision the next
 * free number, sets taken in sorted order (deterministic for the same
 * sets). An endpoint is enforced in a direction when a document selecting
 * it has rules in that direction (CNP), or lists that policyType (k8s;
 * no policyTypes: Ingress, plus Egress when it has egress rules). Deny
 * is compiled into every more specific allow entry it covers (see
 * policy_abi.h). -ENOSPC (err says so) when the entries would exceed
 * max_entries. Deterministic: same input, same output, in the same order.
 */
int pol_compile(const struct pol_endpoint_in *eps, size_t n_eps,
		struct pol_doc *const *docs, size_t n_docs,
		const struct ebpfnet_policy_addr *host_addrs, size_t n_host,
		size_t max_entries, struct pol_compiled *out,
		char *err, size_t errlen);
void pol_compiled_free(struct pol_compiled *c);

/* ---- explanation (policy_trace.c) ----------------------------------------- */

/* ebpfnet_policy_trace() on compiled state: from/to are labels or an
 * address; the decision is simulated exactly as the datapath looks up
 * (ipcache, both directions' entries), and explained naming the rules
 * (policy name, rule id, summary). */
int pol_trace(const struct pol_compiled *c,
	      const struct pol_endpoint_in *eps, size_t n_eps,
	      struct pol_doc *const *docs, size_t n_docs,
	      const char *from, const char *to, uint8_t proto, uint16_t dport,
	      enum ebpfnet_policy_verdict *verdict, char *buf, size_t len);

#endif /* EBPFNET_POLICY_MODEL_H */
