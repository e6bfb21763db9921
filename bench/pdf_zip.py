"""ZIP of 1,000 invoice PDFs (issue 6, Performance): time in total and per document, and peak memory.

    DEBUG=true .venv/bin/python bench/pdf_zip.py [--documents 1000] [--expenses 100] [--print 500] [--runs 3]
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/pdf_zip.py
    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/pdf_zip.py --account bench-0001

Without --account it works on a scratch database (a temporary SQLite file, or a database of its own on
the PostgreSQL server of DATABASE_URL, dropped at the end): one account of about --documents sales
documents written by devdata/dataset.py (what `generate_dataset` writes), and --expenses expenses
created through the purchases service over the same period, each with a 600 x 800 photo-like JPEG
attachment (about 120 KB, incompressible, like a phone scan). With --account, the last invoices of that dataset account (no
expenses: the dataset has none).

The request is the account's invoices (kind "vat") from the first date through the date of the
--documents-th one, and its expenses of the same period. Each measurement runs in a freshly forked
process writing to a file on disk, as the job worker writes into storage, so that its peak memory is its
own (growth of the resident set: VmHWM after minus VmRSS before) and no cache of a previous run helps:
- render only: the same documents fetched the same way and rendered (render_document_pdf), nothing
  written, what a ZIP cannot go below;
- ZIP: exports.documents.write_pdf_zip (PDFs, attachments, index.csv, sans-justificatif.csv);
- print: write_pdf_print of the first --print invoices (one merged PDF; the writer's limit is 500).
Then, on the first 100 rendered PDFs and attachments: the size and time of deflating them (levels 1 and
6) against storing them, which is what decided the compression of each kind of entry in exports/documents.py.
"""

import argparse
import datetime
import io
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import database_label, ms, scratch_database, setup_django

UNTIL = datetime.date(2026, 11, 28)


