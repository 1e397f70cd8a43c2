/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: records as Hubble prints them. TEXT is the line of `hubble
 * observe` (compact output); JSON is the object of `hubble observe -o
 * json` ({"flow":{...},"node_name":...,"time":...}) with Hubble's field
 * names and enum spellings, plus our counters. Flow and DNS records share
 * the parts that describe the packet (time, peers, L3/L4, interface).
 * Every string that came from outside (labels, interface and node names,
 * DNS names) goes through the shared escapers of json.c.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/flow.h>
#include <ebpfnet/policy.h>

#include "flow_names.h"
#include "internal.h"
#include "text.h"

/* Cilium's monitor message types (Hubble's event_type.type). */
#define EVENT_DROP 1
#define EVENT_TRACE 4
#define EVENT_POLICY_VERDICT 5
#define EVENT_L7 129

#define NODE_NAME_MAX 256

static const char *name_in(const char *const *names, size_t n,
			   unsigned int v, const char *fallback)
{
	return v < n && names[v] ? names[v] : fallback;
}

#define NAME_IN(names, v, fallback) \
	name_in(names, EBPFNET_ARRAY_SIZE(names), (unsigned int)(v), fallback)

/* ---- names of the enums ---------------------------------------------------- */

static const char *const verdict_names[] = {
	[EBPFNET_FLOW_VERDICT_UNKNOWN] = "VERDICT_UNKNOWN",
	[EBPFNET_FLOW_VERDICT_FORWARDED] = "FORWARDED",
	[EBPFNET_FLOW_VERDICT_DROPPED] = "DROPPED",
};

const char *ebpfnet_flow_verdict_name(enum ebpfnet_flow_verdict v)
{
	return NAME_IN(verdict_names, v, "VERDICT_UNKNOWN");
}

/* Observation points: the text of `hubble observe`, the JSON enum, and
 * Cilium's trace sub-type (event_type.sub_type). */
struct obs_point {
	const char *text;
	const char *json;
	int sub_type;
};

static const struct obs_point obs_points[] = {
	[EBPFNET_FLOW_OBS_UNKNOWN] = { "unknown", "UNKNOWN_POINT", -1 },
	[EBPFNET_FLOW_OBS_FROM_ENDPOINT] = { "from-endpoint", "FROM_ENDPOINT", 5 },
	[EBPFNET_FLOW_OBS_TO_ENDPOINT] = { "to-endpoint", "TO_ENDPOINT", 0 },
	[EBPFNET_FLOW_OBS_FROM_NETWORK] = { "from-network", "FROM_NETWORK", 10 },
	[EBPFNET_FLOW_OBS_TO_NETWORK] = { "to-network", "TO_NETWORK", 11 },
};

static const struct obs_point *obs_point(enum ebpfnet_flow_obs obs)
{
	unsigned int i = (unsigned int)obs;

	return &obs_points[i < EBPFNET_ARRAY_SIZE(obs_points) ? i : 0];
}

const char *ebpfnet_flow_obs_name(enum ebpfnet_flow_obs obs)
{
	return obs_point(obs)->text;
}

/* Drop reasons: Hubble's enum name (drop_reason_desc) and the words of
 * `hubble observe` in place of the observation point. */
struct drop_reason {
	const char *name;
	const char *text;
};

static const struct drop_reason drop_reasons[] = {
	[EBPFNET_FLOW_DROP_NONE] = { "DROP_REASON_UNKNOWN", "Unknown reason" },
	[EBPFNET_FLOW_DROP_RULE] = { "DROP_RULE", "Drop rule" },
	[EBPFNET_FLOW_DROP_FRAGMENT] = { "FRAGMENT_DROPPED", "Fragment dropped" },
	[EBPFNET_FLOW_DROP_INVALID] = { "INVALID_PACKET_DROPPED", "Invalid packet" },
	[EBPFNET_FLOW_DROP_POLICY_DENIED] = { "POLICY_DENIED", "Policy denied" },
	[EBPFNET_FLOW_DROP_POLICY_DENY] = { "POLICY_DENY", "Policy denied by denylist" },
};

static const struct drop_reason *drop_reason(enum ebpfnet_flow_drop_reason r)
{
	unsigned int i = (unsigned int)r;

	return &drop_reasons[i < EBPFNET_ARRAY_SIZE(drop_reasons) ? i : 0];
}

const char *ebpfnet_flow_drop_reason_name(enum ebpfnet_flow_drop_reason r)
{
	return drop_reason(r)->name;
}

