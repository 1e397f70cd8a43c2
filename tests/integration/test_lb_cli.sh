#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# ebpfnet-lb over real traffic, one-armed DSR (tests/integration/lb/dsr.sh):
# a client namespace, three backend namespaces running real TCP servers on
# the VIPs (bound on lo, decap program on their interface) and the
# balancer's interface (host side, native XDP) share one bridge. The
# client's packets to a VIP go to the balancer, which encapsulates them
# (IPIP / IP6IP6) to a backend; the backend answers the client directly.
# Every ebpfnet-lb command is a separate process that exits: the pinned
# balancer forwards on its own. Cases:
#   1. 300 connections spread over weights 1:1:2 (binomial tolerance)
#   2. direct server return: replies never reach the balancer; its
#      forwarded count equals the client's packets to the VIP
#   3. deleting a backend moves only its flows (Maglev, and real ones)
#   4. draining: a live connection keeps working, no new one lands there
#   5. no agent: a new process changing the pinned state, and processes
#      killed with SIGKILL mid-change, leave live connections on their
#      backends and the balancer consistent
#   6. simulate names the backend that really answers
#   7. IPv6 VIP with IPv6 backends (IP6IP6)
#   8. detach and decap detach leave no XDP, TC filter or pin
# Root only. Every wait is bounded; cleanup always runs.
set -u

: "${EBPFNET_SOURCE_ROOT:?run through meson test}"
: "${EBPFNET_BUILD_ROOT:?run through meson test}"
# shellcheck source=../lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root
# shellcheck source=../lib/netns.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/netns.sh"
netns_need python3 nft tc timeout
# shellcheck source=lb/dsr.sh
. "$EBPFNET_SOURCE_ROOT/tests/integration/lb/dsr.sh"

BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-lb"
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built" >&2; exit 1; }
CLIENT_PY="$EBPFNET_SOURCE_ROOT/tests/integration/lb/lb_client.py"

WAIT_S=10        # longest wait for one command or event
PORT=8080        # the service port (in the backends' own namespaces)
WEIGHTS=(1 1 2)  # b1 b2 b3
TMP=$(mktemp -d /tmp/ebpfnet-lb-cli.XXXXXX) || exit 1
netns_on_exit rm -rf "$TMP"
# shellcheck source=../lib/cli_check.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/cli_check.sh"

# A watchdog: should the whole test take too long (a broken datapath), end
# it (TERM runs the cleanup) before meson's timeout (600 s) kills it.
# Every command the test waits for is bounded, so TERM is handled soon.
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	sleep 480 &
	nap=$!
	wait "$nap" || exit 0
	echo "FAIL: test_lb_cli took over 480 s, stopping" >&2
	kill -TERM $$
) &
netns_on_exit kill "$!"

lb_dsr_topology || { echo "FAIL: cannot build the DSR topology" >&2; exit 1; }
netns_bpffs ROOT || { echo "FAIL: cannot mount a private bpffs" >&2; exit 1; }
# what a fresh bpffs holds by itself (maps.debug, progs.debug)
ROOT_FRESH=$(find "$ROOT" -mindepth 1 | sort)
# backstops, should the test die half-way (run before the pins go)
netns_on_exit "$BIN" --pin-root "$ROOT" detach "$LB_IF"
for i in "${!BACKENDS[@]}"; do
	netns_on_exit nsenter --net="/run/netns/${BACKEND_NS[i]}" -- \
		"$BIN" --pin-root "$ROOT" decap detach "${BACKEND_IF[i]}"
done
lb_dsr_peer_xdp "$BIN" ||
	{ echo "FAIL: cannot attach XDP to the balancer's peer $LB_IF_SIF" >&2; exit 1; }
# the servers outlive the whole test (meson's timeout is 600 s)
lb_dsr_servers "$PORT" 600 || { echo "FAIL: cannot start the servers" >&2; exit 1; }

