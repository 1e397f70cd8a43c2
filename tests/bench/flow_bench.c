/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * flow_bench: the figures of the flow observer's benchmark (driven by
 * flow_bench.sh). Three jobs:
 *
 *   flow_bench testrun [--repeat N] [--rounds R] [--runs K]
 *
 *     ns per packet of flow_ingress (bpf/flow.bpf.c, loaded from the
 *     library's skeleton with the library's default settings) from
 *     BPF_PROG_TEST_RUN, IPv4 and IPv6, beside the floor
 *     (bench_tc_floor.bpf.c). A packet of an existing flow and a DNS
 *     query are timed over many repeats; a new flow can be new only once,
 *     so it is timed one run at a time (see cmd_testrun).
 *
 *   flow_bench observe IFACE SECONDS [--pin-root DIR]
 *
 *     the observer through the public API: open, attach to IFACE, read
 *     records for SECONDS (SIGINT/SIGTERM end it sooner), detach; prints
 *     what it read and the observer's event counters.
 *
 *   flow_bench flood DST_IPV4 PPS SECONDS
 *
 *     UDP at PPS packets per second for SECONDS through a raw socket
 *     (sendmmsg), each packet from another source port (and, past 64,512
 *     packets, to another destination port): each packet a new flow.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <ebpfnet/ebpfnet.h>

#include "bench_tc_floor.skel.h"
#include "flow.skel.h"
#include "flow_abi.h"
#include "pktgen.h"
#include "prog_run.h"
#include "bench_util.h"

#define NS_PER_SEC 1000000000ull
#define MAX_ROUNDS 99
#define DNS_BATCH 1000       /* repeats per run of the DNS figure */
#define DRAIN_EVERY 64       /* single runs between ring buffer reads */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t median(uint32_t *v, uint32_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_u32);
	return v[n / 2];
}

/* ---- ns per packet ----------------------------------------------------------- */

struct testrun_opts {
	uint32_t repeat;
	uint32_t rounds;
	uint32_t runs;   /* single runs per round of the one-run figures */
};

struct packet {
	uint8_t buf[256];
	size_t len;
};

static int build_packet(const struct pkt_spec *spec, struct packet *p)
{
	int len = pktgen_build(spec, p->buf, sizeof(p->buf), NULL);

	if (len < 0) {
		fprintf(stderr, "flow_bench: pktgen_build: %s\n", strerror(-len));
		return len;
	}
	p->len = (size_t)len;
	return 0;
}

/* A DNS query (example.com A) as the payload of a 40-byte message. */
static const uint8_t dns_query[40] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
};

/* The packets of one family: a TCP ACK with 100 bytes of data, a SYN
 * (its source port changed per run for the new-flow figure), a DNS query. */
struct family_packets {
	int family;
	struct pkt_spec syn_spec;
	struct packet ack, dns;
};

static int family_packets(int family, struct family_packets *fp)
{
	struct pkt_spec ack = { .family = family, .proto = IPPROTO_TCP,
				.sport = 40000, .dport = 80,
				.tcp_flags = FLOW_TCP_ACK, .payload_len = 100 };
	struct pkt_spec dns = { .family = family, .proto = IPPROTO_UDP,
				.sport = 33333, .dport = FLOW_DNS_PORT,
				.payload = dns_query,
				.payload_len = sizeof(dns_query) };

	memset(fp, 0, sizeof(*fp));
	fp->family = family;
	fp->syn_spec = ack;
	fp->syn_spec.tcp_flags = FLOW_TCP_SYN;
	fp->syn_spec.payload_len = 0;
	return build_packet(&ack, &fp->ack) || build_packet(&dns, &fp->dns);
}

/* A fresh observer: its maps empty, the library's default settings. */
struct observer {
	struct flow_bpf *skel;
	struct ring_buffer *ring;
	int prog_fd;
};

static int count_record(void *ctx, void *data, size_t len)
{
	(void)data; (void)len;
	++*(uint64_t *)ctx;
	return 0;
}

