#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The policy benchmark. Three parts:
#  1. ns per packet from BPF_PROG_TEST_RUN (policy_bench testrun): a
#     connection-table hit, a new allowed connection and a new denied
#     packet, with 10, 1,000 and 100,000 policy entries.
#  2. packets per second over a veth pair: a UDP flood from a namespace
#     into the host-side veth, which filters it at its ingress with an
#     nftables netdev chain of N rules laid out linearly (the matching
#     rule last, then drop) or with the policy program (N entries, one
#     endpoint), N = 10, 100, 1,000, 10,000.
#  3. compile time of 1,000 endpoints x 100 rules (pol_compile).
# Needs root, nft and nsenter. Not part of `meson test`: it prints figures.
#
#     policy_bench.sh [BUILD_DIR] [--count N] [--seconds S] [--rounds R]
#                     [--repeat N] [--runs M] [--sizes "N..."]
#                     [--no-testrun] [--no-veth] [--no-compile]
# shellcheck disable=SC2154 # f_* are set by netns.sh
set -u

usage() {
	cat <<EOF
usage: $0 [BUILD_DIR] [OPTION]...
  BUILD_DIR       meson build directory (default \$EBPFNET_BUILD_ROOT, else ./build)
  --count N       packets per flood, at most (default 1000000)
  --seconds S     seconds per flood, at most (default 10, at most 60)
  --rounds R      floods and compile runs per configuration; the median
                  is shown (default 3; the test runs always take 5)
  --repeat N      BPF_PROG_TEST_RUN repeats per run (default 1000000)
  --runs M        single runs per round for new connections (default 20000)
  --sizes "N..."  rule counts over veth (default "10 100 1000 10000")
  --no-testrun    skip part 1 (ns per packet)
  --no-veth       skip part 2 (packets per second over veth)
  --no-compile    skip part 3 (compile time)
EOF
}

die() {
	echo "policy_bench: $*" >&2
	exit 1
}

is_count() {
	[[ "$1" =~ ^[1-9][0-9]{0,8}$ ]]
}

build_dir=${EBPFNET_BUILD_ROOT:-build}
count=1000000
seconds=10
rounds=3
repeat=1000000
runs=20000
sizes="10 100 1000 10000"
do_testrun=1
do_veth=1
do_compile=1
while [ $# -gt 0 ]; do
	case "$1" in
	--count | --seconds | --rounds | --repeat | --runs)
		if [ $# -lt 2 ] || ! is_count "$2"; then usage >&2; exit 2; fi
		case "$1" in
		--count) count=$2 ;;
		--seconds) seconds=$2 ;;
		--rounds) rounds=$2 ;;
		--repeat) repeat=$2 ;;
		--runs) runs=$2 ;;
		esac
		shift 2 ;;
	--sizes)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		for n in $2; do is_count "$n" || { usage >&2; exit 2; }; done
		sizes=$2
		shift 2 ;;
	--no-testrun) do_testrun=0; shift ;;
	--no-veth) do_veth=0; shift ;;
	--no-compile) do_compile=0; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build_dir=$1; shift ;;
	esac
done
[ "$seconds" -le 60 ] || die "--seconds: at most 60"
[ "$rounds" -le 20 ] || die "--rounds: at most 20"

[ "$(id -u)" = 0 ] || die "needs root (loads BPF programs, makes namespaces); run it with sudo"

src_root=$(cd "$(dirname "$0")/../.." && pwd) || die "cannot find the source tree"
bench=$build_dir/tests/bench/policy_bench
[ -x "$bench" ] || die "$bench not found: build $build_dir first"

# netns.sh removes every namespace, veth and hook made below on exit,
# whether the script ends normally, fails or is interrupted. The policy
# program pins nothing: it goes when policy_bench exits (detached first).
# shellcheck source=../lib/netns.sh
. "$src_root/tests/lib/netns.sh"
netns_need nft

# ---- part 1: ns per packet ---------------------------------------------------

if [ "$do_testrun" = 1 ]; then
	timeout 900 "$bench" testrun --repeat "$repeat" --rounds 5 \
		--runs "$runs" || die "the test run benchmark failed"
	echo
fi

# ---- part 3 (quick, so before the floods): compile time ------------------------

if [ "$do_compile" = 1 ]; then
	timeout 600 "$bench" compile --rounds "$rounds" || die "the compile benchmark failed"
	echo
fi

[ "$do_veth" = 1 ] || exit 0

# ---- part 2: packets per second over veth ------------------------------------------

