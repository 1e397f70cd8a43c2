/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The flow observer against the real kernel (root): real traffic (ping,
 * TCP, UDP, IPv6) between the host and a private network namespace over
 * a veth pair whose host end is observed; the records read through
 * poll() and snapshot() are checked against what was sent (packets, frame
 * bytes, orientation, TCP flag exports in order), the drop object's drops
 * show as DROPPED records through the node's monitor, and the lifecycle
 * (one reader per node, persistence, replacement, removal) is checked
 * down to the TC filters and the pins.
 *
 * Every case gets its own environment, made and removed in the runner
 * process by an unchecked fixture (so also after a failed or crashed
 * test): a bpffs mounted on a temp directory (the pin root), a network
 * namespace and a veth pair named after the pid.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#include "check_case.h"
#include "check_run.h"
#include "flow_abi.h"
#include "now.h"
#include "priv.h"
#include "shell_run.h"
#include "tc.h"

#define ICMP_FRAME 98      /* ping's default: 14 + 20 + 8 + 56 */
#define ICMP6_FRAME 118    /* 14 + 40 + 8 + 56 */
#define UDP_PAYLOAD 10
#define UDP_FRAME (14 + 20 + 8 + UDP_PAYLOAD)
#define TCP_PORT 8080
#define TCP_CLIENT_PORT 40123
#define UDP_PORT 9999
#define UDP_CLIENT_PORT 40124
#define MAX_RECORDS 4096

static pid_t parent_pid;
static int env_seq;
static char root[128];          /* the pin root: a private bpffs */
static int root_entries;        /* in it when mounted (bpf_preload's) */
static char netns[64];
static char host_if[IF_NAMESIZE], peer_if[IF_NAMESIZE];
static char host_ip[32], peer_ip[32], host_ip6[64], peer_ip6[64];

/* ---- the environment (runner process) ------------------------------------ */

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void env_teardown(void)
{
	if (getpid() != parent_pid)
		return;
	if (netns[0]) /* ends the servers a failed test left in it */
		run("ip netns pids %s 2>/dev/null | xargs -r kill 2>/dev/null", netns);
	if (host_if[0] && if_nametoindex(host_if))
		run("ip link del %s", host_if);
	host_if[0] = '\0';
	if (netns[0])
		run("ip netns del %s 2>/dev/null", netns);
	netns[0] = '\0';
	if (root[0]) {
		/* Unmounting the bpffs drops every pin a failed test left. */
		umount2(root, MNT_DETACH);
		rmdir(root);
	}
	root[0] = '\0';
}

static void env_setup(void)
{
	char tmpl[] = "/tmp/ebpfnet-test-flow-XXXXXX";
	int net = 200 + parent_pid % 50;

	env_seq++;
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	snprintf(netns, sizeof(netns), "ebpfnet-flow-%d-%d", (int)parent_pid, env_seq);
	snprintf(host_if, sizeof(host_if), "fl%dh%d", (int)parent_pid, env_seq);
	snprintf(peer_if, sizeof(peer_if), "fl%dp%d", (int)parent_pid, env_seq);
	snprintf(host_ip, sizeof(host_ip), "10.%d.%d.1", net, env_seq);
	snprintf(peer_ip, sizeof(peer_ip), "10.%d.%d.2", net, env_seq);
	snprintf(host_ip6, sizeof(host_ip6), "fd00:%x:%x::1", net, env_seq);
	snprintf(peer_ip6, sizeof(peer_ip6), "fd00:%x:%x::2", net, env_seq);
	if (ebpfnet_mount_bpffs(root) ||
	    run("ip netns add %s && ip -n %s link set lo up", netns, netns) ||
	    run("ip link add %s type veth peer name %s netns %s", host_if, peer_if,
		netns) ||
	    run("ip addr add %s/24 dev %s && ip addr add %s/64 dev %s nodad && "
		"ip link set %s up", host_ip, host_if, host_ip6, host_if, host_if) ||
	    run("ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/64 dev %s nodad && "
		"ip -n %s link set %s up", netns, peer_ip, peer_if, netns, peer_ip6,
		peer_if, netns, peer_if)) {
		fprintf(stderr, "cannot set up the test environment\n");
		env_teardown();
		exit(1);
	}
	/* A new bpffs may hold bpf_preload's maps.debug and progs.debug. */
	root_entries = dir_entries(root);
}

