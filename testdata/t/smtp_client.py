#!/usr/bin/python3
"""smtp_client.py - a raw SMTP/LMTP client for testdata/t/smtp-wire.sh

Usage: smtp_client.py PORT STEP...
       smtp_client.py --tee [--utf8] PORT TARGET DIR
       smtp_client.py --wire-check FILE...

Talks to 127.0.0.1:PORT byte for byte, with no protocol knowledge of its
own, so a test can send exactly the bytes an attacker would.  Everything
the server says is written to stdout, unchanged, followed by one line
"#closed" when the server closed the connection, or "#open" when it was
still open after the last step (and the final wait, see "e").

Steps, in order:
  s:TEXT    send TEXT; escapes \\r \\n \\t \\0 \\\\ \\xHH are decoded,
            any other byte is sent as it is (UTF-8 stays UTF-8)
  f:FILE    send the bytes of FILE
  slow:TEXT send TEXT one byte a second; stop early if the server closes
  d:TEXT    send TEXT one byte per TCP segment (a short pause between)
  w:CODE    wait until the server sends a final reply line "CODE ..."
            (after the one the previous w: step matched)
  n:COUNT   wait until COUNT more final reply lines have come
  p:SECS    pause
  k:SECS    keep alive: NOOP every half second for SECS seconds
  e:SECS    wait up to SECS seconds for the server to close
  x         close the connection now, without QUIT
A step that waits gives up after $SMTP_CLIENT_WAIT seconds (default 30)
and prints "#timeout STEP".

--tee listens on 127.0.0.1:PORT and passes each connection on to
127.0.0.1:TARGET both ways, writing what its client sent into DIR/wire.N
(one file a connection: wire.PORT.N), so a test sees the exact bytes a
next hop got.  When TARGET does not answer, the connection is closed at
once.  With --utf8 it adds SMTPUTF8 to the next hop's EHLO keywords
(smtp-sink has no SMTPUTF8 and takes the parameter anyway).

--wire-check reads such files as an SMTP client's side of a session and
checks what a next hop must be able to rely on: every line ends in CR LF,
no bare CR or LF anywhere, and after each end of data ("." alone on a
line) the next line is a command again, i.e. every "." line of content
was dot-stuffed.  It prints "transactions N" and one line per problem,
and exits 1 when there was one.  Only the standard library is used.
"""

import os
import re
import socket
import sys
import threading
import time

WAIT = float(os.environ.get("SMTP_CLIENT_WAIT", "30"))


def unescape(text):
    """TEXT with backslash escapes decoded, as bytes"""
    raw = text.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    simple = {ord("r"): b"\r", ord("n"): b"\n", ord("t"): b"\t",
              ord("0"): b"\0", ord("\\"): b"\\"}
    while i < len(raw):
        c = raw[i]
        if c == ord("\\") and i + 1 < len(raw):
            n = raw[i + 1]
            if n in simple:
                out += simple[n]
                i += 2
                continue
            if n == ord("x") and i + 3 < len(raw):
                out.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
        out.append(c)
        i += 1
    return bytes(out)


class Conn:
    """one connection and what the server said on it"""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.data = bytearray()
        self.closed = False
        self.cv = threading.Condition()
        self.seen = 0           # final reply lines a step has consumed
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        """collect everything the server sends until it closes"""
        while True:
            try:
                b = self.sock.recv(65536)
            except OSError:
                b = b""
            with self.cv:
                if not b:
                    self.closed = True
                    self.cv.notify_all()
                    return
                self.data += b
                self.cv.notify_all()

    def finals(self):
        """the final reply lines so far: (code, line)"""
        return re.findall(rb"(?m)^([0-9]{3})( [^\r\n]*)?\r?\n",
                          bytes(self.data))

    def wait_for(self, pred, what):
        """wait until pred() holds or the server closes; False on timeout"""
        end = time.monotonic() + WAIT
        with self.cv:
            while not pred():
                left = end - time.monotonic()
                if self.closed or left <= 0:
                    if not self.closed:
                        sys.stdout.buffer.write(b"#timeout " +
                                                what.encode() + b"\n")
                    return pred()
                self.cv.wait(left)
        return True

    def send(self, b):
        try:
            self.sock.sendall(b)
        except OSError:
            pass


