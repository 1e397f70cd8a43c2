/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The explanation of a decision: the lookups of bpf/policy.bpf.c
 * (policy_abi.h, step 3) replayed over compiled state, told line by line:
 * who the two sides are, whether each direction is enforced, which entry
 * answered for the peer's identity and for any identity, and the verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "policy_model_internal.h"

struct party {
	const char *text;
	bool is_addr;
	uint8_t family;
	uint8_t addr[16];
	size_t ep;                      /* a local endpoint's index, or SIZE_MAX */
	uint32_t identity;
};

struct trace {
	const struct pol_compiled *c;
	const struct pol_endpoint_in *eps;
	size_t n_eps;
	struct pol_doc *const *docs;
	size_t n_docs;
	uint8_t proto;
	uint16_t dport;
	struct ebpfnet_sbuf sb;
};

/* One identity's answer: the first entry found, most specific first. */
struct answer {
	const struct pol_entry_out *hit;
	uint32_t identity;
};

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_ICMP:
		return "ICMP";
	case IPPROTO_ICMPV6:
		return "ICMPv6";
	default:
		snprintf(buf, len, "protocol %u", proto);
		return buf;
	}
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static const char *identity_labels(const struct pol_compiled *c, uint32_t id)
{
	size_t lo = 0, hi = c->n_identities;

	if (id == POLICY_ID_ANY)
		return "any";
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->identities[mid].identity == id)
			return c->identities[mid].labels;
		if (c->identities[mid].identity < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "unknown";
}

/* The ipcache's longest prefix holding addr. */
static uint32_t ipcache_lookup(const struct pol_compiled *c, uint8_t family,
			       const uint8_t *addr)
{
	struct pol_prefix host = { .family = family,
				   .plen = family == AF_INET ? 32 : 128 };
	uint32_t identity = POLICY_ID_WORLD;
	int best = -1;

	memcpy(host.addr, addr, family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < c->n_ipcache; i++) {
		const struct pol_ipcache_out *e = &c->ipcache[i];
		struct pol_prefix p = { .family = e->family, .plen = e->prefixlen };

		memcpy(p.addr, e->addr, 16);
		if ((int)e->prefixlen > best && pol_prefix_inside(&host, &p)) {
			best = e->prefixlen;
			identity = e->identity;
		}
	}
	return identity;
}

static int resolve(struct trace *t, const char *text, struct party *p)
{
	char canon[POLICY_LABELS_MAX], err[256];

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->ep = SIZE_MAX;
	if (inet_pton(AF_INET, text, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, text, p->addr) == 1)
		p->family = AF_INET6;
	if (p->family) {
		p->is_addr = true;
		p->identity = ipcache_lookup(t->c, p->family, p->addr);
		for (size_t i = 0; i < t->n_eps && p->ep == SIZE_MAX; i++)
			for (uint32_t a = 0; a < t->eps[i].n_addrs; a++)
				if (t->eps[i].addrs[a].family == p->family &&
				    !memcmp(t->eps[i].addrs[a].addr, p->addr,
					    p->family == AF_INET ? 4 : 16))
					p->ep = i;
		return 0;
	}
	if (pol_labels_canon(text, canon, sizeof(canon), err, sizeof(err))) {
		ebpfnet__sbuf_printf(&t->sb, "'%s' is neither an address nor labels: %s\n",
				     text, err);
		return -EINVAL;
	}
	for (size_t i = 0; i < t->n_eps; i++) {
		if (!strcmp(t->eps[i].labels, canon)) {
			p->ep = i;
			p->identity = t->c->endpoints[i].identity;
			return 0;
		}
	}
	ebpfnet__sbuf_printf(&t->sb, "no endpoint has the labels %s\n", canon);
	return -ENOENT;
}

static void party_line(struct trace *t, const char *role, const struct party *p)
{
	ebpfnet__sbuf_printf(&t->sb, "%s: %s: ", role, p->text);
	if (p->ep != SIZE_MAX)
		ebpfnet__sbuf_printf(&t->sb, "endpoint %u (ifindex %u), ",
				     t->eps[p->ep].ep_id, t->eps[p->ep].ifindex);
	else
		ebpfnet__sbuf_printf(&t->sb, "not a local endpoint, ");
	ebpfnet__sbuf_printf(&t->sb, "identity %u (%s)\n", p->identity,
			     identity_labels(t->c, p->identity));
}

