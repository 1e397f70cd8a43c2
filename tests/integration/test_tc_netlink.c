/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The shared network helpers against the real kernel (root):
 * ebpfnet__nexthop (route + neighbour through rtnetlink, NTF_USE
 * resolution) and ebpfnet__tc_attach/query/detach (clsact filters at
 * fixed priorities).
 *
 * Each test case gets its own namespaces, made and removed in the parent
 * by an unchecked fixture (so also after a failed or crashed test):
 *
 *   A: a1 10.201.1.1/24 fd00:eb:c9:1::1/64 -- B: b1 .2 / ::2 (on-link peer)
 *      a2 10.201.2.1/24 fd00:eb:c9:2::1/64 -- C: c1 .2 / ::2 (gateway of
 *      10.201.9.0/24 and fd00:eb:c9:9::/64)
 *
 * The test body (a forked child) joins A's network namespace, so the
 * look-ups and attachments happen there, never in the host's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ebpfnet/ebpfnet.h>

#include "check_case.h"
#include "check_run.h"
#include "lb_abi.h"
#include "netlink.h"
#include "now.h"
#include "priv.h"
#include "shell_run.h"
#include "tc.h"

static pid_t parent_pid;
static int env_seq;
static char ns_a[48], ns_b[48], ns_c[48];
static char if_a1[IF_NAMESIZE], if_a2[IF_NAMESIZE];
static char if_b1[IF_NAMESIZE], if_c1[IF_NAMESIZE];
static char root[128];           /* a private bpffs: the pin root */

/* ---- helpers -------------------------------------------------------------- */

/* ---- the environment (parent process) ------------------------------------- */

static void env_teardown(void)
{
	/* Deleting a namespace deletes its veth ends, and their peers. */
	if (ns_a[0])
		run("ip netns del %s 2>/dev/null", ns_a);
	if (ns_b[0])
		run("ip netns del %s 2>/dev/null", ns_b);
	if (ns_c[0])
		run("ip netns del %s 2>/dev/null", ns_c);
	ns_a[0] = ns_b[0] = ns_c[0] = '\0';
	if (root[0]) {
		umount2(root, MNT_DETACH);
		rmdir(root);
		root[0] = '\0';
	}
}

/* A veth pair from A (local, address .1 / ::1) to ns (peer, .2 / ::2)
 * on 10.201.<net>.0/24 and fd00:eb:c9:<net>::/64. */
static int make_link(const char *local, const char *peer, const char *ns,
		     int net)
{
	return run("ip link add %s netns %s type veth peer name %s netns %s",
		   local, ns_a, peer, ns) ||
	       run("ip -n %s addr add 10.201.%d.1/24 dev %s && "
		   "ip -n %s addr add fd00:eb:c9:%d::1/64 dev %s nodad && "
		   "ip -n %s link set %s up",
		   ns_a, net, local, ns_a, net, local, ns_a, local) ||
	       run("ip -n %s addr add 10.201.%d.2/24 dev %s && "
		   "ip -n %s addr add fd00:eb:c9:%d::2/64 dev %s nodad && "
		   "ip -n %s link set %s up",
		   ns, net, peer, ns, net, peer, ns, peer);
}

