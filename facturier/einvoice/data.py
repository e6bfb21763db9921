"""A sales document as the EN 16931 terms it carries, whatever the syntax (CII or UBL) written from it.

Everything comes from what the billing services stored: the seller and buyer snapshots taken at issue,
the line amounts, the VAT rows (one per bucket) and the totals. Nothing is recomputed; amounts are
only regrouped (VAT rows by category and rate, as EN 16931 wants one breakdown per pair) and, for a
credit note, negated: our credit notes store negative amounts, a credit note (type 381) states them
positive.

On a draft, the seller and buyer are read as issue() would snapshot them (checks.py warns on the form).
"""

import copy
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from facturier.billing.models import (
    INVOICE_KINDS,
    BillingSettings,
    Document,
    Kind,
    PaymentMethod,
)
from facturier.billing.pdf import seller_identity
from facturier.billing.services.billing_settings import settings_for
from facturier.billing.snapshots import copy_buyer
from facturier.billing.totals import unit_prices
from facturier.lib import vat
from facturier.lib.money import ZERO

# UNTDID 1001 document type codes (BT-3).
TYPE_CODES: dict[str, str] = {
    Kind.INVOICE: "380",
    Kind.FINAL: "380",
    Kind.RECEIPT: "380",
    Kind.ADVANCE: "386",
    Kind.CREDIT_NOTE: "381",
}
# UNTDID 4461 payment means (BT-81). A transfer is a SEPA transfer when an IBAN is given.
PAYMENT_MEANS: dict[str, str] = {
    PaymentMethod.TRANSFER: "58",
    PaymentMethod.CARD: "48",
    PaymentMethod.CASH: "10",
    PaymentMethod.CHEQUE: "20",
    PaymentMethod.DIRECT_DEBIT: "49",
    PaymentMethod.PAYPAL: "68",
    PaymentMethod.OTHER: "1",
}
# VATEX codes (BT-121) of the categories without VAT; an exemption (E) has one only for the franchise.
EXEMPTION_CODES = {
    vat.REVERSE_CHARGE: "VATEX-EU-AE",
    vat.INTRA_EU: "VATEX-EU-IC",
    vat.EXPORT: "VATEX-EU-G",
    vat.OUTSIDE_SCOPE: "VATEX-EU-O",
}
FRANCHISE_CODE = "VATEX-FR-FRANCHISE"
# UN/ECE Recommendation 20 unit codes (BT-130) for the units people type; anything else is "one" (C62).
UNIT_CODES = {
    "h": "HUR", "heure": "HUR", "heures": "HUR", "hour": "HUR", "hours": "HUR",
    "j": "DAY", "jour": "DAY", "jours": "DAY", "day": "DAY", "days": "DAY",
    "min": "MIN", "minute": "MIN", "minutes": "MIN",
    "semaine": "WEE", "semaines": "WEE", "week": "WEE",
    "mois": "MON", "month": "MON", "an": "ANN", "année": "ANN", "ans": "ANN", "year": "ANN",
    "kg": "KGM", "g": "GRM", "t": "TNE", "l": "LTR", "m": "MTR", "km": "KMT", "m2": "MTK", "m²": "MTK",
    "m3": "MTQ", "m³": "MTQ", "forfait": "LS",
}  # fmt: skip
# What BR-FR-01/02 accept as an invoice number.
NUMBER_PATTERN = re.compile(r"[A-Za-z0-9+\-_/]{1,35}")


class NotAnInvoice(ValueError):
    """Only issued invoices and credit notes have an e-invoice."""


@dataclass
class Party:
    name: str
    country: str
    trading_name: str = ""
    legal_info: str = ""  # BT-33: legal form, capital, RCS
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    # BT-32, the seller's tax registration identifier: its SIREN when it has no VAT number under the
    # franchise (docs/einvoicing.md, "Franchise en base").
    tax_registration: str = ""
    street_lines: list[str] = field(default_factory=list)
    post_code: str = ""
    city: str = ""
    endpoint: tuple[str, str] | None = None  # (scheme, identifier): BT-34 / BT-49


@dataclass
class Line:
    id: str
    name: str
    description: str
    quantity: Decimal
    unit_code: str
    net_price: Decimal  # BT-146, net of VAT
    net_amount: Decimal  # BT-131
    category: str
    rate: Decimal
    discount_percent: Decimal = ZERO
    discount_base: Decimal = ZERO  # BT-137: quantity x price before the discount
    discount_amount: Decimal = ZERO  # BT-136
    discount_reason: str = ""  # BT-139
    # The exemption reason and its code of the line's VAT breakdown (BT-120, BT-121), repeated on the line
    # where the syntax has room for them (Factur-X EXTENDED, rules BR-FXEXT-*-08rev).
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass
class VatRow:
    category: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    reason: str = ""
    reason_code: str = ""


