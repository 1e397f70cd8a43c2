/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The load balancer's datapath (root): crafted packets run through the lb
 * XDP program with BPF_PROG_TEST_RUN, services and backends added through
 * the public API, and for each packet the verdict, the balancer's
 * counters and, for XDP_TX, the encapsulated packet field by field
 * against an expectation built here (our own IPv4 header checksum, not
 * the program's).
 *
 * A test run's packet arrives on the loopback device (ingress_ifindex 1)
 * where this test's XDP chain has no further stage: what the balancer
 * lets through passes (XDP_PASS).
 *
 * Next hops: the balancer resolves a backend's MAC through the kernel's
 * route and neighbour tables. The fixture makes a veth pair in the host
 * namespace, routes 198.18.X.0/24 and fd00:18:X::/64 (X: free on this
 * host) through it and adds a PERMANENT neighbour entry for each backend
 * address, backend host h getting 02:00:00:00:04:h (IPv4) or
 * 02:00:00:00:06:h (IPv6): the outer Ethernet destination says which
 * entry the balancer used. Everything goes with the veth.
 *
 * Each test gets its own balancer (its own pin root in one private bpffs
 * that an unchecked fixture mounts and, in the runner process so also
 * after a failed test, unmounts). The encapsulation changes the packet:
 * every run is one run (repeat 1) of a freshly built input.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#include "check_run.h"
#include "lb_internal.h"
#include "pktgen.h"
#include "priv.h"
#include "prog_run.h"

#define HOST_FIRST 11   /* backend host ids */
#define HOST_NEIGH_LAST 30 /* 11..30 have a neighbour entry, 31..40 not */
#define HOST_LAST 40
#define SMALL_TABLE 1021 /* a prime: Maglev table of most test services */
#define OUTER_TTL 64
#define VETH_MTU 1400    /* the MTU tests' veths */
#define MTU_TESTS 4
#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41

/* ---- fixture: a private bpffs, a veth with routes and neighbours ------- */

static char base[PATH_MAX];
static char veth[IFNAMSIZ];
static int runner_pid;  /* the fixture's process: names carry it */
static unsigned net_x; /* 198.18.X.0/24, fd00:18:X::/64 */

/* Run a shell command; its exit status (-1: could not run it). */
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static void fixture_fail(const char *what)
{
	fprintf(stderr, "fixture: %s failed\n", what);
	if (veth[0])
		sh("ip link del %s 2>/dev/null", veth);
	umount2(base, MNT_DETACH);
	rmdir(base);
	abort();
}

/* Neighbour entries for every backend host, through one `ip -batch`. */
static int add_neighbours(void)
{
	FILE *ip = popen("ip -batch -", "w");
	unsigned h;

	if (!ip)
		return -1;
	for (h = HOST_FIRST; h <= HOST_NEIGH_LAST; h++) {
		fprintf(ip, "neigh add 198.18.%u.%u lladdr 02:00:00:00:04:%02x dev %s nud permanent\n",
			net_x, h, h, veth);
		fprintf(ip, "neigh add fd00:18:%x::%x lladdr 02:00:00:00:06:%02x dev %s nud permanent\n",
			net_x, h, h, veth);
	}
	return pclose(ip) == 0 ? 0 : -1;
}

/* Routes to 198.18.X.0/24 and fd00:18:X::/64 through the veth, for an X
 * no route of this host uses yet (`ip route add` fails on a taken one). */
static int add_routes(void)
{
	unsigned i, x;

	for (i = 0; i < 256; i++) {
		x = (unsigned)(getpid() + i) % 256;
		if (sh("ip route add 198.18.%u.0/24 dev %s 2>/dev/null", x, veth))
			continue;
		if (sh("ip -6 route add fd00:18:%x::/64 dev %s 2>/dev/null", x, veth)) {
			sh("ip route del 198.18.%u.0/24 dev %s", x, veth);
			continue;
		}
		net_x = x;
		return 0;
	}
	return -1;
}

static void fixture_setup(void)
{
	int err;

	snprintf(base, sizeof(base), "/tmp/ebpfnet-lbtest-XXXXXX");
	if (!mkdtemp(base)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		abort();
	}
	err = ebpfnet_mount_bpffs(base);
	if (err) {
		fprintf(stderr, "mount bpffs on %s: %s\n", base, ebpfnet_strerror(err));
		rmdir(base);
		abort();
	}
	runner_pid = (int)getpid();
	snprintf(veth, sizeof(veth), "lbt%da", runner_pid % 10000000);
	if (sh("ip link add %s type veth peer name lbt%db", veth,
	       runner_pid % 10000000)) {
		veth[0] = '\0';
		fixture_fail("ip link add (veth)");
	}
	if (sh("ip link set %s up && ip link set lbt%db up", veth,
	       runner_pid % 10000000))
		fixture_fail("ip link set up");
	if (add_routes())
		fixture_fail("ip route add (no free 198.18.X.0/24)");
	if (sh("ip addr add 198.18.%u.1/32 dev %s && "
	       "ip -6 addr add fd00:18:%x::1/128 dev %s nodad",
	       net_x, veth, net_x, veth))
		fixture_fail("ip addr add");
	if (add_neighbours())
		fixture_fail("ip neigh add");
}

/* The veth an MTU test attaches the balancer to: its own, so that a
 * failed test's attachment cannot get in the next one's way; the
 * fixture deletes whatever a failed test left. */
static void mtu_veth_name(int idx, char *name, size_t len)
{
	snprintf(name, len, "lbt%dm%d", runner_pid % 10000000, idx);
}

static void fixture_teardown(void)
{
	int i;

	for (i = 0; i < MTU_TESTS; i++)
		sh("ip link del lbt%dm%d 2>/dev/null", runner_pid % 10000000, i);
	/* routes, addresses and neighbours go with the link */
	if (sh("ip link del %s", veth))
		fprintf(stderr, "ip link del %s failed\n", veth);
	if (umount2(base, MNT_DETACH))
		fprintf(stderr, "umount %s: %s\n", base, strerror(errno));
	if (rmdir(base))
		fprintf(stderr, "rmdir %s: %s\n", base, strerror(errno));
}

static void print_to_stderr(enum ebpfnet_print_level level, const char *msg)
{
	if (level <= EBPFNET_PRINT_INFO || getenv("EBPFNET_TEST_DEBUG"))
		fprintf(stderr, "libebpfnet: %s\n", msg);
}

/* ---- addresses ----------------------------------------------------------- */

static struct ebpfnet_lb_addr text_addr(const char *text)
{
	struct ebpfnet_lb_addr a = { 0 };

	if (inet_pton(AF_INET, text, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.addr) == 1)
		a.family = AF_INET6;
	else
		ck_abort_msg("bad address '%s' in the test", text);
	return a;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Backend host h: 198.18.X.h or fd00:18:X::h. */
static struct ebpfnet_lb_addr host_addr(int family, unsigned h)
{
	char text[64];

	if (family == AF_INET)
		snprintf(text, sizeof(text), "198.18.%u.%u", net_x, h);
	else
		snprintf(text, sizeof(text), "fd00:18:%x::%x", net_x, h);
	return text_addr(text);
}

static void host_mac(int family, unsigned h, uint8_t mac[6])
{
	const uint8_t m[6] = { 2, 0, 0, 0, family == AF_INET ? 4 : 6, (uint8_t)h };

	memcpy(mac, m, 6);
}

/* The host id of a backend address of ours, or -1. */
static int addr_host(const struct ebpfnet_lb_addr *a)
{
	struct ebpfnet_lb_addr want;
	unsigned h;

	for (h = HOST_FIRST; h <= HOST_LAST; h++) {
		want = host_addr(a->family, h);
		if (a->family && !memcmp(want.addr, a->addr, addr_len(a->family)))
			return (int)h;
	}
	return -1;
}

static const char *addr_str(const struct ebpfnet_lb_addr *a, char *buf,
			    size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "(family %u)", a->family);
	return buf;
}

/* ---- one balancer per test ------------------------------------------------ */

struct fx {
	char root[PATH_MAX];
	struct ebpfnet_lb *lb;
	int prog_fd;
};

static void fx_open_opts(struct fx *fx, const char *name,
			 struct ebpfnet_lb_opts *opts)
{
	int n = snprintf(fx->root, sizeof(fx->root), "%s/%s", base, name);

	ck_assert_msg(n > 0 && (size_t)n < sizeof(fx->root), "path too long");
	ck_assert_msg(mkdir(fx->root, 0700) == 0, "mkdir %s: %s", fx->root,
		      strerror(errno));
	opts->pin_root = fx->root;
	fx->lb = ebpfnet_lb_open(opts);
	ck_assert_msg(fx->lb, "ebpfnet_lb_open(%s): %s", fx->root, strerror(errno));
	fx->prog_fd = ebpfnet__lb_prog_fd(fx->lb);
	ck_assert_msg(fx->prog_fd >= 0, "ebpfnet__lb_prog_fd: %d", fx->prog_fd);
}

/* Sizes for a test: small, with room for a few thousand connections. */
static void fx_open(struct fx *fx, const char *name)
{
	EBPFNET_OPTS(ebpfnet_lb_opts, opts,
		.max_services = 32,
		.max_backends = 256,
		.ring_slots = 65536,
		.conn_table_size = 65536);

	fx_open_opts(fx, name, &opts);
}

/* A service of the test (vip text, host-order port, proto). */
static struct ebpfnet_lb_service svc_of(const char *vip, uint16_t port,
					uint8_t proto, uint32_t table_size)
{
	EBPFNET_OPTS(ebpfnet_lb_service, s,
		.port = port, .proto = proto, .table_size = table_size);

	s.vip = text_addr(vip);
	return s;
}

static void add_service(struct fx *fx, const struct ebpfnet_lb_service *s)
{
	int ret = ebpfnet_lb_service_add(fx->lb, s);

	ck_assert_msg(ret == 0, "service_add port %u: %s", s->port,
		      ebpfnet_strerror(ret));
}

static struct ebpfnet_lb_backend backend_of(int family, unsigned h,
					    uint32_t weight,
					    enum ebpfnet_lb_backend_state state)
{
	EBPFNET_OPTS(ebpfnet_lb_backend, b, .weight = weight, .state = state);

	b.addr = host_addr(family, h);
	return b;
}

static void add_backend(struct fx *fx, const struct ebpfnet_lb_service *s,
			int family, unsigned h, uint32_t weight)
{
	struct ebpfnet_lb_backend b = backend_of(family, h, weight,
						 EBPFNET_LB_BACKEND_ACTIVE);
	int ret = ebpfnet_lb_backend_add(fx->lb, s, &b);

	ck_assert_msg(ret == 0, "backend_add host %u: %s", h, ebpfnet_strerror(ret));
}

static void set_backend(struct fx *fx, const struct ebpfnet_lb_service *s,
			int family, unsigned h, uint32_t weight,
			enum ebpfnet_lb_backend_state state)
{
	struct ebpfnet_lb_backend b = backend_of(family, h, weight, state);
	int ret = ebpfnet_lb_backend_set(fx->lb, s, &b);

	ck_assert_msg(ret == 0, "backend_set host %u: %s", h, ebpfnet_strerror(ret));
}

static void fx_close(struct fx *fx)
{
	ebpfnet_lb_destroy(fx->lb);
	fx->lb = NULL;
}

/* ---- counters ------------------------------------------------------------ */

/* struct ebpfnet_lb_stats counters, as expectation bits */
#define S_HIT (1u << 0)
#define S_MISS (1u << 1)
#define S_FWD (1u << 2)
#define S_NOTSVC (1u << 3)
#define S_NOBACKEND (1u << 4)
#define S_TOOBIG (1u << 5)
#define S_ICMP (1u << 6)
#define S_FRAG (1u << 7)
#define S_MALFORMED (1u << 8)
#define S_NONEIGH (1u << 9)

static const struct {
	uint32_t bit;
	const char *name;
	size_t off;
} stat_fields[] = {
	{ S_HIT, "conn_hits", offsetof(struct ebpfnet_lb_stats, conn_hits) },
	{ S_MISS, "conn_misses", offsetof(struct ebpfnet_lb_stats, conn_misses) },
	{ S_FWD, "forwarded", offsetof(struct ebpfnet_lb_stats, forwarded) },
	{ S_NOTSVC, "not_service", offsetof(struct ebpfnet_lb_stats, not_service) },
	{ S_NOBACKEND, "no_backend", offsetof(struct ebpfnet_lb_stats, no_backend) },
	{ S_TOOBIG, "too_big", offsetof(struct ebpfnet_lb_stats, too_big) },
	{ S_ICMP, "icmp_forwarded", offsetof(struct ebpfnet_lb_stats, icmp_forwarded) },
	{ S_FRAG, "fragments", offsetof(struct ebpfnet_lb_stats, fragments) },
	{ S_MALFORMED, "malformed", offsetof(struct ebpfnet_lb_stats, malformed) },
	{ S_NONEIGH, "no_neighbour", offsetof(struct ebpfnet_lb_stats, no_neighbour) },
};
#define NSTATS (sizeof(stat_fields) / sizeof(stat_fields[0]))

static struct ebpfnet_lb_stats get_stats(struct fx *fx)
{
	EBPFNET_OPTS(ebpfnet_lb_stats, st);
	int ret = ebpfnet_lb_stats(fx->lb, &st);

	ck_assert_msg(ret == 0, "lb_stats: %s", ebpfnet_strerror(ret));
	return st;
}

static uint64_t stat_value(const struct ebpfnet_lb_stats *st, size_t i)
{
	return *(const uint64_t *)((const char *)st + stat_fields[i].off);
}

/* Every counter moved by n where `bits` says so, and by 0 elsewhere. */
static void expect_stats(const char *label, const struct ebpfnet_lb_stats *b,
			 const struct ebpfnet_lb_stats *a, uint32_t bits,
			 uint64_t n)
{
	size_t i;

	for (i = 0; i < NSTATS; i++) {
		uint64_t d = stat_value(a, i) - stat_value(b, i);
		uint64_t want = (bits & stat_fields[i].bit) ? n : 0;

		ck_assert_msg(d == want, "%s: %s moved by %llu, expected %llu",
			      label, stat_fields[i].name, (unsigned long long)d,
			      (unsigned long long)want);
	}
}

/* The counters of one service and of one of its backends. */
struct svc_snap {
	const struct ebpfnet_lb_service *svc;
	const struct ebpfnet_lb_addr *backend; /* NULL: none */
	struct ebpfnet_lb_counters svc_c, backend_c;
	int found_svc, found_backend;
};

static bool same_service(const struct ebpfnet_lb_service *a,
			 const struct ebpfnet_lb_service *b)
{
	return a->vip.family == b->vip.family && a->port == b->port &&
	       a->proto == b->proto &&
	       !memcmp(a->vip.addr, b->vip.addr, addr_len(a->vip.family));
}

static int snap_svc_fn(void *ctx, const struct ebpfnet_lb_service *s,
		       const struct ebpfnet_lb_counters *c)
{
	struct svc_snap *snap = ctx;

	if (same_service(s, snap->svc)) {
		snap->svc_c = *c;
		snap->found_svc++;
	}
	return 0;
}

static int snap_backend_fn(void *ctx, const struct ebpfnet_lb_backend *b,
			   const struct ebpfnet_lb_counters *c)
{
	struct svc_snap *snap = ctx;

	if (snap->backend && b->addr.family == snap->backend->family &&
	    !memcmp(b->addr.addr, snap->backend->addr, addr_len(b->addr.family))) {
		snap->backend_c = *c;
		snap->found_backend++;
	}
	return 0;
}

static void take_svc_snap(struct fx *fx, struct svc_snap *snap)
{
	int ret;

	snap->found_svc = snap->found_backend = 0;
	snap->svc_c.sz = snap->backend_c.sz = sizeof(struct ebpfnet_lb_counters);
	ret = ebpfnet_lb_services(fx->lb, snap_svc_fn, snap);
	ck_assert_msg(ret == 0, "lb_services: %s", ebpfnet_strerror(ret));
	ck_assert_msg(snap->found_svc == 1, "service listed %d times",
		      snap->found_svc);
	if (!snap->backend)
		return;
	ret = ebpfnet_lb_backends(fx->lb, snap->svc, snap_backend_fn, snap);
	ck_assert_msg(ret == 0, "lb_backends: %s", ebpfnet_strerror(ret));
	ck_assert_msg(snap->found_backend == 1, "backend listed %d times",
		      snap->found_backend);
}

static void expect_counters(const char *label, const char *what,
			    const struct ebpfnet_lb_counters *b,
			    const struct ebpfnet_lb_counters *a,
			    uint64_t packets, uint64_t bytes, uint64_t new_conns)
{
	ck_assert_msg(a->packets - b->packets == packets &&
		      a->bytes - b->bytes == bytes &&
		      a->new_conns - b->new_conns == new_conns,
		      "%s: %s counters moved by %llu packets / %llu bytes / %llu new, "
		      "expected %llu / %llu / %llu", label, what,
		      (unsigned long long)(a->packets - b->packets),
		      (unsigned long long)(a->bytes - b->bytes),
		      (unsigned long long)(a->new_conns - b->new_conns),
		      (unsigned long long)packets, (unsigned long long)bytes,
		      (unsigned long long)new_conns);
}

/* ---- an independent expectation of the encapsulated packet ------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071, written here (not taken from the program or pktgen): the
 * one's complement sum of 16-bit big-endian words, folded. A header or
 * message with a right checksum sums to 0xffff, its checksum included. */
static uint32_t inet_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static bool ipv4_header_csum_ok(const uint8_t *h, size_t len)
{
	return inet_fold(inet_sum(h, len, 0)) == 0xffff;
}

/* The flow an outer source is derived from: the client's address and
 * source port as they appear on the wire. */
struct client_id {
	int family;         /* AF_INET / AF_INET6 */
	uint8_t addr[16];
	uint16_t sport;     /* host order */
};

/* The outer source prefixes of the balancer under test (Katran's
 * defaults unless a test sets others). */
static uint8_t outer_prefix4[16] = { 172, 16 };
static unsigned outer_prefix4_len = 16;
static uint8_t outer_prefix6[16] = { 0x01 };
static unsigned outer_prefix6_len = 64;

/* The bits of addr inside the first `len` bits come from prefix. */
static void apply_prefix(uint8_t *addr, const uint8_t *prefix, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		addr[i / 8] = (uint8_t)((addr[i / 8] & ~bit) | (prefix[i / 8] & bit));
	}
}

