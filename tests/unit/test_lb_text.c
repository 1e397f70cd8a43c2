/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet_lb_service_parse(), ebpfnet_lb_addr_parse(),
 * ebpfnet_lb_endpoint_parse(), ebpfnet_lb_service_format() and
 * ebpfnet_lb_backend_format(): every syntax, good (with its canonical
 * text) and bad (with its exact one-line reason), the round trips both
 * ways (over random services too), golden JSON, truncation at every
 * buffer length, older and newer struct sizes, bad arguments, and many
 * threads at once.
 */
#include <check.h>

#include "check_run.h"
#include "format_check.h"
#include "lb_addr.h"
#include "log_capture.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ebpfnet/ebpfnet.h>

#include "internal.h" /* EBPFNET_ARRAY_SIZE, offsetofend */

static const char *service_text(const struct ebpfnet_lb_service *svc,
				enum ebpfnet_format format)
{
	static char out[256];
	int n = ebpfnet_lb_service_format(svc, format, out, sizeof(out));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(out), "format: %d (%s)", n,
		      last_warn);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	return out;
}

/* ---- services ----------------------------------------------------------- */

static const struct {
	const char *in;
	const char *vip;
	unsigned int port;
	unsigned int proto;
	const char *text;  /* canonical */
} good_services[] = {
	{ "10.0.0.1:80/tcp", "10.0.0.1", 80, IPPROTO_TCP, "10.0.0.1:80/tcp" },
	{ "10.0.0.1:0/udp", "10.0.0.1", 0, IPPROTO_UDP, "10.0.0.1:0/udp" },
	{ "10.0.0.1:65535/TCP", "10.0.0.1", 65535, IPPROTO_TCP, "10.0.0.1:65535/tcp" },
	{ "192.168.255.254:1/Udp", "192.168.255.254", 1, IPPROTO_UDP,
	  "192.168.255.254:1/udp" },
	{ "0.0.0.0:53/udp", "0.0.0.0", 53, IPPROTO_UDP, "0.0.0.0:53/udp" },
	{ "[2001:db8::1]:443/tcp", "2001:db8::1", 443, IPPROTO_TCP,
	  "[2001:db8::1]:443/tcp" },
	{ "[2001:DB8:0:0:0:0:0:1]:443/tCp", "2001:db8::1", 443, IPPROTO_TCP,
	  "[2001:db8::1]:443/tcp" },
	{ "[::]:0/udp", "::", 0, IPPROTO_UDP, "[::]:0/udp" },
	{ "[::1]:8080/udp", "::1", 8080, IPPROTO_UDP, "[::1]:8080/udp" },
	{ "[::ffff:10.0.0.1]:80/tcp", "::ffff:10.0.0.1", 80, IPPROTO_TCP,
	  "[::ffff:10.0.0.1]:80/tcp" },
	{ "[fe80::1:2:3:4]:22/tcp", "fe80::1:2:3:4", 22, IPPROTO_TCP,
	  "[fe80::1:2:3:4]:22/tcp" },
};

START_TEST(test_service_good)
{
	struct ebpfnet_lb_addr want = addr_of(good_services[_i].vip);
	char err[256] = "unchanged";
	EBPFNET_OPTS(ebpfnet_lb_service, svc, .table_size = 7);

	ck_assert_msg(ebpfnet_lb_service_parse(good_services[_i].in, &svc, err,
					       sizeof(err)) == 0,
		      "%s: %s", good_services[_i].in, err);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(svc.sz, sizeof(svc));
	ck_assert_uint_eq(svc.vip.family, want.family);
	ck_assert_mem_eq(svc.vip.addr, want.addr, sizeof(want.addr));
	ck_assert_uint_eq(svc.port, good_services[_i].port);
	ck_assert_uint_eq(svc.proto, good_services[_i].proto);
	ck_assert_uint_eq(svc.table_size, 0); /* the text has none: default */
	ck_assert_str_eq(service_text(&svc, EBPFNET_FORMAT_TEXT),
			 good_services[_i].text);
}
END_TEST

