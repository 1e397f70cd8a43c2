/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The names Hubble prints for ICMP types and codes (gopacket's) and DNS
 * types (miekg/dns's): one table, read by the text/JSON formatter and by
 * the metrics.
 */
#include <netinet/in.h>
#include <stddef.h>

#include "flow_names.h"
#include "internal.h"

struct icmp_type {
	uint8_t type;
	const char *name;
	const char *const *codes; /* NULL: the type has no codes */
	uint8_t n_codes;
};

#define ICMP_CODES(a) (a), EBPFNET_ARRAY_SIZE(a)

static const char *const icmp4_unreach[] = {
	"Net", "Host", "Protocol", "Port", "FragmentationNeeded",
	"SourceRoutingFailed", "NetUnknown", "HostUnknown", "SourceIsolated",
	"NetAdminProhibited", "HostAdminProhibited", "NetTOS", "HostTOS",
	"CommAdminProhibited", "HostPrecedence", "PrecedenceCutoff",
};
static const char *const icmp4_redirect[] = {
	"Network", "Host", "TOS+Network", "TOS+Host",
};
static const char *const icmp4_time[] = {
	"TTLExceeded", "FragmentReassemblyTimeExceeded",
};
static const char *const icmp4_param[] = {
	"PointerIndicatesError", "MissingOption", "BadLength",
};

static const struct icmp_type icmp4_types[] = {
	{ 0, "EchoReply", NULL, 0 },
	{ 3, "DestinationUnreachable", ICMP_CODES(icmp4_unreach) },
	{ 4, "SourceQuench", NULL, 0 },
	{ 5, "Redirect", ICMP_CODES(icmp4_redirect) },
	{ 8, "EchoRequest", NULL, 0 },
	{ 9, "RouterAdvertisement", NULL, 0 },
	{ 10, "RouterSolicitation", NULL, 0 },
	{ 11, "TimeExceeded", ICMP_CODES(icmp4_time) },
	{ 12, "ParameterProblem", ICMP_CODES(icmp4_param) },
	{ 13, "TimestampRequest", NULL, 0 },
	{ 14, "TimestampReply", NULL, 0 },
	{ 15, "InfoRequest", NULL, 0 },
	{ 16, "InfoReply", NULL, 0 },
	{ 17, "AddressMaskRequest", NULL, 0 },
	{ 18, "AddressMaskReply", NULL, 0 },
};

static const char *const icmp6_unreach[] = {
	"NoRouteToDst", "AdminProhibited", "BeyondScopeOfSrc",
	"AddressUnreachable", "PortUnreachable", "SrcAddressFailedPolicy",
	"RejectRouteToDst",
};
static const char *const icmp6_time[] = {
	"HopLimitExceeded", "FragmentReassemblyTimeExceeded",
};
static const char *const icmp6_param[] = {
	"ErroneousHeaderField", "UnrecognizedNextHeader",
	"UnrecognizedIPv6Option",
};

static const struct icmp_type icmp6_types[] = {
	{ 1, "DestinationUnreachable", ICMP_CODES(icmp6_unreach) },
	{ 2, "PacketTooBig", NULL, 0 },
	{ 3, "TimeExceeded", ICMP_CODES(icmp6_time) },
	{ 4, "ParameterProblem", ICMP_CODES(icmp6_param) },
	{ 128, "EchoRequest", NULL, 0 },
	{ 129, "EchoReply", NULL, 0 },
	{ 133, "RouterSolicitation", NULL, 0 },
	{ 134, "RouterAdvertisement", NULL, 0 },
	{ 135, "NeighborSolicitation", NULL, 0 },
	{ 136, "NeighborAdvertisement", NULL, 0 },
	{ 137, "Redirect", NULL, 0 },
};

static const struct icmp_type *icmp_find(uint8_t proto, uint8_t type)
{
	const struct icmp_type *types;
	size_t i, n;

	if (proto == IPPROTO_ICMP) {
		types = icmp4_types;
		n = EBPFNET_ARRAY_SIZE(icmp4_types);
	} else if (proto == IPPROTO_ICMPV6) {
		types = icmp6_types;
		n = EBPFNET_ARRAY_SIZE(icmp6_types);
	} else {
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

const char *ebpfnet__icmp_type_name(uint8_t proto, uint8_t type)
{
	const struct icmp_type *t = icmp_find(proto, type);

	return t ? t->name : NULL;
}

const char *ebpfnet__icmp_code_name(uint8_t proto, uint8_t type, uint8_t code)
{
	const struct icmp_type *t = icmp_find(proto, type);

	return t && code < t->n_codes ? t->codes[code] : NULL;
}

struct dns_type {
	uint16_t type;
	const char *name;
};

static const struct dns_type dns_types[] = {
	{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
	{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" },
	{ 33, "SRV" }, { 35, "NAPTR" }, { 41, "OPT" }, { 43, "DS" },
	{ 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 52, "TLSA" },
	{ 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" }, { 252, "AXFR" },
	{ 255, "ANY" }, { 257, "CAA" },
};

const char *ebpfnet__dns_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(dns_types); i++)
		if (dns_types[i].type == type)
			return dns_types[i].name;
	return NULL;
}
