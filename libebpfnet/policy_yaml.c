/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * CiliumNetworkPolicy (cilium.io/v2) and Kubernetes NetworkPolicy
 * (networking.k8s.io/v1) YAML into parsed rules. libyaml's event API
 * builds a small tree with the limits enforced as it grows (nesting,
 * size; aliases and anchors refused), then each document is read field by
 * field: every key not implemented is an error naming its path and line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <yaml.h>

#include "internal.h"
#include "policy_model_internal.h"

#define YAML_MAX_TEXT (1024 * 1024)
#define YAML_MAX_DEPTH 32
#define YAML_MAX_RULES 1024
#define YAML_MAX_LIST 256 /* peers, ports, exceptions, labels of one rule */
#define YAML_PATH_MAX 256

/* ---- the tree ----------------------------------------------------------------- */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ytype type;
	int line;
	bool plain;                 /* an untagged plain scalar */
	const char *s;              /* scalar text, NUL-terminated */
	size_t len;
	size_t n;                   /* kids: maps alternate key, value */
	const struct ynode **kids;
};

struct yframe {
	struct ynode *node;
	const struct ynode **kids;
	size_t n, cap;
};

struct ybuild {
	struct pol_arena *a;
	struct yframe stack[YAML_MAX_DEPTH];
	int depth;
	struct ynode *root;
};

struct yctx {
	char *err;
	size_t errlen;
	struct pol_arena *a;        /* the document being built */
};

static int yerr(struct yctx *c, int line, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int yerr(struct yctx *c, int line, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen) {
		if (path && *path)
			snprintf(c->err, c->errlen, "line %d: %s: %s", line, path, msg);
		else
			snprintf(c->err, c->errlen, "line %d: %s", line, msg);
	}
	return -EINVAL;
}

static int ynomem(struct yctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "out of memory");
	return -ENOMEM;
}

static int build_attach(struct ybuild *b, struct yctx *c, struct ynode *node)
{
	struct yframe *f;

	if (!b->depth) {
		b->root = node;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->type == Y_MAP && !(f->n % 2) && node->type != Y_SCALAR)
		return yerr(c, node->line, NULL, "a key must be a plain string");
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 8;
		const struct ynode **kids = realloc(f->kids, cap * sizeof(*kids));

		if (!kids)
			return ynomem(c);
		f->kids = kids;
		f->cap = cap;
	}
	f->kids[f->n++] = node;
	return 0;
}

static void build_reset(struct ybuild *b)
{
	while (b->depth)
		free(b->stack[--b->depth].kids);
	b->root = NULL;
}

static int build_open(struct ybuild *b, struct yctx *c, enum ytype type, int line)
{
	struct ynode *node;
	int ret;

	if (b->depth == YAML_MAX_DEPTH)
		return yerr(c, line, NULL, "nesting deeper than %d levels",
			    YAML_MAX_DEPTH);
	node = pol_arena_alloc(b->a, sizeof(*node));
	if (!node)
		return ynomem(c);
	node->type = type;
	node->line = line;
	ret = build_attach(b, c, node);
	if (ret)
		return ret;
	b->stack[b->depth++] = (struct yframe){ .node = node };
	return 0;
}

static int build_close(struct ybuild *b, struct yctx *c)
{
	struct yframe *f = &b->stack[b->depth - 1];

	if (f->n) {
		f->node->kids = pol_arena_alloc(b->a, f->n * sizeof(*f->kids));
		if (!f->node->kids)
			return ynomem(c);
		memcpy(f->node->kids, f->kids, f->n * sizeof(*f->kids));
	}
	f->node->n = f->n;
	free(f->kids);
	b->depth--;
	return 0;
}

static int build_scalar(struct ybuild *b, struct yctx *c, const yaml_event_t *ev)
{
	struct ynode *node = pol_arena_alloc(b->a, sizeof(*node));
	const char *tag = (const char *)ev->data.scalar.tag;

	if (!node)
		return ynomem(c);
	node->type = Y_SCALAR;
	node->line = (int)ev->start_mark.line + 1;
	node->len = ev->data.scalar.length;
	node->s = pol_arena_strndup(b->a, (const char *)ev->data.scalar.value,
				    node->len);
	if (!node->s)
		return ynomem(c);
	/* "!!str 80" is a string; any other tag is resolved as plain. */
	node->plain = ev->data.scalar.plain_implicit ||
		      (tag && strcmp(tag, YAML_STR_TAG));
	if (strlen(node->s) != node->len)
		return yerr(c, node->line, NULL, "NUL byte in a string");
	return build_attach(b, c, node);
}

/* Anchors and aliases are refused: no alias bomb can grow the tree. */
static int refuse_anchor(struct yctx *c, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	case YAML_ALIAS_EVENT:
		return yerr(c, (int)ev->start_mark.line + 1, NULL,
			    "aliases (*%s) are not supported",
			    (const char *)ev->data.alias.anchor);
	default:
		break;
	}
	if (anchor)
		return yerr(c, (int)ev->start_mark.line + 1, NULL,
			    "anchors (&%s) are not supported", (const char *)anchor);
	return 0;
}

static int build_event(struct ybuild *b, struct yctx *c, const yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	int ret = refuse_anchor(c, ev);

	if (ret)
		return ret;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return build_scalar(b, c, ev);
	case YAML_SEQUENCE_START_EVENT:
		return build_open(b, c, Y_SEQ, line);
	case YAML_MAPPING_START_EVENT:
		return build_open(b, c, Y_MAP, line);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return build_close(b, c);
	default:
		return 0;
	}
}

/* ---- scalars ------------------------------------------------------------------- */

static bool word_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_null(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };

	return n->type == Y_SCALAR && n->plain && word_in(n->s, nulls);
}

/* A plain scalar that YAML (1.1, as Kubernetes reads it) resolves to a
 * number, a boolean or null: not a string. */
