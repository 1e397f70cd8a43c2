/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The XDP chain against the real kernel (root): the dispatcher and two
 * test stages (bpf/test_xdp_stage.bpf.c) on veth pairs whose other ends
 * live in a private network namespace, fed by BPF_PROG_TEST_RUN and by
 * real pings from the namespace.
 *
 * Every test case gets its own environment, made and removed in the
 * parent process by an unchecked fixture (so also after a failed or
 * crashed test): a bpffs mounted on a temp directory (the pin root), a
 * network namespace and two veth pairs named after the pid (and the
 * names of the dummy interfaces a test may add, removed when there).
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <ebpfnet/ebpfnet.h>

#include "check_case.h"
#include "check_run.h"
#include "internal.h"
#include "now.h"
#include "priv.h"
#include "shell_run.h"
#include "xdp_chain.h"
#include "test_xdp_stage.skel.h"

#define PAIRS 2
#define A XDP_STAGE_TEST_A
#define B XDP_STAGE_TEST_B
#define IDX_A 0 /* counter index of stage A in the test object */
#define IDX_B 1
#define ETH_P_MARKER 0x88B5
#define MARKER_A 0xA
#define MARKER_B 0xB

struct pair {
	char host[IF_NAMESIZE];  /* in our namespace: the chain goes here */
	char peer[IF_NAMESIZE];  /* in the test namespace */
	char host_ip[32];
	char peer_ip[32];
};

static pid_t parent_pid;
static int env_seq;
static char root[128];           /* the pin root: a private bpffs */
static int root_entries;         /* in it when mounted (bpf_preload's) */
static char netns[64];
static struct pair pairs[PAIRS];
/* Interfaces with a chosen ifindex (veths, their peers in the namespace):
 * the last one the array covers, and the first one it does not. */
static char edges[2][IF_NAMESIZE];
static char last_warning[1024];

/* ---- helpers -------------------------------------------------------------- */

/* The library's messages to the test log, the last warning kept. */
static void print_keep_warning(enum ebpfnet_print_level level, const char *msg)
{
	if (level == EBPFNET_PRINT_WARN)
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
	print_to_stderr(level, msg);
}

static __u32 ifindex_of(const char *ifname)
{
	__u32 i = if_nametoindex(ifname);

	ck_assert_msg(i, "interface %s is missing", ifname);
	return i;
}

/* The XDP program ids attached to an interface. */
static void xdp_ids(const char *ifname, __u32 *drv, __u32 *skb)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	ck_assert_int_eq(bpf_xdp_query((int)ifindex_of(ifname), 0, &q), 0);
	*drv = q.drv_prog_id;
	*skb = q.skb_prog_id;
}

static bool has_xdp(const char *ifname)
{
	__u32 drv, skb;

	xdp_ids(ifname, &drv, &skb);
	return drv || skb;
}

static bool path_exists(const char *fmt, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), fmt, root, name);
	return stat(path, &st) == 0;
}

/* The number of entries in a directory ("." and ".." left out). */
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

static __u32 link_prog_id(const char *ifname)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/xdp/%s/link", root, ifname);
	fd = bpf_obj_get(path);
	ck_assert_msg(fd >= 0, "no link pinned at %s", path);
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.prog_id;
}

static __u32 obj_id_of_prog(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static __u32 obj_id_of_map(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/*
 * Whether the kernel forgot a program (or map) id, waiting up to 5 s:
 * programs release their maps after an RCU grace period. The ids are
 * looked up with get_next_id, which takes no reference: opening a dying
 * prog array by id and closing it again can make the kernel queue its
 * clean-up twice and leak it.
 */
static bool id_gone(int (*next_id)(__u32, __u32 *), __u32 id)
{
	int64_t deadline = now_ms() + 5000;
	__u32 next;

	while (next_id(id - 1, &next) == 0 && next == id) {
		if (now_ms() > deadline)
			return false;
		usleep(10000);
	}
	return true;
}

static struct ebpfnet__xdp_chain *open_chain(void)
{
	struct ebpfnet__xdp_chain *chain = NULL;

	ck_assert_int_eq(ebpfnet__xdp_chain_open(root, &chain), 0);
	ck_assert_ptr_nonnull(chain);
	return chain;
}

/* Load the test stages with the chain's maps (and, when `share` is
 * given, its counters), and put them in slots A and B. */
static struct test_xdp_stage_bpf *load_stages(struct ebpfnet__xdp_chain *chain,
					      struct test_xdp_stage_bpf *share)
{
	struct test_xdp_stage_bpf *skel = test_xdp_stage_bpf__open();

	ck_assert_ptr_nonnull(skel);
	ck_assert_int_eq(ebpfnet__xdp_chain_share(chain, skel->obj), 0);
	if (share) {
		ck_assert_int_eq(bpf_map__reuse_fd(skel->maps.stage_seen,
						   bpf_map__fd(share->maps.stage_seen)), 0);
		ck_assert_int_eq(bpf_map__reuse_fd(skel->maps.stage_pings,
						   bpf_map__fd(share->maps.stage_pings)), 0);
	}
	ck_assert_int_eq(test_xdp_stage_bpf__load(skel), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, A,
			 bpf_program__fd(skel->progs.stage_a)), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, B,
			 bpf_program__fd(skel->progs.stage_b)), 0);
	return skel;
}

