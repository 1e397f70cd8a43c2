#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# Man pages: every page under man/ passes `mandoc -Tlint -W warning` with
# no output; every page man/meson.build lists exists; every page under man/
# is listed there (or it would not be installed).
# Each violation is reported as "FAIL: <page>: <rule>".
set -euo pipefail

src=${EBPFNET_SOURCE_ROOT:?EBPFNET_SOURCE_ROOT is not set}
man=$src/man
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

mapfile -t listed < <(grep -oE "'man[0-9]/[^']+'" "$man/meson.build" | tr -d "'" | sort -u)
mapfile -t present < <(cd "$man" && find man[0-9] -type f -name '*.[0-9]' 2>/dev/null | sort)

[ ${#listed[@]} -gt 0 ] || fail "man/meson.build: no pages listed"

for page in "${listed[@]}"; do
	[ -f "$man/$page" ] || fail "man/$page: listed in man/meson.build but missing"
done

declare -A is_listed
for page in "${listed[@]}"; do is_listed[$page]=1; done
for page in "${present[@]}"; do
	[ -n "${is_listed[$page]:-}" ] ||
		fail "man/$page: not listed in man/meson.build (would not be installed)"
	if ! out=$(cd "$man" && mandoc -Tlint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		fail "man/$page: mandoc -Tlint -W warning:"
		printf '%s\n' "${out:-(exit status non-zero, no output)}" | sed 's/^/    /'
	fi
done

echo "${#listed[@]} pages listed, ${#present[@]} present, $failures failure(s)"
[ "$failures" -eq 0 ]
