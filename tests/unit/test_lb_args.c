/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command line of ebpfnet-lb (bin/lb_args.c): every command with its
 * operands and options as the commands receive them, global options before
 * and after the command, "--", and every usage error with its exact
 * one-line reason.
 */
#include <check.h>

#include "check_run.h"
#include "lb_addr.h"
#include "words.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_args.h"

static struct words words;
static struct lb_args args;
static char err[512];

static int parse(const char *line)
{
	words_split(&words, "ebpfnet-lb", line);
	err[0] = '\0';
	return lb_args_parse(words.argc, words.argv, &args, err, sizeof(err));
}

static void parse_ok(const char *line)
{
	ck_assert_msg(parse(line) == 0, "'%s': %s", line, err);
}

static void assert_addr(const struct ebpfnet_lb_addr *got, const char *ip)
{
	struct ebpfnet_lb_addr want = addr_of(ip);

	ck_assert_uint_eq(got->family, want.family);
	ck_assert_mem_eq(got->addr, want.addr, sizeof(want.addr));
}

static void assert_service(const char *vip, unsigned int port,
			   unsigned int proto, uint32_t table_size)
{
	ck_assert_uint_eq(args.service.sz, sizeof(args.service));
	assert_addr(&args.service.vip, vip);
	ck_assert_uint_eq(args.service.port, port);
	ck_assert_uint_eq(args.service.proto, proto);
	ck_assert_uint_eq(args.service.table_size, table_size);
}

/* ---- good command lines -------------------------------------------------- */

START_TEST(test_attach_detach)
{
	parse_ok("attach veth0");
	ck_assert_int_eq(args.cmd, LB_CMD_ATTACH);
	ck_assert_str_eq(args.cmd_name, "attach");
	ck_assert_str_eq(args.ifname, "veth0");
	ck_assert_int_eq(args.mode, EBPFNET_XDP_MODE_AUTO);
	ck_assert_ptr_null(args.pin_root);
	ck_assert(!args.opts.json && !args.opts.verbose && !args.help);

	parse_ok("attach veth0 --mode generic");
	ck_assert_int_eq(args.mode, EBPFNET_XDP_MODE_GENERIC);
	parse_ok("--json attach --mode=native veth0 -v --pin-root /tmp/x");
	ck_assert_int_eq(args.mode, EBPFNET_XDP_MODE_NATIVE);
	ck_assert(args.opts.json && args.opts.verbose);
	ck_assert_str_eq(args.pin_root, "/tmp/x");
	ck_assert_str_eq(args.ifname, "veth0");
	parse_ok("attach eth0 --outer-src4 172.30.0.0/16 --outer-src6 100:0:0:1::/64");
	ck_assert_str_eq(args.outer_src4, "172.30.0.0/16");
	ck_assert_str_eq(args.outer_src6, "100:0:0:1::/64");

	parse_ok("detach veth0");
	ck_assert_int_eq(args.cmd, LB_CMD_DETACH);
	ck_assert_str_eq(args.ifname, "veth0");
	ck_assert_ptr_null(args.outer_src4);
}
END_TEST

START_TEST(test_service)
{
	parse_ok("service add 10.0.0.1:80/tcp");
	ck_assert_int_eq(args.cmd, LB_CMD_SERVICE_ADD);
	ck_assert_str_eq(args.cmd_name, "service add");
	ck_assert_int_eq(args.nops, 1);
	ck_assert_str_eq(args.ops[0], "10.0.0.1:80/tcp");
	assert_service("10.0.0.1", 80, IPPROTO_TCP, 0);

	parse_ok("service add [2001:db8::1]:0/UDP --table-size 65537");
	assert_service("2001:db8::1", 0, IPPROTO_UDP, 65537);
	/* the library judges primes */
	parse_ok("service add 10.0.0.1:53/udp --table-size 100 --outer-src4 10.9.0.0/16");
	assert_service("10.0.0.1", 53, IPPROTO_UDP, 100);
	ck_assert_str_eq(args.outer_src4, "10.9.0.0/16");

	parse_ok("service del 10.0.0.1:80/tcp --pin-root /p");
	ck_assert_int_eq(args.cmd, LB_CMD_SERVICE_DEL);
	ck_assert_str_eq(args.cmd_name, "service del");
	assert_service("10.0.0.1", 80, IPPROTO_TCP, 0);
	ck_assert_str_eq(args.pin_root, "/p");
}
END_TEST