static __u64 counter(const struct bpf_map *map, __u32 idx)
{
	__u64 v = 0;

	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(map), &idx, &v), 0);
	return v;
}

#define SEEN(skel, i) counter((skel)->maps.stage_seen, (i))
#define PINGS(skel, i) counter((skel)->maps.stage_pings, (i))

/* The pinned array of bitmasks by ifindex (a new fd). */
static int by_index_fd(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/xdp/ifaces_by_index", root);
	fd = bpf_obj_get(path);
	ck_assert_msg(fd >= 0, "no array pinned at %s", path);
	return fd;
}

/* The entry packets of ifindex read in the array (which covers it). */
static __u32 array_mask_of(__u32 ifindex)
{
	int fd = by_index_fd();
	__u32 mask = ~0U;

	ck_assert_uint_lt(ifindex, XDP_CHAIN_ARRAY_IFINDEX);
	ck_assert_int_eq(bpf_map_lookup_elem(fd, &ifindex, &mask), 0);
	close(fd);
	return mask;
}

static void put_array_mask(__u32 ifindex, __u32 mask)
{
	int fd = by_index_fd();

	ck_assert_int_eq(bpf_map_update_elem(fd, &ifindex, &mask, BPF_ANY), 0);
	close(fd);
}

/* The stages of ifindex in the hash (the library's source of truth),
 * checked to be what the array says when it covers ifindex. */
static __u32 stage_mask_of(struct ebpfnet__xdp_chain *chain, __u32 ifindex)
{
	__u32 mask = 0;

	if (bpf_map_lookup_elem(ebpfnet__xdp_chain_ifaces_fd(chain), &ifindex,
				&mask))
		mask = 0;
	if (ifindex < XDP_CHAIN_ARRAY_IFINDEX)
		ck_assert_msg(array_mask_of(ifindex) == mask,
			      "ifindex %u: array %#x, hash %#x", ifindex,
			      array_mask_of(ifindex), mask);
	return mask;
}

static void enable_ok(struct ebpfnet__xdp_chain *chain, const char *ifname,
		      enum xdp_stage stage, enum ebpfnet_xdp_mode mode,
		      enum ebpfnet_xdp_mode want_active)
{
	enum ebpfnet_xdp_mode active = -1;

	ck_assert_msg(ebpfnet__xdp_chain_enable(chain, ifname, stage, mode,
						&active) == 0,
		      "enable stage %d on %s (%s): %s", stage, ifname,
		      ebpfnet_xdp_mode_name(mode), last_warning);
	ck_assert_str_eq(ebpfnet_xdp_mode_name(active),
			 ebpfnet_xdp_mode_name(want_active));
}

/* Ping the host side of a pair from the namespace; the replies. */
static int ping(const struct pair *p, int count, const char *interval)
{
	char cmd[512], line[256];
	int received = -1, n;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "nsenter --net=/run/netns/%s ping -n -q -c %d -i %s -W 1 %s 2>&1",
		 netns, count, interval, p->host_ip);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		/* "3 packets transmitted, 3 received, ..." */
		if (sscanf(line, "%*d packets transmitted, %d received", &n) == 1)
			received = n;
	}
	pclose(f);
	return received;
}

/* Interfaces a chain reports for a stage. */
struct seen_ifaces {
	int n;
	char name[8][IF_NAMESIZE];
	__u32 ifindex[8];
	enum ebpfnet_xdp_mode mode[8];
};

static int collect_iface(void *ctx, const char *ifname, uint32_t ifindex,
			 enum ebpfnet_xdp_mode mode)
{
	struct seen_ifaces *s = ctx;

	if (s->n < 8) {
		snprintf(s->name[s->n], IF_NAMESIZE, "%s", ifname);
		s->ifindex[s->n] = ifindex;
		s->mode[s->n] = mode;
	}
	s->n++;
	return 0;
}

static struct seen_ifaces ifaces(struct ebpfnet__xdp_chain *chain,
				 enum xdp_stage stage)
{
	struct seen_ifaces s = { 0 };

	ck_assert_int_eq(ebpfnet__xdp_chain_ifaces(chain, stage, collect_iface,
						   &s), 0);
	return s;
}

/* ---- the environment (parent process) ------------------------------------- */

static int make_pair(int i)
{
	struct pair *p = &pairs[i];
	int net = 128 + parent_pid % 64, sub = env_seq * PAIRS + i;

	snprintf(p->host, sizeof(p->host), "xc%dh%d", (int)parent_pid, sub);
	snprintf(p->peer, sizeof(p->peer), "xc%dp%d", (int)parent_pid, sub);
	snprintf(p->host_ip, sizeof(p->host_ip), "10.%d.%d.1", net, sub % 256);
	snprintf(p->peer_ip, sizeof(p->peer_ip), "10.%d.%d.2", net, sub % 256);
	return run("ip link add %s type veth peer name %s netns %s", p->host,
		   p->peer, netns) ||
	       run("ip addr add %s/24 dev %s && ip link set %s up", p->host_ip,
		   p->host, p->host) ||
	       run("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up",
		   netns, p->peer_ip, p->peer, netns, p->peer);
}

