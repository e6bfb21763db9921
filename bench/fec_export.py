"""The FEC of the dataset's largest account over its last full year: write_fec against a raw baseline.

    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/fec_export.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/fec_export.py
    options: --account bench-0001 --year 2025 --runs 3 --warmups 1 --keep /tmp/fec

Needs the dataset (manage.py generate_dataset) in the configured database; reads only. Two variants run
interleaved (A B, B A...), each run in a freshly forked process, so its peak memory is its own:
- fec: facturier.exports.fec.write_fec into a file (every check, the four journals merged by date,
  lettering, VAT due at payment...);
- raw: the floor the issue compares with, "server-side cursor + csv writer over the same rows": the
  sales documents joined with their VAT rows and clients, then the payments joined with their
  allocations, documents and clients (then the expenses and their payments), each read through one
  cursor (a named server-side cursor on PostgreSQL, fetchmany of 2,000 rows), and csv.writer writing
  the lines of a FEC from them (per VAT row: revenue and VAT; per document: customer; per payment: bank;
  per allocation: customer): the same lines, without the merge by date, the checks or the lettering.
It prints, per variant, the median time, journal lines per second, the ratio fec / raw of the
throughputs (target: at least 50 %), the peak resident memory of the child process (VmHWM, target:
at most 300 MB) and its growth during the call; then the time of the FEC checker on the file written.
"""

import argparse
import csv
import datetime
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import database_label, setup_django


def memory_kb(field: str) -> int:
    """A line of /proc/self/status (VmRSS: resident now, VmHWM: its high-water mark), in kB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


def count_lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for _line in file) - 1  # the header apart


def write_with_fec(account: Any, start: datetime.date, end: datetime.date, path: Path) -> None:
    from facturier.exports.base import ExportRequest
    from facturier.exports.fec import write_fec

    with path.open("wb") as out:
        write_fec(ExportRequest(account, start, end), out)


def raw_queries(
    account_id: int, start: datetime.date, end: datetime.date
) -> list[tuple[str, str, list[Any]]]:
    """(name, SQL, parameters) of the baseline's readings, one per source, in (date, id) order."""
    from facturier.billing.models import (
        INVOICE_KINDS,
        Client,
        Document,
        DocumentVatLine,
        Payment,
        PaymentAllocation,
    )
    from facturier.purchases.models import Expense, ExpensePayment, ExpenseVatLine

    kinds = ", ".join(f"'{kind}'" for kind in sorted(INVOICE_KINDS))
    documents, vat_lines, clients = (
        Document._meta.db_table,
        DocumentVatLine._meta.db_table,
        Client._meta.db_table,
    )
    payments, allocations = Payment._meta.db_table, PaymentAllocation._meta.db_table
    expenses, expense_vat, expense_payments = (
        Expense._meta.db_table,
        ExpenseVatLine._meta.db_table,
        ExpensePayment._meta.db_table,
    )
    period = [account_id, start, end]
    # Only table names and fixed fragments are formatted in; every value is a query parameter.
    return [
        (
            "sales",
            "SELECT d.id, d.number, d.issue_date, d.currency, c.id, c.name, c.accounting_code, v.vat_rate, "  # noqa: S608
            "v.supply_kind, v.base_eur, v.vat_amount_eur, v.base, v.vat_amount "
            f"FROM {documents} d JOIN {clients} c ON c.id = d.client_id JOIN {vat_lines} v ON v.document_id = d.id "
            f"WHERE d.account_id = %s AND d.issue_date >= %s AND d.issue_date <= %s AND d.kind IN ({kinds}) "
            "AND d.status <> 'draft' ORDER BY d.issue_date, d.id",
            period,
        ),
        (
            "payments",
            "SELECT p.id, p.date, p.amount, p.currency, p.reference, a.amount, d.number, c.id, c.name, "  # noqa: S608
            f"c.accounting_code FROM {payments} p JOIN {allocations} a ON a.payment_id = p.id "
            f"JOIN {documents} d ON d.id = a.document_id JOIN {clients} c ON c.id = d.client_id "
            "WHERE p.account_id = %s AND p.date >= %s AND p.date <= %s ORDER BY p.date, p.id, a.id",
            period,
        ),
        (
            "expenses",
            "SELECT e.id, e.supplier_number, e.issue_date, e.currency, s.id, s.name, v.deductible, "  # noqa: S608
            f"v.base_eur, v.vat_amount_eur FROM {expenses} e JOIN {clients} s ON s.id = e.supplier_id "
            f"JOIN {expense_vat} v ON v.expense_id = e.id "
            "WHERE e.account_id = %s AND e.issue_date >= %s AND e.issue_date <= %s ORDER BY e.issue_date, e.id",
            period,
        ),
        (
            "expense payments",
            "SELECT p.id, p.date, p.amount, p.reference, e.supplier_number, s.id, s.name "  # noqa: S608
            f"FROM {expense_payments} p JOIN {expenses} e ON e.id = p.expense_id "
            f"JOIN {clients} s ON s.id = e.supplier_id "
            "WHERE p.account_id = %s AND p.date >= %s AND p.date <= %s ORDER BY p.date, p.id",
            period,
        ),
    ]


