# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# tools/demo's policy part (sourced by tools/demo, which defines run() and
# build_dir): the classic three-tier policy (frontend -> backend:80,
# backend -> db:5432, nothing else) on three workload namespaces routed by
# the host, connection attempts shown as allowed or denied before and
# after, and the trace of a denied one. About 30 s, no input needed.
# Everything it creates is removed at the end (also on Ctrl-C); it never
# touches the node's own pinned policy.

# policy_demo_attempts BIN ROOT: the four connections, each one line.
policy_demo_attempts() {
	local pair src dst port result
	for pair in "frontend backend 80" "frontend db 5432" "backend db 5432" \
		"db frontend 8080"; do
		read -r src dst port <<<"$pair"
		if ns_exec "${POLICY_DEMO_NS[$src]}" timeout -s KILL 5 python3 \
			tests/integration/policy/policy_tcp.py connect \
			"${POLICY_DEMO_ADDR[$dst]}" "$port" >/dev/null 2>&1; then
			result=allowed
		else
			result=denied
		fi
		printf '    %-8s -> %-8s TCP %-5s %s\n' "$src" "$dst" "$port" "$result"
	done
}

# shellcheck disable=SC2154  # build_dir is tools/demo's
part_policy() {
	# shellcheck disable=SC2034  # srv: the servers' pids (killed at cleanup)
	local bin=$build_dir/bin/ebpfnet-policy pol root w v srv forward
	declare -gA POLICY_DEMO_NS=() POLICY_DEMO_ADDR=() POLICY_DEMO_IF=()
	echo "== policy: identity-based network policy (Cilium's model) on three"
	echo "   workloads, each a namespace behind a veth pair whose host side is"
	echo "   its endpoint: frontend may reach backend on TCP 80, backend may"
	echo "   reach db on TCP 5432, nothing else. TC programs decide each new"
	echo "   connection and track it; each ebpfnet-policy command exits at once."
	# shellcheck source=../../tests/lib/netns.sh
	. tests/lib/netns.sh
	netns_need python3 timeout sysctl
	# a private pin root: the node's own policy is left alone
	netns_bpffs root || { echo "tools/demo: cannot mount a bpffs" >&2; return 1; }
	pol=("$bin" --pin-root "$root")
	forward=$(sysctl -n net.ipv4.ip_forward)
	netns_on_exit sysctl -qw "net.ipv4.ip_forward=$forward"
	sysctl -qw net.ipv4.ip_forward=1
	for w in frontend backend db; do
		netns_pair "$w" || { echo "tools/demo: cannot create the namespaces" >&2; return 1; }
		v=${w}_ns; POLICY_DEMO_NS[$w]=${!v}
		v=${w}_hif; POLICY_DEMO_IF[$w]=${!v}
		v=${w}_peer4; POLICY_DEMO_ADDR[$w]=${!v}
		v=${w}_host4
		ns_exec "${POLICY_DEMO_NS[$w]}" ip route add default via "${!v}"
		netns_on_exit "$bin" --pin-root "$root" endpoint del "${POLICY_DEMO_IF[$w]}"
		# every workload serves every port: a denial is the policy's
		ns_spawn "${POLICY_DEMO_NS[$w]}" srv python3 \
			tests/integration/policy/policy_tcp.py serve --for 120 80 5432 8080 \
			>/dev/null 2>&1
		echo "   $w: namespace ${POLICY_DEMO_NS[$w]}, ${POLICY_DEMO_ADDR[$w]}," \
			"endpoint ${POLICY_DEMO_IF[$w]}"
	done
	sleep 1
	echo
	for w in frontend backend db; do
		run "${pol[@]}" endpoint add "${POLICY_DEMO_IF[$w]}" \
			--ip "${POLICY_DEMO_ADDR[$w]}" --labels "app=$w"
	done
	echo "   no policy yet: every connection is allowed"
	policy_demo_attempts
	echo
	run "${pol[@]}" apply tests/integration/policy/classic-cnp.yaml
	run "${pol[@]}" list
	echo "   the classic policy in force:"
	policy_demo_attempts
	echo
	echo "   why is frontend -> db denied? (trace exits 3 for denied, 0 for allowed)"
	run "${pol[@]}" trace --from app=frontend --to app=db --port 5432/tcp || :
	run "${pol[@]}" trace --from app=frontend --to "${POLICY_DEMO_ADDR[backend]}" \
		--port 80 || :
	echo "   the rules' counters: the connections each allowed"
	run "${pol[@]}" verdicts
	run "${pol[@]}" endpoint list
	for w in frontend backend db; do
		run "${pol[@]}" delete "$w"
	done
	for w in frontend backend db; do
		run "${pol[@]}" endpoint del "${POLICY_DEMO_IF[$w]}"
	done
	netns_cleanup
	echo "== policy: done; the namespaces, veth pairs, servers and pins are gone."
}