/*
 * The outer source address, as bpf/include/lb_encap.h documents it
 * (Katran's convention):
 *  IPv4 outer: prefix, then (c14 ^ sport_lo).(c15 ^ sport_hi), c14 c15
 *    the client's last two address bytes, sport_lo/hi the low/high byte
 *    of its source port: 172.16.(c14 ^ lo).(c15 ^ hi) by default;
 *  IPv6 outer: prefix, bytes 8..11 zero, bytes 12..15 the client's last
 *    four (an IPv4 client: its address) with bytes 12 and 13 XORed with
 *    the source port in network order (high byte, low byte).
 */
static void expected_outer_src(int outer_family, const struct client_id *c,
			       uint8_t out[16])
{
	const uint8_t *last4 = c->addr + (c->family == AF_INET ? 0 : 12);
	uint8_t lo = c->sport & 0xff, hi = c->sport >> 8;

	memset(out, 0, 16);
	if (outer_family == AF_INET) {
		out[2] = last4[2] ^ lo;
		out[3] = last4[3] ^ hi;
		apply_prefix(out, outer_prefix4, outer_prefix4_len);
		return;
	}
	memcpy(out + 12, last4, 4);
	out[12] ^= hi;
	out[13] ^= lo;
	apply_prefix(out, outer_prefix6, outer_prefix6_len);
}

/* What a run sent out: the backend host it went to (-1: not XDP_TX). */
struct sent {
	uint32_t verdict;
	int host;
	int family;   /* the backend's (outer) family */
};

struct input {
	const uint8_t *pkt;
	size_t len;
	struct pkt_layout l;
	struct client_id client; /* for the outer source */
};

static void hexdump_to_stderr(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	fprintf(stderr, "%s (%zu bytes):", label, len);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", p[i]);
	fprintf(stderr, "\n");
}

/*
 * Check an XDP_TX output field by field: L2 (dst = the backend's
 * neighbour MAC, src = the input's destination MAC, the input's VLAN tags
 * kept as bpf/include/lb_encap.h documents, the outer EtherType), the
 * outer header, then the input's IP datagram unchanged. Returns the
 * backend host.
 */