static bool plain_not_string(const struct ynode *n)
{
	static const char *const words[] = {
		"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
		"YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", ".inf", ".Inf", ".INF", "-.inf", "+.inf",
		".nan", ".NaN", ".NAN", NULL };
	const char *s = n->s;
	char *end;

	if (!n->plain)
		return false;
	if (is_null(n) || word_in(s, words))
		return true;
	if (*s == '+' || *s == '-')
		s++;
	if (!*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return false;
	strtod(s, &end);
	if (!*end)
		return true;
	strtoull(s, &end, 0); /* 0x1f, 0o17 */
	return !*end || (s[0] == '0' && s[1] == 'o' && all_digits(s + 2));
}

static const char *ytype_name(const struct ynode *n)
{
	if (n->type == Y_MAP)
		return "a map";
	if (n->type == Y_SEQ)
		return "a list";
	if (is_null(n))
		return "null";
	return plain_not_string(n) ? "a number or boolean" : "a string";
}

static int want_type(struct yctx *c, const struct ynode *n, const char *path,
		     enum ytype type)
{
	static const char *const names[] = { "a string", "a list", "a map" };

	if (n->type == type)
		return 0;
	return yerr(c, n->line, path, "expected %s, not %s", names[type],
		    ytype_name(n));
}

static int want_string(struct yctx *c, const struct ynode *n, const char *path,
		       const char **s)
{
	if (n->type != Y_SCALAR || plain_not_string(n))
		return yerr(c, n->line, path, "expected a string, not %s%s",
			    ytype_name(n),
			    n->type == Y_SCALAR ? " (quote it)" : "");
	*s = n->s;
	return 0;
}

static int want_seq(struct yctx *c, const struct ynode *n, const char *path,
		    size_t max)
{
	int ret = want_type(c, n, path, Y_SEQ);

	if (ret)
		return ret;
	if (n->n > max)
		return yerr(c, n->line, path, "%zu items, more than %zu", n->n, max);
	return 0;
}

/* A port or endPort: 1..65535, written as a number or a string of
 * digits (Cilium writes "80"). */
static int want_port(struct yctx *c, const struct ynode *n, const char *path,
		     uint16_t *port)
{
	unsigned long v;

	if (n->type != Y_SCALAR)
		return want_type(c, n, path, Y_SCALAR);
	if (!all_digits(n->s)) {
		if (n->plain && plain_not_string(n))
			return yerr(c, n->line, path, "'%s' is not a port", n->s);
		return yerr(c, n->line, path,
			    "named ports ('%s') are not supported", n->s);
	}
	v = strlen(n->s) > 6 ? 100000 : strtoul(n->s, NULL, 10);
	if (v < 1 || v > 65535)
		return yerr(c, n->line, path, "%s is not a port (1-65535)", n->s);
	*port = (uint16_t)v;
	return 0;
}

/* ---- maps ----------------------------------------------------------------------- */

/* Paths are cut at YAML_PATH_MAX - 1 bytes (messages only). */
static void path_key(char *buf, const char *parent, const char *key)
{
	struct ebpfnet_sbuf sb;

	ebpfnet__sbuf_init(&sb, buf, YAML_PATH_MAX);
	ebpfnet__sbuf_printf(&sb, "%s%s%s", parent, *parent ? "." : "", key);
}

static void path_idx(char *buf, const char *parent, size_t i)
{
	struct ebpfnet_sbuf sb;

	ebpfnet__sbuf_init(&sb, buf, YAML_PATH_MAX);
	ebpfnet__sbuf_printf(&sb, "%s[%zu]", parent, i);
}

/*
 * Check a map's keys against `known` (NULL-terminated) and fill vals[i]
 * with the value of known[i] (NULL when absent or null). A key listed in
 * `unsupported` is "not supported"; any other an unknown field.
 */
static int walk_map(struct yctx *c, const struct ynode *n, const char *path,
		    const char *const *known, const char *const *unsupported,
		    const struct ynode **vals)
{
	size_t nknown = 0;
	int ret = want_type(c, n, path, Y_MAP);

	if (ret)
		return ret;
	while (known[nknown])
		vals[nknown++] = NULL;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *k = n->kids[i], *v = n->kids[i + 1];
		char kpath[YAML_PATH_MAX];
		size_t j;

		path_key(kpath, path, k->s);
		for (j = 0; j < nknown && strcmp(k->s, known[j]); j++)
			;
		if (j == nknown) {
			if (unsupported && word_in(k->s, unsupported))
				return yerr(c, k->line, kpath, "not supported");
			return yerr(c, k->line, kpath, "unknown field");
		}
		for (size_t p = 0; p < i; p += 2)
			if (!strcmp(n->kids[p]->s, k->s))
				return yerr(c, k->line, kpath, "duplicate key");
		vals[j] = is_null(v) ? NULL : v;
	}
	return 0;
}

/* ---- addresses -------------------------------------------------------------------- */

static void prefix_mask(struct pol_prefix *p)
{
	unsigned int bytes = p->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int bit = i * 8;

		if (bit >= p->plen)
			p->addr[i] = 0;
		else if (bit + 8 > p->plen)
			p->addr[i] &= (uint8_t)(0xff << (8 - (p->plen - bit)));
	}
}

/* "10.0.0.0/8", "fd00::/64", or an address (a full-length prefix). */
static int want_cidr(struct yctx *c, const struct ynode *n, const char *path,
		     struct pol_prefix *p)
{
	char text[64];
	const char *s, *slash;
	size_t alen;
	int ret = want_string(c, n, path, &s);

	if (ret)
		return ret;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	memset(p, 0, sizeof(*p));
	if (alen < sizeof(text)) {
		memcpy(text, s, alen);
		text[alen] = '\0';
		if (inet_pton(AF_INET, text, p->addr) == 1)
			p->family = AF_INET;
		else if (inet_pton(AF_INET6, text, p->addr) == 1)
			p->family = AF_INET6;
	}
	if (!p->family)
		return yerr(c, n->line, path, "'%s' is not a CIDR", s);
	p->plen = p->family == AF_INET ? 32 : 128;
	if (slash) {
		if (!all_digits(slash + 1) || strlen(slash + 1) > 3 ||
		    strtoul(slash + 1, NULL, 10) > p->plen)
			return yerr(c, n->line, path, "'%s' is not a CIDR", s);
		p->plen = (uint8_t)strtoul(slash + 1, NULL, 10);
	}
	prefix_mask(p);
	return 0;
}

/* A CIDR with its exceptions (CNP fromCIDRSet, k8s ipBlock). */
static int cidr_set(struct yctx *c, const struct ynode *n, const char *path,
		    struct pol_peer *peer)
{
	static const char *const known[] = { "cidr", "except", NULL };
	static const char *const unsupported[] = { "cidrGroupRef",
						   "cidrGroupSelector", NULL };
	const struct ynode *v[2];
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret = walk_map(c, n, path, known, unsupported, v);

	if (ret)
		return ret;
	path_key(p, path, "cidr");
	if (!v[0])
		return yerr(c, n->line, p, "required");
	peer->kind = POL_PEER_CIDR;
	ret = want_cidr(c, v[0], p, &peer->cidr);
	if (ret || !v[1])
		return ret;
	path_key(p, path, "except");
	ret = want_seq(c, v[1], p, YAML_MAX_LIST);
	if (ret)
		return ret;
	peer->except = pol_arena_alloc(c->a, v[1]->n * sizeof(*peer->except) + 1);
	if (!peer->except)
		return ynomem(c);
	for (size_t i = 0; i < v[1]->n; i++) {
		struct pol_prefix *e = &peer->except[i];

		path_idx(q, p, i);
		ret = want_cidr(c, v[1]->kids[i], q, e);
		if (ret)
			return ret;
		if (!pol_prefix_inside(e, &peer->cidr))
			return yerr(c, v[1]->kids[i]->line, q,
				    "'%s' is not inside the cidr", v[1]->kids[i]->s);
	}
	peer->n_except = v[1]->n;
	return 0;
}