static const struct {
	const char *in;
	const char *err;
} bad_services[] = {
	{ "", "service '': empty (expected VIP:PORT/PROTO, as in 10.0.0.1:80/tcp)" },
	{ "10.0.0.1:80", "service '10.0.0.1:80': missing '/PROTO' (tcp or udp)" },
	{ "10.0.0.1:80/", "service '10.0.0.1:80/': missing the protocol after '/' (tcp or udp)" },
	{ "10.0.0.1:80/icmp", "service '10.0.0.1:80/icmp': protocol 'icmp' is not tcp or udp" },
	{ "10.0.0.1:80/tcp ", "service '10.0.0.1:80/tcp ': protocol 'tcp ' is not tcp or udp" },
	{ "10.0.0.1:80/tcpx", "service '10.0.0.1:80/tcpx': protocol 'tcpx' is not tcp or udp" },
	{ "10.0.0.1:80/tc", "service '10.0.0.1:80/tc': protocol 'tc' is not tcp or udp" },
	{ "10.0.0.1:80/tcp/udp", "service '10.0.0.1:80/tcp/udp': port '80/tcp' is not a number (0-65535)" },
	{ "10.0.0.1/tcp", "service '10.0.0.1/tcp': missing ':PORT' (0 for every port)" },
	{ "/tcp", "service '/tcp': the address and the port are missing" },
	{ ":80/tcp", "service ':80/tcp': the address is empty" },
	{ "10.0.0.1:/tcp", "service '10.0.0.1:/tcp': the port is empty" },
	{ "10.0.0.1:65536/tcp", "service '10.0.0.1:65536/tcp': port '65536' is not 0-65535" },
	{ "10.0.0.1:123456/tcp", "service '10.0.0.1:123456/tcp': port '123456' is not a number (0-65535)" },
	{ "10.0.0.1:080/tcp", "service '10.0.0.1:080/tcp': port '080' has a leading zero" },
	{ "10.0.0.1:00/tcp", "service '10.0.0.1:00/tcp': port '00' has a leading zero" },
	{ "10.0.0.1:-1/tcp", "service '10.0.0.1:-1/tcp': port '-1' is not a number (0-65535)" },
	{ "10.0.0.1:+80/tcp", "service '10.0.0.1:+80/tcp': port '+80' is not a number (0-65535)" },
	{ "10.0.0.1: 80/tcp", "service '10.0.0.1: 80/tcp': port ' 80' is not a number (0-65535)" },
	{ "10.0.0.1:0x50/tcp", "service '10.0.0.1:0x50/tcp': port '0x50' is not a number (0-65535)" },
	{ "010.0.0.1:80/tcp", "service '010.0.0.1:80/tcp': '010.0.0.1' is not an IPv4 address" },
	{ "10.0.0:80/tcp", "service '10.0.0:80/tcp': '10.0.0' is not an IPv4 address" },
	{ "10.0.0.256:80/tcp", "service '10.0.0.256:80/tcp': '10.0.0.256' is not an IPv4 address" },
	{ " 10.0.0.1:80/tcp", "service ' 10.0.0.1:80/tcp': ' 10.0.0.1' is not an IPv4 address" },
	{ "vip.example:80/tcp", "service 'vip.example:80/tcp': 'vip.example' is not an IPv4 address" },
	{ "2001:db8::1:443/tcp",
	  "service '2001:db8::1:443/tcp': an IPv6 address goes in brackets, as in [2001:db8::1]:80/tcp" },
	{ "[2001:db8::1:443/tcp", "service '[2001:db8::1:443/tcp': missing ']' after the IPv6 address" },
	{ "[2001:db8::1]/tcp", "service '[2001:db8::1]/tcp': missing ':PORT' after ']'" },
	{ "[2001:db8::1]x:80/tcp", "service '[2001:db8::1]x:80/tcp': expected ':PORT' after ']', not 'x'" },
	{ "[2001:db8::1]:/tcp", "service '[2001:db8::1]:/tcp': the port is empty" },
	{ "[]:80/tcp", "service '[]:80/tcp': '' in brackets is not an IPv6 address" },
	{ "[10.0.0.1]:80/tcp", "service '[10.0.0.1]:80/tcp': '10.0.0.1' in brackets is not an IPv6 address" },
	{ "[fe80::1%eth0]:80/tcp", "service '[fe80::1%eth0]:80/tcp': 'fe80::1%eth0' in brackets is not an IPv6 address" },
	{ "[2001:db8::1/64]:80/tcp", "service '[2001:db8::1/64]:80/tcp': '2001:db8::1/64' in brackets is not an IPv6 address" },
	{ "[[2001:db8::1]]:80/tcp", "service '[[2001:db8::1]]:80/tcp': expected ':PORT' after ']', not ']'" },
	{ "[2001:db8::1]:80:80/tcp", "service '[2001:db8::1]:80:80/tcp': port '80:80' is not a number (0-65535)" },
	{ "10.0.0.1:80/tcp\n", "service '10.0.0.1:80/tcp\\x0a': protocol 'tcp\\x0a' is not tcp or udp" },
	{ "\x1b[31m:80/tcp", "service '\\x1b[31m:80/tcp': '\\x1b[31m' is not an IPv4 address" },
};