/* ---- records ---------------------------------------------------------------- */

struct records {
	struct ebpfnet_flow_record rec[MAX_RECORDS];
	size_t n;
};

static struct records got; /* what on_flow received */
static struct ebpfnet_flow_dns dns_got; /* the last DNS record */
static int dns_count;

static int keep_record(void *ctx, const struct ebpfnet_flow_record *flow)
{
	struct records *r = ctx;

	ck_assert_uint_eq(flow->sz, sizeof(*flow));
	if (r->n < MAX_RECORDS) {
		r->rec[r->n] = *flow;
		r->rec[r->n].src.labels = r->rec[r->n].dst.labels = NULL;
		r->n++;
	}
	return 0;
}

static int keep_dns(void *ctx, const struct ebpfnet_flow_dns *dns)
{
	(void)ctx;
	ck_assert_uint_eq(dns->sz, sizeof(*dns));
	dns_got = *dns;
	dns_got.src.labels = dns_got.dst.labels = NULL;
	dns_count++;
	return 0;
}

static void addr_of(int family, const char *text, uint8_t addr[16])
{
	memset(addr, 0, 16);
	ck_assert_int_eq(inet_pton(family, text, addr), 1);
}

/* The record is between a and b (text), either way round. */
static bool between(const struct ebpfnet_flow_record *f, int family, const char *src,
		    const char *dst)
{
	uint8_t s[16], d[16];

	addr_of(family, src, s);
	addr_of(family, dst, d);
	return f->family == family && !memcmp(f->src.addr, s, 16) &&
	       !memcmp(f->dst.addr, d, 16);
}

/* Index of the first record from `from` matching, or -1. */
static int find(const struct records *r, size_t from, int kind, int family,
		uint8_t proto, const char *src, const char *dst)
{
	for (size_t i = from; i < r->n; i++) {
		const struct ebpfnet_flow_record *f = &r->rec[i];

		if ((kind < 0 || (int)f->kind == kind) && f->proto == proto &&
		    between(f, family, src, dst))
			return (int)i;
	}
	return -1;
}

/* Poll until pred() holds or timeout_ms passes. */
static bool poll_until(struct ebpfnet_flow *flow, bool (*pred)(void), int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	do {
		int n = ebpfnet_flow_poll(flow, 100);

		ck_assert_msg(n >= 0, "ebpfnet_flow_poll: %s", ebpfnet_strerror(n));
		if (pred())
			return true;
	} while (now_ms() < deadline);
	return false;
}

static struct ebpfnet_flow *open_reader(void)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts, .pin_root = root,
		     .on_flow = keep_record, .on_dns = keep_dns, .ctx = &got);
	struct ebpfnet_flow *flow;

	got.n = 0;
	dns_count = 0;
	flow = ebpfnet_flow_open(&opts);
	ck_assert_msg(flow, "ebpfnet_flow_open: %s", strerror(errno));
	return flow;
}

static struct ebpfnet_flow *open_table_only(void)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts, .pin_root = root, .no_events = true);
	struct ebpfnet_flow *flow = ebpfnet_flow_open(&opts);

	ck_assert_msg(flow, "ebpfnet_flow_open(no_events): %s", strerror(errno));
	return flow;
}

static void attach(struct ebpfnet_flow *flow)
{
	int err = ebpfnet_flow_attach(flow, host_if);

	ck_assert_msg(err == 0, "ebpfnet_flow_attach(%s): %s", host_if,
		      ebpfnet_strerror(err));
}

static struct records snap; /* what a snapshot gave */

static struct records *snapshot(const struct ebpfnet_flow *flow)
{
	int err;

	snap.n = 0;
	err = ebpfnet_flow_snapshot(flow, keep_record, &snap);
	ck_assert_msg(err == 0, "ebpfnet_flow_snapshot: %s", ebpfnet_strerror(err));
	for (size_t i = 1; i < snap.n; i++)
		ck_assert_msg(snap.rec[i - 1].first_ns <= snap.rec[i].first_ns,
			      "snapshot not in first-seen order");
	return &snap;
}

