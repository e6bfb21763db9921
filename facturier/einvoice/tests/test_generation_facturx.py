"""The Factur-X PDF: the Typst PDF/A-3b with the CII embedded as factur-x.xml and the profile's XMP."""

import io

import pytest
from pypdf import PdfReader

from facturier.billing.pdf import render_document_pdf
from facturier.billing.tests.factories import line, make_invoice
from facturier.einvoice.cii import cii_xml
from facturier.einvoice.facturx import facturx_pdf, xml_from_pdf
from facturier.einvoice.validation import schematron_failures, xsd_errors


@pytest.fixture
def invoice(seller, french_buyer):
    return make_invoice(seller, french_buyer, [line("Conseil", "2", "450", "20")])


def test_the_factur_x_pdf_embeds_the_cii_as_factur_x_xml(invoice):
    pdf = facturx_pdf(invoice)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.attachments) == ["factur-x.xml"]
    embedded = reader.attachments["factur-x.xml"][0]
    assert embedded == cii_xml(invoice)
    assert xml_from_pdf(pdf) == embedded
    assert xsd_errors(embedded, "cii") == []
    assert schematron_failures(embedded, "en16931") == []
    assert schematron_failures(embedded, "br-fr") == []


def test_the_xmp_metadata_names_the_profile_and_pdf_a_3(invoice):
    for profile, level in (("en16931", "EN 16931"), ("basic", "BASIC"), ("extended", "EXTENDED")):
        xmp = PdfReader(io.BytesIO(facturx_pdf(invoice, profile))).xmp_metadata
        assert xmp is not None
        raw = xmp.stream.get_data().decode()
        assert f"<fx:ConformanceLevel>{level}</fx:ConformanceLevel>" in raw
        assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in raw
        assert "<pdfaid:part>3</pdfaid:part>" in raw


def test_a_plain_pdf_has_no_embedded_invoice(invoice):
    assert xml_from_pdf(render_document_pdf(invoice)) is None