static const char *const match_names[] = {
	[EBPFNET_FLOW_MATCH_NONE] = "none",
	[EBPFNET_FLOW_MATCH_L3_ONLY] = "L3-Only",
	[EBPFNET_FLOW_MATCH_L3_L4] = "L3-L4",
	[EBPFNET_FLOW_MATCH_L4_ONLY] = "L4-Only",
	[EBPFNET_FLOW_MATCH_ALL] = "all",
};

static const char *const kind_names[] = {
	[EBPFNET_FLOW_NEW] = "new",
	[EBPFNET_FLOW_FLAGS] = "flags",
	[EBPFNET_FLOW_INTERVAL] = "interval",
	[EBPFNET_FLOW_END] = "end",
	[EBPFNET_FLOW_IDLE] = "idle",
	[EBPFNET_FLOW_EVICTED] = "evicted",
	[EBPFNET_FLOW_SNAPSHOT] = "snapshot",
	[EBPFNET_FLOW_DROP] = "drop",
	[EBPFNET_FLOW_POLICY] = "policy",
};

static const char *const direction_names[] = {
	[EBPFNET_FLOW_DIR_UNKNOWN] = "TRAFFIC_DIRECTION_UNKNOWN",
	[EBPFNET_FLOW_DIR_INGRESS] = "INGRESS",
	[EBPFNET_FLOW_DIR_EGRESS] = "EGRESS",
};

/* ---- TCP flags (gopacket's names, as Hubble prints them) ------------------ */

struct tcp_flag {
	uint8_t bit;
	const char *name;
};

/* The order of Hubble's summary ("TCP Flags: SYN, ACK"). */
static const struct tcp_flag tcp_flags_text[] = {
	{ 0x02, "SYN" }, { 0x10, "ACK" }, { 0x04, "RST" }, { 0x01, "FIN" },
	{ 0x08, "PSH" }, { 0x20, "URG" }, { 0x40, "ECE" }, { 0x80, "CWR" },
};

/* The order of the fields of Hubble's TCPFlags message (JSON). */
static const struct tcp_flag tcp_flags_json[] = {
	{ 0x01, "FIN" }, { 0x02, "SYN" }, { 0x04, "RST" }, { 0x08, "PSH" },
	{ 0x10, "ACK" }, { 0x20, "URG" }, { 0x40, "ECE" }, { 0x80, "CWR" },
};

/* gopacket's ICMPv4TypeCode/ICMPv6TypeCode String(): "EchoRequest",
 * "DestinationUnreachable(Port)", "EchoRequest(Code: 1)", "200(3)". */
static void text_icmp(struct ebpfnet_sbuf *sb, uint8_t proto, uint8_t type,
		      uint8_t code)
{
	const char *name = ebpfnet__icmp_type_name(proto, type);
	const char *code_name = ebpfnet__icmp_code_name(proto, type, code);

	if (!name)
		ebpfnet__sbuf_printf(sb, "%u(%u)", type, code);
	else if (code_name)
		ebpfnet__sbuf_printf(sb, "%s(%s)", name, code_name);
	else if (code)
		ebpfnet__sbuf_printf(sb, "%s(Code: %u)", name, code);
	else
		ebpfnet__sbuf_printf(sb, "%s", name);
}

/* A DNS type's mnemonic, or "TYPE<n>" (RFC 3597). */
static void put_dns_type(struct ebpfnet_sbuf *sb, uint16_t type)
{
	const char *name = ebpfnet__dns_type_name(type);

	if (name)
		ebpfnet__sbuf_printf(sb, "%s", name);
	else
		ebpfnet__sbuf_printf(sb, "TYPE%u", type);
}

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

/* ---- what flow and DNS records share ---------------------------------------- */

/* The packet side of a record, flow or DNS. */
struct packet_view {
	uint64_t time_ns;
	uint8_t family;
	uint8_t proto;
	const struct ebpfnet_flow_peer *src;
	const struct ebpfnet_flow_peer *dst;
	bool is_reply;
	bool reply_known;
	uint32_t ifindex;
	const char *ifname;
	size_t ifname_len;
	const char *node_name;
};

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

static void put_addr(struct ebpfnet_sbuf *sb, uint8_t family,
		     const uint8_t addr[16])
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, text, sizeof(text)))
		text[0] = '\0';
	ebpfnet__sbuf_printf(sb, "%s", text);
}

/* "Nov 21 10:00:00.123" in local time, as Hubble's "Jan _2 15:04:05.000"
 * (English month names whatever the locale). */
