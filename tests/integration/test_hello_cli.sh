#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# ebpfnet-hello against the real kernel: JSON and table output written to a
# file and read while the tracer runs (so every event must be flushed at
# once), the filters, --count, --duration, signals, printk mode, and the
# error and usage exits. Root only. Every wait is bounded.
set -u

: "${EBPFNET_SOURCE_ROOT:?run through meson test}"
: "${EBPFNET_BUILD_ROOT:?run through meson test}"
# shellcheck source=../lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root

BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-hello"
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built" >&2; exit 1; }
command -v python3 >/dev/null || skip_or_fail "needs python3 to parse JSON"

WAIT_S=10     # longest wait for anything
TMP=$(mktemp -d /tmp/ebpfnet-hello-cli.XXXXXX) || exit 1
BG_PIDS=()
FAILED=0

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		# the CLI first: killing `timeout` alone would orphan it
		pkill -KILL -P "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}

pass() {
	echo "ok: $*"
}

# expect_rc WANT WHAT: $RC must be WANT.
expect_rc() {
	if [ "$RC" = "$1" ]; then
		pass "$2: exit $RC"
	else
		fail "$2: exit $RC, want $1"
	fi
}

# Start the CLI in the background: start_bg NAME ARGS... (stdout to
# $TMP/NAME.out, stderr to $TMP/NAME.err); its pid in $BG_PID. `timeout`
# is a backstop should the test itself lose track of it.
start_bg() {
	local name=$1
	shift
	timeout -s KILL 60 "$BIN" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_exit PID: wait up to WAIT_S for PID to end; its status in $RC
# (RC=timeout when it did not end).
wait_exit() {
	local pid=$1 i
	for ((i = 0; i < WAIT_S * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			RC=$?
			return 0
		fi
		sleep 0.1
	done
	RC=timeout
	return 1
}

# stop_bg PID SIGNAL: deliver SIGNAL to the CLI (the child of `timeout`)
# and wait for it; status in $RC.
stop_bg() {
	local pid=$1 sig=$2 child
	child=$(pgrep -P "$pid" -x ebpfnet-hello)
	kill "-$sig" "${child:-$pid}" 2>/dev/null
	wait_exit "$pid"
}

# until_seen FILE PATTERN COMMAND...: run COMMAND every 0.2 s until FILE
# holds PATTERN (fixed string); false after WAIT_S seconds. Running the
# command again and again also covers the time the tracer takes to attach.
until_seen() {
	local file=$1 pattern=$2 i
	shift 2
	for ((i = 0; i < WAIT_S * 5; i++)); do
		"$@" >/dev/null 2>&1
		grep -qF -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# The one summary line: "ebpfnet-hello: N events, M lost".
check_summary() {
	local err=$1 what=$2
	if [ "$(wc -l <"$err")" -eq 1 ] &&
	   grep -qE '^ebpfnet-hello: [0-9]+ events, [0-9]+ lost$' "$err"; then
		pass "$what: summary '$(cat "$err")'"
	else
		fail "$what: stderr is not exactly the summary line:"
		sed 's/^/    /' "$err" >&2
	fi
}

# run_fg NAME ARGS...: run the CLI in the foreground (bounded); status in
# $RC, output in $TMP/NAME.{out,err}.
run_fg() {
	local name=$1
	shift
	timeout -s KILL "$WAIT_S" "$BIN" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	RC=$?
}

# An error exit: status 1 and exactly one stderr line "ebpfnet-hello: error: ...".
check_one_error_line() {
	local name=$1 what=$2
	if [ "$RC" = 1 ] && [ "$(wc -l <"$TMP/$name.err")" -eq 1 ] &&
	   grep -q '^ebpfnet-hello: error: ' "$TMP/$name.err"; then
		pass "$what: exit 1, '$(cat "$TMP/$name.err")'"
	else
		fail "$what: want exit 1 and one error line, got exit $RC and:"
		sed 's/^/    /' "$TMP/$name.err" >&2
	fi
}

MARK="ebpfnet-cli-$$-$RANDOM"
PIDS="$TMP/marker.pids"
: >"$PIDS"

# The marker exec: its pid is recorded before it execs /bin/echo.
marker() {
	sh -c 'echo $$ >>"$1"; exec /bin/echo "$2" "a b" "q\"t"' sh "$PIDS" "$MARK"
}

# ---- JSON: flushed per event, parses, right args/pid/ppid/ret --------------
test_json() {
	local pid
	start_bg json --json
	pid=$BG_PID
	if ! until_seen "$TMP/json.out" "$MARK" marker; then
		fail "json: marker $MARK not seen within ${WAIT_S}s"
		sed 's/^/    /' "$TMP/json.err" >&2
		stop_bg "$pid" KILL
		return
	fi
	# Read while the tracer still runs: the line was flushed at once.
	kill -0 "$pid" 2>/dev/null || fail "json: the tracer is no longer running"
	if python3 - "$TMP/json.out" "$MARK" "$PIDS" "$$" <<'EOF'
import json, sys
path, mark, pids_path, ppid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(path, encoding="utf-8").read()
# only whole lines: the tracer may be writing the next one
lines = text.split("\n")[:-1]
events = [json.loads(l) for l in lines]
pids = {int(p) for p in open(pids_path).read().split()}
keys = ["time", "time_ns", "pid", "tid", "ppid", "uid", "gid", "comm",
        "filename", "args", "args_truncated", "filename_truncated",
        "execveat", "ret", "cgroup_id"]
for e in events:
    assert list(e.keys()) == keys, f"keys {list(e.keys())}"
mine = [e for e in events if e["filename"] == "/bin/echo" and mark in e["args"]]
assert mine, "marker not among the parsed events"
e = mine[0]
assert e["args"] == ["/bin/echo", mark, "a b", 'q"t'], e["args"]
assert e["pid"] in pids, f"pid {e['pid']} not one of {sorted(pids)}"
assert e["tid"] == e["pid"], e
assert e["ppid"] == ppid, f"ppid {e['ppid']} != {ppid}"
assert e["ret"] == 0 and e["uid"] == 0, e
assert e["comm"] == "echo" and e["filename"] == "/bin/echo", e
assert e["time"].endswith("Z") and len(e["time"]) == 30, e["time"]
assert e["args_truncated"] is False and e["execveat"] is False, e
print(f"{len(events)} JSON lines parse; marker pid {e['pid']}")
EOF
	then
		pass "json: marker event correct, read while the tracer runs"
	else
		fail "json: the output does not parse or the marker event is wrong"
	fi
	stop_bg "$pid" INT
	expect_rc 0 "json: SIGINT"
	check_summary "$TMP/json.err" "json: SIGINT"
}

# ---- table: header, a row with the marker; SIGTERM -------------------------
test_table() {
	local pid header
	start_bg table
	pid=$BG_PID
	header='TIME     PCOMM            PID     PPID    UID    RET ARGS'
	if ! until_seen "$TMP/table.out" "$MARK" marker; then
		fail "table: marker not seen within ${WAIT_S}s"
		stop_bg "$pid" KILL
		return
	fi
	if [ "$(head -n 1 "$TMP/table.out")" = "$header" ]; then
		pass "table: header line"
	else
		fail "table: first line is not the header"
	fi
	if grep -E "^[0-9]{2}:[0-9]{2}:[0-9]{2} echo +[0-9]+ +$$ +0 +0 /bin/echo $MARK \"a b\" \"q\\\\\"t\"$" \
		"$TMP/table.out" >/dev/null; then
		pass "table: marker row"
	else
		fail "table: no well-formed marker row:"
		grep -F "$MARK" "$TMP/table.out" | sed 's/^/    /' >&2
	fi
	stop_bg "$pid" TERM
	expect_rc 0 "table: SIGTERM"
	check_summary "$TMP/table.err" "table: SIGTERM"
}

# ---- --failed: a missing file shows with ret -2, the marker does not --------
test_failed() {
	local pid missing1="$TMP/missing-a-$RANDOM" missing2="$TMP/missing-b-$RANDOM"
	start_bg failed --failed --json
	pid=$BG_PID
	if ! until_seen "$TMP/failed.out" "$missing1" "$missing1"; then
		fail "failed: exec of $missing1 not seen"
		stop_bg "$pid" KILL
		return
	fi
	marker >/dev/null
	# Events arrive in order: once the second miss is here, the marker
	# would be too had it not been filtered out.
	until_seen "$TMP/failed.out" "$missing2" "$missing2" ||
		fail "failed: exec of $missing2 not seen"
	stop_bg "$pid" INT
	if python3 - "$TMP/failed.out" "$missing1" "$MARK" <<'EOF'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
miss = [e for e in events if e["filename"] == sys.argv[2]]
assert miss and miss[0]["ret"] == -2, miss
assert all(e["ret"] != 0 for e in events), "a successful exec got through"
assert not any(sys.argv[3] in e["args"] for e in events), "marker got through"
EOF
	then
		pass "failed: missing file with ret -2, no successful exec"
	else
		fail "failed: wrong events"
	fi
	expect_rc 0 "failed: SIGINT"
}

# until_appears FILE PATTERN: wait (without doing anything) up to WAIT_S
# for a whole line holding PATTERN in FILE.
until_appears() {
	local file=$1 pattern=$2 i
	for ((i = 0; i < WAIT_S * 10; i++)); do
		grep -F -- "$pattern" "$file" 2>/dev/null | grep -q '}$' && return 0
		sleep 0.1
	done
	return 1
}

# ---- --comm: only the named command; each event flushed at once ------------
# With the filter only our own execs reach the file, far less than a stdio
# buffer: a line shows up while the tracer runs only if it was flushed.
test_comm() {
	local pid name="ecli$RANDOM$RANDOM" once="once-$RANDOM$RANDOM"
	name=${name:0:15}
	ln -s /bin/true "$TMP/$name"
	start_bg comm --comm "$name" --json
	pid=$BG_PID
	# shellcheck disable=SC2317  # called through until_seen
	run_both() { marker; "$TMP/$name"; }
	if ! until_seen "$TMP/comm.out" "\"comm\":\"$name\"" run_both; then
		fail "comm: $name not seen"
		stop_bg "$pid" KILL
		return
	fi
	# Attached: one more exec, once, must appear as a whole line.
	"$TMP/$name" "$once"
	if until_appears "$TMP/comm.out" "\"$once\""; then
		pass "comm: a single event was written and flushed at once"
	else
		fail "comm: a single event did not reach the file while the tracer ran"
	fi
	stop_bg "$pid" INT
	if python3 - "$TMP/comm.out" "$name" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert events and all(e["comm"] == sys.argv[2] for e in events), \
    sorted({e["comm"] for e in events})
PY
	then
		pass "comm: only $name"
	else
		fail "comm: other commands got through"
	fi
}

# ---- --count 1 and --duration 1 end by themselves --------------------------
test_count() {
	local pid i
	start_bg count --count 1 --json
	pid=$BG_PID
	for ((i = 0; i < WAIT_S * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		marker >/dev/null
		sleep 0.2
	done
	wait_exit "$pid"
	if [ "$RC" = 0 ] && [ "$(wc -l <"$TMP/count.out")" -eq 1 ] &&
	   python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$TMP/count.out"; then
		pass "count: one JSON line, exit 0"
	else
		fail "count: exit $RC, $(wc -l <"$TMP/count.out") lines"
	fi
	check_summary "$TMP/count.err" "count"
}

test_duration() {
	local start end
	start=$(date +%s%N)
	run_fg duration --duration 1 --json
	end=$(date +%s%N)
	if [ "$RC" = 0 ] && (( (end - start) >= 1000000000 )); then
		pass "duration: exit 0 after $(( (end - start) / 1000000 )) ms"
	else
		fail "duration: exit $RC after $(( (end - start) / 1000000 )) ms"
	fi
	python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$TMP/duration.out" ||
		fail "duration: output does not parse"
	check_summary "$TMP/duration.err" "duration"
}

# ---- printk mode ------------------------------------------------------------
test_printk() {
	local pid i
	start_bg printk --printk --count 2
	pid=$BG_PID
	for ((i = 0; i < WAIT_S * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		/bin/true
		sleep 0.2
	done
	wait_exit "$pid"
	if [ "$RC" = 0 ] && [ "$(grep -c "I'm alive!" "$TMP/printk.out")" -ge 1 ]; then
		pass "printk: 'I'm alive!' lines, exit 0"
	else
		fail "printk: exit $RC, output:"
		sed 's/^/    /' "$TMP/printk.out" "$TMP/printk.err" >&2
	fi
}

# ---- errors and usage -------------------------------------------------------
test_errors() {
	run_fg fentry --mode fentry --duration 1
	if [ "$RC" = 0 ]; then
		pass "fentry: this kernel loads fentry programs (success path)"
	else
		check_one_error_line fentry "--mode fentry"
	fi
	run_fg kprobe --mode kprobe --duration 1
	if [ "$RC" = 0 ]; then
		pass "kprobe: this kernel has kprobes (success path)"
	else
		check_one_error_line kprobe "--mode kprobe"
	fi
	run_fg cgroup --cgroup /nonexistent
	check_one_error_line cgroup "--cgroup /nonexistent"
	grep -q "/nonexistent" "$TMP/cgroup.err" || fail "cgroup: the path is not named"

	# Without privilege: one line, no libbpf noise.
	if command -v setpriv >/dev/null; then
		timeout -s KILL "$WAIT_S" setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$BIN" --duration 1 >"$TMP/nopriv.out" 2>"$TMP/nopriv.err"
		RC=$?
		check_one_error_line nopriv "unprivileged"
		if grep -q 'CAP_BPF' "$TMP/nopriv.err"; then
			pass "unprivileged: the error names the missing privilege"
		else
			fail "unprivileged: the error does not name CAP_BPF"
		fi
	fi

	local args
	for args in "--bogus" "--count 0" "--duration -1" "--mode xdp" \
		    "--printk --json" "--comm 1234567890123456" "operand" "--uid"; do
		# shellcheck disable=SC2086
		run_fg usage $args
		if [ "$RC" = 2 ] && [ "$(wc -l <"$TMP/usage.err")" -eq 2 ] &&
		   grep -q '^ebpfnet-hello: error: ' "$TMP/usage.err" &&
		   [ "$(tail -n 1 "$TMP/usage.err")" = "Try 'ebpfnet-hello --help'." ] &&
		   [ ! -s "$TMP/usage.out" ]; then
			pass "usage '$args': exit 2, '$(head -n 1 "$TMP/usage.err")'"
		else
			fail "usage '$args': exit $RC, stderr:"
			sed 's/^/    /' "$TMP/usage.err" >&2
		fi
	done

	run_fg help --help
	if [ "$RC" = 0 ] && grep -q '^Usage: ebpfnet-hello' "$TMP/help.out" &&
	   [ ! -s "$TMP/help.err" ]; then
		pass "--help: usage on stdout, exit 0"
	else
		fail "--help: exit $RC"
	fi
}

test_json
test_table
test_failed
test_comm
test_count
test_duration
test_printk
test_errors

if [ "$FAILED" != 0 ]; then
	echo "test_hello_cli: FAILED" >&2
	exit 1
fi
echo "test_hello_cli: all passed"
exit 0
