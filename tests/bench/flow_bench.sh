#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The flow benchmark. Three parts (see tests/bench/README.md, section flow):
#  1. ns per packet from BPF_PROG_TEST_RUN (flow_bench testrun): the
#     observer's TC program on a packet of an existing flow, a new flow and
#     a DNS query, IPv4 and IPv6, beside a floor program.
#  2. TCP throughput over a veth pair (iperf3, host -> namespace), without
#     and with the observer attached to the host-side veth (through the
#     public API: flow_bench observe), alternated round by round.
#  3. events delivered without loss: a UDP flood from the namespace, a new
#     flow per packet (flow_bench flood), while flow_bench observe reads.
# Needs root. Not part of `meson test`: it prints figures.
#
#     flow_bench.sh [BUILD_DIR] [--seconds S] [--rounds R] [--repeat N]
#                   [--pps P] [--flood-seconds S] [--no-testrun]
#                   [--no-iperf] [--no-flood]
# shellcheck disable=SC2154 # pin_root, f_* are set by netns.sh
set -u

usage() {
	cat <<EOF
usage: $0 [BUILD_DIR] [OPTION]...
  BUILD_DIR           meson build directory (default \$EBPFNET_BUILD_ROOT, else ./build)
  --seconds S         seconds per iperf3 run (default 10, at most 60)
  --rounds R          iperf3 runs per configuration; the median is shown (default 3)
  --repeat N          BPF_PROG_TEST_RUN repeats per run (default 1000000)
  --pps P             flood rate in packets/s (default 100000)
  --flood-seconds S   flood length (default 5, at most 60)
  --no-testrun        skip part 1 (ns per packet)
  --no-iperf          skip part 2 (TCP throughput)
  --no-flood          skip part 3 (events under a flood of new flows)
EOF
}

die() {
	echo "flow_bench: $*" >&2
	exit 1
}

is_count() {
	[[ "$1" =~ ^[1-9][0-9]{0,8}$ ]]
}

build_dir=${EBPFNET_BUILD_ROOT:-build}
seconds=10
rounds=3
repeat=1000000
pps=100000
flood_seconds=5
do_testrun=1
do_iperf=1
do_flood=1
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds | --rounds | --repeat | --pps | --flood-seconds)
		if [ $# -lt 2 ] || ! is_count "$2"; then usage >&2; exit 2; fi
		case "$1" in
		--seconds) seconds=$2 ;;
		--rounds) rounds=$2 ;;
		--repeat) repeat=$2 ;;
		--pps) pps=$2 ;;
		--flood-seconds) flood_seconds=$2 ;;
		esac
		shift 2 ;;
	--no-testrun) do_testrun=0; shift ;;
	--no-iperf) do_iperf=0; shift ;;
	--no-flood) do_flood=0; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build_dir=$1; shift ;;
	esac
done
[ "$seconds" -le 60 ] || die "--seconds: at most 60"
[ "$flood_seconds" -le 60 ] || die "--flood-seconds: at most 60"
[ "$rounds" -le 20 ] || die "--rounds: at most 20"

[ "$(id -u)" = 0 ] || die "needs root (loads BPF programs, makes namespaces); run it with sudo"

src_root=$(cd "$(dirname "$0")/../.." && pwd) || die "cannot find the source tree"
bench=$build_dir/tests/bench/flow_bench
[ -x "$bench" ] || die "$bench not found: build $build_dir first"

# netns.sh removes every namespace, veth, mount and process made below on
# exit, whether the script ends normally, fails or is interrupted.
# shellcheck source=../lib/netns.sh
. "$src_root/tests/lib/netns.sh"
netns_need

# ---- part 1: ns per packet ----------------------------------------------------

if [ "$do_testrun" = 1 ]; then
	timeout 600 "$bench" testrun --repeat "$repeat" ||
		die "the test run benchmark failed"
	echo
fi

[ "$do_iperf" = 1 ] || [ "$do_flood" = 1 ] || exit 0

netns_need iperf3 jq
netns_bpffs pin_root || die "cannot mount a bpffs"
netns_pair f || die "cannot make the namespace pair"
work=$(mktemp -d /tmp/ebpfnet-flowbench.XXXXXX) || die "mktemp failed"
netns_on_exit rm -rf "$work"

# median VALUE...
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# field NAME LINE: the value of NAME=VALUE in LINE
field() {
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"
}

