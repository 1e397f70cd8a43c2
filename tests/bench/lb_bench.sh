#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The lb benchmark: ns per packet of the load balancer's XDP program from
# BPF_PROG_TEST_RUN (an established flow and a SYN with its
# connection-table insert, IPv4 and IPv6, with 1, 100 and 10,000 services
# of 10 backends each) and the Maglev table build time. See
# tests/bench/README.md, section lb. Needs root. Builds nothing. Not part
# of `meson test`: it prints figures.
#
#     lb_bench.sh [BUILD_DIR] [--runs N] [--services LIST] [--maglev-rounds R]
#
# The balancer resolves each backend's next-hop MAC through the kernel, so
# the backends need a route and a neighbour that answers: a namespace
# joined by a veth pair (tests/lib/netns.sh) is the next hop of a
# 198.19.B.0/24 and an fd00:19:B::/64 route, B chosen free. Everything
# made here goes on exit, also after a failure or Ctrl-C.
# shellcheck disable=SC2154 # b_*, pin_root are set by netns.sh
set -u

usage() {
	cat <<EOF2
usage: $0 [BUILD_DIR] [OPTION]...
  BUILD_DIR           meson build directory (default \$EBPFNET_BUILD_ROOT, else ./build)
  --runs N            repeat=1 test runs per figure (default 100000)
  --services LIST     service counts, comma-separated (default 1,100,10000)
  --maglev-rounds R   Maglev builds per size, median shown (default 5; 0: none)
EOF2
}

die() {
	echo "lb_bench: $*" >&2
	exit 1
}

build_dir=${EBPFNET_BUILD_ROOT:-build}
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--runs | --services | --maglev-rounds)
		if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9][0-9,]{0,40}$ ]]; then
			usage >&2
			exit 2
		fi
		args+=("$1" "$2")
		shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build_dir=$1; shift ;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (loads BPF programs, makes a namespace); run it with sudo"

src_root=$(cd "$(dirname "$0")/../.." && pwd) || die "cannot find the source tree"
bench=$build_dir/tests/bench/lb_bench
[ -x "$bench" ] || die "$bench not found: build $build_dir first"

# shellcheck source=../lib/netns.sh
. "$src_root/tests/lib/netns.sh"
netns_need

netns_bpffs pin_root || die "cannot mount a bpffs"
netns_pair b || die "cannot make the namespace pair"

# the backends' routes, through the namespace (removed with the veth)
net=
for ((i = 0; i < 256; i++)); do
	x=$((($$ + i) % 256))
	if ip route add "198.19.$x.0/24" via "$b_peer4" dev "$b_hif" 2>/dev/null; then
		if ip -6 route add "fd00:19:$x::/64" via "$b_peer6" dev "$b_hif" 2>/dev/null; then
			net=$x
			break
		fi
		ip route del "198.19.$x.0/24" via "$b_peer4" dev "$b_hif"
	fi
done
[ -n "$net" ] || die "no free 198.19.x.0/24 for the backends"

# bounded: 10,000 services take a while to add on a small machine
timeout 1800 "$bench" --pin-root "$pin_root" --backend4 "198.19.$net.0" \
	--backend6 "fd00:19:$net::" "${args[@]}" || die "the benchmark failed"
