/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-lb: manage the node's load balancer (services, backends, the
 * interfaces its XDP datapath runs on, the cgroups its socket level
 * balances, the backends' decapsulation program). A thin
 * CLI over the public API of libebpfnet: see ebpfnet-lb(8).
 *
 * Everything is pinned: each command changes or reads the node's state
 * and returns; the balancer keeps forwarding after it exits.
 *
 * Exit status: 0, 1 on an error (one line on stderr), 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_iface.h"
#include "cli_msgs.h"
#include "cli_out.h"
#include "cli_pinned.h"
#include "lb_args.h"

const char cli_program[] = "ebpfnet-lb";

struct cli {
	struct lb_args args;
	struct ebpfnet_lb *lb;
	struct cli_out out;  /* formatter output */
};

/* ---- output -------------------------------------------------------------- */

static int format_service(const void *obj, enum ebpfnet_format format,
			  char *buf, size_t len)
{
	return ebpfnet_lb_service_format(obj, format, buf, len);
}

static int format_backend(const void *obj, enum ebpfnet_format format,
			  char *buf, size_t len)
{
	return ebpfnet_lb_backend_format(obj, format, buf, len);
}

static enum ebpfnet_format out_format(const struct cli *cli)
{
	return cli_out_format_of(cli->args.opts.json);
}

/* ---- the balancer -------------------------------------------------------- */

/* Open the node's balancer. Only attach, service add and backend add
 * create one. */
static int open_lb(struct cli *cli, enum cli_open_how how)
{
	EBPFNET_OPTS(ebpfnet_lb_opts, opts,
		.pin_root = cli->args.pin_root,
		.outer_src4 = cli->args.outer_src4,
		.outer_src6 = cli->args.outer_src6,
		.open_existing = how != CLI_OPEN_CREATE);

	cli_msgs_reset_reason();
	cli->lb = ebpfnet_lb_open(&opts);
	if (cli->lb)
		return CLI_EXIT_OK;
	return cli_open_failed(how, "load balancer",
			       "add a service or attach it first",
			       cli_pin_root(cli->args.pin_root));
}

/* {"interface":"<ifname>",<rest>} or the text line. */
static int put_iface_result(struct cli *cli, const char *json_rest,
			    const char *text_fmt)
{
	return cli_iface_result(&cli->out, cli->args.opts.json,
				cli->args.ifname, json_rest, text_fmt);
}

/* ---- attach, detach ------------------------------------------------------ */

static int cmd_attach(struct cli *cli)
{
	const char *ifname = cli->args.ifname;
	int rc;

	rc = cli_iface_check(ifname);
	if (rc == CLI_EXIT_OK)
		rc = open_lb(cli, CLI_OPEN_CREATE);
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_attach(cli->lb, ifname, cli->args.mode);
	if (rc)
		return cli_fail(rc, "cannot attach to %s", ifname);
	return cli_iface_attached(&cli->out, cli->args.opts.json, ifname,
				  ebpfnet_lb_mode(cli->lb, ifname));
}

static int cmd_detach(struct cli *cli)
{
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_detach(cli->lb, cli->args.ifname);
	if (rc)
		return cli_fail(rc, "cannot detach from %s", cli->args.ifname);
	return cli_iface_detached(&cli->out, cli->args.opts.json,
				  cli->args.ifname);
}

/* ---- services and backends ---------------------------------------------- */

static int cmd_service_add(struct cli *cli)
{
	int rc = open_lb(cli, CLI_OPEN_CREATE);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_service_add(cli->lb, &cli->args.service);
	return rc ? cli_fail(rc, "cannot add service %s", cli->args.ops[0])
		  : CLI_EXIT_OK;
}

static int cmd_service_del(struct cli *cli)
{
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_service_del(cli->lb, &cli->args.service);
	return rc ? cli_fail(rc, "cannot delete service %s", cli->args.ops[0])
		  : CLI_EXIT_OK;
}

static void backend_init(struct ebpfnet_lb_backend *be, const struct lb_args *a)
{
	memset(be, 0, sizeof(*be));
	be->sz = sizeof(*be);
	be->addr = a->addr;
	be->weight = a->has_weight ? a->weight : 1;
	be->state = a->has_state ? a->state : EBPFNET_LB_BACKEND_ACTIVE;
}

