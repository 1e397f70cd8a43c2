#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# ebpfnet-drop over real traffic: a namespace "client" joined by a veth
# pair to the host, the filter on the host-side veth (private pin root).
# Every command is a separate process that exits: the pinned filter keeps
# working between them. Checked: attach (native) and status; an ICMP echo
# rule drops exactly the pings sent while TCP still flows; a count rule
# counts without dropping; del restores ping; IPv6; a pass rule beats a
# drop rule; sampled drop events; bad input fails with one line and
# changes nothing; detach leaves no XDP program, pin or BPF program.
# Root only. Every wait is bounded; cleanup always runs.
# shellcheck disable=SC2154  # c_* are set by netns_pair
set -u

: "${EBPFNET_SOURCE_ROOT:?run through meson test}"
: "${EBPFNET_BUILD_ROOT:?run through meson test}"
# shellcheck source=../lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root
# shellcheck source=../lib/netns.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/netns.sh"
netns_need ping python3 bpftool timeout

BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-drop"
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built" >&2; exit 1; }

# shellcheck source=../lib/cli_check.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/cli_check.sh"

WAIT_S=10   # longest wait for anything
TMP=$(mktemp -d /tmp/ebpfnet-drop-cli.XXXXXX) || exit 1
netns_on_exit rm -rf "$TMP"

netns_pair c || { echo "FAIL: cannot build the namespace and veth pair" >&2; exit 1; }
netns_bpffs ROOT || { echo "FAIL: cannot mount a private bpffs" >&2; exit 1; }
# What a fresh bpffs holds by itself (maps.debug and progs.debug when the
# kernel's bpf_preload is there): no pins of ours.
ROOT_FRESH=$(find "$ROOT" -mindepth 1 | sort)
# A backstop: should the test die half-way, detach before the pins go.
netns_on_exit "$BIN" --pin-root "$ROOT" detach "$c_hif"

# drop NAME ARGS...: run ebpfnet-drop (cli_run).
drop() {
	cli_run "$@"
}

# add_rule WHAT WORDS...: add a rule; its id in $ID (empty on failure).
add_rule() {
	local what=$1
	shift
	ID=
	ok_run add "$what" add "$@" || return 1
	if grep -qxE '[0-9]+' "$TMP/add.out" && [ "$(wc -l <"$TMP/add.out")" -eq 1 ]; then
		ID=$(cat "$TMP/add.out")
		pass "$what: rule $ID"
		return 0
	fi
	fail "$what: stdout is not one id:"
	show "$TMP/add.out"
	return 1
}

del_rule() {
	ok_run del "del $1" del "$1" && pass "del $1"
}

# pings FAMILY COUNT: ping the host from the client; replies in $REPLIES.
pings() {
	local family=$1 count=$2 dst=$c_host4
	[ "$family" = 6 ] && dst=$c_host6
	REPLIES=$(ns_exec "$c_ns" timeout -s KILL $((count + 5)) \
		ping "-$family" -n -q -c "$count" -i 0.2 -W 1 "$dst" 2>/dev/null |
		sed -nE 's/.* ([0-9]+) (packets )?received.*/\1/p')
	REPLIES=${REPLIES:-0}
}

# expect_pings FAMILY COUNT WANT WHAT
expect_pings() {
	pings "$1" "$2"
	if [ "$REPLIES" = "$3" ]; then
		pass "$4: $REPLIES of $2 replies"
	else
		fail "$4: $REPLIES of $2 replies, want $3"
	fi
}

# rule_packets ID: the packets counter of rule ID from `list --json`
# (empty when it is not listed).
rule_packets() {
	drop list list --json
	python3 - "$TMP/list.out" "$1" <<'EOF'
import json, sys
rules = json.load(open(sys.argv[1]))
for r in rules:
    if r["id"] == int(sys.argv[2]):
        print(r["packets"])
EOF
}

# expect_rule_packets ID WANT WHAT
expect_rule_packets() {
	local got
	got=$(rule_packets "$1")
	if [ "$got" = "$2" ]; then
		pass "$3: rule $1 counted $got packets"
	else
		fail "$3: rule $1 counted '${got}' packets, want $2"
		show "$TMP/list.out"
	fi
}

