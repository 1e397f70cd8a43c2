/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The policy object with real traffic (root): three labelled workloads
 * (frontend, backend, db) and an outside client, each in a network
 * namespace of its own with a veth to a "host" namespace that routes
 * between them. The host side of each workload's veth is its endpoint.
 * Real TCP connections (nonblocking connects with a timeout, data both
 * ways) check the classic policy (frontend -> backend:80, backend ->
 * db:5432, nothing else) as CiliumNetworkPolicy and as Kubernetes
 * NetworkPolicy, a deny rule over an allow, a CIDR rule, a policy update
 * that cuts an established connection, verdict events, counters, bad
 * input, adoption by a second handle, and the removal of everything.
 *
 * Every case gets its own environment, made and removed in the runner
 * process (an unchecked fixture, so also after a failed or crashed case):
 * a bpffs on a temp directory (the pin root) and five namespaces. The
 * runner itself moves into the "host" namespace for the case (the host's
 * forwarding setting and addresses are the test's own), and back after.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
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
#include "now.h"
#include "priv.h"
#include "shell_run.h"

#define DENY_WAIT_MS 500   /* below the first SYN retransmission (1 s) */
#define ALLOW_WAIT_MS 2000

enum ws { FE, BE, DB, OUT, N_WS };

static const struct workload {
	const char *tag;        /* namespace suffix, host-side interface "vh-<tag>" */
	const char *ip;         /* the workload's address */
	const char *gw;         /* the host side's */
	int plen;
	const char *labels;
	uint16_t port;          /* its server */
} ws[N_WS] = {
	[FE] = { "fe", "10.200.1.2", "10.200.1.1", 24, "app=frontend", 80 },
	[BE] = { "be", "10.200.2.2", "10.200.2.1", 24, "app=backend", 80 },
	[DB] = { "db", "10.200.3.2", "10.200.3.1", 24, "app=db", 5432 },
	[OUT] = { "out", "10.201.0.2", "10.201.0.1", 24, NULL, 80 },
};

static pid_t parent_pid;
static int env_seq;
static char root[128];          /* the pin root: a private bpffs */
static int root_entries;        /* in it when mounted (bpf_preload's) */
static char host_ns[64];
static char ns[N_WS][64];
static int orig_netns = -1;     /* the runner's namespace before the case */

/* ---- environment ------------------------------------------------------------ */

static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = setns(fd, CLONE_NEWNET);
	close(fd);
	return err;
}

static void env_teardown(void)
{
	if (getpid() != parent_pid)
		return;
	if (orig_netns >= 0) {
		if (setns(orig_netns, CLONE_NEWNET))
			perror("setns back");
		close(orig_netns);
		orig_netns = -1;
	}
	for (int i = 0; i < N_WS; i++) {
		if (ns[i][0])
			run("ip netns del %s 2>/dev/null", ns[i]);
		ns[i][0] = '\0';
	}
	if (host_ns[0])
		run("ip netns del %s 2>/dev/null", host_ns); /* takes the veths */
	host_ns[0] = '\0';
	if (root[0]) {
		umount2(root, MNT_DETACH); /* drops every pin a failed case left */
		rmdir(root);
	}
	root[0] = '\0';
}

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

/* A workload: its namespace, a veth whose host side is vh-<tag>,
 * addresses and a default route via the host. */
static int make_workload(int i)
{
	const struct workload *w = &ws[i];

	snprintf(ns[i], sizeof(ns[i]), "epol-%s-%d-%d", w->tag, (int)parent_pid,
		 env_seq);
	return run("ip netns add %s && ip -n %s link set lo up && "
		   "ip link add vh-%s type veth peer name eth0 netns %s && "
		   "ip addr add %s/%d dev vh-%s && ip link set vh-%s up && "
		   "ip -n %s addr add %s/%d dev eth0 && ip -n %s link set eth0 up && "
		   "ip -n %s route add default via %s",
		   ns[i], ns[i], w->tag, ns[i], w->gw, w->plen, w->tag, w->tag,
		   ns[i], w->ip, w->plen, ns[i], ns[i], w->gw);
}

