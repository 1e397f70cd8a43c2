#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
#
# ebpfnet-flow over real traffic, checked against an independent decoder:
# a namespace "client" joined by a veth pair to the host, the observer on
# the host-side veth (private pin root), tcpdump capturing on that same
# interface from before the observer is attached. Traffic: three HTTP
# transfers of known sizes (1 KiB, 100 KiB, 1 MiB; client in the
# namespace, server on the host), UDP datagrams echoed back, ping, and DNS
# (dnsmasq in the namespace, dig on the host: A, AAAA, NXDOMAIN).
# Checked: attach and status (text and JSON); every TCP and UDP
# conversation and every ping flow tshark finds in the capture has a flow
# in the table with exactly tshark's packets and bytes per direction;
# every DNS message tshark decodes has a DNS record of observe --follow
# with the same name, type, rcode, addresses and TTL; observe filters;
# ICMP dropped by ebpfnet-drop shows as DROPPED flows; metrics served over
# HTTP and written as a textfile pass promtool with plausible counts; the
# service map as DOT and SVG; bad input fails with one line and changes
# nothing; detach leaves no TC filter and no pin.
# Root only. Every wait is bounded; cleanup always runs.
# shellcheck disable=SC2154  # c_* are set by netns_pair
set -u

: "${EBPFNET_SOURCE_ROOT:?run through meson test}"
: "${EBPFNET_BUILD_ROOT:?run through meson test}"
# shellcheck source=../lib/priv.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/priv.sh"
require_root
# shellcheck source=../lib/netns.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/netns.sh"
netns_need ping python3 timeout tcpdump tshark dig dnsmasq curl promtool dot tc

BIN="$EBPFNET_BUILD_ROOT/bin/ebpfnet-flow"
DROP="$EBPFNET_BUILD_ROOT/bin/ebpfnet-drop"
for b in "$BIN" "$DROP"; do
	[ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done

# shellcheck source=../lib/cli_check.sh
. "$EBPFNET_SOURCE_ROOT/tests/lib/cli_check.sh"

WAIT_S=10   # longest wait for anything
TMP=$(mktemp -d /tmp/ebpfnet-flow-cli.XXXXXX) || exit 1
netns_on_exit rm -rf "$TMP"

netns_pair c || { echo "FAIL: cannot build the namespace and veth pair" >&2; exit 1; }
netns_bpffs ROOT || { echo "FAIL: cannot mount a private bpffs" >&2; exit 1; }
ROOT_FRESH=$(find "$ROOT" -mindepth 1 | sort)
# Backstops: should the test die half-way, detach before the pins go.
netns_on_exit "$BIN" --pin-root "$ROOT" detach "$c_hif"
netns_on_exit "$DROP" --pin-root "$ROOT" detach "$c_hif"

PORT=$((20000 + $$ % 20000))  # HTTP on the host
UPORT=$((PORT + 1))           # UDP echo on the host

# flow NAME ARGS...: run ebpfnet-flow (cli_run).
flow() {
	cli_run "$@"
}

# one_error NAME WANT WHAT: exit WANT (1 or 2) with the one error line (and
# for 2 the "Try" line), nothing on stdout.
one_error() {
	local name=$1 want=$2 what=$3 lines=1
	[ "$want" = 2 ] && lines=2
	if [ "$RC" = "$want" ] && [ "$(wc -l <"$TMP/$name.err")" -eq "$lines" ] &&
	   head -n 1 "$TMP/$name.err" | grep -q '^ebpfnet-flow: error: ' &&
	   { [ "$want" = 1 ] || [ "$(tail -n 1 "$TMP/$name.err")" = "Try 'ebpfnet-flow --help'." ]; } &&
	   [ ! -s "$TMP/$name.out" ]; then
		pass "$what: exit $RC, '$(head -n 1 "$TMP/$name.err")'"
	else
		fail "$what: exit $RC (want $want), stderr:"
		show "$TMP/$name.err"
	fi
}

# wait_for WHAT CMD...: poll CMD every 0.1 s for WAIT_S seconds.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < WAIT_S * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out waiting for $what"
	return 1
}

