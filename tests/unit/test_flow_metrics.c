/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The flow metrics: crafted flow and DNS records against the exact counter
 * lines they must produce (Hubble's names, labels and counting rules), the
 * whole exposition of a fresh object, the series cap, hostile label values,
 * `promtool check metrics` on the exposition (promtool is required), the
 * textfile writer, and a real HTTP scrape of ebpfnet_flow_metrics_listen()
 * driven from this process's own poll loop.
 */
#include <check.h>

#include "check_run.h"
#include "log_capture.h"
#include "shell_run.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

#include "flow_metrics_internal.h"

/* ---- helpers ------------------------------------------------------------- */

static struct ebpfnet_flow_record flow_rec(enum ebpfnet_flow_kind kind,
				    enum ebpfnet_flow_verdict verdict,
				    uint8_t family, uint8_t proto)
{
	struct ebpfnet_flow_record f;

	memset(&f, 0, sizeof(f));
	f.sz = sizeof(f);
	f.kind = kind;
	f.verdict = verdict;
	f.family = family;
	f.proto = proto;
	f.obs = EBPFNET_FLOW_OBS_TO_ENDPOINT;
	f.src.port = 43210;
	f.dst.port = 80;
	f.reply_known = true;
	return f;
}

static struct ebpfnet_flow_dns dns_rec(bool response, uint16_t qtype,
				       uint8_t rcode, uint32_t n_ips)
{
	struct ebpfnet_flow_dns d;

	memset(&d, 0, sizeof(d));
	d.sz = sizeof(d);
	d.family = AF_INET;
	d.proto = IPPROTO_UDP;
	d.is_response = response;
	d.qtype = qtype;
	d.qclass = 1;
	d.rcode = rcode;
	d.n_ips = n_ips;
	snprintf(d.query, sizeof(d.query), "example.com.");
	return d;
}

static char *expo(const struct ebpfnet_flow_metrics *m)
{
	static char text[1 << 16];
	int n = ebpfnet_flow_metrics_format(m, text, sizeof(text));

	ck_assert_msg(n > 0 && (size_t)n < sizeof(text), "format: %d", n);
	return text;
}

/* The value of one series ("name{labels}"), or -1 when it is absent. */
static long long value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

#define ck_series(text, series, want)                                        \
	ck_assert_msg(value_of(text, series) == (want),                      \
		      "%s: %lld, want %lld\n%s", series,                     \
		      value_of(text, series), (long long)(want), text)

/* Number of sample lines (not comments) of a metric family. */
static int samples_of(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;
	int count = 0;

	for (; *p; p = strchr(p, '\n') + 1) {
		if (!strncmp(p, name, n) && (p[n] == '{' || p[n] == ' '))
			count++;
		if (!strchr(p, '\n'))
			break;
	}
	return count;
}

/* One directory for the whole run, made and removed by the runner process
 * (an unchecked fixture), so that it goes also when a test fails. */
static char tmpdir[64];

static void tmpdir_make(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_flow_metrics.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		run("rm -rf '%s'", tmpdir);
	tmpdir[0] = '\0';
}

/* promtool check metrics on text: its exit status, its output in out. */
static int promtool_check(const char *text, char *out, size_t outlen)
{
	char path[128], cmd[512];
	FILE *f;
	size_t n;
	int st;

	ck_assert_msg(run("command -v promtool >/dev/null 2>&1") == 0,
		      "promtool is required (Debian package prometheus; tools/deps installs it)");
	snprintf(path, sizeof(path), "%s/check.prom", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' 2>&1", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	st = shell_status(pclose(f));
	return st;
}

#define ck_promtool_ok(text)                                                 \
	do {                                                                 \
		char out_[4096];                                             \
		int st_ = promtool_check(text, out_, sizeof(out_));          \
		ck_assert_msg(st_ == 0 && !out_[0],                          \
			      "promtool: status %d: %s\n%s", st_, out_, text);\
	} while (0)

/* ---- the exposition of a fresh object ------------------------------------ */

static const char fresh[] =
	"# HELP ebpfnet_lost_events_total Events lost before the agent read them (ring: the observer's ring buffer was full; monitor: the node's monitor ring was full)\n"
	"# TYPE ebpfnet_lost_events_total counter\n"
	"ebpfnet_lost_events_total{source=\"monitor\"} 0\n"
	"ebpfnet_lost_events_total{source=\"ring\"} 0\n"
	"# HELP ebpfnet_metrics_series_dropped_total Increments not counted because their metric had reached its maximum number of series\n"
	"# TYPE ebpfnet_metrics_series_dropped_total counter\n"
	"# HELP ebpfnet_suppressed_events_total Flow events not sent because they were over the in-kernel rate limit\n"
	"# TYPE ebpfnet_suppressed_events_total counter\n"
	"ebpfnet_suppressed_events_total 0\n"
	"# HELP hubble_dns_queries_total Number of DNS queries observed\n"
	"# TYPE hubble_dns_queries_total counter\n"
	"# HELP hubble_dns_responses_total Number of DNS responses observed\n"
	"# TYPE hubble_dns_responses_total counter\n"
	"# HELP hubble_drop_total Number of drops\n"
	"# TYPE hubble_drop_total counter\n"
	"# HELP hubble_flows_processed_total Total number of flows processed\n"
	"# TYPE hubble_flows_processed_total counter\n"
	"# HELP hubble_icmp_total Number of ICMP messages\n"
	"# TYPE hubble_icmp_total counter\n"
	"# HELP hubble_port_distribution_total Numbers of packets distributed by destination port\n"
	"# TYPE hubble_port_distribution_total counter\n"
	"# HELP hubble_tcp_flags_total TCP flag occurrences\n"
	"# TYPE hubble_tcp_flags_total counter\n";

START_TEST(test_fresh)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(expo(m), fresh);
	ck_assert_int_eq(ebpfnet_flow_metrics_format(m, NULL, 0),
			 (int)strlen(fresh));
	ck_promtool_ok(expo(m));
	ebpfnet_flow_metrics_free(m);
	ebpfnet_flow_metrics_free(NULL);
}
END_TEST

/* ---- flow records --------------------------------------------------------- */

START_TEST(test_tcp_connection)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f;
	const char *t;

	f = flow_rec(EBPFNET_FLOW_NEW, EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
		     IPPROTO_TCP);
	f.tcp_flags = 0x02; /* SYN */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_FLAGS; /* the SYN-ACK, a reply */
	f.is_reply = true;
	f.src.port = 80;
	f.dst.port = 43210;
	f.tcp_flags = 0x12;
	f.obs = EBPFNET_FLOW_OBS_FROM_ENDPOINT;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_INTERVAL; /* flags of an interval: not counted */
	f.tcp_flags = 0x02;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_END;
	f.tcp_flags = 0x11; /* FIN-ACK */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_FLAGS;
	f.tcp_flags = 0x14; /* RST-ACK */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_IDLE;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);

	t = expo(m);
	ck_series(t, "hubble_flows_processed_total{type=\"Trace\",subtype=\"to-endpoint\",verdict=\"FORWARDED\"}", 1);
	ck_series(t, "hubble_flows_processed_total{type=\"Trace\",subtype=\"from-endpoint\",verdict=\"FORWARDED\"}", 5);
	ck_series(t, "hubble_tcp_flags_total{flag=\"SYN\",family=\"IPv4\"}", 1);
	ck_series(t, "hubble_tcp_flags_total{flag=\"SYN-ACK\",family=\"IPv4\"}", 1);
	ck_series(t, "hubble_tcp_flags_total{flag=\"FIN\",family=\"IPv4\"}", 1);
	ck_series(t, "hubble_tcp_flags_total{flag=\"RST\",family=\"IPv4\"}", 1);
	ck_assert_int_eq(samples_of(t, "hubble_tcp_flags_total"), 4);
	/* Only the request of the new flow, to its destination port. */
	ck_series(t, "hubble_port_distribution_total{protocol=\"TCP\",port=\"80\"}", 1);
	ck_assert_int_eq(samples_of(t, "hubble_port_distribution_total"), 1);
	ck_assert_int_eq(samples_of(t, "hubble_drop_total"), 0);
	ck_assert_int_eq(samples_of(t, "hubble_icmp_total"), 0);
	ck_promtool_ok(t);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