/* The socket level's choices per service: the default, then each given. */
START_TEST(test_service_socket_options)
{
	parse_ok("service add 10.0.0.1:80/tcp");
	ck_assert_int_eq(args.service.sock_pick, EBPFNET_LB_PICK_MAGLEV);
	ck_assert_uint_eq(args.service.affinity_timeout, 0);

	parse_ok("service add 10.0.0.1:80/tcp --pick random --affinity 10800");
	assert_service("10.0.0.1", 80, IPPROTO_TCP, 0);
	ck_assert_int_eq(args.service.sock_pick, EBPFNET_LB_PICK_RANDOM);
	ck_assert_uint_eq(args.service.affinity_timeout, 10800);

	parse_ok("service add [2001:db8::1]:53/udp --affinity=0 --pick=maglev --table-size 251");
	assert_service("2001:db8::1", 53, IPPROTO_UDP, 251);
	ck_assert_int_eq(args.service.sock_pick, EBPFNET_LB_PICK_MAGLEV);
	ck_assert_uint_eq(args.service.affinity_timeout, 0);
	parse_ok("service add 10.0.0.1:80/tcp --affinity 4294967295");
	ck_assert_uint_eq(args.service.affinity_timeout, 4294967295u);
}
END_TEST

START_TEST(test_socket)
{
	parse_ok("socket attach");
	ck_assert_int_eq(args.cmd, LB_CMD_SOCKET_ATTACH);
	ck_assert_str_eq(args.cmd_name, "socket attach");
	ck_assert_int_eq(args.nops, 0);
	ck_assert_ptr_null(args.cgroup);  /* the library's default: the root */
	ck_assert(!args.refuse_bind);

	parse_ok("--json socket attach /sys/fs/cgroup/unified/pods --refuse-bind");
	ck_assert_str_eq(args.cgroup, "/sys/fs/cgroup/unified/pods");
	ck_assert(args.refuse_bind && args.opts.json);
	parse_ok("socket attach --refuse-bind --outer-src4 10.9.0.0/16 -- /cg");
	ck_assert_str_eq(args.cgroup, "/cg");
	ck_assert_str_eq(args.outer_src4, "10.9.0.0/16");

	parse_ok("socket detach");
	ck_assert_int_eq(args.cmd, LB_CMD_SOCKET_DETACH);
	ck_assert_ptr_null(args.cgroup);
	parse_ok("socket detach /cg --pin-root /p");
	ck_assert_str_eq(args.cgroup, "/cg");
	ck_assert_str_eq(args.pin_root, "/p");

	parse_ok("socket list --json");
	ck_assert_int_eq(args.cmd, LB_CMD_SOCKET_LIST);
	ck_assert_str_eq(args.cmd_name, "socket list");
	ck_assert(args.opts.json);
	/* state from a previous call does not leak */
	parse_ok("socket attach");
	ck_assert(!args.refuse_bind && !args.cgroup);
}
END_TEST

START_TEST(test_backend)
{
	parse_ok("backend add 10.0.0.1:80/tcp 10.0.1.2");
	ck_assert_int_eq(args.cmd, LB_CMD_BACKEND_ADD);
	assert_service("10.0.0.1", 80, IPPROTO_TCP, 0);
	assert_addr(&args.addr, "10.0.1.2");
	ck_assert(!args.has_weight && !args.has_state);

	parse_ok("backend add [2001:db8::1]:443/tcp 10.0.1.2 --weight 65535");
	assert_service("2001:db8::1", 443, IPPROTO_TCP, 0);
	ck_assert(args.has_weight);
	ck_assert_uint_eq(args.weight, 65535);
	parse_ok("backend add 10.0.0.1:80/tcp [2001:db8::2] --weight 1");
	assert_addr(&args.addr, "2001:db8::2");
	ck_assert_uint_eq(args.weight, 1);
	parse_ok("backend add 10.0.0.1:80/tcp 2001:db8::3");
	assert_addr(&args.addr, "2001:db8::3");

	parse_ok("backend del 10.0.0.1:80/tcp 10.0.1.2");
	ck_assert_int_eq(args.cmd, LB_CMD_BACKEND_DEL);
	assert_addr(&args.addr, "10.0.1.2");

	parse_ok("backend set 10.0.0.1:80/tcp 10.0.1.2 --state draining");
	ck_assert_int_eq(args.cmd, LB_CMD_BACKEND_SET);
	ck_assert(args.has_state && !args.has_weight);
	ck_assert_int_eq(args.state, EBPFNET_LB_BACKEND_DRAINING);
	parse_ok("backend set 10.0.0.1:80/tcp 10.0.1.2 --weight 7");
	ck_assert(!args.has_state && args.has_weight);
	ck_assert_uint_eq(args.weight, 7);
	parse_ok("backend set --weight 3 --state down 10.0.0.1:80/tcp 10.0.1.2 --state active");
	ck_assert(args.has_state && args.has_weight);
	ck_assert_int_eq(args.state, EBPFNET_LB_BACKEND_ACTIVE); /* the last wins */
	ck_assert_uint_eq(args.weight, 3);
}
END_TEST

