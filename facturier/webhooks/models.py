"""Webhooks of an account, and the log of what was delivered to them.

A Webhook asks for one kind of change (`invoice:create`, ...), as in the public API (api.md, section 4).
A WebhookDelivery is one change sent (or being sent) to one webhook: the payload, how many attempts were
made, the outcome of the last one, and when the next one is due. Rows older than KEEP_LOG_FOR are purged
(delivery.purge_old_deliveries).
"""

import datetime
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.tenancy.models import Account

KEEP_LOG_FOR = datetime.timedelta(days=30)
RESPONSE_EXCERPT_BYTES = 1024


class Kind(models.TextChoices):
    CLIENT_CREATE = "client:create", _("Client créé")
    CLIENT_UPDATE = "client:update", _("Client modifié")
    CLIENT_DESTROY = "client:destroy", _("Client supprimé")
    INVOICE_CREATE = "invoice:create", _("Document créé")
    INVOICE_UPDATE = "invoice:update", _("Document modifié")
    INVOICE_DESTROY = "invoice:destroy", _("Document supprimé")
    PRODUCT_CREATE = "product:create", _("Produit créé")
    PRODUCT_UPDATE = "product:update", _("Produit modifié")
    PRODUCT_DESTROY = "product:destroy", _("Produit supprimé")


def new_secret() -> str:
    return secrets.token_hex(32)


def new_api_token() -> str:
    return secrets.token_urlsafe(24)


class Webhook(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhooks")
    kind = models.CharField(_("événement"), max_length=20, choices=Kind.choices)
    url = models.CharField(_("adresse"), max_length=500)
    # Sent in every payload, as the public API does, so the receiver can tell the call is ours.
    api_token = models.CharField(_("jeton envoyé"), max_length=100, blank=True)
    # Key of the HMAC-SHA256 signature of each request (header X-Facturier-Signature).
    secret = models.CharField(max_length=64, default=new_secret)
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "pk"]
        indexes = [models.Index(fields=["account", "active", "kind"], name="webhook_account_kind")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("En attente")
    DELIVERED = "delivered", _("Livré")
    FAILED = "failed", _("Échec")


class WebhookDelivery(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField(null=True, blank=True)
    # What is sent, without the webhook's api_token (added at each attempt, so it is not copied here).
    payload = models.JSONField()
    is_test = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due; null once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["created_at"], name="webhook_delivery_age"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id} ({self.state})"
