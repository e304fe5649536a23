#!/usr/bin/env python3
"""Checks Message Store objects written by `replay --store-dir` against a real IMAP server.

Usage: check.py HOST PORT USER PASSWORD DIR [DIR ...]

Each DIR holds the objects one scenario stored (`NN-OBJECT.eml`) and `manifest.tsv`
(`file<TAB>object<TAB>folder<TAB>mailbox`, the mailbox being the folder's IMAP path in the
session's profile, MS-8). For every object, in store order:

- the mailbox the library names is created (once) and the object APPENDed; the server's
  APPENDUID (RFC 4315) names it;
- BODY[] comes back byte for byte (MS-7: nothing the library writes is changed by the server);
- ENVELOPE carries the Date, From, To and Message-ID the object's header section has (MS-2,
  MS-7: RFC 5322 parsers read the identities);
- SEARCH HEADER Contribution-ID and SEARCH HEADER IMDN-Message-ID find it (REC-1);

and for every mailbox, SORT (DATE) gives the chat messages and notifications in the order they
were stored, which is the order they happened (REC-END, MS-4).

The IMAP protocol is spoken by IMAPClient (PyPI `imapclient`), the mail format read by the
standard library's `email` package. Prints `N passed, N failed` and exits 1 on any failure.
"""

import email
import email.policy
import email.utils
import os
import re
import sys

from imapclient import IMAPClient

FAILURES = []
PASSED = [0]


def check(ok, what):
    if ok:
        PASSED[0] += 1
    else:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)


def header_section(raw):
    end = raw.find(b"\r\n\r\n")
    return raw if end < 0 else raw[: end + 2]


def headers_of(raw):
    """The object's header fields, unfolded, by lower-case name (first occurrence)."""
    msg = email.message_from_bytes(header_section(raw) + b"\r\n", policy=email.policy.compat32)
    out = {}
    for name, value in msg.items():
        out.setdefault(name.lower(), re.sub(r"\r?\n[ \t]", " ", value).strip())
    return out


def addr_spec_of(value):
    """The address of a From/To value as an RFC 5322 reader sees it (the standard library's
    `email` with its default policy): `username@domain`, the local part unquoted, or None when
    it reads no address or notes a defect."""
    msg = email.message_from_bytes(b"From: " + value.encode() + b"\r\n\r\n", policy=email.policy.default)
    header = msg["From"]
    if header is None or msg.defects or len(header.addresses) != 1:
        return None
    a = header.addresses[0]
    return a.username + ("@" + a.domain if a.domain else "")


def envelope_addr(addresses):
    if not addresses:
        return None
    a = addresses[0]
    mailbox = (a.mailbox or b"").decode("utf-8", "replace")
    host = (a.host or b"").decode("utf-8", "replace")
    return mailbox + ("@" + host if host else "")


def read_manifest(directory):
    rows = []
    with open(os.path.join(directory, "manifest.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            file, obj, folder, mailbox = line.split("\t")
            with open(os.path.join(directory, file), "rb") as g:
                rows.append((file, obj, folder, mailbox, g.read()))
    return rows


def check_object(c, directory, file, obj, mailbox, raw, appended):
    where = f"{os.path.basename(directory)}/{file} ({obj} in {mailbox})"
    resp = c.append(mailbox, raw)
    m = re.search(rb"APPENDUID \d+ (\d+)", resp if isinstance(resp, bytes) else resp.encode())
    check(m is not None, f"{where}: APPENDUID in {resp!r}")
    if not m:
        return
    uid = int(m.group(1))
    appended.setdefault(mailbox, []).append((uid, obj, raw))
    c.select_folder(mailbox)
    data = c.fetch([uid], ["BODY.PEEK[]", "ENVELOPE"])[uid]
    body = data[b"BODY[]"]
    check(body == raw, f"{where}: BODY[] differs from what was appended ({len(body)} vs {len(raw)} bytes)")
    env = data[b"ENVELOPE"]
    h = headers_of(raw)
    date = email.utils.parsedate_to_datetime(h["date"]) if "date" in h else None
    check(date is not None and env.date is not None and env.date.replace(tzinfo=None) == date.replace(tzinfo=None),
          f"{where}: ENVELOPE date {env.date} vs Date {h.get('date')}")
    for field, got in (("from", env.from_), ("to", env.to)):
        expected = addr_spec_of(h.get(field, ""))
        got = envelope_addr(got)
        # ENVELOPE splits an addr-spec at its last '@'; a URI without one is all mailbox.
        check(got is not None and expected and got == expected,
              f"{where}: ENVELOPE {field} {got!r} vs header {h.get(field)!r} (read as {expected!r})")
    mid = (env.message_id or b"").decode()
    check("message-id" in h and mid == h["message-id"], f"{where}: ENVELOPE message-id {mid!r} vs {h.get('message-id')!r}")
    for name in ("contribution-id", "imdn-message-id"):
        if name in h:
            found = c.search(["HEADER", name, h[name]])
            check(uid in found, f"{where}: SEARCH HEADER {name} {h[name]!r} found {found}")
        else:
            check(False, f"{where}: no {name} header")


def check_order(c, appended):
    for mailbox, items in appended.items():
        c.select_folder(mailbox)
        messages = [uid for uid, obj, _ in items if obj.startswith(("chat-message", "imdn"))]
        if len(messages) < 2:
            continue
        sorted_uids = [u for u in c.sort(["DATE"]) if u in messages]
        check(sorted_uids == messages, f"{mailbox}: SORT (DATE) {sorted_uids} vs stored order {messages}")


def main(argv):
    host, port, user, password = argv[1], int(argv[2]), argv[3], argv[4]
    with IMAPClient(host, port=port, ssl=False) as c:
        c.login(user, password)
        for directory in argv[5:]:
            created = set()
            appended = {}
            for file, obj, folder, mailbox, raw in read_manifest(directory):
                if mailbox not in created and not c.folder_exists(mailbox):
                    c.create_folder(mailbox)
                created.add(mailbox)
                check_object(c, directory, file, obj, mailbox, raw, appended)
            check_order(c, appended)
            # Each scenario starts from empty mailboxes: the next may name the same ones.
            c.select_folder("INBOX")
            for mailbox in sorted(created, key=len, reverse=True):
                c.delete_folder(mailbox)
    print(f"{PASSED[0]} passed, {len(FAILURES)} failed")
    return 1 if FAILURES or PASSED[0] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