/* ---- selectors ---------------------------------------------------------------------- */

/* A selector key: "app", "k8s:app" (the label's source must be k8s) or
 * "any:app" (any source). */
static int req_key(struct yctx *c, const struct ynode *n, const char *path,
		   struct pol_req *req)
{
	const char *s, *key, *colon;
	int ret = want_string(c, n, path, &s);

	if (ret)
		return ret;
	colon = strchr(s, ':');
	key = colon ? colon + 1 : s;
	req->src = NULL;
	if (colon) {
		size_t slen = (size_t)(colon - s);

		if (!pol_label_word_ok(s, slen, false))
			return yerr(c, n->line, path, "'%s' is not a label key", s);
		if (slen != 3 || memcmp(s, "any", 3)) {
			req->src = pol_arena_strndup(c->a, s, slen);
			if (!req->src)
				return ynomem(c);
		}
	}
	if (!pol_label_word_ok(key, strlen(key), false))
		return yerr(c, n->line, path, "'%s' is not a label key", s);
	req->key = pol_arena_strndup(c->a, key, strlen(key));
	return req->key ? 0 : ynomem(c);
}

static int req_value(struct yctx *c, const struct ynode *n, const char *path,
		     const char **out)
{
	const char *s;
	int ret = want_string(c, n, path, &s);

	if (ret)
		return ret;
	if (!pol_label_word_ok(s, strlen(s), true))
		return yerr(c, n->line, path,
			    "'%s': a label value is made of [A-Za-z0-9._/-]", s);
	*out = pol_arena_strndup(c->a, s, strlen(s));
	return *out ? 0 : ynomem(c);
}

static int match_labels(struct yctx *c, const struct ynode *n, const char *path,
			struct pol_selector *sel)
{
	int ret = want_type(c, n, path, Y_MAP);

	if (ret)
		return ret;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		struct pol_req *req = &sel->reqs[sel->n_reqs];
		char p[YAML_PATH_MAX];

		path_key(p, path, n->kids[i]->s);
		req->op = POL_OP_IN;
		req->values = pol_arena_alloc(c->a, sizeof(*req->values));
		if (!req->values)
			return ynomem(c);
		req->n_values = 1;
		ret = req_key(c, n->kids[i], p, req);
		if (!ret)
			ret = req_value(c, n->kids[i + 1], p, &req->values[0]);
		if (ret)
			return ret;
		sel->n_reqs++;
	}
	return 0;
}

static int match_expression(struct yctx *c, const struct ynode *n,
			    const char *path, struct pol_req *req)
{
	static const char *const known[] = { "key", "operator", "values", NULL };
	static const char *const ops[] = { "In", "NotIn", "Exists",
					   "DoesNotExist", NULL };
	const struct ynode *v[3];
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	const char *op;
	int ret = walk_map(c, n, path, known, NULL, v);

	for (int i = 0; !ret && i < 2; i++) {
		path_key(p, path, known[i]);
		if (!v[i])
			ret = yerr(c, n->line, p, "required");
	}
	if (ret)
		return ret;
	path_key(p, path, "key");
	ret = req_key(c, v[0], p, req);
	path_key(p, path, "operator");
	if (!ret)
		ret = want_string(c, v[1], p, &op);
	if (ret)
		return ret;
	for (req->op = 0; ops[req->op] && strcmp(ops[req->op], op); req->op++)
		;
	if (!ops[req->op])
		return yerr(c, v[1]->line, p,
			    "'%s': expected In, NotIn, Exists or DoesNotExist", op);
	path_key(p, path, "values");
	if (req->op >= POL_OP_EXISTS) {
		if (v[2] && !(v[2]->type == Y_SEQ && !v[2]->n))
			return yerr(c, v[2]->line, p, "must be empty for %s", op);
		return 0;
	}
	if (!v[2] || (v[2]->type == Y_SEQ && !v[2]->n))
		return yerr(c, v[2] ? v[2]->line : n->line, p,
			    "required (not empty) for %s", op);
	ret = want_seq(c, v[2], p, YAML_MAX_LIST);
	if (ret)
		return ret;
	req->values = pol_arena_alloc(c->a, v[2]->n * sizeof(*req->values));
	if (!req->values)
		return ynomem(c);
	for (size_t i = 0; i < v[2]->n; i++) {
		path_idx(q, p, i);
		ret = req_value(c, v[2]->kids[i], q, &req->values[i]);
		if (ret)
			return ret;
	}
	req->n_values = v[2]->n;
	return 0;
}

static int namespace_req(struct yctx *c, struct pol_selector *sel, const char *ns)
{
	struct pol_req *req = &sel->reqs[sel->n_reqs++];

	req->src = "k8s";
	req->key = POL_NAMESPACE_KEY;
	req->op = POL_OP_IN;
	req->values = pol_arena_alloc(c->a, sizeof(*req->values));
	if (!req->values)
		return ynomem(c);
	req->values[0] = ns;
	req->n_values = 1;
	return 0;
}

/*
 * A label selector (matchLabels, matchExpressions). ns: the policy's
 * namespace, added as a requirement when always_ns, or when the
 * selector names no namespace itself. extra: room for more requirements
 * (a k8s namespaceSelector's).
 */
static int selector(struct yctx *c, const struct ynode *n, const char *path,
		    const char *ns, bool always_ns, size_t extra,
		    struct pol_selector *sel)
{
	static const char *const known[] = { "matchLabels", "matchExpressions", NULL };
	const struct ynode *v[2];
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	size_t cap = 1 + extra;
	bool has_ns = false;
	int ret = walk_map(c, n, path, known, NULL, v);

	if (ret)
		return ret;
	path_key(p, path, "matchLabels");
	if (v[0] && (ret = want_type(c, v[0], p, Y_MAP)))
		return ret;
	path_key(q, path, "matchExpressions");
	if (v[1] && (ret = want_seq(c, v[1], q, YAML_MAX_LIST)))
		return ret;
	cap += (v[0] ? v[0]->n / 2 : 0) + (v[1] ? v[1]->n : 0);
	if (cap - extra > YAML_MAX_LIST)
		return yerr(c, n->line, path, "more than %d requirements",
			    YAML_MAX_LIST);
	sel->reqs = pol_arena_alloc(c->a, cap * sizeof(*sel->reqs));
	if (!sel->reqs)
		return ynomem(c);
	if (v[0] && (ret = match_labels(c, v[0], p, sel)))
		return ret;
	for (size_t i = 0; v[1] && i < v[1]->n; i++) {
		char r[YAML_PATH_MAX];

		path_idx(r, q, i);
		ret = match_expression(c, v[1]->kids[i], r, &sel->reqs[sel->n_reqs]);
		if (ret)
			return ret;
		sel->n_reqs++;
	}
	sel->n_user = sel->n_reqs;
	for (size_t i = 0; i < sel->n_reqs; i++)
		has_ns |= pol_req_is_namespace(&sel->reqs[i]);
	if (ns && (always_ns || !has_ns))
		return namespace_req(c, sel, ns);
	return 0;
}