START_TEST(test_service_bad)
{
	char err[256] = "unchanged";
	EBPFNET_OPTS(ebpfnet_lb_service, svc, .port = 7);
	struct ebpfnet_lb_service before = svc;

	errno = 0;
	ck_assert_int_eq(ebpfnet_lb_service_parse(bad_services[_i].in, &svc,
						  err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, bad_services[_i].err);
	/* nothing written on failure */
	ck_assert_mem_eq(&svc, &before, sizeof(svc));
}
END_TEST

/* A long input is echoed cut short, with "...", and no wider than err. */
START_TEST(test_service_long_input)
{
	char in[400], err[512], small[16];
	EBPFNET_OPTS(ebpfnet_lb_service, svc);

	memset(in, '1', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	ck_assert_int_eq(ebpfnet_lb_service_parse(in, &svc, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "1111...': missing '/PROTO'"));
	ck_assert_uint_lt(strlen(err), 200);
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80", &svc, small,
						  sizeof(small)), -EINVAL);
	ck_assert_str_eq(small, "service '10.0.0");
	/* errlen 1: an empty string; errlen 0: err is not touched */
	ck_assert_int_eq(ebpfnet_lb_service_parse("x", &svc, small, 1), -EINVAL);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(ebpfnet_lb_service_parse("x", &svc, NULL, 0), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/udp", &svc,
						  NULL, 0), 0);
	ck_assert_uint_eq(svc.proto, IPPROTO_UDP);
}
END_TEST

/* ---- addresses and endpoints -------------------------------------------- */

static const struct {
	const char *in;
	const char *addr;
} good_addrs[] = {
	{ "10.0.1.2", "10.0.1.2" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "2001:db8::2", "2001:db8::2" },
	{ "[2001:db8::2]", "2001:db8::2" },
	{ "::", "::" },
	{ "[::1]", "::1" },
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0002", "2001:db8::2" },
};

START_TEST(test_addr_good)
{
	struct ebpfnet_lb_addr want = addr_of(good_addrs[_i].addr), a;
	char err[128] = "unchanged";

	memset(&a, 0xa5, sizeof(a));
	ck_assert_msg(ebpfnet_lb_addr_parse(good_addrs[_i].in, &a, err,
					    sizeof(err)) == 0,
		      "%s: %s", good_addrs[_i].in, err);
	ck_assert_str_eq(err, "");
	/* the unused bytes of an IPv4 address are zero */
	ck_assert_mem_eq(&a, &want, sizeof(a));
}
END_TEST

static const struct {
	const char *in;
	const char *err;
} bad_addrs[] = {
	{ "", "address '': the address is empty" },
	{ "10.0.0", "address '10.0.0': '10.0.0' is not an IPv4 or IPv6 address" },
	{ "010.0.0.1", "address '010.0.0.1': '010.0.0.1' is not an IPv4 or IPv6 address" },
	{ "10.0.0.1 ", "address '10.0.0.1 ': '10.0.0.1 ' is not an IPv4 or IPv6 address" },
	{ "10.0.0.1/32", "address '10.0.0.1/32': '10.0.0.1/32' is not an IPv4 or IPv6 address" },
	{ "10.0.0.1:80", "address '10.0.0.1:80': '10.0.0.1:80' is not an IPv4 or IPv6 address" },
	{ "2001:db8::g", "address '2001:db8::g': '2001:db8::g' is not an IPv4 or IPv6 address" },
	{ "1:2:3:4:5:6:7:8:9", "address '1:2:3:4:5:6:7:8:9': '1:2:3:4:5:6:7:8:9' is not an IPv4 or IPv6 address" },
	{ "[2001:db8::2", "address '[2001:db8::2': missing ']' after the IPv6 address" },
	{ "[2001:db8::2]:80", "address '[2001:db8::2]:80': unexpected ':80' after ']'" },
	{ "[10.0.0.1]", "address '[10.0.0.1]': '10.0.0.1' in brackets is not an IPv6 address" },
	{ "[]", "address '[]': '' in brackets is not an IPv6 address" },
	{ "[", "address '[': missing ']' after the IPv6 address" },
	{ "localhost", "address 'localhost': 'localhost' is not an IPv4 or IPv6 address" },
	{ "0000:0000:0000:0000:0000:0000:0000:00000",
	  "address '0000:0000:0000:0000:0000:0000:0000:00000': '0000:0000:0000:0000:0000:0000:0000:00000' is not an IPv4 or IPv6 address" },
	/* longer than any address: echoed in the message up to 47 bytes */
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
	  "address '0000:0000:0000:0000:0000:0000:0000:0000:0000:0000': '0000:0000:0000:0000:0000:0000:0000:0000:0000:0' is not an IPv4 or IPv6 address" },
};

