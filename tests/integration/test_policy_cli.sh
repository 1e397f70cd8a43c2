#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# ebpfnet-policy over real TCP traffic: three workloads (frontend, backend,
# db), each a namespace joined to the host by a veth pair whose host side
# is its endpoint, and an outside client (a namespace that is no
# endpoint); the host routes between them. Every command is a separate
# process that exits (private pin root): the pinned policy keeps being
# enforced between them. Checked: before any policy everything connects;
# the classic policy (frontend -> backend:80, backend -> db:5432, nothing
# else) as CiliumNetworkPolicy gives the expected matrix of connections,
# data flowing both ways on the allowed ones; trace agrees; the counters;
# a deny rule beats the allow and live verdicts name it; a CIDR rule lets
# the outside client in; an update takes effect on new connections and
# cuts an established one it no longer allows; the same policy as
# Kubernetes NetworkPolicy gives the same matrix; bad input fails with one
# line and changes nothing; JSON output parses; removing everything leaves
# no pin. With ebpfnet-flow built: flow shows the denied packets.
# Root only. Every wait is bounded; cleanup always runs.
# shellcheck disable=SC2154  # fe_*, be_*, db_*, out_* are set by netns_pair
set -u

: "${EBPFNET_SOURCE_ROOT:?run through meson test}"
: "${EBPFNET_BUILD_ROOT:?run through meson test}"
# shellcheck source=../lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root
# shellcheck source=../lib/netns.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/netns.sh"
netns_need python3 timeout tc sysctl

BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-policy"
FLOW_BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-flow"
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built" >&2; exit 1; }
FIXTURES="$EBPFNET_SOURCE_ROOT/tests/integration/policy"
TCP="$FIXTURES/policy_tcp.py"

# shellcheck source=../lib/cli_check.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/cli_check.sh"

WAIT_S=10   # longest wait for anything
TMP=$(mktemp -d /tmp/ebpfnet-policy-cli.XXXXXX) || exit 1
netns_on_exit rm -rf "$TMP"

WORKLOADS=(fe be db)                 # the endpoints
declare -A LABEL=([fe]=frontend [be]=backend [db]=db)
declare -A PORT=([fe]=8080 [be]=80 [db]=5432)   # what each one serves

for w in "${WORKLOADS[@]}" out; do
	netns_pair "$w" || { echo "FAIL: cannot build the namespaces and veth pairs" >&2; exit 1; }
done
netns_bpffs ROOT || { echo "FAIL: cannot mount a private bpffs" >&2; exit 1; }
ROOT_FRESH=$(find "$ROOT" -mindepth 1 | sort)

# The host routes between the namespaces (each has its own /24).
FORWARD_WAS=$(sysctl -n net.ipv4.ip_forward)
netns_on_exit sysctl -qw "net.ipv4.ip_forward=$FORWARD_WAS"
sysctl -qw net.ipv4.ip_forward=1
for w in "${WORKLOADS[@]}" out; do
	ns=${w}_ns host=${w}_host4
	ns_exec "${!ns}" ip route add default via "${!host}" ||
		{ echo "FAIL: cannot route from $w" >&2; exit 1; }
done
# Backstops, should the test die half-way: endpoints gone before the pins.
for w in "${WORKLOADS[@]}"; do
	hif=${w}_hif
	netns_on_exit "$BIN" --pin-root "$ROOT" endpoint del "${!hif}"
done

# pol NAME ARGS...: run ebpfnet-policy (cli_run).
pol() {
	cli_run "$@"
}

var() {
	local v="$1_$2"
	echo "${!v}"
}

# ---- traffic ---------------------------------------------------------------

# Every workload serves all three ports: a verdict is the policy's, never a
# missing server's.
start_servers() {
	# shellcheck disable=SC2034  # pid: set by ns_spawn (it kills them at cleanup)
	local w pid i
	for w in "${WORKLOADS[@]}"; do
		ns_spawn "$(var "$w" ns)" pid python3 "$TCP" serve --for 600 80 5432 8080 \
			>/dev/null 2>&1 || return 1
	done
	for w in "${WORKLOADS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			python3 "$TCP" connect "$(var "$w" peer4)" 80 >/dev/null && break
			sleep 0.1
		done
		[ $i -lt 50 ] || return 1
	done
}

