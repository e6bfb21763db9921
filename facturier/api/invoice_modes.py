"""The special creation modes of `POST /invoices.json` (api.md, section 5), over the documents service's
derived documents: each makes a draft that the create then issues (unless `"status": "draft"`).

- `copy_invoice_from` + `kind`: the same kind duplicates the document; `vat` or `proforma` from a quote
  or proforma converts it; `advance` takes `advance_creation_mode` (`percent` or `amount`) and
  `advance_value`; `final` deducts the advances listed in `invoice_ids`; `correction` with
  `total_correction` credits the whole invoice.
- `kind: "correction"` + `invoice_id` (or `from_invoice_id`) + positions: a partial credit note. A
  position credits its quantity (whatever its sign), or, given `correction_before_attributes` and
  `correction_after_attributes`, the difference of their totals.
"""

import datetime
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from facturier.api import coercion
from facturier.api import invoice_input as read
from facturier.api.errors import InputError
from facturier.api.views import AccountView
from facturier.billing.models import Document, Kind
from facturier.billing.services import documents as service
from facturier.billing.services.documents import LineInput

# What a body may set on the draft a special mode made (the rest comes from the source document).
OVERRIDABLE = (
    "payment_to",
    "payment_to_kind",
    "payment_type",
    "description",
    "internal_note",
    "buyer_email",
    "oid",
)


def _referenced(view: AccountView, raw: Any, field: str) -> Document:
    """A document of the caller's account named in the body (unknown: a 422 on that field)."""
    pk = coercion.to_id(raw, field)
    document = (
        Document.objects.filter(account=view.account, pk=pk).select_related("account", "client").first()
    )
    if document is None:
        raise InputError.on(field, _("Ce document n'existe pas dans ce compte."))
    return document


def _given(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in data and not coercion.is_absent(data[name]):
            return data[name]
    return None


def _reason(data: Mapping[str, Any], invoice: Document) -> str:
    reason = _given(data, "correction_reason")
    text = coercion.to_text(reason, "correction_reason").strip() if reason is not None else ""
    return text or _("Avoir sur la facture %(number)s") % {"number": invoice.number}


def _correction_line(entry: Mapping[str, Any], invoice: Document, products: Mapping[int, Any]) -> LineInput:
    """A position of a partial credit note; before/after attributes credit the difference of totals."""
    before, after = entry.get("correction_before_attributes"), entry.get("correction_after_attributes")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return read.line_input(read.read_position(entry), products, invoice.prices_are_gross)
    old = read.line_input(read.read_position(before), products, invoice.prices_are_gross)
    new = read.line_input(read.read_position(after), products, invoice.prices_are_gross)
    credited = old.quantity * old.unit_price - new.quantity * new.unit_price
    if credited <= 0:
        raise InputError.on(
            "positions", _("Un avoir diminue le montant : « après » doit être inférieur à « avant ».")
        )
    return replace(old, quantity=Decimal(1), unit_price=credited.quantize(read.FOUR_PLACES))


def _partial_credit_note(view: AccountView, data: Mapping[str, Any], invoice: Document) -> Document:
    entries = read.positions_of(data) or []
    if not entries:
        raise InputError.on("positions", _("Indiquez les positions à créditer (ou total_correction)."))
    sides = [
        side
        for entry in entries
        for side in (
            entry,
            entry.get("correction_before_attributes"),
            entry.get("correction_after_attributes"),
        )
        if isinstance(side, Mapping)
    ]
    products = read.products_of(view.account, [read.read_position(side) for side in sides])
    lines = [_correction_line(entry, invoice, products) for entry in entries]
    return service.create_credit_note(view.actor, invoice, lines=lines, reason=_reason(data, invoice))


def _advances(view: AccountView, data: Mapping[str, Any]) -> list[Document]:
    raw = _given(data, "invoice_ids")
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    ids = coercion.to_ids(values, "invoice_ids")
    if not ids:
        raise InputError.on("invoice_ids", _("Indiquez les factures d'acompte à déduire."))
    return [_referenced(view, pk, "invoice_ids") for pk in ids]


def _advance(view: AccountView, data: Mapping[str, Any], quote: Document) -> Document:
    mode = coercion.to_text(_given(data, "advance_creation_mode") or "percent", "advance_creation_mode")
    raw = _given(data, "advance_value")
    if raw is None:
        raise InputError.on("advance_value", _("Indiquez le pourcentage ou le montant de l'acompte."))
    value = coercion.to_decimal(raw, "advance_value")
    if mode.strip() == "amount":
        return service.create_advance(view.actor, quote, amount=value)
    if mode.strip() != "percent":
        raise InputError.on("advance_creation_mode", _("Choisissez percent ou amount."))
    return service.create_advance(view.actor, quote, percent=value)


def is_special(data: Mapping[str, Any]) -> bool:
    """Whether the body asks for a special mode (create_special makes its draft), not an ordinary create."""
    kind = read.to_kind(data["kind"], "kind") if _given(data, "kind") is not None else None
    return _given(data, "copy_invoice_from") is not None or kind == Kind.CREDIT_NOTE


def create_special(view: AccountView, data: Mapping[str, Any]) -> Document | None:
    """The draft a special mode makes, or None when the body asks for an ordinary create."""
    kind = read.to_kind(data["kind"], "kind") if _given(data, "kind") is not None else None
    source_raw = _given(data, "copy_invoice_from")
    if source_raw is None:
        if kind != Kind.CREDIT_NOTE:
            return None
        raw = _given(data, "invoice_id", "from_invoice_id")
        if raw is None:
            raise InputError.on("invoice_id", _("Indiquez la facture que l'avoir corrige."))
        return _partial_credit_note(view, data, _referenced(view, raw, "invoice_id"))
    source = _referenced(view, source_raw, "copy_invoice_from")
    kind = kind or source.kind
    actor = view.actor
    if kind == Kind.CREDIT_NOTE:
        total = _given(data, "total_correction")
        if total is not None and coercion.to_bool(total, "total_correction"):
            return service.create_credit_note(actor, source, reason=_reason(data, source))
        return _partial_credit_note(view, data, source)
    if kind == Kind.ADVANCE:
        return _advance(view, data, source)
    if kind == Kind.FINAL:
        return service.create_final(actor, source, _advances(view, data))
    if kind == source.kind:
        return service.duplicate(actor, source)
    return service.convert(actor, source, kind)


def apply_overrides(view: AccountView, document: Document, data: Mapping[str, Any]) -> Document:
    """The payment terms (and notes) a special create may set on the draft it made."""
    values = coercion.read(data, [f for f in read.FIELDS if f.api_name in OVERRIDABLE])
    if not values:
        return document
    current = read.stored_input(document)
    terms = values.pop("payment_terms", None)
    if "due_date" not in values and terms is not None:
        values["due_date"] = current.issue_date + datetime.timedelta(days=terms)
    return service.update_draft(view.actor, document, replace(current, **values))


def check_test(data: Mapping[str, Any], document: Document) -> None:
    """A document made from another is a test document exactly when its source is (services): a `test`
    sent that says otherwise is refused rather than dropped."""
    sent = _given(data, "test")
    if sent is not None and sent != "" and coercion.to_bool(sent, "test") != document.test:
        raise InputError.on(
            "test",
            _("Ce document est fait d'un document de test et l'est aussi : envoyez test: true ou rien.")
            if document.test
            else _(
                "Un document fait d'un document réel est réel : créez le document de test avec ses "
                "positions, sans copy_invoice_from."
            ),
        )
