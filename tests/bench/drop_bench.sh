#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The drop benchmark. Two parts:
#  1. ns per packet from BPF_PROG_TEST_RUN (drop_bench testrun): the
#     filter's program under several rule sets, beside a floor program and
#     xdp-filter's program (xdp-tools) doing the same job.
#  2. packets per second over a veth pair: a bounded UDP flood from a
#     namespace into the host-side veth, which absorbs it with no filter,
#     with an nftables drop rule at its ingress hook, and with ebpfnet-drop
#     attached in native XDP mode with a rule dropping the flood.
# Needs root. Not part of `meson test`: it prints figures.
#
#     drop_bench.sh [BUILD_DIR] [--count N] [--seconds S] [--rounds R]
#                   [--repeat N] [--prefixes N] [--no-testrun] [--no-veth]
# shellcheck disable=SC2154 # pin_root, f_* are set by netns.sh
set -u

usage() {
	cat <<EOF
usage: $0 [BUILD_DIR] [OPTION]...
  BUILD_DIR       meson build directory (default \$EBPFNET_BUILD_ROOT, else ./build)
  --count N       packets per flood, at most (default 2000000)
  --seconds S     seconds per flood, at most (default 10, at most 60)
  --rounds R      floods per configuration; the median is shown (default 3)
  --repeat N      BPF_PROG_TEST_RUN repeats per run (default 1000000)
  --prefixes N    rules of the large prefix set (default 100000)
  --no-testrun    skip part 1 (ns per packet)
  --no-veth       skip part 2 (packets per second over veth)
EOF
}

die() {
	echo "drop_bench: $*" >&2
	exit 1
}

is_count() {
	[[ "$1" =~ ^[1-9][0-9]{0,8}$ ]]
}

build_dir=${EBPFNET_BUILD_ROOT:-build}
count=2000000
seconds=10
rounds=3
repeat=1000000
prefixes=100000
do_testrun=1
do_veth=1
while [ $# -gt 0 ]; do
	case "$1" in
	--count | --seconds | --rounds | --repeat | --prefixes)
		if [ $# -lt 2 ] || ! is_count "$2"; then usage >&2; exit 2; fi
		case "$1" in
		--count) count=$2 ;;
		--seconds) seconds=$2 ;;
		--rounds) rounds=$2 ;;
		--repeat) repeat=$2 ;;
		--prefixes) prefixes=$2 ;;
		esac
		shift 2 ;;
	--no-testrun) do_testrun=0; shift ;;
	--no-veth) do_veth=0; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build_dir=$1; shift ;;
	esac
done
[ "$seconds" -le 60 ] || die "--seconds: at most 60"
[ "$rounds" -le 20 ] || die "--rounds: at most 20"

[ "$(id -u)" = 0 ] || die "needs root (loads BPF programs, makes namespaces); run it with sudo"

src_root=$(cd "$(dirname "$0")/../.." && pwd) || die "cannot find the source tree"
bench=$build_dir/tests/bench/drop_bench
cli=$build_dir/bin/ebpfnet-drop
[ -x "$bench" ] || die "$bench not found: build $build_dir first"
[ -x "$cli" ] || die "$cli not found: build $build_dir first"

# netns.sh removes every namespace, veth, mount and hook made below on
# exit, whether the script ends normally, fails or is interrupted.
# shellcheck source=../lib/netns.sh
. "$src_root/tests/lib/netns.sh"
netns_need nft

# xdp-filter's BPF objects come with xdp-tools (Debian: in its libxdp1
# dependency).
xdp_filter_dir=
obj=$(dpkg -L xdp-tools libxdp1 2>/dev/null | grep '/xdpfilt_alw_all\.o$' | head -n 1)
[ -n "$obj" ] && xdp_filter_dir=$(dirname "$obj")

netns_bpffs pin_root || die "cannot mount a bpffs"

# ---- part 1: ns per packet --------------------------------------------------

if [ "$do_testrun" = 1 ]; then
	xdp_filter_args=()
	if [ -n "$xdp_filter_dir" ]; then
		xdp_filter_args=(--xdp-filter-dir "$xdp_filter_dir")
	else
		echo "drop_bench: xdp-tools not installed: no xdp-filter column" >&2
	fi
	mkdir "$pin_root/testrun" || die "mkdir failed"
	# bounded: at most 10 minutes (100k rules take a few seconds to add)
	timeout 600 "$bench" testrun --pin-root "$pin_root/testrun" \
		--repeat "$repeat" --prefixes "$prefixes" "${xdp_filter_args[@]}" ||
		die "the test run benchmark failed"
	echo