static uint64_t records_read;

static int observer_open(struct observer *o, uint32_t event_rate)
{
	struct flow_config c = { .interval_ns = FLOW_DEFAULT_INTERVAL_NS,
				 .event_rate = event_rate, .dns = 1 };
	uint32_t zero = 0;

	memset(o, 0, sizeof(*o));
	o->skel = flow_bpf__open_and_load();
	if (!o->skel) {
		fprintf(stderr, "flow_bench: loading the observer: %s\n",
			strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.flow_config), &zero,
				&c, BPF_ANY)) {
		fprintf(stderr, "flow_bench: flow_config: %s\n", strerror(errno));
		flow_bpf__destroy(o->skel);
		return -1;
	}
	o->ring = ring_buffer__new(bpf_map__fd(o->skel->maps.flow_events),
				   count_record, &records_read, NULL);
	if (!o->ring) {
		fprintf(stderr, "flow_bench: ring_buffer__new: %s\n", strerror(errno));
		flow_bpf__destroy(o->skel);
		return -1;
	}
	o->prog_fd = bpf_program__fd(o->skel->progs.flow_ingress);
	return 0;
}

static void observer_close(struct observer *o)
{
	ring_buffer__free(o->ring);
	flow_bpf__destroy(o->skel);
	memset(o, 0, sizeof(*o));
}

static void drain(struct observer *o)
{
	if (o && o->ring)
		ring_buffer__consume(o->ring);
}

/* One test run of `repeat`; ns per run, or -1 (the program must return
 * TC_ACT_UNSPEC: a benchmark of another outcome is no benchmark). */
static long run_once(int prog_fd, const struct packet *p, uint32_t repeat)
{
	static struct test_run_result r;
	int err = test_run_skb(prog_fd, p->buf, p->len, repeat, NULL, &r);

	if (err) {
		fprintf(stderr, "flow_bench: test_run: %s\n", strerror(-err));
		return -1;
	}
	if ((int32_t)r.retval != TC_ACT_UNSPEC) {
		fprintf(stderr, "flow_bench: returned %d, expected TC_ACT_UNSPEC\n",
			(int32_t)r.retval);
		return -1;
	}
	return r.duration_ns;
}

/* The median over rounds of `batches` runs of `repeat` each (a round's
 * figure: the mean of its runs), the ring drained after each run. */
static long time_batches(struct observer *o, int prog_fd, const struct packet *p,
			 uint32_t repeat, uint32_t batches,
			 const struct testrun_opts *t)
{
	uint32_t ns[MAX_ROUNDS], i, b;

	for (i = 0; i < t->rounds; i++) {
		uint64_t sum = 0;

		for (b = 0; b < batches; b++) {
			long d = run_once(prog_fd, p, repeat);

			if (d < 0)
				return -1;
			sum += (uint64_t)d;
			drain(o);
		}
		ns[i] = (uint32_t)(sum / batches);
	}
	return median(ns, t->rounds);
}

/*
 * Single runs (repeat 1): the median over rounds of the median of t->runs
 * runs. With new_flows, each run's packet is the SYN of a tuple not seen
 * before (source port and address changed) and each round starts with a
 * fresh, empty table; otherwise every run is on `p`.
 */
