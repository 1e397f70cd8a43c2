/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: services, endpoints and addresses as words ("10.0.0.1:80/tcp",
 * "[2001:db8::1]:443/tcp", "10.0.1.2:8080", "2001:db8::2"), and services
 * and backends as text or JSON. format(TEXT) of a service writes the words
 * parse() takes, so parse(format(service)) gives the service back.
 *
 * Strict on purpose: addresses go through inet_pton (no "010.0.0.1" read
 * as octal, no zones), ports are plain decimal without leading zeros, and
 * nothing may follow the last field. Thread-safe: no static state.
 */
/* memrchr() */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <ebpfnet/lb.h>

#include "internal.h"
#include "lb_internal.h"
#include "text.h"

/* Longest address text inet_pton can take, plus one to spot longer ones. */
#define ADDR_TEXT_MAX (INET6_ADDRSTRLEN + 1)
/* How much of the caller's text an error message repeats. */
#define ECHO_MAX 96
#define WEIGHT_MAX 65535u

/* ---- names ------------------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
};

/* Indexed by enum ebpfnet_lb_backend_state. */
static const char *const state_names[] = { "active", "draining", "down" };

static const char *proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(proto_names); i++)
		if (proto_names[i].proto == proto)
			return proto_names[i].name;
	return NULL;
}

/* ASCII only: strcasecmp() would follow the locale. */
static bool word_equal_nocase(const char *s, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	return true;
}

/* ---- parsing ------------------------------------------------------------ */

/* What is being parsed, for the messages: "service '<text>': <reason>". */
struct parse {
	const char *kind;  /* "service", "endpoint", "address" */
	const char *text;  /* the whole input */
	char *err;
	size_t errlen;
};

static int fail(const struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const struct parse *p, const char *fmt, ...)
{
	struct ebpfnet_sbuf sb;
	char reason[256], msg[512];
	size_t n = strlen(p->text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* the input may be anything: echo it terminal-safe and bounded */
	ebpfnet__sbuf_init(&sb, msg, sizeof(msg));
	ebpfnet__sbuf_printf(&sb, "%s '", p->kind);
	ebpfnet__sbuf_text_str(&sb, p->text, n < ECHO_MAX ? n : ECHO_MAX);
	ebpfnet__sbuf_printf(&sb, "%s': ", n > ECHO_MAX ? "..." : "");
	ebpfnet__sbuf_text_str(&sb, reason, strlen(reason));
	/* bad words are the caller's to report: only a debug line here */
	pr_debug("%s", msg);
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s", msg);
	return -EINVAL;
}

/* n bytes of s as a NUL-terminated string in buf (ADDR_TEXT_MAX bytes),
 * cut short when longer: such text is no address anyway. */
static const char *piece(char *buf, const char *s, size_t n)
{
	if (n >= ADDR_TEXT_MAX)
		n = ADDR_TEXT_MAX - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* family: AF_INET, AF_INET6 or AF_UNSPEC (either). */
static bool pton(int family, const char *s, size_t n, struct ebpfnet_lb_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)ebpfnet__text_pton(family, s, n, out->addr);
	return out->family != 0;
}

/* An address of n bytes at s: IPv4, IPv6 or "[IPv6]". The reasons name
 * the piece, for inputs where the address is one part of several. */
static int parse_addr(const struct parse *p, const char *s, size_t n,
		      struct ebpfnet_lb_addr *out)
{
	char buf[ADDR_TEXT_MAX];

	if (n == 0)
		return fail(p, "the address is empty");
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return fail(p, "missing ']' after the IPv6 address");
		if (close != s + n - 1)
			return fail(p, "unexpected '%s' after ']'",
				    piece(buf, close + 1, (size_t)(s + n - close - 1)));
		if (!pton(AF_INET6, s + 1, n - 2, out))
			return fail(p, "'%s' in brackets is not an IPv6 address",
				    piece(buf, s + 1, n - 2));
		return 0;
	}
	if (pton(AF_UNSPEC, s, n, out))
		return 0;
	return fail(p, "'%s' is not an IPv4 or IPv6 address", piece(buf, s, n));
}