static void env_setup(void)
{
	char tmpl[] = "/tmp/ebpfnet-test-policy-XXXXXX";

	env_seq++;
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	snprintf(host_ns, sizeof(host_ns), "epol-host-%d-%d", (int)parent_pid, env_seq);
	orig_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_netns < 0 || ebpfnet_mount_bpffs(root) ||
	    run("ip netns add %s", host_ns) || enter_netns(host_ns) ||
	    run("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1")) {
		fprintf(stderr, "cannot set up the test environment\n");
		env_teardown();
		exit(1);
	}
	root_entries = dir_entries(root);
	for (int i = 0; i < N_WS; i++) {
		if (make_workload(i)) {
			fprintf(stderr, "cannot make workload %s\n", ws[i].tag);
			env_teardown();
			exit(1);
		}
	}
}

/* ---- sockets in the workloads' namespaces ------------------------------------------ */

/* A nonblocking TCP socket of namespace i (a socket stays in the
 * namespace it was made in). */
static int ns_socket(int i)
{
	int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), s;

	ck_assert_int_ge(host, 0);
	ck_assert_int_eq(enter_netns(ns[i]), 0);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(setns(host, CLONE_NEWNET), 0);
	close(host);
	ck_assert_int_ge(s, 0);
	return s;
}

static struct sockaddr_in sockaddr_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static int servers[N_WS];

static void start_servers(void)
{
	for (int i = 0; i < N_WS; i++) {
		struct sockaddr_in a = sockaddr_of(ws[i].ip, ws[i].port);
		int one = 1;

		servers[i] = ns_socket(i);
		setsockopt(servers[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ck_assert_int_eq(bind(servers[i], (struct sockaddr *)&a, sizeof(a)), 0);
		ck_assert_int_eq(listen(servers[i], 16), 0);
	}
}

static bool wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & events);
}

/* A connection from workload `from` to workload `to`'s server: the
 * client's socket, its server side in *server_side; -1 when it did not
 * connect within timeout_ms. */
static int tcp_connect(int from, int to, int timeout_ms, int *server_side)
{
	struct sockaddr_in a = sockaddr_of(ws[to].ip, ws[to].port);
	int s = ns_socket(from), soerr = 0;
	socklen_t len = sizeof(soerr);

	*server_side = -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS) {
		close(s);
		return -1;
	}
	if (!wait_fd(s, POLLOUT, timeout_ms) ||
	    getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		close(s);
		return -1;
	}
	ck_assert_msg(wait_fd(servers[to], POLLIN, 1000), "connected, not accepted");
	*server_side = accept4(servers[to], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ck_assert_int_ge(*server_side, 0);
	return s;
}

/* Send a few bytes from a to b; whether b got them within timeout_ms. */
static bool pass_bytes(int a, int b, const char *what, int timeout_ms)
{
	char buf[16] = "";
	ssize_t n;

	ck_assert_int_eq(send(a, what, strlen(what), MSG_NOSIGNAL), (ssize_t)strlen(what));
	if (!wait_fd(b, POLLIN, timeout_ms))
		return false;
	n = recv(b, buf, sizeof(buf) - 1, 0);
	return n == (ssize_t)strlen(what) && !memcmp(buf, what, (size_t)n);
}

/* Whether from connects to `to` and data goes both ways. */
static bool talks(int from, int to)
{
	int srv, cli = tcp_connect(from, to, DENY_WAIT_MS, &srv);
	bool ok;

	if (cli < 0)
		return false;
	ok = pass_bytes(cli, srv, "ping", ALLOW_WAIT_MS) &&
	     pass_bytes(srv, cli, "pong", ALLOW_WAIT_MS);
	close(cli);
	close(srv);
	ck_assert_msg(ok, "%s -> %s connected but data did not go both ways",
		      ws[from].tag, ws[to].tag);
	return true;
}

struct expect {
	int from, to;
	bool allowed;
};