# bg_start VAR NAME ARGS...: ebpfnet-flow ARGS in the background (bounded),
# output in $TMP/NAME.{out,err}; its pid in VAR (killed at cleanup).
bg_start() {
	local var=$1 name=$2 pid
	shift 2
	timeout -s KILL 60 "$BIN" --pin-root "$ROOT" "$@" >"$TMP/$name.out" \
		2>"$TMP/$name.err" </dev/null &
	pid=$!
	netns_on_exit kill "$pid"
	printf -v "$var" '%s' "$pid"
}

# bg_stop PID: SIGINT, then its exit status in $RC.
bg_stop() {
	kill -INT "$1" 2>/dev/null
	wait "$1"
	RC=$?
}

# A live reader prints nothing when it is ready (and a filtered one may
# print nothing for a while): give it a moment to open before the traffic.
reader_settle() {
	sleep 1
}

# ---- 0. no observer yet: reading fails and creates nothing ------------------
test_fresh() {
	flow fresh_status status
	one_error fresh_status 1 "status without an observer"
	flow fresh_observe observe
	one_error fresh_observe 1 "observe without an observer"
	flow fresh_detach detach "$c_hif"
	one_error fresh_detach 1 "detach without an observer"
	judge "no observer: reading created no pin" [ -z "$(pins_left)" ]
}

# ---- 1. capture, attach, status ----------------------------------------------
CAP=$TMP/cap.pcap
TCPDUMP=
start_capture() {
	# -s 0: whole frames; -U: written as they come; -n: no lookups
	timeout -s KILL 300 tcpdump -i "$c_hif" -n -s 0 -U -w "$CAP" \
		2>"$TMP/tcpdump.err" &
	TCPDUMP=$!
	netns_on_exit kill "$TCPDUMP"
	wait_for "tcpdump to listen" grep -q "listening on" "$TMP/tcpdump.err" &&
		pass "tcpdump captures on $c_hif"
}

stop_capture() {
	kill -INT "$TCPDUMP" 2>/dev/null
	wait "$TCPDUMP" 2>/dev/null
	# "N packets dropped by kernel" must be 0: the capture is the reference
	if grep -qE '^0 packets dropped by kernel' "$TMP/tcpdump.err"; then
		pass "tcpdump: $(grep -E 'captured' "$TMP/tcpdump.err")"
	else
		fail "tcpdump dropped packets or did not say:"
		show "$TMP/tcpdump.err"
	fi
}

test_attach() {
	ok_run attach "attach" attach "$c_hif" || return 1
	judge "attach: '$(cat "$TMP/attach.out")'" \
		[ "$(cat "$TMP/attach.out")" = "attached to $c_hif" ]
	ok_run attach2 "attach again (idempotent)" attach "$c_hif" --json &&
		judge "attach --json: $(cat "$TMP/attach2.out")" \
			[ "$(cat "$TMP/attach2.out")" = "{\"interface\":\"$c_hif\",\"attached\":true}" ]
	if pgrep -f -- "--pin-root $ROOT" >/dev/null; then
		fail "attach: an ebpfnet-flow process is still running"
	fi
	if tc filter show dev "$c_hif" ingress | grep -q 'flow_ingress' &&
	   tc filter show dev "$c_hif" egress | grep -q 'flow_egress'; then
		pass "attach: flow_ingress and flow_egress on $c_hif after the CLI exited"
	else
		fail "attach: TC programs not found on $c_hif:"
		tc filter show dev "$c_hif" ingress | show
		tc filter show dev "$c_hif" egress | show
	fi
	ok_run status "status" status || return
	if grep -qE "^interface +$c_hif \(ifindex [0-9]+\)$" "$TMP/status.out" &&
	   grep -qE '^events_lost +0$' "$TMP/status.out"; then
		pass "status: $c_hif, events_lost 0"
	else
		fail "status:"
		show "$TMP/status.out"
	fi
	ok_run status_json "status --json" status --json || return
	if python3 - "$TMP/status_json.out" "$c_hif" "$ROOT" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["pin_root"] == sys.argv[3], s
assert [i["name"] for i in s["interfaces"]] == [sys.argv[2]], s
assert s["interfaces"][0]["ifindex"] > 0, s
st = s["settings"]
assert st["max_flows"] == 65536 and st["interval_ms"] == 5000, st
assert st["event_rate"] == 100000 and st["idle_timeout_ms"] == 60000, st
for k in ("flows", "not_ip", "malformed", "flows_created", "table_full",
          "events_sent", "events_suppressed", "events_lost", "dns_sent",
          "monitor_lost"):
    assert isinstance(s["stats"][k], int), k
assert set(s["stats"]["seen"]) == {"packets", "bytes"}, s
EOF
	then
		pass "status --json: parses, one interface, default settings, every counter"
	else
		fail "status --json:"
		show "$TMP/status_json.out"
	fi
	python3 -m json.tool "$TMP/status_json.out" >/dev/null ||
		fail "status --json: python3 -m json.tool rejects it"
}