static int cmd_backend_add(struct cli *cli)
{
	struct ebpfnet_lb_backend be;
	int rc = open_lb(cli, CLI_OPEN_CREATE);

	if (rc != CLI_EXIT_OK)
		return rc;
	backend_init(&be, &cli->args);
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_backend_add(cli->lb, &cli->args.service, &be);
	return rc ? cli_fail(rc, "cannot add backend %s to %s", cli->args.ops[1],
			     cli->args.ops[0])
		  : CLI_EXIT_OK;
}

static int cmd_backend_del(struct cli *cli)
{
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_backend_del(cli->lb, &cli->args.service, &cli->args.addr);
	return rc ? cli_fail(rc, "cannot remove backend %s from %s",
			     cli->args.ops[1], cli->args.ops[0])
		  : CLI_EXIT_OK;
}

static bool addr_equal(const struct ebpfnet_lb_addr *a,
		       const struct ebpfnet_lb_addr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && !memcmp(a->addr, b->addr, n);
}

/* backend set: the backend as it is now, for the field not given. */
struct find_backend {
	const struct ebpfnet_lb_addr *addr;
	struct ebpfnet_lb_backend found;
	bool seen;
};

static int find_backend_one(void *ctx, const struct ebpfnet_lb_backend *be,
			    const struct ebpfnet_lb_counters *counters)
{
	struct find_backend *f = ctx;

	(void)counters;
	if (!addr_equal(&be->addr, f->addr))
		return 0;
	f->found = *be;
	f->seen = true;
	return 1; /* found: stop the walk */
}

static int cmd_backend_set(struct cli *cli)
{
	const struct lb_args *a = &cli->args;
	struct find_backend f = { .addr = &a->addr };
	struct ebpfnet_lb_backend be;
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_backends(cli->lb, &a->service, find_backend_one, &f);
	if (rc < 0)
		return cli_fail(rc, "cannot read the backends of %s", a->ops[0]);
	if (!f.seen)
		return cli_error("%s is not a backend of %s", a->ops[1], a->ops[0]);
	backend_init(&be, a);
	if (!a->has_weight)
		be.weight = f.found.weight;
	if (!a->has_state)
		be.state = f.found.state;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_backend_set(cli->lb, &a->service, &be);
	return rc ? cli_fail(rc, "cannot change backend %s of %s", a->ops[1],
			     a->ops[0])
		  : CLI_EXIT_OK;
}

/* ---- decap --------------------------------------------------------------- */

static int cmd_decap(struct cli *cli)
{
	const struct lb_args *a = &cli->args;
	EBPFNET_OPTS(ebpfnet_lb_decap_opts, opts,
		.pin_root = a->pin_root,
		.outer_src4 = a->outer_src4,
		.outer_src6 = a->outer_src6);
	bool attach = a->cmd == LB_CMD_DECAP_ATTACH;
	int rc = attach ? cli_iface_check(a->ifname) : CLI_EXIT_OK;

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = attach ? ebpfnet_lb_decap_attach(a->ifname, &opts)
		    : ebpfnet_lb_decap_detach(a->ifname, &opts);
	if (rc)
		return cli_fail(rc, "cannot %s the decapsulation program %s %s",
				attach ? "attach" : "detach",
				attach ? "to" : "from", a->ifname);
	return attach ? put_iface_result(cli, "\"decap\":\"attached\"",
					 "decapsulating on %s")
		      : put_iface_result(cli, "\"decap\":\"detached\"",
					 "no longer decapsulating on %s");
}

/* ---- socket level -------------------------------------------------------- */

/* The cgroup a command names, for its messages: the operand, or the root
 * of the cgroup2 mount the library picks when there is none (as it finds
 * it, from /proc/mounts). */
static void cgroup_shown(const struct lb_args *a, char *buf, size_t len)
{
	struct mntent *m;
	FILE *f;

	snprintf(buf, len, "%s", a->cgroup ? a->cgroup : "the cgroup2 root");
	if (a->cgroup)
		return;
	f = setmntent("/proc/mounts", "re");
	if (!f)
		return;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			break;
		}
	endmntent(f);
}

