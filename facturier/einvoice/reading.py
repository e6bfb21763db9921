"""Reading a received e-invoice: a Factur-X / ZUGFeRD 2 PDF, a bare CII XML, or a UBL 2.1 Invoice or
CreditNote, into a plain `ReceivedInvoice`.

A received file is untrusted: the XML is parsed without network, DTD or entity expansion (a DOCTYPE is
refused outright: no e-invoice has one), checked against its XSD (validation.xsd_errors), read through
factur-x's EN 16931 mapping (`parse_ubl_cii_xml`, the same BT-keyed structure it generates from), and
its arithmetic is checked (lines, allowances and charges against the net total, the VAT breakdown
against the VAT total, net + VAT against the gross total, within a cent). Anything else raises a
ReadError whose message says, in the user's language, why the file is not a valid e-invoice.
"""

import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.utils import formats
from django.utils.translation import gettext as _
from facturx import parse_ubl_cii_xml, xml_check_xsd
from facturx.generate_xml import CREDIT_NOTE_TYPE_CODES
from lxml import etree
from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from facturier.einvoice import validation
from facturier.lib import uploads
from facturier.lib.money import CENT, ZERO, round_money

# The name of the embedded XML: Factur-X, then ZUGFeRD 2.x (the same standard), case-insensitive.
EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
# How a Factur-X / ZUGFeRD 2 catalogue relates its XML to the PDF (/AF, /AFRelationship).
AF_RELATIONSHIPS = ("/Data", "/Alternative", "/Source")
# CII profiles with invoice lines; MINIMUM and BASIC WL carry only totals (regulatory.md §3.2).
CII_PROFILES_WITH_LINES = {"basic", "en16931", "extended", "extended-ctc-fr"}
TOLERANCE = CENT


class ReadError(ValueError):
    """The file is not a valid e-invoice; the message says why, for the user."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(_("Ce fichier n'est pas une facture électronique : %(reason)s") % {"reason": reason})

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Party:
    name: str
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    street: str = ""
    post_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""


@dataclass(frozen=True)
class ReceivedLine:
    name: str
    quantity: Decimal
    unit_price: Decimal  # net price of one unit (BT-146 / BT-149)
    net_amount: Decimal  # BT-131, line allowances and charges included
    vat_rate: Decimal
    vat_category: str


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level allowance (BG-20, negative effect) or charge (BG-21)."""

    is_charge: bool
    amount: Decimal
    vat_rate: Decimal
    vat_category: str
    reason: str = ""


@dataclass(frozen=True)
class VatBreakdown:
    base: Decimal
    vat_amount: Decimal
    vat_rate: Decimal
    vat_category: str
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass
class ReceivedInvoice:
    kind: Literal["invoice", "credit_note"]
    syntax: Literal["cii", "ubl"]
    profile: str  # "en16931", "basic", "extended"... for CII; the BT-24 of a UBL
    container: Literal["facturx", "xml"]
    type_code: str
    number: str
    issue_date: datetime.date
    due_date: datetime.date | None
    delivery_date: datetime.date | None
    currency: str
    seller: Party
    buyer: Party
    lines: list[ReceivedLine]
    allowances_charges: list[AllowanceCharge]
    vat_breakdown: list[VatBreakdown]
    net_total: Decimal  # BT-109
    vat_total: Decimal  # BT-110
    gross_total: Decimal  # BT-112
    amount_due: Decimal  # BT-115
    prepaid: Decimal = ZERO  # BT-113
    rounding: Decimal = ZERO  # BT-114
    tax_currency: str = ""  # BT-6, when VAT is also stated in another currency
    vat_total_in_tax_currency: Decimal | None = None  # BT-111
    payment_terms: str = ""  # BT-20
    preceding_invoices: list[tuple[str, datetime.date | None]] = field(default_factory=list)  # BG-3
    xml: bytes = b""

    @property
    def format_label(self) -> str:
        if self.container == "facturx":
            return f"Factur-X ({self.profile.upper().replace('EN16931', 'EN 16931')})"
        return "CII" if self.syntax == "cii" else "UBL"


