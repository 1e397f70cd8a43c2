/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The service map: the DOT text of a small graph (golden), flows counted
 * once whatever records report them (new, flags, interval, end,
 * snapshots), replies oriented from the initiator, drops in red, the same
 * text for the same records in another order, hostile labels escaped, the
 * snprintf contract, bad arguments, and `dot -Tsvg` accepting the output
 * (graphviz is required).
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include "shell_run.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#define CLIENT "10.0.0.1"
#define CLIENT2 "10.0.0.3"
#define SERVER "10.0.0.2"
#define OUTSIDER "203.0.113.9"

static void peer(struct ebpfnet_flow_peer *p, const char *addr, uint16_t port,
		 uint32_t identity, const char *labels)
{
	memset(p, 0, sizeof(*p));
	if (strchr(addr, ':'))
		ck_assert_int_eq(inet_pton(AF_INET6, addr, p->addr), 1);
	else
		ck_assert_int_eq(inet_pton(AF_INET, addr, p->addr), 1);
	p->port = port;
	p->identity = identity;
	p->labels = labels;
}

/* A record of the initiator's packet; reply() turns it around. */
static struct ebpfnet_flow_record rec(enum ebpfnet_flow_kind kind, uint8_t proto,
			       const char *from, uint16_t sport, const char *to,
			       uint16_t dport)
{
	struct ebpfnet_flow_record f;

	memset(&f, 0, sizeof(f));
	f.sz = sizeof(f);
	f.kind = kind;
	f.verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	f.family = strchr(from, ':') ? AF_INET6 : AF_INET;
	f.proto = proto;
	f.ifindex = 7;
	f.reply_known = true;
	peer(&f.src, from, sport, 0, NULL);
	peer(&f.dst, to, dport, 0, NULL);
	return f;
}

static void reply(struct ebpfnet_flow_record *f)
{
	struct ebpfnet_flow_peer p = f->src;

	f->src = f->dst;
	f->dst = p;
	f->is_reply = true;
}

static void totals(struct ebpfnet_flow_record *f, uint64_t op, uint64_t ob,
		   uint64_t rp, uint64_t rb)
{
	f->orig.packets = op;
	f->orig.bytes = ob;
	f->reply.packets = rp;
	f->reply.bytes = rb;
}

static void add(struct ebpfnet_flow_map *map, const struct ebpfnet_flow_record *f)
{
	ck_assert_msg(ebpfnet_flow_map_add(map, f) == 0, "add: %s", last_warn);
}

static char *dot_of(const struct ebpfnet_flow_map *map)
{
	static char text[1 << 16];
	int n = ebpfnet_flow_map_dot(map, text, sizeof(text));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(text), "dot: %d", n);
	return text;
}

/* dot -Tsvg on text: exit 0 and nothing on stderr (warnings included). */
static void ck_dot_accepts(const char *text)
{
	char in[] = "/tmp/test_flow_map.XXXXXX", cmd[256], err[1024];
	FILE *f;
	size_t n;
	int fd, st;

	ck_assert_msg(run("command -v dot >/dev/null 2>&1") == 0,
		      "dot is required (Debian package graphviz; tools/deps installs it)");
	fd = mkstemp(in);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' 2>&1 >/dev/null", in);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(err, 1, sizeof(err) - 1, f);
	err[n] = '\0';
	st = shell_status(pclose(f));
	unlink(in);
	ck_assert_msg(st == 0 && !n, "dot: status %d: %s\n%s", st, err, text);
}

/* ---- a small graph ------------------------------------------------------- */

static const char small_dot[] =
	"digraph \"service map\" {\n"
	"\trankdir=LR;\n"
	"\tnode [shape=box];\n"
	"\tn0 [label=\"10.0.0.1\"];\n"
	"\tn1 [label=\"10.0.0.3\"];\n"
	"\tn2 [label=\"app=web\\nenv=prod\\n10.0.0.2\"];\n"
	"\tn3 [label=\"reserved:world\\n198.51.100.7\\n203.0.113.9\"];\n"
	"\tn0 -> n2 [label=\"ICMPv4\\n1 flow, 98 B\"];\n"
	"\tn0 -> n2 [label=\"TCP/22\\n1 dropped\", color=\"red\", fontcolor=\"red\", style=\"dashed\"];\n"
	"\tn0 -> n2 [label=\"TCP/80\\n1 flow, 3.5 KiB\"];\n"
	"\tn1 -> n2 [label=\"TCP/80\\n1 flow, 600 B\"];\n"
	"\tn3 -> n2 [label=\"UDP/53\\n2 dropped\", color=\"red\", fontcolor=\"red\", style=\"dashed\"];\n"
	"}\n";