/* The classic policy: frontend -> backend:80, backend -> db:5432. */
static const struct expect classic[] = {
	{ FE, BE, true },  { BE, DB, true },   { FE, DB, false }, { DB, BE, false },
	{ OUT, BE, false }, { BE, FE, false }, { FE, OUT, false }, { OUT, FE, false },
	{ BE, OUT, false },
};

static void check_matrix(const struct expect *e, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		bool got = talks(e[i].from, e[i].to);

		ck_assert_msg(got == e[i].allowed, "%s: %s -> %s:%u %s, expected %s",
			      what, ws[e[i].from].tag, ws[e[i].to].tag,
			      ws[e[i].to].port, got ? "connected" : "failed",
			      e[i].allowed ? "allowed" : "denied");
	}
}

/* ---- the object ------------------------------------------------------------------------ */

#define MAX_EVENTS 256
static struct ebpfnet_policy_verdict_event events[MAX_EVENTS];
static int n_events;

static int on_verdict(void *ctx, const struct ebpfnet_policy_verdict_event *v)
{
	(void)ctx;
	if (n_events < MAX_EVENTS)
		events[n_events++] = *v;
	return 0;
}

static struct ebpfnet_policy *open_policy(void)
{
	EBPFNET_OPTS(ebpfnet_policy_opts, opts, .pin_root = root,
		     .on_verdict = on_verdict, .max_entries = 4096,
		     .max_conns = 4096);
	struct ebpfnet_policy *pol = ebpfnet_policy_open(&opts);

	ck_assert_msg(pol, "open: %s", ebpfnet_strerror(errno));
	return pol;
}

static void add_endpoints(struct ebpfnet_policy *pol)
{
	for (int i = FE; i <= DB; i++) {
		char ifname[IF_NAMESIZE];
		const char *addr = ws[i].ip;

		snprintf(ifname, sizeof(ifname), "vh-%s", ws[i].tag);
		ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, ifname, &addr, 1,
							     ws[i].labels), 0);
	}
}

static void apply(struct ebpfnet_policy *pol, const char *yaml)
{
	char err[256] = "";
	int ret = ebpfnet_policy_apply(pol, yaml, strlen(yaml), err, sizeof(err));

	ck_assert_msg(ret == 0, "apply: %d %s", ret, err);
}

#define CNP_HEAD(name, app)                                              \
	"apiVersion: cilium.io/v2\n"                                     \
	"kind: CiliumNetworkPolicy\n"                                    \
	"metadata:\n"                                                    \
	"  name: " name "\n"                                             \
	"spec:\n"                                                        \
	"  endpointSelector:\n"                                          \
	"    matchLabels:\n"                                             \
	"      app: " app "\n"

#define CNP_FROM_APP_TO_PORT(dir, peers, app, port)                      \
	"  " dir ":\n"                                                   \
	"  - " peers ":\n"                                               \
	"    - matchLabels:\n"                                           \
	"        app: " app "\n"                                         \
	"    toPorts:\n"                                                 \
	"    - ports:\n"                                                 \
	"      - port: \"" port "\"\n"                                   \
	"        protocol: TCP\n"

/* backend's own connections go to db only (its egress is enforced too:
 * otherwise a packet it sends on a connection cut at its ingress would
 * be a new, allowed connection of its egress, and track it again) */
#define BE_EGRESS CNP_FROM_APP_TO_PORT("egress", "toEndpoints", "db", "5432")

static const char classic_cnp[] =
	CNP_HEAD("backend", "backend")
	CNP_FROM_APP_TO_PORT("ingress", "fromEndpoints", "frontend", "80")
	BE_EGRESS
	"---\n"
	CNP_HEAD("db", "db")
	CNP_FROM_APP_TO_PORT("ingress", "fromEndpoints", "backend", "5432")
	"---\n"
	CNP_HEAD("frontend", "frontend")
	"  ingress:\n"
	"  - fromEntities:\n"
	"    - host\n"
	CNP_FROM_APP_TO_PORT("egress", "toEndpoints", "backend", "80");

