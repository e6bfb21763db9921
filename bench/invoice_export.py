"""The invoice export of the dataset's largest account over its last full year: XLSX and CSV against
raw writers over the same rows.

    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/invoice_export.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/invoice_export.py
    options: --account bench-0001 --year 2025 --layout document|line --runs 3 --variants xlsx,raw-xlsx,csv,raw-csv

Needs the dataset (manage.py generate_dataset) in the configured database; reads only. Each variant
runs in a process of its own (this script started again with --child), so its peak memory is its own:
- xlsx, csv: the writers of facturier/exports/tables.py (`write_invoices_xlsx`, `write_invoices_csv`)
  into a temporary file, as the job worker runs them (chunked reads, one query per chunk for the VAT
  rows and one for the lines);
- raw-xlsx, raw-csv: the same rows (documents with their client, EUR amounts per rate summed by the
  database in the same query, the lines' accounts as one string) read by hand through one raw cursor
  (server-side on PostgreSQL, fetchmany) and written with XlsxWriter in constant_memory mode (same
  number of columns, numbers, dates and text written with the same typed calls and formats) or with
  the csv module: what the hardware and the libraries cost, without Django or our code.
The variants run interleaved (A B C D, B C D A, ...) --runs times; the script prints each one's median
time, rows per second, the ratio to its raw counterpart, the peak resident memory of its process
(ru_maxrss) and how much of it the export added (VmHWM at the end minus VmRSS before), and the file size.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from common import database_label, setup_django

VARIANTS = ("xlsx", "raw-xlsx", "csv", "raw-csv")


def memory_kb(field: str) -> int:
    """A line of /proc/self/status (VmRSS: resident now, VmHWM: its high-water mark), in kB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


# --- The raw baseline ----------------------------------------------------------------------------


def raw_query(vendor: str, account_id: int, start: datetime.date, end: datetime.date, layout: str) -> tuple[str, list[Any]]:  # fmt: skip
    """The export's rows by hand: one query, amounts per rate summed by the database."""
    from facturier.billing.models import (
        INVOICE_KINDS,
        Client,
        Document,
        DocumentLine,
        DocumentVatLine,
        Product,
    )

    documents, clients, vat_rows = (
        Document._meta.db_table,
        Client._meta.db_table,
        DocumentVatLine._meta.db_table,
    )
    lines, products = DocumentLine._meta.db_table, Product._meta.db_table
    kinds = ", ".join(f"'{kind}'" for kind in sorted(INVOICE_KINDS))
    where = (
        f"d.account_id = %s AND d.issue_date >= %s AND d.issue_date <= %s AND d.kind IN ({kinds}) "
        "AND d.status <> 'draft'"
    )
    head = (
        "d.number, d.kind, d.issue_date, d.sell_date, d.due_date, d.buyer_name, d.buyer_siren, "
        "d.buyer_vat_number, d.buyer_country, c.accounting_code, d.currency, d.exchange_rate"
    )
    if layout == "line":
        sql = (
            f"SELECT {head}, l.position, p.code, l.name, l.quantity, l.unit_price, l.discount_percent, "  # noqa: S608
            "l.vat_rate, l.vat_category, l.vat_country, l.net_amount, l.gross_amount - l.net_amount, "
            "l.gross_amount, l.net_amount * d.exchange_rate, (l.gross_amount - l.net_amount) * d.exchange_rate, "
            "l.gross_amount * d.exchange_rate, l.accounting_code, d.status, d.exported_at "
            f"FROM {documents} d JOIN {clients} c ON c.id = d.client_id "
            f"JOIN {lines} l ON l.document_id = d.id LEFT JOIN {products} p ON p.id = l.product_id "
            f"WHERE {where} ORDER BY d.issue_date, d.id, l.position, l.id"
        )
        return sql, [account_id, start, end]

    def at(rate: str, field: str) -> str:
        return f"SUM(CASE WHEN v.vat_country = 'FR' AND v.vat_rate = {rate} THEN v.{field} ELSE 0 END)"

    per_rate = ", ".join(
        f"{at(rate, 'base_eur')}, {at(rate, 'vat_amount_eur')}" for rate in ("20", "10", "5.5", "2.1")
    )
    aggregate = "string_agg" if vendor == "postgresql" else "group_concat"
    accounts = (  # only table names and fixed fragments are formatted in; values are parameters
        f"(SELECT {aggregate}(DISTINCT l.supply_kind || l.vat_category || l.vat_country || l.accounting_code"  # noqa: S608
        f"{', %s' if vendor == 'postgresql' else ''}) FROM {lines} l WHERE l.document_id = d.id)"
    )
    sql = (
        f"SELECT {head}, {per_rate}, "  # noqa: S608
        "SUM(CASE WHEN v.vat_rate = 0 THEN v.base_eur ELSE 0 END), "
        "SUM(CASE WHEN v.vat_rate <> 0 AND (v.vat_country <> 'FR' OR v.vat_rate NOT IN (20, 10, 5.5, 2.1)) "
        "THEN v.base_eur ELSE 0 END), "
        "SUM(CASE WHEN v.vat_rate <> 0 AND (v.vat_country <> 'FR' OR v.vat_rate NOT IN (20, 10, 5.5, 2.1)) "
        "THEN v.vat_amount_eur ELSE 0 END), "
        "SUM(v.base_eur), SUM(v.vat_amount_eur), SUM(v.base_eur + v.vat_amount_eur), "
        "SUM(v.base), SUM(v.vat_amount), SUM(v.base + v.vat_amount), d.advances_deducted, d.status, "
        "d.paid_total, d.gross_total - d.advances_deducted - d.paid_total - d.credited_total, "
        f"{accounts}, d.exported_at "
        f"FROM {documents} d JOIN {clients} c ON c.id = d.client_id "
        f"LEFT JOIN {vat_rows} v ON v.document_id = d.id WHERE {where} "
        "GROUP BY d.id, c.id ORDER BY d.issue_date, d.id"
    )
    return sql, ([" ; "] if vendor == "postgresql" else []) + [account_id, start, end]


