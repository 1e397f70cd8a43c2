#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
"""A backend's UDP echo server for the lb's socket-level test.

    udp_echo.py NAME LIFETIME ADDR PORT

Answers each datagram D on ADDR:PORT with "NAME D" (to its sender). Prints
"ready" once bound; exits after LIFETIME seconds whatever happens.
"""
import socket
import sys
import time


def main():
    name, lifetime, addr, port = sys.argv[1:5]
    end = time.monotonic() + float(lifetime)
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    print("ready", flush=True)
    prefix = name.encode() + b" "
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return 0
        s.settimeout(min(left, 1.0))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        s.sendto(prefix + data, peer)


if __name__ == "__main__":
    sys.exit(main())
