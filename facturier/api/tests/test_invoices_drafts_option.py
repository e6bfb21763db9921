"""The account option "Documents créés par l'API : brouillons": the API's creates make drafts, which
change_status (or the user) issues; issued documents stay unalterable, with a 422 naming the call to
make instead."""

import pytest

from facturier.billing.models import BillingSettings, Document, Kind, Payment, Status
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice

BODY = {
    "invoice": {
        "client_id": None,
        "positions": [{"name": "Conseil", "quantity": 2, "price_net": 100, "tax": 20}],
    }
}


@pytest.fixture
def dupont(acme):
    return make_client(acme)


@pytest.fixture
def drafts_option(acme):
    BillingSettings.objects.create(account=acme, api_documents_as_drafts=True)


def body(dupont, **fields):
    return {"invoice": {**BODY["invoice"], "client_id": dupont.pk, **fields}}


def test_without_the_option_a_create_is_issued(owner_api, acme, dupont):
    created = owner_api.post("/invoices.json", body(dupont))
    assert created.status_code == 201
    assert created.json()["status"] == "issued" and created.json()["number"]


@pytest.mark.parametrize("asked", [None, "issued", "draft"])
def test_with_the_option_every_create_is_a_draft(owner_api, acme, dupont, drafts_option, asked):
    fields = {"status": asked} if asked else {}
    created = owner_api.post("/invoices.json", body(dupont, **fields))
    assert created.status_code == 201
    data = created.json()
    assert (data["status"], data["number"]) == ("draft", "")
    document = Document.objects.get(pk=data["id"])
    assert document.status == Status.DRAFT and not document.number
    assert not Payment.objects.filter(account=acme).exists()


@pytest.mark.parametrize("asked", ["sent", "paid", "partial"])
def test_with_the_option_a_status_past_issuing_is_refused_not_dropped(
    owner_api, acme, dupont, drafts_option, asked
):
    refused = owner_api.post("/invoices.json", body(dupont, status=asked))
    assert refused.status_code == 422
    assert "change_status" in str(refused.json())
    assert not Document.objects.filter(account=acme).exists()
    assert not Payment.objects.filter(account=acme).exists()


def test_the_draft_is_completed_then_issued_by_change_status(owner_api, acme, dupont, drafts_option):
    pk = owner_api.post("/invoices.json", body(dupont)).json()["id"]
    updated = owner_api.put(
        f"/invoices/{pk}.json",
        {"invoice": {"positions": [{"name": "Frais", "quantity": 1, "price_net": 10}]}},
    )
    assert updated.status_code == 200
    assert updated.json()["price_net"] == "210.00"

    issued = owner_api.post(f"/invoices/{pk}/change_status.json?status=issued", {})
    assert issued.status_code == 200
    assert issued.json()["status"] == "issued" and issued.json()["number"]
    assert Document.objects.get(pk=pk).status == Status.ISSUED


def test_a_special_create_is_a_draft_too(owner_api, acme, owner, dupont, drafts_option):
    source = make_invoice(actor_for(acme, owner), dupont, lines=[line("Conseil", "1", "100", "20")])
    created = owner_api.post("/invoices.json", {"invoice": {"copy_invoice_from": source.pk, "kind": "vat"}})
    assert created.status_code == 201
    assert created.json()["status"] == "draft"


def test_an_outsider_cannot_issue_the_draft(owner_api, outsider_api, acme, dupont, drafts_option):
    pk = owner_api.post("/invoices.json", body(dupont)).json()["id"]
    assert outsider_api.post(f"/invoices/{pk}/change_status.json?status=issued", {}).status_code == 404
    assert Document.objects.get(pk=pk).status == Status.DRAFT


def test_a_legal_change_of_an_issued_invoice_names_the_credit_note_calls(owner_api, acme, owner, dupont):
    invoice = make_invoice(actor_for(acme, owner), dupont, lines=[line("Conseil", "1", "100", "20")])
    refused = owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": {"buyer_name": "Autre"}})
    assert refused.status_code == 422
    [message] = refused.json()["message"]["buyer_name"]
    assert f"POST /invoices/{invoice.pk}/cancel.json" in message
    assert f'"invoice_id": {invoice.pk}' in message


def test_a_legal_change_of_an_issued_quote_names_the_copy(owner_api, acme, owner, dupont):
    quote = make_invoice(
        actor_for(acme, owner), dupont, kind=Kind.ESTIMATE, lines=[line("Conseil", "1", "100")]
    )
    refused = owner_api.put(f"/invoices/{quote.pk}.json", {"invoice": {"buyer_name": "Autre"}})
    assert refused.status_code == 422
    [message] = refused.json()["message"]["buyer_name"]
    assert f'"copy_invoice_from": {quote.pk}' in message