static int expect_encap(const char *label, const struct input *in,
			const struct test_run_result *r)
{
	size_t l2_len = (size_t)in->l.l3_off;
	const uint8_t *o = r->data_out, *ip = o + l2_len;
	size_t inner_len = (size_t)in->l.l3_len;
	size_t trailer = in->len - l2_len - inner_len;
	uint8_t mac[6], src[16], proto;
	struct ebpfnet_lb_addr dst = { 0 };
	int outer_family, host;
	size_t outer_len, exact;
	uint16_t ethertype;
	char b1[64];

	ck_assert_msg(r->data_out_len >= l2_len + 20, "%s: output of %u bytes",
		      label, r->data_out_len);
	ethertype = get16(ip - 2);
	if (ethertype == ETH_P_IP) {
		outer_family = AF_INET;
		outer_len = 20;
	} else {
		ck_assert_msg(ethertype == ETH_P_IPV6,
			      "%s: outer ethertype 0x%04x", label, ethertype);
		outer_family = AF_INET6;
		outer_len = 40;
	}
	ck_assert_msg(r->data_out_len >= l2_len + outer_len,
		      "%s: output of %u bytes", label, r->data_out_len);
	dst.family = (uint8_t)outer_family;
	memcpy(dst.addr, ip + (outer_family == AF_INET ? 16 : 24),
	       addr_len(outer_family));
	host = addr_host(&dst);
	ck_assert_msg(host > 0, "%s: outer destination %s is no backend of ours",
		      label, addr_str(&dst, b1, sizeof(b1)));

	/* length: L2 + outer + the inner datagram; an Ethernet trailer of
	 * the input may stay behind it (outside the outer datagram's
	 * length, like any padding) or go */
	exact = l2_len + outer_len + inner_len;
	if (r->data_out_len != exact && r->data_out_len != exact + trailer)
		hexdump_to_stderr(label, o, r->data_out_len);
	ck_assert_msg(r->data_out_len == exact || r->data_out_len == exact + trailer,
		      "%s: output %u bytes, expected %zu (L2 %zu + %zu + inner %zu)%s",
		      label, r->data_out_len, exact, l2_len, outer_len, inner_len,
		      trailer ? " or that + the input's trailer" : "");
	if (r->data_out_len > exact)
		ck_assert_msg(!memcmp(o + exact, in->pkt + in->len - trailer, trailer),
			      "%s: the trailer behind the datagram changed", label);

	/* L2 */
	host_mac(outer_family, (unsigned)host, mac);
	ck_assert_msg(!memcmp(o, mac, 6),
		      "%s: destination MAC %02x:%02x:%02x:%02x:%02x:%02x, expected the neighbour's ..:%02x:%02x",
		      label, o[0], o[1], o[2], o[3], o[4], o[5], mac[4], mac[5]);
	ck_assert_msg(!memcmp(o + 6, in->pkt, 6),
		      "%s: source MAC is not the input's destination MAC", label);
	ck_assert_msg(!memcmp(o + 12, in->pkt + 12, l2_len - 14),
		      "%s: the VLAN tags changed", label);

	/* outer header */
	proto = in->pkt[in->l.l3_off] >> 4 == 4 ? IPPROTO_IPIP_ : IPPROTO_IPV6_;
	expected_outer_src(outer_family, &in->client, src);
	if (outer_family == AF_INET) {
		const uint8_t *inner = in->pkt + in->l.l3_off;
		uint8_t tos = inner[0] >> 4 == 4 ? inner[1] :
			      (uint8_t)(get16(inner) >> 4);

		ck_assert_msg(ip[0] == 0x45, "%s: version/IHL 0x%02x", label, ip[0]);
		ck_assert_msg(ip[1] == tos, "%s: TOS 0x%02x, inner 0x%02x", label,
			      ip[1], tos);
		ck_assert_msg(get16(ip + 2) == 20 + inner_len,
			      "%s: total length %u, expected %zu", label,
			      get16(ip + 2), 20 + inner_len);
		ck_assert_msg(get16(ip + 4) == 0, "%s: id %u, expected 0", label,
			      get16(ip + 4));
		ck_assert_msg(get16(ip + 6) == 0,
			      "%s: flags/fragment offset 0x%04x (DF must be clear)",
			      label, get16(ip + 6));
		ck_assert_msg(ip[8] == OUTER_TTL, "%s: TTL %u", label, ip[8]);
		ck_assert_msg(ip[9] == proto, "%s: protocol %u, expected %u",
			      label, ip[9], proto);
		ck_assert_msg(ipv4_header_csum_ok(ip, 20),
			      "%s: outer IPv4 header checksum 0x%04x is wrong",
			      label, get16(ip + 10));
		ck_assert_msg(!memcmp(ip + 12, src, 4),
			      "%s: outer source %u.%u.%u.%u, expected %u.%u.%u.%u",
			      label, ip[12], ip[13], ip[14], ip[15], src[0],
			      src[1], src[2], src[3]);
	} else {
		const uint8_t *inner = in->pkt + in->l.l3_off;
		uint8_t tc = inner[0] >> 4 == 4 ? inner[1] :
			     (uint8_t)(get16(inner) >> 4);
		uint32_t vtf = (uint32_t)get16(ip) << 16 | get16(ip + 2);
		char b2[64];
		struct ebpfnet_lb_addr got = { .family = AF_INET6 },
				       want = { .family = AF_INET6 };

		ck_assert_msg(vtf >> 28 == 6, "%s: version %u", label, vtf >> 28);
		ck_assert_msg(((vtf >> 20) & 0xff) == tc,
			      "%s: traffic class 0x%02x, inner 0x%02x", label,
			      (vtf >> 20) & 0xff, tc);
		ck_assert_msg((vtf & 0xfffff) == 0, "%s: flow label 0x%05x", label,
			      vtf & 0xfffff);
		ck_assert_msg(get16(ip + 4) == inner_len,
			      "%s: payload length %u, expected %zu", label,
			      get16(ip + 4), inner_len);
		ck_assert_msg(ip[6] == proto, "%s: next header %u, expected %u",
			      label, ip[6], proto);
		ck_assert_msg(ip[7] == OUTER_TTL, "%s: hop limit %u", label, ip[7]);
		memcpy(got.addr, ip + 8, 16);
		memcpy(want.addr, src, 16);
		ck_assert_msg(!memcmp(ip + 8, src, 16),
			      "%s: outer source %s, expected %s", label,
			      addr_str(&got, b1, sizeof(b1)),
			      addr_str(&want, b2, sizeof(b2)));
	}

	/* the inner datagram, byte for byte */
	ck_assert_msg(!memcmp(ip + outer_len, in->pkt + in->l.l3_off, inner_len),
		      "%s: the inner packet differs from the input", label);
	return host;
}

/* Run one packet (repeat 1). With an XDP_TX, checks the output. */
static struct sent run_input(struct fx *fx, const char *label,
			     const struct input *in)
{
	static struct test_run_result r; /* 8 KiB: not on the stack */
	struct sent s = { .host = -1 };
	int ret;

	ret = test_run_xdp(fx->prog_fd, in->pkt, in->len, 1, &r);
	ck_assert_msg(ret == 0, "%s: test_run: %s", label, strerror(-ret));
	s.verdict = r.retval;
	if (r.retval == XDP_TX) {
		s.host = expect_encap(label, in, &r);
		s.family = get16(r.data_out + in->l.l3_off - 2) == ETH_P_IP ?
				   AF_INET : AF_INET6;
	} else {
		ck_assert_msg(r.retval == XDP_PASS || r.retval == XDP_DROP,
			      "%s: verdict %u", label, r.retval);
	}
	return s;
}

/* The client of a built packet: its IP source and L4 source port. */
static struct client_id client_of(const uint8_t *pkt, const struct pkt_layout *l,
				  uint8_t proto)
{
	const uint8_t *ip = pkt + l->l3_off;
	struct client_id c = { 0 };

	if (ip[0] >> 4 == 4) {
		c.family = AF_INET;
		memcpy(c.addr, ip + 12, 4);
	} else {
		c.family = AF_INET6;
		memcpy(c.addr, ip + 8, 16);
	}
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    l->payload_off > l->l4_off)
		c.sport = get16(pkt + l->l4_off);
	return c;
}

static const char *verdict_name(uint32_t v)
{
	switch (v) {
	case XDP_DROP: return "XDP_DROP";
	case XDP_PASS: return "XDP_PASS";
	case XDP_TX: return "XDP_TX";
	default: return "other";
	}
}

/* ---- flows of the scenario tests ------------------------------------------ */

/* Client i: 10.1.(i / 256).(i % 256) or fd00:1::(i) */
static void client_text(int family, unsigned i, char *buf, size_t len)
{
	if (family == AF_INET)
		snprintf(buf, len, "10.1.%u.%u", (i / 256) % 256, i % 256);
	else
		snprintf(buf, len, "fd00:1::%x", i);
}

struct flow_pkt {
	uint8_t buf[PKTGEN_MAX_LEN];
	struct input in;
	char src[64], dst[64];
};

/* A TCP packet (SYN or ACK) of client i, sport, to the service. */
static void build_flow(struct flow_pkt *f, const struct ebpfnet_lb_service *s,
		       unsigned client, uint16_t sport, bool syn)
{
	struct pkt_spec spec = { 0 };
	int len;

	spec.family = s->vip.family == AF_INET ? 4 : 6;
	client_text(s->vip.family, client, f->src, sizeof(f->src));
	addr_str(&s->vip, f->dst, sizeof(f->dst));
	spec.src = f->src;
	spec.dst = f->dst;
	spec.proto = s->proto;
	spec.sport = sport;
	spec.dport = s->port ? s->port : 8080;
	spec.tcp_flags = syn ? 0x02 : 0x10;
	spec.payload_len = syn ? 0 : 32;
	len = pktgen_build(&spec, f->buf, sizeof(f->buf), &f->in.l);
	ck_assert_msg(len > 0, "pktgen_build: %d", len);
	f->in.pkt = f->buf;
	f->in.len = (size_t)len;
	f->in.client = client_of(f->buf, &f->in.l, s->proto);
}

/* Run a packet expected to be forwarded; the backend host it went to. */
static int send_flow_label(struct fx *fx, const struct input *in,
			   const char *label)
{
	struct sent out = run_input(fx, label, in);

	ck_assert_msg(out.verdict == XDP_TX, "%s: verdict %s, expected XDP_TX",
		      label, verdict_name(out.verdict));
	return out.host;
}

static int send_flow_input(struct fx *fx, const struct input *in)
{
	return send_flow_label(fx, in, "packet");
}

/* Send one packet of the flow; the backend host it went to (asserts TX). */
static int send_flow(struct fx *fx, const struct ebpfnet_lb_service *s,
		     unsigned client, uint16_t sport, bool syn)
{
	static struct flow_pkt f;
	char label[192];

	build_flow(&f, s, client, sport, syn);
	snprintf(label, sizeof(label), "%s %s:%u -> %s:%u", syn ? "SYN" : "ACK",
		 f.src, sport, f.dst, s->port);
	return send_flow_label(fx, &f.in, label);
}

/* The backend host ebpfnet_lb_simulate() names for the flow; -1: ENOENT. */
static int simulate_flow(struct fx *fx, const struct ebpfnet_lb_service *s,
			 unsigned client, uint16_t sport)
{
	EBPFNET_OPTS(ebpfnet_lb_flow, flow, .sport = sport,
		     .dport = s->port ? s->port : 8080, .proto = s->proto);
	EBPFNET_OPTS(ebpfnet_lb_backend, b);
	char text[64];
	int ret, host;

	client_text(s->vip.family, client, text, sizeof(text));
	flow.src = text_addr(text);
	flow.dst = s->vip;
	ret = ebpfnet_lb_simulate(fx->lb, &flow, &b);
	if (ret == -ENOENT)
		return -1;
	ck_assert_msg(ret == 0, "simulate: %s", ebpfnet_strerror(ret));
	host = addr_host(&b.addr);
	ck_assert_msg(host > 0, "simulate named an address that is no backend");
	return host;
}

/* ---- the table --------------------------------------------------------------- */

/* The services every table case runs against. */
enum svc_name {
	SVC_TCP4,    /* 10.0.0.10:80/tcp -> two IPv4 backends (IPIP) */
	SVC_UDP4,    /* 10.0.0.10:53/udp -> one IPv4 backend */
	SVC_ANY4,    /* 10.0.0.11:0/tcp (every port) -> two IPv4 backends */
	SVC_TCP6,    /* [fd00:10::10]:80/tcp -> two IPv6 backends (IP6IP6) */
	SVC_UDP6,    /* [fd00:10::10]:53/udp -> one IPv6 backend */
	SVC_4IN6,    /* 10.0.0.12:443/tcp -> an IPv6 backend */
	SVC_6IN4,    /* [fd00:10::12]:443/tcp -> an IPv4 backend */
	SVC_EMPTY4,  /* 10.0.0.13:80/tcp, no backend */
	SVC_EMPTY6,  /* [fd00:10::13]:80/tcp, no backend */
	NSVC,
	NO_SVC = -1,
};