SVC4="$VIP4:$PORT/tcp"
SVC6="[$VIP6]:$PORT/tcp"
echo "topology: client $CLIENT4 ($CLIENT_NS); balancer $LB_IF $LB_IF4;" \
	"backends ${BACKEND4[*]}; VIPs $VIP4 $VIP6; pin root $ROOT"

# lb NAME ARGS...: run ebpfnet-lb (bounded) on the private pin root in the
# host namespace; status in $RC, output in $TMP/NAME.{out,err}.
lb() {
	cli_run "$@"
}

# lb_in NS NAME ARGS...: the same inside namespace NS (network only: the
# pin root stays visible).
lb_in() {
	local ns=$1 name=$2
	shift 2
	ns_exec "$ns" timeout -s KILL "$WAIT_S" "$BIN" --pin-root "$ROOT" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	RC=$?
}


# backend_name ADDR: b1.. for a backend address (either family), else ADDR.
backend_name() {
	local i
	for i in "${!BACKENDS[@]}"; do
		if [ "$1" = "${BACKEND4[i]}" ] || [ "$1" = "${BACKEND6[i]}" ]; then
			echo "${BACKENDS[i]}"
			return
		fi
	done
	echo "$1"
}

# backend_addr NAME FAMILY: the address of backend NAME (b1..).
backend_addr() {
	local i
	i=$(lb_dsr_backend "$1") || return 1
	if [ "$2" = 6 ]; then echo "${BACKEND6[i]}"; else echo "${BACKEND4[i]}"; fi
}

# connect_burst NAME VIP SPORT COUNT: COUNT connections from the client,
# source ports SPORT.., "SPORT BACKEND" per line into $TMP/NAME.conn; the
# number of failed connections in $ERRORS.
connect_burst() {
	local name=$1 vip=$2 sport=$3 count=$4
	ns_exec "$CLIENT_NS" timeout -s KILL $((count + 20)) \
		python3 "$CLIENT_PY" burst "$vip" "$PORT" "$sport" "$count" \
		>"$TMP/$name.conn" 2>"$TMP/$name.conn.err"
	ERRORS=$(grep -c ' ERR' "$TMP/$name.conn")
	ERRORS=$((ERRORS + count - $(wc -l <"$TMP/$name.conn")))
}

# expect_burst NAME VIP SPORT COUNT WHAT: connect_burst; every connection
# must be answered.
expect_burst() {
	connect_burst "$1" "$2" "$3" "$4"
	if [ "$ERRORS" = 0 ]; then
		pass "$5: $4 of $4 connections answered"
		return 0
	fi
	fail "$5: $ERRORS of $4 connections failed:"
	grep ' ERR' "$TMP/$1.conn" | head -n 5 | show
	show "$TMP/$1.conn.err"
	return 1
}

# simulate_ports NAME SRC VIP SPORT COUNT: `simulate --json` for each
# source port; "SPORT BACKEND" per line into $TMP/NAME.sim ("SPORT none"
# when it names no backend). Source ports have 5 digits throughout (join
# wants the files in the same order).
simulate_ports() {
	local name=$1 src=$2 vip=$3 sport=$4 count=$5 p s d
	s=$src d=$vip
	if [[ $vip == *:* ]]; then s="[$src]" d="[$vip]"; fi
	for ((p = sport; p < sport + count; p++)); do
		lb sim simulate --json "$s:$p" "$d:$PORT/tcp"
		printf '%s\t%s\t%s\n' "$p" "$RC" "$(tr -d '\n' <"$TMP/sim.out")"
		# killed by timeout: the next would hang too
		[ "$RC" = 137 ] && { fail "simulate hung (killed after ${WAIT_S}s)"; break; }
	done >"$TMP/$name.simraw"
	python3 - "$TMP/$name.simraw" <<'EOF' |
import json, sys
for line in open(sys.argv[1]):
    port, rc, text = line.rstrip("\n").split("\t", 2)
    addr = "none"  # exit 1: no backend
    if rc == "0":
        try:
            addr = json.loads(text)["backend"]["address"]
        except (ValueError, KeyError, TypeError):
            addr = "unparsable"
    print(port, addr)
EOF
	while read -r p a; do
		echo "$p $(backend_name "$a")"
	done >"$TMP/$name.sim"
}