#define K8S_HEAD(name, app, types)                                       \
	"apiVersion: networking.k8s.io/v1\n"                             \
	"kind: NetworkPolicy\n"                                          \
	"metadata:\n"                                                    \
	"  name: " name "\n"                                             \
	"spec:\n"                                                        \
	"  podSelector:\n"                                               \
	"    matchLabels:\n"                                             \
	"      app: " app "\n"                                           \
	"  policyTypes: [" types "]\n"

#define K8S_APP_PORT(dir, peers, app, port)                              \
	"  " dir ":\n"                                                   \
	"  - " peers ":\n"                                               \
	"    - podSelector:\n"                                           \
	"        matchLabels:\n"                                         \
	"          app: " app "\n"                                       \
	"    ports:\n"                                                   \
	"    - protocol: TCP\n"                                          \
	"      port: " port "\n"

static const char classic_k8s[] =
	K8S_HEAD("backend", "backend", "Ingress, Egress")
	K8S_APP_PORT("ingress", "from", "frontend", "80")
	K8S_APP_PORT("egress", "to", "db", "5432")
	"---\n"
	K8S_HEAD("db", "db", "Ingress")
	K8S_APP_PORT("ingress", "from", "backend", "5432")
	"---\n"
	K8S_HEAD("frontend", "frontend", "Ingress, Egress")
	K8S_APP_PORT("egress", "to", "backend", "80");

/* ---- reading the object back ------------------------------------------------------------ */

struct found_rule {
	const char *policy;
	enum ebpfnet_policy_dir dir;
	bool deny;
	uint32_t id;
	uint64_t denied, allowed;
};

static int find_rule_cb(void *ctx, const struct ebpfnet_policy_rule_info *r)
{
	struct found_rule *f = ctx;

	if (!strcmp(r->policy, f->policy) && r->dir == f->dir && r->deny == f->deny) {
		f->id = r->id;
		f->denied = r->denied;
		f->allowed = r->allowed;
	}
	return 0;
}

/* The (last) rule of a policy with that direction and kind. */
static struct found_rule rule_of(const struct ebpfnet_policy *pol, const char *policy,
				 enum ebpfnet_policy_dir dir, bool deny)
{
	struct found_rule f = { .policy = policy, .dir = dir, .deny = deny };

	ck_assert_int_eq(ebpfnet_policy_rules(pol, find_rule_cb, &f), 0);
	ck_assert_msg(f.id, "no %s %s rule in %s", deny ? "deny" : "allow",
		      dir == EBPFNET_POLICY_INGRESS ? "ingress" : "egress", policy);
	return f;
}

static int count_cb(void *ctx, const void *item)
{
	(void)item;
	(*(int *)ctx)++;
	return 0;
}

static int n_policies(const struct ebpfnet_policy *pol)
{
	int n = 0;

	ck_assert_int_eq(ebpfnet_policy_list(pol, (ebpfnet_policy_info_fn)count_cb, &n), 0);
	return n;
}

static int n_endpoints(const struct ebpfnet_policy *pol)
{
	int n = 0;

	ck_assert_int_eq(ebpfnet_policy_endpoints(pol, (ebpfnet_policy_endpoint_fn)count_cb,
						  &n), 0);
	return n;
}

static void drain_events(struct ebpfnet_policy *pol)
{
	while (ebpfnet_policy_poll(pol, 100) > 0)
		;
}

/* A verdict event from workload `from` to `to`'s port. */
static const struct ebpfnet_policy_verdict_event *
find_event(int from, int to, enum ebpfnet_policy_verdict verdict,
	   enum ebpfnet_policy_dir dir)
{
	struct sockaddr_in s = sockaddr_of(ws[from].ip, 0), d = sockaddr_of(ws[to].ip, 0);

	for (int i = 0; i < n_events; i++) {
		const struct ebpfnet_policy_verdict_event *v = &events[i];

		if (v->family == AF_INET && !memcmp(v->src.addr, &s.sin_addr, 4) &&
		    !memcmp(v->dst.addr, &d.sin_addr, 4) && v->dport == ws[to].port &&
		    v->verdict == verdict && v->dir == dir && v->proto == IPPROTO_TCP)
			return v;
	}
	return NULL;
}

