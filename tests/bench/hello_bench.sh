#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The hello benchmark: what tracing every exec costs the node. A fork+exec
# loop of /bin/true (exec_loop) runs with no tracer, under ebpfnet-hello
# and under libbpf-tools' execsnoop; the configurations alternate round by
# round so machine noise hits all alike. Prints a table of exec rates, the
# overhead of each tracer, lost events, and whether ebpfnet-hello saw every
# exec of the loop. Needs root. Not part of `meson test`: it prints figures.
#
#     hello_bench.sh [BUILD_DIR] [--execs N] [--rounds R]
#
# EXECSNOOP=PATH picks another execsnoop (default /usr/sbin/execsnoop).
set -u

usage() {
	cat <<EOF
usage: $0 [BUILD_DIR] [--execs N] [--rounds R]
  BUILD_DIR   meson build directory (default \$EBPFNET_BUILD_ROOT, else ./build)
  --execs N   execs per run of the loop (default 5000)
  --rounds R  rounds of every configuration (default 5)
EOF
}

die() {
	echo "hello_bench: $*" >&2
	exit 1
}

is_count() {
	[[ "$1" =~ ^[1-9][0-9]{0,7}$ ]]
}

build_dir=${EBPFNET_BUILD_ROOT:-build}
execs=5000
rounds=5
while [ $# -gt 0 ]; do
	case "$1" in
	--execs | --rounds)
		if [ $# -lt 2 ] || ! is_count "$2"; then usage >&2; exit 2; fi
		if [ "$1" = --execs ]; then execs=$2; else rounds=$2; fi
		shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build_dir=$1; shift ;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (loads BPF programs); run it with sudo"

exec_loop=$build_dir/tests/bench/exec_loop
hello=$build_dir/bin/ebpfnet-hello
execsnoop=${EXECSNOOP:-/usr/sbin/execsnoop}
[ -x "$exec_loop" ] || die "$exec_loop not found: build $build_dir first"
[ -x "$hello" ] || die "$hello not found: build $build_dir first"
command -v bpftool >/dev/null || die "bpftool not found (used to see when a tracer is attached)"
have_execsnoop=0
[ -x "$execsnoop" ] && have_execsnoop=1

# Bounds: a run of the loop gets 30 s plus 20 ms per exec (50 execs/s,
# far below any real machine); a tracer gets 15 s to attach, 10 s to exit.
loop_timeout=$((30 + execs / 50))
clk_tck=$(getconf CLK_TCK)
attach_timeout_ds=150
stop_timeout_ds=100

work=$(mktemp -d /tmp/hello_bench.XXXXXX) || die "mktemp failed"
tracer_pid=
loop_pid=
# BPF run-time statistics (kernel.bpf_stats_enabled) give the tracers'
# in-kernel cost per exec; switched on for the run, restored on exit.
bpf_stats_sysctl=/proc/sys/kernel/bpf_stats_enabled
bpf_stats_saved=$(cat "$bpf_stats_sysctl" 2>/dev/null)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$loop_pid" ]; then
		kill -TERM "$loop_pid" 2>/dev/null
		wait "$loop_pid" 2>/dev/null
	fi
	if [ -n "$tracer_pid" ] && kill -0 "$tracer_pid" 2>/dev/null; then
		kill -KILL "$tracer_pid" 2>/dev/null
		wait "$tracer_pid" 2>/dev/null
	fi
	if [ -n "$bpf_stats_saved" ]; then
		echo "$bpf_stats_saved" >"$bpf_stats_sysctl" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run the loop once; its key=value line into $line. In the background so
# that a signal to this script is handled at once (the trap stops it).
run_loop() {
	timeout --kill-after=5 "$loop_timeout" "$exec_loop" -n "$execs" >"$work/loop.out" &
	loop_pid=$!
	wait "$loop_pid" || die "exec_loop failed or timed out (${loop_timeout}s)"
	loop_pid=
	line=$(cat "$work/loop.out")
}

# The value of KEY in exec_loop's key=value line ($1).
field() {
	local kv
	for kv in $1; do
		case "$kv" in "$2"=*) echo "${kv#*=}"; return 0 ;; esac
	done
	return 1
}

