"""Which changes fire which webhooks: the one place that decides (ACTION_KINDS).

Every change a webhook reports is already an audit event: services record one in their transaction,
with the rows it changed (`audit.record(..., subjects=[...])`). Webhooks listen to that recording (the
`audit.recorded` signal) and map its action codes to webhook kinds here. Chosen over explicit calls in the
services: one table to read and review, a service that audits a change cannot forget to announce it, and
what the audit trail says happened and what integrations are told cannot drift apart.

The events of one transaction are gathered, merged per object and handed to the deliveries only once it
commits (transaction.on_commit): nothing is sent for a rolled-back change, and a document created then
issued in one API call is one `invoice:create` (created then deleted: nothing; changed then deleted: one
`destroy`). The payload is read after the commit, so it is the object as stored, in the public API's JSON
(the API's own serializers); a `destroy` payload is taken just before the row goes. Whatever fails here is
logged, never raised: a webhook must not break the user's change.

An account without an active webhook costs nothing: its count (Account.active_webhooks, kept by counts.py)
is read on the account the service holds, loaded with the request (a webhook made by another request in
the meantime fires from that request's next change on).
"""

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from facturier.api.clients import ClientSerializer
from facturier.api.invoice_output import InvoiceSerializer, with_output_data
from facturier.api.products import ProductSerializer
from facturier.billing.models import Client, Document, Product
from facturier.tenancy.models import Account
from facturier.webhooks.delivery import schedule
from facturier.webhooks.models import DeliveryState, Kind, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

CREATE, UPDATE, DESTROY = "create", "update", "destroy"

# Audit action → the webhook kind it fires, for each of the event's subjects of the kind's resource.
ACTION_KINDS: dict[str, str] = {
    "client.created": Kind.CLIENT_CREATE,
    "client.changed": Kind.CLIENT_UPDATE,
    "client.merged": Kind.CLIENT_UPDATE,
    "client.archived": Kind.CLIENT_UPDATE,
    "client.restored": Kind.CLIENT_UPDATE,
    "client.deleted": Kind.CLIENT_DESTROY,
    "product.created": Kind.PRODUCT_CREATE,
    "product.changed": Kind.PRODUCT_UPDATE,
    "product.archived": Kind.PRODUCT_UPDATE,
    "product.restored": Kind.PRODUCT_UPDATE,
    "product.deleted": Kind.PRODUCT_DESTROY,
    # Every sales document is an "invoice" of the public API (quotes and credit notes included).
    "document.created": Kind.INVOICE_CREATE,
    "document.changed": Kind.INVOICE_UPDATE,
    "document.issued": Kind.INVOICE_UPDATE,
    "document.status_changed": Kind.INVOICE_UPDATE,
    "document.deleted": Kind.INVOICE_DESTROY,
    # A payment changes what its documents show as paid, remaining, and their status.
    "payment.recorded": Kind.INVOICE_UPDATE,
    "payment.changed": Kind.INVOICE_UPDATE,
    "payment.deleted": Kind.INVOICE_UPDATE,
}

RESOURCE_MODELS: dict[str, type[models.Model]] = {"client": Client, "product": Product, "invoice": Document}