# stat_packets NAME: the packets of counter NAME from `stats --json`.
stat_packets() {
	drop stats stats --json
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["packets"])' \
		"$TMP/stats.out" "$1" 2>/dev/null
}

# The XDP program on the host-side veth: "MODE ID" (mode as the kernel's
# XDP_ATTACHED_* number: 1 native, 2 generic), or nothing.
xdp_on_veth() {
	ip -j -d link show dev "$c_hif" | python3 -c '
import json, sys
link = json.load(sys.stdin)[0]
xdp = link.get("xdp")
if xdp and xdp.get("mode"):
    print(xdp["mode"], xdp.get("prog", {}).get("id", 0))'
}

# ---- 0. no filter yet: reading creates nothing -----------------------------
test_fresh() {
	ok_run fresh_list "list --json without a filter" list --json &&
		judge "list --json without a filter: []" [ "$(cat "$TMP/fresh_list.out")" = "[]" ]
	drop fresh_status status
	one_error fresh_status 1 "status without a filter"
	drop fresh_del del 1
	one_error fresh_del 1 "del without a filter"
	judge "no filter: reading created no pin" [ -z "$(pins_left)" ]
}

# ---- 1. attach: native, status, the CLI exits and the filter stays ---------
test_attach() {
	local xdp
	ok_run attach "attach" attach "$c_hif" || return 1
	if [ "$(cat "$TMP/attach.out")" = "attached to $c_hif (native)" ]; then
		pass "attach: '$(cat "$TMP/attach.out")'"
	else
		fail "attach: stdout is not 'attached to $c_hif (native)':"
		show "$TMP/attach.out"
	fi
	ok_run attach2 "attach again (idempotent)" attach "$c_hif" &&
		cmp -s "$TMP/attach.out" "$TMP/attach2.out" &&
		pass "attach again: same answer"
	# the CLI has exited; the program is still on the interface
	if pgrep -f -- "--pin-root $ROOT" >/dev/null; then
		fail "attach: an ebpfnet-drop process is still running"
	fi
	xdp=$(xdp_on_veth)
	if [ "${xdp%% *}" = 1 ]; then
		pass "attach: native XDP program ${xdp#* } on $c_hif after the CLI exited"
	else
		fail "attach: no native XDP program on $c_hif ('$xdp')"
	fi
	ok_run status "status" status || return
	if grep -qE "^interface +$c_hif \(ifindex [0-9]+, native\)$" "$TMP/status.out"; then
		pass "status: $c_hif native"
	else
		fail "status: $c_hif native not shown:"
		show "$TMP/status.out"
	fi
	ok_run status_json "status --json" status --json || return
	if python3 - "$TMP/status_json.out" "$c_hif" "$ROOT" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["pin_root"] == sys.argv[3], s
ifs = s["interfaces"]
assert [i["name"] for i in ifs] == [sys.argv[2]], ifs
assert ifs[0]["mode"] == "native" and ifs[0]["ifindex"] > 0, ifs
assert s["rules"] == 0 and s["max_rules"] > 0, s
EOF
	then
		pass "status --json: one interface, native, no rules"
	else
		fail "status --json:"
		show "$TMP/status_json.out"
	fi
	expect_pings 4 2 2 "ping before any rule"
	expect_pings 6 2 2 "ping -6 before any rule"
}

# ---- 2. ICMP echo dropped, TCP still flows, counters exact -----------------
PORT=$((20000 + $$ % 20000))

# http_get: one HTTP GET from the client to a bounded server on the host
# side; the status code on stdout.
http_get() {
	local server code=""
	timeout -s KILL 15 python3 -m http.server --bind "$c_host4" "$PORT" \
		--directory "$TMP" >/dev/null 2>&1 &
	server=$!
	for ((i = 0; i < WAIT_S * 10; i++)); do
		code=$(ns_exec "$c_ns" timeout -s KILL 5 python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=3).status)' \
			"http://$c_host4:$PORT/" 2>/dev/null) && break
		sleep 0.1
	done
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	echo "$code"
}