# Attached: the tracer ($1) holds a perf-event attachment on the exec
# return tracepoint (both tracers report at exec return; any sys_exit_exec*
# or a raw tracepoint counts), and it has gone to sleep in its poll loop,
# so setup work no longer competes with the loop (a kernel that hides
# wchan, showing "0", leaves the attachment as the only sign).
tracer_attached() {
	bpftool perf list 2>/dev/null |
		grep -Eq "^pid $1 .*(sys_exit_exec|raw_tracepoint)" || return 1
	case "$(cat "/proc/$1/wchan" 2>/dev/null)" in *poll* | 0 | "") return 0 ;; esac
	return 1
}

# start_tracer NAME OUT ERR CMD...: start CMD in the background with stdout
# to OUT and stderr to ERR; return once it is attached, die if it exits or
# takes too long.
start_tracer() {
	local name=$1 out=$2 err=$3 i
	shift 3
	"$@" >"$out" 2>"$err" &
	tracer_pid=$!
	for ((i = 0; i < attach_timeout_ds; i++)); do
		kill -0 "$tracer_pid" 2>/dev/null ||
			die "$name exited before attaching: $(head -c 2000 "$err")"
		if tracer_attached "$tracer_pid"; then
			bpftool perf list 2>/dev/null | grep "^pid $tracer_pid " |
				awk '{ print $(NF - 1), $NF }' | sort -u >"$work/$name.hooks"
			return 0
		fi
		sleep 0.1
	done
	die "$name not attached after $((attach_timeout_ds / 10)) s: $(head -c 2000 "$err")"
}

# Stop the running tracer with SIGINT (its summary comes on that path),
# SIGKILL if it does not exit in time. Returns its exit status.
stop_tracer() {
	local i status
	kill -INT "$tracer_pid" 2>/dev/null
	for ((i = 0; i < stop_timeout_ds; i++)); do
		kill -0 "$tracer_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$tracer_pid" 2>/dev/null; then
		echo "hello_bench: tracer $tracer_pid ignored SIGINT for $((stop_timeout_ds / 10)) s; killed" >&2
		kill -KILL "$tracer_pid" 2>/dev/null
	fi
	wait "$tracer_pid"
	status=$?
	tracer_pid=
	return $status
}

# Lost events from ebpfnet-hello's summary "ebpfnet-hello: N events, M lost".
hello_lost() {
	sed -nE 's/^ebpfnet-hello: [0-9]+ events?, ([0-9]+) lost.*/\1/p' "$1" | tail -n 1
}

# execsnoop warns once per loss on stderr: "Lost N events on CPU #C!".
execsnoop_lost() {
	sed -nE 's/.*[Ll]ost ([0-9]+) events?.*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'
}

# CPU time (user + system) the process $1 has used, in ms.
cpu_ms() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
		awk -v hz="$clk_tck" '{ printf "%d\n", ($12 + $13) * 1000 / hz }'
}

# In-kernel ns per exec of the BPF programs process $1 attached: the sum of
# their run times over the largest run count (every exec runs each
# attached exec program once; execveat ones stay at 0). "-" without stats.
bpf_ns_per_exec() {
	local id
	for id in $(bpftool perf list 2>/dev/null | awk -v p="$1" '$1 == "pid" && $2 == p { print $6 }'); do
		bpftool -j prog show id "$id" 2>/dev/null
		echo
	done | sed -nE 's/.*"run_time_ns":([0-9]+),"run_cnt":([0-9]+).*/\1 \2/p' |
		awk '{ t += $1; if ($2 > n) n = $2 }
		     END { if (n) printf "%d\n", t / n; else print "-" }'
}

