/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * policy: verdict records -> public events, and events as Hubble-like
 * policy-verdict lines or JSON objects.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "policy_internal.h"
#include "text.h"

/* The BPF program (policy_abi.h) and the public API (policy.h) name the
 * same values: keep them equal. */
_Static_assert(POLICY_DIR_INGRESS == EBPFNET_POLICY_INGRESS &&
	       POLICY_DIR_EGRESS == EBPFNET_POLICY_EGRESS, "directions");
_Static_assert(POLICY_VERDICT_ALLOWED == EBPFNET_POLICY_ALLOWED &&
	       POLICY_VERDICT_DENIED == EBPFNET_POLICY_DENIED, "verdicts");
_Static_assert(POLICY_MATCH_NONE == EBPFNET_POLICY_MATCH_NONE &&
	       POLICY_MATCH_L3_ONLY == EBPFNET_POLICY_MATCH_L3_ONLY &&
	       POLICY_MATCH_L3_L4 == EBPFNET_POLICY_MATCH_L3_L4 &&
	       POLICY_MATCH_L4_ONLY == EBPFNET_POLICY_MATCH_L4_ONLY &&
	       POLICY_MATCH_ALL == EBPFNET_POLICY_MATCH_ALL, "match types");
_Static_assert(POLICY_ID_HOST == EBPFNET_POLICY_ID_HOST &&
	       POLICY_ID_WORLD == EBPFNET_POLICY_ID_WORLD, "reserved identities");

/* PKT_FAMILY_* of the records (bpf/include/parse.h) */
#define REC_FAMILY_IPV4 4
#define REC_FAMILY_IPV6 6

/* ---- names ------------------------------------------------------------------ */

const char *ebpfnet__policy_dir_name(enum ebpfnet_policy_dir dir)
{
	switch (dir) {
	case EBPFNET_POLICY_INGRESS: return "INGRESS";
	case EBPFNET_POLICY_EGRESS: return "EGRESS";
	}
	return NULL;
}

const char *ebpfnet__policy_verdict_name(enum ebpfnet_policy_verdict verdict)
{
	switch (verdict) {
	case EBPFNET_POLICY_ALLOWED: return "ALLOWED";
	case EBPFNET_POLICY_DENIED: return "DENIED";
	}
	return NULL;
}

const char *ebpfnet__policy_match_name(enum ebpfnet_policy_match match)
{
	switch (match) {
	case EBPFNET_POLICY_MATCH_NONE: return "none";
	case EBPFNET_POLICY_MATCH_L3_ONLY: return "L3-Only";
	case EBPFNET_POLICY_MATCH_L3_L4: return "L3-L4";
	case EBPFNET_POLICY_MATCH_L4_ONLY: return "L4-Only";
	case EBPFNET_POLICY_MATCH_ALL: return "all";
	}
	return NULL;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_SCTP: return "SCTP";
	case IPPROTO_ICMP: return "ICMPv4";
	case IPPROTO_ICMPV6: return "ICMPv6";
	}
	return NULL;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* Hubble's order of TCP flags. */
static const struct {
	uint8_t bit;
	const char *name;
} tcp_flag_names[] = {
	{ 0x02, "SYN" }, { 0x01, "FIN" }, { 0x04, "RST" }, { 0x08, "PSH" },
	{ 0x10, "ACK" }, { 0x20, "URG" }, { 0x40, "ECE" }, { 0x80, "CWR" },
};

/* ---- decoding ----------------------------------------------------------------- */

static void rec_addr(uint8_t family, const __be32 *words,
		     struct ebpfnet_policy_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->addr, words, family == AF_INET ? 4 : 16);
}

int ebpfnet__policy_verdict_decode(const void *data, size_t size,
				   int64_t realtime_offset_ns,
				   struct ebpfnet_policy_verdict_event *v)
{
	const struct policy_verdict_event *rec = data;
	uint8_t family;

	if (!rec || size < sizeof(*rec) || rec->hdr.type != EBPFNET_EV_VERDICT ||
	    rec->hdr.version < 1 || rec->hdr.size < sizeof(*rec) ||
	    rec->hdr.size > size)
		return -EINVAL;
	if (rec->family == REC_FAMILY_IPV4)
		family = AF_INET;
	else if (rec->family == REC_FAMILY_IPV6)
		family = AF_INET6;
	else
		return -EINVAL;
	if (!ebpfnet__policy_verdict_name(rec->verdict) ||
	    !ebpfnet__policy_dir_name(rec->dir) ||
	    !ebpfnet__policy_match_name(rec->match))
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->sz = sizeof(*v);
	v->time_ns = rec->hdr.time_ns + (uint64_t)realtime_offset_ns;
	v->ifindex = rec->ifindex;
	if (!if_indextoname(rec->ifindex, v->ifname))
		v->ifname[0] = '\0';
	v->verdict = rec->verdict;
	v->dir = rec->dir;
	v->match = rec->match;
	v->rule_id = rec->rule_id;
	v->ep_identity = rec->ep_identity;
	v->peer_identity = rec->peer_identity;
	v->family = family;
	v->proto = rec->proto;
	v->tcp_flags = rec->tcp_flags;
	v->reeval = rec->reeval != 0;
	rec_addr(family, rec->saddr, &v->src);
	rec_addr(family, rec->daddr, &v->dst);
	v->sport = ntohs(rec->sport);
	v->dport = ntohs(rec->dport);
	v->pkt_len = rec->pkt_len;
	return 0;
}