START_TEST(test_decap)
{
	parse_ok("decap attach veth1 --outer-src6 100::/64 --pin-root /p");
	ck_assert_int_eq(args.cmd, LB_CMD_DECAP_ATTACH);
	ck_assert_str_eq(args.cmd_name, "decap attach");
	ck_assert_str_eq(args.ifname, "veth1");
	ck_assert_str_eq(args.outer_src6, "100::/64");
	ck_assert_str_eq(args.pin_root, "/p");
	parse_ok("decap detach veth1");
	ck_assert_int_eq(args.cmd, LB_CMD_DECAP_DETACH);
	ck_assert_str_eq(args.ifname, "veth1");
}
END_TEST

START_TEST(test_read_commands)
{
	parse_ok("list");
	ck_assert_int_eq(args.cmd, LB_CMD_LIST);
	ck_assert_int_eq(args.nops, 0);
	parse_ok("--json stats");
	ck_assert_int_eq(args.cmd, LB_CMD_STATS);
	ck_assert(args.opts.json);

	parse_ok("simulate 192.0.2.7:40000 10.0.0.1:80/tcp --json");
	ck_assert_int_eq(args.cmd, LB_CMD_SIMULATE);
	ck_assert_uint_eq(args.flow.sz, sizeof(args.flow));
	assert_addr(&args.flow.src, "192.0.2.7");
	assert_addr(&args.flow.dst, "10.0.0.1");
	ck_assert_uint_eq(args.flow.sport, 40000);
	ck_assert_uint_eq(args.flow.dport, 80);
	ck_assert_uint_eq(args.flow.proto, IPPROTO_TCP);
	parse_ok("simulate [2001:db8::7]:1 [2001:db8::1]:53/udp");
	assert_addr(&args.flow.src, "2001:db8::7");
	assert_addr(&args.flow.dst, "2001:db8::1");
	ck_assert_uint_eq(args.flow.proto, IPPROTO_UDP);

	parse_ok("set mtu-policy icmp");
	ck_assert_int_eq(args.cmd, LB_CMD_SET_MTU_POLICY);
	ck_assert_str_eq(args.cmd_name, "set mtu-policy");
	ck_assert_int_eq(args.mtu_policy, EBPFNET_LB_MTU_ICMP);
	parse_ok("set mtu-policy drop");
	ck_assert_int_eq(args.mtu_policy, EBPFNET_LB_MTU_DROP);
}
END_TEST

START_TEST(test_help_and_dashdash)
{
	ck_assert_int_eq(parse("-h"), 1);
	ck_assert_int_eq(parse("--help"), 1);
	ck_assert_int_eq(parse("service add -h"), 1);
	/* help wins over a missing or unknown command */
	ck_assert_int_eq(parse("frobnicate --help"), 1);
	/* after "--": operands, even those that look like options */
	parse_ok("--json -- service add 10.0.0.1:80/tcp");
	ck_assert_int_eq(args.cmd, LB_CMD_SERVICE_ADD);
	ck_assert(args.opts.json);
	ck_assert_int_eq(parse("list -- --json"), -1);
	ck_assert_str_eq(err, "unexpected argument '--json' after 'list'");
	/* state from a previous call does not leak */
	parse_ok("list");
	ck_assert(!args.opts.json);
}
END_TEST

/* ---- usage errors --------------------------------------------------------- */