/* ---- rules ---------------------------------------------------------------------------- */

struct doc_ctx {
	struct yctx *c;
	struct pol_doc *doc;
	bool k8s;
};

static const char *const dir_rule_names[4] = {
	"ingress", "egress", "ingressDeny", "egressDeny",
};

static int entity(struct yctx *c, const struct ynode *n, const char *path,
		  struct pol_peer *peer)
{
	static const char *const names[] = { "world", "host", "all", "cluster", NULL };
	static const char *const unsupported[] = {
		"remote-node", "kube-apiserver", "health", "init", "ingress",
		"unmanaged", "world-ipv4", "world-ipv6", "none", NULL };
	const char *s;
	int ret = want_string(c, n, path, &s);

	if (ret)
		return ret;
	peer->kind = POL_PEER_ENTITY;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			peer->entity = (enum pol_entity)i;
			return 0;
		}
	}
	if (word_in(s, unsupported))
		return yerr(c, n->line, path, "entity '%s' is not supported", s);
	return yerr(c, n->line, path, "unknown entity '%s'", s);
}

/* One ports[] element of either kind. */
static int port_item(struct doc_ctx *d, const struct ynode *n, const char *path,
		     struct pol_port *port)
{
	static const char *const known[] = { "port", "endPort", "protocol", NULL };
	static const char *const protos[] = { "TCP", "UDP", "SCTP", "ANY", NULL };
	static const uint8_t proto_nums[] = { IPPROTO_TCP, IPPROTO_UDP,
					      IPPROTO_SCTP, POL_PROTO_ANY };
	struct yctx *c = d->c;
	const struct ynode *v[3];
	char p[YAML_PATH_MAX];
	int ret = walk_map(c, n, path, known, NULL, v);

	if (ret)
		return ret;
	port->proto = d->k8s ? IPPROTO_TCP : POL_PROTO_ANY;
	if (v[2]) {
		const char *s;
		int i;

		path_key(p, path, "protocol");
		ret = want_string(c, v[2], p, &s);
		if (ret)
			return ret;
		for (i = 0; protos[i] && strcmp(protos[i], s); i++)
			;
		if (!protos[i] || (d->k8s && proto_nums[i] == POL_PROTO_ANY))
			return yerr(c, v[2]->line, p, "'%s': expected %s", s,
				    d->k8s ? "TCP, UDP or SCTP"
					   : "TCP, UDP, SCTP or ANY");
		port->proto = proto_nums[i];
	}
	if (v[0]) {
		path_key(p, path, "port");
		ret = want_port(c, v[0], p, &port->first);
		if (ret)
			return ret;
		port->last = port->first;
	}
	if (v[1]) {
		path_key(p, path, "endPort");
		if (!v[0])
			return yerr(c, v[1]->line, p, "needs a port");
		if (v[1]->type == Y_SCALAR && !v[1]->plain)
			return yerr(c, v[1]->line, p, "expected a number");
		ret = want_port(c, v[1], p, &port->last);
		if (ret)
			return ret;
		if (port->last < port->first)
			return yerr(c, v[1]->line, p, "%u is less than port %u",
				    port->last, port->first);
	}
	return 0;
}

static int alloc_rule_lists(struct doc_ctx *d, const struct ynode *n,
			    const char *path, struct pol_rule *r,
			    size_t peers, size_t ports)
{
	if (peers > YAML_MAX_LIST || ports > YAML_MAX_LIST)
		return yerr(d->c, n->line, path, "more than %d %s in one rule",
			    YAML_MAX_LIST, peers > YAML_MAX_LIST ? "peers" : "ports");
	r->peers = pol_arena_alloc(d->c->a, peers * sizeof(*r->peers) + 1);
	r->ports = pol_arena_alloc(d->c->a, ports * sizeof(*r->ports) + 1);
	return r->peers && r->ports ? 0 : ynomem(d->c);
}

/* CiliumNetworkPolicy toPorts: [{ports: [...]}]. */
static int cnp_to_ports(struct doc_ctx *d, const struct ynode *n,
			const char *path, const struct ynode **ports_of)
{
	static const char *const known[] = { "ports", NULL };
	static const char *const unsupported[] = {
		"rules", "terminatingTLS", "originatingTLS", "serverNames",
		"listener", NULL };
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret;

	for (size_t i = 0; i < n->n; i++) {
		path_idx(p, path, i);
		ret = walk_map(d->c, n->kids[i], p, known, unsupported, &ports_of[i]);
		if (ret)
			return ret;
		path_key(q, p, "ports");
		if (!ports_of[i])
			return yerr(d->c, n->kids[i]->line, q, "required");
		ret = want_seq(d->c, ports_of[i], q, YAML_MAX_LIST);
		if (ret)
			return ret;
		if (!ports_of[i]->n)
			return yerr(d->c, ports_of[i]->line, q, "empty");
	}
	return 0;
}

static int cnp_peers(struct doc_ctx *d, const struct ynode *const *v,
		     const char *const *names, const char *path,
		     struct pol_rule *r)
{
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret = 0;

