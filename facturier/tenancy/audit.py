"""Writing the audit trail. Services call `record` inside their transaction, so an event exists
exactly when the change it describes was stored."""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.dispatch import Signal
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, AuditEvent

# Every action code the application writes, with the label the audit page shows and filters on.
ACTIONS: dict[str, Promise] = {
    "account.created": _("Compte créé"),
    "account.settings_changed": _("Paramètres du compte modifiés"),
    "account.subscription_changed": _("Abonnement modifié"),
    "account.lock_date_changed": _("Date de protection des documents modifiée"),
    "member.added": _("Utilisateur ajouté"),
    "member.role_changed": _("Rôle d'un utilisateur modifié"),
    "member.removed": _("Utilisateur retiré"),
    "member.owner_transferred": _("Propriété du compte transférée"),
    "role.created": _("Rôle personnalisé créé"),
    "role.changed": _("Rôle personnalisé modifié"),
    "role.deleted": _("Rôle personnalisé supprimé"),
    "token.created": _("Jeton d'API créé"),
    "token.revoked": _("Jeton d'API révoqué"),
    "account.second_factor_changed": _("Double authentification obligatoire modifiée"),
    "mfa.reset": _("Double authentification réinitialisée par l'équipe de la plateforme"),
    "billing.settings_changed": _("Paramètres de facturation modifiés"),
    "client.created": _("Client créé"),
    "client.changed": _("Client modifié"),
    "client.merged": _("Clients fusionnés"),
    "client.archived": _("Client archivé"),
    "client.restored": _("Client désarchivé"),
    "client.deleted": _("Client supprimé"),
    "product.created": _("Produit créé"),
    "product.changed": _("Produit modifié"),
    "product.archived": _("Produit archivé"),
    "product.restored": _("Produit désarchivé"),
    "product.deleted": _("Produit supprimé"),
    "document.created": _("Brouillon créé"),
    "document.changed": _("Document modifié"),
    "document.deleted": _("Brouillon supprimé"),
    "document.attachment_added": _("Pièce jointe ajoutée au document"),
    "document.issued": _("Document émis"),
    "document.sent": _("Document envoyé par email"),
    "document.resent": _("Envoi en échec renvoyé par email"),
    "document.status_changed": _("État d'un document modifié"),
    "payment.recorded": _("Paiement enregistré"),
    "payment.changed": _("Paiement modifié"),
    "payment.deleted": _("Paiement supprimé"),
    "expense.created": _("Dépense créée"),
    "expense.changed": _("Dépense modifiée"),
    "expense.deleted": _("Dépense supprimée"),
    "expense.imported": _("Dépense importée d'une facture électronique"),
    "expense.payment_recorded": _("Paiement de dépense enregistré"),
    "expense.payment_deleted": _("Paiement de dépense supprimé"),
    "category.created": _("Catégorie de dépense créée"),
    "category.changed": _("Catégorie de dépense modifiée"),
    "category.deleted": _("Catégorie de dépense supprimée"),
    "attachment.added": _("Justificatif ajouté"),
    "attachment.deleted": _("Justificatif supprimé"),
    "firm.module_changed": _("Module dédié aux cabinets comptables activé ou désactivé"),
    "firm.client_account_created": _("Compte client créé par le cabinet"),
    "firm.client_account_disconnected": _("Compte client déconnecté du cabinet"),
    "firm.staff_granted": _("Accès d'un collaborateur du cabinet accordé"),
    "firm.staff_revoked": _("Accès d'un collaborateur du cabinet retiré"),
    "accounting.settings_changed": _("Paramètres de comptabilité modifiés"),
    "einvoice.settings_changed": _("Paramètres de facturation électronique modifiés"),
    "export.completed": _("Export réalisé"),
    "webhook.created": _("Webhook créé"),
    "webhook.changed": _("Webhook modifié"),
    "webhook.deleted": _("Webhook supprimé"),
}

# Sent by `record` with the rows the event is about (`subjects`), in the caller's transaction: webhooks
# listen to it (facturier/webhooks/events.py) without tenancy knowing about them.
recorded = Signal()


def record(
    actor: Actor,
    account: Account,
    action: str,
    *,
    target: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
    subjects: Sequence[models.Model] = (),
) -> AuditEvent:
    """Write an audit event. `subjects` are the rows it changed (a client, the documents a payment
    settles...), still in the database: what webhooks report."""
    event = prepare(
        actor, account, action, target=target, summary=summary, changes=changes, subjects=subjects
    )
    event.save()
    return event


def prepare(
    actor: Actor,
    account: Account,
    action: str,
    *,
    target: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
    subjects: Sequence[models.Model] = (),
) -> AuditEvent:
    """The event `record` writes, announced to the `recorded` receivers but not written yet: the caller
    writes it with `write` before its transaction ends, with the other events of the same change (a
    document created and issued in one call: one INSERT for both)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}: add it to ACTIONS.")
    recorded.send(sender=AuditEvent, account=account, action=action, subjects=subjects)
    return AuditEvent(
        account=account,
        actor=actor.user,
        actor_email=actor.user.email if actor.user else "",
        via_firm=actor.via_firm,
        action=action,
        target=target[:200],
        summary=summary[:500],
        changes=changes or {},
        ip=actor.ip,
    )


def write(events: Sequence[AuditEvent]) -> None:
    """Write prepared events, in their order, in one statement."""
    AuditEvent.objects.bulk_create(events)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{"field": [old, new]} for the fields whose value changed, as JSON-friendly text."""

    def show(value: Any) -> Any:
        return value if value is None or isinstance(value, bool | int | str | list) else str(value)

    return {
        key: [show(before.get(key)), show(value)] for key, value in after.items() if before.get(key) != value
    }