@dataclass
class Note:
    content: str
    subject: str = ""


@dataclass
class EInvoice:
    number: str
    type_code: str
    issue_date: datetime.date
    billing_mode: str  # BT-23 (French CTC): B1, S1, M1, B4...
    currency: str
    seller: Party
    buyer: Party
    notes: list[Note]
    lines: list[Line]
    vat_rows: list[VatRow]
    line_total: Decimal
    tax_basis: Decimal
    tax_total: Decimal
    grand_total: Decimal
    prepaid: Decimal
    due_payable: Decimal
    payment_means: str
    tax_currency: str = ""  # BT-6: EUR when the invoice is in another currency
    tax_total_accounting: Decimal | None = None  # BT-111
    iban: str = ""
    bic: str = ""
    due_date: datetime.date | None = None
    payment_terms: str = ""
    order_reference: str = ""  # BT-13
    buyer_reference: str = ""  # BT-10
    mandate_reference: str = ""  # BT-89, direct debit only
    delivery: Party | None = None  # BG-13 / BG-15
    delivery_date: datetime.date | None = None  # BT-72: the date of sale, else the issue date
    vat_on_debits: bool = False  # BT-8 = invoice date
    preceding: tuple[str, datetime.date] | None = None  # BT-25, BT-26

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == "381"


# --- Reading a document ---------------------------------------------------------------------------


def as_issued(
    document: Document, billing_settings: BillingSettings | None = None
) -> tuple[Document, dict[str, Any]]:
    """The document with its buyer block and the seller block as they are (issued) or as issuing would
    freeze them now (draft): a copy for a draft, nothing is saved. `billing_settings`: the account's,
    when the caller holds them."""
    settings = billing_settings or settings_for(document.account)
    seller = seller_identity(document, settings)
    if document.is_draft:
        document = copy.copy(document)
        copy_buyer(document, document.client)
    return document, seller


def build(document: Document, billing_settings: BillingSettings | None = None) -> EInvoice:
    """The EN 16931 content of an issued invoice or credit note (NotAnInvoice for anything else).
    `billing_settings`: the account's, when the caller holds them."""
    if document.kind not in INVOICE_KINDS or document.is_draft or not document.number:
        raise NotAnInvoice(f"{document} is not an issued invoice or credit note")
    document, seller = as_issued(document, billing_settings)
    sign = Decimal(-1) if document.kind == Kind.CREDIT_NOTE else Decimal(1)
    rows = vat_rows(document, sign)
    only_outside_scope = bool(rows) and all(row.category == vat.OUTSIDE_SCOPE for row in rows)
    bank_iban = document.bank_iban or seller.get("iban", "")
    with translation.override(document.language):
        lines = [_line(line, document, sign, n) for n, line in enumerate(document.lines.all(), start=1)]
        invoice = EInvoice(
            number=document.number,
            type_code=TYPE_CODES[document.kind],
            issue_date=document.issue_date,
            billing_mode=billing_mode(document),
            currency=document.currency,
            seller=seller_party(seller, without_vat=only_outside_scope),
            buyer=buyer_party(document, without_vat=only_outside_scope),
            notes=notes(document, seller),
            lines=lines,
            vat_rows=rows,
            line_total=sign * document.net_total,
            tax_basis=sign * document.net_total,
            tax_total=sign * document.vat_total,
            grand_total=sign * document.gross_total,
            prepaid=sign * document.advances_deducted,
            due_payable=sign * document.amount_due,
            payment_means=payment_means(document.payment_method, bank_iban),
            iban=bank_iban if document.payment_method == PaymentMethod.TRANSFER else "",
            bic=(document.bank_bic or seller.get("bic", ""))
            if document.payment_method == PaymentMethod.TRANSFER
            else "",
            due_date=document.due_date,
            payment_terms=_payment_terms(document),
            order_reference=document.buyer_reference,
            buyer_reference=document.buyer_invoice_reference,
            mandate_reference=document.buyer_sepa_mandate
            if document.payment_method == PaymentMethod.DIRECT_DEBIT
            else "",
            vat_on_debits=bool(seller.get("vat_on_debits")),
        )
    if document.currency != "EUR":
        invoice.tax_currency = "EUR"
        invoice.tax_total_accounting = sign * document.vat_total_eur
    invoice.delivery, invoice.delivery_date = _delivery(document, invoice.buyer, rows)
    _line_exemptions(invoice)
    if document.kind == Kind.CREDIT_NOTE and document.corrected_document is not None:
        corrected = document.corrected_document
        invoice.preceding = (corrected.number, corrected.issue_date)
    _check_totals(invoice)
    return invoice