fi

[ "$do_veth" = 1 ] || exit 0

# ---- part 2: packets per second over veth -------------------------------------

netns_pair f || die "cannot make the namespace pair"
port=9 # discard: the flood's destination port
table="ebpfnet_drop_bench_$$"
drop_root="$pin_root/veth"
mkdir "$drop_root" || die "mkdir failed"

rx_packets() {
	cat "/sys/class/net/$f_hif/statistics/rx_packets"
}

# flood: one bounded flood from the namespace to the host side; sets
# sent, sent_pps, elapsed_ns, absorbed (host-side rx_packets change).
flood() {
	local before after line
	before=$(rx_packets)
	line=$(timeout $((seconds + 20)) nsenter --net="/run/netns/$f_ns" -- \
		"$bench" flood --dst "$f_host4" --port "$port" \
		--count "$count" --seconds "$seconds") || die "the flood failed"
	sleep 0.2 # the last packets leave the backlog
	after=$(rx_packets)
	sent=$(sed -n 's/.* sent=\([0-9]*\) .*/\1/p' <<<"$line")
	elapsed_ns=$(sed -n 's/.* elapsed_ns=\([0-9]*\) .*/\1/p' <<<"$line")
	sent_pps=$(sed -n 's/.* pps=\([0-9]*\).*/\1/p' <<<"$line")
	absorbed=$((after - before))
}

nft_on() {
	netns_on_exit nft delete table netdev "$table"
	nft -f - <<EOF || die "nft failed"
table netdev $table {
	chain ingress {
		type filter hook ingress device "$f_hif" priority -500; policy accept;
		udp dport $port counter drop
	}
}
EOF
}

nft_dropped() {
	nft list table netdev "$table" | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

nft_off() {
	nft delete table netdev "$table"
}

ebpfnet_on() {
	netns_on_exit "$cli" --pin-root "$drop_root" detach "$f_hif"
	"$cli" --pin-root "$drop_root" attach "$f_hif" --mode native >/dev/null ||
		die "ebpfnet-drop attach failed"
	"$cli" --pin-root "$drop_root" add proto udp dst-port "$port" >/dev/null ||
		die "ebpfnet-drop add failed"
}

ebpfnet_dropped() {
	"$cli" --pin-root "$drop_root" --json stats | jq -r '.dropped.packets'
}

ebpfnet_off() {
	"$cli" --pin-root "$drop_root" detach "$f_hif" >/dev/null
}

# median VALUE...
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

configs=(none nftables ebpfnet)
declare -A absorbed_pps sent_rate
echo "UDP flood over veth: ${count} packets or ${seconds} s per flood, ${rounds} rounds" >&2
for ((r = 1; r <= rounds; r++)); do
	for c in "${configs[@]}"; do
		filtered=-
		case $c in
		none) flood ;;
		nftables) nft_on; flood; filtered=$(nft_dropped); nft_off ;;
		ebpfnet)
			ebpfnet_on
			before=$(ebpfnet_dropped)
			flood
			filtered=$(($(ebpfnet_dropped) - before))
			ebpfnet_off ;;
		esac
		pps=$((absorbed * 1000000000 / elapsed_ns))
		absorbed_pps[$c]+="$pps "
		sent_rate[$c]+="$sent_pps "
		echo "round $r $c: sent $sent in $((elapsed_ns / 1000000)) ms," \
			"host side received $absorbed ($pps/s), filter dropped $filtered" >&2
	done
done

printf '%-10s %12s %12s %14s\n' "filter" "sent/s" "absorbed/s" "vs no filter"
# shellcheck disable=SC2086 # the lists are words
base=$(median ${absorbed_pps[none]})
for c in "${configs[@]}"; do
	# shellcheck disable=SC2086
	a=$(median ${absorbed_pps[$c]})
	# shellcheck disable=SC2086
	s=$(median ${sent_rate[$c]})
	printf '%-10s %12s %12s %13.2fx\n' "$c" "$s" "$a" \
		"$(awk -v a="$a" -v b="$base" 'BEGIN { print (b > 0 ? a / b : 0) }')"
done
