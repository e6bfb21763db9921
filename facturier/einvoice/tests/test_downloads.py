"""The document page's e-invoice downloads (Factur-X, CII, UBL) and its box of e-invoicing problems."""

import datetime
import html
import io

import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from facturier.api.tests.conftest import Api, token_of
from facturier.billing import issued
from facturier.billing.models import Document, IssuedFile
from facturier.billing.services.clients import update_client
from facturier.billing.services.documents import create_credit_note, issue
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.einvoice import checks, cii
from facturier.einvoice.settings_page import update_einvoice_settings
from facturier.tenancy.access import Actor

DAY = datetime.date(2026, 11, 2)
DOWNLOADS = ["document_facturx", "document_cii", "document_ubl"]


def url(name, document):
    return reverse(f"einvoice:{name}", args=[document.account.slug, document.pk])


def detail(document):
    return reverse("billing:document_detail", args=[document.account.slug, document.pk])


def embedded_files(content: bytes) -> dict[str, bytes]:
    reader = PdfReader(io.BytesIO(content))
    return {name: data[0] for name, data in reader.attachments.items()}


@pytest.fixture
def owner_api(owner, seller):
    return Api(token_of(owner, seller))


@pytest.fixture
def invoice(seller, french_buyer):
    return make_invoice(seller, french_buyer, [line("Conseil", "2", "350", "20")], issue_date=DAY)


@pytest.fixture
def incomplete(seller):
    """Issued before the account issued e-invoices: a free line, legal but no e-invoice (BR-FR-DEC-03)."""
    buyer = make_client(seller, name="Lefèvre SARL", siren="404833048", vat_number="")
    return make_invoice(seller, buyer, [line("Offert", "1", "0", "20")], issue_date=DAY)


def test_an_issued_invoice_downloads_as_facturx_with_its_xml_inside(owner_client, invoice):
    response = owner_client.get(url("document_facturx", invoice))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    xml = embedded_files(response.content)["factur-x.xml"]
    root = etree.fromstring(xml)
    assert invoice.number in root.xpath("string(//*[local-name()='ExchangedDocument']/*[local-name()='ID'])")


def test_an_issued_invoice_downloads_as_cii_and_ubl(owner_client, invoice):
    cii = owner_client.get(url("document_cii", invoice))
    ubl = owner_client.get(url("document_ubl", invoice))

    assert cii.status_code == 200 and ubl.status_code == 200
    assert cii["Content-Type"] == ubl["Content-Type"] == "application/xml"
    assert cii["Content-Disposition"] == f'attachment; filename="{invoice.number}.xml"'
    assert ubl["Content-Disposition"] == f'attachment; filename="{invoice.number}-ubl.xml"'
    assert etree.fromstring(cii.content).tag.endswith("CrossIndustryInvoice")
    assert etree.fromstring(ubl.content).tag.endswith("}Invoice")


def test_the_cii_follows_the_profile_of_the_account_from_the_next_issue(owner_client, invoice, seller):
    update_einvoice_settings(Actor.system(), seller, {"profile": "basic"})
    later = make_invoice(seller, invoice.client, [line("Audit", "1", "100", "20")], issue_date=DAY)

    assert b"urn:factur-x.eu:1p0:basic" in owner_client.get(url("document_cii", later)).content
    # Issued before: its XML is the one its Factur-X was issued with.
    assert b"urn:cen.eu:en16931:2017" in owner_client.get(url("document_cii", invoice)).content


def test_the_cii_served_alone_is_the_xml_inside_the_kept_facturx_byte_for_byte(
    owner_client, owner_api, invoice, seller
):
    kept = issued.stored(invoice, IssuedFile.Kind.FACTURX)
    assert kept is not None  # kept at issue
    inside = embedded_files(kept)["factur-x.xml"]
    # Made today, the XML would differ (another profile): what is served is what was issued.
    update_einvoice_settings(Actor.system(), seller, {"profile": "extended"})
    assert cii.cii_xml(invoice, "extended") != inside

    page = owner_client.get(url("document_cii", invoice))
    api = owner_api.get(f"/invoices/{invoice.pk}/einvoice.xml?einvoice=cii")

    assert page.status_code == api.status_code == 200
    assert page.content == api.content == inside
    assert (
        embedded_files(owner_client.get(url("document_facturx", invoice)).content)["factur-x.xml"] == inside
    )


