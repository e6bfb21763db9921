"""The README's statuses and sending rules: `partial` follows the payments, `send_by_email` needs
`force` only after an email (not after a document was only marked sent)."""

import pytest
from django.core import mail

from facturier.billing.models import Status
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice


@pytest.fixture
def invoice(acme, owner):
    return make_invoice(actor_for(acme, owner), make_client(acme), lines=[line("Conseil", "1", "100", "20")])


def test_change_status_to_partial_says_to_record_the_payment(owner_api, invoice):
    response = owner_api.post(f"/invoices/{invoice.pk}/change_status.json?status=partial", {})
    assert response.status_code == 422
    [message] = response.json()["message"]["status"]
    assert "/banking/payments.json" in message and str(invoice.pk) in message
    invoice.refresh_from_db()
    assert invoice.status == Status.ISSUED


def test_change_status_to_partial_is_accepted_when_the_payments_make_it_so(owner_api, invoice):
    paid = owner_api.post(
        "/banking/payments.json", {"banking_payment": {"price": "50", "invoice_id": invoice.pk}}
    )
    assert paid.status_code == 201
    response = owner_api.post(f"/invoices/{invoice.pk}/change_status.json?status=partial", {})
    assert response.status_code == 200
    assert response.json()["status"] == "partial"


def test_a_document_only_marked_sent_is_emailed_without_force(owner_api, invoice):
    marked = owner_api.post(f"/invoices/{invoice.pk}/change_status.json?status=sent", {})
    assert marked.json()["status"] == "sent"
    assert mail.outbox == []

    first = owner_api.post(f"/invoices/{invoice.pk}/send_by_email.json?email_to=a@b.test", {})
    assert (first.status_code, first.json()) == (200, {"status": "ok"})
    again = owner_api.post(f"/invoices/{invoice.pk}/send_by_email.json?email_to=a@b.test", {})
    assert again.status_code == 422 and "force" in again.json()["message"]
    forced = owner_api.post(f"/invoices/{invoice.pk}/send_by_email.json?email_to=a@b.test&force=true", {})
    assert forced.status_code == 200
    assert len(mail.outbox) == 2