static void env_setup(void)
{
	char tmpl[] = "/tmp/ebpfnet-test-tcnl-XXXXXX";

	env_seq++;
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	if (ebpfnet_mount_bpffs(root)) {
		fprintf(stderr, "cannot mount a bpffs on %s\n", root);
		rmdir(root);
		root[0] = '\0';
		exit(1);
	}
	snprintf(ns_a, sizeof(ns_a), "ebpfnet-tcnl-%d-%d-a", (int)parent_pid, env_seq);
	snprintf(ns_b, sizeof(ns_b), "ebpfnet-tcnl-%d-%d-b", (int)parent_pid, env_seq);
	snprintf(ns_c, sizeof(ns_c), "ebpfnet-tcnl-%d-%d-c", (int)parent_pid, env_seq);
	snprintf(if_a1, sizeof(if_a1), "tn%da1", (int)parent_pid);
	snprintf(if_a2, sizeof(if_a2), "tn%da2", (int)parent_pid);
	snprintf(if_b1, sizeof(if_b1), "tn%db1", (int)parent_pid);
	snprintf(if_c1, sizeof(if_c1), "tn%dc1", (int)parent_pid);
	if (run("ip netns add %s && ip netns add %s && ip netns add %s",
		ns_a, ns_b, ns_c) ||
	    run("ip -n %s link set lo up && ip -n %s link set lo up && "
		"ip -n %s link set lo up", ns_a, ns_b, ns_c) ||
	    make_link(if_a1, if_b1, ns_b, 1) || make_link(if_a2, if_c1, ns_c, 2) ||
	    run("ip -n %s route add 10.201.9.0/24 via 10.201.2.2 && "
		"ip -n %s route add fd00:eb:c9:9::/64 via fd00:eb:c9:2::2",
		ns_a, ns_a)) {
		fprintf(stderr, "cannot set up the test namespaces\n");
		env_teardown();
		exit(1);
	}
}

