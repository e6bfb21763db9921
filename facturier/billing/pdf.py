"""Sales documents as PDF (Typst) and as the data their print view shows.

`build_payload` gathers everything a document prints, translated into the document's language and
formatted (amounts, dates, rates), so both the Typst template (billing/typst/document.typ) and the
print page only lay it out, and tests assert on it. `render_document_pdf` hands it to one Typst
compiler per process and writes PDF/A-3b, the base a Factur-X file embeds its XML into.
"""

import base64
import functools
import json
import logging
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import typst
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from django.utils import translation
from django.utils.translation import gettext as _
from stdnum import iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from facturier.billing.models import (
    INVOICE_KINDS,
    PAYABLE_KINDS,
    BillingSettings,
    Document,
    DocumentLine,
    Kind,
    PaymentMethod,
    VatBreakdown,
)
from facturier.billing.services.billing_settings import settings_for
from facturier.billing.totals import unit_prices
from facturier.lib import fonts, vat
from facturier.lib.countries import country_name
from facturier.tenancy.models import Account
from facturier.tenancy.services import IDENTITY_FIELDS

logger = logging.getLogger(__name__)

TEMPLATE = Path(__file__).parent / "typst" / "document.typ"
# What issuing freezes of the billing settings (billing/snapshots.py, seller_snapshot), read live on drafts.
SELLER_SETTINGS = (
    "legal_form", "share_capital", "rcs_city", "vat_on_debits", "vat_franchise", "late_penalty_text",
    "early_payment_discount_text",
)  # fmt: skip
LOCALES = {"fr": "fr_FR", "en": "en"}
_REVERSE_CHARGE = vat.DEFAULT_MENTIONS[vat.REVERSE_CHARGE]


# --- Rendering ----------------------------------------------------------------------------------


@functools.cache
def _compiler(template: Path) -> typst.Compiler:
    # Built once per process and template: the template is parsed once, later renders reuse it and the
    # fonts (lib/fonts, found once per process for every compiler).
    return fonts.compiler(template)


# A compiler keeps the inputs of its last compilation: one render at a time per process.
_compile_lock = threading.Lock()


def compile_pdf(inputs: dict[str, str], template: Path = TEMPLATE) -> bytes:
    """A PDF/A-3b of one of billing/typst's templates, `inputs` given as its sys.inputs."""
    with _compile_lock:
        pdf = _compiler(template).compile(
            format="pdf", sys_inputs={**inputs, **fonts.INPUTS}, pdf_standards=["a-3b"]
        )
    assert isinstance(pdf, bytes)
    return pdf


@dataclass(frozen=True)
class Letterhead:
    """What every document of an account prints alike: its billing settings and its logo."""

    settings: BillingSettings
    logo: bytes | None


def letterhead_of(account: Account) -> Letterhead:
    """Read once for many documents (exports): spares one query and one storage read per document."""
    return Letterhead(settings_for(account), read_logo(account))


def render_document_pdf(
    document: Document, *, duplicate: bool = False, letterhead: Letterhead | None = None
) -> bytes:
    """The document as an A4 PDF/A-3b, in its own language; drafts carry a "BROUILLON" watermark.
    `letterhead`: the account's, when the caller renders many documents of it."""
    letterhead = letterhead or letterhead_of(document.account)
    payload = build_payload(document, duplicate=duplicate, settings=letterhead.settings)
    return render_payload(payload, letterhead.logo)


def render_payload(payload: dict[str, Any], logo: bytes | None, template: Path = TEMPLATE) -> bytes:
    """A payload laid out by one of billing/typst's templates, with the account's logo when it has one."""
    inputs = {"data": json.dumps(payload)}
    if logo is None:
        return compile_pdf(inputs, template)
    try:
        return compile_pdf({**inputs, "logo": logo_input(logo)}, template)
    except typst.TypstError:
        # A logo Typst cannot decode (damaged file) must not cost the user their document.
        logger.warning("A logo could not be rendered (%s); PDF made without it.", template.name)
        return compile_pdf(inputs, template)


@functools.lru_cache(maxsize=4)
def logo_input(logo: bytes) -> str:
    # Typst reads bytes from an array of integers (the binding passes strings only). Encoding a large
    # logo costs ~100 ms per MB: remembered by content, so documents of one account reuse it.
    return json.dumps(list(logo))


def pdf_filename(document: Document) -> str:
    # Numbers may hold "/" (a custom pattern); a file name may not.
    return f"{document.number.replace('/', '-')}.pdf" if document.number else f"brouillon-{document.pk}.pdf"


