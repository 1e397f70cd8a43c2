/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow: what the object (flow.c) and the record decoder (flow_decode.c,
 * pure, unit-testable without a kernel) share.
 *
 * The decoder turns the records the kernel sends (flow_events, and the
 * drop and verdict events of the node's monitor) and the flow table's
 * entries into public records. It knows nothing of the node: flow.c then
 * fills what the node tells (interface names, identities and labels from
 * the policy object's maps) and applies flow_apply_endpoint().
 *
 * Orientation (flow.h): a record made by a packet has the packet's source
 * and destination; snapshot, idle and evicted records the initiator's
 * (the table key's "a" side). Times are wall clock: the kernel's boot-time
 * stamps plus realtime_offset_ns (clock.h).
 */
#ifndef EBPFNET_FLOW_INTERNAL_H
#define EBPFNET_FLOW_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ebpfnet/flow.h>
#include "flow_abi.h"

/* Returned for a record that is not what its header says (too short, a
 * size past the data, an unknown kind): skipped. */
#define FLOW_DECODE_BAD (-EBADMSG)

/* A flow_events export (FLOW_EV_NEW, FLAGS, INTERVAL, END) -> *out (sz
 * set, everything else written). Checks the record's size and kind. */
int flow_decode_export(const void *data, size_t size, int64_t realtime_offset_ns,
		       struct ebpfnet_flow_record *out);

/* A flow table entry -> *out, of `kind` (SNAPSHOT, IDLE, EVICTED), in the
 * initiator's direction, time_ns = now_ns (wall clock). */
void flow_decode_entry(const struct flow_key *key, const struct flow_value *value,
		       enum ebpfnet_flow_kind kind, uint64_t now_ns,
		       int64_t realtime_offset_ns, struct ebpfnet_flow_record *out);

/* A FLOW_EV_DNS record -> *out: the addressing fields, then the message
 * through ebpfnet_flow_dns_parse(). FLOW_DECODE_BAD for a bad record;
 * -EBADMSG from the parser (a malformed or hostile message) is returned as
 * -EPROTO so that the caller can count the two apart. */
int flow_decode_dns(const void *data, size_t size, int64_t realtime_offset_ns,
		    struct ebpfnet_flow_dns *out);

/* A monitor record: the drop object's struct drop_event (kind DROP, the
 * captured frame parsed) or the policy object's struct
 * policy_verdict_event (kind POLICY). FLOW_DECODE_BAD for a bad record,
 * -ENOMSG for a record of another type (not for the observer). */
int flow_decode_monitor(const void *data, size_t size, int64_t realtime_offset_ns,
			struct ebpfnet_flow_record *out);

/* The addresses, ports, protocol, TCP flags and ICMP type/code of a frame
 * (from its Ethernet header: up to two VLAN tags, IPv4 with options, IPv6
 * with extension headers) into *out. 0 when it is IPv4/IPv6 (the L4 fields
 * as far as the bytes go), -ENOMSG when it is not IP, FLOW_DECODE_BAD when
 * the IP header is cut short. */
int flow_parse_frame(const uint8_t *frame, size_t len, struct ebpfnet_flow_record *out);

/* The decoder writes obs as from-/to-network (TC ingress/egress) and the
 * direction as an endpoint would see it. Once it is known whether the
 * record's interface is a policy endpoint (its host-side veth, where TC
 * ingress is what the endpoint sends): endpoint -> from-/to-endpoint and
 * that direction (the endpoint initiated: EGRESS); otherwise the direction
 * is dropped (UNKNOWN). DROP and POLICY records keep what the decoder set. */
void flow_apply_endpoint(struct ebpfnet_flow_record *f, bool endpoint);

/* Whether the flow's "a" side is known to be the initiator: TCP when the
 * handshake was seen (a SYN from "a", or a SYN+ACK that created the flow
 * reversed), ICMP echo always; not ICMP errors; UDP and the rest: their
 * first packet made the flow, taken as the initiator's. */
bool flow_reply_known(const struct flow_key *key, const struct flow_value *value);

#endif /* EBPFNET_FLOW_INTERNAL_H */