/* In the test process: join A's network namespace. */
static void enter_a(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns_a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

/* The MAC of ifname in namespace ns, as `ip link` shows it. */
static void peer_mac(const char *ns, const char *ifname, uint8_t mac[6])
{
	char line[512];
	unsigned int b[6];
	const char *p;

	ck_assert_int_eq(run_read(line, sizeof(line), "ip -n %s -o link show %s",
				  ns, ifname), 0);
	p = strstr(line, "link/ether ");
	ck_assert_msg(p != NULL, "no link/ether in: %s", line);
	ck_assert_int_eq(sscanf(p, "link/ether %x:%x:%x:%x:%x:%x", &b[0], &b[1],
				&b[2], &b[3], &b[4], &b[5]), 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static int nexthop(const char *text, int timeout_ms, uint8_t mac[6],
		   uint32_t *ifindex)
{
	uint8_t addr[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, text, addr), 1);
	return ebpfnet__nexthop(family, addr, timeout_ms, mac, ifindex);
}

/* `addr` resolves to the MAC of (ns, ifname), out of local_if. */
static void assert_resolves(const char *addr, const char *ns,
			    const char *ifname, const char *local_if)
{
	uint8_t mac[6], want[6];
	uint32_t ifindex = 0;

	peer_mac(ns, ifname, want);
	ck_assert_msg(nexthop(addr, 3000, mac, &ifindex) == 0,
		      "%s not resolved", addr);
	ck_assert_mem_eq(mac, want, 6);
	ck_assert_uint_eq(ifindex, if_nametoindex(local_if));
}

/* ---- next hop ---------------------------------------------------------------- */

START_TEST(test_nexthop_on_link)
{
	uint8_t mac[6];
	uint32_t ifindex;
	int64_t t0;

	enter_a();
	assert_resolves("10.201.1.2", ns_b, if_b1, if_a1);
	assert_resolves("fd00:eb:c9:1::2", ns_b, if_b1, if_a1);
	/* resolved now: answered from the neighbour table at once */
	t0 = now_ms();
	ck_assert_int_eq(nexthop("10.201.1.2", 3000, mac, &ifindex), 0);
	ck_assert_int_lt(now_ms() - t0, 40);
}
END_TEST

START_TEST(test_nexthop_gateway)
{
	enter_a();
	/* the gateway's MAC (C's end), out of the interface towards C */
	assert_resolves("10.201.9.5", ns_c, if_c1, if_a2);
	assert_resolves("fd00:eb:c9:9::5", ns_c, if_c1, if_a2);
}
END_TEST

START_TEST(test_nexthop_unroutable)
{
	uint8_t mac[6];
	uint32_t ifindex = 7;

	enter_a();
	errno = 0;
	ck_assert_int_eq(nexthop("10.202.0.1", 500, mac, &ifindex), -ENETUNREACH);
	ck_assert_int_eq(errno, ENETUNREACH);
	ck_assert_int_eq(nexthop("2001:db8::1", 500, mac, &ifindex), -ENETUNREACH);
	/* an address of A itself has no next hop */
	ck_assert_int_eq(nexthop("10.201.1.1", 500, mac, &ifindex), -ENETUNREACH);
	ck_assert_uint_eq(ifindex, 7); /* untouched on failure */
}
END_TEST

START_TEST(test_nexthop_nobody)
{
	const char *addrs[] = { "10.201.1.99", "fd00:eb:c9:1::99" };
	uint8_t mac[6];
	uint32_t ifindex;

	enter_a();
	for (size_t i = 0; i < 2; i++) {
		int64_t t0 = now_ms(), took;

		ck_assert_int_eq(nexthop(addrs[i], 400, mac, &ifindex), -EHOSTUNREACH);
		took = now_ms() - t0;
		ck_assert_msg(took >= 380 && took < 1400,
			      "%s: gave up after %lld ms (timeout 400)", addrs[i],
			      (long long)took);
	}
	/* the kernel was asked: it holds an entry it is resolving */
	ck_assert_int_eq(run("ip -n %s neigh show 10.201.1.99 dev %s | grep -q .",
			     ns_a, if_a1), 0);
}
END_TEST

START_TEST(test_nexthop_bad_arguments)
{
	uint8_t addr[16] = { 10, 201, 1, 2 }, mac[6];
	uint32_t ifindex;

	enter_a();
	ck_assert_int_eq(ebpfnet__nexthop(AF_UNIX, addr, 100, mac, &ifindex), -EINVAL);
	ck_assert_int_eq(ebpfnet__nexthop(AF_INET, NULL, 100, mac, &ifindex), -EINVAL);
	ck_assert_int_eq(ebpfnet__nexthop(AF_INET, addr, 100, NULL, &ifindex), -EINVAL);
	ck_assert_int_eq(ebpfnet__nexthop(AF_INET, addr, 100, mac, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet__nexthop(AF_INET, addr, -1, mac, &ifindex), -EINVAL);
}
END_TEST

/* ---- TC ---------------------------------------------------------------------- */

/* A two-instruction SCHED_CLS program: return `verdict`. */
static int tiny_prog(int verdict)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "tc_test", "GPL", insns,
			       2, NULL);

	ck_assert_msg(fd >= 0, "cannot load a SCHED_CLS program: %s",
		      strerror(errno));
	return fd;
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static uint32_t query(uint32_t ifindex, bool ingress, enum ebpfnet__tc_prio prio)
{
	uint32_t id = 12345;

	ck_assert_int_eq(ebpfnet__tc_query(ifindex, ingress, prio, &id), 0);
	return id;
}

/* Filters of ours (handle 1) at pref `prio` on a1's hook, per tc(8). */
static int filters_at(const char *hook, int prio)
{
	char line[64];

	ck_assert_int_eq(run_read(line, sizeof(line),
				  "tc -n %s filter show dev %s %s | grep -c 'pref %d .*handle 0x1 '",
				  ns_a, if_a1, hook, prio) & ~1, 0);
	return atoi(line);
}

START_TEST(test_tc_two_priorities)
{
	int p1, p2, p3;
	uint32_t ifindex;

	enter_a();
	ifindex = if_nametoindex(if_a1);
	ck_assert_uint_gt(ifindex, 0);
	p1 = tiny_prog(TC_ACT_OK);
	p2 = tiny_prog(TC_ACT_OK);
	p3 = tiny_prog(TC_ACT_UNSPEC);

	/* nothing yet (not even a clsact qdisc): none, not an error */
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP), 0);
	ck_assert_int_eq(ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP),
			 -ENOENT);

	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP, p1), 0);
	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_POLICY, p2), 0);
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP), prog_id(p1));
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_POLICY), prog_id(p2));
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_FLOW), 0);
	ck_assert_uint_eq(query(ifindex, false, EBPFNET_TC_PRIO_LB_DECAP), 0);
	ck_assert_int_eq(filters_at("ingress", EBPFNET_TC_PRIO_LB_DECAP), 1);
	ck_assert_int_eq(filters_at("ingress", EBPFNET_TC_PRIO_POLICY), 1);

	/* replacing keeps one filter at that priority, with the new program */
	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_POLICY, p3), 0);
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_POLICY), prog_id(p3));
	ck_assert_int_eq(filters_at("ingress", EBPFNET_TC_PRIO_POLICY), 1);
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP), prog_id(p1));

	/* detaching one keeps the other */
	ck_assert_int_eq(ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP), 0);
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP), 0);
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_POLICY), prog_id(p3));
	ck_assert_int_eq(filters_at("ingress", EBPFNET_TC_PRIO_LB_DECAP), 0);
	ck_assert_int_eq(ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP),
			 -ENOENT);

	/* egress is its own hook */
	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, false, EBPFNET_TC_PRIO_FLOW, p1), 0);
	ck_assert_uint_eq(query(ifindex, false, EBPFNET_TC_PRIO_FLOW), prog_id(p1));
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_FLOW), 0);
	ck_assert_int_eq(filters_at("egress", EBPFNET_TC_PRIO_FLOW), 1);

	ck_assert_int_eq(ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_POLICY), 0);
	ck_assert_int_eq(ebpfnet__tc_detach(ifindex, false, EBPFNET_TC_PRIO_FLOW), 0);
	ck_assert_uint_eq(query(ifindex, true, EBPFNET_TC_PRIO_POLICY), 0);
	/* the clsact qdisc stays: others may share it */
	ck_assert_int_eq(run("tc -n %s qdisc show dev %s | grep -q clsact",
			     ns_a, if_a1), 0);
	close(p1);
	close(p2);
	close(p3);
}
END_TEST