static uint32_t tc_prog(bool ingress)
{
	uint32_t id = 0;
	int err = ebpfnet__tc_query(if_nametoindex(host_if), ingress,
				    EBPFNET_TC_PRIO_FLOW, &id);

	ck_assert_msg(err == 0, "ebpfnet__tc_query: %s", ebpfnet_strerror(err));
	return id;
}

static bool path_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return stat(path, &st) == 0;
}

/* ---- ICMP: one flow, exact counters ------------------------------------------ */

static bool icmp_done(void)
{
	return find(&got, 0, EBPFNET_FLOW_NEW, AF_INET, IPPROTO_ICMP, host_ip,
		    peer_ip) >= 0;
}

START_TEST(test_icmp_counts)
{
	struct ebpfnet_flow *flow = open_reader();
	const struct ebpfnet_flow_record *f;
	struct ebpfnet_flow_stats st = { .sz = sizeof(st) };
	struct records *s;
	int i, n = 0;

	attach(flow);
	ck_assert_int_eq(run("ping -c 5 -i 0.2 -W 2 -q %s >/dev/null", peer_ip), 0);
	ck_assert_msg(poll_until(flow, icmp_done, 3000), "no NEW record of the pings");
	i = find(&got, 0, EBPFNET_FLOW_NEW, AF_INET, IPPROTO_ICMP, host_ip, peer_ip);
	f = &got.rec[i];
	ck_assert(!f->is_reply);
	ck_assert(f->reply_known);
	ck_assert_int_eq(f->verdict, EBPFNET_FLOW_VERDICT_FORWARDED);
	ck_assert_int_eq(f->obs, EBPFNET_FLOW_OBS_TO_NETWORK); /* TC egress */
	ck_assert_str_eq(f->ifname, host_if);
	ck_assert_uint_eq(f->icmp_type, 8);
	ck_assert_uint_eq(f->pkt_len, ICMP_FRAME);
	ck_assert_uint_eq(f->src.identity, 0); /* no policy object */
	ck_assert_ptr_null(f->src.labels);

	s = snapshot(flow);
	for (i = 0; i < (int)s->n; i++) {
		f = &s->rec[i];
		if (f->proto != IPPROTO_ICMP || !between(f, AF_INET, host_ip, peer_ip))
			continue;
		n++;
		ck_assert_int_eq(f->kind, EBPFNET_FLOW_SNAPSHOT);
		ck_assert_uint_eq(f->orig.packets, 5);
		ck_assert_uint_eq(f->reply.packets, 5);
		ck_assert_uint_eq(f->orig.bytes, 5 * ICMP_FRAME);
		ck_assert_uint_eq(f->reply.bytes, 5 * ICMP_FRAME);
		ck_assert(f->first_ns <= f->last_ns);
		ck_assert_uint_eq(f->pkt_len, 0);
	}
	ck_assert_int_eq(n, 1);

	ck_assert_int_eq(ebpfnet_flow_stats(flow, &st), 0);
	ck_assert_uint_ge(st.seen.packets, 10);
	ck_assert_uint_ge(st.flows, 1);
	ck_assert_uint_ge(st.records, 1);
	ck_assert_uint_eq(st.max_flows, 65536);
	ck_assert_uint_eq(st.interval_ms, 5000);
	ck_assert_uint_eq(st.event_rate, 100000);
	ck_assert_uint_eq(st.idle_timeout_ms, 60000);
	ck_assert_uint_eq(st.events_lost, 0);
	ck_assert_int_eq(ebpfnet_flow_detach(flow, host_if), 0);
	ebpfnet_flow_destroy(flow);
}
END_TEST

/* ---- TCP: NEW, FLAGS (the reply's SYN), END, in order ------------------------- */

static bool tcp_end_seen(void)
{
	return find(&got, 0, EBPFNET_FLOW_END, AF_INET, IPPROTO_TCP, host_ip,
		    peer_ip) >= 0 ||
	       find(&got, 0, EBPFNET_FLOW_END, AF_INET, IPPROTO_TCP, peer_ip,
		    host_ip) >= 0;
}

