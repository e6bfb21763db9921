"""Time per call of issuing a 10-line invoice through the services, and of rendering its PDF.

    DEBUG=true .venv/bin/python bench/issue_invoice.py [--runs 30] [--warmups 3]
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/issue_invoice.py

Runs on a scratch database (a temporary SQLite file, or a database of its own on the PostgreSQL server
of DATABASE_URL, dropped at the end). Each round creates a draft (services.documents.create_draft),
issues it (services.documents.issue: number, snapshots, chain hash) and renders its PDF
(billing.pdf.render_document_pdf, Typst); the first `--warmups` rounds are not counted.
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
    from facturier.billing.services.documents import create_draft, issue

    account, actor = scratch_account("bench-issue", "Bench SAS", siren="732829320", iban="", city="Paris")
    client = create_client(actor, account, name="Dupont SARL", siren="552100554", city="Lyon", country="FR")
    data = invoice_input(client.pk)

    drafts, issues, pdfs = [], [], []
    sizes, draft_queries, issue_queries = set(), set(), set()
    for round_number in range(warmups + runs):
        with CaptureQueriesContext(connection) as drafting:
            started = time.perf_counter()
            document = create_draft(actor, account, data)
            drafted = time.perf_counter()
        with CaptureQueriesContext(connection) as issuing:
            document = issue(actor, document)
            issued = time.perf_counter()
        pdf = render_document_pdf(document)
        rendered = time.perf_counter()
        if round_number >= warmups:
            drafts.append(drafted - started)
            issues.append(issued - drafted)
            pdfs.append(rendered - issued)
            sizes.add(len(pdf))
            draft_queries.add(len(drafting))
            issue_queries.add(len(issuing))

    total = [d + i for d, i in zip(drafts, issues, strict=True)]
    print(f"Database: {database_label()}")
    print(
        f"10-line invoice (3 VAT rates), {runs} calls after {warmups} warm-ups; last number {document.number}"
    )
    print(
        f"  create_draft           {summary(drafts)}  [{', '.join(map(str, sorted(draft_queries)))} queries]"
    )
    print(
        f"  issue                  {summary(issues)}  [{', '.join(map(str, sorted(issue_queries)))} queries]"
    )
    print(f"  create_draft + issue   {summary(total)}")
    print(f"  render_document_pdf    {summary(pdfs)}  [{min(sizes):,}-{max(sizes):,} bytes]")
    print(
        f"  => {1 / statistics.median(total):,.0f} invoices/s issued, {1 / statistics.median(pdfs):,.0f} PDF/s"
    )
    print(f"  (median draft + issue + PDF: {ms(statistics.median(total) + statistics.median(pdfs))})")


if __name__ == "__main__":
    main()
