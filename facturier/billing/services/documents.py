"""Writes to sales documents: drafts, issuing, what may change after issue, and derived documents.

Every function takes the acting `Actor` first, runs in one transaction, checks the actor's permission,
the subscription (ensure_writable) and the lock date of every date involved, records an audit event,
and raises ServiceError with a message for the user when the rules refuse.

Rules that shape this module:
- Totals are computed once here, with billing/totals.py, and stored: on the document (in its currency
  and in EUR), on each line, and as one DocumentVatLine per VAT bucket (what reports aggregate).
- A draft is free to change. Issuing gives it its number (numbering.py), freezes the buyer and seller
  blocks, and chains it to the account's previous issued document (chain.py). After that its legal
  content never changes: only notes, emails and payment details (update_issued); a credit note corrects
  or cancels it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from facturier.billing import chain, events, issued, numbering, snapshots, tallies, totals
from facturier.billing.models import (
    DEDUCTIBLE_ADVANCE_STATUSES,
    INVOICE_KINDS,
    PAYABLE_KINDS,
    Client,
    DeliveryStatus,
    Document,
    DocumentLine,
    DocumentVatLine,
    EmailDelivery,
    IssuedFile,
    Kind,
    PaymentMethod,
    Product,
    Status,
    SupplyKind,
)
from facturier.lib import identifiers, uploads, vat
from facturier.lib.money import CURRENCIES, ZERO, money_text, round_money
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_exported_changeable, ensure_unlocked, ensure_writable
from facturier.tenancy.models import Account, AuditEvent

# Kinds a credit note can correct (a receipt is corrected by a refund, a quote needs no correction).
CREDITABLE_KINDS = frozenset({Kind.INVOICE, Kind.ADVANCE, Kind.FINAL})
LANGUAGES = ("fr", "en")
_MAX_AMOUNT = Decimal(10) ** 14  # the amount columns: max_digits=16, decimal_places=2
_CATEGORIES = {code for code, _label in vat.CATEGORY_CHOICES}


class IssuedDocumentError(ServiceError):
    """A change refused because the document is issued: its legal content is frozen (the API: 422)."""


def require(actor: Actor, account: Account, permission: str) -> None:
    """The actor's permission in `account`: a member of another account is refused whatever their role
    (pages never get this far: the gate gives them a 404)."""
    if actor.membership is not None and actor.membership.account_id != account.pk:
        raise PermissionDenied(_("Ce document appartient à un autre compte."))
    actor.require(permission)


# --- Inputs ---------------------------------------------------------------------------------------


@dataclass
class LineInput:
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str = vat.STANDARD
    discount_percent: Decimal = Decimal(0)
    unit: str = ""
    description: str = ""
    product_id: int | None = None
    supply_kind: str = SupplyKind.SERVICE
    vat_country: str = "FR"
    exemption_reason: str = ""
    accounting_code: str = ""


@dataclass
class DocumentInput:
    kind: str
    client_id: int
    issue_date: datetime.date
    lines: list[LineInput] = field(default_factory=list)
    sell_date: datetime.date | None = None
    due_date: datetime.date | None = None
    valid_until: datetime.date | None = None
    currency: str = "EUR"
    exchange_rate: Decimal = Decimal(1)
    language: str = "fr"
    prices_are_gross: bool = False
    reverse_charge: bool = False
    oss: bool = False
    payment_method: str = PaymentMethod.TRANSFER
    buyer_reference: str = ""
    notes: str = ""
    internal_note: str = ""
    email_to: str = ""
    delivery_street: str = ""
    delivery_post_code: str = ""
    delivery_city: str = ""
    delivery_country: str = ""
    correction_reason: str = ""
    corrected_document_id: int | None = None
    # A test document (Document.test): its own series, outside the chain, the books and every report.
    test: bool = False


# Plain fields copied from DocumentInput onto the Document.
_INPUT_FIELDS = [
    "kind", "issue_date", "sell_date", "valid_until", "currency", "exchange_rate", "language",
    "prices_are_gross", "reverse_charge", "oss", "payment_method", "buyer_reference", "notes",
    "internal_note", "email_to", "delivery_street", "delivery_post_code", "delivery_city",
    "delivery_country", "correction_reason", "test",
]  # fmt: skip
_LINE_FIELDS = [
    "name", "description", "quantity", "unit", "unit_price", "discount_percent", "vat_rate", "vat_category",
    "vat_country", "exemption_reason", "supply_kind", "accounting_code",
]  # fmt: skip
# What update_issued may change; any other field of an issued document is frozen (the API answers 422).
UPDATABLE_AFTER_ISSUE = ["notes", "internal_note", "email_to", "payment_method", "bank_iban", "bank_bic"]


def preview_totals(
    lines: list[LineInput], *, prices_are_gross: bool, currency: str, exchange_rate: Decimal
) -> totals.Totals:
    """The totals `lines` would have, without writing anything (live totals of the forms)."""
    return totals.compute(
        [_amounts(line) for line in lines],
        prices_are_gross=prices_are_gross,
        currency=currency,
        exchange_rate=exchange_rate,
    )


def _amounts(line: LineInput | DocumentLine) -> totals.LineAmounts:
    return totals.LineAmounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=line.vat_rate,
        discount_percent=line.discount_percent,
        vat_category=line.vat_category,
        vat_country=line.vat_country,
        supply_kind=line.supply_kind,
        exemption_reason=line.exemption_reason,
    )


@dataclass
class _Written:
    """A document's lines and VAT rows as its transaction stored them: what reading them back would give."""

    lines: list[DocumentLine]
    vat_lines: list[DocumentVatLine]


# --- Drafts ---------------------------------------------------------------------------------------


@transaction.atomic
def create_draft(actor: Actor, account: Account, data: DocumentInput) -> Document:
    """Create a draft: no number yet, every field and line free to change until it is issued."""
    return _new_draft(actor, account, data)


def _new_draft(actor: Actor, account: Account, data: DocumentInput, **preset: Any) -> Document:
    """create_draft, with fields only derived documents set (source_document, advances_deducted)."""
    document, _written, created = _drafted(actor, account, data, preset)
    audit.write([created])
    return document


def _drafted(
    actor: Actor, account: Account, data: DocumentInput, preset: dict[str, Any]
) -> tuple[Document, _Written, AuditEvent]:
    """A new draft stored, with its rows as stored and its audit event, announced but not yet written."""
    require(actor, account, "sales.create")
    ensure_writable(account)
    ensure_unlocked(account, data.issue_date)
    document = Document(account=account, status=Status.DRAFT, **preset)
    written = _write(document, data)
    created = audit.prepare(
        actor,
        account,
        "document.created",
        target=str(document.pk),
        summary=_("Brouillon de %(kind)s pour %(client)s créé.")
        % {"kind": document.get_kind_display(), "client": document.buyer_name},
        subjects=[document],
    )
    return document, written, created