def raw_rows(sql: str, params: list[Any]) -> Any:
    from django.db import connection

    from facturier.exports.base import CHUNK_SIZE

    with connection.chunked_cursor() as cursor:  # a server-side cursor on PostgreSQL
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK_SIZE):
            yield from chunk


def raw_xlsx(rows: Any, out: Any, kinds: list[str]) -> int:
    import xlsxwriter

    from facturier.exports.tables import _NUMBER_FORMATS

    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet("Factures")
    formats = {kind: workbook.add_format({"num_format": code}) for kind, code in _NUMBER_FORMATS.items()}
    for col, kind in enumerate(kinds):
        sheet.write_string(0, col, kind)
    row = 0
    for row, values in enumerate(rows, start=1):
        for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
            if value is None or value == "":
                continue
            if kind in ("date", "datetime"):
                if isinstance(value, str):  # SQLite gives what it cannot type as text
                    value = datetime.date.fromisoformat(value[:10])
                if isinstance(value, datetime.datetime):
                    value = value.replace(tzinfo=None)
                sheet.write_datetime(row, col, value, formats[kind])
            elif kind == "text":
                sheet.write_string(row, col, str(value))
            else:
                sheet.write_number(row, col, float(value), formats[kind])
    sheet.autofilter(0, 0, row, len(kinds) - 1)
    workbook.close()
    return row


def raw_csv(rows: Any, out: Any, kinds: list[str]) -> int:
    import codecs
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    out.write(codecs.BOM_UTF8)
    writer.writerow(kinds)
    count = 0
    for count, values in enumerate(rows, start=1):
        writer.writerow(values)
        if count % 500 == 0:
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8"))
    return count