	for (int f = 0; f < 4; f++) {
		path_key(p, path, names[f]);
		for (size_t i = 0; v[f] && i < v[f]->n; i++) {
			struct pol_peer *peer = &r->peers[r->n_peers++];
			const struct ynode *e = v[f]->kids[i];

			path_idx(q, p, i);
			if (f == 0) {
				peer->kind = POL_PEER_ENDPOINTS;
				ret = selector(d->c, e, q, d->doc->ns, false, 0,
					       &peer->sel);
			} else if (f == 1) {
				peer->kind = POL_PEER_CIDR;
				ret = want_cidr(d->c, e, q, &peer->cidr);
			} else if (f == 2) {
				ret = cidr_set(d->c, e, q, peer);
			} else {
				ret = entity(d->c, e, q, peer);
			}
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int cnp_rule(struct doc_ctx *d, const struct ynode *n, const char *path,
		    struct pol_rule *r)
{
	static const char *const in_known[] = {
		"fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities",
		"toPorts", NULL };
	static const char *const eg_known[] = {
		"toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toPorts", NULL };
	static const char *const in_unsupported[] = {
		"fromRequires", "fromNodes", "fromGroups", "icmps",
		"authentication", "fromServices", NULL };
	static const char *const eg_unsupported[] = {
		"toRequires", "toServices", "toFQDNs", "toGroups", "toNodes",
		"icmps", "authentication", NULL };
	const char *const *known = r->dir == POLICY_DIR_INGRESS ? in_known : eg_known;
	const struct ynode *v[5], **ports_of = NULL;
	size_t peers = 0, ports = 0;
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret = walk_map(d->c, n, path, known,
			   r->dir == POLICY_DIR_INGRESS ? in_unsupported
							: eg_unsupported, v);

	if (ret)
		return ret;
	for (int f = 0; f < 4; f++) {
		path_key(p, path, known[f]);
		if (v[f] && (ret = want_seq(d->c, v[f], p, YAML_MAX_LIST)))
			return ret;
		peers += v[f] ? v[f]->n : 0;
	}
	if (v[4]) {
		path_key(p, path, "toPorts");
		ret = want_seq(d->c, v[4], p, YAML_MAX_LIST);
		if (ret)
			return ret;
		ports_of = pol_arena_alloc(d->c->a, v[4]->n * sizeof(*ports_of) + 1);
		if (!ports_of)
			return ynomem(d->c);
		ret = cnp_to_ports(d, v[4], p, ports_of);
		if (ret)
			return ret;
		for (size_t i = 0; i < v[4]->n; i++)
			ports += ports_of[i]->n;
	}
	ret = alloc_rule_lists(d, n, path, r, peers, ports);
	if (ret)
		return ret;
	/* No peer field: every peer when ports are given; {} selects nothing
	 * (but its direction is enforced), as in Cilium. */
	r->any_peer = !v[0] && !v[1] && !v[2] && !v[3] && ports;
	ret = cnp_peers(d, v, known, path, r);
	for (size_t i = 0; !ret && v[4] && i < v[4]->n; i++) {
		path_key(p, path, "toPorts");
		path_idx(q, p, i);
		path_key(p, q, "ports");
		for (size_t j = 0; !ret && j < ports_of[i]->n; j++) {
			char t[YAML_PATH_MAX];

			path_idx(t, p, j);
			ret = port_item(d, ports_of[i]->kids[j], t,
					&r->ports[r->n_ports++]);
		}
	}
	return ret;
}

/* A k8s namespaceSelector: only the namespace's name label. */
static int k8s_namespaces(struct yctx *c, const struct ynode *n,
			  const char *path, struct pol_selector *sel)
{
	static const char *const known[] = { "matchLabels", "matchExpressions", NULL };
	static const char *const name_label = "kubernetes.io/metadata.name";
	struct pol_selector ns = { 0 };
	const struct ynode *v[2];
	int ret = walk_map(c, n, path, known, NULL, v);

	if (ret)
		return ret;
	ret = selector(c, n, path, NULL, false, 0, &ns);
	if (ret)
		return ret;
	for (size_t i = 0; i < ns.n_reqs; i++) {
		struct pol_req *req = &ns.reqs[i];
		char p[YAML_PATH_MAX];

		if (strcmp(req->key, name_label) || req->src || req->op != POL_OP_IN) {
			path_key(p, path, v[0] && i < v[0]->n / 2 ? "matchLabels"
								: "matchExpressions");
			return yerr(c, n->line, p,
				    "not supported: only %s (matchLabels or In)",
				    name_label);
		}
		req->src = "k8s";
		req->key = POL_NAMESPACE_KEY;
	}
	if (!ns.n_reqs) { /* {}: every namespace */
		ns.reqs = pol_arena_alloc(c->a, sizeof(*ns.reqs));
		if (!ns.reqs)
			return ynomem(c);
		ns.reqs[0] = (struct pol_req){ .src = "k8s", .key = POL_NAMESPACE_KEY,
					       .op = POL_OP_EXISTS };
		ns.n_reqs = 1;
	}
	for (size_t i = 0; i < ns.n_reqs; i++)
		sel->reqs[sel->n_reqs++] = ns.reqs[i];
	sel->n_user = sel->n_reqs; /* summaries show the namespaces too */
	return 0;
}

static int k8s_peer(struct doc_ctx *d, const struct ynode *n, const char *path,
		    struct pol_peer *peer)
{
	static const char *const known[] = { "podSelector", "namespaceSelector",
					     "ipBlock", NULL };
	const struct ynode *v[3];
	char p[YAML_PATH_MAX];
	int ret = walk_map(d->c, n, path, known, NULL, v);

	if (ret)
		return ret;
	if (v[2]) {
		path_key(p, path, "ipBlock");
		if (v[0] || v[1])
			return yerr(d->c, v[2]->line, p,
				    "cannot be combined with a selector");
		return cidr_set(d->c, v[2], p, peer);
	}
	if (!v[0] && !v[1])
		return yerr(d->c, n->line, path,
			    "expected podSelector, namespaceSelector or ipBlock");
	peer->kind = POL_PEER_ENDPOINTS;
	if (v[0]) {
		path_key(p, path, "podSelector");
		/* with a namespaceSelector the pods are in those namespaces */
		ret = selector(d->c, v[0], p, v[1] ? NULL : d->doc->ns, false,
			       v[1] ? YAML_MAX_LIST : 0, &peer->sel);
		if (ret)
			return ret;
	} else {
		peer->sel.reqs = pol_arena_alloc(d->c->a, YAML_MAX_LIST *
						 sizeof(*peer->sel.reqs));
		if (!peer->sel.reqs)
			return ynomem(d->c);
	}
	if (!v[1])
		return 0;
	path_key(p, path, "namespaceSelector");
	return k8s_namespaces(d->c, v[1], p, &peer->sel);
}

static int k8s_rule(struct doc_ctx *d, const struct ynode *n, const char *path,
		    struct pol_rule *r)
{
	static const char *const in_known[] = { "from", "ports", NULL };
	static const char *const eg_known[] = { "to", "ports", NULL };
	const char *const *known = r->dir == POLICY_DIR_INGRESS ? in_known : eg_known;
	const struct ynode *v[2];
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret = walk_map(d->c, n, path, known, NULL, v);

	for (int f = 0; !ret && f < 2; f++) {
		path_key(p, path, known[f]);
		if (v[f])
			ret = want_seq(d->c, v[f], p, YAML_MAX_LIST);
	}
	if (!ret)
		ret = alloc_rule_lists(d, n, path, r, v[0] ? v[0]->n : 0,
				       v[1] ? v[1]->n : 0);
	if (ret)
		return ret;
	/* Kubernetes: no (or an empty) from/to is every peer. */
	r->any_peer = !v[0] || !v[0]->n;
	path_key(p, path, known[0]);
	for (size_t i = 0; !ret && v[0] && i < v[0]->n; i++) {
		path_idx(q, p, i);
		ret = k8s_peer(d, v[0]->kids[i], q, &r->peers[r->n_peers++]);
	}
	path_key(p, path, "ports");
	for (size_t i = 0; !ret && v[1] && i < v[1]->n; i++) {
		path_idx(q, p, i);
		ret = port_item(d, v[1]->kids[i], q, &r->ports[r->n_ports++]);
	}
	return ret;
}

/* ---- specs ------------------------------------------------------------------------------ */

/* A spec's fields, read before its rules are allocated. */
struct spec_src {
	const struct ynode *node;
	const struct ynode *selector;
	const struct ynode *rules[4];   /* by dir_rule_names */
	const struct ynode *types;      /* k8s policyTypes */
	char path[YAML_PATH_MAX];
};

static int spec_fields(struct doc_ctx *d, const struct ynode *n, const char *path,
		       struct spec_src *s, size_t *n_rules)
{
	static const char *const cnp_known[] = {
		"endpointSelector", "ingress", "egress", "ingressDeny",
		"egressDeny", "description", NULL };
	static const char *const cnp_unsupported[] = {
		"nodeSelector", "labels", "enableDefaultDeny", "log", NULL };
	static const char *const k8s_known[] = {
		"podSelector", "ingress", "egress", "policyTypes", NULL };
	const struct ynode *v[6];
	char p[YAML_PATH_MAX];
	const char *description;
	int nrules = d->k8s ? 2 : 4;
	int ret = walk_map(d->c, n, path, d->k8s ? k8s_known : cnp_known,
			   d->k8s ? NULL : cnp_unsupported, v);

	if (ret)
		return ret;
	s->node = n;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->selector = v[0];
	s->types = d->k8s ? v[3] : NULL;
	path_key(p, path, d->k8s ? "podSelector" : "endpointSelector");
	if (!s->selector)
		return yerr(d->c, n->line, p, "required");
	if (!d->k8s && v[5]) {
		path_key(p, path, "description");
		ret = want_string(d->c, v[5], p, &description);
		if (ret)
			return ret;
	}
	for (int i = 0; i < nrules; i++) {
		s->rules[i] = v[1 + i];
		path_key(p, path, dir_rule_names[i]);
		if (v[1 + i] && (ret = want_seq(d->c, v[1 + i], p, YAML_MAX_RULES)))
			return ret;
		*n_rules += v[1 + i] ? v[1 + i]->n : 0;
	}
	if (*n_rules > YAML_MAX_RULES)
		return yerr(d->c, n->line, path, "more than %d rules in one policy",
			    YAML_MAX_RULES);
	return 0;
}

/* k8s policyTypes; absent: Ingress, plus Egress when egress rules exist. */
static int k8s_types(struct doc_ctx *d, const struct spec_src *s,
		     struct pol_spec *spec)
{
	static const char *const types[] = { "Ingress", "Egress", NULL };
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret;

	if (!s->types) {
		spec->enforce[POLICY_DIR_INGRESS] = true;
		spec->enforce[POLICY_DIR_EGRESS] = s->rules[1] != NULL;
		return 0;
	}
	path_key(p, s->path, "policyTypes");
	ret = want_seq(d->c, s->types, p, 2);
	for (size_t i = 0; !ret && i < s->types->n; i++) {
		const char *t;
		int k;

		path_idx(q, p, i);
		ret = want_string(d->c, s->types->kids[i], q, &t);
		if (ret)
			return ret;
		for (k = 0; types[k] && strcmp(types[k], t); k++)
			;
		if (!types[k])
			return yerr(d->c, s->types->kids[i]->line, q,
				    "'%s': expected Ingress or Egress", t);
		spec->enforce[k] = true;
	}
	return ret;
}

static int spec_rules(struct doc_ctx *d, const struct spec_src *s,
		      uint32_t spec_idx, size_t *next_rule)
{
	struct pol_spec *spec = &d->doc->specs[spec_idx];
	char p[YAML_PATH_MAX], q[YAML_PATH_MAX];
	int ret;

	path_key(p, s->path, d->k8s ? "podSelector" : "endpointSelector");
	ret = selector(d->c, s->selector, p, d->doc->ns, true, 0, &spec->subject);
	if (!ret && d->k8s)
		ret = k8s_types(d, s, spec);
	for (int i = 0; !ret && i < (d->k8s ? 2 : 4); i++) {
		path_key(p, s->path, dir_rule_names[i]);
		for (size_t j = 0; !ret && s->rules[i] && j < s->rules[i]->n; j++) {
			struct pol_rule *r = &d->doc->rules[(*next_rule)++];

			r->dir = i % 2 ? POLICY_DIR_EGRESS : POLICY_DIR_INGRESS;
			r->deny = i >= 2;
			r->spec = spec_idx;
			r->line = s->rules[i]->kids[j]->line;
			path_idx(q, p, j);
			ret = d->k8s ? k8s_rule(d, s->rules[i]->kids[j], q, r)
				     : cnp_rule(d, s->rules[i]->kids[j], q, r);
			if (!d->k8s)
				spec->enforce[r->dir] = true;
			r->active = spec->enforce[r->dir];
		}
	}
	return ret;
}

static int specs(struct doc_ctx *d, const struct ynode *spec,
		 const struct ynode *list)
{
	size_t n = (spec ? 1 : 0) + (list ? list->n : 0);
	size_t n_rules = 0, next = 0;
	struct spec_src *src;
	int ret = 0;

	src = pol_arena_alloc(d->c->a, n * sizeof(*src) + 1);
	d->doc->specs = pol_arena_alloc(d->c->a, n * sizeof(*d->doc->specs) + 1);
	if (!src || !d->doc->specs)
		return ynomem(d->c);
	d->doc->n_specs = n;
	if (spec)
		ret = spec_fields(d, spec, "spec", &src[0], &n_rules);
	for (size_t i = 0; !ret && list && i < list->n; i++) {
		char p[YAML_PATH_MAX];

		path_idx(p, "specs", i);
		ret = spec_fields(d, list->kids[i], p, &src[(spec ? 1 : 0) + i],
				  &n_rules);
	}
	if (!ret && n_rules > YAML_MAX_RULES)
		ret = yerr(d->c, (spec ? spec : list)->line, spec ? "spec" : "specs",
			   "more than %d rules in one policy", YAML_MAX_RULES);
	if (ret)
		return ret;
	d->doc->rules = pol_arena_alloc(d->c->a, n_rules * sizeof(*d->doc->rules) + 1);
	if (!d->doc->rules)
		return ynomem(d->c);
	d->doc->n_rules = n_rules;
	for (size_t i = 0; !ret && i < n; i++)
		ret = spec_rules(d, &src[i], (uint32_t)i, &next);
	return ret;
}

/* ---- documents ------------------------------------------------------------------------------ */

/* DNS-1123: a subdomain (names) or a label (namespaces). */
static bool dns_name_ok(const char *s, bool dots, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' ||
	    s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || (dots && ch == '.')))
			return false;
	}
	return true;
}