# The pairs: every source (the workloads and the outside client) to every
# other workload's service.
PAIRS=()
for src in fe be db out; do
	for dst in "${WORKLOADS[@]}"; do
		[ "$src" = "$dst" ] || PAIRS+=("$src>$dst")
	done
done

# matrix WHAT ALLOWED...: every pair connects (all at once); exactly the
# pairs ALLOWED ("fe>be" ...) exchange data both ways, the others fail.
matrix() {
	local what=$1 pair src dst want got bad=0
	local -A pids=()
	shift
	for pair in "${PAIRS[@]}"; do
		src=${pair%>*} dst=${pair#*>}
		ns_exec "$(var "$src" ns)" timeout -s KILL "$WAIT_S" python3 "$TCP" connect \
			"$(var "$dst" peer4)" "${PORT[$dst]}" >"$TMP/pair.$src.$dst" 2>&1 &
		pids[$pair]=$!
	done
	for pair in "${PAIRS[@]}"; do
		src=${pair%>*} dst=${pair#*>}
		wait "${pids[$pair]}"
		got=denied
		grep -qx allowed "$TMP/pair.$src.$dst" && got=allowed
		want=denied
		[[ " $* " == *" $pair "* ]] && want=allowed
		if [ "$got" != "$want" ]; then
			fail "$what: $src -> $dst:${PORT[$dst]} $got, want $want"
			show "$TMP/pair.$src.$dst"
			bad=1
		fi
	done
	[ $bad = 0 ] && pass "$what: ${#PAIRS[@]} connections, allowed exactly: ${*:-all denied}"
}

ALL_PAIRS=("${PAIRS[@]}")
CLASSIC=("fe>be" "be>db")

# connect_one SRC DST [PORT]: one connection; "allowed" or "denied".
connect_one() {
	local port=${3:-${PORT[$2]}}
	if ns_exec "$(var "$1" ns)" timeout -s KILL "$WAIT_S" python3 "$TCP" connect \
		"$(var "$2" peer4)" "$port" >/dev/null 2>&1; then
		echo allowed
	else
		echo denied
	fi
}

# expect_connect WHAT SRC DST PORT WANT
expect_connect() {
	local got
	got=$(connect_one "$2" "$3" "$4")
	judge "$1: $2 -> $3:$4 $got (want $5)" [ "$got" = "$5" ]
}

# ---- checks on the CLI's output -------------------------------------------

# one_error NAME CODE WHAT: exit CODE, one error line (and the --help hint
# for usage errors), nothing on stdout.
one_error() {
	local name=$1 want=$2 what=$3 lines=1
	[ "$want" = 2 ] && lines=2
	if [ "$RC" = "$want" ] && [ "$(wc -l <"$TMP/$name.err")" -eq "$lines" ] &&
	   head -n 1 "$TMP/$name.err" | grep -q '^ebpfnet-policy: error: ' &&
	   { [ "$want" = 1 ] || [ "$(tail -n 1 "$TMP/$name.err")" = "Try 'ebpfnet-policy --help'." ]; } &&
	   [ ! -s "$TMP/$name.out" ]; then
		pass "$what: exit $RC, '$(head -n 1 "$TMP/$name.err")'"
		return 0
	fi
	fail "$what: exit $RC (want $want), stderr:"
	show "$TMP/$name.err"
	return 1
}

# json_ok NAME WHAT ARGS...: the command succeeds and its stdout parses.
json_ok() {
	local name=$1 what=$2
	shift 2
	ok_run "$name" "$what" "$@" || return 1
	if python3 -m json.tool "$TMP/$name.out" >/dev/null 2>"$TMP/$name.json_err"; then
		pass "$what: valid JSON"
		return 0
	fi
	fail "$what: not JSON:"
	show "$TMP/$name.out" "$TMP/$name.json_err"
	return 1
}

# rule_field POLICY FIELD [DENY]: FIELD summed over POLICY's rules (only
# its deny rules when DENY is given), from `verdicts --json`.
rule_field() {
	pol verdicts verdicts --json
	python3 - "$TMP/verdicts.out" "$@" <<'EOF'
import json, sys
rules = json.load(open(sys.argv[1]))
deny_only = len(sys.argv) > 4
print(sum(r[sys.argv[3]] for r in rules
          if r["policy"] == sys.argv[2] and (r["deny"] or not deny_only)))
EOF
}

# stat NAME: a counter of `status --json`.
stat() {
	pol status status --json
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$TMP/status.out" "$1" 2>/dev/null
}

# expect_trace WHAT FROM TO PORT WANT(0 allowed, 3 denied)
expect_trace() {
	local what=$1 from=$2 to=$3 port=$4 want=$5 verdict=ALLOWED
	[ "$want" = 3 ] && verdict=DENIED
	pol trace trace --from "$from" --to "$to" --port "$port"
	if [ "$RC" = "$want" ] && [ ! -s "$TMP/trace.err" ] &&
	   grep -qx "verdict: $verdict" "$TMP/trace.out"; then
		pass "trace $what: $from -> $to $port: exit $RC, $verdict"
		return 0
	fi
	fail "trace $what: $from -> $to $port: exit $RC (want $want):"
	show "$TMP/trace.out" "$TMP/trace.err"
	return 1
}

snapshot() {
	pol "snap_$1" list --json
	cp "$TMP/snap_$1.out" "$TMP/snap_list_$1"
	pol "snap_$1" endpoint list --json
	cp "$TMP/snap_$1.out" "$TMP/snap_eps_$1"
}

# delete_all: every policy listed, deleted.
delete_all() {
	local name
	pol names list --json
	for name in $(python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))))' "$TMP/names.out"); do
		ok_run delete "delete $name" delete "$name" || return 1
	done
	pol names list --json
	judge "every policy deleted: list --json is []" [ "$(cat "$TMP/names.out")" = "[]" ]
}