static const struct {
	const char *line;
	const char *err;
} bad[] = {
	{ "", "no command given" },
	{ "--json", "no command given" },
	{ "frobnicate", "unknown command 'frobnicate'" },
	{ "service", "'service' needs a subcommand: add or del" },
	{ "backend", "'backend' needs a subcommand: add, del or set" },
	{ "decap", "'decap' needs a subcommand: attach or detach" },
	{ "set", "'set' needs a subcommand: mtu-policy" },
	{ "socket", "'socket' needs a subcommand: attach, detach or list" },
	{ "socket show", "unknown command 'socket show' ('socket' takes attach, detach or list)" },
	{ "socket attach /a /b", "unexpected argument '/b' after 'socket attach [CGROUP]'" },
	{ "socket detach /a /b", "unexpected argument '/b' after 'socket detach [CGROUP]'" },
	{ "socket list /a", "unexpected argument '/a' after 'socket list'" },
	{ "socket detach /a --refuse-bind", "'socket detach' takes no option '--refuse-bind'" },
	{ "socket attach --refuse-bind=yes", "option '--refuse-bind' takes no argument" },
	{ "--refuse-bind socket attach", "option '--refuse-bind' must follow its command" },
	{ "socket list --pick random", "'socket list' takes no option '--pick'" },
	{ "service del 10.0.0.1:80/tcp --affinity 5",
	  "'service del' takes no option '--affinity'" },
	{ "backend add 10.0.0.1:80/tcp 10.0.1.2 --pick random",
	  "'backend add' takes no option '--pick'" },
	{ "service add 10.0.0.1:80/tcp --pick hash",
	  "invalid --pick 'hash': expected maglev or random" },
	{ "service add 10.0.0.1:80/tcp --pick", "option '--pick' requires an argument" },
	{ "service add 10.0.0.1:80/tcp --affinity 4294967296",
	  "invalid --affinity '4294967296': larger than 4294967295" },
	{ "service add 10.0.0.1:80/tcp --affinity 3h",
	  "invalid --affinity '3h': trailing characters after the number" },
	{ "service list", "unknown command 'service list' ('service' takes add or del)" },
	{ "set frag drop", "unknown command 'set frag' ('set' takes mtu-policy)" },
	{ "attach", "'attach' needs IFACE" },
	{ "attach a b", "unexpected argument 'b' after 'attach IFACE'" },
	{ "detach", "'detach' needs IFACE" },
	{ "service add", "'service add' needs VIP:PORT/PROTO" },
	{ "service del 10.0.0.1:80/tcp 10.0.0.2:80/tcp",
	  "unexpected argument '10.0.0.2:80/tcp' after 'service del VIP:PORT/PROTO'" },
	{ "backend add 10.0.0.1:80/tcp", "'backend add' needs SERVICE ADDR" },
	{ "backend set 10.0.0.1:80/tcp 10.0.1.2 10.0.1.3 --weight 2",
	  "unexpected argument '10.0.1.3' after 'backend set SERVICE ADDR'" },
	{ "list now", "unexpected argument 'now' after 'list'" },
	{ "stats a b c d e f g h i j k l",
	  "unexpected argument 'a' after 'stats'" },
	{ "simulate 1.2.3.4:5", "'simulate' needs SRC:SPORT DST:DPORT/PROTO" },
	{ "set mtu-policy", "'set mtu-policy' needs drop|icmp" },
	{ "set mtu-policy pass", "invalid mtu policy 'pass': expected drop or icmp" },
	/* options */
	{ "--mode native attach eth0", "option '--mode' must follow its command" },
	{ "--weight 2 backend add 10.0.0.1:80/tcp 10.0.1.2",
	  "option '--weight' must follow its command" },
	{ "detach eth0 --mode native", "'detach' takes no option '--mode'" },
	{ "service del 10.0.0.1:80/tcp --table-size 7",
	  "'service del' takes no option '--table-size'" },
	{ "backend add 10.0.0.1:80/tcp 10.0.1.2 --state down",
	  "'backend add' takes no option '--state'" },
	{ "backend del 10.0.0.1:80/tcp 10.0.1.2 --weight 1",
	  "'backend del' takes no option '--weight'" },
	{ "decap detach eth0 --outer-src4 10.0.0.0/8",
	  "'decap detach' takes no option '--outer-src4'" },
	{ "list --outer-src6 100::/64", "'list' takes no option '--outer-src6'" },
	{ "attach eth0 --mode fast", "invalid --mode 'fast': expected auto, native or generic" },
	{ "attach eth0 --mode", "option '--mode' requires an argument" },
	{ "list --json=yes", "option '--json' takes no argument" },
	{ "list --frobnicate", "unknown or ambiguous option '--frobnicate'" },
	{ "list -x", "unknown option '-x'" },
	{ "list --pin-root=", "invalid --pin-root '': empty path" },
	{ "attach eth0 --outer-src4=", "invalid --outer-src4 '': empty prefix" },
	{ "service add 10.0.0.1:80/tcp --table-size 0",
	  "invalid --table-size '0': must be at least 1" },
	{ "service add 10.0.0.1:80/tcp --table-size 4294967296",
	  "invalid --table-size '4294967296': larger than 4294967295" },
	{ "service add 10.0.0.1:80/tcp --table-size -1",
	  "invalid --table-size '-1': not a decimal number" },
	{ "backend add 10.0.0.1:80/tcp 10.0.1.2 --weight 0",
	  "invalid --weight '0': must be at least 1" },
	{ "backend add 10.0.0.1:80/tcp 10.0.1.2 --weight 65536",
	  "invalid --weight '65536': larger than 65535" },
	{ "backend add 10.0.0.1:80/tcp 10.0.1.2 --weight 2x",
	  "invalid --weight '2x': trailing characters after the number" },
	{ "backend set 10.0.0.1:80/tcp 10.0.1.2 --state up",
	  "invalid --state 'up': expected active, draining or down" },
	{ "backend set 10.0.0.1:80/tcp 10.0.1.2",
	  "'backend set' needs --weight or --state (or both)" },
	/* operands the library's text functions judge */
	{ "service add 10.0.0.1:80",
	  "invalid service '10.0.0.1:80': missing '/PROTO' (tcp or udp)" },
	{ "service del 2001:db8::1:80/tcp",
	  "invalid service '2001:db8::1:80/tcp': an IPv6 address goes in brackets, as in [2001:db8::1]:80/tcp" },
	{ "backend add 10.0.0.1:80/sctp 10.0.1.2",
	  "invalid service '10.0.0.1:80/sctp': protocol 'sctp' is not tcp or udp" },
	{ "backend add 10.0.0.1:80/tcp 10.0.1.2:80",
	  "invalid address '10.0.1.2:80': '10.0.1.2:80' is not an IPv4 or IPv6 address" },
	{ "backend del 10.0.0.1:80/tcp 010.0.1.2",
	  "invalid address '010.0.1.2': '010.0.1.2' is not an IPv4 or IPv6 address" },
	{ "simulate 192.0.2.7 10.0.0.1:80/tcp",
	  "invalid endpoint '192.0.2.7': missing ':PORT'" },
	{ "simulate 192.0.2.7:0 10.0.0.1:80/tcp",
	  "invalid endpoint '192.0.2.7:0': port '0' is not 1-65535" },
	{ "simulate 192.0.2.7:1 10.0.0.1:80",
	  "invalid service '10.0.0.1:80': missing '/PROTO' (tcp or udp)" },
	{ "simulate [2001:db8::7]:1 10.0.0.1:80/tcp",
	  "'[2001:db8::7]:1' and '10.0.0.1:80/tcp' are of different address families" },
};