static const struct world_svc {
	const char *vip;
	uint16_t port;
	uint8_t proto;
	uint32_t table_size;
	int backend_family;
	uint8_t hosts[3];       /* 0-terminated */
} world[NSVC] = {
	[SVC_TCP4] = { "10.0.0.10", 80, IPPROTO_TCP, 0, AF_INET, { 11, 12 } },
	[SVC_UDP4] = { "10.0.0.10", 53, IPPROTO_UDP, SMALL_TABLE, AF_INET, { 13 } },
	[SVC_ANY4] = { "10.0.0.11", 0, IPPROTO_TCP, SMALL_TABLE, AF_INET, { 14, 15 } },
	[SVC_TCP6] = { "fd00:10::10", 80, IPPROTO_TCP, SMALL_TABLE, AF_INET6, { 11, 12 } },
	[SVC_UDP6] = { "fd00:10::10", 53, IPPROTO_UDP, SMALL_TABLE, AF_INET6, { 13 } },
	[SVC_4IN6] = { "10.0.0.12", 443, IPPROTO_TCP, SMALL_TABLE, AF_INET6, { 14 } },
	[SVC_6IN4] = { "fd00:10::12", 443, IPPROTO_TCP, SMALL_TABLE, AF_INET, { 16 } },
	[SVC_EMPTY4] = { "10.0.0.13", 80, IPPROTO_TCP, SMALL_TABLE, AF_INET, { 0 } },
	[SVC_EMPTY6] = { "fd00:10::13", 80, IPPROTO_TCP, SMALL_TABLE, AF_INET6, { 0 } },
};

static struct ebpfnet_lb_service world_service(enum svc_name n)
{
	return svc_of(world[n].vip, world[n].port, world[n].proto,
		      world[n].table_size);
}

static void open_world(struct fx *fx, const char *name)
{
	struct ebpfnet_lb_service s;
	int i, j;

	fx_open(fx, name);
	for (i = 0; i < NSVC; i++) {
		s = world_service((enum svc_name)i);
		add_service(fx, &s);
		for (j = 0; world[i].hosts[j]; j++)
			add_backend(fx, &s, world[i].backend_family,
				    world[i].hosts[j], 1);
	}
}

/* The ICMP errors' quoted packet: VIP:port -> client:cport (a reply of
 * the balanced flow client:cport -> VIP:port). */
enum quote {
	Q_NONE,
	Q_TCP4,      /* 10.0.0.10:80 -> 10.1.0.5:40000, TCP */
	Q_TCP6,      /* [fd00:10::10]:80 -> [fd00:1::5]:40000, TCP */
	Q_NOTVIP4,   /* 10.0.0.99:80 -> 10.1.0.5:40000: no service's reply */
};

#define QUOTE_CLIENT4 "10.1.0.5"
#define QUOTE_CLIENT6 "fd00:1::5"
#define QUOTE_CPORT 40000

struct lb_case {
	const char *name;
	struct pkt_spec pkt;
	enum quote quote;    /* ICMP payload */
	int svc;             /* the service whose counters move, NO_SVC */
	uint32_t verdict;
	uint32_t stats;      /* S_*: the lb_stats counters that move by 1 */
	bool new_conn;       /* a connection-table insert */
};

/* Packet shorthands */
#define V4(dst_) .family = 4, .dst = (dst_)
#define V6(dst_) .family = 6, .dst = (dst_)
#define SYN(sp, dp) .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), \
	.tcp_flags = 0x02
#define ACK(sp, dp) .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), \
	.tcp_flags = 0x10, .payload_len = 100
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp), \
	.payload_len = 24
#define ICMP4(t, c) .proto = IPPROTO_ICMP, .icmp_type = (t), .icmp_code = (c)
#define ICMP6(t, c) .proto = IPPROTO_ICMPV6, .icmp_type = (t), .icmp_code = (c)
#define EXT(...) .ext_hdrs = { __VA_ARGS__ }, \
	.n_ext = sizeof((uint8_t[]){ __VA_ARGS__ })

#define TX_NEW .verdict = XDP_TX, .stats = S_MISS | S_FWD, .new_conn = true
#define PASS_NOTSVC .svc = NO_SVC, .verdict = XDP_PASS, .stats = S_NOTSVC