/* ---- cases ------------------------------------------------------------------------------ */

START_TEST(test_classic_cnp_and_k8s)
{
	struct ebpfnet_policy *pol = open_policy();
	const struct ebpfnet_policy_verdict_event *v;
	EBPFNET_OPTS(ebpfnet_policy_stats, st);
	struct found_rule be_in, fe_out;
	enum ebpfnet_policy_verdict verdict;
	char text[4096];

	start_servers();
	add_endpoints(pol);
	/* no policy: everything goes */
	check_matrix((const struct expect[]){ { FE, DB, true }, { OUT, BE, true } }, 2,
		     "no policy");
	ck_assert_int_eq(ebpfnet_policy_set_events(pol, 1000, true), 0);
	apply(pol, classic_cnp);
	ck_assert_int_eq(n_policies(pol), 3);
	drain_events(pol);
	n_events = 0;
	check_matrix(classic, sizeof(classic) / sizeof(classic[0]), "CiliumNetworkPolicy");

	/* verdicts name the deciding rules */
	drain_events(pol);
	be_in = rule_of(pol, "default/backend", EBPFNET_POLICY_INGRESS, false);
	fe_out = rule_of(pol, "default/frontend", EBPFNET_POLICY_EGRESS, false);
	v = find_event(FE, BE, EBPFNET_POLICY_ALLOWED, EBPFNET_POLICY_INGRESS);
	ck_assert_msg(v, "no ALLOWED INGRESS verdict for frontend -> backend (%d events)",
		      n_events);
	ck_assert_uint_eq(v->rule_id, be_in.id);
	ck_assert_str_eq(v->ifname, "vh-be");
	ck_assert_int_eq(v->match, EBPFNET_POLICY_MATCH_L3_L4);
	v = find_event(FE, BE, EBPFNET_POLICY_ALLOWED, EBPFNET_POLICY_EGRESS);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->rule_id, fe_out.id);
	v = find_event(FE, DB, EBPFNET_POLICY_DENIED, EBPFNET_POLICY_EGRESS);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->rule_id, 0);
	v = find_event(OUT, BE, EBPFNET_POLICY_DENIED, EBPFNET_POLICY_INGRESS);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->peer_identity, EBPFNET_POLICY_ID_WORLD);
	ck_assert_int_gt(ebpfnet_policy_verdict_format(v, EBPFNET_FORMAT_TEXT, text,
						       sizeof(text)), 0);
	ck_assert_msg(strstr(text, "10.201.0.2:") && strstr(text, "-> 10.200.2.2:80 ") &&
		      strstr(text, "policy-verdict:none INGRESS DENIED (TCP Flags: SYN)"),
		      "%s", text);
	ck_assert_int_gt(ebpfnet_policy_verdict_format(v, EBPFNET_FORMAT_JSON, text,
						       sizeof(text)), 0);
	ck_assert_msg(strstr(text, "\"verdict\":\"DENIED\"") &&
		      strstr(text, "\"dport\":80"), "%s", text);
	ck_assert_uint_ge(be_in.allowed, 1);

	/* the explanation agrees */
	ck_assert_int_gt(ebpfnet_policy_trace(pol, "app=frontend", "app=backend",
					      IPPROTO_TCP, 80, &verdict, text,
					      sizeof(text)), 0);
	ck_assert_int_eq(verdict, EBPFNET_POLICY_ALLOWED);
	ck_assert_int_gt(ebpfnet_policy_trace(pol, "10.200.1.2", "10.200.3.2",
					      IPPROTO_TCP, 5432, &verdict, text,
					      sizeof(text)), 0);
	ck_assert_int_eq(verdict, EBPFNET_POLICY_DENIED);

	ck_assert_int_eq(ebpfnet_policy_stats(pol, &st), 0);
	ck_assert_uint_eq(st.endpoints, 3);
	ck_assert_uint_eq(st.policies, 3);
	ck_assert_uint_ge(st.allowed, 2);
	ck_assert_uint_ge(st.denied, 6);
	ck_assert_uint_gt(st.policy_entries, 0);
	ck_assert_uint_eq(st.max_entries, 4096);
	ck_assert_uint_ge(st.identities, 3);

	/* the same policy as Kubernetes NetworkPolicy (same names: replaces) */
	apply(pol, classic_k8s);
	ck_assert_int_eq(n_policies(pol), 3);
	check_matrix(classic, sizeof(classic) / sizeof(classic[0]), "NetworkPolicy");
	ebpfnet_policy_destroy(pol);
}
END_TEST

