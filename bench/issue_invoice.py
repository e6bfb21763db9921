"""Time per call of issuing a 10-line invoice through the services, and of rendering its PDF.

    DEBUG=true .venv/bin/python bench/issue_invoice.py [--runs 30] [--warmups 3]
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/issue_invoice.py

Runs on a scratch database (a temporary SQLite file, or a database of its own on the PostgreSQL server
of DATABASE_URL, dropped at the end). Each round, as the sales form calls the services, each call its own
transaction: a new draft (services.documents.create_document without issue), that draft issued
(services.documents.issue: number, snapshots, PDF rendered and kept, chain hash), a new invoice created
and issued in one call (create_document with issue), and the PDF of the last rendered again alone
(billing.pdf.render_document_pdf, Typst: the share of the issue that is not the database's). The first
`--warmups` rounds are not counted.
"""

import argparse
import statistics
import time

from common import database_label, invoice_input, ms, scratch_account, scratch_database, setup_django, summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    with scratch_database():
        run(args.runs, args.warmups)


def run(runs: int, warmups: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from facturier.billing.pdf import render_document_pdf
    from facturier.billing.services.clients import create_client
    from facturier.billing.services.documents import create_document, issue

    account, actor = scratch_account("bench-issue", "Bench SAS", siren="732829320", iban="", city="Paris")
    client = create_client(actor, account, name="Dupont SARL", siren="552100554", city="Lyon", country="FR")
    data = invoice_input(client.pk)

    labels = ("new draft", "that draft issued", "created and issued", "render_document_pdf")
    times: dict[str, list[float]] = {label: [] for label in labels}
    queries: dict[str, set[int]] = {label: set() for label in labels}
    sizes = set()
    for round_number in range(warmups + runs):
        took = {}
        for label in labels:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                if label == "new draft":
                    draft = create_document(actor, account, data, issue=False)
                elif label == "that draft issued":
                    issue(actor, draft)
                elif label == "created and issued":
                    document = create_document(actor, account, data, issue=True)
                else:
                    sizes.add(len(render_document_pdf(document)))
                took[label] = (time.perf_counter() - started, len(captured))
        if round_number >= warmups:
            for label, (seconds, count) in took.items():
                times[label].append(seconds)
                queries[label].add(count)

    print(f"Database: {database_label()}")
    print(
        f"10-line invoice (3 VAT rates), {runs} rounds after {warmups} warm-ups; last number {document.number}"
    )
    for label in labels:
        counted = ", ".join(map(str, sorted(queries[label])))
        print(f"  {label:<22} {summary(times[label])}  [{counted} queries]")
    print(f"  PDF size: {min(sizes):,}-{max(sizes):,} bytes")
    created = statistics.median(times["created and issued"])
    print(f"  => {1 / created:,.0f} invoices/s created and issued (PDF included), median {ms(created)}")


if __name__ == "__main__":
    main()