/* {"cgroup":"<path>","socket":"<state>"} or "socket level <text> <path>". */
static int put_cgroup_result(struct cli *cli, const char *cgroup,
			     const char *state, const char *text)
{
	if (!cli->args.opts.json) {
		printf("socket level %s %s\n", text, cgroup);
		return CLI_EXIT_OK;
	}
	fputs("{\"cgroup\":", stdout);
	if (cli_out_put_json_string(&cli->out, cgroup))
		return cli_fail(cli->out.format_err, "cannot format the cgroup path");
	printf(",\"socket\":\"%s\"}\n", state);
	return CLI_EXIT_OK;
}

static int cmd_socket_attach(struct cli *cli)
{
	const struct lb_args *a = &cli->args;
	EBPFNET_OPTS(ebpfnet_lb_socket_opts, opts, .refuse_bind = a->refuse_bind);
	char cgroup[4096];
	int rc = open_lb(cli, CLI_OPEN_CREATE);

	if (rc != CLI_EXIT_OK)
		return rc;
	cgroup_shown(a, cgroup, sizeof(cgroup));
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_socket_attach(cli->lb, a->cgroup, &opts);
	if (rc)
		return cli_fail(rc, "cannot attach the socket level to %s", cgroup);
	return put_cgroup_result(cli, cgroup, "attached", "attached to");
}

static int cmd_socket_detach(struct cli *cli)
{
	const struct lb_args *a = &cli->args;
	char cgroup[4096];
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cgroup_shown(a, cgroup, sizeof(cgroup));
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_socket_detach(cli->lb, a->cgroup);
	if (rc)
		return cli_fail(rc, "cannot detach the socket level from %s", cgroup);
	return put_cgroup_result(cli, cgroup, "detached", "detached from");
}

struct cgroup_list {
	struct cli *cli;
	bool first;
};

static int list_cgroup(void *ctx, const char *path)
{
	struct cgroup_list *l = ctx;
	int err = 0;

	if (!l->cli->args.opts.json) {
		puts(path);
		return 0;
	}
	if (!l->first)
		putchar(',');
	l->first = false;
	err = cli_out_put_json_string(&l->cli->out, path);
	return err ? err : 0;
}

static int cmd_socket_list(struct cli *cli)
{
	struct cgroup_list l = { .cli = cli, .first = true };
	int rc = open_lb(cli, CLI_OPEN_EXISTING_QUIET);

	/* no balancer: attached nowhere */
	if (rc == -ENOENT) {
		if (cli->args.opts.json)
			puts("[]");
		return CLI_EXIT_OK;
	}
	if (rc != CLI_EXIT_OK)
		return rc;
	if (cli->args.opts.json)
		putchar('[');
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_socket_cgroups(cli->lb, list_cgroup, &l);
	/* what was printed so far ends its line, even after an error */
	if (cli->args.opts.json)
		puts(rc < 0 || cli->out.format_err ? "" : "]");
	if (cli->out.format_err)
		return cli_fail(cli->out.format_err, "cannot format a cgroup path");
	if (rc < 0)
		return cli_fail(rc, "cannot list the cgroups");
	return CLI_EXIT_OK;
}

/* ---- list ---------------------------------------------------------------- */

/* Services are collected first, then their backends walked one by one:
 * no library call is made from inside another's callback. */
struct service_row {
	struct ebpfnet_lb_service service;
	struct ebpfnet_lb_counters counters;
};

struct service_rows {
	struct service_row *rows;
	size_t n, cap;
};

static int collect_service(void *ctx, const struct ebpfnet_lb_service *svc,
			   const struct ebpfnet_lb_counters *counters)
{
	struct service_rows *r = ctx;
	struct service_row *row;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct service_row *bigger = realloc(r->rows, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		r->rows = bigger;
		r->cap = cap;
	}
	row = &r->rows[r->n++];
	memset(row, 0, sizeof(*row));
	memcpy(&row->service, svc,
	       svc->sz < sizeof(row->service) ? svc->sz : sizeof(row->service));
	row->service.sz = sizeof(row->service);
	memcpy(&row->counters, counters,
	       counters->sz < sizeof(row->counters) ? counters->sz :
						      sizeof(row->counters));
	row->counters.sz = sizeof(row->counters);
	return 0;
}

struct list_ctx {
	struct cli *cli;
	bool first;
};

static void put_counters(const struct cli *cli,
			 const struct ebpfnet_lb_counters *c)
{
	if (cli->args.opts.json)
		printf(",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		       ",\"new_conns\":%" PRIu64 ",\"sock_conns\":%" PRIu64,
		       c->packets, c->bytes, c->new_conns, c->sock_conns);
	else
		printf("\t%" PRIu64 " packets\t%" PRIu64 " bytes\t%" PRIu64
		       " new connections\t%" PRIu64 " socket connections\n",
		       c->packets, c->bytes, c->new_conns, c->sock_conns);
}