START_TEST(test_addr_bad)
{
	struct ebpfnet_lb_addr a, before;
	char err[256];

	memset(&a, 0x5a, sizeof(a));
	before = a;
	ck_assert_int_eq(ebpfnet_lb_addr_parse(bad_addrs[_i].in, &a, err,
					       sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, bad_addrs[_i].err);
	ck_assert_mem_eq(&a, &before, sizeof(a));
}
END_TEST

static const struct {
	const char *in;
	const char *addr;
	unsigned int port;
} good_endpoints[] = {
	{ "10.0.1.2:8080", "10.0.1.2", 8080 },
	{ "10.0.1.2:1", "10.0.1.2", 1 },
	{ "10.0.1.2:65535", "10.0.1.2", 65535 },
	{ "[2001:db8::2]:443", "2001:db8::2", 443 },
	{ "[::ffff:10.0.0.1]:53", "::ffff:10.0.0.1", 53 },
};

START_TEST(test_endpoint_good)
{
	struct ebpfnet_lb_addr want = addr_of(good_endpoints[_i].addr), a;
	char err[128] = "unchanged";
	uint16_t port = 0;

	ck_assert_msg(ebpfnet_lb_endpoint_parse(good_endpoints[_i].in, &a, &port,
						err, sizeof(err)) == 0,
		      "%s: %s", good_endpoints[_i].in, err);
	ck_assert_str_eq(err, "");
	ck_assert_mem_eq(&a, &want, sizeof(a));
	ck_assert_uint_eq(port, good_endpoints[_i].port);
}
END_TEST

static const struct {
	const char *in;
	const char *err;
} bad_endpoints[] = {
	{ "", "endpoint '': the address and the port are missing" },
	{ "10.0.1.2", "endpoint '10.0.1.2': missing ':PORT'" },
	{ "10.0.1.2:0", "endpoint '10.0.1.2:0': port '0' is not 1-65535" },
	{ "10.0.1.2:65536", "endpoint '10.0.1.2:65536': port '65536' is not 1-65535" },
	{ "10.0.1.2:99999", "endpoint '10.0.1.2:99999': port '99999' is not 1-65535" },
	{ "10.0.1.2:08", "endpoint '10.0.1.2:08': port '08' has a leading zero" },
	{ "10.0.1.2:80/tcp", "endpoint '10.0.1.2:80/tcp': port '80/tcp' is not a number (1-65535)" },
	{ "10.0.1.2:", "endpoint '10.0.1.2:': the port is empty" },
	{ "2001:db8::2", "endpoint '2001:db8::2': an IPv6 address goes in brackets, as in [2001:db8::1]:80" },
	{ "2001:db8::2:80", "endpoint '2001:db8::2:80': an IPv6 address goes in brackets, as in [2001:db8::1]:80" },
	{ "[2001:db8::2]", "endpoint '[2001:db8::2]': missing ':PORT' after ']'" },
	{ "[2001:db8::2]80", "endpoint '[2001:db8::2]80': expected ':PORT' after ']', not '8'" },
	{ "[10.0.1.2]:80", "endpoint '[10.0.1.2]:80': '10.0.1.2' in brackets is not an IPv6 address" },
	{ "host:80", "endpoint 'host:80': 'host' is not an IPv4 address" },
};

START_TEST(test_endpoint_bad)
{
	struct ebpfnet_lb_addr a, before;
	uint16_t port = 4242;
	char err[256];

	memset(&a, 0x5a, sizeof(a));
	before = a;
	ck_assert_int_eq(ebpfnet_lb_endpoint_parse(bad_endpoints[_i].in, &a,
						   &port, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, bad_endpoints[_i].err);
	ck_assert_mem_eq(&a, &before, sizeof(a));
	ck_assert_uint_eq(port, 4242);
}
END_TEST

START_TEST(test_parse_arguments)
{
	EBPFNET_OPTS(ebpfnet_lb_service, svc);
	struct ebpfnet_lb_addr a;
	uint16_t port;
	char err[64];

	ck_assert_int_eq(ebpfnet_lb_service_parse(NULL, &svc, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "text is NULL"));
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/tcp", NULL, err,
						  sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "the result is NULL"));
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/tcp", &svc, NULL,
						  sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "err is NULL"));
	ck_assert_int_eq(ebpfnet_lb_addr_parse(NULL, &a, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_addr_parse("10.0.0.1", NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_addr_parse("10.0.0.1", &a, NULL, 1), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_endpoint_parse(NULL, &a, &port, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_endpoint_parse("10.0.0.1:1", NULL, &port, err,
						   sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_endpoint_parse("10.0.0.1:1", &a, NULL, err,
						   sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "port is NULL"));
	ck_assert_int_eq(ebpfnet_lb_endpoint_parse("10.0.0.1:1", &a, &port, NULL, 4),
			 -EINVAL);
	/* a struct too short for the fields the words set */
	svc.sz = offsetof(struct ebpfnet_lb_service, proto);
	errno = 0;
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/tcp", &svc, err,
						  sizeof(err)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "too small"));
	svc.sz = 0;
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/tcp", &svc, err,
						  sizeof(err)), -EINVAL);
}
END_TEST