def billing_mode(document: Document) -> str:
    """BT-23, the French "cadre de facturation": B(iens), S(ervices) or M(ixte), then 1 for an invoice
    or 4 for a final invoice after advances (regulatory.md §2.3, BR-FR-08)."""
    letter = {"goods": "B", "service": "S", "mixed": "M"}.get(document.supply_category, "S")
    return f"{letter}4" if document.kind == Kind.FINAL else f"{letter}1"


def payment_means(method: str, iban: str) -> str:
    # A transfer without an IBAN cannot be a SEPA transfer; checks.py asks for the IBAN.
    if method == PaymentMethod.TRANSFER and not iban:
        return "30"
    return PAYMENT_MEANS.get(method, "1")


def seller_party(seller: dict[str, Any], *, without_vat: bool = False) -> Party:
    siren = seller.get("siren", "")
    siret = seller.get("siret", "")
    vat_number = "" if without_vat else seller.get("vat_number", "")
    return Party(
        name=seller.get("legal_name") or seller.get("name", ""),
        trading_name=seller.get("name", "") if seller.get("name") != seller.get("legal_name") else "",
        legal_info=_legal_info(seller),
        siren=siren,
        siret=siret if siret[:9] == siren and len(siret) == 14 else "",
        vat_number=vat_number,
        tax_registration=siren if seller.get("vat_franchise") and not vat_number else "",
        street_lines=_street(seller.get("street", "")),
        post_code=seller.get("post_code", ""),
        city=seller.get("city", ""),
        country=seller.get("country", ""),
        endpoint=("0225", siren) if siren else None,
    )


def buyer_party(document: Document, *, without_vat: bool = False) -> Party:
    siren = document.buyer_siren if document.buyer_is_company else ""
    email = buyer_email(document)
    endpoint = ("0225", siren) if siren else ("EM", email) if email else None
    return Party(
        name=document.buyer_name,
        siren=siren,
        vat_number="" if without_vat else document.buyer_vat_number,
        street_lines=_street(document.buyer_street),
        post_code=document.buyer_post_code,
        city=document.buyer_city,
        country=document.buyer_country,
        endpoint=endpoint,
    )


def buyer_email(document: Document) -> str:
    """The buyer's electronic address when it has no SIREN: the document's first recipient, else the
    client's email."""
    for address in re.split(r"[,;\s]+", document.email_to or ""):
        if "@" in address:
            return address
    return document.client.email if document.client_id else ""


def _street(street: str) -> list[str]:
    lines = [part.strip() for part in street.splitlines() if part.strip()]
    # CII has three address lines: keep the first two, join the rest into the third.
    return [*lines[:2], ", ".join(lines[2:])] if len(lines) > 3 else lines


def _legal_info(seller: dict[str, Any]) -> str:
    parts = []
    if seller.get("legal_form") and seller.get("share_capital"):
        capital = seller["share_capital"]
        if capital.replace(" ", "").replace(",", "").replace(".", "").isdigit():
            capital = f"{capital} €"
        parts.append(
            _("%(form)s au capital de %(capital)s") % {"form": seller["legal_form"], "capital": capital}
        )
    elif seller.get("legal_form"):
        parts.append(seller["legal_form"])
    if seller.get("rcs_city") and seller.get("siren"):
        parts.append(f"RCS {seller['rcs_city']} {seller['siren']}")
    return " - ".join(parts)


def notes(document: Document, seller: dict[str, Any]) -> list[Note]:
    """The invoice notes: free notes, the credit note's reason, and the three mentions the French rules
    want as coded notes (BR-FR-05): recovery fee (PMT), late penalties (PMD), early payment discount
    (AAB). Called in the document's language."""
    result = []
    if document.notes.strip():
        result.append(Note(document.notes.strip()))
    if document.kind == Kind.CREDIT_NOTE and document.correction_reason:
        result.append(Note(_("Motif de l'avoir : %(reason)s") % {"reason": document.correction_reason}))
    if document.buyer_is_company:
        fee = _("Indemnité forfaitaire pour frais de recouvrement de 40 €")
    else:
        fee = _("Pas d'indemnité forfaitaire pour frais de recouvrement (client non professionnel).")
    result.append(Note(fee, "PMT"))
    result.append(Note(_mention(seller, "late_penalty_text"), "PMD"))
    result.append(Note(_mention(seller, "early_payment_discount_text"), "AAB"))
    return result


def _mention(seller: dict[str, Any], name: str) -> str:
    """The account's own wording, or the default wording in the document's language."""
    value = str(seller.get(name) or "")
    if value and value != getattr(BillingSettings(), name):
        return value
    return {
        "late_penalty_text": _(
            "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal."
        ),
        "early_payment_discount_text": _("Pas d'escompte pour paiement anticipé."),
    }[name]


