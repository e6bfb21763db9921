"""What creating an invoice through the API costs in queries, and that the answer made without reading
the document back is the document as GET shows it. Query counts only: speed is bench/api_load.py's."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facturier.api.tests.conftest import RATE_LIMIT_QUERIES
from facturier.billing.models import BillingSettings, Document, Status
from facturier.billing.tests.factories import make_client, make_product

# The statements of billing's create-and-issue (billing/tests/test_issue_queries.py lists them): the
# draft (client, document, lines, VAT rows), the issue (lock, series read and written, e-invoice
# settings, document, chain head, the reports' two, the kept PDF), the audit events and the tally.
SERVICE_QUERIES = 15
# What the API adds: the token, with the account and its documents option, in one query.
AUTH_QUERIES = 1


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The queries, without the savepoints of the test's own transaction (a request outside a test makes
    none: the service's transaction is the outermost one)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if not re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT)\b", q["sql"])
    ]


@pytest.fixture
def dupont(acme):
    return make_client(acme)


def readme_invoice(client_id: int, **extra):
    return {
        "invoice": {
            "kind": "vat",
            "client_id": client_id,
            "positions": [
                {"name": "Produit A1", "tax": 20, "total_price_gross": 10.23, "quantity": 1},
                {"name": "Conseil", "quantity": 2, "price_net": "100", "tax": "20", "quantity_unit": "h"},
            ],
            **extra,
        }
    }


def test_an_invoice_for_a_client_is_created_and_issued_in_seventeen_queries(owner_api, acme, dupont):
    owner_api.post("/invoices.json", readme_invoice(dupont.pk))  # the account's first: its settings rows
    with CaptureQueriesContext(connection) as queries:
        created = owner_api.post("/invoices.json", readme_invoice(dupont.pk))
    assert created.status_code == 201, created.content
    assert created.json()["number"]
    assert len(statements(queries)) == AUTH_QUERIES + RATE_LIMIT_QUERIES + SERVICE_QUERIES


def test_positions_naming_products_add_one_query_for_them_and_one_for_the_services_check(
    owner_api, acme, dupont
):
    product = make_product(acme)
    body = readme_invoice(dupont.pk)
    body["invoice"]["positions"].append({"product_id": product.pk, "quantity": 1})
    owner_api.post("/invoices.json", body)
    with CaptureQueriesContext(connection) as queries:
        assert owner_api.post("/invoices.json", body).status_code == 201
    assert len(statements(queries)) == AUTH_QUERIES + RATE_LIMIT_QUERIES + SERVICE_QUERIES + 2


def test_a_draft_is_created_in_six_queries_past_authentication(owner_api, acme, dupont):
    owner_api.get("/account.json")  # the token's first use records it (auth.TOUCH_EVERY)
    with CaptureQueriesContext(connection) as queries:
        created = owner_api.post("/invoices.json", readme_invoice(dupont.pk, status="draft"))
    assert created.status_code == 201
    # The client, the document, its lines, its VAT rows, the audit event, the tally.
    assert len(statements(queries)) == AUTH_QUERIES + RATE_LIMIT_QUERIES + 6


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"status": "draft"},
        {"buyer_email": "compta@dupont.test", "description": "Merci", "payment_to_kind": 10},
        {"sell_date": "2026-11", "oid": "PO-7", "lang": "en"},
    ],
)
def test_the_answer_of_a_create_is_the_document_as_get_shows_it(owner_api, acme, dupont, extra):
    created = owner_api.post("/invoices.json", readme_invoice(dupont.pk, **extra))
    assert created.status_code == 201, created.content
    shown = owner_api.get(f"/invoices/{created.json()['id']}.json")
    assert created.json() == shown.json()


def test_the_answer_of_a_gross_draft_with_a_product_is_the_document_as_get_shows_it(owner_api, acme, dupont):
    product = make_product(acme)
    body = {
        "invoice": {
            "client_id": dupont.pk,
            "status": "draft",
            "positions": [
                {"product_id": product.pk, "quantity": "1,5"},
                {"name": "Remise", "total_price_gross": "12.00", "tax": 20, "discount_percent": 10},
            ],
        }
    }
    created = owner_api.post("/invoices.json", body)
    assert created.status_code == 201, created.content
    assert created.json() == owner_api.get(f"/invoices/{created.json()['id']}.json").json()


def test_the_documents_option_is_read_with_the_token(owner_api, acme, dupont):
    BillingSettings.objects.update_or_create(account=acme, defaults={"api_documents_as_drafts": True})
    created = owner_api.post("/invoices.json", readme_invoice(dupont.pk))
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    assert Document.objects.get(pk=created.json()["id"]).status == Status.DRAFT


def test_a_refused_create_writes_nothing(owner_api, acme, dupont):
    body = readme_invoice(dupont.pk)
    body["invoice"]["positions"][1]["tax"] = "23"
    refused = owner_api.post("/invoices.json", body)
    assert refused.status_code == 422
    assert not Document.objects.filter(account=acme).exists()
