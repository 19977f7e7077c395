#!/usr/bin/env python3
"""Raw SIP peer for the integration tests: send bytes, print what comes back.

  sip_raw.py send  --proto udp|tcp|tls --port P [--host H] [--timeout S] [--all] [--peer]
                   [--until-close] [--hold S] [--ca F] [--cert F --key F] [--sni NAME] [FILE|-]
  sip_raw.py listen --proto udp|tcp --port P [--host H] [--timeout S] [--reply CODE] [--count N]
                   [--peer]

send: the message (a file, or stdin) is sent as is, except that the tokens
@LADDR@ and @LPORT@ are replaced by the local address and port the socket is
bound to (so a Via can name them). Every reply received is printed, followed by
a line '----'. By default the peer stops at the first final reply (status >= 200)
or when --timeout seconds pass without one. --all keeps reading until the
timeout. --until-close (TCP) keeps reading until the server closes the
connection and then prints 'CLOSED after N.N s'; on timeout it prints
'OPEN after N.N s'. --hold S (TCP) waits S seconds after sending before reading.
A send the kernel refuses prints 'SENDFAIL <reason>'. --peer (UDP): 'PEER <ip>:<port>', the
source of the datagram, before each reply.
tls: TCP with TLS, the server's certificate checked against --ca (for --sni, else for the
address) when --ca is given; --cert/--key present a client certificate. A failed handshake
prints 'TLSFAIL <reason>' and exits 2.
Exit status: 0 when something was received (or, with --until-close, when the
server closed the connection), 1 otherwise, 2 on a usage or socket error.

listen: binds UDP 127.0.0.1:P (--host H), prints the first datagram received followed by
'----', answers it with --reply CODE (copying Via/From/To/Call-ID/CSeq) when
given, and exits 0; exits 1 after --timeout seconds with nothing. --count N
waits for N datagrams (printing each) and answers only the last: a peer that
ignores the first N-1 (exit 1 when fewer came). --proto tcp accepts connections
instead and does the same with the messages they carry (the reply goes on the
connection the last one came on). --peer prints 'PEER <ip>:<port>' (the packet's
or the connection's source) before each message.
"""
import select
import argparse
import re
import socket
import ssl
import sys
import time


def split_messages(buf):
    """Cut complete SIP messages off the front of buf; returns (msgs, rest)."""
    msgs = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return msgs, buf
        head = buf[:end + 4]
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
        clen = int(m.group(1)) if m else 0
        if len(buf) < end + 4 + clen:
            return msgs, buf
        msgs.append(buf[:end + 4 + clen])
        buf = buf[end + 4 + clen:]


def status_of(msg):
    m = re.match(rb"SIP/2\.0 (\d{3})", msg)
    return int(m.group(1)) if m else 0


def emit(msg):
    sys.stdout.write(msg.decode("utf-8", "replace"))
    if not msg.endswith(b"\n"):
        sys.stdout.write("\n")
    sys.stdout.write("----\n")
    sys.stdout.flush()


def do_send(a, data):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    got = 0
    if a.proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((a.host, 0))
        laddr, lport = s.getsockname()[:2]
        data = data.replace(b"@LADDR@", laddr.encode()).replace(b"@LPORT@", str(lport).encode())
        try:
            s.sendto(data, (a.host, a.port))
        except OSError as e:
            print("SENDFAIL %s" % e)
            return 1
        deadline = time.monotonic() + a.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                msg, peer = s.recvfrom(70000)
                if a.peer:
                    print("PEER %s:%d" % peer[:2])
            except socket.timeout:
                break
            except ConnectionRefusedError:
                print("REFUSED")
                break
            got += 1
            emit(msg)
            if not a.all and status_of(msg) >= 200:
                break
        return 0 if got else 1

    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    start = time.monotonic()
    try:
        s.connect((a.host, a.port))
    except OSError as e:
        print("CONNECTFAIL %s" % e)
        return 2
    if a.proto == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if a.ca:
            ctx.load_verify_locations(a.ca)
            ctx.check_hostname = bool(a.sni)
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)
        try:
            s = ctx.wrap_socket(s, server_hostname=a.sni or None)
        except (ssl.SSLError, OSError) as e:
            print("TLSFAIL %s" % e)
            return 2
    laddr, lport = s.getsockname()[:2]
    data = data.replace(b"@LADDR@", laddr.encode()).replace(b"@LPORT@", str(lport).encode())
    try:
        if data:
            s.sendall(data)
    except OSError as e:
        print("SENDFAIL %s" % e)
    if a.hold:
        time.sleep(a.hold)
    start = time.monotonic()
    deadline = start + a.timeout
    buf = b""
    closed = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:  # reset counts as closed
            closed = True
            break
        if not chunk:
            closed = True
            break
        buf += chunk
        msgs, buf = split_messages(buf)
        stop = False
        for m in msgs:
            got += 1
            emit(m)
            if not a.all and not a.until_close and status_of(m) >= 200:
                stop = True
        if stop:
            break
    if buf:
        emit(buf)
    if a.until_close:
        print("%s after %.1f s" % ("CLOSED" if closed else "OPEN", time.monotonic() - start))
        return 0 if closed else 1
    return 0 if got else 1


def tcp_messages(srv, deadline):
    """Yield (message, connection, peer) from every connection accepted on srv until deadline."""
    conns = {}
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([srv] + list(conns), [], [], left)
        for r in ready:
            if r is srv:
                c, peer = srv.accept()
                conns[c] = [peer, b""]
                continue
            data = r.recv(70000)
            if not data:
                del conns[r]
                continue
            conns[r][1] += data
            msgs, conns[r][1] = split_messages(conns[r][1])
            for m in msgs:
                yield m, r, conns[r][0]


def do_listen(a):
    if a.proto == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.host, a.port))
        s.listen(8)
        source = tcp_messages(s, time.monotonic() + a.timeout)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.host, a.port))
        source = None
    deadline = time.monotonic() + a.timeout
    for _ in range(a.count):
        if source is not None:
            got = next(source, None)
            if got is None:
                return 1
            msg, conn, peer = got
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                return 1
            s.settimeout(left)
            try:
                msg, peer = s.recvfrom(70000)
            except socket.timeout:
                return 1
        if a.peer:
            print("PEER %s:%d" % peer[:2])
        emit(msg)
    if a.reply:
        head = msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        keep = [h for h in head[1:] if re.match(
            rb"(?i)(via|v|from|f|to|t|call-id|i|cseq)[ \t]*:", h)]
        out = b"SIP/2.0 %d Test\r\n" % a.reply + b"\r\n".join(keep) + b"\r\nContent-Length: 0\r\n\r\n"
        if source is not None:
            conn.sendall(out)
            time.sleep(0.2)
        else:
            s.sendto(out, peer)
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["send", "listen"])
    p.add_argument("--proto", default="udp", choices=["udp", "tcp", "tls"])
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--sni")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--all", action="store_true")
    p.add_argument("--until-close", action="store_true")
    p.add_argument("--hold", type=float, default=0.0)
    p.add_argument("--reply", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--peer", action="store_true")
    p.add_argument("file", nargs="?", default="-")
    a = p.parse_args()
    if a.mode == "listen":
        return do_listen(a)
    data = sys.stdin.buffer.read() if a.file == "-" else open(a.file, "rb").read()
    return do_send(a, data)


if __name__ == "__main__":
    sys.exit(main())