/* An older caller's struct that ends at proto: written up to there only;
 * a newer one's unknown tail is zeroed. */
START_TEST(test_parse_struct_sizes)
{
	struct {
		struct ebpfnet_lb_service svc;
		uint8_t tail[16];
	} big;
	size_t old_sz = offsetofend(struct ebpfnet_lb_service, proto);
	char err[64];

	memset(&big, 0xee, sizeof(big));
	big.svc.sz = old_sz;
	ck_assert_int_eq(ebpfnet_lb_service_parse("[::1]:9/udp", &big.svc, err,
						  sizeof(err)), 0);
	ck_assert_uint_eq(big.svc.sz, old_sz);
	ck_assert_uint_eq(big.svc.port, 9);
	ck_assert_uint_eq(big.svc.proto, IPPROTO_UDP);
	ck_assert_uint_eq(((uint8_t *)&big.svc)[old_sz], 0xee);
	/* format() of that older struct: table_size is the default */
	ck_assert_str_eq(service_text(&big.svc, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"::1\",\"port\":9,\"proto\":\"udp\",\"table_size\":16381}");

	memset(&big, 0xee, sizeof(big));
	big.svc.sz = sizeof(big);
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/tcp", &big.svc,
						  err, sizeof(err)), 0);
	ck_assert_uint_eq(big.svc.sz, sizeof(big));
	ck_assert_uint_eq(big.svc.table_size, 0);
	for (size_t i = 0; i < sizeof(big.tail); i++)
		ck_assert_uint_eq(big.tail[i], 0);
}
END_TEST

/* ---- formatting ---------------------------------------------------------- */

/* Filled field by field on a zeroed struct: the formatters refuse
 * non-zero bytes past the fields they know, padding included, so structs
 * are copied with memcpy below, never by assignment. */
static void service_of(struct ebpfnet_lb_service *svc, const char *vip,
		       uint16_t port, uint8_t proto, uint32_t table_size)
{
	memset(svc, 0, sizeof(*svc));
	svc->sz = sizeof(*svc);
	svc->vip = addr_of(vip);
	svc->port = port;
	svc->proto = proto;
	svc->table_size = table_size;
}

static void backend_of(struct ebpfnet_lb_backend *be, const char *ip,
		       uint32_t weight, enum ebpfnet_lb_backend_state state)
{
	memset(be, 0, sizeof(*be));
	be->sz = sizeof(*be);
	be->addr = addr_of(ip);
	be->weight = weight;
	be->state = state;
}

START_TEST(test_service_json)
{
	struct ebpfnet_lb_service s;

	service_of(&s, "10.0.0.1", 80, IPPROTO_TCP, 0);
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\",\"table_size\":16381}");
	service_of(&s, "2001:db8::1", 443, IPPROTO_TCP, 65537);
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"2001:db8::1\",\"port\":443,\"proto\":\"tcp\",\"table_size\":65537}");
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_TEXT),
			 "[2001:db8::1]:443/tcp");
	service_of(&s, "10.0.0.1", 0, IPPROTO_UDP, 251);
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"10.0.0.1\",\"port\":0,\"proto\":\"udp\",\"table_size\":251}");
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_TEXT), "10.0.0.1:0/udp");
}
END_TEST

/* The socket level's choices show in JSON when they are not the defaults;
 * the text stays the service's identity, the words parse() takes. */