START_TEST(test_tc_traffic_sees_the_program)
{
	uint32_t ifindex;
	int shot;

	enter_a();
	ifindex = if_nametoindex(if_a1);
	ck_assert_int_eq(run("nsenter --net=/run/netns/%s ping -n -q -c 1 -W 2 10.201.1.2 >/dev/null",
			     ns_a), 0);
	shot = tiny_prog(TC_ACT_SHOT);
	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_FLOW, shot), 0);
	/* the replies come in on a1's ingress: dropped */
	ck_assert_int_ne(run("nsenter --net=/run/netns/%s ping -n -q -c 1 -W 1 10.201.1.2 >/dev/null",
			     ns_a), 0);
	ck_assert_int_eq(ebpfnet__tc_detach(ifindex, true, EBPFNET_TC_PRIO_FLOW), 0);
	ck_assert_int_eq(run("nsenter --net=/run/netns/%s ping -n -q -c 1 -W 2 10.201.1.2 >/dev/null",
			     ns_a), 0);
	close(shot);
}
END_TEST

START_TEST(test_tc_bad_arguments)
{
	uint32_t id, ifindex;
	int p;

	enter_a();
	ifindex = if_nametoindex(if_a1);
	p = tiny_prog(TC_ACT_OK);
	ck_assert_int_eq(ebpfnet__tc_attach(0, true, EBPFNET_TC_PRIO_FLOW, p), -EINVAL);
	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, true, (enum ebpfnet__tc_prio)11, p),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet__tc_attach(ifindex, true, EBPFNET_TC_PRIO_FLOW, -1),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet__tc_query(ifindex, true, EBPFNET_TC_PRIO_FLOW, NULL),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet__tc_detach(0, true, EBPFNET_TC_PRIO_FLOW), -EINVAL);
	/* an interface that does not exist */
	ck_assert_int_lt(ebpfnet__tc_query(999999, true, EBPFNET_TC_PRIO_FLOW, &id), 0);
	ck_assert_int_lt(ebpfnet__tc_attach(999999, true, EBPFNET_TC_PRIO_FLOW, p), 0);
	close(p);
}
END_TEST