# ---- 0. nothing yet --------------------------------------------------------
test_fresh() {
	ok_run fresh_list "list --json without state" list --json &&
		judge "list --json without state: []" [ "$(cat "$TMP/fresh_list.out")" = "[]" ]
	ok_run fresh_eps "endpoint list --json without state" endpoint list --json &&
		judge "endpoint list --json without state: []" [ "$(cat "$TMP/fresh_eps.out")" = "[]" ]
	pol fresh_status status
	one_error fresh_status 1 "status without state"
	pol fresh_delete delete backend
	one_error fresh_delete 1 "delete without state"
	judge "no state: reading created no pin" [ -z "$(pins_left)" ]
}

# ---- 1. endpoints: added, listed; no policy, everything connects -----------
test_endpoints() {
	local w
	for w in "${WORKLOADS[@]}"; do
		ok_run ep_add "endpoint add $w" endpoint add "$(var "$w" hif)" \
			--ip "$(var "$w" peer4)" --labels "app=${LABEL[$w]}" || return 1
		if grep -qE "^$(var "$w" hif): identity [0-9]+ \(app=${LABEL[$w]},k8s:io.kubernetes.pod.namespace=default\)$" \
			"$TMP/ep_add.out"; then
			pass "endpoint add $w: '$(cat "$TMP/ep_add.out")'"
		else
			fail "endpoint add $w: unexpected output:"
			show "$TMP/ep_add.out"
		fi
	done
	json_ok eps "endpoint list --json" endpoint list --json &&
		judge "endpoint list: three endpoints, none enforced yet" python3 - "$TMP/eps.out" <<'EOF'
import json, sys
eps = json.load(open(sys.argv[1]))
assert len(eps) == 3, eps
assert all(not e["ingress_enforced"] and not e["egress_enforced"] for e in eps), eps
assert len({e["identity"] for e in eps}) == 3, eps
EOF
	# the TC programs are on the host side of each workload's veth
	for w in "${WORKLOADS[@]}"; do
		judge "tc ingress and egress programs on $w's interface" \
			bash -c "tc filter show dev $(var "$w" hif) ingress | grep -q bpf &&
				 tc filter show dev $(var "$w" hif) egress | grep -q bpf"
	done
	matrix "no policy yet" "${ALL_PAIRS[@]}"
}