/* A one-connection server in the namespace, listening when this returns. */
static void start_tcp_server(void)
{
	ck_assert_int_eq(run("ip netns exec %s python3 -c \""
			     "import socket\n"
			     "s = socket.socket()\n"
			     "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
			     "s.bind(('%s', %d)); s.listen(1)\n"
			     "c, _ = s.accept(); c.sendall(c.recv(100)); c.close()\n"
			     "\" >/dev/null 2>&1 &", netns, peer_ip, TCP_PORT), 0);
	for (int i = 0; i < 100; i++) {
		if (!run("ip netns exec %s ss -ltn 2>/dev/null | grep -q ':%d '", netns,
			 TCP_PORT))
			return;
		usleep(50000);
	}
	ck_abort_msg("the TCP server does not listen");
}

START_TEST(test_tcp_records)
{
	struct ebpfnet_flow *flow = open_reader();
	const struct ebpfnet_flow_record *f;
	int new_i, synack_i, end_i;

	attach(flow);
	start_tcp_server();
	ck_assert_int_eq(run("python3 -c \""
			     "import socket\n"
			     "s = socket.socket()\n"
			     "s.bind(('%s', %d)); s.connect(('%s', %d))\n"
			     "s.sendall(b'hello'); assert s.recv(100) == b'hello'\n"
			     "s.close()\"", host_ip, TCP_CLIENT_PORT, peer_ip, TCP_PORT), 0);
	ck_assert_msg(poll_until(flow, tcp_end_seen, 3000), "no END record");

	new_i = find(&got, 0, EBPFNET_FLOW_NEW, AF_INET, IPPROTO_TCP, host_ip, peer_ip);
	ck_assert_int_ge(new_i, 0);
	f = &got.rec[new_i];
	ck_assert(!f->is_reply);
	ck_assert(f->reply_known);
	ck_assert_uint_eq(f->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK), FLOW_TCP_SYN);
	ck_assert_uint_eq(f->src.port, TCP_CLIENT_PORT);
	ck_assert_uint_eq(f->dst.port, TCP_PORT);

	synack_i = find(&got, (size_t)new_i + 1, EBPFNET_FLOW_FLAGS, AF_INET,
			IPPROTO_TCP, peer_ip, host_ip);
	ck_assert_msg(synack_i > new_i, "no FLAGS record of the SYN+ACK after NEW");
	f = &got.rec[synack_i];
	ck_assert(f->is_reply);
	ck_assert_uint_eq(f->tcp_flags & (FLOW_TCP_SYN | FLOW_TCP_ACK),
			  FLOW_TCP_SYN | FLOW_TCP_ACK);
	ck_assert_uint_eq(f->src.port, TCP_PORT);
	ck_assert_uint_eq(f->dst.port, TCP_CLIENT_PORT);
	ck_assert_int_eq(f->obs, EBPFNET_FLOW_OBS_FROM_NETWORK); /* TC ingress */

	end_i = find(&got, 0, EBPFNET_FLOW_END, AF_INET, IPPROTO_TCP, host_ip, peer_ip);
	if (end_i < 0)
		end_i = find(&got, 0, EBPFNET_FLOW_END, AF_INET, IPPROTO_TCP, peer_ip,
			     host_ip);
	ck_assert_int_gt(end_i, synack_i);
	f = &got.rec[end_i];
	ck_assert(f->tcp_flags & (FLOW_TCP_FIN | FLOW_TCP_RST));
	ck_assert_uint_eq(f->is_reply, !between(f, AF_INET, host_ip, peer_ip));
	ck_assert(f->tcp_flags_seen & FLOW_TCP_SYN);
	ck_assert_uint_ge(f->orig.packets, 3);
	ck_assert_uint_ge(f->reply.packets, 3);
	/* nothing else of this connection after its END */
	ck_assert_int_lt(find(&got, (size_t)end_i + 1, -1, AF_INET, IPPROTO_TCP,
			      host_ip, peer_ip), 0);
	ebpfnet_flow_destroy(flow);
}
END_TEST

/* ---- UDP and IPv6 -------------------------------------------------------------- */