START_TEST(test_snapshot_not_counted)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f;

	f = flow_rec(EBPFNET_FLOW_SNAPSHOT, EBPFNET_FLOW_VERDICT_FORWARDED,
		     AF_INET6, IPPROTO_TCP);
	f.tcp_flags = 0x02;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	ck_assert_str_eq(expo(m), fresh);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

START_TEST(test_drops_and_verdicts)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f;
	const char *t;
	int i;

	/* Three pings dropped by a drop rule (XDP: from-network). */
	f = flow_rec(EBPFNET_FLOW_DROP, EBPFNET_FLOW_VERDICT_DROPPED, AF_INET,
		     IPPROTO_ICMP);
	f.obs = EBPFNET_FLOW_OBS_FROM_NETWORK;
	f.drop_reason = EBPFNET_FLOW_DROP_RULE;
	f.icmp_type = 8;
	f.src.port = f.dst.port = 0;
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	/* A policy default deny of UDP over IPv6: the verdict, then the
	 * same packet as a drop (what the observer delivers). */
	f = flow_rec(EBPFNET_FLOW_POLICY, EBPFNET_FLOW_VERDICT_DROPPED, AF_INET6,
		     IPPROTO_UDP);
	f.drop_reason = EBPFNET_FLOW_DROP_POLICY_DENIED;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_DROP;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_POLICY;
	/* A policy allow: a verdict, no drop, no port (not a new flow). */
	f.verdict = EBPFNET_FLOW_VERDICT_FORWARDED;
	f.drop_reason = EBPFNET_FLOW_DROP_NONE;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	/* A dropped packet of a protocol without a name. */
	f = flow_rec(EBPFNET_FLOW_DROP, EBPFNET_FLOW_VERDICT_DROPPED, AF_INET, 47);
	f.drop_reason = EBPFNET_FLOW_DROP_INVALID;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);

	t = expo(m);
	ck_series(t, "hubble_flows_processed_total{type=\"Drop\",subtype=\"\",verdict=\"DROPPED\"}", 5);
	ck_series(t, "hubble_flows_processed_total{type=\"PolicyVerdict\",subtype=\"\",verdict=\"DROPPED\"}", 1);
	ck_series(t, "hubble_flows_processed_total{type=\"PolicyVerdict\",subtype=\"\",verdict=\"FORWARDED\"}", 1);
	ck_series(t, "hubble_drop_total{reason=\"DROP_RULE\",protocol=\"ICMPv4\"}", 3);
	ck_series(t, "hubble_drop_total{reason=\"POLICY_DENIED\",protocol=\"UDP\"}", 1);
	ck_series(t, "hubble_drop_total{reason=\"INVALID_PACKET_DROPPED\",protocol=\"Unknown\"}", 1);
	ck_assert_int_eq(samples_of(t, "hubble_drop_total"), 3);
	ck_series(t, "hubble_icmp_total{family=\"IPv4\",type=\"EchoRequest\"}", 3);
	ck_assert_int_eq(samples_of(t, "hubble_port_distribution_total"), 0);
	ck_assert_int_eq(samples_of(t, "hubble_tcp_flags_total"), 0);
	ck_promtool_ok(t);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