def _payment_terms(document: Document) -> str:
    if document.kind == Kind.CREDIT_NOTE:
        return _("Avoir à déduire du prochain règlement ou à rembourser.")
    if document.due_date is None:
        return _("Paiement à réception.")
    return ""


def _unit_code(unit: str) -> str:
    return UNIT_CODES.get(unit.strip().lower().rstrip("."), "C62")


def _line(line: Any, document: Document, sign: Decimal, position: int) -> Line:
    # Prices entered TTC: the net price, as the PDF prints it.
    price = unit_prices(
        line.unit_price, line.vat_rate, line.vat_category, prices_are_gross=document.prices_are_gross
    )[0]
    quantity = sign * line.quantity
    net_amount = sign * line.net_amount
    result = Line(
        id=str(position),
        name=line.name,
        description=line.description,
        quantity=quantity,
        unit_code=_unit_code(line.unit),
        net_price=price,
        net_amount=net_amount,
        category=line.vat_category,
        rate=line.vat_rate if line.vat_category == vat.STANDARD else ZERO,
    )
    if line.discount_percent:
        base = (quantity * price).quantize(Decimal("0.01"))
        result.discount_percent = line.discount_percent
        result.discount_base = base
        result.discount_amount = base - net_amount
        result.discount_reason = _("Remise")
    return result


def vat_rows(document: Document, sign: Decimal = Decimal(1)) -> list[VatRow]:
    """One VAT breakdown per category and rate (BG-23): the document's own rows
    (Document.vat_breakdown), which cover all its lines; a final invoice's advances are the prepaid
    amount (BT-113), not rows of the breakdown."""
    result = []
    for bucket in document.vat_breakdown().by_category_and_rate():
        reasons = [
            reason or vat.DEFAULT_MENTIONS.get(bucket.vat_category, "")
            for reason in (bucket.exemption_reasons or ("",))
        ]
        reason = ""
        if bucket.vat_category not in (vat.STANDARD, vat.ZERO_RATED):
            reason = " ; ".join(dict.fromkeys(r for r in reasons if r))
        row = VatRow(
            bucket.vat_category, bucket.vat_rate, sign * bucket.base, sign * bucket.vat_amount, reason
        )
        row.reason_code = _exemption_code(row.category, row.reason)
        result.append(row)
    return result


def _exemption_code(category: str, reason: str) -> str:
    if category == vat.EXEMPT:
        return FRANCHISE_CODE if reason == vat.DEFAULT_MENTIONS[vat.EXEMPT] else ""
    return EXEMPTION_CODES.get(category, "")


def _delivery(document: Document, buyer: Party, rows: list[VatRow]) -> tuple[Party | None, datetime.date]:
    """The deliver-to party when the delivery address differs from the buyer's, or when the rules need
    its country (an intra-EU supply: BR-IC-12), and the actual delivery date (BT-72)."""
    intra_eu = any(row.category == vat.INTRA_EU for row in rows)
    # Without a separate date of sale or delivery, the operation is dated by the invoice itself.
    delivery_date = document.sell_date or document.issue_date
    if document.delivery_street or document.delivery_city:
        party = Party(
            name=document.buyer_name,
            street_lines=_street(document.delivery_street),
            post_code=document.delivery_post_code,
            city=document.delivery_city,
            country=document.delivery_country or buyer.country,
        )
        same = (party.street_lines, party.post_code, party.city, party.country) == (
            buyer.street_lines,
            buyer.post_code,
            buyer.city,
            buyer.country,
        )
        if not same or intra_eu:
            return party, delivery_date
    if intra_eu:
        return Party(name=buyer.name, country=buyer.country), delivery_date
    return None, delivery_date


def _line_exemptions(invoice: EInvoice) -> None:
    """Each line without VAT states the exemption reason of its VAT breakdown, word for word: the
    breakdown's base must be the sum of the lines with the same category, rate, reason and code."""
    # Categories without VAT have one breakdown each (their rate is zero).
    rows = {row.category: row for row in invoice.vat_rows if row.reason or row.reason_code}
    for line in invoice.lines:
        row = rows.get(line.category)
        if row is not None:
            line.exemption_reason, line.exemption_code = row.reason, row.reason_code


def _check_totals(invoice: EInvoice) -> None:
    """The stored rows must add up to the stored totals (BR-CO-10/14): a document whose rows were
    changed behind the services' back would give a file the receiver rejects."""
    lines = sum((line.net_amount for line in invoice.lines), ZERO)
    bases = sum((row.base for row in invoice.vat_rows), ZERO)
    amounts = sum((row.amount for row in invoice.vat_rows), ZERO)
    if lines != invoice.line_total or bases != invoice.tax_basis or amounts != invoice.tax_total:
        raise ValueError(f"Stored amounts of document {invoice.number} do not add up")