static long time_single(struct observer *o, int prog_fd, const struct packet *p,
			struct family_packets *fp, bool new_flows,
			const struct testrun_opts *t)
{
	uint32_t rounds[MAX_ROUNDS], *ns, i, k;
	struct packet syn;
	long ret = -1;
	char src[64];

	ns = calloc(t->runs, sizeof(*ns));
	if (!ns)
		return -1;
	for (i = 0; i < t->rounds; i++) {
		if (new_flows) {
			observer_close(o);
			if (observer_open(o, FLOW_DEFAULT_EVENT_RATE))
				goto out;
			prog_fd = o->prog_fd;
		}
		for (k = 0; k < t->runs; k++) {
			long d;

			if (new_flows) {
				struct pkt_spec s = fp->syn_spec;

				/* 65,000 ports per source address */
				snprintf(src, sizeof(src), fp->family == 4 ?
					 "10.1.%u.%u" : "fd00:1::%x:%x",
					 k / 65000 / 256, k / 65000 % 256);
				s.src = src;
				s.sport = (uint16_t)(1024 + k % 65000);
				if (build_packet(&s, &syn))
					goto out;
				p = &syn;
			}
			d = run_once(prog_fd, p, 1);
			if (d < 0)
				goto out;
			ns[k] = (uint32_t)d;
			if (k % DRAIN_EVERY == DRAIN_EVERY - 1)
				drain(o);
		}
		drain(o);
		rounds[i] = median(ns, t->runs);
	}
	ret = median(rounds, t->rounds);
out:
	free(ns);
	return ret;
}

static void note_prog_size(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return;
	printf("flow_ingress: %u instructions, %u processed by the verifier\n",
	       info.xlated_prog_len / 8, info.verified_insns);
}

enum figure {
	FIG_FLOOR,
	FIG_EXISTING,
	FIG_DNS,
	FIG_FLOOR_1,
	FIG_EXISTING_1,
	FIG_NEW_1,
	FIG_NR,
};

static const char *const figure_name[FIG_NR] = {
	[FIG_FLOOR] = "floor (TC, Ethernet check)",
	[FIG_EXISTING] = "existing flow (TCP ACK)",
	[FIG_DNS] = "DNS query (UDP, copied)",
	[FIG_FLOOR_1] = "floor, one run",
	[FIG_EXISTING_1] = "existing flow, one run",
	[FIG_NEW_1] = "new flow (TCP SYN), one run",
};

/* Every figure of one family into fig[]. */
static int time_family(int family, int floor_fd, const struct testrun_opts *t,
		       long fig[FIG_NR])
{
	struct family_packets fp;
	struct observer o;
	int ret = -1;

	if (family_packets(family, &fp) || observer_open(&o, FLOW_DEFAULT_EVENT_RATE))
		return -1;
	if (family == 4)
		note_prog_size(o.prog_fd);
	/* the flows of the ACK and of the query exist before the timing */
	if (run_once(o.prog_fd, &fp.ack, 1) < 0 || run_once(o.prog_fd, &fp.dns, 1) < 0)
		goto out;
	drain(&o);
	fig[FIG_FLOOR] = time_batches(NULL, floor_fd, &fp.ack, t->repeat, 1, t);
	fig[FIG_EXISTING] = time_batches(&o, o.prog_fd, &fp.ack, t->repeat, 1, t);
	fig[FIG_FLOOR_1] = time_single(NULL, floor_fd, &fp.ack, &fp, false, t);
	fig[FIG_EXISTING_1] = time_single(&o, o.prog_fd, &fp.ack, &fp, false, t);
	/* The DNS figure is the cost of sending the record: each run's
	 * records must fit in the ring and in the budget, so runs of
	 * DNS_BATCH with the ring drained between, no rate limit. */
	observer_close(&o);
	if (observer_open(&o, UINT32_MAX) || run_once(o.prog_fd, &fp.dns, 1) < 0)
		goto out;
	fig[FIG_DNS] = time_batches(&o, o.prog_fd, &fp.dns, DNS_BATCH,
				    (t->repeat + DNS_BATCH - 1) / DNS_BATCH, t);
	fig[FIG_NEW_1] = time_single(&o, o.prog_fd, NULL, &fp, true, t);
	ret = 0;
	for (int i = 0; i < FIG_NR; i++)
		if (fig[i] < 0)
			ret = -1;
out:
	observer_close(&o);
	return ret;
}