static bool udp_v6_seen(void)
{
	return dns_count > 0 && find(&got, 0, EBPFNET_FLOW_NEW, AF_INET, IPPROTO_UDP, host_ip,
		    peer_ip) >= 0 &&
	       find(&got, 0, EBPFNET_FLOW_NEW, AF_INET6, IPPROTO_ICMPV6, host_ip6,
		    peer_ip6) >= 0;
}

START_TEST(test_udp_ipv6)
{
	struct ebpfnet_flow *flow = open_reader();
	const struct ebpfnet_flow_record *f;
	struct records *s;
	int i, udp = 0, v6 = 0;

	attach(flow);
	ck_assert_int_eq(run("python3 -c \""
			     "import socket\n"
			     "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
			     "s.bind(('%s', %d))\n"
			     "for _ in range(3): s.sendto(b'x' * %d, ('%s', %d))\"",
			     host_ip, UDP_CLIENT_PORT, UDP_PAYLOAD, peer_ip, UDP_PORT), 0);
	ck_assert_int_eq(run("ping -6 -c 3 -i 0.2 -W 2 -q %s >/dev/null", peer_ip6), 0);
	/* a DNS query (A example.com) to port 53: a DNS record */
	ck_assert_int_eq(run("python3 -c \""
			     "import socket\n"
			     "q = bytes.fromhex('123401000001000000000000')"
			     " + b'\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01'\n"
			     "socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
			     ".sendto(q, ('%s', 53))\"", peer_ip), 0);
	ck_assert_msg(poll_until(flow, udp_v6_seen, 3000), "no UDP, IPv6 or DNS record");
	ck_assert_str_eq(dns_got.query, "example.com.");
	ck_assert_uint_eq(dns_got.id, 0x1234);
	ck_assert_uint_eq(dns_got.qtype, 1);
	ck_assert(!dns_got.is_response);
	ck_assert_uint_eq(dns_got.dst.port, 53);
	ck_assert_str_eq(dns_got.ifname, host_if);
	i = find(&got, 0, EBPFNET_FLOW_NEW, AF_INET, IPPROTO_UDP, host_ip, peer_ip);
	ck_assert_uint_eq(got.rec[i].src.port, UDP_CLIENT_PORT);
	ck_assert_uint_eq(got.rec[i].dst.port, UDP_PORT);
	ck_assert(!got.rec[i].is_reply);

	s = snapshot(flow);
	for (i = 0; i < (int)s->n; i++) {
		f = &s->rec[i];
		if (f->proto == IPPROTO_UDP && between(f, AF_INET, host_ip, peer_ip) &&
		    f->dst.port == UDP_PORT) {
			udp++;
			ck_assert_uint_eq(f->src.port, UDP_CLIENT_PORT);
			ck_assert_uint_eq(f->orig.packets, 3);
			ck_assert_uint_eq(f->orig.bytes, 3 * UDP_FRAME);
			ck_assert_uint_eq(f->reply.packets, 0);
		}
		if (f->proto == IPPROTO_ICMPV6 &&
		    between(f, AF_INET6, host_ip6, peer_ip6)) {
			v6++;
			ck_assert_uint_eq(f->orig.packets, 3);
			ck_assert_uint_eq(f->reply.packets, 3);
			ck_assert_uint_eq(f->orig.bytes, 3 * ICMP6_FRAME);
			ck_assert_uint_eq(f->reply.bytes, 3 * ICMP6_FRAME);
			ck_assert_uint_eq(f->icmp_type == 128 || f->icmp_type == 129, 1);
		}
	}
	ck_assert_int_eq(udp, 1);
	ck_assert_int_eq(v6, 1);
	ebpfnet_flow_destroy(flow);
}
END_TEST

/* ---- drops of the drop object, through the monitor ----------------------------- */

static bool drops_seen(void)
{
	int n = 0;

	for (size_t i = 0; i < got.n; i++)
		n += got.rec[i].kind == EBPFNET_FLOW_DROP;
	return n >= 3;
}