static void env_teardown(void)
{
	int i;

	if (getpid() != parent_pid)
		return;
	for (i = 0; i < PAIRS; i++) {
		if (pairs[i].host[0] && if_nametoindex(pairs[i].host))
			run("ip link del %s", pairs[i].host);
		pairs[i].host[0] = '\0';
	}
	for (i = 0; i < 2; i++) {
		if (edges[i][0] && if_nametoindex(edges[i]))
			run("ip link del %s", edges[i]);
		edges[i][0] = '\0';
	}
	if (netns[0])
		run("ip netns del %s 2>/dev/null", netns);
	netns[0] = '\0';
	if (root[0]) {
		/* Unmounting the bpffs drops every pin (and so every link)
		 * a failed test may have left. */
		umount2(root, MNT_DETACH);
		rmdir(root);
	}
	root[0] = '\0';
}

static void env_setup(void)
{
	char tmpl[] = "/tmp/ebpfnet-test-chain-XXXXXX";
	int i;

	env_seq++;
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	snprintf(netns, sizeof(netns), "ebpfnet-chain-%d-%d", (int)parent_pid,
		 env_seq);
	if (ebpfnet_mount_bpffs(root) ||
	    run("ip netns add %s && ip -n %s link set lo up", netns, netns)) {
		fprintf(stderr, "cannot set up the test environment\n");
		env_teardown();
		exit(1);
	}
	/* A new bpffs may hold bpf_preload's maps.debug and progs.debug. */
	root_entries = dir_entries(root);
	for (i = 0; i < 2; i++)
		snprintf(edges[i], sizeof(edges[i]), "xc%de%d", (int)parent_pid,
			 i);
	for (i = 0; i < PAIRS; i++) {
		if (make_pair(i)) {
			fprintf(stderr, "cannot create veth pair %d\n", i);
			env_teardown();
			exit(1);
		}
	}
}

/* ---- packets for BPF_PROG_TEST_RUN ---------------------------------------- */

static size_t echo_request(unsigned char *pkt)
{
	static const unsigned char frame[] = {
		/* ethernet: dst, src, IPv4 */
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
		/* IPv4: 20 bytes, ICMP, 10.0.0.2 -> 10.0.0.1 */
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2,
		10, 0, 0, 1,
		/* ICMP echo request */
		8, 0, 0, 0, 0, 1, 0, 1,
	};

	memset(pkt, 0, 64);
	memcpy(pkt, frame, sizeof(frame));
	return 64;
}

static size_t marker(unsigned char *pkt, unsigned char which)
{
	memset(pkt, 0, 64);
	pkt[0] = pkt[6] = 0x02;
	pkt[12] = ETH_P_MARKER >> 8;
	pkt[13] = ETH_P_MARKER & 0xff;
	pkt[14] = which;
	return 64;
}

/* Run prog on a packet arriving on ifindex; the XDP verdict. When the
 * kernel does not take ingress_ifindex in the context (before 5.15),
 * the packet arrives on loopback, whose stages are set for the run. */
static __u32 run_on(struct ebpfnet__xdp_chain *chain, int prog_fd,
		    __u32 ifindex, size_t (*make)(unsigned char *, unsigned char),
		    unsigned char arg)
{
	unsigned char pkt[64];
	struct xdp_md ctx = { 0 };
	size_t len = make(pkt, arg);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	__u32 lo = 1, mask;
	int fd = ebpfnet__xdp_chain_ifaces_fd(chain);

	ctx.data_end = (__u32)len;
	ctx.ingress_ifindex = ifindex;
	if (bpf_prog_test_run_opts(prog_fd, &opts) == 0)
		return opts.retval;
	ck_assert_int_eq(errno, EINVAL);
	fprintf(stderr, "test run: no ingress_ifindex in the context here; using loopback\n");
	mask = stage_mask_of(chain, ifindex);
	ck_assert_int_eq(bpf_map_update_elem(fd, &lo, &mask, BPF_ANY), 0);
	put_array_mask(lo, mask);
	opts.ctx_in = NULL;
	opts.ctx_size_in = 0;
	ck_assert_int_eq(bpf_prog_test_run_opts(prog_fd, &opts), 0);
	bpf_map_delete_elem(fd, &lo);
	put_array_mask(lo, 0);
	return opts.retval;
}

static size_t make_echo(unsigned char *pkt, unsigned char unused)
{
	(void)unused;
	return echo_request(pkt);
}

/* ---- (1) the chain under BPF_PROG_TEST_RUN --------------------------------- */

START_TEST(test_dispatch_order)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *skel = load_stages(chain, NULL);
	const char *dev = pairs[0].host;
	__u32 ifindex = ifindex_of(dev), other = ifindex_of(pairs[1].host);
	int disp;

	/* Only our test packets may reach the stages: the peer, down, sends
	 * nothing (no IPv6 router solicitations...). */
	ck_assert_int_eq(run("ip -n %s link set %s down", netns, pairs[0].peer), 0);
	enable_ok(chain, dev, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, dev, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	disp = bpf_prog_get_fd_by_id(link_prog_id(dev));
	ck_assert_int_ge(disp, 0);

	/* A passes an echo request on to B, which passes it. */
	ck_assert_uint_eq(run_on(chain, disp, ifindex, make_echo, 0), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 1);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 1);
	ck_assert_uint_eq(PINGS(skel, IDX_A), 1);
	ck_assert_uint_eq(PINGS(skel, IDX_B), 1);

	/* A's marker is dropped by A and never reaches B. */
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_A), XDP_DROP);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 2);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 1);

	/* B's marker passes A and is dropped by B. */
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_B), XDP_DROP);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 3);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 2);

	/* An empty slot is skipped: B still runs. */
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, A), 0);
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_A), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 3);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 3);
	ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, A,
			 bpf_program__fd(skel->progs.stage_a)), 0);

	/* Only B enabled: A is not run even though its slot is set. */
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, A), 0);
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_A), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 3);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 4);

	/* An interface without stages: the packet passes untouched. */
	ck_assert_uint_eq(run_on(chain, disp, other, marker, MARKER_B), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 3);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 4);

	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, B), 0);
	close(disp);
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* ---- (2) real traffic -------------------------------------------------------- */

