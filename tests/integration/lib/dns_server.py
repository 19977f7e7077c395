#!/usr/bin/env python3
"""A tiny authoritative DNS server for tests (standard library only): answers A, AAAA, SRV and
NAPTR questions over UDP from a JSON zone file, and logs every question ("NAME TYPE") to a file.

  dns_server.py --port PORT --zone zone.json --log queries.log

zone.json: {"name": [{"type": "A", "addr": "127.0.0.1"},
                     {"type": "SRV", "priority": 10, "weight": 5, "port": 5070, "target": "x.test"},
                     {"type": "NAPTR", "order": 10, "pref": 10, "flags": "s", "service": "SIP+D2U",
                      "regexp": "", "replacement": "_sip._udp.x.test"}], ...}
An unknown name gets NXDOMAIN, a known name without records of the asked type an empty answer.
The zone file is read again on every question, so a test may change it while the server runs.
"""
import argparse
import json
import socket
import struct

TYPES = {1: "A", 28: "AAAA", 33: "SRV", 35: "NAPTR"}


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def cstr(s):
    b = s.encode()
    return bytes([len(b)]) + b


def rdata(rec):
    t = rec["type"]
    if t == "A":
        return socket.inet_pton(socket.AF_INET, rec["addr"])
    if t == "AAAA":
        return socket.inet_pton(socket.AF_INET6, rec["addr"])
    if t == "SRV":
        return struct.pack("!HHH", rec["priority"], rec["weight"], rec["port"]) + name_wire(rec["target"])
    if t == "NAPTR":
        return (struct.pack("!HH", rec["order"], rec["pref"]) + cstr(rec["flags"]) + cstr(rec["service"])
                + cstr(rec.get("regexp", "")) + name_wire(rec["replacement"]))
    raise ValueError(t)


def parse_question(data):
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    pos, labels = 12, []
    while data[pos]:
        n = data[pos]
        labels.append(data[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += n + 1
    qtype, qclass = struct.unpack("!HH", data[pos + 1:pos + 5])
    return qid, flags, ".".join(labels).lower(), qtype, data[12:pos + 5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", a.port))
    log = open(a.log, "a", buffering=1)
    log.write("READY\n")
    while True:
        data, peer = s.recvfrom(4096)
        try:
            qid, flags, name, qtype, question = parse_question(data)
        except (IndexError, struct.error):
            continue
        log.write("%s %s\n" % (name, TYPES.get(qtype, qtype)))
        with open(a.zone) as f:
            zone = {k.lower().rstrip("."): v for k, v in json.load(f).items()}
        recs = [r for r in zone.get(name, []) if r["type"] == TYPES.get(qtype)]
        rcode = 0 if name in zone else 3
        answers = b""
        for r in recs:
            rd = rdata(r)
            answers += name_wire(name) + struct.pack("!HHIH", qtype, 1, 60, len(rd)) + rd
        hdr = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(recs), 0, 0)
        s.sendto(hdr + question + answers, peer)


main()