static const char deny_fe_to_be[] =
	CNP_HEAD("no-frontend", "backend")
	CNP_FROM_APP_TO_PORT("ingressDeny", "fromEndpoints", "frontend", "80");

static const char outside_to_be[] =
	CNP_HEAD("outside-web", "backend")
	"  ingress:\n"
	"  - fromCIDR:\n"
	"    - 10.201.0.0/24\n"
	"    toPorts:\n"
	"    - ports:\n"
	"      - port: \"80\"\n"
	"        protocol: TCP\n";

START_TEST(test_deny_and_cidr)
{
	struct ebpfnet_policy *pol = open_policy();
	const struct ebpfnet_policy_verdict_event *v;
	struct found_rule deny;

	start_servers();
	add_endpoints(pol);
	apply(pol, classic_cnp);
	ck_assert(talks(FE, BE));

	/* deny beats allow; its counter counts the dropped SYNs */
	apply(pol, deny_fe_to_be);
	drain_events(pol);
	n_events = 0;
	ck_assert(!talks(FE, BE));
	ck_assert(!talks(FE, BE));
	ck_assert(talks(BE, DB));
	deny = rule_of(pol, "default/no-frontend", EBPFNET_POLICY_INGRESS, true);
	ck_assert_uint_eq(deny.denied, 2);
	drain_events(pol);
	v = find_event(FE, BE, EBPFNET_POLICY_DENIED, EBPFNET_POLICY_INGRESS);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->rule_id, deny.id);
	ck_assert_int_eq(ebpfnet_policy_delete(pol, "no-frontend"), 0);
	ck_assert(talks(FE, BE));

	/* a CIDR peer */
	ck_assert(!talks(OUT, BE));
	apply(pol, outside_to_be);
	ck_assert(talks(OUT, BE));
	ck_assert(!talks(OUT, DB));
	ck_assert(!talks(OUT, FE));
	ck_assert(talks(FE, BE));
	ebpfnet_policy_destroy(pol);
}
END_TEST

static const char backend_from_db[] =
	CNP_HEAD("backend", "backend")
	CNP_FROM_APP_TO_PORT("ingress", "fromEndpoints", "db", "80")
	BE_EGRESS;

static const char backend_from_both[] =
	CNP_HEAD("backend", "backend")
	CNP_FROM_APP_TO_PORT("ingress", "fromEndpoints", "frontend", "80")
	"  - fromEndpoints:\n"
	"    - matchLabels:\n"
	"        app: db\n"
	BE_EGRESS;

