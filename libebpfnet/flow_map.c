/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The service map: who talks to whom, from flow records, as Graphviz DOT.
 *
 * Nodes are peers, named by their labels when known, "reserved:host" /
 * "reserved:world" for those identities, else by their address. Edges go
 * from a flow's initiator to its responder, one per (protocol, responder
 * port), and count flows, packets and bytes (the flow's counters, both
 * directions) and verdicts. Flow records carry running totals, so each
 * flow's last totals are kept and only what grew is added: the same flow
 * reported again (interval, end, snapshot) is not counted twice.
 *
 * Nodes and edges are kept sorted, so the DOT text is the same for the
 * same records in any order.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow_metrics_internal.h"
#include "text.h"

#define MAP_NODE_ADDRS 16          /* addresses kept (and shown) per node */
#define MAP_LABELS_MAX 4096        /* bytes of a labels string kept */
#define MAP_MAX_NODES 65536
#define MAP_MAX_EDGES 262144
#define MAP_MAX_TRACKED 262144     /* flows whose totals are remembered */

struct map_addr {
	uint8_t family;
	uint8_t addr[16];
};

struct map_node {
	char *key;
	size_t index;                  /* position in the sorted node array */
	struct map_addr addrs[MAP_NODE_ADDRS];
	size_t n_addrs;
	bool more_addrs;               /* addresses past MAP_NODE_ADDRS seen */
	bool labelled;                 /* key is not the address */
};

struct map_edge {
	struct map_node *from, *to;
	uint8_t proto;
	uint16_t port;
	uint64_t flows, packets, bytes;
	uint64_t forwarded;            /* flows and verdicts that passed */
	uint64_t dropped;              /* flows and packets dropped */
};

/* One flow of the table as last reported. Padding zeroed: memcmp'able. */
struct map_flow_key {
	uint32_t ifindex;
	uint8_t family, proto;
	uint16_t iport, rport;         /* initiator's, responder's */
	uint8_t iaddr[16], raddr[16];
};

struct map_flow {
	struct map_flow *next;
	struct map_flow_key key;
	uint64_t packets, bytes;
};

struct ebpfnet_flow_map {
	struct map_node **nodes;       /* sorted by key */
	size_t n_nodes, cap_nodes;
	struct map_edge **edges;       /* sorted by from, to, proto, port */
	size_t n_edges, cap_edges;
	struct map_flow **buckets;
	size_t n_buckets, n_flows;
};

/* ---- life ------------------------------------------------------------------ */

struct ebpfnet_flow_map *ebpfnet_flow_map_new(void)
{
	struct ebpfnet_flow_map *map = calloc(1, sizeof(*map));

	if (!map) {
		pr_warn("flow map: out of memory");
		return ebpfnet__err_ptr(-ENOMEM);
	}
	return map;
}

void ebpfnet_flow_map_free(struct ebpfnet_flow_map *map)
{
	struct map_flow *f, *next;
	size_t i;

	if (!map)
		return;
	for (i = 0; i < map->n_nodes; i++) {
		free(map->nodes[i]->key);
		free(map->nodes[i]);
	}
	for (i = 0; i < map->n_edges; i++)
		free(map->edges[i]);
	for (i = 0; i < map->n_buckets; i++) {
		for (f = map->buckets[i]; f; f = next) {
			next = f->next;
			free(f);
		}
	}
	free(map->nodes);
	free(map->edges);
	free(map->buckets);
	free(map);
}

/* ---- sorted arrays ------------------------------------------------------------ */