static int metadata(struct doc_ctx *d, const struct ynode *n)
{
	static const char *const known[] = { "name", "namespace", "labels",
					     "annotations", NULL };
	const struct ynode *v[4];
	const char *name, *ns = "default";
	char full[POLICY_NAME_MAX + 64];
	int ret = walk_map(d->c, n, "metadata", known, NULL, v);

	if (ret)
		return ret;
	if (!v[0])
		return yerr(d->c, n->line, "metadata.name", "required");
	ret = want_string(d->c, v[0], "metadata.name", &name);
	if (ret)
		return ret;
	if (!dns_name_ok(name, true, 253))
		return yerr(d->c, v[0]->line, "metadata.name",
			    "'%s' is not a name (lower case letters, digits, '-', '.')",
			    name);
	if (v[1]) {
		ret = want_string(d->c, v[1], "metadata.namespace", &ns);
		if (ret)
			return ret;
		if (!dns_name_ok(ns, false, 63))
			return yerr(d->c, v[1]->line, "metadata.namespace",
				    "'%s' is not a namespace", ns);
	}
	if (v[2] && (ret = want_type(d->c, v[2], "metadata.labels", Y_MAP)))
		return ret;
	if (v[3] && (ret = want_type(d->c, v[3], "metadata.annotations", Y_MAP)))
		return ret;
	snprintf(full, sizeof(full), "%s/%s", ns, name);
	if (strlen(full) >= POLICY_NAME_MAX)
		return yerr(d->c, v[0]->line, "metadata.name",
			    "namespace/name longer than %d", POLICY_NAME_MAX - 1);
	d->doc->ns = pol_arena_strndup(d->c->a, ns, strlen(ns));
	d->doc->name = pol_arena_strndup(d->c->a, full, strlen(full));
	return d->doc->ns && d->doc->name ? 0 : ynomem(d->c);
}