# ---- 2. traffic -----------------------------------------------------------------
HTTP_PID=
start_servers() {
	mkdir -p "$TMP/www"
	head -c 1024 /dev/urandom >"$TMP/www/1k"
	head -c $((100 * 1024)) /dev/urandom >"$TMP/www/100k"
	head -c $((1024 * 1024)) /dev/urandom >"$TMP/www/1m"
	timeout -s KILL 300 python3 -m http.server --bind "$c_host4" "$PORT" \
		--directory "$TMP/www" >/dev/null 2>&1 &
	HTTP_PID=$!
	netns_on_exit kill "$HTTP_PID"
	wait_for "the HTTP server" sh -c "ss -Hltn 'src $c_host4:$PORT' | grep -q ."
	# DNS in the namespace: A, AAAA, and NXDOMAIN for *.nx.test
	ns_spawn "$c_ns" DNSMASQ dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--no-resolv --no-hosts --bind-interfaces --listen-address="$c_peer4" \
		--port=53 --pid-file= --user=root --local-ttl=300 \
		--address=/svc.test/10.9.9.9 \
		--host-record=svc6.test,10.9.9.6,fd00:99::6 \
		--address=/nx.test/ >"$TMP/dnsmasq.log" 2>&1 ||
		{ fail "cannot start dnsmasq"; return 1; }
	wait_for "dnsmasq" sh -c "nsenter --net=/run/netns/$c_ns ss -Hlun 'src $c_peer4:53' | grep -q ."
}

# http_get FILE: fetch FILE from the namespace (a connection each); its size.
http_get() {
	ns_exec "$c_ns" timeout -s KILL 15 curl -s -o /dev/null -w '%{size_download}' \
		"http://$c_host4:$PORT/$1"
}

udp_echo() {
	timeout -s KILL 15 python3 - "$c_host4" "$UPORT" >"$TMP/udp.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(10)
n = 0
try:
    while n < 4:
        data, peer = s.recvfrom(4096)
        s.sendto(data, peer)
        n += 1
except socket.timeout:
    pass
print(n, flush=True)
EOF
	local rx=$!
	wait_for "the UDP echo server" sh -c "ss -Hlun 'src $c_host4:$UPORT' | grep -q ."
	ns_exec "$c_ns" timeout -s KILL 10 python3 - "$c_host4" "$UPORT" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for size in (10, 100, 500, 1400):
    s.sendto(b"u" * size, (sys.argv[1], int(sys.argv[2])))
    s.recvfrom(4096)
EOF
	wait "$rx"
	judge "UDP: 4 datagrams echoed ('$(cat "$TMP/udp.out")')" [ "$(cat "$TMP/udp.out")" = 4 ]
}

# The DNS questions: name type.
DNS_QUERIES=("svc.test A" "svc6.test AAAA" "svc6.test A" "missing.nx.test A")

dns_queries() {
	local q n=0
	for q in "${DNS_QUERIES[@]}"; do
		# shellcheck disable=SC2086
		dig @"$c_peer4" +tries=1 +time=3 +noedns $q >"$TMP/dig.$n" 2>&1 ||
			fail "dig $q failed"
		n=$((n + 1))
	done
	grep -q '10.9.9.9' "$TMP/dig.0" && grep -q 'fd00:99::6' "$TMP/dig.1" &&
		grep -q 'NXDOMAIN' "$TMP/dig.3" &&
		pass "dig: answers from dnsmasq (A, AAAA, NXDOMAIN)"
}

