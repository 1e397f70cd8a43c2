#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
# ebpfnet-probe, the reference CLI, on this machine: the table, --json,
# usage errors, -h and -v.
set -u

# shellcheck source=tests/lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root

bin="$EBPFNET_BUILD_ROOT/bin/ebpfnet-probe"
tmp=$(mktemp -d /tmp/ebpfnet-test-probe-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

[ -x "$bin" ] || { echo "FAIL: $bin is missing" >&2; exit 1; }

cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cgroup2" ] || skip_or_fail "no cgroup2 mounted"
fields=(kernel_release bpf_syscall btf ringbuf kprobe fentry tracepoint
	raw_tracepoint xdp tc cgroup_sock_addr cgroup2 bpffs tracefs cap_bpf
	cap_perfmon cap_net_admin cap_sys_admin)

# --- the table ----------------------------------------------------------
"$bin" >"$tmp/table" 2>"$tmp/table.err"
rc=$?
[ "$rc" = 0 ] || fail "table: exit $rc ($(cat "$tmp/table.err"))"
# One row per field, in order.
names=$(awk '{ print $1 }' "$tmp/table" | tr '\n' ' ')
want="${fields[*]} " # tr turned the last newline into a space too
[ "$names" = "$want" ] || fail "table rows: got [$names], want [$want]"
# Values start in one column on every row.
columns=$(sed -E 's/^([a-z0-9_]+ +).*/\1/' "$tmp/table" | awk '{ print length($0) }' | sort -u)
[ "$columns" = 20 ] || fail "table: value column not aligned at 20: [$columns]"
expect_row() { # name value: the exact row
	grep -Eq "^$1 +$(printf '%s' "$2" | sed 's/[][().*^$/]/\\&/g')\$" "$tmp/table" ||
		fail "table: no row '$1 $2' in: $(grep "^$1 " "$tmp/table")"
}
expect_row kernel_release "$(uname -r)"
for yes in bpf_syscall btf ringbuf tracepoint raw_tracepoint xdp tc \
	cgroup_sock_addr cap_bpf cap_sys_admin; do
	expect_row "$yes" yes
done
# This kernel has no kprobes (CONFIG_KPROBES off) and refuses fentry.
expect_row kprobe no
expect_row fentry no
expect_row cgroup2 "yes ($cgroup2)"
[ ! -s "$tmp/table.err" ] || fail "table: unexpected stderr: $(cat "$tmp/table.err")"

# --- JSON ---------------------------------------------------------------
"$bin" --json >"$tmp/json" 2>"$tmp/json.err"
rc=$?
[ "$rc" = 0 ] || fail "--json: exit $rc ($(cat "$tmp/json.err"))"
[ "$(wc -l <"$tmp/json")" = 1 ] || fail "--json: not one line"
python3 - "$tmp/json" "$tmp/table" "$cgroup2" "$(uname -r)" "${fields[@]}" <<'EOF' || fail "--json: content (above)"
import json, sys

json_path, table_path, cgroup2, release, *fields = sys.argv[1:]
with open(json_path) as f:
    doc = json.load(f)
mounts = ("cgroup2", "bpffs", "tracefs")
want_keys = []
for name in fields:
    want_keys.append(name)
    if name in mounts:
        want_keys.append(name + "_path")
errors = []
if list(doc) != want_keys:
    errors.append(f"keys {list(doc)} != {want_keys}")
expect = {"kernel_release": release, "bpf_syscall": True, "btf": True,
          "ringbuf": True, "tracepoint": True, "raw_tracepoint": True,
          "xdp": True, "tc": True, "cgroup_sock_addr": True,
          "cgroup2": True, "cgroup2_path": cgroup2,
          "kprobe": False, "fentry": False, "cap_sys_admin": True}
for key, value in expect.items():
    if doc.get(key) != value:
        errors.append(f"{key}: {doc.get(key)!r} != {value!r}")
for name in fields:
    if name == "kernel_release":
        continue
    if not isinstance(doc.get(name), bool):
        errors.append(f"{name} is not a boolean")
for name in mounts:
    path = doc.get(name + "_path")
    if (path is None) == doc.get(name):
        errors.append(f"{name}_path {path!r} does not match {name}")
# The table says the same.
with open(table_path) as f:
    for line in f:
        name, value = line.split(None, 1)
        value = value.strip()
        if isinstance(doc.get(name), bool):
            shown = value.split()[0] == "yes"
            if shown != doc[name]:
                errors.append(f"table and JSON disagree on {name}")
for e in errors:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

# --- usage errors -------------------------------------------------------
for args in "--bogus" "-x" "--json=1" "extra"; do
	"$bin" "$args" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] || fail "'$args': exit $rc, want 2"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "'$args': stderr is not one line: $(cat "$tmp/err")"
	grep -q '^ebpfnet-probe: error: ' "$tmp/err" || fail "'$args': stderr: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "'$args': wrote to stdout"
done

# --- help ---------------------------------------------------------------
for args in -h --help; do
	"$bin" "$args" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] || fail "$args: exit $rc"
	grep -q '^Usage: ebpfnet-probe' "$tmp/out" || fail "$args: no usage on stdout"
	grep -q -- '--json' "$tmp/out" || fail "$args: usage does not mention --json"
	[ ! -s "$tmp/err" ] || fail "$args: wrote to stderr"
done

# --- -v -----------------------------------------------------------------
"$bin" -v >"$tmp/out" 2>"$tmp/verbose"
rc=$?
[ "$rc" = 0 ] || fail "-v: exit $rc"
cmp -s "$tmp/out" "$tmp/table" || fail "-v: stdout differs from the plain table"
quiet_lines=$(wc -l <"$tmp/table.err")
verbose_lines=$(wc -l <"$tmp/verbose")
[ "$verbose_lines" -gt "$quiet_lines" ] ||
	fail "-v: $verbose_lines stderr lines, not more than $quiet_lines without"
if grep -Ev '^ebpfnet-probe: (warn|info|debug): ' "$tmp/verbose" >"$tmp/odd"; then
	fail "-v: lines not in the 'ebpfnet-probe: <level>: msg' form: $(head -3 "$tmp/odd")"
fi
# The expected fentry failure is reported at debug level, not as a warning.
grep -q '^ebpfnet-probe: debug: .*fentry' "$tmp/verbose" ||
	fail "-v: no debug line about the fentry probe"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "ok"