/* ---- lb decap ----------------------------------------------------------------- */

static void decap_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/lb-decap/%s", root, if_a1);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The pinned lb_decap_config of a1. */
static struct lb_decap_config decap_config(void)
{
	struct lb_decap_config c;
	char path[256];
	__u32 key = 0;
	int fd;

	decap_dir(path, sizeof(path));
	strcat(path, "/lb_decap_config");
	fd = bpf_obj_get(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_map_lookup_elem(fd, &key, &c), 0);
	close(fd);
	return c;
}

static uint64_t decap_stat(enum lb_decap_stat stat)
{
	__u64 values[1024] = { 0 }, sum = 0;
	char path[256];
	__u32 key = stat;
	int fd, ncpus = libbpf_num_possible_cpus();

	ck_assert_int_gt(ncpus, 0);
	ck_assert_int_le(ncpus, 1024);
	decap_dir(path, sizeof(path));
	strcat(path, "/lb_decap_stats");
	fd = bpf_obj_get(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpf_map_lookup_elem(fd, &key, values), 0);
	close(fd);
	for (int i = 0; i < ncpus; i++)
		sum += values[i];
	return sum;
}

START_TEST(test_decap_attach_detach)
{
	EBPFNET_OPTS(ebpfnet_lb_decap_opts, opts, .pin_root = root);
	EBPFNET_OPTS(ebpfnet_lb_decap_opts, other, .pin_root = root,
		     .outer_src4 = "192.0.2.77/8", .outer_src6 = "2001:db8:1::/48");
	const uint8_t want4[4] = { 172, 16, 0, 0 };
	const uint8_t other4[4] = { 192, 0, 0, 0 };
	struct lb_decap_config c;
	uint32_t ifindex, id1, id2;
	char dir[256];

	enter_a();
	ifindex = if_nametoindex(if_a1);
	decap_dir(dir, sizeof(dir));
	ck_assert_int_eq(ebpfnet_lb_decap_detach(if_a1, &opts), -ENOENT);

	ck_assert_int_eq(ebpfnet_lb_decap_attach(if_a1, &opts), 0);
	ck_assert_int_eq(ebpfnet__tc_query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP, &id1), 0);
	ck_assert_uint_gt(id1, 0);
	ck_assert(exists(dir));
	c = decap_config(); /* the defaults */
	ck_assert_mem_eq(c.outer_src4, want4, 4);
	ck_assert_uint_eq(c.outer_src4_len, 16);
	ck_assert_uint_eq(c.outer_src6[0], 0x01);
	for (int i = 1; i < 16; i++)
		ck_assert_uint_eq(c.outer_src6[i], 0);
	ck_assert_uint_eq(c.outer_src6_len, 64);

	/* again, with other prefixes: one filter, a new program, new config
	 * (host bits of the prefix cleared) */
	ck_assert_int_eq(ebpfnet_lb_decap_attach(if_a1, &other), 0);
	ck_assert_int_eq(ebpfnet__tc_query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP, &id2), 0);
	ck_assert_uint_gt(id2, 0);
	ck_assert_uint_ne(id2, id1);
	ck_assert_int_eq(filters_at("ingress", EBPFNET_TC_PRIO_LB_DECAP), 1);
	c = decap_config();
	ck_assert_mem_eq(c.outer_src4, other4, 4);
	ck_assert_uint_eq(c.outer_src4_len, 8);
	ck_assert_uint_eq(c.outer_src6_len, 48);
	ck_assert_uint_eq(c.outer_src6[0], 0x20);
	ck_assert_uint_eq(c.outer_src6[5], 0x01);
	ck_assert_uint_eq(c.outer_src6[6], 0);

	ck_assert_int_eq(ebpfnet_lb_decap_detach(if_a1, &opts), 0);
	ck_assert_int_eq(ebpfnet__tc_query(ifindex, true, EBPFNET_TC_PRIO_LB_DECAP, &id1), 0);
	ck_assert_uint_eq(id1, 0);
	ck_assert(!exists(dir));
	ck_assert_int_eq(ebpfnet_lb_decap_detach(if_a1, &opts), -ENOENT);
}
END_TEST