START_TEST(test_icmp_and_ports)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f;
	const char *t;

	f = flow_rec(EBPFNET_FLOW_NEW, EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET6,
		     IPPROTO_ICMPV6);
	f.icmp_type = 128;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.icmp_type = 135;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_INTERVAL; /* not a new message */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f = flow_rec(EBPFNET_FLOW_NEW, EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
		     IPPROTO_ICMP);
	f.icmp_type = 3;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.icmp_type = 200; /* no name: its number */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);

	f = flow_rec(EBPFNET_FLOW_NEW, EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
		     IPPROTO_UDP);
	f.dst.port = 53;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.is_reply = true; /* a new flow seen from its reply: not a request */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f = flow_rec(EBPFNET_FLOW_NEW, EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET6,
		     IPPROTO_TCP);
	f.dst.port = 443;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	f.kind = EBPFNET_FLOW_FLAGS; /* not new */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);

	t = expo(m);
	ck_series(t, "hubble_icmp_total{family=\"IPv6\",type=\"EchoRequest\"}", 1);
	ck_series(t, "hubble_icmp_total{family=\"IPv6\",type=\"NeighborSolicitation\"}", 1);
	ck_series(t, "hubble_icmp_total{family=\"IPv4\",type=\"DestinationUnreachable\"}", 1);
	ck_series(t, "hubble_icmp_total{family=\"IPv4\",type=\"200\"}", 1);
	ck_assert_int_eq(samples_of(t, "hubble_icmp_total"), 4);
	ck_series(t, "hubble_port_distribution_total{protocol=\"UDP\",port=\"53\"}", 2);
	ck_series(t, "hubble_port_distribution_total{protocol=\"TCP\",port=\"443\"}", 1);
	ck_assert_int_eq(samples_of(t, "hubble_port_distribution_total"), 2);
	ck_series(t, "hubble_flows_processed_total{type=\"Trace\",subtype=\"to-endpoint\",verdict=\"FORWARDED\"}", 10);
	/* Series sorted by label values: IPv4 before IPv6, "200" before
	 * "DestinationUnreachable". */
	ck_assert_ptr_nonnull(strstr(t,
		"hubble_icmp_total{family=\"IPv4\",type=\"200\"} 1\n"
		"hubble_icmp_total{family=\"IPv4\",type=\"DestinationUnreachable\"} 1\n"
		"hubble_icmp_total{family=\"IPv6\",type=\"EchoRequest\"} 1\n"
		"hubble_icmp_total{family=\"IPv6\",type=\"NeighborSolicitation\"} 1\n"));
	ck_promtool_ok(t);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