@transaction.atomic
def update_draft(actor: Actor, document: Document, data: DocumentInput) -> Document:
    """Replace a draft's content and lines; both the old and the new issue dates must be unlocked."""
    require(actor, document.account, "sales.edit")
    ensure_writable(document.account)
    document = _locked(document)
    _ensure_draft(document)
    ensure_unlocked(document.account, document.issue_date, data.issue_date)
    if data.test != document.test and (
        document.source_document_id
        or document.corrected_document_id
        or Document.objects.filter(deducted_in=document).exists()
    ):
        # Test and real documents never mix: a real invoice deducting test advances would declare no VAT
        # on them, a test one would hold real advances back from their final invoice.
        raise ServiceError(
            _(
                "Ce brouillon est lié à d'autres documents (document d'origine, facture corrigée ou "
                "acomptes déduits) : il reste un document de test ou un document réel comme eux."
            ),
            field="test",
        )
    before = _summary_fields(document)
    _write(document, data)
    audit.record(
        actor,
        document.account,
        "document.changed",
        target=str(document.pk),
        changes=audit.diff(before, _summary_fields(document)),
        subjects=[document],
    )
    return document


@transaction.atomic
def delete_draft(actor: Actor, document: Document) -> None:
    """Delete a draft, or a test document even issued (it is in no series, chain or book). An issued
    document is never deleted: a credit note cancels it."""
    require(actor, document.account, "sales.delete")
    ensure_writable(document.account)
    document = _locked(document)
    values = {
        "kind": document.get_kind_display(),
        "client": document.buyer_name,
        "date": formats.date_format(document.issue_date, "SHORT_DATE_FORMAT"),
        "number": document.number,
    }
    if document.test and not document.is_draft:
        # Outside the books, a test document is not protected by the lock date either.
        notes = list(document.credit_notes.values_list("number", flat=True))
        if notes:
            raise ServiceError(
                _("Supprimez d'abord l'avoir de test %(number)s, qui corrige ce document.")
                % {"number": notes[0] or _("(brouillon)")}
            )
        summary = _("Document de test %(number)s (%(kind)s pour %(client)s du %(date)s) supprimé.") % values
    else:
        _ensure_draft(document)
        ensure_unlocked(document.account, document.issue_date)
        summary = _("Brouillon de %(kind)s pour %(client)s du %(date)s supprimé.") % values
    audit.record(
        actor,
        document.account,
        "document.deleted",
        target=document.number or str(document.pk),
        summary=summary,
        subjects=[document],
    )
    # The attachments' and kept files' rows go with the document; their files once that is committed.
    files = [
        *document.attachments.values_list("file", flat=True),
        *document.issued_files.values_list("file", flat=True),
    ]
    document.delete()
    uploads.delete_after_commit(files)


@transaction.atomic
def duplicate(actor: Actor, document: Document) -> Document:
    """A new draft with the same client, settings and lines, dated today (its due date recomputed)."""
    data = _input_from(document, issue_date=document.account.today())
    return _new_draft(actor, document.account, data, advances_deducted=document.advances_deducted)


def _locked(document: Document, *, with_rows: bool = False) -> Document:
    """The document's row, locked until the end of the transaction and read afresh (`with_rows`: with its
    lines and VAT rows, prefetched)."""
    rows = Document.objects.select_for_update().select_related("account", "client")
    if with_rows:
        rows = rows.prefetch_related("lines", "vat_lines")
    return rows.get(pk=document.pk)


def _ensure_draft(document: Document) -> None:
    if not document.is_draft:
        raise IssuedDocumentError(
            _(
                "Le document %(number)s est émis : son contenu ne peut plus être modifié ni supprimé. "
                "Pour le corriger ou l'annuler, émettez un avoir."
            )
            % {"number": document.number}
        )


def _summary_fields(document: Document) -> dict[str, Any]:
    """What the audit trail compares when a draft changes."""
    return {
        "kind": document.kind,
        "client": document.buyer_name,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "currency": document.currency,
        "net_total": str(document.net_total),
        "gross_total": str(document.gross_total),
        "lines": document.lines.count() if document.pk else 0,
    }


# --- Validation and storage of a draft's content -------------------------------------------------


def _write(document: Document, data: DocumentInput) -> _Written:
    """Validate `data`, copy it onto the draft, store its lines, totals and VAT rows.

    The totals are computed once, from the lines as validated, and written with the rows: the document
    in one INSERT (or UPDATE), then its lines and its VAT rows in one INSERT each."""
    account = document.account
    client = _client(account, data.client_id)
    _check_document_fields(data)
    data = replace(data, exchange_rate=Decimal(data.exchange_rate))
    corrected = _corrected_document(account, data, client) if data.kind == Kind.CREDIT_NOTE else None
    lines = [_clean_line(line, index) for index, line in enumerate(data.lines, start=1)]
    _check_products(account, lines)

    for name in _INPUT_FIELDS:
        setattr(document, name, getattr(data, name))
    if document.currency == "EUR":
        document.exchange_rate = Decimal(1)
    document.client = client
    document.corrected_document = corrected
    if data.kind != Kind.CREDIT_NOTE:
        document.correction_reason = ""
    document.due_date = data.due_date or _default_due_date(data.kind, data.issue_date, client)
    snapshots.copy_buyer(document, client)
    result = _checked_totals(lines, document)
    new = document.pk is None
    if document.kind == Kind.FINAL:
        # A new draft deducts nothing yet (create_final links the advances after creating it).
        document.advances_deducted = ZERO if new else _deducted_total(document)
    elif document.kind != Kind.CREDIT_NOTE:
        document.advances_deducted = ZERO
    _set_totals(document, result)
    document.save()
    if not new:
        if document.kind != Kind.FINAL:
            Document.objects.filter(deducted_in=document).update(deducted_in=None)
        document.lines.all().delete()
        document.vat_lines.all().delete()
    stored = [
        _as_stored(
            DocumentLine(
                account=account,
                document=document,
                position=position,
                product_id=line.product_id,
                net_amount=net,
                gross_amount=gross,
                **{name: getattr(line, name) for name in _LINE_FIELDS},
            )
        )
        for position, (line, net, gross) in enumerate(
            zip(lines, result.line_nets, result.line_grosses, strict=True), start=1
        )
    ]
    DocumentLine.objects.bulk_create(stored)
    vat_lines = _vat_rows(document, result)
    DocumentVatLine.objects.bulk_create(vat_lines)
    if corrected is not None:
        _check_credit_limit(document, corrected)
    return _Written(stored, vat_lines)


