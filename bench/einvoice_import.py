"""Time per file of importing received e-invoices as expenses (facturier.einvoice.importing).

    DEBUG=true .venv/bin/python bench/einvoice_import.py [--runs 30] [--warmups 3]
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/einvoice_import.py

Runs on a scratch database (a temporary SQLite file, or a database of its own on the PostgreSQL server
of DATABASE_URL, dropped at the end), attachments in a temporary folder. The files are the test fixtures (a 2-line CII EN 16931 invoice, a
UBL 2.1 invoice) with a new number each, and the same CII embedded in a Typst PDF/A-3b by factur-x, as
suppliers send them; all are made before timing. Each round imports one file of each kind, the order
rotating from round to round (common.interleaved's rule); the first `--warmups` rounds are not counted.
It reports reading alone (reading.read: PDF extraction, XSD, parsing, arithmetic) and the whole import
(supplier match, expense, lines, attachment written to storage, audit), with its number of queries.
"""

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from common import database_label, ms, scratch_account, scratch_database, setup_django, summary

FIXTURES = Path(__file__).resolve().parent.parent / "facturier" / "einvoice" / "tests" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    import tempfile

    from django.test import override_settings

    # The attachments go to a temporary folder, not to the configured media folder.
    with (
        tempfile.TemporaryDirectory(prefix="facturier-bench-media-") as media,
        override_settings(MEDIA_ROOT=media),
        scratch_database(),
    ):
        run(args.runs, args.warmups)


def files(count: int) -> dict[str, list[bytes]]:
    import logging

    import facturx

    logging.getLogger("factur-x").setLevel(logging.WARNING)  # one INFO line per generated PDF otherwise
    import typst

    cii = (FIXTURES / "cii_invoice.xml").read_bytes()
    ubl = (FIXTURES / "ubl_invoice.xml").read_bytes()
    pdf = typst.compile(
        b"= Facture\nPapeterie Martin SARL", format="pdf", pdf_standards=["a-3b"], ignore_system_fonts=True
    )
    made: dict[str, list[bytes]] = {"CII XML": [], "Factur-X PDF": [], "UBL XML": []}
    for n in range(count):
        made["CII XML"].append(cii.replace(b"PM-2026-0042", f"PM-CII-{n:05d}".encode()))
        xml = cii.replace(b"PM-2026-0042", f"PM-FX-{n:05d}".encode())
        made["Factur-X PDF"].append(
            bytes(facturx.generate_from_binary(pdf, xml, flavor="factur-x", lang="fr-FR"))
        )
        made["UBL XML"].append(ubl.replace(b"MB-7781", f"MB-{n:05d}".encode()))
    return made


def run(runs: int, warmups: int) -> None:
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from facturier.einvoice import importing, reading

    account, actor = scratch_account(
        "bench-import", "ACME SAS", subscription_ends_on=datetime.date(2099, 12, 31), siren="732829320"
    )
    inputs = files(warmups + runs)
    kinds = list(inputs)

    # The share of purchases' own service (expense, lines, VAT rows, report summaries, attachment).
    create_expense = importing.purchases.create_expense
    spent: list[float] = []

    def timed_create_expense(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return create_expense(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    importing.purchases.create_expense = timed_create_expense  # type: ignore[assignment]
    services: dict[str, list[float]] = {kind: [] for kind in kinds}

    reads: dict[str, list[float]] = {kind: [] for kind in kinds}
    imports: dict[str, list[float]] = {kind: [] for kind in kinds}
    queries: dict[str, set[int]] = {kind: set() for kind in kinds}
    for round_number in range(warmups + runs):
        shift = round_number % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            content = inputs[kind][round_number]
            started = time.perf_counter()
            reading.read(content)
            read = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                importing.import_einvoice(actor, account, f"bench-{round_number}", content)
            imported = time.perf_counter()
            if round_number >= warmups:
                reads[kind].append(read - started)
                imports[kind].append(imported - read)
                queries[kind].add(len(captured))
                services[kind].append(spent[-1])

    print(f"Database: {database_label()}")
    print(f"Import of received e-invoices, {runs} files of each kind after {warmups} warm-ups")
    for kind in kinds:
        size = statistics.median(len(content) for content in inputs[kind])
        print(f"  {kind:<13} ({size / 1024:,.1f} KB)")
        print(f"    read (reading.read)        {summary(reads[kind])}")
        print(
            f"    import (import_einvoice)   {summary(imports[kind])}"
            f"  [{', '.join(map(str, sorted(queries[kind])))} queries]"
        )
        print(f"      of which create_expense  {summary(services[kind])}")
        print(
            f"    => {1 / statistics.median(imports[kind]):,.0f} files/s, median {ms(statistics.median(imports[kind]))}"
        )


if __name__ == "__main__":
    main()