static int cmd_testrun(const struct testrun_opts *t)
{
	struct bench_tc_floor_bpf *floor;
	long fig4[FIG_NR], fig6[FIG_NR];
	int floor_fd, i, ret = 1;

	floor = bench_tc_floor_bpf__open_and_load();
	if (!floor) {
		fprintf(stderr, "flow_bench: loading the floor program: %s\n",
			strerror(errno));
		return 1;
	}
	floor_fd = bpf_program__fd(floor->progs.bench_tc_floor);
	if (time_family(4, floor_fd, t, fig4) || time_family(6, floor_fd, t, fig6))
		goto out;
	printf("ns per packet (BPF_PROG_TEST_RUN; repeated: median of %u runs of "
	       "%u repeats; one run: median of %u rounds of the median of %u "
	       "single runs)\n", t->rounds, t->repeat, t->rounds, t->runs);
	printf("%-30s %8s %8s\n", "packet", "IPv4", "IPv6");
	for (i = 0; i < FIG_NR; i++)
		printf("%-30s %8ld %8ld\n", figure_name[i], fig4[i], fig6[i]);
	printf("new flow - existing flow (one run): IPv4 %ld, IPv6 %ld\n",
	       fig4[FIG_NEW_1] - fig4[FIG_EXISTING_1],
	       fig6[FIG_NEW_1] - fig6[FIG_EXISTING_1]);
	printf("records read: %llu\n", (unsigned long long)records_read);
	ret = 0;
out:
	bench_tc_floor_bpf__destroy(floor);
	return ret;
}

/* ---- observe: the public API on a live interface ---------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

#define KINDS 16

struct observed {
	uint64_t kind[KINDS];
	uint64_t records, dns;
};

static int on_flow(void *ctx, const struct ebpfnet_flow_record *flow)
{
	struct observed *ob = ctx;

	ob->records++;
	if ((unsigned)flow->kind < KINDS)
		ob->kind[flow->kind]++;
	return 0;
}

static int on_dns(void *ctx, const struct ebpfnet_flow_dns *dns)
{
	struct observed *ob = ctx;

	(void)dns;
	ob->dns++;
	return 0;
}

static void print_to_stderr(enum ebpfnet_print_level level, const char *msg)
{
	if (level <= EBPFNET_PRINT_WARN)
		fprintf(stderr, "libebpfnet: %s\n", msg);
}

/* CPU time (user + system) of this process so far. */
static uint64_t cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		       NS_PER_SEC +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000;
}