# --- The file -----------------------------------------------------------------------------------


def read(content: bytes) -> ReceivedInvoice:
    """The e-invoice in `content` (a PDF with embedded XML, or the XML itself); ReadError if none."""
    xml = invoice_xml(content)
    return _read_xml(xml, container="facturx" if xml is not content else "xml")


def invoice_xml(content: bytes) -> bytes:
    """The invoice XML of `content`, read within the upload limits: the one a Factur-X PDF embeds
    (_xml_from_pdf), or `content` itself when it is no PDF; ReadError when there is none, or past a
    limit. What the import and `manage.py check_einvoice` read."""
    if not content.strip():
        raise ReadError(_("le fichier est vide."))
    if content.startswith(b"%PDF-"):
        return _xml_from_pdf(content)
    limit = uploads.limits().xml_bytes
    if len(content) > limit:
        raise ReadError(_("ce XML dépasse %(max)s.") % {"max": uploads.size_label(limit)})
    return content


def _xml_from_pdf(content: bytes) -> bytes:
    """The invoice XML of a Factur-X: the one embedded file its catalogue names as the invoice (/AF with
    an /AFRelationship, else the EmbeddedFiles name tree), by one of EMBEDDED_NAMES. No other embedded
    file is inflated, and this one only up to the XML limit, chunk by chunk; pypdf's own limits are
    lowered while it reads the rest, so a small PDF cannot make the process hold much more than itself."""
    limits = uploads.limits()
    bounded = uploads.bounded_pdf()
    try:
        with bounded:
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted:
                raise ReadError(
                    _("ce PDF est chiffré ou protégé par un mot de passe, ce qu'une Factur-X n'est jamais.")
                )
            _check_pages(reader, limits.pdf_pages)
            stream = _invoice_stream(reader.root_object, limits.pdf_embedded_files)
            if stream is None:
                raise ReadError(
                    _(
                        "ce PDF ne contient pas de fichier factur-x.xml : c'est un PDF ordinaire, pas une Factur-X."
                    )
                )
            return _stream_content(stream, limits.xml_bytes)
    except ReadError:
        raise
    except LimitReachedError:
        raise ReadError(
            _("ce PDF dépasse ce que Facturier accepte de lire (pages, objets ou données compressées).")
        ) from None
    except Exception:  # a malformed PDF can fail anywhere in pypdf; all mean the same to the user
        raise ReadError(_("ce PDF est illisible.")) from None


def _check_pages(reader: PdfReader, maximum: int) -> None:
    # The declared count first: a lie of a billion pages is refused before the page tree is walked.
    declared = _get(_get(reader.root_object, "/Pages"), "/Count")
    count = declared if isinstance(declared, int) and declared > maximum else len(reader.pages)
    if count > maximum:
        raise ReadError(
            _("ce PDF a %(count)s pages : une facture reçue en a %(max)s au plus.")
            % {
                "count": formats.number_format(count, force_grouping=True),
                "max": formats.number_format(maximum, force_grouping=True),
            }
        )


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _get(dictionary: Any, key: str) -> Any:
    """dictionary[key] resolved, None when absent or when `dictionary` is not one (a damaged file)."""
    return _resolved(dictionary.get(key)) if isinstance(dictionary, DictionaryObject) else None


