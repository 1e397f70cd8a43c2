#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
"""TCP servers and clients for the policy CLI's test and demo (run inside
a workload's network namespace).

  policy_tcp.py serve PORT...            echo every byte back, on each PORT,
                                         until killed (or --for SEC)
  policy_tcp.py connect ADDR PORT        one connection: a line there and its
                                         echo back; prints "allowed" (exit 0)
                                         or "denied: why" (exit 1)
  policy_tcp.py hold ADDR PORT SEC       one long connection, a byte every
                                         0.2 s, each echoed back: "up" once,
                                         then "cut after N s" (exit 1) when
                                         an echo stops coming, or "held" at
                                         the end (exit 0)

Every wait is bounded (connect and each echo: 1 s).
"""
import select
import socket
import sys
import threading
import time

TIMEOUT_S = 1.0


def echo(conn):
    with conn:
        conn.settimeout(30)
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            return


def serve(ports, for_s):
    listeners = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(64)
        listeners.append(s)
    print("serving", " ".join(str(p) for p in ports), flush=True)
    deadline = time.monotonic() + for_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select(listeners, [], [], 1.0)
        for s in ready:
            conn, _ = s.accept()
            threading.Thread(target=echo, args=(conn,), daemon=True).start()
    return 0


def dial(addr, port):
    return socket.create_connection((addr, port), timeout=TIMEOUT_S)


def exchange(sock, data):
    """Send data and read the same bytes back (within TIMEOUT_S)."""
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(len(data) - len(got))
        if not chunk:
            raise ConnectionError("closed by the peer")
        got += chunk
    if got != data:
        raise ConnectionError("echo differs")


def connect(addr, port):
    try:
        with dial(addr, port) as sock:
            exchange(sock, b"ping from the client\n")
    except (OSError, ConnectionError) as e:
        print("denied:", e)
        return 1
    print("allowed")
    return 0


def hold(addr, port, for_s):
    start = time.monotonic()
    try:
        sock = dial(addr, port)
        exchange(sock, b"x")
    except (OSError, ConnectionError) as e:
        print("failed:", e, flush=True)
        return 1
    print("up", flush=True)
    with sock:
        while time.monotonic() - start < for_s:
            time.sleep(0.2)
            try:
                exchange(sock, b"x")
            except (OSError, ConnectionError) as e:
                print("cut after %.1f s (%s)" % (time.monotonic() - start, e),
                      flush=True)
                return 1
    print("held", flush=True)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "serve":
        for_s = 3600.0
        if argv[1] == "--for":
            for_s = float(argv[2])
            argv = argv[2:]
        return serve([int(p) for p in argv[1:]], for_s)
    if len(argv) == 3 and argv[0] == "connect":
        return connect(argv[1], int(argv[2]))
    if len(argv) == 4 and argv[0] == "hold":
        return hold(argv[1], int(argv[2]), float(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