def object_json(resource: str, account_id: int, pk: int) -> dict[str, Any] | None:
    """The object as the API shows it (GET /<resource>s/<pk>.json), or None if it is gone."""
    data: Any
    if resource == "invoice":
        rows = with_output_data(Document.objects.filter(account_id=account_id, pk=pk), positions=True)
        document = rows.first()
        data = InvoiceSerializer(document).data if document else None
    elif resource == "client":
        client = Client.objects.filter(account_id=account_id, pk=pk).first()
        data = ClientSerializer(client).data if client else None
    else:
        product = Product.objects.filter(account_id=account_id, pk=pk).first()
        data = ProductSerializer(product).data if product else None
    return None if data is None else json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def payload(kind: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """What is sent (delivery.request_body adds the webhook's api_token): the event's kind, and the object
    under its resource's key, as the API's own request bodies wrap it (`{"invoice": {...}}`)."""
    return {"kind": kind, kind.split(":")[0]: data}


@dataclass
class Event:
    account_id: int
    resource: str
    object_id: int
    verb: str
    snapshot: dict[str, Any] | None = None  # the object before a destroy

    @property
    def kind(self) -> str:
        return f"{self.resource}:{self.verb}"


class Batch:
    """The events of one transaction, merged per object, sent when it commits."""

    def __init__(self) -> None:
        self.events: dict[tuple[int, str, int], Event] = {}
        self.kinds: dict[int, set[str]] = {}  # per account, the kinds its active webhooks ask for
        self.sent = False

        def callback() -> None:
            self.send()

        self.callback = callback

    def wanted(self, account_id: int) -> set[str]:
        if account_id not in self.kinds:
            self.kinds[account_id] = set(
                Webhook.objects.filter(account_id=account_id, active=True).values_list("kind", flat=True)
            )
        return self.kinds[account_id]

    def add(self, event: Event) -> None:
        key = (event.account_id, event.resource, event.object_id)
        earlier = self.events.get(key)
        if earlier is None or earlier.verb == DESTROY:
            self.events[key] = event
        elif event.verb == DESTROY:
            if earlier.verb == CREATE:
                del self.events[key]  # created and deleted in one transaction: nothing happened
            else:
                self.events[key] = event
        # else: create or update after create or update: the first verb stands, the payload is read later

    def send(self) -> None:
        self.sent = True
        for account_id in {event.account_id for event in self.events.values()}:
            try:
                dispatch([event for event in self.events.values() if event.account_id == account_id])
            except Exception:
                logger.exception("Webhook events of account %s not dispatched", account_id)


_local = threading.local()


def _batch() -> tuple[Batch, bool]:
    """The batch of the current transaction, and whether it must be sent at once (no transaction)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return Batch(), True
    batch: Batch | None = getattr(_local, "batch", None)
    # A batch whose callback is no longer queued belongs to a transaction (or savepoint) that was rolled
    # back, or that already committed: start a new one.
    if (
        batch is None
        or batch.sent
        or not any(func is batch.callback for _sids, func, _robust in connection.run_on_commit)
    ):
        batch = Batch()
        _local.batch = batch
        transaction.on_commit(batch.callback, robust=True)
    return batch, False


def audit_recorded(
    sender: Any, account: Account, action: str, subjects: Sequence[models.Model] = (), **kwargs: Any
) -> None:
    """Receiver of audit.recorded: note the events of its subjects. Nothing at all for an account without
    an active webhook (Account.active_webhooks, counts.py). Else no query, except for a destroy (whether a
    webhook wants it, once per transaction, and the row's JSON if so); the active webhooks are read once
    per account when the transaction commits."""
    kind = ACTION_KINDS.get(action)
    if kind is None or not subjects or not account.active_webhooks:
        return
    try:
        resource, verb = kind.split(":")
        batch, at_once = _batch()
        for subject in subjects:
            if not isinstance(subject, RESOURCE_MODELS[resource]) or subject.pk is None:
                continue
            snapshot = None
            if verb == DESTROY:
                # The row goes in this transaction: its JSON is read now, if a webhook wants it.
                if kind not in batch.wanted(account.pk):
                    continue
                snapshot = object_json(resource, account.pk, subject.pk)
            batch.add(Event(account.pk, resource, subject.pk, verb, snapshot))
        if at_once:
            batch.send()
    except Exception:
        logger.exception("Webhook event %s not noted", action)


def dispatch(events: list[Event]) -> list[WebhookDelivery]:
    """Create the deliveries of committed events (all of one account) and queue them."""
    if not events:
        return []
    hooks = list(
        Webhook.objects.filter(
            account_id=events[0].account_id, active=True, kind__in={event.kind for event in events}
        )
    )
    created: list[WebhookDelivery] = []
    for event in events:
        matching = [hook for hook in hooks if hook.kind == event.kind]
        if not matching:
            continue
        current = object_json(event.resource, event.account_id, event.object_id)
        if event.verb == DESTROY:
            if current is not None:
                continue  # the deletion was rolled back (a savepoint): the object is still there
            data = event.snapshot
        else:
            if current is None:
                continue  # created or changed, then rolled back or deleted since
            data = current
        for hook in matching:
            created.append(
                WebhookDelivery.objects.create(
                    account_id=event.account_id,
                    webhook=hook,
                    kind=event.kind,
                    object_id=event.object_id,
                    payload=payload(event.kind, data),
                    state=DeliveryState.PENDING,
                    next_attempt_at=timezone.now(),
                )
            )
    for delivery in created:
        schedule(delivery.pk)
    return created
