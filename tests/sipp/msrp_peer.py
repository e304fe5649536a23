#!/usr/bin/env python3
"""A small MSRP peer (RFC 4975) for tests/sipp/msrp.sh: plays the served client or the remote
against pf_udp --msrp-listen. Python 3 standard library only.

It gets the PF's MSRP URI for its leg from a file that SIPp writes from the SDP it received
(`--pf-path-file`), then either connects to the PF (`--connect`: the active party) or accepts
the PF's connection (`--listen PORT`). It sends one message, read from `--send FILE`, in three
chunks (Byte-Range, Continuation `+ + $`), and collects the one message the other side sends,
chunk by chunk, writing its bytes to `--received FILE`. Every request it gets is answered `200`
(with the transaction id and the paths swapped), unless `--no-answer`. With `--check-store DIR`
(the client) it answers the other side's chunks only once all of them arrived and it checked
DIR: its own message's object already stored, the other side's not yet.

It writes what happened to `--log FILE`, one line each (`sent SEND tid range`, `got 200 tid`,
`got SEND id range`, `answered 200 tid`, `check ...`), and exits 0 when its three chunks were
all answered 200 (or `--no-answer`'s linger ended) and the other side's message arrived whole,
1 otherwise (`--timeout`).
"""

import argparse
import os
import re
import socket
import sys
import time