START_TEST(test_update_cuts_established)
{
	struct ebpfnet_policy *pol = open_policy();
	EBPFNET_OPTS(ebpfnet_policy_stats, before);
	EBPFNET_OPTS(ebpfnet_policy_stats, after);
	int cli, srv;

	start_servers();
	add_endpoints(pol);
	apply(pol, classic_cnp);
	cli = tcp_connect(FE, BE, ALLOW_WAIT_MS, &srv);
	ck_assert_int_ge(cli, 0);
	ck_assert(pass_bytes(cli, srv, "one", ALLOW_WAIT_MS));
	ck_assert(pass_bytes(srv, cli, "two", ALLOW_WAIT_MS));
	ck_assert_int_eq(ebpfnet_policy_stats(pol, &before), 0);
	ck_assert_uint_ge(before.conns, 1);

	/* a change that still allows it: decided again, it goes on */
	apply(pol, backend_from_both);
	ck_assert(pass_bytes(cli, srv, "three", ALLOW_WAIT_MS));
	ck_assert(pass_bytes(srv, cli, "four", ALLOW_WAIT_MS));
	ck_assert(talks(DB, BE));
	ck_assert_int_eq(ebpfnet_policy_stats(pol, &after), 0);
	ck_assert_uint_gt(after.reevaluated, before.reevaluated);
	before = after;

	/* backend now takes port 80 from db only: no restart, new
	 * connections see it, the established one is cut at its next packet */
	apply(pol, backend_from_db);
	ck_assert(!talks(FE, BE));
	ck_assert(talks(DB, BE));
	ck_assert(!pass_bytes(cli, srv, "five", DENY_WAIT_MS));
	ck_assert(!pass_bytes(srv, cli, "six", DENY_WAIT_MS));
	ck_assert_int_eq(ebpfnet_policy_stats(pol, &after), 0);
	ck_assert_uint_gt(after.reevaluated_denied, before.reevaluated_denied);
	close(cli);
	close(srv);

	/* and back */
	apply(pol, classic_cnp);
	ck_assert(talks(FE, BE));
	ck_assert(!talks(DB, BE));
	ebpfnet_policy_destroy(pol);
}
END_TEST

static char last_warning[1024];

static void keep_warning(enum ebpfnet_print_level level, const char *msg)
{
	if (level == EBPFNET_PRINT_WARN)
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
	print_to_stderr(level, msg);
}

static bool pin_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return stat(path, &st) == 0;
}

/* Whether our program is on the interface's TC ingress and egress. */
static bool has_tc(const char *ifname)
{
	return run("tc filter show dev %s ingress 2>/dev/null | grep -q policy_ingress && "
		   "tc filter show dev %s egress 2>/dev/null | grep -q policy_egress",
		   ifname, ifname) == 0;
}

