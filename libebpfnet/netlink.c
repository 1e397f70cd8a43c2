/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The next hop towards an address and its MAC (netlink.h), through
 * rtnetlink with libnl: RTM_GETROUTE for the destination (the kernel's own
 * route choice: gateway or on-link, output interface), then RTM_GETNEIGH
 * for (interface, next hop). An unresolved neighbour is handed to the
 * kernel with NTF_USE (what `ip neigh replace ADDR dev DEV use` sends):
 * the kernel sends the ARP request / neighbour solicitation itself, and we
 * poll the entry until it is valid or the time is up.
 *
 * The requests go through nl_recvmsgs with our own callbacks so the
 * kernel's errno reaches the caller unchanged (libnl's own error codes
 * fold ENETUNREACH and friends into one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/qdisc.h>
#include <netlink/socket.h>

#include "internal.h"
#include "netlink.h"

#define NEIGH_POLL_MS 50
/* The kernel's NUD_VALID (not in the UAPI): states with a usable address. */
#define NEIGH_VALID_STATES (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | \
			    NUD_PROBE | NUD_STALE | NUD_DELAY)

/* What an address looks like in messages. */
struct addr_text {
	char s[INET6_ADDRSTRLEN];
};

static const char *addr_str(int family, const void *addr, struct addr_text *t)
{
	if (!inet_ntop(family, addr, t->s, sizeof(t->s)))
		snprintf(t->s, sizeof(t->s), "(family %d)", family);
	return t->s;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- one request, one answer --------------------------------------------- */

typedef void (*reply_fn)(struct nlmsghdr *hdr, void *arg);

struct reply {
	reply_fn parse;
	void *arg;
	int error;   /* the kernel's, negative; 0 */
	bool got;    /* a message other than an error or ack came */
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;

	r->got = true;
	if (r->parse)
		r->parse(nlmsg_hdr(msg), r->arg);
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct reply *r = arg;

	(void)who;
	r->error = e->error;
	return NL_STOP;
}

/* Send msg (consumed) and read one answer: a message for `parse`, an ack
 * (0) or the kernel's error. */
static int request(struct nl_sock *sk, struct nl_msg *msg, reply_fn parse,
		   void *arg, const char *what)
{
	struct reply r = { .parse = parse, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err >= 0)
		err = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	if (r.error)
		return r.error;
	if (err < 0) {
		pr_warn("netlink: %s: %s", what, nl_geterror(err));
		return -EIO;
	}
	return 0;
}

static struct nl_sock *route_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		pr_warn("netlink: cannot allocate a socket");
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		pr_warn("netlink: cannot open an rtnetlink socket: %s",
			nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	/* Gets answer with their message; changes ask for an ack. */
	nl_socket_disable_auto_ack(sk);
	return sk;
}

/* ---- the route ------------------------------------------------------------- */

struct route {
	bool parsed;
	unsigned char type;     /* RTN_* */
	uint32_t oif;
	int gw_family;          /* 0: on-link */
	uint8_t gw[16];
};

static void parse_route(struct nlmsghdr *hdr, void *arg)
{
	struct nlattr *tb[RTA_MAX + 1];
	struct route *rt = arg;
	struct rtmsg *rtm;

	if (hdr->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse(hdr, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return;
	rtm = nlmsg_data(hdr);
	rt->parsed = true;
	rt->type = rtm->rtm_type;
	if (tb[RTA_OIF] && nla_len(tb[RTA_OIF]) >= 4)
		rt->oif = nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY] &&
	    (size_t)nla_len(tb[RTA_GATEWAY]) == addr_len(rtm->rtm_family)) {
		rt->gw_family = rtm->rtm_family;
		memcpy(rt->gw, nla_data(tb[RTA_GATEWAY]), addr_len(rtm->rtm_family));
	} else if (tb[RTA_VIA] && nla_len(tb[RTA_VIA]) >= (int)sizeof(struct rtvia)) {
		/* an IPv4 route through an IPv6 gateway */
		const struct rtvia *via = nla_data(tb[RTA_VIA]);
		size_t len = (size_t)nla_len(tb[RTA_VIA]) - sizeof(*via);

		if ((via->rtvia_family == AF_INET || via->rtvia_family == AF_INET6) &&
		    len == addr_len(via->rtvia_family)) {
			rt->gw_family = via->rtvia_family;
			memcpy(rt->gw, via->rtvia_addr, len);
		}
	}
}

static int route_get(struct nl_sock *sk, int family, const uint8_t *addr,
		     struct route *rt)
{
	struct rtmsg rtm = { .rtm_family = (unsigned char)family,
			     .rtm_dst_len = (unsigned char)(addr_len(family) * 8) };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
	struct addr_text t;
	int err;

	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) ||
	    nla_put(msg, RTA_DST, (int)addr_len(family), addr)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	memset(rt, 0, sizeof(*rt));
	err = request(sk, msg, parse_route, rt, "route lookup");
	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EACCES ||
	    err == -EINVAL) {
		pr_warn("netlink: no route to %s: %s", addr_str(family, addr, &t),
			ebpfnet_strerror(err));
		return -ENETUNREACH;
	}
	if (err) {
		pr_warn("netlink: route lookup of %s failed: %s",
			addr_str(family, addr, &t), ebpfnet_strerror(err));
		return err;
	}
	if (!rt->parsed) {
		pr_warn("netlink: the kernel sent no route for %s",
			addr_str(family, addr, &t));
		return -EIO;
	}
	if (rt->type == RTN_LOCAL) {
		pr_warn("netlink: %s is an address of this host: no next hop",
			addr_str(family, addr, &t));
		return -ENETUNREACH;
	}
	if (rt->type != RTN_UNICAST || !rt->oif) {
		pr_warn("netlink: no usable route to %s (route type %u)",
			addr_str(family, addr, &t), rt->type);
		return -ENETUNREACH;
	}
	return 0;
}