_DecimalModel = TypeVar("_DecimalModel", bound=models.Model)


def _as_stored(instance: _DecimalModel) -> _DecimalModel:
    """The instance with its decimals at their column's precision, as reading its row back gives them:
    what is printed and hashed from it in the same transaction is then what a later read gives."""
    for model_field in instance._meta.concrete_fields:
        value = getattr(instance, model_field.attname)
        if isinstance(model_field, models.DecimalField) and isinstance(value, Decimal):
            setattr(
                instance, model_field.attname, value.quantize(Decimal(1).scaleb(-model_field.decimal_places))
            )
    return instance


def _client(account: Account, client_id: int | None) -> Client:
    if client_id is None:
        raise ServiceError(_("Choisissez le client du document."), field="client_id")
    client = Client.objects.filter(account=account, pk=client_id).first()
    if client is None:
        raise ServiceError(_("Ce client n'existe pas dans ce compte."), field="client_id")
    return client


def _check_document_fields(data: DocumentInput) -> None:
    if data.kind not in Kind.values:
        raise ServiceError(_("Type de document inconnu : %(kind)s.") % {"kind": data.kind}, field="kind")
    if data.currency not in CURRENCIES:
        raise ServiceError(_("Devise non prise en charge : %(c)s.") % {"c": data.currency}, field="currency")
    rate = _check_decimal(data.exchange_rate, 14, 6, _("Le taux de change"), "exchange_rate")
    if rate <= 0:
        raise ServiceError(_("Le taux de change doit être positif."), field="exchange_rate")
    if data.language not in LANGUAGES:
        raise ServiceError(_("Langue du document inconnue."), field="language")
    if data.payment_method not in PaymentMethod.values:
        raise ServiceError(_("Mode de paiement inconnu."), field="payment_method")
    for name in ("issue_date", "sell_date", "due_date", "valid_until"):
        day = getattr(data, name)
        # Factur-X (BR-FR-03) accepts years 2000 to 2099 only: catch a mistyped year here.
        if day is not None and not 2000 <= day.year <= 2099:
            raise ServiceError(
                _("Date invalide : l'année doit être comprise entre 2000 et 2099."), field=name
            )
    for name in _INPUT_FIELDS:
        value = getattr(data, name)
        if isinstance(value, str):
            _check_length(Document, name, value, name)
    if data.due_date is not None and data.due_date < data.issue_date:
        raise ServiceError(_("L'échéance ne peut pas précéder la date d'émission."), field="due_date")


def _check_length(model: type[models.Model], name: str, value: str, field_name: str) -> None:
    max_length = getattr(model._meta.get_field(name), "max_length", None)
    if max_length and len(value) > max_length:
        raise ServiceError(
            _("« %(value)s… » est trop long (%(max)d caractères au plus).")
            % {"value": value[:20], "max": max_length},
            field=field_name,
        )


def _checked_totals(lines: list[LineInput], document: Document) -> totals.Totals:
    """The totals of the lines on this document; refuses amounts the total columns cannot hold (16 digits,
    2 decimals), before storing anything."""
    result = preview_totals(
        lines,
        prices_are_gross=document.prices_are_gross,
        currency=document.currency,
        exchange_rate=document.exchange_rate,
    )
    amounts = [*result.line_grosses, result.gross_total, result.gross_total_eur, result.net_total_eur]
    if any(abs(amount) >= _MAX_AMOUNT for amount in amounts):
        raise ServiceError(_("Les montants de ce document sont trop élevés."), field="lines")
    return result


def _check_decimal(
    value: Decimal | int, max_digits: int, places: int, label: str, field_name: str
) -> Decimal:
    """The value as a Decimal; refuse what the column cannot store exactly rather than round it silently."""
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"{field_name}: Decimal expected, got {value!r}")  # floats never come near money
    value = Decimal(value)
    if not value.is_finite():
        raise ServiceError(_("%(label)s n'est pas un nombre.") % {"label": label}, field=field_name)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ServiceError(
            _("%(label)s a au plus %(places)d décimales.") % {"label": label, "places": places},
            field=field_name,
        )
    if abs(value) >= Decimal(10) ** (max_digits - places):
        raise ServiceError(_("%(label)s est trop grand.") % {"label": label}, field=field_name)
    return value


def _clean_line(line: LineInput, index: int) -> LineInput:
    """Check one line and fill the legal mention of a category without VAT when it is left empty."""
    where = _("Ligne %(n)d") % {"n": index}
    name = line.name.strip()
    if not name:
        raise ServiceError(_("%(where)s : indiquez une désignation.") % {"where": where}, field="lines")
    line = replace(
        line,
        quantity=_check_decimal(
            line.quantity, 14, 4, _("%(where)s : la quantité") % {"where": where}, "lines"
        ),
        unit_price=_check_decimal(
            line.unit_price, 18, 4, _("%(where)s : le prix unitaire") % {"where": where}, "lines"
        ),
        discount_percent=_check_decimal(
            line.discount_percent, 5, 2, _("%(where)s : la remise") % {"where": where}, "lines"
        ),
        vat_rate=_check_decimal(
            line.vat_rate, 5, 2, _("%(where)s : le taux de TVA") % {"where": where}, "lines"
        ),
    )
    if line.unit_price < 0:
        raise ServiceError(
            _("%(where)s : le prix unitaire ne peut pas être négatif (utilisez une remise ou un avoir).")
            % {"where": where},
            field="lines",
        )
    if not 0 <= line.discount_percent <= 100:
        raise ServiceError(
            _("%(where)s : la remise est comprise entre 0 et 100 %%.") % {"where": where}, field="lines"
        )
    if line.vat_category not in _CATEGORIES:
        raise ServiceError(_("%(where)s : catégorie de TVA inconnue.") % {"where": where}, field="lines")
    if line.supply_kind not in SupplyKind.values:
        raise ServiceError(
            _("%(where)s : nature (bien ou service) inconnue.") % {"where": where}, field="lines"
        )
    country = line.vat_country.upper()
    rate = line.vat_rate
    # EN 16931 (BR-S-05, BR-Z-05, BR-E-05...): only the standard category carries a rate above zero.
    if line.vat_category == vat.STANDARD and rate == 0:
        raise ServiceError(
            _("%(where)s : un taux de 0 %% va avec une catégorie sans TVA (taux zéro, exonéré...).")
            % {"where": where},
            field="lines",
        )
    if line.vat_category != vat.STANDARD and rate != 0:
        raise ServiceError(
            _("%(where)s : cette catégorie de TVA n'a pas de taux, choisissez 0 %%.") % {"where": where},
            field="lines",
        )
    if line.vat_category == vat.STANDARD and not vat.is_valid_rate(country, rate):
        raise ServiceError(
            _("%(where)s : le taux de TVA de %(rate)s %% n'existe pas pour le pays %(country)s.")
            % {"where": where, "rate": rate, "country": country},
            field="lines",
        )
    for text_field in ("name", "unit", "accounting_code", "exemption_reason", "vat_country"):
        _check_length(DocumentLine, text_field, getattr(line, text_field).strip(), "lines")
    reason = line.exemption_reason.strip()
    if line.vat_category != vat.STANDARD and not reason:
        reason = vat.DEFAULT_MENTIONS.get(line.vat_category, "")
    return LineInput(
        name=name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=rate,
        vat_category=line.vat_category,
        discount_percent=line.discount_percent,
        unit=line.unit.strip(),
        description=line.description.strip(),
        product_id=line.product_id,
        supply_kind=line.supply_kind,
        vat_country=country,
        exemption_reason=reason,
        accounting_code=line.accounting_code.strip(),
    )


