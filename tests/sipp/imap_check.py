#!/usr/bin/env python3
"""After the file-transfer-imap scenario: what the PF stored in the IMAP Message Store.

Usage: imap_check.py PORT USER PASSWORD MAILBOX UID

Checks, on 127.0.0.1:PORT, that the whole account holds exactly one message, in MAILBOX, that
its UID is UID (the Message-UID of the client's 200 OK) and that it is a File Transfer History
object (Content-Type Application/X-CPM-File-Transfer, OMA MS 5.2.3). The IMAP protocol is
spoken by IMAPClient (PyPI `imapclient`). Prints what it found; exits 1 on any failure.
"""

import email
import email.policy
import sys

from imapclient import IMAPClient


def main():
    port, user, password, mailbox, uid = sys.argv[1:6]
    failures = []
    with IMAPClient("127.0.0.1", port=int(port), ssl=False, timeout=10) as c:
        c.login(user, password)
        found = []  # (mailbox, uid)
        for flags, _, name in c.list_folders():
            if b"\\Noselect" in flags or b"\\NonExistent" in flags:
                continue
            c.select_folder(name, readonly=True)
            found += [(name, u) for u in c.search("ALL")]
        print(f"  imap: {len(found)} object(s): " + ", ".join(f"{m} UID {u}" for m, u in found))
        if len(found) != 1:
            failures.append(f"{len(found)} objects in the Message Store, expected 1")
        if found and found[0] != (mailbox, int(uid)):
            failures.append(f"{found[0][0]} UID {found[0][1]}, expected {mailbox} UID {uid}")
        if found:
            c.select_folder(found[0][0], readonly=True)
            raw = c.fetch([found[0][1]], ["BODY.PEEK[HEADER]"])[found[0][1]][b"BODY[HEADER]"]
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            content_type = " ".join((msg.get("Content-Type") or "").split())
            print(f"  imap: Content-Type: {content_type}")
            if "Application/X-CPM-File-Transfer" not in content_type:
                failures.append("the object is no File Transfer History (Application/X-CPM-File-Transfer)")
        c.logout()
    for f in failures:
        print("  imap FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