START_TEST(test_traffic_counts)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *skel = load_stages(chain, NULL);
	const struct pair *p = &pairs[0];

	enable_ok(chain, p->host, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, p->host, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_int_eq(ping(p, 3, "0.2"), 3);
	ck_assert_uint_eq(PINGS(skel, IDX_A), 3);
	ck_assert_uint_eq(PINGS(skel, IDX_B), 3);

	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, p->host, A), 0);
	ck_assert_int_eq(ping(p, 3, "0.2"), 3);
	ck_assert_uint_eq(PINGS(skel, IDX_A), 3);
	ck_assert_uint_eq(PINGS(skel, IDX_B), 6);

	/* The last stage gone, the dispatcher is detached. */
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, p->host, B), 0);
	ck_assert(!has_xdp(p->host));
	ck_assert(!path_exists("%s/xdp/%s", p->host));
	ck_assert_int_eq(ping(p, 2, "0.2"), 2);
	ck_assert_uint_eq(PINGS(skel, IDX_B), 6);
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* ---- (3) idempotence and modes --------------------------------------------- */

START_TEST(test_modes)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	const char *v0 = pairs[0].host, *v1 = pairs[1].host;
	enum ebpfnet_xdp_mode active;
	struct seen_ifaces s;
	__u32 prog, drv, skb;

	/* AUTO on veth: native; again: nothing changes. */
	enable_ok(chain, v0, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	prog = link_prog_id(v0);
	enable_ok(chain, v0, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, v0, A, EBPFNET_XDP_MODE_NATIVE, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(link_prog_id(v0), prog);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v0)), 1U << A);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(chain, v0), EBPFNET_XDP_MODE_NATIVE);
	xdp_ids(v0, &drv, &skb);
	ck_assert_uint_eq(drv, prog);
	ck_assert_uint_eq(skb, 0);

	/* Generic asked on a fresh interface: generic. */
	enable_ok(chain, v1, A, EBPFNET_XDP_MODE_GENERIC, EBPFNET_XDP_MODE_GENERIC);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(chain, v1), EBPFNET_XDP_MODE_GENERIC);
	xdp_ids(v1, &drv, &skb);
	ck_assert_uint_eq(drv, 0);
	ck_assert_uint_eq(skb, link_prog_id(v1));

	/* Another explicit mode than the dispatcher's: refused, unchanged. */
	errno = 0;
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, v1, B,
			 EBPFNET_XDP_MODE_NATIVE, &active), -EEXIST);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_msg(strstr(last_warning, "generic") && strstr(last_warning, v1),
		      "message: %s", last_warning);
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, v0, B,
			 EBPFNET_XDP_MODE_GENERIC, &active), -EEXIST);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v1)), 1U << A);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v0)), 1U << A);
	s = ifaces(chain, B);
	ck_assert_int_eq(s.n, 0);

	/* AUTO adopts whatever mode is there. */
	enable_ok(chain, v1, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_GENERIC);

	s = ifaces(chain, A);
	ck_assert_int_eq(s.n, 2);
	for (int i = 0; i < 2; i++) {
		bool is_v0 = !strcmp(s.name[i], v0);

		ck_assert_msg(is_v0 || !strcmp(s.name[i], v1), "%s", s.name[i]);
		ck_assert_uint_eq(s.ifindex[i], ifindex_of(s.name[i]));
		ck_assert_int_eq(s.mode[i], is_v0 ? EBPFNET_XDP_MODE_NATIVE :
						  EBPFNET_XDP_MODE_GENERIC);
	}

	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v0, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, B), 0);
	ck_assert(!has_xdp(v0) && !has_xdp(v1));
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* ---- (4) a foreign XDP program ---------------------------------------------- */

static void check_foreign(struct ebpfnet__xdp_chain *chain, const char *dev,
			  int prog_fd, __u32 flags)
{
	enum ebpfnet_xdp_mode active;
	char id[16];
	__u32 drv, skb, want = obj_id_of_prog(prog_fd);
	int ifindex = (int)ifindex_of(dev);

	ck_assert_int_eq(bpf_xdp_attach(ifindex, prog_fd, flags, NULL), 0);
	errno = 0;
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, dev, A,
			 EBPFNET_XDP_MODE_AUTO, &active), -EBUSY);
	ck_assert_int_eq(errno, EBUSY);
	snprintf(id, sizeof(id), "%u", want);
	ck_assert_msg(strstr(last_warning, id) && strstr(last_warning, dev),
		      "message: %s", last_warning);
	/* Nothing changed. */
	xdp_ids(dev, &drv, &skb);
	ck_assert_uint_eq(flags == XDP_FLAGS_DRV_MODE ? drv : skb, want);
	ck_assert_uint_eq(flags == XDP_FLAGS_DRV_MODE ? skb : drv, 0);
	ck_assert(!path_exists("%s/xdp/%s", dev));
	ck_assert_uint_eq(stage_mask_of(chain, (__u32)ifindex), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(chain, dev), -ENOENT);
	ck_assert_int_eq(bpf_xdp_detach(ifindex, flags, NULL), 0);
}

