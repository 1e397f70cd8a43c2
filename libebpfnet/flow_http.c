/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * GET /metrics over HTTP with libmicrohttpd, in the caller's event loop:
 * no thread is started (external polling with epoll); the caller polls
 * ebpfnet_flow_metrics_fd() and calls ebpfnet_flow_metrics_run(). The
 * listening socket is made here, so a busy port or a foreign address
 * comes back as the errno bind() gave.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_metrics_internal.h"
#include "text.h"

#define HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_BACKLOG 16
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_TIMEOUT_S 10

/* ---- "ADDR:PORT" ---------------------------------------------------------- */

static int parse_port(const char *s, const char *listen, uint16_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (!*s) {
		pr_warn("metrics listen address \"%s\": no port after the colon",
			listen);
		return -EINVAL;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s > 5) {
			pr_warn("metrics listen address \"%s\": bad port \"%s\"",
				listen, s);
			return -EINVAL;
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535) {
		pr_warn("metrics listen address \"%s\": port %lu is over 65535",
			listen, v);
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

/* "1.2.3.4:80" or "[::1]:80" into *ss (its length in *sslen). */
static int parse_listen(const char *listen, struct sockaddr_storage *ss,
			socklen_t *sslen)
{
	const char *addr = listen, *end, *colon;
	int family = AF_INET;
	uint8_t bytes[16];
	uint16_t port;
	int err;

	if (listen[0] == '[') {
		addr = listen + 1;
		end = strchr(addr, ']');
		if (!end || end[1] != ':') {
			pr_warn("metrics listen address \"%s\": expected \"[IPv6]:PORT\"",
				listen);
			return -EINVAL;
		}
		colon = end + 1;
		family = AF_INET6;
	} else {
		colon = strrchr(listen, ':');
		if (!colon) {
			pr_warn("metrics listen address \"%s\": expected \"ADDR:PORT\"",
				listen);
			return -EINVAL;
		}
		end = colon;
	}
	if (ebpfnet__text_pton(family, addr, (size_t)(end - addr), bytes) !=
	    family) {
		pr_warn("metrics listen address \"%s\": \"%.*s\" is not an %s address%s",
			listen, (int)(end - addr), addr,
			family == AF_INET ? "IPv4" : "IPv6",
			family == AF_INET ? " (write IPv6 as [ADDR]:PORT)" : "");
		return -EINVAL;
	}
	err = parse_port(colon + 1, listen, &port);
	if (err)
		return err;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, bytes, 4);
		*sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, bytes, 16);
		*sslen = sizeof(*sin6);
	}
	return 0;
}

/* A bound, listening, non-blocking socket, or -errno (logged). */
static int open_listener(const char *where, const struct sockaddr_storage *ss,
			 socklen_t sslen)
{
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_warn("metrics listen %s: socket: %s", where,
			ebpfnet_strerror(err));
		return err;
	}
	/* A restarted agent must not wait for old connections' TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, sslen) ||
	    listen(fd, HTTP_BACKLOG)) {
		err = -errno;
		pr_warn("metrics listen %s: %s", where, ebpfnet_strerror(err));
		close(fd);
		return err;
	}
	return fd;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- requests ------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     char *body, size_t len, bool allow_header)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? HTTP_CONTENT_TYPE :
							"text/plain; charset=utf-8");
	if (allow_header)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int status, const char *text,
				  bool allow_header)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return reply(conn, status, body, strlen(body), allow_header);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	const struct ebpfnet_flow_metrics *m = cls;
	size_t len;
	char *text;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed\n", true);
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n", false);
	text = ebpfnet__flow_metrics_text(m, &len);
	if (!text)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory\n", false);
	return reply(conn, MHD_HTTP_OK, text, len, false);
}

/* libmicrohttpd's messages: to the print callback, at debug level. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	pr_debug("metrics http: %s", msg);
}

/* ---- the daemon -------------------------------------------------------------- */

/*
 * Close our duplicate of the listening socket if libmicrohttpd did not:
 * it still names the same socket (same inode) only when nobody closed it.
 */
static void close_if_ours(int fd, const struct stat *sock)
{
	struct stat st;

	if (!fstat(fd, &st) && st.st_dev == sock->st_dev &&
	    st.st_ino == sock->st_ino)
		close(fd);
}

static int start_daemon(struct ebpfnet_flow_metrics *m, int fd)
{
	struct stat sock;
	int given;

	/* libmicrohttpd owns the socket it is given; on failure it may or
	 * may not have closed it, so it gets a duplicate. */
	if (fstat(fd, &sock))
		return -errno;
	given = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (given < 0)
		return -errno;
	m->httpd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, m,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, given,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
		MHD_OPTION_END);
	if (!m->httpd) {
		close_if_ours(given, &sock);
		return -EIO;
	}
	return 0;
}

int ebpfnet_flow_metrics_listen(struct ebpfnet_flow_metrics *m,
				const char *listen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, err, port;

	if (!m || !listen) {
		pr_warn("%s: %s is NULL", __func__, !m ? "the metrics object" :
							  "the listen address");
		return ebpfnet__err(-EINVAL);
	}
	if (m->httpd) {
		pr_warn("%s: already listening on port %d", __func__, m->port);
		return ebpfnet__err(-EBUSY);
	}
	if (!MHD_is_feature_supported(MHD_FEATURE_EPOLL)) {
		pr_warn("%s: this libmicrohttpd has no epoll support", __func__);
		return ebpfnet__err(-EOPNOTSUPP);
	}
	err = parse_listen(listen, &ss, &sslen);
	if (err)
		return ebpfnet__err(err);
	fd = open_listener(listen, &ss, sslen);
	if (fd < 0)
		return ebpfnet__err(fd);
	port = local_port(fd);
	err = port < 0 ? port : start_daemon(m, fd);
	close(fd);
	if (err) {
		pr_warn("%s %s: cannot start the HTTP server: %s", __func__,
			listen, ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	m->port = port;
	pr_debug("metrics: serving http://%s/metrics (port %d)", listen, port);
	return 0;
}

static int check_listening(const struct ebpfnet_flow_metrics *m, const char *fn)
{
	if (!m) {
		pr_warn("%s: the metrics object is NULL", fn);
		return -EINVAL;
	}
	if (!m->httpd) {
		pr_warn("%s: not listening (call ebpfnet_flow_metrics_listen first)",
			fn);
		return -EINVAL;
	}
	return 0;
}

int ebpfnet_flow_metrics_port(const struct ebpfnet_flow_metrics *m)
{
	int err = check_listening(m, __func__);

	return err ? ebpfnet__err(err) : m->port;
}

int ebpfnet_flow_metrics_fd(const struct ebpfnet_flow_metrics *m)
{
	const union MHD_DaemonInfo *info;
	int err = check_listening(m, __func__);

	if (err)
		return ebpfnet__err(err);
	info = MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		pr_warn("%s: libmicrohttpd gave no epoll fd", __func__);
		return ebpfnet__err(-EIO);
	}
	return info->epoll_fd;
}

int ebpfnet_flow_metrics_run(struct ebpfnet_flow_metrics *m)
{
	int err = check_listening(m, __func__);

	if (err)
		return ebpfnet__err(err);
	if (MHD_run(m->httpd) != MHD_YES) {
		pr_warn("%s: libmicrohttpd failed to run", __func__);
		return ebpfnet__err(-EIO);
	}
	return 0;
}

void ebpfnet__flow_http_stop(struct ebpfnet_flow_metrics *m)
{
	if (m->httpd) {
		MHD_stop_daemon(m->httpd);
		m->httpd = NULL;
		m->port = 0;
	}
}
