"""A real webhook receiver for the tests of thiqa-delivery and of `thiqa
serve`'s notices (crates/thiqa/tests/notice_delivery.rs): an independent
check of the signatures with the official Standard Webhooks library (PyPI
`standardwebhooks`), logging what it saw so a test can send the same
headers again with an altered body.

Usage: webhook_receiver.py SECRET LOG

POST /anything: 204 when Webhook(SECRET).verify(body, headers) passes, 400
when not. POST /status/NNN: answers NNN without checking (3xx with a
Location). POST /slow: answers 204 after 3 s. Each request appends one JSON
line to LOG: path, id (webhook-id), webhook_timestamp, webhook_signature,
content_type, body (UTF-8 text), ok, error. Listens on a free
port of 127.0.0.1, prints "READY <port>", stops when stdin closes.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

SECRET = sys.argv[1]
LOG = sys.argv[2]
LOG_LOCK = threading.Lock()


def log(entry):
    with LOG_LOCK:
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        entry = {
            "path": urlsplit(self.path).path,
            "id": self.headers.get("webhook-id"),
            "webhook_timestamp": self.headers.get("webhook-timestamp"),
            "webhook_signature": self.headers.get("webhook-signature"),
            "content_type": self.headers.get("content-type"),
            "body": body.decode("utf-8", errors="replace"),
            "ok": None,
            "error": None,
        }
        location = None
        path = urlsplit(self.path).path
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            if 300 <= code < 400:
                location = "/redirected"
        else:
            if path == "/slow":
                time.sleep(3)
            try:
                Webhook(SECRET).verify(body, dict(self.headers.items()), json_parse=False)
                entry["ok"] = True
                code = 204
            except Exception as error:  # any failure is a refusal, named in the log
                entry["ok"] = False
                entry["error"] = "%s: %s" % (type(error).__name__, error)
                code = 400
        log(entry)
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY %d" % server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
