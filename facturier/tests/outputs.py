"""Readers of every output a sales document has, through the interfaces users and integrations reach.

Each reader takes what a user or an integration would hold (a logged-in web client, an API token, the
account for the reports and the FEC) and gives plain figures: Decimals in the document's currency (or
in EUR where the output is in EUR), VAT rows keyed by what the output shows. Nothing here imports the
code that produced the output: the figures are read back from the HTML, the PDF's text, the XML, the
JSON, the report rows and the FEC's lines, so the consistency test compares what people see.
"""

import datetime
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.test import Client
from lxml import etree, html
from pypdf import PdfReader

from facturier.billing.models import SupplyKind
from facturier.exports.base import ExportRequest
from facturier.exports.fec import write_fec
from facturier.lib import vat
from facturier.reports import queries
from facturier.reports.base import ReportFilters
from facturier.tenancy.models import Account

ZERO = Decimal("0.00")
# Spaces the French formats put in amounts: no-break space, narrow no-break space, thin space.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")
# An amount as the PDF prints it: digits grouped by narrow no-break spaces, a decimal comma, then a
# no-break space and the currency (not a per cent sign: "20 %" is a rate).
_PDF_AMOUNT = re.compile(r"(-?\d{1,3}(?:\u202f\d{3})*(?:,\d+)?)\u00a0(?!%)(\S+)")
_RATE = re.compile(r"(\d+(?:,\d+)?)\s*%")
UNTAXED = "untaxed"


def money(text: str) -> Decimal:
    """ "1 234,56 EUR", "-370,25 €", "1 235" → Decimal."""
    cleaned = _SPACES.sub("", text).replace("\u2212", "-")
    match = re.search(r"-?\d+(?:,\d+)?", cleaned)
    if match is None:
        raise ValueError(f"no amount in {text!r}")
    return Decimal(match.group(0).replace(",", "."))


def plain_rate(value: Decimal) -> Decimal:
    """20.00 → 20, 5.50 → 5.5 (normalize() alone writes 20 as 2E+1)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def rate_key(label: str) -> Decimal | str:
    """The VAT rate a row of a page's or a PDF's VAT table stands for ("20 %", "19 % (Allemagne)"), or
    UNTAXED for a category without VAT ("Exonéré", "Autoliquidation"...): the granularity every
    human-readable output shows."""
    match = _RATE.search(label)
    return plain_rate(Decimal(match.group(1).replace(",", "."))) if match else UNTAXED


def is_deduction(label: str) -> bool:
    """A row of a final invoice's VAT table that deducts an advance (the advance shown as its own row)."""
    return "acompte" in label.lower()