/* ---- the neighbour --------------------------------------------------------- */

struct neigh {
	bool parsed;
	uint16_t state;  /* NUD_* */
	bool has_mac;
	uint8_t mac[6];
};

static void parse_neigh(struct nlmsghdr *hdr, void *arg)
{
	struct nlattr *tb[NDA_MAX + 1];
	struct neigh *n = arg;
	struct ndmsg *ndm;

	if (hdr->nlmsg_type != RTM_NEWNEIGH ||
	    nlmsg_parse(hdr, sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return;
	ndm = nlmsg_data(hdr);
	n->parsed = true;
	n->state = ndm->ndm_state;
	if (tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) == 6) {
		memcpy(n->mac, nla_data(tb[NDA_LLADDR]), 6);
		n->has_mac = true;
	}
}

/* 0 with *n filled, -ENOENT when the kernel has no entry. */
static int neigh_get(struct nl_sock *sk, uint32_t ifindex, int family,
		     const uint8_t *addr, struct neigh *n)
{
	struct ndmsg ndm = { .ndm_family = (unsigned char)family,
			     .ndm_ifindex = (int)ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_REQUEST);
	int err;

	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) ||
	    nla_put(msg, NDA_DST, (int)addr_len(family), addr)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	memset(n, 0, sizeof(*n));
	err = request(sk, msg, parse_neigh, n, "neighbour lookup");
	if (!err && !n->parsed)
		err = -ENOENT;
	return err;
}

/* Ask the kernel to resolve (ifindex, addr): a neighbour entry with
 * NTF_USE, created when missing. */
static int neigh_use(struct nl_sock *sk, uint32_t ifindex, int family,
		     const uint8_t *addr)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl_addr_build(family, addr, addr_len(family));
	struct nl_msg *msg = NULL;
	int err = -ENOMEM;

	if (n && dst) {
		rtnl_neigh_set_ifindex(n, (int)ifindex);
		rtnl_neigh_set_family(n, family);
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_set_flags(n, NTF_USE);
		if (rtnl_neigh_build_add_request(n, NLM_F_CREATE | NLM_F_REPLACE |
						 NLM_F_ACK, &msg) < 0)
			msg = NULL;
	}
	if (msg)
		err = request(sk, msg, NULL, NULL, "neighbour resolution request");
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return err;
}