# ---- 2. the classic policy as CiliumNetworkPolicy --------------------------
test_classic_cnp() {
	local denied_before denied_after
	denied_before=$(stat denied)
	ok_run apply "apply classic-cnp.yaml" apply "$FIXTURES/classic-cnp.yaml" || return 1
	pass "apply classic-cnp.yaml"
	matrix "classic CNP" "${CLASSIC[@]}"
	expect_trace "classic" app=frontend "$(var be peer4)" 80 0
	expect_trace "classic" app=frontend app=db 5432/tcp 3
	expect_trace "classic" "$(var be peer4)" app=db 5432 0
	expect_trace "classic" app=db app=frontend 8080 3
	expect_trace "classic" "$(var out peer4)" app=backend 80 3
	expect_trace "classic (not the allowed port)" app=frontend app=backend 81 3
	expect_trace "classic (icmp)" app=frontend app=backend icmp 3
	# the counters: denied SYNs node-wide, the connections the rules allowed
	denied_after=$(stat denied)
	judge "status: denied grew by the denied SYNs ($denied_before -> $denied_after)" \
		[ "${denied_after:-0}" -gt "${denied_before:-0}" ]
	judge "verdicts: backend's rules allowed connections" \
		[ "$(rule_field default/backend allowed)" -ge 1 ]
	judge "verdicts: db's rules allowed connections" \
		[ "$(rule_field default/db allowed)" -ge 1 ]
	json_ok list "list --json" list --json &&
		judge "list: three policies, with their rules" python3 - "$TMP/list.out" <<'EOF'
import json, sys
pols = {p["name"]: p for p in json.load(open(sys.argv[1]))}
assert set(pols) == {"default/frontend", "default/backend", "default/db"}, pols
assert all(p["kind"] == "CiliumNetworkPolicy" and p["endpoints"] == 1 for p in pols.values())
assert len(pols["default/backend"]["rules"]) == 2, pols
EOF
	ok_run list_yaml "list --yaml" list --yaml &&
		judge "list --yaml: the three documents as applied" \
			[ "$(grep -c '^kind: CiliumNetworkPolicy$' "$TMP/list_yaml.out")" = 3 ]
	json_ok status "status --json" status --json
	json_ok verdicts "verdicts --json" verdicts --json
	json_ok eps "endpoint list --json" endpoint list --json &&
		judge "endpoint list: all three enforced both ways" python3 - "$TMP/eps.out" <<'EOF'
import json, sys
eps = json.load(open(sys.argv[1]))
assert all(e["ingress_enforced"] and e["egress_enforced"] for e in eps), eps
EOF
}

# ---- 3. a deny rule beats the allow; live verdicts name it -----------------
test_deny() {
	local follower deny_id
	ok_run apply "apply deny.yaml" apply "$FIXTURES/deny.yaml" || return 1
	pol deny_rules verdicts --json
	deny_id=$(python3 -c 'import json,sys; print(next(r["id"] for r in json.load(open(sys.argv[1])) if r["policy"] == "default/deny-frontend"))' \
		"$TMP/deny_rules.out")
	timeout -s KILL 20 "$BIN" --pin-root "$ROOT" verdicts --follow --json --duration 4 \
		>"$TMP/follow.out" 2>"$TMP/follow.err" </dev/null &
	follower=$!
	sleep 1
	matrix "classic + deny frontend -> backend:80" "be>db"
	expect_trace "deny" app=frontend app=backend 80 3
	wait "$follower"
	judge "verdicts --follow --json: exit 0" [ $? = 0 ]
	judge "verdicts --follow --json: a DENIED verdict by deny rule $deny_id" python3 - \
		"$TMP/follow.out" "$deny_id" "$(var be hif)" <<'EOF'
import json, sys
seen = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert any(v["verdict"] == "DENIED" and v["rule_id"] == int(sys.argv[2]) and
           v["ifname"] == sys.argv[3] and v["traffic_direction"] == "INGRESS"
           for v in seen), seen
EOF
	judge "verdicts: the deny rule counted the denied SYNs" \
		[ "$(rule_field default/deny-frontend denied deny)" -ge 1 ]
	test_flow_sees_denied "$deny_id"
	ok_run delete "delete deny-frontend" delete deny-frontend &&
		matrix "deny rule deleted" "${CLASSIC[@]}"
}

