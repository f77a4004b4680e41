"""A real HTTP endpoint for the webhook tests: a threaded http.server on 127.0.0.1 that records what it receives,
verifies the signature with standardwebhooks' own verifier, and answers 500 to its first ``fail_first`` requests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool
    status: int

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    fail_first: int = 0
    always_fail: bool = False
    secret: str | None = None
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def delivered(self):
        return [r for r in self.requests if r.status == 204]

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = False
                if receiver.secret:
                    try:
                        Webhook(receiver.secret).verify(body, headers)
                        verified = True
                    except WebhookVerificationError:
                        verified = False
                with receiver.lock:
                    failing = receiver.always_fail or len(receiver.requests) < receiver.fail_first
                    status = 500 if failing else 204
                    receiver.requests.append(Received(self.path, headers, body, verified, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