FOLLOW_PID=
test_traffic() {
	local sizes
	start_servers || return 1
	bg_start FOLLOW_PID follow observe --follow --json
	reader_settle
	sizes="$(http_get 1k) $(http_get 100k) $(http_get 1m)"
	judge "HTTP: 1 KiB, 100 KiB, 1 MiB transferred ($sizes)" \
		[ "$sizes" = "1024 102400 1048576" ]
	udp_echo
	ns_exec "$c_ns" ping -n -q -c 4 -i 0.2 -W 1 "$c_host4" >/dev/null ||
		fail "ping: no replies"
	dns_queries
	sleep 1
	# the table while every flow is still in it (idle timeout 60 s)
	ok_run snap "observe --json --last 1000" observe --json --last 1000
	stop_capture
	bg_stop "$FOLLOW_PID"
	judge "observe --follow: exit 0 after SIGINT (exit $RC)" [ "$RC" = 0 ]
	if grep -qE '^ebpfnet-flow: [0-9]+ flow and [0-9]+ DNS records; node-wide [0-9]+ events suppressed by the rate limit, 0 lost, 0 monitor events lost$' \
		"$TMP/follow.err"; then
		pass "observe --follow: summary '$(cat "$TMP/follow.err")'"
	else
		fail "observe --follow: no summary line with 0 lost on stderr:"
		show "$TMP/follow.err"
	fi
}

# ---- 3. the table against tshark ------------------------------------------------
# tshark's conversation table (-z conv) rounds bytes to kB: per-frame fields
# summed here give the exact totals (and its frame counts are checked too).
test_vs_tshark() {
	tshark -r "$CAP" -T fields -E separator=/t -e frame.len -e ip.src -e ip.dst \
		-e ip.proto -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
		-e icmp.type -e icmp.ident -Y 'ip' >"$TMP/frames.tsv" 2>"$TMP/tshark.err" ||
		{ fail "tshark cannot read the capture"; show "$TMP/tshark.err"; return; }
	tshark -r "$CAP" -q -z conv,tcp -z conv,udp >"$TMP/conv.txt" 2>>"$TMP/tshark.err"
	python3 - "$TMP/frames.tsv" "$TMP/conv.txt" "$TMP/snap.out" "$c_peer4" "$c_host4" <<'EOF'
import collections, json, re, sys
frames, conv, snap, peer, host = sys.argv[1:6]
ours = {peer, host}

# tshark: per conversation {A, B}, frames and bytes each way
tally = collections.defaultdict(lambda: [0, 0])
for line in open(frames):
    f = line.rstrip("\n").split("\t")
    length, src, dst, proto = int(f[0]), f[1], f[2], int(f[3])
    if {src, dst} != ours:
        continue
    if proto == 6:
        sp, dp = int(f[4]), int(f[5])
    elif proto == 17:
        sp, dp = int(f[6]), int(f[7])
    elif proto == 1 and f[8] in ("0", "8"):
        sp = dp = 0  # echo: one ping, one flow (its identifier folds both ways)
    else:
        continue
    t = tally[(proto, src, sp, dst, dp)]
    t[0] += 1
    t[1] += length

# the conversation table's frame counts agree with the sums
convs = 0
for m in re.finditer(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+\S+ \S+\s+(\d+)\s", open(conv).read(), re.M):
    a, ap, b, bp, ba, ab = m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5)), int(m.group(6))
    for proto in (6, 17):
        if (proto, a, ap, b, bp) in tally or (proto, b, bp, a, ap) in tally:
            got_ab = tally.get((proto, a, ap, b, bp), [0, 0])[0]
            got_ba = tally.get((proto, b, bp, a, ap), [0, 0])[0]
            if (got_ab, got_ba) != (ab, ba):
                print("FAIL: conv table %s:%d <-> %s:%d frames %d/%d, fields %d/%d" % (a, ap, b, bp, ab, ba, got_ab, got_ba))
            convs += 1
            break

