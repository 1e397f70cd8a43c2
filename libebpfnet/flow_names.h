/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Hubble's names for ICMP types/codes and DNS types (flow_names.c), shared
 * by the flow formatter and the metrics.
 */
#ifndef EBPFNET_FLOW_NAMES_H
#define EBPFNET_FLOW_NAMES_H

#include <stdint.h>

/* gopacket's name of an ICMP (proto IPPROTO_ICMP) or ICMPv6 type
 * ("EchoRequest"); NULL when it has none. */
const char *ebpfnet__icmp_type_name(uint8_t proto, uint8_t type);
/* The name of its code ("Port" of DestinationUnreachable); NULL when none. */
const char *ebpfnet__icmp_code_name(uint8_t proto, uint8_t type, uint8_t code);
/* miekg/dns's mnemonic of a DNS type ("AAAA"); NULL when unknown. */
const char *ebpfnet__dns_type_name(uint16_t type);

#endif /* EBPFNET_FLOW_NAMES_H */