def tee(port, target, outdir, utf8):
    """pass connections on to target, recording the client's bytes"""
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(64)
    seq = 0

    def pump(src, dst, rec):
        while True:
            try:
                b = src.recv(65536)
            except OSError:
                b = b""
            if not b:
                break
            if rec is None and utf8:
                b = b.replace(b"250-8BITMIME\r\n",
                              b"250-8BITMIME\r\n250-SMTPUTF8\r\n")
            if rec is not None:
                rec.write(b)
                rec.flush()
            try:
                dst.sendall(b)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if rec is not None:
            rec.close()

    while True:
        conn, _ = lsock.accept()
        try:
            up = socket.create_connection(("127.0.0.1", target), timeout=10)
            up.settimeout(None)
        except OSError:
            conn.close()
            continue
        seq += 1
        rec = open(os.path.join(outdir, "wire.%d.%d" % (port, seq)), "wb")
        threading.Thread(target=pump, args=(conn, up, rec),
                         daemon=True).start()
        threading.Thread(target=pump, args=(up, conn, None),
                         daemon=True).start()


VERBS = (b"EHLO", b"HELO", b"LHLO", b"MAIL", b"RCPT", b"DATA", b"RSET",
         b"NOOP", b"QUIT", b"XFORWARD")


def wire_check(paths):
    """check the client side of relay sessions; 0 when clean"""
    problems = []
    ntx = 0
    for p in paths:
        with open(p, "rb") as f:
            b = f.read()
        name = os.path.basename(p)
        i = 0
        while i < len(b):
            j = b.find(b"\r\n", i)
            if j < 0:
                problems.append("%s: unterminated line at %d" % (name, i))
                break
            line = b[i:j]
            i = j + 2
            if b"\r" in line or b"\n" in line:
                problems.append("%s: bare CR or LF in %r" % (name, line))
            verb = line.split(b" ")[0].split(b":")[0].upper()
            if verb not in VERBS:
                problems.append("%s: not a command: %r" % (name, line[:60]))
                continue
            if verb != b"DATA":
                continue
            end = b.find(b"\r\n.\r\n", i - 2)
            if end < 0:
                problems.append("%s: data without an end" % name)
                break
            content = b[i:end + 2] if end >= i else b""
            m = re.search(rb"\r(?!\n)|(?<!\r)\n", content)
            if m:
                problems.append("%s: bare line end in the data at %d: %r" %
                                (name, m.start(),
                                 content[max(0, m.start() - 20):
                                         m.start() + 20]))
            ntx += 1
            i = end + 5
    print("transactions %d" % ntx)
    for p in problems:
        print(p)
    return 1 if problems else 0


def main():
    if sys.argv[1] == "--tee":
        utf8 = sys.argv[2] == "--utf8"
        a = sys.argv[3:] if utf8 else sys.argv[2:]
        tee(int(a[0]), int(a[1]), a[2], utf8)
        return
    if sys.argv[1] == "--wire-check":
        sys.exit(wire_check(sys.argv[2:]))
    port = int(sys.argv[1])
    c = Conn(port)
    shut = False
    for step in sys.argv[2:]:
        op, _, arg = step.partition(":")
        if op == "s":
            c.send(unescape(arg))
        elif op == "f":
            with open(arg, "rb") as f:
                c.send(f.read())
        elif op == "slow":
            for ch in unescape(arg):
                if c.closed:
                    break
                c.send(bytes([ch]))
                time.sleep(1)
        elif op == "d":
            for ch in unescape(arg):
                c.send(bytes([ch]))
                time.sleep(0.003)
        elif op == "w":
            code = arg.encode()

            def got():
                f = c.finals()
                for k in range(c.seen, len(f)):
                    if f[k][0] == code:
                        c.seen = k + 1
                        return True
                return False
            c.wait_for(got, step)
        elif op == "n":
            want = int(arg)
            base = c.seen

            def enough():
                if len(c.finals()) >= base + want:
                    c.seen = base + want
                    return True
                return False
            c.wait_for(enough, step)
        elif op == "p":
            time.sleep(float(arg))
        elif op == "k":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end and not c.closed:
                c.send(b"NOOP\r\n")
                time.sleep(0.5)
        elif op == "e":
            end = time.monotonic() + float(arg)
            with c.cv:
                while not c.closed and time.monotonic() < end:
                    c.cv.wait(end - time.monotonic())
        elif op == "x":
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.sock.close()
            shut = True
            break
        else:
            sys.exit("smtp_client.py: bad step " + step)
    if not shut:
        # what the server still says after the last step
        with c.cv:
            end = time.monotonic() + 1
            while not c.closed and time.monotonic() < end:
                c.cv.wait(end - time.monotonic())
    with c.cv:
        sys.stdout.buffer.write(bytes(c.data))
        sys.stdout.buffer.write(b"#closed\n" if c.closed else b"#open\n")
    sys.stdout.buffer.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