/* ---- DNS -------------------------------------------------------------------- */

START_TEST(test_dns)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_dns d;
	const char *t;

	d = dns_rec(false, 1, 0, 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_dns(m, &d), 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_dns(m, &d), 0);
	d = dns_rec(false, 28, 0, 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_dns(m, &d), 0);
	d = dns_rec(true, 1, 0, 2);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_dns(m, &d), 0);
	d = dns_rec(true, 28, 3, 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_dns(m, &d), 0);
	d = dns_rec(true, 4242, 14, 16);
	ck_assert_int_eq(ebpfnet_flow_metrics_add_dns(m, &d), 0);

	t = expo(m);
	ck_series(t, "hubble_dns_queries_total{rcode=\"\",qtypes=\"A\",ips_returned=\"0\"}", 2);
	ck_series(t, "hubble_dns_queries_total{rcode=\"\",qtypes=\"AAAA\",ips_returned=\"0\"}", 1);
	ck_series(t, "hubble_dns_responses_total{rcode=\"No Error\",qtypes=\"A\",ips_returned=\"2\"}", 1);
	ck_series(t, "hubble_dns_responses_total{rcode=\"Non-Existent Domain\",qtypes=\"AAAA\",ips_returned=\"0\"}", 1);
	ck_series(t, "hubble_dns_responses_total{rcode=\"14\",qtypes=\"TYPE4242\",ips_returned=\"16\"}", 1);
	ck_series(t, "hubble_flows_processed_total{type=\"L7\",subtype=\"DNS\",verdict=\"FORWARDED\"}", 6);
	ck_assert_int_eq(samples_of(t, "hubble_flows_processed_total"), 1);
	ck_promtool_ok(t);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

/* ---- stats -------------------------------------------------------------------- */

START_TEST(test_set_stats)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_stats st;
	const char *t;

	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	st.events_lost = 7;
	st.monitor_lost = 3;
	st.events_suppressed = 11;
	ck_assert_int_eq(ebpfnet_flow_metrics_set_stats(m, &st), 0);
	st.events_lost = 9; /* set, not added */
	ck_assert_int_eq(ebpfnet_flow_metrics_set_stats(m, &st), 0);
	t = expo(m);
	ck_series(t, "ebpfnet_lost_events_total{source=\"ring\"}", 9);
	ck_series(t, "ebpfnet_lost_events_total{source=\"monitor\"}", 3);
	ck_series(t, "ebpfnet_suppressed_events_total", 11);
	ck_promtool_ok(t);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

/* ---- the series cap -------------------------------------------------------------- */

START_TEST(test_series_cap)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f;
	char *t;
	int n, port;

	f = flow_rec(EBPFNET_FLOW_NEW, EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
		     IPPROTO_UDP);
	for (port = 1; port <= 10100; port++) {
		f.dst.port = (uint16_t)port;
		ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	}
	f.dst.port = 1; /* an existing series still counts */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);

	n = ebpfnet_flow_metrics_format(m, NULL, 0);
	ck_assert_int_gt(n, 0);
	t = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(ebpfnet_flow_metrics_format(m, t, (size_t)n + 1), n);
	ck_assert_int_eq(samples_of(t, "hubble_port_distribution_total"), 10000);
	ck_series(t, "ebpfnet_metrics_series_dropped_total{metric=\"hubble_port_distribution_total\"}", 100);
	ck_series(t, "hubble_port_distribution_total{protocol=\"UDP\",port=\"1\"}", 2);
	/* The first 10,000 ports got in; 10001..10100 did not. */
	ck_series(t, "hubble_port_distribution_total{protocol=\"UDP\",port=\"10000\"}", 1);
	ck_series(t, "hubble_port_distribution_total{protocol=\"UDP\",port=\"10001\"}", -1);
	ck_series(t, "hubble_flows_processed_total{type=\"Trace\",subtype=\"to-endpoint\",verdict=\"FORWARDED\"}", 10101);
	ck_promtool_ok(t);
	free(t);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