START_TEST(test_drop_records)
{
	EBPFNET_OPTS(ebpfnet_drop_opts, dopts, .pin_root = root);
	EBPFNET_OPTS(ebpfnet_drop_rule, rule, .action = EBPFNET_DROP_ACTION_DROP,
		     .match = EBPFNET_DROP_MATCH_FAMILY | EBPFNET_DROP_MATCH_PROTO |
			      EBPFNET_DROP_MATCH_ICMP_TYPE,
		     .family = AF_INET, .proto = IPPROTO_ICMP, .icmp_type = 8);
	struct ebpfnet_flow *flow = open_reader();
	struct ebpfnet_drop *drop;
	uint32_t id = 0;
	int n = 0;

	attach(flow);
	drop = ebpfnet_drop_open(&dopts);
	ck_assert_msg(drop, "ebpfnet_drop_open: %s", strerror(errno));
	ck_assert_int_eq(ebpfnet_drop_add(drop, &rule, &id), 0);
	ck_assert_int_eq(ebpfnet_drop_attach(drop, host_if, EBPFNET_XDP_MODE_AUTO), 0);
	/* the pings from the namespace die at the host end's XDP */
	ck_assert_int_ne(run("ip netns exec %s ping -c 3 -i 0.2 -W 1 -q %s >/dev/null",
			     netns, host_ip), 0);
	ck_assert_msg(poll_until(flow, drops_seen, 3000), "no DROP records");
	for (size_t i = 0; i < got.n; i++) {
		const struct ebpfnet_flow_record *f = &got.rec[i];

		if (f->kind != EBPFNET_FLOW_DROP)
			continue;
		n++;
		ck_assert_int_eq(f->verdict, EBPFNET_FLOW_VERDICT_DROPPED);
		ck_assert_int_eq(f->drop_reason, EBPFNET_FLOW_DROP_RULE);
		ck_assert_uint_eq(f->rule_id, id);
		ck_assert_int_eq(f->obs, EBPFNET_FLOW_OBS_FROM_NETWORK);
		ck_assert_str_eq(f->ifname, host_if);
		ck_assert_uint_eq(f->proto, IPPROTO_ICMP);
		ck_assert_uint_eq(f->icmp_type, 8);
		ck_assert_uint_eq(f->pkt_len, ICMP_FRAME);
		ck_assert(between(f, AF_INET, peer_ip, host_ip));
	}
	ck_assert_int_eq(n, 3);
	/* the TC observer never saw them: dropped before TC */
	ck_assert_int_lt(find(&got, 0, EBPFNET_FLOW_NEW, AF_INET, IPPROTO_ICMP,
			      peer_ip, host_ip), 0);

	ck_assert_int_eq(ebpfnet_drop_detach(drop, host_if), 0);
	ebpfnet_drop_destroy(drop);
	ck_assert(!path_exists("drop"));
	ck_assert(path_exists("monitor")); /* the observer still reads it */
	ck_assert_int_eq(ebpfnet_flow_detach(flow, host_if), 0);
	ck_assert(!path_exists("monitor"));
	ebpfnet_flow_destroy(flow);
}
END_TEST

/* ---- bad arguments, one reader, open_existing -------------------------------- */