def memory_kb(field: str) -> int:
    """A line of /proc/self/status (VmRSS: resident now, VmHWM: its high-water mark), in kB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


def measure(work: Callable[[Path], Any], path: Path, pipe: Connection) -> None:
    """Runs in the forked child: one call of `work`, reported through `pipe`."""
    from django.db import connection, reset_queries
    from django.utils import translation

    translation.activate("fr")
    reset_queries()
    before = memory_kb("VmRSS")
    started = time.perf_counter()
    try:
        work(path)
    except Exception as error:
        pipe.send(f"{type(error).__name__}: {error}")
        raise
    seconds = time.perf_counter() - started
    growth = memory_kb("VmHWM") - before
    size = path.stat().st_size if path.exists() else 0
    pipe.send((seconds, growth, size, len(connection.queries)))


def in_child(work: Callable[[Path], Any], path: Path) -> tuple[float, int, int, int]:
    from django.db import connections

    connections.close_all()  # the child opens its own connection; the parent's is left alone
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=measure, args=(work, path, sender))
    child.start()
    result = receiver.recv()
    child.join()
    if isinstance(result, str):
        raise SystemExit(f"The measured call failed: {result}")
    return result


def scratch_account(documents: int) -> Any:
    """One dataset account with about `documents` sales documents over a year (drafts, credit notes
    and a few quotes included, as generate_dataset makes them)."""
    from facturier.devdata import dataset
    from facturier.tenancy.models import Account

    # 10 % more than asked: drafts, credit notes and cancelled invoices are not all invoices.
    plan = dataset.Plan(accounts=1, documents=documents * 110 // 100, seed=1, years=1, until=UNTIL)
    dataset.generate(plan, batch_size=2000, report=lambda message: None)
    account = Account.objects.get(slug=dataset.slug_for(1))
    Account.objects.filter(pk=account.pk).update(subscription_ends_on=datetime.date(2099, 12, 31))
    account.refresh_from_db()
    return account


def add_expenses(account: Any, start: datetime.date, end: datetime.date, count: int) -> None:
    """`count` expenses spread over [start, end], each with a photo-like JPEG scan, through the service."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from facturier.billing.models import Client
    from facturier.purchases import services as purchases
    from facturier.purchases.models import ExpenseCategory
    from facturier.purchases.services import ExpenseInput, ExpenseLineInput
    from facturier.tenancy.access import Actor

    supplier = Client.objects.create(account=account, kind=Client.Kind.SUPPLIER, name="Fournisseur Général")
    purchases.ensure_default_categories(account)
    category = ExpenseCategory.objects.filter(account=account).first()
    assert category is not None
    rng = random.Random(1)
    days = (end - start).days + 1
    for index in range(count):
        noise = bytes(rng.getrandbits(8) for _ in range(75 * 100 * 3))
        picture = Image.frombytes("RGB", (75, 100), noise).resize((600, 800))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=85)
        data = ExpenseInput(
            supplier_id=supplier.pk,
            category_id=category.pk,
            issue_date=start + datetime.timedelta(days=index * days // max(count, 1)),
            supplier_number=f"FG-{index + 1:05}",
            lines=[ExpenseLineInput("Fournitures", Decimal(1), Decimal("84.20"), Decimal(20))],
        )
        scan = SimpleUploadedFile(f"scan-{index}.jpg", buffer.getvalue(), content_type="image/jpeg")
        purchases.create_expense(Actor.system(), account, data, files=[scan])


def request_for(account: Any, documents: int, **fields: Any) -> Any:
    """The account's invoices of the longest period from the first one that holds at most `documents`
    (whole days: a few fewer when the next one shares the last one's date)."""
    from facturier.billing.models import Document, Status
    from facturier.exports.base import ExportRequest

    dates = list(
        Document.objects.filter(account=account, kind="vat")
        .exclude(status=Status.DRAFT)
        .order_by("issue_date", "id")
        .values_list("issue_date", flat=True)[: documents + 1]
    )
    if not dates:
        raise SystemExit(f"Account {account.slug} has no invoice.")
    end = dates[-1]
    if len(dates) > documents:
        end = dates[-1] - datetime.timedelta(days=1)
    return ExportRequest(account=account, start=dates[0], end=end, kinds=("vat",), **fields)


def compression(request: Any, sample: int) -> None:
    """Deflate against store, on the first `sample` rendered PDFs and attachments."""
    from facturier.exports import documents

    pdfs = []
    for _document, pdf in documents._rendered(request):
        pdfs.append(pdf)
        if len(pdfs) == sample:
            break
    scans = []
    for expense in documents._expenses_with_attachments(request):
        for attachment in expense.attachments.all():
            with attachment.file.open("rb") as file:
                scans.append(file.read())
        if len(scans) >= sample:
            break
    for label, files in (("rendered PDFs", pdfs), ("attachments", scans)):
        if not files:
            continue
        stored = sum(map(len, files))
        results = []
        for level in (1, 6):
            started = time.perf_counter()
            size = 0
            for content in files:
                deflate = zlib.compressobj(level, zlib.DEFLATED, -15)
                size += len(deflate.compress(content) + deflate.flush())
            seconds = time.perf_counter() - started
            results.append(f"level {level}: {size / stored:.1%} of the size, {ms(seconds / len(files))}/file")
        print(
            f"  deflate {len(files)} {label} ({stored / len(files) / 1024:,.1f} KB each): "
            + "; ".join(results)
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=1000, help="invoices in the ZIP")
    parser.add_argument("--expenses", type=int, default=100, help="expenses with a scan (scratch only)")
    parser.add_argument("--print", type=int, default=500, dest="print_count", help="invoices in the print")
    parser.add_argument("--account", help="a dataset account (FACTURIER_VAR_DIR or DATABASE_URL)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--keep", type=Path, help="folder to keep the ZIP and the PDF in, to open them")
    args = parser.parse_args()
    setup_django()
    if args.account:
        from facturier.tenancy.models import Account

        run(Account.objects.get(slug=args.account), args)
    else:
        with scratch_database():
            started = time.perf_counter()
            account = scratch_account(args.documents)
            request = request_for(account, args.documents)
            add_expenses(account, request.start, request.end, args.expenses)
            print(f"Scratch account written in {time.perf_counter() - started:,.1f} s")
            run(account, args)


def run(account: Any, args: argparse.Namespace) -> None:
    from facturier.exports import documents
    from facturier.exports.base import no_progress

    request = request_for(account, args.documents)
    invoices = documents._sales(request).count()
    expenses = documents._expenses(request).count()
    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}: {invoices:,} invoices and {expenses:,} expenses "
        f"from {request.start} to {request.end}"
    )

    def render_only(path: Path) -> None:
        for _document_and_pdf in documents._rendered(request):
            pass

    def write_zip(path: Path) -> None:
        with path.open("wb") as out:
            documents.write_pdf_zip(request, out, no_progress)

    print_request = request_for(account, args.print_count, scope="sales")
    printed = documents._sales(print_request).count()

    def write_print(path: Path) -> None:
        with path.open("wb") as out:
            documents.write_pdf_print(print_request, out, no_progress)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="facturier-pdf-zip-"))
    folder.mkdir(parents=True, exist_ok=True)
    variants = [
        ("render only", invoices, render_only, folder / "nothing"),
        ("ZIP", invoices, write_zip, folder / f"{account.slug}.zip"),
        (f"print ({printed})", printed, write_print, folder / f"{account.slug}.pdf"),
    ]
    # Run in rotating order (A B C, B C A, ...) so the drift of this machine spreads over all of them.
    results: dict[str, list[tuple[float, int, int, int]]] = {label: [] for label, *_ in variants}
    for round_number in range(args.runs):
        shift = round_number % len(variants)
        for label, _count, work, path in variants[shift:] + variants[:shift]:
            results[label].append(in_child(work, path))
    print(f"{args.runs} runs each, each in a fresh process; median time (min, max), largest RSS growth")
    print(
        f"{'':<14} {'total: median (min, max)':<28} {'per invoice':>11} {'RSS growth':>11} {'file':>9} {'queries':>8}"
    )
    for label, count, _work, _path in variants:
        runs = results[label]
        times = [run[0] for run in runs]
        median = statistics.median(times)
        spread = f"{median:,.1f} s ({min(times):,.1f}, {max(times):,.1f})"
        print(
            f"{label:<14} {spread:<28} {ms(median / count):>11} {max(run[1] for run in runs) / 1024:>8,.0f} MB "
            f"{runs[0][2] / 2**20:>6,.1f} MB {runs[0][3]:>8,}"
        )
    compression(request, 100)
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        os.rmdir(folder)


if __name__ == "__main__":
    main()