def _filespec_name(filespec: DictionaryObject) -> str:
    for key in ("/UF", "/F"):
        value = _get(filespec, key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return ""


def _invoice_stream(catalog: DictionaryObject, maximum: int) -> StreamObject | None:
    """The stream of the invoice XML, looked for among at most `maximum` embedded files: first the
    catalogue's associated files (/AF) whose relationship is the invoice's, then the EmbeddedFiles name
    tree (ZUGFeRD 2 and generators that write no /AF). The first name of EMBEDDED_NAMES wins."""
    found: dict[str, DictionaryObject] = {}
    looked = 0

    def consider(filespec: Any) -> None:
        nonlocal looked
        looked += 1
        if looked > maximum:
            raise ReadError(
                _("ce PDF contient plus de %(max)d fichiers joints : une Factur-X n'en a que quelques-uns.")
                % {"max": maximum}
            )
        filespec = _resolved(filespec)
        if isinstance(filespec, DictionaryObject):
            name = _filespec_name(filespec)
            if name in EMBEDDED_NAMES:
                found.setdefault(name, filespec)

    associated = _get(catalog, "/AF")
    for entry in associated if isinstance(associated, ArrayObject) else []:
        if _get(_resolved(entry), "/AFRelationship") in AF_RELATIONSHIPS:
            consider(entry)
    if not found:
        _walk_name_tree(_get(_get(catalog, "/Names"), "/EmbeddedFiles"), consider)
    for name in EMBEDDED_NAMES:
        files = _get(found.get(name), "/EF")
        stream = _get(files, "/UF") or _get(files, "/F")
        if isinstance(stream, StreamObject):
            return stream
    return None


NAME_TREE_MAX_DEPTH = 8


def _walk_name_tree(root: Any, consider: Callable[[Any], None]) -> None:
    """Each value of a name tree (here: file specifications), depth first, with no recursion; a node met
    twice (a loop) or deeper than NAME_TREE_MAX_DEPTH is not followed."""
    pending = [(root, 0)]
    seen: set[int] = set()
    while pending:
        node, depth = pending.pop()
        node = _resolved(node)
        if not isinstance(node, DictionaryObject) or id(node) in seen or depth > NAME_TREE_MAX_DEPTH:
            continue
        seen.add(id(node))
        leaves = _get(node, "/Names")
        if isinstance(leaves, ArrayObject):
            for index in range(1, len(leaves), 2):  # [name, file specification, name, ...]
                consider(leaves[index])
        kids = _get(node, "/Kids")
        if isinstance(kids, ArrayObject):
            pending.extend((kid, depth + 1) for kid in reversed(kids))


def _stream_content(stream: StreamObject, limit: int) -> bytes:
    """The stream's bytes, inflated here by chunks up to `limit` rather than by pypdf (which would
    inflate a bomb up to its own, much higher, limit first). Only plain and /FlateDecode streams: what
    every Factur-X and ZUGFeRD writer produces."""
    too_large = ReadError(
        _("le XML contenu dans ce PDF dépasse %(max)s.") % {"max": uploads.size_label(limit)}
    )
    filters = _get(stream, "/Filter")
    names = (
        [str(f) for f in filters] if isinstance(filters, ArrayObject) else [str(filters)] if filters else []
    )
    raw = stream._data  # the bytes as stored, before any filter; pypdf has no public name for them
    if not names:
        if len(raw) > limit:
            raise too_large
        return bytes(raw)
    parameters = _get(stream, "/DecodeParms")
    if names not in (["/FlateDecode"], ["/Fl"]) or parameters:
        raise ReadError(
            _("le XML de ce PDF est codé d'une façon que Facturier ne lit pas (%(filters)s).")
            % {"filters": " ".join(names)}
        )
    try:
        return uploads.inflate(raw, limit)
    except uploads.LimitExceeded:
        raise too_large from None


def parse_xml(content: bytes) -> Any:
    """The root element of untrusted XML: no network, no DTD, no entity expansion, no huge trees."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        raise ReadError(_("ce n'est ni un PDF Factur-X, ni un fichier XML lisible.")) from None
    if root is None:
        raise ReadError(_("ce n'est ni un PDF Factur-X, ni un fichier XML lisible."))
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        raise ReadError(_("le XML déclare une DTD, ce qu'aucune facture électronique ne fait."))
    return root


def _read_xml(content: bytes, *, container: Literal["facturx", "xml"]) -> ReceivedInvoice:
    root = parse_xml(content)
    try:
        syntax = validation.flavor_of(root)
    except validation.InvalidXml:
        raise ReadError(
            _("ce XML n'est ni une facture CII (Factur-X) ni une facture ou un avoir UBL 2.1.")
        ) from None
    flavor = "factur-x" if syntax == "cii" else f"ubl-2.1-{etree.QName(root).localname.lower()}"
    profile = _profile(root, syntax)
    _check_xsd(content, root, syntax, profile)
    try:
        # The level only filters which fields are looked for: a UBL is read as EN 16931.
        level = profile if syntax == "cii" else "en16931"
        data = parse_ubl_cii_xml(root, flavor=flavor, level=level, check_xsd=False)
    except Exception:  # factur-x raises bare Exceptions on values it cannot read (dates...)
        raise ReadError(_("certaines valeurs du XML ne peuvent pas être lues (dates, montants).")) from None
    invoice = _invoice(data, syntax, profile, container)
    invoice.xml = content
    check_arithmetic(invoice)
    return invoice


# BT-24 of the Factur-X profiles without lines, and of the French CTC extension.
OTHER_GUIDELINES = {
    "urn:factur-x.eu:1p0:minimum": "minimum",
    "urn:factur-x.eu:1p0:basicwl": "basicwl",
    "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr": "extended-ctc-fr",
}


def _profile(root: Any, syntax: str) -> str:
    """The CII profile its BT-24 declares; another specification built on EN 16931 (XRechnung...) is
    read as EN 16931."""
    if syntax == "ubl":
        return "ubl"
    guideline = " ".join(
        str(
            root.xpath(
                "string(*[local-name()='ExchangedDocumentContext']"
                "/*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID'])"
            )
        ).split()
    )
    known = {urn: profile for profile, urn in validation.GUIDELINES.items()} | OTHER_GUIDELINES
    level = known.get(guideline) or ("en16931" if guideline.startswith("urn:cen.eu:en16931:2017") else "")
    if not level:
        raise ReadError(_("le profil Factur-X (BT-24) est absent ou inconnu."))
    if level not in CII_PROFILES_WITH_LINES:
        raise ReadError(
            _(
                "le profil Factur-X %(profile)s ne contient pas les lignes de la facture : "
                "demandez au fournisseur une Factur-X BASIC, EN 16931 ou EXTENDED."
            )
            % {"profile": level.upper()}
        )
    return level


def _check_xsd(content: bytes, root: Any, syntax: Literal["cii", "ubl"], profile: str) -> None:
    if syntax == "cii" and profile not in validation.CII_XSD:
        try:  # the French EXTENDED-CTC-FR profile: factur-x's own XSD
            xml_check_xsd(root, flavor="factur-x", level=profile)
        except Exception as error:  # factur-x raises a bare Exception with the XSD's message
            raise ReadError(
                _("le XML ne respecte pas son schéma (XSD) : %(error)s") % {"error": error}
            ) from None
        return
    errors = validation.xsd_errors(content, syntax, profile if syntax == "cii" else "en16931")
    if errors:
        more = len(errors) - 1
        detail = errors[0] + (_(" (et %(count)d autre(s) erreur(s))") % {"count": more} if more else "")
        raise ReadError(_("le XML ne respecte pas son schéma (XSD) : %(error)s") % {"error": detail})


# --- From factur-x's BT dictionary --------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value or "").split())


def _amount(value: Any, what: str, *, required: bool = True) -> Decimal:
    text = _text(value)
    if not text:
        if required:
            raise ReadError(_("le montant « %(what)s » manque.") % {"what": what})
        return ZERO
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ReadError(_("le montant « %(what)s » n'est pas un nombre.") % {"what": what}) from None
    if not number.is_finite():
        raise ReadError(_("le montant « %(what)s » n'est pas un nombre.") % {"what": what})
    return number


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, datetime.date) else None


def _party(data: Any) -> Party:
    data = data if isinstance(data, dict) else {}
    siren = siret = ""
    legal, scheme = _text(data.get("legal_identifier")), _text(data.get("legal_identifier_schemeid"))
    if scheme == "0002":
        siren = legal
    elif scheme == "0009":
        siret = legal
    identifiers = data.get("identifiers") if isinstance(data.get("identifiers"), dict) else {}
    siret = siret or _text(identifiers.get("0009"))
    siren = siren or _text(identifiers.get("0002")) or siret[:9]
    contacts = data.get("contacts") if isinstance(data.get("contacts"), list) else []
    email = next((_text(c.get("email")) for c in contacts if isinstance(c, dict) and c.get("email")), "")
    if not email and _text(data.get("einvoicing_addr_schemeid")) == "EM":
        email = _text(data.get("einvoicing_addr"))
    street = ", ".join(part for part in (_text(data.get(f"addr_l{n}")) for n in (1, 2, 3)) if part)
    return Party(
        name=_text(data.get("name")) or _text(data.get("biz_name")),
        siren=siren.replace(" ", ""),
        siret=siret.replace(" ", ""),
        vat_number=_text(data.get("vat_identifier")).replace(" ", "").upper(),
        street=street,
        post_code=_text(data.get("postcode")),
        city=_text(data.get("city")),
        country=_text(data.get("country_code")).upper(),
        email=email,
    )


def _entries(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value or [] if isinstance(entry, dict)] if isinstance(value, list) else []


def _category(value: Any) -> str:
    return _text(value).upper()


def _line(entry: dict[str, Any], position: int) -> ReceivedLine:
    what = _("ligne %(n)d") % {"n": position}
    quantity = _amount(entry.get("BT-129"), what)
    price = _amount(entry.get("BT-146"), what)
    base_quantity = _amount(entry.get("BT-149"), what, required=False) or Decimal(1)
    name = _text(entry.get("BT-153")) or _text(entry.get("BT-154"))
    return ReceivedLine(
        name=name or what,
        quantity=quantity,
        unit_price=price / base_quantity,
        net_amount=_amount(entry.get("BT-131"), what),
        vat_rate=_amount(entry.get("BT-152"), what, required=False),
        vat_category=_category(entry.get("BT-151")),
    )


def _allowance_charge(entry: dict[str, Any], *, is_charge: bool) -> AllowanceCharge:
    what = _("frais") if is_charge else _("remise")
    return AllowanceCharge(
        is_charge=is_charge,
        amount=_amount(entry.get("amount"), what),
        vat_rate=_amount(entry.get("vat_rate"), what, required=False),
        vat_category=_category(entry.get("vat_category_code")),
        reason=_text(entry.get("reason")) or _text(entry.get("reason_code")),
    )


def _invoice(
    data: dict[str, Any], syntax: Literal["cii", "ubl"], profile: str, container: Literal["facturx", "xml"]
) -> ReceivedInvoice:
    number = _text(data.get("BT-1"))
    issue_date = _date(data.get("BT-2"))
    if not number or issue_date is None:
        raise ReadError(_("le numéro ou la date de la facture manque."))
    type_code = _text(data.get("BT-3"))
    seller, buyer = _party(data.get("BG-4")), _party(data.get("BG-7"))
    if not seller.name:
        raise ReadError(_("le nom du fournisseur (vendeur) manque."))
    lines = [_line(entry, n) for n, entry in enumerate(_entries(data.get("BG-25")), start=1)]
    if not lines:
        raise ReadError(_("la facture n'a aucune ligne."))
    breakdown = [
        VatBreakdown(
            base=_amount(entry.get("BT-116"), _("base de TVA")),
            vat_amount=_amount(entry.get("BT-117"), _("montant de TVA")),
            vat_rate=_amount(entry.get("BT-119"), _("taux de TVA"), required=False),
            vat_category=_category(entry.get("BT-118")),
            exemption_reason=_text(entry.get("BT-120")),
            exemption_code=_text(entry.get("BT-121")),
        )
        for entry in _entries(data.get("BG-23"))
    ]
    if not breakdown:
        raise ReadError(_("la ventilation de la TVA manque."))
    return ReceivedInvoice(
        kind="credit_note" if type_code in CREDIT_NOTE_TYPE_CODES else "invoice",
        syntax=syntax,
        profile=profile,
        container=container,
        type_code=type_code,
        number=number,
        issue_date=issue_date,
        due_date=_date(data.get("BT-9")),
        delivery_date=_date(data.get("BT-72")),
        currency=_text(data.get("BT-5")).upper(),
        seller=seller,
        buyer=buyer,
        lines=lines,
        allowances_charges=[
            *(_allowance_charge(e, is_charge=False) for e in _entries(data.get("BG-20"))),
            *(_allowance_charge(e, is_charge=True) for e in _entries(data.get("BG-21"))),
        ],
        vat_breakdown=breakdown,
        net_total=_amount(data.get("BT-109"), _("total HT")),
        vat_total=_amount(data.get("BT-110"), _("total de la TVA"), required=False),
        gross_total=_amount(data.get("BT-112"), _("total TTC")),
        amount_due=_amount(data.get("BT-115"), _("montant à payer")),
        prepaid=_amount(data.get("BT-113"), _("montant déjà payé"), required=False),
        rounding=_amount(data.get("BT-114"), _("arrondi"), required=False),
        tax_currency=_text(data.get("BT-6")).upper(),
        vat_total_in_tax_currency=(
            _amount(data.get("BT-111"), _("TVA en devise de comptabilité")) if data.get("BT-111") else None
        ),
        payment_terms=_text(data.get("BT-20")),
        preceding_invoices=[
            (_text(entry.get("BT-25")), _date(entry.get("BT-26")))
            for entry in _entries(data.get("BG-3"))
            if _text(entry.get("BT-25"))
        ],
    )


# --- Arithmetic ---------------------------------------------------------------------------------


def _total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def _differs(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) > TOLERANCE


def check_arithmetic(invoice: ReceivedInvoice) -> None:
    """The totals must follow from the lines (EN 16931 BR-CO-10 to BR-CO-17), within a cent."""

    def refuse(what: str, found: Decimal, expected: Decimal) -> None:
        raise ReadError(
            _("%(what)s vaut %(found)s alors que le calcul donne %(expected)s.")
            % {"what": what, "found": found, "expected": expected}
        )

    lines = _total(line.net_amount for line in invoice.lines)
    allowances = _total(a.amount for a in invoice.allowances_charges if not a.is_charge)
    charges = _total(a.amount for a in invoice.allowances_charges if a.is_charge)
    if _differs(invoice.net_total, lines - allowances + charges):
        refuse(_("le total HT"), invoice.net_total, lines - allowances + charges)
    bases = _total(row.base for row in invoice.vat_breakdown)
    if _differs(bases, invoice.net_total):
        refuse(_("la somme des bases de TVA"), bases, invoice.net_total)
    for row in invoice.vat_breakdown:
        expected = (
            round_money(row.base * row.vat_rate / 100, invoice.currency) if row.vat_category == "S" else ZERO
        )
        if _differs(row.vat_amount, expected):
            refuse(_("la TVA à %(rate)s %%") % {"rate": row.vat_rate}, row.vat_amount, expected)
    vat = _total(row.vat_amount for row in invoice.vat_breakdown)
    if _differs(invoice.vat_total, vat):
        refuse(_("le total de la TVA"), invoice.vat_total, vat)
    if _differs(invoice.gross_total, invoice.net_total + invoice.vat_total):
        refuse(_("le total TTC"), invoice.gross_total, invoice.net_total + invoice.vat_total)
    due = invoice.gross_total - invoice.prepaid + invoice.rounding
    if _differs(invoice.amount_due, due):
        refuse(_("le montant à payer"), invoice.amount_due, due)