static void text_time(struct ebpfnet_sbuf *sb, uint64_t time_ns)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	time_t secs = (time_t)(time_ns / 1000000000ull);
	struct tm tm;

	if (!localtime_r(&secs, &tm) || tm.tm_mon < 0 || tm.tm_mon > 11) {
		ebpfnet__sbuf_printf(sb, "N/A");
		return;
	}
	ebpfnet__sbuf_printf(sb, "%s %2d %02d:%02d:%02d.%03u", months[tm.tm_mon],
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned int)(time_ns % 1000000000ull / 1000000));
}

/* "(host)", "(world)", "(ID:1234)"; nothing for 0 (no policy object). */
static void text_identity(struct ebpfnet_sbuf *sb, uint32_t identity)
{
	if (identity == EBPFNET_POLICY_ID_HOST)
		ebpfnet__sbuf_printf(sb, " (host)");
	else if (identity == EBPFNET_POLICY_ID_WORLD)
		ebpfnet__sbuf_printf(sb, " (world)");
	else if (identity)
		ebpfnet__sbuf_printf(sb, " (ID:%" PRIu32 ")", identity);
}

/* "10.0.0.1:43210 (world)", "[2001:db8::1]:443", "10.0.0.1" (ICMP). */
static void text_peer(struct ebpfnet_sbuf *sb, const struct packet_view *v,
		      const struct ebpfnet_flow_peer *peer)
{
	bool port = has_ports(v->proto);
	bool brackets = port && v->family == AF_INET6;

	if (brackets)
		ebpfnet__sbuf_putc(sb, '[');
	put_addr(sb, v->family, peer->addr);
	if (brackets)
		ebpfnet__sbuf_putc(sb, ']');
	if (port)
		ebpfnet__sbuf_printf(sb, ":%u", peer->port);
	text_identity(sb, peer->identity);
}

/* "TIME: A -> B" as Hubble: a reply is written initiator first, "<-". */
static void text_head(struct ebpfnet_sbuf *sb, const struct packet_view *v)
{
	const struct ebpfnet_flow_peer *first = v->src, *second = v->dst;
	const char *arrow = "->";

	if (!v->reply_known) {
		arrow = "<>";
	} else if (v->is_reply) {
		first = v->dst;
		second = v->src;
		arrow = "<-";
	}
	text_time(sb, v->time_ns);
	ebpfnet__sbuf_printf(sb, ": ");
	text_peer(sb, v, first);
	ebpfnet__sbuf_printf(sb, " %s ", arrow);
	text_peer(sb, v, second);
}

/* RFC 3339, UTC, nanoseconds, in quotes. */
static void json_time(struct ebpfnet_sbuf *sb, uint64_t time_ns)
{
	ebpfnet__sbuf_putc(sb, '"');
	ebpfnet__sbuf_rfc3339(sb, time_ns);
	ebpfnet__sbuf_putc(sb, '"');
}

static void json_str(struct ebpfnet_sbuf *sb, const char *s)
{
	ebpfnet__sbuf_json_str(sb, s, strlen(s));
}

static void json_addr(struct ebpfnet_sbuf *sb, uint8_t family,
		      const uint8_t addr[16])
{
	ebpfnet__sbuf_putc(sb, '"');
	put_addr(sb, family, addr);
	ebpfnet__sbuf_putc(sb, '"');
}

/* "k=v,k=v" as ["k=v","k=v"]; without labels, the reserved label of a
 * reserved identity. */
static void json_labels(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_peer *peer)
{
	const char *s = peer->labels;
	bool first = true;

	ebpfnet__sbuf_putc(sb, '[');
	if (!s && peer->identity == EBPFNET_POLICY_ID_HOST)
		s = "reserved:host";
	else if (!s && peer->identity == EBPFNET_POLICY_ID_WORLD)
		s = "reserved:world";
	while (s && *s) {
		size_t n = strcspn(s, ",");

		if (n) {
			if (!first)
				ebpfnet__sbuf_putc(sb, ',');
			ebpfnet__sbuf_json_str(sb, s, n);
			first = false;
		}
		s += n + (s[n] == ',');
	}
	ebpfnet__sbuf_putc(sb, ']');
}

static void json_endpoint(struct ebpfnet_sbuf *sb, const char *key,
			  const struct ebpfnet_flow_peer *peer)
{
	ebpfnet__sbuf_printf(sb, ",\"%s\":{\"identity\":%" PRIu32 ",\"labels\":",
			     key, peer->identity);
	json_labels(sb, peer);
	ebpfnet__sbuf_putc(sb, '}');
}

static void json_tcp_flags(struct ebpfnet_sbuf *sb, uint8_t flags)
{
	bool first = true;
	size_t i;

	ebpfnet__sbuf_putc(sb, '{');
	for (i = 0; i < EBPFNET_ARRAY_SIZE(tcp_flags_json); i++) {
		if (!(flags & tcp_flags_json[i].bit))
			continue;
		ebpfnet__sbuf_printf(sb, "%s\"%s\":true", first ? "" : ",",
				     tcp_flags_json[i].name);
		first = false;
	}
	ebpfnet__sbuf_putc(sb, '}');
}