static const struct pol_entry_out *find_entry(const struct pol_compiled *c,
					      const struct pol_endpoint_out *ep,
					      const struct policy_key *key)
{
	size_t lo = 0, hi = ep->n_entries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pol_entry_out *e = &c->entries[ep->first_entry + mid];
		int r = pol_key_cmp(&e->key, key);

		if (!r)
			return e;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The datapath's lookup for one identity: port prefixes 16..0 (only 0
 * for protocols without ports), then L3; only the lengths in lens. */
static struct answer lookup(const struct trace *t, const struct pol_endpoint_out *ep,
			    uint8_t dir, uint32_t identity)
{
	struct answer a = { .identity = identity };
	uint32_t lens = ep->lens[dir][identity == POLICY_ID_ANY];

	for (int plen = 16; plen >= -1 && !a.hit; plen--) {
		struct policy_key key = { .ep_id = ep->ep_id, .identity = identity,
					  .dir = dir };

		if (plen == -1) {
			key.plen = POLICY_PLEN_L3;
		} else {
			if (plen && !has_ports(t->proto))
				continue;
			key.proto = t->proto;
			key.plen = (uint8_t)plen;
			key.port = plen ? t->dport & (uint16_t)(0xffffu << (16 - plen)) : 0;
		}
		if (lens & (1u << key.plen))
			a.hit = find_entry(t->c, ep, &key);
	}
	return a;
}

static void entry_text(struct trace *t, const struct pol_entry_out *e)
{
	char pbuf[32];
	unsigned int span;

	if (e->key.plen == POLICY_PLEN_L3) {
		ebpfnet__sbuf_printf(&t->sb, "any protocol, any port");
		return;
	}
	ebpfnet__sbuf_printf(&t->sb, "%s ", proto_name(e->key.proto, pbuf, sizeof(pbuf)));
	span = 1u << (16 - e->key.plen);
	if (!e->key.plen)
		ebpfnet__sbuf_printf(&t->sb, "any port");
	else if (span == 1)
		ebpfnet__sbuf_printf(&t->sb, "port %u", e->key.port);
	else
		ebpfnet__sbuf_printf(&t->sb, "ports %u-%u (%u/%u)", e->key.port,
				     e->key.port + span - 1, e->key.port, e->key.plen);
}

static void rule_text(struct trace *t, uint32_t rule_id)
{
	char summary[512];

	for (size_t d = 0; d < t->n_docs; d++) {
		const struct pol_doc *doc = t->docs[d];

		if (rule_id < doc->first_rule ||
		    rule_id - doc->first_rule >= doc->n_rules)
			continue;
		pol_doc_rule_info(doc, rule_id - doc->first_rule, NULL, NULL,
				  summary, sizeof(summary));
		ebpfnet__sbuf_printf(&t->sb, "rule %u of %s: %s", rule_id,
				     doc->name, summary);
		return;
	}
	ebpfnet__sbuf_printf(&t->sb, "rule %u", rule_id);
}

static void answer_line(struct trace *t, const struct answer *a)
{
	if (a->identity == POLICY_ID_ANY)
		ebpfnet__sbuf_printf(&t->sb, "  any identity: ");
	else
		ebpfnet__sbuf_printf(&t->sb, "  identity %u: ", a->identity);
	if (!a->hit) {
		ebpfnet__sbuf_printf(&t->sb, "no entry\n");
		return;
	}
	entry_text(t, a->hit);
	ebpfnet__sbuf_printf(&t->sb, " -> %s by ", a->hit->value.deny ? "deny" : "allow");
	rule_text(t, a->hit->value.rule_id);
	ebpfnet__sbuf_putc(&t->sb, '\n');
}

static const char *match_name(const struct answer *a)
{
	bool l3 = a->hit->key.plen == POLICY_PLEN_L3;

	if (a->identity == POLICY_ID_ANY)
		return l3 ? "all" : "L4-only";
	return l3 ? "L3-only" : "L3-L4";
}