# median, min and max of the numbers on stdin, one per line.
stats() {
	sort -g | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

# run_traced NAME CMD...: the loop under a tracer writing to /dev/null;
# sets $line (the loop's output), $cpu (the tracer's CPU time in ms while
# the loop ran, setup excluded), $bpf_ns (its BPF programs' ns per exec)
# and $status (the tracer's exit status).
run_traced() {
	local name=$1 cpu0
	shift
	start_tracer "$name" /dev/null "$work/$name.err" "$@"
	cpu0=$(cpu_ms "$tracer_pid")
	run_loop
	cpu=$(($(cpu_ms "$tracer_pid") - cpu0))
	bpf_ns=$(bpf_ns_per_exec "$tracer_pid")
	stop_tracer
	status=$?
}

# One measured run of configuration $1 (none, hello, execsnoop); appends
# the rate to $work/$1.rates, the loop's CPU ns per exec to $work/$1.cpx,
# the tracer's CPU ms to $work/$1.cpu and lost events to $work/$1.lost.
measure() {
	local config=$1 line lost status cpu=- bpf_ns=-
	case "$config" in
	none)
		run_loop
		lost=- ;;
	hello)
		run_traced ebpfnet-hello "$hello"
		status=$?
		lost=$(hello_lost "$work/ebpfnet-hello.err")
		if [ "$status" != 0 ] || [ -z "$lost" ]; then
			die "ebpfnet-hello exited $status without its summary: $(head -c 2000 "$work/ebpfnet-hello.err")"
		fi ;;
	execsnoop)
		run_traced execsnoop "$execsnoop"
		lost=$(execsnoop_lost "$work/execsnoop.err") ;;
	esac
	field "$line" execs_per_sec >>"$work/$config.rates" ||
		die "exec_loop printed no rate: $line"
	echo "$lost" >>"$work/$config.lost"
	echo "$cpu" >>"$work/$config.cpu"
	echo "$bpf_ns" >>"$work/$config.bpf"
	field "$line" cpu_ns_per_exec >>"$work/$config.cpx" ||
		die "exec_loop printed no CPU time: $line"
	printf '  round %d %-10s %8s execs/s  %7s ns CPU/exec  BPF %s ns/exec  tracer CPU %s ms  lost %s\n' \
		"$round" "$config" "$(field "$line" execs_per_sec)" \
		"$(field "$line" cpu_ns_per_exec)" "$bpf_ns" "$cpu" "$lost" >&2
}

# Run ebpfnet-hello with JSON output to a file during one loop and count
# the events of the loop's children (parent pid = the loop, comm "true")
# into $captured, its lost events into $capture_lost.
capture_check() {
	local line pid status
	start_tracer ebpfnet-hello "$work/capture.json" "$work/capture.err" \
		"$hello" --json
	run_loop
	stop_tracer
	status=$?
	pid=$(field "$line" pid) || die "exec_loop printed no pid: $line"
	captured=$(grep -E "\"ppid\": *${pid}[,} ]" "$work/capture.json" |
		grep -cE '"comm": *"true"')
	capture_lost=$(hello_lost "$work/capture.err")
	if [ "$status" != 0 ] || [ -z "$capture_lost" ]; then
		die "ebpfnet-hello --json exited $status without its summary: $(head -c 2000 "$work/capture.err")"
	fi
}

# Other exec tracers on the node tax every configuration alike: the
# figures stay comparable but the overheads read low. Say so.
warn_foreign_tracers() {
	local pids
	pids=$(bpftool perf list 2>/dev/null |
		awk '/(sys_(enter|exit)_exec|sched_process_exec)/ { print $2 }' | sort -u | paste -sd' ')
	[ -z "$pids" ] && return 0
	echo "hello_bench: warning: other exec tracers are attached (pid $pids): they slow every configuration" >&2
	foreign=$pids
}