START_TEST(test_decap_bad_arguments)
{
	EBPFNET_OPTS(ebpfnet_lb_decap_opts, opts, .pin_root = root);
	const char *bad4[] = { "172.16.0.0/24", "172.16.0.0", "172.16/16", "x/8",
			       "172.16.0.0/-1", "172.16.0.0/1x", "fd00::/16" };
	const char *bad6[] = { "100::/96", "100::", "1.2.3.4/8" };
	char dir[256];

	enter_a();
	decap_dir(dir, sizeof(dir));
	ck_assert_int_eq(ebpfnet_lb_decap_attach(NULL, &opts), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_decap_attach("", &opts), -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_decap_attach("a-name-far-too-long-for-linux", &opts),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_lb_decap_attach("nosuchif0", &opts), -ENODEV);
	ck_assert_int_eq(ebpfnet_lb_decap_detach("nosuchif0", &opts), -ENODEV);
	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		opts.outer_src4 = bad4[i];
		ck_assert_msg(ebpfnet_lb_decap_attach(if_a1, &opts) == -EINVAL, "%s", bad4[i]);
	}
	opts.outer_src4 = NULL;
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		opts.outer_src6 = bad6[i];
		ck_assert_msg(ebpfnet_lb_decap_attach(if_a1, &opts) == -EINVAL, "%s", bad6[i]);
	}
	/* a longer struct with unknown non-zero bytes */
	{
		struct {
			struct ebpfnet_lb_decap_opts o;
			uint64_t future;
		} big = { .o = { .sz = sizeof(big), .pin_root = root }, .future = 1 };

		ck_assert_int_eq(ebpfnet_lb_decap_attach(if_a1, &big.o), -EINVAL);
	}
	ck_assert(!exists(dir)); /* nothing left behind */
}
END_TEST

static uint16_t ip_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* From B: an IPIP packet with outer source `outer_src`, holding an echo
 * request from B (10.201.1.2) to the VIP 10.55.0.1 bound on A's lo. True
 * when B gets the echo reply (sent by A straight back: DSR). */