/* "l4": ports (and TCP flags) or ICMP type/code; nothing for others. */
static void json_l4(struct ebpfnet_sbuf *sb, const struct packet_view *v,
		    uint8_t tcp_flags, uint8_t icmp_type, uint8_t icmp_code)
{
	const char *name;

	switch (v->proto) {
	case IPPROTO_TCP: name = "TCP"; break;
	case IPPROTO_UDP: name = "UDP"; break;
	case IPPROTO_SCTP: name = "SCTP"; break;
	case IPPROTO_ICMP: name = "ICMPv4"; break;
	case IPPROTO_ICMPV6: name = "ICMPv6"; break;
	default: return;
	}
	if (!has_ports(v->proto)) {
		ebpfnet__sbuf_printf(sb, ",\"l4\":{\"%s\":{\"type\":%u,\"code\":%u}}",
				     name, icmp_type, icmp_code);
		return;
	}
	ebpfnet__sbuf_printf(sb, ",\"l4\":{\"%s\":{\"source_port\":%u,"
			     "\"destination_port\":%u", name, v->src->port,
			     v->dst->port);
	if (v->proto == IPPROTO_TCP) {
		ebpfnet__sbuf_printf(sb, ",\"flags\":");
		json_tcp_flags(sb, tcp_flags);
	}
	ebpfnet__sbuf_printf(sb, "}}");
}

/* "time", "verdict", "IP" (Hubble's field order). */
static void json_head(struct ebpfnet_sbuf *sb, const struct packet_view *v,
		      const char *verdict)
{
	ebpfnet__sbuf_printf(sb, "{\"flow\":{\"time\":");
	json_time(sb, v->time_ns);
	ebpfnet__sbuf_printf(sb, ",\"verdict\":\"%s\",\"IP\":{\"source\":", verdict);
	json_addr(sb, v->family, v->src->addr);
	ebpfnet__sbuf_printf(sb, ",\"destination\":");
	json_addr(sb, v->family, v->dst->addr);
	ebpfnet__sbuf_printf(sb, ",\"ipVersion\":\"%s\"}",
			     v->family == AF_INET ? "IPv4" : "IPv6");
}

static void json_peers_type(struct ebpfnet_sbuf *sb, const struct packet_view *v,
			    const char *type)
{
	json_endpoint(sb, "source", v->src);
	json_endpoint(sb, "destination", v->dst);
	ebpfnet__sbuf_printf(sb, ",\"Type\":\"%s\",\"node_name\":", type);
	json_str(sb, v->node_name);
}

static void json_is_reply_interface(struct ebpfnet_sbuf *sb,
				    const struct packet_view *v)
{
	if (v->reply_known)
		ebpfnet__sbuf_printf(sb, ",\"is_reply\":%s",
				     v->is_reply ? "true" : "false");
	ebpfnet__sbuf_printf(sb, ",\"interface\":{\"index\":%" PRIu32 ",\"name\":",
			     v->ifindex);
	ebpfnet__sbuf_json_str(sb, v->ifname, v->ifname_len);
	ebpfnet__sbuf_putc(sb, '}');
}

/* The end of the flow object and the envelope's own fields. */
static void json_tail(struct ebpfnet_sbuf *sb, const struct packet_view *v)
{
	ebpfnet__sbuf_printf(sb, "},\"node_name\":");
	json_str(sb, v->node_name);
	ebpfnet__sbuf_printf(sb, ",\"time\":");
	json_time(sb, v->time_ns);
	ebpfnet__sbuf_putc(sb, '}');
}

/* node_name, or this host's name when it is NULL, into buf. */
static const char *node_name_or_host(const char *node_name,
				     char buf[NODE_NAME_MAX])
{
	if (node_name)
		return node_name;
	if (gethostname(buf, NODE_NAME_MAX) != 0)
		buf[0] = '\0';
	buf[NODE_NAME_MAX - 1] = '\0';
	return buf;
}

/* ---- flow records -------------------------------------------------------------- */

/* Records made without a packet (snapshot, idle, evicted) show the flags
 * seen over the flow; the others those of their packet. */
static uint8_t shown_tcp_flags(const struct ebpfnet_flow_record *f)
{
	switch (f->kind) {
	case EBPFNET_FLOW_IDLE:
	case EBPFNET_FLOW_EVICTED:
	case EBPFNET_FLOW_SNAPSHOT:
		return f->tcp_flags_seen;
	default:
		return f->tcp_flags;
	}
}