/* ---- formatting ----------------------------------------------------------------- */

static void put_addr(struct ebpfnet_sbuf *sb, const struct ebpfnet_policy_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	ebpfnet__sbuf_printf(sb, "%s", text);
}

/* "10.0.1.2:80", "[fd00::2]:80", or the address alone without ports. */
static void put_endpoint(struct ebpfnet_sbuf *sb,
			 const struct ebpfnet_policy_verdict_event *v,
			 const struct ebpfnet_policy_addr *a, uint16_t port)
{
	bool brackets = a->family == AF_INET6 && has_ports(v->proto);

	if (brackets)
		ebpfnet__sbuf_putc(sb, '[');
	put_addr(sb, a);
	if (brackets)
		ebpfnet__sbuf_putc(sb, ']');
	if (has_ports(v->proto))
		ebpfnet__sbuf_printf(sb, ":%u", port);
}

/* Hubble's local time stamp: "Nov 21 10:00:00.123". */
static void put_local_time(struct ebpfnet_sbuf *sb, uint64_t time_ns)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
					      "Jun", "Jul", "Aug", "Sep", "Oct",
					      "Nov", "Dec" };
	time_t secs = (time_t)(time_ns / 1000000000ull);
	struct tm tm;

	if (!localtime_r(&secs, &tm) || tm.tm_mon < 0 || tm.tm_mon > 11) {
		ebpfnet__sbuf_printf(sb, "%" PRIu64, time_ns);
		return;
	}
	ebpfnet__sbuf_printf(sb, "%s %d %02d:%02d:%02d.%03u", months[tm.tm_mon],
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned int)(time_ns % 1000000000ull / 1000000));
}

/* "SYN, ACK" (text) or "\"SYN\",\"ACK\"" (JSON). */
static void put_tcp_flags(struct ebpfnet_sbuf *sb, uint8_t flags, bool json)
{
	bool first = true;

	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(tcp_flag_names); i++) {
		if (!(flags & tcp_flag_names[i].bit))
			continue;
		ebpfnet__sbuf_printf(sb, json ? "%s\"%s\"" : "%s%s",
				     first ? "" : json ? "," : ", ",
				     tcp_flag_names[i].name);
		first = false;
	}
}

static void put_proto_text(struct ebpfnet_sbuf *sb,
			   const struct ebpfnet_policy_verdict_event *v)
{
	const char *name = proto_name(v->proto);

	if (v->proto == IPPROTO_TCP) {
		ebpfnet__sbuf_printf(sb, "(TCP Flags: ");
		put_tcp_flags(sb, v->tcp_flags, false);
		ebpfnet__sbuf_putc(sb, ')');
	} else if (name) {
		ebpfnet__sbuf_printf(sb, "(%s)", name);
	} else {
		ebpfnet__sbuf_printf(sb, "(protocol %u)", v->proto);
	}
}

/* What decided: "rule 12", or why no rule did. */
static void put_rule_text(struct ebpfnet_sbuf *sb,
			  const struct ebpfnet_policy_verdict_event *v)
{
	if (v->rule_id)
		ebpfnet__sbuf_printf(sb, "rule %" PRIu32, v->rule_id);
	else if (v->verdict == EBPFNET_POLICY_DENIED)
		ebpfnet__sbuf_printf(sb, "default deny");
	else
		ebpfnet__sbuf_printf(sb, "not enforced");
}

static void format_text(struct ebpfnet_sbuf *sb,
			const struct ebpfnet_policy_verdict_event *v)
{
	put_local_time(sb, v->time_ns);
	ebpfnet__sbuf_printf(sb, ": ");
	put_endpoint(sb, v, &v->src, v->sport);
	ebpfnet__sbuf_printf(sb, " (ID:%" PRIu32 ") -> ",
			     v->dir == EBPFNET_POLICY_INGRESS ? v->peer_identity :
								v->ep_identity);
	put_endpoint(sb, v, &v->dst, v->dport);
	ebpfnet__sbuf_printf(sb, " (ID:%" PRIu32 ") policy-verdict:%s %s %s ",
			     v->dir == EBPFNET_POLICY_INGRESS ? v->ep_identity :
								v->peer_identity,
			     ebpfnet__policy_match_name(v->match),
			     ebpfnet__policy_dir_name(v->dir),
			     ebpfnet__policy_verdict_name(v->verdict));
	put_proto_text(sb, v);
	ebpfnet__sbuf_putc(sb, ' ');
	put_rule_text(sb, v);
	if (v->reeval)
		ebpfnet__sbuf_printf(sb, " (re-evaluated)");
}