/* ---- escaping ------------------------------------------------------------------ */

static const struct {
	const char *in;
	const char *out;
} prom_cases[] = {
	{ "plain", "plain" },
	{ "a\"b", "a\\\"b" },
	{ "back\\slash", "back\\\\slash" },
	{ "two\nlines", "two\\nlines" },
	{ "tab\tand\rcr", "tab\tand\rcr" },
	{ "bad\xff" "utf8\xc3", "bad\xef\xbf\xbdutf8\xef\xbf\xbd" },
	{ "overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d" },
	{ "\\\"\n", "\\\\\\\"\\n" },
};

START_TEST(test_prom_escape)
{
	char out[256], text[4096];
	struct ebpfnet_sbuf sb, all;
	size_t i;

	ebpfnet__sbuf_init(&all, text, sizeof(text));
	ebpfnet__sbuf_printf(&all, "# HELP hostile_total Hostile label values\n"
				   "# TYPE hostile_total counter\n");
	for (i = 0; i < EBPFNET_ARRAY_SIZE(prom_cases); i++) {
		ebpfnet__sbuf_init(&sb, out, sizeof(out));
		ebpfnet__sbuf_escaped(&sb, prom_cases[i].in,
				      strlen(prom_cases[i].in),
				      ebpfnet__prom_escape);
		ck_assert_str_eq(out, prom_cases[i].out);
		ebpfnet__sbuf_printf(&all, "hostile_total{case=\"%zu\",v=\"%s\"} 1\n",
				     i, out);
	}
	ck_assert_uint_lt(all.need, sizeof(text));
	ck_promtool_ok(text);
}
END_TEST

/* ---- bad arguments and the snprintf contract ------------------------------------- */

START_TEST(test_bad_args)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f = flow_rec(EBPFNET_FLOW_NEW,
					 EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
					 IPPROTO_TCP);
	struct ebpfnet_flow_dns d = dns_rec(true, 1, 0, 1);
	struct ebpfnet_flow_stats st = { .sz = sizeof(st) };
	char buf[8];

#define ck_einval(call)                                                      \
	do {                                                                 \
		nwarn = 0;                                                   \
		errno = 0;                                                   \
		ck_assert_int_eq((call), -EINVAL);                           \
		ck_assert_int_eq(errno, EINVAL);                             \
		ck_assert_msg(nwarn == 1, "%s: %u warnings", #call, nwarn);  \
	} while (0)

	ck_einval(ebpfnet_flow_metrics_add_flow(NULL, &f));
	ck_einval(ebpfnet_flow_metrics_add_flow(m, NULL));
	f.sz = sizeof(size_t);
	ck_einval(ebpfnet_flow_metrics_add_flow(m, &f));
	f.sz = sizeof(f);
	f.kind = 99;
	ck_einval(ebpfnet_flow_metrics_add_flow(m, &f));
	f.kind = EBPFNET_FLOW_NEW;
	f.family = AF_UNIX;
	ck_einval(ebpfnet_flow_metrics_add_flow(m, &f));
	ck_einval(ebpfnet_flow_metrics_add_dns(NULL, &d));
	ck_einval(ebpfnet_flow_metrics_add_dns(m, NULL));
	d.n_ips = EBPFNET_FLOW_DNS_MAX_IPS + 1;
	ck_einval(ebpfnet_flow_metrics_add_dns(m, &d));
	d.n_ips = 0;
	d.sz = 4;
	ck_einval(ebpfnet_flow_metrics_add_dns(m, &d));
	ck_einval(ebpfnet_flow_metrics_set_stats(NULL, &st));
	ck_einval(ebpfnet_flow_metrics_set_stats(m, NULL));
	st.sz = 1;
	ck_einval(ebpfnet_flow_metrics_set_stats(m, &st));
	ck_einval(ebpfnet_flow_metrics_format(NULL, buf, sizeof(buf)));
	ck_einval(ebpfnet_flow_metrics_format(m, NULL, 5));
	ck_einval(ebpfnet_flow_metrics_write(NULL, "/tmp/x.prom"));
	ck_einval(ebpfnet_flow_metrics_write(m, NULL));
	ck_einval(ebpfnet_flow_metrics_write(m, ""));
	ck_einval(ebpfnet_flow_metrics_listen(NULL, "127.0.0.1:0"));
	ck_einval(ebpfnet_flow_metrics_listen(m, NULL));
	ck_einval(ebpfnet_flow_metrics_port(NULL));
	ck_einval(ebpfnet_flow_metrics_fd(NULL));
	ck_einval(ebpfnet_flow_metrics_run(NULL));
	/* Not listening yet. */
	ck_einval(ebpfnet_flow_metrics_port(m));
	ck_einval(ebpfnet_flow_metrics_fd(m));
	ck_einval(ebpfnet_flow_metrics_run(m));
	/* Nothing was counted by the rejected records. */
	ck_assert_str_eq(expo(m), fresh);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

START_TEST(test_truncation)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f = flow_rec(EBPFNET_FLOW_NEW,
					 EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
					 IPPROTO_TCP);
	char full[4096], buf[4096 + 1];
	size_t len;
	int n;

	f.tcp_flags = 0x02;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	n = ebpfnet_flow_metrics_format(m, full, sizeof(full));
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(full));
	ck_assert_uint_eq(strlen(full), (size_t)n);
	for (len = 0; len <= (size_t)n + 1; len++) {
		memset(buf, '#', sizeof(buf));
		ck_assert_int_eq(ebpfnet_flow_metrics_format(m, len ? buf : NULL,
							     len), n);
		if (len)
			ck_assert(buf[len - 1] == '\0' &&
				  !strncmp(buf, full, len - 1));
		ck_assert_int_eq(buf[len], '#');
	}
	ebpfnet_flow_metrics_free(m);
}
END_TEST