/* Hubble's summary: "TCP Flags: SYN, ACK", "UDP", "ICMPv4 EchoRequest". */
static void flow_summary(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_record *f)
{
	uint8_t flags = shown_tcp_flags(f);
	const char *sep = "";
	size_t i;

	switch (f->proto) {
	case IPPROTO_TCP:
		ebpfnet__sbuf_printf(sb, "TCP Flags: ");
		for (i = 0; i < EBPFNET_ARRAY_SIZE(tcp_flags_text); i++) {
			if (!(flags & tcp_flags_text[i].bit))
				continue;
			ebpfnet__sbuf_printf(sb, "%s%s", sep, tcp_flags_text[i].name);
			sep = ", ";
		}
		return;
	case IPPROTO_UDP:
		ebpfnet__sbuf_printf(sb, "UDP");
		return;
	case IPPROTO_SCTP:
		ebpfnet__sbuf_printf(sb, "SCTP");
		return;
	case IPPROTO_ICMP:
		ebpfnet__sbuf_printf(sb, "ICMPv4 ");
		text_icmp(sb, f->proto, f->icmp_type, f->icmp_code);
		return;
	case IPPROTO_ICMPV6:
		ebpfnet__sbuf_printf(sb, "ICMPv6 ");
		text_icmp(sb, f->proto, f->icmp_type, f->icmp_code);
		return;
	default:
		ebpfnet__sbuf_printf(sb, "proto %u", f->proto);
	}
}

/* Records that carry counters worth a look: a running or ended flow. */
static bool shows_counters(const struct ebpfnet_flow_record *f)
{
	return f->kind != EBPFNET_FLOW_NEW && f->kind != EBPFNET_FLOW_DROP &&
	       f->kind != EBPFNET_FLOW_POLICY;
}

static const char *policy_verdict_text(enum ebpfnet_flow_verdict v)
{
	if (v == EBPFNET_FLOW_VERDICT_FORWARDED)
		return "ALLOWED";
	if (v == EBPFNET_FLOW_VERDICT_DROPPED)
		return "DENIED";
	return ebpfnet_flow_verdict_name(v);
}

static void flow_text(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_record *f,
		      const struct packet_view *v)
{
	text_head(sb, v);
	ebpfnet__sbuf_putc(sb, ' ');
	/* Hubble's flow type: the observation point of a trace, the reason
	 * of a drop, "policy-verdict:MATCH DIRECTION" of a verdict. */
	if (f->kind == EBPFNET_FLOW_DROP)
		ebpfnet__sbuf_printf(sb, "%s %s", drop_reason(f->drop_reason)->text,
				     ebpfnet_flow_verdict_name(f->verdict));
	else if (f->kind == EBPFNET_FLOW_POLICY)
		ebpfnet__sbuf_printf(sb, "policy-verdict:%s %s %s",
				     NAME_IN(match_names, f->policy_match, "unknown"),
				     f->policy_ingress ? "INGRESS" : "EGRESS",
				     policy_verdict_text(f->verdict));
	else
		ebpfnet__sbuf_printf(sb, "%s %s", ebpfnet_flow_obs_name(f->obs),
				     ebpfnet_flow_verdict_name(f->verdict));
	ebpfnet__sbuf_printf(sb, " (");
	flow_summary(sb, f);
	ebpfnet__sbuf_putc(sb, ')');
	if (shows_counters(f))
		ebpfnet__sbuf_printf(sb, " [%s packets %" PRIu64 " bytes %" PRIu64 "]",
				     NAME_IN(kind_names, f->kind, "unknown"),
				     f->orig.packets + f->reply.packets,
				     f->orig.bytes + f->reply.bytes);
}