static void feed_small(struct ebpfnet_flow_map *map)
{
	static const char server_labels[] = "app=web,env=prod";
	struct ebpfnet_flow_record f;

	/* A TCP connection: new, the SYN-ACK (a reply), an interval, the
	 * end; its totals grow, the flow counts once. */
	f = rec(EBPFNET_FLOW_NEW, IPPROTO_TCP, CLIENT, 43210, SERVER, 80);
	f.dst.labels = server_labels;
	f.dst.identity = 1234;
	totals(&f, 1, 74, 0, 0);
	add(map, &f);
	reply(&f);
	f.kind = EBPFNET_FLOW_FLAGS;
	totals(&f, 1, 74, 1, 74);
	add(map, &f);
	f.kind = EBPFNET_FLOW_INTERVAL;
	totals(&f, 10, 2000, 8, 1500);
	add(map, &f);
	f.kind = EBPFNET_FLOW_END;
	totals(&f, 11, 2060, 9, 1540);
	add(map, &f);

	/* Another client, seen in two snapshots (the same flow twice) and
	 * an interval. */
	f = rec(EBPFNET_FLOW_SNAPSHOT, IPPROTO_TCP, CLIENT2, 5555, SERVER, 80);
	f.dst.labels = server_labels;
	totals(&f, 2, 200, 2, 200);
	add(map, &f);
	add(map, &f);
	f.kind = EBPFNET_FLOW_INTERVAL;
	totals(&f, 3, 300, 3, 300);
	add(map, &f);

	/* Outsiders (the world identity) dropped on the way to DNS. */
	f = rec(EBPFNET_FLOW_DROP, IPPROTO_UDP, OUTSIDER, 999, SERVER, 53);
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.drop_reason = EBPFNET_FLOW_DROP_RULE;
	f.src.identity = 2;
	f.dst.labels = server_labels;
	f.pkt_len = 80;
	add(map, &f);
	peer(&f.src, "198.51.100.7", 1000, 2, NULL);
	add(map, &f);

	/* A ping. */
	f = rec(EBPFNET_FLOW_NEW, IPPROTO_ICMP, CLIENT, 0, SERVER, 0);
	f.dst.labels = server_labels;
	f.icmp_type = 8;
	totals(&f, 1, 98, 0, 0);
	add(map, &f);

	/* SSH denied by policy. */
	f = rec(EBPFNET_FLOW_POLICY, IPPROTO_TCP, CLIENT, 40000, SERVER, 22);
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.drop_reason = EBPFNET_FLOW_DROP_POLICY_DENIED;
	f.dst.labels = server_labels;
	add(map, &f);
	f.kind = EBPFNET_FLOW_DROP; /* the same packet, as the observer sends it */
	add(map, &f);
}

START_TEST(test_small_graph)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();

	ck_assert_ptr_nonnull(map);
	feed_small(map);
	ck_assert_str_eq(dot_of(map), small_dot);
	ck_assert_int_eq(ebpfnet_flow_map_dot(map, NULL, 0),
			 (int)strlen(small_dot));
	ck_dot_accepts(dot_of(map));
	ebpfnet_flow_map_free(map);
	ebpfnet_flow_map_free(NULL);
}
END_TEST

START_TEST(test_empty)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();

	ck_assert_str_eq(dot_of(map), "digraph \"service map\" {\n"
				      "\trankdir=LR;\n"
				      "\tnode [shape=box];\n"
				      "}\n");
	ck_dot_accepts(dot_of(map));
	ebpfnet_flow_map_free(map);
}
END_TEST

/* A flow whose totals go back is a new flow on the same addresses and
 * ports; one that ended and comes back too. */
START_TEST(test_flow_again)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	struct ebpfnet_flow_record f;

	f = rec(EBPFNET_FLOW_INTERVAL, IPPROTO_UDP, CLIENT, 4000, SERVER, 5000);
	totals(&f, 5, 500, 0, 0);
	add(map, &f);
	totals(&f, 2, 200, 0, 0); /* the old one went idle unseen */
	add(map, &f);
	f.kind = EBPFNET_FLOW_IDLE;
	totals(&f, 3, 300, 0, 0);
	add(map, &f);
	f.kind = EBPFNET_FLOW_NEW; /* after the idle record: a new flow */
	totals(&f, 1, 100, 0, 0);
	add(map, &f);
	ck_assert_ptr_nonnull(strstr(dot_of(map),
				     "n0 -> n1 [label=\"UDP/5000\\n3 flows, 900 B\"];\n"));
	ebpfnet_flow_map_free(map);
}
END_TEST

