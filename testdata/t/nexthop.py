#!/usr/bin/python3
"""nexthop.py - a scripted SMTP/LMTP next hop for testdata/t/nexthop.sh

Usage: nexthop.py PORT DIR

Listens on 127.0.0.1:PORT and answers every connection the way the
script DIR/script says: a JSON object from reply names to the exact
bytes to send.  It is a next hop that may be confused on purpose: it
answers DATA with 250, sends two replies where one is due, replies
before the end of the data, sends multi-line replies, or closes the
connection in the middle of a transaction.

Replies, by name (default in brackets):
  greet     the greeting                  [220 hop.test ESMTP]
  ehlo      EHLO and LHLO                 [250-hop.test, PIPELINING,
                                           8BITMIME, SIZE]
  xforward  XFORWARD                      [250 2.0.0 Ok]
  mail      MAIL                          [250 2.1.0 Ok]
  rcpt      each RCPT                     [250 2.1.5 Ok]
  data      DATA; a reply whose first line is 354 starts the data
                                          [354 End data with .]
  early     sent once, after the first bytes of the data, before its
            end                           [nothing]
  dot       the end of the data           [250 2.0.0 Ok: queued; for
                                           LMTP one 250 2.1.5 per
                                           accepted recipient]
  later     sent after the dot's reply, in a write of its own, a
            moment later                  [nothing]
  rset      RSET                          [250 2.0.0 Ok]
  noop      NOOP                          [250 2.0.0 Ok]
  quit      QUIT                          [221 2.0.0 Bye, then close]
A name may be narrowed: "rcpt2" is the second RCPT of a transaction,
"dot@2" the end of the second transaction the script sees (counted over
all connections, by MAIL commands), "greet@c2" the second connection;
the most specific one that is there applies (NAMEn@T, NAME@T, NAME@cN,
NAMEn, NAME).  A value that ends in "<close>" closes the connection
after the bytes before it.

Each connection reads DIR/script afresh; when its "name" differs from
the last one's, the counts start again.  What the next hop saw goes to
DIR/events, one line per event, "cN EVENT" (N the connection's number
under the script): connect, EHLO, LHLO, XFORWARD, MAIL, RCPT, DATA,
"end BYTES" (a whole message, kept in DIR/msg.T), RSET, NOOP, QUIT,
"junk LINE" (not a command), "closed" (the next hop closed), "eof" and
"eof-in-data" (the client closed; "eof" also when a reply could not be
sent).  The listening socket has a small
receive buffer, so a big message cannot sit whole in socket buffers
before the next hop has read its first bytes.  Only the standard
library is used.
"""

import json
import os
import socket
import sys
import threading
import time

DEFAULTS = {
    "greet": "220 hop.test ESMTP\r\n",
    "ehlo": "250-hop.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
            "250 SIZE 100000000\r\n",
    "xforward": "250 2.0.0 Ok\r\n",
    "mail": "250 2.1.0 Ok\r\n",
    "rcpt": "250 2.1.5 Ok\r\n",
    "data": "354 End data with <CR><LF>.<CR><LF>\r\n",
    "rset": "250 2.0.0 Ok\r\n",
    "noop": "250 2.0.0 Ok\r\n",
    "quit": "221 2.0.0 Bye\r\n<close>",
}

lock = threading.Lock()
state = {"name": None, "conns": 0, "tx": 0}


def event(outdir, conn, what):
    """one line in DIR/events"""
    with lock:
        with open(os.path.join(outdir, "events"), "ab") as f:
            f.write(b"c%d " % conn + what + b"\n")