def write_raw(account: Any, start: datetime.date, end: datetime.date, path: Path) -> None:
    """The baseline: each source read through one cursor, its FEC lines written by csv.writer."""
    from django.db import connection

    def text(value: Any) -> str:
        return str(value).replace(".", ",")

    number = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(
            out, delimiter="|", lineterminator="\r\n", quoting=csv.QUOTE_NONE, escapechar="\\"
        )
        writer.writerow(["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
                         "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
                         "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise"])  # fmt: skip
        for name, sql, params in raw_queries(account.pk, start, end):
            # chunked_cursor: a named (server-side) cursor on PostgreSQL, a plain one on SQLite.
            with connection.chunked_cursor() as cursor:
                cursor.execute(sql, params)
                previous = None
                while rows := cursor.fetchmany(2000):
                    for row in rows:
                        day = row[2] if name in ("sales", "expenses") else row[1]
                        date = day.strftime("%Y%m%d")
                        if row[0] != previous:
                            previous, number = row[0], number + 1
                            first = True
                        else:
                            first = False
                        if name == "sales":
                            label = f"Facture {row[1]} {row[5]}"
                            if first:
                                writer.writerow(["VT", "Ventes", number, date, "411000", "Clients", row[6] or f"C{row[4]}", row[5], row[1], date, label, "0,00", "0,00", "", "", date, "", ""])  # fmt: skip
                            writer.writerow(["VT", "Ventes", number, date, "706000", "Prestations", "", "", row[1], date, label, "0,00", text(row[9]), "", "", date, "", ""])  # fmt: skip
                            if row[10]:
                                writer.writerow(["VT", "Ventes", number, date, "445712", "TVA collectée", "", "", row[1], date, label, "0,00", text(row[10]), "", "", date, "", ""])  # fmt: skip
                        elif name == "payments":
                            label = f"Règlement {row[6]} {row[8]}"
                            if first:
                                writer.writerow(["BQ", "Banque", number, date, "512000", "Banque", "", "", row[4] or row[6], date, label, text(row[2]), "0,00", "", "", date, "", ""])  # fmt: skip
                            writer.writerow(["BQ", "Banque", number, date, "411000", "Clients", row[9] or f"C{row[7]}", row[8], row[4] or row[6], date, label, "0,00", text(row[5]), "", "", date, "", ""])  # fmt: skip
                        elif name == "expenses":
                            label = f"Facture fournisseur {row[1]} {row[5]}"
                            writer.writerow(["HA", "Achats", number, date, "6064", "Achats", "", "", row[1], date, label, text(row[7]), "0,00", "", "", date, "", ""])  # fmt: skip
                            writer.writerow(["HA", "Achats", number, date, "445660", "TVA", "", "", row[1], date, label, text(row[8]), "0,00", "", "", date, "", ""])  # fmt: skip
                        else:
                            label = f"Paiement fournisseur {row[4]} {row[6]}"
                            writer.writerow(["BQ", "Banque", number, date, "401000", "Fournisseurs", f"F{row[5]}", row[6], row[3] or row[4], date, label, text(row[2]), "0,00", "", "", date, "", ""])  # fmt: skip
                            writer.writerow(["BQ", "Banque", number, date, "512000", "Banque", "", "", row[3] or row[4], date, label, "0,00", text(row[2]), "", "", date, "", ""])  # fmt: skip