configs="none hello"
[ "$have_execsnoop" = 1 ] && configs="$configs execsnoop"
foreign=
warn_foreign_tracers
if [ -n "$bpf_stats_saved" ]; then
	echo 1 >"$bpf_stats_sysctl" 2>/dev/null ||
		echo "hello_bench: warning: cannot enable $bpf_stats_sysctl: no BPF/exec figures" >&2
fi

echo "hello benchmark: $execs execs of /bin/true per run, $rounds rounds, $(nproc) CPUs, Linux $(uname -r)" >&2
run_loop  # warm-up: page cache, CPU frequency; not counted
for ((round = 1; round <= rounds; round++)); do
	for config in $configs; do
		measure "$config"
	done
done
capture_check

read -r base base_min base_max < <(stats <"$work/none.rates")
read -r base_cpx _ < <(stats <"$work/none.cpx")
# Overhead from the rates: 1 - rate / base, in %.
overhead() {
	awk -v r="$1" -v b="$base" 'BEGIN { printf "%.1f", (1 - r / b) * 100 }'
}
# Overhead from the CPU time per exec: cpu / base - 1, in %.
cpu_overhead() {
	awk -v c="$1" -v b="$base_cpx" 'BEGIN { printf "%.1f", (c / b - 1) * 100 }'
}
# ns -> us, no decimals.
us() {
	awk -v n="$1" 'BEGIN { printf "%.0f", n / 1000 }'
}
sum_lost() {
	awk '{ s += $1 } END { print s + 0 }' "$1"
}
row() {
	printf '%-14s %8s %8s %8s %8s %9s %8s %10s %10s %5s\n' "$@"
}

printf '\nhello benchmark: %d execs of /bin/true per run, %d rounds, %d CPUs, Linux %s, %s\n' \
	"$execs" "$rounds" "$(nproc)" "$(uname -r)" "$(date -u +%Y-%m-%d)"
row configuration "median/s" "min/s" "max/s" overhead "CPU/exec" "CPU ovh" "BPF/exec" "tracer CPU" lost
row "no tracer" "$base" "$base_min" "$base_max" - "$(us "$base_cpx") us" - - - -
hello_oh=
execsnoop_oh=
for config in $configs; do
	[ "$config" = none ] && continue
	read -r med min max < <(stats <"$work/$config.rates")
	read -r cpu _ < <(stats <"$work/$config.cpu")
	read -r cpx _ < <(stats <"$work/$config.cpx")
	bpf=-
	if ! grep -q -- - "$work/$config.bpf"; then
		read -r bpf _ < <(stats <"$work/$config.bpf")
		bpf="${bpf%.*} ns"
	fi
	oh=$(overhead "$med")
	if [ "$config" = hello ]; then
		name=ebpfnet-hello
		hello_oh=$oh
	else
		name=execsnoop
		execsnoop_oh=$oh
	fi
	row "$name" "$med" "$min" "$max" "$oh%" "$(us "$cpx") us" "$(cpu_overhead "$cpx")%" \
		"$bpf" "${cpu%.*} ms" "$(sum_lost "$work/$config.lost")"
done
if [ -n "$execsnoop_oh" ]; then
	awk -v h="$hello_oh" -v e="$execsnoop_oh" 'BEGIN {
		if (e > 0) printf "overhead ratio ebpfnet-hello / execsnoop: %.2f\n", h / e
		else printf "overhead ratio ebpfnet-hello / execsnoop: n/a (execsnoop overhead %.1f%%)\n", e }'
else
	echo "execsnoop: not installed at $execsnoop (Debian package libbpf-tools): no comparison"
fi
echo "ebpfnet-hello attached to: $(paste -sd, "$work/ebpfnet-hello.hooks" | sed 's/,/, /g')"
echo "ebpfnet-hello --json captured $captured of $execs execs of the loop ($capture_lost lost)"
[ -n "$foreign" ] && echo "warning: other exec tracers were attached (pid $foreign): overheads read low"
exit 0
