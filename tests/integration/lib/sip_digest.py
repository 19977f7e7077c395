#!/usr/bin/env python3
"""Digest-authenticating SIP client for the integration tests (UDP, one socket).

  sip_digest.py --port P [--user U --password PW] [--alg MD5|SHA-256] [--wait S]
                [--tamper-nonce] [--timeout S] [--lport P] [FILE|-]

The request (a file or stdin, CRLF line ends; @PROTO@ (UDP), @LADDR@/@LPORT@ are replaced by the socket's
address as in sip_raw.py) is sent; every reply is printed followed by '----'. When the final
reply is 401 or 407, the challenge of algorithm --alg (default: the first offered) is answered
the way a phone does: the request is sent again with CSeq + 1, a new Via branch and an
Authorization (401) or Proxy-Authorization (407) header (qop=auth when offered), after waiting
--wait seconds; its replies are printed the same way. Without a challenge it stops after the
first final reply, so it also serves as a plain UDP client sending from a chosen --lport. --tamper-nonce changes the nonce before
answering (a nonce we never got). Exit status: 0 when a final reply came back each time, 1
otherwise.
"""
import argparse
import hashlib
import random
import re
import socket
import sys
import time


def H(alg, s):
    return (hashlib.sha256 if alg == "SHA-256" else hashlib.md5)(s.encode()).hexdigest()


def params(value):
    out = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]+)', value):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return out


def transact(s, dst, data, timeout):
    """Send data, print replies up to the final one; return it (bytes) or None."""
    s.sendto(data, dst)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            msg, _ = s.recvfrom(70000)
        except socket.timeout:
            return None
        sys.stdout.write(msg.decode("utf-8", "replace"))
        sys.stdout.write("----\n")
        sys.stdout.flush()
        m = re.match(rb"SIP/2\.0 (\d{3})", msg)
        if m and int(m.group(1)) >= 200:
            return msg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="alice")
    p.add_argument("--password", default="secret")
    p.add_argument("--alg", default=None)
    p.add_argument("--wait", type=float, default=0.0)
    p.add_argument("--tamper-nonce", action="store_true")
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--lport", type=int, default=0, help="local port to send from (default: any)")
    p.add_argument("file", nargs="?", default="-")
    a = p.parse_args()
    data = sys.stdin.buffer.read() if a.file == "-" else open(a.file, "rb").read()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.host, a.lport))
    laddr, lport = s.getsockname()[:2]
    data = data.replace(b"@PROTO@", b"UDP").replace(b"@LADDR@", laddr.encode()).replace(b"@LPORT@", str(lport).encode())
    dst = (a.host, a.port)
    final = transact(s, dst, data, a.timeout)
    if final is None:
        return 1
    code = int(final[8:11])
    if code not in (401, 407):
        return 0
    text = final.decode("utf-8", "replace")
    hname = "WWW-Authenticate" if code == 401 else "Proxy-Authenticate"
    chals = [params(v) for v in re.findall(r"(?im)^%s\s*:\s*Digest\s+(.*?)\r?$" % hname, text)]
    chal = next((c for c in chals if a.alg is None or c.get("algorithm", "MD5").upper() == a.alg.upper()), None)
    if chal is None:
        print("NOCHALLENGE for %s" % (a.alg or "any algorithm"))
        return 1
    alg = chal.get("algorithm", "MD5").upper()
    nonce = chal["nonce"]
    if a.tamper_nonce:
        nonce = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    method, uri = lines[0].split(" ")[0], lines[0].split(" ")[1]
    ha1 = H(alg, "%s:%s:%s" % (a.user, chal["realm"], a.password))
    ha2 = H(alg, "%s:%s" % (method, uri))
    cred = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=%s' % (
        a.user, chal["realm"], nonce, uri, alg)
    if "auth" in [q.strip() for q in chal.get("qop", "").split(",")]:
        cnonce = "%08x" % random.getrandbits(32)
        resp = H(alg, "%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, ha2))
        cred += ', qop=auth, nc=00000001, cnonce="%s"' % cnonce
    else:
        resp = H(alg, "%s:%s:%s" % (ha1, nonce, ha2))
    cred += ', response="%s"' % resp
    out = []
    for ln in lines:
        if re.match(r"(?i)cseq\s*:", ln):
            n, m = ln.split(":", 1)[1].split()
            ln = "CSeq: %d %s" % (int(n) + 1, m)
        elif re.match(r"(?i)(via|v)\s*:", ln):
            ln = re.sub(r"branch=[^;,\s]+", "branch=z9hG4bK%08x" % random.getrandbits(32), ln)
        out.append(ln)
    out.insert(1, "%s: %s" % ("Authorization" if code == 401 else "Proxy-Authorization", cred))
    if a.wait:
        time.sleep(a.wait)
    again = ("\r\n".join(out) + "\r\n\r\n").encode() + body
    return 0 if transact(s, dst, again, a.timeout) is not None else 1


if __name__ == "__main__":
    sys.exit(main())