START_TEST(test_foreign_program)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *skel = load_stages(chain, NULL);
	int foreign = bpf_program__fd(skel->progs.stage_b);

	check_foreign(chain, pairs[0].host, foreign, XDP_FLAGS_DRV_MODE);
	check_foreign(chain, pairs[1].host, foreign, XDP_FLAGS_SKB_MODE);
	/* Once it is gone, the chain attaches. */
	enable_ok(chain, pairs[0].host, A, EBPFNET_XDP_MODE_AUTO,
		  EBPFNET_XDP_MODE_NATIVE);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, pairs[0].host, A), 0);
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* ---- (5) bad arguments --------------------------------------------------------- */

START_TEST(test_bad_arguments)
{
	struct ebpfnet__xdp_chain *chain = open_chain(), *none = NULL;
	static const char *bad_names[] = {
		"", "0123456789abcdef", "a/b", ".", "..", "chain", "ifaces",
		"ifaces_by_index",
	};
	const char *dev = pairs[0].host;
	char missing[IF_NAMESIZE];
	enum ebpfnet_xdp_mode active;
	size_t i;

	snprintf(missing, sizeof(missing), "nx%d", (int)parent_pid);
	errno = 0;
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, missing, A,
			 EBPFNET_XDP_MODE_AUTO, &active), -ENODEV);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_msg(strstr(last_warning, missing), "message: %s", last_warning);
	ck_assert(!path_exists("%s/xdp/%s", missing));

	for (i = 0; i < EBPFNET_ARRAY_SIZE(bad_names); i++) {
		errno = 0;
		ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, bad_names[i], A,
				 EBPFNET_XDP_MODE_AUTO, &active), -EINVAL);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, bad_names[i], A),
				 -EINVAL);
		ck_assert_int_eq(ebpfnet__xdp_chain_mode(chain, bad_names[i]),
				 -EINVAL);
	}
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, NULL, A,
			 EBPFNET_XDP_MODE_AUTO, &active), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, dev, XDP_STAGE_MAX,
			 EBPFNET_XDP_MODE_AUTO, &active), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, dev, (enum xdp_stage)-1,
			 EBPFNET_XDP_MODE_AUTO, &active), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(chain, dev, A,
			 (enum ebpfnet_xdp_mode)3, &active), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_enable(NULL, dev, A,
			 EBPFNET_XDP_MODE_AUTO, &active), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, XDP_STAGE_MAX, 0),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, A, -1), -EINVAL);
	/* Not an XDP program: a map fd. */
	ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, A,
			 ebpfnet__xdp_chain_ifaces_fd(chain)), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, XDP_STAGE_MAX),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_ifaces(chain, A, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_open(root, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet__xdp_chain_open("relative", &none), -EINVAL);
	ck_assert_ptr_null(none);
	ck_assert_int_eq(ebpfnet__xdp_chain_lock(NULL), -EINVAL);
	ck_assert(!has_xdp(dev));

	/* Nothing enabled: disable and mode say so. */
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, A), -ENOENT);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(chain, dev), -ENOENT);
	enable_ok(chain, dev, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, B), -ENOENT);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, A), -ENOENT);

	ck_assert_str_eq(ebpfnet_xdp_mode_name(EBPFNET_XDP_MODE_AUTO), "auto");
	ck_assert_str_eq(ebpfnet_xdp_mode_name(EBPFNET_XDP_MODE_NATIVE), "native");
	ck_assert_str_eq(ebpfnet_xdp_mode_name(EBPFNET_XDP_MODE_GENERIC), "generic");
	ck_assert_str_eq(ebpfnet_xdp_mode_name((enum ebpfnet_xdp_mode)7), "unknown");
	ebpfnet__xdp_chain_close(chain);
	ebpfnet__xdp_chain_close(NULL);
}
END_TEST

/* ---- (6) a second handle --------------------------------------------------------- */