def test_without_a_kept_facturx_the_cii_download_keeps_one_and_serves_its_xml(owner_client, invoice):
    IssuedFile.objects.filter(document=invoice, kind=IssuedFile.Kind.FACTURX).delete()

    xml = owner_client.get(url("document_cii", invoice)).content

    kept = issued.stored(Document.objects.get(pk=invoice.pk), IssuedFile.Kind.FACTURX)
    assert kept is not None and embedded_files(kept)["factur-x.xml"] == xml
    assert owner_client.get(url("document_cii", invoice)).content == xml


def test_a_credit_note_downloads_too(owner_client, invoice):
    note = issue(Actor.system(), create_credit_note(Actor.system(), invoice, reason="Annulation"))

    response = owner_client.get(url("document_ubl", note))

    assert response.status_code == 200
    assert etree.fromstring(response.content).tag.endswith("}CreditNote")


def test_the_document_page_links_to_the_downloads(owner_client, invoice):
    page = owner_client.get(detail(invoice)).content.decode()

    for name in DOWNLOADS:
        assert f'href="{url(name, invoice)}"' in page
    assert "Factur-X (PDF)" in page and "XML CII" in page and "XML UBL" in page
    assert "data-einvoice-problems" not in page


def test_a_collaborator_downloads_what_they_can_see(collaborator_client, invoice):
    # Utilisateur holds sales.view: the same files as the PDF.
    for name in DOWNLOADS:
        assert collaborator_client.get(url(name, invoice)).status_code == 200


def test_an_outsider_gets_a_404(outsider_client, invoice):
    for name in DOWNLOADS:
        assert outsider_client.get(url(name, invoice)).status_code == 404


def test_a_draft_and_a_quote_have_no_einvoice(owner_client, seller, french_buyer):
    draft = make_invoice(seller, french_buyer, issue=False, issue_date=DAY)
    quote = make_invoice(seller, french_buyer, kind="estimate", issue_date=DAY)

    for document in (draft, quote):
        for name in DOWNLOADS:
            assert owner_client.get(url(name, document)).status_code == 404
        assert "Factur-X (PDF)" not in owner_client.get(detail(document)).content.decode()


def test_an_incomplete_invoice_shows_its_problems_instead_of_the_downloads(owner_client, incomplete):
    problems = checks.einvoice_problems(incomplete)
    assert problems

    page = html.unescape(owner_client.get(detail(incomplete)).content.decode())

    assert "data-einvoice-problems" in page
    assert "ne peut pas être produit en facture électronique" in page
    for problem in problems:
        assert problem in page
    assert "Factur-X (PDF)" not in page


def test_downloading_an_incomplete_invoice_goes_back_to_its_page_with_the_problems(owner_client, incomplete):
    response = owner_client.get(url("document_facturx", incomplete), follow=True)

    assert response.redirect_chain == [(detail(incomplete), 302)]
    page = html.unescape(response.content.decode())
    assert "incomplet pour la facturation électronique" in page
    assert checks.einvoice_problems(incomplete)[0] in page


def test_a_draft_page_warns_about_its_problems(owner_client, seller, owner):
    buyer = make_client(seller, name="Sans SIREN SARL", siren="", vat_number="")
    draft = make_invoice(actor_for(seller, owner), buyer, issue=False, issue_date=DAY)

    page = html.unescape(owner_client.get(detail(draft)).content.decode())

    assert "Pour la facturation électronique, ce document est incomplet" in page
    assert checks.einvoice_problems(draft)[0] in page


# --- The UBL variants (einvoice.ubl.variant_for) ----------------------------------------------------


def ubl_profile(content: bytes) -> str:
    return str(etree.fromstring(content).xpath("string(*[local-name()='ProfileID'])"))


