"""Sending an invoice by email attaches its Factur-X when the account chooses it and the invoice is
complete; otherwise the plain PDF, under the same name."""

import datetime
import io

import pytest
from django.core import mail
from pypdf import PdfReader

from facturier.billing.services.sending import send_document
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.einvoice.settings_page import update_einvoice_settings
from facturier.tenancy.access import Actor

DAY = datetime.date(2026, 11, 2)


def send(actor, document):
    send_document(
        actor, document, to=["compta@dupont.test"], cc=[], subject="Votre facture", body="Ci-joint."
    )
    (message,) = mail.outbox
    (attachment,) = message.attachments
    return attachment


def embedded(content: bytes) -> list[str]:
    return list(PdfReader(io.BytesIO(content)).attachments)


@pytest.fixture
def actor(seller, owner):
    return actor_for(seller, owner)


def test_a_complete_invoice_is_sent_as_facturx(actor, french_buyer):
    invoice = make_invoice(actor, french_buyer, [line("Conseil", "1", "100", "20")], issue_date=DAY)

    filename, content, mimetype = send(actor, invoice)

    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert embedded(content) == ["factur-x.xml"]


def test_the_plain_pdf_is_sent_when_the_account_does_not_attach_facturx(actor, seller, french_buyer):
    update_einvoice_settings(Actor.system(), seller, {"attach_to_emails": False})
    invoice = make_invoice(actor, french_buyer, [line("Conseil", "1", "100", "20")], issue_date=DAY)

    filename, content, _mimetype = send(actor, invoice)

    assert filename == f"{invoice.number}.pdf"
    assert content.startswith(b"%PDF") and embedded(content) == []


def test_an_incomplete_invoice_is_sent_as_the_plain_pdf(actor, seller):
    buyer = make_client(seller, name="Lefèvre SARL", siren="404833048", vat_number="")
    invoice = make_invoice(actor, buyer, [line("Offert", "1", "0", "20")], issue_date=DAY)

    filename, content, _mimetype = send(actor, invoice)

    assert filename == f"{invoice.number}.pdf"
    assert embedded(content) == []


def test_a_quote_is_sent_as_the_plain_pdf(actor, french_buyer):
    quote = make_invoice(actor, french_buyer, kind="estimate", issue_date=DAY)

    filename, content, _mimetype = send(actor, quote)

    assert filename == f"{quote.number}.pdf"
    assert embedded(content) == []
