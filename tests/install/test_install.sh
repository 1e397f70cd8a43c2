#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The install tier: `meson install` into a DESTDIR, check the installed
# layout, then build every examples/*.c against that tree using nothing but
# `pkg-config --cflags --libs ebpfnet`, and run them: probe_features must
# print JSON; as root, hello_agent must report an exec of /bin/true.
# Without root the last step skips (77), or fails under
# EBPFNET_REQUIRE_PRIV=1.
set -euo pipefail

src=${EBPFNET_SOURCE_ROOT:?EBPFNET_SOURCE_ROOT is not set}
build=${EBPFNET_BUILD_ROOT:?EBPFNET_BUILD_ROOT is not set}
# shellcheck source-path=SCRIPTDIR source=../lib/priv.sh
. "$src/tests/lib/priv.sh"

destdir=$(mktemp -d /tmp/ebpfnet-install.XXXXXX)
work=$(mktemp -d /tmp/ebpfnet-examples.XXXXXX)
agent_pid=
cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
	fi
	rm -rf "$destdir" "$work"
}
trap cleanup EXIT

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

DESTDIR=$destdir meson install -C "$build" --no-rebuild --quiet

# The configured install directories, absolute (meson keeps them relative
# to prefix unless they were given absolute).
dirs=$(meson introspect --buildoptions "$build" | python3 -c '
import json, os, shlex, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
for name in ("libdir", "includedir", "bindir", "mandir"):
    path = os.path.join(opts["prefix"], opts[name])
    print(f"{name}={shlex.quote(path)}")
')
eval "$dirs"
# shellcheck disable=SC2154 # set by the eval above
lib=$destdir$libdir inc=$destdir$includedir bin=$destdir$bindir man=$destdir$mandir

# ---- layout ----------------------------------------------------------------
expect_file() {
	[ -e "$1" ] || fail "not installed: ${1#"$destdir"}"
}
shopt -s nullglob
sonames=("$lib"/libebpfnet.so.0.*)
[ ${#sonames[@]} -eq 1 ] || fail "not installed: ${lib#"$destdir"}/libebpfnet.so.0.* (found ${#sonames[@]})"
expect_file "$lib/libebpfnet.so.0"
expect_file "$lib/libebpfnet.so"
expect_file "$lib/libebpfnet.a"
expect_file "$lib/pkgconfig/ebpfnet.pc"
for h in "$src"/include/ebpfnet/*.h; do
	expect_file "$inc/ebpfnet/$(basename "$h")"
done
expect_file "$inc/ebpfnet/version.h"
expect_file "$bin/ebpfnet-hello"
expect_file "$bin/ebpfnet-probe"
while read -r page; do
	expect_file "$man/$page"
done < <(grep -oE "'man[0-9]/[^']+'" "$src/man/meson.build" | tr -d "'")
for section in 3 7 8; do
	pages=("$man/man$section"/*."$section")
	[ ${#pages[@]} -gt 0 ] || fail "no man$section pages installed"
done

# ---- examples against the installed tree, through pkg-config only --------
export PKG_CONFIG_PATH=$lib/pkgconfig
# meson test points LD_LIBRARY_PATH at the build tree; the examples must
# find the installed library through their rpath alone.
unset LD_LIBRARY_PATH
export PKG_CONFIG_SYSROOT_DIR=$destdir
if ! flags=$(pkg-config --cflags --libs ebpfnet); then
	fail "pkg-config --cflags --libs ebpfnet failed"
	exit 1
fi
echo "pkg-config --cflags --libs ebpfnet: $flags"
examples=("$src"/examples/*.c)
[ ${#examples[@]} -gt 0 ] || fail "no examples/*.c"
for c in "${examples[@]}"; do
	name=$(basename "$c" .c)
	# shellcheck disable=SC2086 # $flags is a list of words
	if cc -Wall -Wextra -Werror -std=gnu11 "$c" -o "$work/$name" $flags \
		-Wl,-rpath,"$lib"; then
		echo "ok: built examples/$name.c"
	else
		fail "examples/$name.c does not build against the installed tree"
		continue
	fi
	# The example must run on the installed library, not the build tree's.
	resolved=$(ldd "$work/$name" | awk '$1 == "libebpfnet.so.0" { print $3 }')
	case $resolved in
	"$lib"/*) ;;
	*) fail "examples/$name resolves libebpfnet.so.0 to '${resolved:-nothing}', not ${lib#"$destdir"}" ;;
	esac
done

if [ -x "$work/probe_features" ]; then
	if ! "$work/probe_features" >"$work/features.json"; then
		fail "probe_features exited non-zero"
	elif ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/features.json"; then
		fail "probe_features did not print JSON: $(head -c 300 "$work/features.json")"
	else
		echo "ok: probe_features printed JSON"
	fi
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi

# ---- hello_agent, live (root) ----------------------------------------------
require_root
[ -x "$work/hello_agent" ] || { echo "FAIL: hello_agent was not built"; exit 1; }
out=$work/hello_agent.out
"$work/hello_agent" 2 >"$out" 2>&1 &
agent_pid=$!
# The agent prints its header line once attached.
for _ in $(seq 100); do
	[ -s "$out" ] && break
	kill -0 "$agent_pid" 2>/dev/null || break
	sleep 0.1
done
/bin/true
agent_rc=0
wait "$agent_pid" || agent_rc=$?
agent_pid=
if [ "$agent_rc" -ne 0 ]; then
	fail "hello_agent 2 exited $agent_rc"
fi
if ! grep -qE ' /bin/true 0$' "$out"; then
	fail "hello_agent 2 printed no line for /bin/true"
fi
if [ "$failures" -ne 0 ]; then
	sed 's/^/    hello_agent: /' "$out"
	exit 1
fi
echo "ok: hello_agent saw /bin/true"
