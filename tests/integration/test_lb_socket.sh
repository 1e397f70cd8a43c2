#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# ebpfnet-lb's socket level over real sockets: three backend namespaces
# joined to the host by veth pairs, each running a real HTTP server
# (python3 -m http.server, serving /name: the backend's name) and a UDP
# echo server on the same port. The VIPs belong to no interface; the host
# routes them "unreachable" (so nothing unbalanced leaves the host, and an
# unbalanced connect() fails at once). A client in the host's network
# namespace, inside a test cgroup the socket level is attached to, talks
# to the VIP; connect()/sendmsg() are rewritten to a backend before any
# routing. Every ebpfnet-lb command is a separate process that exits.
# Cases:
#   1. 90 HTTP requests (curl) spread over weights 1:1:2 (binomial tolerance)
#   2. getpeername() reports the VIP
#   3. UDP: recvfrom() on an unconnected socket reports the VIP as the
#      source; a connected UDP socket's peer is the VIP
#   4. draining, then down: no new connection goes to that backend
#   5. no usable backend (all down, all deleted, a service never given one):
#      connect() fails with ECONNREFUSED (EPERM before 5.18) in under 1 s
#   6. a process outside the test cgroup is not rewritten
#   7. socket detach restores direct behaviour; socket list follows
#   8. bad input: a missing path, a path that is not cgroup2
#   9. counters: per-backend sock_conns match the connections made;
#      sock_balanced and sock_no_backend grow by what was done
#  10. families: an IPv6 VIP with IPv4 backends (a dual-stack client
#      connects; a v6-only one gets ENETUNREACH); an IPv4 client and an
#      IPv6 backend: refused, counted in sock_family_mismatch
#  11. --refuse-bind: bind() to a service's VIP:port fails in the cgroup
#      (EADDRINUSE; EPERM before 5.18), nowhere else
#  12. detach everything: no pin left, the cgroup goes
# Root only. Every wait is bounded; cleanup always runs.
set -u

: "${EBPFNET_SOURCE_ROOT:?run through meson test}"
: "${EBPFNET_BUILD_ROOT:?run through meson test}"
# shellcheck source=../lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root
# shellcheck source=../lib/netns.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/netns.sh"
netns_need python3 curl timeout

BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-lb"
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built" >&2; exit 1; }
HELPERS="$EBPFNET_SOURCE_ROOT/tests/integration/lb_socket"
CLIENT_PY="$HELPERS/sock_client.py"

WAIT_S=10         # longest wait for one command or event
PORT=8080         # the service port, TCP and UDP (also the backends' port)
BACKENDS=(b1 b2 b3)
WEIGHTS=(1 1 2)
# How a refusal shows (ebpfnet-lb(8)): with bpf_set_retval() (5.18+),
# connect() fails with ECONNREFUSED and a refused bind() with EADDRINUSE;
# before, both with EPERM.
if printf '%s\n' 5.18 "$(uname -r | cut -d- -f1)" | sort -VC; then
	REFUSED=ECONNREFUSED BIND_REFUSED=EADDRINUSE
else
	REFUSED=EPERM BIND_REFUSED=EPERM
fi
TMP=$(mktemp -d /tmp/ebpfnet-lb-sock.XXXXXX) || exit 1
netns_on_exit rm -rf "$TMP"
# shellcheck source=../lib/cli_check.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/cli_check.sh"

# A watchdog: should the whole test take too long (a broken datapath), end
# it (TERM runs the cleanup) before meson's timeout (600 s) kills it.
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	sleep 420 &
	nap=$!
	wait "$nap" || exit 0
	echo "FAIL: test_lb_socket took over 420 s, stopping" >&2
	kill -TERM $$
) &
netns_on_exit kill "$!"

# ---- the test cgroup ------------------------------------------------------------
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG_ROOT" ] || skip_or_fail "no cgroup2 mount in /proc/mounts"

# cg_remove DIR: move whatever is still in cgroup DIR to its parent, then
# remove it (retried: a process leaving takes a moment).
cg_remove() {
	local dir=$1 pid i
	[ -d "$dir" ] || return 0
	for ((i = 0; i < 20; i++)); do
		while read -r pid; do
			echo "$pid" >"$(dirname "$dir")/cgroup.procs"
		done <"$dir/cgroup.procs"
		rmdir "$dir" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "test_lb_socket: cannot remove cgroup $dir" >&2
	return 1
}

