"""Account.active_webhooks: how many active webhooks each account has, counted again whenever a Webhook row
is saved or deleted (model signals, so every way of writing one keeps it exact).

events.py reads it on the account the service already holds: a change in an account without an active
webhook notes nothing and reads nothing after its commit. The count is taken under the account row's lock,
after the webhook's own write, so two transactions changing webhooks of one account in parallel end with
the right number: the second counts once the first has committed.
"""

from typing import Any

from django.db import transaction

from facturier.tenancy.models import Account
from facturier.webhooks.models import Webhook


def recount(account_id: int) -> int:
    """Store the account's number of active webhooks, and return it."""
    with transaction.atomic():
        list(Account.objects.select_for_update().filter(pk=account_id).values_list("pk", flat=True))
        count = Webhook.objects.filter(account_id=account_id, active=True).count()
        Account.objects.filter(pk=account_id).update(active_webhooks=count)
    return count


def on_webhook_changed(sender: Any, instance: Webhook, **kwargs: Any) -> None:
    """Receiver of post_save and post_delete for Webhook. The account the webhook was written with, when
    it holds it, gets the new count too (the same request may go on changing that account)."""
    count = recount(instance.account_id)
    if Webhook.account.is_cached(instance):
        instance.account.active_webhooks = count