def read_logo(account: Account) -> bytes | None:
    """The account's logo through the storage API (local folder or S3), or None."""
    if not account.logo:
        return None
    try:
        with account.logo.open("rb") as file:
            return bytes(file.read())
    except OSError:
        logger.warning("Logo %s of account %s is missing from storage.", account.logo.name, account.pk)
        return None


def logo_data_uri(account: Account) -> str:
    """The logo inline (data: URI) for the print page, so it needs no public media URL."""
    logo = read_logo(account)
    if logo is None:
        return ""
    mime = next((m for magic, m in _IMAGE_MAGIC if logo.startswith(magic)), "")
    if not mime and logo[8:12] == b"WEBP":
        mime = "image/webp"
    return f"data:{mime or 'application/octet-stream'};base64,{base64.b64encode(logo).decode()}"


_IMAGE_MAGIC = [(b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"GIF8", "image/gif")]


# --- What the document prints -------------------------------------------------------------------


class Formatter:
    """Amounts, numbers and dates written the way the document's language writes them."""

    def __init__(self, language: str, currency: str) -> None:
        self.locale = LOCALES.get(language, "fr_FR")
        self.language = language
        self.currency = currency
        # The locale's currency pattern with up to 4 decimals, for unit prices such as 0,1234 €.
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern
        self.price_pattern = pattern.replace("0.00", "0.00##")

    def money(self, amount: Decimal, currency: str | None = None) -> str:
        return format_currency(amount, currency or self.currency, locale=self.locale)

    def price(self, amount: Decimal) -> str:
        return format_currency(
            amount, self.currency, format=self.price_pattern, locale=self.locale, currency_digits=False
        )

    def number(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), format="#,##0.####", locale=self.locale)

    def percent(self, value: Decimal) -> str:
        number = format_decimal(value, format="#,##0.##", locale=self.locale)
        return f"{number}\u00a0%" if self.language == "fr" else f"{number}%"

    def date(self, value: Any) -> str:
        return format_date(value, "long", locale=self.locale) if value else ""


def _titles() -> dict[str, str]:
    return {
        Kind.INVOICE: _("FACTURE"),
        Kind.CREDIT_NOTE: _("AVOIR"),
        Kind.ESTIMATE: _("DEVIS"),
        Kind.PROFORMA: _("FACTURE PROFORMA"),
        Kind.ADVANCE: _("FACTURE D'ACOMPTE"),
        Kind.FINAL: _("FACTURE DE SOLDE"),
        Kind.RECEIPT: _("REÇU"),
    }


def _categories() -> dict[str, str]:
    return {
        "goods": _("Livraison de biens"),
        "service": _("Prestation de services"),
        "mixed": _("Mixte (biens et services)"),
    }


def _category_short() -> dict[str, str]:
    """What the rate column shows for a line or bucket without VAT."""
    return {
        vat.EXEMPT: _("Exonéré"),
        vat.REVERSE_CHARGE: _("Autoliquidation"),
        vat.INTRA_EU: _("Exonéré"),
        vat.EXPORT: _("Exonéré"),
        vat.OUTSIDE_SCOPE: _("Hors champ"),
    }


def build_payload(
    document: Document, *, duplicate: bool = False, settings: BillingSettings | None = None
) -> dict[str, Any]:
    """Everything the document prints, in its language: the JSON the Typst template lays out.
    `settings`: the account's billing settings, when the caller has read them already."""
    with translation.override(document.language):
        return _payload(document, settings or settings_for(document.account), duplicate)


def _payload(document: Document, settings: BillingSettings, duplicate: bool) -> dict[str, Any]:
    fmt = Formatter(document.language, document.currency)
    seller = seller_identity(document, settings)
    buyer = buyer_block(document, seller)
    title = _titles()[document.kind]
    lines = list(document.lines.all())
    breakdown = document.vat_breakdown()
    return {
        "lang": document.language,
        "title": title,
        "number": document.number,
        "doc_title": f"{title} {document.number}".strip(),
        "watermark": _("BROUILLON") if document.is_draft else _("TEST") if document.test else "",
        # A test document says so on every page (Document.test): it must never pass for an invoice.
        "test_banner": _("Document de test – sans valeur légale") if document.test else "",
        "duplicate": _("DUPLICATA") if duplicate else "",
        "seller": seller_block(seller, buyer["country"]),
        "buyer": buyer,
        "delivery": _delivery(document, buyer),
        "dates": _dates(document, fmt),
        "references": _references(document, fmt),
        "columns": {
            "name": _("Désignation"),
            "quantity": _("Qté"),
            "unit": _("Unité"),
            "unit_price": _("Prix unitaire HT"),
            "discount": _("Remise"),
            "vat_rate": _("TVA"),
            "total": _("Total HT"),
            "vat_base": _("Base HT"),
            "vat_amount": _("Montant TVA"),
        },
        "has_discount": any(line.discount_percent for line in lines),
        "lines": [_line(line, document, fmt) for line in lines],
        "vat_table": _vat_table(breakdown, fmt),
        "totals": _totals(document, breakdown, fmt),
        "mentions": _mentions(document, breakdown, seller),
        "payment_title": _("Règlement"),
        "payment": _payment(document, seller, fmt),
        "notes": document.notes,
        "footer": legal_footer(seller, fmt),
    }