def _check_products(account: Account, lines: list[LineInput]) -> None:
    ids = {line.product_id for line in lines if line.product_id is not None}
    if ids and Product.objects.filter(account=account, pk__in=ids).count() != len(ids):
        raise ServiceError(_("Un produit des lignes n'existe pas dans ce compte."), field="lines")


def _default_due_date(kind: str, issue_date: datetime.date, client: Client) -> datetime.date | None:
    """Payable documents fall due after the client's payment terms; quotes and credit notes have none."""
    if kind in PAYABLE_KINDS or kind == Kind.PROFORMA:
        return issue_date + datetime.timedelta(days=client.payment_terms_days)
    return None


_TOTAL_FIELDS = ("net_total", "vat_total", "gross_total", "net_total_eur", "vat_total_eur", "gross_total_eur")


def _set_totals(document: Document, result: totals.Totals) -> None:
    for name in _TOTAL_FIELDS:
        setattr(document, name, getattr(result, name))
    document.supply_category = result.supply_category
    _as_stored(document)


def _deducted_total(document: Document) -> Decimal:
    """What the advances a final invoice deducts add up to (their totals, TTC)."""
    return sum((advance.gross_total for advance in Document.objects.filter(deducted_in=document)), ZERO)


def _lines_totals(document: Document, lines: list[DocumentLine]) -> totals.Totals:
    return totals.compute(
        [_amounts(line) for line in lines],
        prices_are_gross=document.prices_are_gross,
        currency=document.currency,
        exchange_rate=document.exchange_rate,
    )


def _store_totals(document: Document) -> None:
    """Compute the totals from the stored lines and store them on lines, document and VAT rows (the
    document's rows are then held on it, as prefetched)."""
    lines = list(document.lines.order_by("position", "id"))
    if document.kind == Kind.FINAL:
        document.advances_deducted = _deducted_total(document)
    changed, vat_lines = apply_totals(document, lines)
    DocumentLine.objects.bulk_update(changed, ["net_amount", "gross_amount"])
    document.save()
    document.vat_lines.all().delete()
    DocumentVatLine.objects.bulk_create(vat_lines)
    document.hold_rows(lines, vat_lines)


def apply_totals(
    document: Document, lines: list[DocumentLine]
) -> tuple[list[DocumentLine], list[DocumentVatLine]]:
    """The totals of `lines` set on them and on `document`, nothing saved: the lines whose amounts
    changed, and the document's VAT rows to store. Also what the benchmark dataset stores, so that its
    documents are exactly those of the services."""
    result = _lines_totals(document, lines)
    changed = []
    for line, net, gross in zip(lines, result.line_nets, result.line_grosses, strict=True):
        if (line.net_amount, line.gross_amount) != (net, gross):
            line.net_amount, line.gross_amount = net, gross
            changed.append(_as_stored(line))
    _set_totals(document, result)
    return changed, _vat_rows(document, result)


def _vat_rows(document: Document, result: totals.Totals) -> list[DocumentVatLine]:
    """One row per VAT bucket, with the document fields reports filter on (not saved).

    On a final invoice the rows are net of the deducted advances' rows (Document.advance_deductions):
    the advances already declared that VAT, so a report summing every row counts the operation once.
    Document.vat_breakdown() gives the document's own rows back for what it prints.
    """
    amounts: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    line_keys = set()
    for bucket in result.buckets:
        key = (
            bucket.key.vat_rate,
            bucket.key.vat_category,
            bucket.key.vat_country,
            bucket.key.supply_kind,
            bucket.key.exemption_reason,
        )
        line_keys.add(key)
        for i, value in enumerate((bucket.base, bucket.vat_amount, bucket.base_eur, bucket.vat_amount_eur)):
            amounts[key][i] += value
    for deduction in document.advance_deductions():
        for deducted in deduction.buckets:
            key = (
                deducted.vat_rate,
                deducted.vat_category,
                deducted.vat_country,
                deducted.supply_kind,
                next(iter(deducted.exemption_reasons), ""),
            )
            values = (deducted.base, deducted.vat_amount, deducted.base_eur, deducted.vat_amount_eur)
            for i, value in enumerate(values):
                amounts[key][i] += value
    return [
        _as_stored(
            DocumentVatLine(
                account_id=document.account_id,
                document=document,
                kind=document.kind,
                issue_date=document.issue_date,
                buyer_country=document.buyer_country,
                buyer_is_company=document.buyer_is_company,
                vat_rate=key[0],
                vat_category=key[1],
                vat_country=key[2],
                supply_kind=key[3],
                exemption_reason=key[4],
                base=values[0],
                vat_amount=values[1],
                base_eur=values[2],
                vat_amount_eur=values[3],
            )
        )
        for key, values in amounts.items()
        # A bucket of the lines stays even when it sums to zero (EN 16931: each category of the lines has
        # its breakdown, BR-E-01...); one left by a deducted advance alone goes when it nets to nothing.
        if any(values) or key in line_keys
    ]


def _input_from(document: Document, **changes: Any) -> DocumentInput:
    """A DocumentInput holding a stored document's content (to duplicate, convert, correct it)."""
    values = {name: getattr(document, name) for name in _INPUT_FIELDS}
    values.update(
        client_id=document.client_id,
        lines=[_line_input(line) for line in document.lines.order_by("position", "id")],
        corrected_document_id=document.corrected_document_id,
        due_date=None,
        sell_date=None,
        valid_until=None,
    )
    values.update(changes)
    return DocumentInput(**values)