/* A port: decimal digits, no sign, no leading zero, in [min, 65535]. */
static int parse_port(const struct parse *p, const char *s, size_t n,
		      unsigned int min, uint16_t *out)
{
	char buf[ADDR_TEXT_MAX];
	unsigned int v = 0;
	size_t i;

	if (n == 0)
		return fail(p, "the port is empty");
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return fail(p, "port '%s' is not a number (%u-65535)",
				    piece(buf, s, n), min);
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (n > 1 && s[0] == '0')
		return fail(p, "port '%s' has a leading zero", piece(buf, s, n));
	if (v < min || v > 65535)
		return fail(p, "port '%s' is not %u-65535", piece(buf, s, n), min);
	*out = (uint16_t)v;
	return 0;
}

/*
 * "ADDR:PORT" or "[V6]:PORT", n bytes at s. An IPv6 address takes
 * brackets here: without them its last group and the port cannot be told
 * apart.
 */
static int parse_endpoint(const struct parse *p, const char *s, size_t n,
			  unsigned int min_port, struct ebpfnet_lb_addr *addr,
			  uint16_t *port)
{
	char buf[ADDR_TEXT_MAX];
	size_t host_n;
	int err;

	if (!s || n == 0)
		return fail(p, "the address and the port are missing");
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return fail(p, "missing ']' after the IPv6 address");
		host_n = (size_t)(close - s) + 1;
		if (host_n == n)
			return fail(p, "missing ':PORT' after ']'");
		if (s[host_n] != ':')
			return fail(p, "expected ':PORT' after ']', not '%c'",
				    s[host_n]);
		err = parse_addr(p, s, host_n, addr);
		if (err)
			return err;
	} else {
		const char *colon = memrchr(s, ':', n);

		if (!colon)
			return fail(p, "missing ':PORT'%s",
				    min_port ? "" : " (0 for every port)");
		host_n = (size_t)(colon - s);
		if (memchr(s, ':', host_n))
			return fail(p, "an IPv6 address goes in brackets, as in [2001:db8::1]:%s",
				    min_port ? "80" : "80/tcp");
		if (host_n == 0)
			return fail(p, "the address is empty");
		/* without brackets: IPv4 only */
		if (!pton(AF_INET, s, host_n, addr))
			return fail(p, "'%s' is not an IPv4 address",
				    piece(buf, s, host_n));
	}
	/* s[host_n] is the ':' */
	return parse_port(p, s + host_n + 1, n - host_n - 1, min_port, port);
}

/* "VIP:PORT/PROTO" into a full-size service (table_size 0: the default). */
static int parse_service(const struct parse *p, struct ebpfnet_lb_service *svc)
{
	const char *text = p->text, *slash = strrchr(text, '/');
	char buf[ADDR_TEXT_MAX];
	size_t i, proto_n;
	int err;

	if (!text[0])
		return fail(p, "empty (expected VIP:PORT/PROTO, as in 10.0.0.1:80/tcp)");
	if (!slash)
		return fail(p, "missing '/PROTO' (tcp or udp)");
	err = parse_endpoint(p, text, (size_t)(slash - text), 0, &svc->vip,
			     &svc->port);
	if (err)
		return err;
	proto_n = strlen(slash + 1);
	if (!proto_n)
		return fail(p, "missing the protocol after '/' (tcp or udp)");
	for (i = 0; i < EBPFNET_ARRAY_SIZE(proto_names); i++) {
		if (word_equal_nocase(slash + 1, proto_n, proto_names[i].name)) {
			svc->proto = proto_names[i].proto;
			return 0;
		}
	}
	return fail(p, "protocol '%s' is not tcp or udp",
		    piece(buf, slash + 1, proto_n));
}

