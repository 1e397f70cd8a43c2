#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The kube-proxy benchmark: TCP connections per second (open, then close
# with a reset) from a process in a test cgroup to a service VIP, with
# 1, 1,000 and 10,000 services (one measured, the others dummies on other
# VIPs with one backend each):
#   (a) the ebpfnet socket level (cgroup connect4 rewrite, no NAT);
#   (b) iptables DNAT laid out as kube-proxy's iptables mode lays it out:
#       nat OUTPUT -> KUBE-SERVICES (a rule per service) -> KUBE-SVC-* (a
#       `-m statistic --mode random --probability` rule per endpoint) ->
#       KUBE-SEP-* (DNAT); the measured service is the last one in
#       KUBE-SERVICES (the worst case; a random one averages half);
#   (c) a direct connection to the backend (the floor).
# The backends: tests/bench/connect_bench serve, in a namespace reached
# through a veth pair (two addresses, two endpoints). See
# tests/bench/README.md, "socket level (kube-proxy comparison)". Needs
# root and iptables. Builds nothing. Not part of `meson test`.
#
#     kubeproxy_bench.sh [BUILD_DIR] [--count N] [--seconds S] [--runs R]
#                        [--services LIST]
#
# Everything made here (namespace, veth, routes, cgroup, bpffs pin roots,
# iptables chains and rules) goes on exit, also after a failure or Ctrl-C.
# shellcheck disable=SC2154 # b_* are set by netns.sh
set -u

usage() {
	cat <<EOF2
usage: $0 [BUILD_DIR] [OPTION]...
  BUILD_DIR        meson build directory (default \$EBPFNET_BUILD_ROOT, else ./build)
  --count N        connections per run (default 3000)
  --seconds S      a run stops after S seconds if N is not reached (default 10)
  --runs R         runs per figure, the median shown (default 3)
  --services LIST  service counts, comma-separated (default 1,1000,10000)
EOF2
}

die() {
	echo "kubeproxy_bench: $*" >&2
	exit 1
}

build_dir=${EBPFNET_BUILD_ROOT:-build}
count=3000
seconds=10
runs=3
services_list=1,1000,10000
while [ $# -gt 0 ]; do
	case "$1" in
	--count | --seconds | --runs | --services)
		if [ $# -lt 2 ] || ! [[ "$2" =~ ^[1-9][0-9,]{0,40}$ ]]; then
			usage >&2
			exit 2
		fi
		case "$1" in
		--count) count=$2 ;;
		--seconds) seconds=$2 ;;
		--runs) runs=$2 ;;
		--services) services_list=$2 ;;
		esac
		shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build_dir=$1; shift ;;
	esac
done
IFS=, read -r -a service_counts <<<"$services_list"

[ "$(id -u)" = 0 ] || die "needs root (cgroups, BPF programs, iptables, a namespace); run it with sudo"
command -v iptables-restore >/dev/null && command -v iptables >/dev/null ||
	die "needs iptables (apt-get install iptables)"

src_root=$(cd "$(dirname "$0")/../.." && pwd) || die "cannot find the source tree"
bench=$build_dir/tests/bench/connect_bench
cli=$build_dir/bin/ebpfnet-lb
[ -x "$bench" ] && [ -x "$cli" ] || die "$bench or $cli not found: build $build_dir first"

# shellcheck source=../lib/netns.sh
. "$src_root/tests/lib/netns.sh"
netns_need

vip=100.127.0.1
port=80
backend_port=$port  # the socket level keeps the port: backends listen on it

# ---- iptables, kube-proxy's layout ------------------------------------------

# Chains this script makes all start with one of these (kube-proxy's
# names); it refuses to run where KUBE-SERVICES exists already.
ipt_made=false

ipt_remove() {
	$ipt_made || return 0
	iptables -t nat -D OUTPUT -j KUBE-SERVICES 2>/dev/null
	{
		echo '*nat'
		iptables-save -t nat | sed -n 's/^:\(KUBE-\(SERVICES\|SVC-B[0-9]*\|SEP-B[0-9]*[AB]\)\) .*/-F \1/p'
		iptables-save -t nat | sed -n 's/^:\(KUBE-\(SERVICES\|SVC-B[0-9]*\|SEP-B[0-9]*[AB]\)\) .*/-X \1/p'
		echo COMMIT
	} | iptables-restore --noflush
	ipt_made=false
}