static const struct lb_case cases[] = {
	/* IPv4 VIP, IPv4 backends: IPIP */
	{ "v4 TCP SYN to VIP:80", { V4("10.0.0.10"), SYN(40000, 80) },
	  .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP ACK with payload to VIP:80", { V4("10.0.0.10"), ACK(40001, 80) },
	  .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP SYN, DSCP EF + ECN: TOS copied",
	  { V4("10.0.0.10"), SYN(40002, 80), .tos = 0xb9 }, .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP SYN, inner TTL 1: outer TTL 64, inner untouched",
	  { V4("10.0.0.10"), SYN(40003, 80), .ttl = 1 }, .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP SYN, inner DF: outer DF clear",
	  { V4("10.0.0.10"), SYN(40004, 80), .dont_frag = true, .ip_id = 4242 },
	  .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP SYN with 12 bytes of IP options",
	  { V4("10.0.0.10"), SYN(40005, 80), .ip_opts_len = 12 },
	  .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP SYN, client 203.0.113.77 sport 1",
	  { V4("10.0.0.10"), .src = "203.0.113.77", SYN(1, 80) },
	  .svc = SVC_TCP4, TX_NEW },
	{ "v4 TCP SYN, sport 65535", { V4("10.0.0.10"), SYN(65535, 80) },
	  .svc = SVC_TCP4, TX_NEW },
	{ "v4 UDP to VIP:53", { V4("10.0.0.10"), UDP(5353, 53) },
	  .svc = SVC_UDP4, TX_NEW },
	{ "v4 UDP with 1000 bytes to VIP:53",
	  { V4("10.0.0.10"), .proto = IPPROTO_UDP, .sport = 5354, .dport = 53,
	    .payload_len = 1000 },
	  .svc = SVC_UDP4, TX_NEW },
	{ "v4 UDP, 60-byte frame with Ethernet padding",
	  { V4("10.0.0.10"), .proto = IPPROTO_UDP, .sport = 5355, .dport = 53,
	    .payload_len = 2, .trailer_len = 16 }, .svc = SVC_UDP4, TX_NEW },

	/* port 0: every port of the VIP */
	{ "v4 TCP SYN to port-0 service, port 22", { V4("10.0.0.11"), SYN(40010, 22) },
	  .svc = SVC_ANY4, TX_NEW },
	{ "v4 TCP SYN to port-0 service, port 65535",
	  { V4("10.0.0.11"), SYN(40011, 65535) }, .svc = SVC_ANY4, TX_NEW },
	{ "v4 TCP ACK to port-0 service, port 8080",
	  { V4("10.0.0.11"), ACK(40012, 8080) }, .svc = SVC_ANY4, TX_NEW },

	/* not a service: passed on */
	{ "v4 UDP to a TCP-only port-0 VIP", { V4("10.0.0.11"), UDP(5000, 22) },
	  PASS_NOTSVC },
	{ "v4 UDP to VIP:80 (a TCP service)", { V4("10.0.0.10"), UDP(5000, 80) },
	  PASS_NOTSVC },
	{ "v4 TCP to VIP:81 (no service)", { V4("10.0.0.10"), SYN(40020, 81) },
	  PASS_NOTSVC },
	{ "v4 TCP to VIP:53 (a UDP service)", { V4("10.0.0.10"), SYN(40021, 53) },
	  PASS_NOTSVC },
	{ "v4 TCP SYN to a non-VIP", { V4("10.0.0.99"), SYN(40022, 80) },
	  PASS_NOTSVC },
	{ "v4 TCP from the VIP (reply direction)",
	  { .family = 4, .src = "10.0.0.10", .dst = "10.1.0.5", SYN(80, 40023) },
	  PASS_NOTSVC },
	{ "v4 ICMP echo request to a VIP", { V4("10.0.0.10"), ICMP4(8, 0) },
	  PASS_NOTSVC },
	{ "v4 SCTP to a VIP", { V4("10.0.0.10"), .proto = IPPROTO_SCTP,
	  .sport = 5000, .dport = 80 }, PASS_NOTSVC },
	{ "ARP frame: not IP, not counted", { .ethertype = 0x0806, .payload_len = 28 },
	  .svc = NO_SVC, .verdict = XDP_PASS, .stats = 0 },

	/* IPv6 VIP, IPv6 backends: IP6IP6 */
	{ "v6 TCP SYN to VIP:80", { V6("fd00:10::10"), SYN(40030, 80) },
	  .svc = SVC_TCP6, TX_NEW },
	{ "v6 TCP ACK with payload", { V6("fd00:10::10"), ACK(40031, 80) },
	  .svc = SVC_TCP6, TX_NEW },
	{ "v6 TCP SYN, traffic class 0xb9 copied",
	  { V6("fd00:10::10"), SYN(40032, 80), .tos = 0xb9 }, .svc = SVC_TCP6, TX_NEW },
	{ "v6 TCP SYN, hop limit 1", { V6("fd00:10::10"), SYN(40033, 80), .ttl = 1 },
	  .svc = SVC_TCP6, TX_NEW },
	{ "v6 TCP SYN behind a destination options header",
	  { V6("fd00:10::10"), SYN(40034, 80), EXT(PKTGEN_EXT_DSTOPTS) },
	  .svc = SVC_TCP6, TX_NEW },
	{ "v6 UDP to VIP:53", { V6("fd00:10::10"), UDP(5353, 53) },
	  .svc = SVC_UDP6, TX_NEW },
	{ "v6 UDP to VIP:80 (a TCP service)", { V6("fd00:10::10"), UDP(5000, 80) },
	  PASS_NOTSVC },
	{ "v6 TCP SYN to a non-VIP", { V6("fd00:10::99"), SYN(40035, 80) },
	  PASS_NOTSVC },
	{ "v6 ICMPv6 echo request to a VIP", { V6("fd00:10::10"), ICMP6(128, 0) },
	  PASS_NOTSVC },

	/* across families */
	{ "v4 TCP SYN to a VIP with an IPv6 backend (4in6)",
	  { V4("10.0.0.12"), SYN(40040, 443) }, .svc = SVC_4IN6, TX_NEW },
	{ "v4 TCP ACK, TOS 0x28, to the 4in6 VIP",
	  { V4("10.0.0.12"), ACK(40041, 443), .tos = 0x28 }, .svc = SVC_4IN6, TX_NEW },
	{ "v6 TCP SYN to a VIP with an IPv4 backend (6in4)",
	  { V6("fd00:10::12"), SYN(40042, 443) }, .svc = SVC_6IN4, TX_NEW },
	{ "v6 TCP ACK, traffic class 0x28, to the 6in4 VIP",
	  { V6("fd00:10::12"), ACK(40043, 443), .tos = 0x28 }, .svc = SVC_6IN4, TX_NEW },

	/* no backend */
	{ "v4 TCP SYN to a service without backends",
	  { V4("10.0.0.13"), SYN(40050, 80) }, .svc = SVC_EMPTY4,
	  .verdict = XDP_DROP, .stats = S_MISS | S_NOBACKEND },
	{ "v6 TCP SYN to a service without backends",
	  { V6("fd00:10::13"), SYN(40051, 80) }, .svc = SVC_EMPTY6,
	  .verdict = XDP_DROP, .stats = S_MISS | S_NOBACKEND },

	/* fragments: a first one is balanced, a later one to a VIP address
	 * passed and counted (bpf/lb.bpf.c) */
	{ "v4 first fragment (ports present): balanced",
	  { V4("10.0.0.10"), UDP(5356, 53), .more_frags = true },
	  .svc = SVC_UDP4, TX_NEW },
	{ "v6 first fragment (ports present): balanced",
	  { V6("fd00:10::10"), UDP(5357, 53), EXT(PKTGEN_EXT_FRAGMENT),
	    .more_frags = true },
	  .svc = SVC_UDP6, TX_NEW },
	{ "v4 later fragment to a VIP: passed, counted",
	  { V4("10.0.0.10"), .proto = IPPROTO_UDP, .frag_off = 100,
	    .payload_len = 64 }, .svc = NO_SVC, .verdict = XDP_PASS,
	  .stats = S_FRAG },
	{ "v4 later fragment to a non-VIP: not a service",
	  { V4("10.0.0.99"), .proto = IPPROTO_UDP, .frag_off = 100,
	    .payload_len = 64 }, PASS_NOTSVC },
	{ "v6 later fragment to a VIP: passed, counted",
	  { V6("fd00:10::10"), .proto = IPPROTO_UDP, EXT(PKTGEN_EXT_FRAGMENT),
	    .frag_off = 100, .payload_len = 64 }, .svc = NO_SVC,
	  .verdict = XDP_PASS, .stats = S_FRAG },

	/* VLAN: the tags stay (bpf/include/lb_encap.h) */
	{ "802.1Q-tagged v4 TCP SYN to VIP:80",
	  { .vlans = 1, .vid = { 42 }, V4("10.0.0.10"), SYN(40060, 80) },
	  .svc = SVC_TCP4, TX_NEW },
	{ "QinQ-tagged v6 TCP SYN to VIP:80",
	  { .vlans = 2, .vid = { 100, 200 }, V6("fd00:10::10"), SYN(40061, 80) },
	  .svc = SVC_TCP6, TX_NEW },

	/* ICMP errors about a VIP's flow: to the flow's backend (a lookup
	 * without a connection-table insert) */
	{ "v4 frag-needed quoting VIP:80 -> client",
	  { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.10", ICMP4(3, 4),
	    .icmp_seq = 1400 }, .quote = Q_TCP4, .svc = SVC_TCP4,
	  .verdict = XDP_TX, .stats = S_MISS | S_FWD | S_ICMP },
	{ "v6 packet-too-big quoting VIP:80 -> client",
	  { .family = 6, .src = "2001:db8::1", .dst = "fd00:10::10", ICMP6(2, 0),
	    .icmp_seq = 1280 }, .quote = Q_TCP6, .svc = SVC_TCP6,
	  .verdict = XDP_TX, .stats = S_MISS | S_FWD | S_ICMP },
	{ "v4 port unreachable quoting VIP:80 -> client: passed",
	  { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.10", ICMP4(3, 3) },
	  .quote = Q_TCP4, PASS_NOTSVC },
	{ "v4 time exceeded quoting VIP:80 -> client: passed",
	  { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.10", ICMP4(11, 0) },
	  .quote = Q_TCP4, PASS_NOTSVC },
	{ "v4 frag-needed quoting a non-VIP flow: passed",
	  { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.99", ICMP4(3, 4),
	    .icmp_seq = 1400 }, .quote = Q_NOTVIP4, PASS_NOTSVC },
	{ "v6 echo reply to a VIP: passed",
	  { V6("fd00:10::10"), ICMP6(129, 0) }, PASS_NOTSVC },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* The quoted packet (IP header on, 8 bytes of TCP for IPv4 per RFC 792,
 * the whole packet for IPv6) into buf; its length. */
static size_t build_quote(enum quote q, uint8_t *buf, size_t cap)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .sport = 80,
			      .dport = QUOTE_CPORT, .tcp_flags = 0x12,
			      .payload_len = 16 };
	uint8_t frame[PKTGEN_MAX_LEN];
	struct pkt_layout l;
	size_t n;
	int len;

	switch (q) {
	case Q_TCP4:
		s.family = 4, s.src = "10.0.0.10", s.dst = QUOTE_CLIENT4;
		break;
	case Q_NOTVIP4:
		s.family = 4, s.src = "10.0.0.99", s.dst = QUOTE_CLIENT4;
		break;
	case Q_TCP6:
		s.family = 6, s.src = "fd00:10::10", s.dst = QUOTE_CLIENT6;
		break;
	default:
		return 0;
	}
	len = pktgen_build(&s, frame, sizeof(frame), &l);
	ck_assert_msg(len > 0, "pktgen_build (quote): %d", len);
	n = s.family == 4 ? (size_t)(l.l4_off - l.l3_off) + 8 : (size_t)l.l3_len;
	ck_assert(n <= cap);
	memcpy(buf, frame + l.l3_off, n);
	return n;
}

/* The flow the case's packet belongs to, for simulate() and the outer
 * source: the packet's own, or for an ICMP error the quoted one reversed. */
static void case_flow(const struct lb_case *c, const struct input *in,
		      struct ebpfnet_lb_flow *flow)
{
	const struct world_svc *w = &world[c->svc];

	flow->proto = w->proto;
	flow->dst = text_addr(w->vip);
	if (c->quote == Q_TCP4 || c->quote == Q_TCP6) {
		flow->src = text_addr(c->quote == Q_TCP4 ? QUOTE_CLIENT4 :
						       QUOTE_CLIENT6);
		flow->sport = QUOTE_CPORT;
		flow->dport = w->port;
		return;
	}
	flow->src.family = (uint8_t)in->client.family;
	memcpy(flow->src.addr, in->client.addr, 16);
	flow->sport = in->client.sport;
	flow->dport = get16(in->pkt + in->l.l4_off + 2);
}

/* The backend ebpfnet_lb_simulate() names for a flow; -1: none. */
static int simulate(struct fx *fx, const struct ebpfnet_lb_flow *flow,
		    struct ebpfnet_lb_addr *addr)
{
	EBPFNET_OPTS(ebpfnet_lb_backend, b);
	int ret = ebpfnet_lb_simulate(fx->lb, flow, &b);

	if (ret == -ENOENT)
		return -1;
	ck_assert_msg(ret == 0, "simulate: %s", ebpfnet_strerror(ret));
	if (addr)
		*addr = b.addr;
	return addr_host(&b.addr);
}

START_TEST(test_case_table)
{
	const struct lb_case *c = &cases[_i];
	uint8_t buf[PKTGEN_MAX_LEN], quote[512];
	struct ebpfnet_lb_stats before, after;
	struct svc_snap sb = { 0 }, sa = { 0 };
	EBPFNET_OPTS(ebpfnet_lb_flow, flow);
	struct ebpfnet_lb_addr backend;
	struct ebpfnet_lb_service svc;
	struct pkt_spec spec = c->pkt;
	struct input in = { 0 };
	bool tx = c->verdict == XDP_TX;
	int len, want_host = -1;
	struct sent out;
	struct fx fx;
	char name[32];

	fprintf(stderr, "case %d: %s\n", _i, c->name);
	snprintf(name, sizeof(name), "case%d", _i);
	open_world(&fx, name);
	if (c->quote != Q_NONE) {
		spec.payload = quote;
		spec.payload_len = build_quote(c->quote, quote, sizeof(quote));
	}
	len = pktgen_build(&spec, buf, sizeof(buf), &in.l);
	ck_assert_msg(len > 0, "pktgen_build: %d", len);
	in.pkt = buf;
	in.len = (size_t)len;
	in.client = client_of(buf, &in.l, spec.proto);

	if (c->svc != NO_SVC) {
		svc = world_service((enum svc_name)c->svc);
		sb.svc = sa.svc = &svc;
		if (tx) {
			case_flow(c, &in, &flow);
			want_host = simulate(&fx, &flow, &backend);
			ck_assert_msg(want_host > 0, "%s: simulate names no backend",
				      c->name);
			sb.backend = sa.backend = &backend;
			/* an ICMP error's outer source: from the flow it quotes */
			in.client.family = flow.src.family;
			memcpy(in.client.addr, flow.src.addr, 16);
			in.client.sport = flow.sport;
		}
		take_svc_snap(&fx, &sb);
	}
	before = get_stats(&fx);
	out = run_input(&fx, c->name, &in);
	after = get_stats(&fx);

	ck_assert_msg(out.verdict == c->verdict, "%s: verdict %s, expected %s",
		      c->name, verdict_name(out.verdict), verdict_name(c->verdict));
	if (tx)
		ck_assert_msg(out.host == want_host,
			      "%s: went to backend host %d, simulate says %d",
			      c->name, out.host, want_host);
	expect_stats(c->name, &before, &after, c->stats, 1);
	if (c->svc != NO_SVC) {
		take_svc_snap(&fx, &sa);
		expect_counters(c->name, "service", &sb.svc_c, &sa.svc_c,
				tx, tx ? in.len : 0, c->new_conn);
		if (tx)
			expect_counters(c->name, "backend", &sb.backend_c,
					&sa.backend_c, 1, in.len, c->new_conn);
	}
	fx_close(&fx);
}
END_TEST

/* ---- our checksum routine, checked ------------------------------------------ */

/* The routine every outer header is judged by: a header with a known
 * right checksum (RFC 1071's usual example, 192.168.0.1 -> .199, UDP)
 * passes, the same with any one bit flipped does not, and pktgen's
 * headers (another implementation) pass. */
START_TEST(test_own_checksum)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40,
			  0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
			  0x00, 0xc7 };
	struct pkt_spec spec = { .family = 4, .proto = IPPROTO_UDP, .sport = 1,
				 .dport = 2, .tos = 0x10, .ttl = 3, .ip_id = 0xbeef };
	uint8_t buf[128];
	struct pkt_layout l;
	int bit;

	ck_assert(ipv4_header_csum_ok(h, sizeof(h)));
	for (bit = 0; bit < 160; bit++) {
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(!ipv4_header_csum_ok(h, sizeof(h)),
			      "a flipped bit %d goes unnoticed", bit);
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	ck_assert_int_gt(pktgen_build(&spec, buf, sizeof(buf), &l), 0);
	ck_assert(ipv4_header_csum_ok(buf + l.l3_off, 20));
}
END_TEST

/* ---- the connection table and backend changes -------------------------- */

#define NFLOWS 200
#define SPORT_A 30000 /* the flows established first */
#define SPORT_B 50000 /* flows new after a change */

/* A v4 TCP service 10.0.0.20:80 with IPv4 backends hosts[] (weight 1). */
static struct ebpfnet_lb_service scenario(struct fx *fx, const char *name,
					  const unsigned *hosts, int n,
					  uint32_t table_size)
{
	struct ebpfnet_lb_service s = svc_of("10.0.0.20", 80, IPPROTO_TCP,
					     table_size);
	int i;

	fx_open(fx, name);
	add_service(fx, &s);
	for (i = 0; i < n; i++)
		add_backend(fx, &s, AF_INET, hosts[i], 1);
	return s;
}