START_TEST(test_second_handle)
{
	struct ebpfnet__xdp_chain *one = open_chain(), *two = open_chain();
	const char *dev = pairs[0].host;
	struct seen_ifaces s;
	int64_t t0;
	pid_t pid;
	int st;

	ck_assert_uint_eq(obj_id_of_map(ebpfnet__xdp_chain_prog_array_fd(one)),
			  obj_id_of_map(ebpfnet__xdp_chain_prog_array_fd(two)));
	ck_assert_uint_eq(obj_id_of_map(ebpfnet__xdp_chain_ifaces_fd(one)),
			  obj_id_of_map(ebpfnet__xdp_chain_ifaces_fd(two)));
	enable_ok(one, dev, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(one, dev, B, EBPFNET_XDP_MODE_NATIVE, EBPFNET_XDP_MODE_NATIVE);

	s = ifaces(two, A);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.name[0], dev);
	ck_assert_uint_eq(s.ifindex[0], ifindex_of(dev));
	ck_assert_int_eq(s.mode[0], EBPFNET_XDP_MODE_NATIVE);
	ck_assert_int_eq(ifaces(two, B).n, 1);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(two, dev), EBPFNET_XDP_MODE_NATIVE);

	/* While one holds the lock, another process's change waits. */
	ck_assert_int_eq(ebpfnet__xdp_chain_lock(one), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_lock(one), 0); /* nests */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ebpfnet__xdp_chain *three = NULL;

		if (ebpfnet__xdp_chain_open(root, &three))
			_exit(2);
		_exit(ebpfnet__xdp_chain_disable(three, dev, A) ? 3 : 0);
	}
	t0 = now_ms();
	usleep(300000);
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);
	ebpfnet__xdp_chain_unlock(one);
	usleep(100000);
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0); /* still held once */
	ebpfnet__xdp_chain_unlock(one);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_ge(now_ms() - t0, 400);

	ck_assert_int_eq(ifaces(one, A).n, 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(two, dev, B), 0);
	ck_assert_int_eq(ifaces(one, B).n, 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(one, dev), -ENOENT);
	ck_assert(!has_xdp(dev));
	ebpfnet__xdp_chain_close(two);
	ebpfnet__xdp_chain_close(one);
}
END_TEST

/* ---- (7) replacing a stage under traffic ------------------------------------------ */

START_TEST(test_replace_under_traffic)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *first = load_stages(chain, NULL), *next[2];
	const struct pair *p = &pairs[0];
	int replaced = 0, st, received = -1;
	pid_t pid;

	/* Both instances count into the first one's counters: a moment
	 * without a program in slot A would lose a count, not a ping. */
	next[0] = first;
	next[1] = load_stages(chain, first);
	enable_ok(chain, p->host, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(ping(p, 40, "0.05"));
	while (waitpid(pid, &st, WNOHANG) == 0) {
		ck_assert_int_eq(ebpfnet__xdp_chain_set_stage(chain, A,
				 bpf_program__fd(next[replaced % 2]->progs.stage_a)), 0);
		replaced++;
		usleep(2000);
	}
	if (WIFEXITED(st))
		received = WEXITSTATUS(st);
	ck_assert_int_eq(received, 40);
	ck_assert_int_gt(replaced, 40);
	ck_assert_uint_eq(PINGS(first, IDX_A), 40);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, p->host, A), 0);
	test_xdp_stage_bpf__destroy(next[1]);
	test_xdp_stage_bpf__destroy(first);
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* ---- (8) everything removed -------------------------------------------------------- */

START_TEST(test_remove_leaves_nothing)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *skel = load_stages(chain, NULL);
	const char *v0 = pairs[0].host, *v1 = pairs[1].host;
	__u32 disp0, disp1, stage_a, chain_id, ifaces_id, array_id;
	int fd;

	enable_ok(chain, v0, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, v0, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, v1, B, EBPFNET_XDP_MODE_GENERIC, EBPFNET_XDP_MODE_GENERIC);
	disp0 = link_prog_id(v0);
	disp1 = link_prog_id(v1);
	stage_a = obj_id_of_prog(bpf_program__fd(skel->progs.stage_a));
	chain_id = obj_id_of_map(ebpfnet__xdp_chain_prog_array_fd(chain));
	ifaces_id = obj_id_of_map(ebpfnet__xdp_chain_ifaces_fd(chain));
	fd = by_index_fd();
	array_id = obj_id_of_map(fd);
	close(fd);

	/* In use: not removed. */
	ck_assert(!ebpfnet__xdp_chain_unused(chain));
	ck_assert_int_eq(ebpfnet__xdp_chain_remove(chain), -EBUSY);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v0, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v0, B), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, B), 0);
	/* Slots still used. */
	ck_assert(!ebpfnet__xdp_chain_unused(chain));
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, B), 0);
	ck_assert(ebpfnet__xdp_chain_unused(chain));
	ck_assert_int_eq(ebpfnet__xdp_chain_remove(chain), 0);

	ck_assert_int_eq(dir_entries(root), root_entries);
	ck_assert(!has_xdp(v0) && !has_xdp(v1));
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(chain);
	ck_assert(id_gone(bpf_prog_get_next_id, disp0));
	ck_assert(id_gone(bpf_prog_get_next_id, disp1));
	ck_assert(id_gone(bpf_prog_get_next_id, stage_a));
	ck_assert(id_gone(bpf_map_get_next_id, chain_id));
	ck_assert(id_gone(bpf_map_get_next_id, ifaces_id));
	ck_assert(id_gone(bpf_map_get_next_id, array_id));

	/* A new chain starts from scratch. */
	chain = open_chain();
	ck_assert(ebpfnet__xdp_chain_unused(chain));
	ck_assert_uint_ne(obj_id_of_map(ebpfnet__xdp_chain_prog_array_fd(chain)),
			  chain_id);
	ck_assert_int_eq(ebpfnet__xdp_chain_remove(chain), 0);
	ebpfnet__xdp_chain_close(chain);
	ck_assert_int_eq(dir_entries(root), root_entries);
}
END_TEST

/* A handle whose chain another process removed pins it again on its next
 * change. */
