# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# Sourced by the integration tests of the reference CLIs that manage pinned
# state (ebpfnet-drop; ebpfnet-lb): results one line each, and the CLI run
# bounded on a private pin root with its output kept for the checks.
#
# The test sets, before the first run:
#   BIN     the CLI          ROOT        the private pin root (a bpffs)
#   TMP     a scratch dir    ROOT_FRESH  what ROOT held when fresh
#   WAIT_S  the longest a command may take (seconds)
# and ends with: [ "$FAILED" = 0 ].
# shellcheck disable=SC2034  # FAILED and RC are for the sourcing test

FAILED=0

# fail WHAT: "FAIL: WHAT" on stderr; the test fails.
fail() {
	echo "FAIL: $*" >&2
	FAILED=1
}

# pass WHAT: "ok: WHAT".
pass() {
	echo "ok: $*"
}

# show [FILE...]: the files (or stdin), indented, on stderr.
show() {
	sed 's/^/    /' "$@" >&2
}

# judge WHAT CMD...: pass or fail WHAT by CMD's status (returned).
judge() {
	local what=$1
	shift
	if "$@"; then
		pass "$what"
		return 0
	fi
	fail "$what"
	return 1
}

# cli_run NAME ARGS...: run the CLI (bounded) on the private pin root;
# status in $RC, output in $TMP/NAME.{out,err}.
cli_run() {
	local name=$1
	shift
	timeout -s KILL "$WAIT_S" "$BIN" --pin-root "$ROOT" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	RC=$?
}

# ok_run NAME WHAT ARGS...: cli_run NAME ARGS..., which must exit 0 with
# nothing on stderr (no warning, no libbpf noise).
ok_run() {
	local name=$1 what=$2
	shift 2
	cli_run "$name" "$@"
	if [ "$RC" = 0 ] && [ ! -s "$TMP/$name.err" ]; then
		return 0
	fi
	fail "$what: exit $RC, stderr:"
	show "$TMP/$name.err"
	return 1
}

# pins_left: what the CLI left under the pin root (one path a line).
pins_left() {
	comm -13 <(echo "$ROOT_FRESH") <(find "$ROOT" -mindepth 1 | sort) | grep .
}

# check_spread TALLY N: each line "BACKEND COUNT" of TALLY (in the order of
# WEIGHTS, an array of the backends' weights) must hold a share of the N
# connections within 3.5 standard deviations of a binomial share
# (sqrt(p(1-p)/N), p = its weight share): a false alarm in under 0.15% of
# runs per backend. One pass or fail line per backend.
check_spread() {
	local tally=$1 n=$2 b count share want tol line i=0 sum=0 w
	for w in "${WEIGHTS[@]}"; do
		sum=$((sum + w))
	done
	while read -r b count; do
		share=$(python3 -c "print(round(100 * $count / $n, 1))")
		want=$(python3 -c "print(round(100 * ${WEIGHTS[i]} / $sum, 1))")
		tol=$(python3 -c "import math; p = ${WEIGHTS[i]} / $sum; print(round(350 * math.sqrt(p * (1 - p) / $n), 1))")
		line="$b: $count of $n ($share%, expected $want% +- $tol)"
		if python3 -c "import sys; sys.exit(0 if abs($share - $want) <= $tol else 1)"; then
			pass "spread $line"
		else
			fail "spread $line"
		fi
		i=$((i + 1))
	done <"$tally"
}