START_TEST(test_usage_errors)
{
	ck_assert_msg(parse(bad[_i].line) == -1, "'%s' was accepted", bad[_i].line);
	ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

/* Empty words cannot come from words_split(): argv by hand. */
START_TEST(test_empty_operands)
{
	char *argv_attach[] = { "ebpfnet-lb", "attach", "", NULL };
	char *argv_decap[] = { "ebpfnet-lb", "decap", "attach", "", NULL };
	char *argv_service[] = { "ebpfnet-lb", "service", "add", "", NULL };
	char *argv_group[] = { "ebpfnet-lb", "", NULL };
	char *argv_socket[] = { "ebpfnet-lb", "socket", "attach", "", NULL };

	ck_assert_int_eq(lb_args_parse(3, argv_attach, &args, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid interface name ''");
	ck_assert_int_eq(lb_args_parse(4, argv_decap, &args, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid interface name ''");
	ck_assert_int_eq(lb_args_parse(4, argv_service, &args, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid service '': empty (expected VIP:PORT/PROTO, as in 10.0.0.1:80/tcp)");
	ck_assert_int_eq(lb_args_parse(2, argv_group, &args, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown command ''");
	ck_assert_int_eq(lb_args_parse(4, argv_socket, &args, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid cgroup path ''");
}
END_TEST

/* A reason longer than the caller's buffer is cut, still terminated. */
START_TEST(test_small_err_buffer)
{
	char small[8];

	words_split(&words, "ebpfnet-lb", "frobnicate");
	ck_assert_int_eq(lb_args_parse(words.argc, words.argv, &args, small,
				       sizeof(small)), -1);
	ck_assert_str_eq(small, "unknown");
	ck_assert_int_eq(lb_args_parse(words.argc, words.argv, &args, NULL, 0), -1);
}
END_TEST

static Suite *lb_args_suite(void)
{
	Suite *s = suite_create("lb_args");
	TCase *tc = tcase_create("lb_args");

	tcase_add_test(tc, test_attach_detach);
	tcase_add_test(tc, test_service);
	tcase_add_test(tc, test_service_socket_options);
	tcase_add_test(tc, test_socket);
	tcase_add_test(tc, test_backend);
	tcase_add_test(tc, test_decap);
	tcase_add_test(tc, test_read_commands);
	tcase_add_test(tc, test_help_and_dashdash);
	tcase_add_loop_test(tc, test_usage_errors, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_empty_operands);
	tcase_add_test(tc, test_small_err_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(lb_args_suite(), CK_NORMAL);
}