class Hop:
    """one connection under one script"""

    def __init__(self, sock, outdir):
        self.sock = sock
        self.outdir = outdir
        try:
            with open(os.path.join(outdir, "script"), "rb") as f:
                self.script = json.loads(f.read() or b"{}")
        except (OSError, ValueError):
            self.script = {}
        with lock:
            if self.script.get("name") != state["name"]:
                state.update(name=self.script.get("name"), conns=0, tx=0)
            state["conns"] += 1
            self.conn = state["conns"]
        self.tx = 0             # this transaction's number, 0 before MAIL
        self.nrcpt = 0          # RCPTs of this transaction
        self.ok = 0             # of them accepted
        self.lmtp = False
        self.buf = b""
        self.open = True

    def ev(self, what):
        event(self.outdir, self.conn, what)

    def reply(self, name, n=0):
        """the bytes for reply name, or None to send nothing"""
        keys = []
        if n:
            keys.append("%s%d@%d" % (name, n, self.tx))
        keys += ["%s@%d" % (name, self.tx), "%s@c%d" % (name, self.conn)]
        if n:
            keys.append("%s%d" % (name, n))
        keys.append(name)
        for k in keys:
            if k in self.script:
                return self.script[k]
        if name == "dot":
            if self.lmtp:
                return "250 2.1.5 Ok\r\n" * self.ok
            return "250 2.0.0 Ok: queued\r\n"
        return DEFAULTS.get(name)

    def say(self, text):
        """send text (None: nothing); False when the connection closed"""
        if text is None:
            return True
        close = text.endswith("<close>")
        if close:
            text = text[:-len("<close>")]
        try:
            if text:
                self.sock.sendall(text.encode("utf-8", "surrogateescape"))
        except OSError:
            # the client is gone: its end of the connection, not ours
            self.ev(b"eof")
            self.close()
            return False
        if close:
            self.ev(b"closed")
            self.close()
            return False
        return True

    def close(self):
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def recv(self):
        """more bytes into buf; False at the end of the connection"""
        try:
            b = self.sock.recv(65536)
        except OSError:
            b = b""
        if not b:
            return False
        self.buf += b
        return True

    def data(self):
        """read the message up to its end; False when the connection
        ended first"""
        early = self.reply("early")
        acc = bytearray(b"\r\n")     # the DATA line's end counts
        start = 0
        while True:
            acc += self.buf
            self.buf = b""
            end = acc.find(b"\r\n.\r\n", start)
            if end >= 0:
                body = bytes(acc[2:end + 2])
                self.buf = bytes(acc[end + 5:])
                break
            start = max(0, len(acc) - 4)
            if len(acc) > 2 and early is not None:
                if not self.say(early):
                    return False
                early = None
            if not self.recv():
                self.ev(b"eof-in-data")
                self.close()
                return False
        with open(os.path.join(self.outdir, "msg.%d" % self.tx), "wb") as f:
            f.write(body)
        self.ev(b"end %d" % len(body))
        if not self.say(self.reply("dot")):
            return False
        later = self.reply("later")
        if later is not None:
            time.sleep(0.2)
            return self.say(later)
        return True

    def command(self, line):
        """answer one command line; False when the connection closed"""
        verb = line.split(b" ")[0].split(b":")[0].upper()
        if verb in (b"EHLO", b"LHLO", b"HELO"):
            self.ev(verb)
            self.lmtp = verb == b"LHLO"
            return self.say(self.reply("ehlo"))
        if verb == b"XFORWARD":
            self.ev(verb)
            return self.say(self.reply("xforward"))
        if verb == b"MAIL":
            with lock:
                state["tx"] += 1
                self.tx = state["tx"]
            self.nrcpt = self.ok = 0
            self.ev(b"MAIL " + line[10:])
            return self.say(self.reply("mail"))
        if verb == b"RCPT":
            self.nrcpt += 1
            self.ev(b"RCPT " + line[8:])
            r = self.reply("rcpt", self.nrcpt)
            if r is not None and r.startswith("2"):
                self.ok += 1
            return self.say(r)
        if verb == b"DATA":
            self.ev(verb)
            r = self.reply("data")
            if not self.say(r):
                return False
            if r is not None and r.startswith("354"):
                return self.data()
            return True
        if verb in (b"RSET", b"NOOP", b"QUIT"):
            self.ev(verb)
            return self.say(self.reply(verb.decode().lower()))
        self.ev(b"junk " + line[:60])
        return self.say("502 5.5.2 Error: command not recognized\r\n")

    def run(self):
        self.ev(b"connect")
        if not self.say(self.reply("greet")):
            return
        while self.open:
            i = self.buf.find(b"\n")
            if i < 0:
                if not self.recv():
                    self.ev(b"eof")
                    self.close()
                    return
                continue
            line = self.buf[:i].rstrip(b"\r")
            self.buf = self.buf[i + 1:]
            if not self.command(line):
                return


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # inherited by each connection: no receive buffer autotuning
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(64)
    while True:
        conn, _ = lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=Hop(conn, outdir).run, daemon=True).start()


if __name__ == "__main__":
    main()