static bool ipip_ping(const char *outer_src, uint16_t id)
{
	struct {
		struct iphdr outer, inner;
		struct icmphdr icmp;
	} __attribute__((packed)) pkt = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 1 };
	char path[128], buf[256];
	int fd, tx, rx;
	bool got = false;
	int64_t end;

	snprintf(path, sizeof(path), "/run/netns/%s", ns_b);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	tx = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	rx = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	ck_assert_int_ge(tx, 0);
	ck_assert_int_ge(rx, 0);
	ck_assert_int_eq(setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);

	pkt.outer.version = 4;
	pkt.outer.ihl = 5;
	pkt.outer.ttl = 64;
	pkt.outer.protocol = IPPROTO_IPIP;
	inet_pton(AF_INET, outer_src, &pkt.outer.saddr);
	inet_pton(AF_INET, "10.201.1.1", &pkt.outer.daddr);
	pkt.inner.version = 4;
	pkt.inner.ihl = 5;
	pkt.inner.ttl = 64;
	pkt.inner.protocol = IPPROTO_ICMP;
	pkt.inner.tot_len = htons(sizeof(pkt) - sizeof(pkt.outer));
	inet_pton(AF_INET, "10.201.1.2", &pkt.inner.saddr);
	inet_pton(AF_INET, "10.55.0.1", &pkt.inner.daddr);
	pkt.inner.check = ip_csum(&pkt.inner, sizeof(pkt.inner));
	pkt.icmp.type = ICMP_ECHO;
	pkt.icmp.un.echo.id = htons(id);
	pkt.icmp.un.echo.sequence = htons(1);
	pkt.icmp.checksum = ip_csum(&pkt.icmp, sizeof(pkt.icmp));
	to.sin_addr.s_addr = pkt.outer.daddr;
	ck_assert_int_eq(sendto(tx, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
				sizeof(to)), (ssize_t)sizeof(pkt));
	end = now_ms() + 1000;
	while (!got && now_ms() < end) {
		ssize_t n = recv(rx, buf, sizeof(buf), 0);
		const struct iphdr *ip = (const void *)buf;
		const struct icmphdr *icmp;

		if (n < (ssize_t)(sizeof(*ip) + sizeof(*icmp)))
			break;
		icmp = (const void *)(buf + ip->ihl * 4);
		got = icmp->type == ICMP_ECHOREPLY && ntohs(icmp->un.echo.id) == id;
	}
	close(tx);
	close(rx);
	return got;
}

START_TEST(test_decap_traffic)
{
	EBPFNET_OPTS(ebpfnet_lb_decap_opts, opts, .pin_root = root);

	ck_assert_int_eq(run("ip -n %s addr add 10.55.0.1/32 dev lo", ns_a), 0);
	enter_a();
	ck_assert_int_eq(ebpfnet_lb_decap_attach(if_a1, &opts), 0);
	/* runs in a child: it joins B */
	{
		pid_t pid = fork();
		int st;

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(ipip_ping("172.16.3.4", 4242) ? 0 : 1);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "no echo reply through the decapsulated path");
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(ipip_ping("192.0.2.1", 4343) ? 0 : 1);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
			      "a packet from outside the prefixes was decapsulated");
	}
	ck_assert_uint_eq(decap_stat(LB_DECAP_STAT_DECAPSULATED), 1);
	ck_assert_uint_eq(decap_stat(LB_DECAP_STAT_REJECTED), 1);
	ck_assert_int_eq(ebpfnet_lb_decap_detach(if_a1, &opts), 0);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------- */

static void add_case(Suite *s, const char *name, const TTest *test)
{
	add_isolated_case(s, name, test, env_setup, env_teardown, 60);
}

static Suite *tc_netlink_suite(void)
{
	Suite *s = suite_create("tc_netlink");

	add_case(s, "nexthop_on_link", test_nexthop_on_link);
	add_case(s, "nexthop_gateway", test_nexthop_gateway);
	add_case(s, "nexthop_unroutable", test_nexthop_unroutable);
	add_case(s, "nexthop_nobody", test_nexthop_nobody);
	add_case(s, "nexthop_arguments", test_nexthop_bad_arguments);
	add_case(s, "tc_priorities", test_tc_two_priorities);
	add_case(s, "tc_traffic", test_tc_traffic_sees_the_program);
	add_case(s, "tc_arguments", test_tc_bad_arguments);
	add_case(s, "decap_attach", test_decap_attach_detach);
	add_case(s, "decap_arguments", test_decap_bad_arguments);
	add_case(s, "decap_traffic", test_decap_traffic);
	return s;
}

int main(void)
{
	test_require_root();
	if (run("command -v ip >/dev/null && command -v tc >/dev/null && command -v nsenter >/dev/null"))
		test_skip_or_fail("needs ip, tc and nsenter");
	parent_pid = getpid();
	ebpfnet_set_print(print_to_stderr);
	return test_run_suite(tc_netlink_suite(), CK_NORMAL);
}