# agree NAME_A NAME_B: "SAME TOTAL" over the source ports in both
# "SPORT BACKEND" files $TMP/NAME_A and $TMP/NAME_B.
agree() {
	join <(sort "$TMP/$1") <(sort "$TMP/$2") |
		awk '{ n++; if ($2 == $3) s++ } END { print s + 0, n + 0 }'
}

# tally FILE: "NAME COUNT" per backend answering in FILE (b1 b2 b3 order).
tally() {
	local b
	for b in "${BACKENDS[@]}"; do
		echo "$b $(awk -v b="$b" '$2 == b' "$1" | wc -l)"
	done
}

# lb_stat NAME: counter NAME from `stats --json` (empty on failure).
lb_stat() {
	lb stats stats --json
	python3 - "$TMP/stats.out" "$1" <<'EOF' 2>/dev/null
import json, sys
def find(o, key):
    if isinstance(o, dict):
        if key in o and isinstance(o[key], int):
            return o[key]
        for v in o.values():
            r = find(v, key)
            if r is not None:
                return r
    return None
r = find(json.load(open(sys.argv[1])), sys.argv[2])
if r is not None:
    print(r)
EOF
}

# ---- counters on the switch: what crosses the balancer's bridge port -------
# nft (bridge family, forward hook) in the switch namespace counts the
# frames the bridge sends to and receives from each port.
switch_counters() {
	ns_exec "$LB_SW_NS" nft -f - <<EOF
table bridge lbint {
	counter vip_to_lb {}
	counter vip_src_to_lb {}
	counter encap_from_lb {}
	counter vip_src_to_client {}
	chain frames {
		type filter hook forward priority 0; policy accept;
		oifname "$LB_IF_SIF" ip daddr $VIP4 counter name vip_to_lb
		oifname "$LB_IF_SIF" ip6 daddr $VIP6 counter name vip_to_lb
		oifname "$LB_IF_SIF" ip saddr $VIP4 counter name vip_src_to_lb
		oifname "$LB_IF_SIF" ip6 saddr $VIP6 counter name vip_src_to_lb
		iifname "$LB_IF_SIF" ip protocol 4 counter name encap_from_lb
		iifname "$LB_IF_SIF" ip6 nexthdr 41 counter name encap_from_lb
		oifname "$CLIENT_SIF" ip saddr $VIP4 counter name vip_src_to_client
		oifname "$CLIENT_SIF" ip6 saddr $VIP6 counter name vip_src_to_client
	}
}
EOF
}

# switch_count NAME: packets counted by switch counter NAME.
switch_count() {
	ns_exec "$LB_SW_NS" nft -j list counter bridge lbint "$1" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    if "counter" in o:
        print(o["counter"]["packets"])'
}

# check WHAT EXPR: pass or fail WHAT by the arithmetic expression EXPR
# (over the caller's variables), e.g. check "all agree" "same == total".
check() {
	local what=$1
	if (($2)); then
		pass "$what"
		return 0
	fi
	fail "$what"
	return 1
}