# With ebpfnet-flow built: its observer on backend's interface (same pin
# root) shows the denied SYN as a DROPPED policy verdict by the deny rule
# (Hubble's POLICY_DENY: "Policy denied by denylist").
test_flow_sees_denied() {
	local observer deny_id=$1
	[ -x "$FLOW_BIN" ] || return 0
	if ! timeout -s KILL "$WAIT_S" "$FLOW_BIN" --pin-root "$ROOT" attach "$(var be hif)" \
		>"$TMP/flow_attach.out" 2>&1; then
		fail "ebpfnet-flow attach to backend's interface:"
		show "$TMP/flow_attach.out"
		return 1
	fi
	netns_on_exit "$FLOW_BIN" --pin-root "$ROOT" detach "$(var be hif)"
	timeout -s KILL 20 "$FLOW_BIN" --pin-root "$ROOT" observe --follow --json \
		--duration 4 >"$TMP/flow.out" 2>"$TMP/flow.err" </dev/null &
	observer=$!
	sleep 1
	expect_connect "under flow's eyes" fe be 80 denied
	wait "$observer"
	judge "ebpfnet-flow observe: the SYN DROPPED by a policy verdict of rule $deny_id" \
		python3 - "$TMP/flow.out" "$deny_id" <<'PY' || show "$TMP/flow.out" "$TMP/flow.err"
import sys
lines = [l for l in open(sys.argv[1])
         if '"verdict":"DROPPED"' in l and '"drop_reason_desc":"POLICY_DENY"' in l
         and '"policy_match_type"' in l and '"rule_id":%s,' % sys.argv[2] in l]
assert lines
PY
	timeout -s KILL "$WAIT_S" "$FLOW_BIN" --pin-root "$ROOT" detach "$(var be hif)" \
		>"$TMP/flow_detach.out" 2>&1 ||
		{ fail "ebpfnet-flow detach"; show "$TMP/flow_detach.out"; }
}

# ---- 4. a CIDR rule lets the outside client in -----------------------------
test_cidr() {
	sed "s|@OUTSIDE_NET@|$(var out net4)|" "$FIXTURES/cidr.yaml.in" >"$TMP/cidr.yaml"
	# (cli_run reads /dev/null: this one is run by hand)
	timeout -s KILL "$WAIT_S" "$BIN" --pin-root "$ROOT" apply - <"$TMP/cidr.yaml" \
		>"$TMP/cidr.out" 2>"$TMP/cidr.err"
	judge "apply - (cidr.yaml on stdin): exit 0" [ $? = 0 ] || show "$TMP/cidr.err"
	matrix "classic + CIDR rule for the outside client" "${CLASSIC[@]}" "out>be"
	expect_trace "CIDR" "$(var out peer4)" app=backend 80 0
	ok_run delete "delete outside-to-backend" delete outside-to-backend &&
		expect_connect "CIDR rule deleted" out be 80 denied
}

# ---- 5. an update: new connections, and an established one cut ------------
test_update() {
	local holder i
	ns_spawn "$(var fe ns)" holder python3 "$TCP" hold "$(var be peer4)" 80 30 \
		>"$TMP/hold.log" 2>&1
	for ((i = 0; i < 50; i++)); do
		grep -q '^up$' "$TMP/hold.log" && break
		sleep 0.1
	done
	sleep 1
	judge "a long connection frontend -> backend:80 is up and flowing" \
		bash -c "grep -qx up '$TMP/hold.log' && ! grep -q cut '$TMP/hold.log'" ||
		show "$TMP/hold.log"
	ok_run apply "apply update.yaml (frontend -> backend moves to 8080)" \
		apply "$FIXTURES/update.yaml" || return 1
	for ((i = 0; i < 50; i++)); do
		grep -q '^cut' "$TMP/hold.log" && break
		sleep 0.1
	done
	judge "the established connection is cut once no longer allowed: '$(tail -n 1 "$TMP/hold.log")'" \
		grep -q '^cut after' "$TMP/hold.log"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	expect_connect "after the update" fe be 80 denied
	expect_connect "after the update" fe be 8080 allowed
	expect_trace "after the update" app=frontend app=backend 8080 0
	expect_connect "after the update, untouched" be db 5432 allowed
}

