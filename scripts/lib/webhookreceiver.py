"""A real webhook receiver on loopback for scripts/webhook-check: it verifies every request
with the `standardwebhooks` package from PyPI (not purrlist's code), answers 200 (or 503
while told to be down), and keeps every request it accepted, in arrival order, per path.

Imports `standardwebhooks`: run under the tools virtualenv (pytools.library)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from dataclasses import dataclass, field

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Delivery:
    webhook_id: str
    event_id: str | None
    type: str
    body: dict
    verified_with: list[str]


@dataclass
class Endpoint:
    """What one path of the receiver checks and saw."""

    secrets: list[str]
    accepted: list[Delivery] = field(default_factory=list)
    refused: int = 0
    bad_signatures: list[str] = field(default_factory=list)


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.endpoints: dict[str, Endpoint] = {}
        self.down = False
        self.requests = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle and the
                # client's delayed ACK add 40 ms to every delivery.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status = receiver.handle(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # purrlist is SIGKILLed mid-request on purpose: a reset connection is no error here.
        self.server.handle_error = lambda request, address: None
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def expect(self, path: str, secrets: list[str]) -> None:
        with self.lock:
            self.endpoints[path] = Endpoint(list(secrets))

    def set_secrets(self, path: str, secrets: list[str]) -> None:
        with self.lock:
            self.endpoints[path].secrets = list(secrets)

    def handle(self, path: str, headers: dict, body: bytes) -> int:
        headers = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.requests += 1
            endpoint = self.endpoints.get(path)
            if endpoint is None:
                return 404
            if self.down:
                endpoint.refused += 1
                return 503
            verified = []
            for secret in endpoint.secrets:
                try:
                    Webhook(secret).verify(body, headers)
                    verified.append(secret)
                except WebhookVerificationError:
                    pass
            if len(verified) != len(endpoint.secrets):
                endpoint.bad_signatures.append(headers.get("webhook-id", "?"))
                return 400
            parsed = json.loads(body)
            endpoint.accepted.append(
                Delivery(
                    webhook_id=headers["webhook-id"],
                    event_id=parsed.get("data", {}).get("event_id"),
                    type=parsed["type"],
                    body=parsed,
                    verified_with=verified,
                )
            )
            return 200

    def snapshot(self, path: str) -> Endpoint:
        with self.lock:
            e = self.endpoints[path]
            return Endpoint(list(e.secrets), list(e.accepted), e.refused, list(e.bad_signatures))

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise TimeoutError(f"waited {timeout:.0f}s for {what}")

    def close(self) -> None:
        self.server.shutdown()


def order_problems(accepted: list[Delivery], feed: list[str]) -> list[str]:
    """Each accepted feed message must be the next feed event after the highest one accepted
    so far, or one already accepted again (a resend after a crash); never a skip ahead."""
    position = {event_id: i for i, event_id in enumerate(feed)}
    problems = []
    highest = -1
    for d in accepted:
        if d.event_id is None:
            continue
        if d.webhook_id != d.event_id:
            problems.append(f"webhook-id {d.webhook_id} is not the event id {d.event_id}")
        i = position.get(d.event_id)
        if i is None:
            problems.append(f"event {d.event_id} is not in the feed")
        elif i > highest + 1:
            problems.append(f"event {d.event_id} arrived before {feed[highest + 1]} was accepted")
        else:
            highest = max(highest, i)
    return problems