static int cmd_observe(const char *iface, uint64_t seconds, const char *pin_root)
{
	EBPFNET_OPTS(ebpfnet_flow_opts, opts);
	EBPFNET_OPTS(ebpfnet_flow_stats, st);
	struct observed ob;
	struct sigaction sa = { .sa_handler = on_signal };
	struct ebpfnet_flow *flow;
	uint64_t t0, deadline, now, cpu0 = 0;
	int ret, rc = 1;

	memset(&ob, 0, sizeof(ob));
	ebpfnet_set_print(print_to_stderr);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	opts.pin_root = pin_root;
	opts.on_flow = on_flow;
	opts.on_dns = on_dns;
	opts.ctx = &ob;
	flow = ebpfnet_flow_open(&opts);
	if (!flow) {
		fprintf(stderr, "flow_bench: ebpfnet_flow_open: %s\n", strerror(errno));
		return 1;
	}
	ret = ebpfnet_flow_attach(flow, iface);
	if (ret) {
		fprintf(stderr, "flow_bench: attach %s: %s\n", iface,
			ebpfnet_strerror(ret));
		goto out;
	}
	/* the script waits for this line before it starts the load */
	fprintf(stderr, "observe: attached to %s\n", iface);
	t0 = now = monotonic_ns();
	cpu0 = cpu_ns();
	deadline = t0 + seconds * NS_PER_SEC;
	while (!stop && now < deadline) {
		ret = ebpfnet_flow_poll(flow, 100);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "flow_bench: poll: %s\n", ebpfnet_strerror(ret));
			goto out_detach;
		}
		now = monotonic_ns();
	}
	/* what is still in the ring */
	ret = ebpfnet_flow_consume(flow);
	if (ret < 0)
		fprintf(stderr, "flow_bench: consume: %s\n", ebpfnet_strerror(ret));
	ret = ebpfnet_flow_stats(flow, &st);
	if (ret) {
		fprintf(stderr, "flow_bench: stats: %s\n", ebpfnet_strerror(ret));
		goto out_detach;
	}
	printf("observe: iface=%s elapsed_ns=%llu cpu_ns=%llu records=%llu new=%llu flags=%llu "
	       "interval=%llu end=%llu idle=%llu evicted=%llu dns=%llu "
	       "records_per_sec=%.0f seen_packets=%llu flows_created=%llu "
	       "table_full=%llu events_sent=%llu events_suppressed=%llu "
	       "events_lost=%llu\n",
	       iface, (unsigned long long)(now - t0),
	       (unsigned long long)(cpu_ns() - cpu0),
	       (unsigned long long)ob.records,
	       (unsigned long long)ob.kind[EBPFNET_FLOW_NEW],
	       (unsigned long long)ob.kind[EBPFNET_FLOW_FLAGS],
	       (unsigned long long)ob.kind[EBPFNET_FLOW_INTERVAL],
	       (unsigned long long)ob.kind[EBPFNET_FLOW_END],
	       (unsigned long long)ob.kind[EBPFNET_FLOW_IDLE],
	       (unsigned long long)ob.kind[EBPFNET_FLOW_EVICTED],
	       (unsigned long long)ob.dns,
	       (double)(ob.records + ob.dns) * NS_PER_SEC /
		       (double)(now - t0 ? now - t0 : 1),
	       (unsigned long long)st.seen.packets,
	       (unsigned long long)st.flows_created,
	       (unsigned long long)st.table_full,
	       (unsigned long long)st.events_sent,
	       (unsigned long long)st.events_suppressed,
	       (unsigned long long)st.events_lost);
	rc = 0;
out_detach:
	ret = ebpfnet_flow_detach(flow, iface);
	if (ret) {
		fprintf(stderr, "flow_bench: detach %s: %s\n", iface,
			ebpfnet_strerror(ret));
		rc = 1;
	}
out:
	ebpfnet_flow_destroy(flow);
	return rc;
}

/* ---- flood: a new flow per packet ----------------------------------------------------- */

#define FLOOD_BATCH 64
#define FLOOD_PAYLOAD 18   /* a 60-byte frame: the Ethernet minimum */
#define FLOOD_PORTS 64512  /* source ports 1024..65535 */

struct flood_packet {
	struct iphdr ip;
	struct udphdr udp;
	uint8_t payload[FLOOD_PAYLOAD];
} __attribute__((packed));

/* Packet number n: source port 1024 + n mod FLOOD_PORTS, destination
 * port 10000 + n / FLOOD_PORTS (the checksum left out: allowed in IPv4;
 * the kernel fills the IP header's length, checksum, id and source). */
static void flood_packet(struct flood_packet *p, struct in_addr dst, uint64_t n)
{
	memset(p, 0, sizeof(*p));
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.ttl = 64;
	p->ip.protocol = IPPROTO_UDP;
	p->ip.daddr = dst.s_addr;
	p->udp.source = htons((uint16_t)(1024 + n % FLOOD_PORTS));
	p->udp.dest = htons((uint16_t)(10000 + n / FLOOD_PORTS));
	p->udp.len = htons(sizeof(p->udp) + FLOOD_PAYLOAD);
	memcpy(p->payload, "ebpfnet flow bench", FLOOD_PAYLOAD);
}