# ---- 6. the same policy as Kubernetes NetworkPolicy ------------------------
test_classic_k8s() {
	delete_all || return 1
	matrix "all policies deleted" "${ALL_PAIRS[@]}"
	ok_run apply "apply classic-k8s.yaml" apply "$FIXTURES/classic-k8s.yaml" || return 1
	pass "apply classic-k8s.yaml"
	matrix "classic NetworkPolicy" "${CLASSIC[@]}"
	expect_trace "k8s" app=frontend app=backend 80 0
	expect_trace "k8s" app=backend app=frontend 8080 3
	expect_trace "k8s" app=db app=backend 80 3
	json_ok list "list --json (NetworkPolicy)" list --json &&
		judge "list: three NetworkPolicy" python3 - "$TMP/list.out" <<'EOF'
import json, sys
pols = json.load(open(sys.argv[1]))
assert sorted(p["name"] for p in pols) == ["default/backend", "default/db", "default/frontend"]
assert all(p["kind"] == "NetworkPolicy" for p in pols), pols
EOF
}

# ---- 7. bad input: one line, and nothing changed ---------------------------
test_bad_input() {
	local line
	snapshot before
	pol bad endpoint add "nosuch$$" --ip 10.9.9.9 --labels app=x
	one_error bad 1 "endpoint add on a missing interface"
	pol bad endpoint add "$(var out hif)" --ip 10.9.9.300 --labels app=x
	one_error bad 2 "endpoint add --ip 10.9.9.300"
	pol bad endpoint add "$(var out hif)" --ip 10.9.9.9 --labels 'app=x,=y'
	one_error bad 1 "endpoint add --labels 'app=x,=y'"
	pol bad endpoint add "$(var out hif)" --ip "$(var fe peer4)" --labels app=x
	one_error bad 1 "endpoint add with frontend's address"
	pol bad endpoint del "$(var out hif)"
	one_error bad 1 "endpoint del of an interface that is no endpoint"
	pol bad delete nosuch
	one_error bad 1 "delete of an unknown policy"
	pol bad apply "$FIXTURES/unsupported.yaml"
	line=$(grep -n '^      rules:$' "$FIXTURES/unsupported.yaml" | cut -d: -f1)
	one_error bad 1 "apply unsupported.yaml" &&
		judge "apply unsupported.yaml: the error names the file, line $line and the field" \
			grep -qF "error: $FIXTURES/unsupported.yaml: line $line: spec.ingress[0].toPorts[0].rules: not supported" \
			"$TMP/bad.err"
	pol bad apply "$FIXTURES/classic-cnp.yaml" "$FIXTURES/unsupported.yaml"
	one_error bad 1 "apply classic-cnp.yaml unsupported.yaml (the error in the second file)" &&
		judge "apply of two files: the second file's own line $line" \
			grep -qF "error: $FIXTURES/unsupported.yaml: line $line: " "$TMP/bad.err"
	pol bad apply "$TMP/nosuch.yaml"
	one_error bad 1 "apply of a missing file"
	pol bad trace --from app=frontend --to app=backend --port 80/tls
	one_error bad 2 "trace --port 80/tls"
	snapshot after
	judge "bad input changed no policy" cmp -s "$TMP/snap_list_before" "$TMP/snap_list_after"
	judge "bad input changed no endpoint" cmp -s "$TMP/snap_eps_before" "$TMP/snap_eps_after"
	expect_connect "after bad input, the policy holds" fe db 5432 denied
}

# ---- 8. set events ---------------------------------------------------------
test_set_events() {
	ok_run set "set events 0" set events 0 &&
		pass "set events 0"
	ok_run set "set events 100 --allowed" set events 100 --allowed &&
		pass "set events 100 --allowed"
	pol set set events 4294967296
	one_error set 2 "set events 4294967296"
}

# ---- 9. removing everything leaves no pin, no program ----------------------
test_teardown() {
	local w
	delete_all
	for w in "${WORKLOADS[@]}"; do
		ok_run ep_del "endpoint del $w" endpoint del "$(var "$w" hif)" &&
			pass "endpoint del $w"
		judge "no TC program left on $w's interface" \
			bash -c "! tc filter show dev $(var "$w" hif) ingress | grep -q bpf &&
				 ! tc filter show dev $(var "$w" hif) egress | grep -q bpf"
	done
	judge "nothing left under the pin root" [ -z "$(pins_left)" ] || pins_left | show
	matrix "everything removed" "${ALL_PAIRS[@]}"
}

start_servers || { echo "FAIL: the servers did not start" >&2; exit 1; }
test_fresh
test_endpoints
test_classic_cnp
test_deny
test_cidr
test_update
test_classic_k8s
test_bad_input
test_set_events
test_teardown
[ "$FAILED" = 0 ]
