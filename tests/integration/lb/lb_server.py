#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
"""A backend's TCP server for the lb's DSR test and demo.

    lb_server.py NAME LIFETIME PORT ADDR...

Listens on every ADDR:PORT (IPv4 or IPv6, e.g. the VIPs bound on lo) and,
on each connection, first sends "NAME\\n", then answers each line L with
"NAME L\\n"; the line "quit" makes it close the connection (so the TIME_WAIT
stays here and the client may reuse its source port at once). Prints
"ready" once it listens; exits after LIFETIME seconds whatever happens.
"""
import os
import selectors
import socket
import sys
import threading


def serve(conn, name):
    greeting = (name + "\n").encode()
    with conn:
        conn.settimeout(60)
        try:
            conn.sendall(greeting)
            for line in conn.makefile("rb"):
                line = line.rstrip(b"\r\n")
                if line == b"quit":
                    return
                conn.sendall(greeting[:-1] + b" " + line + b"\n")
        except OSError:
            pass


def listener(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(512)
    s.setblocking(False)
    return s


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: lb_server.py NAME LIFETIME PORT ADDR...")
    name, lifetime, port = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    # the deadline holds even if the accept loop is stuck
    threading.Timer(lifetime, lambda: os._exit(0)).start()
    sel = selectors.DefaultSelector()
    for addr in sys.argv[4:]:
        sel.register(listener(addr, port), selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            try:
                conn, _ = key.fileobj.accept()
            except OSError:
                continue
            conn.setblocking(True)
            threading.Thread(target=serve, args=(conn, name), daemon=True).start()


if __name__ == "__main__":
    main()
