#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
"""Socket calls the lb's socket-level test makes, one result line each.

    sock_client.py peer ADDR PORT        TCP connect, getpeername(), then
        GET /name: "peer ADDR PORT backend NAME"
    sock_client.py connect ADDR PORT TIMEOUT   TCP connect only:
        "ok ADDR PORT MS" or "ERRNO-NAME MS" (ms: how long connect() took)
    sock_client.py udp ADDR PORT         unconnected: sendto(), recvfrom():
        "from ADDR PORT reply TEXT"
    sock_client.py udpconn ADDR PORT     connected: connect(), send(),
        recv(), getpeername(): "peer ADDR PORT reply TEXT"
    sock_client.py bind ADDR PORT        bind() with IP_FREEBIND (the
        address needs no interface): "ok" or "ERRNO-NAME"
    sock_client.py peer6 ADDR PORT V6ONLY   like peer, from an AF_INET6
        socket with IPV6_V6ONLY set to V6ONLY (0: dual-stack)

A failure prints the errno's name (ECONNREFUSED, "timeout" for a socket
timeout) instead of the result. Every socket call is bounded (2 s unless
TIMEOUT says less); the exit status is 0 whatever the result, 2 on a
usage error.
"""
import errno
import socket
import sys
import time

WAIT_S = 2.0
IP_FREEBIND = getattr(socket, "IP_FREEBIND", 15)
IPV6_FREEBIND = 78


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def error_name(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


def peer_text(sock):
    p = sock.getpeername()
    return "%s %d" % (p[0], p[1])


def http_name(sock, host):
    sock.sendall(b"GET /name HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    body = data.split(b"\r\n\r\n", 1)[-1].strip()
    return body.decode(errors="replace") or "empty"


def tcp_peer(family, addr, port, v6only=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    with s:
        s.settimeout(WAIT_S)
        s.connect((addr, port))
        peer = peer_text(s)
        return "peer %s backend %s" % (peer, http_name(s, addr))


def tcp_connect(addr, port, timeout):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    with s:
        s.settimeout(timeout)
        t0 = time.monotonic()
        try:
            s.connect((addr, port))
        except OSError as e:
            return "%s %d" % (error_name(e), (time.monotonic() - t0) * 1000)
        return "ok %s %d" % (peer_text(s), (time.monotonic() - t0) * 1000)


def udp(addr, port, connected):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    with s:
        s.settimeout(WAIT_S)
        if connected:
            s.connect((addr, port))
            s.send(b"ping")
            reply = s.recv(2048)
            return "peer %s reply %s" % (peer_text(s), reply.decode())
        s.sendto(b"ping", (addr, port))
        reply, src = s.recvfrom(2048)
        return "from %s %d reply %s" % (src[0], src[1], reply.decode())


def bind(addr, port):
    family = family_of(addr)
    s = socket.socket(family, socket.SOCK_STREAM)
    with s:
        if family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
        s.bind((addr, port))
        return "ok"


def run(argv):
    cmd, addr, port = argv[0], argv[1], int(argv[2])
    if cmd == "peer" and len(argv) == 3:
        return tcp_peer(family_of(addr), addr, port)
    if cmd == "peer6" and len(argv) == 4:
        return tcp_peer(socket.AF_INET6, addr, port, int(argv[3]))
    if cmd == "connect" and len(argv) == 4:
        return tcp_connect(addr, port, float(argv[3]))
    if cmd in ("udp", "udpconn") and len(argv) == 3:
        return udp(addr, port, cmd == "udpconn")
    if cmd == "bind" and len(argv) == 3:
        return bind(addr, port)
    return None


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        line = run(sys.argv[1:])
    except OSError as e:
        line = error_name(e)
    if line is None:
        print(__doc__, file=sys.stderr)
        return 2
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