netns_pair f || die "cannot make the namespace pair"
port=9 # discard: the flood's destination port
table="ebpfnet_policy_bench_$$"
# a chain that drops by default drops ARP too: the namespace knows the
# host side's address without asking
hmac=$(cat "/sys/class/net/$f_hif/address")
ns_exec "$f_ns" ip neigh replace "$f_host4" lladdr "$hmac" dev "$f_pif" nud permanent ||
	die "cannot add the neighbour entry"

# flood_line LINE: sets sent, elapsed_ns from the flood's line
flood_line() {
	sent=$(sed -n 's/.* sent=\([0-9]*\) .*/\1/p' <<<"$1")
	elapsed_ns=$(sed -n 's/.* elapsed_ns=\([0-9]*\) .*/\1/p' <<<"$1")
	[ -n "$sent" ] && [ -n "$elapsed_ns" ] || die "no flood figures in: $1"
}

flood_plain() {
	local line
	line=$(timeout $((seconds + 20)) nsenter --net="/run/netns/$f_ns" -- \
		"$bench" flood --dst "$f_host4" --port "$port" \
		--count "$count" --seconds "$seconds") || die "the flood failed"
	flood_line "$line"
}

# nft_on N: N rules, `ip saddr X udp dport P accept` for N - 1 addresses
# that never send, the flood's source last, then the chain drops.
nft_on() {
	local n=$1 i file
	file=$(mktemp /tmp/ebpfnet-policy-nft.XXXXXX) || die "mktemp failed"
	{
		echo "table netdev $table {"
		echo "  chain ingress {"
		echo "    type filter hook ingress device \"$f_hif\" priority -500; policy drop;"
		for ((i = 0; i < n - 1; i++)); do
			echo "    ip saddr 10.251.$((i / 256)).$((i % 256)) udp dport $port accept"
		done
		echo "    ip saddr $f_peer4 udp dport $port counter accept"
		echo "  }"
		echo "}"
	} >"$file"
	netns_on_exit nft delete table netdev "$table"
	nft -f "$file" || { rm -f "$file"; die "nft failed"; }
	rm -f "$file"
}

nft_passed() {
	nft list table netdev "$table" | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

nft_off() {
	nft delete table netdev "$table"
}

# policy_run N [--decide-each]: sets sent, elapsed_ns, passed
policy_run() {
	local out
	out=$(timeout $((seconds + 120)) "$bench" veth --ifname "$f_hif" \
		--netns "$f_ns" --dst "$f_host4" --port "$port" --entries "$1" \
		--count "$count" --seconds "$seconds" "${@:2}") ||
		die "policy_bench veth failed: $out"
	flood_line "$(grep '^flood:' <<<"$out")"
	passed=$(sed -n 's/^policy: passed=\([0-9]*\) .*/\1/p' <<<"$out")
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

configs=(nftables policy-new policy-ct)
declare -A pps
echo "UDP flood over veth: ${count} packets or ${seconds} s per flood, ${rounds} rounds" >&2
for ((r = 1; r <= rounds; r++)); do
	flood_plain
	pps[none]+="$((sent * 1000000000 / elapsed_ns)) "
	echo "round $r none: sent $sent in $((elapsed_ns / 1000000)) ms" >&2
	for n in $sizes; do
		for c in "${configs[@]}"; do
			case $c in
			nftables) nft_on "$n"; flood_plain; passed=$(nft_passed); nft_off ;;
			policy-new) policy_run "$n" --decide-each ;;
			policy-ct) policy_run "$n" ;;
			esac
			p=$((passed * 1000000000 / elapsed_ns))
			pps[$c,$n]+="$p "
			echo "round $r $c $n rules: sent $sent in $((elapsed_ns / 1000000)) ms," \
				"passed $passed ($p/s)" >&2
		done
	done
done

# shellcheck disable=SC2086 # the lists are words
echo "no filter: $(median ${pps[none]}) packets/s"
printf '%8s %14s %14s %14s %12s\n' "rules" "nftables/s" "policy new/s" \
	"policy ct/s" "new / nft"
for n in $sizes; do
	# shellcheck disable=SC2086
	a=$(median ${pps[nftables,$n]})
	# shellcheck disable=SC2086
	b=$(median ${pps[policy-new,$n]})
	# shellcheck disable=SC2086
	c=$(median ${pps[policy-ct,$n]})
	printf '%8s %14s %14s %14s %11.2fx\n' "$n" "$a" "$b" "$c" \
		"$(awk -v a="$b" -v b="$a" 'BEGIN { print (b > 0 ? a / b : 0) }')"
done
