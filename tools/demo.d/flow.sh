# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# tools/demo's flow part (sourced by tools/demo, which defines run() and
# build_dir): the flow observer on the host's veth to a namespace, live
# records of HTTP, DNS and ping traffic in Hubble's format, then the
# service map rendered as SVG. About 20 s, no input needed. Everything it
# creates is removed at the end (also on Ctrl-C), except the SVG, whose
# path it prints; it never touches the node's own pinned observer.

# shellcheck disable=SC2154  # build_dir is tools/demo's
part_flow() {
	# shellcheck disable=SC2034  # dns: dnsmasq's pid (ns_spawn kills it at cleanup)
	local bin=$build_dir/bin/ebpfnet-flow flow root www http dns observer svg round
	local c_ns c_hif c_host4 c_peer4 port=8080
	echo "== flow: a Hubble-style observer on the host's veth: TC programs fold"
	echo "   every packet into a flow table and export records when flows start,"
	echo "   show TCP flags, and end; DNS messages are decoded. The namespace"
	echo "   fetches pages over HTTP from the host, the host asks the namespace's"
	echo "   DNS server, and the namespace pings the host."
	# shellcheck source=../../tests/lib/netns.sh
	. tests/lib/netns.sh
	netns_need ping python3 curl dig dnsmasq dot timeout
	netns_pair c || { echo "tools/demo: cannot create the namespace" >&2; return 1; }
	# a private pin root: the node's own observer is left alone
	netns_bpffs root || { echo "tools/demo: cannot mount a bpffs" >&2; return 1; }
	netns_on_exit "$bin" --pin-root "$root" detach "$c_hif"
	flow=("$bin" --pin-root "$root")
	www=$(mktemp -d /tmp/ebpfnet-demo-flow.XXXXXX)
	netns_on_exit rm -rf "$www"
	head -c 65536 /dev/urandom >"$www/page"
	# timeouts: should the demo be killed before its cleanup runs
	timeout -s KILL 120 python3 -m http.server --bind "$c_host4" "$port" \
		--directory "$www" >/dev/null 2>&1 &
	http=$!
	netns_on_exit kill "$http"
	ns_spawn "$c_ns" dns timeout -s KILL 120 dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$c_peer4" --pid-file= --user=root \
		--address=/web.demo/"$c_host4" --address=/nowhere.demo/ >/dev/null 2>&1
	echo "   namespace $c_ns ($c_peer4, DNS server) <-> $c_hif ($c_host4, HTTP server)"
	echo
	run "${flow[@]}" attach "$c_hif"
	echo "\$ ebpfnet-flow --pin-root $root observe --follow &"
	"${flow[@]}" observe --follow > >(sed -u 's/^/    flow| /') 2>&1 &
	observer=$!
	netns_on_exit kill "$observer"
	sleep 1
	for round in 1 2 3; do
		echo "   round $round of 3:"
		echo "\$ dig @$c_peer4 +short web.demo   # from the host"
		timeout -s KILL 5 dig @"$c_peer4" +tries=1 +time=2 +short web.demo | sed 's/^/    /'
		sleep 1
		echo "\$ curl http://$c_host4:$port/page   # from the namespace"
		ns_exec "$c_ns" timeout -s KILL 5 curl -s -o /dev/null \
			-w '    HTTP %{http_code}, %{size_download} bytes\n' \
			"http://$c_host4:$port/page"
		sleep 1
	done
	echo "\$ dig @$c_peer4 +short nowhere.demo   # NXDOMAIN"
	timeout -s KILL 5 dig @"$c_peer4" +tries=1 +time=2 nowhere.demo | grep -o 'status: [A-Z]*' |
		sed 's/^/    /'
	echo "\$ ping -c 3 $c_host4   # from the namespace"
	ns_exec "$c_ns" ping -n -q -c 3 -i 0.3 -W 1 "$c_host4" | tail -n 2 | sed 's/^/    /'
	sleep 2
	kill -INT "$observer" 2>/dev/null || :
	wait "$observer" 2>/dev/null || :
	echo
	run "${flow[@]}" observe --last 5 --protocol tcp
	run "${flow[@]}" status
	svg=$(mktemp /tmp/ebpfnet-demo-flow-map.XXXXXX.svg)
	run "${flow[@]}" map --svg "$svg"
	run "${flow[@]}" detach "$c_hif"
	netns_cleanup
	echo "== flow: done; the namespace, veth pair, servers and pins are gone."
	echo "   The service map: $svg"
}