# observe_start SECONDS: flow_bench observe on the host-side veth, in the
# background (pid in observer, output in $work/observe.out); returns once
# it is attached.
observe_start() {
	local i
	: >"$work/observe.out"
	: >"$work/observe.err"
	"$bench" observe "$f_hif" "$1" --pin-root "$pin_root" \
		>"$work/observe.out" 2>"$work/observe.err" &
	observer=$!
	netns_on_exit kill "$observer"
	for ((i = 0; i < 100; i++)); do
		grep -q '^observe: attached' "$work/observe.err" && return 0
		kill -0 "$observer" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/observe.err" >&2
	die "the observer did not attach"
}

# observe_stop: end the observer (SIGINT: it reads what is left, detaches
# and prints); its line in observed.
observe_stop() {
	kill -INT "$observer" 2>/dev/null
	wait "$observer" || { cat "$work/observe.err" >&2; die "the observer failed"; }
	observed=$(grep '^observe:' "$work/observe.out")
	[ -n "$observed" ] || die "the observer printed nothing"
}

# ---- part 2: TCP throughput over veth ----------------------------------------------

if [ "$do_iperf" = 1 ]; then
	ns_spawn "$f_ns" iperf_server iperf3 -s -B "$f_peer4" \
		>"$work/iperf-server.log" 2>&1 || die "cannot start iperf3 -s"
	for ((i = 0; i < 50; i++)); do
		ns_exec "$f_ns" ss -ltn | grep -q ":5201 " && break
		sleep 0.1
	done

	# iperf_run: one client run, host -> namespace; bits/s in bps
	iperf_run() {
		local json
		json=$(timeout $((seconds + 30)) iperf3 -c "$f_peer4" -t "$seconds" -J) ||
			die "iperf3 -c failed"
		bps=$(jq -r '.end.sum_received.bits_per_second' <<<"$json")
		[[ "$bps" =~ ^[0-9.e+]+$ ]] || die "iperf3 gave no throughput"
	}

	configs=(none observer)
	declare -A gbps
	echo "TCP over veth (iperf3 host -> namespace): ${seconds} s per run, ${rounds} rounds" >&2
	for ((r = 1; r <= rounds; r++)); do
		for c in "${configs[@]}"; do
			extra=
			if [ "$c" = observer ]; then
				observe_start $((seconds + 30))
				iperf_run
				observe_stop
				extra=" (observer: $(field records "$observed") records,"
				extra+=" $(field seen_packets "$observed") packets seen,"
				extra+=" lost $(field events_lost "$observed"))"
			else
				iperf_run
			fi
			g=$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }')
			gbps[$c]+="$g "
			echo "round $r $c: $g Gbit/s$extra" >&2
		done
	done
	# shellcheck disable=SC2086 # the lists are words
	base=$(median ${gbps[none]})
	# shellcheck disable=SC2086
	with=$(median ${gbps[observer]})
	printf '%-10s %10s\n' "observer" "Gbit/s"
	printf '%-10s %10s\n' "none" "$base" "attached" "$with"
	awk -v a="$with" -v b="$base" \
		'BEGIN { printf "throughput with/without: %.3f (cost %.1f%%)\n", a / b, (1 - a / b) * 100 }'
	kill "$iperf_server" 2>/dev/null
	echo
fi

# ---- part 3: events under a flood of new flows ---------------------------------------

if [ "$do_flood" = 1 ]; then
	echo "UDP flood: $pps packets/s for $flood_seconds s, a new flow per packet" >&2
	observe_start $((flood_seconds + 30))
	line=$(timeout $((flood_seconds + 20)) nsenter --net="/run/netns/$f_ns" -- \
		"$bench" flood "$f_host4" "$pps" "$flood_seconds") || die "the flood failed"
	sleep 1 # the reader catches up
	observe_stop
	echo "$line" >&2
	echo "$observed" >&2
	printf '%-28s %12s\n' "sent packets (new flows)" "$(field sent "$line")" \
		"sent packets/s" "$(field pps "$line")" \
		"packets seen (observer)" "$(field seen_packets "$observed")" \
		"flows created (in kernel)" "$(field flows_created "$observed")" \
		"flows exported (NEW records)" "$(field new "$observed")" \
		"records read" "$(field records "$observed")" \
		"records read/s" "$(field records_per_sec "$observed")" \
		"observer CPU (% of one)" "$(awk -v c="$(field cpu_ns "$observed")" \
			-v e="$(field elapsed_ns "$observed")" 'BEGIN { printf "%.0f", 100 * c / e }')" \
		"events sent" "$(field events_sent "$observed")" \
		"events suppressed" "$(field events_suppressed "$observed")" \
		"events lost" "$(field events_lost "$observed")"
fi
