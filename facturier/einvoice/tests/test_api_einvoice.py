"""The API's e-invoices: `GET /invoices/{id}.pdf?einvoice=facturx`, and the refusal at issue (a 422)
once the account issues e-invoices."""

import datetime
import io

import pytest
from pypdf import PdfReader

from facturier.api.tests.conftest import Api, token_of
from facturier.billing.models import Document
from facturier.billing.tests.factories import line, make_invoice
from facturier.einvoice import checks
from facturier.einvoice.settings_page import update_einvoice_settings
from facturier.tenancy.access import Actor

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def owner_api(owner, seller):
    return Api(token_of(owner, seller))


@pytest.fixture
def invoice(seller, french_buyer):
    return make_invoice(seller, french_buyer, [line("Conseil", "1", "100", "20")], issue_date=DAY)


def attachments(content: bytes) -> list[str]:
    return list(PdfReader(io.BytesIO(content)).attachments)


def test_the_facturx_pdf(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}.pdf?einvoice=facturx")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    assert attachments(response.content) == ["factur-x.xml"]


def test_without_the_parameter_the_plain_pdf(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}.pdf")

    assert response.status_code == 200 and attachments(response.content) == []


def test_an_unknown_value_gets_a_422(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}.pdf?einvoice=xrechnung")

    assert response.status_code == 422
    assert response.json()["code"] == "error"
    assert list(response.json()["message"]) == ["einvoice"]


def test_a_draft_or_an_incomplete_invoice_gets_a_422(owner_api, seller, french_buyer):
    draft = make_invoice(seller, french_buyer, issue=False, issue_date=DAY)
    # A free line makes a legal invoice but no e-invoice (BR-FR-DEC-03).
    incomplete = make_invoice(seller, french_buyer, [line("Offert", "1", "0", "20")], issue_date=DAY)

    refused = owner_api.get(f"/invoices/{draft.pk}.pdf?einvoice=facturx")
    assert refused.status_code == 422
    assert "émis" in refused.json()["message"]
    refused = owner_api.get(f"/invoices/{incomplete.pk}.pdf?einvoice=facturx")
    assert refused.status_code == 422
    assert checks.einvoice_problems(incomplete)[0] in refused.json()["message"]


def test_an_outsider_gets_the_api_404(outsider, globex, invoice):
    response = Api(token_of(outsider, globex)).get(f"/invoices/{invoice.pk}.pdf?einvoice=facturx")

    assert response.status_code == 404


def test_issuing_an_incomplete_invoice_is_a_422_once_the_account_issues_einvoices(
    owner_api, seller, french_buyer
):
    update_einvoice_settings(Actor.system(), seller, {"issues_einvoices": True})
    buyer = french_buyer

    response = owner_api.post(
        "/invoices.json",
        {
            "invoice": {
                "client_id": buyer.pk,
                "issue_date": DAY.isoformat(),
                "positions": [{"name": "A", "price_net": 0}],
            }
        },
    )

    assert response.status_code == 422
    assert "facture électronique" in str(response.json()["message"])
    assert not Document.objects.filter(account=seller).exists()
