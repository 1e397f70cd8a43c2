/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-lb, turned into what the commands need:
 * services, addresses and flows already parsed (by the library's text
 * functions), numbers and words checked. Pure: no output, no exit, nothing
 * opened; a usage error is a one-line reason in the caller's buffer.
 */
#ifndef EBPFNET_LB_ARGS_H
#define EBPFNET_LB_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_args.h"

enum lb_cmd {
	LB_CMD_ATTACH,
	LB_CMD_DETACH,
	LB_CMD_SERVICE_ADD,
	LB_CMD_SERVICE_DEL,
	LB_CMD_BACKEND_ADD,
	LB_CMD_BACKEND_DEL,
	LB_CMD_BACKEND_SET,
	LB_CMD_DECAP_ATTACH,
	LB_CMD_DECAP_DETACH,
	LB_CMD_LIST,
	LB_CMD_STATS,
	LB_CMD_SIMULATE,
	LB_CMD_SET_MTU_POLICY,
	LB_CMD_SOCKET_ATTACH,
	LB_CMD_SOCKET_DETACH,
	LB_CMD_SOCKET_LIST,
};

/* Most operands a command line may carry ("backend set SERVICE ADDR" has 4). */
#define LB_ARGS_MAX_OPS 8

struct lb_args {
	/* global options */
	const char *pin_root;          /* NULL: the library's default */
	struct cli_opts opts;          /* --json, -v */
	bool help;
	/* the command: its id and its words ("backend set") */
	enum lb_cmd cmd;
	char cmd_name[32];
	/* operands as given, the command's words excluded (for messages) */
	const char *ops[LB_ARGS_MAX_OPS];
	int nops;
	/* what they mean */
	const char *ifname;                 /* attach, detach, decap */
	const char *cgroup;                 /* socket attach/detach; NULL: the
					     * root of the cgroup2 mount */
	struct ebpfnet_lb_service service;  /* service, backend */
	struct ebpfnet_lb_addr addr;        /* backend */
	struct ebpfnet_lb_flow flow;        /* simulate */
	enum ebpfnet_lb_mtu_policy mtu_policy;
	/* the command's options */
	enum ebpfnet_xdp_mode mode;         /* attach --mode */
	uint32_t table_size;                /* service add --table-size; 0: default */
	enum ebpfnet_lb_sock_pick sock_pick; /* service add --pick */
	uint32_t affinity_timeout;          /* service add --affinity; 0: none */
	bool refuse_bind;                   /* socket attach --refuse-bind */
	bool has_weight, has_state;         /* backend add/set */
	uint32_t weight;
	enum ebpfnet_lb_backend_state state;
	const char *outer_src4, *outer_src6; /* creation and decap attach */
};

/*
 * argv -> *args (zeroed first). Global options may come before the command
 * and after it, a command's own options only after its first word.
 * 0: run the command; 1: --help; -1: a usage error, its reason in err.
 * getopt's state is reset, so it may be called more than once.
 */
int lb_args_parse(int argc, char **argv, struct lb_args *args, char *err,
		  size_t errlen);

/* The --help text. */
void lb_args_usage(FILE *out);

#endif /* EBPFNET_LB_ARGS_H */