# ---- setup: attach, decap, service and backends ----------------------------
test_setup() {
	local i
	ok_run attach "attach $LB_IF" attach "$LB_IF" || return 1
	pass "attach: '$(cat "$TMP/attach.out")'"
	if ip -j -d link show dev "$LB_IF" | python3 -c '
import json, sys
xdp = json.load(sys.stdin)[0].get("xdp") or {}
sys.exit(0 if xdp.get("mode") == 1 else 1)'; then
		pass "attach: native XDP on $LB_IF"
	else
		fail "attach: no native XDP program on $LB_IF"
	fi
	for i in "${!BACKENDS[@]}"; do
		lb_in "${BACKEND_NS[i]}" decap decap attach "${BACKEND_IF[i]}"
		if [ "$RC" = 0 ] && [ ! -s "$TMP/decap.err" ]; then
			pass "decap attach ${BACKEND_IF[i]} (in ${BACKENDS[i]}'s namespace)"
		else
			fail "decap attach ${BACKEND_IF[i]}: exit $RC:"
			show "$TMP/decap.err"
			return 1
		fi
	done
	ok_run svc "service add $SVC4" service add "$SVC4" || return 1
	for i in "${!BACKENDS[@]}"; do
		ok_run badd "backend add ${BACKENDS[i]}" backend add "$SVC4" \
			"${BACKEND4[i]}" --weight "${WEIGHTS[i]}" || return 1
	done
	pass "service $SVC4 with backends ${BACKEND4[*]}, weights ${WEIGHTS[*]}"
	if pgrep -f -- "--pin-root $ROOT" >/dev/null; then
		fail "setup: an ebpfnet-lb process is still running"
	fi
	ok_run list "list --json" list --json || return 1
	if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/list.out"; then
		fail "list --json is not JSON:"
		show "$TMP/list.out"
	fi
	# one connection first: without a path, the cases below are moot
	connect_burst probe "$VIP4" 19999 1
	if [ "$ERRORS" != 0 ]; then
		fail "a first connection to $VIP4:$PORT failed: $(cat "$TMP/probe.conn")"
		lb stats stats
		show "$TMP/stats.out"
		return 1
	fi
	pass "a first connection to $VIP4:$PORT answered by $(cut -d' ' -f2 "$TMP/probe.conn")"
}

# ---- 1 and 6: the spread over the weights; simulate agrees ------------------
N_SPREAD=300
test_spread() {
	local same total
	# simulate 50 of the ports before any connection: pure Maglev
	simulate_ports pre "$CLIENT4" "$VIP4" 20000 50
	expect_burst spread "$VIP4" 20000 "$N_SPREAD" "spread" || return
	tally "$TMP/spread.conn" >"$TMP/spread.tally"
	# Tolerance: 3.5 standard deviations of a binomial share, sqrt(p(1-p)/n)
	# (p 0.25: 2.5 points; p 0.5: 2.9): +-8.7 and +-10.1 points; a false
	# alarm in under 0.15% of runs (the flow hash depends on the client's
	# address, different each run). Maglev's own slot shares are within a
	# fraction of a point of the weights.
	check_spread "$TMP/spread.tally" "$N_SPREAD"
	read -r same total <<<"$(agree pre.sim spread.conn)"
	if [ "$total" = 50 ] && [ "$same" = 50 ]; then
		pass "simulate: named the answering backend for $same of $total new connections"
	else
		fail "simulate: named the answering backend for $same of $total new connections:"
		join <(sort "$TMP/pre.sim") <(sort "$TMP/spread.conn") | awk '$2 != $3' |
			head -n 5 | show
	fi
	# and again now that the connections are in the connection table
	simulate_ports post "$CLIENT4" "$VIP4" 20000 50
	read -r same total <<<"$(agree post.sim spread.conn)"
	check "simulate after the connections: $same of $total agree" \
		"total == 50 && same == 50"
}