def _line_input(line: DocumentLine) -> LineInput:
    return LineInput(product_id=line.product_id, **{name: getattr(line, name) for name in _LINE_FIELDS})


# --- Issuing --------------------------------------------------------------------------------------


@transaction.atomic
@tallies.deferred()
def issue(actor: Actor, document: Document) -> Document:
    """Issue a draft: number it, freeze the buyer and seller blocks, chain it, make it immutable.

    The account's BillingSettings row is locked first: it serialises the account's issues, so numbers
    stay gapless and each chain link has exactly one predecessor. Everything happens in this
    transaction: if anything fails, the number and the chain position are not consumed.
    """
    return _issue(actor, document)


@transaction.atomic
@tallies.deferred()
def create_document(actor: Actor, account: Account, data: DocumentInput, *, issue: bool) -> Document:
    """Create a draft and, with `issue`, issue it in the same transaction (the sales form and the API).

    Issued at once, the draft is not read back: its rows are those just written, which no other
    transaction can see or change before this one commits; its two audit events are written together.
    """
    document, written, created = _drafted(actor, account, data, {})
    if not issue:
        audit.write([created])
        document.hold_rows(written.lines, written.vat_lines)
        return document
    return _issue(actor, document, written=written, created=created)


def _issue(
    actor: Actor, document: Document, *, written: _Written | None = None, created: AuditEvent | None = None
) -> Document:
    """issue(), or with `written` the second half of create_document: `document` is the draft this
    transaction stored (`written`: its rows), `created` its audit event still to write."""
    require(actor, document.account, "sales.create")
    ensure_writable(document.account)
    billing_settings = numbering.get_settings(document.account, lock=True)
    if written is None:
        document = _locked(document, with_rows=True)
    else:
        document.hold_rows(written.lines, written.vat_lines)
    account = document.account
    _ensure_draft(document)
    ensure_unlocked(account, document.issue_date)
    lines = list(document.lines.all())
    _check_issuable(document, lines)
    if document.test:
        # Its own series: the legal ones are neither read nor moved.
        document.number, document.sequence = numbering.allocate_test(billing_settings), None
    else:
        document.number, document.sequence = numbering.allocate(
            billing_settings, document.kind, document.issue_date, chronological=document.kind in INVOICE_KINDS
        )

    snapshots.copy_buyer(document, document.client)
    document.seller = snapshots.seller_snapshot(account, billing_settings)
    document.bank_iban = document.bank_iban or account.iban
    document.bank_bic = document.bank_bic or account.bic
    if written is None:
        # Written by another transaction, maybe by older rules: checked. Written by this one: just computed.
        _confirm_totals(document, lines)
    _check_amounts(document)
    # Numbered, so its number is checked too (the e-invoice checks); a refusal rolls the number back.
    # `shared`: what the receivers of this issue's two signals keep between them (a setting read once).
    shared: dict[str, Any] = {}
    events.issuing.send(sender=Document, document=document, billing_settings=billing_settings, shared=shared)
    document.status = Status.ISSUED
    document.issued_at = timezone.now()
    document.issued_by = actor.user
    # A test document stays out of the chain: deleting it later must break nothing.
    document.chain_index = None if document.test else billing_settings.chain_length + 1
    # The PDF the buyer receives, made now and kept: its hash is chained with the rest of the content.
    content = issued.render_for_issue(document, billing_settings)
    document.pdf_sha256 = issued.sha256(content)
    if document.chain_index is not None:
        document.chain_hash = chain.document_hash(document, billing_settings.chain_last_hash)
    document.save()
    if document.chain_index is not None:
        billing_settings.chain_length = document.chain_index
        billing_settings.chain_last_hash = document.chain_hash
        billing_settings.save(update_fields=["chain_length", "chain_last_hash"])
    if document.kind == Kind.CREDIT_NOTE:
        _apply_credit_note(document)
    answers = events.issued.send(
        sender=Document, document=document, pdf=content, billing_settings=billing_settings, shared=shared
    )
    # The PDF, and the files receivers made of it (einvoice: the Factur-X), kept together.
    files: list[tuple[str, bytes]] = [(IssuedFile.Kind.PDF, content)]
    for _receiver, answer in answers:
        made: object = answer
        if isinstance(made, tuple):
            kind, made_content = made
            files.append((str(kind), bytes(made_content)))
    issued.keep_all(document, files)
    issued_event = audit.prepare(
        actor,
        account,
        "document.issued",
        target=document.number,
        summary=_("%(kind)s %(number)s émis pour %(client)s : %(total)s %(currency)s TTC.")
        % {
            "kind": document.get_kind_display(),
            "number": document.number,
            "client": document.buyer_name,
            "total": document.gross_total,
            "currency": document.currency,
        },
        # A credit note also changes the invoice it corrects (what it still owes, its status).
        subjects=[document, *([document.corrected_document] if document.corrected_document else [])],
    )
    audit.write([*([created] if created is not None else []), issued_event])
    return document


def _check_issuable(document: Document, lines: list[DocumentLine]) -> None:
    if not lines:
        raise ServiceError(_("Ajoutez au moins une ligne avant d'émettre le document."), field="lines")
    if document.kind == Kind.FINAL:
        cancelled = Document.objects.filter(deducted_in=document).exclude(
            status__in=DEDUCTIBLE_ADVANCE_STATUSES
        )
        if cancelled.exists():
            raise ServiceError(
                _("Une facture d'acompte déduite a été annulée : recréez la facture de solde.")
            )


def _confirm_totals(document: Document, lines: list[DocumentLine]) -> None:
    """At issue, the totals the draft stored, checked against its lines: stored again only when they
    differ (a final invoice is always recomputed with its advances); else the VAT rows only take the
    frozen buyer, when theirs differs (reports filter on it)."""
    result = _lines_totals(document, lines)
    stored = [getattr(document, name) for name in _TOTAL_FIELDS] + [document.supply_category]
    computed = [getattr(result, name) for name in _TOTAL_FIELDS] + [result.supply_category]
    amounts = [(line.net_amount, line.gross_amount) for line in lines]
    if (
        document.kind == Kind.FINAL
        or stored != computed
        or amounts != list(zip(result.line_nets, result.line_grosses, strict=True))
    ):
        _store_totals(document)
        return
    buyer = (document.buyer_country, document.buyer_is_company)
    vat_lines = list(document.vat_lines.all())
    if any((row.buyer_country, row.buyer_is_company) != buyer for row in vat_lines):
        DocumentVatLine.objects.filter(document=document).update(
            buyer_country=document.buyer_country, buyer_is_company=document.buyer_is_company
        )
        for row in vat_lines:
            row.buyer_country, row.buyer_is_company = buyer


