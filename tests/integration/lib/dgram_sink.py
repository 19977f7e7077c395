#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: bind an AF_UNIX datagram socket at ADDR (a path,
or an abstract name when it starts with '@') and append every datagram received to OUT, one
message per line with newlines inside a message shown as '|'. Runs until killed."""
import socket
import sys

addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(out, "a", buffering=1) as f:
    f.write("BOUND\n")
    while True:
        data = s.recv(4096)
        f.write(data.decode(errors="replace").replace("\n", "|") + "\n")