/* One side: the endpoint ep's direction dir with the peer's identity. */
static bool decide(struct trace *t, size_t ep_idx, uint8_t dir, uint32_t peer)
{
	const struct pol_endpoint_out *ep = &t->c->endpoints[ep_idx];
	struct answer a[2];
	const struct answer *deny = NULL, *allow = NULL;

	ebpfnet__sbuf_printf(&t->sb, "%s of endpoint %u (identity %u): ",
			     dir == POLICY_DIR_INGRESS ? "ingress" : "egress",
			     ep->ep_id, ep->identity);
	if (!(ep->enforce & (1u << dir))) {
		ebpfnet__sbuf_printf(&t->sb, "not enforced (no rule selects it): allowed\n");
		return true;
	}
	ebpfnet__sbuf_printf(&t->sb, "enforced\n");
	a[0] = lookup(t, ep, dir, peer);
	a[1] = lookup(t, ep, dir, POLICY_ID_ANY);
	for (int i = 0; i < 2; i++) {
		answer_line(t, &a[i]);
		if (a[i].hit && a[i].hit->value.deny && !deny)
			deny = &a[i];
		if (a[i].hit && !a[i].hit->value.deny && !allow)
			allow = &a[i];
	}
	if (deny || allow) {
		const struct answer *w = deny ? deny : allow;

		ebpfnet__sbuf_printf(&t->sb, "  => %s (%s match, ",
				     deny ? "denied" : "allowed", match_name(w));
		rule_text(t, w->hit->value.rule_id);
		ebpfnet__sbuf_printf(&t->sb, ")\n");
		return !deny;
	}
	ebpfnet__sbuf_printf(&t->sb, "  => denied (no entry allows it: default deny)\n");
	return false;
}

int pol_trace(const struct pol_compiled *c,
	      const struct pol_endpoint_in *eps, size_t n_eps,
	      struct pol_doc *const *docs, size_t n_docs,
	      const char *from, const char *to, uint8_t proto, uint16_t dport,
	      enum ebpfnet_policy_verdict *verdict, char *buf, size_t len)
{
	struct trace t = { .c = c, .eps = eps, .n_eps = n_eps, .docs = docs,
			   .n_docs = n_docs, .proto = proto,
			   .dport = has_ports(proto) ? dport : 0 };
	struct party src, dst;
	bool allowed = true;
	char pbuf[32];
	int ret;

	if (!c || !from || !to || !verdict || (!buf && len) ||
	    (n_eps && !eps) || (n_docs && !docs) || c->n_endpoints != n_eps)
		return -EINVAL;
	ebpfnet__sbuf_init(&t.sb, buf, len);
	ret = resolve(&t, from, &src);
	if (!ret)
		ret = resolve(&t, to, &dst);
	if (ret)
		return ret;
	party_line(&t, "from", &src);
	party_line(&t, "to", &dst);
	ebpfnet__sbuf_printf(&t.sb, "connection: %s", proto_name(proto, pbuf, sizeof(pbuf)));
	if (has_ports(proto))
		ebpfnet__sbuf_printf(&t.sb, " to port %u", dport);
	ebpfnet__sbuf_putc(&t.sb, '\n');
	if (src.ep == SIZE_MAX && dst.ep == SIZE_MAX)
		ebpfnet__sbuf_printf(&t.sb,
				     "neither side is a local endpoint: no policy applies\n");
	if (src.ep != SIZE_MAX)
		allowed = decide(&t, src.ep, POLICY_DIR_EGRESS, dst.identity);
	if (dst.ep != SIZE_MAX)
		allowed = decide(&t, dst.ep, POLICY_DIR_INGRESS, src.identity) && allowed;
	*verdict = allowed ? EBPFNET_POLICY_ALLOWED : EBPFNET_POLICY_DENIED;
	ebpfnet__sbuf_printf(&t.sb, "verdict: %s\n", allowed ? "ALLOWED" : "DENIED");
	return t.sb.need > INT32_MAX ? -EOVERFLOW : (int)t.sb.need;
}