/* ---- textfile ------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	static char data[1 << 16];
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	*len = fread(data, 1, sizeof(data) - 1, f);
	data[*len] = '\0';
	fclose(f);
	return data;
}

static int dir_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(test_write)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f = flow_rec(EBPFNET_FLOW_NEW,
					 EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
					 IPPROTO_TCP);
	char dir[96], path[128], bad[160];
	struct stat st;
	size_t len;

	snprintf(dir, sizeof(dir), "%s/write", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/flow.prom", dir);
	ck_assert_int_eq(ebpfnet_flow_metrics_write(m, path), 0);
	ck_assert_str_eq(slurp(path, &len), fresh);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);

	/* Replaced as a whole; no temporary file left behind. */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_write(m, path), 0);
	ck_assert_str_eq(slurp(path, &len), expo(m));
	ck_assert_int_eq(dir_entries(dir), 1);
	ck_promtool_ok(slurp(path, &len));

	/* A relative path works too (the temporary file in "."). */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_write(m, "rel.prom"), 0);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(dir_entries(dir), 2);

	snprintf(bad, sizeof(bad), "%s/missing/flow.prom", dir);
	nwarn = 0;
	ck_assert_int_eq(ebpfnet_flow_metrics_write(m, bad), -ENOENT);
	ck_assert_uint_eq(nwarn, 1);
	snprintf(bad, sizeof(bad), "%s/", dir);
	ck_assert_int_eq(ebpfnet_flow_metrics_write(m, bad), -EISDIR);
	/* A directory in the way: the rename fails, nothing is left over. */
	snprintf(bad, sizeof(bad), "%s/dir.prom", dir);
	ck_assert_int_eq(mkdir(bad, 0700), 0);
	ck_assert_int_lt(ebpfnet_flow_metrics_write(m, bad), 0);
	ck_assert_int_eq(dir_entries(dir), 3);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

/* ---- HTTP ------------------------------------------------------------------------ */

struct http_reply {
	int status;
	char head[2048];
	char body[1 << 16];
	size_t body_len;
	int fd_ready;             /* times the metrics fd polled readable */
};

/* Send request to the server of m over a plain socket and drive the
 * server from this loop until the server closes the connection. */
