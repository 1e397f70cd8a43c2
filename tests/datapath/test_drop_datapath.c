/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The drop filter's datapath (root): crafted packets run through the
 * filter's XDP program with BPF_PROG_TEST_RUN, rules added through the
 * public API from their text (ebpfnet_drop_rule_parse, then
 * ebpfnet_drop_add), and for each packet the verdict, the filter's
 * outcome counters and every rule's counters checked.
 *
 * A test run's packet arrives on the loopback device (ingress_ifindex 1)
 * where this test's XDP chain has no further stage: it passes, so "not
 * dropped" is XDP_PASS.
 *
 * Each test gets its own filter (its own pin root, a directory in one
 * private bpffs that an unchecked fixture mounts and, in the runner process
 * so also after a failed test, unmounts and removes).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#include "check_run.h"
#include "drop_internal.h"
#include "pktgen.h"
#include "priv.h"
#include "prog_run.h"
#include "words.h"

#define MAX_CASE_RULES 4
#define CASE_MAX_RULES 64 /* max_rules of each test's filter */
#define TRUNC_MAX 80      /* truncation lengths 0..TRUNC_MAX */
#define META_LEN 16       /* lets the kernel run packets under 14 bytes */

/* ---- fixture: one private bpffs, a pin root per test below it ---------- */

static char base[PATH_MAX];

static void fixture_setup(void)
{
	int err;

	snprintf(base, sizeof(base), "/tmp/ebpfnet-droptest-XXXXXX");
	if (!mkdtemp(base)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		abort();
	}
	err = ebpfnet_mount_bpffs(base);
	if (err) {
		fprintf(stderr, "mount bpffs on %s: %s\n", base,
			ebpfnet_strerror(err));
		rmdir(base);
		abort();
	}
}

static void fixture_teardown(void)
{
	/* every pin of every test goes with the mount */
	if (umount2(base, MNT_DETACH))
		fprintf(stderr, "umount %s: %s\n", base, strerror(errno));
	if (rmdir(base))
		fprintf(stderr, "rmdir %s: %s\n", base, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

/* ---- library messages go to the test log ------------------------------- */

static void print_to_stderr(enum ebpfnet_print_level level, const char *msg)
{
	if (level <= EBPFNET_PRINT_INFO || getenv("EBPFNET_TEST_DEBUG"))
		fprintf(stderr, "libebpfnet: %s\n", msg);
}

/* ---- one filter per test ------------------------------------------------ */

struct fx {
	char root[PATH_MAX];
	struct ebpfnet_drop *drop;
	int prog_fd;
};

/* A filter under <base>/<name>; opts may be NULL. */
static void fx_open(struct fx *fx, const char *name,
		    struct ebpfnet_drop_opts *opts)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, defaults);
	int n = snprintf(fx->root, sizeof(fx->root), "%s/%s", base, name);

	ck_assert_msg(n > 0 && (size_t)n < sizeof(fx->root), "path too long");
	ck_assert_msg(mkdir(fx->root, 0700) == 0, "mkdir %s: %s", fx->root,
		      strerror(errno));
	if (!opts)
		opts = &defaults;
	opts->pin_root = fx->root;
	if (!opts->max_rules)
		opts->max_rules = CASE_MAX_RULES;
	fx->drop = ebpfnet_drop_open(opts);
	ck_assert_msg(fx->drop, "ebpfnet_drop_open(%s): %s", fx->root,
		      strerror(errno));
	fx->prog_fd = ebpfnet__drop_prog_fd(fx->drop);
	ck_assert_msg(fx->prog_fd >= 0, "ebpfnet__drop_prog_fd: %d",
		      fx->prog_fd);
}

/* Close the handle and remove the test's pins (left in place by a failed
 * test: the fixture's unmount takes them). */