# ---- 2. direct server return -------------------------------------------------
test_dsr() {
	local f0 f1 to0 to1 enc0 enc1 back0 back1 cl0 cl1 n=30
	switch_counters || { fail "dsr: cannot set up nft counters"; return; }
	f0=$(lb_stat forwarded)
	to0=$(switch_count vip_to_lb)
	enc0=$(switch_count encap_from_lb)
	back0=$(switch_count vip_src_to_lb)
	cl0=$(switch_count vip_src_to_client)
	expect_burst dsr "$VIP4" 21000 $n "dsr" || return
	f1=$(lb_stat forwarded)
	to1=$(switch_count vip_to_lb)
	enc1=$(switch_count encap_from_lb)
	back1=$(switch_count vip_src_to_lb)
	cl1=$(switch_count vip_src_to_client)
	if [ -z "$f0" ] || [ -z "$f1" ]; then
		fail "dsr: no 'forwarded' counter in stats --json:"
		show "$TMP/stats.out"
		return
	fi
	local fwd=$((f1 - f0)) to=$((to1 - to0)) enc=$((enc1 - enc0))
	local back=$((back1 - back0)) cl=$((cl1 - cl0))
	echo "    $n connections: client->VIP frames to the balancer $to," \
		"forwarded $fwd, encapsulated frames out $enc, VIP-sourced frames" \
		"to the balancer $back, to the client $cl"
	check "dsr: the balancer forwarded every client packet to the VIP ($fwd = $to)" \
		"to >= 3 * n && fwd == to"
	check "dsr: every forwarded packet left encapsulated ($enc = $fwd)" \
		"enc == fwd"
	check "dsr: no reply went to the balancer (VIP-sourced frames: $back1 in total)" \
		"back1 == 0"
	check "dsr: the replies reached the client straight from the backends ($cl >= $((3 * n)))" \
		"cl >= 3 * n"
}

# ---- long-lived connections ----------------------------------------------------
# hold_start VAR SPORT: a connection from the client kept open (a line
# every 100 ms, for at most 300 s); its pid in VAR, output in
# $TMP/hold.SPORT; its backend in HOLD_BACKEND. Non-zero if it did not
# start within WAIT_S.
hold_start() {
	local var=$1 sport=$2 hold_pid i
	HOLD_BACKEND=
	ns_spawn "$CLIENT_NS" hold_pid python3 "$CLIENT_PY" hold "$VIP4" "$PORT" \
		"$sport" 300 >"$TMP/hold.$sport" 2>&1 || return 1
	printf -v "$var" '%s' "$hold_pid"
	for ((i = 0; i < WAIT_S * 10; i++)); do
		HOLD_BACKEND=$(sed -n 's/^backend //p' "$TMP/hold.$sport")
		[ -n "$HOLD_BACKEND" ] && grep -q '^ok 3 ' "$TMP/hold.$sport" && return 0
		grep -q ERR "$TMP/hold.$sport" && break
		sleep 0.1
	done
	fail "long-lived connection from port $sport did not start:"
	show "$TMP/hold.$sport"
	return 1
}

# hold_answers SPORT: answers received so far.
hold_answers() {
	grep -c '^ok ' "$TMP/hold.$1"
}

# hold_alive WHAT SPORT: the connection answers (at least 10 more answers
# within 3 s), from the same backend, and has reported no error.
hold_alive() {
	local what=$1 sport=$2 a0 a1 i
	a0=$(hold_answers "$sport")
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		a1=$(hold_answers "$sport")
		[ "$a1" -ge $((a0 + 10)) ] && break
	done
	if [ "$a1" -ge $((a0 + 10)) ] && ! grep -q ERR "$TMP/hold.$sport"; then
		pass "$what: the live connection answers ($a0 -> $a1 answers, backend $(sed -n 's/^backend //p' "$TMP/hold.$sport"))"
		return 0
	fi
	fail "$what: the live connection stalled ($a0 -> $a1 answers):"
	tail -n 3 "$TMP/hold.$sport" | show
	return 1
}

# hold_stop WHAT PID SPORT: end it; it must report "done" and exit 0.
hold_stop() {
	local what=$1 pid=$2 sport=$3 rc
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < WAIT_S * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	if [ "$rc" = 0 ] && grep -q '^done ' "$TMP/hold.$sport"; then
		pass "$what: the live connection ran to the end without an error" \
			"($(hold_answers "$sport") answers, all from $(sed -n 's/^backend //p' "$TMP/hold.$sport"))"
	else
		fail "$what: the live connection ended with exit $rc:"
		tail -n 3 "$TMP/hold.$sport" | show
	fi
}

