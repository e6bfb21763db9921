"""Excel and PDF of a 10,000-row revenue list: the time and peak memory of each writer.

    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/report_outputs.py
    DEBUG=true .venv/bin/python bench/report_outputs.py --synthetic      # no dataset needed
    options: --account bench-0001 --rows 10000 --runs 3 --keep /tmp/outputs

The report is built once: `queries.build_report("revenue", ...)` on the dataset's largest account over
its last year, limited to the first --rows documents (`limit`, as a page would ask; the totals are those
of the year), or, with --synthetic, made up with the same columns. Then each writer (CSV for reference,
Excel, PDF) runs --runs times, each time in a freshly forked process, so that:
- its time is what a web worker pays for a report it has not rendered before (Typst keeps a cache of
  its last layouts: a second render of the same report in one process would be misleadingly fast);
- its peak memory is its own: the growth of the process's resident set during the call (VmHWM after
  minus VmRSS before: Python's and Rust's allocations alike); the peak resident set of the child
  process that compiles a long report's PDF (outputs.IN_PROCESS_MAX_ROWS), which the worker does not
  keep; and, in one more run, the peak of Python's own allocations (tracemalloc, which slows the run).
It prints the median (min, max) time, these three memory figures and the file size.
"""

import argparse
import datetime
import multiprocessing
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import database_label, ms, setup_django


def memory_kb(field: str) -> int:
    """A line of /proc/self/status (VmRSS: resident now, VmHWM: its high-water mark), in kB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


def measure(write: Callable[[], bytes], traced: bool, pipe: Connection) -> None:
    """Runs in the forked child: one call of `write`, reported through `pipe`."""
    from django.utils import translation

    translation.activate("fr")
    before = memory_kb("VmRSS")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    content = write()
    seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] if traced else 0
    # A long report's PDF is compiled by a process of its own (outputs.IN_PROCESS_MAX_ROWS): its peak.
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    pipe.send((seconds, memory_kb("VmHWM") - before, child_peak, python_peak, len(content)))


def in_child(write: Callable[[], bytes], traced: bool) -> tuple[float, int, int, int, int]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=measure, args=(write, traced, sender))
    child.start()
    result = receiver.recv()
    child.join()
    return result


def dataset_report(slug: str, rows: int) -> tuple[Any, Any, str]:
    from django.db.models import Max

    from facturier.billing.models import Document
    from facturier.reports import queries
    from facturier.reports.base import ReportFilters
    from facturier.tenancy.models import Account

    account = Account.objects.filter(slug=slug).first()
    if account is None:
        raise SystemExit(f"No account {slug}: run manage.py generate_dataset first, or pass --synthetic.")
    last = Document.objects.filter(account=account).aggregate(last=Max("issue_date"))["last"]
    filters = ReportFilters(start=last - datetime.timedelta(days=364), end=last)
    started = time.perf_counter()
    report = queries.build_report("revenue", account, filters, account.today(), limit=rows)
    seconds = time.perf_counter() - started
    table = report.tables[0]
    origin = (
        f"{database_label()}, account {slug}: revenue list {filters.start} to {filters.end}, "
        f"{len(table.rows):,} of its {table.total_rows:,} rows (build_report: {ms(seconds)})"
    )
    return report, account, origin


def synthetic_report(rows: int) -> tuple[Any, Any, str]:
    from facturier.reports.base import Column, Report, Table
    from facturier.tenancy.models import Account

    columns = [
        Column("date", "Date", "date"),
        Column("number", "Numéro"),
        Column("kind", "Type"),
        Column("client", "Client"),
        Column("country", "Pays"),
        Column("net", "HT (EUR)", "money"),
        Column("vat", "TVA (EUR)", "money"),
        Column("gross", "TTC (EUR)", "money"),
        Column("amount", "TTC (devise)", "money"),
        Column("currency", "Devise"),
        Column("status", "État"),
    ]
    start = datetime.date(2025, 1, 1)
    table = Table(
        title="Documents de vente",
        columns=columns,
        rows=[
            {
                "date": start + datetime.timedelta(days=i * 365 // rows),
                "number": f"F-2025-{i + 1:05}",
                "kind": "Facture",
                "client": f"Client {i % 700:03} SARL",
                "country": "FR" if i % 5 else "DE",
                "net": Decimal(1000 + i % 9000) / 10,
                "vat": Decimal(200 + i % 1800) / 10,
                "gross": Decimal(1200 + i % 10800) / 10,
                "amount": Decimal(1200 + i % 10800) / 10,
                "currency": "EUR",
                "status": "Payé",
            }
            for i in range(rows)
        ],
        totals={"number": "Total", "net": Decimal("123456789.00")},
    )
    report = Report("revenue", "Liste des revenus", start, datetime.date(2025, 12, 31), tables=[table])
    return report, Account(slug="bench", name="Entreprise de test"), f"synthetic: {rows:,} rows, 11 columns"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--synthetic", action="store_true", help="made-up rows instead of the dataset")
    parser.add_argument("--keep", type=Path, help="folder to write the files to, to open them")
    args = parser.parse_args()
    setup_django()
    from django.utils import translation

    from facturier.reports import outputs

    translation.activate("fr")
    report, account, origin = (
        synthetic_report(args.rows) if args.synthetic else dataset_report(args.account, args.rows)
    )
    print(origin)
    writers: dict[str, Callable[[], bytes]] = {
        "CSV": lambda: outputs.to_csv(report),
        "Excel": lambda: outputs.to_xlsx(report, account),
        "PDF": lambda: outputs.to_pdf(report, account),
    }
    print(
        f"{'writer':<6} {'time: median (min, max)':<40} {'RSS growth':>11} {'child RSS':>10} "
        f"{'Python peak':>12} {'size':>9}"
    )
    for name, write in writers.items():
        runs = [in_child(write, traced=False) for _ in range(args.runs)]
        python_peak = in_child(write, traced=True)[3]
        times = [run[0] for run in runs]
        growth = max(run[1] for run in runs)
        child = max(run[2] for run in runs)
        size = runs[0][4]
        print(
            f"{name:<6} {ms(statistics.median(times))} ({ms(min(times))}, {ms(max(times))})".ljust(47)
            + f"{growth / 1024:>8,.0f} MB {child / 1024:>7,.0f} MB {python_peak / 2**20:>9,.1f} MB"
            + f"{size / 2**20:>7,.2f} MB"
        )
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            extension = {"CSV": "csv", "Excel": "xlsx", "PDF": "pdf"}[name]
            (args.keep / f"{report.file_stem(account.slug)}.{extension}").write_bytes(write())


if __name__ == "__main__":
    main()