START_TEST(test_removed_under_a_handle)
{
	struct ebpfnet__xdp_chain *keep = open_chain(), *other = open_chain();
	struct test_xdp_stage_bpf *skel;
	const struct pair *p = &pairs[0];

	ck_assert_int_eq(ebpfnet__xdp_chain_remove(other), 0);
	ebpfnet__xdp_chain_close(other);
	ck_assert_int_eq(dir_entries(root), root_entries);

	skel = load_stages(keep, NULL); /* set_stage pins again */
	enable_ok(keep, p->host, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert(path_exists("%s/xdp/%s", "chain"));
	ck_assert(path_exists("%s/xdp/%s", "ifaces"));
	ck_assert(path_exists("%s/xdp/%s", "ifaces_by_index"));
	ck_assert_int_eq(ping(p, 2, "0.2"), 2);
	ck_assert_uint_eq(PINGS(skel, IDX_A), 2);

	other = open_chain(); /* adopts the pins of `keep` */
	ck_assert_uint_eq(obj_id_of_map(ebpfnet__xdp_chain_ifaces_fd(other)),
			  obj_id_of_map(ebpfnet__xdp_chain_ifaces_fd(keep)));
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(other, p->host, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(other, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(other, B), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_remove(other), 0);
	ebpfnet__xdp_chain_close(other);
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(keep);
	ck_assert_int_eq(dir_entries(root), root_entries);
}
END_TEST

/* ---- (9) an interface deleted while enabled -------------------------------------- */

START_TEST(test_interface_deleted)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *skel = load_stages(chain, NULL);
	const char *v0 = pairs[0].host, *v1 = pairs[1].host;
	__u32 old_index = ifindex_of(v1), drv, skb;
	struct seen_ifaces s;

	enable_ok(chain, v0, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, v1, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, v1, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_int_eq(run("ip link del %s", v1), 0);

	s = ifaces(chain, A);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.name[0], v0);
	ck_assert_int_eq(ifaces(chain, B).n, 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_mode(chain, v1), -ENOENT);
	ck_assert(!ebpfnet__xdp_chain_unused(chain)); /* v0 still has A */

	/* The live interface still works beside the stale pins. */
	ck_assert_int_eq(ping(&pairs[0], 2, "0.2"), 2);
	ck_assert_uint_eq(PINGS(skel, IDX_A), 2);

	/* Disabling by the vanished name cleans its pins and its entry. */
	ck_assert(path_exists("%s/xdp/%s", v1));
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, A), 0);
	ck_assert(!path_exists("%s/xdp/%s", v1));
	ck_assert_uint_eq(stage_mask_of(chain, old_index), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, B), -ENOENT);

	/* A new interface of that name: enable works again. */
	ck_assert_int_eq(make_pair(1), 0);
	enable_ok(chain, v1, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v1)), 1U << B);
	ck_assert_int_eq(ping(&pairs[1], 2, "0.2"), 2);
	ck_assert_uint_eq(PINGS(skel, IDX_B), 2);
	ck_assert_uint_eq(PINGS(skel, IDX_A), 2);

	/* Deleted again and re-created before anyone disabled: enable
	 * replaces the stale pins by itself. */
	ck_assert_int_eq(run("ip link del %s", v1), 0);
	ck_assert_int_eq(make_pair(1), 0);
	enable_ok(chain, v1, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v1)), 1U << A);
	xdp_ids(v1, &drv, &skb);
	ck_assert_uint_eq(drv, link_prog_id(v1));

	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v0, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_clear_stage(chain, B), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_remove(chain), 0);
	ck_assert_int_eq(dir_entries(root), root_entries);
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* ---- (10) the array and the hash of bitmasks --------------------------------------- */

/* Create edges[i] (its peer in the namespace) with ifindex `want`, or,
 * when another interface has it, one in [lo, hi); its ifindex. */
static __u32 make_edge(int i, __u32 want, __u32 lo, __u32 hi)
{
	__u32 index = want;

	for (int attempt = 0; attempt < 8; attempt++) {
		if (run("ip link add %s index %u type veth peer name %sp netns %s 2>/dev/null",
			edges[i], index, edges[i], netns) == 0) {
			ck_assert_uint_eq(ifindex_of(edges[i]), index);
			return index;
		}
		index = lo + (__u32)(parent_pid * 31 + attempt * 97) % (hi - lo);
	}
	ck_abort_msg("cannot create %s with an ifindex in [%u, %u)", edges[i],
		     lo, hi);
	return 0;
}