def test_a_french_buyer_gets_the_french_ctc_ubl_and_the_page_offers_peppol_too(owner_client, invoice):
    response = owner_client.get(url("document_ubl", invoice))

    assert response.status_code == 200
    assert ubl_profile(response.content) == "S1"
    page = owner_client.get(detail(invoice)).content.decode()
    assert "XML UBL (France)" in page and "XML UBL (Peppol)" in page
    assert f'href="{url("document_ubl", invoice)}?variant=peppol"' in page


def test_a_company_abroad_gets_the_peppol_ubl(owner_client, seller, german_buyer):
    document = make_invoice(
        seller,
        german_buyer,
        [line("Consulting", "1", "900", "0", vat_category="AE")],
        issue_date=DAY,
        buyer_reference="PO-4711",
    )

    response = owner_client.get(url("document_ubl", document))

    assert response.status_code == 200
    assert ubl_profile(response.content) == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert (
        f'href="{url("document_ubl", document)}?variant=fr-ctc"'
        in owner_client.get(detail(document)).content.decode()
    )


def test_peppol_asked_without_a_buyer_reference_goes_back_to_the_page_saying_what_to_fill(
    owner_client, invoice
):
    response = owner_client.get(url("document_ubl", invoice), {"variant": "peppol"}, follow=True)

    assert response.redirect_chain == [(detail(invoice), 302)]
    page = html.unescape(response.content.decode())
    assert "Ce document ne peut pas être produit en UBL Peppol BIS" in page
    assert "« référence acheteur / service » sur la fiche du client" in page


def test_peppol_asked_with_an_order_reference_downloads(owner_client, seller, french_buyer):
    document = make_invoice(
        seller, french_buyer, [line("Conseil", "1", "350", "20")], issue_date=DAY, buyer_reference="BC-9"
    )

    response = owner_client.get(url("document_ubl", document), {"variant": "peppol"})

    assert response.status_code == 200
    assert ubl_profile(response.content) == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def test_an_unknown_variant_goes_back_to_the_page_with_a_message(owner_client, invoice):
    response = owner_client.get(url("document_ubl", invoice), {"variant": "xrechnung"}, follow=True)

    assert response.redirect_chain == [(detail(invoice), 302)]
    assert "Variante UBL inconnue : choisissez peppol, fr-ctc." in html.unescape(response.content.decode())


def test_an_outsider_gets_a_404_for_each_variant(outsider_client, invoice):
    for variant in ("peppol", "fr-ctc"):
        assert outsider_client.get(url("document_ubl", invoice), {"variant": variant}).status_code == 404


def test_a_draft_for_a_company_abroad_asks_for_what_peppol_needs_while_it_can_be_filled(
    owner_client, seller, owner, german_buyer
):
    draft = make_invoice(
        actor_for(seller, owner),
        german_buyer,
        [line("Consulting", "1", "900", "0", vat_category="AE")],
        issue=False,
        issue_date=DAY,
        payment_method="direct_debit",
    )

    page = html.unescape(owner_client.get(detail(draft)).content.decode())

    assert "data-peppol-problems" in page
    assert "sa facture électronique sera au format Peppol" in page
    assert "Peppol exige la référence de l'acheteur ou le numéro de sa commande" in page
    assert "Peppol exige la référence du mandat SEPA (RUM)" in page

    update_client(Actor.system(), german_buyer, invoice_reference="EINKAUF-7", sepa_mandate="RUM-1")
    assert "data-peppol-problems" not in owner_client.get(detail(draft)).content.decode()


def test_a_kept_facturx_without_its_xml_is_refused_not_made_again(owner_client, invoice):
    IssuedFile.objects.filter(document=invoice, kind=IssuedFile.Kind.FACTURX).delete()
    issued.keep(invoice, IssuedFile.Kind.FACTURX, issued.issued_pdf(invoice), at_issue=False)

    response = owner_client.get(url("document_cii", invoice), follow=True)

    assert response.redirect_chain == [(detail(invoice), 302)]
    assert "ne contient pas de XML" in response.content.decode()