def seller_identity(document: Document, settings: BillingSettings) -> dict[str, Any]:
    """The seller as printed, with the legal wording of its settings: the snapshot taken at issue,
    else (drafts) the account and its billing settings as they are now."""
    values = current_seller(document.account, settings)
    if not document.is_draft:
        values.update({key: value for key, value in document.seller.items() if key in values})
    return values


def current_seller(account: Account, settings: BillingSettings) -> dict[str, Any]:
    """The seller as the account and its billing settings describe it now."""
    values: dict[str, Any] = {field: str(getattr(account, field)) for field in IDENTITY_FIELDS}
    values.update({field: getattr(settings, field) for field in SELLER_SETTINGS})
    return values


def address_lines(street: str, post_code: str, city: str, country: str, show_country: bool) -> list[str]:
    lines = [part.strip() for part in street.splitlines() if part.strip()]
    town = f"{post_code} {city}".strip()
    if town:
        lines.append(town)
    if show_country and country:
        lines.append(country_name(country))
    return lines


def seller_block(seller: dict[str, Any], buyer_country: str) -> dict[str, Any]:
    ids = []
    if seller["siret"]:
        ids.append(_("SIRET : %(number)s") % {"number": _formatted(siret, seller["siret"])})
    elif seller["siren"]:
        ids.append(_("SIREN : %(number)s") % {"number": _formatted(siren, seller["siren"])})
    if seller["vat_number"]:
        ids.append(_("N° TVA : %(number)s") % {"number": seller["vat_number"]})
    return {
        "name": seller["name"] or seller["legal_name"],
        "lines": address_lines(
            seller["street"],
            seller["post_code"],
            seller["city"],
            seller["country"],
            seller["country"] != buyer_country,
        ),
        "ids": ids,
    }


def buyer_block(document: Document, seller: dict[str, Any]) -> dict[str, Any]:
    """The buyer block: the columns snapshotted at issue, else (drafts) the client as it is now."""
    if document.buyer_name:
        name, siren_number, vat_number = document.buyer_name, document.buyer_siren, document.buyer_vat_number
        street, post_code, city = document.buyer_street, document.buyer_post_code, document.buyer_city
        country = document.buyer_country
    else:
        client = document.client
        name, siren_number, vat_number = client.name, client.siren, client.vat_number
        street, post_code, city, country = client.street, client.post_code, client.city, client.country
    ids = []
    if siren_number:
        ids.append(_("SIREN : %(number)s") % {"number": _formatted(siren, siren_number)})
    if vat_number:
        ids.append(_("N° TVA : %(number)s") % {"number": vat_number})
    return {
        "label": _("Client"),
        "name": name,
        "lines": address_lines(street, post_code, city, country, country != seller["country"]),
        "ids": ids,
        "country": country,
        "address": (street.strip(), post_code.strip(), city.strip(), country),
    }


def _delivery(document: Document, buyer: dict[str, Any]) -> dict[str, Any] | None:
    """The delivery address, printed only when it differs from the buyer's (2026 reform mention)."""
    if not (document.delivery_street or document.delivery_city):
        return None
    country = document.delivery_country or buyer["country"]
    address = (
        document.delivery_street.strip(),
        document.delivery_post_code.strip(),
        document.delivery_city.strip(),
        country,
    )
    if address == buyer["address"]:
        return None
    return {
        "label": _("Adresse de livraison"),
        "name": buyer["name"],
        "lines": address_lines(*address[:3], country, country != buyer["country"]),
        "ids": [],
    }