def measure(
    write: Callable[[Any, datetime.date, datetime.date, Path], None],
    slug: str,
    start: datetime.date,
    end: datetime.date,
    path: Path,
    pipe: Connection,
) -> None:
    """Runs in the forked child: one call of `write`, reported through `pipe`."""
    from django.utils import translation

    from facturier.tenancy.models import Account

    translation.activate("fr")
    account = Account.objects.get(slug=slug)
    before = memory_kb("VmRSS")
    started = time.perf_counter()
    write(account, start, end, path)
    seconds = time.perf_counter() - started
    pipe.send((seconds, memory_kb("VmHWM"), memory_kb("VmHWM") - before))


def run_in_child(variant: Callable[..., None], *args: Any) -> tuple[float, int, int]:
    from django.db import connections

    connections.close_all()  # the child opens its own connection
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(target=measure, args=(variant, *args, sender))
    process.start()
    result = receiver.recv()
    process.join()
    if process.exitcode:
        raise RuntimeError(f"{variant.__name__} failed in its process")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--year", type=int, help="the calendar year to export (default: the last full one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="a folder to keep the files in")
    options = parser.parse_args()
    setup_django()

    from django.db.models import Max

    from facturier.billing.models import Document
    from facturier.exports.fec_check import inspect_fec
    from facturier.tenancy.models import Account

    account = Account.objects.get(slug=options.account)
    year = options.year
    if year is None:
        last = Document.objects.filter(account=account).aggregate(last=Max("issue_date"))["last"]
        year = last.year if last.month == 12 and last.day == 31 else last.year - 1
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    folder = options.keep or Path(tempfile.mkdtemp(prefix="fec-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    documents = Document.objects.filter(account=account, issue_date__gte=start, issue_date__lte=end).count()
    print(f"{database_label()}: {account.slug}, {start} to {end}, {documents:,} documents")

    variants = {"fec": write_with_fec, "raw": write_raw}
    paths = {name: folder / f"{name}.txt" for name in variants}
    samples: dict[str, list[tuple[float, int, int]]] = {name: [] for name in variants}
    names = list(variants)
    for round_number in range(options.warmups + options.runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            result = run_in_child(variants[name], options.account, start, end, paths[name])
            if round_number >= options.warmups:
                samples[name].append(result)

    lines = {name: count_lines(path) for name, path in paths.items()}
    throughput = {}
    for name in names:
        seconds = statistics.median(sample[0] for sample in samples[name])
        throughput[name] = lines[name] / seconds
        peak = max(sample[1] for sample in samples[name]) / 1024
        growth = max(sample[2] for sample in samples[name]) / 1024
        size = paths[name].stat().st_size / 1e6
        print(
            f"{name:>4}: {seconds:6.2f} s (min {min(s[0] for s in samples[name]):.2f}, max "
            f"{max(s[0] for s in samples[name]):.2f}), {lines[name]:,} lines, {throughput[name]:,.0f} lines/s, "
            f"peak RSS {peak:.0f} MB (+{growth:.0f} MB during the call), {size:.1f} MB"
        )
    print(f"fec / raw throughput: {throughput['fec'] / throughput['raw']:.0%} (target: at least 50 %)")

    from facturier.exports.base import ExportRequest
    from facturier.exports.fec import fec_file_name

    started = time.perf_counter()
    report = inspect_fec(paths["fec"], fec_file_name(account, ExportRequest(account, start, end)), limit=20)
    seconds = time.perf_counter() - started
    verdict = "passes" if report.passed else f"{len(report.violations)} violations: {report.violations[:3]}"
    print(
        f"checker: {seconds:.2f} s for {report.lines:,} lines ({report.lines / seconds:,.0f} lines/s), "
        f"{report.entries:,} entries, debit = credit = {report.debit:,.2f}: {verdict}"
    )


if __name__ == "__main__":
    main()
