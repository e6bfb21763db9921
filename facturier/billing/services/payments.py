"""Writes to payments received from clients.

A payment settles one or several issued documents of one client, applied in the order given, each up to
what it still owes; every document's paid_total and status follow (billing.services.documents.settle).

A payment may also settle no document yet (the public API's "minimal JSON"): an unallocated payment,
money received and in the books (bank against the customer account), that a later change allocates.
Nothing owed changes until then. See docs/decisions/unallocated-payments.md.

Overpayment of the documents named is refused (decision for issue 3): money beyond what they owe has no
document to go to. The user records the exact amount, and the surplus as an unallocated payment or a
refund.

A payment can be changed (amount, date, documents, client, reference, notes, method) unless it is dated
in the locked period (before or after the change), and, when the account protects exported documents,
what the accounting export carried (amount, date, currency, documents, client, the reference the FEC
prints) stays as exported.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from facturier.billing import events, tallies
from facturier.billing.models import (
    PAYABLE_KINDS,
    Client,
    Document,
    Kind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Status,
)
from facturier.billing.services.documents import require, settle
from facturier.lib.money import CURRENCIES, ZERO, money_text, round_money
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_exported_changeable, ensure_unlocked, ensure_writable
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
    client: Client | None = None,
    unallocated: bool = False,
) -> Payment:
    """Record a payment and apply it to `documents` in order, each up to its remaining amount; with
    `unallocated=True` and no documents, record it for `client` (or no one known yet) unallocated.

    Refused: an amount that is not positive, more than the documents owe together (overpayment), a
    currency other than the documents', documents of another account or client (or of another client
    than `client`), drafts, quotes, proformas and credit notes, and a payment date in the locked period.
    """
    require(actor, account, "payments.create")
    ensure_writable(account)
    ensure_unlocked(account, date, field="date")
    amount = _check_amount(amount, currency)
    if method not in PaymentMethod.values:
        raise ServiceError(_("Mode de paiement inconnu."), field="method")
    _check_client(account, client)
    locked: list[Document] = []
    if documents or not unallocated:
        locked = _locked_documents(account, [d.pk for d in documents])
        _check_documents(locked, currency, client)
        _refuse_overpayment(amount, currency, locked)
    else:
        _check_unallocated(currency)

    payment = Payment.objects.create(
        account=account,
        client_id=locked[0].client_id if locked else (client.pk if client else None),
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
            "documents": _settled_text(allocations),
        },
        subjects=[a.document for a in allocations],
    )
    return payment


def _settled_text(allocations: list[PaymentAllocation]) -> str:
    if not allocations:
        return _("non affecté")
    return ", ".join(f"{a.document.number} ({a.amount})" for a in allocations)


# What an accounting export carries of a payment: protected once exported, when the account asks.
EXPORTED_FIELDS = ("amount", "date", "currency", "client_id", "documents", "reference")


@transaction.atomic
@tallies.deferred()
def update_payment(
    actor: Actor,
    payment: Payment,
    *,
    date: datetime.date | None = None,
    amount: Decimal | None = None,
    method: str | None = None,
    reference: str | None = None,
    notes: str | None = None,
    currency: str | None = None,
    documents: list[Document] | None = None,
    client: Client | None = None,
) -> Payment:
    """Change a payment; the arguments left at None keep their value. `documents` replaces what it
    settles (an empty list unallocates it); a new amount is applied again to its documents.

    Refused as record_payment refuses, and: a payment dated in the locked period (its old or new date),
    documents of another client than the payment's (or than `client` when given), and a change to what
    the accounting export carried when it was exported and the account protects exported documents.
    The audit event keeps each changed value before and after.
    """
    require(actor, payment.account, "payments.edit")
    ensure_writable(payment.account)
    payment = Payment.objects.select_for_update().select_related("account").get(pk=payment.pk)
    account = payment.account
    old_allocations = list(payment.allocations.select_related("document").order_by("pk"))
    old_ids = [a.document_id for a in old_allocations]
    new_ids = old_ids if documents is None else [d.pk for d in documents]
    if len(set(new_ids)) != len(new_ids):
        raise ServiceError(_("Un document figure deux fois dans le paiement."), field="documents")
    before: dict[str, Any] = {
        "amount": payment.amount,
        "date": payment.date,
        "currency": payment.currency,
        "client_id": payment.client_id,
        "documents": old_ids,
        "method": payment.method,
        "reference": payment.reference,
        "notes": payment.notes,
    }
    after = before | {
        key: value
        for key, value in {
            "amount": amount,
            "date": date,
            "currency": currency,
            "method": method,
            "reference": reference.strip() if reference is not None else None,
            "notes": notes.strip() if notes is not None else None,
        }.items()
        if value is not None
    }
    after["documents"] = new_ids
    # Checked before comparing, so 120.0 sent for 120.00 stored is no change.
    after["amount"] = round_money(_check_amount(after["amount"], after["currency"]), after["currency"])
    # Only a new amount, currency or set of documents changes what is settled: a new note, reference,
    # method or date is no reason to check the documents again (they may owe less since, a credit note).
    reapply = any(after[key] != before[key] for key in ("amount", "currency", "documents"))
    # The documents' rows, locked before reading them: what it settled and what it will settle.
    every = (
        _locked_documents(account, sorted(set(old_ids) | set(new_ids)))
        if reapply and (old_ids or new_ids)
        else []
    )
    found = {d.pk: d for d in every} or {a.document_id: a.document for a in old_allocations}
    # The payer is whoever the documents are of; without documents, the client named or kept. Documents
    # are checked against that client, so a payment of one client never moves onto another's invoices.
    expected = client if client is not None else payment.client
    allocated = [found[pk] for pk in new_ids]
    if expected is not None and allocated and allocated[0].client_id != expected.pk:
        raise ServiceError(
            _("Le document %(number)s n'est pas de ce client.") % {"number": allocated[0].number},
            field="documents",
        )
    after["client_id"] = allocated[0].client_id if allocated else (expected.pk if expected else None)
    changes = audit.diff(before, after)
    if not changes:
        return payment
    ensure_unlocked(account, payment.date, after["date"], field="date")
    if any(field in changes for field in EXPORTED_FIELDS):
        ensure_exported_changeable(account, payment.exported_at)
    if after["method"] not in PaymentMethod.values:
        raise ServiceError(_("Mode de paiement inconnu."), field="method")
    _check_client(account, client)
    reference_max = Payment._meta.get_field("reference").max_length or 0
    if len(after["reference"]) > reference_max:
        raise ServiceError(
            _("Ce texte est trop long (%(max)s caractères au plus).") % {"max": reference_max},
            field="reference",
        )

    if reapply:
        # Undo what it settled, then apply it again: the documents' paid totals and statuses follow.
        _unsettle(old_allocations, found)
        payment.allocations.all().delete()
        _check_documents(allocated, after["currency"], expected)
        if allocated:
            _refuse_overpayment(after["amount"], after["currency"], allocated)
        else:
            _check_unallocated(after["currency"])

    payment.amount, payment.date, payment.currency = after["amount"], after["date"], after["currency"]
    payment.method, payment.reference, payment.notes = after["method"], after["reference"], after["notes"]
    payment.client_id = after["client_id"]
    payment.save()
    subjects = list(found.values())
    if reapply:
        _allocate(payment, allocated)
    if set(changes) - {"method", "reference", "notes"}:
        events.sales_changed.send(sender=Payment, documents=subjects)
    audit.record(
        actor,
        account,
        "payment.changed",
        target=str(payment.pk),
        changes=changes,
        subjects=subjects,
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
    ensure_exported_changeable(account, payment.exported_at)
    allocations = list(payment.allocations.all())
    ids = [a.document_id for a in allocations]
    documents = {d.pk: d for d in _locked_documents(account, ids)} if ids else {}
    _unsettle(allocations, documents)
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
            "documents": ", ".join(documents[a.document_id].number for a in allocations) or _("non affecté"),
        },
        subjects=list(documents.values()),
    )
    payment.delete()
    events.sales_changed.send(sender=Payment, documents=list(documents.values()))


def _unsettle(allocations: list[PaymentAllocation], documents: dict[int, Document]) -> None:
    """What the allocations settled is owed again (their rows are locked and deleted by the caller)."""
    for allocation in allocations:
        document = documents[allocation.document_id]
        document.paid_total -= allocation.amount
        settle(document)
        document.save(update_fields=["paid_total", "status", "updated_at"])


def _check_unallocated(currency: str) -> None:
    """The books take a payment in euros; one in another currency is converted through the documents it
    settles (their rate), so without documents it has no amount in euros to post."""
    if currency != "EUR":
        raise ServiceError(
            _(
                "Un paiement en %(currency)s doit régler au moins une facture : son montant en euros se "
                "calcule au cours de ses factures."
            )
            % {"currency": currency},
            field="documents",
        )


def _check_client(account: Account, client: Client | None) -> None:
    if client is not None and client.account_id != account.pk:
        raise ServiceError(_("Ce client n'existe pas dans ce compte."), field="client")


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


def _check_documents(documents: list[Document], currency: str, client: Client | None = None) -> None:
    for document in documents:
        if client is not None and document.client_id != client.pk:
            raise ServiceError(
                _("Le document %(number)s n'est pas de ce client.") % {"number": document.number},
                field="documents",
            )
        if document.is_draft:
            raise ServiceError(
                _("Un brouillon ne peut pas être réglé : émettez-le d'abord."), field="documents"
            )
        if document.test:
            # A payment is money in the books: it never settles a document outside them.
            raise ServiceError(
                _("%(number)s est un document de test : il ne reçoit pas de paiement.")
                % {"number": document.number},
                field="documents",
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
                "Le paiement de %(amount)s dépasse ce que doivent ces documents (%(owed)s). "
                "Enregistrez le montant exact ; le surplus se rembourse à part."
            )
            % {"amount": money_text(amount, currency), "owed": money_text(owed, currency)},
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