flows = {}
for line in open(snap):
    rec = json.loads(line)
    f = rec["flow"]
    proto = {"TCP": 6, "UDP": 17, "ICMPv4": 1}
    l4 = f.get("l4", {})
    kind = next((k for k in l4 if k in proto), None)
    if kind is None:
        continue
    src, dst = f["IP"]["source"], f["IP"]["destination"]
    if kind == "ICMPv4":
        sp = dp = 0
    else:
        sp, dp = l4[kind].get("source_port", 0), l4[kind].get("destination_port", 0)
    flows[(proto[kind], src, sp, dst, dp)] = f

fails = 0
checked = collections.Counter()
seen = set()
for key, (n, b) in sorted(tally.items()):
    proto, src, sp, dst, dp = key
    rkey = (proto, dst, dp, src, sp)
    if key in seen or rkey in seen:
        continue
    seen.add(key)
    f = flows.get(key)
    if f is not None:
        orig, reply = tally[key], tally.get(rkey, [0, 0])
    else:
        f = flows.get(rkey)
        orig, reply = tally.get(rkey, [0, 0]), tally[key]
        key = rkey
    name = {6: "TCP", 17: "UDP", 1: "ICMP"}[proto] + " %s:%d -> %s:%d" % (key[1], key[2], key[3], key[4])
    if f is None:
        print("FAIL: %s: no flow in the table (tshark: %d/%d packets)" % (name, orig[0], reply[0]))
        fails += 1
        continue
    c = f["ebpfnet"]
    got = (c["orig"]["packets"], c["orig"]["bytes"], c["reply"]["packets"], c["reply"]["bytes"])
    if (f["packets"], f["bytes"]) != (got[0] + got[2], got[1] + got[3]):
        print("FAIL: %s: packets/bytes %d/%d are not orig + reply" % (name, f["packets"], f["bytes"]))
        fails += 1
    want = (orig[0], orig[1], reply[0], reply[1])
    if got != want:
        print("FAIL: %s: observer packets/bytes orig %d/%d reply %d/%d, tshark %d/%d, %d/%d" % ((name,) + got + want))
        fails += 1
    else:
        print("ok: %s: orig %d packets %d bytes, reply %d packets %d bytes (tshark: the same)" % ((name,) + got))
    checked[proto] += 1
want = {6: 3, 17: 5, 1: 1}  # 3 HTTP, UDP echo + 4 DNS queries, 1 ping
for proto, n in want.items():
    if checked[proto] < n:
        print("FAIL: only %d flows of protocol %d compared, want at least %d" % (checked[proto], proto, n))
        fails += 1
print("compared %d flows against tshark (%d TCP/UDP conversations in its table)" % (sum(checked.values()), convs))
sys.exit(1 if fails else 0)
EOF
	local rc=$?
	judge "every TCP/UDP/ICMP flow tshark saw: packets and bytes per direction equal" [ "$rc" = 0 ]
}