def _dates(document: Document, fmt: Formatter) -> list[tuple[str, str]]:
    rows = [(_("Date d'émission"), fmt.date(document.issue_date))]
    if document.sell_date and document.sell_date != document.issue_date:
        rows.append((_("Date de la vente ou de la prestation"), fmt.date(document.sell_date)))
    if document.kind in PAYABLE_KINDS and document.due_date:
        rows.append((_("Date d'échéance"), fmt.date(document.due_date)))
    if document.kind in (Kind.ESTIMATE, Kind.PROFORMA) and document.valid_until:
        rows.append((_("Valable jusqu'au"), fmt.date(document.valid_until)))
    return rows


def _references(document: Document, fmt: Formatter) -> list[tuple[str, str]]:
    rows = []
    corrected = document.corrected_document
    if corrected is not None:
        rows.append(
            (
                _("Facture corrigée"),
                _("%(number)s du %(date)s")
                % {"number": corrected.number, "date": fmt.date(corrected.issue_date)},
            )
        )
        if document.correction_reason:
            rows.append((_("Motif"), document.correction_reason))
    if document.kind == Kind.FINAL:
        advances = [advance.number for advance in document.deducted_advances.all()]
        if advances:
            rows.append((_("Factures d'acompte déduites"), ", ".join(advances)))
    source = document.source_document
    if source is not None and source.number and document.kind != Kind.CREDIT_NOTE:
        rows.append((_("Document d'origine"), source.number))
    if document.buyer_reference:
        rows.append((_("Votre référence"), document.buyer_reference))
    return rows


def _rate_label(rate: Decimal, category: str, country: str, fmt: Formatter) -> str:
    if category not in (vat.STANDARD, vat.ZERO_RATED):
        return _category_short().get(category, category)
    label = fmt.percent(rate)
    # Under OSS the destination country's VAT applies: say which.
    return f"{label} ({country})" if country != "FR" else label


def _line(line: DocumentLine, document: Document, fmt: Formatter) -> dict[str, str]:
    return {
        "name": line.name,
        "description": line.description,
        "quantity": fmt.number(line.quantity),
        "unit": line.unit,
        # Prices entered TTC are printed HT, as the law asks of the unit price.
        "unit_price": fmt.price(
            unit_prices(
                line.unit_price, line.vat_rate, line.vat_category, prices_are_gross=document.prices_are_gross
            )[0]
        ),
        "discount": fmt.percent(line.discount_percent) if line.discount_percent else "",
        "vat_rate": _rate_label(line.vat_rate, line.vat_category, line.vat_country, fmt),
        "total": fmt.money(line.net_amount),
    }


def _vat_table(breakdown: VatBreakdown, fmt: Formatter) -> list[dict[str, str]]:
    """One row per rate of the document's own lines (Document.vat_breakdown): they add up to its totals."""
    return [
        {
            "rate": _rate_label(row.vat_rate, row.vat_category, row.vat_country, fmt),
            "base": fmt.money(row.base),
            "vat": fmt.money(row.vat_amount),
        }
        for row in breakdown.rows
    ]


def _totals(document: Document, breakdown: VatBreakdown, fmt: Formatter) -> list[dict[str, Any]]:
    """The totals as issued. Payments and later credit notes are not printed: an issued document never
    changes (the document page and the payment statement say what remains to pay)."""

    def row(label: str, value: str, strong: bool = False) -> dict[str, Any]:
        return {"label": label, "value": value, "strong": strong}

    rows = [
        row(_("Total HT"), fmt.money(document.net_total)),
        row(_("Total TVA"), fmt.money(document.vat_total)),
        row(_("Total TTC"), fmt.money(document.gross_total), strong=True),
    ]
    for deduction in breakdown.deductions:
        label = _("Acompte %(number)s du %(date)s") % {
            "number": deduction.number,
            "date": fmt.date(deduction.issue_date),
        }
        rows.append(row(label, fmt.money(deduction.gross)))
        rows.append(row(_("dont TVA"), fmt.money(deduction.vat_amount)))
    if document.advances_deducted:
        rows.append(row(_("Net à payer"), fmt.money(document.amount_due), strong=True))
    if document.currency != "EUR":
        # VAT must also be stated in euros on an invoice in another currency.
        rate = format_decimal(document.exchange_rate.normalize(), format="#,##0.######", locale=fmt.locale)
        rows.append(row(_("Taux de change"), f"1 {document.currency} = {rate} EUR"))
        rows.append(row(_("Total TVA en euros"), fmt.money(document.vat_total_eur, "EUR")))
        rows.append(row(_("Total TTC en euros"), fmt.money(document.gross_total_eur, "EUR")))
    return rows


