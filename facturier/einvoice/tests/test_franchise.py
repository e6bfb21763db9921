"""A seller under the VAT franchise (art. 293 B CGI), without a VAT number: its invoices are valid
e-invoices in every profile and syntax we offer (docs/einvoicing.md, "Franchise en base")."""

import datetime
import io

import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from facturier.billing.models import Status
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.services.documents import create_credit_note, issue
from facturier.billing.tests.factories import actor_for, line, make_invoice
from facturier.einvoice import checks
from facturier.einvoice.cii import NS, PROFILES, cii_xml
from facturier.einvoice.settings_page import update_einvoice_settings
from facturier.einvoice.ubl import FRENCH_CTC, VARIANTS, ubl_xml
from facturier.einvoice.validation import schematron_failures, xsd_errors
from facturier.lib import vat
from facturier.tenancy.access import Actor
from facturier.tenancy.services import update_account_identity

DAY = datetime.date(2026, 11, 2)
UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


@pytest.fixture
def micro(seller):
    """The seller as a micro-entrepreneur: franchise en base, no VAT number, e-invoices issued."""
    update_account_identity(Actor.system(), seller, {"vat_number": "", "legal_name": "Jeanne Martin EI"})
    update_billing_settings(
        Actor.system(),
        seller,
        {"vat_franchise": True, "legal_form": "EI", "share_capital": "", "rcs_city": ""},
    )
    update_einvoice_settings(Actor.system(), seller, {"issues_einvoices": True})
    seller.refresh_from_db()
    return seller


@pytest.fixture
def invoice(micro, owner, french_buyer):
    lines = [
        line("Cours de piano", "4", "35", "0", vat_category=vat.EXEMPT, unit="h"),
        line("Partitions", "2", "12.50", "0", vat_category=vat.EXEMPT, supply_kind="goods"),
    ]
    return make_invoice(
        actor_for(micro, owner), french_buyer, lines, issue_date=DAY, buyer_reference="BC-2026-7"
    )


def text(xml: bytes, path: str, namespaces: dict[str, str] = NS) -> list[str]:
    return [str(value) for value in etree.fromstring(xml).xpath(path, namespaces=namespaces)]


def test_a_franchise_seller_is_asked_for_no_vat_number(micro, french_buyer):
    draft = make_invoice(
        micro, french_buyer, [line("Cours", "1", "35", "0", vat_category=vat.EXEMPT)], issue=False
    )
    assert checks.einvoice_problems(draft) == []


def test_issuing_to_a_french_company_is_accepted(invoice):
    assert invoice.status == Status.ISSUED
    assert invoice.vat_total == 0


@pytest.mark.parametrize("profile", PROFILES)
def test_the_cii_of_each_profile_is_valid(invoice, profile):
    xml = cii_xml(invoice, profile)
    assert xsd_errors(xml, "cii", profile) == []
    # Warnings included: EXTENDED finds the exemption on each line (BR-FXEXT-E-08rev).
    assert schematron_failures(xml, profile) == []
    assert schematron_failures(xml, "br-fr") == []


def test_the_cii_identifies_the_seller_by_its_siren(invoice):
    xml = cii_xml(invoice)
    seller = "//ram:SellerTradeParty/"
    assert text(xml, seller + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()") == [
        "732829320"
    ]
    assert text(xml, seller + "ram:SpecifiedTaxRegistration/ram:ID/@schemeID") == ["FC"]
    assert text(xml, seller + "ram:SpecifiedTaxRegistration/ram:ID/text()") == ["732829320"]
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert text(xml, tax + "ram:CategoryCode/text()") == ["E"]
    assert text(xml, tax + "ram:ExemptionReason/text()") == ["TVA non applicable, art. 293 B du CGI"]
    assert text(xml, tax + "ram:ExemptionReasonCode/text()") == ["VATEX-FR-FRANCHISE"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_ubl_is_valid(invoice, variant):
    xml = ubl_xml(invoice, variant)
    assert xsd_errors(xml, "ubl") == []
    assert schematron_failures(xml, "ubl-en16931") == []
    if variant == FRENCH_CTC:
        assert schematron_failures(xml, "ubl-br-fr") == []
    schemes = "//cac:AccountingSupplierParty//cac:PartyTaxScheme"
    assert text(xml, schemes + "/*[local-name()='CompanyID']/text()", UBL) == ["732829320"]
    assert text(xml, schemes + "/cac:TaxScheme/*[local-name()='ID']/text()", UBL) == ["FC"]


def test_a_credit_note_of_a_franchise_invoice_is_valid(invoice, micro, owner):
    actor = actor_for(micro, owner)
    credit_note = issue(actor, create_credit_note(actor, invoice, reason="Cours annulé"))
    xml = cii_xml(credit_note)
    assert schematron_failures(xml, "en16931") == []
    assert schematron_failures(xml, "br-fr") == []
    assert schematron_failures(ubl_xml(credit_note), "ubl-en16931") == []


def test_the_factur_x_downloads(owner_client, invoice):
    response = owner_client.get(reverse("einvoice:document_facturx", args=["acme", invoice.pk]))
    assert response.status_code == 200
    attachments = PdfReader(io.BytesIO(response.content)).attachments
    xml = attachments["factur-x.xml"][0]
    assert schematron_failures(xml, "en16931") == []