static int kind_of(struct doc_ctx *d, const struct ynode *root,
		   const struct ynode *api, const struct ynode *kind)
{
	const char *a, *k;
	int ret;

	if (!api)
		return yerr(d->c, root->line, "apiVersion", "required");
	if (!kind)
		return yerr(d->c, root->line, "kind", "required");
	ret = want_string(d->c, api, "apiVersion", &a);
	if (!ret)
		ret = want_string(d->c, kind, "kind", &k);
	if (ret)
		return ret;
	if (!strcmp(k, "CiliumNetworkPolicy")) {
		d->doc->kind = "CiliumNetworkPolicy";
		if (strcmp(a, "cilium.io/v2"))
			return yerr(d->c, api->line, "apiVersion",
				    "'%s': CiliumNetworkPolicy is cilium.io/v2", a);
	} else if (!strcmp(k, "NetworkPolicy")) {
		d->doc->kind = "NetworkPolicy";
		d->k8s = true;
		if (strcmp(a, "networking.k8s.io/v1"))
			return yerr(d->c, api->line, "apiVersion",
				    "'%s': NetworkPolicy is networking.k8s.io/v1", a);
	} else {
		return yerr(d->c, kind->line, "kind",
			    "'%s': expected CiliumNetworkPolicy or NetworkPolicy", k);
	}
	return 0;
}

static int document(struct yctx *c, const struct ynode *root, struct pol_doc *doc)
{
	static const char *const known[] = { "apiVersion", "kind", "metadata",
					     "spec", "specs", NULL };
	struct doc_ctx d = { .c = c, .doc = doc };
	const struct ynode *v[5];
	int ret = walk_map(c, root, "", known, NULL, v);

	if (!ret)
		ret = kind_of(&d, root, v[0], v[1]);
	if (ret)
		return ret;
	if (!v[2])
		return yerr(c, root->line, "metadata", "required");
	ret = metadata(&d, v[2]);
	if (ret)
		return ret;
	if (d.k8s && v[4])
		return yerr(c, v[4]->line, "specs", "unknown field");
	if (!v[3] && !v[4])
		return yerr(c, root->line, "spec", "required");
	if (v[4] && (ret = want_seq(c, v[4], "specs", YAML_MAX_LIST)))
		return ret;
	return specs(&d, v[3], v[4]);
}

/* ---- the parse -------------------------------------------------------------------------------- */

struct docs_out {
	struct pol_doc **docs;
	size_t n, cap;
};

static int finish_document(struct yctx *c, struct ybuild *b, const char *text,
			   size_t start, size_t end, int line, struct docs_out *out)
{
	struct pol_doc *doc;
	int ret;

	if (!b->root || is_null(b->root))
		return 0; /* an empty document */
	if (b->root->type != Y_MAP)
		return yerr(c, b->root->line, NULL, "expected a map (a policy), not %s",
			    ytype_name(b->root));
	if (end - start > POLICY_DOC_MAX)
		return yerr(c, line, NULL,
			    "the document is %zu bytes, more than a stored policy holds (%d)",
			    end - start, POLICY_DOC_MAX);
	if (out->n == POLICY_MAX_DOCS)
		return yerr(c, line, NULL, "more than %d documents", POLICY_MAX_DOCS);
	if (out->n == out->cap) {
		size_t cap = out->cap ? 2 * out->cap : 4;
		struct pol_doc **docs = realloc(out->docs, cap * sizeof(*docs));

		if (!docs)
			return ynomem(c);
		out->docs = docs;
		out->cap = cap;
	}
	doc = calloc(1, sizeof(*doc));
	if (!doc)
		return ynomem(c);
	out->docs[out->n++] = doc;
	c->a = &doc->arena;
	ret = document(c, b->root, doc);
	if (ret)
		return ret;
	doc->text = pol_arena_strndup(&doc->arena, text + start, end - start);
	doc->text_len = end - start;
	return doc->text ? 0 : ynomem(c);
}

static int parse_error(struct yctx *c, const yaml_parser_t *p, const char *text)
{
	int line = (int)p->problem_mark.line + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return ynomem(c);
	if (p->error == YAML_READER_ERROR) { /* marks are not set: count lines */
		line = 1;
		for (size_t i = 0; i < p->problem_offset; i++)
			line += text[i] == '\n';
	}
	if (p->context)
		return yerr(c, line, NULL, "%s %s",
			    p->problem ? p->problem : "syntax error", p->context);
	return yerr(c, line, NULL, "%s", p->problem ? p->problem : "syntax error");
}

