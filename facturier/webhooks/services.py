"""Writes to an account's webhooks: create, change, delete, send a test, try a delivery again.

All need `settings.manage` ("Gérer les paramètres du compte"): a webhook sends the account's clients,
products and documents to an outside address, which is running the account (as its API tokens and
e-invoicing settings are), not day-to-day invoicing. Each write is one transaction with an audit event.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account
from facturier.webhooks import events
from facturier.webhooks.addresses import AddressError, check_url
from facturier.webhooks.delivery import attempt, schedule
from facturier.webhooks.models import DeliveryState, Kind, Webhook, WebhookDelivery, new_api_token

PERMISSION = "settings.manage"
FIELDS = ("kind", "url", "api_token", "active")
MAX_WEBHOOKS = 50  # per account: far more than the nine kinds need, and a bound on the fan-out


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown webhook fields: {sorted(unknown)}")
    cleaned = dict(values)
    if "kind" in cleaned and cleaned["kind"] not in Kind.values:
        raise ServiceError(
            _("Événement inconnu : choisissez parmi %(kinds)s.") % {"kinds": ", ".join(Kind.values)},
            field="kind",
        )
    if "url" in cleaned:
        try:
            cleaned["url"] = check_url(str(cleaned["url"]))
        except AddressError as error:
            raise ServiceError(str(error), field="url") from None
    if "api_token" in cleaned:
        cleaned["api_token"] = str(cleaned["api_token"]).strip()
        if len(cleaned["api_token"]) > Webhook._meta.get_field("api_token").max_length:  # type: ignore[operator]
            raise ServiceError(_("Le jeton est trop long (100 caractères au plus)."), field="api_token")
    if "active" in cleaned:
        cleaned["active"] = bool(cleaned["active"])
    return cleaned


@transaction.atomic
def create_webhook(
    actor: Actor, account: Account, *, kind: str, url: str, api_token: str = "", active: bool = True
) -> Webhook:
    """Create a webhook; without an api_token one is generated (the receiver reads it in each payload)."""
    actor.require(PERMISSION)
    ensure_writable(account)
    values = _clean({"kind": kind, "url": url, "api_token": api_token, "active": active})
    if Webhook.objects.filter(account=account).count() >= MAX_WEBHOOKS:
        raise ServiceError(_("Ce compte a déjà %(max)d webhooks.") % {"max": MAX_WEBHOOKS})
    values["api_token"] = values["api_token"] or new_api_token()
    webhook = Webhook.objects.create(account=account, **values)
    audit.record(actor, account, "webhook.created", target=f"{webhook.kind} {webhook.url}")
    return webhook


@transaction.atomic
def update_webhook(actor: Actor, webhook: Webhook, **fields: Any) -> Webhook:
    """Change some of kind, url, api_token, active; the audit event keeps the values before and after
    (the api_token's only as "changed")."""
    actor.require(PERMISSION)
    ensure_writable(webhook.account)
    values = _clean(fields)
    webhook = Webhook.objects.select_for_update().select_related("account").get(pk=webhook.pk)
    before = {name: getattr(webhook, name) for name in FIELDS}
    after = before | values
    if not after["api_token"]:
        after["api_token"] = before["api_token"]  # an empty token keeps the current one
    changes = audit.diff(before, after)
    if changes:
        for name in changes:
            setattr(webhook, name, after[name])
        webhook.save()
        if "api_token" in changes:
            changes["api_token"] = ["…", "…"]
        audit.record(
            actor, webhook.account, "webhook.changed", target=f"{webhook.kind} {webhook.url}", changes=changes
        )
    return webhook


@transaction.atomic
def delete_webhook(actor: Actor, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log; deliveries still pending are not sent."""
    actor.require(PERMISSION)
    ensure_writable(webhook.account)
    target = f"{webhook.kind} {webhook.url}"
    account = webhook.account
    webhook.delete()
    audit.record(actor, account, "webhook.deleted", target=target)


def send_test(actor: Actor, webhook: Webhook) -> WebhookDelivery:
    """Send, at once, one test delivery: the webhook's kind with the account's latest object of that
    resource (or null when it has none), marked `"test": true`. One attempt, no retries; logged."""
    actor.require(PERMISSION)
    ensure_writable(webhook.account)
    resource = webhook.kind.split(":")[0]
    latest = (
        events.RESOURCE_MODELS[resource]
        ._default_manager.filter(account=webhook.account)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    data = events.object_json(resource, webhook.account_id, latest) if latest else None
    delivery = WebhookDelivery.objects.create(
        account=webhook.account,
        webhook=webhook,
        kind=webhook.kind,
        object_id=latest,
        payload=events.payload(webhook.kind, data) | {"test": True},
        is_test=True,
        next_attempt_at=timezone.now(),
    )
    return attempt(delivery.pk, retries=False) or delivery


def retry_delivery(actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Try a failed delivery once more, now (through the job worker). A delivery already delivered or
    still waiting for its next attempt is refused."""
    actor.require(PERMISSION)
    ensure_writable(delivery.account)
    reset = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now()
    )
    if not reset:
        raise ServiceError(_("Seul un envoi en échec peut être réessayé."))
    transaction.on_commit(lambda: schedule(delivery.pk), robust=True)
    delivery.refresh_from_db()
    return delivery