/* A dispatcher program of the chain (the one attached to ifname). */
static int dispatcher_of(const char *ifname)
{
	int fd = bpf_prog_get_fd_by_id(link_prog_id(ifname));

	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_array_and_hash)
{
	struct ebpfnet__xdp_chain *chain = open_chain();
	struct test_xdp_stage_bpf *skel = load_stages(chain, NULL);
	const char *dev = pairs[0].host;
	__u32 ifindex = ifindex_of(dev), last, past, mask = 0;
	int disp, fd;

	ck_assert_int_eq(run("ip -n %s link set %s down", netns, pairs[0].peer), 0);
	ck_assert_uint_lt(ifindex, XDP_CHAIN_ARRAY_IFINDEX);
	enable_ok(chain, dev, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex), 1U << A);
	enable_ok(chain, dev, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex), 1U << A | 1U << B);
	disp = dispatcher_of(dev);

	/* B's marker passes A and is dropped by B. */
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_B), XDP_DROP);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 1);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 1);

	/* The array is what packets of this interface read: without its
	 * entry, the hash's alone runs no stage. */
	put_array_mask(ifindex, 0);
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_B), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 1);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 1);
	put_array_mask(ifindex, 1U << A | 1U << B);

	/* Disabling one stage updates both. */
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, A), 0);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex), 1U << B);
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_A), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 1);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 2);

	/* The last ifindex the array covers, and the first it does not,
	 * which packets look up in the hash. */
	last = make_edge(0, XDP_CHAIN_ARRAY_IFINDEX - 1,
			 XDP_CHAIN_ARRAY_IFINDEX / 2, XDP_CHAIN_ARRAY_IFINDEX);
	past = make_edge(1, XDP_CHAIN_ARRAY_IFINDEX, XDP_CHAIN_ARRAY_IFINDEX,
			 XDP_CHAIN_ARRAY_IFINDEX * 16);
	enable_ok(chain, edges[0], A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(chain, edges[1], A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(stage_mask_of(chain, last), 1U << A);
	ck_assert_uint_eq(stage_mask_of(chain, past), 1U << A);
	fd = by_index_fd();
	ck_assert_int_eq(bpf_map_lookup_elem(fd, &past, &mask), -ENOENT);
	close(fd);
	ck_assert_uint_eq(run_on(chain, disp, last, marker, MARKER_A), XDP_DROP);
	ck_assert_uint_eq(run_on(chain, disp, past, marker, MARKER_A), XDP_DROP);
	ck_assert_uint_eq(run_on(chain, disp, past, marker, MARKER_B), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 4);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 2);
	enable_ok(chain, edges[1], B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	ck_assert_uint_eq(run_on(chain, disp, past, marker, MARKER_B), XDP_DROP);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 5);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 3);

	/* Disabled everywhere: both maps are clear. */
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, edges[1], A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, edges[1], B), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, edges[0], A), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, dev, B), 0);
	ck_assert_uint_eq(stage_mask_of(chain, past), 0);
	ck_assert_uint_eq(stage_mask_of(chain, last), 0);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex), 0);
	ck_assert_uint_eq(array_mask_of(ifindex), 0);
	ck_assert_uint_eq(run_on(chain, disp, ifindex, marker, MARKER_B), XDP_PASS);
	ck_assert_uint_eq(run_on(chain, disp, past, marker, MARKER_B), XDP_PASS);
	ck_assert_uint_eq(SEEN(skel, IDX_A), 5);
	ck_assert_uint_eq(SEEN(skel, IDX_B), 3);
	close(disp);
	test_xdp_stage_bpf__destroy(skel);
	ebpfnet__xdp_chain_close(chain);
}
END_TEST

/* A chain pinned by a version without the array: the next open creates
 * it and copies the hash's bitmasks into it. */
START_TEST(test_adopt_without_array)
{
	struct ebpfnet__xdp_chain *old = open_chain(), *chain;
	const char *v0 = pairs[0].host, *v1 = pairs[1].host;
	char path[PATH_MAX];
	int fd;
	__u32 old_id;

	enable_ok(old, v0, A, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(old, v0, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	enable_ok(old, v1, B, EBPFNET_XDP_MODE_AUTO, EBPFNET_XDP_MODE_NATIVE);
	fd = by_index_fd();
	old_id = obj_id_of_map(fd);
	close(fd);
	ebpfnet__xdp_chain_close(old);
	snprintf(path, sizeof(path), "%s/xdp/ifaces_by_index", root);
	ck_assert_int_eq(unlink(path), 0);

	chain = open_chain();
	fd = by_index_fd();
	ck_assert_uint_ne(obj_id_of_map(fd), old_id);
	close(fd);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v0)), 1U << A | 1U << B);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v1)), 1U << B);

	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v0, A), 0);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v0)), 1U << B);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v0, B), 0);
	ck_assert_int_eq(ebpfnet__xdp_chain_disable(chain, v1, B), 0);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v0)), 0);
	ck_assert_uint_eq(stage_mask_of(chain, ifindex_of(v1)), 0);
	ck_assert(!has_xdp(v0) && !has_xdp(v1));
	ck_assert_int_eq(ebpfnet__xdp_chain_remove(chain), 0);
	ebpfnet__xdp_chain_close(chain);
	ck_assert_int_eq(dir_entries(root), root_entries);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------- */

/* One environment per test: made and removed in the parent. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	add_isolated_case(s, name, test, env_setup, env_teardown, 60);
}

static Suite *chain_suite(void)
{
	Suite *s = suite_create("xdp_chain");

	add_case(s, "dispatch", test_dispatch_order);
	add_case(s, "traffic", test_traffic_counts);
	add_case(s, "modes", test_modes);
	add_case(s, "foreign", test_foreign_program);
	add_case(s, "arguments", test_bad_arguments);
	add_case(s, "handles", test_second_handle);
	add_case(s, "replace", test_replace_under_traffic);
	add_case(s, "remove", test_remove_leaves_nothing);
	add_case(s, "removed", test_removed_under_a_handle);
	add_case(s, "deleted", test_interface_deleted);
	add_case(s, "array", test_array_and_hash);
	add_case(s, "adopt", test_adopt_without_array);
	return s;
}

int main(void)
{
	test_require_root();
	parent_pid = getpid();
	ebpfnet_set_print(print_keep_warning);
	return test_run_suite(chain_suite(), CK_VERBOSE);
}