static void http_exchange(struct ebpfnet_flow_metrics *m, int family,
			  const char *request, struct http_reply *r)
{
	static char raw[sizeof(r->body) + sizeof(r->head)];
	struct sockaddr_storage ss;
	struct timespec start, now;
	size_t got = 0;
	socklen_t sslen;
	char *sep;
	int c;

	memset(r, 0, sizeof(*r));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)ebpfnet_flow_metrics_port(m));
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)ebpfnet_flow_metrics_port(m));
		sin6->sin6_addr = in6addr_loopback;
		sslen = sizeof(*sin6);
	}
	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	/* The kernel completes the handshake from the listen backlog. */
	ck_assert_int_eq(connect(c, (struct sockaddr *)&ss, sslen), 0);
	ck_assert_int_eq(send(c, request, strlen(request), MSG_NOSIGNAL),
			 (ssize_t)strlen(request));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ebpfnet_flow_metrics_fd(m), .events = POLLIN },
			{ .fd = c, .events = POLLIN },
		};
		ssize_t n;

		ck_assert_int_ge(poll(pfd, 2, 100), 0);
		if (pfd[0].revents & POLLIN)
			r->fd_ready++;
		ck_assert_int_eq(ebpfnet_flow_metrics_run(m), 0);
		n = recv(c, raw + got, sizeof(raw) - 1 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else
			ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec - start.tv_sec < 10,
			      "no complete reply in 10 s: %zu bytes", got);
	}
	close(c);
	raw[got] = '\0';
	sep = strstr(raw, "\r\n\r\n");
	ck_assert_msg(sep != NULL, "no header end: %s", raw);
	ck_assert_uint_lt((size_t)(sep - raw), sizeof(r->head));
	memcpy(r->head, raw, (size_t)(sep - raw));
	r->head[sep - raw] = '\0';
	r->body_len = got - (size_t)(sep + 4 - raw);
	memcpy(r->body, sep + 4, r->body_len);
	r->body[r->body_len] = '\0';
	ck_assert_int_eq(sscanf(raw, "HTTP/1.%*d %d", &r->status), 1);
}

/* The value of a header (case-insensitive name), or NULL. */
static const char *header(const struct http_reply *r, const char *name)
{
	static char value[256];
	const char *p = r->head;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			snprintf(value, sizeof(value), "%.*s",
				 (int)strcspn(p, "\r"), p);
			return value;
		}
	}
	return NULL;
}

