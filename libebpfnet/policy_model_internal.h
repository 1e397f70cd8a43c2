/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * What the pure policy model's files share (policy_labels.c,
 * policy_yaml.c, policy_compile.c, policy_trace.c): label sets split for
 * matching, selectors, the parsed documents, an arena for their memory,
 * and the order of policy keys. Not seen by policy.c (policy_model.h is
 * its contract).
 */
#ifndef EBPFNET_POLICY_MODEL_INTERNAL_H
#define EBPFNET_POLICY_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "policy_model.h"

#define POL_NAMESPACE_KEY "io.kubernetes.pod.namespace"
#define POL_MAX_LABELS 192 /* items of a label set (POLICY_LABELS_MAX bytes) */

/* ---- memory (policy_labels.c) --------------------------------------------- */

/* A bump allocator: everything of one document (or one parse) is freed
 * at once, so no error path can leak. Allocations are zeroed. */
struct pol_arena {
	struct pol_chunk *head;
};

void *pol_arena_alloc(struct pol_arena *a, size_t size);
char *pol_arena_strndup(struct pol_arena *a, const char *s, size_t n);
void pol_arena_free(struct pol_arena *a);

/* ---- labels and selectors (policy_labels.c) ------------------------------- */

/* A canonical label set split into items (pointers into buf). src is ""
 * for a label without source. */
struct pol_label {
	const char *src;
	const char *key;
	const char *value;
};

struct pol_labelset {
	char buf[POLICY_LABELS_MAX];
	unsigned int n;
	struct pol_label items[POL_MAX_LABELS];
};

/* Split a canonical label string: 0 or -EINVAL. */
int pol_labelset_split(const char *canonical, struct pol_labelset *ls);

/* The FNV-1a 64 hash of s folded into min..max (inclusive). */
uint32_t pol_hash_fold(const char *s, uint32_t min, uint32_t max);

/* Whether text is a label key, source or value: [A-Za-z0-9._/-] (a key
 * or source also non-empty). */
bool pol_label_word_ok(const char *s, size_t n, bool may_be_empty);

enum pol_op {
	POL_OP_IN = 0,
	POL_OP_NOT_IN = 1,
	POL_OP_EXISTS = 2,
	POL_OP_DOES_NOT_EXIST = 3,
};

/* One requirement on a label: src NULL matches any source. */
struct pol_req {
	const char *src;
	const char *key;
	enum pol_op op;
	const char **values;
	size_t n_values;
};

/* The requirements all hold (an empty selector selects everything).
 * n_user: the requirements the user wrote (the rest were implied: the
 * policy's namespace). */
struct pol_selector {
	struct pol_req *reqs;
	size_t n_reqs;
	size_t n_user;
};

bool pol_selector_matches(const struct pol_selector *sel,
			  const struct pol_labelset *ls);
/* Whether a requirement is on the namespace label (source k8s or any). */
bool pol_req_is_namespace(const struct pol_req *req);
/* The selector's user requirements as text ("app=web,tier in (a|b)"),
 * "any endpoint" when there are none. */
void pol_selector_text(const struct pol_selector *sel,
		       struct ebpfnet_sbuf *sb);

/* ---- parsed documents (policy_yaml.c) --------------------------------------- */

enum pol_peer_kind {
	POL_PEER_ENDPOINTS = 0, /* a label selector over local endpoints */
	POL_PEER_CIDR = 1,
	POL_PEER_ENTITY = 2,
};

enum pol_entity {
	POL_ENTITY_WORLD = 0,   /* identity 2 and every CIDR identity */
	POL_ENTITY_HOST = 1,    /* identity 1 */
	POL_ENTITY_ALL = 2,     /* any peer */
	POL_ENTITY_CLUSTER = 3, /* the host and every endpoint identity */
};

struct pol_prefix {
	uint8_t family;         /* AF_INET / AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];       /* host bits zero */
};

struct pol_peer {
	enum pol_peer_kind kind;
	struct pol_selector sel;        /* POL_PEER_ENDPOINTS */
	struct pol_prefix cidr;         /* POL_PEER_CIDR */
	struct pol_prefix *except;
	size_t n_except;
	enum pol_entity entity;         /* POL_PEER_ENTITY */
};

#define POL_PROTO_ANY 0 /* TCP, UDP and SCTP */

struct pol_port {
	uint8_t proto;          /* IPPROTO_TCP/UDP/SCTP or POL_PROTO_ANY */
	uint16_t first, last;   /* 0, 0: every port */
};

struct pol_rule {
	uint8_t dir;            /* POLICY_DIR_* */
	bool deny;
	bool active;            /* k8s: its direction is in policyTypes */
	uint32_t spec;          /* the spec whose subject it applies to */
	int line;
	bool any_peer;          /* no peer field: every peer */
	struct pol_peer *peers; /* !any_peer && n_peers == 0: selects nothing */
	size_t n_peers;
	struct pol_port *ports; /* none: every protocol and port (L3) */
	size_t n_ports;
};

struct pol_spec {
	struct pol_selector subject;    /* within the policy's namespace */
	bool enforce[2];                /* by POLICY_DIR_* */
};

struct pol_doc {
	struct pol_arena arena;
	const char *name;               /* "namespace/name" */
	const char *ns;
	const char *kind;
	char *text;
	size_t text_len;
	struct pol_spec *specs;
	size_t n_specs;
	struct pol_rule *rules;
	size_t n_rules;
	uint32_t first_rule;
};

/* ---- prefixes and compiled entries (policy_compile.c) ------------------------- */

/* Whether inner lies inside outer (same family, at least as long). */
bool pol_prefix_inside(const struct pol_prefix *inner,
		       const struct pol_prefix *outer);
/* "10.0.0.0/8", "fd00::/64" */
void pol_prefix_text(const struct pol_prefix *p, struct ebpfnet_sbuf *sb);

/* The order of policy keys in pol_compiled.entries (per endpoint, sorted
 * by it), so that a search can bisect. */
int pol_key_cmp(const struct policy_key *a, const struct policy_key *b);

#endif /* EBPFNET_POLICY_MODEL_INTERNAL_H */
