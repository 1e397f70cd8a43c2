# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# Sourced by shell integration tests (drop; lb, policy and flow later) and
# tools/demo: network namespaces joined to the host by veth pairs, and a
# private bpffs pin root. Everything created here is removed by
# netns_cleanup, which runs on EXIT (INT and TERM end the script, so it
# runs then too); register more cleanup with netns_on_exit.
#
#   netns_pair c        # namespace + veth pair; sets c_ns, c_hif, c_pif,
#                       # c_host4, c_peer4, c_net4, c_net16, c_host6,
#                       # c_peer6, c_net6 (see netns_pair below)
#   ns_exec "$c_ns" ping -c 1 "$c_host4"
#   ns_spawn "$c_ns" pid ping "$c_host4" >log  # in the background
#   netns_bpffs root    # root=<a fresh bpffs mount point>
#
# Names carry the shell's pid ($$) so that concurrent runs do not collide;
# each pair gets its own 10.X.Y.0/24 and fd00:eb:X:Y::/64 (X, Y chosen so
# that no address or route of the host already uses them). Needs root,
# iproute2, nsenter (util-linux) and ethtool.

NETNS_NAMESPACES=()  # created namespaces
NETNS_LINKS=()       # created host-side veths
NETNS_MOUNTS=()      # private bpffs mount points
NETNS_HOOKS=()       # commands to run first at cleanup (last added first)
NETNS_PAIRS=0        # pairs made by this shell

# netns_need: fail (exit 1, or 77 through priv.sh's skip_or_fail when it
# was sourced) when a tool the helpers use is missing.
netns_need() {
	local tool
	for tool in ip nsenter ethtool "$@"; do
		command -v "$tool" >/dev/null 2>&1 && continue
		if declare -F skip_or_fail >/dev/null; then
			skip_or_fail "needs $tool"
		fi
		echo "netns.sh: needs $tool" >&2
		exit 1
	done
}

# ns_exec NS CMD...: run CMD in namespace NS's network only (it keeps the
# host's mounts, so bpffs pins stay visible; `ip netns exec` would not).
ns_exec() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# ns_spawn NS VAR CMD...: start CMD in the background in namespace NS; its
# own pid (not a wrapper's) goes to VAR, and it is killed at cleanup. The
# caller's redirections apply to CMD. Kill it with `kill "$VAR"`; it is a
# child of this shell, so `wait "$VAR"` works.
ns_spawn() {
	local ns=$1 var=$2 pidfile pid="" i
	shift 2
	pidfile=$(mktemp /tmp/ebpfnet-spawn.XXXXXX) || return 1
	# nsenter and sh both exec: the pid sh writes is CMD's
	# shellcheck disable=SC2016  # $$ and $@ are for the inner sh
	nsenter --net="/run/netns/$ns" -- sh -c 'echo $$ >"$0"; exec "$@"' \
		"$pidfile" "$@" &
	for ((i = 0; i < 50; i++)); do
		pid=$(cat "$pidfile" 2>/dev/null)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	rm -f "$pidfile"
	[ -n "$pid" ] || return 1
	netns_on_exit kill "$pid"
	printf -v "$var" '%s' "$pid"
}

# netns_on_exit CMD...: run CMD (one word list, no shell) at cleanup,
# before the namespaces go (so it may still use them).
netns_on_exit() {
	NETNS_HOOKS+=("$(printf '%q ' "$@")")
}

# A 10.X.Y.0/24 nobody on this host uses yet: "X Y" on stdout. Under a lock
# with the address assignment that follows (the caller holds fd 9).
_netns_free_subnet() {
	local used x y i
	used=$(ip -4 -o addr show; ip -4 route show table all)
	for ((i = 0; i < 4096; i++)); do
		x=$((200 + (($$ + i) / 256) % 50))
		y=$(((($$ + i) * 7 + NETNS_PAIRS) % 256))
		if ! grep -qE "(^|[^0-9])10\.$x\.$y\." <<<"$used"; then
			echo "$x $y"
			return 0
		fi
	done
	return 1
}