START_TEST(test_service_socket_fields)
{
	struct ebpfnet_lb_service s, back;
	char err[128];

	service_of(&s, "10.0.0.1", 80, IPPROTO_TCP, 0);
	s.sock_pick = EBPFNET_LB_PICK_RANDOM;
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\",\"table_size\":16381,\"pick\":\"random\"}");
	s.affinity_timeout = 10800;
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\",\"table_size\":16381,\"pick\":\"random\",\"affinity\":10800}");
	s.sock_pick = EBPFNET_LB_PICK_MAGLEV;
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_JSON),
			 "{\"vip\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\",\"table_size\":16381,\"affinity\":10800}");
	ck_assert_str_eq(service_text(&s, EBPFNET_FORMAT_TEXT), "10.0.0.1:80/tcp");
	memset(&back, 0, sizeof(back));
	back.sz = sizeof(back);
	ck_assert_int_eq(ebpfnet_lb_service_parse("10.0.0.1:80/tcp", &back, err,
						  sizeof(err)), 0);
	ck_assert_int_eq(back.sock_pick, EBPFNET_LB_PICK_MAGLEV);
	ck_assert_uint_eq(back.affinity_timeout, 0);

	/* a pick the library does not know */
	s.sock_pick = (enum ebpfnet_lb_sock_pick)7;
	errno = 0;
	ck_assert_int_eq(ebpfnet_lb_service_format(&s, EBPFNET_FORMAT_JSON, err,
						   sizeof(err)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ebpfnet_lb_service_format(&s, EBPFNET_FORMAT_TEXT, err,
						   sizeof(err)), -EINVAL);
}
END_TEST

static const char *backend_text(const struct ebpfnet_lb_backend *be,
				enum ebpfnet_format format)
{
	static char out[256];
	int n = ebpfnet_lb_backend_format(be, format, out, sizeof(out));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(out), "format: %d (%s)", n,
		      last_warn);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	return out;
}

START_TEST(test_backend_format)
{
	struct ebpfnet_lb_backend be;

	backend_of(&be, "10.0.1.2", 1, EBPFNET_LB_BACKEND_ACTIVE);
	ck_assert_str_eq(backend_text(&be, EBPFNET_FORMAT_JSON),
			 "{\"address\":\"10.0.1.2\",\"weight\":1,\"state\":\"active\"}");
	ck_assert_str_eq(backend_text(&be, EBPFNET_FORMAT_TEXT),
			 "10.0.1.2 weight 1 state active");
	/* weight 0 means 1 */
	backend_of(&be, "10.0.1.3", 0, EBPFNET_LB_BACKEND_DRAINING);
	ck_assert_str_eq(backend_text(&be, EBPFNET_FORMAT_JSON),
			 "{\"address\":\"10.0.1.3\",\"weight\":1,\"state\":\"draining\"}");
	backend_of(&be, "2001:db8::2", 65535, EBPFNET_LB_BACKEND_DOWN);
	ck_assert_str_eq(backend_text(&be, EBPFNET_FORMAT_JSON),
			 "{\"address\":\"2001:db8::2\",\"weight\":65535,\"state\":\"down\"}");
	ck_assert_str_eq(backend_text(&be, EBPFNET_FORMAT_TEXT),
			 "2001:db8::2 weight 65535 state down");
	/* an older struct without state: active */
	backend_of(&be, "10.0.1.4", 3, EBPFNET_LB_BACKEND_DOWN);
	be.sz = offsetofend(struct ebpfnet_lb_backend, weight);
	ck_assert_str_eq(backend_text(&be, EBPFNET_FORMAT_TEXT),
			 "10.0.1.4 weight 3 state active");
}
END_TEST

static int fmt_service(const void *o, enum ebpfnet_format f, char *b, size_t l)
{
	return ebpfnet_lb_service_format(o, f, b, l);
}

static int fmt_backend(const void *o, enum ebpfnet_format f, char *b, size_t l)
{
	return ebpfnet_lb_backend_format(o, f, b, l);
}

START_TEST(test_truncation)
{
	struct ebpfnet_lb_service s4, s6;
	struct ebpfnet_lb_backend be;

	service_of(&s4, "10.0.0.1", 80, IPPROTO_TCP, 0);
	service_of(&s6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		   IPPROTO_UDP, 4294967291u);
	backend_of(&be, "2001:db8::2", 100, EBPFNET_LB_BACKEND_DRAINING);

	check_truncation("service v4", fmt_service, &s4);
	check_truncation("service v6", fmt_service, &s6);
	check_truncation("backend", fmt_backend, &be);
}
END_TEST