/* IPv6, a labelled initiator, a flow both forwarded and dropped, units. */
START_TEST(test_ipv6_and_units)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	struct ebpfnet_flow_record f;
	const char *t;

	f = rec(EBPFNET_FLOW_SNAPSHOT, IPPROTO_TCP, "2001:db8::1", 33000,
		"2001:db8::2", 443);
	f.src.labels = "app=client";
	totals(&f, 1000000, 3ull << 30, 0, 0);
	add(map, &f);
	f = rec(EBPFNET_FLOW_DROP, IPPROTO_TCP, "2001:db8::1", 33001,
		"2001:db8::2", 443);
	f.verdict = EBPFNET_FLOW_VERDICT_DROPPED;
	f.src.labels = "app=client";
	add(map, &f);
	f = rec(EBPFNET_FLOW_SNAPSHOT, IPPROTO_SCTP, "2001:db8::3", 1,
		"2001:db8::2", 2);
	f.src.identity = 1; /* the host */
	totals(&f, 1, 1536ull << 20, 0, 0);
	add(map, &f);
	f = rec(EBPFNET_FLOW_SNAPSHOT, 47, "2001:db8::3", 0, "2001:db8::2", 0);
	f.src.identity = 1;
	totals(&f, 1, 1023, 0, 0);
	add(map, &f);

	t = dot_of(map);
	ck_assert_str_eq(t,
		"digraph \"service map\" {\n"
		"\trankdir=LR;\n"
		"\tnode [shape=box];\n"
		"\tn0 [label=\"2001:db8::2\"];\n"
		"\tn1 [label=\"app=client\\n2001:db8::1\"];\n"
		"\tn2 [label=\"reserved:host\\n2001:db8::3\"];\n"
		"\tn1 -> n0 [label=\"TCP/443\\n1 flow, 3.0 GiB\\n1 dropped\", color=\"red\", fontcolor=\"red\"];\n"
		"\tn2 -> n0 [label=\"proto 47\\n1 flow, 1023 B\"];\n"
		"\tn2 -> n0 [label=\"SCTP/2\\n1 flow, 1.5 GiB\"];\n"
		"}\n");
	ck_dot_accepts(t);
	ebpfnet_flow_map_free(map);
}
END_TEST

/* ---- order does not matter ----------------------------------------------- */

#define MANY 40
static struct ebpfnet_flow_record many[MANY];

static void make_many(void)
{
	char from[32], to[32];
	size_t i;

	for (i = 0; i < MANY; i++) {
		snprintf(from, sizeof(from), "10.1.%zu.%zu", i % 3, i % 7);
		snprintf(to, sizeof(to), "10.2.0.%zu", i % 5);
		many[i] = rec(EBPFNET_FLOW_SNAPSHOT,
			      i % 2 ? IPPROTO_TCP : IPPROTO_UDP, from,
			      (uint16_t)(1000 + i), to, (uint16_t)(80 + i % 4));
		totals(&many[i], i + 1, 100 * (i + 1), i, 50 * i);
		if (i % 4 == 3)
			reply(&many[i]);
	}
}

START_TEST(test_order)
{
	struct ebpfnet_flow_map *a = ebpfnet_flow_map_new();
	struct ebpfnet_flow_map *b = ebpfnet_flow_map_new();
	size_t i, n = MANY;
	char *first;

	make_many();
	for (i = 0; i < n; i++)
		add(a, &many[i]);
	for (i = 0; i < n; i++)
		add(b, &many[(i * 17 + 5) % n]); /* 17 is prime to 40 */
	first = strdup(dot_of(a));
	ck_assert_str_eq(first, dot_of(b));
	ck_dot_accepts(first);
	free(first);
	ebpfnet_flow_map_free(a);
	ebpfnet_flow_map_free(b);
}
END_TEST

/* ---- hostile labels ------------------------------------------------------- */

START_TEST(test_escaping)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	struct ebpfnet_flow_record f;
	const char *t;

	f = rec(EBPFNET_FLOW_SNAPSHOT, IPPROTO_TCP, CLIENT, 1, SERVER, 2);
	f.src.labels = "q=\"x\",b=back\\slash\\N,nl=a\nb,cr=\r\x01,utf=caf\xc3\xa9,bad=\xff\xc3";
	f.dst.labels = "end=\\";
	totals(&f, 1, 1, 0, 0);
	add(map, &f);
	t = dot_of(map);
	ck_assert_ptr_nonnull(strstr(t,
		"[label=\"q=\\\"x\\\"\\nb=back\\\\slash\\\\N\\nnl=a\\nb\\ncr=  "
		"\\nutf=caf\xc3\xa9\\nbad=\xef\xbf\xbd\xef\xbf\xbd\\n10.0.0.1\"];\n"));
	ck_assert_ptr_nonnull(strstr(t, "[label=\"end=\\\\\\n10.0.0.2\"];\n"));
	ck_dot_accepts(t);
	ebpfnet_flow_map_free(map);
}
END_TEST

