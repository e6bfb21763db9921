"""The special creation modes of `POST /invoices.json`: copy, convert, advance, final, credit notes."""

from decimal import Decimal

import pytest

from facturier.billing.models import Document, Kind, Status
from facturier.billing.tests.factories import line, make_client, make_invoice


@pytest.fixture
def dupont(acme):
    return make_client(acme)


@pytest.fixture
def invoice(acme, dupont):
    return make_invoice(
        acme, dupont, lines=[line("Conseil", "2", "100", "20"), line("Frais", "1", "50", "20")]
    )


@pytest.fixture
def quote(acme, dupont):
    return make_invoice(acme, dupont, kind="estimate", lines=[line("Chantier", "1", "1000", "20")])


def create(api, body):
    response = api.post("/invoices.json", {"invoice": body})
    return response, response.json()


def test_copy_invoice_from_duplicates_and_issues(owner_api, invoice):
    response, data = create(owner_api, {"copy_invoice_from": invoice.pk, "kind": "vat"})
    assert response.status_code == 201, data
    assert data["id"] != invoice.pk
    assert data["status"] == "issued" and data["number"] != invoice.number
    assert data["price_gross"] == "300.00"


def test_copy_invoice_from_a_quote_converts_it_with_new_payment_terms(owner_api, quote, acme):
    response, data = create(
        owner_api, {"copy_invoice_from": quote.pk, "kind": "vat", "payment_to_kind": 5, "status": "draft"}
    )
    assert response.status_code == 201, data
    document = Document.objects.get(pk=data["id"])
    assert (document.kind, document.source_document_id, document.status) == (
        Kind.INVOICE,
        quote.pk,
        Status.DRAFT,
    )
    assert data["payment_to_kind"] == 5
    assert data["from_invoice_id"] == quote.pk


def test_advance_then_final_invoice_from_a_quote(owner_api, quote):
    response, advance = create(
        owner_api,
        {
            "copy_invoice_from": quote.pk,
            "kind": "advance",
            "advance_creation_mode": "percent",
            "advance_value": "30",
        },
    )
    assert response.status_code == 201, advance
    assert (advance["kind"], advance["price_gross"]) == ("advance", "360.00")
    response, final = create(
        owner_api, {"copy_invoice_from": quote.pk, "kind": "final", "invoice_ids": [advance["id"]]}
    )
    assert response.status_code == 201, final
    assert final["kind"] == "final" and final["remaining"] == "840.00"


def test_total_credit_note(owner_api, invoice):
    response, data = create(
        owner_api,
        {
            "copy_invoice_from": invoice.pk,
            "kind": "correction",
            "total_correction": "1",
            "correction_reason": "Erreur",
        },
    )
    assert response.status_code == 201, data
    assert (data["kind"], data["price_gross"], data["invoice_id"]) == ("correction", "-300.00", invoice.pk)
    assert data["correction_reason"] == "Erreur"
    invoice.refresh_from_db()
    assert invoice.status == Status.CANCELLED


def test_partial_credit_note_with_before_and_after_attributes(owner_api, invoice):
    response, data = create(
        owner_api,
        {
            "kind": "correction",
            "invoice_id": invoice.pk,
            "from_invoice_id": invoice.pk,
            "correction_reason": "Remise",
            "positions": [
                {
                    "kind": "correction",
                    "correction_before_attributes": {
                        "name": "Conseil",
                        "quantity": 2,
                        "price_net": "100",
                        "tax": 20,
                    },
                    "correction_after_attributes": {
                        "name": "Conseil",
                        "quantity": 1,
                        "price_net": "100",
                        "tax": 20,
                    },
                }
            ],
        },
    )
    assert response.status_code == 201, data
    assert (data["kind"], data["price_net"], data["price_gross"]) == ("correction", "-100.00", "-120.00")
    invoice.refresh_from_db()
    assert invoice.credited_total == Decimal("120.00")


def test_partial_credit_note_with_plain_positions(owner_api, invoice):
    response, data = create(
        owner_api,
        {
            "kind": "correction",
            "invoice_id": invoice.pk,
            "positions": [{"name": "Frais", "quantity": -1, "price_net": 50, "tax": 20}],
        },
    )
    assert response.status_code == 201, data
    assert data["price_gross"] == "-60.00"


@pytest.mark.parametrize(
    "body",
    [
        {"copy_invoice_from": 999999},
        {"copy_invoice_from": "x"},
        {"kind": "correction"},
        {"kind": "correction", "invoice_id": 999999, "positions": [{"name": "A", "price_net": 1}]},
        {"kind": "correction", "invoice_id": "__INVOICE__", "positions": []},
        {"kind": "correction", "invoice_id": "__INVOICE__", "positions": [{"name": "A", "quantity": 1, "price_net": 10000}]},
        {"kind": "correction", "invoice_id": "__INVOICE__", "positions": [
            {"correction_before_attributes": {"name": "A", "price_net": 1}, "correction_after_attributes": {"name": "A", "price_net": 5}}]},
        {"copy_invoice_from": "__INVOICE__", "kind": "advance", "advance_value": "30"},
        {"copy_invoice_from": "__QUOTE__", "kind": "advance"},
        {"copy_invoice_from": "__QUOTE__", "kind": "advance", "advance_value": "150"},
        {"copy_invoice_from": "__QUOTE__", "kind": "advance", "advance_value": "1", "advance_creation_mode": "x"},
        {"copy_invoice_from": "__QUOTE__", "kind": "final"},
        {"copy_invoice_from": "__QUOTE__", "kind": "final", "invoice_ids": ["__INVOICE__"]},
        {"copy_invoice_from": "__INVOICE__", "kind": "estimate"},
        {"copy_invoice_from": "__INVOICE__", "kind": "correction", "total_correction": "peut-être"},
        {"copy_invoice_from": "__INVOICE__", "payment_to_kind": "x"},
        {"income": "0", "seller_name": "Fournisseur", "positions": [{"name": "A", "price_net": 1}]},
    ],
)  # fmt: skip
def test_refused_special_modes_get_a_422_and_store_nothing(owner_api, acme, invoice, quote, body):
    ids = {"__INVOICE__": invoice.pk, "__QUOTE__": quote.pk}

    def resolve(value):
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return ids.get(value, value) if isinstance(value, str) else value

    before = Document.objects.filter(account=acme).count()
    response, data = create(owner_api, resolve(body))
    assert response.status_code == 422, data
    assert data["code"] == "error"
    assert Document.objects.filter(account=acme).count() == before


def test_another_accounts_document_cannot_be_copied(outsider_api, invoice):
    response, data = create(outsider_api, {"copy_invoice_from": invoice.pk})
    assert response.status_code == 422
    assert list(data["message"]) == ["copy_invoice_from"]