static void json_str(struct ebpfnet_sbuf *sb, const char *key, const char *s)
{
	ebpfnet__sbuf_printf(sb, ",\"%s\":", key);
	ebpfnet__sbuf_json_str(sb, s, strlen(s));
}

static void json_addr(struct ebpfnet_sbuf *sb, const char *key,
		      const struct ebpfnet_policy_addr *a)
{
	ebpfnet__sbuf_printf(sb, ",\"%s\":\"", key);
	put_addr(sb, a);
	ebpfnet__sbuf_putc(sb, '"');
}

/* Field names as the struct's, Hubble's where it has one (time,
 * verdict, traffic_direction, policy_match_type). */
static void format_json(struct ebpfnet_sbuf *sb,
			const struct ebpfnet_policy_verdict_event *v)
{
	const char *proto = proto_name(v->proto);

	ebpfnet__sbuf_printf(sb, "{\"time\":\"");
	ebpfnet__sbuf_rfc3339(sb, v->time_ns);
	ebpfnet__sbuf_printf(sb, "\",\"ifindex\":%" PRIu32, v->ifindex);
	ebpfnet__sbuf_printf(sb, ",\"ifname\":");
	ebpfnet__sbuf_json_str(sb, v->ifname, strnlen(v->ifname, sizeof(v->ifname)));
	json_str(sb, "verdict", ebpfnet__policy_verdict_name(v->verdict));
	json_str(sb, "traffic_direction", ebpfnet__policy_dir_name(v->dir));
	json_str(sb, "policy_match_type", ebpfnet__policy_match_name(v->match));
	ebpfnet__sbuf_printf(sb, ",\"rule_id\":%" PRIu32 ",\"ep_identity\":%" PRIu32
			     ",\"peer_identity\":%" PRIu32, v->rule_id,
			     v->ep_identity, v->peer_identity);
	json_str(sb, "family", v->family == AF_INET ? "IPv4" : "IPv6");
	if (proto)
		json_str(sb, "proto", proto);
	else
		ebpfnet__sbuf_printf(sb, ",\"proto\":%u", v->proto);
	if (v->proto == IPPROTO_TCP) {
		ebpfnet__sbuf_printf(sb, ",\"tcp_flags\":[");
		put_tcp_flags(sb, v->tcp_flags, true);
		ebpfnet__sbuf_putc(sb, ']');
	}
	ebpfnet__sbuf_printf(sb, ",\"reeval\":%s", v->reeval ? "true" : "false");
	json_addr(sb, "src", &v->src);
	json_addr(sb, "dst", &v->dst);
	if (has_ports(v->proto))
		ebpfnet__sbuf_printf(sb, ",\"sport\":%u,\"dport\":%u", v->sport,
				     v->dport);
	ebpfnet__sbuf_printf(sb, ",\"pkt_len\":%" PRIu32 "}", v->pkt_len);
}

static bool addr_valid(const struct ebpfnet_policy_addr *a, uint8_t family)
{
	return a->family == family;
}

int ebpfnet_policy_verdict_format(const struct ebpfnet_policy_verdict_event *v,
				  enum ebpfnet_format format, char *buf, size_t len)
{
	static const char fn[] = "ebpfnet_policy_verdict_format";
	struct ebpfnet_policy_verdict_event e;
	struct ebpfnet_sbuf sb;
	int err = ebpfnet__format_check(fn, v, (int)format, buf, len);

	if (err)
		return ebpfnet__err(err);
	if (!EBPFNET_OPTS_VALID(v, ebpfnet_policy_verdict_event, pkt_len))
		return ebpfnet__err(-EINVAL);
	memset(&e, 0, sizeof(e));
	memcpy(&e, v, v->sz < sizeof(e) ? v->sz : sizeof(e));
	if (!ebpfnet__policy_verdict_name(e.verdict) ||
	    !ebpfnet__policy_dir_name(e.dir) ||
	    !ebpfnet__policy_match_name(e.match)) {
		pr_warn("%s: verdict %d, dir %d or match %d is out of range", fn,
			(int)e.verdict, (int)e.dir, (int)e.match);
		return ebpfnet__err(-EINVAL);
	}
	if ((e.family != AF_INET && e.family != AF_INET6) ||
	    !addr_valid(&e.src, e.family) || !addr_valid(&e.dst, e.family)) {
		pr_warn("%s: family %u (of the event, src, dst) is not AF_INET or AF_INET6 throughout",
			fn, e.family);
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		format_json(&sb, &e);
	else
		format_text(&sb, &e);
	return ebpfnet__format_result(&sb);
}
