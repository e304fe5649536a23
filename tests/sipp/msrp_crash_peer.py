#!/usr/bin/env python3
"""MSRP peers (RFC 4975) for the msrp scenarios of tests/sipp/crash.sh: a chat message relayed
through pf_udp --msrp-listen while pf_udp is killed and started again. Python 3 standard
library only; every wait bounded by --timeout.

--connect (the client, the active party): reads the PF's MSRP URI from --pf-path-file (SIPp
writes it from the SDP answer), connects, sends chunk 1 of --send (cut in three by byte), waits
for its 200, then waits until the connection dies (the PF killed), connects again to the same
URI (retrying while nothing listens) and sends chunks 2 and 3 on the new connection (again on
a further one if that one is reset before anything was answered on it: it reached the killed
PF's listener as it went away). Exits 0 when each of the three chunks was answered 200.

--listen PORT (the remote, passive: the PF connects): accepts a connection, answers every SEND
200 and collects the message's bytes by Byte-Range; when the connection dies it accepts the
next one (the restarted PF connecting again). Writes the bytes to --received and exits 0 once
the whole message arrived (after --linger seconds without anything new).

--log FILE gets one line per event: `connected N`, `accepted N`, `sent SEND tid id range conn=N`,
`got 200 tid conn=N`, `got SEND tid id range flag conn=N to TO-PATH`, `answered 200 tid
conn=N`, `closed conn=N`, `done ok=...`.
"""

import argparse
import re
import socket
import sys
import time

# The frame reader and writers of msrp.sh's peer (this script's folder is on sys.path).
from msrp_peer import host_port, next_frame, response_frame, send_frame

class Peer:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.timeout
        self.conn = None
        self.n = 0
        self.buf = b""
        open(args.log, "w").close()

    def log(self, line):
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        with open(self.args.log + ".times", "a", encoding="utf-8") as f:
            f.write(f"{time.time():.3f} {line}\n")

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.log("done ok=False timeout")
            raise SystemExit(1)
        return left

    def frames(self):
        """The frames read within 0.1 s; None once the connection died."""
        try:
            data = self.conn.recv(65536)
        except socket.timeout:
            data = None
        except OSError as e:
            self.log(f"closed conn={self.n} {e.__class__.__name__}")
            return None
        if data == b"":
            self.log(f"closed conn={self.n}")
            return None
        if data:
            self.buf += data
        out = []
        while True:
            parsed = next_frame(self.buf)
            if not parsed:
                return out
            frame, n = parsed
            self.buf = self.buf[n:]
            out.append(frame)

    def adopt(self, conn):
        self.conn, self.buf = conn, b""
        self.n += 1
        conn.settimeout(0.1)


def client(args, p):
    with open(args.send, "rb") as f:
        message = f.read()
    total = len(message)
    cuts = [0, total // 3, 2 * total // 3, total]
    while True:
        p.left()
        try:
            with open(args.pf_path_file, encoding="utf-8") as f:
                pf_path = f.read().strip()
            if pf_path:
                break
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    address = host_port(pf_path)
    answers = {}

    def connect():
        while True:
            p.left()
            try:
                p.adopt(socket.create_connection(address, timeout=1))
                p.log(f"connected {p.n} to {pf_path}")
                return
            except OSError:
                time.sleep(0.1)

    def send(i):
        tid = f"c{i + 1}x{p.n}"
        start, end = cuts[i] + 1, cuts[i + 1]
        flag = "$" if i == 2 else "+"
        frame = send_frame(tid, pf_path, args.my_path, args.message_id, start, end, total, flag,
                           message[cuts[i]:cuts[i + 1]])
        answers[tid] = None
        try:
            p.conn.sendall(frame)
        except OSError as e:
            p.log(f"cannot send {tid} conn={p.n}: {e.__class__.__name__}")
            return
        p.log(f"sent SEND {tid} {args.message_id} {start}-{end}/{total} conn={p.n}")

    def read():
        frames = p.frames()
        for f in frames or []:
            tid, word = f["tid"], f["start"].split(" ", 1)[0]
            p.log(f"got {word} {tid} conn={p.n}")
            if word.isdigit() and tid in answers:
                answers[tid] = word
        return frames is not None

    connect()
    send(0)
    while answers["c1x1"] is None:
        p.left()
        if not read():
            break
    # Chunk 1 answered: the PF is killed now; wait for the connection to die.
    while read():
        p.left()
    # Connecting again can reach the killed PF's listener in the instant before the kernel
    # closed it: such a connection is reset before anything is read on it. Then (and only then:
    # nothing was answered on it) connect again and send chunks 2 and 3 again.
    for _ in range(5):
        connect()
        send(1)
        send(2)
        tids = [t for t in answers if t.endswith(f"x{p.n}")]
        while any(answers[t] is None for t in tids):
            p.left()
            if not read():
                break
        if any(answers[t] is not None for t in tids):
            break
        p.log(f"reset before any answer: conn={p.n} dropped")
        for t in tids:
            del answers[t]
    ok = list(answers.values()) == ["200"] * 3
    p.log(f"done ok={ok} answers={list(answers.values())}")
    return 0 if ok else 1


def remote(args, p):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.listen))
    server.listen(4)
    received, total, quiet_since = {}, None, None

    def complete():
        return total is not None and sum(len(b) for b in received.values()) == total

    while True:
        server.settimeout(p.left())
        try:
            conn, peer = server.accept()
        except socket.timeout:
            p.left()
            continue
        p.adopt(conn)
        p.log(f"accepted {p.n} from {peer[0]}:{peer[1]}")
        alive = True
        while alive:
            p.left()
            frames = p.frames()
            if frames is None:
                alive = False
                frames = []
            for f in frames:
                tid, word, headers, body, flag = f["tid"], f["start"].split(" ", 1)[0], f["headers"], f["body"], f["flag"]
                if word != "SEND":
                    p.log(f"got {word} {tid} conn={p.n}")
                    continue
                rng = headers.get("byte-range", "")
                p.log(f"got SEND {tid} {headers.get('message-id')} {rng} {flag} conn={p.n} to {headers.get('to-path')}")
                m = re.match(r"(\d+)-(\d+|\*)/(\d+|\*)", rng)
                received[int(m.group(1))] = body
                if m.group(3) != "*":
                    total = int(m.group(3))
                conn.sendall(response_frame(tid, headers.get("from-path", ""), args.my_path))
                p.log(f"answered 200 {tid} conn={p.n}")
                quiet_since = time.monotonic()
            if complete() and time.monotonic() - quiet_since >= args.linger:
                body = b"".join(received[k] for k in sorted(received))
                with open(args.received, "wb") as f:
                    f.write(body)
                p.log(f"done ok=True received={len(body)}/{total}")
                conn.close()
                return 0


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--connect", action="store_true")
    a.add_argument("--listen", type=int)
    a.add_argument("--pf-path-file")
    a.add_argument("--my-path", required=True)
    a.add_argument("--message-id", default="cmsg0001")
    a.add_argument("--send")
    a.add_argument("--received")
    a.add_argument("--linger", type=float, default=1.0)
    a.add_argument("--log", required=True)
    a.add_argument("--timeout", type=float, default=30.0)
    args = a.parse_args()
    p = Peer(args)
    return client(args, p) if args.connect else remote(args, p)


if __name__ == "__main__":
    sys.exit(main())