# --- One measured run, in a child process --------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    setup_django()
    from django.db import connection
    from django.utils import translation

    from facturier.exports import tables
    from facturier.exports.base import ExportRequest, no_progress
    from facturier.tenancy.models import Account

    translation.activate("fr")
    account = Account.objects.get(slug=args.account)
    start, end = datetime.date(args.year, 1, 1), datetime.date(args.year, 12, 31)
    request = ExportRequest(account=account, start=start, end=end, layout=args.layout)
    columns = tables.line_columns() if args.layout == "line" else tables.document_columns()
    kinds = [column.kind for column in columns]
    connection.ensure_connection()
    before = memory_kb("VmRSS")
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        if args.child == "xlsx":
            tables.write_invoices_xlsx(request, out, no_progress)
        elif args.child == "csv":
            tables.write_invoices_csv(request, out, no_progress)
        else:
            sql, params = raw_query(connection.vendor, account.pk, start, end, args.layout)
            write = raw_xlsx if args.child == "raw-xlsx" else raw_csv
            write(raw_rows(sql, params), out, kinds)
        seconds = time.perf_counter() - started
        size = out.tell()
    result = {
        "seconds": seconds,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "added_kb": memory_kb("VmHWM") - before,
        "size": size,
        "queries": len(connection.queries),
    }
    print(json.dumps(result))


def run_child(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--child", variant, "--account", args.account, "--year", str(args.year),
        "--layout", args.layout,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--year", type=int, help="default: the account's last full calendar year")
    parser.add_argument("--layout", choices=("document", "line"), default="document")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    setup_django()
    from django.db.models import Max

    from facturier.billing.models import DocumentLine
    from facturier.exports import selection
    from facturier.exports.base import ExportRequest
    from facturier.tenancy.models import Account

    account = Account.objects.filter(slug=args.account).first()
    if account is None:
        raise SystemExit(f"No account {args.account}: run manage.py generate_dataset first.")
    if args.year is None:
        last = selection.sales_documents(
            ExportRequest(account=account, start=datetime.date(1900, 1, 1), end=datetime.date(2999, 12, 31))
        ).aggregate(last=Max("issue_date"))["last"]
        args.year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    request = ExportRequest(
        account=account, start=datetime.date(args.year, 1, 1), end=datetime.date(args.year, 12, 31)
    )
    documents = selection.sales_documents(request)
    count = documents.count()
    rows = DocumentLine.objects.filter(document__in=documents).count() if args.layout == "line" else count
    variants = [name for name in args.variants.split(",") if name]
    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}, year {args.year}: {count:,} documents, {rows:,} rows ({args.layout} layout); "
        f"{args.runs} interleaved runs, each variant in a process of its own; medians"
    )
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for round_number in range(args.runs):
        shift = round_number % len(variants)
        for name in variants[shift:] + variants[:shift]:
            results[name].append(run_child(name, args))
            print(f"  run {round_number + 1} {name}: {results[name][-1]['seconds']:.2f} s", flush=True)
    medians = {name: statistics.median(r["seconds"] for r in runs) for name, runs in results.items()}
    print()
    print(
        f"{'variant':<9} {'time':>9} {'rows/s':>9} {'vs raw':>7} {'peak RSS':>9} {'added':>8} {'file':>9} queries"
    )
    for name, runs in results.items():
        seconds = medians[name]
        raw = medians.get(f"raw-{name}")
        ratio = f"{raw / seconds:.0%}" if raw else ""
        peak = max(r["peak_kb"] for r in runs) / 1024
        added = max(r["added_kb"] for r in runs) / 1024
        size = runs[-1]["size"] / 1024 / 1024
        print(
            f"{name:<9} {seconds:>7.2f} s {rows / seconds:>9,.0f} {ratio:>7} {peak:>6.0f} MB {added:>5.0f} MB "
            f"{size:>6.1f} MB {runs[-1]['queries']}"
        )
    print(
        "\n'vs raw': throughput as a share of the raw writer's; 'added': VmHWM at the end minus VmRSS before."
    )


if __name__ == "__main__":
    main()
