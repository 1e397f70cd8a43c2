/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * drop: rules as words (the CLI's "proto icmp icmp-type echo-request
 * src 10.0.0.0/8"), and rules and sampled drop events as text or JSON.
 * format(TEXT) writes the words parse() takes, in one canonical order, so
 * parse(format(rule)) gives the rule back.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ebpfnet/drop.h>

#include "drop_internal.h"
#include "internal.h"
#include "text.h"

/* ---- names ------------------------------------------------------------- */

struct name {
	const char *name;
	unsigned int value;
};

static const struct name action_names[] = {
	{ "drop", EBPFNET_DROP_ACTION_DROP },
	{ "pass", EBPFNET_DROP_ACTION_PASS },
	{ "count", EBPFNET_DROP_ACTION_COUNT },
	{ NULL, 0 },
};

/* The first name of a value is the one format() writes. */
static const struct name family_names[] = {
	{ "ipv4", AF_INET }, { "ipv6", AF_INET6 },
	{ "ip", AF_INET }, { "ip6", AF_INET6 },
	{ NULL, 0 },
};

static const struct name proto_names[] = {
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "sctp", IPPROTO_SCTP }, { "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH },
	{ NULL, 0 },
};

static const struct name icmp_type_names[] = {
	{ "echo-reply", 0 }, { "dest-unreachable", 3 },
	{ "source-quench", 4 }, { "redirect", 5 }, { "echo-request", 8 },
	{ "router-advertisement", 9 }, { "router-solicitation", 10 },
	{ "time-exceeded", 11 }, { "parameter-problem", 12 },
	{ "timestamp", 13 },
	{ NULL, 0 },
};

static const struct name icmpv6_type_names[] = {
	{ "dest-unreachable", 1 }, { "packet-too-big", 2 },
	{ "time-exceeded", 3 }, { "parameter-problem", 4 },
	{ "echo-request", 128 }, { "echo-reply", 129 },
	{ "router-solicitation", 133 }, { "router-advertisement", 134 },
	{ "neighbor-solicitation", 135 }, { "neighbor-advertisement", 136 },
	{ NULL, 0 },
};

static const struct name reason_names[] = {
	{ "rule", EBPFNET_DROP_REASON_RULE },
	{ "fragment", EBPFNET_DROP_REASON_FRAGMENT },
	{ "malformed", EBPFNET_DROP_REASON_MALFORMED },
	{ NULL, 0 },
};

static const struct name *name_by_word(const struct name *t, const char *word)
{
	for (; t->name; t++)
		if (!strcmp(t->name, word))
			return t;
	return NULL;
}

static const char *name_of(const struct name *t, unsigned int value)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

/* ---- parsing ------------------------------------------------------------ */

struct parse {
	struct ebpfnet_drop_rule rule;
	const char *icmp_type_word; /* resolved once the proto is known */
	uint32_t seen;              /* words given, by index in `words` */
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A decimal number in [min, max] (no sign, no spaces, no junk). */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 10)
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int w_action(struct parse *p, const char *word, const char *v)
{
	const struct name *n = name_by_word(action_names, v);

	if (!n)
		return fail(p, "%s: '%s' is not drop, pass or count", word, v);
	p->rule.action = (enum ebpfnet_drop_action)n->value;
	return 0;
}

static int w_family(struct parse *p, const char *word, const char *v)
{
	const struct name *n = name_by_word(family_names, v);

	if (!n)
		return fail(p, "%s: '%s' is not ipv4 or ipv6", word, v);
	p->rule.match |= EBPFNET_DROP_MATCH_FAMILY;
	p->rule.family = (uint8_t)n->value;
	return 0;
}

static int w_proto(struct parse *p, const char *word, const char *v)
{
	const struct name *n = name_by_word(proto_names, v);
	unsigned long num;

	if (n)
		num = n->value;
	else if (!parse_uint(v, 0, 255, &num))
		return fail(p, "%s: '%s' is not icmp, icmpv6, tcp, udp, sctp, gre, esp, ah or a number (0-255)",
			    word, v);
	p->rule.match |= EBPFNET_DROP_MATCH_PROTO;
	p->rule.proto = (uint8_t)num;
	return 0;
}

static int w_icmp_type(struct parse *p, const char *word, const char *v)
{
	(void)word;
	p->rule.match |= EBPFNET_DROP_MATCH_ICMP_TYPE;
	p->icmp_type_word = v;
	return 0;
}

static int w_icmp_code(struct parse *p, const char *word, const char *v)
{
	unsigned long num;

	if (!parse_uint(v, 0, 255, &num))
		return fail(p, "%s: '%s' is not a number (0-255)", word, v);
	p->rule.match |= EBPFNET_DROP_MATCH_ICMP_CODE;
	p->rule.icmp_code = (uint8_t)num;
	return 0;
}

static int parse_prefix(struct parse *p, const char *word, const char *v,
			struct ebpfnet_drop_prefix *out)
{
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	unsigned int bits, i;
	unsigned long len;
	int family;

	memset(out, 0, sizeof(*out));
	family = ebpfnet__text_pton(AF_UNSPEC, v, n, out->addr);
	if (!family)
		return fail(p, "%s: '%s' is not an IPv4 or IPv6 prefix", word, v);
	out->family = (uint8_t)family;
	bits = out->family == AF_INET ? 32 : 128;
	len = bits;
	if (slash && !parse_uint(slash + 1, 0, bits, &len))
		return fail(p, "%s: '%s': the prefix length is not 0-%u", word,
			    v, bits);
	out->len = (uint8_t)len;
	for (i = out->len; i < bits; i++)
		if (out->addr[i / 8] & (0x80 >> (i % 8)))
			return fail(p, "%s: '%s' has host bits set", word, v);
	return 0;
}

static int w_src(struct parse *p, const char *word, const char *v)
{
	p->rule.match |= EBPFNET_DROP_MATCH_SRC;
	return parse_prefix(p, word, v, &p->rule.src);
}

static int w_dst(struct parse *p, const char *word, const char *v)
{
	p->rule.match |= EBPFNET_DROP_MATCH_DST;
	return parse_prefix(p, word, v, &p->rule.dst);
}

static int parse_port(struct parse *p, const char *word, const char *v,
		      uint16_t *out)
{
	unsigned long num;

	if (!parse_uint(v, 1, 65535, &num))
		return fail(p, "%s: '%s' is not a port (1-65535)", word, v);
	*out = (uint16_t)num;
	return 0;
}

static int w_sport(struct parse *p, const char *word, const char *v)
{
	p->rule.match |= EBPFNET_DROP_MATCH_SPORT;
	return parse_port(p, word, v, &p->rule.sport);
}

static int w_dport(struct parse *p, const char *word, const char *v)
{
	p->rule.match |= EBPFNET_DROP_MATCH_DPORT;
	return parse_port(p, word, v, &p->rule.dport);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits (even, 2..32) into bytes; the byte count, or 0. */
static unsigned int parse_hex(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	if (!n || n % 2 || n > 2 * EBPFNET_DROP_SIG_MAX)
		return 0;
	for (i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (unsigned int)(n / 2);
}

/* l3+OFF:VALUE[/MASK] or l4+OFF:VALUE[/MASK] */
static int w_sig(struct parse *p, const char *word, const char *v)
{
	struct ebpfnet_drop_rule *r = &p->rule;
	const char *colon = strchr(v, ':'), *slash;
	char off[8];
	unsigned long offset;
	unsigned int len, i;
	size_t n;

	if (!strncmp(v, "l3+", 3))
		r->sig_base = EBPFNET_DROP_SIG_L3;
	else if (!strncmp(v, "l4+", 3))
		r->sig_base = EBPFNET_DROP_SIG_L4;
	else
		return fail(p, "%s: '%s' does not start with l3+ or l4+ (as in l4+8:deadbeef/ffffffff)",
			    word, v);
	n = colon ? (size_t)(colon - v - 3) : 0;
	if (!colon || !n || n >= sizeof(off))
		return fail(p, "%s: '%s': the offset and ':' are missing (as in l4+8:deadbeef)",
			    word, v);
	memcpy(off, v + 3, n);
	off[n] = '\0';
	if (!parse_uint(off, 0, DROP_SIG_MAX_OFFSET, &offset))
		return fail(p, "%s: '%s': the offset is not 0-%u", word, v,
			    DROP_SIG_MAX_OFFSET);
	colon++;
	slash = strchr(colon, '/');
	n = slash ? (size_t)(slash - colon) : strlen(colon);
	len = parse_hex(colon, n, r->sig_value);
	if (!len)
		return fail(p, "%s: '%s': the value is not 1-%u bytes of hex (an even number of digits)",
			    word, v, EBPFNET_DROP_SIG_MAX);
	if (slash) {
		if (parse_hex(slash + 1, strlen(slash + 1), r->sig_mask) != len)
			return fail(p, "%s: '%s': the mask is not hex of the value's length",
				    word, v);
	} else {
		memset(r->sig_mask, 0xff, len);
	}
	for (i = 0; i < len; i++)
		if (r->sig_value[i] & ~r->sig_mask[i])
			return fail(p, "%s: '%s': the value has bits outside the mask",
				    word, v);
	if (!memcmp(r->sig_mask, (uint8_t[EBPFNET_DROP_SIG_MAX]){ 0 }, len))
		return fail(p, "%s: '%s': the mask is all zero", word, v);
	r->match |= EBPFNET_DROP_MATCH_SIG;
	r->sig_offset = (uint16_t)offset;
	r->sig_len = (uint8_t)len;
	return 0;
}

static const struct {
	const char *word;
	int (*fn)(struct parse *p, const char *word, const char *value);
} words[] = {
	{ "action", w_action },     { "family", w_family },
	{ "proto", w_proto },       { "icmp-type", w_icmp_type },
	{ "icmp-code", w_icmp_code }, { "src", w_src },
	{ "src-port", w_sport },    { "dst", w_dst },
	{ "dst-port", w_dport },    { "sig", w_sig },
};

/* The family the words name, from `family` or a prefix; 0: none. */
static uint8_t words_family(const struct ebpfnet_drop_rule *r)
{
	if (r->match & EBPFNET_DROP_MATCH_FAMILY)
		return r->family;
	if (r->match & EBPFNET_DROP_MATCH_SRC)
		return r->src.family;
	if (r->match & EBPFNET_DROP_MATCH_DST)
		return r->dst.family;
	return 0;
}

/* What the words mean together: families, the ICMP proto and type
 * names, ports that need a port protocol. */
static int resolve(struct parse *p)
{
	struct ebpfnet_drop_rule *r = &p->rule;
	bool icmp_words = r->match & (EBPFNET_DROP_MATCH_ICMP_TYPE |
				      EBPFNET_DROP_MATCH_ICMP_CODE);
	uint8_t af;

	if ((r->match & EBPFNET_DROP_MATCH_SRC) &&
	    (r->match & EBPFNET_DROP_MATCH_DST) &&
	    r->src.family != r->dst.family)
		return fail(p, "src and dst are of different families");
	if ((r->match & EBPFNET_DROP_MATCH_FAMILY) &&
	    (((r->match & EBPFNET_DROP_MATCH_SRC) && r->src.family != r->family) ||
	     ((r->match & EBPFNET_DROP_MATCH_DST) && r->dst.family != r->family)))
		return fail(p, "family %s does not fit the prefixes",
			    name_of(family_names, r->family));
	af = words_family(r);
	/* icmp-type/icmp-code alone: the ICMP of the family */
	if (icmp_words && !(r->match & EBPFNET_DROP_MATCH_PROTO)) {
		r->match |= EBPFNET_DROP_MATCH_PROTO;
		r->proto = af == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	}
	if (r->match & EBPFNET_DROP_MATCH_PROTO) {
		uint8_t want = r->proto == IPPROTO_ICMP ? AF_INET :
			       r->proto == IPPROTO_ICMPV6 ? AF_INET6 : 0;

		if (want && af && af != want)
			return fail(p, "proto %s is %s's; %s has proto %s",
				    name_of(proto_names, r->proto),
				    want == AF_INET ? "IPv4" : "IPv6",
				    af == AF_INET ? "IPv4" : "IPv6",
				    af == AF_INET ? "icmp" : "icmpv6");
		if (want && !(r->match & EBPFNET_DROP_MATCH_FAMILY)) {
			r->match |= EBPFNET_DROP_MATCH_FAMILY;
			r->family = want;
		}
	}
	if (icmp_words && r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6)
		return fail(p, "icmp-type and icmp-code need proto icmp or icmpv6");
	if (p->icmp_type_word) {
		const struct name *n = name_by_word(
			r->proto == IPPROTO_ICMP ? icmp_type_names :
						   icmpv6_type_names,
			p->icmp_type_word);
		unsigned long num;

		if (n)
			num = n->value;
		else if (!parse_uint(p->icmp_type_word, 0, 255, &num))
			return fail(p, "icmp-type: '%s' is not an %s type name or a number (0-255)",
				    p->icmp_type_word, name_of(proto_names, r->proto));
		r->icmp_type = (uint8_t)num;
	}
	if ((r->match & (EBPFNET_DROP_MATCH_SPORT | EBPFNET_DROP_MATCH_DPORT)) &&
	    (!(r->match & EBPFNET_DROP_MATCH_PROTO) ||
	     (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP &&
	      r->proto != IPPROTO_SCTP)))
		return fail(p, "ports need proto tcp, udp or sctp");
	return 0;
}

static int parse_words(struct parse *p, int argc, const char *const *argv)
{
	struct drop_rule_record rec;
	int i, err;

	if (argc == 0)
		return fail(p, "a rule needs at least one match word (such as 'proto icmp')");
	for (i = 0; i < argc; i += 2) {
		size_t w;

		if (!argv[i] || (i + 1 < argc && !argv[i + 1]))
			return fail(p, "word %d is NULL", argv[i] ? i + 1 : i);
		for (w = 0; w < EBPFNET_ARRAY_SIZE(words); w++)
			if (!strcmp(argv[i], words[w].word))
				break;
		if (w == EBPFNET_ARRAY_SIZE(words))
			return fail(p, "unknown word '%s'", argv[i]);
		if (i + 1 >= argc)
			return fail(p, "'%s' needs a value", argv[i]);
		if (p->seen & (1u << w))
			return fail(p, "'%s' is given twice", argv[i]);
		p->seen |= 1u << w;
		err = words[w].fn(p, argv[i], argv[i + 1]);
		if (err)
			return err;
	}
	if (!p->rule.match)
		return fail(p, "a rule needs at least one match word besides 'action'");
	err = resolve(p);
	if (err)
		return err;
	/* whatever the words missed (the library's checks are the law) */
	if (drop_rule_to_record(&p->rule, &rec))
		return fail(p, "the rule is not valid (the library log says why)");
	return 0;
}

int ebpfnet_drop_rule_parse(int argc, const char *const *argv,
			    struct ebpfnet_drop_rule *rule, char *err,
			    size_t errlen)
{
	struct parse p;
	size_t sz;
	int ret;

	if (argc < 0 || (argc && !argv) || !rule || (!err && errlen)) {
		pr_warn("ebpfnet_drop_rule_parse: %s",
			argc < 0 ? "argc is negative" : !rule ? "rule is NULL" :
			(argc && !argv) ? "argv is NULL" : "err is NULL");
		return ebpfnet__err(-EINVAL);
	}
	if (errlen)
		err[0] = '\0';
	if (!EBPFNET_OPTS_VALID(rule, ebpfnet_drop_rule, sig_mask))
		return ebpfnet__err(-EINVAL);
	memset(&p, 0, sizeof(p));
	p.rule.sz = sizeof(p.rule);
	p.err = err;
	p.errlen = errlen;
	ret = parse_words(&p, argc, argv);
	if (ret)
		return ebpfnet__err(ret);
	/* an older caller's shorter struct must hold what the words set */
	sz = rule->sz < sizeof(p.rule) ? rule->sz : sizeof(p.rule);
	if (sz < sizeof(p.rule) &&
	    memcmp((uint8_t *)&p.rule + sz,
		   (uint8_t[sizeof(p.rule)]){ 0 }, sizeof(p.rule) - sz)) {
		fail(&p, "struct ebpfnet_drop_rule of %zu bytes is too small for this rule",
		     rule->sz);
		return ebpfnet__err(-EINVAL);
	}
	p.rule.sz = rule->sz;
	memcpy(rule, &p.rule, sz);
	return 0;
}

/* ---- formatting --------------------------------------------------------- */

static void put_prefix(struct ebpfnet_sbuf *sb,
		       const struct ebpfnet_drop_prefix *pfx)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(pfx->family, pfx->addr, ip, sizeof(ip));
	ebpfnet__sbuf_printf(sb, "%s/%u", ip, pfx->len);
}

static void put_hex(struct ebpfnet_sbuf *sb, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ebpfnet__sbuf_printf(sb, "%02x", b[i]);
}

static void put_proto(struct ebpfnet_sbuf *sb, uint8_t proto)
{
	const char *name = name_of(proto_names, proto);

	if (name)
		ebpfnet__sbuf_printf(sb, "%s", name);
	else
		ebpfnet__sbuf_printf(sb, "%u", proto);
}

static void put_icmp_type(struct ebpfnet_sbuf *sb,
			  const struct ebpfnet_drop_rule *r)
{
	const char *name = name_of(r->proto == IPPROTO_ICMP ? icmp_type_names :
							      icmpv6_type_names,
				   r->icmp_type);

	if (name)
		ebpfnet__sbuf_printf(sb, "%s", name);
	else
		ebpfnet__sbuf_printf(sb, "%u", r->icmp_type);
}

static void put_sig(struct ebpfnet_sbuf *sb, const struct ebpfnet_drop_rule *r)
{
	ebpfnet__sbuf_printf(sb, "%s+%u:",
			     r->sig_base == EBPFNET_DROP_SIG_L4 ? "l4" : "l3",
			     r->sig_offset);
	put_hex(sb, r->sig_value, r->sig_len);
	ebpfnet__sbuf_putc(sb, '/');
	put_hex(sb, r->sig_mask, r->sig_len);
}

static void rule_text(struct ebpfnet_sbuf *sb, const struct ebpfnet_drop_rule *r)
{
	uint32_t m = r->match;

	ebpfnet__sbuf_printf(sb, "action %s", name_of(action_names, r->action));
	if (m & EBPFNET_DROP_MATCH_FAMILY)
		ebpfnet__sbuf_printf(sb, " family %s",
				     name_of(family_names, r->family));
	if (m & EBPFNET_DROP_MATCH_PROTO) {
		ebpfnet__sbuf_printf(sb, " proto ");
		put_proto(sb, r->proto);
	}
	if (m & EBPFNET_DROP_MATCH_ICMP_TYPE) {
		ebpfnet__sbuf_printf(sb, " icmp-type ");
		put_icmp_type(sb, r);
	}
	if (m & EBPFNET_DROP_MATCH_ICMP_CODE)
		ebpfnet__sbuf_printf(sb, " icmp-code %u", r->icmp_code);
	if (m & EBPFNET_DROP_MATCH_SRC) {
		ebpfnet__sbuf_printf(sb, " src ");
		put_prefix(sb, &r->src);
	}
	if (m & EBPFNET_DROP_MATCH_SPORT)
		ebpfnet__sbuf_printf(sb, " src-port %u", r->sport);
	if (m & EBPFNET_DROP_MATCH_DST) {
		ebpfnet__sbuf_printf(sb, " dst ");
		put_prefix(sb, &r->dst);
	}
	if (m & EBPFNET_DROP_MATCH_DPORT)
		ebpfnet__sbuf_printf(sb, " dst-port %u", r->dport);
	if (m & EBPFNET_DROP_MATCH_SIG) {
		ebpfnet__sbuf_printf(sb, " sig ");
		put_sig(sb, r);
	}
}

/* Names and numbers formatted here are plain ASCII: no escaping needed
 * inside the quotes. */
static void rule_json(struct ebpfnet_sbuf *sb, const struct ebpfnet_drop_rule *r)
{
	uint32_t m = r->match;

	ebpfnet__sbuf_printf(sb, "{\"id\":%" PRIu32 ",\"action\":\"%s\"", r->id,
			     name_of(action_names, r->action));
	if (m & EBPFNET_DROP_MATCH_FAMILY)
		ebpfnet__sbuf_printf(sb, ",\"family\":\"%s\"",
				     name_of(family_names, r->family));
	if (m & EBPFNET_DROP_MATCH_PROTO) {
		ebpfnet__sbuf_printf(sb, ",\"proto\":\"");
		put_proto(sb, r->proto);
		ebpfnet__sbuf_putc(sb, '"');
	}
	if (m & EBPFNET_DROP_MATCH_ICMP_TYPE)
		ebpfnet__sbuf_printf(sb, ",\"icmp_type\":%u", r->icmp_type);
	if (m & EBPFNET_DROP_MATCH_ICMP_CODE)
		ebpfnet__sbuf_printf(sb, ",\"icmp_code\":%u", r->icmp_code);
	if (m & EBPFNET_DROP_MATCH_SRC) {
		ebpfnet__sbuf_printf(sb, ",\"src\":\"");
		put_prefix(sb, &r->src);
		ebpfnet__sbuf_putc(sb, '"');
	}
	if (m & EBPFNET_DROP_MATCH_SPORT)
		ebpfnet__sbuf_printf(sb, ",\"src_port\":%u", r->sport);
	if (m & EBPFNET_DROP_MATCH_DST) {
		ebpfnet__sbuf_printf(sb, ",\"dst\":\"");
		put_prefix(sb, &r->dst);
		ebpfnet__sbuf_putc(sb, '"');
	}
	if (m & EBPFNET_DROP_MATCH_DPORT)
		ebpfnet__sbuf_printf(sb, ",\"dst_port\":%u", r->dport);
	if (m & EBPFNET_DROP_MATCH_SIG) {
		ebpfnet__sbuf_printf(sb, ",\"sig\":{\"base\":\"%s\",\"offset\":%u,\"value\":\"",
				     r->sig_base == EBPFNET_DROP_SIG_L4 ? "l4" : "l3",
				     r->sig_offset);
		put_hex(sb, r->sig_value, r->sig_len);
		ebpfnet__sbuf_printf(sb, "\",\"mask\":\"");
		put_hex(sb, r->sig_mask, r->sig_len);
		ebpfnet__sbuf_printf(sb, "\"}");
	}
	ebpfnet__sbuf_putc(sb, '}');
}

int ebpfnet_drop_rule_format(const struct ebpfnet_drop_rule *rule,
			     enum ebpfnet_format format, char *buf, size_t len)
{
	struct ebpfnet_drop_rule r;
	struct drop_rule_record rec;
	struct ebpfnet_sbuf sb;
	int err = ebpfnet__format_check("ebpfnet_drop_rule_format", rule,
					(int)format, buf, len);

	if (err)
		return ebpfnet__err(err);
	/* a valid rule only: what format() writes, parse() takes */
	err = drop_rule_to_record(rule, &rec);
	if (err)
		return ebpfnet__err(err);
	drop_record_to_rule(&rec, &r);
	r.id = EBPFNET_OPTS_GET(rule, id, 0);
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		rule_json(&sb, &r);
	else
		rule_text(&sb, &r);
	return ebpfnet__format_result(&sb);
}

static void put_reason(struct ebpfnet_sbuf *sb, uint32_t reason)
{
	const char *name = name_of(reason_names, reason);

	if (name)
		ebpfnet__sbuf_printf(sb, "%s", name);
	else
		ebpfnet__sbuf_printf(sb, "%" PRIu32, reason);
}

int ebpfnet_drop_event_format(const struct ebpfnet_drop_event *event,
			      enum ebpfnet_format format, char *buf, size_t len)
{
	struct ebpfnet_drop_event e;
	struct ebpfnet_sbuf sb;
	int err = ebpfnet__format_check("ebpfnet_drop_event_format", event,
					(int)format, buf, len);

	if (err)
		return ebpfnet__err(err);
	if (!EBPFNET_OPTS_VALID(event, ebpfnet_drop_event, data))
		return ebpfnet__err(-EINVAL);
	memset(&e, 0, sizeof(e));
	memcpy(&e, event, event->sz < sizeof(e) ? event->sz : sizeof(e));
	if (e.cap_len > EBPFNET_DROP_EVENT_BYTES || (e.cap_len && !e.data)) {
		pr_warn("ebpfnet_drop_event_format: cap_len %" PRIu32 " %s",
			e.cap_len, e.data ? "is over 128" : "with NULL data");
		return ebpfnet__err(-EINVAL);
	}
	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON) {
		ebpfnet__sbuf_printf(&sb, "{\"time\":\"");
		ebpfnet__sbuf_rfc3339(&sb, e.time_ns);
		ebpfnet__sbuf_printf(&sb, "\",\"ifindex\":%" PRIu32 ",\"rule\":%" PRIu32
				     ",\"reason\":\"", e.ifindex, e.rule_id);
		put_reason(&sb, e.reason);
		ebpfnet__sbuf_printf(&sb, "\",\"len\":%" PRIu32 ",\"data\":\"",
				     e.pkt_len);
		put_hex(&sb, e.data, e.cap_len);
		ebpfnet__sbuf_printf(&sb, "\"}");
	} else {
		ebpfnet__sbuf_rfc3339(&sb, e.time_ns);
		ebpfnet__sbuf_printf(&sb, " ifindex %" PRIu32 " rule %" PRIu32
				     " reason ", e.ifindex, e.rule_id);
		put_reason(&sb, e.reason);
		ebpfnet__sbuf_printf(&sb, " len %" PRIu32 ": ", e.pkt_len);
		put_hex(&sb, e.data, e.cap_len);
	}
	return ebpfnet__format_result(&sb);
}