/* NFLOWS SYNs (client i, SPORT_A + i); their hosts into host[]. */
static void establish(struct fx *fx, const struct ebpfnet_lb_service *s,
		      int *host)
{
	int i;

	for (i = 0; i < NFLOWS; i++)
		host[i] = send_flow(fx, s, (unsigned)i, (uint16_t)(SPORT_A + i), true);
}

static const unsigned three[] = { 11, 12, 13 };

START_TEST(test_conn_table_keeps_backend)
{
	struct ebpfnet_lb_stats b, a;
	struct ebpfnet_lb_service s;
	int host[NFLOWS], i, moved_by_maglev = 0;
	struct fx fx, control;
	const unsigned four[] = { 11, 12, 13, 14 };

	s = scenario(&fx, "conn", three, 3, SMALL_TABLE);
	establish(&fx, &s, host);

	/* second packets: connection-table hits, same backend */
	b = get_stats(&fx);
	for (i = 0; i < NFLOWS; i++)
		ck_assert_int_eq(send_flow(&fx, &s, (unsigned)i,
					   (uint16_t)(SPORT_A + i), false), host[i]);
	a = get_stats(&fx);
	expect_stats("second packets", &b, &a, S_HIT | S_FWD, NFLOWS);

	/* re-weight one backend, then add a fourth: nobody moves */
	set_backend(&fx, &s, AF_INET, 11, 5, EBPFNET_LB_BACKEND_ACTIVE);
	for (i = 0; i < NFLOWS; i++)
		ck_assert_msg(send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_A + i),
					false) == host[i],
			      "flow %d left host %d after a weight change", i, host[i]);
	add_backend(&fx, &s, AF_INET, 14, 1);
	b = get_stats(&fx);
	for (i = 0; i < NFLOWS; i++)
		ck_assert_msg(send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_A + i),
					false) == host[i],
			      "flow %d left host %d after a backend was added", i,
			      host[i]);
	a = get_stats(&fx);
	expect_stats("after the changes", &b, &a, S_HIT | S_FWD, NFLOWS);

	/* without the connection table (a fresh balancer with the final
	 * backends), Maglev alone would have moved some of them: the test
	 * above could fail */
	s = scenario(&control, "conn-control", four, 4, SMALL_TABLE);
	set_backend(&control, &s, AF_INET, 11, 5, EBPFNET_LB_BACKEND_ACTIVE);
	for (i = 0; i < NFLOWS; i++)
		moved_by_maglev += simulate_flow(&control, &s, (unsigned)i,
						 (uint16_t)(SPORT_A + i)) != host[i];
	fprintf(stderr, "Maglev alone would have moved %d of %d flows\n",
		moved_by_maglev, NFLOWS);
	ck_assert_int_gt(moved_by_maglev, 0);
	fx_close(&control);
	fx_close(&fx);
}
END_TEST

START_TEST(test_draining)
{
	struct ebpfnet_lb_service s;
	int host[NFLOWS], i, on_drained = 0, drained;
	struct fx fx;

	s = scenario(&fx, "drain", three, 3, SMALL_TABLE);
	establish(&fx, &s, host);
	drained = host[0];
	set_backend(&fx, &s, AF_INET, (unsigned)drained, 1,
		    EBPFNET_LB_BACKEND_DRAINING);
	for (i = 0; i < NFLOWS; i++) {
		on_drained += host[i] == drained;
		ck_assert_msg(send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_A + i),
					false) == host[i],
			      "established flow %d left host %d", i, host[i]);
	}
	ck_assert_int_gt(on_drained, 0);
	for (i = 0; i < NFLOWS; i++) {
		int h = send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_B + i), true);

		ck_assert_msg(h != drained, "new flow %d went to draining host %d",
			      i, drained);
	}
	fx_close(&fx);
}
END_TEST

START_TEST(test_down)
{
	struct ebpfnet_lb_stats b, a;
	struct ebpfnet_lb_service s;
	int host[NFLOWS], i, on_down = 0, down;
	struct fx fx;

	s = scenario(&fx, "down", three, 3, SMALL_TABLE);
	establish(&fx, &s, host);
	down = host[0];
	set_backend(&fx, &s, AF_INET, (unsigned)down, 1, EBPFNET_LB_BACKEND_DOWN);
	b = get_stats(&fx);
	for (i = 0; i < NFLOWS; i++) {
		int h = send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_A + i), false);

		if (host[i] == down) {
			on_down++;
			ck_assert_msg(h != down, "flow %d stayed on down host %d", i, down);
		} else {
			ck_assert_msg(h == host[i], "flow %d moved from %d to %d", i,
				      host[i], h);
		}
	}
	a = get_stats(&fx);
	ck_assert_int_gt(on_down, 0);
	/* the flows of the down backend needed Maglev again */
	ck_assert_uint_eq(a.conn_misses - b.conn_misses, (uint64_t)on_down);
	ck_assert_uint_eq(a.conn_hits - b.conn_hits, (uint64_t)(NFLOWS - on_down));
	fx_close(&fx);
}
END_TEST

START_TEST(test_remove_backend)
{
	struct ebpfnet_lb_service s;
	struct ebpfnet_lb_addr gone;
	int host[NFLOWS], i, moved = 0, removed, ret;
	struct fx fx;

	s = scenario(&fx, "remove", three, 3, SMALL_TABLE);
	establish(&fx, &s, host);
	removed = host[0];
	gone = host_addr(AF_INET, (unsigned)removed);
	ret = ebpfnet_lb_backend_del(fx.lb, &s, &gone);
	ck_assert_msg(ret == 0, "backend_del: %s", ebpfnet_strerror(ret));
	for (i = 0; i < NFLOWS; i++) {
		int h = send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_A + i), false);

		if (host[i] == removed) {
			moved++;
			ck_assert_msg(h != removed, "flow %d still goes to removed host %d",
				      i, removed);
		} else {
			ck_assert_msg(h == host[i], "flow %d of host %d moved to %d",
				      i, host[i], h);
		}
	}
	ck_assert_int_gt(moved, 0);
	for (i = 0; i < NFLOWS; i++)
		ck_assert_int_ne(send_flow(&fx, &s, (unsigned)i,
					   (uint16_t)(SPORT_B + i), true), removed);
	fx_close(&fx);
}
END_TEST

/* Send a SYN expected to be dropped for want of a backend. */
static void expect_no_backend(struct fx *fx, const struct ebpfnet_lb_service *s,
			      unsigned client, uint16_t sport, const char *label)
{
	static struct flow_pkt f;
	struct ebpfnet_lb_stats b, a;
	struct sent out;

	build_flow(&f, s, client, sport, true);
	b = get_stats(fx);
	out = run_input(fx, label, &f.in);
	a = get_stats(fx);
	ck_assert_msg(out.verdict == XDP_DROP, "%s: verdict %s, expected XDP_DROP",
		      label, verdict_name(out.verdict));
	expect_stats(label, &b, &a, S_MISS | S_NOBACKEND, 1);
}

/*
 * A connection entry outlives its backend: once the backend's id is
 * reused by another service, the entry must be a miss, never a way into
 * that other service's backend. Two backend ids make the reuse immediate.
 */
START_TEST(test_reused_backend_id)
{
	EBPFNET_OPTS(ebpfnet_lb_opts, opts, .max_services = 4, .max_backends = 2,
		     .ring_slots = 4096, .conn_table_size = 1024);
	struct ebpfnet_lb_service a = svc_of("10.0.0.20", 80, IPPROTO_TCP, SMALL_TABLE);
	struct ebpfnet_lb_service b = svc_of("10.0.0.21", 80, IPPROTO_TCP, SMALL_TABLE);
	struct ebpfnet_lb_addr gone = host_addr(AF_INET, 11);
	struct fx fx;
	int ret;

	fx_open_opts(&fx, "reused-id", &opts);
	add_service(&fx, &a);
	add_service(&fx, &b);
	add_backend(&fx, &a, AF_INET, 11, 1);               /* id 1 */
	ck_assert_int_eq(send_flow(&fx, &a, 0, SPORT_A, true), 11);
	ret = ebpfnet_lb_backend_del(fx.lb, &a, &gone);     /* id 1 free */
	ck_assert_msg(ret == 0, "backend_del: %s", ebpfnet_strerror(ret));
	add_backend(&fx, &b, AF_INET, 12, 1);               /* id 2 */
	add_backend(&fx, &b, AF_INET, 13, 1);               /* id 1 again */
	/* the flow's entry still names id 1, now service b's host 13 */
	expect_no_backend(&fx, &a, 0, SPORT_A, "old flow of a after id reuse");
	fx_close(&fx);
}
END_TEST

START_TEST(test_no_usable_backend)
{
	const unsigned one[] = { 11 };
	struct ebpfnet_lb_service s;
	struct ebpfnet_lb_addr gone;
	struct fx fx;
	int ret;

	s = scenario(&fx, "nobackend", one, 1, SMALL_TABLE);
	ck_assert_int_eq(send_flow(&fx, &s, 1, 1000, true), 11);
	set_backend(&fx, &s, AF_INET, 11, 1, EBPFNET_LB_BACKEND_DRAINING);
	expect_no_backend(&fx, &s, 2, 2000, "new flow, only backend draining");
	ck_assert_int_eq(send_flow(&fx, &s, 1, 1000, false), 11);
	set_backend(&fx, &s, AF_INET, 11, 1, EBPFNET_LB_BACKEND_DOWN);
	expect_no_backend(&fx, &s, 3, 3000, "new flow, only backend down");
	expect_no_backend(&fx, &s, 1, 1000, "established flow, only backend down");
	set_backend(&fx, &s, AF_INET, 11, 1, EBPFNET_LB_BACKEND_ACTIVE);
	ck_assert_int_eq(send_flow(&fx, &s, 3, 3000, true), 11);
	gone = host_addr(AF_INET, 11);
	ret = ebpfnet_lb_backend_del(fx.lb, &s, &gone);
	ck_assert_msg(ret == 0, "backend_del: %s", ebpfnet_strerror(ret));
	expect_no_backend(&fx, &s, 3, 3000, "established flow, backend removed");
	fx_close(&fx);
}
END_TEST

/* ---- Maglev's distribution, and simulate() against the datapath ---------- */

#define DIST_FLOWS 3000
#define DIST_TOLERANCE 0.03 /* absolute, on each share; about 4 standard
			     * deviations of 3000 draws at p = 1/6 */