test_dns_vs_tshark() {
	tshark -r "$CAP" -Y dns -T fields -E separator=/t -E aggregator=, \
		-e dns.flags.response -e dns.qry.name -e dns.qry.type -e dns.flags.rcode \
		-e dns.a -e dns.aaaa -e dns.resp.ttl -e dns.id >"$TMP/dns.tsv" 2>>"$TMP/tshark.err"
	python3 - "$TMP/dns.tsv" "$TMP/follow.out" <<'EOF'
import collections, ipaddress, json, sys
QTYPES = {1: "A", 28: "AAAA", 5: "CNAME", 15: "MX", 16: "TXT", 33: "SRV", 12: "PTR", 2: "NS", 6: "SOA"}

def norm_ips(ips):
    return tuple(sorted(str(ipaddress.ip_address(i)) for i in ips if i))

want = collections.Counter()
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    resp, name, qtype, rcode, a, aaaa, ttl, _id = f
    is_resp = resp in ("1", "True")
    ips = (a.split(",") if a else []) + (aaaa.split(",") if aaaa else [])
    ttls = [int(t) for t in ttl.split(",") if t] if is_resp else []
    # tshark shows no rcode for a query
    want[(is_resp, name.rstrip(".") + ".", QTYPES.get(int(qtype), qtype), int(rcode or 0),
          norm_ips(ips) if is_resp else (), min(ttls) if ttls and ips else 0)] += 1

got = collections.Counter()
for line in open(sys.argv[2]):
    rec = json.loads(line)
    dns = rec.get("flow", {}).get("l7", {}).get("dns")
    if not dns:
        continue
    l7type = rec["flow"]["l7"].get("type")
    is_resp = l7type == "RESPONSE"
    ips = dns.get("ips", []) or []
    got[(is_resp, dns["query"], (dns.get("qtypes") or ["?"])[0], dns.get("rcode", 0),
         norm_ips(ips) if is_resp else (), dns.get("ttl", 0) if is_resp and ips else 0)] += 1

fails = 0
for k in sorted(set(want) | set(got), key=str):
    if want[k] != got[k]:
        print("FAIL: DNS %s: tshark %d, observer %d" % (k, want[k], got[k]))
        fails += 1
    else:
        print("ok: DNS %s %s %s rcode %d ips %s ttl %d: %d time(s)" % (
            "response" if k[0] else "query", k[1], k[2], k[3], list(k[4]), k[5], want[k]))
if sum(want.values()) < 8:
    print("FAIL: tshark decoded %d DNS messages, want at least 8" % sum(want.values()))
    fails += 1
sys.exit(1 if fails else 0)
EOF
	local rc=$?
	judge "every DNS message tshark decoded: name, type, rcode, addresses, TTL equal" [ "$rc" = 0 ]
}

# ---- 4. filters on the table ------------------------------------------------------
# count_records NAME ARGS...: observe --json ARGS; the line count in $N.
count_records() {
	local name=$1
	shift
	ok_run "$name" "observe $*" observe --json --last 1000 "$@"
	N=$(wc -l <"$TMP/$name.out")
}

test_filters() {
	local n_all
	count_records f_all
	n_all=$N
	count_records f_tcp --protocol tcp --port "$PORT"
	judge "observe --protocol tcp --port $PORT: the 3 HTTP flows ($N)" [ "$N" = 3 ]
	count_records f_udp --protocol udp --ip "$c_peer4" --port 53
	judge "observe --protocol udp --ip $c_peer4 --port 53: 4 DNS flows ($N)" [ "$N" = 4 ]
	count_records f_icmp --protocol icmp --ip "$c_net4"
	judge "observe --protocol icmp --ip $c_net4: 1 ping flow ($N)" [ "$N" = 1 ]
	count_records f_none --iface lo
	judge "observe --iface lo: nothing ($N)" [ "$N" = 0 ]
	count_records f_drop --verdict dropped
	judge "observe --verdict dropped: nothing yet ($N)" [ "$N" = 0 ]
	count_records f_since --since 1h
	judge "observe --since 1h: all $n_all ($N)" [ "$N" = "$n_all" ]
	count_records f_future --since 2100-01-01T00:00:00Z
	judge "observe --since 2100-01-01T00:00:00Z: nothing ($N)" [ "$N" = 0 ]
	ok_run f_last "observe --last 2" observe --last 2
	judge "observe --last 2: 2 text lines" [ "$(wc -l <"$TMP/f_last.out")" = 2 ]
	ok_run f_default "observe" observe
	N=$(wc -l <"$TMP/f_default.out")
	judge "observe: at most 20 lines by default ($N of $n_all)" \
		[ "$N" = "$((n_all < 20 ? n_all : 20))" ]
	if grep -qE "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:.]+: $c_peer4:[0-9]+ .*-> $c_host4:$PORT .*FORWARDED" \
		"$TMP/f_default.out"; then
		pass "observe: Hubble-style text line '$(grep -m1 -E ":$PORT " "$TMP/f_default.out")'"
	else
		fail "observe: no Hubble-style line for the HTTP flows:"
		show "$TMP/f_default.out"
	fi
}