# ---- 4. draining ------------------------------------------------------------
test_drain() {
	local hold drained addr n_on
	hold_start hold 22000 || return
	drained=$HOLD_BACKEND
	addr=$(backend_addr "$drained" 4)
	ok_run drain "backend set $drained --state draining" \
		backend set "$SVC4" "$addr" --state draining || return
	pass "backend set $SVC4 $addr --state draining (the live connection is on $drained)"
	hold_alive "draining $drained" 22000
	expect_burst drain "$VIP4" 22100 100 "draining: new connections"
	n_on=$(awk -v b="$drained" '$2 == b' "$TMP/drain.conn" | wc -l)
	check "draining: no new connection landed on $drained ($n_on of 100; spread: $(tally "$TMP/drain.conn" | paste -sd ' '))" \
		"n_on == 0"
	simulate_ports drain "$CLIENT4" "$VIP4" 22200 50
	n_on=$(awk -v b="$drained" '$2 == b' "$TMP/drain.sim" | wc -l)
	check "draining: simulate names $drained for none of 50 new flows ($n_on)" \
		"n_on == 0"
	hold_alive "draining $drained, after the new connections" 22000
	hold_stop "draining" "$hold" 22000
	ok_run undrain "backend set $drained --state active" \
		backend set "$SVC4" "$addr" --state active &&
		pass "backend set $drained --state active"
}

# ---- 3. deleting a backend moves only its flows -------------------------------
DELETED=b2
test_del() {
	local addr same total stay moved kept_real n_del
	addr=$(backend_addr "$DELETED" 4)
	# pure Maglev: 200 flows never seen (no connection-table entry)
	simulate_ports del_before "$CLIENT4" "$VIP4" 24000 200
	# real connections, remembered by the connection table
	simulate_ports real_sim "$CLIENT4" "$VIP4" 23000 200
	expect_burst del_before "$VIP4" 23000 200 "before backend del" || return
	read -r same total <<<"$(agree real_sim.sim del_before.conn)"
	check "simulate: named the answering backend for $same of $total more connections" \
		"total == 200 && same == 200"

	ok_run bdel "backend del $DELETED" backend del "$SVC4" "$addr" || return
	pass "backend del $SVC4 $addr ($DELETED)"

	simulate_ports del_after "$CLIENT4" "$VIP4" 24000 200
	# Maglev's minimal disruption: flows on a surviving backend stay (the
	# paper measures a few percent of moved slots at worst: assert >= 95%);
	# every flow of the deleted backend moves to a survivor.
	join "$TMP/del_before.sim" "$TMP/del_after.sim" >"$TMP/del.join"
	read -r stay total <<<"$(awk -v d="$DELETED" '$2 != d { n++; if ($2 == $3) s++ } END { print s + 0, n + 0 }' "$TMP/del.join")"
	read -r moved n_del <<<"$(awk -v d="$DELETED" '$2 == d { n++; if ($3 != d && $3 != "none") s++ } END { print s + 0, n + 0 }' "$TMP/del.join")"
	echo "    simulate, 200 new flows: $n_del were on $DELETED; of the other" \
		"$total, $stay kept their backend"
	check "backend del (Maglev): >= 95% of the survivors' flows stay ($stay of $total)" \
		"total > 0 && stay * 100 >= total * 95"
	check "backend del (Maglev): all $n_del flows of $DELETED moved to a survivor ($moved)" \
		"n_del > 0 && moved == n_del"

	# the same 200 real flows again (new connections, same source ports)
	expect_burst del_after "$VIP4" 23000 200 "after backend del: the same 200 flows"
	join "$TMP/del_before.conn" "$TMP/del_after.conn" >"$TMP/del_real.join"
	read -r kept_real total <<<"$(awk -v d="$DELETED" '$2 != d { n++; if ($2 == $3) s++ } END { print s + 0, n + 0 }' "$TMP/del_real.join")"
	check "backend del (real): >= 95% of the survivors' flows kept their backend ($kept_real of $total)" \
		"total > 0 && kept_real * 100 >= total * 95"
	n_del=$(awk -v d="$DELETED" '$3 == d' "$TMP/del_real.join" | wc -l)
	check "backend del (real): none answered by $DELETED any more ($n_del; was $(awk -v d="$DELETED" '$2 == d' "$TMP/del_real.join" | wc -l))" \
		"n_del == 0"
	simulate_ports real_after "$CLIENT4" "$VIP4" 23000 200
	read -r same total <<<"$(agree real_after.sim del_after.conn)"
	check "simulate after backend del: $same of $total agree with the real backends" \
		"total == 200 && same == 200"
}