CG="$CG_ROOT/ebpfnet-lbsock-$$"
mkdir "$CG" || { echo "FAIL: cannot create cgroup $CG" >&2; exit 1; }
netns_on_exit cg_remove "$CG"

# in_cg SECS CMD...: CMD inside the test cgroup (killed after SECS); the
# sh moves itself in, then becomes CMD.
in_cg() {
	local secs=$1
	shift
	# shellcheck disable=SC2016  # $$ and $@ are for the inner sh
	timeout -s KILL "$secs" sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' \
		"$CG" "$@" </dev/null
}

# ---- topology: backends, VIPs ----------------------------------------------------
BACKEND_NS=() BACKEND4=() BACKEND6=()
setup_backends() {
	local i n b ns addr pid dir
	for i in "${!BACKENDS[@]}"; do
		b=${BACKENDS[i]}
		netns_pair "$b" || return 1
		ns=${b}_ns addr=${b}_peer4
		BACKEND_NS[i]=${!ns}
		BACKEND4[i]=${!addr}
		addr=${b}_peer6
		BACKEND6[i]=${!addr}
		dir="$TMP/www-$b"
		mkdir "$dir" && echo "$b" >"$dir/name" || return 1
		# both servers outlive the whole test (meson's timeout is 600 s)
		ns_spawn "${BACKEND_NS[i]}" pid timeout 600 python3 -m http.server \
			--bind "${BACKEND4[i]}" --directory "$dir" "$PORT" \
			>"$TMP/http-$b.log" 2>&1 || return 1
		ns_spawn "${BACKEND_NS[i]}" pid python3 "$HELPERS/udp_echo.py" "$b" \
			600 "${BACKEND4[i]}" "$PORT" >"$TMP/udp-$b.log" 2>&1 || return 1
	done
	# the servers answer directly (no balancing) before anything else
	for i in "${!BACKENDS[@]}"; do
		for ((n = 0; n < 50; n++)); do
			[ "$(curl -sS --noproxy '*' --max-time 1 \
				"http://${BACKEND4[i]}:$PORT/name" 2>/dev/null)" = "${BACKENDS[i]}" ] &&
				grep -q ready "$TMP/udp-${BACKENDS[i]}.log" && break
			sleep 0.1
		done
		((n < 50)) || { echo "backend ${BACKENDS[i]} does not answer" >&2; return 1; }
	done
}

# The VIPs: in a 10.X.Y.0/24 (and fd00:eb:X:Y::/64) nobody on this host
# uses, routed nowhere: a connect() that is not rewritten fails at once
# (EHOSTUNREACH / ENETUNREACH) and sends nothing.
# shellcheck disable=SC2154  # vip_pfx4, vip_pfx6: set by netns_subnet
setup_vips() {
	netns_subnet vip || return 1
	VIP4="$vip_pfx4.100"
	VIP6="$vip_pfx6::100"
	VIP4_EMPTY="$vip_pfx4.101"  # a service that never has a backend
	ip route add unreachable "$vip_pfx4.0/24" || return 1
	netns_on_exit ip route del unreachable "$vip_pfx4.0/24"
	ip -6 route add unreachable "$vip_pfx6::/64" || return 1
	netns_on_exit ip -6 route del unreachable "$vip_pfx6::/64"
}

# ---- helpers over the CLI and the clients --------------------------------------
lb() {
	cli_run "$@"
}

# backend_name ADDR: b1.. for a backend address (also v4-mapped), else ADDR.
backend_name() {
	local i
	for i in "${!BACKENDS[@]}"; do
		if [ "$1" = "${BACKEND4[i]}" ] || [ "$1" = "::ffff:${BACKEND4[i]}" ]; then
			echo "${BACKENDS[i]}"
			return
		fi
	done
	echo "$1"
}

# curl_burst NAME COUNT: COUNT HTTP requests (one curl each) to VIP4:PORT
# from inside the test cgroup; one line each (the backend's name, or ERR)
# into $TMP/NAME.curl; the number of failed requests in $ERRORS.
curl_burst() {
	local name=$1 count=$2
	# shellcheck disable=SC2016  # for the inner sh
	in_cg $((2 * count + 10)) sh -c '
		i=0
		while [ $i -lt "$1" ]; do
			curl -sS --noproxy "*" --max-time 2 "$2" || echo ERR
			i=$((i + 1))
		done' sh "$count" "http://$VIP4:$PORT/name" \
		>"$TMP/$name.curl" 2>"$TMP/$name.curl.err"
	ERRORS=$(grep -cvxE 'b[0-9]+' "$TMP/$name.curl")
	ERRORS=$((ERRORS + count - $(wc -l <"$TMP/$name.curl")))
}

# expect_burst NAME COUNT WHAT: curl_burst; every request answered.
expect_burst() {
	curl_burst "$1" "$2"
	if [ "$ERRORS" = 0 ]; then
		pass "$3: $2 of $2 requests answered"
		return 0
	fi
	fail "$3: $ERRORS of $2 requests failed:"
	sort "$TMP/$1.curl" | uniq -c | show
	head -n 5 "$TMP/$1.curl.err" | show
	return 1
}

# tally FILE: "NAME COUNT" per backend (b1 b2 b3 order) over FILE's lines.
tally() {
	local b
	for b in "${BACKENDS[@]}"; do
		echo "$b $(grep -cx "$b" "$1")"
	done
}

# client NAME SECS ARGS...: sock_client.py ARGS inside the test cgroup;
# its line in $OUT (also $TMP/NAME.client).
client() {
	local name=$1 secs=$2
	shift 2
	in_cg "$secs" python3 "$CLIENT_PY" "$@" >"$TMP/$name.client" 2>&1
	OUT=$(head -n 1 "$TMP/$name.client")
}

# outside NAME SECS ARGS...: the same, outside the test cgroup.
outside() {
	local name=$1 secs=$2
	shift 2
	timeout -s KILL "$secs" python3 "$CLIENT_PY" "$@" \
		>"$TMP/$name.client" 2>&1 </dev/null
	OUT=$(head -n 1 "$TMP/$name.client")
}

# lb_stat NAME: counter NAME from `stats --json` (empty on failure).
lb_stat() {
	lb stats stats --json
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
if isinstance(v, int):
    print(v)' "$TMP/stats.out" "$1" 2>/dev/null
}

# sock_conns VIP PORT PROTO: "ADDR SOCK_CONNS" per backend of that service,
# from `list --json`.
sock_conns() {
	lb list list --json
	python3 -c '
import json, sys
vip, port, proto = sys.argv[2], int(sys.argv[3]), sys.argv[4]
for s in json.load(open(sys.argv[1])):
    sv = s["service"]
    if (sv["vip"], sv["port"], sv["proto"]) != (vip, port, proto):
        continue
    for b in s["backends"]:
        print(b["backend"]["address"], b.get("sock_conns", "missing"))' \
		"$TMP/list.out" "$@" 2>/dev/null
}

# socket_listed DIR: whether `socket list` names cgroup DIR (a word of
# its output, text or JSON).
socket_listed() {
	lb slist socket list
	tr -s ' \t",[]{}' '\n' <"$TMP/slist.out" | grep -qxF -- "$1"
}

# socket_unlisted DIR: whether `socket list` does not name DIR.
socket_unlisted() {
	! socket_listed "$1"
}

# check WHAT EXPR: pass or fail WHAT by the arithmetic expression EXPR.
check() {
	local what=$1
	if (($2)); then
		pass "$what"
		return 0
	fi
	fail "$what"
	return 1
}

# backend_state NAME STATE: backend NAME of the IPv4 service to STATE.
backend_state() {
	local i
	for i in "${!BACKENDS[@]}"; do
		[ "${BACKENDS[i]}" = "$1" ] || continue
		ok_run bset "backend set $SVC4 $1 --state $2" backend set "$SVC4" \
			"${BACKEND4[i]}" --state "$2"
		return
	done
	return 1
}

# ---- setup ------------------------------------------------------------------------
test_setup() {
	local i
	ok_run svc "service add $SVC4" service add "$SVC4" || return 1
	for i in "${!BACKENDS[@]}"; do
		ok_run badd "backend add ${BACKENDS[i]}" backend add "$SVC4" \
			"${BACKEND4[i]}" --weight "${WEIGHTS[i]}" || return 1
	done
	ok_run sudp "service add $SVCU" service add "$SVCU" || return 1
	for i in "${!BACKENDS[@]}"; do
		ok_run badd "backend add ${BACKENDS[i]} (udp)" backend add "$SVCU" \
			"${BACKEND4[i]}" || return 1
	done
	ok_run sempty "service add $SVC_EMPTY" service add "$SVC_EMPTY" || return 1
	pass "services $SVC4 (backends ${BACKEND4[*]}, weights ${WEIGHTS[*]}), $SVCU, $SVC_EMPTY (no backend)"
	ok_run attach "socket attach $CG" socket attach "$CG" || return 1
	pass "socket attach: '$(cat "$TMP/attach.out")'"
	judge "socket list names $CG" socket_listed "$CG" || show "$TMP/slist.out"
	# one request first: without a path, the cases below are moot
	curl_burst probe 1
	if [ "$ERRORS" != 0 ]; then
		fail "a first request to $VIP4:$PORT from the cgroup failed: $(cat "$TMP/probe.curl" "$TMP/probe.curl.err")"
		lb stats stats
		show "$TMP/stats.out"
		return 1
	fi
	pass "a first request to $VIP4:$PORT from the cgroup answered by $(cat "$TMP/probe.curl")"
}

# ---- 1 and 9: the spread over the weights; the counters agree -------------------
N_SPREAD=90
test_spread() {
	local b i n before after bal0 bal1
	sock_conns "$VIP4" "$PORT" tcp >"$TMP/conns0"
	bal0=$(lb_stat sock_balanced)
	expect_burst spread "$N_SPREAD" "spread" || return
	tally "$TMP/spread.curl" >"$TMP/spread.tally"
	# Tolerance: 3.5 standard deviations of a binomial share,
	# sqrt(p(1-p)/n) (p 0.25: 4.6 points; p 0.5: 5.3): +-15.9 and +-18.4
	# points; a false alarm in under 0.05% of runs per backend (each
	# socket's cookie picks its Maglev slot).
	check_spread "$TMP/spread.tally" "$N_SPREAD"

	# 9: each backend's sock_conns grew by the requests it answered
	sock_conns "$VIP4" "$PORT" tcp >"$TMP/conns1"
	for i in "${!BACKENDS[@]}"; do
		b=${BACKENDS[i]}
		before=$(awk -v a="${BACKEND4[i]}" '$1 == a { print $2 }' "$TMP/conns0")
		after=$(awk -v a="${BACKEND4[i]}" '$1 == a { print $2 }' "$TMP/conns1")
		n=$(awk -v b="$b" '$1 == b { print $2 }' "$TMP/spread.tally")
		if ! [[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]]; then
			fail "sock_conns: no counter for $b in list --json ('$before' '$after'):"
			show "$TMP/list.out"
			continue
		fi
		check "sock_conns of $b grew by the $n requests it answered ($before -> $after)" \
			"after - before == n"
	done
	bal1=$(lb_stat sock_balanced)
	if [ -z "$bal0" ] || [ -z "$bal1" ]; then
		fail "stats --json has no sock_balanced:"
		show "$TMP/stats.out"
	else
		check "sock_balanced grew by the $N_SPREAD connections ($bal0 -> $bal1)" \
			"bal1 - bal0 == N_SPREAD"
	fi
}

# ---- 2. getpeername() --------------------------------------------------------------
test_peer() {
	local i n=6 peer port name ok=0
	for ((i = 0; i < n; i++)); do
		client peer $WAIT_S peer "$VIP4" "$PORT"
		read -r _ peer port _ name <<<"$OUT"
		if [ "$peer $port" = "$VIP4 $PORT" ] && [[ $name =~ ^b[0-9]+$ ]]; then
			ok=$((ok + 1))
		else
			fail "getpeername: '$OUT' (wanted 'peer $VIP4 $PORT backend bN')"
		fi
	done
	check "getpeername() reports $VIP4 $PORT on $ok of $n connections (answered by backends)" \
		"ok == n"
	# the stats say so too
	n=$(lb_stat sock_reversed)
	check "stats: sock_reversed counts them (${n:-missing})" "${n:-0} > 0"
}

# ---- 3. UDP ------------------------------------------------------------------------
test_udp() {
	local i n=6 from port reply name ok=0 seen=""
	for ((i = 0; i < n; i++)); do
		client udp $WAIT_S udp "$VIP4" "$PORT"
		read -r _ from port _ name reply <<<"$OUT"
		if [ "$from $port" = "$VIP4 $PORT" ] && [[ $name =~ ^b[0-9]+$ ]] &&
			[ "$reply" = ping ]; then
			ok=$((ok + 1))
			seen="$seen $name"
		else
			fail "udp recvfrom: '$OUT' (wanted 'from $VIP4 $PORT reply bN ping')"
		fi
	done
	check "udp: recvfrom() reports the source $VIP4 $PORT on $ok of $n unconnected sockets (echoed by$seen)" \
		"ok == n"
	client udpconn $WAIT_S udpconn "$VIP4" "$PORT"
	read -r _ from port _ name reply <<<"$OUT"
	ok=0
	[ "$from $port" = "$VIP4 $PORT" ] && [[ $name =~ ^b[0-9]+$ ]] && ok=1
	check "udp: a connected socket's peer is $VIP4 $PORT ('$OUT')" ok
}

# ---- 4. draining, then down --------------------------------------------------------
test_drain() {
	local state n
	for state in draining down; do
		backend_state b3 "$state" || return
		expect_burst "$state" 60 "$state b3" || continue
		n=$(grep -cx b3 "$TMP/$state.curl")
		check "$state: b3 (weight 2) got $n of 60 new connections; b1 $(grep -cx b1 "$TMP/$state.curl"), b2 $(grep -cx b2 "$TMP/$state.curl")" \
			"n == 0"
	done
	backend_state b3 active || return
	expect_burst active 20 "b3 active again"
	n=$(grep -cx b3 "$TMP/active.curl")
	check "active again: b3 got $n of 20 new connections" "n > 0"
}

# ---- 5. no usable backend ----------------------------------------------------------
# refused WHAT ADDR [PORT]: a connect() from the cgroup to ADDR:PORT fails
# with $REFUSED in under a second.
refused() {
	local what=$1 addr=$2 port=${3:-$PORT} err ms
	client refused 5 connect "$addr" "$port" 3
	read -r err ms <<<"$OUT"
	if [ "$err" = "$REFUSED" ] && [[ $ms =~ ^[0-9]+$ ]] && ((ms < 1000)); then
		pass "$what: connect() to $addr:$port: $REFUSED in $ms ms"
		return 0
	fi
	fail "$what: connect() to $addr:$port: '${OUT:-nothing (killed after 5 s)}' (wanted $REFUSED in under 1000 ms)"
	return 1
}

test_no_backend() {
	local b i nb0 nb1
	nb0=$(lb_stat sock_no_backend)
	refused "a service never given a backend" "$VIP4_EMPTY"
	for b in "${BACKENDS[@]}"; do
		backend_state "$b" down || return
	done
	refused "every backend down" "$VIP4"
	for i in "${!BACKENDS[@]}"; do
		ok_run bdel "backend del ${BACKENDS[i]}" backend del "$SVC4" \
			"${BACKEND4[i]}" || return
	done
	refused "every backend deleted" "$VIP4"
	nb1=$(lb_stat sock_no_backend)
	check "stats: sock_no_backend grew by the 3 refusals (${nb0:-missing} -> ${nb1:-missing})" \
		"${nb1:-0} - ${nb0:-0} == 3 && ${#nb1} > 0"
	for i in "${!BACKENDS[@]}"; do
		ok_run badd "backend add ${BACKENDS[i]} again" backend add "$SVC4" \
			"${BACKEND4[i]}" --weight "${WEIGHTS[i]}" || return
	done
	expect_burst readd 10 "backends added again"
}

# ---- 6. outside the cgroup ---------------------------------------------------------
# unbalanced WHAT OUT: OUT (a connect result) shows no rewrite: an error,
# not "ok" (the VIP is routed nowhere; a rewritten connect reaches a
# backend).
unbalanced() {
	local err
	read -r err _ <<<"$2"
	if [ -n "$err" ] && [ "$err" != ok ]; then
		pass "$1: not rewritten ('$2')"
		return 0
	fi
	fail "$1: '${2:-nothing}' (wanted a failure: the VIP is routed nowhere)"
	return 1
}

test_outside() {
	outside out 5 connect "$VIP4" "$PORT" 1
	unbalanced "a process outside the cgroup: connect() to $VIP4:$PORT" "$OUT"
	outside outudp 5 udp "$VIP4" "$PORT"
	unbalanced "a process outside the cgroup: UDP to $VIP4:$PORT" "$OUT"
	# and one inside, at the same time, still is
	client in $WAIT_S connect "$VIP4" "$PORT" 2
	judge "a process inside the cgroup: connect() rewritten ('$OUT')" \
		[ "${OUT%% *}" = ok ]
}

# ---- 10. an IPv6 VIP with IPv4 backends --------------------------------------------
test_v6_vip() {
	local i fm0 fm1 peer port name ok=0
	lb s6 service add "$SVC6"
	if [ "$RC" != 0 ]; then
		echo "    service add $SVC6: exit $RC: $(cat "$TMP/s6.err")"
		fail "v6 VIP: cannot add $SVC6"
		return
	fi
	for i in "${!BACKENDS[@]}"; do
		lb b6 backend add "$SVC6" "${BACKEND4[i]}"
		[ "$RC" = 0 ] && continue
		echo "    v6 VIP: backend add $SVC6 ${BACKEND4[i]}: exit $RC: $(cat "$TMP/b6.err")"
		pass "v6 VIP: an IPv4 backend for an IPv6 VIP is refused by the CLI"
		ok_run s6del "service del $SVC6" service del "$SVC6"
		return
	done
	pass "v6 VIP: $SVC6 accepts the IPv4 backends ${BACKEND4[*]}"
	fm0=$(lb_stat sock_family_mismatch)
	# a dual-stack socket: the backend as a v4-mapped address
	client peer6 $WAIT_S peer6 "$VIP6" "$PORT" 0
	echo "    v6 VIP, dual-stack AF_INET6 client: '$OUT'"
	read -r _ peer port _ name <<<"$OUT"
	[ "$peer $port" = "$VIP6 $PORT" ] && [[ $name =~ ^b[0-9]+$ ]] && ok=1
	check "v6 VIP: a dual-stack client reaches an IPv4 backend ($name), peer $peer $port" ok
	# a v6-only socket cannot use the v4-mapped address: the kernel's
	# ENETUNREACH at once (documented), never a hang
	client v6only 5 peer6 "$VIP6" "$PORT" 1
	echo "    v6 VIP, IPV6_V6ONLY=1 client: '$OUT'"
	judge "v6 VIP: a v6-only client fails at once with ENETUNREACH ('$OUT')" \
		[ "$OUT" = ENETUNREACH ]
	ok_run s6del "service del $SVC6" service del "$SVC6"

	# the other way round: an IPv4 socket cannot reach an IPv6 backend
	ok_run smis "service add $SVC_MIS" service add "$SVC_MIS" || return
	ok_run bmis "backend add $SVC_MIS ${BACKEND6[0]}" backend add "$SVC_MIS" \
		"${BACKEND6[0]}" || return
	refused "an IPv4 client, a service with only an IPv6 backend" "$VIP4" \
		$((PORT + 2))
	fm1=$(lb_stat sock_family_mismatch)
	check "stats: sock_family_mismatch grew by 1 (${fm0:-missing} -> ${fm1:-missing})" \
		"${fm1:-0} - ${fm0:-0} == 1 && ${#fm1} > 0"
	ok_run smisdel "service del $SVC_MIS" service del "$SVC_MIS"
}

# ---- 7. detach ---------------------------------------------------------------------
test_detach() {
	ok_run detach "socket detach $CG" socket detach "$CG" || return
	pass "socket detach: '$(cat "$TMP/detach.out")'"
	judge "socket list no longer names $CG" socket_unlisted "$CG" ||
		show "$TMP/slist.out"
	client direct $WAIT_S connect "$VIP4" "$PORT" 1
	unbalanced "after detach, a process in the cgroup: connect() to $VIP4:$PORT" "$OUT"
	client directudp $WAIT_S udp "$VIP4" "$PORT"
	unbalanced "after detach, a process in the cgroup: UDP to $VIP4:$PORT" "$OUT"
	# the backends still answer directly
	client back $WAIT_S peer "${BACKEND4[0]}" "$PORT"
	judge "after detach, a backend answers directly ('$OUT')" \
		[ "$OUT" = "peer ${BACKEND4[0]} $PORT backend b1" ]
}

# ---- 8. bad input ------------------------------------------------------------------
# bad WHAT ARGS...: ebpfnet-lb ARGS exits 1 with one line on stderr.
bad() {
	local what=$1 lines
	shift
	lb bad "$@"
	lines=$(wc -l <"$TMP/bad.err")
	if [ "$RC" = 1 ] && [ "$lines" = 1 ]; then
		pass "$what: exit 1: $(cat "$TMP/bad.err")"
	else
		fail "$what: exit $RC, $lines lines on stderr (wanted exit 1, one line):"
		show "$TMP/bad.err"
	fi
}

test_bad() {
	bad "socket attach /nonexistent" socket attach /nonexistent
	bad "socket attach /tmp (not cgroup2)" socket attach /tmp
	bad "socket detach /nonexistent" socket detach /nonexistent
	judge "socket list does not name /nonexistent" socket_unlisted /nonexistent
	judge "socket list does not name /tmp" socket_unlisted /tmp
}

# ---- 11. --refuse-bind -------------------------------------------------------------
test_refuse_bind() {
	local br0 br1 err
	ok_run rattach "socket attach --refuse-bind $CG" socket attach "$CG" \
		--refuse-bind || return
	judge "socket list names $CG again" socket_listed "$CG"
	br0=$(lb_stat sock_bind_refused)
	client bind $WAIT_S bind "$VIP4" "$PORT"
	err=$OUT
	judge "refuse-bind: bind() to $VIP4:$PORT in the cgroup fails with $BIND_REFUSED ('$err')" \
		[ "$err" = "$BIND_REFUSED" ]
	client bindudp $WAIT_S bind "$VIP4" $((PORT + 1))
	judge "refuse-bind: bind() to $VIP4:$((PORT + 1)) (no service) works ('$OUT')" \
		[ "$OUT" = ok ]
	outside bindout 5 bind "$VIP4" "$PORT"
	judge "refuse-bind: bind() to $VIP4:$PORT outside the cgroup works ('$OUT')" \
		[ "$OUT" = ok ]
	br1=$(lb_stat sock_bind_refused)
	check "stats: sock_bind_refused grew by 1 (${br0:-missing} -> ${br1:-missing})" \
		"${br1:-0} - ${br0:-0} == 1 && ${#br1} > 0"
	# balancing works with it too
	expect_burst rb 10 "with --refuse-bind"
}

# ---- 12. the end -------------------------------------------------------------------
test_end() {
	local left s
	ok_run detach "socket detach $CG" socket detach "$CG"
	lb slist socket list
	judge "socket list is empty ('$(tr '\n' ' ' <"$TMP/slist.out")')" \
		[ -z "$(tr -d '[]\n ' <"$TMP/slist.out")" ]
	for s in "$SVC4" "$SVCU" "$SVC_EMPTY"; do
		ok_run sdel "service del $s" service del "$s"
	done
	left=$(pins_left)
	judge "nothing pinned under the pin root" [ -z "$left" ] ||
		echo "$left" | show
	cg_remove "$CG"
	judge "cgroup $CG removed" [ ! -d "$CG" ]
}

setup_backends || { echo "FAIL: cannot start the backends" >&2; exit 1; }
setup_vips || { echo "FAIL: cannot reserve the VIPs" >&2; exit 1; }
netns_bpffs ROOT || { echo "FAIL: cannot mount a private bpffs" >&2; exit 1; }
# what a fresh bpffs holds by itself (maps.debug, progs.debug)
ROOT_FRESH=$(find "$ROOT" -mindepth 1 | sort)
# a backstop, should the test die half-way (runs before the cgroup goes)
netns_on_exit "$BIN" --pin-root "$ROOT" socket detach "$CG"

SVC4="$VIP4:$PORT/tcp"
SVCU="$VIP4:$PORT/udp"
SVC_EMPTY="$VIP4_EMPTY:$PORT/tcp"
SVC6="[$VIP6]:$PORT/tcp"
SVC_MIS="$VIP4:$((PORT + 2))/tcp"  # an IPv4 VIP, an IPv6 backend
echo "topology: backends ${BACKEND4[*]} (port $PORT, HTTP and UDP echo);" \
	"VIPs $VIP4 $VIP6 (routed unreachable); cgroup $CG; pin root $ROOT"

test_setup || { echo "test_lb_socket: FAILED (setup)" >&2; exit 1; }
test_spread
test_peer
test_udp
test_outside
test_drain
test_no_backend
test_v6_vip
test_detach
test_bad
test_refuse_bind
test_end

[ "$FAILED" = 0 ]