# ---- 5. drops of ebpfnet-drop show as DROPPED -----------------------------------
test_drop() {
	local obs
	if ! timeout -s KILL 10 "$DROP" --pin-root "$ROOT" attach "$c_hif" >/dev/null ||
	   ! timeout -s KILL 10 "$DROP" --pin-root "$ROOT" set event-rate 1000 ||
	   ! timeout -s KILL 10 "$DROP" --pin-root "$ROOT" add proto icmp \
		icmp-type echo-request >/dev/null; then
		fail "ebpfnet-drop: cannot set up the echo rule"
		return
	fi
	bg_start obs drop_follow observe --follow --json --verdict dropped --count 3
	reader_settle
	ns_exec "$c_ns" ping -n -q -c 5 -i 0.2 -W 1 "$c_host4" >/dev/null &&
		fail "ping went through the drop rule"
	wait_for "3 DROPPED records" sh -c "[ \$(wc -l <'$TMP/drop_follow.out') -ge 3 ]"
	bg_stop "$obs"
	judge "observe --follow --count 3: exit 0 (exit $RC)" [ "$RC" = 0 ]
	if python3 - "$TMP/drop_follow.out" "$c_peer4" "$c_host4" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 3, recs
for r in recs:
    f = r["flow"]
    assert f["verdict"] == "DROPPED", f
    assert f["IP"]["source"] == sys.argv[2] and f["IP"]["destination"] == sys.argv[3], f
    assert "ICMPv4" in f["l4"], f
    assert f.get("drop_reason_desc") == "DROP_RULE", f
EOF
	then
		pass "pings dropped by ebpfnet-drop: 3 DROPPED flows (DROP_RULE) from $c_peer4"
	else
		fail "DROPPED records:"
		show "$TMP/drop_follow.out" "$TMP/drop_follow.err"
	fi
	timeout -s KILL 10 "$DROP" --pin-root "$ROOT" detach "$c_hif" >/dev/null ||
		fail "ebpfnet-drop detach"
}

# ---- 6. metrics ---------------------------------------------------------------------
test_metrics() {
	local m url syn
	bg_start m metrics metrics --listen 127.0.0.1:0 --duration 30
	wait_for "the metrics server" grep -q '^serving metrics on http://127.0.0.1:[0-9]*/metrics$' \
		"$TMP/metrics.out" || { show "$TMP/metrics.err"; return; }
	url=$(sed -n 's/^serving metrics on //p' "$TMP/metrics.out")
	pass "metrics: $url"
	http_get 1k >/dev/null
	http_get 1k >/dev/null
	http_get 100k >/dev/null
	dns_queries >/dev/null
	sleep 2
	curl -s -m 5 -o "$TMP/scrape.prom" "$url" || fail "curl $url failed"
	if promtool check metrics <"$TMP/scrape.prom" >"$TMP/promtool.out" 2>&1; then
		pass "promtool check metrics: the scrape passes"
	else
		fail "promtool check metrics:"
		show "$TMP/promtool.out"
	fi
	syn=$(sed -nE 's/^hubble_tcp_flags_total\{.*flag="SYN".*family="IPv4".*\} ([0-9]+).*/\1/p' \
		"$TMP/scrape.prom" | head -n 1)
	judge "hubble_tcp_flags_total{flag=SYN,family=IPv4} ${syn:-none} >= 3 connections" \
		[ "${syn:-0}" -ge 3 ]
	judge "hubble_flows_processed_total lines with a verdict" \
		grep -qE '^hubble_flows_processed_total\{.*verdict="FORWARDED".*\} [1-9]' "$TMP/scrape.prom"
	judge "hubble_dns_queries_total counted" \
		grep -qE '^hubble_dns_queries_total\{.*\} [1-9]' "$TMP/scrape.prom"
	judge "ebpfnet_lost_events_total present" \
		grep -qE '^ebpfnet_lost_events_total' "$TMP/scrape.prom"
	curl -s -m 5 -o /dev/null -w '%{http_code}' "${url%/metrics}/other" >"$TMP/404" 2>/dev/null
	judge "GET /other: 404 ($(cat "$TMP/404"))" [ "$(cat "$TMP/404")" = 404 ]
	bg_stop "$m"
	judge "metrics: exit 0 after SIGINT (exit $RC)" [ "$RC" = 0 ]
	flow tf metrics --textfile "$TMP/flow.prom" --every 1 --duration 3
	judge "metrics --textfile --duration 3: exit 0 (exit $RC)" [ "$RC" = 0 ]
	if promtool check metrics <"$TMP/flow.prom" >"$TMP/promtool2.out" 2>&1; then
		pass "promtool check metrics: the textfile passes"
	else
		fail "promtool check metrics (textfile):"
		show "$TMP/promtool2.out"
	fi
}