# ---- 5. no agent: new processes and SIGKILLed ones ---------------------------
# What this proves (the balancer has no long-running agent: the CLI is
# the agent, one short process per change, state pinned):
#  - the balancer forwards while no ebpfnet-lb process exists at all;
#  - a new process adopting the pinned state (backend add of the deleted
#    backend, a weight change) does not move a live connection: it keeps
#    answering from the same backend;
#  - processes killed with SIGKILL at various points of a change (service
#    add, backend set; 10 times each, from at once to after the end) leave: the lock free (the next command does not
#    hang), list --json valid, no half-made service (add then del works
#    whether or not the killed add got through), the live connection on
#    its backend, new connections answered where simulate says.
test_agentless() {
	local hold running addr b1 i delay pid svc_x listed same total killed
	if pgrep -f -- "--pin-root $ROOT" >/dev/null; then
		fail "agentless: an ebpfnet-lb process is running"
	else
		pass "agentless: no ebpfnet-lb process exists, the balancer forwards on its own"
	fi
	hold_start hold 25000 || return
	running=$HOLD_BACKEND
	ok_run readd "backend add $DELETED again" backend add "$SVC4" \
		"$(backend_addr "$DELETED" 4)" --weight 1 || return
	hold_alive "a new process added $DELETED back" 25000
	addr=$(backend_addr "$running" 4)
	ok_run reweight "backend set $running --weight 3" \
		backend set "$SVC4" "$addr" --weight 3 &&
		hold_alive "a new process set $running's weight to 3" 25000

	b1=$(backend_addr b1 4)
	svc_x="$VIP4:9/udp"
	i=0
	killed=0
	# a command takes some 50 ms here: the delays cover its whole run
	for delay in 0 0.005 0.01 0.02 0.03 0.04 0.05 0.06 0.08 0.1; do
		# no timeout(1) wrapper: SIGKILL must hit ebpfnet-lb itself
		"$BIN" --pin-root "$ROOT" service add "$svc_x" >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ $? = 137 ] && killed=$((killed + 1))
		"$BIN" --pin-root "$ROOT" backend set "$SVC4" "$b1" \
			--weight $((2 + i % 2)) >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ $? = 137 ] && killed=$((killed + 1))
		# a killed service add leaves the service whole or absent
		lb killed_list list --json
		listed=$(python3 - "$TMP/killed_list.out" "$VIP4" <<'EOF' 2>/dev/null
import json, sys
services = [e["service"] for e in json.load(open(sys.argv[1]))]
print("yes" if any(s["vip"] == sys.argv[2] and s["port"] == 9 and
                  s["proto"] == "udp" for s in services) else "no")
EOF
		)
		if [ "$RC" != 0 ] || [ -z "$listed" ]; then
			fail "SIGKILL after ${delay}s: list --json: exit $RC, not JSON:"
			show "$TMP/killed_list.out" "$TMP/killed_list.err"
			break
		fi
		if [ "$listed" = no ]; then
			ok_run killed_add "service add after a killed add (not listed)" \
				service add "$svc_x" || break
		fi
		ok_run killed_del "service del after a killed add" \
			service del "$svc_x" || break
		i=$((i + 1))
	done
	check "SIGKILL mid-change ($killed of 20 commands killed before they ended): list parses, no half-made service" \
		"i == 10 && killed > 0"
	ok_run b1w "backend set b1 --weight 1" backend set "$SVC4" "$b1" --weight 1 &&
		ok_run runw "backend set $running --weight back" backend set "$SVC4" \
			"$addr" --weight "${WEIGHTS[$(lb_dsr_backend "$running")]}" &&
		pass "weights restored after the killed commands"
	hold_alive "after the SIGKILLed commands" 25000
	simulate_ports killed "$CLIENT4" "$VIP4" 25100 30
	expect_burst killed "$VIP4" 25100 30 "after the SIGKILLed commands: new connections"
	read -r same total <<<"$(agree killed.sim killed.conn)"
	check "after the SIGKILLed commands: simulate agrees for $same of $total" \
		"total == 30 && same == 30"
	hold_stop "agentless" "$hold" 25000
}

