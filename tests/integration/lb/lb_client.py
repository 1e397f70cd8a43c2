#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
"""A client of the lb's DSR test and demo: which backend answers?

    lb_client.py burst VIP PORT SPORT COUNT
        COUNT connections, one after the other, from source ports SPORT,
        SPORT+1, ...: prints "SPORT NAME" (the backend that answered) or
        "SPORT ERR reason" per connection. Each closes with "quit", so the
        server closes first and the source port can be used again at once.
        Gives up after 3 failures in a row (so a dead path costs seconds,
        not COUNT timeouts): fewer lines than COUNT then.
    lb_client.py hold VIP PORT SPORT LIFETIME
        One connection from SPORT, kept open: prints "backend NAME", then
        sends a line every 100 ms and prints "ok N NAME" for each answer.
        SIGTERM (or LIFETIME seconds) ends it: "done N", exit 0. A missing,
        late (2 s) or foreign answer: "ERR reason", exit 1.

Every socket operation has a timeout; output is flushed line by line.
"""
import signal
import socket
import sys
import time

TIMEOUT = 3.0


def connect(vip, port, sport):
    family = socket.AF_INET6 if ":" in vip else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(TIMEOUT)
    try:
        s.bind(("", sport))
        s.connect((vip, port))
    except OSError:
        s.close()
        raise
    return s


def read_line(f):
    line = f.readline()
    if not line.endswith(b"\n"):
        raise OSError("connection closed")
    return line[:-1].decode(errors="replace")


def burst(vip, port, first, count):
    failures = 0
    for sport in range(first, first + count):
        try:
            with connect(vip, port, sport) as s:
                f = s.makefile("rb")
                name = read_line(f)
                s.sendall(b"quit\n")
                f.read()  # until the server closes
            print(sport, name, flush=True)
            failures = 0
        except OSError as e:
            print(sport, "ERR", e.strerror or str(e) or type(e).__name__,
                  flush=True)
            failures += 1
            if failures == 3:
                print("lb_client.py: 3 failures in a row, giving up",
                      file=sys.stderr)
                return


def hold(vip, port, sport, lifetime):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    n = 0
    try:
        s = connect(vip, port, sport)
        s.settimeout(2.0)
        f = s.makefile("rb")
        name = read_line(f)
        print("backend", name, flush=True)
        deadline = time.monotonic() + lifetime
        while not stop and time.monotonic() < deadline:
            s.sendall(b"ping %d\n" % n)
            answer = read_line(f)
            if answer != "%s ping %d" % (name, n):
                print("ERR answer %r to ping %d" % (answer, n), flush=True)
                return 1
            n += 1
            print("ok", n, name, flush=True)
            time.sleep(0.1)
        s.sendall(b"quit\n")
        s.close()
    except (OSError, ValueError) as e:
        print("ERR after %d answers:" % n, e.strerror or str(e) or
              type(e).__name__, flush=True)
        return 1
    print("done", n, flush=True)
    return 0


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "burst":
        burst(a[1], int(a[2]), int(a[3]), int(a[4]))
        return 0
    if len(a) == 5 and a[0] == "hold":
        return hold(a[1], int(a[2]), int(a[3]), float(a[4]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
