"""The API's e-invoices: `GET /invoices/{id}.pdf?einvoice=facturx`, and the refusal at issue (a 422)
once the account issues e-invoices."""

import datetime
import io

import pytest
from lxml import etree
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


# --- GET /invoices/{id}/einvoice.xml: the UBL (the variant the document calls for, or `variant=`) and the CII ---


def profile_of(content: bytes) -> str:
    return str(etree.fromstring(content).xpath("string(*[local-name()='ProfileID'])"))


def test_the_ubl_of_a_french_buyer_is_the_french_ctc_one(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}/einvoice.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}-ubl.xml"'
    assert profile_of(response.content) == "S1"


def test_the_peppol_ubl_when_asked(owner_api, seller, french_buyer):
    document = make_invoice(
        seller, french_buyer, [line("A", "1", "10", "20")], issue_date=DAY, buyer_reference="BC-1"
    )

    response = owner_api.get(f"/invoices/{document.pk}/einvoice.xml?variant=peppol")

    assert response.status_code == 200
    assert profile_of(response.content) == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def test_peppol_without_a_buyer_reference_is_a_422_saying_what_to_fill(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}/einvoice.xml?variant=peppol")

    assert response.status_code == 422
    assert "Peppol exige la référence de l'acheteur ou le numéro de sa commande" in str(
        response.json()["message"]
    )


def test_the_cii(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}/einvoice.xml?einvoice=cii")

    assert response.status_code == 200
    assert b"CrossIndustryInvoice" in response.content
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}-cii.xml"'


@pytest.mark.parametrize(
    ("query", "field"), [("einvoice=xrechnung", "einvoice"), ("variant=zugferd", "variant")]
)
def test_an_unknown_format_or_variant_is_a_422(owner_api, invoice, query, field):
    response = owner_api.get(f"/invoices/{invoice.pk}/einvoice.xml?{query}")

    assert response.status_code == 422
    assert list(response.json()["message"]) == [field]


def test_a_draft_has_no_xml(owner_api, seller, french_buyer):
    draft = make_invoice(seller, french_buyer, issue=False, issue_date=DAY)

    assert owner_api.get(f"/invoices/{draft.pk}/einvoice.xml").status_code == 422


def test_an_outsider_gets_the_api_404_for_the_xml(outsider, globex, invoice):
    api = Api(token_of(outsider, globex))

    for query in ("", "?einvoice=cii", "?variant=peppol"):
        assert api.get(f"/invoices/{invoice.pk}/einvoice.xml{query}").status_code == 404


def test_the_client_api_takes_and_returns_the_buyer_reference_and_the_mandate(owner_api, french_buyer):
    response = owner_api.put(
        f"/clients/{french_buyer.pk}.json",
        {"client": {"invoice_reference": "ACHATS-12", "sepa_mandate": "RUM-7"}},
    )

    assert response.status_code == 200
    assert (response.json()["invoice_reference"], response.json()["sepa_mandate"]) == ("ACHATS-12", "RUM-7")
    french_buyer.refresh_from_db()
    assert (french_buyer.invoice_reference, french_buyer.sepa_mandate) == ("ACHATS-12", "RUM-7")


def test_the_public_apis_xml_address_stays_unserved(owner_api, invoice):
    # `/invoices/{id}.xml` is the invoice in the public API's own XML: not served, and not a UBL.
    response = owner_api.get(f"/invoices/{invoice.pk}.xml")

    assert response.status_code == 406