# netns_pair VAR: a namespace VAR_ns with one end of a veth pair (VAR_pif,
# inside) and the other end (VAR_hif) in the host namespace, both up with
# GRO on. (On Linux 6.18, GRO alone does not let frames sent by XDP_TX
# out of a veth reach its peer: the peer needs an XDP program of its own,
# see tests/integration/lb/dsr.sh: lb_dsr_peer_xdp.) Sets:
#   VAR_ns     namespace name (under /run/netns)
#   VAR_hif    host-side interface       VAR_pif  namespace-side interface
#   VAR_host4  10.X.Y.1 (on VAR_hif)     VAR_peer4 10.X.Y.2 (on VAR_pif)
#   VAR_net4   10.X.Y.0/24               VAR_net16 10.X.0.0/16
#   VAR_host6  fd00:eb:X:Y::1            VAR_peer6 fd00:eb:X:Y::2
#   VAR_net6   fd00:eb:X:Y::/64
# IPv6 addresses skip duplicate address detection (usable at once); the
# namespace's loopback is up. Returns non-zero (with a message) on failure;
# what was made is still removed at cleanup.
netns_pair() {
	local var=$1 n ns hif pif x y xy
	n=$NETNS_PAIRS
	NETNS_PAIRS=$((n + 1))
	ns="ebpfnet-$var-$n-$$"
	hif="en${n}h$$"
	pif="en${n}p$$"
	if [ ${#hif} -gt 15 ]; then
		echo "netns.sh: interface name $hif is too long" >&2
		return 1
	fi
	ip netns add "$ns" || return 1
	NETNS_NAMESPACES+=("$ns")
	ip link add "$hif" type veth peer name "$pif" netns "$ns" || return 1
	NETNS_LINKS+=("$hif")

	exec 9>>/run/lock/ebpfnet-netns.lock || return 1
	if ! flock -w 10 9; then
		echo "netns.sh: cannot lock /run/lock/ebpfnet-netns.lock" >&2
		exec 9>&-
		return 1
	fi
	xy=$(_netns_free_subnet) || {
		echo "netns.sh: no free 10.x.y.0/24 subnet" >&2
		exec 9>&-
		return 1
	}
	read -r x y <<<"$xy"
	ip addr add "10.$x.$y.1/24" dev "$hif" &&
		ip -6 addr add "fd00:eb:$x:$y::1/64" dev "$hif" nodad
	local rc=$?
	exec 9>&-
	[ $rc = 0 ] || return 1

	ns_exec "$ns" ip addr add "10.$x.$y.2/24" dev "$pif" &&
		ns_exec "$ns" ip -6 addr add "fd00:eb:$x:$y::2/64" dev "$pif" nodad &&
		ns_exec "$ns" ip link set lo up &&
		ns_exec "$ns" ip link set "$pif" up &&
		ip link set "$hif" up &&
		ethtool -K "$hif" gro on >/dev/null &&
		ns_exec "$ns" ethtool -K "$pif" gro on >/dev/null || return 1

	printf -v "${var}_ns" '%s' "$ns"
	printf -v "${var}_hif" '%s' "$hif"
	printf -v "${var}_pif" '%s' "$pif"
	printf -v "${var}_host4" '%s' "10.$x.$y.1"
	printf -v "${var}_peer4" '%s' "10.$x.$y.2"
	printf -v "${var}_net4" '%s' "10.$x.$y.0/24"
	printf -v "${var}_net16" '%s' "10.$x.0.0/16"
	printf -v "${var}_host6" '%s' "fd00:eb:$x:$y::1"
	printf -v "${var}_peer6" '%s' "fd00:eb:$x:$y::2"
	printf -v "${var}_net6" '%s' "fd00:eb:$x:$y::/64"
	netns_wait_up "$ns" "$pif" && netns_wait_up "" "$hif"
}

# netns_wait_up NS IFACE: wait (up to 5 s) for IFACE (in NS; "" is the host)
# to be up with its carrier. (Not through /sys: sysfs shows the network
# namespace of whoever mounted it, the host's here.)
netns_wait_up() {
	local ns=$1 dev=$2 i line
	for ((i = 0; i < 50; i++)); do
		if [ -n "$ns" ]; then
			line=$(ns_exec "$ns" ip -o link show dev "$dev" 2>/dev/null)
		else
			line=$(ip -o link show dev "$dev" 2>/dev/null)
		fi
		[[ $line == *LOWER_UP* && $line == *"state UP"* ]] && return 0
		sleep 0.1
	done
	echo "netns.sh: $dev did not come up" >&2
	return 1
}

# netns_bpffs VAR: a fresh directory with its own bpffs mounted on it, in
# VAR; unmounted and removed at cleanup (with whatever is pinned there).
netns_bpffs() {
	local var=$1 dir
	dir=$(mktemp -d /tmp/ebpfnet-bpffs.XXXXXX) || return 1
	if ! mount -t bpf bpf "$dir"; then
		rmdir "$dir"
		return 1
	fi
	NETNS_MOUNTS+=("$dir")
	printf -v "$var" '%s' "$dir"
}

# netns_cleanup: undo everything above. Idempotent; errors are ignored
# (also under set -e: every step runs).
netns_cleanup() {
	local i
	for ((i = ${#NETNS_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${NETNS_HOOKS[i]}" >/dev/null 2>&1 || :
	done
	NETNS_HOOKS=()
	for i in "${NETNS_LINKS[@]}"; do
		ip link del "$i" >/dev/null 2>&1 || :
	done
	NETNS_LINKS=()
	for i in "${NETNS_NAMESPACES[@]}"; do
		ip netns del "$i" >/dev/null 2>&1 || :
	done
	NETNS_NAMESPACES=()
	for i in "${NETNS_MOUNTS[@]}"; do
		umount "$i" >/dev/null 2>&1 || umount -l "$i" >/dev/null 2>&1 || :
		rmdir "$i" >/dev/null 2>&1 || :
	done
	NETNS_MOUNTS=()
}

trap netns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- one L2 segment: a bridge in a "switch" namespace ----------------------
# For one-armed topologies (the lb's DSR test and demo): several namespaces
# and the host joined to one Linux bridge.
#
#   netns_subnet lan              # lan_pfx4=10.X.Y  lan_pfx6=fd00:eb:X:Y
#   netns_switch sw               # sw_ns (bridge sw_br inside it)
#   netns_switch_host_port sw lb  # lb_hif in the host, lb_sif on the bridge
#   netns_switch_port sw c        # c_ns with c_pif inside, c_sif on the bridge
#   ns_exec "$c_ns" ip addr add "$lan_pfx4.10/24" dev "$c_pif"
#
# Every veth end gets GRO on. Frames sent by XDP_TX into a veth still need
# an XDP program on the receiving end on Linux 6.18 (GRO is not enough):
# tests/integration/lb/dsr.sh does that with lb_dsr_peer_xdp.

NETNS_RESERVE_TABLE=3775  # routing table of subnet reservations (no rule uses it)

# netns_subnet VAR: reserve a 10.X.Y.0/24 and fd00:eb:X:Y::/64 nobody on
# this host uses (as netns_pair picks them) for the caller to assign; sets
# VAR_pfx4 ("10.X.Y") and VAR_pfx6 ("fd00:eb:X:Y"). The reservation is an
# unreachable route in a routing table no rule selects (inert, but seen by
# every later search), removed at cleanup.
netns_subnet() {
	local var=$1 xy x y rc
	NETNS_PAIRS=$((NETNS_PAIRS + 1))
	exec 9>>/run/lock/ebpfnet-netns.lock || return 1
	if ! flock -w 10 9; then
		echo "netns.sh: cannot lock /run/lock/ebpfnet-netns.lock" >&2
		exec 9>&-
		return 1
	fi
	if ! xy=$(_netns_free_subnet); then
		echo "netns.sh: no free 10.x.y.0/24 subnet" >&2
		exec 9>&-
		return 1
	fi
	read -r x y <<<"$xy"
	ip route add unreachable "10.$x.$y.0/24" table "$NETNS_RESERVE_TABLE" &&
		netns_on_exit ip route del unreachable "10.$x.$y.0/24" \
			table "$NETNS_RESERVE_TABLE" &&
		ip -6 route add unreachable "fd00:eb:$x:$y::/64" \
			table "$NETNS_RESERVE_TABLE" &&
		netns_on_exit ip -6 route del unreachable "fd00:eb:$x:$y::/64" \
			table "$NETNS_RESERVE_TABLE"
	rc=$?
	exec 9>&-
	[ $rc = 0 ] || return 1
	printf -v "${var}_pfx4" '%s' "10.$x.$y"
	printf -v "${var}_pfx6" '%s' "fd00:eb:$x:$y"
}

# netns_switch VAR: a namespace VAR_ns holding a bridge VAR_br (up, no STP,
# so a port forwards at once) and its loopback up.
netns_switch() {
	local var=$1 n ns
	n=$NETNS_PAIRS
	NETNS_PAIRS=$((n + 1))
	ns="ebpfnet-$var-$n-$$"
	ip netns add "$ns" || return 1
	NETNS_NAMESPACES+=("$ns")
	ns_exec "$ns" ip link set lo up &&
		ns_exec "$ns" ip link add br0 type bridge stp_state 0 &&
		ns_exec "$ns" ip link set br0 up || return 1
	printf -v "${var}_ns" '%s' "$ns"
	printf -v "${var}_br" '%s' br0
}

# _netns_switch_link SW VAR NS: a veth pair: VAR_sif, a port of switch SW's
# bridge, and its peer in namespace NS (VAR_pif) or, when NS is "", in the
# host (VAR_hif; cleanup deletes it). Both ends up with GRO on.
_netns_switch_link() {
	local sw=$1 var=$2 ns=$3 _netns_sw_ns n sif oif
	_netns_sw_ns=${sw}_ns
	_netns_sw_ns=${!_netns_sw_ns}
	n=$NETNS_PAIRS
	NETNS_PAIRS=$((n + 1))
	sif="es${n}s$$"
	oif="es${n}p$$"
	[ -n "$ns" ] || oif="es${n}h$$"
	if [ ${#sif} -gt 15 ]; then
		echo "netns.sh: interface name $sif is too long" >&2
		return 1
	fi
	ip link add "$oif" type veth peer name "$sif" netns "$_netns_sw_ns" ||
		return 1
	if [ -n "$ns" ]; then
		ip link set "$oif" netns "$ns" || { ip link del "$oif"; return 1; }
		ns_exec "$ns" ip link set "$oif" up &&
			ns_exec "$ns" ethtool -K "$oif" gro on >/dev/null || return 1
		printf -v "${var}_pif" '%s' "$oif"
	else
		NETNS_LINKS+=("$oif")
		ip link set "$oif" up && ethtool -K "$oif" gro on >/dev/null ||
			return 1
		printf -v "${var}_hif" '%s' "$oif"
	fi
	ns_exec "$_netns_sw_ns" ip link set "$sif" master br0 &&
		ns_exec "$_netns_sw_ns" ip link set "$sif" up &&
		ns_exec "$_netns_sw_ns" ethtool -K "$sif" gro on >/dev/null ||
		return 1
	printf -v "${var}_sif" '%s' "$sif"
	netns_wait_up "$_netns_sw_ns" "$sif" && netns_wait_up "$ns" "$oif"
}

# netns_switch_port SW VAR: a new namespace VAR_ns (loopback up) joined to
# switch SW: VAR_pif inside VAR_ns, VAR_sif the bridge port. No addresses.
netns_switch_port() {
	local sw=$1 var=$2 n ns
	n=$NETNS_PAIRS
	NETNS_PAIRS=$((n + 1))
	ns="ebpfnet-$var-$n-$$"
	ip netns add "$ns" || return 1
	NETNS_NAMESPACES+=("$ns")
	printf -v "${var}_ns" '%s' "$ns"
	ns_exec "$ns" ip link set lo up && _netns_switch_link "$sw" "$var" "$ns"
}

# netns_switch_host_port SW VAR: the host joined to switch SW: VAR_hif in
# the host namespace, VAR_sif the bridge port. No addresses.
netns_switch_host_port() {
	_netns_switch_link "$1" "$2" ""
}
