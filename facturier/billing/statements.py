"""Payment statements and payment receipts as PDF.

An issued invoice never changes (billing/issued.py): what a client has paid since is told by the
document page and by these two papers, made on demand from the state of the books when asked, and
never kept. The payment statement ("relevé de règlements") of a document lists what it asked for,
each payment and credit note that settled part of it, and what remains; the payment receipt ("reçu de
paiement") acknowledges one payment and the documents it settled. Both read the document's rules
(Document.amount_due, .remaining) and lay out with billing/typst/statement.typ.
"""

import datetime
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from facturier.billing import pdf
from facturier.billing.models import PAYABLE_KINDS, Document, Kind, Payment, PaymentMethod, Status
from facturier.lib.money import ZERO

TEMPLATE = Path(__file__).parent / "typst" / "statement.typ"


def has_statement(document: Document) -> bool:
    """Only an issued document that asks for money has payments to state."""
    return document.kind in PAYABLE_KINDS and document.status != Status.DRAFT


def document_statement_pdf(document: Document, today: datetime.date) -> bytes:
    """The payment statement of an issued payable document as of `today`, in the document's language."""
    letterhead = pdf.letterhead_of(document.account)
    with translation.override(document.language):
        payload = _statement(document, today, letterhead)
    return pdf.render_payload(payload, letterhead.logo, TEMPLATE)


def payment_receipt_pdf(payment: Payment, today: datetime.date) -> bytes:
    """The receipt of a payment, in the language of the first document it settles."""
    allocations = list(payment.allocations.select_related("document").order_by("document__issue_date", "id"))
    letterhead = pdf.letterhead_of(payment.account)
    language = allocations[0].document.language if allocations else translation.get_language() or "fr"
    with translation.override(language):
        payload = _receipt(payment, allocations, today, letterhead)
    return pdf.render_payload(payload, letterhead.logo, TEMPLATE)


def statement_filename(document: Document) -> str:
    return f"releve-{pdf.pdf_filename(document)}"


def receipt_filename(payment: Payment) -> str:
    return f"recu-paiement-{payment.date.isoformat()}-{payment.pk}.pdf"


# --- What they print ------------------------------------------------------------------------------


def _statement(document: Document, today: datetime.date, letterhead: pdf.Letterhead) -> dict[str, Any]:
    fmt = pdf.Formatter(document.language, document.currency)
    seller = pdf.seller_identity(document, letterhead.settings)
    buyer = pdf.buyer_block(document, seller)
    name = f"{document.get_kind_display()} {document.number}"
    events: list[tuple[datetime.date, int, list[str]]] = []
    for allocation in document.allocations.select_related("payment").order_by("payment__date", "id"):
        payment = allocation.payment
        label = _("Paiement (%(method)s)") % {"method": PaymentMethod(payment.method).label}
        events.append(
            (
                payment.date,
                1,
                [fmt.date(payment.date), label, payment.reference, fmt.money(-allocation.amount)],
            )
        )
    notes = Document.objects.filter(
        account_id=document.account_id, corrected_document=document, kind=Kind.CREDIT_NOTE
    ).exclude(status=Status.DRAFT)
    for note in notes.order_by("issue_date", "id"):
        label = _("Avoir %(number)s") % {"number": note.number}
        events.append(
            (
                note.issue_date,
                2,
                [fmt.date(note.issue_date), label, note.correction_reason, fmt.money(note.amount_due)],
            )
        )
    events.sort(key=lambda event: (event[0], event[1]))
    first = [fmt.date(document.issue_date), name, document.buyer_reference, fmt.money(document.amount_due)]
    remaining = document.remaining
    totals = [
        _row(_("Montant dû"), fmt.money(document.amount_due)),
        _row(_("Réglé"), fmt.money(-document.paid_total)),
    ]
    if document.credited_total:
        totals.append(_row(_("Crédité par avoir"), fmt.money(-document.credited_total)))
    if remaining < 0:
        totals.append(_row(_("Trop-perçu"), fmt.money(-remaining), strong=True))
    else:
        label = _("Reste à payer au %(date)s") % {"date": fmt.date(today)}
        totals.append(_row(label, fmt.money(remaining), strong=True))
    facts = [(_("Établi le"), fmt.date(today)), (_("Date d'émission"), fmt.date(document.issue_date))]
    if document.due_date:
        facts.append((_("Date d'échéance"), fmt.date(document.due_date)))
    return {
        "lang": document.language,
        "title": _("RELEVÉ DE RÈGLEMENTS"),
        "subtitle": name,
        "doc_title": f"{_('Relevé de règlements')} {name}",
        "seller": pdf.seller_block(seller, buyer["country"]),
        "buyer": buyer,
        "facts": facts,
        "intro": "",
        "columns": [_("Date"), _("Opération"), _("Référence"), _("Montant")],
        "rows": [first, *(row for _day, _order, row in events)],
        "totals": totals,
        "note": _(
            "Ce relevé n'est pas une facture : il indique les règlements reçus à la date où il est établi."
        ),
        "footer": pdf.legal_footer(seller, fmt),
    }