# ipt_rules N BACKEND...: the rules of N services, the last one VIP:PORT
# with an endpoint per BACKEND, the others 100.64.0.0 + i with the first.
ipt_rules() {
	local n=$1 i ip svc nb
	shift
	nb=$#
	echo '*nat'
	echo ':KUBE-SERVICES - [0:0]'
	for ((i = 0; i < n; i++)); do
		printf -v svc 'B%08d' "$i"
		echo ":KUBE-SVC-$svc - [0:0]"
		echo ":KUBE-SEP-${svc}A - [0:0]"
		((i == n - 1 && nb > 1)) && echo ":KUBE-SEP-${svc}B - [0:0]"
	done
	for ((i = 0; i < n; i++)); do
		printf -v svc 'B%08d' "$i"
		if ((i == n - 1)); then
			ip=$vip
		else
			ip=100.$((64 + (i >> 16))).$(((i >> 8) & 255)).$((i & 255))
		fi
		echo "-A KUBE-SERVICES -d $ip/32 -p tcp -m comment --comment \"bench/svc-$i:http cluster IP\" -m tcp --dport $port -j KUBE-SVC-$svc"
		if ((i == n - 1 && nb > 1)); then
			echo "-A KUBE-SVC-$svc -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-${svc}A"
			echo "-A KUBE-SVC-$svc -j KUBE-SEP-${svc}B"
			echo "-A KUBE-SEP-${svc}A -p tcp -m tcp -j DNAT --to-destination $1:$backend_port"
			echo "-A KUBE-SEP-${svc}B -p tcp -m tcp -j DNAT --to-destination $2:$backend_port"
		else
			echo "-A KUBE-SVC-$svc -j KUBE-SEP-${svc}A"
			echo "-A KUBE-SEP-${svc}A -p tcp -m tcp -j DNAT --to-destination $1:$backend_port"
		fi
	done
	echo '-A OUTPUT -j KUBE-SERVICES'
	echo COMMIT
}

# ---- the client, in the test cgroup ------------------------------------------

# measure ADDR PORT: the median connections/s of $runs runs (after a
# warm-up of 200 connections), on stdout.
measure() {
	local addr=$1 p=$2 r out all=()
	in_cgroup "$bench" connect "$addr" "$p" 200 "$seconds" >/dev/null || return 1
	for ((r = 0; r < runs; r++)); do
		out=$(in_cgroup "$bench" connect "$addr" "$p" "$count" "$seconds") || return 1
		all+=("${out##* }")
	done
	printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

in_cgroup() {
	# shellcheck disable=SC2016 # $$ and $@ are for the inner sh
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

declare -A result

row() {
	local label=$1 n=$2 cps=$3
	awk -v l="$label" -v n="$n" -v c="$cps" -v f="$floor" \
		'BEGIN { printf "%-30s %8s %12s %9.2f\n", l, n, c, c / f }'
}

# ---- setup -------------------------------------------------------------------

if iptables -t nat -S KUBE-SERVICES >/dev/null 2>&1; then
	die "the nat table has a KUBE-SERVICES chain already (kube-proxy?): not touching it"
fi
netns_on_exit ipt_remove

netns_pair b || die "cannot make the namespace pair"
backend_a=$b_peer4
backend_b=${b_peer4%.*}.3
ns_exec "$b_ns" ip addr add "$backend_b/24" dev "$b_pif" || die "cannot add $backend_b"
# the VIPs route towards the backends: iptables' DNAT happens after the
# route lookup of OUTPUT (removed with the veth)
ip route add 100.64.0.0/10 via "$backend_a" dev "$b_hif" ||
	die "cannot route 100.64.0.0/10 (used on this host?)"
ns_spawn "$b_ns" server_pid "$bench" serve "$backend_port" || die "cannot start the server"

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || die "no cgroup2 file system mounted"
cg=$cg2/ebpfnet-kpbench-$$
mkdir "$cg" || die "cannot make the cgroup $cg"
netns_on_exit rmdir "$cg"

for ((i = 0; i < 50; i++)); do
	"$bench" connect "$backend_a" "$backend_port" 1 1 >/dev/null 2>&1 && break
	sleep 0.1
done
((i < 50)) || die "the server in $b_ns does not answer"

echo "kube-proxy comparison: $count connections (at most ${seconds}s) per run, median of $runs runs"
echo "kernel $(uname -r), $(nproc) CPUs, $(iptables -V)"
echo
printf '%-30s %8s %12s %9s\n' variant services conns/s "vs floor"

# The machine's load drifts: each service count is measured as a round
# of the three variants, and compared with that round's floor.
for n in "${service_counts[@]}"; do
	floor=$(measure "$backend_a" "$backend_port") || die "the direct connection failed"
	row "direct to the backend (floor)" - "$floor"

	netns_bpffs pin || die "cannot mount a bpffs"
	"$bench" lb-setup "$pin" "$cg" "$n" "$vip:$port" "$backend_a" "$backend_b" >/dev/null ||
		die "cannot set the socket level up with $n services"
	netns_on_exit "$cli" --pin-root "$pin" socket detach "$cg"
	cps=$(measure "$vip" "$port") || die "connections to $vip:$port through the socket level failed"
	"$cli" --pin-root "$pin" socket detach "$cg" >/dev/null || die "cannot detach the socket level"
	umount "$pin"
	result[ebpf,$n]=$cps
	row "ebpfnet socket lb" "$n" "$cps"

	ipt_made=true
	ipt_rules "$n" "$backend_a" "$backend_b" | iptables-restore --noflush ||
		die "cannot load the iptables rules of $n services"
	cps=$(measure "$vip" "$port") || die "connections to $vip:$port through iptables failed"
	ipt_remove
	result[ipt,$n]=$cps
	row "iptables DNAT (kube-proxy)" "$n" "$cps"
done

echo
for n in "${service_counts[@]}"; do
	awk -v n="$n" -v e="${result[ebpf,$n]}" -v i="${result[ipt,$n]}" \
		'BEGIN { printf "%6s services: ebpfnet / iptables = %.2f\n", n, e / i }'
done