ECHO4=
test_icmp_drop() {
	local dropped
	add_rule "add proto icmp icmp-type echo-request" \
		proto icmp icmp-type echo-request || return
	ECHO4=$ID
	expect_pings 4 5 0 "ping with the echo rule (a separate process added it)"
	if [ "$(http_get)" = 200 ]; then
		pass "TCP: HTTP GET from the client still answered"
	else
		fail "TCP: HTTP GET from the client failed"
	fi
	expect_rule_packets "$ECHO4" 5 "list --json"
	dropped=$(stat_packets dropped)
	if [ "${dropped:-0}" -ge 5 ]; then
		pass "stats: dropped.packets $dropped >= 5"
	else
		fail "stats: dropped.packets '$dropped' < 5"
		show "$TMP/stats.out"
	fi
	ok_run list_text "list" list || return
	if grep -qE "^$ECHO4	.*icmp.*	5 packets	[0-9]+ bytes$" "$TMP/list_text.out"; then
		pass "list: '$(grep -E "^$ECHO4	" "$TMP/list_text.out")'"
	else
		fail "list: no line for rule $ECHO4 with 5 packets:"
		show "$TMP/list_text.out"
	fi
}

# ---- 3. a count rule counts and lets the datagrams through -----------------
test_count() {
	local uport=$((PORT + 1)) rx got counted
	add_rule "add --action count proto udp dst-port $uport" \
		--action count proto udp dst-port "$uport" || return
	timeout -s KILL 15 python3 - "$c_host4" "$uport" >"$TMP/udp.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(10)
n = 0
try:
    while n < 3:
        s.recvfrom(2048)
        n += 1
except socket.timeout:
    pass
print(n, flush=True)
EOF
	rx=$!
	for ((i = 0; i < WAIT_S * 10; i++)); do
		ss -Hlun "src $c_host4:$uport" | grep -q . && break
		sleep 0.1
	done
	ns_exec "$c_ns" timeout -s KILL 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b"ebpfnet-count-%d" % i, (sys.argv[1], int(sys.argv[2])))' \
		"$c_host4" "$uport"
	wait "$rx"
	got=$(cat "$TMP/udp.out")
	if [ "$got" = 3 ]; then
		pass "count rule: 3 of 3 datagrams arrived"
	else
		fail "count rule: '$got' of 3 datagrams arrived"
	fi
	expect_rule_packets "$ID" 3 "count rule"
	counted=$(stat_packets counted)
	if [ "${counted:-0}" -ge 3 ]; then
		pass "stats: counted.packets $counted >= 3"
	else
		fail "stats: counted.packets '$counted' < 3"
	fi
	del_rule "$ID"
}

# ---- 4. deleting the rule restores ping ------------------------------------
test_del() {
	[ -n "$ECHO4" ] || { fail "del: no echo rule to delete"; return; }
	del_rule "$ECHO4"
	expect_pings 4 5 5 "ping after del"
	judge "list: rule $ECHO4 is gone" [ -z "$(rule_packets "$ECHO4")" ]
}

# ---- 5. IPv6 ----------------------------------------------------------------
test_ipv6() {
	add_rule "add proto icmpv6 icmp-type echo-request" \
		proto icmpv6 icmp-type echo-request || return
	expect_pings 6 5 0 "ping -6 with the icmpv6 echo rule"
	expect_pings 4 2 2 "ping (IPv4) with the icmpv6 echo rule"
	expect_rule_packets "$ID" 5 "icmpv6 echo rule"
	del_rule "$ID"
	expect_pings 6 2 2 "ping -6 after del"
}

# ---- 6. a pass rule beats a drop rule --------------------------------------
test_pass_beats_drop() {
	local drop_id pass_id
	add_rule "add src $c_net16" src "$c_net16" || return
	drop_id=$ID
	add_rule "add --action pass src $c_peer4/32" --action pass src "$c_peer4/32" || return
	pass_id=$ID
	expect_pings 4 3 3 "ping with drop $c_net16 and pass $c_peer4/32"
	del_rule "$pass_id"
	expect_pings 4 3 0 "ping with drop $c_net16 alone"
	del_rule "$drop_id"
}