def _check_amounts(document: Document) -> None:
    """A credit note's total is negative; any other document's is not (a credit note corrects it)."""
    if document.kind == Kind.CREDIT_NOTE:
        if document.gross_total >= 0:
            raise ServiceError(_("Le total d'un avoir doit être négatif."), field="lines")
        assert document.corrected_document is not None  # checked when the draft was written
        _check_credit_limit(document, document.corrected_document)
    elif document.gross_total < 0:
        raise ServiceError(
            _("Le total est négatif : pour rembourser ou annuler une facture, émettez un avoir."),
            field="lines",
        )
    elif document.kind == Kind.FINAL and document.gross_total < document.advances_deducted:
        # The advances are part of the final invoice's total: deducting more than it leaves a negative
        # amount due, which only a credit note on an advance can give back.
        raise ServiceError(
            _(
                "Le total de la facture de solde (%(total)s) est inférieur aux acomptes qu'elle déduit "
                "(%(advances)s) : complétez ses lignes, ou émettez un avoir sur un acompte."
            )
            % {
                "total": money_text(document.gross_total, document.currency),
                "advances": money_text(document.advances_deducted, document.currency),
            },
            field="lines",
        )


# --- After issue ----------------------------------------------------------------------------------


@transaction.atomic
def update_issued(
    actor: Actor,
    document: Document,
    *,
    notes: str | None = None,
    internal_note: str | None = None,
    email_to: str | None = None,
    payment_method: str | None = None,
    bank_iban: str | None = None,
    bank_bic: str | None = None,
) -> Document:
    """Change what may change on an issued document: its internal note and the addresses it is sent to.

    Everything it prints (number, dates, parties, lines, amounts, notes, payment details) is frozen in its
    kept PDF; the legal content is also hashed in the chain. Printed fields are accepted unchanged (an API
    client sending the whole document back) and refused otherwise. The audit event keeps the before and
    after values.
    """
    require(actor, document.account, "sales.edit")
    ensure_writable(document.account)
    document = _locked(document)
    if document.is_draft:
        raise ServiceError(_("Ce document est un brouillon : modifiez-le directement."))
    ensure_unlocked(document.account, document.issue_date)
    ensure_exported_changeable(document.account, document.exported_at)
    given = {
        "notes": notes,
        "internal_note": internal_note,
        "email_to": email_to,
        "payment_method": payment_method,
        "bank_iban": bank_iban,
        "bank_bic": bank_bic,
    }
    values = {name: value.strip() for name, value in given.items() if value is not None}
    _check_issued_values(values)
    printed = [
        name for name in _PRINTED_AFTER_ISSUE if name in values and values[name] != getattr(document, name)
    ]
    if printed:
        # The kept PDF shows them: changing them now would make the page and the buyer's copy disagree.
        raise IssuedDocumentError(
            _(
                "Les notes et les coordonnées de paiement sont imprimées sur le document émis, qui ne change "
                "plus : établissez un avoir puis une nouvelle facture pour les corriger."
            ),
            field=printed[0],
        )
    before = {name: getattr(document, name) for name in values}
    for name, value in values.items():
        setattr(document, name, value)
    changes = audit.diff(before, values)
    if changes:
        document.save(update_fields=[*changes, "updated_at"])
        audit.record(
            actor,
            document.account,
            "document.changed",
            target=document.number,
            changes=changes,
            subjects=[document],
        )
    return document


# Fields update_issued accepts only unchanged: they are printed on the kept PDF.
_PRINTED_AFTER_ISSUE = ("notes", "payment_method", "bank_iban", "bank_bic")


def _check_issued_values(values: dict[str, str]) -> None:
    """Normalise the payment details (in place) and refuse invalid ones with a message per field."""
    if "payment_method" in values and values["payment_method"] not in PaymentMethod.values:
        raise ServiceError(_("Mode de paiement inconnu."), field="payment_method")
    checks = {"bank_iban": identifiers.clean_iban, "bank_bic": identifiers.clean_bic}
    for name, clean in checks.items():
        if values.get(name):
            try:
                values[name] = clean(values[name])
            except ValidationError as error:
                raise ServiceError(error.messages[0], field=name) from None
    if len(values.get("email_to", "")) > Document._meta.get_field("email_to").max_length:  # type: ignore[operator]
        raise ServiceError(_("La liste des destinataires est trop longue."), field="email_to")


@transaction.atomic
def set_estimate_status(actor: Actor, document: Document, status: str) -> Document:
    """Record the client's answer to an issued quote: accepted or rejected."""
    require(actor, document.account, "sales.edit")
    ensure_writable(document.account)
    document = _locked(document)
    if document.kind != Kind.ESTIMATE:
        raise ServiceError(_("Seul un devis peut être accepté ou refusé."))
    if document.is_draft:
        raise ServiceError(_("Émettez le devis avant d'enregistrer la réponse du client."))
    if status not in (Status.ACCEPTED, Status.REJECTED):
        raise ServiceError(_("Un devis ne peut être qu'accepté ou refusé."), field="status")
    ensure_unlocked(document.account, document.issue_date)
    old = document.status
    document.status = status
    document.accepted_at = timezone.now() if status == Status.ACCEPTED else None
    document.save(update_fields=["status", "accepted_at", "updated_at"])
    if old != status:
        audit.record(
            actor,
            document.account,
            "document.status_changed",
            target=document.number,
            changes={"status": [old, status]},
            subjects=[document],
        )
    return document


@transaction.atomic
def mark_sent(actor: Actor, document: Document, *, by_email: bool = False) -> Document:
    """Note that the document was sent: sent_at, and issued → sent (a paid one keeps its status).

    The sending service records the "document.sent" event with its recipients; this records only the
    status change. Not subject to the lock date: sending (or reminding) is no change of the document.
    Marked by hand (not `by_email`), the document stays sent whatever becomes of its emails.
    """
    require(actor, document.account, "sales.edit")
    ensure_writable(document.account)
    document = _locked(document)
    if document.is_draft:
        raise ServiceError(_("Émettez le document avant de l'envoyer."))
    document.sent_at = timezone.now()
    old = document.status
    if old == Status.ISSUED:
        document.status = Status.SENT
    document.save(update_fields=["sent_at", "status", "updated_at"])
    if not by_email:
        EmailDelivery.objects.filter(document_id=document.pk, marked_document_sent=True).update(
            marked_document_sent=False
        )
    if old != document.status:
        audit.record(
            actor,
            document.account,
            "document.status_changed",
            target=document.number,
            changes={"status": [old, document.status]},
            subjects=[document],
        )
    return document