static void fx_close(struct fx *fx)
{
	ebpfnet_drop_destroy(fx->drop);
	fx->drop = NULL;
	nftw(fx->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Add the rule written as words ("proto udp dst-port 53"); its id. */
static uint32_t add_rule(struct fx *fx, const char *text)
{
	EBPFNET_OPTS(ebpfnet_drop_rule, rule);
	struct words w;
	char err[256];
	uint32_t id = 0;
	int ret;

	words_split(&w, NULL, text);
	err[0] = '\0';
	ret = ebpfnet_drop_rule_parse(w.argc, words_const(&w), &rule, err,
				      sizeof(err));
	ck_assert_msg(ret == 0, "rule_parse '%s': %d (%s)", text, ret, err);
	ret = ebpfnet_drop_add(fx->drop, &rule, &id);
	ck_assert_msg(ret == 0, "drop_add '%s': %s", text,
		      ebpfnet_strerror(ret));
	ck_assert_msg(id >= 1 && id <= CASE_MAX_RULES, "rule id %u", id);
	return id;
}

/* ---- counters ------------------------------------------------------------ */

/* Outcome counters of struct ebpfnet_drop_stats, as expectation bits. */
#define O_DROPPED (1u << 0)
#define O_PASSED (1u << 1)    /* a pass rule */
#define O_COUNTED (1u << 2)
#define O_UNMATCHED (1u << 3)
#define O_FRAGMENT (1u << 4)
#define O_MALFORMED (1u << 5)

struct snapshot {
	struct ebpfnet_drop_stats stats;
	struct ebpfnet_drop_counters rule[CASE_MAX_RULES + 1]; /* by id */
};

static int snap_rule(void *ctx, const struct ebpfnet_drop_rule *rule,
		     const struct ebpfnet_drop_counters *counters)
{
	struct snapshot *s = ctx;

	ck_assert_msg(rule->id >= 1 && rule->id <= CASE_MAX_RULES,
		      "listed rule id %u", rule->id);
	s->rule[rule->id] = *counters;
	return 0;
}

static void snap(struct fx *fx, struct snapshot *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->stats.sz = sizeof(s->stats);
	ret = ebpfnet_drop_stats(fx->drop, &s->stats);
	ck_assert_msg(ret == 0, "drop_stats: %s", ebpfnet_strerror(ret));
	ret = ebpfnet_drop_rules(fx->drop, snap_rule, s);
	ck_assert_msg(ret == 0, "drop_rules: %s", ebpfnet_strerror(ret));
}

static void expect_counter(const char *what, const char *label,
			   const struct ebpfnet_drop_counters *before,
			   const struct ebpfnet_drop_counters *after,
			   uint64_t packets, uint64_t bytes)
{
	uint64_t dp = after->packets - before->packets;
	uint64_t db = after->bytes - before->bytes;

	ck_assert_msg(dp == packets && db == bytes,
		      "%s: %s changed by %llu packets / %llu bytes, expected %llu / %llu",
		      label, what, (unsigned long long)dp, (unsigned long long)db,
		      (unsigned long long)packets, (unsigned long long)bytes);
}

/* What one packet of `len` bytes, run `repeat` times, must have changed:
 * the outcome counters named by `out`, and rule ids[i] by hits[i] (0/1). */
struct expect {
	uint32_t out;
	int nrules;
	const uint32_t *ids;
	const uint8_t *hits;
	uint64_t len;
	uint32_t repeat;
};

static void expect_deltas(const char *label, const struct snapshot *b,
			  const struct snapshot *a, const struct expect *e)
{
	static const struct {
		uint32_t bit;
		const char *name;
		size_t off;
	} outcome[] = {
		{ O_DROPPED, "dropped", offsetof(struct ebpfnet_drop_stats, dropped) },
		{ O_PASSED, "passed", offsetof(struct ebpfnet_drop_stats, passed) },
		{ O_COUNTED, "counted", offsetof(struct ebpfnet_drop_stats, counted) },
		{ O_UNMATCHED, "unmatched", offsetof(struct ebpfnet_drop_stats, unmatched) },
		{ O_FRAGMENT, "fragments", offsetof(struct ebpfnet_drop_stats, fragments) },
		{ O_MALFORMED, "malformed", offsetof(struct ebpfnet_drop_stats, malformed) },
	};
	uint64_t n = e->repeat;
	size_t i;

	for (i = 0; i < sizeof(outcome) / sizeof(outcome[0]); i++) {
		const void *bc = (const char *)&b->stats + outcome[i].off;
		const void *ac = (const char *)&a->stats + outcome[i].off;
		uint64_t want = (e->out & outcome[i].bit) ? n : 0;

		expect_counter(outcome[i].name, label, bc, ac, want, want * e->len);
	}
	for (i = 0; i < (size_t)e->nrules; i++) {
		uint32_t id = e->ids[i];
		uint64_t want = e->hits[i] ? n : 0;
		char what[48];

		snprintf(what, sizeof(what), "rule %zu (id %u)", i + 1, id);
		expect_counter(what, label, &b->rule[id], &a->rule[id], want,
			       want * e->len);
	}
}

static const char *verdict_name(uint32_t v)
{
	return v == XDP_DROP ? "XDP_DROP" : v == XDP_PASS ? "XDP_PASS" : "other";
}

/*
 * Run the packet (with META_LEN bytes of metadata in front when meta) and
 * check the verdict and every counter. With may_refuse, the kernel may
 * refuse the packet (-EINVAL: shorter than an Ethernet header); then the
 * program never ran and no counter may move. Returns whether it ran.
 */
static bool run_and_expect(struct fx *fx, const char *label, const void *pkt,
			   size_t len, bool meta, bool may_refuse,
			   const struct expect *e)
{
	static struct test_run_result r; /* 8 KiB: not on the stack */
	uint32_t want = (e->out & O_DROPPED) ? XDP_DROP : XDP_PASS;
	struct snapshot before, after;
	int ret;

	snap(fx, &before);
	ret = test_run_xdp_meta(fx->prog_fd, pkt, len, meta ? META_LEN : 0,
				e->repeat, &r);
	if (ret == -EINVAL && may_refuse) {
		const uint8_t none[MAX_CASE_RULES] = { 0 };
		struct expect nothing = *e;

		nothing.out = 0;
		nothing.hits = none;
		snap(fx, &after);
		expect_deltas(label, &before, &after, &nothing);
		return false;
	}
	ck_assert_msg(ret == 0, "%s: test_run: %s", label, strerror(-ret));
	ck_assert_msg(r.retval == want, "%s: verdict %s (%u), expected %s",
		      label, verdict_name(r.retval), r.retval,
		      verdict_name(want));
	snap(fx, &after);
	expect_deltas(label, &before, &after, e);
	return true;
}

/* ---- the table ------------------------------------------------------------ */

struct dp_case {
	const char *name;
	const char *rules[MAX_CASE_RULES]; /* as ebpfnet-drop add takes them */
	uint8_t hits[MAX_CASE_RULES];      /* packets each rule counts: 0/1 */
	enum ebpfnet_drop_frag_policy frag;
	enum ebpfnet_drop_malformed_policy malformed;
	struct pkt_spec pkt;
	bool patch;                        /* then pkt byte l3_off + patch_off */
	uint8_t patch_off, patch_val;      /* is set to patch_val */
	uint32_t out;                      /* O_*: the outcome counters moved */
};

/* Packet shorthands (fields no other shorthand sets) */
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define TCP(sp, dp) .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp)
#define ICMP4(t) .proto = IPPROTO_ICMP, .icmp_type = (t)
#define ICMP6(t) .proto = IPPROTO_ICMPV6, .icmp_type = (t)
#define PL16 .payload_len = 16 /* payload bytes 00 01 .. 0f */
#define QINQ .vlans = 2, .vid = { 100, 200 }
#define VLAN .vlans = 1, .vid = { 42 }
#define EXT(...) .ext_hdrs = { __VA_ARGS__ }, \
	.n_ext = sizeof((uint8_t[]){ __VA_ARGS__ })
#define FRAG6 PKTGEN_EXT_FRAGMENT
#define HOP PKTGEN_EXT_HOPOPTS
#define RT PKTGEN_EXT_ROUTING
#define DST PKTGEN_EXT_DSTOPTS
#define AH PKTGEN_EXT_AH

/* Fragment data that looks like a UDP header (5000 -> 53) and like an ICMP
 * echo request: rules on L4 fields must not read it as one. */
static const uint8_t fake_l4[16] = { 0x13, 0x88, 0x00, 0x35, 0x00, 0x10 };
static const uint8_t fake_icmp[16] = { 8, 0 };
#define LATER4(data) .frag_off = 100, .payload = (data), .payload_len = 16
#define LATER6(data) EXT(FRAG6), .frag_off = 100, .more_frags = true, \
	.payload = (data), .payload_len = 16

/* The packets most cases use: the standard UDP packets (below), and later
 * fragments of a UDP datagram. */
#define UDP4_STD .pkt = { .family = 4, UDP(5000, 53), PL16 }
#define UDP6_STD .pkt = { .family = 6, UDP(5000, 53), PL16 }
#define UDP4_LATER .pkt = { .family = 4, .proto = IPPROTO_UDP, LATER4(fake_l4) }
#define UDP6_LATER .pkt = { .family = 6, .proto = IPPROTO_UDP, LATER6(fake_l4) }
/* Byte l3_off + off of the packet set to val. */
#define PATCH(off, val) .patch = true, .patch_off = (off), .patch_val = (val)

/*
 * The standard UDP packets (PL16), their layout:
 *   IPv4: eth 14 + IP 20 + UDP 8 + 16 = 58 bytes; L3 44 bytes, L4 24
 *   IPv6: eth 14 + IP 40 + UDP 8 + 16 = 78 bytes; L3 64 bytes, L4 24
 * so a 4-byte signature ends exactly at the last byte at l4+20 (and at
 * l3+40 / l3+60): 0c0d0e0f; one byte further, its last byte lies past
 * the end (and would be 00 if the program read beyond).
 */
static const struct dp_case cases[] = {
	/* ICMP / ICMPv6 echo */
	{ "v4 echo request, echo-request rule",
	  { "proto icmp icmp-type echo-request" }, { 1 }, .pkt = { .family = 4, ICMP4(8) },
	  .out = O_DROPPED },
	{ "v4 echo reply, echo-request rule",
	  { "proto icmp icmp-type echo-request" }, { 0 }, .pkt = { .family = 4, ICMP4(0) },
	  .out = O_UNMATCHED },
	{ "v4 echo reply, echo-reply rule",
	  { "proto icmp icmp-type echo-reply" }, { 1 }, .pkt = { .family = 4, ICMP4(0) },
	  .out = O_DROPPED },
	{ "v4 echo request, proto icmp rule",
	  { "proto icmp" }, { 1 }, .pkt = { .family = 4, ICMP4(8) }, .out = O_DROPPED },
	{ "v4 echo request, icmpv6 echo-request rule",
	  { "proto icmpv6 icmp-type echo-request" }, { 0 },
	  .pkt = { .family = 4, ICMP4(8) }, .out = O_UNMATCHED },
	{ "v4 port unreachable, type+code rule",
	  { "proto icmp icmp-type dest-unreachable icmp-code 3" }, { 1 },
	  .pkt = { .family = 4, ICMP4(3), .icmp_code = 3 }, .out = O_DROPPED },
	{ "v4 host unreachable, type+code 3 rule",
	  { "proto icmp icmp-type dest-unreachable icmp-code 3" }, { 0 },
	  .pkt = { .family = 4, ICMP4(3), .icmp_code = 1 }, .out = O_UNMATCHED },
	{ "v6 echo request, echo-request rule",
	  { "proto icmpv6 icmp-type echo-request" }, { 1 },
	  .pkt = { .family = 6, ICMP6(128) }, .out = O_DROPPED },
	{ "v6 echo reply, echo-request rule",
	  { "proto icmpv6 icmp-type echo-request" }, { 0 },
	  .pkt = { .family = 6, ICMP6(129) }, .out = O_UNMATCHED },
	{ "v6 echo reply, echo-reply rule",
	  { "proto icmpv6 icmp-type echo-reply" }, { 1 },
	  .pkt = { .family = 6, ICMP6(129) }, .out = O_DROPPED },
	{ "v6 echo request, v4 icmp echo-request rule",
	  { "proto icmp icmp-type echo-request" }, { 0 },
	  .pkt = { .family = 6, ICMP6(128) }, .out = O_UNMATCHED },

	/* TCP / UDP ports */
	{ "v4 tcp dport 80, dst-port 80 rule",
	  { "proto tcp dst-port 80" }, { 1 }, .pkt = { .family = 4, TCP(40000, 80) },
	  .out = O_DROPPED },
	{ "v4 tcp dport 81, dst-port 80 rule",
	  { "proto tcp dst-port 80" }, { 0 }, .pkt = { .family = 4, TCP(40000, 81) },
	  .out = O_UNMATCHED },
	{ "v4 tcp sport 80, dst-port 80 rule",
	  { "proto tcp dst-port 80" }, { 0 }, .pkt = { .family = 4, TCP(80, 40000) },
	  .out = O_UNMATCHED },
	{ "v4 tcp sport 1234, src-port 1234 rule",
	  { "proto tcp src-port 1234" }, { 1 }, .pkt = { .family = 4, TCP(1234, 80) },
	  .out = O_DROPPED },
	{ "v4 udp dport 53, dst-port 53 rule",
	  { "proto udp dst-port 53" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 udp dport 54, dst-port 53 rule",
	  { "proto udp dst-port 53" }, { 0 }, .pkt = { .family = 4, UDP(5000, 54), PL16 },
	  .out = O_UNMATCHED },
	{ "v4 udp dport 53, tcp dst-port 53 rule",
	  { "proto tcp dst-port 53" }, { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "v4 udp 5000->53, src+dst port rule",
	  { "proto udp src-port 5000 dst-port 53" }, { 1 },
	  UDP4_STD, .out = O_DROPPED },
	{ "v4 udp 5001->53, src+dst port rule",
	  { "proto udp src-port 5000 dst-port 53" }, { 0 },
	  .pkt = { .family = 4, UDP(5001, 53), PL16 }, .out = O_UNMATCHED },
	{ "v6 tcp dport 443, dst-port 443 rule",
	  { "proto tcp dst-port 443" }, { 1 }, .pkt = { .family = 6, TCP(40000, 443) },
	  .out = O_DROPPED },
	{ "v6 udp dport 53, ipv4-only dst-port 53 rule",
	  { "family ipv4 proto udp dst-port 53" }, { 0 },
	  UDP6_STD, .out = O_UNMATCHED },
	{ "v6 udp dport 53, ipv6 dst-port 53 rule",
	  { "family ipv6 proto udp dst-port 53" }, { 1 }, UDP6_STD, .out = O_DROPPED },

	/* IPv4 prefixes */
	{ "v4 src 10.1.2.3, src 10/8 rule",
	  { "src 10.0.0.0/8" }, { 1 },
	  .pkt = { .family = 4, .src = "10.1.2.3", UDP(5000, 53) }, .out = O_DROPPED },
	{ "v4 src 11.1.2.3, src 10/8 rule",
	  { "src 10.0.0.0/8" }, { 0 },
	  .pkt = { .family = 4, .src = "11.1.2.3", UDP(5000, 53) }, .out = O_UNMATCHED },
	{ "v4 dst 192.0.2.77, dst 192.0.2/24 rule",
	  { "dst 192.0.2.0/24" }, { 1 },
	  .pkt = { .family = 4, .dst = "192.0.2.77", UDP(5000, 53) }, .out = O_DROPPED },
	{ "v4 src 192.0.2.77, dst 192.0.2/24 rule",
	  { "dst 192.0.2.0/24" }, { 0 },
	  .pkt = { .family = 4, .src = "192.0.2.77", UDP(5000, 53) }, .out = O_UNMATCHED },
	{ "v4 src 10.0.0.1, src /32 rule",
	  { "src 10.0.0.1/32" }, { 1 }, .pkt = { .family = 4, UDP(5000, 53) },
	  .out = O_DROPPED },
	{ "v4 src 10.0.0.2, src 10.0.0.1/32 rule",
	  { "src 10.0.0.1/32" }, { 0 },
	  .pkt = { .family = 4, .src = "10.0.0.2", UDP(5000, 53) }, .out = O_UNMATCHED },
	{ "v4 any src, src 0/0 rule",
	  { "src 0.0.0.0/0" }, { 1 },
	  .pkt = { .family = 4, .src = "203.0.113.9", TCP(1, 2) }, .out = O_DROPPED },
	{ "v6 packet, v4 src 0/0 rule",
	  { "src 0.0.0.0/0" }, { 0 }, .pkt = { .family = 6, TCP(1, 2) },
	  .out = O_UNMATCHED },
	{ "v4 src 10.1.2.3: drop 10/8, pass 10.1.2/24 inside",
	  { "src 10.0.0.0/8", "action pass src 10.1.2.0/24" }, { 1, 1 },
	  .pkt = { .family = 4, .src = "10.1.2.3", UDP(5000, 53) }, .out = O_PASSED },
	{ "v4 src 10.9.9.9: drop 10/8, pass 10.1.2/24 inside",
	  { "src 10.0.0.0/8", "action pass src 10.1.2.0/24" }, { 1, 0 },
	  .pkt = { .family = 4, .src = "10.9.9.9", UDP(5000, 53) }, .out = O_DROPPED },
	{ "v4 src 10.1.2.3: drop /8, pass /24, count /32",
	  { "src 10.0.0.0/8", "action pass src 10.1.2.0/24",
	    "action count src 10.1.2.3/32" }, { 1, 1, 1 },
	  .pkt = { .family = 4, .src = "10.1.2.3", UDP(5000, 53) }, .out = O_PASSED },
	{ "v4 src+dst prefix rule, both match",
	  { "src 10.0.0.0/8 dst 192.0.2.0/24" }, { 1 },
	  .pkt = { .family = 4, .dst = "192.0.2.1", UDP(5000, 53) }, .out = O_DROPPED },
	{ "v4 src+dst prefix rule, dst outside",
	  { "src 10.0.0.0/8 dst 192.0.2.0/24" }, { 0 },
	  .pkt = { .family = 4, .dst = "192.0.3.1", UDP(5000, 53) }, .out = O_UNMATCHED },

	/* IPv6 prefixes */
	{ "v6 src fd00::1, src fd00::/16 rule",
	  { "src fd00::/16" }, { 1 }, .pkt = { .family = 6, UDP(5000, 53) },
	  .out = O_DROPPED },
	{ "v6 src fd00::1, src 2001:db8::/32 rule",
	  { "src 2001:db8::/32" }, { 0 }, .pkt = { .family = 6, UDP(5000, 53) },
	  .out = O_UNMATCHED },
	{ "v6 any dst, dst ::/0 rule",
	  { "dst ::/0" }, { 1 },
	  .pkt = { .family = 6, .dst = "2001:db8:1::99", TCP(1, 2) }, .out = O_DROPPED },
	{ "v4 packet, v6 dst ::/0 rule",
	  { "dst ::/0" }, { 0 }, .pkt = { .family = 4, TCP(1, 2) }, .out = O_UNMATCHED },
	{ "v6 src fd00::1, src fd00::1/128 rule",
	  { "src fd00::1/128" }, { 1 }, .pkt = { .family = 6, UDP(5000, 53) },
	  .out = O_DROPPED },
	{ "v6 src fd00::2, src fd00::1/128 rule",
	  { "src fd00::1/128" }, { 0 },
	  .pkt = { .family = 6, .src = "fd00::2", UDP(5000, 53) }, .out = O_UNMATCHED },
	{ "v6 src fd00:1::5: drop fd00::/16, pass fd00:1::/32 inside",
	  { "src fd00::/16", "action pass src fd00:1::/32" }, { 1, 1 },
	  .pkt = { .family = 6, .src = "fd00:1::5", UDP(5000, 53) }, .out = O_PASSED },
	{ "v6 src fd00:2::5: drop fd00::/16, pass fd00:1::/32 inside",
	  { "src fd00::/16", "action pass src fd00:1::/32" }, { 1, 0 },
	  .pkt = { .family = 6, .src = "fd00:2::5", UDP(5000, 53) }, .out = O_DROPPED },

	/* VLAN and QinQ */
	{ "vlan v4 echo request",
	  { "proto icmp icmp-type echo-request" }, { 1 },
	  .pkt = { VLAN, .family = 4, ICMP4(8) }, .out = O_DROPPED },
	{ "qinq v4 echo request",
	  { "proto icmp icmp-type echo-request" }, { 1 },
	  .pkt = { QINQ, .family = 4, ICMP4(8) }, .out = O_DROPPED },
	{ "qinq v4 tcp dport 80",
	  { "proto tcp dst-port 80" }, { 1 },
	  .pkt = { QINQ, .family = 4, TCP(40000, 80) }, .out = O_DROPPED },
	{ "vlan v6 udp dport 53",
	  { "proto udp dst-port 53" }, { 1 },
	  .pkt = { VLAN, .family = 6, UDP(5000, 53), PL16 }, .out = O_DROPPED },
	{ "qinq v6 echo request",
	  { "proto icmpv6 icmp-type echo-request" }, { 1 },
	  .pkt = { QINQ, .family = 6, ICMP6(128) }, .out = O_DROPPED },
	{ "qinq v6 src prefix",
	  { "src fd00::/64" }, { 1 },
	  .pkt = { QINQ, .family = 6, TCP(1, 2) }, .out = O_DROPPED },
	{ "vlan v4 l4 signature (base after the tag)",
	  { "sig l4+20:0c0d0e0f" }, { 1 },
	  .pkt = { VLAN, .family = 4, UDP(5000, 53), PL16 }, .out = O_DROPPED },
	{ "qinq v4 udp dport 54, dst-port 53 rule",
	  { "proto udp dst-port 53" }, { 0 },
	  .pkt = { QINQ, .family = 4, UDP(5000, 54), PL16 }, .out = O_UNMATCHED },
	{ "ARP frame: not IP, uncounted",
	  { "src 0.0.0.0/0" }, { 0 },
	  .pkt = { .ethertype = 0x0806, .payload_len = 28 }, .out = 0 },

	/* IPv4 options */
	{ "v4 40 bytes of options, tcp dport 80",
	  { "proto tcp dst-port 80" }, { 1 },
	  .pkt = { .family = 4, .ip_opts_len = 40, TCP(40000, 80) }, .out = O_DROPPED },
	{ "v4 4 bytes of options, udp dport 53",
	  { "proto udp dst-port 53" }, { 1 },
	  .pkt = { .family = 4, .ip_opts_len = 4, UDP(5000, 53), PL16 }, .out = O_DROPPED },
	{ "v4 options, l4 signature on dport",
	  { "sig l4+2:0050" }, { 1 },
	  .pkt = { .family = 4, .ip_opts_len = 12, TCP(40000, 80) }, .out = O_DROPPED },
	{ "v4 options, l3 signature on the first option (NOP)",
	  { "sig l3+20:01" }, { 1 },
	  .pkt = { .family = 4, .ip_opts_len = 8, TCP(40000, 80) }, .out = O_DROPPED },
	{ "v4 options, echo request",
	  { "proto icmp icmp-type echo-request" }, { 1 },
	  .pkt = { .family = 4, .ip_opts_len = 20, ICMP4(8) }, .out = O_DROPPED },

	/* IPv6 extension headers */
	{ "v6 hop-by-hop, tcp dport 80",
	  { "proto tcp dst-port 80" }, { 1 },
	  .pkt = { .family = 6, EXT(HOP), TCP(40000, 80) }, .out = O_DROPPED },
	{ "v6 hop-by-hop + routing + dstopts, tcp dport 80",
	  { "proto tcp dst-port 80" }, { 1 },
	  .pkt = { .family = 6, EXT(HOP, RT, DST), TCP(40000, 80) }, .out = O_DROPPED },
	{ "v6 dstopts, echo request",
	  { "proto icmpv6 icmp-type echo-request" }, { 1 },
	  .pkt = { .family = 6, EXT(DST), ICMP6(128) }, .out = O_DROPPED },
	{ "v6 8 extension headers (the most walked), tcp dport 80",
	  { "proto tcp dst-port 80" }, { 1 },
	  .pkt = { .family = 6, EXT(HOP, DST, DST, DST, DST, DST, DST, DST),
		   TCP(40000, 80) }, .out = O_DROPPED },
	{ "v6 9 extension headers: malformed, passed",
	  { "proto tcp dst-port 80" }, { 0 },
	  .pkt = { .family = 6, EXT(HOP, DST, DST, DST, DST, DST, DST, DST, DST),
		   TCP(40000, 80) }, .out = O_MALFORMED },
	{ "v6 9 extension headers: malformed, dropped under malformed drop",
	  { "proto tcp dst-port 80" }, { 0 }, .malformed = EBPFNET_DROP_MALFORMED_DROP,
	  .pkt = { .family = 6, EXT(HOP, DST, DST, DST, DST, DST, DST, DST, DST),
		   TCP(40000, 80) }, .out = O_MALFORMED | O_DROPPED },
	{ "v6 AH, udp dport 53",
	  { "proto udp dst-port 53" }, { 1 },
	  .pkt = { .family = 6, EXT(AH), UDP(5000, 53), PL16 }, .out = O_DROPPED },
	{ "v6 24-byte hop-by-hop, udp dport 53",
	  { "proto udp dst-port 53" }, { 1 },
	  .pkt = { .family = 6, EXT(HOP), .ext_len = { 2 }, UDP(5000, 53), PL16 },
	  .out = O_DROPPED },
	{ "v6 routing + dstopts, l4 signature on sport",
	  { "sig l4+0:1388" }, { 1 },
	  .pkt = { .family = 6, EXT(RT, DST), UDP(5000, 53), PL16 }, .out = O_DROPPED },
	{ "v6 hop-by-hop, l3 signature on its next header (tcp)",
	  { "sig l3+40:06" }, { 1 },
	  .pkt = { .family = 6, EXT(HOP), TCP(40000, 80) }, .out = O_DROPPED },

	/* fragments: first fragments carry L4 */
	{ "v4 first fragment, dst-port 53 rule",
	  { "proto udp dst-port 53" }, { 1 },
	  .pkt = { .family = 4, .more_frags = true, UDP(5000, 53), PL16 },
	  .out = O_DROPPED },
	{ "v6 first fragment, dst-port 80 rule",
	  { "proto tcp dst-port 80" }, { 1 },
	  .pkt = { .family = 6, EXT(FRAG6), .more_frags = true, TCP(40000, 80) },
	  .out = O_DROPPED },
	{ "v4 first fragment under frag drop: rules only",
	  { "proto udp dst-port 54" }, { 0 }, .frag = EBPFNET_DROP_FRAG_DROP,
	  .pkt = { .family = 4, .more_frags = true, UDP(5000, 53), PL16 },
	  .out = O_UNMATCHED },
	/* non-first fragments: inspect */
	{ "v4 later fragment, port rule: no match (inspect)",
	  { "proto udp dst-port 53" }, { 0 }, UDP4_LATER,
	  .out = O_FRAGMENT | O_UNMATCHED },
	{ "v4 later fragment, prefix rule matches (inspect)",
	  { "src 10.0.0.0/8" }, { 1 }, UDP4_LATER, .out = O_FRAGMENT | O_DROPPED },
	{ "v4 later fragment, proto rule matches (inspect)",
	  { "proto udp" }, { 1 }, UDP4_LATER, .out = O_FRAGMENT | O_DROPPED },
	{ "v4 later fragment, l4 signature: no match (inspect)",
	  { "sig l4+2:0035" }, { 0 }, UDP4_LATER, .out = O_FRAGMENT | O_UNMATCHED },
	{ "v4 later fragment, l3 signature matches (inspect)",
	  { "sig l3+9:11" }, { 1 }, UDP4_LATER, .out = O_FRAGMENT | O_DROPPED },
	{ "v4 later fragment, icmp-type rule: no match (inspect)",
	  { "proto icmp icmp-type echo-request" }, { 0 },
	  .pkt = { .family = 4, .proto = IPPROTO_ICMP, LATER4(fake_icmp) },
	  .out = O_FRAGMENT | O_UNMATCHED },
	{ "v6 later fragment, port rule: no match (inspect)",
	  { "proto udp dst-port 53" }, { 0 }, UDP6_LATER,
	  .out = O_FRAGMENT | O_UNMATCHED },
	{ "v6 later fragment, prefix rule matches (inspect)",
	  { "src fd00::/16" }, { 1 }, UDP6_LATER, .out = O_FRAGMENT | O_DROPPED },
	/* non-first fragments: drop */
	{ "v4 later fragment, port rule (frag drop)",
	  { "proto udp dst-port 53" }, { 0 }, .frag = EBPFNET_DROP_FRAG_DROP,
	  UDP4_LATER, .out = O_FRAGMENT | O_DROPPED },
	{ "v4 later fragment, no rule (frag drop)",
	  { NULL }, { 0 }, .frag = EBPFNET_DROP_FRAG_DROP, UDP4_LATER,
	  .out = O_FRAGMENT | O_DROPPED },
	{ "v4 later fragment, pass rule does not apply (frag drop)",
	  { "action pass src 10.0.0.0/8" }, { 0 }, .frag = EBPFNET_DROP_FRAG_DROP,
	  UDP4_LATER, .out = O_FRAGMENT | O_DROPPED },
	{ "v6 later fragment, port rule (frag drop)",
	  { "proto udp dst-port 53" }, { 0 }, .frag = EBPFNET_DROP_FRAG_DROP,
	  UDP6_LATER, .out = O_FRAGMENT | O_DROPPED },
	/* non-first fragments: pass */
	{ "v4 later fragment, prefix rule (frag pass)",
	  { "src 10.0.0.0/8" }, { 0 }, .frag = EBPFNET_DROP_FRAG_PASS, UDP4_LATER,
	  .out = O_FRAGMENT | O_UNMATCHED },
	{ "v4 later fragment, port rule (frag pass)",
	  { "proto udp dst-port 53" }, { 0 }, .frag = EBPFNET_DROP_FRAG_PASS,
	  UDP4_LATER, .out = O_FRAGMENT | O_UNMATCHED },
	{ "v6 later fragment, prefix rule (frag pass)",
	  { "src fd00::/16" }, { 0 }, .frag = EBPFNET_DROP_FRAG_PASS, UDP6_LATER,
	  .out = O_FRAGMENT | O_UNMATCHED },
	{ "v6 first fragment, port rule (frag pass)",
	  { "proto tcp dst-port 80" }, { 1 }, .frag = EBPFNET_DROP_FRAG_PASS,
	  .pkt = { .family = 6, EXT(FRAG6), .more_frags = true, TCP(40000, 80) },
	  .out = O_DROPPED },

	/* signatures */
	{ "v4 l3 signature at offset 0",
	  { "sig l3+0:45" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l3 signature at offset 0, masked (version only)",
	  { "sig l3+0:40/f0" }, { 1 },
	  .pkt = { .family = 4, .ip_opts_len = 4, UDP(5000, 53), PL16 }, .out = O_DROPPED },
	{ "v6 l3 signature at offset 0, masked (version only)",
	  { "sig l3+0:60/f0" }, { 1 }, UDP6_STD, .out = O_DROPPED },
	{ "v4 l3 signature in the middle (source address)",
	  { "sig l3+12:0a000001" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l3 signature in the middle, other source",
	  { "sig l3+12:0a000001" }, { 0 },
	  .pkt = { .family = 4, .src = "10.0.0.9", UDP(5000, 53), PL16 },
	  .out = O_UNMATCHED },
	{ "v4 l3 signature ending at the last byte",
	  { "sig l3+40:0c0d0e0f" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l3 signature one byte past the end",
	  { "sig l3+41:0d0e0f00" }, { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "v4 l3 signature past the end, all masked out",
	  { "sig l3+41:0d0e0f00/ffffff00" }, { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "v6 l3 signature ending at the last byte",
	  { "sig l3+60:0c0d0e0f" }, { 1 }, UDP6_STD, .out = O_DROPPED },
	{ "v6 l3 signature one byte past the end",
	  { "sig l3+61:0d0e0f00" }, { 0 }, UDP6_STD, .out = O_UNMATCHED },
	{ "v4 l4 signature at offset 0 (sport 5000)",
	  { "sig l4+0:1388" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l4 signature in the middle (payload start)",
	  { "sig l4+8:00010203" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l4 signature ending at the last byte",
	  { "sig l4+20:0c0d0e0f" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l4 signature one byte past the end",
	  { "sig l4+21:0d0e0f00" }, { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "v4 l4 signature, mask matches (high nibble 0)",
	  { "sig l4+13:00/f0" }, { 1 }, UDP4_STD, .out = O_DROPPED },
	{ "v4 l4 signature, mask does not match",
	  { "sig l4+13:10/f0" }, { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "v4 l4 signature of 16 bytes, the whole payload",
	  { "sig l4+8:000102030405060708090a0b0c0d0e0f" }, { 1 },
	  UDP4_STD, .out = O_DROPPED },
	{ "v4 l4 signature of 16 bytes, masked, one off",
	  { "sig l4+8:000102030405060708090a0b0c0d0e0e/ffffffffffffffffffffffffffffffff" },
	  { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "v6 l4 signature ending at the last byte",
	  { "sig l4+20:0c0d0e0f" }, { 1 }, UDP6_STD, .out = O_DROPPED },
	{ "v6 l4 signature one byte past the end",
	  { "sig l4+21:0d0e0f00" }, { 0 }, UDP6_STD, .out = O_UNMATCHED },
	{ "signature with a tcp proto field, on udp",
	  { "proto tcp sig l4+8:00010203" }, { 0 }, UDP4_STD, .out = O_UNMATCHED },
	{ "signature with a src prefix and dst-port",
	  { "src 10.0.0.0/24 proto udp dst-port 53 sig l4+8:0001" }, { 1 },
	  UDP4_STD, .out = O_DROPPED },

	/* pass beats drop; count counts and passes; every match counted */
	{ "pass port rule beats drop proto rule",
	  { "proto udp", "action pass proto udp dst-port 53" }, { 1, 1 },
	  UDP4_STD, .out = O_PASSED },
	{ "pass signature rule beats drop proto rule",
	  { "proto udp", "action pass sig l4+8:00010203" }, { 1, 1 },
	  UDP4_STD, .out = O_PASSED },
	{ "pass prefix rule beats drop signature rule",
	  { "sig l3+0:45", "action pass src 10.0.0.1" }, { 1, 1 },
	  UDP4_STD, .out = O_PASSED },
	{ "pass rule not matching: drop holds",
	  { "proto udp", "action pass proto udp dst-port 54" }, { 1, 0 },
	  UDP4_STD, .out = O_DROPPED },
	{ "count rule counts and passes",
	  { "action count proto udp" }, { 1 }, UDP4_STD, .out = O_COUNTED },
	{ "count + drop: dropped, both counted",
	  { "action count proto udp", "dst-port 53 proto udp" }, { 1, 1 },
	  UDP6_STD, .out = O_DROPPED },
	{ "count + pass: passed, both counted",
	  { "action count src 10.0.0.0/8", "action pass proto udp" }, { 1, 1 },
	  UDP4_STD, .out = O_PASSED },
	{ "four drop rules of four kinds match: each counted",
	  { "proto udp", "proto udp dst-port 53", "src 10.0.0.0/8", "sig l3+0:45" },
	  { 1, 1, 1, 1 }, UDP4_STD, .out = O_DROPPED },
	{ "four rules, two match",
	  { "proto tcp", "proto udp dst-port 53", "src 11.0.0.0/8", "sig l4+0:1388" },
	  { 0, 1, 0, 1 }, UDP4_STD, .out = O_DROPPED },

	/* headers that do not add up */
	{ "v4 IHL 4: malformed, passed",
	  { "proto udp" }, { 0 }, UDP4_STD, PATCH(0, 0x44), .out = O_MALFORMED },
	{ "v4 IHL 4: malformed, dropped under malformed drop",
	  { "proto udp" }, { 0 }, .malformed = EBPFNET_DROP_MALFORMED_DROP, UDP4_STD,
	  PATCH(0, 0x44), .out = O_MALFORMED | O_DROPPED },
	{ "version 6 in an IPv4 frame: malformed",
	  { "proto udp" }, { 0 }, UDP4_STD, PATCH(0, 0x65), .out = O_MALFORMED },
	{ "v4 total length below IHL: malformed",
	  { "proto udp" }, { 0 }, UDP4_STD, PATCH(3, 19), .out = O_MALFORMED },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static int case_nrules(const struct dp_case *c)
{
	int n = 0;

	while (n < MAX_CASE_RULES && c->rules[n])
		n++;
	return n;
}

/* Policies the case needs: set through the public API. */
static void set_policies(struct fx *fx, enum ebpfnet_drop_frag_policy frag,
			 enum ebpfnet_drop_malformed_policy malformed)
{
	int ret;

	ret = ebpfnet_drop_set_frag_policy(fx->drop, frag);
	ck_assert_msg(ret == 0, "set_frag_policy: %s", ebpfnet_strerror(ret));
	ret = ebpfnet_drop_set_malformed_policy(fx->drop, malformed);
	ck_assert_msg(ret == 0, "set_malformed_policy: %s", ebpfnet_strerror(ret));
}

static int build(const struct pkt_spec *spec, uint8_t *buf,
		 struct pkt_layout *l)
{
	int len = pktgen_build(spec, buf, PKTGEN_MAX_LEN, l);

	ck_assert_msg(len > 0, "pktgen_build: %d", len);
	return len;
}

START_TEST(test_case_table)
{
	const struct dp_case *c = &cases[_i];
	static uint8_t buf[PKTGEN_MAX_LEN];
	uint32_t ids[MAX_CASE_RULES];
	int nrules = case_nrules(c), i, len;
	struct pkt_layout l;
	struct fx fx;
	char name[32], label[160];

	snprintf(name, sizeof(name), "case-%d", _i);
	snprintf(label, sizeof(label), "case %d '%s'", _i, c->name);
	fx_open(&fx, name, NULL);
	set_policies(&fx, c->frag, c->malformed);
	for (i = 0; i < nrules; i++)
		ids[i] = add_rule(&fx, c->rules[i]);

	len = build(&c->pkt, buf, &l);
	if (c->patch)
		buf[l.l3_off + c->patch_off] = c->patch_val;

	struct expect e = { .out = c->out, .nrules = nrules, .ids = ids,
			    .hits = c->hits, .len = (uint64_t)len, .repeat = 1 };
	run_and_expect(&fx, label, buf, (size_t)len, false, false, &e);
	/* the same packet again: counters add up, the verdict holds */
	e.repeat = 3;
	run_and_expect(&fx, label, buf, (size_t)len, false, false, &e);
	fx_close(&fx);
}
END_TEST

/* ---- deleting rules ------------------------------------------------------ */

START_TEST(test_delete_takes_effect)
{
	static uint8_t buf[PKTGEN_MAX_LEN];
	struct pkt_spec spec = { .family = 4, .src = "10.1.2.3", UDP(5000, 53), PL16 };
	uint32_t ids[3];
	const uint8_t none[3] = { 0 }, all[3] = { 1, 1, 1 }, no_pass[3] = { 1, 0, 1 };
	struct pkt_layout l;
	struct fx fx;
	int len, ret;

	fx_open(&fx, "delete", NULL);
	len = build(&spec, buf, &l);
	ids[0] = add_rule(&fx, "src 10.0.0.0/8");
	ids[1] = add_rule(&fx, "action pass src 10.1.2.0/24");
	ids[2] = add_rule(&fx, "proto udp dst-port 53");

	struct expect e = { .out = O_PASSED, .nrules = 3, .ids = ids,
			    .hits = all, .len = (uint64_t)len, .repeat = 1 };
	run_and_expect(&fx, "all three rules", buf, (size_t)len, false, false, &e);

	/* the pass exception inside the /8 goes: the drops hold */
	ret = ebpfnet_drop_del(fx.drop, ids[1]);
	ck_assert_msg(ret == 0, "del pass rule: %s", ebpfnet_strerror(ret));
	e.out = O_DROPPED;
	e.hits = no_pass;
	run_and_expect(&fx, "pass rule deleted", buf, (size_t)len, false, false, &e);

	ret = ebpfnet_drop_del(fx.drop, ids[0]);
	ck_assert_msg(ret == 0, "del /8 rule: %s", ebpfnet_strerror(ret));
	ret = ebpfnet_drop_del(fx.drop, ids[2]);
	ck_assert_msg(ret == 0, "del port rule: %s", ebpfnet_strerror(ret));
	e.out = O_UNMATCHED;
	e.nrules = 0;
	e.hits = none;
	run_and_expect(&fx, "every rule deleted", buf, (size_t)len, false, false, &e);

	struct snapshot s;

	snap(&fx, &s);
	ck_assert_uint_eq(s.stats.rules, 0);
	ck_assert_int_eq(ebpfnet_drop_del(fx.drop, ids[0]), -ENOENT);

	/* a rule added again works again */
	ids[0] = add_rule(&fx, "proto udp dst-port 53");
	e.out = O_DROPPED;
	e.nrules = 1;
	e.hits = all;
	run_and_expect(&fx, "rule added again", buf, (size_t)len, false, false, &e);
	fx_close(&fx);
}
END_TEST

/* ---- truncated packets ----------------------------------------------------- */

/*
 * A packet of TRUNC_MAX bytes (an IP datagram plus Ethernet padding) that
 * `rule` drops, cut at every length 0..TRUNC_MAX: a cut inside the
 * datagram is malformed (its IP length runs past the end), one in the
 * padding leaves the datagram whole, and it is dropped. Lengths under the
 * Ethernet header are tried with metadata in front; a kernel that still
 * refuses them (6.18 does: the frame itself must hold 14 bytes) never
 * runs the program, and then no counter may move.
 */
static void check_truncations(const char *name, const struct pkt_spec *spec,
			      const char *rule,
			      enum ebpfnet_drop_malformed_policy policy)
{
	static uint8_t buf[PKTGEN_MAX_LEN];
	const uint8_t hit = 1, miss = 0;
	struct pkt_layout l;
	struct fx fx;
	uint32_t id;
	int len, n, whole, refused = 0;
	char label[128];

	fx_open(&fx, name, NULL);
	set_policies(&fx, EBPFNET_DROP_FRAG_INSPECT, policy);
	id = add_rule(&fx, rule);
	len = build(spec, buf, &l);
	ck_assert_int_eq(len, TRUNC_MAX);
	whole = l.l3_off + l.l3_len;

	for (n = 0; n <= TRUNC_MAX; n++) {
		struct expect e = { .nrules = 1, .ids = &id, .len = (uint64_t)n,
				    .repeat = 1 };

		if (n >= whole) {
			e.out = O_DROPPED;
			e.hits = &hit;
		} else {
			e.out = O_MALFORMED;
			if (policy == EBPFNET_DROP_MALFORMED_DROP)
				e.out |= O_DROPPED;
			e.hits = &miss;
		}
		snprintf(label, sizeof(label), "%s cut to %d of %d bytes", name,
			 n, len);
		if (!run_and_expect(&fx, label, buf, (size_t)n, true,
				    n < ETH_HLEN, &e))
			refused++;
	}
	fx_close(&fx);
	if (refused)
		fprintf(stderr, "%s: the kernel refused the %d lengths under %d bytes "
			"(BPF_PROG_TEST_RUN needs an Ethernet header)\n",
			name, refused, ETH_HLEN);
}

/* IPv4 TCP: 14 + 20 + 20 + 12 = 66 bytes of datagram, 14 of padding */
static const struct pkt_spec trunc_tcp4 = {
	.family = 4, TCP(40000, 80), .payload_len = 12, .trailer_len = 14,
};
/* IPv6 UDP: 14 + 40 + 8 + 10 = 72 bytes of datagram, 8 of padding */
static const struct pkt_spec trunc_udp6 = {
	.family = 6, UDP(5000, 53), .payload_len = 10, .trailer_len = 8,
};

static const struct {
	const char *name;
	const struct pkt_spec *spec;
	const char *rule;
	enum ebpfnet_drop_malformed_policy policy;
} truncations[] = {
	{ "trunc-tcp4-pass", &trunc_tcp4, "proto tcp dst-port 80",
	  EBPFNET_DROP_MALFORMED_PASS },
	{ "trunc-tcp4-drop", &trunc_tcp4, "proto tcp dst-port 80",
	  EBPFNET_DROP_MALFORMED_DROP },
	{ "trunc-udp6-pass", &trunc_udp6, "proto udp dst-port 53",
	  EBPFNET_DROP_MALFORMED_PASS },
	{ "trunc-udp6-drop", &trunc_udp6, "proto udp dst-port 53",
	  EBPFNET_DROP_MALFORMED_DROP },
};

START_TEST(test_truncated)
{
	check_truncations(truncations[_i].name, truncations[_i].spec,
			  truncations[_i].rule, truncations[_i].policy);
}
END_TEST

/*
 * A whole IP datagram whose L4 part is shorter than its header (the IP
 * length says so honestly): malformed for every length under the header,
 * matched from the full header on. The L4 bytes are 00 01 02 03 ..., so
 * the destination port reads 0x0203 = 515.
 */
static void check_short_l4(const char *name, int family, uint8_t proto,
			   int hdr_len, const char *rule)
{
	static uint8_t buf[PKTGEN_MAX_LEN];
	const uint8_t hit = 1, miss = 0;
	struct fx fx;
	uint32_t id;
	int k, len;
	char label[128];

	fx_open(&fx, name, NULL);
	id = add_rule(&fx, rule);
	for (k = 0; k <= hdr_len; k++) {
		struct pkt_spec spec = { .family = family, .proto = proto,
					 .raw_l4 = true, .payload_len = (size_t)k };
		struct pkt_layout l;
		struct expect e = { .nrules = 1, .ids = &id, .repeat = 1 };

		len = build(&spec, buf, &l);
		e.len = (uint64_t)len;
		e.out = k < hdr_len ? O_MALFORMED : O_DROPPED;
		e.hits = k < hdr_len ? &miss : &hit;
		snprintf(label, sizeof(label), "%s: %d of %d L4 header bytes",
			 name, k, hdr_len);
		run_and_expect(&fx, label, buf, (size_t)len, false, false, &e);
	}
	fx_close(&fx);
}

static const struct {
	const char *name;
	int family;
	uint8_t proto;
	int hdr_len;
	const char *rule;
} short_l4s[] = {
	{ "short-tcp4", 4, IPPROTO_TCP, 20, "proto tcp dst-port 515" },
	{ "short-udp6", 6, IPPROTO_UDP, 8, "proto udp dst-port 515" },
};

START_TEST(test_short_l4)
{
	check_short_l4(short_l4s[_i].name, short_l4s[_i].family,
		       short_l4s[_i].proto, short_l4s[_i].hdr_len,
		       short_l4s[_i].rule);
}
END_TEST

/* ---- sampled drop events ---------------------------------------------------- */

struct seen_events {
	int count;
	struct ebpfnet_drop_event first;
	uint8_t data[EBPFNET_DROP_EVENT_BYTES];
};

static int on_event(void *ctx, const struct ebpfnet_drop_event *ev)
{
	struct seen_events *seen = ctx;

	if (seen->count++ == 0) {
		seen->first = *ev;
		memcpy(seen->data, ev->data,
		       ev->cap_len < sizeof(seen->data) ? ev->cap_len
							: sizeof(seen->data));
		seen->first.data = seen->data;
	}
	return 0;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Open a filter with an event callback and one drop rule for UDP/53. */
static uint32_t open_with_events(struct fx *fx, const char *name,
				 struct seen_events *seen, uint32_t rate)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, opts, .on_event = on_event, .ctx = seen);
	int ret;

	fx_open(fx, name, &opts);
	ret = ebpfnet_drop_set_event_rate(fx->drop, rate);
	ck_assert_msg(ret == 0, "set_event_rate: %s", ebpfnet_strerror(ret));
	return add_rule(fx, "proto udp dst-port 53");
}

START_TEST(test_event_of_a_drop)
{
	static uint8_t buf[PKTGEN_MAX_LEN];
	/* longer than an event holds: the first 128 bytes come */
	struct pkt_spec spec = { .family = 4, UDP(5000, 53), .payload_len = 200 };
	struct seen_events seen = { 0 };
	struct snapshot before, after;
	const uint8_t hit = 1;
	struct pkt_layout l;
	struct fx fx;
	uint32_t id;
	uint64_t t0;
	int len, ret;

	id = open_with_events(&fx, "event", &seen, 100);
	len = build(&spec, buf, &l);
	struct expect e = { .out = O_DROPPED, .nrules = 1, .ids = &id,
			    .hits = &hit, .len = (uint64_t)len, .repeat = 1 };
	t0 = wall_ns();
	snap(&fx, &before);
	run_and_expect(&fx, "event packet", buf, (size_t)len, false, false, &e);
	snap(&fx, &after);
	ck_assert_uint_eq(after.stats.events_sent - before.stats.events_sent, 1);
	ck_assert_uint_eq(after.stats.events_suppressed -
			  before.stats.events_suppressed, 0);

	ret = ebpfnet_drop_consume(fx.drop);
	ck_assert_msg(ret >= 0, "drop_consume: %s", ebpfnet_strerror(ret));
	ck_assert_int_eq(seen.count, 1);
	ck_assert_uint_eq(seen.first.rule_id, id);
	ck_assert_uint_eq(seen.first.reason, EBPFNET_DROP_REASON_RULE);
	/* a test run's packet arrives on the loopback device */
	ck_assert_uint_eq(seen.first.ifindex, if_nametoindex("lo"));
	ck_assert_uint_eq(seen.first.pkt_len, (uint32_t)len);
	ck_assert_uint_eq(seen.first.cap_len, EBPFNET_DROP_EVENT_BYTES);
	ck_assert_msg(memcmp(seen.data, buf, EBPFNET_DROP_EVENT_BYTES) == 0,
		      "the event's bytes differ from the packet's");
	ck_assert_msg(seen.first.time_ns + 5000000000ull >= t0 &&
		      seen.first.time_ns <= wall_ns() + 5000000000ull,
		      "event time %llu is not near now %llu",
		      (unsigned long long)seen.first.time_ns,
		      (unsigned long long)t0);

	/* a passed packet sends nothing */
	spec.dport = 54;
	len = build(&spec, buf, &l);
	e.out = O_UNMATCHED;
	e.hits = (const uint8_t[]){ 0 };
	e.len = (uint64_t)len;
	run_and_expect(&fx, "passed packet", buf, (size_t)len, false, false, &e);
	ret = ebpfnet_drop_consume(fx.drop);
	ck_assert_msg(ret >= 0, "drop_consume: %s", ebpfnet_strerror(ret));
	ck_assert_int_eq(seen.count, 1);
	fx_close(&fx);
}
END_TEST

START_TEST(test_event_rate_limit)
{
	static uint8_t buf[PKTGEN_MAX_LEN];
	struct pkt_spec spec = { .family = 6, UDP(5000, 53), PL16 };
	struct seen_events seen = { 0 };
	struct snapshot before, after;
	const uint8_t hit = 1;
	struct pkt_layout l;
	struct fx fx;
	uint32_t id;
	int len, ret;

	id = open_with_events(&fx, "event-rate", &seen, 1);
	len = build(&spec, buf, &l);
	/* ten drops in one test run: one CPU, one second */
	struct expect e = { .out = O_DROPPED, .nrules = 1, .ids = &id,
			    .hits = &hit, .len = (uint64_t)len, .repeat = 10 };
	snap(&fx, &before);
	run_and_expect(&fx, "burst of 10", buf, (size_t)len, false, false, &e);
	snap(&fx, &after);
	ck_assert_uint_eq(after.stats.events_sent - before.stats.events_sent, 1);
	ck_assert_uint_eq(after.stats.events_suppressed -
			  before.stats.events_suppressed, 9);
	ck_assert_uint_eq(after.stats.events_lost - before.stats.events_lost, 0);
	ret = ebpfnet_drop_consume(fx.drop);
	ck_assert_msg(ret >= 0, "drop_consume: %s", ebpfnet_strerror(ret));
	ck_assert_int_eq(seen.count, 1);
	ck_assert_uint_eq(seen.first.rule_id, id);
	ck_assert_uint_eq(seen.first.pkt_len, (uint32_t)len);
	ck_assert_uint_eq(seen.first.cap_len, (uint32_t)len);
	ck_assert_msg(memcmp(seen.data, buf, (size_t)len) == 0,
		      "the event's bytes differ from the packet's");
	fx_close(&fx);
}
END_TEST

/* ---- suite ------------------------------------------------------------------ */

static Suite *drop_datapath_suite(void)
{
	Suite *s = suite_create("drop_datapath");
	TCase *tc = tcase_create("datapath");

	tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_case_table, 0, NCASES);
	tcase_add_test(tc, test_delete_takes_effect);
	tcase_add_loop_test(tc, test_truncated, 0,
			    (int)(sizeof(truncations) / sizeof(truncations[0])));
	tcase_add_loop_test(tc, test_short_l4, 0,
			    (int)(sizeof(short_l4s) / sizeof(short_l4s[0])));
	tcase_add_test(tc, test_event_of_a_drop);
	tcase_add_test(tc, test_event_rate_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	test_require_root();
	ebpfnet_set_print(print_to_stderr);
	return test_run_suite(drop_datapath_suite(), CK_VERBOSE);
}
