# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# The lb's one-armed DSR topology, for tests/integration/test_lb_cli.sh and
# tools/demo. Source tests/lib/netns.sh first. On one L2 segment (a bridge
# in a "switch" namespace), subnet 10.X.Y.0/24 and fd00:eb:X:Y::/64:
#
#   host:  LB_IF      .1   ::1   the balancer's interface (XDP goes here)
#   client namespace  .10  ::10  routes the VIPs via LB_IF's addresses
#   backend b1,b2,b3  .21  ::21  (.22, .23) the VIPs on lo, never ARPed
#
# The VIPs (VIP4 10.X'.Y'.1, VIP6 fd00:eb:X':Y'::1) come from a second
# reserved subnet, so neither the host nor the segment routes them: only
# the balancer (encapsulating towards a backend) gets a client's packet to
# a backend, and the backend answers the client directly (DSR).
#
#   lb_dsr_topology        # builds it; sets the variables below
#   lb_dsr_peer_xdp BIN    # what XDP_TX out of LB_IF needs (see there)
#   lb_dsr_servers PORT LIFETIME   # a TCP server per backend on the VIPs
#
# LB_SW_NS  LB_IF LB_IF_SIF LB_IF4 LB_IF6
# CLIENT_NS CLIENT_IF CLIENT_SIF CLIENT4 CLIENT6
# BACKENDS=(b1 b2 b3); for each i: BACKEND_NS[i] BACKEND_IF[i]
#   BACKEND_SIF[i] BACKEND4[i] BACKEND6[i]
# VIP4 VIP6
# shellcheck disable=SC2034  # the variables are for the caller

LB_DSR_DIR=$(dirname "${BASH_SOURCE[0]}")
BACKENDS=(b1 b2 b3)
declare -ga BACKEND_NS BACKEND_IF BACKEND_SIF BACKEND4 BACKEND6 BACKEND_SERVER

# _lb_dsr_sysctl NS KEY=VALUE...: set sysctls in namespace NS.
_lb_dsr_sysctl() {
	local ns=$1
	shift
	ns_exec "$ns" sysctl -q -w "$@" >/dev/null
}

# lb_dsr_topology: build everything (removed by netns_cleanup). Non-zero
# with a message on failure.
lb_dsr_topology() {
	local i b lan_pfx4 lan_pfx6 vip_pfx4 vip_pfx6 sw_ns sw_br lbp_hif lbp_sif
	local cl_ns cl_pif cl_sif ns_var if_var sif_var
	netns_subnet lan && netns_subnet vip && netns_switch sw || return 1
	LB_SW_NS=$sw_ns
	VIP4="$vip_pfx4.1"
	VIP6="$vip_pfx6::1"

	# the balancer's side: the host end of a veth pair on the bridge
	netns_switch_host_port sw lbp || return 1
	LB_IF=$lbp_hif
	LB_IF_SIF=$lbp_sif
	LB_IF4="$lan_pfx4.1"
	LB_IF6="$lan_pfx6::1"
	ip addr add "$LB_IF4/24" dev "$LB_IF" &&
		ip -6 addr add "$LB_IF6/64" dev "$LB_IF" nodad || return 1

	netns_switch_port sw cl || return 1
	CLIENT_NS=$cl_ns
	CLIENT_IF=$cl_pif
	CLIENT_SIF=$cl_sif
	CLIENT4="$lan_pfx4.10"
	CLIENT6="$lan_pfx6::10"
	# A veth leaves the TCP/UDP checksum to the receiver (CHECKSUM_PARTIAL)
	# and the XDP program that encapsulates the frame drops that state:
	# the backend would get a bad checksum. Real NICs deliver complete
	# checksums; here the client computes them.
	ns_exec "$CLIENT_NS" ethtool -K "$CLIENT_IF" tx off >/dev/null || return 1
	# strict reverse-path filtering would be fine (the VIP is routed back
	# through the same interface); off, as on a typical DSR client network
	_lb_dsr_sysctl "$CLIENT_NS" net.ipv4.conf.all.rp_filter=0 \
		"net.ipv4.conf.$CLIENT_IF.rp_filter=0" &&
		ns_exec "$CLIENT_NS" ip addr add "$CLIENT4/24" dev "$CLIENT_IF" &&
		ns_exec "$CLIENT_NS" ip -6 addr add "$CLIENT6/64" dev "$CLIENT_IF" nodad &&
		ns_exec "$CLIENT_NS" ip route add "$VIP4/32" via "$LB_IF4" &&
		ns_exec "$CLIENT_NS" ip -6 route add "$VIP6/128" via "$LB_IF6" ||
		return 1

	for i in "${!BACKENDS[@]}"; do
		b=${BACKENDS[i]}
		netns_switch_port sw "$b" || return 1
		ns_var="${b}_ns" if_var="${b}_pif" sif_var="${b}_sif"
		BACKEND_NS[i]=${!ns_var}
		BACKEND_IF[i]=${!if_var}
		BACKEND_SIF[i]=${!sif_var}
		BACKEND4[i]="$lan_pfx4.$((21 + i))"
		BACKEND6[i]="$lan_pfx6::$((21 + i))"
		# The VIPs are local (on lo) but never answered for by ARP
		# (arp_ignore 1: only addresses of the asking interface;
		# arp_announce 2: never the VIP as an ARP source). Replies
		# leave with the VIP as source: no reverse-path filter.
		_lb_dsr_sysctl "${BACKEND_NS[i]}" net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 \
			"net.ipv4.conf.${BACKEND_IF[i]}.rp_filter=0" &&
			ns_exec "${BACKEND_NS[i]}" ip addr add "${BACKEND4[i]}/24" \
				dev "${BACKEND_IF[i]}" &&
			ns_exec "${BACKEND_NS[i]}" ip -6 addr add "${BACKEND6[i]}/64" \
				dev "${BACKEND_IF[i]}" nodad &&
			ns_exec "${BACKEND_NS[i]}" ip addr add "$VIP4/32" dev lo &&
			ns_exec "${BACKEND_NS[i]}" ip -6 addr add "$VIP6/128" dev lo nodad ||
			return 1
	done
}