START_TEST(test_format_errors)
{
	struct ebpfnet_lb_service s, s_bad;
	struct ebpfnet_lb_backend be, be_bad;
	char buf[128];
	struct {
		struct ebpfnet_lb_service svc;
		uint8_t tail[8];
	} newer;

	service_of(&s, "10.0.0.1", 80, IPPROTO_TCP, 0);
	backend_of(&be, "10.0.1.2", 1, EBPFNET_LB_BACKEND_ACTIVE);

	errno = 0;
	ck_assert_int_eq(ebpfnet_lb_service_format(NULL, EBPFNET_FORMAT_TEXT, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ebpfnet_lb_service_format(&s, EBPFNET_FORMAT_TEXT, NULL, 4),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_service_format(&s, (enum ebpfnet_format)2, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "unknown format"));
	memcpy(&s_bad, &s, sizeof(s));
	s_bad.vip.family = 0;
	ck_assert_int_eq(ebpfnet_lb_service_format(&s_bad, EBPFNET_FORMAT_TEXT, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "unknown address family 0"));
	memcpy(&s_bad, &s, sizeof(s));
	s_bad.proto = IPPROTO_ICMP;
	ck_assert_int_eq(ebpfnet_lb_service_format(&s_bad, EBPFNET_FORMAT_JSON, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "protocol 1 is not tcp or udp"));
	memcpy(&s_bad, &s, sizeof(s));
	s_bad.sz = 4;
	ck_assert_int_eq(ebpfnet_lb_service_format(&s_bad, EBPFNET_FORMAT_TEXT, buf,
						   sizeof(buf)), -EINVAL);
	s_bad.sz = offsetof(struct ebpfnet_lb_service, proto);
	ck_assert_int_eq(ebpfnet_lb_service_format(&s_bad, EBPFNET_FORMAT_TEXT, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "has no proto"));
	/* a newer caller's field this library does not know: refused */
	memset(&newer, 0, sizeof(newer));
	memcpy(&newer.svc, &s, sizeof(s));
	newer.svc.sz = sizeof(newer);
	ck_assert_int_gt(ebpfnet_lb_service_format(&newer.svc, EBPFNET_FORMAT_TEXT,
						   buf, sizeof(buf)), 0);
	newer.tail[3] = 1;
	ck_assert_int_eq(ebpfnet_lb_service_format(&newer.svc, EBPFNET_FORMAT_TEXT,
						   buf, sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "non-zero byte"));

	ck_assert_int_eq(ebpfnet_lb_backend_format(NULL, EBPFNET_FORMAT_TEXT, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be, EBPFNET_FORMAT_TEXT, NULL, 1),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be, (enum ebpfnet_format)-1, buf,
						   sizeof(buf)), -EINVAL);
	memcpy(&be_bad, &be, sizeof(be));
	be_bad.weight = 65536;
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be_bad, EBPFNET_FORMAT_TEXT, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "weight 65536 is not 1-65535"));
	memcpy(&be_bad, &be, sizeof(be));
	be_bad.state = (enum ebpfnet_lb_backend_state)3;
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be_bad, EBPFNET_FORMAT_JSON, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "state 3 is not active, draining or down"));
	memcpy(&be_bad, &be, sizeof(be));
	be_bad.addr.family = AF_UNIX;
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be_bad, EBPFNET_FORMAT_JSON, buf,
						   sizeof(buf)), -EINVAL);
	memcpy(&be_bad, &be, sizeof(be));
	be_bad.sz = offsetof(struct ebpfnet_lb_backend, addr);
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be_bad, EBPFNET_FORMAT_JSON, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(last_warn, "has no addr"));
	/* failures leave buf alone */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ebpfnet_lb_backend_format(&be_bad, EBPFNET_FORMAT_JSON, buf,
						   sizeof(buf)), -EINVAL);
	ck_assert_int_eq(buf[0], 'Z');
}
END_TEST

/* ---- round trips ------------------------------------------------------- */

/* parse(format(s)) == s over random services of both families. */
START_TEST(test_round_trip_random)
{
	unsigned int seed = 20261121;
	int i;

	for (i = 0; i < 5000; i++) {
		struct ebpfnet_lb_service s, back;
		char text[128], err[128];
		size_t k;

		memset(&s, 0, sizeof(s));
		s.sz = sizeof(s);
		s.vip.family = rand_r(&seed) % 2 ? AF_INET6 : AF_INET;
		for (k = 0; k < (s.vip.family == AF_INET ? 4u : 16u); k++)
			/* runs of zero groups exercise "::" */
			s.vip.addr[k] = rand_r(&seed) % 3 ? 0 : (uint8_t)rand_r(&seed);
		s.port = (uint16_t)(i < 10 ? i : rand_r(&seed));
		s.proto = rand_r(&seed) % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		ck_assert_int_gt(ebpfnet_lb_service_format(&s, EBPFNET_FORMAT_TEXT,
							   text, sizeof(text)), 0);
		memset(&back, 0xcc, sizeof(back));
		back.sz = sizeof(back);
		ck_assert_msg(ebpfnet_lb_service_parse(text, &back, err,
						       sizeof(err)) == 0,
			      "%s: %s", text, err);
		ck_assert_msg(!memcmp(&s, &back, sizeof(s)), "%s differs", text);
	}
}
END_TEST