START_TEST(test_distribution)
{
	const unsigned w[3] = { 1, 2, 3 };
	struct ebpfnet_lb_service s = svc_of("10.0.0.21", 80, IPPROTO_TCP, 0);
	int count[3] = { 0 }, i, h;
	struct fx fx;

	fx_open(&fx, "dist");
	add_service(&fx, &s);
	for (i = 0; i < 3; i++)
		add_backend(&fx, &s, AF_INET, three[i], w[i]);
	for (i = 0; i < DIST_FLOWS; i++) {
		h = send_flow(&fx, &s, (unsigned)i, (uint16_t)(20000 + i % 40000), true);
		ck_assert_msg(h >= 11 && h <= 13, "flow %d went to host %d", i, h);
		count[h - 11]++;
	}
	for (i = 0; i < 3; i++) {
		double share = (double)count[i] / DIST_FLOWS, want = w[i] / 6.0;

		fprintf(stderr, "weight %u: %d flows, share %.3f (expected %.3f +- %.2f)\n",
			w[i], count[i], share, want, DIST_TOLERANCE);
		ck_assert_msg(share > want - DIST_TOLERANCE &&
			      share < want + DIST_TOLERANCE,
			      "weight %u: share %.3f, expected %.3f +- %.2f", w[i],
			      share, want, DIST_TOLERANCE);
	}
	fx_close(&fx);
}
END_TEST

START_TEST(test_simulate_agrees)
{
	struct ebpfnet_lb_service s4 = svc_of("10.0.0.22", 80, IPPROTO_TCP, SMALL_TABLE);
	struct ebpfnet_lb_service s6 = svc_of("fd00:10::22", 0, IPPROTO_TCP, SMALL_TABLE);
	const uint32_t w[4] = { 1, 1, 2, 3 };
	int i, want, got;
	struct fx fx;

	fx_open(&fx, "simulate");
	add_service(&fx, &s4);
	add_service(&fx, &s6);
	for (i = 0; i < 4; i++) {
		add_backend(&fx, &s4, AF_INET, 11 + (unsigned)i, w[i]);
		add_backend(&fx, &s6, AF_INET6, 11 + (unsigned)i, w[i]);
	}
	for (i = 0; i < 100; i++) {
		const struct ebpfnet_lb_service *s = i % 2 ? &s6 : &s4;
		uint16_t sport = (uint16_t)(1024 + i * 97);

		want = simulate_flow(&fx, s, (unsigned)i, sport);
		got = send_flow(&fx, s, (unsigned)i, sport, true);
		ck_assert_msg(got == want, "flow %d: datapath host %d, simulate %d",
			      i, got, want);
		/* once known, simulate reads the connection table */
		ck_assert_int_eq(simulate_flow(&fx, s, (unsigned)i, sport), got);
	}
	fx_close(&fx);
}
END_TEST

/* ---- ICMP errors follow their flow -------------------------------------- */

#define ICMP_FLOWS 50

/* An ICMP frag-needed / packet-too-big from a router to the VIP quoting
 * the reply VIP:port -> client:sport of flow (client, sport). */
static void build_icmp_error(struct flow_pkt *f, const struct ebpfnet_lb_service *s,
			     unsigned client, uint16_t sport)
{
	bool v4 = s->vip.family == AF_INET;
	struct pkt_spec q = { .family = v4 ? 4 : 6, .proto = s->proto,
			      .sport = s->port, .dport = sport,
			      .tcp_flags = 0x12, .payload_len = 16 };
	struct pkt_spec e = { .family = v4 ? 4 : 6,
			      .src = v4 ? "192.0.2.1" : "2001:db8::1",
			      .proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			      .icmp_type = v4 ? 3 : 2, .icmp_code = v4 ? 4 : 0,
			      .icmp_seq = v4 ? 1400 : 1280 };
	uint8_t frame[PKTGEN_MAX_LEN];
	struct pkt_layout l;
	int len;

	client_text(s->vip.family, client, f->src, sizeof(f->src));
	addr_str(&s->vip, f->dst, sizeof(f->dst));
	q.src = f->dst;
	q.dst = f->src;
	len = pktgen_build(&q, frame, sizeof(frame), &l);
	ck_assert_msg(len > 0, "pktgen_build (quote): %d", len);
	e.dst = f->dst;
	e.payload = frame + l.l3_off;
	e.payload_len = (size_t)l.l3_len;
	len = pktgen_build(&e, f->buf, sizeof(f->buf), &f->in.l);
	ck_assert_msg(len > 0, "pktgen_build (icmp): %d", len);
	f->in.pkt = f->buf;
	f->in.len = (size_t)len;
	/* the outer source of a forwarded error: from the flow it quotes */
	f->in.client.family = s->vip.family;
	memcpy(f->in.client.addr, text_addr(f->src).addr, 16);
	f->in.client.sport = sport;
}

static void icmp_follows_flow(int family)
{
	const char *vip = family == AF_INET ? "10.0.0.23" : "fd00:10::23";
	struct ebpfnet_lb_service s = svc_of(vip, 80, IPPROTO_TCP, SMALL_TABLE);
	static struct flow_pkt f;
	struct ebpfnet_lb_stats b, a;
	int host[ICMP_FLOWS], i;
	unsigned h;
	struct sent out;
	struct fx fx;

	fx_open(&fx, family == AF_INET ? "icmp4" : "icmp6");
	add_service(&fx, &s);
	for (h = 11; h <= 12; h++)
		add_backend(&fx, &s, family, h, 1);
	for (i = 0; i < ICMP_FLOWS; i++)
		host[i] = send_flow(&fx, &s, (unsigned)i, (uint16_t)(SPORT_A + i), true);
	/* Maglev now maps some of these flows elsewhere: only the
	 * connection table knows their backend */
	for (h = 13; h <= 16; h++)
		add_backend(&fx, &s, family, h, 1);
	b = get_stats(&fx);
	for (i = 0; i < ICMP_FLOWS; i++) {
		build_icmp_error(&f, &s, (unsigned)i, (uint16_t)(SPORT_A + i));
		out = run_input(&fx, "ICMP error", &f.in);
		ck_assert_msg(out.verdict == XDP_TX,
			      "ICMP error of flow %d: verdict %s", i,
			      verdict_name(out.verdict));
		ck_assert_msg(out.host == host[i],
			      "ICMP error of flow %d went to host %d, its flow is on %d",
			      i, out.host, host[i]);
	}
	a = get_stats(&fx);
	expect_stats("ICMP errors", &b, &a, S_HIT | S_FWD | S_ICMP, ICMP_FLOWS);
	fx_close(&fx);
}

START_TEST(test_icmp4_follows_flow)
{
	icmp_follows_flow(AF_INET);
}
END_TEST

START_TEST(test_icmp6_follows_flow)
{
	icmp_follows_flow(AF_INET6);
}
END_TEST

/* ---- truncated packets ---------------------------------------------------- */

/* Every prefix of a packet to the service, from 14 bytes: passed and
 * counted malformed, nothing else moves; the whole packet is forwarded. */
static void truncations(const struct ebpfnet_lb_service *s, const char *name)
{
	static struct flow_pkt f;
	struct ebpfnet_lb_stats b, a;
	struct input cut;
	struct sent out;
	char label[96];
	size_t len;
	struct fx fx;

	fx_open(&fx, name);
	add_service(&fx, s);
	add_backend(&fx, s, s->vip.family, 11, 1);
	build_flow(&f, s, 7, 4321, true);
	for (len = TEST_RUN_MIN_LEN; len < f.in.len; len++) {
		cut = f.in;
		cut.len = len;
		snprintf(label, sizeof(label), "%s truncated to %zu of %zu bytes",
			 name, len, f.in.len);
		b = get_stats(&fx);
		out = run_input(&fx, label, &cut);
		a = get_stats(&fx);
		ck_assert_msg(out.verdict == XDP_PASS, "%s: verdict %s", label,
			      verdict_name(out.verdict));
		expect_stats(label, &b, &a, S_MALFORMED, 1);
	}
	ck_assert_int_eq(send_flow(&fx, s, 7, 4321, true), 11);
	fx_close(&fx);
}

START_TEST(test_truncated_tcp4)
{
	struct ebpfnet_lb_service s = svc_of("10.0.0.24", 80, IPPROTO_TCP, SMALL_TABLE);

	truncations(&s, "trunc-tcp4");
}
END_TEST

START_TEST(test_truncated_tcp6)
{
	struct ebpfnet_lb_service s = svc_of("fd00:10::24", 80, IPPROTO_TCP,
					     SMALL_TABLE);

	truncations(&s, "trunc-tcp6");
}
END_TEST

/* ---- an unresolved next hop ---------------------------------------------- */

/* A backend whose next hop does not answer is added with no MAC: its
 * packets are dropped and counted (no_neighbour) until `backend set`
 * finds the neighbour. */
START_TEST(test_no_neighbour)
{
	const unsigned lonely = HOST_NEIGH_LAST + 1;
	struct ebpfnet_lb_service s = svc_of("10.0.0.28", 80, IPPROTO_TCP, SMALL_TABLE);
	static struct flow_pkt f;
	struct ebpfnet_lb_stats b, a;
	struct sent out;
	struct fx fx;

	fx_open(&fx, "noneigh");
	add_service(&fx, &s);
	add_backend(&fx, &s, AF_INET, lonely, 1); /* waits for ARP in vain */
	build_flow(&f, &s, 9, 999, true);
	b = get_stats(&fx);
	out = run_input(&fx, "SYN, next hop unresolved", &f.in);
	a = get_stats(&fx);
	ck_assert_msg(out.verdict == XDP_DROP, "verdict %s, expected XDP_DROP",
		      verdict_name(out.verdict));
	expect_stats("SYN, next hop unresolved", &b, &a, S_MISS | S_NONEIGH, 1);

	ck_assert_int_eq(sh("ip neigh replace 198.18.%u.%u lladdr 02:00:00:00:04:%02x "
			    "dev %s nud permanent", net_x, lonely, lonely, veth), 0);
	set_backend(&fx, &s, AF_INET, lonely, 1, EBPFNET_LB_BACKEND_ACTIVE);
	b = get_stats(&fx);
	ck_assert_int_eq(send_flow(&fx, &s, 9, 999, false), (int)lonely);
	a = get_stats(&fx);
	expect_stats("after backend set", &b, &a, S_HIT | S_FWD, 1);
	fx_close(&fx);
}
END_TEST

/* ---- the MTU ------------------------------------------------------------------ */

/*
 * The balancer checks the outer datagram against the MTU of the interface
 * the packet came in on (XDP_TX leaves by it), which the library records
 * for the interfaces it is attached to (bpf/lb.bpf.c). So each of these
 * tests makes a veth pair with MTU VETH_MTU, attaches the balancer to it
 * and runs the packets with ingress_ifindex set to it; a run from lo (not
 * attached) is not checked.
 */
static int run_on(struct fx *fx, const struct input *in, uint32_t ifindex,
		  struct test_run_result *r)
{
	struct xdp_md ctx = { .data = 0, .data_end = (uint32_t)in->len,
			      .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->pkt,
		.data_size_in = (uint32_t)in->len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1);

	memset(r, 0, sizeof(*r));
	return test_run_opts(fx->prog_fd, &opts, r);
}

/* A UDP packet from client 3, sport, to the service whose IP datagram is
 * l3_len bytes long. */
