"""Sending webhook deliveries: the job the worker runs, the retries, the signature, the log's purge.

Each delivery is a POST of the JSON payload, with the webhook's api_token added, within TIMEOUT seconds.
Any 2xx answer means delivered. Otherwise the attempt is logged (status code, the first kilobyte of the
answer, or the error) and the next one is scheduled after the back-off all jobs share (lib/jobs.BACKOFF:
1 min, 5 min, 30 min, 2 h, 12 h): six attempts in all, then the delivery is marked failed (the settings
page can try it again).

The retry is a new task enqueued with `run_after` when the backend can defer tasks (the database backend
can); the worker (`manage.py run_worker`) also sends whatever is due every minute, as does
`manage.py deliver_webhooks`, which covers backends that cannot defer and tasks lost with a worker.
Attempts claim their row and skip a delivery that is not due, so they never send the same attempt twice;
that also makes a task interrupted with its worker safe to queue again.

Signature: `X-Facturier-Signature: sha256=<hex>`, the HMAC-SHA256, keyed with the webhook's secret, of
`<timestamp>.<raw body>`, where the timestamp (Unix seconds) is sent in `X-Facturier-Timestamp`; a
receiver recomputes it and refuses old timestamps to defeat replays.
"""

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from facturier.lib import jobs
from facturier.webhooks.addresses import AddressError, Target, target_for
from facturier.webhooks.models import (
    KEEP_LOG_FOR,
    RESPONSE_EXCERPT_BYTES,
    DeliveryState,
    Webhook,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)

TIMEOUT = 5  # seconds, for the connection and for each read
BACKOFF = jobs.BACKOFF
MAX_ATTEMPTS = jobs.MAX_ATTEMPTS
# How long an attempt holds its delivery: longer than any request can last (TIMEOUT per step).
LEASE = datetime.timedelta(minutes=2)
USER_AGENT = "Facturier-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of X-Facturier-Signature for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def request_body(webhook: Webhook, payload: dict[str, Any]) -> bytes:
    """The JSON sent: the payload with the webhook's api_token, as the public API's webhooks carry it."""
    return json.dumps({**payload, "api_token": webhook.api_token}, ensure_ascii=False).encode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT)
        self.pinned_ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_ip, self.port), TIMEOUT)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT, context=ssl.create_default_context())
        self.pinned_ip = target.ip

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_ip, self.port), TIMEOUT)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST `body` to `url` (checked by the SSRF guard); (status, first kilobyte of the answer).

    Raises AddressError for a refused address, OSError (and http.client errors) for network failures.
    """
    target = target_for(url)
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target) if target.scheme == "https" else _PinnedHTTPConnection(target)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_BYTES)
        return response.status, excerpt.decode("utf-8", errors="replace")
    finally:
        connection.close()


def _send(delivery: WebhookDelivery) -> None:
    """One attempt, its outcome written on `delivery` (not saved)."""
    webhook = delivery.webhook
    body = request_body(webhook, delivery.payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Facturier-Event": delivery.kind,
        "X-Facturier-Delivery": str(delivery.pk),
        "X-Facturier-Timestamp": str(timestamp),
        "X-Facturier-Signature": signature(webhook.secret, timestamp, body),
    }
    started = time.monotonic()
    delivery.status_code = None
    delivery.response_excerpt = ""
    delivery.error = ""
    try:
        delivery.status_code, delivery.response_excerpt = post(webhook.url, body, headers)
    except AddressError as error:
        delivery.error = str(error)
    except Exception as error:  # network, TLS, protocol...: logged on the delivery, counted as an attempt
        delivery.error = (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)[:500]
    delivery.duration_ms = round((time.monotonic() - started) * 1000)
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()


def delivered(delivery: WebhookDelivery) -> bool:
    return delivery.status_code is not None and 200 <= delivery.status_code < 300


def attempt(delivery_id: int, *, retries: bool = True) -> WebhookDelivery | None:
    """Make the attempt of a delivery that is due, and schedule the next one if it failed.

    Returns None when there was nothing to do (delivered, given up, not yet due, or deleted). The attempt
    is claimed first by moving the row's next_attempt_at LEASE ahead in one UPDATE: a second worker then
    finds it not due and skips it, no transaction stays open while the request runs, and a worker that
    dies mid-request leaves the delivery due again once the lease is over.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if not delivery.webhook.active and not delivery.is_test:
        # Switched off since: what it still had to send is dropped, and says so in the log.
        delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        delivery.error = _("Webhook désactivé : envoi abandonné.")
        delivery.save()
        return delivery
    _send(delivery)
    if delivered(delivery):
        delivery.state, delivery.next_attempt_at = DeliveryState.DELIVERED, None
    elif retries and not delivery.is_test and (when := jobs.retry_at(delivery.attempts)) is not None:
        delivery.next_attempt_at = when
    else:
        delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
    delivery.save()
    if delivery.state == DeliveryState.PENDING and delivery.next_attempt_at is not None:
        schedule(delivery.pk, delivery.next_attempt_at)
    return delivery


@task()
def deliver_webhook(delivery_id: int) -> None:
    """The job: one attempt of one delivery."""
    attempt(delivery_id)


@jobs.on_interrupted(deliver_webhook, time_limit=LEASE)
def _webhook_interrupted(delivery_id: int) -> bool:
    return True  # the attempt's lease is over by then: queued again, it finds the delivery due


def schedule(delivery_id: int, when: datetime.datetime | None = None) -> None:
    """Queue an attempt for the worker: now, or at `when` if the task backend can defer tasks (else the
    deliver_webhooks command sends it once due). A failure to queue loses nothing: the command finds
    every pending delivery that is due."""
    try:
        if when is None:
            deliver_webhook.enqueue(delivery_id)
        elif jobs.can_defer(deliver_webhook):
            jobs.enqueue_at(deliver_webhook, when, delivery_id)
    except Exception:
        logger.exception("Could not queue webhook delivery %s", delivery_id)


def deliver_due(limit: int = 500) -> int:
    """Attempt every pending delivery that is due (oldest first); the number attempted."""
    due = list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if attempt(pk) is not None)


def purge_old_deliveries() -> int:
    """Delete the log rows older than KEEP_LOG_FOR (30 days); the number deleted."""
    deleted, _by_model = WebhookDelivery.objects.filter(created_at__lt=timezone.now() - KEEP_LOG_FOR).delete()
    return deleted