def _mentions(document: Document, breakdown: VatBreakdown, seller: dict[str, Any]) -> list[str]:
    """The legal mentions (regulatory.md §2), each once, in a stable order."""
    mentions: list[str] = []

    def add(text: str) -> None:
        if text and text not in mentions:
            mentions.append(text)

    for bucket in breakdown.rows:
        if bucket.vat_category == vat.STANDARD:
            continue
        for reason in bucket.exemption_reasons or ("",):
            if bucket.vat_category == vat.REVERSE_CHARGE and reason in ("", _REVERSE_CHARGE):
                continue  # said below, in the document's language
            add(reason or vat.DEFAULT_MENTIONS.get(bucket.vat_category, ""))
    if document.reverse_charge or any(b.vat_category == vat.REVERSE_CHARGE for b in breakdown.rows):
        add(_("Autoliquidation"))
    if seller["vat_franchise"]:
        add(vat.DEFAULT_MENTIONS[vat.EXEMPT])
    if document.kind in INVOICE_KINDS:
        if document.supply_category:
            category = _categories().get(document.supply_category, document.supply_category)
            add(_("Catégorie de l'opération : %(category)s") % {"category": category})
        if seller["vat_on_debits"]:
            add(_("Option pour le paiement de la taxe d'après les débits"))
    if document.kind in PAYABLE_KINDS:
        add(_default_or_own(seller, "late_penalty_text"))
        if document.buyer_is_company:
            add(_("Indemnité forfaitaire pour frais de recouvrement de 40 €"))
        add(_default_or_own(seller, "early_payment_discount_text"))
    return mentions


def _default_or_own(seller: dict[str, Any], field: str) -> str:
    """The account's own wording as typed, or the default wording in the document's language."""
    value = str(seller[field] or "")
    if value != getattr(BillingSettings(), field):
        return value
    # The model's default wording, repeated here so that the English catalogue translates it.
    return {
        "late_penalty_text": _(
            "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal."
        ),
        "early_payment_discount_text": _("Pas d'escompte pour paiement anticipé."),
    }[field]


def _payment(document: Document, seller: dict[str, Any], fmt: Formatter) -> list[tuple[str, str]]:
    if document.kind not in PAYABLE_KINDS and document.kind != Kind.PROFORMA:
        return []
    rows = []
    if document.kind != Kind.RECEIPT and document.due_date:
        days = (document.due_date - document.issue_date).days
        terms = (
            _("À réception")
            if days <= 0
            else _("À %(days)s jours, soit le %(date)s") % {"days": days, "date": fmt.date(document.due_date)}
        )
        rows.append((_("Conditions de paiement"), terms))
    rows.append((_("Mode de paiement"), str(PaymentMethod(document.payment_method).label)))
    account_iban = document.bank_iban or seller["iban"]
    if account_iban and document.payment_method == PaymentMethod.TRANSFER:
        rows.append((_("IBAN"), _formatted(iban, account_iban)))
        bic = document.bank_bic or seller["bic"]
        if bic:
            rows.append((_("BIC"), bic))
    return rows


def legal_footer(seller: dict[str, Any], fmt: Formatter) -> str:
    """Legal name, form and capital, RCS, SIRET, VAT number: what the Code de commerce asks."""
    parts = [seller["legal_name"] or seller["name"]]
    if seller["legal_form"] and seller["share_capital"]:
        capital = seller["share_capital"].replace(" ", "")
        if capital.replace(",", ".").replace(".", "", 1).isdigit():
            capital = fmt.money(Decimal(capital.replace(",", ".")), "EUR")
        else:
            capital = seller["share_capital"]
        parts.append(
            _("%(form)s au capital de %(capital)s") % {"form": seller["legal_form"], "capital": capital}
        )
    elif seller["legal_form"]:
        parts.append(seller["legal_form"])
    if seller["rcs_city"] and seller["siren"]:
        parts.append(f"RCS {seller['rcs_city']} {_formatted(siren, seller['siren'])}")
    if seller["siret"]:
        parts.append(_("SIRET : %(number)s") % {"number": _formatted(siret, seller["siret"])})
    elif seller["siren"]:
        parts.append(_("SIREN : %(number)s") % {"number": _formatted(siren, seller["siren"])})
    if seller["vat_number"]:
        parts.append(_("N° TVA : %(number)s") % {"number": seller["vat_number"]})
    return " · ".join(part for part in parts if part)


def _formatted(module: Any, number: str) -> str:
    # Spaced for reading ("732 829 320"); a value stdnum rejects is printed as stored.
    try:
        return str(module.format(number))
    except StdnumError:
        return number