@transaction.atomic
def unmark_sent_after_failed_email(delivery_id: int) -> bool:
    """An email of a document failed for good: the document is no longer sent (sent → issued, its
    sent_at cleared, so a later payment change does not make it sent again) when an email is what marked
    it sent and none of its emails went or is still being tried. Marked sent by hand, it stays sent.

    Done by the system, from the sending job, and recorded in the audit trail. Returns whether the
    document changed.
    """
    document_id = EmailDelivery.objects.filter(pk=delivery_id).values_list("document_id", flat=True).first()
    if document_id is None:
        return False
    document = _locked(Document(pk=document_id))
    emails = EmailDelivery.objects.filter(document_id=document.pk)
    if document.sent_at is None or not emails.filter(marked_document_sent=True).exists():
        return False
    alive = (DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    if emails.filter(status__in=alive).exists():
        return False
    emails.filter(marked_document_sent=True).update(marked_document_sent=False)
    old = document.status
    if old == Status.SENT:
        document.status = Status.ISSUED
    document.sent_at = None
    document.save(update_fields=["sent_at", "status", "updated_at"])
    audit.record(
        Actor.system(),
        document.account,
        "document.status_changed",
        target=document.number,
        summary=_("Envoi par email en échec : le document n'est plus marqué envoyé."),
        changes={"status": [old, document.status], "sent": [True, False]},
        subjects=[document],
    )
    return True


# --- Derived documents ----------------------------------------------------------------------------


@transaction.atomic
@tallies.deferred()
def convert(actor: Actor, source: Document, kind: str = Kind.INVOICE) -> Document:
    """A new draft invoice (or proforma) from an issued quote or proforma, linked by source_document."""
    require(actor, source.account, "sales.create")
    source = _locked(source)
    _check_quote(source, kinds=(Kind.ESTIMATE, Kind.PROFORMA))
    if kind not in (Kind.INVOICE, Kind.PROFORMA) or kind == source.kind:
        raise ServiceError(_("Ce document ne peut pas être transformé en ce type."), field="kind")
    data = _input_from(source, kind=kind, issue_date=source.account.today(), corrected_document_id=None)
    return _new_draft(actor, source.account, data, source_document=source)


@transaction.atomic
@tallies.deferred()
def create_advance(
    actor: Actor, quote: Document, *, percent: Decimal | None = None, amount: Decimal | None = None
) -> Document:
    """A draft advance invoice for a share of a quote: one line per VAT rate of the quote, each the
    same share of that rate's base, so the advance carries the quote's VAT mix.

    Give `percent` (of the quote) or `amount` (TTC). For an amount, the advance's TTC total may differ
    from it by a cent per VAT rate (each base is rounded to the cent). All advances of a quote together
    cannot exceed it.
    """
    require(actor, quote.account, "sales.create")
    quote = _locked(quote)  # also serialises the advances of one quote, so they never exceed it
    _check_quote(quote, kinds=(Kind.ESTIMATE,))
    share = _advance_share(quote, percent, amount)
    with translation.override(quote.language):
        label = (
            _("Acompte de %(percent)s %% sur le devis %(number)s")
            % {"percent": _percent_text(percent), "number": quote.number}
            if percent is not None
            else _("Acompte sur le devis %(number)s") % {"number": quote.number}
        )
        lines = [
            LineInput(
                name=label
                if row.vat_category != vat.STANDARD
                else _("%(label)s (TVA %(rate)s %%)") % {"label": label, "rate": vat.rate_text(row.vat_rate)},
                quantity=Decimal(1),
                unit_price=round_money(row.base * share, quote.currency),
                vat_rate=row.vat_rate,
                vat_category=row.vat_category,
                vat_country=row.vat_country,
                supply_kind=row.supply_kind,
                exemption_reason=row.exemption_reason,
            )
            for row in quote.vat_lines.order_by("-vat_rate", "vat_category", "vat_country")
            if row.base > 0
        ]
    data = _input_from(
        quote, kind=Kind.ADVANCE, issue_date=quote.account.today(), lines=lines, prices_are_gross=False
    )
    return _new_draft(actor, quote.account, data, source_document=quote)


def _percent_text(percent: Decimal | None) -> str:
    return vat.rate_text(percent) if percent is not None else ""


def _advance_share(quote: Document, percent: Decimal | None, amount: Decimal | None) -> Decimal:
    """The share of the quote an advance takes, checked against the advances already made."""
    if (percent is None) == (amount is None):
        raise ServiceError(_("Indiquez un pourcentage ou un montant d'acompte."), field="percent")
    if quote.gross_total <= 0:
        raise ServiceError(_("Le devis n'a pas de montant à facturer."))
    if percent is not None and not 0 < percent <= 100:
        raise ServiceError(_("Le pourcentage est compris entre 0 et 100."), field="percent")
    if amount is not None and amount <= 0:
        raise ServiceError(_("Le montant de l'acompte doit être positif."), field="amount")
    wanted = quote.gross_total * percent / 100 if percent is not None else amount
    assert wanted is not None
    already = (
        Document.objects.filter(source_document=quote, kind=Kind.ADVANCE)
        .exclude(status=Status.CANCELLED)
        .aggregate(total=Sum("gross_total"))["total"]
        or ZERO
    )
    if round_money(wanted, quote.currency) + already > quote.gross_total:
        raise ServiceError(
            _("Les acomptes dépasseraient le montant du devis : %(already)s déjà demandés sur %(total)s.")
            % {
                "already": money_text(already, quote.currency),
                "total": money_text(quote.gross_total, quote.currency),
            },
            field="percent" if percent is not None else "amount",
        )
    return percent / 100 if percent is not None else wanted / quote.gross_total


@transaction.atomic
@tallies.deferred()
def create_final(actor: Actor, quote: Document, advances: list[Document]) -> Document:
    """A draft final invoice: the quote's lines, less the given advances (their TTC totals).

    The advances must be issued advance invoices of the same account, client and currency, not already
    deducted elsewhere. The amount due is gross_total - advances_deducted.
    """
    require(actor, quote.account, "sales.create")
    quote = _locked(quote)  # also serialises the advances of one quote, so they never exceed it
    _check_quote(quote, kinds=(Kind.ESTIMATE,))
    advances = list(
        Document.objects.select_for_update().filter(pk__in=[a.pk for a in advances], account=quote.account)
    )
    for advance in advances:
        _check_deductible(advance, quote)
    if not advances:
        raise ServiceError(_("Choisissez les factures d'acompte à déduire."), field="advances")
    data = _input_from(quote, kind=Kind.FINAL, issue_date=quote.account.today())
    document = _new_draft(actor, quote.account, data, source_document=quote)
    Document.objects.filter(pk__in=[a.pk for a in advances]).update(deducted_in=document)
    _store_totals(document)
    return document


def _check_deductible(advance: Document, quote: Document) -> None:
    if advance.kind != Kind.ADVANCE or advance.status not in (
        Status.ISSUED,
        Status.SENT,
        Status.PARTIAL,
        Status.PAID,
    ):
        raise ServiceError(
            _("%(doc)s n'est pas une facture d'acompte émise.") % {"doc": advance}, field="advances"
        )
    if advance.test != quote.test:
        raise ServiceError(
            _("La facture d'acompte %(number)s et le devis ne sont pas tous deux des documents de test.")
            % {"number": advance.number},
            field="advances",
        )
    if advance.client_id != quote.client_id or advance.currency != quote.currency:
        raise ServiceError(
            _("La facture d'acompte %(number)s concerne un autre client ou une autre devise.")
            % {"number": advance.number},
            field="advances",
        )
    if advance.deducted_in_id is not None:
        raise ServiceError(
            _("La facture d'acompte %(number)s est déjà déduite d'une facture de solde.")
            % {"number": advance.number},
            field="advances",
        )


def _check_quote(source: Document, *, kinds: tuple[str, ...]) -> None:
    if source.kind not in kinds:
        raise ServiceError(_("Cette action ne s'applique qu'à un devis ou une facture proforma."))
    if source.is_draft:
        raise ServiceError(_("Émettez d'abord le devis (ou la proforma) pour lui donner un numéro."))
    if source.status == Status.REJECTED:
        raise ServiceError(_("Ce devis a été refusé par le client."))


@transaction.atomic
@tallies.deferred()
def create_credit_note(
    actor: Actor, invoice: Document, *, lines: list[LineInput] | None = None, reason: str
) -> Document:
    """A draft credit note correcting `invoice`, dated today; issue() it afterwards.

    `lines=None` credits everything (every line negated; for a final invoice, its advances deduction
    too, so the credit note equals the amount due). Given lines are what to credit: their quantities are
    stored negative whatever sign they come with. All credit notes of an invoice together cannot exceed
    its amount due. An invoice of a locked period can be corrected: the credit note carries today's date.
    """
    require(actor, invoice.account, "sales.create")
    invoice = _locked(invoice)
    if invoice.kind not in CREDITABLE_KINDS or invoice.is_draft:
        raise ServiceError(_("Un avoir corrige une facture émise."))
    if not reason.strip():
        raise ServiceError(_("Indiquez le motif de l'avoir."), field="reason")
    if lines is None:
        negated = [_line_input(line) for line in invoice.lines.order_by("position", "id")]
    else:
        negated = list(lines)
    for line in negated:
        line.quantity = -abs(line.quantity)
    data = _input_from(
        invoice,
        kind=Kind.CREDIT_NOTE,
        issue_date=invoice.account.today(),
        lines=negated,
        corrected_document_id=invoice.pk,
        correction_reason=reason.strip(),
    )
    # A total credit note of a final invoice also takes back its advances deduction.
    deducted = -invoice.advances_deducted if lines is None else ZERO
    return _new_draft(actor, invoice.account, data, advances_deducted=deducted)


def _corrected_document(account: Account, data: DocumentInput, client: Client) -> Document:
    corrected = (
        Document.objects.filter(account=account, pk=data.corrected_document_id).first()
        if data.corrected_document_id is not None
        else None
    )
    if corrected is None or corrected.kind not in CREDITABLE_KINDS or corrected.is_draft:
        raise ServiceError(
            _("Un avoir doit référencer une facture émise de ce compte."), field="corrected_document_id"
        )
    if corrected.test != data.test:
        raise ServiceError(
            _("Un document de test se corrige par un avoir de test, et un document réel par un avoir réel.")
            if corrected.test
            else _("Un avoir de test ne peut pas corriger la facture réelle %(number)s.")
            % {"number": corrected.number},
            field="test",
        )
    if corrected.client_id != client.pk or corrected.currency != data.currency:
        raise ServiceError(
            _("L'avoir doit avoir le client et la devise de la facture %(number)s.")
            % {"number": corrected.number},
            field="client_id",
        )
    return corrected


def _check_credit_limit(credit_note: Document, invoice: Document) -> None:
    """Issued credit notes on an invoice, with this one, cannot exceed its amount due (TTC, less
    deducted advances). Checked when the draft is written and again at issue (others may have been
    issued meanwhile: the issue holds the account's lock, so two cannot pass together)."""
    credited = _credited(invoice, excluding=credit_note)
    this = -credit_note.amount_due
    if credited + this > invoice.amount_due:
        raise ServiceError(
            _(
                "Cet avoir de %(this)s %(currency)s dépasse ce qui reste à créditer sur la facture "
                "%(number)s : %(left)s %(currency)s (déjà crédité : %(credited)s %(currency)s)."
            )
            % {
                "this": this,
                "left": invoice.amount_due - credited,
                "credited": credited,
                "number": invoice.number,
                "currency": invoice.currency,
            },
            field="lines",
        )


def _apply_credit_note(credit_note: Document) -> None:
    """An issued credit note reduces what its invoice's buyer owes, and may cancel the invoice."""
    assert credit_note.corrected_document_id is not None  # every credit note references its invoice
    invoice = Document.objects.select_for_update().get(pk=credit_note.corrected_document_id)
    invoice.credited_total = _credited(invoice)
    settle(invoice)
    invoice.save(update_fields=["credited_total", "status", "updated_at"])


def _credited(invoice: Document, *, excluding: Document | None = None) -> Decimal:
    """What the invoice's issued credit notes credit, as a positive amount."""
    notes = Document.objects.filter(corrected_document=invoice, kind=Kind.CREDIT_NOTE).exclude(
        status=Status.DRAFT
    )
    if excluding is not None:
        notes = notes.exclude(pk=excluding.pk)
    total = notes.aggregate(total=Sum(F("gross_total") - F("advances_deducted")))["total"]
    return -(total or ZERO)


def settle(document: Document) -> None:
    """Set an issued payable document's status from what was paid and credited (not saved).

    Fully credited with nothing paid: cancelled. Nothing left to pay: paid. Something paid: partially
    paid. Otherwise back to issued, or sent if it was sent.
    """
    if (
        document.paid_total == 0
        and document.credited_total != 0
        and document.credited_total >= document.amount_due
    ):
        document.status = Status.CANCELLED
    elif document.remaining <= 0 and (document.paid_total or document.credited_total):
        document.status = Status.PAID
    elif document.paid_total != 0:
        document.status = Status.PARTIAL
    else:
        document.status = Status.SENT if document.sent_at else Status.ISSUED