static int list_backend(void *ctx, const struct ebpfnet_lb_backend *be,
			const struct ebpfnet_lb_counters *counters)
{
	struct list_ctx *l = ctx;
	struct cli *cli = l->cli;
	int err;

	if (cli->args.opts.json)
		printf("%s{\"backend\":", l->first ? "" : ",");
	else
		fputs("  backend ", stdout);
	err = cli_out_put(&cli->out, format_backend, be, out_format(cli));
	if (err)
		return err;
	put_counters(cli, counters);
	if (cli->args.opts.json)
		putchar('}');
	l->first = false;
	return 0;
}

static int list_service(struct cli *cli, const struct service_row *row,
			bool first)
{
	struct list_ctx l = { .cli = cli, .first = true };
	int rc;

	if (cli->args.opts.json)
		printf("%s{\"service\":", first ? "" : ",");
	else
		fputs("service ", stdout);
	if (cli_out_put(&cli->out, format_service, &row->service,
			out_format(cli)))
		return cli_fail(cli->out.format_err, "cannot format a service");
	if (!cli->args.opts.json && row->service.table_size)
		printf(" table-size %" PRIu32, row->service.table_size);
	if (!cli->args.opts.json && row->service.sock_pick == EBPFNET_LB_PICK_RANDOM)
		fputs(" pick random", stdout);
	if (!cli->args.opts.json && row->service.affinity_timeout)
		printf(" affinity %" PRIu32 "s", row->service.affinity_timeout);
	put_counters(cli, &row->counters);
	if (cli->args.opts.json)
		fputs(",\"backends\":[", stdout);
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_backends(cli->lb, &row->service, list_backend, &l);
	if (cli->out.format_err)
		return cli_fail(cli->out.format_err, "cannot format a backend");
	/* a service deleted since the first walk has no backends left */
	if (rc < 0 && rc != -ENOENT)
		return cli_fail(rc, "cannot list the backends of a service");
	if (cli->args.opts.json)
		fputs("]}", stdout);
	return CLI_EXIT_OK;
}

static int cmd_list(struct cli *cli)
{
	struct service_rows r = { 0 };
	size_t i;
	int rc = open_lb(cli, CLI_OPEN_EXISTING_QUIET);

	/* no balancer: no service */
	if (rc == -ENOENT) {
		if (cli->args.opts.json)
			puts("[]");
		return CLI_EXIT_OK;
	}
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_services(cli->lb, collect_service, &r);
	if (rc < 0) {
		free(r.rows);
		return cli_fail(rc, "cannot list the services");
	}
	if (cli->args.opts.json)
		putchar('[');
	for (i = 0, rc = CLI_EXIT_OK; i < r.n && rc == CLI_EXIT_OK; i++)
		rc = list_service(cli, &r.rows[i], i == 0);
	/* what was printed so far ends its line, even after an error */
	if (cli->args.opts.json)
		puts(rc == CLI_EXIT_OK ? "]" : "");
	free(r.rows);
	return rc;
}

/* ---- stats --------------------------------------------------------------- */

static const struct {
	const char *name;
	size_t offset;
	bool u32;
} stat_fields[] = {
#define STAT64(f) { #f, offsetof(struct ebpfnet_lb_stats, f), false }
#define STAT32(f) { #f, offsetof(struct ebpfnet_lb_stats, f), true }
	STAT64(conn_hits), STAT64(conn_misses), STAT64(forwarded),
	STAT64(not_service), STAT64(no_backend), STAT64(too_big),
	STAT64(icmp_forwarded), STAT64(fragments), STAT64(malformed),
	STAT64(no_neighbour), STAT32(services), STAT32(backends),
	STAT64(sock_balanced), STAT64(sock_no_backend), STAT64(sock_affinity_hits),
	STAT64(sock_family_mismatch), STAT64(sock_reversed),
	STAT64(sock_bind_refused),
#undef STAT64
#undef STAT32
};