START_TEST(test_bad_input_adoption_cleanup)
{
	struct {
		struct ebpfnet_policy_opts opts;
		uint64_t newer;
	} big;
	EBPFNET_OPTS(ebpfnet_policy_opts, existing, .pin_root = root,
		     .open_existing = true);
	const char *good = "10.200.1.2", *bad = "10.200.1.300", *dup = "10.200.2.2";
	static const char bad_yaml[] =
		CNP_HEAD("broken", "backend")
		"  ingress:\n"
		"  - fromEndpoints:\n"
		"    - matchLabels:\n"
		"        app: frontend\n"
		"    toPorts:\n"
		"    - ports:\n"
		"      - port: \"80\"\n"
		"      rules:\n"
		"        http:\n"
		"        - method: GET\n";
	struct ebpfnet_policy *pol, *second;
	char err[256];

	ebpfnet_set_print(keep_warning);
	/* options from a newer header with a field set */
	memset(&big, 0, sizeof(big));
	big.opts.sz = sizeof(big);
	big.opts.pin_root = root;
	big.newer = 1;
	errno = 0;
	ck_assert_ptr_null(ebpfnet_policy_open(&big.opts));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(ebpfnet_policy_open(&existing));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(!pin_exists("policy"));

	pol = open_policy();
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(NULL, "vh-fe", &good, 1, "app=a"),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, NULL, &good, 1, "app=a"),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", NULL, 1, "app=a"),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &good, 0, "app=a"),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &good, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "no-such-if", &good, 1,
						     "app=a"), -ENODEV);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &bad, 1, "app=a"),
			 -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &good, 1,
						     "app=a,app=b"), -EINVAL);
	ck_assert_msg(strstr(last_warning, "labels"), "%s", last_warning);
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &good, 1,
						     "app=we b"), -EINVAL);
	ck_assert_int_eq(n_endpoints(pol), 0);
	add_endpoints(pol);
	ck_assert(has_tc("vh-fe"));
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-db", &dup, 1, "app=db"),
			 -EEXIST);
	/* replacing an endpoint updates it */
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &good, 1,
						     "app=frontend,tier=web"), 0);
	ck_assert_int_eq(n_endpoints(pol), 3);

	apply(pol, classic_cnp);
	ck_assert_int_eq(ebpfnet_policy_apply(pol, NULL, 10, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_apply(pol, bad_yaml, 0, err, sizeof(err)), -EINVAL);
	err[0] = '\0';
	ck_assert_int_eq(ebpfnet_policy_apply(pol, bad_yaml, strlen(bad_yaml), err,
					      sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "line 16") && strstr(err, "rules"), "err: %s", err);
	ck_assert_int_eq(n_policies(pol), 3);
	ck_assert_int_eq(ebpfnet_policy_delete(pol, "nothing-here"), -ENOENT);
	ck_assert_int_eq(ebpfnet_policy_delete(pol, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_endpoint_del(pol, "vh-out"), -ENOENT);
	ck_assert_int_eq(ebpfnet_policy_poll(NULL, 0), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_poll(pol, -5), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_consume(NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_fd(NULL), -EINVAL);
	ck_assert_int_ge(ebpfnet_policy_fd(pol), 0);
	ck_assert_int_ge(ebpfnet_policy_consume(pol), 0);
	ck_assert_int_eq(ebpfnet_policy_stats(pol, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_list(pol, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ebpfnet_policy_trace(pol, "app=frontend", NULL, IPPROTO_TCP,
					      80, NULL, NULL, 0), -EINVAL);
	ck_assert_int_lt(ebpfnet_policy_verdict_format(NULL, EBPFNET_FORMAT_TEXT, err,
						       sizeof(err)), 0);

	/* a second handle (another process would do the same) sees it all */
	second = ebpfnet_policy_open(&existing);
	ck_assert_ptr_nonnull(second);
	ck_assert_int_eq(n_endpoints(second), 3);
	ck_assert_int_eq(n_policies(second), 3);
	ck_assert_int_eq(ebpfnet_policy_delete(second, "default/frontend"), 0);
	ck_assert_int_eq(n_policies(pol), 2);
	ebpfnet_policy_destroy(second);
	ck_assert(pin_exists("policy")); /* destroy keeps a policy in use */

	/* removing everything leaves nothing under the pin root */
	ck_assert_int_eq(ebpfnet_policy_delete(pol, "backend"), 0);
	ck_assert_int_eq(ebpfnet_policy_delete(pol, "db"), 0);
	ck_assert_int_eq(ebpfnet_policy_endpoint_del(pol, "vh-fe"), 0);
	ck_assert(!has_tc("vh-fe"));
	ck_assert_int_eq(ebpfnet_policy_endpoint_del(pol, "vh-be"), 0);
	ck_assert(pin_exists("policy"));
	ck_assert_int_eq(ebpfnet_policy_endpoint_del(pol, "vh-db"), 0);
	ck_assert(!pin_exists("policy"));
	ck_assert_int_eq(dir_entries(root), root_entries);
	/* the handle's state is gone: it says so */
	ck_assert_int_eq(ebpfnet_policy_endpoint_add(pol, "vh-fe", &good, 1, "app=a"),
			 -ESTALE);
	ebpfnet_policy_destroy(pol);

	/* an open of an empty node and its destroy leave nothing either */
	pol = open_policy();
	ck_assert(pin_exists("policy"));
	ebpfnet_policy_destroy(pol);
	ck_assert_int_eq(dir_entries(root), root_entries);
	ebpfnet_set_print(print_to_stderr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");

	test_require_root();
	parent_pid = getpid();
	ebpfnet_set_print(print_to_stderr);
	add_isolated_case(s, "classic", test_classic_cnp_and_k8s, env_setup,
			  env_teardown, 120);
	add_isolated_case(s, "deny_cidr", test_deny_and_cidr, env_setup, env_teardown,
			  120);
	add_isolated_case(s, "update", test_update_cuts_established, env_setup,
			  env_teardown, 120);
	add_isolated_case(s, "bad_input", test_bad_input_adoption_cleanup, env_setup,
			  env_teardown, 120);
	return test_run_suite(s, CK_NORMAL);
}
