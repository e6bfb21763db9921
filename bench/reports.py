"""The five reports of the largest dataset account, against the raw SQL aggregate over the lines.

    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/reports.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/reports.py
    options: --account bench-0001 --year 2025 --runs 7 --warmups 2

Needs the dataset (manage.py generate_dataset); only reads. Issue 5 sets its targets against "the raw
SQL aggregate over the lines" (reference/perf-baselines.md §2: about 0.44 s for the big account's year on
PostgreSQL): the sales lines of the period joined to their documents, summed by VAT rate, one yardstick
for every report (generate_dataset writes no expenses: the expense list's figure is that of an empty
list). For each report, interleaved with that baseline:
- the report as the Rapports page computes it (reports.queries.build_report; the lists with one page of
  100 rows and the totals of every row, as the page shows them);
- the baseline.
It prints the medians, the ratio report / baseline and the target: VAT register (both modes) and OSS
return at most 0.05x; revenue, expense and unpaid lists at most 1.0x.
"""

import argparse
import datetime
import statistics
from collections.abc import Callable
from typing import Any

from common import database_label, interleaved, ms, setup_django

PAGE_SIZE = 100  # reports.views.PAGE_SIZE


def raw_sales_lines(
    vendor: str, account_id: int, start: datetime.date, end: datetime.date
) -> Callable[[], Any]:
    from django.db import connection

    from facturier.billing.models import Document, DocumentLine

    sql = (
        f"SELECT l.vat_rate, SUM(l.net_amount * d.exchange_rate), SUM((l.gross_amount - l.net_amount) * d.exchange_rate) "  # noqa: S608
        f"FROM {DocumentLine._meta.db_table} l JOIN {Document._meta.db_table} d ON d.id = l.document_id "
        "WHERE d.account_id = %s AND d.issue_date BETWEEN %s AND %s AND d.status <> 'draft' "
        "AND d.kind IN ('vat', 'correction', 'advance', 'final', 'receipt') GROUP BY l.vat_rate"
    )

    def run() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, [account_id, start, end])
            return cursor.fetchall()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--year", type=int, default=None, help="default: last year")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmups", type=int, default=2)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from facturier.reports.base import ReportFilters
    from facturier.reports.queries import build_report
    from facturier.tenancy.models import Account

    account = Account.objects.get(slug=args.account)
    today = account.today()
    year = args.year or today.year - 1
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    quarter = (datetime.date(year, 10, 1), end)
    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}, year {year}; {args.runs} interleaved runs after {args.warmups} warm-ups, medians"
    )

    sales_baseline = raw_sales_lines(connection.vendor, account.pk, start, end)
    year_filters = ReportFilters(start=start, end=end)
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any], float]] = [
        ("VAT register, by document date", lambda: build_report("vat-register", account, year_filters, today), sales_baseline, 0.05),
        ("VAT register, by VAT due date", lambda: build_report("vat-register", account, ReportFilters(start=start, end=end, vat_mode="due"), today), sales_baseline, 0.05),
        ("OSS return, last quarter", lambda: build_report("oss", account, ReportFilters(start=quarter[0], end=quarter[1]), today), sales_baseline, 0.05),
        ("revenue list, first page + totals", lambda: build_report("revenue", account, year_filters, today, limit=PAGE_SIZE), sales_baseline, 1.0),
        ("expense list, first page + totals", lambda: build_report("expenses", account, year_filters, today, limit=PAGE_SIZE), sales_baseline, 1.0),
        ("unpaid list, first page + ageing", lambda: build_report("unpaid", account, year_filters, today, limit=PAGE_SIZE), sales_baseline, 1.0),
    ]  # fmt: skip
    results = []
    for label, report, baseline, target in cases:
        times = interleaved({"report": report, "raw": baseline}, runs=args.runs, warmups=args.warmups)
        mine, raw = statistics.median(times["report"]), statistics.median(times["raw"])
        ratio = mine / raw
        results.append((label, ratio, target))
        verdict = "ok" if ratio <= target else "MISSED"
        print(
            f"{label:38} report {ms(mine):>10} | raw lines {ms(raw):>10} | {ratio:.3f}x (target {target}x: {verdict})"
        )
    print(
        "\nratios: " + ", ".join(f"{label.split(',')[0]} {ratio:.3f}x" for label, ratio, _target in results)
    )


if __name__ == "__main__":
    main()