/* Endpoints and addresses: what a service's text is made of. */
START_TEST(test_round_trip_pieces)
{
	struct ebpfnet_lb_service s;
	struct ebpfnet_lb_addr a;
	char err[128], text[128];
	uint16_t port;
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(good_services); i++) {
		const char *canon = good_services[i].text;
		char *slash;

		/* the VIP:PORT of a service (port > 0) is an endpoint */
		snprintf(text, sizeof(text), "%s", canon);
		slash = strrchr(text, '/');
		*slash = '\0';
		if (good_services[i].port) {
			ck_assert_int_eq(ebpfnet_lb_endpoint_parse(text, &a, &port, err,
								   sizeof(err)), 0);
			ck_assert_uint_eq(port, good_services[i].port);
			memset(&s, 0, sizeof(s));
			s.sz = sizeof(s);
			ck_assert_int_eq(ebpfnet_lb_service_parse(canon, &s, err,
								  sizeof(err)), 0);
			ck_assert_mem_eq(&a, &s.vip, sizeof(a));
		}
		/* the VIP alone is an address, brackets or not */
		*strrchr(text, ':') = '\0';
		ck_assert_int_eq(ebpfnet_lb_addr_parse(text, &a, err, sizeof(err)), 0);
		ck_assert_uint_eq(a.family, strchr(good_services[i].vip, ':') ?
					    AF_INET6 : AF_INET);
	}
}
END_TEST

/* ---- threads -------------------------------------------------------------- */

static void *parse_format_loop(void *arg)
{
	const char *in = arg;
	char want[128];
	int i;

	snprintf(want, sizeof(want), "%s", in);
	for (i = 0; i < 20000; i++) {
		EBPFNET_OPTS(ebpfnet_lb_service, s);
		char err[128], out[128];

		if (ebpfnet_lb_service_parse(in, &s, err, sizeof(err)) ||
		    ebpfnet_lb_service_format(&s, EBPFNET_FORMAT_TEXT, out,
					      sizeof(out)) <= 0 ||
		    strcmp(out, want))
			return (void *)1;
		/* failures too: their messages are built per call */
		if (ebpfnet_lb_service_parse("10.0.0.1:80", &s, err, sizeof(err)) != -EINVAL ||
		    strcmp(err, "service '10.0.0.1:80': missing '/PROTO' (tcp or udp)"))
			return (void *)1;
	}
	return NULL;
}

START_TEST(test_threads)
{
	static const char *const inputs[] = {
		"10.0.0.1:80/tcp", "[2001:db8::1]:443/udp", "192.0.2.9:0/udp",
		"[::1]:65535/tcp",
	};
	pthread_t t[4];
	size_t i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, parse_format_loop,
						(void *)inputs[i]), 0);
	for (i = 0; i < 4; i++) {
		void *ret;

		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
}
END_TEST

static Suite *lb_text_suite(void)
{
	Suite *s = suite_create("lb_text");
	TCase *tc = tcase_create("lb_text");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_loop_test(tc, test_service_good, 0,
			    (int)EBPFNET_ARRAY_SIZE(good_services));
	tcase_add_loop_test(tc, test_service_bad, 0,
			    (int)EBPFNET_ARRAY_SIZE(bad_services));
	tcase_add_test(tc, test_service_long_input);
	tcase_add_loop_test(tc, test_addr_good, 0,
			    (int)EBPFNET_ARRAY_SIZE(good_addrs));
	tcase_add_loop_test(tc, test_addr_bad, 0,
			    (int)EBPFNET_ARRAY_SIZE(bad_addrs));
	tcase_add_loop_test(tc, test_endpoint_good, 0,
			    (int)EBPFNET_ARRAY_SIZE(good_endpoints));
	tcase_add_loop_test(tc, test_endpoint_bad, 0,
			    (int)EBPFNET_ARRAY_SIZE(bad_endpoints));
	tcase_add_test(tc, test_parse_arguments);
	tcase_add_test(tc, test_parse_struct_sizes);
	tcase_add_test(tc, test_service_json);
	tcase_add_test(tc, test_service_socket_fields);
	tcase_add_test(tc, test_backend_format);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_format_errors);
	tcase_add_test(tc, test_round_trip_random);
	tcase_add_test(tc, test_round_trip_pieces);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(lb_text_suite(), CK_NORMAL);
}