/* Both ends with the same labels: one node, an edge to itself. */
START_TEST(test_self_edge)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	struct ebpfnet_flow_record f;

	f = rec(EBPFNET_FLOW_NEW, IPPROTO_TCP, CLIENT, 1, SERVER, 2);
	f.src.labels = f.dst.labels = "app=db";
	add(map, &f);
	ck_assert_str_eq(dot_of(map),
		"digraph \"service map\" {\n"
		"\trankdir=LR;\n"
		"\tnode [shape=box];\n"
		"\tn0 [label=\"app=db\\n10.0.0.1\\n10.0.0.2\"];\n"
		"\tn0 -> n0 [label=\"TCP/2\\n1 flow, 0 B\"];\n"
		"}\n");
	ebpfnet_flow_map_free(map);
}
END_TEST

/* A node keeps the first 16 addresses it saw (shown in order) and says
 * there were more. */
START_TEST(test_many_addresses)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	struct ebpfnet_flow_record f;
	char addr[32];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", 100 - i);
		f = rec(EBPFNET_FLOW_NEW, IPPROTO_UDP, addr, 1, SERVER, 2);
		f.src.identity = 2;
		add(map, &f);
	}
	ck_assert_ptr_nonnull(strstr(dot_of(map),
		"[label=\"reserved:world\\n192.0.2.85\\n192.0.2.86\\n"
		"192.0.2.87\\n192.0.2.88\\n192.0.2.89\\n192.0.2.90\\n"
		"192.0.2.91\\n192.0.2.92\\n192.0.2.93\\n192.0.2.94\\n"
		"192.0.2.95\\n192.0.2.96\\n192.0.2.97\\n192.0.2.98\\n"
		"192.0.2.99\\n192.0.2.100\\n...\"];\n"));
	ck_assert_ptr_nonnull(strstr(dot_of(map), "UDP/2\\n20 flows, 0 B\"]"));
	ebpfnet_flow_map_free(map);
}
END_TEST

/* ---- the snprintf contract and bad arguments -------------------------------- */

START_TEST(test_truncation)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	char full[4096], buf[4096 + 1];
	size_t len;
	int n;

	feed_small(map);
	n = ebpfnet_flow_map_dot(map, full, sizeof(full));
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(full));
	for (len = 0; len <= (size_t)n + 1; len++) {
		memset(buf, '#', sizeof(buf));
		ck_assert_int_eq(ebpfnet_flow_map_dot(map, len ? buf : NULL, len),
				 n);
		if (len)
			ck_assert(buf[len - 1] == '\0' &&
				  !strncmp(buf, full, len - 1));
		ck_assert_int_eq(buf[len], '#');
	}
	ebpfnet_flow_map_free(map);
}
END_TEST

START_TEST(test_bad_args)
{
	struct ebpfnet_flow_map *map = ebpfnet_flow_map_new();
	struct ebpfnet_flow_record f = rec(EBPFNET_FLOW_NEW, IPPROTO_TCP, CLIENT, 1,
				    SERVER, 2);
	char buf[8];

#define ck_einval(call)                                                      \
	do {                                                                 \
		nwarn = 0;                                                   \
		errno = 0;                                                   \
		ck_assert_int_eq((call), -EINVAL);                           \
		ck_assert_int_eq(errno, EINVAL);                             \
		ck_assert_msg(nwarn == 1, "%s: %u warnings", #call, nwarn);  \
	} while (0)

	ck_einval(ebpfnet_flow_map_add(NULL, &f));
	ck_einval(ebpfnet_flow_map_add(map, NULL));
	f.sz = offsetof(struct ebpfnet_flow_record, orig);
	ck_einval(ebpfnet_flow_map_add(map, &f));
	f.sz = sizeof(f);
	f.kind = 42;
	ck_einval(ebpfnet_flow_map_add(map, &f));
	f.kind = EBPFNET_FLOW_DROP;
	f.family = AF_UNIX;
	ck_einval(ebpfnet_flow_map_add(map, &f));
	/* A drop of a frame that was not IP: accepted, nothing to draw. */
	f.family = 0;
	nwarn = 0;
	ck_assert_int_eq(ebpfnet_flow_map_add(map, &f), 0);
	ck_assert_uint_eq(nwarn, 0);
	ck_einval(ebpfnet_flow_map_dot(NULL, buf, sizeof(buf)));
	ck_einval(ebpfnet_flow_map_dot(map, NULL, 3));
	/* Nothing was added. */
	ck_assert_int_eq(ebpfnet_flow_map_dot(map, NULL, 0),
			 (int)strlen("digraph \"service map\" {\n\trankdir=LR;\n"
				     "\tnode [shape=box];\n}\n"));
	ebpfnet_flow_map_free(map);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_map");
	TCase *tc = tcase_create("map");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_small_graph);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_flow_again);
	tcase_add_test(tc, test_ipv6_and_units);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_self_edge);
	tcase_add_test(tc, test_many_addresses);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(suite(), CK_NORMAL);
}