# ---- 7. sampled drop events -------------------------------------------------
test_events() {
	local ev pinger rc
	ok_run rate "set event-rate 100" set event-rate 100 || return
	add_rule "add echo rule for events" proto icmp icmp-type echo-request || return
	timeout -s KILL 20 "$BIN" --pin-root "$ROOT" events --json --count 1 \
		>"$TMP/events.out" 2>"$TMP/events.err" &
	ev=$!
	ns_spawn "$c_ns" pinger ping -n -q -i 0.2 -W 1 -w 15 "$c_host4" >/dev/null 2>&1
	wait "$ev"
	rc=$?
	kill "$pinger" 2>/dev/null
	wait "$pinger" 2>/dev/null
	if [ "$rc" = 0 ] && [ "$(wc -l <"$TMP/events.out")" -eq 1 ] &&
	   python3 - "$TMP/events.out" "$ID" "$(cat "/sys/class/net/$c_hif/ifindex")" <<'EOF'
import json, sys
e = json.loads(open(sys.argv[1]).read())
assert e["rule"] == int(sys.argv[2]) and e["ifindex"] == int(sys.argv[3]), e
assert e["reason"] == "rule" and e["len"] > 0 and e["data"], e
EOF
	then
		pass "events --count 1: one JSON event of rule $ID, exit 0"
	else
		fail "events --count 1: exit $rc, output:"
		show "$TMP/events.out" "$TMP/events.err"
	fi
	# text, ended by SIGINT
	timeout -s KILL 20 "$BIN" --pin-root "$ROOT" events >"$TMP/events2.out" \
		2>"$TMP/events2.err" &
	ev=$!
	sleep 1
	kill -INT "$ev"
	wait "$ev"
	rc=$?
	judge "events: exit 0 after SIGINT (exit $rc)" [ "$rc" = 0 ]
	drop events3 events --duration 1
	judge "events --duration 1: exit 0 (exit $RC)" [ "$RC" = 0 ]
	del_rule "$ID"
}

# ---- 8. bad input: one line, exit 1 (2 for usage), nothing changed ----------
# snapshot NAME: status and rules (without counters) into $TMP/NAME.snap
snapshot() {
	drop snap_status status --json
	drop snap_list list --json
	{
		cat "$TMP/snap_status.out"
		python3 -c 'import json,sys; print([(r["id"], r["rule"]) for r in json.load(open(sys.argv[1]))])' \
			"$TMP/snap_list.out"
	} >"$TMP/$1.snap"
}

# one_error NAME WANT WHAT: exit WANT (1 or 2) with the one error line (and
# for 2 the "Try" line), nothing on stdout.
one_error() {
	local name=$1 want=$2 what=$3 lines=1
	[ "$want" = 2 ] && lines=2
	if [ "$RC" = "$want" ] && [ "$(wc -l <"$TMP/$name.err")" -eq "$lines" ] &&
	   head -n 1 "$TMP/$name.err" | grep -q '^ebpfnet-drop: error: ' &&
	   { [ "$want" = 1 ] || [ "$(tail -n 1 "$TMP/$name.err")" = "Try 'ebpfnet-drop --help'." ]; } &&
	   [ ! -s "$TMP/$name.out" ]; then
		pass "$what: exit $RC, '$(head -n 1 "$TMP/$name.err")'"
	else
		fail "$what: exit $RC (want $want), stderr:"
		show "$TMP/$name.err"
	fi
}