static int cmd_flood(const char *dst_text, uint64_t pps, uint64_t seconds)
{
	static struct flood_packet pkts[FLOOD_BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	uint64_t sent = 0, errors = 0, total = pps * seconds, t0, now, due;
	struct timespec at;
	int fd, n, i;

	if (inet_pton(AF_INET, dst_text, &to.sin_addr) != 1) {
		fprintf(stderr, "flow_bench: flood: '%s' is not an IPv4 address\n",
			dst_text);
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		perror("flow_bench: raw socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < FLOOD_BATCH; i++) {
		iov[i].iov_base = &pkts[i];
		iov[i].iov_len = sizeof(pkts[i]);
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now = monotonic_ns();
	while (sent < total) {
		unsigned int batch = total - sent < FLOOD_BATCH ?
			(unsigned int)(total - sent) : FLOOD_BATCH;

		/* paced: packet `sent` is due at t0 + sent / pps */
		due = t0 + sent * NS_PER_SEC / pps;
		if (due > now) {
			at.tv_sec = (time_t)(due / NS_PER_SEC);
			at.tv_nsec = (long)(due % NS_PER_SEC);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		}
		for (i = 0; i < (int)batch; i++)
			flood_packet(&pkts[i], to.sin_addr, sent + (uint64_t)i);
		n = sendmmsg(fd, msgs, batch, 0);
		if (n > 0) {
			sent += (uint64_t)n;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			errors++;
		} else {
			perror("flow_bench: sendmmsg");
			close(fd);
			return 1;
		}
		now = monotonic_ns();
		if (now > t0 + (seconds + 5) * NS_PER_SEC)
			break; /* far behind: stop rather than run on */
	}
	close(fd);
	printf("flood: sent=%llu flows=%llu errors=%llu elapsed_ns=%llu pps=%.0f\n",
	       (unsigned long long)sent, (unsigned long long)sent,
	       (unsigned long long)errors, (unsigned long long)(now - t0),
	       (double)sent * NS_PER_SEC / (double)(now - t0 ? now - t0 : 1));
	return 0;
}

/* ---- command line ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fputs("usage: flow_bench testrun [--repeat N] [--rounds R] [--runs K]\n"
	      "       flow_bench observe IFACE SECONDS [--pin-root DIR]\n"
	      "       flow_bench flood DST_IPV4 PPS SECONDS\n"
	      "  testrun: ns/packet of the observer's TC program beside a floor\n"
	      "    program (defaults: 1000000 repeats, 5 rounds, 20000 single\n"
	      "    runs per round).\n"
	      "  observe: attach the observer to IFACE (public API, pin root DIR),\n"
	      "    read its records for SECONDS, detach, print the counts.\n"
	      "  flood: UDP to DST_IPV4 at PPS packets/s for SECONDS, a new\n"
	      "    flow per packet (raw socket).\n", out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repeat", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "runs", required_argument, NULL, 'k' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct testrun_opts t = { .repeat = 1000000, .rounds = 5, .runs = 20000 };
	const char *cmd, *pin_root = NULL;
	uint64_t v, a, b;
	int c, bad = 0, npos;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': bad |= parse_u64(optarg, 1, 100000000, &v); t.repeat = (uint32_t)v; break;
		case 'R': bad |= parse_u64(optarg, 1, MAX_ROUNDS, &v); t.rounds = (uint32_t)v; break;
		case 'k': bad |= parse_u64(optarg, 1, 1000000, &v); t.runs = (uint32_t)v; break;
		case 'r': pin_root = optarg; break;
		case 'h': usage(stdout); return 0;
		default: bad = 1;
		}
	}
	npos = argc - optind;
	if (bad) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "testrun") && npos == 0)
		return cmd_testrun(&t);
	if (!strcmp(cmd, "observe") && npos == 2 &&
	    !parse_u64(argv[optind + 1], 1, 3600, &a))
		return cmd_observe(argv[optind], a, pin_root);
	if (!strcmp(cmd, "flood") && npos == 3 &&
	    !parse_u64(argv[optind + 1], 1, 10000000, &a) &&
	    !parse_u64(argv[optind + 2], 1, 60, &b))
		return cmd_flood(argv[optind], a, b);
	usage(stderr);
	return 2;
}