@dataclass
class Figures:
    """What a human-readable output (page, PDF) shows: its totals by label and its VAT table."""

    totals: dict[str, Decimal] = field(default_factory=dict)
    vat_rows: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    text: str = ""

    def vat_by_rate(self, *, deductions: bool = False) -> dict[Decimal | str, tuple[Decimal, Decimal]]:
        """The VAT table summed per rate (UNTAXED for all categories without VAT); the rows deducting
        advances apart (`deductions=True`)."""
        found: dict[Decimal | str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for label, base, amount in self.vat_rows:
            if is_deduction(label) == deductions:
                slot = found[rate_key(label)]
                slot[0] += base
                slot[1] += amount
        return {key: (base, amount) for key, (base, amount) in found.items()}


# --- The document page -------------------------------------------------------------------------


def read_page(web: Client, slug: str, pk: int) -> Figures:
    response = web.get(f"/{slug}/documents/{pk}/")
    assert response.status_code == 200, response.status_code
    tree = html.fromstring(response.content.decode())
    figures = Figures(text=tree.text_content())
    for table in tree.iter("table"):
        headers = [_text(th) for th in table.xpath("./thead//th")]
        if headers[1:3] == ["Base HT", "TVA"]:
            for row in table.xpath("./tbody/tr"):
                cells = [_text(td) for td in row.xpath("./td")]
                figures.vat_rows.append((cells[0], money(cells[1]), money(cells[2])))
        for row in table.xpath("./tbody/tr[th[@scope='row']]"):
            label, value = _text(row.xpath("./th")[0]), row.xpath("./td")
            if value and re.search(r"\d", _text(value[0])):
                figures.totals[label] = money(_text(value[0]))
    return figures


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


# --- PDF -----------------------------------------------------------------------------------------


# Texts of PDFs already read, by what their text is made of (see _printed): extracting the text is the
# slow part of reading a PDF, and the same pages come back (downloaded again, inside a Factur-X file).
_texts: dict[bytes, str] = {}


def pdf_text(content: bytes) -> str:
    """The text of a PDF, page after page."""
    reader = PdfReader(io.BytesIO(content))
    key = hashlib.sha256(_printed(reader)).digest()
    if key not in _texts:
        if len(_texts) > 256:
            _texts.clear()
        _texts[key] = "\n".join(page.extract_text() for page in reader.pages)
    return _texts[key]


def _printed(reader: PdfReader) -> bytes:
    """What a PDF's text is made of: each page's content stream and its fonts' maps to Unicode."""
    parts = []
    for page in reader.pages:
        contents = page.get_contents()
        parts.append(contents.get_data() if contents is not None else b"")
        resources: Any = page["/Resources"].get_object()
        fonts = resources.get("/Font", {})
        for name in sorted(fonts):
            to_unicode = fonts[name].get_object().get("/ToUnicode")
            parts.append(to_unicode.get_object().get_data() if to_unicode is not None else name.encode())
    return b"\x00".join(parts)


def download(web: Client, url: str) -> bytes:
    response = web.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return bytes(response.content)


def read_pdf(content: bytes) -> Figures:
    """The totals and the VAT table of a document's PDF, from its text: the VAT table is the block
    under its header ("TVA Base HT Montant TVA"), the totals the labelled amounts after it."""
    text = pdf_text(content)
    figures = Figures(text=text)
    in_vat_table = False
    for line in text.splitlines():
        if line.startswith("TVA Base HT"):
            in_vat_table = True
            continue
        amounts = list(_PDF_AMOUNT.finditer(line))
        if not amounts:
            in_vat_table = False
            continue
        label = line[: amounts[0].start()].strip()
        if in_vat_table and len(amounts) == 2 and not label.startswith("Total"):
            figures.vat_rows.append((label, money(amounts[0].group(1)), money(amounts[1].group(1))))
            continue
        in_vat_table = False
        if len(amounts) == 1 and label:
            figures.totals[label] = money(amounts[0].group(1))
    return figures


def facturx_xml(content: bytes) -> bytes:
    """The CII XML a Factur-X PDF embeds."""
    attachments = PdfReader(io.BytesIO(content)).attachments
    return bytes(attachments["factur-x.xml"][0])


# --- E-invoices: CII and UBL ---------------------------------------------------------------------


@dataclass
class EInvoiceFigures:
    """The document-level amounts of an e-invoice, by EN 16931 term, and its VAT breakdown."""

    type_code: str
    line_total: Decimal  # BT-106
    allowances: Decimal  # BT-107
    charges: Decimal  # BT-108
    tax_basis: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_total_accounting: Decimal | None  # BT-111 (in EUR, when the invoice is in another currency)
    grand_total: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    rounding: Decimal  # BT-114
    due_payable: Decimal  # BT-115
    # BT-116 and BT-117 per (BT-118 category, BT-119 rate).
    vat: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = field(default_factory=dict)


CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def _parse_xml(content: bytes) -> Any:
    return etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))


def _decimal(nodes: list[Any], default: Decimal = ZERO) -> Decimal:
    return Decimal(nodes[0].text) if nodes else default


def _rate(text: str | None) -> Decimal:
    return plain_rate(Decimal(text)) if text else Decimal(0)


def read_cii(content: bytes) -> EInvoiceFigures:
    root = _parse_xml(content)
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    totals = root.xpath(f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation", namespaces=CII)[
        0
    ]
    currency = root.xpath(f"{settlement}/ram:InvoiceCurrencyCode", namespaces=CII)[0].text

    def amount(name: str, default: Decimal = ZERO) -> Decimal:
        return _decimal(totals.xpath(f"ram:{name}", namespaces=CII), default)

    tax_totals = {
        node.get("currencyID"): Decimal(node.text)
        for node in totals.xpath("ram:TaxTotalAmount", namespaces=CII)
    }
    figures = EInvoiceFigures(
        type_code=root.xpath("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII)[0].text,
        line_total=amount("LineTotalAmount"),
        allowances=amount("AllowanceTotalAmount"),
        charges=amount("ChargeTotalAmount"),
        tax_basis=amount("TaxBasisTotalAmount"),
        tax_total=tax_totals.get(currency, ZERO),
        tax_total_accounting=next((v for k, v in tax_totals.items() if k != currency), None),
        grand_total=amount("GrandTotalAmount"),
        prepaid=amount("TotalPrepaidAmount"),
        rounding=amount("RoundingAmount"),
        due_payable=amount("DuePayableAmount"),
    )
    for tax in root.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=CII):
        key = (
            tax.xpath("ram:CategoryCode", namespaces=CII)[0].text,
            _rate(next(iter(tax.xpath("ram:RateApplicablePercent/text()", namespaces=CII)), None)),
        )
        base = _decimal(tax.xpath("ram:BasisAmount", namespaces=CII))
        calculated = _decimal(tax.xpath("ram:CalculatedAmount", namespaces=CII))
        previous = figures.vat.get(key, (ZERO, ZERO))
        figures.vat[key] = (previous[0] + base, previous[1] + calculated)
    return figures


