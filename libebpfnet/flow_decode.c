/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: kernel records and flow table entries -> public records
 * (flow_internal.h). Pure: no map, no clock, no system call.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "drop_abi.h"
#include "flow_internal.h"
#include "policy_abi.h"

/* parse.h's PKT_FAMILY_* (parse.h itself is BPF code). */
#define FAMILY_V4 4
#define FAMILY_V6 6

#define ETH_HLEN_ 14
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define MAX_VLANS 2
#define MAX_EXT_HDRS 8

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/* ---- small helpers ---------------------------------------------------- */

static uint8_t af_of(uint8_t pkt_family)
{
	return pkt_family == FAMILY_V6 ? AF_INET6 : AF_INET;
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* A peer from the kernel's address words (IPv4 in word 0) and a port in
 * network order; ICMP has no port (the key's echo identifier is not one). */
static void peer_set(struct ebpfnet_flow_peer *peer, const __be32 addr[4],
		     __be16 port, uint8_t proto)
{
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->addr, addr, sizeof(peer->addr));
	peer->port = is_icmp(proto) ? 0 : ntohs(port);
}

static uint64_t wall(uint64_t boot_ns, int64_t realtime_offset_ns)
{
	return boot_ns ? boot_ns + (uint64_t)realtime_offset_ns : 0;
}

static bool header_ok(const struct ebpfnet_event_hdr *hdr, size_t size,
		      size_t min_size, uint16_t type)
{
	return size >= min_size && hdr->type == type && hdr->version >= 1 &&
	       hdr->size >= min_size && hdr->size <= size;
}

/* ---- flows of the table ---------------------------------------------- */

bool flow_reply_known(const struct flow_key *key, const struct flow_value *value)
{
	if (key->proto == IPPROTO_TCP)
		return (value->tcp_flags[FLOW_DIR_ORIG] & FLOW_TCP_SYN) ||
		       (value->state & FLOW_ST_SYNACK_FIRST);
	if (is_icmp(key->proto))
		return key->port_a != 0; /* echo: the identifier */
	return true;
}

/* Did the initiator's packets pass TC ingress? The first packet's hook,
 * the other one when that packet was a SYN+ACK (a reply). */
static bool initiator_at_ingress(const struct flow_value *value)
{
	bool first_ingress = value->state & FLOW_ST_INGRESS;

	return value->state & FLOW_ST_SYNACK_FIRST ? !first_ingress : first_ingress;
}

/* What a table entry says, whichever record it goes into: the initiator's
 * direction. */
static void fill_from_flow(const struct flow_key *key,
			   const struct flow_value *value,
			   int64_t realtime_offset_ns, struct ebpfnet_flow_record *out)
{
	bool ingress = initiator_at_ingress(value);

	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->first_ns = wall(value->first_ns, realtime_offset_ns);
	out->last_ns = wall(value->last_ns, realtime_offset_ns);
	out->verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	out->obs = ingress ? EBPFNET_FLOW_OBS_FROM_NETWORK : EBPFNET_FLOW_OBS_TO_NETWORK;
	out->direction = ingress ? EBPFNET_FLOW_DIR_EGRESS : EBPFNET_FLOW_DIR_INGRESS;
	out->ifindex = key->ifindex;
	out->family = af_of(key->family);
	out->proto = key->proto;
	out->reply_known = flow_reply_known(key, value);
	out->tcp_flags_seen = value->tcp_flags[0] | value->tcp_flags[1];
	if (is_icmp(key->proto)) {
		out->icmp_type = value->icmp_type;
		out->icmp_code = value->icmp_code;
	}
	peer_set(&out->src, key->addr_a, key->port_a, key->proto);
	peer_set(&out->dst, key->addr_b, key->port_b, key->proto);
	out->orig.packets = value->dir[FLOW_DIR_ORIG].packets;
	out->orig.bytes = value->dir[FLOW_DIR_ORIG].bytes;
	out->reply.packets = value->dir[FLOW_DIR_REPLY].packets;
	out->reply.bytes = value->dir[FLOW_DIR_REPLY].bytes;
}

void flow_decode_entry(const struct flow_key *key, const struct flow_value *value,
		       enum ebpfnet_flow_kind kind, uint64_t now_ns,
		       int64_t realtime_offset_ns, struct ebpfnet_flow_record *out)
{
	fill_from_flow(key, value, realtime_offset_ns, out);
	out->kind = kind;
	out->time_ns = now_ns;
}

/* The packet's side of a record: a reply goes from "b" to "a". */
static void orient_to_packet(const struct flow_event_head *head,
			     struct ebpfnet_flow_record *out)
{
	struct ebpfnet_flow_peer a = out->src;

	out->is_reply = head->dir == FLOW_DIR_REPLY;
	if (out->is_reply) {
		out->src = out->dst;
		out->dst = a;
	}
	out->obs = head->ingress ? EBPFNET_FLOW_OBS_FROM_NETWORK :
				   EBPFNET_FLOW_OBS_TO_NETWORK;
	out->tcp_flags = head->tcp_flags;
	out->pkt_len = head->pkt_len;
}

int flow_decode_export(const void *data, size_t size, int64_t realtime_offset_ns,
		       struct ebpfnet_flow_record *out)
{
	static const enum ebpfnet_flow_kind kinds[] = {
		[FLOW_EV_NEW] = EBPFNET_FLOW_NEW,
		[FLOW_EV_FLAGS] = EBPFNET_FLOW_FLAGS,
		[FLOW_EV_INTERVAL] = EBPFNET_FLOW_INTERVAL,
		[FLOW_EV_END] = EBPFNET_FLOW_END,
	};
	const struct flow_event *ev = data;

	if (!data || !out ||
	    !header_ok(&ev->head.hdr, size, sizeof(*ev), EBPFNET_EV_FLOW) ||
	    ev->head.kind >= EBPFNET_ARRAY_SIZE(kinds) ||
	    (ev->head.key.family != FAMILY_V4 && ev->head.key.family != FAMILY_V6))
		return FLOW_DECODE_BAD;
	fill_from_flow(&ev->head.key, &ev->value, realtime_offset_ns, out);
	out->kind = kinds[ev->head.kind];
	out->time_ns = wall(ev->head.hdr.time_ns, realtime_offset_ns);
	orient_to_packet(&ev->head, out);
	return 0;
}

/* ---- DNS ------------------------------------------------------------- */

int flow_decode_dns(const void *data, size_t size, int64_t realtime_offset_ns,
		    struct ebpfnet_flow_dns *out)
{
	const struct flow_dns_event *ev = data;
	const struct flow_key *key;
	bool reply;
	int err;

	if (!data || !out || size < sizeof(ev->head) + 8 ||
	    !header_ok(&ev->head.hdr, size, sizeof(ev->head) + 8, EBPFNET_EV_FLOW) ||
	    ev->head.kind != FLOW_EV_DNS || ev->dns_len > FLOW_DNS_MAX ||
	    offsetof(struct flow_dns_event, dns) + ev->dns_len > ev->head.hdr.size)
		return FLOW_DECODE_BAD;
	key = &ev->head.key;
	reply = ev->head.dir == FLOW_DIR_REPLY;
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->time_ns = wall(ev->head.hdr.time_ns, realtime_offset_ns);
	out->ifindex = key->ifindex;
	out->family = af_of(key->family);
	out->proto = key->proto;
	peer_set(reply ? &out->dst : &out->src, key->addr_a, key->port_a, key->proto);
	peer_set(reply ? &out->src : &out->dst, key->addr_b, key->port_b, key->proto);
	err = ebpfnet_flow_dns_parse(ev->dns, ev->dns_len, out);
	if (err)
		return err == -EBADMSG ? -EPROTO : err;
	if (ev->dns_len < ev->msg_len)
		out->truncated = true; /* the copy ended before the message */
	return 0;
}

/* ---- frames (the drop object's captured bytes) ------------------------ */

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The L4 fields at l4 (len bytes left), as far as they go. */
static void parse_l4(const uint8_t *l4, size_t len, struct ebpfnet_flow_record *out)
{
	if (out->proto == IPPROTO_TCP && len >= 14)
		out->tcp_flags = l4[13];
	switch (out->proto) {
	case IPPROTO_TCP: /* the ports are where UDP's are */
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (len >= 4) {
			out->src.port = be16_at(l4);
			out->dst.port = be16_at(l4 + 2);
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len >= 2) {
			out->icmp_type = l4[0];
			out->icmp_code = l4[1];
		}
		break;
	}
}

static int parse_ipv4(const uint8_t *ip, size_t len, struct ebpfnet_flow_record *out)
{
	size_t ihl;
	uint16_t frag;

	if (len < 20 || ip[0] >> 4 != 4)
		return FLOW_DECODE_BAD;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return FLOW_DECODE_BAD;
	out->family = AF_INET;
	out->proto = ip[9];
	memcpy(out->src.addr, ip + 12, 4);
	memcpy(out->dst.addr, ip + 16, 4);
	frag = be16_at(ip + 6) & 0x1fff;
	if (!frag) /* a later fragment carries no L4 header */
		parse_l4(ip + ihl, len - ihl, out);
	return 0;
}

static bool ipv6_ext_header(uint8_t next)
{
	return next == 0 /* hop-by-hop */ || next == 43 /* routing */ ||
	       next == 44 /* fragment */ || next == 51 /* AH */ ||
	       next == 60 /* destination options */;
}

static int parse_ipv6(const uint8_t *ip, size_t len, struct ebpfnet_flow_record *out)
{
	size_t off = 40;
	uint8_t next;
	bool later_fragment = false;

	if (len < 40 || ip[0] >> 4 != 6)
		return FLOW_DECODE_BAD;
	out->family = AF_INET6;
	memcpy(out->src.addr, ip + 8, 16);
	memcpy(out->dst.addr, ip + 24, 16);
	next = ip[6];
	for (int i = 0; i < MAX_EXT_HDRS && ipv6_ext_header(next); i++) {
		size_t hlen;

		if (off + 8 > len) {
			out->proto = next; /* cut short: what is known */
			return 0;
		}
		if (next == 44) {
			later_fragment = (be16_at(ip + off + 2) & 0xfff8) != 0;
			hlen = 8;
		} else if (next == 51) {
			hlen = ((size_t)ip[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)ip[off + 1] + 1) * 8;
		}
		next = ip[off];
		off += hlen;
	}
	out->proto = next;
	if (off <= len && !later_fragment && !ipv6_ext_header(next))
		parse_l4(ip + off, len - off, out);
	return 0;
}

int flow_parse_frame(const uint8_t *frame, size_t len, struct ebpfnet_flow_record *out)
{
	size_t off = 12;
	uint16_t type;

	if (!frame || !out || len < ETH_HLEN_)
		return FLOW_DECODE_BAD;
	type = be16_at(frame + off);
	off += 2;
	for (int i = 0; i < MAX_VLANS &&
			(type == ETH_P_8021Q || type == ETH_P_8021AD); i++) {
		if (off + 4 > len)
			return FLOW_DECODE_BAD;
		type = be16_at(frame + off + 2);
		off += 4;
	}
	if (type == ETH_P_IPV4)
		return parse_ipv4(frame + off, len - off, out);
	if (type == ETH_P_IPV6)
		return parse_ipv6(frame + off, len - off, out);
	return -ENOMSG;
}

/* ---- the monitor's records -------------------------------------------- */

static void fill_event_common(struct ebpfnet_flow_record *out, uint64_t boot_ns,
			      int64_t realtime_offset_ns, uint32_t ifindex,
			      uint32_t pkt_len)
{
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->time_ns = wall(boot_ns, realtime_offset_ns);
	out->first_ns = out->time_ns;
	out->last_ns = out->time_ns;
	out->ifindex = ifindex;
	out->pkt_len = pkt_len;
	out->orig.packets = 1;
	out->orig.bytes = pkt_len;
}

static int decode_drop(const struct drop_event *ev, size_t size,
		       int64_t realtime_offset_ns, struct ebpfnet_flow_record *out)
{
	static const enum ebpfnet_flow_drop_reason reasons[] = {
		[DROP_REASON_RULE] = EBPFNET_FLOW_DROP_RULE,
		[DROP_REASON_FRAGMENT] = EBPFNET_FLOW_DROP_FRAGMENT,
		[DROP_REASON_MALFORMED] = EBPFNET_FLOW_DROP_INVALID,
	};

	if (!header_ok(&ev->hdr, size, sizeof(*ev), EBPFNET_EV_DROP) ||
	    ev->cap_len > DROP_EVENT_BYTES || ev->reason >= EBPFNET_ARRAY_SIZE(reasons))
		return FLOW_DECODE_BAD;
	fill_event_common(out, ev->hdr.time_ns, realtime_offset_ns, ev->ifindex,
			  ev->pkt_len);
	out->kind = EBPFNET_FLOW_DROP;
	out->verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	out->drop_reason = reasons[ev->reason];
	out->obs = EBPFNET_FLOW_OBS_FROM_NETWORK;
	out->rule_id = ev->rule_id;
	/* A malformed or non-IP frame is still a drop worth showing: with
	 * what its bytes held (family 0 when nothing). */
	(void)flow_parse_frame(ev->data, ev->cap_len, out);
	return 0;
}

static int decode_verdict(const struct policy_verdict_event *ev, size_t size,
			  int64_t realtime_offset_ns, struct ebpfnet_flow_record *out)
{
	static const enum ebpfnet_flow_policy_match matches[] = {
		[POLICY_MATCH_NONE] = EBPFNET_FLOW_MATCH_NONE,
		[POLICY_MATCH_L3_ONLY] = EBPFNET_FLOW_MATCH_L3_ONLY,
		[POLICY_MATCH_L3_L4] = EBPFNET_FLOW_MATCH_L3_L4,
		[POLICY_MATCH_L4_ONLY] = EBPFNET_FLOW_MATCH_L4_ONLY,
		[POLICY_MATCH_ALL] = EBPFNET_FLOW_MATCH_ALL,
	};
	bool ingress, denied;

	if (!header_ok(&ev->hdr, size, sizeof(*ev), EBPFNET_EV_VERDICT) ||
	    (ev->verdict != POLICY_VERDICT_ALLOWED &&
	     ev->verdict != POLICY_VERDICT_DENIED) ||
	    (ev->dir != POLICY_DIR_INGRESS && ev->dir != POLICY_DIR_EGRESS) ||
	    ev->match >= EBPFNET_ARRAY_SIZE(matches) ||
	    (ev->family != FAMILY_V4 && ev->family != FAMILY_V6))
		return FLOW_DECODE_BAD;
	ingress = ev->dir == POLICY_DIR_INGRESS;
	denied = ev->verdict == POLICY_VERDICT_DENIED;
	fill_event_common(out, ev->hdr.time_ns, realtime_offset_ns, ev->ifindex,
			  ev->pkt_len);
	out->kind = EBPFNET_FLOW_POLICY;
	out->verdict = denied ? EBPFNET_FLOW_VERDICT_DROPPED :
				EBPFNET_FLOW_VERDICT_FORWARDED;
	if (denied)
		out->drop_reason = ev->rule_id ? EBPFNET_FLOW_DROP_POLICY_DENY :
						 EBPFNET_FLOW_DROP_POLICY_DENIED;
	out->rule_id = ev->rule_id;
	out->policy_match = matches[ev->match];
	out->policy_ingress = ingress;
	/* TC egress of the endpoint's host side carries what it receives */
	out->obs = ingress ? EBPFNET_FLOW_OBS_TO_ENDPOINT : EBPFNET_FLOW_OBS_FROM_ENDPOINT;
	out->direction = ingress ? EBPFNET_FLOW_DIR_INGRESS : EBPFNET_FLOW_DIR_EGRESS;
	out->family = af_of(ev->family);
	out->proto = ev->proto;
	out->tcp_flags = ev->proto == IPPROTO_TCP ? ev->tcp_flags : 0;
	peer_set(&out->src, ev->saddr, ev->sport, ev->proto);
	peer_set(&out->dst, ev->daddr, ev->dport, ev->proto);
	out->src.identity = ingress ? ev->peer_identity : ev->ep_identity;
	out->dst.identity = ingress ? ev->ep_identity : ev->peer_identity;
	return 0;
}

int flow_decode_monitor(const void *data, size_t size, int64_t realtime_offset_ns,
			struct ebpfnet_flow_record *out)
{
	const struct ebpfnet_event_hdr *hdr = data;

	if (!data || !out || size < sizeof(*hdr))
		return FLOW_DECODE_BAD;
	switch (hdr->type) {
	case EBPFNET_EV_DROP:
		return decode_drop(data, size, realtime_offset_ns, out);
	case EBPFNET_EV_VERDICT:
		return decode_verdict(data, size, realtime_offset_ns, out);
	default:
		return -ENOMSG;
	}
}

/* ---- where it was seen ------------------------------------------------ */

void flow_apply_endpoint(struct ebpfnet_flow_record *f, bool endpoint)
{
	if (f->kind == EBPFNET_FLOW_DROP || f->kind == EBPFNET_FLOW_POLICY)
		return;
	if (!endpoint) {
		f->direction = EBPFNET_FLOW_DIR_UNKNOWN;
		return;
	}
	if (f->obs == EBPFNET_FLOW_OBS_FROM_NETWORK)
		f->obs = EBPFNET_FLOW_OBS_FROM_ENDPOINT;
	else if (f->obs == EBPFNET_FLOW_OBS_TO_NETWORK)
		f->obs = EBPFNET_FLOW_OBS_TO_ENDPOINT;
}