/* Arguments every parser checks. */
static int parse_args(const char *fn, const char *text, const void *out,
		      const char *err, size_t errlen)
{
	if (!text || !out || (!err && errlen)) {
		pr_warn("%s: %s is NULL", fn,
			!text ? "text" : !out ? "the result" : "err");
		return -EINVAL;
	}
	if (errlen)
		*(char *)err = '\0';
	return 0;
}

int ebpfnet_lb_service_parse(const char *text, struct ebpfnet_lb_service *service,
			     char *err, size_t errlen)
{
	const struct parse p = { "service", text, err, errlen };
	struct ebpfnet_lb_service svc;
	int ret = parse_args("ebpfnet_lb_service_parse", text, service, err,
			     errlen);

	if (ret)
		return ebpfnet__err(ret);
	/* the caller's struct must hold at least what the words set */
	if (service->sz < offsetofend(struct ebpfnet_lb_service, proto)) {
		pr_warn("ebpfnet_lb_service_parse: struct ebpfnet_lb_service of %zu bytes is too small (set sz with EBPFNET_OPTS)",
			service->sz);
		return ebpfnet__err(-EINVAL);
	}
	memset(&svc, 0, sizeof(svc));
	svc.sz = sizeof(svc);
	ret = parse_service(&p, &svc);
	if (ret)
		return ebpfnet__err(ret);
	return ebpfnet__out_copy(service, &svc, sizeof(svc),
				 "ebpfnet_lb_service");
}

int ebpfnet_lb_addr_parse(const char *text, struct ebpfnet_lb_addr *addr,
			  char *err, size_t errlen)
{
	const struct parse p = { "address", text, err, errlen };
	struct ebpfnet_lb_addr a;
	int ret = parse_args("ebpfnet_lb_addr_parse", text, addr, err, errlen);

	if (ret)
		return ebpfnet__err(ret);
	ret = parse_addr(&p, text, strlen(text), &a);
	if (ret)
		return ebpfnet__err(ret);
	*addr = a;
	return 0;
}

int ebpfnet_lb_endpoint_parse(const char *text, struct ebpfnet_lb_addr *addr,
			      uint16_t *port, char *err, size_t errlen)
{
	const struct parse p = { "endpoint", text, err, errlen };
	struct ebpfnet_lb_addr a;
	uint16_t pt;
	int ret = parse_args("ebpfnet_lb_endpoint_parse", text, addr, err,
			     errlen);

	if (!ret && !port) {
		pr_warn("ebpfnet_lb_endpoint_parse: port is NULL");
		ret = -EINVAL;
	}
	if (ret)
		return ebpfnet__err(ret);
	ret = parse_endpoint(&p, text, strlen(text), 1, &a, &pt);
	if (ret)
		return ebpfnet__err(ret);
	*addr = a;
	*port = pt;
	return 0;
}

/* ---- formatting --------------------------------------------------------- */

/* inet_ntop of a checked address: ASCII, no escaping needed. */
static int addr_text(const char *fn, const struct ebpfnet_lb_addr *a,
		     char *ip, size_t len)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->addr, ip, (socklen_t)len)) {
		pr_warn("%s: unknown address family %u", fn, a->family);
		return -EINVAL;
	}
	return 0;
}

int ebpfnet_lb_service_format(const struct ebpfnet_lb_service *service,
			      enum ebpfnet_format format, char *buf, size_t len)
{
	static const char fn[] = "ebpfnet_lb_service_format";
	char ip[INET6_ADDRSTRLEN];
	struct ebpfnet_sbuf sb;
	enum ebpfnet_lb_sock_pick pick;
	const char *proto;
	uint32_t table_size, affinity;
	int err = ebpfnet__format_check(fn, service, (int)format, buf, len);

