/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The kube-proxy benchmark's programs (tests/bench/kubeproxy_bench.sh):
 *
 *   connect_bench serve PORT
 *       a TCP server that accepts and closes, until killed (the backend)
 *   connect_bench connect ADDR PORT COUNT SECONDS
 *       open and close COUNT TCP connections to ADDR:PORT one after the
 *       other, or as many as fit in SECONDS; prints
 *       "<connections> <seconds> <connections/s>"
 *   connect_bench lb-setup PIN_ROOT CGROUP SERVICES VIP:PORT BACKEND...
 *       a balancer under PIN_ROOT sized for SERVICES services: SERVICES - 1
 *       dummy services (100.64.0.0 + i, port 80, one backend each), then
 *       VIP:PORT/tcp with the BACKENDs, and the socket level on CGROUP
 *
 * The client closes with a reset (SO_LINGER 0): no TIME_WAIT, so runs of
 * thousands of connections never run out of ports, and each connection
 * costs a handshake, an accept and a reset, the same in every variant.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ebpfnet/ebpfnet.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_u32(const char *s, const char *what, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > UINT32_MAX) {
		fprintf(stderr, "connect_bench: invalid %s '%s'\n", what, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int serve(const char *port_text)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint32_t port;
	int one = 1, fd;

	if (parse_u32(port_text, "port", &port) || !port || port > 65535)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return perror("connect_bench: socket"), 1;
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 4096))
		return perror("connect_bench: bind/listen"), 1;
	for (;;) {
		int c = accept(fd, NULL, NULL);

		/* a connection reset while queued is no reason to stop */
		if (c < 0 && errno != ECONNABORTED && errno != EINTR)
			return perror("connect_bench: accept"), 1;
		if (c >= 0)
			close(c);
	}
}

static int connect_loop(const char *addr, const char *port_text,
			const char *count_text, const char *seconds_text)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	uint32_t port, count, seconds, done = 0;
	double start, end, deadline;

	if (parse_u32(port_text, "port", &port) || !port || port > 65535 ||
	    parse_u32(count_text, "count", &count) || !count ||
	    parse_u32(seconds_text, "seconds", &seconds) || !seconds)
		return 2;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "connect_bench: '%s' is not an IPv4 address\n", addr);
		return 2;
	}
	sin.sin_port = htons((uint16_t)port);
	start = now_s();
	deadline = start + seconds;
	for (end = start; done < count && end < deadline; done++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			return perror("connect_bench: socket"), 1;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			fprintf(stderr, "connect_bench: connect to %s:%u after %u connections: %s\n",
				addr, port, done, strerror(errno));
			close(fd);
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		close(fd);
		/* the clock every 64 connections: it is not free either */
		if ((done & 63) == 63)
			end = now_s();
	}
	end = now_s();
	printf("%u %.3f %.0f\n", done, end - start, done / (end - start));
	return 0;
}

static int parse_or_die(const char *text, struct ebpfnet_lb_service *svc)
{
	char err[256];

	if (ebpfnet_lb_service_parse(text, svc, err, sizeof(err))) {
		fprintf(stderr, "connect_bench: %s\n", err);
		return -1;
	}
	return 0;
}

static int add_service(struct ebpfnet_lb *lb, const char *text,
		       uint32_t table_size, char **backends, int nbackends)
{
	EBPFNET_OPTS(ebpfnet_lb_service, svc);
	int i, err;

	if (parse_or_die(text, &svc))
		return -1;
	svc.table_size = table_size;
	err = ebpfnet_lb_service_add(lb, &svc);
	if (err) {
		fprintf(stderr, "connect_bench: service %s: %s\n", text,
			ebpfnet_strerror(err));
		return -1;
	}
	for (i = 0; i < nbackends; i++) {
		EBPFNET_OPTS(ebpfnet_lb_backend, be, .weight = 1);
		char reason[256];

		if (ebpfnet_lb_addr_parse(backends[i], &be.addr, reason,
					  sizeof(reason))) {
			fprintf(stderr, "connect_bench: %s\n", reason);
			return -1;
		}
		err = ebpfnet_lb_backend_add(lb, &svc, &be);
		if (err) {
			fprintf(stderr, "connect_bench: backend %s of %s: %s\n",
				backends[i], text, ebpfnet_strerror(err));
			return -1;
		}
	}
	return 0;
}

static int lb_setup(int argc, char **argv)
{
	const char *pin_root = argv[0], *cgroup = argv[1], *vip = argv[3];
	char **backends = argv + 4, text[64];
	int nbackends = argc - 4, rc = 1, err;
	uint32_t services, i;
	struct ebpfnet_lb *lb;

	if (parse_u32(argv[2], "services", &services) || !services ||
	    services > 65536)
		return 2;
	{
		/* dummies take 7 slots each, the service measured the default */
		EBPFNET_OPTS(ebpfnet_lb_opts, opts, .pin_root = pin_root,
			.max_services = services + 16,
			.ring_slots = 16381 + 8 * services + 1024);

		lb = ebpfnet_lb_open(&opts);
	}
	if (!lb) {
		fprintf(stderr, "connect_bench: open: %s\n", ebpfnet_strerror(-errno));
		return 1;
	}
	for (i = 0; i + 1 < services; i++) {
		snprintf(text, sizeof(text), "100.%u.%u.%u:80/tcp", 64 + (i >> 16),
			 (i >> 8) & 0xff, i & 0xff);
		if (add_service(lb, text, 7, backends, 1))
			goto out;
	}
	snprintf(text, sizeof(text), "%s/tcp", vip);
	if (add_service(lb, text, 0, backends, nbackends))
		goto out;
	err = ebpfnet_lb_socket_attach(lb, cgroup, NULL);
	if (err) {
		fprintf(stderr, "connect_bench: socket attach %s: %s\n", cgroup,
			ebpfnet_strerror(err));
		goto out;
	}
	rc = 0;
out:
	ebpfnet_lb_destroy(lb);
	return rc;
}

static int usage(void)
{
	fputs("usage: connect_bench serve PORT\n"
	      "       connect_bench connect ADDR PORT COUNT SECONDS\n"
	      "       connect_bench lb-setup PIN_ROOT CGROUP SERVICES VIP:PORT BACKEND...\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "connect"))
		return connect_loop(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 7 && !strcmp(argv[1], "lb-setup"))
		return lb_setup(argc - 2, argv + 2);
	return usage();
}
