"""Archiving: hiding a client or product from lists and new documents without touching its history."""

from django.db import transaction
from django.utils import timezone

from facturier.billing.models import Client, Product
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.locking import ensure_writable


@transaction.atomic
def set_archived(actor: Actor, row: Client | Product, *, archived: bool) -> None:
    """Archive or restore `row` (needs clients.edit or products.edit); a no-op when already so.

    Two explicit actions rather than a toggle, so a double click cannot undo itself.
    """
    noun = "client" if isinstance(row, Client) else "product"
    actor.require(f"{noun}s.edit")
    ensure_writable(row.account)
    if (row.archived_at is not None) == archived:
        return
    row.archived_at = timezone.now() if archived else None
    row.save(update_fields=["archived_at", "updated_at"])
    action = f"{noun}.{'archived' if archived else 'restored'}"
    audit.record(actor, row.account, action, target=row.name, subjects=[row])
