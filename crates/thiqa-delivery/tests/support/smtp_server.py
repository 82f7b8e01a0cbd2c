"""A real SMTP server for thiqa-delivery's tests (aiosmtpd).

Usage: smtp_server.py PORT DIR [raw]

Each accepted message is stored as DIR/NNNNNN.eml (the bytes received) and
DIR/NNNNNN.json (what Python's own e-mail parser reads in it: headers
decoded, one entry per MIME part), NNNNNN counting from 000001. The JSON file
appears last, complete, so its presence means the message is there.
With `raw`, only the .eml files are written (no parsing: the throughput
test measures the sender, not Python's e-mail parser). DIR/sessions holds the number of SMTP sessions opened (EHLO received), to
see connections being reused.

Recipients reject@... are refused with 550 (permanent), later@... with 451
(transient). Prints READY once listening; stops when stdin closes.
"""

import email
import json
import os
import sys
from email import policy

from aiosmtpd.controller import Controller


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler:
    def __init__(self, directory, raw_only):
        self.directory = directory
        self.raw_only = raw_only
        self.count = 0
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        write_atomically(os.path.join(self.directory, "sessions"), str(self.sessions).encode())
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "reject":
            return "550 5.1.1 Mailbox unavailable"
        if local == "later":
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.directory, "%06d" % self.count)
        raw = envelope.content
        if self.raw_only:
            write_atomically(stem + ".eml", raw)
            return "250 Message accepted"
        message = email.message_from_bytes(raw, policy=policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({"type": part.get_content_type(), "content": part.get_content()})
        summary = {
            "ehlo": session.host_name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "content_language": str(message["Content-Language"]),
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        write_atomically(stem + ".eml", raw)
        write_atomically(stem + ".json", json.dumps(summary, ensure_ascii=False).encode())
        return "250 Message accepted"


def main():
    port = int(sys.argv[1])
    directory = sys.argv[2]
    raw_only = sys.argv[3:] == ["raw"]
    controller = Controller(Handler(directory, raw_only), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