START_TEST(test_bad_input)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts, .pin_root = root, .on_flow = keep_record,
		     .ctx = &got);
	EBPFNET_OPTS(ebpfnet_flow_opts, quiet, .pin_root = root);
	struct ebpfnet_flow *flow, *other;
	unsigned char bigger[sizeof(opts) + 16] = { 0 };
	struct ebpfnet_flow_opts *big = (void *)bigger;

	/* unknown non-zero bytes past the known fields */
	memcpy(bigger, &opts, sizeof(opts));
	big->sz = sizeof(bigger);
	bigger[sizeof(bigger) - 1] = 1;
	errno = 0;
	ck_assert_ptr_null(ebpfnet_flow_open(big));
	ck_assert_int_eq(errno, EINVAL);
	/* no callback and no no_events */
	ck_assert_ptr_null(ebpfnet_flow_open(&quiet));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dir_entries(root), root_entries);

	flow = ebpfnet_flow_open(&opts);
	ck_assert_ptr_nonnull(flow);
	ck_assert_int_eq(ebpfnet_flow_attach(flow, "nosuchif0"), -ENODEV);
	ck_assert_int_eq(ebpfnet_flow_attach(flow, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_attach(NULL, host_if), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_detach(flow, host_if), -ENOENT);
	ck_assert_int_eq(ebpfnet_flow_poll(flow, -5), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_snapshot(flow, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_stats(flow, NULL), -EINVAL);
	attach(flow);

	/* one reader per node */
	errno = 0;
	ck_assert_ptr_null(ebpfnet_flow_open(&opts));
	ck_assert_int_eq(errno, EBUSY);
	/* reading the table only is fine, but no events */
	other = open_table_only();
	ck_assert_int_eq(ebpfnet_flow_poll(other, 0), -EINVAL);
	ck_assert_int_eq(ebpfnet_flow_fd(other), -EINVAL);
	ebpfnet_flow_destroy(other);
	ck_assert_int_ge(ebpfnet_flow_fd(flow), 0);
	ck_assert_int_ge(ebpfnet_flow_consume(flow), 0);
	ck_assert_int_eq(ebpfnet_flow_detach(flow, host_if), 0);
	ebpfnet_flow_destroy(flow);
	ck_assert_int_eq(dir_entries(root), root_entries);
}
END_TEST

START_TEST(test_open_existing_none)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts, .pin_root = root, .no_events = true,
		     .open_existing = true);

	errno = 0;
	ck_assert_ptr_null(ebpfnet_flow_open(&opts));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(dir_entries(root), root_entries);
}
END_TEST

/* ---- the sweep: idle and evicted flows ------------------------------------------- */

#define SWEEP_MAX_FLOWS 8
#define SWEEP_UDP_FLOWS 40

static bool idle_seen(void)
{
	return find(&got, 0, EBPFNET_FLOW_IDLE, AF_INET, IPPROTO_ICMP, host_ip,
		    peer_ip) >= 0;
}

static bool evicted_seen(void)
{
	return find(&got, 0, EBPFNET_FLOW_EVICTED, AF_INET, IPPROTO_UDP, host_ip,
		    peer_ip) >= 0;
}

START_TEST(test_sweep)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts, .pin_root = root, .on_flow = keep_record,
		     .ctx = &got, .idle_timeout_ms = 1000,
		     .max_flows = SWEEP_MAX_FLOWS);
	struct ebpfnet_flow_stats st = { .sz = sizeof(st) };
	struct ebpfnet_flow *flow;
	const struct ebpfnet_flow_record *f;
	struct records *s;
	int i;

	got.n = 0;
	flow = ebpfnet_flow_open(&opts);
	ck_assert_msg(flow, "ebpfnet_flow_open: %s", strerror(errno));
	attach(flow);
	ck_assert_int_eq(run("ping -c 2 -i 0.2 -W 2 -q %s >/dev/null", peer_ip), 0);
	ck_assert_msg(poll_until(flow, idle_seen, 5000), "no IDLE record");
	i = find(&got, 0, EBPFNET_FLOW_IDLE, AF_INET, IPPROTO_ICMP, host_ip, peer_ip);
	f = &got.rec[i];
	ck_assert_uint_eq(f->orig.packets, 2);
	ck_assert_uint_eq(f->reply.packets, 2);
	ck_assert(!f->is_reply);
	s = snapshot(flow);
	for (i = 0; i < (int)s->n; i++)
		ck_assert_msg(s->rec[i].proto != IPPROTO_ICMP ||
			      !between(&s->rec[i], AF_INET, host_ip, peer_ip),
			      "the idle flow is still in the table");

	/* more flows than the table holds: the LRU pushes some out */
	ck_assert_int_eq(run("python3 -c \""
			     "import socket\n"
			     "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
			     "for p in range(%d): s.sendto(b'x', ('%s', 20000 + p))\"",
			     SWEEP_UDP_FLOWS, peer_ip), 0);
	ck_assert_msg(poll_until(flow, evicted_seen, 5000), "no EVICTED record");
	i = find(&got, 0, EBPFNET_FLOW_EVICTED, AF_INET, IPPROTO_UDP, host_ip, peer_ip);
	f = &got.rec[i];
	ck_assert_uint_eq(f->orig.packets, 1);
	ck_assert_uint_eq(f->orig.bytes, 14 + 20 + 8 + 1);
	ck_assert_uint_ge(f->dst.port, 20000);
	ck_assert_int_eq(ebpfnet_flow_stats(flow, &st), 0);
	ck_assert_uint_eq(st.max_flows, SWEEP_MAX_FLOWS);
	ck_assert_uint_le(st.flows, SWEEP_MAX_FLOWS);
	ebpfnet_flow_destroy(flow);
}
END_TEST