def read_ubl(content: bytes) -> EInvoiceFigures:
    root = _parse_xml(content)
    currency = root.xpath("cbc:DocumentCurrencyCode", namespaces=UBL)[0].text
    totals = root.xpath("cac:LegalMonetaryTotal", namespaces=UBL)[0]

    def amount(name: str) -> Decimal:
        return _decimal(totals.xpath(f"cbc:{name}", namespaces=UBL))

    tax_totals = {
        node.get("currencyID"): Decimal(node.text)
        for node in root.xpath("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL)
    }
    figures = EInvoiceFigures(
        type_code=root.tag.rpartition("}")[2],
        line_total=amount("LineExtensionAmount"),
        allowances=amount("AllowanceTotalAmount"),
        charges=amount("ChargeTotalAmount"),
        tax_basis=amount("TaxExclusiveAmount"),
        tax_total=tax_totals.get(currency, ZERO),
        tax_total_accounting=next((v for k, v in tax_totals.items() if k != currency), None),
        grand_total=amount("TaxInclusiveAmount"),
        prepaid=amount("PrepaidAmount"),
        rounding=amount("PayableRoundingAmount"),
        due_payable=amount("PayableAmount"),
    )
    for subtotal in root.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=UBL):
        key = (
            subtotal.xpath("cac:TaxCategory/cbc:ID", namespaces=UBL)[0].text,
            _rate(next(iter(subtotal.xpath("cac:TaxCategory/cbc:Percent/text()", namespaces=UBL)), None)),
        )
        base = _decimal(subtotal.xpath("cbc:TaxableAmount", namespaces=UBL))
        calculated = _decimal(subtotal.xpath("cbc:TaxAmount", namespaces=UBL))
        previous = figures.vat.get(key, (ZERO, ZERO))
        figures.vat[key] = (previous[0] + base, previous[1] + calculated)
    return figures


# --- Reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    category: str  # vat.STANDARD, vat.EXEMPT...
    rate: Decimal
    supply_kind: str
    base: Decimal
    vat: Decimal


def _codes(choices: Any) -> dict[str, str]:
    return {str(label): code for code, label in choices}


def vat_register_sales(
    account: Account, start: datetime.date, end: datetime.date, mode: str
) -> list[RegisterRow]:
    """The sales rows of the VAT register (EUR), by document date (mode "debits") or by the date VAT
    falls due ("due"), as the report's page and files show them."""
    report = queries.vat_register(account, ReportFilters(start=start, end=end, vat_mode=mode))  # type: ignore[arg-type]
    categories, natures = _codes(vat.CATEGORY_CHOICES), _codes(SupplyKind.choices)
    return [
        RegisterRow(
            categories[str(row["category"])],
            plain_rate(Decimal(str(row["rate"]))),
            natures[str(row["nature"])],
            Decimal(str(row["base"])),
            Decimal(str(row["vat"])),
        )
        for row in report.tables[0].rows
    ]


@dataclass(frozen=True)
class OssRow:
    country: str
    rate: Decimal
    supply_kind: str
    base: Decimal
    vat: Decimal


def oss_supplies(account: Account, start: datetime.date, end: datetime.date) -> list[OssRow]:
    """The rows of the OSS return's supplies table (EUR), per member state, rate and nature."""
    report = queries.oss_return(account, ReportFilters(start=start, end=end))
    natures = _codes(SupplyKind.choices)
    return [
        OssRow(
            str(row["country"]),
            plain_rate(Decimal(str(row["rate"]))),
            natures[str(row["nature"])],
            Decimal(str(row["base"])),
            Decimal(str(row["vat"])),
        )
        for row in report.tables[0].rows
    ]


# --- FEC -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FecLine:
    journal: str
    account: str
    piece: str
    label: str
    amount: Decimal  # debit − credit, EUR
    currency_amount: Decimal | None
    currency: str


def fec_lines(account: Account, start: datetime.date, end: datetime.date) -> list[FecLine]:
    """Every line of the account's FEC for the period, as the file writes them."""
    out = io.BytesIO()
    write_fec(ExportRequest(account, start, end), out)
    header, *rows = out.getvalue().decode().split("\r\n")[:-1]
    names = header.split("|")
    lines = []
    for text in rows:
        row = dict(zip(names, text.split("|"), strict=True))
        lines.append(
            FecLine(
                journal=row["JournalCode"],
                account=row["CompteNum"],
                piece=row["PieceRef"],
                label=row["EcritureLib"],
                amount=money(row["Debit"]) - money(row["Credit"]),
                currency_amount=money(row["Montantdevise"]) if row["Montantdevise"] else None,
                currency=row["Idevise"],
            )
        )
    return lines
