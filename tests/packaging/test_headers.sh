#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# Every public header compiles on its own as pedantic C99 and as pedantic
# C++11 (with cc/c++, and clang/clang++ when installed), and EBPFNET_OPTS
# works in pedantic C99. Each failure names the header and the compiler.
set -euo pipefail

src=${EBPFNET_SOURCE_ROOT:?EBPFNET_SOURCE_ROOT is not set}
build=${EBPFNET_BUILD_ROOT:?EBPFNET_BUILD_ROOT is not set}

warn=(-pedantic -Werror -Wall -Wextra -fsyntax-only)
incs=(-I"$src/include" -I"$build/include")
c_compilers=(cc)
cxx_compilers=(c++)
command -v clang >/dev/null && c_compilers+=(clang)
command -v clang++ >/dev/null && cxx_compilers+=(clang++)

headers=()
for h in "$src"/include/ebpfnet/*.h "$build"/include/ebpfnet/version.h; do
	if [ ! -f "$h" ]; then
		echo "FAIL: $h does not exist"
		exit 1
	fi
	headers+=("$(basename "$h")")
done

failures=0
# check LABEL LANG STD COMPILER < source
check() {
	local label=$1 lang=$2 std=$3 compiler=$4 out
	if out=$("$compiler" -x "$lang" "-std=$std" "${warn[@]}" "${incs[@]}" - 2>&1); then
		echo "ok: $label ($compiler -std=$std)"
	else
		echo "FAIL: $label does not compile with $compiler -std=$std -pedantic -Werror:"
		printf '%s\n' "$out" | sed 's/^/    /'
		failures=$((failures + 1))
	fi
}

# A declaration after the #include: ISO C forbids an empty translation
# unit, which a macro-only header (version.h) would otherwise leave.
for h in "${headers[@]}"; do
	tu="#include <ebpfnet/$h>
extern int header_alone;"
	for compiler in "${c_compilers[@]}"; do
		check "<ebpfnet/$h> alone" c c99 "$compiler" <<<"$tu"
	done
	for compiler in "${cxx_compilers[@]}"; do
		check "<ebpfnet/$h> alone" c++ c++11 "$compiler" <<<"$tu"
	done
done

for compiler in "${c_compilers[@]}"; do
	check "EBPFNET_OPTS(ebpfnet_hello_opts, ...)" c c99 "$compiler" <<'EOF'
#include <ebpfnet/ebpfnet.h>

int opts_macro(void);

int opts_macro(void)
{
	EBPFNET_OPTS(ebpfnet_hello_opts, o, .failed_only = true);

	return o.sz == sizeof(o) && o.failed_only && !o.printk ? 0 : 1;
}
EOF
done

echo "${#headers[@]} headers, $failures failure(s)"
[ "$failures" -eq 0 ]