/* ---- lifecycle: persistence, replacement, removal ------------------------------ */

static int count_iface(void *ctx, const char *ifname, uint32_t ifindex)
{
	ck_assert_str_eq(ifname, host_if);
	ck_assert_uint_eq(ifindex, if_nametoindex(host_if));
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_lifecycle)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, existing, .pin_root = root, .no_events = true,
		     .open_existing = true, .interval_ms = 2000, .event_rate = 500);
	struct ebpfnet_flow_stats st = { .sz = sizeof(st) };
	struct ebpfnet_flow *flow = open_reader();
	uint32_t ingress, egress;
	struct records *s;
	int n = 0;

	attach(flow);
	attach(flow); /* idempotent */
	ingress = tc_prog(true);
	egress = tc_prog(false);
	ck_assert_uint_ne(ingress, 0);
	ck_assert_uint_ne(egress, 0);
	ebpfnet_flow_destroy(flow); /* the filters keep the programs */
	ck_assert_uint_eq(tc_prog(true), ingress);
	ck_assert_uint_eq(tc_prog(false), egress);

	ck_assert_int_eq(run("ping -c 2 -i 0.2 -W 2 -q %s >/dev/null", peer_ip), 0);
	flow = ebpfnet_flow_open(&existing);
	ck_assert_msg(flow, "open_existing: %s", strerror(errno));
	ck_assert_int_eq(ebpfnet_flow_ifaces(flow, count_iface, &n), 0);
	ck_assert_int_eq(n, 1);
	s = snapshot(flow);
	n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->rec[i].proto == IPPROTO_ICMP &&
		     between(&s->rec[i], AF_INET, host_ip, peer_ip) &&
		     s->rec[i].orig.packets == 2 && s->rec[i].reply.packets == 2;
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ebpfnet_flow_stats(flow, &st), 0);
	ck_assert_uint_eq(st.interval_ms, 2000); /* node settings written */
	ck_assert_uint_eq(st.event_rate, 500);

	/* attaching again (an upgrade) replaces the programs */
	attach(flow);
	ck_assert_uint_ne(tc_prog(true), ingress);
	ck_assert_uint_ne(tc_prog(false), egress);
	ck_assert_int_eq(ebpfnet_flow_detach(flow, host_if), 0);
	ck_assert_uint_eq(tc_prog(true), 0);
	ck_assert_uint_eq(tc_prog(false), 0);
	ck_assert(!path_exists("flow"));
	ck_assert(!path_exists("monitor"));
	ck_assert_int_eq(dir_entries(root), root_entries);
	/* the handle is stale now */
	ck_assert_int_eq(ebpfnet_flow_attach(flow, host_if), -ESTALE);
	ebpfnet_flow_destroy(flow);
	ck_assert_int_eq(dir_entries(root), root_entries);
}
END_TEST

static void add_case(Suite *s, const char *name, const TTest *test)
{
	add_isolated_case(s, name, test, env_setup, env_teardown, 60);
}

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");

	add_case(s, "icmp", test_icmp_counts);
	add_case(s, "tcp", test_tcp_records);
	add_case(s, "udp_ipv6", test_udp_ipv6);
	add_case(s, "drop", test_drop_records);
	add_case(s, "bad_input", test_bad_input);
	add_case(s, "open_existing", test_open_existing_none);
	add_case(s, "sweep", test_sweep);
	add_case(s, "lifecycle", test_lifecycle);
	return s;
}

int main(void)
{
	test_require_root();
	parent_pid = getpid();
	ebpfnet_set_print(print_to_stderr);
	return test_run_suite(flow_suite(), CK_VERBOSE);
}