test_bad_input() {
	local args
	add_rule "a rule to keep" proto tcp dst-port 9 || return
	snapshot before
	drop missing attach "nosuch$$"
	one_error missing 1 "attach to a missing interface"
	for args in "dst-port 70000" "src 10.0.0.1/33" "sig l4+8:abc" "frobnicate" \
		    "--action explode proto tcp"; do
		# shellcheck disable=SC2086
		drop bad add $args
		one_error bad 1 "add $args"
	done
	drop del999 del 999
	one_error del999 1 "del 999"
	for args in "add" "del abc" "del 0" "bogus" "attach" "list extra" \
		    "list --mode native" "--mode native list" "set frag maybe" \
		    "set volume 11" "events --count 0" "--frob list"; do
		# shellcheck disable=SC2086
		drop usage $args
		one_error usage 2 "usage '$args'"
	done
	snapshot after
	if cmp -s "$TMP/before.snap" "$TMP/after.snap"; then
		pass "bad input changed nothing (status and rules identical)"
	else
		fail "bad input changed the state:"
		diff "$TMP/before.snap" "$TMP/after.snap" | show
	fi
	del_rule "$ID"
	drop help --help
	judge "--help: exit 0 (exit $RC)" [ "$RC" = 0 ]
	judge "--help: usage on stdout" grep -q '^Usage: ebpfnet-drop' "$TMP/help.out"
}

# ---- 9. detach leaves nothing -----------------------------------------------
# Our BPF programs: the one on the veth, those in the chain, and those
# using a map pinned under our root.
our_prog_ids() {
	local f on_veth maps=()
	on_veth=$(xdp_on_veth | cut -d' ' -f2)
	while IFS= read -r f; do
		maps+=("$(bpftool -j map show pinned "$f" 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)")
	done < <(find "$ROOT" -type f)
	bpftool -j prog show | python3 -c '
import json, sys
prog = int(sys.argv[1] or 0)
maps = {int(m) for m in sys.argv[2:] if m}
for p in json.load(sys.stdin):
    if p["id"] == prog or maps & set(p.get("map_ids", [])):
        print(p["id"], p.get("name", ""))' "$on_veth" "${maps[@]}"
}

test_detach() {
	local before left i xdp
	our_prog_ids >"$TMP/progs"
	before=$(cut -d' ' -f1 "$TMP/progs" | paste -sd ' ')
	if grep -qE ' (drop_xdp|xdp_dispatch)' "$TMP/progs"; then
		pass "before detach: our programs: $(paste -sd ',' "$TMP/progs")"
	else
		fail "before detach: drop_xdp/xdp_dispatch not found among our programs:"
		show "$TMP/progs"
	fi
	ok_run detach "detach" detach "$c_hif" || return
	[ "$(cat "$TMP/detach.out")" = "detached from $c_hif" ] ||
		fail "detach: stdout '$(cat "$TMP/detach.out")'"
	xdp=$(xdp_on_veth)
	judge "detach: no XDP program on $c_hif ('$xdp')" [ -z "$xdp" ]
	left=$(pins_left)
	judge "detach: nothing left under the pin root" [ -z "$left" ] ||
		echo "$left" | show
	# programs are freed once the last reference goes (RCU): bounded wait
	for ((i = 0; i < WAIT_S * 10; i++)); do
		left=$(bpftool -j prog show | python3 -c '
import json, sys
ids = set(sys.argv[1].split())
print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if str(p["id"]) in ids))' "$before")
		[ -z "$left" ] && break
		sleep 0.1
	done
	judge "detach: programs $before are gone (left: '$left')" [ -z "$left" ]
	expect_pings 4 2 2 "ping after detach"

	# forced generic mode, then detach again: nothing left either
	ok_run generic "attach --mode generic" attach "$c_hif" --mode generic
	judge "attach --mode generic: '$(cat "$TMP/generic.out")'" \
		[ "$(cat "$TMP/generic.out")" = "attached to $c_hif (generic)" ]
	xdp=$(xdp_on_veth)
	judge "attach --mode generic: generic XDP on $c_hif ('$xdp')" [ "${xdp%% *}" = 2 ]
	ok_run detach2 "detach (generic)" detach "$c_hif"
	judge "detach (generic): no XDP program" [ -z "$(xdp_on_veth)" ]
	judge "detach (generic): no pins" [ -z "$(pins_left)" ]
}

test_fresh
test_attach
test_icmp_drop
test_count
test_del
test_ipv6
test_pass_beats_drop
test_events
test_bad_input
test_detach

if [ "$FAILED" != 0 ]; then
	echo "test_drop_cli: FAILED" >&2
	exit 1
fi
echo "test_drop_cli: all passed"
