"""Checks before issuing (issue 8 §3): a warning while e-invoicing is optional for the account, a
refusal at issue once it issues e-invoices, on the form, the document page and through the service."""

import datetime
import html

import pytest
from django.urls import reverse

from facturier.billing.models import Document, Status
from facturier.billing.services.documents import issue
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.einvoice import checks
from facturier.einvoice.policy import ensure_einvoice_ready
from facturier.einvoice.settings_page import update_einvoice_settings
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def actor(seller, owner):
    return actor_for(seller, owner)


@pytest.fixture
def buyer(seller):
    return make_client(seller, name="Lefèvre SARL", siren="404833048", vat_number="")


@pytest.fixture
def draft(actor, buyer):
    return make_invoice(actor, buyer, [line("Offert", "1", "0", "20")], issue=False, issue_date=DAY)


@pytest.fixture
def issuing_account(seller):
    update_einvoice_settings(Actor.system(), seller, {"issues_einvoices": True})
    return seller


def edit_url(document):
    return reverse("billing:document_edit", args=[document.account.slug, document.pk])


def detail_url(document):
    return reverse("billing:document_detail", args=[document.account.slug, document.pk])


def form_data(document, client_id, action):
    """The draft form as the page posts it, one line."""
    data = {
        "kind": document.kind,
        "client": str(client_id),
        "issue_date": document.issue_date.isoformat(),
        "currency": "EUR",
        "language": "fr",
        "payment_method": "transfer",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
        "action": action,
    }
    for name in ("sell_date", "due_date", "valid_until", "exchange_rate", "buyer_reference", "notes"):
        data[name] = ""
    for name in ("delivery_street", "delivery_post_code", "delivery_city", "delivery_country"):
        data[name] = ""
    data |= {"internal_note": "", "email_to": ""}
    row = {
        "product": "",
        "name": "Conseil",
        "description": "",
        "quantity": "2",  # changed: a line the same as the stored one counts as untouched
        "unit": "",
        "unit_price": "0",  # a free line: a legal invoice, but no e-invoice (BR-FR-DEC-03)
        "discount_percent": "0",
        "vat": "FR:20",
        "vat_category": "S",
        "exemption_reason": "",
        "supply_kind": "service",
    }
    data |= {f"lines-0-{name}": value for name, value in row.items()}
    return data


def test_while_optional_an_incomplete_invoice_is_issued_and_the_form_warns(owner_client, actor, draft):
    problems = checks.einvoice_problems(draft)
    assert problems

    page = html.unescape(owner_client.get(edit_url(draft)).content.decode())
    assert "Pour la facturation électronique, ce document est incomplet" in page
    assert all(problem in page for problem in problems)

    issued = issue(actor, draft)
    assert issued.status == Status.ISSUED and issued.number


def test_once_the_account_issues_einvoices_the_service_refuses_with_the_problems(
    issuing_account, actor, draft
):
    problems = checks.einvoice_problems(draft)

    with pytest.raises(ServiceError) as refused:
        issue(actor, draft)

    assert all(problem in refused.value.message for problem in problems)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.number == ""
    assert not AuditEvent.objects.filter(action="document.issued").exists()


def test_once_the_account_issues_einvoices_the_form_says_issuing_will_be_refused(
    issuing_account, owner_client, draft
):
    page = html.unescape(owner_client.get(edit_url(draft)).content.decode())

    assert "ne pourra pas être émis tant que ces points ne sont pas complétés" in page


def test_the_refusal_reaches_the_form_and_stores_nothing(issuing_account, owner_client, draft, buyer):
    response = owner_client.post(edit_url(draft), form_data(draft, buyer.pk, "issue"))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "ne peut pas être émis comme facture électronique" in page
    assert checks.einvoice_problems(draft)[0] in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.lines.get().quantity == 1  # the draft's change was rolled back with the refusal


def test_the_refusal_reaches_the_document_page(issuing_account, owner_client, draft):
    response = owner_client.post(
        reverse("billing:document_issue", args=[draft.account.slug, draft.pk]), follow=True
    )

    assert response.redirect_chain == [(detail_url(draft), 302)]
    assert "ne peut pas être émis comme facture électronique" in html.unescape(response.content.decode())
    assert Document.objects.get(pk=draft.pk).status == Status.DRAFT


def test_a_complete_invoice_is_issued_when_the_account_issues_einvoices(issuing_account, actor, french_buyer):
    draft = make_invoice(
        actor, french_buyer, [line("Conseil", "1", "100", "20")], issue=False, issue_date=DAY
    )
    assert checks.einvoice_problems(draft) == []

    assert issue(actor, draft).status == Status.ISSUED


def test_a_quote_is_never_refused(issuing_account, actor, buyer):
    quote = make_invoice(actor, buyer, kind="estimate", issue=False, issue_date=DAY)

    ensure_einvoice_ready(quote)
    assert issue(actor, quote).status == Status.ISSUED


def test_sales_outside_domestic_b2b_are_never_refused(issuing_account, actor, seller):
    # Consumers and buyers abroad are e-reported, not e-invoiced: what is missing stays a warning.
    consumer = make_client(seller, name="Jeanne Petit", is_company=False, siren="", vat_number="", email="")
    abroad = make_client(seller, name="Ohne Email GmbH", siren="", vat_number="", country="DE", email="")
    for buyer, kind in ((consumer, "receipt"), (consumer, "vat"), (abroad, "vat")):
        draft = make_invoice(
            actor, buyer, [line("Conseil", "1", "100", "20")], kind=kind, issue=False, issue_date=DAY
        )
        assert checks.einvoice_problems(draft), (buyer.name, kind)

        assert issue(actor, draft).status == Status.ISSUED
