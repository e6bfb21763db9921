"""Factur-X: the document's PDF/A-3b (Typst, billing/pdf.py) with its CII XML embedded by factur-x.

factur-x writes the attachment (factur-x.xml, /AFRelationship /Data) and the XMP metadata of the
profile. The XML is checked against the profile's XSD first, with the schema validation.py compiled
once per process: factur-x's own check parses the XSDs on every call (about 20 ms, a quarter of the
embedding; bench/einvoice.py).
"""

import facturx as facturx_lib

from facturier.billing import issued
from facturier.billing.models import BillingSettings, Document
from facturier.einvoice.cii import PROFILES, cii_xml
from facturier.einvoice.validation import xsd_errors

FILENAME = "factur-x.xml"


def facturx_pdf(document: Document, profile: str = "en16931") -> bytes:
    """The Factur-X of an issued invoice or credit note made of its kept PDF (policy.facturx_pdf serves
    the account's, kept)."""
    return embed_into(issued.issued_pdf(document), document, profile)


def embed_into(
    pdf: bytes, document: Document, profile: str = "en16931", billing_settings: BillingSettings | None = None
) -> bytes:
    """The Factur-X of an issued invoice or credit note: its PDF (the one kept at issue) with its CII XML
    of profile "basic", "en16931" or "extended" embedded (data.NotAnInvoice for a draft, a quote or a
    proforma). `billing_settings`: the account's, when the caller holds them."""
    return embed(pdf, cii_xml(document, profile, billing_settings), profile, lang=document.language)


def embed(pdf: bytes, xml: bytes, profile: str, *, lang: str = "fr") -> bytes:
    """Embed a CII XML into a PDF/A-3b, once it passes the profile's XSD (ValueError otherwise)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown Factur-X profile {profile!r}")
    errors = xsd_errors(xml, "cii", profile)
    if errors:
        raise ValueError(f"the CII does not pass the Factur-X {profile} XSD: {errors[0]}")
    result = facturx_lib.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=profile,
        check_xsd=False,  # just done, with the compiled schema
        check_schematron=False,  # without a Saxon server it would pass silently: validation.py runs them
        lang={"fr": "fr-FR", "en": "en-GB"}.get(lang, lang),
    )
    return bytes(result)


def xml_from_pdf(pdf: bytes) -> bytes | None:
    """The factur-x.xml (or another invoice XML) embedded in a PDF, None when there is none."""
    _filename, xml = facturx_lib.get_xml_from_pdf(pdf, check_xsd=False)
    return bytes(xml) if xml else None
