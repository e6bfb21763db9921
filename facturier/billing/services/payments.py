"""Writes to payments received from clients.

A payment settles one or several issued documents of one client, applied in the order given, each up to
what it still owes; every document's paid_total and status follow (billing.services.documents.settle).

Overpayment is refused (decision for issue 3): money beyond what the documents owe has no document to
go to, and keeping it as a client credit would need a credit balance that nothing else reads yet. The
user records the exact amount, and handles the surplus as a refund or on a later invoice.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from facturier.billing import events, tallies
from facturier.billing.models import (
    PAYABLE_KINDS,
    Document,
    Kind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Status,
)
from facturier.billing.services.documents import require, settle
from facturier.lib.money import CURRENCIES, ZERO, round_money
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_unlocked, ensure_writable
from facturier.tenancy.models import Account


@transaction.atomic
@tallies.deferred()
def record_payment(
    actor: Actor,
    account: Account,
    *,
    date: datetime.date,
    amount: Decimal,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
    notes: str = "",
    documents: list[Document],
    currency: str = "EUR",
) -> Payment:
    """Record a payment and apply it to `documents` in order, each up to its remaining amount.

    Refused: an amount that is not positive, more than the documents owe together (overpayment), a
    currency other than the documents', documents of another account or client, drafts, quotes,
    proformas and credit notes, and a payment date in the locked period.
    """
    require(actor, account, "payments.create")
    ensure_writable(account)
    ensure_unlocked(account, date)
    amount = _check_amount(amount, currency)
    if method not in PaymentMethod.values:
        raise ServiceError(_("Mode de paiement inconnu."), field="method")
    locked = _locked_documents(account, [d.pk for d in documents])
    _check_documents(locked, currency)
    _refuse_overpayment(amount, currency, locked)

    payment = Payment.objects.create(
        account=account,
        client_id=locked[0].client_id,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference.strip(),
        notes=notes.strip(),
        created_by=actor.user,
    )
    allocations = _allocate(payment, locked)
    # VAT on services falls due at payment: the reports follow, in this transaction.
    events.sales_changed.send(sender=Payment, documents=locked)
    audit.record(
        actor,
        account,
        "payment.recorded",
        target=str(payment.pk),
        summary=_("Paiement de %(amount)s %(currency)s du %(date)s : %(documents)s.")
        % {
            "amount": amount,
            "currency": currency,
            "date": date.isoformat(),
            "documents": ", ".join(f"{a.document.number} ({a.amount})" for a in allocations),
        },
        subjects=[a.document for a in allocations],
    )
    return payment


@transaction.atomic
@tallies.deferred()
def pay_in_full(
    actor: Actor,
    document: Document,
    *,
    date: datetime.date | None = None,
    method: str = PaymentMethod.TRANSFER,
) -> Payment:
    """Record a payment of everything the document still owes, dated today unless told otherwise."""
    account = document.account
    require(actor, account, "payments.create")
    current = Document.objects.get(pk=document.pk, account=account)
    _check_documents([current], current.currency)
    return record_payment(
        actor,
        account,
        date=date or account.today(),
        amount=current.remaining,
        method=method,
        documents=[document],
        currency=document.currency,
    )


@transaction.atomic
@tallies.deferred()
def delete_payment(actor: Actor, payment: Payment) -> None:
    """Delete a payment: what it settled is owed again. Its date must be outside the locked period."""
    require(actor, payment.account, "payments.delete")
    ensure_writable(payment.account)
    payment = Payment.objects.select_for_update().select_related("account").get(pk=payment.pk)
    account = payment.account
    ensure_unlocked(account, payment.date)
    allocations = list(payment.allocations.all())
    documents = {d.pk: d for d in _locked_documents(account, [a.document_id for a in allocations])}
    for allocation in allocations:
        document = documents[allocation.document_id]
        document.paid_total -= allocation.amount
        settle(document)
        document.save(update_fields=["paid_total", "status", "updated_at"])
    audit.record(
        actor,
        account,
        "payment.deleted",
        target=str(payment.pk),
        summary=_("Paiement de %(amount)s %(currency)s du %(date)s supprimé (%(documents)s).")
        % {
            "amount": payment.amount,
            "currency": payment.currency,
            "date": payment.date.isoformat(),
            "documents": ", ".join(documents[a.document_id].number for a in allocations),
        },
        subjects=list(documents.values()),
    )
    payment.delete()
    events.sales_changed.send(sender=Payment, documents=list(documents.values()))


def _check_amount(amount: Decimal, currency: str) -> Decimal:
    if currency not in CURRENCIES:
        raise ServiceError(_("Devise non prise en charge : %(c)s.") % {"c": currency}, field="currency")
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amount: Decimal expected, got {amount!r}")  # floats never come near money
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise ServiceError(_("Le montant du paiement doit être positif."), field="amount")
    if round_money(amount, currency) != amount:
        raise ServiceError(_("Le montant a trop de décimales pour cette devise."), field="amount")
    return amount


def _locked_documents(account: Account, ids: list[int]) -> list[Document]:
    """The documents' rows, locked in id order (two payments never wait on each other in a cycle),
    returned in the order given. A document of another account is refused as if it did not exist."""
    if not ids:
        raise ServiceError(_("Choisissez au moins un document à régler."), field="documents")
    if len(set(ids)) != len(ids):
        raise ServiceError(_("Un document figure deux fois dans le paiement."), field="documents")
    rows = Document.objects.select_for_update().filter(account=account, pk__in=ids).order_by("pk")
    found = {d.pk: d for d in rows}
    if len(found) != len(ids):
        raise ServiceError(_("Un des documents n'existe pas dans ce compte."), field="documents")
    return [found[pk] for pk in ids]


def _check_documents(documents: list[Document], currency: str) -> None:
    for document in documents:
        if document.is_draft:
            raise ServiceError(
                _("Un brouillon ne peut pas être réglé : émettez-le d'abord."), field="documents"
            )
        if document.kind == Kind.CREDIT_NOTE:
            raise ServiceError(
                _("L'avoir %(number)s ne se règle pas : il réduit ce que doit le client.")
                % {"number": document.number},
                field="documents",
            )
        if document.kind not in PAYABLE_KINDS:
            raise ServiceError(
                _("%(number)s n'est pas une facture : un devis ou une proforma ne se règle pas.")
                % {"number": document.number},
                field="documents",
            )
        if document.status == Status.CANCELLED or document.remaining <= 0:
            raise ServiceError(
                _("Le document %(number)s n'a plus rien à régler.") % {"number": document.number},
                field="documents",
            )
        if document.client_id != documents[0].client_id:
            raise ServiceError(_("Un paiement règle les documents d'un seul client."), field="documents")
        if document.currency != currency:
            raise ServiceError(
                _("Le paiement est en %(payment)s, le document %(number)s en %(document)s.")
                % {"payment": currency, "number": document.number, "document": document.currency},
                field="currency",
            )


def _refuse_overpayment(amount: Decimal, currency: str, documents: list[Document]) -> None:
    owed = sum((d.remaining for d in documents), ZERO)
    if amount > owed:
        raise ServiceError(
            _(
                "Le paiement de %(amount)s %(currency)s dépasse ce que doivent ces documents "
                "(%(owed)s %(currency)s). Enregistrez le montant exact ; le surplus se rembourse à part."
            )
            % {"amount": amount, "owed": owed, "currency": currency},
            field="amount",
        )


def _allocate(payment: Payment, documents: list[Document]) -> list[PaymentAllocation]:
    """Apply the payment in order, each document up to what it owes (overpayment was refused before)."""
    left = payment.amount
    allocations = []
    for document in documents:
        if left <= 0:
            break
        part = min(left, document.remaining)
        left -= part
        allocations.append(
            PaymentAllocation(account_id=payment.account_id, payment=payment, document=document, amount=part)
        )
        document.paid_total += part
        settle(document)
        document.save(update_fields=["paid_total", "status", "updated_at"])
    PaymentAllocation.objects.bulk_create(allocations)
    return allocations