static void build_sized(struct flow_pkt *f, const struct ebpfnet_lb_service *s,
			uint16_t sport, size_t l3_len)
{
	size_t hdrs = (s->vip.family == AF_INET ? 20 : 40) + 8;
	struct pkt_spec spec = { .family = s->vip.family == AF_INET ? 4 : 6,
				 .proto = IPPROTO_UDP, .sport = sport,
				 .dport = s->port, .payload_len = l3_len - hdrs };
	int len;

	client_text(s->vip.family, 3, f->src, sizeof(f->src));
	addr_str(&s->vip, f->dst, sizeof(f->dst));
	spec.src = f->src;
	spec.dst = f->dst;
	len = pktgen_build(&spec, f->buf, sizeof(f->buf), &f->in.l);
	ck_assert_msg(len > 0 && f->in.l.l3_len == (int)l3_len,
		      "pktgen_build: %d", len);
	f->in.pkt = f->buf;
	f->in.len = (size_t)len;
	f->in.client = client_of(f->buf, &f->in.l, IPPROTO_UDP);
}

/* The ICMP frag-needed / packet-too-big answer to in: back to the client
 * from the VIP, the next-hop MTU what fits through the tunnel, quoting
 * the start of the datagram (bpf/include/lb_icmp.h: 68 / 128 bytes). */
static void expect_too_big_answer(const struct input *in,
				  const struct test_run_result *r,
				  unsigned next_mtu)
{
	const uint8_t *o = r->data_out, *in_ip = in->pkt + in->l.l3_off;
	bool v4 = in_ip[0] >> 4 == 4;
	size_t ip_len = v4 ? 20 : 40, quote = v4 ? 68 : 128;
	const uint8_t *ip = o + ETH_HLEN, *icmp = ip + ip_len;
	uint32_t sum;

	ck_assert_uint_eq(r->data_out_len, ETH_HLEN + ip_len + 8 + quote);
	ck_assert_msg(!memcmp(o, in->pkt + 6, 6) && !memcmp(o + 6, in->pkt, 6),
		      "the answer's MACs are not the input's swapped");
	ck_assert_uint_eq(get16(o + 12), v4 ? ETH_P_IP : ETH_P_IPV6);
	if (v4) {
		ck_assert_uint_eq(ip[0], 0x45);
		ck_assert_uint_eq(get16(ip + 2), 20 + 8 + quote);
		ck_assert_uint_eq(get16(ip + 6) & 0x3fff, 0); /* not a fragment */
		ck_assert_uint_eq(ip[8], OUTER_TTL);
		ck_assert_uint_eq(ip[9], IPPROTO_ICMP);
		ck_assert_msg(ipv4_header_csum_ok(ip, 20), "IPv4 header checksum");
		ck_assert_msg(!memcmp(ip + 12, in_ip + 16, 4) &&
			      !memcmp(ip + 16, in_ip + 12, 4),
			      "the answer is not VIP -> client");
		ck_assert_uint_eq(icmp[0], 3);
		ck_assert_uint_eq(icmp[1], 4);
		ck_assert_uint_eq(get16(icmp + 4), 0);
		ck_assert_uint_eq(get16(icmp + 6), next_mtu);
		sum = 0;
	} else {
		ck_assert_uint_eq(ip[0] >> 4, 6);
		ck_assert_uint_eq(get16(ip + 4), 8 + quote);
		ck_assert_uint_eq(ip[6], IPPROTO_ICMPV6);
		ck_assert_uint_eq(ip[7], OUTER_TTL);
		ck_assert_msg(!memcmp(ip + 8, in_ip + 24, 16) &&
			      !memcmp(ip + 24, in_ip + 8, 16),
			      "the answer is not VIP -> client");
		ck_assert_uint_eq(icmp[0], 2);
		ck_assert_uint_eq(icmp[1], 0);
		ck_assert_uint_eq((uint32_t)get16(icmp + 4) << 16 | get16(icmp + 6),
				  next_mtu);
		/* the pseudo-header: addresses, length, next header */
		sum = inet_sum(ip + 8, 32, 0) + (uint32_t)(8 + quote) + IPPROTO_ICMPV6;
	}
	ck_assert_msg(inet_fold(inet_sum(icmp, 8 + quote, sum)) == 0xffff,
		      "ICMP checksum 0x%04x is wrong", get16(icmp + 2));
	ck_assert_msg(!memcmp(icmp + 8, in_ip, quote),
		      "the quote is not the start of the datagram");
}

static void mtu_case(int idx, int family, enum ebpfnet_lb_mtu_policy policy)
{
	struct ebpfnet_lb_service s = svc_of(family == AF_INET ? "10.0.0.25" :
					     "fd00:10::25", 53, IPPROTO_UDP,
					     SMALL_TABLE);
	size_t outer = family == AF_INET ? 20 : 40;
	static struct test_run_result r;
	static struct flow_pkt f;
	struct ebpfnet_lb_stats b, a;
	char name[32], dev[IFNAMSIZ];
	uint32_t ifindex;
	struct fx fx;
	int ret;

	mtu_veth_name(idx, dev, sizeof(dev));
	ck_assert_msg(sh("ip link add %s mtu %d type veth peer name %sp mtu %d",
			 dev, VETH_MTU, dev, VETH_MTU) == 0, "ip link add %s", dev);
	ifindex = if_nametoindex(dev);
	snprintf(name, sizeof(name), "mtu%d", idx);
	fx_open(&fx, name);
	add_service(&fx, &s);
	add_backend(&fx, &s, family, 11, 1);
	if (policy != EBPFNET_LB_MTU_DROP) {
		ret = ebpfnet_lb_set_mtu_policy(fx.lb, policy);
		ck_assert_msg(ret == 0, "set_mtu_policy: %s", ebpfnet_strerror(ret));
	}
	ck_assert_uint_ne(ifindex, 0);
	ret = ebpfnet_lb_attach(fx.lb, dev, EBPFNET_XDP_MODE_AUTO);
	ck_assert_msg(ret == 0, "attach %s: %s", dev, ebpfnet_strerror(ret));

	/* exactly the MTU once encapsulated: forwarded */
	build_sized(&f, &s, 4444, VETH_MTU - outer);
	ck_assert_int_eq(run_on(&fx, &f.in, ifindex, &r), 0);
	ck_assert_msg(r.retval == XDP_TX, "MTU-sized: verdict %s",
		      verdict_name(r.retval));
	ck_assert_int_eq(expect_encap("MTU-sized", &f.in, &r), 11);

	/* one byte over (a new flow) */
	build_sized(&f, &s, 4445, VETH_MTU - outer + 1);
	b = get_stats(&fx);
	ck_assert_int_eq(run_on(&fx, &f.in, ifindex, &r), 0);
	a = get_stats(&fx);
	if (policy == EBPFNET_LB_MTU_DROP) {
		ck_assert_msg(r.retval == XDP_DROP, "over the MTU: verdict %s",
			      verdict_name(r.retval));
	} else {
		ck_assert_msg(r.retval == XDP_TX, "over the MTU: verdict %s",
			      verdict_name(r.retval));
		expect_too_big_answer(&f.in, &r, VETH_MTU - (unsigned)outer);
	}
	expect_stats("over the MTU", &b, &a, S_MISS | S_TOOBIG, 1);

	/* the same from lo, where the balancer is not attached: no check */
	ck_assert_int_eq(send_flow_input(&fx, &f.in), 11);

	ret = ebpfnet_lb_detach(fx.lb, dev);
	ck_assert_msg(ret == 0, "detach %s: %s", dev, ebpfnet_strerror(ret));
	fx_close(&fx);
	ck_assert_int_eq(sh("ip link del %s", dev), 0);
}

START_TEST(test_mtu4_drop)
{
	mtu_case(0, AF_INET, EBPFNET_LB_MTU_DROP);
}
END_TEST

START_TEST(test_mtu6_drop)
{
	mtu_case(1, AF_INET6, EBPFNET_LB_MTU_DROP);
}
END_TEST

START_TEST(test_mtu4_icmp)
{
	mtu_case(2, AF_INET, EBPFNET_LB_MTU_ICMP);
}
END_TEST

START_TEST(test_mtu6_icmp)
{
	mtu_case(3, AF_INET6, EBPFNET_LB_MTU_ICMP);
}
END_TEST

/* ---- configured outer source prefixes -------------------------------------- */

START_TEST(test_outer_prefixes)
{
	EBPFNET_OPTS(ebpfnet_lb_opts, opts,
		.max_services = 8, .max_backends = 16, .ring_slots = 8192,
		.conn_table_size = 1024,
		.outer_src4 = "10.99.0.0/16",
		.outer_src6 = "2001:db8:99::/64");
	struct ebpfnet_lb_service v4 = svc_of("10.0.0.26", 80, IPPROTO_TCP, SMALL_TABLE);
	struct ebpfnet_lb_service v6 = svc_of("fd00:10::26", 80, IPPROTO_TCP, SMALL_TABLE);
	struct ebpfnet_lb_service x = svc_of("10.0.0.27", 80, IPPROTO_TCP, SMALL_TABLE);
	const uint8_t p4[4] = { 10, 99 };
	struct ebpfnet_lb_addr p6 = text_addr("2001:db8:99::");
	struct fx fx;
	int i;

	memcpy(outer_prefix4, p4, 4);
	memcpy(outer_prefix6, p6.addr, 16);
	fx_open_opts(&fx, "prefixes", &opts);
	add_service(&fx, &v4);
	add_service(&fx, &v6);
	add_service(&fx, &x);
	add_backend(&fx, &v4, AF_INET, 11, 1);
	add_backend(&fx, &v6, AF_INET6, 11, 1);
	add_backend(&fx, &x, AF_INET6, 12, 1);
	/* expect_encap checks each outer source against these prefixes */
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(send_flow(&fx, &v4, (unsigned)i * 13, (uint16_t)(i * 3001), true), 11);
		ck_assert_int_eq(send_flow(&fx, &v6, (unsigned)i * 13, (uint16_t)(i * 3001), true), 11);
		ck_assert_int_eq(send_flow(&fx, &x, (unsigned)i * 13, (uint16_t)(i * 3001), true), 12);
	}
	fx_close(&fx);
}
END_TEST

/* ---- suite ------------------------------------------------------------------ */

static Suite *lb_datapath_suite(void)
{
	Suite *s = suite_create("lb_datapath");
	TCase *tc = tcase_create("datapath");

	tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_own_checksum);
	tcase_add_loop_test(tc, test_case_table, 0, NCASES);
	tcase_add_test(tc, test_conn_table_keeps_backend);
	tcase_add_test(tc, test_draining);
	tcase_add_test(tc, test_down);
	tcase_add_test(tc, test_remove_backend);
	tcase_add_test(tc, test_reused_backend_id);
	tcase_add_test(tc, test_no_usable_backend);
	tcase_add_test(tc, test_distribution);
	tcase_add_test(tc, test_simulate_agrees);
	tcase_add_test(tc, test_icmp4_follows_flow);
	tcase_add_test(tc, test_icmp6_follows_flow);
	tcase_add_test(tc, test_truncated_tcp4);
	tcase_add_test(tc, test_truncated_tcp6);
	tcase_add_test(tc, test_no_neighbour);
	tcase_add_test(tc, test_mtu4_drop);
	tcase_add_test(tc, test_mtu6_drop);
	tcase_add_test(tc, test_mtu4_icmp);
	tcase_add_test(tc, test_mtu6_icmp);
	tcase_add_test(tc, test_outer_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	test_require_root();
	ebpfnet_set_print(print_to_stderr);
	return test_run_suite(lb_datapath_suite(), CK_VERBOSE);
}