/* Room for `more` elements in an array of pointers: 0 or -ENOMEM. */
static int reserve(void ***arr, size_t n, size_t *cap, size_t more)
{
	size_t want = n + more, c = *cap ? *cap : 16;
	void **p;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	p = realloc(*arr, c * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static void insert_at(void **arr, size_t *n, size_t at, void *elem)
{
	memmove(&arr[at + 1], &arr[at], (*n - at) * sizeof(*arr));
	arr[at] = elem;
	(*n)++;
}

static size_t node_find(const struct ebpfnet_flow_map *map, const char *key,
			bool *found)
{
	size_t lo = 0, hi = map->n_nodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(map->nodes[mid]->key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int edge_cmp(const struct map_edge *e, const char *from, const char *to,
		    uint8_t proto, uint16_t port)
{
	int c = strcmp(e->from->key, from);

	if (!c)
		c = strcmp(e->to->key, to);
	if (!c)
		c = (int)e->proto - (int)proto;
	if (!c)
		c = (int)e->port - (int)port;
	return c;
}

static size_t edge_find(const struct ebpfnet_flow_map *map, const char *from,
			const char *to, uint8_t proto, uint16_t port, bool *found)
{
	size_t lo = 0, hi = map->n_edges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = edge_cmp(map->edges[mid], from, to, proto, port);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* ---- flow totals ------------------------------------------------------------ */

static size_t flow_hash(const struct map_flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h;
}

static struct map_flow **flow_slot(const struct ebpfnet_flow_map *map,
				   const struct map_flow_key *k)
{
	struct map_flow **slot;

	if (!map->n_buckets)
		return NULL;
	slot = &map->buckets[flow_hash(k) & (map->n_buckets - 1)];
	while (*slot && memcmp(&(*slot)->key, k, sizeof(*k)))
		slot = &(*slot)->next;
	return slot;
}

/* Grow the bucket array when it is loaded; a failure only slows look-ups. */
static void flow_grow(struct ebpfnet_flow_map *map)
{
	size_t n = map->n_buckets ? map->n_buckets * 2 : 256, i;
	struct map_flow **b, *f, *next;

	if (map->n_flows < map->n_buckets)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (i = 0; i < map->n_buckets; i++) {
		for (f = map->buckets[i]; f; f = next) {
			size_t h = flow_hash(&f->key) & (n - 1);

			next = f->next;
			f->next = b[h];
			b[h] = f;
		}
	}
	free(map->buckets);
	map->buckets = b;
	map->n_buckets = n;
}

/* ---- a record's place in the map -------------------------------------------- */

/* What a record adds, worked out before anything is changed. */
struct map_change {
	const struct ebpfnet_flow_peer *initiator, *responder;
	char from_key[MAP_LABELS_MAX], to_key[MAP_LABELS_MAX];
	bool from_labelled, to_labelled;
	uint16_t port;
	struct map_flow_key fkey;
	bool trace;                    /* a record with the flow's totals */
	bool final;                    /* the flow is gone after it */
	struct map_node *new_from, *new_to;
	struct map_edge *new_edge;
	struct map_flow *new_flow;
};

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* The node key of a peer; *labelled: it is not the address. */
static void peer_key(const struct ebpfnet_flow_peer *p, uint8_t family,
		     char *key, bool *labelled)
{
	*labelled = true;
	if (p->labels && *p->labels)
		snprintf(key, MAP_LABELS_MAX, "%s", p->labels);
	else if (p->identity == 1)
		snprintf(key, MAP_LABELS_MAX, "reserved:host");
	else if (p->identity == 2)
		snprintf(key, MAP_LABELS_MAX, "reserved:world");
	else {
		*labelled = false;
		inet_ntop(family, p->addr, key, MAP_LABELS_MAX);
	}
}

static void plan(const struct ebpfnet_flow_record *flow, struct map_change *c)
{
	bool reply = flow->is_reply;

	c->initiator = reply ? &flow->dst : &flow->src;
	c->responder = reply ? &flow->src : &flow->dst;
	c->port = has_ports(flow->proto) ? c->responder->port : 0;
	peer_key(c->initiator, flow->family, c->from_key, &c->from_labelled);
	peer_key(c->responder, flow->family, c->to_key, &c->to_labelled);
	c->trace = flow->kind != EBPFNET_FLOW_DROP &&
		   flow->kind != EBPFNET_FLOW_POLICY;
	c->final = flow->kind == EBPFNET_FLOW_END ||
		   flow->kind == EBPFNET_FLOW_IDLE ||
		   flow->kind == EBPFNET_FLOW_EVICTED;

	memset(&c->fkey, 0, sizeof(c->fkey));
	c->fkey.ifindex = flow->ifindex;
	c->fkey.family = flow->family;
	c->fkey.proto = flow->proto;
	c->fkey.iport = c->initiator->port;
	c->fkey.rport = c->responder->port;
	memcpy(c->fkey.iaddr, c->initiator->addr, addr_len(flow->family));
	memcpy(c->fkey.raddr, c->responder->addr, addr_len(flow->family));
}

static struct map_node *node_alloc(const char *key, bool labelled)
{
	struct map_node *n = calloc(1, sizeof(*n));

	if (n && !(n->key = strdup(key))) {
		free(n);
		n = NULL;
	}
	if (n)
		n->labelled = labelled;
	return n;
}

static void change_release(struct map_change *c)
{
	if (c->new_from) {
		free(c->new_from->key);
		free(c->new_from);
	}
	if (c->new_to) {
		free(c->new_to->key);
		free(c->new_to);
	}
	free(c->new_edge);
	free(c->new_flow);
}

/* Allocate what the change needs (new nodes, edge, flow, array room): 0,
 * -ENOMEM or -ENOSPC; on failure nothing is kept. */
static int prepare(struct ebpfnet_flow_map *map, struct map_change *c)
{
	bool found, same = !strcmp(c->from_key, c->to_key);
	struct map_flow **slot;
	size_t nodes_needed;
	int err = 0;

	node_find(map, c->from_key, &found);
	if (!found)
		c->new_from = node_alloc(c->from_key, c->from_labelled);
	if (!found && !c->new_from)
		err = -ENOMEM;
	node_find(map, c->to_key, &found);
	if (!err && !found && !same) {
		c->new_to = node_alloc(c->to_key, c->to_labelled);
		if (!c->new_to)
			err = -ENOMEM;
	}
	nodes_needed = !!c->new_from + !!c->new_to;
	if (!err && map->n_nodes + nodes_needed > MAP_MAX_NODES)
		err = -ENOSPC;
	if (!err && reserve((void ***)&map->nodes, map->n_nodes, &map->cap_nodes,
			    nodes_needed))
		err = -ENOMEM;

	edge_find(map, c->from_key, c->to_key, c->fkey.proto, c->port, &found);
	if (!err && !found) {
		if (map->n_edges >= MAP_MAX_EDGES)
			err = -ENOSPC;
		else if (reserve((void ***)&map->edges, map->n_edges,
				 &map->cap_edges, 1) ||
			 !(c->new_edge = calloc(1, sizeof(*c->new_edge))))
			err = -ENOMEM;
	}

	slot = flow_slot(map, &c->fkey);
	if (!err && c->trace && !c->final && !(slot && *slot) &&
	    map->n_flows < MAP_MAX_TRACKED) {
		c->new_flow = calloc(1, sizeof(*c->new_flow));
		if (!c->new_flow)
			err = -ENOMEM;
	}
	if (err)
		change_release(c);
	return err;
}

/* The node of key: the existing one, or the prepared one inserted. */
static struct map_node *node_commit(struct ebpfnet_flow_map *map,
				    const char *key, struct map_node **fresh)
{
	bool found;
	size_t at = node_find(map, key, &found), i;
	struct map_node *n;

	if (found)
		return map->nodes[at];
	n = *fresh;
	*fresh = NULL;
	insert_at((void **)map->nodes, &map->n_nodes, at, n);
	for (i = at; i < map->n_nodes; i++)
		map->nodes[i]->index = i;
	return n;
}

static void node_add_addr(struct map_node *n, uint8_t family,
			  const uint8_t *addr)
{
	struct map_addr a = { .family = family };
	size_t i;
	int c = 1;

	memcpy(a.addr, addr, addr_len(family));
	for (i = 0; i < n->n_addrs; i++) {
		c = memcmp(&n->addrs[i], &a, sizeof(a));
		if (c >= 0)
			break;
	}
	if (i < n->n_addrs && !c)
		return;
	if (n->n_addrs == MAP_NODE_ADDRS) {
		n->more_addrs = true;
		return;
	}
	memmove(&n->addrs[i + 1], &n->addrs[i],
		(n->n_addrs - i) * sizeof(n->addrs[0]));
	n->addrs[i] = a;
	n->n_addrs++;
}

static struct map_edge *edge_commit(struct ebpfnet_flow_map *map,
				    struct map_change *c, struct map_node *from,
				    struct map_node *to, uint8_t proto)
{
	bool found;
	size_t at = edge_find(map, from->key, to->key, proto, c->port, &found);
	struct map_edge *e;

	if (found)
		return map->edges[at];
	e = c->new_edge;
	c->new_edge = NULL;
	e->from = from;
	e->to = to;
	e->proto = proto;
	e->port = c->port;
	insert_at((void **)map->edges, &map->n_edges, at, e);
	return e;
}

static void count_verdict(struct map_edge *e, enum ebpfnet_flow_verdict v)
{
	if (v == EBPFNET_FLOW_VERDICT_FORWARDED)
		e->forwarded++;
	else if (v == EBPFNET_FLOW_VERDICT_DROPPED)
		e->dropped++;
}

/* Add what a record with the flow's totals brings: a flow seen for the
 * first time (or whose totals went back: a new flow on the same tuple)
 * counts whole, a known one by what grew. */
static void count_trace(struct ebpfnet_flow_map *map, struct map_change *c,
			struct map_edge *e, const struct ebpfnet_flow_record *flow)
{
	uint64_t packets = flow->orig.packets + flow->reply.packets;
	uint64_t bytes = flow->orig.bytes + flow->reply.bytes;
	struct map_flow **slot = flow_slot(map, &c->fkey), *f;

	f = slot ? *slot : NULL;
	if (f && packets >= f->packets && bytes >= f->bytes) {
		e->packets += packets - f->packets;
		e->bytes += bytes - f->bytes;
	} else {
		e->flows++;
		e->packets += packets;
		e->bytes += bytes;
		count_verdict(e, flow->verdict);
	}
	if (f && c->final) {
		*slot = f->next;
		free(f);
		map->n_flows--;
		return;
	}
	if (!f && c->new_flow) {
		flow_grow(map);
		slot = flow_slot(map, &c->fkey);
		if (!slot) /* no buckets: not remembered */
			return;
		f = c->new_flow;
		c->new_flow = NULL;
		f->key = c->fkey;
		*slot = f;
		map->n_flows++;
	}
	if (f) {
		f->packets = packets;
		f->bytes = bytes;
	}
}

static int check_record(const struct ebpfnet_flow_map *map,
			const struct ebpfnet_flow_record *flow)
{
	const char *why = NULL;

	if (!map)
		why = "the map is NULL";
	else if (!flow)
		why = "the record is NULL";
	else if (flow->sz < offsetofend(struct ebpfnet_flow_record, reply))
		why = "struct ebpfnet_flow_record: sz is too small";
	else if ((unsigned int)flow->kind > EBPFNET_FLOW_POLICY)
		why = "unknown record kind";
	else if (flow->family && flow->family != AF_INET &&
		 flow->family != AF_INET6)
		why = "unknown address family";
	if (why) {
		pr_warn("ebpfnet_flow_map_add: %s", why);
		return -EINVAL;
	}
	return 0;
}

int ebpfnet_flow_map_add(struct ebpfnet_flow_map *map,
			 const struct ebpfnet_flow_record *flow)
{
	struct map_node *from, *to;
	struct map_change *c;
	struct map_edge *e;
	int err;

	err = check_record(map, flow);
	if (err)
		return ebpfnet__err(err);
	/* A drop of a frame that was not IP: no peers to draw. */
	if (!flow->family)
		return 0;
	c = calloc(1, sizeof(*c)); /* two label strings: not on the stack */
	if (!c) {
		pr_warn("flow map: out of memory");
		return ebpfnet__err(-ENOMEM);
	}
	plan(flow, c);
	err = prepare(map, c);
	if (err) {
		pr_warn("flow map: %s", err == -ENOSPC ?
			"too many nodes or edges" : "out of memory");
		free(c);
		return ebpfnet__err(err);
	}
	from = node_commit(map, c->from_key, &c->new_from);
	to = node_commit(map, c->to_key, &c->new_to);
	node_add_addr(from, flow->family, c->initiator->addr);
	node_add_addr(to, flow->family, c->responder->addr);
	e = edge_commit(map, c, from, to, flow->proto);
	if (c->trace)
		count_trace(map, c, e, flow);
	else if (flow->kind == EBPFNET_FLOW_DROP)
		e->dropped++; /* a dropped packet (drop object or policy) */
	else if (flow->verdict == EBPFNET_FLOW_VERDICT_DROPPED)
		; /* a denied verdict: its packet comes as a DROP record too */
	else
		count_verdict(e, flow->verdict);
	change_release(c); /* what was prepared and not used */
	free(c);
	return 0;
}

/* ---- DOT ------------------------------------------------------------------ */

const char *ebpfnet__dot_escape(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	default: return c < 0x20 || c == 0x7f ? " " : NULL;
	}
}

static void dot_str(struct ebpfnet_sbuf *sb, const char *s, size_t n)
{
	ebpfnet__sbuf_escaped(sb, s, n, ebpfnet__dot_escape);
}

static void dot_node(struct ebpfnet_sbuf *sb, const struct map_node *n)
{
	char text[INET6_ADDRSTRLEN];
	const char *p = n->key, *comma;
	size_t i;

	ebpfnet__sbuf_printf(sb, "\tn%zu [label=\"", n->index);
	/* One label per line; then the addresses. */
	while ((comma = strchr(p, ',')) && n->labelled) {
		dot_str(sb, p, (size_t)(comma - p));
		ebpfnet__sbuf_printf(sb, "\\n");
		p = comma + 1;
	}
	dot_str(sb, p, strlen(p));
	for (i = 0; n->labelled && i < n->n_addrs; i++) {
		inet_ntop(n->addrs[i].family, n->addrs[i].addr, text, sizeof(text));
		ebpfnet__sbuf_printf(sb, "\\n%s", text);
	}
	if (n->labelled && n->more_addrs)
		ebpfnet__sbuf_printf(sb, "\\n...");
	ebpfnet__sbuf_printf(sb, "\"];\n");
}

static const char *proto_text(uint8_t proto, char buf[12])
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMPv4";
	case IPPROTO_ICMPV6: return "ICMPv6";
	case IPPROTO_SCTP: return "SCTP";
	default:
		snprintf(buf, 12, "proto %u", proto);
		return buf;
	}
}

/* "512 B", "3.4 KiB", "1.0 GiB". */
static void bytes_text(struct ebpfnet_sbuf *sb, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
					     "EiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		ebpfnet__sbuf_printf(sb, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < EBPFNET_ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	ebpfnet__sbuf_printf(sb, "%.1f %s", v, units[u]);
}

static void dot_edge(struct ebpfnet_sbuf *sb, const struct map_edge *e)
{
	char proto[12];

	ebpfnet__sbuf_printf(sb, "\tn%zu -> n%zu [label=\"%s", e->from->index,
			     e->to->index, proto_text(e->proto, proto));
	if (has_ports(e->proto))
		ebpfnet__sbuf_printf(sb, "/%u", e->port);
	if (e->flows || !e->dropped) {
		ebpfnet__sbuf_printf(sb, "\\n%" PRIu64 " flow%s, ", e->flows,
				     e->flows == 1 ? "" : "s");
		bytes_text(sb, e->bytes);
	}
	if (e->dropped)
		ebpfnet__sbuf_printf(sb, "\\n%" PRIu64 " dropped", e->dropped);
	ebpfnet__sbuf_printf(sb, "\"");
	/* Red when something was dropped; dashed when nothing got through. */
	if (e->dropped)
		ebpfnet__sbuf_printf(sb, ", color=\"red\", fontcolor=\"red\"%s",
				     e->forwarded ? "" : ", style=\"dashed\"");
	ebpfnet__sbuf_printf(sb, "];\n");
}

int ebpfnet_flow_map_dot(const struct ebpfnet_flow_map *map, char *buf,
			 size_t len)
{
	struct ebpfnet_sbuf sb;
	size_t i;

	if (!map || (!buf && len)) {
		pr_warn("%s: %s is NULL", __func__, !map ? "the map" : "buf");
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	ebpfnet__sbuf_printf(&sb, "digraph \"service map\" {\n"
				  "\trankdir=LR;\n"
				  "\tnode [shape=box];\n");
	for (i = 0; i < map->n_nodes; i++)
		dot_node(&sb, map->nodes[i]);
	for (i = 0; i < map->n_edges; i++)
		dot_edge(&sb, map->edges[i]);
	ebpfnet__sbuf_printf(&sb, "}\n");
	return ebpfnet__format_result(&sb);
}