static bool neigh_valid(const struct neigh *n)
{
	return (n->state & NEIGH_VALID_STATES) && n->has_mac;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The MAC of (ifindex, addr), resolving it when needed. */
static int neigh_resolve(struct nl_sock *sk, uint32_t ifindex, int family,
			 const uint8_t *addr, int timeout_ms, uint8_t mac[6])
{
	long long deadline = now_ms() + timeout_ms;
	bool asked = false;
	struct addr_text t;
	struct neigh n;
	char ifname[IF_NAMESIZE] = "?";

	if_indextoname(ifindex, ifname);
	for (;;) {
		int err = neigh_get(sk, ifindex, family, addr, &n);

		if (err && err != -ENOENT) {
			pr_warn("netlink: cannot read the neighbour %s on %s: %s",
				addr_str(family, addr, &t), ifname,
				ebpfnet_strerror(err));
			return err;
		}
		if (!err && neigh_valid(&n)) {
			memcpy(mac, n.mac, 6);
			return 0;
		}
		/* Our request moved the entry to INCOMPLETE before it was
		 * answered: FAILED now means the kernel gave up. */
		if (asked && !err && (n.state & NUD_FAILED))
			break;
		if (!asked) {
			err = neigh_use(sk, ifindex, family, addr);
			if (err) {
				pr_warn("netlink: cannot ask the kernel to resolve %s on %s: %s",
					addr_str(family, addr, &t), ifname,
					ebpfnet_strerror(err));
				return err;
			}
			asked = true;
			continue;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(NEIGH_POLL_MS);
	}
	pr_warn("netlink: the neighbour %s on %s is not resolved (no answer to ARP / neighbour solicitation within %d ms)",
		addr_str(family, addr, &t), ifname, timeout_ms);
	return -EHOSTUNREACH;
}

int ebpfnet__nexthop(int family, const uint8_t *addr, int timeout_ms,
		     uint8_t mac[6], uint32_t *ifindex)
{
	struct nl_sock *sk;
	struct route rt;
	struct addr_text t, gw;
	int nh_family, err;
	const uint8_t *nh;

	if (family != AF_INET && family != AF_INET6) {
		pr_warn("ebpfnet__nexthop: family %d is not AF_INET or AF_INET6",
			family);
		return ebpfnet__err(-EINVAL);
	}
	if (!addr || !mac || !ifindex) {
		pr_warn("ebpfnet__nexthop: %s is NULL",
			!addr ? "addr" : !mac ? "mac" : "ifindex");
		return ebpfnet__err(-EINVAL);
	}
	if (timeout_ms < 0) {
		pr_warn("ebpfnet__nexthop: timeout_ms %d is negative", timeout_ms);
		return ebpfnet__err(-EINVAL);
	}
	sk = route_socket();
	if (!sk)
		return ebpfnet__err(-ENOMEM);
	err = route_get(sk, family, addr, &rt);
	if (!err) {
		nh_family = rt.gw_family ? rt.gw_family : family;
		nh = rt.gw_family ? rt.gw : addr;
		pr_debug("netlink: %s is reached through %s%s on ifindex %u",
			 addr_str(family, addr, &t),
			 rt.gw_family ? "the gateway " : "the link",
			 rt.gw_family ? addr_str(nh_family, nh, &gw) : "", rt.oif);
		err = neigh_resolve(sk, rt.oif, nh_family, nh, timeout_ms, mac);
	}
	nl_socket_free(sk);
	if (err)
		return ebpfnet__err(err);
	*ifindex = rt.oif;
	return 0;
}

/* ---- the clsact qdisc ------------------------------------------------------ */

int ebpfnet__has_clsact(uint32_t ifindex)
{
	struct nl_sock *sk = route_socket();
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;
	int err, found = 0;

	if (!sk)
		return -EIO;
	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0) {
		pr_warn("netlink: cannot list the qdiscs: %s", nl_geterror(err));
		nl_socket_free(sk);
		return -EIO;
	}
	/* clsact (like ingress) sits at parent TC_H_CLSACT, handle ffff: */
	q = rtnl_qdisc_get_by_parent(cache, (int)ifindex, TC_H_CLSACT);
	if (q) {
		const char *kind = rtnl_tc_get_kind(TC_CAST(q));

		found = kind && !strcmp(kind, "clsact");
		rtnl_qdisc_put(q);
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return found;
}