# ---- 7. the service map ---------------------------------------------------------
test_map() {
	ok_run map_dot "map --dot" map --dot "$TMP/map.dot" || return
	judge "map --dot: 'wrote $TMP/map.dot'" [ "$(cat "$TMP/map_dot.out")" = "wrote $TMP/map.dot" ]
	if grep -q "digraph" "$TMP/map.dot" && grep -qF "$c_peer4" "$TMP/map.dot" &&
	   grep -qF "$c_host4" "$TMP/map.dot"; then
		pass "map --dot: a digraph with $c_peer4 and $c_host4"
	else
		fail "map --dot:"
		show "$TMP/map.dot"
	fi
	ok_run map_svg "map --svg" map --svg "$TMP/map.svg" &&
		judge "map --svg: an SVG" grep -q '<svg' "$TMP/map.svg"
	mkdir -p "$TMP/nodot"
	ln -sf "$(command -v timeout)" "$TMP/nodot/timeout"
	PATH=$TMP/nodot flow map_nodot map --svg "$TMP/none.svg"
	one_error map_nodot 1 "map --svg without dot in PATH"
	judge "map --svg without dot: no file" [ ! -e "$TMP/none.svg" ]
}

# ---- 8. bad input: one line, exit 1 (2 for usage), nothing changed ---------------
state() {
	flow state status --json
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["interfaces"], s["settings"])' \
		"$TMP/state.out"
}

test_bad_input() {
	local before args
	before=$(state)
	flow missing attach "nosuch$$"
	one_error missing 1 "attach to a missing interface"
	flow missing2 attach "$c_hif" "nosuch$$"
	one_error missing2 1 "attach to a good and a missing interface"
	flow notobs detach "$c_hif" lo
	one_error notobs 1 "detach of an interface not observed"
	for args in "observe --ip 10.1" "observe --port 70000" "observe --since yesterday" \
		    "observe --protocol sctp" "observe --verdict maybe" "observe --type trace" \
		    "bogus" "attach" "status extra" "observe --duration 5" "map" \
		    "metrics --listen localhost:1" "metrics --every 1" "--frob status"; do
		# shellcheck disable=SC2086
		flow usage $args
		one_error usage 2 "usage '$args'"
	done
	judge "bad input changed nothing (interfaces and settings identical)" \
		[ "$before" = "$(state)" ]
	flow help --help
	judge "--help: exit 0 (exit $RC)" [ "$RC" = 0 ]
	judge "--help: usage on stdout" grep -q '^Usage: ebpfnet-flow' "$TMP/help.out"
}

# ---- 9. detach leaves nothing ---------------------------------------------------
test_detach() {
	ok_run detach "detach" detach "$c_hif" || return
	judge "detach: '$(cat "$TMP/detach.out")'" \
		[ "$(cat "$TMP/detach.out")" = "detached from $c_hif" ]
	judge "detach: no TC filter left on $c_hif" \
		[ -z "$(tc filter show dev "$c_hif" ingress; tc filter show dev "$c_hif" egress)" ]
	left=$(pins_left)
	judge "detach: nothing left under the pin root" [ -z "$left" ] ||
		echo "$left" | show
	flow after status
	one_error after 1 "status after the last detach"
}

test_fresh
start_capture || exit 1
test_attach || exit 1
test_traffic
test_vs_tshark
test_dns_vs_tshark
test_filters
test_drop
test_metrics
test_map
test_bad_input
test_detach

if [ "$FAILED" != 0 ]; then
	echo "test_flow_cli: FAILED" >&2
	exit 1
fi
echo "test_flow_cli: all passed"