static int cmd_stats(struct cli *cli)
{
	EBPFNET_OPTS(ebpfnet_lb_stats, stats);
	size_t i;
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_stats(cli->lb, &stats);
	if (rc)
		return cli_fail(rc, "cannot read the counters");
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		const char *p = (const char *)&stats + stat_fields[i].offset;
		uint64_t v;

		if (stat_fields[i].u32) {
			uint32_t v32;

			memcpy(&v32, p, sizeof(v32));
			v = v32;
		} else {
			memcpy(&v, p, sizeof(v));
		}
		if (cli->args.opts.json)
			printf("%s\"%s\":%" PRIu64, i ? "," : "{",
			       stat_fields[i].name, v);
		else
			printf("%-20s %20" PRIu64 "\n", stat_fields[i].name, v);
	}
	if (cli->args.opts.json)
		puts("}");
	return CLI_EXIT_OK;
}

/* ---- simulate, set ------------------------------------------------------- */

static int cmd_simulate(struct cli *cli)
{
	const struct lb_args *a = &cli->args;
	EBPFNET_OPTS(ebpfnet_lb_backend, be);
	char ip[INET6_ADDRSTRLEN];
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_simulate(cli->lb, &a->flow, &be);
	if (rc == -ENOENT)
		return cli_error("no backend for %s -> %s (not a service, or no usable backend)",
				 a->ops[0], a->ops[1]);
	if (rc)
		return cli_fail(rc, "cannot simulate %s -> %s", a->ops[0], a->ops[1]);
	if (a->opts.json) {
		fputs("{\"backend\":", stdout);
		if (cli_out_put(&cli->out, format_backend, &be,
				EBPFNET_FORMAT_JSON))
			return cli_fail(cli->out.format_err, "cannot format the backend");
		puts("}");
		return CLI_EXIT_OK;
	}
	if (!inet_ntop(be.addr.family, be.addr.addr, ip, sizeof(ip)))
		return cli_fail(-EINVAL, "cannot format the backend's address");
	puts(ip);
	return CLI_EXIT_OK;
}

static int cmd_set_mtu_policy(struct cli *cli)
{
	int rc = open_lb(cli, CLI_OPEN_EXISTING);

	if (rc != CLI_EXIT_OK)
		return rc;
	cli_msgs_reset_reason();
	rc = ebpfnet_lb_set_mtu_policy(cli->lb, cli->args.mtu_policy);
	return rc ? cli_fail(rc, "cannot set the mtu policy to %s", cli->args.ops[0])
		  : CLI_EXIT_OK;
}

/* ---- main ---------------------------------------------------------------- */

/* Indexed by enum lb_cmd. */
static int (*const runners[])(struct cli *cli) = {
	[LB_CMD_ATTACH] = cmd_attach,
	[LB_CMD_DETACH] = cmd_detach,
	[LB_CMD_SERVICE_ADD] = cmd_service_add,
	[LB_CMD_SERVICE_DEL] = cmd_service_del,
	[LB_CMD_BACKEND_ADD] = cmd_backend_add,
	[LB_CMD_BACKEND_DEL] = cmd_backend_del,
	[LB_CMD_BACKEND_SET] = cmd_backend_set,
	[LB_CMD_DECAP_ATTACH] = cmd_decap,
	[LB_CMD_DECAP_DETACH] = cmd_decap,
	[LB_CMD_LIST] = cmd_list,
	[LB_CMD_STATS] = cmd_stats,
	[LB_CMD_SIMULATE] = cmd_simulate,
	[LB_CMD_SET_MTU_POLICY] = cmd_set_mtu_policy,
	[LB_CMD_SOCKET_ATTACH] = cmd_socket_attach,
	[LB_CMD_SOCKET_DETACH] = cmd_socket_detach,
	[LB_CMD_SOCKET_LIST] = cmd_socket_list,
};

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];
	int rc;

	memset(&cli, 0, sizeof(cli));
	rc = lb_args_parse(argc, argv, &cli.args, err, sizeof(err));
	if (rc)
		return cli_parse_answer(rc, err, lb_args_usage);

	cli_msgs_start(cli.args.opts.verbose);
	/* warnings wait for the outcome: the detail of the error line, or
	 * shown after a success (an unreachable next hop, say) */
	cli_msgs_hold(true);
	rc = cli_out_end(&cli.out, runners[cli.args.cmd](&cli), CLI_EXIT_OK);

	ebpfnet_lb_destroy(cli.lb);
	cli_msgs_stop();
	cli_out_free(&cli.out);
	return rc;
}