# ---- 7. IPv6 ------------------------------------------------------------------
test_ipv6() {
	local i same total
	ok_run svc6 "service add $SVC6" service add "$SVC6" || return
	for i in "${!BACKENDS[@]}"; do
		ok_run badd6 "backend add ${BACKENDS[i]} (IPv6)" backend add "$SVC6" \
			"${BACKEND6[i]}" --weight "${WEIGHTS[i]}" || return
	done
	pass "service $SVC6 with backends ${BACKEND6[*]}"
	simulate_ports v6 "$CLIENT6" "$VIP6" 26000 20
	if ! expect_burst v6 "$VIP6" 26000 20 "IPv6 (IP6IP6)"; then
		lb stats stats --json
		echo "    balancer stats:" >&2
		show "$TMP/stats.out"
		return
	fi
	echo "    IPv6 spread: $(tally "$TMP/v6.conn" | paste -sd ' ')"
	read -r same total <<<"$(agree v6.sim v6.conn)"
	check "IPv6: simulate agrees for $same of $total" \
		"total == 20 && same == 20"
}

# ---- 8. detach ------------------------------------------------------------------
test_detach() {
	local i left filters
	for i in "${!BACKENDS[@]}"; do
		lb_in "${BACKEND_NS[i]}" undecap decap detach "${BACKEND_IF[i]}"
		filters=$(ns_exec "${BACKEND_NS[i]}" tc filter show dev "${BACKEND_IF[i]}" ingress)
		if [ "$RC" = 0 ] && [ -z "$filters" ]; then
			pass "decap detach ${BACKEND_IF[i]}: no TC ingress filter left"
		else
			fail "decap detach ${BACKEND_IF[i]}: exit $RC, filters: '$filters'"
			show "$TMP/undecap.err"
		fi
	done
	ok_run sdel6 "service del $SVC6" service del "$SVC6"
	ok_run sdel4 "service del $SVC4" service del "$SVC4"
	ok_run detach "detach $LB_IF" detach "$LB_IF" || return
	pass "detach: '$(cat "$TMP/detach.out")'"
	judge "detach: no XDP program on $LB_IF" \
		[ -z "$(ip -j -d link show dev "$LB_IF" | python3 -c '
import json, sys
print((json.load(sys.stdin)[0].get("xdp") or {}).get("mode") or "")')" ]
	left=$(pins_left)
	judge "detach: nothing pinned under the pin root" [ -z "$left" ] ||
		echo "$left" | show
}

test_setup || { echo "test_lb_cli: FAILED (setup)" >&2; exit 1; }
test_spread
test_dsr
test_drain
test_del
test_agentless
test_ipv6
test_detach

if [ "$FAILED" != 0 ]; then
	echo "test_lb_cli: FAILED" >&2
	exit 1
fi
echo "test_lb_cli: all passed"
