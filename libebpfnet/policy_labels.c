/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Labels and identities: the canonical form of a label set, its identity
 * (a stable hash: the same labels give the same number on every run and
 * every node), label selectors, and the arena the parsed documents live
 * in. Pure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "policy_model_internal.h"

/* ---- arena ------------------------------------------------------------------ */

struct pol_chunk {
	struct pol_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define POL_CHUNK_SIZE (16 * 1024)

void *pol_arena_alloc(struct pol_arena *a, size_t size)
{
	struct pol_chunk *c = a->head;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (need < size)
		return NULL;
	if (!c || c->size - c->used < need) {
		size_t csize = need > POL_CHUNK_SIZE ? need : POL_CHUNK_SIZE;

		c = calloc(1, sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

char *pol_arena_strndup(struct pol_arena *a, const char *s, size_t n)
{
	char *p = pol_arena_alloc(a, n + 1);

	if (p)
		memcpy(p, s, n);
	return p;
}

void pol_arena_free(struct pol_arena *a)
{
	while (a->head) {
		struct pol_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

/* ---- canonical label sets -------------------------------------------------- */

struct label_span {
	const char *src, *key, *value;
	size_t src_len, key_len, value_len;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool label_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '/' ||
	       c == '-';
}

bool pol_label_word_ok(const char *s, size_t n, bool may_be_empty)
{
	if (!n)
		return may_be_empty;
	for (size_t i = 0; i < n; i++)
		if (!label_char_ok(s[i]))
			return false;
	return true;
}

static bool span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

static int span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r ? r : (an > bn) - (an < bn);
}

static int label_span_cmp(const void *pa, const void *pb)
{
	const struct label_span *a = pa, *b = pb;

	return span_cmp(a->key, a->key_len, b->key, b->key_len);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One "src:key=value" item (blanks around it already trimmed). */
static int parse_item(const char *s, size_t n, struct label_span *l,
		      char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', n);
	const char *colon;

	if (!eq) {
		set_err(err, errlen, "label '%.*s': expected key=value",
			(int)n, s);
		return -EINVAL;
	}
	colon = memchr(s, ':', (size_t)(eq - s));
	l->src = s;
	l->src_len = colon ? (size_t)(colon - s) : 0;
	l->key = colon ? colon + 1 : s;
	l->key_len = (size_t)(eq - l->key);
	l->value = eq + 1;
	l->value_len = n - (size_t)(l->value - s);
	if (colon && !pol_label_word_ok(l->src, l->src_len, false)) {
		set_err(err, errlen, "label '%.*s': bad source", (int)n, s);
		return -EINVAL;
	}
	if (!pol_label_word_ok(l->key, l->key_len, false)) {
		set_err(err, errlen,
			"label '%.*s': a key is made of [A-Za-z0-9._/-]",
			(int)n, s);
		return -EINVAL;
	}
	if (!pol_label_word_ok(l->value, l->value_len, true)) {
		set_err(err, errlen,
			"label '%.*s': a value is made of [A-Za-z0-9._/-]",
			(int)n, s);
		return -EINVAL;
	}
	/* The namespace label is Cilium's k8s one, whatever the writer
	 * gave (none, k8s): selectors naming k8s: must find it. */
	if (span_is(l->key, l->key_len, POL_NAMESPACE_KEY)) {
		if (colon && !span_is(l->src, l->src_len, "k8s")) {
			set_err(err, errlen,
				"label '%.*s': the namespace label's source is k8s",
				(int)n, s);
			return -EINVAL;
		}
		l->src = "k8s";
		l->src_len = 3;
	}
	return 0;
}

static int split_items(const char *text, struct label_span *items,
		       unsigned int *n, char *err, size_t errlen)
{
	const char *p = text;

	*n = 0;
	while (is_blank(*p))
		p++;
	if (!*p)
		return 0; /* no label at all: only the default namespace */
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *s = p;
		int ret;

		while (len && is_blank(*s))
			s++, len--;
		while (len && is_blank(s[len - 1]))
			len--;
		if (!len) {
			set_err(err, errlen, "empty label in '%s'", text);
			return -EINVAL;
		}
		if (*n == POL_MAX_LABELS - 1) {
			set_err(err, errlen, "more than %d labels",
				POL_MAX_LABELS - 1);
			return -EINVAL;
		}
		ret = parse_item(s, len, &items[*n], err, errlen);
		if (ret)
			return ret;
		for (unsigned int i = 0; i < *n; i++) {
			if (!span_cmp(items[i].key, items[i].key_len,
				      items[*n].key, items[*n].key_len)) {
				set_err(err, errlen, "duplicate label key '%.*s'",
					(int)items[i].key_len, items[i].key);
				return -EINVAL;
			}
		}
		(*n)++;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int pol_labels_canon(const char *text, char *out, size_t outlen,
		     char *err, size_t errlen)
{
	struct label_span items[POL_MAX_LABELS];
	struct ebpfnet_sbuf sb;
	unsigned int n;
	bool has_ns = false;
	int ret;

	set_err(err, errlen, "%s", "");
	if (!text || !out || !outlen) {
		set_err(err, errlen, "labels: missing text or output buffer");
		return -EINVAL;
	}
	ret = split_items(text, items, &n, err, errlen);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < n; i++)
		has_ns |= span_is(items[i].key, items[i].key_len, POL_NAMESPACE_KEY);
	if (!has_ns) {
		items[n++] = (struct label_span){
			.src = "k8s", .src_len = 3,
			.key = POL_NAMESPACE_KEY,
			.key_len = strlen(POL_NAMESPACE_KEY),
			.value = "default", .value_len = 7,
		};
	}
	qsort(items, n, sizeof(items[0]), label_span_cmp);

	ebpfnet__sbuf_init(&sb, out, outlen);
	for (unsigned int i = 0; i < n; i++) {
		const struct label_span *l = &items[i];

		if (i)
			ebpfnet__sbuf_putc(&sb, ',');
		if (l->src_len)
			ebpfnet__sbuf_printf(&sb, "%.*s:", (int)l->src_len, l->src);
		ebpfnet__sbuf_printf(&sb, "%.*s=%.*s", (int)l->key_len, l->key,
				     (int)l->value_len, l->value);
	}
	if (sb.need > POLICY_LABELS_MAX - 1) {
		set_err(err, errlen, "labels: %zu bytes, more than %d", sb.need,
			POLICY_LABELS_MAX - 1);
		out[0] = '\0';
		return -EINVAL;
	}
	if (sb.need >= outlen) {
		set_err(err, errlen, "labels: the output buffer is too small");
		out[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

uint32_t pol_hash_fold(const char *s, uint32_t min, uint32_t max)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	/* 64 bits folded to 32, then into the range */
	return min + (uint32_t)((uint32_t)(h ^ (h >> 32)) % ((uint64_t)max - min + 1));
}

uint32_t pol_labels_identity(const char *canonical)
{
	return pol_hash_fold(canonical ? canonical : "", POLICY_ID_LABELS_MIN,
			     POLICY_ID_LABELS_MAX);
}

int ebpfnet_policy_identity(const char *labels, uint32_t *identity)
{
	char canon[POLICY_LABELS_MAX];
	char err[256];
	int ret;

	if (!labels || !identity) {
		pr_warn("policy identity: labels and identity must not be NULL");
		return ebpfnet__err(-EINVAL);
	}
	ret = pol_labels_canon(labels, canon, sizeof(canon), err, sizeof(err));
	if (ret) {
		pr_warn("policy identity: %s", err);
		return ebpfnet__err(-EINVAL);
	}
	*identity = pol_labels_identity(canon);
	return 0;
}

/* ---- split sets and selectors ----------------------------------------------- */

int pol_labelset_split(const char *canonical, struct pol_labelset *ls)
{
	size_t len = canonical ? strlen(canonical) : 0;
	char *p;

	ls->n = 0;
	if (!canonical || len >= sizeof(ls->buf))
		return -EINVAL;
	memcpy(ls->buf, canonical, len + 1);
	if (!len)
		return 0;
	p = ls->buf;
	for (;;) {
		char *end = strchr(p, ',');
		char *eq, *colon;
		struct pol_label *l;

		if (end)
			*end = '\0';
		eq = strchr(p, '=');
		if (!eq || ls->n == POL_MAX_LABELS)
			return -EINVAL;
		*eq = '\0';
		colon = strchr(p, ':');
		l = &ls->items[ls->n++];
		if (colon) {
			*colon = '\0';
			l->src = p;
			l->key = colon + 1;
		} else {
			l->src = "";
			l->key = p;
		}
		l->value = eq + 1;
		if (!end)
			return 0;
		p = end + 1;
	}
}

static const struct pol_label *find_label(const struct pol_labelset *ls,
					  const struct pol_req *req)
{
	for (unsigned int i = 0; i < ls->n; i++) {
		const struct pol_label *l = &ls->items[i];

		if (strcmp(l->key, req->key))
			continue;
		return !req->src || !strcmp(req->src, l->src) ? l : NULL;
	}
	return NULL;
}

static bool value_listed(const struct pol_req *req, const char *value)
{
	for (size_t i = 0; i < req->n_values; i++)
		if (!strcmp(req->values[i], value))
			return true;
	return false;
}

static bool req_matches(const struct pol_req *req, const struct pol_labelset *ls)
{
	const struct pol_label *l = find_label(ls, req);

	switch (req->op) {
	case POL_OP_IN:
		return l && value_listed(req, l->value);
	case POL_OP_NOT_IN:
		return !l || !value_listed(req, l->value);
	case POL_OP_EXISTS:
		return l;
	case POL_OP_DOES_NOT_EXIST:
		return !l;
	}
	return false;
}

bool pol_selector_matches(const struct pol_selector *sel,
			  const struct pol_labelset *ls)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!req_matches(&sel->reqs[i], ls))
			return false;
	return true;
}

bool pol_req_is_namespace(const struct pol_req *req)
{
	return !strcmp(req->key, POL_NAMESPACE_KEY) &&
	       (!req->src || !strcmp(req->src, "k8s"));
}

static void req_text(const struct pol_req *req, struct ebpfnet_sbuf *sb)
{
	static const char *const ops[] = { "in", "notin", "", "" };

	if (req->op == POL_OP_DOES_NOT_EXIST)
		ebpfnet__sbuf_putc(sb, '!');
	if (req->src)
		ebpfnet__sbuf_printf(sb, "%s:", req->src);
	ebpfnet__sbuf_printf(sb, "%s", req->key);
	if (req->op == POL_OP_IN && req->n_values == 1) {
		ebpfnet__sbuf_printf(sb, "=%s", req->values[0]);
		return;
	}
	if (req->op != POL_OP_IN && req->op != POL_OP_NOT_IN)
		return;
	ebpfnet__sbuf_printf(sb, " %s (", ops[req->op]);
	for (size_t i = 0; i < req->n_values; i++)
		ebpfnet__sbuf_printf(sb, "%s%s", i ? "|" : "", req->values[i]);
	ebpfnet__sbuf_putc(sb, ')');
}

void pol_selector_text(const struct pol_selector *sel, struct ebpfnet_sbuf *sb)
{
	if (!sel->n_user) {
		ebpfnet__sbuf_printf(sb, "any endpoint");
		return;
	}
	for (size_t i = 0; i < sel->n_user; i++) {
		if (i)
			ebpfnet__sbuf_putc(sb, ',');
		req_text(&sel->reqs[i], sb);
	}
}
