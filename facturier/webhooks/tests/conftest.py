"""A real HTTP receiver on 127.0.0.1 for the deliveries, and webhooks of acme pointing at it."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from facturier.tenancy.models import Account
from facturier.webhooks.models import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers with the statuses queued in `answers` (then 200)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Received]:
        return [request for request in self.requests if request.headers.get("X-Facturier-Event") == kind]


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(Received(self.path, dict(self.headers.items()), self.rfile.read(length)))
            status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"merci " * 400)  # longer than the excerpt kept

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


def make_webhook(account: Account, kind: str, url: str, **fields: Any) -> Webhook:
    return Webhook.objects.create(account=account, kind=kind, url=url, api_token="tok-123", **fields)


@pytest.fixture
def all_hooks(acme: Account, receiver: Receiver) -> dict[str, Webhook]:
    """One webhook of acme per kind, all to the receiver."""
    from facturier.webhooks.models import Kind

    return {kind: make_webhook(acme, kind, f"{receiver.url}?k={kind}") for kind in Kind.values}