def log(args, line):
    with open(args.log, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def wait_file(path, deadline):
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                text = f.read().strip()
            if text:
                return text
        time.sleep(0.05)
    raise SystemExit(f"msrp_peer: {path} never written")


def host_port(uri):
    m = re.match(r"msrp://([^/:]+):(\d+)/", uri)
    if not m:
        raise SystemExit(f"msrp_peer: cannot connect to {uri}")
    return m.group(1), int(m.group(2))


def send_frame(tid, to_path, from_path, message_id, start, end, total, flag, body):
    head = (
        f"MSRP {tid} SEND\r\nTo-Path: {to_path}\r\nFrom-Path: {from_path}\r\n"
        f"Message-ID: {message_id}\r\nByte-Range: {start}-{end}/{total}\r\n"
        f"Content-Type: text/plain;charset=utf-8\r\n\r\n"
    )
    return head.encode() + body + f"\r\n-------{tid}{flag}\r\n".encode()


def response_frame(tid, to_path, from_path):
    return f"MSRP {tid} 200 OK\r\nTo-Path: {to_path}\r\nFrom-Path: {from_path}\r\n-------{tid}$\r\n".encode()


START = re.compile(rb"MSRP ([A-Za-z0-9][A-Za-z0-9.+%=-]{3,31}) ([^\r\n]*)\r\n")


def next_frame(buf):
    """One frame at the start of buf: (frame dict, length) or None when incomplete."""
    m = START.match(buf)
    if not m:
        if len(buf) > 8 and not buf.startswith(b"MSRP "):
            raise SystemExit(f"msrp_peer: not MSRP: {buf[:40]!r}")
        return None
    tid = m.group(1)
    end_re = re.compile(rb"\r\n-------" + re.escape(tid) + rb"([$+#])\r\n")
    e = end_re.search(buf, m.end() - 2)
    if not e:
        return None
    inner = buf[m.end():e.start()]
    head, sep, body = inner.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n"):
        if b":" in line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
    frame = {
        "tid": tid.decode(),
        "start": m.group(2).decode(),
        "headers": headers,
        "body": body if sep else b"",
        "flag": e.group(1).decode(),
    }
    return frame, e.end()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int)
    p.add_argument("--connect", action="store_true")
    p.add_argument("--pf-path-file", required=True)
    p.add_argument("--my-path", required=True)
    p.add_argument("--message-id", required=True)
    p.add_argument("--send", required=True)
    p.add_argument("--received", required=True)
    p.add_argument("--expect-from")
    p.add_argument("--no-answer", action="store_true")
    p.add_argument("--linger", type=float, default=0.0)
    p.add_argument("--check-store")
    p.add_argument("--log", required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    args = p.parse_args()
    deadline = time.monotonic() + args.timeout
    open(args.log, "w").close()

    if args.listen:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", args.listen))
        server.listen(1)
        server.settimeout(args.timeout)
        conn, peer = server.accept()
        log(args, f"accepted {peer[0]}:{peer[1]}")
        server.close()
        pf_path = wait_file(args.pf_path_file, deadline)
    else:
        pf_path = wait_file(args.pf_path_file, deadline)
        conn = socket.create_connection(host_port(pf_path), timeout=args.timeout)
        log(args, f"connected to {pf_path}")
    conn.settimeout(0.1)

    with open(args.send, "rb") as f:
        message = f.read()
    total = len(message)
    cuts = [0, total // 3, 2 * total // 3, total]
    sent_tids = {}
    for i in range(3):
        tid = f"t{os.getpid()}x{i}"
        start, end = cuts[i] + 1, cuts[i + 1]
        flag = "$" if i == 2 else "+"
        body = message[cuts[i]:cuts[i + 1]]
        conn.sendall(send_frame(tid, pf_path, args.my_path, args.message_id, start, end, total, flag, body))
        sent_tids[tid] = None
        log(args, f"sent SEND {tid} {args.message_id} {start}-{end}/{total}")

    received = {}
    got_total = None
    unanswered = []
    answered_all = False
    buf = b""
    linger_until = None

    def complete():
        return got_total is not None and sum(len(b) for b in received.values()) == got_total

    def answer(frames):
        for fr in frames:
            h = fr["headers"]
            conn.sendall(response_frame(fr["tid"], h.get("from-path", ""), pf_path))
            log(args, f"answered 200 {fr['tid']}")

    while time.monotonic() < deadline:
        try:
            data = conn.recv(65536)
            if not data:
                log(args, "closed by the PF")
                break
            buf += data
        except socket.timeout:
            pass
        while True:
            parsed = next_frame(buf)
            if not parsed:
                break
            fr, n = parsed
            buf = buf[n:]
            words = fr["start"].split(" ", 1)
            if words[0].isdigit():
                log(args, f"got {words[0]} {fr['tid']}")
                if fr["tid"] in sent_tids:
                    sent_tids[fr["tid"]] = words[0]
                continue
            h = fr["headers"]
            if words[0] != "SEND":
                log(args, f"got {words[0]} {fr['tid']}")
                continue
            rng = h.get("byte-range", "")
            log(args, f"got SEND {fr['tid']} {h.get('message-id')} {rng} {fr['flag']} to {h.get('to-path')}")
            m = re.match(r"(\d+)-(\d+|\*)/(\d+|\*)", rng)
            start = int(m.group(1))
            received[start] = fr["body"]
            if m.group(3) != "*":
                got_total = int(m.group(3))
            if h.get("to-path") != args.my_path:
                log(args, f"wrong To-Path {h.get('to-path')}")
            if args.no_answer:
                continue
            if args.check_store:
                unanswered.append(fr)
            else:
                answer([fr])
        if args.check_store and complete() and unanswered and not answered_all:
            # The other side's message is whole and not yet answered: the client's own
            # message is stored already, the other side's not (REC-5ii).
            time.sleep(0.5)
            names = os.listdir(args.check_store)
            own = any(args.message_id in n for n in names)
            other_id = unanswered[0]["headers"].get("message-id", "?")
            theirs = any(other_id in n for n in names)
            log(args, f"check own-stored={'yes' if own else 'no'} other-stored={'yes' if theirs else 'no'}")
            answer(unanswered)
            unanswered = []
            answered_all = True
        done_sending = all(v is not None for v in sent_tids.values())
        if done_sending and complete() and not unanswered:
            if linger_until is None:
                linger_until = time.monotonic() + args.linger
            if time.monotonic() >= linger_until:
                break

    body = b"".join(received[k] for k in sorted(received))
    with open(args.received, "wb") as f:
        f.write(body)
    ok = all(v == "200" for v in sent_tids.values()) and complete()
    log(args, f"done ok={ok} answers={list(sent_tids.values())} received={len(body)}/{got_total}")
    conn.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