static int parse_stream(struct yctx *c, const char *text, size_t len,
			struct docs_out *out)
{
	struct pol_arena tree = { 0 };
	struct ybuild b = { .a = &tree };
	yaml_parser_t p;
	size_t doc_start = 0;
	int doc_line = 1;
	int ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return ynomem(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!ret && !done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&p, &ev)) {
			ret = parse_error(c, &p, text);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_start = ev.start_mark.index;
			doc_line = (int)ev.start_mark.line + 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			ret = finish_document(c, &b, text, doc_start,
					      ev.end_mark.index, doc_line, out);
			build_reset(&b);
			pol_arena_free(&tree);
			break;
		default:
			ret = build_event(&b, c, &ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	build_reset(&b);
	pol_arena_free(&tree);
	yaml_parser_delete(&p);
	return ret;
}

int pol_yaml_parse(const char *text, size_t len, struct pol_doc ***docs,
		   size_t *n, char *err, size_t errlen)
{
	struct yctx c = { .err = err, .errlen = errlen };
	struct docs_out out = { 0 };
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!text || !docs || !n || (!err && errlen)) {
		pr_warn("policy yaml: text, docs and n must not be NULL");
		return -EINVAL;
	}
	if (len > YAML_MAX_TEXT)
		return yerr(&c, 1, NULL, "%zu bytes of YAML, more than %d", len,
			    YAML_MAX_TEXT);
	ret = parse_stream(&c, text, len, &out);
	if (!ret && !out.n)
		ret = yerr(&c, 1, NULL, "no policy document");
	if (ret) {
		pol_docs_free(out.docs, out.n);
		return ret;
	}
	*docs = out.docs;
	*n = out.n;
	return 0;
}

void pol_docs_free(struct pol_doc **docs, size_t n)
{
	if (!docs)
		return;
	for (size_t i = 0; i < n; i++) {
		if (docs[i])
			pol_arena_free(&docs[i]->arena);
		free(docs[i]);
	}
	free(docs);
}

/* ---- accessors -------------------------------------------------------------------------------- */

const char *pol_doc_name(const struct pol_doc *doc)
{
	return doc ? doc->name : NULL;
}

const char *pol_doc_kind(const struct pol_doc *doc)
{
	return doc ? doc->kind : NULL;
}

const char *pol_doc_text(const struct pol_doc *doc, size_t *len)
{
	if (!doc)
		return NULL;
	if (len)
		*len = doc->text_len;
	return doc->text;
}

uint32_t pol_doc_rules(const struct pol_doc *doc)
{
	return doc ? (uint32_t)doc->n_rules : 0;
}

void pol_doc_set_first_rule(struct pol_doc *doc, uint32_t first_rule)
{
	if (doc)
		doc->first_rule = first_rule;
}

uint32_t pol_doc_first_rule(const struct pol_doc *doc)
{
	return doc ? doc->first_rule : 0;
}

bool pol_doc_selects(const struct pol_doc *doc, const char *canonical_labels)
{
	struct pol_labelset *ls;
	bool hit = false;

	if (!doc || !canonical_labels)
		return false;
	ls = malloc(sizeof(*ls));
	if (!ls || pol_labelset_split(canonical_labels, ls)) {
		free(ls);
		return false;
	}
	for (size_t i = 0; i < doc->n_specs && !hit; i++)
		hit = pol_selector_matches(&doc->specs[i].subject, ls);
	free(ls);
	return hit;
}

/* ---- summaries ------------------------------------------------------------------------------- */

static void peer_text(const struct pol_peer *peer, struct ebpfnet_sbuf *sb)
{
	static const char *const entities[] = { "world", "host", "all", "cluster" };

	switch (peer->kind) {
	case POL_PEER_ENDPOINTS:
		pol_selector_text(&peer->sel, sb);
		break;
	case POL_PEER_CIDR:
		pol_prefix_text(&peer->cidr, sb);
		for (size_t i = 0; i < peer->n_except; i++) {
			ebpfnet__sbuf_printf(sb, i ? "," : " except ");
			pol_prefix_text(&peer->except[i], sb);
		}
		break;
	case POL_PEER_ENTITY:
		ebpfnet__sbuf_printf(sb, "entity:%s", entities[peer->entity]);
		break;
	}
}

static void port_text(const struct pol_port *port, struct ebpfnet_sbuf *sb)
{
	const char *proto = port->proto == IPPROTO_TCP   ? "TCP"
			    : port->proto == IPPROTO_UDP ? "UDP"
			    : port->proto == IPPROTO_SCTP ? "SCTP"
							  : "ANY";

	if (!port->first)
		ebpfnet__sbuf_printf(sb, "%s", proto);
	else if (port->first == port->last)
		ebpfnet__sbuf_printf(sb, "%s/%u", proto, port->first);
	else
		ebpfnet__sbuf_printf(sb, "%s/%u-%u", proto, port->first, port->last);
}

static void rule_summary(const struct pol_rule *r, struct ebpfnet_sbuf *sb)
{
	bool in = r->dir == POLICY_DIR_INGRESS;

	ebpfnet__sbuf_printf(sb, "%s %s", r->deny ? "deny" : "allow",
			     in ? "ingress" : "egress");
	if (!r->any_peer && !r->n_peers) {
		ebpfnet__sbuf_printf(sb, ": selects nothing (default deny)");
	} else {
		ebpfnet__sbuf_printf(sb, " %s ", in ? "from" : "to");
		if (r->any_peer)
			ebpfnet__sbuf_printf(sb, "any peer");
		for (size_t i = 0; i < r->n_peers; i++) {
			if (i)
				ebpfnet__sbuf_printf(sb, "; ");
			peer_text(&r->peers[i], sb);
		}
		ebpfnet__sbuf_printf(sb, " %s ", in ? "to" : "on");
		if (!r->n_ports)
			ebpfnet__sbuf_printf(sb, "any port");
		for (size_t i = 0; i < r->n_ports; i++) {
			if (i)
				ebpfnet__sbuf_putc(sb, ',');
			port_text(&r->ports[i], sb);
		}
	}
	if (!r->active)
		ebpfnet__sbuf_printf(sb, " (inactive: not in policyTypes)");
}

int pol_doc_rule_info(const struct pol_doc *doc, uint32_t index,
		      enum ebpfnet_policy_dir *dir, bool *deny,
		      char *summary, size_t len)
{
	struct ebpfnet_sbuf sb;
	const struct pol_rule *r;

	if (!doc || index >= doc->n_rules || (!summary && len))
		return -EINVAL;
	r = &doc->rules[index];
	if (dir)
		*dir = r->dir == POLICY_DIR_INGRESS ? EBPFNET_POLICY_INGRESS
						    : EBPFNET_POLICY_EGRESS;
	if (deny)
		*deny = r->deny;
	ebpfnet__sbuf_init(&sb, summary, len);
	rule_summary(r, &sb);
	return 0;
}