	if (err)
		return ebpfnet__err(err);
	if (!EBPFNET_OPTS_VALID(service, ebpfnet_lb_service, affinity_timeout))
		return ebpfnet__err(-EINVAL);
	if (!EBPFNET_OPTS_HAS(service, proto)) {
		pr_warn("%s: struct ebpfnet_lb_service of %zu bytes has no proto",
			fn, service->sz);
		return ebpfnet__err(-EINVAL);
	}
	err = addr_text(fn, &service->vip, ip, sizeof(ip));
	if (err)
		return ebpfnet__err(err);
	proto = proto_name(service->proto);
	if (!proto) {
		pr_warn("%s: protocol %u is not tcp or udp", fn, service->proto);
		return ebpfnet__err(-EINVAL);
	}
	table_size = EBPFNET_OPTS_GET(service, table_size, 0);
	if (!table_size)
		table_size = LB_DEFAULT_TABLE_SIZE;
	pick = EBPFNET_OPTS_GET(service, sock_pick, EBPFNET_LB_PICK_MAGLEV);
	affinity = EBPFNET_OPTS_GET(service, affinity_timeout, 0);
	if (pick != EBPFNET_LB_PICK_MAGLEV && pick != EBPFNET_LB_PICK_RANDOM) {
		pr_warn("%s: sock_pick %u is not maglev or random", fn,
			(unsigned int)pick);
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON) {
		ebpfnet__sbuf_printf(&sb, "{\"vip\":\"%s\",\"port\":%u,\"proto\":\"%s\",\"table_size\":%" PRIu32,
				     ip, service->port, proto, table_size);
		/* the socket level's choices, when not the defaults */
		if (pick == EBPFNET_LB_PICK_RANDOM)
			ebpfnet__sbuf_printf(&sb, ",\"pick\":\"random\"");
		if (affinity)
			ebpfnet__sbuf_printf(&sb, ",\"affinity\":%" PRIu32, affinity);
		ebpfnet__sbuf_printf(&sb, "}");
	} else if (service->vip.family == AF_INET6)
		ebpfnet__sbuf_printf(&sb, "[%s]:%u/%s", ip, service->port, proto);
	else
		ebpfnet__sbuf_printf(&sb, "%s:%u/%s", ip, service->port, proto);
	return ebpfnet__format_result(&sb);
}

int ebpfnet_lb_backend_format(const struct ebpfnet_lb_backend *backend,
			      enum ebpfnet_format format, char *buf, size_t len)
{
	static const char fn[] = "ebpfnet_lb_backend_format";
	char ip[INET6_ADDRSTRLEN];
	struct ebpfnet_sbuf sb;
	uint32_t weight;
	unsigned int state;
	int err = ebpfnet__format_check(fn, backend, (int)format, buf, len);

	if (err)
		return ebpfnet__err(err);
	if (!EBPFNET_OPTS_VALID(backend, ebpfnet_lb_backend, state))
		return ebpfnet__err(-EINVAL);
	if (!EBPFNET_OPTS_HAS(backend, addr)) {
		pr_warn("%s: struct ebpfnet_lb_backend of %zu bytes has no addr",
			fn, backend->sz);
		return ebpfnet__err(-EINVAL);
	}
	err = addr_text(fn, &backend->addr, ip, sizeof(ip));
	if (err)
		return ebpfnet__err(err);
	/* what the datapath uses: weight 0 means 1 */
	weight = EBPFNET_OPTS_GET(backend, weight, 0);
	if (!weight)
		weight = 1;
	state = (unsigned int)EBPFNET_OPTS_GET(backend, state,
					       EBPFNET_LB_BACKEND_ACTIVE);
	if (weight > WEIGHT_MAX) {
		pr_warn("%s: weight %" PRIu32 " is not 1-65535", fn, weight);
		return ebpfnet__err(-EINVAL);
	}
	if (state >= EBPFNET_ARRAY_SIZE(state_names)) {
		pr_warn("%s: state %u is not active, draining or down", fn,
			state);
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		ebpfnet__sbuf_printf(&sb, "{\"address\":\"%s\",\"weight\":%" PRIu32 ",\"state\":\"%s\"}",
				     ip, weight, state_names[state]);
	else
		ebpfnet__sbuf_printf(&sb, "%s weight %" PRIu32 " state %s", ip,
				     weight, state_names[state]);
	return ebpfnet__format_result(&sb);
}