def _receipt(
    payment: Payment, allocations: list[Any], today: datetime.date, letterhead: pdf.Letterhead
) -> dict[str, Any]:
    language = translation.get_language() or "fr"
    fmt = pdf.Formatter(language, payment.currency)
    method = str(PaymentMethod(payment.method).label)
    if allocations:
        first = allocations[0].document
        seller = pdf.seller_identity(first, letterhead.settings)
        buyer = pdf.buyer_block(first, seller)
    else:
        seller = pdf.current_seller(payment.account, letterhead.settings)
        buyer = _client_block(payment, seller)
    rows = [
        [
            fmt.date(allocation.document.issue_date),
            f"{allocation.document.get_kind_display()} {allocation.document.number}",
            fmt.money(allocation.document.amount_due),
            fmt.money(allocation.amount),
        ]
        for allocation in allocations
    ]
    allocated = sum((allocation.amount for allocation in allocations), ZERO)
    totals = [_row(_("Montant reçu"), fmt.money(payment.amount), strong=True)]
    if allocated != payment.amount:
        totals.append(_row(_("Non affecté à un document"), fmt.money(payment.amount - allocated)))
    facts = [(_("Date du paiement"), fmt.date(payment.date)), (_("Mode de paiement"), method)]
    if payment.reference:
        facts.append((_("Référence"), payment.reference))
    facts.append((_("Établi le"), fmt.date(today)))
    intro = _("Nous avons reçu de %(payer)s la somme de %(amount)s, réglée par %(method)s le %(date)s.") % {
        "payer": buyer["name"],
        "amount": fmt.money(payment.amount),
        "method": method.lower(),
        "date": fmt.date(payment.date),
    }
    return {
        "lang": language,
        "title": _("REÇU DE PAIEMENT"),
        "subtitle": "",
        "doc_title": _("Reçu de paiement du %(date)s") % {"date": fmt.date(payment.date)},
        "seller": pdf.seller_block(seller, buyer["country"]),
        "buyer": buyer,
        "facts": facts,
        "intro": intro,
        "columns": [_("Date"), _("Document réglé"), _("Montant dû"), _("Réglé par ce paiement")],
        "rows": rows,
        "totals": totals,
        "note": "",
        "footer": pdf.legal_footer(seller, fmt),
    }


def _client_block(payment: Payment, seller: dict[str, Any]) -> dict[str, Any]:
    """The payer of a payment that settles no document: its client as it is now."""
    client = payment.client
    if client is None:
        return {"label": _("Client"), "name": "", "lines": [], "ids": [], "country": seller["country"]}
    lines = pdf.address_lines(
        client.street, client.post_code, client.city, client.country, client.country != seller["country"]
    )
    return {"label": _("Client"), "name": client.name, "lines": lines, "ids": [], "country": client.country}


def _row(label: str, value: str, strong: bool = False) -> dict[str, Any]:
    return {"label": label, "value": value, "strong": strong}