# lb_dsr_peer_xdp BIN: a balancer without services (it passes every frame)
# on LB_IF's peer, the bridge port, under a pin root of its own. Frames the
# balancer sends back out of LB_IF (XDP_TX) reach the peer only when the
# peer runs an XDP program: on this kernel GRO alone is not enough (the
# frames are counted as sent, xdp_tx, and never arrive). Detached at
# cleanup.
lb_dsr_peer_xdp() {
	local bin=$1 peer_root
	netns_bpffs peer_root || return 1
	netns_on_exit nsenter --net="/run/netns/$LB_SW_NS" -- \
		"$bin" --pin-root "$peer_root" detach "$LB_IF_SIF"
	ns_exec "$LB_SW_NS" "$bin" --pin-root "$peer_root" attach "$LB_IF_SIF" \
		--mode native >/dev/null
}

# lb_dsr_servers PORT LIFETIME: lb_server.py in every backend namespace,
# listening on VIP4:PORT and [VIP6]:PORT, answering with the backend's
# name; waits (up to 10 s) until all listen. Pids in BACKEND_SERVER[i];
# killed at cleanup.
lb_dsr_servers() {
	local port=$1 lifetime=$2 i out srv_pid t
	for i in "${!BACKENDS[@]}"; do
		out=$(mktemp /tmp/ebpfnet-lb-server.XXXXXX) || return 1
		netns_on_exit rm -f "$out"
		ns_spawn "${BACKEND_NS[i]}" srv_pid \
			python3 "$LB_DSR_DIR/lb_server.py" "${BACKENDS[i]}" "$lifetime" \
			"$port" "$VIP4" "$VIP6" >"$out" 2>&1 || return 1
		BACKEND_SERVER[i]=$srv_pid
		for ((t = 0; t < 100; t++)); do
			grep -qx ready "$out" && break
			sleep 0.1
		done
		if ! grep -qx ready "$out"; then
			echo "lb_dsr_servers: ${BACKENDS[i]}'s server did not start:" >&2
			sed 's/^/    /' "$out" >&2
			return 1
		fi
	done
}

# lb_dsr_backend NAME: the index of backend NAME (b1 -> 0), on stdout.
lb_dsr_backend() {
	local i
	for i in "${!BACKENDS[@]}"; do
		[ "${BACKENDS[i]}" = "$1" ] && { echo "$i"; return 0; }
	done
	return 1
}