START_TEST(test_http)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_record f = flow_rec(EBPFNET_FLOW_NEW,
					 EBPFNET_FLOW_VERDICT_FORWARDED, AF_INET,
					 IPPROTO_TCP);
	static struct http_reply r;
	const char *ct;
	int port;

	f.tcp_flags = 0x02;
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	ck_assert_int_eq(ebpfnet_flow_metrics_listen(m, "127.0.0.1:0"), 0);
	port = ebpfnet_flow_metrics_port(m);
	ck_assert_int_gt(port, 0);
	ck_assert_int_ge(ebpfnet_flow_metrics_fd(m), 0);
	nwarn = 0;
	ck_assert_int_eq(ebpfnet_flow_metrics_listen(m, "127.0.0.1:0"), -EBUSY);
	ck_assert_uint_eq(nwarn, 1);

	http_exchange(m, AF_INET, "GET /metrics HTTP/1.1\r\nHost: test\r\n"
				  "Connection: close\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ct = header(&r, "Content-Type");
	ck_assert_ptr_nonnull(ct);
	ck_assert_str_eq(ct, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(r.body, expo(m));
	ck_assert_int_gt(r.fd_ready, 0);
	ck_promtool_ok(r.body);

	/* The body follows the counters. */
	ck_assert_int_eq(ebpfnet_flow_metrics_add_flow(m, &f), 0);
	http_exchange(m, AF_INET, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, expo(m));

	http_exchange(m, AF_INET, "HEAD /metrics HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 0);

	http_exchange(m, AF_INET, "GET / HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 404);
	http_exchange(m, AF_INET, "GET /metrics/x HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 404);

	http_exchange(m, AF_INET, "POST /metrics HTTP/1.1\r\nHost: test\r\n"
				  "Content-Length: 3\r\nConnection: close\r\n"
				  "\r\nabc", &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_ptr_nonnull(header(&r, "Allow"));
	http_exchange(m, AF_INET, "DELETE /metrics HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 405);

	ebpfnet_flow_metrics_free(m); /* stops the server */
}
END_TEST

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));

	if (fd >= 0)
		close(fd);
	return ok;
}

START_TEST(test_http_ipv6)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	static struct http_reply r;

	if (!have_ipv6_loopback()) {
		fprintf(stderr, "test_http_ipv6: no IPv6 loopback here, not run\n");
		ebpfnet_flow_metrics_free(m);
		return;
	}
	ck_assert_int_eq(ebpfnet_flow_metrics_listen(m, "[::1]:0"), 0);
	ck_assert_int_gt(ebpfnet_flow_metrics_port(m), 0);
	http_exchange(m, AF_INET6, "GET /metrics HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, fresh);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

static const char *const bad_listen[] = {
	"", "127.0.0.1", "127.0.0.1:", ":9965", "127.0.0.1:65536",
	"127.0.0.1:99999999", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x",
	"127.0.0.1: 80", "localhost:9965", "::1:9965", "[::1]9965", "[::1",
	"[::1]:", "[127.0.0.1]:80", "[fe80::1%lo]:80", "1.2.3:80",
	"127.0.0.01:80", "0x7f.0.0.1:80", " 127.0.0.1:80",
};

START_TEST(test_listen_bad)
{
	struct ebpfnet_flow_metrics *m = ebpfnet_flow_metrics_new();
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(bad_listen); i++) {
		nwarn = 0;
		errno = 0;
		ck_assert_msg(ebpfnet_flow_metrics_listen(m, bad_listen[i]) ==
				      -EINVAL && errno == EINVAL,
			      "\"%s\" accepted", bad_listen[i]);
		ck_assert_msg(nwarn == 1 && strstr(last_warn, bad_listen[i]),
			      "\"%s\": %s", bad_listen[i], last_warn);
	}
	/* Still not listening. */
	ck_assert_int_eq(ebpfnet_flow_metrics_port(m), -EINVAL);
	ebpfnet_flow_metrics_free(m);
}
END_TEST

START_TEST(test_listen_in_use)
{
	struct ebpfnet_flow_metrics *a = ebpfnet_flow_metrics_new();
	struct ebpfnet_flow_metrics *b = ebpfnet_flow_metrics_new();
	static struct http_reply r;
	char where[64];

	ck_assert_int_eq(ebpfnet_flow_metrics_listen(a, "127.0.0.1:0"), 0);
	snprintf(where, sizeof(where), "127.0.0.1:%d",
		 ebpfnet_flow_metrics_port(a));
	nwarn = 0;
	errno = 0;
	ck_assert_int_eq(ebpfnet_flow_metrics_listen(b, where), -EADDRINUSE);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_uint_eq(nwarn, 1);
	/* An address this host does not have (TEST-NET-1). */
	ck_assert_int_eq(ebpfnet_flow_metrics_listen(b, "192.0.2.1:0"),
			 -EADDRNOTAVAIL);
	ck_assert_int_eq(ebpfnet_flow_metrics_port(b), -EINVAL);
	/* The first server is unharmed; once it is gone the port is free. */
	http_exchange(a, AF_INET, "GET /metrics HTTP/1.0\r\n\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ebpfnet_flow_metrics_free(a);
	ck_assert_int_eq(ebpfnet_flow_metrics_listen(b, where), 0);
	ebpfnet_flow_metrics_free(b);
}
END_TEST

/* No file descriptor is left open by a server's life and its failures. */
START_TEST(test_no_fd_leak)
{
	struct ebpfnet_flow_metrics *a, *b;
	int before, after, i;
	char where[64];

	before = dup(0);
	close(before);
	for (i = 0; i < 3; i++) {
		a = ebpfnet_flow_metrics_new();
		b = ebpfnet_flow_metrics_new();
		ck_assert_int_eq(ebpfnet_flow_metrics_listen(a, "127.0.0.1:0"), 0);
		snprintf(where, sizeof(where), "127.0.0.1:%d",
			 ebpfnet_flow_metrics_port(a));
		ck_assert_int_eq(ebpfnet_flow_metrics_listen(b, where), -EADDRINUSE);
		ebpfnet_flow_metrics_free(a);
		ebpfnet_flow_metrics_free(b);
	}
	after = dup(0);
	close(after);
	ck_assert_int_eq(after, before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_metrics");
	TCase *tc = tcase_create("counters");

	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_unchecked_fixture(tc, tmpdir_make, tmpdir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fresh);
	tcase_add_test(tc, test_tcp_connection);
	tcase_add_test(tc, test_snapshot_not_counted);
	tcase_add_test(tc, test_drops_and_verdicts);
	tcase_add_test(tc, test_icmp_and_ports);
	tcase_add_test(tc, test_dns);
	tcase_add_test(tc, test_set_stats);
	tcase_add_test(tc, test_series_cap);
	tcase_add_test(tc, test_prom_escape);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, log_capture_start, log_capture_stop);
	tcase_add_unchecked_fixture(tc, tmpdir_make, tmpdir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_http);
	tcase_add_test(tc, test_http_ipv6);
	tcase_add_test(tc, test_listen_bad);
	tcase_add_test(tc, test_listen_in_use);
	tcase_add_test(tc, test_no_fd_leak);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(suite(), CK_NORMAL);
}
