#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The exported ABI of the built libebpfnet.so:
#   - every exported symbol is named ebpfnet_*;
#   - the exports and the version script (libebpfnet.map) list the same
#     symbols;
#   - each symbol carries the version node the map puts it in;
#   - every exported function has man/man3/<name>.3, listed in
#     man/meson.build;
#   - the soname is libebpfnet.so.0.
# Each violation is reported as "FAIL: <symbol>: <rule>".
set -euo pipefail

src=${EBPFNET_SOURCE_ROOT:?EBPFNET_SOURCE_ROOT is not set}
build=${EBPFNET_BUILD_ROOT:?EBPFNET_BUILD_ROOT is not set}
map=$src/libebpfnet/libebpfnet.map
man_build=$src/man/meson.build
soname_expected=libebpfnet.so.0

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

libs=()
for f in "$build"/libebpfnet/libebpfnet.so.0.*; do
	[ -f "$f" ] && libs+=("$f") # not the libebpfnet.so.0.*.p object directory
done
if [ ${#libs[@]} -ne 1 ]; then
	echo "FAIL: expected one $build/libebpfnet/libebpfnet.so.0.*, found ${#libs[@]}"
	exit 1
fi
lib=${libs[0]}
echo "checking $lib"

# "symbol node" for every name in the map's global: sections.
map_symbols() {
	sed 's|/\*.*\*/||g; s|#.*||' "$1" | awk '
		/^[ \t]*[A-Za-z0-9_.]+[ \t]*\{/ { node = $1; sub(/\{.*/, "", node); scope = ""; next }
		/global:/ { scope = "global"; sub(/.*global:/, "") }
		/local:/  { scope = "local"; next }
		/^[ \t]*\}/ { node = ""; next }
		scope == "global" && node != "" {
			n = split($0, words, /[ \t;]+/)
			for (i = 1; i <= n; i++)
				if (words[i] != "") print words[i], node
		}'
}

# "symbol type" of every defined dynamic symbol but the version nodes'
# own absolute symbols (type A).
exported_symbols() {
	nm -D --defined-only "$1" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3, $2 }'
}

# "symbol version" of every defined dynamic symbol (objdump -T).
symbol_versions() {
	objdump -T "$1" | awk '/^[0-9a-f]+ / && !/\*UND\*/ && !/\*ABS\*/ {
		v = $(NF - 1); gsub(/[()]/, "", v); print $NF, v }'
}

declare -A in_map exported version
while read -r sym node; do in_map[$sym]=$node; done < <(map_symbols "$map")
while read -r sym type; do exported[$sym]=$type; done < <(exported_symbols "$lib")
while read -r sym ver; do version[$sym]=$ver; done < <(symbol_versions "$lib")

if [ ${#in_map[@]} -eq 0 ]; then
	fail "$map: no global symbols found"
fi

for sym in $(printf '%s\n' "${!exported[@]}" | sort); do
	type=${exported[$sym]}
	[[ $sym == ebpfnet_* ]] ||
		fail "$sym: exported but not named ebpfnet_*"
	node=${in_map[$sym]:-}
	if [ -z "$node" ]; then
		fail "$sym: exported but not listed in libebpfnet/libebpfnet.map"
	elif [ "${version[$sym]:-}" != "$node" ]; then
		fail "$sym: carries version '${version[$sym]:-none}', the map puts it in $node"
	fi
	case $type in
	T | W | i) ;; # functions (text, weak, indirect)
	*) continue ;;
	esac
	page=man3/$sym.3
	if [ ! -f "$src/man/$page" ]; then
		fail "$sym: exported function without a man page (man/$page missing)"
	elif ! grep -qF "'$page'" "$man_build"; then
		fail "$sym: man/$page is not listed in man/meson.build"
	fi
done

for sym in $(printf '%s\n' "${!in_map[@]}" | sort); do
	[ -n "${exported[$sym]:-}" ] ||
		fail "$sym: listed in libebpfnet/libebpfnet.map but not exported by $(basename "$lib")"
done

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "$soname_expected" ] ||
	fail "$(basename "$lib"): soname is '${soname:-none}', expected $soname_expected"

echo "${#exported[@]} exported symbols, ${#in_map[@]} in the map, $failures failure(s)"
[ "$failures" -eq 0 ]
