"""The payment statement of a document and the receipt of a payment: what a client has paid is told by
these papers, made on demand, while the issued invoice never changes."""
# ruff: noqa: F811 (the fixtures of test_pdf are imported, then named as arguments)

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from facturier.billing.models import Document
from facturier.billing.services import documents, payments
from facturier.billing.tests.factories import line
from facturier.billing.tests.test_pdf import ISSUE_DATE, actor, client, invoice, seller  # noqa: F401
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role


def text_of(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def statement_url(document: Document) -> str:
    return reverse("billing:document_statement", kwargs={"slug": document.account.slug, "pk": document.pk})


def receipt_url(payment) -> str:
    return reverse("billing:payment_receipt", kwargs={"slug": payment.account.slug, "pk": payment.pk})


def test_the_statement_lists_payments_and_credit_notes_and_what_remains(owner_client, actor, client, seller):
    document = invoice(actor, client, lines=[line("Conseil", "10", "100", "20")])  # 1 200,00 € TTC
    payments.record_payment(
        actor, seller, date=ISSUE_DATE, amount=Decimal("300"), documents=[document], reference="VIR-42"
    )
    note = documents.issue(
        actor,
        documents.create_credit_note(
            actor, document, lines=[line("Conseil", "1", "100", "20")], reason="Une journée de moins"
        ),
    )
    issued_pdf = owner_client.get(reverse("billing:document_pdf", args=[seller.slug, document.pk])).content
    document.refresh_from_db()

    response = owner_client.get(statement_url(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="releve-{document.number}.pdf"' in response["Content-Disposition"]
    text = text_of(response.content)
    assert "RELEVÉ DE RÈGLEMENTS" in text
    assert f"Facture {document.number}" in text
    assert "VIR-42" in text and "-300,00 €" in text
    assert f"Avoir {note.number}" in text and "-120,00 €" in text
    assert document.remaining == Decimal("780.00")
    assert "780,00 €" in text
    assert "n'est pas une facture" in text
    # The invoice itself is as issued: no payment on it.
    after = owner_client.get(reverse("billing:document_pdf", args=[seller.slug, document.pk])).content
    assert after == issued_pdf
    assert "780,00" not in text_of(after)


def test_an_overpaid_document_says_so(owner_client, actor, client, seller):
    document = invoice(actor, client, lines=[line("Conseil", "1", "100", "20")])
    payments.record_payment(actor, seller, date=ISSUE_DATE, amount=Decimal("120"), documents=[document])
    documents.issue(actor, documents.create_credit_note(actor, document, reason="Annulée"))
    document.refresh_from_db()

    text = text_of(owner_client.get(statement_url(document)).content)

    assert "Trop-perçu" in text and "120,00 €" in text


def test_a_document_page_links_its_statement_only_once_issued(owner_client, actor, client, seller):
    draft = invoice(actor, client, issue=False)
    issued = invoice(actor, client)
    page = reverse("billing:document_detail", args=[seller.slug, issued.pk])

    assert statement_url(issued) in owner_client.get(page).content.decode()
    assert owner_client.get(statement_url(draft)).status_code == 404
    draft_page = reverse("billing:document_detail", args=[seller.slug, draft.pk])
    assert statement_url(draft) not in owner_client.get(draft_page).content.decode()


def test_a_quote_has_no_statement(owner_client, actor, client):
    quote = invoice(actor, client, kind="estimate")

    assert owner_client.get(statement_url(quote)).status_code == 404


def test_the_receipt_acknowledges_a_payment_and_the_documents_it_settles(owner_client, actor, client, seller):
    first = invoice(actor, client, lines=[line("Conseil", "1", "100", "20")])
    second = invoice(actor, client, lines=[line("Formation", "1", "50", "20")])
    payment = payments.record_payment(
        actor, seller, date=ISSUE_DATE, amount=Decimal("180"), documents=[first, second], reference="CHQ 12"
    )
    detail = reverse("billing:payment_detail", args=[seller.slug, payment.pk])
    assert receipt_url(payment) in owner_client.get(detail).content.decode()

    response = owner_client.get(receipt_url(payment))

    assert response.status_code == 200
    text = text_of(response.content)
    assert "REÇU DE PAIEMENT" in text
    assert client.name in text and "180,00 €" in text and "CHQ 12" in text
    assert f"Facture {first.number}" in text and f"Facture {second.number}" in text


@pytest.mark.parametrize("kind", ["statement", "receipt"])
def test_another_account_sees_nothing(outsider_client, actor, client, seller, kind):
    document = invoice(actor, client)
    payment = payments.record_payment(
        actor, seller, date=ISSUE_DATE, amount=Decimal("10"), documents=[document]
    )

    url = statement_url(document) if kind == "statement" else receipt_url(payment)

    assert outsider_client.get(url).status_code == 404


def test_a_member_who_may_not_see_sales_or_payments_is_refused(actor, client, seller):
    from facturier.conftest import logged_in, make_user

    role = Role.objects.create(account=seller, name="Achats", permissions=["purchases.view"])
    user = make_user("paul@acme.test")
    Membership.objects.create(account=seller, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    document = invoice(actor, client)
    payment = payments.record_payment(
        actor, seller, date=ISSUE_DATE, amount=Decimal("10"), documents=[document]
    )

    assert logged_in(user).get(statement_url(document)).status_code == 403
    assert logged_in(user).get(receipt_url(payment)).status_code == 403