static void json_counter(struct ebpfnet_sbuf *sb, const char *key,
			 const struct ebpfnet_flow_counter *c)
{
	ebpfnet__sbuf_printf(sb, ",\"%s\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			     key, c->packets, c->bytes);
}

static void json_event_type(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_record *f)
{
	const struct obs_point *obs = obs_point(f->obs);

	if (f->kind == EBPFNET_FLOW_DROP)
		ebpfnet__sbuf_printf(sb, ",\"event_type\":{\"type\":%d}", EVENT_DROP);
	else if (f->kind == EBPFNET_FLOW_POLICY)
		ebpfnet__sbuf_printf(sb, ",\"event_type\":{\"type\":%d}",
				     EVENT_POLICY_VERDICT);
	else if (obs->sub_type < 0)
		ebpfnet__sbuf_printf(sb, ",\"event_type\":{\"type\":%d}", EVENT_TRACE);
	else
		ebpfnet__sbuf_printf(sb, ",\"event_type\":{\"type\":%d,\"sub_type\":%d}",
				     EVENT_TRACE, obs->sub_type);
}

/* Ours: what Hubble has no field for. */
static void json_ebpfnet(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_record *f)
{
	ebpfnet__sbuf_printf(sb, ",\"ebpfnet\":{\"kind\":\"%s\"",
			     NAME_IN(kind_names, f->kind, "unknown"));
	json_counter(sb, "orig", &f->orig);
	json_counter(sb, "reply", &f->reply);
	ebpfnet__sbuf_printf(sb, ",\"first_seen\":");
	json_time(sb, f->first_ns);
	ebpfnet__sbuf_printf(sb, ",\"last_seen\":");
	json_time(sb, f->last_ns);
	if (f->proto == IPPROTO_TCP) {
		ebpfnet__sbuf_printf(sb, ",\"tcp_flags_seen\":");
		json_tcp_flags(sb, f->tcp_flags_seen);
	}
	ebpfnet__sbuf_printf(sb, ",\"pkt_len\":%" PRIu32 ",\"rule_id\":%" PRIu32
			     ",\"reply_known\":%s}", f->pkt_len, f->rule_id,
			     f->reply_known ? "true" : "false");
}

static void flow_json(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_record *f,
		      const struct packet_view *v)
{
	json_head(sb, v, ebpfnet_flow_verdict_name(f->verdict));
	json_l4(sb, v, shown_tcp_flags(f), f->icmp_type, f->icmp_code);
	json_peers_type(sb, v, "L3_L4");
	json_event_type(sb, f);
	ebpfnet__sbuf_printf(sb, ",\"traffic_direction\":\"%s\"",
			     NAME_IN(direction_names, f->direction,
				     "TRAFFIC_DIRECTION_UNKNOWN"));
	if (f->kind == EBPFNET_FLOW_POLICY)
		ebpfnet__sbuf_printf(sb, ",\"policy_match_type\":%u",
				     (unsigned int)f->policy_match);
	ebpfnet__sbuf_printf(sb, ",\"trace_observation_point\":\"%s\"",
			     obs_point(f->obs)->json);
	if (f->verdict == EBPFNET_FLOW_VERDICT_DROPPED)
		ebpfnet__sbuf_printf(sb, ",\"drop_reason_desc\":\"%s\"",
				     ebpfnet_flow_drop_reason_name(f->drop_reason));
	json_is_reply_interface(sb, v);
	ebpfnet__sbuf_printf(sb, ",\"Summary\":\"");
	flow_summary(sb, f); /* plain ASCII: needs no escaping */
	ebpfnet__sbuf_printf(sb, "\",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64,
			     f->orig.packets + f->reply.packets,
			     f->orig.bytes + f->reply.bytes);
	json_ebpfnet(sb, f);
	json_tail(sb, v);
}

static bool family_valid(const char *fn, uint8_t family)
{
	if (family == AF_INET || family == AF_INET6)
		return true;
	pr_warn("%s: family %u is neither AF_INET nor AF_INET6", fn, family);
	return false;
}

/* sz must cover every field this library reads. */
static bool sz_valid(const char *fn, const char *type, size_t sz, size_t known)
{
	if (sz >= known)
		return true;
	pr_warn("%s: sz %zu is smaller than the %zu bytes of struct %s this library reads",
		fn, sz, known, type);
	return false;
}

int ebpfnet_flow_format(const struct ebpfnet_flow_record *flow,
			enum ebpfnet_format format, const char *node_name,
			char *buf, size_t len)
{
	static const char fn[] = "ebpfnet_flow_format";
	char host[NODE_NAME_MAX];
	struct packet_view v;
	struct ebpfnet_sbuf sb;

	if (ebpfnet__format_check(fn, flow, (int)format, buf, len) ||
	    !sz_valid(fn, "ebpfnet_flow", flow->sz,
		      offsetofend(struct ebpfnet_flow_record, policy_ingress)) ||
	    !family_valid(fn, flow->family))
		return ebpfnet__err(-EINVAL);
	v = (struct packet_view){
		.time_ns = flow->time_ns,
		.family = flow->family,
		.proto = flow->proto,
		.src = &flow->src,
		.dst = &flow->dst,
		.is_reply = flow->is_reply,
		.reply_known = flow->reply_known,
		.ifindex = flow->ifindex,
		.ifname = flow->ifname,
		.ifname_len = strnlen(flow->ifname, sizeof(flow->ifname)),
		.node_name = format == EBPFNET_FORMAT_JSON ?
				     node_name_or_host(node_name, host) : "",
	};
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		flow_json(&sb, flow, &v);
	else
		flow_text(&sb, flow, &v);
	return ebpfnet__format_result(&sb);
}

/* ---- DNS records ------------------------------------------------------------- */

static size_t dns_query_len(const struct ebpfnet_flow_dns *d)
{
	return strnlen(d->query, sizeof(d->query));
}

/* "example.com. A" (the question), escaped for a terminal. */
static void dns_question_text(struct ebpfnet_sbuf *sb,
			      const struct ebpfnet_flow_dns *d)
{
	size_t n = dns_query_len(d);

	if (!n)
		return;
	ebpfnet__sbuf_putc(sb, ' ');
	ebpfnet__sbuf_text_str(sb, d->query, n);
	ebpfnet__sbuf_putc(sb, ' ');
	put_dns_type(sb, d->qtype);
}

static void put_rcode(struct ebpfnet_sbuf *sb, uint8_t rcode)
{
	const char *name = NAME_IN(rcode_names, rcode, NULL);

	if (name)
		ebpfnet__sbuf_printf(sb, "%s", name);
	else
		ebpfnet__sbuf_printf(sb, "RCODE%u", rcode);
}

/* Hubble's DNS summary: "DNS Query example.com. A", or
 * "DNS Answer "1.2.3.4,5.6.7.8" TTL: 300 (Query example.com. A)", or
 * "DNS Answer RCode: NXDOMAIN TTL: 0 (Query nope.example. A)". */
static void dns_summary(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_dns *d)
{
	uint32_t i;

	if (!d->is_response) {
		ebpfnet__sbuf_printf(sb, "DNS Query");
		dns_question_text(sb, d);
		return;
	}
	ebpfnet__sbuf_printf(sb, "DNS Answer ");
	if (d->rcode) {
		ebpfnet__sbuf_printf(sb, "RCode: ");
		put_rcode(sb, d->rcode);
	} else {
		ebpfnet__sbuf_putc(sb, '"');
		for (i = 0; i < d->n_ips; i++) {
			if (i)
				ebpfnet__sbuf_putc(sb, ',');
			put_addr(sb, d->ips[i].family, d->ips[i].addr);
		}
		ebpfnet__sbuf_putc(sb, '"');
	}
	ebpfnet__sbuf_printf(sb, " TTL: %" PRIu32 " (Query", d->ttl);
	dns_question_text(sb, d);
	ebpfnet__sbuf_putc(sb, ')');
}

static void dns_text(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_dns *d,
		     const struct packet_view *v)
{
	text_head(sb, v);
	ebpfnet__sbuf_printf(sb, " %s FORWARDED (",
			     d->is_response ? "dns-response" : "dns-request");
	dns_summary(sb, d);
	ebpfnet__sbuf_putc(sb, ')');
	if (d->truncated)
		ebpfnet__sbuf_printf(sb, " [truncated]");
}

/* The answer types kept in the record: CNAME, A, AAAA. */
static void json_rrtypes(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_dns *d)
{
	bool v4 = false, v6 = false;
	const char *sep = "";
	uint32_t i;

	for (i = 0; i < d->n_ips; i++) {
		v4 |= d->ips[i].family == AF_INET;
		v6 |= d->ips[i].family == AF_INET6;
	}
	ebpfnet__sbuf_printf(sb, ",\"rrtypes\":[");
	if (d->n_cnames) {
		ebpfnet__sbuf_printf(sb, "\"CNAME\"");
		sep = ",";
	}
	if (v4) {
		ebpfnet__sbuf_printf(sb, "%s\"A\"", sep);
		sep = ",";
	}
	if (v6)
		ebpfnet__sbuf_printf(sb, "%s\"AAAA\"", sep);
	ebpfnet__sbuf_putc(sb, ']');
}

static void json_dns(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_dns *d)
{
	uint32_t i;

	ebpfnet__sbuf_printf(sb, ",\"l7\":{\"type\":\"%s\",\"dns\":{\"query\":",
			     d->is_response ? "RESPONSE" : "REQUEST");
	ebpfnet__sbuf_json_str(sb, d->query, dns_query_len(d));
	if (d->is_response) {
		ebpfnet__sbuf_printf(sb, ",\"ips\":[");
		for (i = 0; i < d->n_ips; i++) {
			if (i)
				ebpfnet__sbuf_putc(sb, ',');
			json_addr(sb, d->ips[i].family, d->ips[i].addr);
		}
		ebpfnet__sbuf_printf(sb, "],\"ttl\":%" PRIu32 ",\"cnames\":[", d->ttl);
		for (i = 0; i < d->n_cnames; i++) {
			if (i)
				ebpfnet__sbuf_putc(sb, ',');
			ebpfnet__sbuf_json_str(sb, d->cnames[i],
					       strnlen(d->cnames[i],
						       sizeof(d->cnames[i])));
		}
		ebpfnet__sbuf_printf(sb, "],\"rcode\":%u", d->rcode);
	}
	ebpfnet__sbuf_printf(sb, ",\"qtypes\":[");
	if (dns_query_len(d)) {
		ebpfnet__sbuf_putc(sb, '"');
		put_dns_type(sb, d->qtype);
		ebpfnet__sbuf_putc(sb, '"');
	}
	ebpfnet__sbuf_putc(sb, ']');
	if (d->is_response)
		json_rrtypes(sb, d);
	ebpfnet__sbuf_printf(sb, "}}");
}

/*
 * The longest summary: "DNS Answer \"" + 16 IPv6 addresses and commas
 * (16 x 46) + "\" TTL: 4294967295 (Query " + the query escaped for a
 * terminal (at most 255 x 4) + " TYPE65535)": under 1900 bytes.
 */
#define DNS_SUMMARY_MAX 2048

/* The summary holds the query name: as a JSON string. */
static void json_dns_summary(struct ebpfnet_sbuf *sb,
			     const struct ebpfnet_flow_dns *d)
{
	char summary[DNS_SUMMARY_MAX];
	struct ebpfnet_sbuf tmp;

	ebpfnet__sbuf_init(&tmp, summary, sizeof(summary));
	dns_summary(&tmp, d);
	ebpfnet__sbuf_printf(sb, ",\"Summary\":");
	ebpfnet__sbuf_json_str(sb, summary, strlen(summary));
}

static void dns_json(struct ebpfnet_sbuf *sb, const struct ebpfnet_flow_dns *d,
		     const struct packet_view *v)
{
	json_head(sb, v, "FORWARDED");
	json_l4(sb, v, 0, 0, 0);
	json_peers_type(sb, v, "L7");
	json_dns(sb, d);
	ebpfnet__sbuf_printf(sb, ",\"event_type\":{\"type\":%d}", EVENT_L7);
	json_is_reply_interface(sb, v);
	json_dns_summary(sb, d);
	ebpfnet__sbuf_printf(sb, ",\"ebpfnet\":{\"id\":%u,\"qclass\":%u,"
			     "\"truncated\":%s,\"answers\":%u}", d->id, d->qclass,
			     d->truncated ? "true" : "false", d->n_answers);
	json_tail(sb, v);
}

static bool dns_valid(const char *fn, const struct ebpfnet_flow_dns *d)
{
	uint32_t i;

	if (!sz_valid(fn, "ebpfnet_flow_dns", d->sz,
		      offsetofend(struct ebpfnet_flow_dns, n_answers)) ||
	    !family_valid(fn, d->family))
		return false;
	if (d->n_ips > EBPFNET_FLOW_DNS_MAX_IPS ||
	    d->n_cnames > EBPFNET_FLOW_DNS_MAX_CNAMES) {
		pr_warn("%s: n_ips %" PRIu32 " or n_cnames %" PRIu32 " over the array",
			fn, d->n_ips, d->n_cnames);
		return false;
	}
	for (i = 0; i < d->n_ips; i++)
		if (!family_valid(fn, d->ips[i].family))
			return false;
	return true;
}

int ebpfnet_flow_dns_format(const struct ebpfnet_flow_dns *dns,
			    enum ebpfnet_format format, const char *node_name,
			    char *buf, size_t len)
{
	static const char fn[] = "ebpfnet_flow_dns_format";
	char host[NODE_NAME_MAX];
	struct packet_view v;
	struct ebpfnet_sbuf sb;

	if (ebpfnet__format_check(fn, dns, (int)format, buf, len) ||
	    !dns_valid(fn, dns))
		return ebpfnet__err(-EINVAL);
	v = (struct packet_view){
		.time_ns = dns->time_ns,
		.family = dns->family,
		.proto = dns->proto,
		.src = &dns->src,
		.dst = &dns->dst,
		.is_reply = dns->is_response,
		.reply_known = true,
		.ifindex = dns->ifindex,
		.ifname = dns->ifname,
		.ifname_len = strnlen(dns->ifname, sizeof(dns->ifname)),
		.node_name = format == EBPFNET_FORMAT_JSON ?
				     node_name_or_host(node_name, host) : "",
	};
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		dns_json(&sb, dns, &v);
	else
		dns_text(&sb, dns, &v);
	return ebpfnet__format_result(&sb);
}
