"""A report written out: as text for the page and the print view, and as CSV, Excel and PDF files.

Every output is built from the same `base.Report`, so the page, the print view and the three files
always show the same lines and totals. Values stay typed until the last moment: the page and the PDF
format them the way the active language writes numbers and dates; CSV and Excel keep them machine-
readable (dot decimals and ISO dates in CSV; numbers and dates stored as such in Excel).
"""

import datetime
import functools
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import typst
import xlsxwriter
from django.utils import formats, translation
from django.utils.translation import gettext as _

from facturier.lib import csvfiles, fonts
from facturier.lib.money import round_money
from facturier.reports.base import Column, ColumnKind, Report, Table, Value
from facturier.reports.forms import ALL_DATES_START
from facturier.tenancy.models import Account

NUMERIC_KINDS = frozenset({"money", "number", "percent", "int"})
# Beyond this many columns a table is printed on A4 landscape (PDF, and Excel's page setup).
PORTRAIT_MAX_COLUMNS = 7

# --- Text: what the page, the print view and the PDF show ------------------------------------------


class CellFormatter:
    """Values as the active language writes them ("1 234,56", "5,5 %", "31/01/2026").

    Built once per output: separators are looked up once, then each cell is a str.format and a
    translate, because the print view and the PDF of a long list format 100,000 cells and more.
    """

    def __init__(self) -> None:
        decimal = str(formats.get_format("DECIMAL_SEPARATOR"))
        group = str(formats.get_format("THOUSAND_SEPARATOR"))
        self._separators = str.maketrans({",": group, ".": decimal})
        self._percent = "\u00a0%" if translation.get_language() == "fr" else "%"

    def __call__(self, value: Value, kind: ColumnKind) -> str:
        if value is None or value == "":
            return ""
        if kind == "money" and isinstance(value, Decimal | int):
            return f"{value:,.2f}".translate(self._separators)
        if kind == "int" and isinstance(value, int | Decimal):
            return f"{value:,.0f}".translate(self._separators)
        if kind in ("number", "percent") and isinstance(value, Decimal | int):
            text = _plain_number(value).translate(self._separators)
            return text + self._percent if kind == "percent" else text
        if isinstance(value, datetime.date):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        return str(value)


def _plain_number(value: Decimal | int) -> str:
    """20.00 -> "20", 5.50 -> "5.5", 1234.5 -> "1,234.5": no trailing zeros, grouped."""
    number = Decimal(value)
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def period_label(report: Report) -> str:
    """ "du 01/01/2026 au 31/12/2026", or "jusqu'au 31/12/2026" for a report on all dates."""
    end = formats.date_format(report.end, "SHORT_DATE_FORMAT")
    if report.start <= ALL_DATES_START:
        return _("jusqu'au %(end)s") % {"end": end}
    return _("du %(start)s au %(end)s") % {
        "start": formats.date_format(report.start, "SHORT_DATE_FORMAT"),
        "end": end,
    }


def period_line(report: Report) -> str:
    return _("Période : %(period)s") % {"period": period_label(report)}


def filter_lines(report: Report) -> list[str]:
    """The filters a report ran with, less the period (the queries list it first, in the same words;
    the outputs print it on a line of their own, and for "all dates" as "jusqu'au ...")."""
    dates = {
        "start": formats.date_format(report.start, "SHORT_DATE_FORMAT"),
        "end": formats.date_format(report.end, "SHORT_DATE_FORMAT"),
    }
    period = _("Période : du %(start)s au %(end)s") % dates
    return [line for line in report.filter_summary if line != period]


@dataclass
class DisplayTable:
    """A table with its cells as text, for templates: (text, numeric) pairs, numeric cells right-aligned."""

    title: str
    headers: list[tuple[str, bool]]
    rows: list[list[tuple[str, bool]]]
    totals: list[tuple[str, bool]] | None
    totals_label: int  # the column of the totals row's label ("Total"), its row header
    notes: list[str]
    row_count: int  # rows of the whole table (the page may show a slice)


def display_table(table: Table, rows: Iterable[dict[str, Value]] | None = None) -> DisplayTable:
    """The table as text; `rows` (a slice of table.rows, for one page of a long list) defaults to all."""
    fmt = CellFormatter()
    kinds = [(column.key, column.kind, column.kind in NUMERIC_KINDS) for column in table.columns]
    totals = table.totals or {}
    label = next((i for i, (key, _k, numeric) in enumerate(kinds) if totals.get(key) and not numeric), 0)
    return DisplayTable(
        title=table.title,
        headers=[(column.label, column.kind in NUMERIC_KINDS) for column in table.columns],
        rows=[
            [(fmt(row.get(key), kind), numeric) for key, kind, numeric in kinds]
            for row in (table.rows if rows is None else rows)
        ],
        totals=(
            [(fmt(table.totals.get(key), kind), numeric) for key, kind, numeric in kinds]
            if table.totals is not None
            else None
        ),
        totals_label=label,
        notes=table.notes,
        row_count=table.total_rows,
    )


# --- CSV -----------------------------------------------------------------------------------------


def _csv_value(value: Value, kind: ColumnKind) -> Value:
    if kind == "money" and isinstance(value, Decimal):
        # In cents: "1200" or "250.100000000000" (SQLite's arithmetic) is written "1200.00", "250.10".
        return round_money(value)
    return value


def to_csv(report: Report) -> bytes:
    """The report as CSV (UTF-8, comma-separated, no byte-order mark), for scripts and spreadsheets.

    Layout: a header row of column labels, then one row per line of the on-screen table, then its
    totals row when it has one (its label in the first column). Amounts are written with a dot as
    decimal separator and no grouping ("1234.50"), dates in ISO format ("2026-01-31"), and empty
    values as empty fields; a text starting with = + - @ gets a leading quote (lib/csvfiles.py). A report with several tables writes each one preceded by a line holding
    its title alone, then its own header row, rows and totals; a blank line separates two tables.
    Notes under the tables (e.g. the CA3 boxes) are not written: they are not lines of a table.
    """
    buffer = io.StringIO(newline="")
    writer = csvfiles.writer(buffer)
    several = len(report.tables) > 1
    for index, table in enumerate(report.tables):
        if several:
            if index:
                writer.writerow([])
            writer.writerow([table.title])
        columns = [(column.key, column.kind) for column in table.columns]
        writer.writerow([column.label for column in table.columns])
        writer.writerows([_csv_value(row.get(key), kind) for key, kind in columns] for row in table.rows)
        if table.totals is not None:
            totals = table.totals
            writer.writerow([_csv_value(totals.get(key), kind) for key, kind in columns])
    return buffer.getvalue().encode("utf-8")


# --- Excel ---------------------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"
NUMBER_FORMAT = "#,##0.####"
PERCENT_FORMAT = '0.0#" %"'  # rates are stored as percents (20 for 20 %), not as fractions
INT_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"
_NUMBER_FORMATS: dict[str, str] = {
    "money": MONEY_FORMAT,
    "number": NUMBER_FORMAT,
    "percent": PERCENT_FORMAT,
    "int": INT_FORMAT,
    "date": DATE_FORMAT,
}
MAX_WIDTH = 50
_SHEET_NAME_FORBIDDEN = str.maketrans({char: " " for char in "[]:*?/\\"})


def _sheet_name(title: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the file."""
    base = (title.translate(_SHEET_NAME_FORBIDDEN).strip().strip("'") or _("Tableau"))[:31]
    name, number = base, 2
    while name.casefold() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.casefold())
    return name


def _width(value: Value, kind: ColumnKind) -> int:
    if value is None:
        return 0
    if kind == "date":
        return 10
    if kind in NUMERIC_KINDS:
        digits = len(format(value, "f")) if isinstance(value, Decimal) else len(str(value))
        return digits + digits // 3  # room for the thousands separators
    return len(str(value))


def _column_widths(table: Table) -> list[int]:
    widths = []
    for column in table.columns:
        longest = max((_width(row.get(column.key), column.kind) for row in table.rows), default=0)
        if table.totals is not None:
            longest = max(longest, _width(table.totals.get(column.key), column.kind))
        widths.append(min(max(longest, len(column.label), 6) + 2, MAX_WIDTH))
    return widths


class _ExcelWriter:
    """Writes the tables of a report in a workbook, one worksheet per table, rows in order (the
    constant_memory mode of XlsxWriter flushes each row to a temporary file once the next begins)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.header_numeric = workbook.add_format(
            {"bold": True, "bottom": 1, "text_wrap": True, "valign": "top", "align": "right"}
        )
        self.muted = workbook.add_format({"italic": True, "font_color": "#5d6773"})
        self.cell = {kind: workbook.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}
        self.total = {
            kind: workbook.add_format({"num_format": f, "bold": True, "top": 1})
            for kind, f in _NUMBER_FORMATS.items()
        }
        self.total_text = workbook.add_format({"bold": True, "top": 1})

    def value(self, sheet: Any, row: int, col: int, value: Value, kind: ColumnKind, total: bool) -> None:
        cell_format = (self.total if total else self.cell).get(kind)
        if value is None or value == "":
            if total:
                sheet.write_blank(row, col, None, self.total_text)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, col, value, cell_format)
        elif isinstance(value, Decimal | int) and not isinstance(value, bool):
            sheet.write_number(row, col, float(value), cell_format)
        else:
            sheet.write_string(row, col, str(value), self.total_text if total else None)

    def table(self, sheet: Any, table: Table, heading: list[str]) -> None:
        columns: list[Column] = table.columns
        for index, width in enumerate(_column_widths(table)):
            sheet.set_column(index, index, width)
        row = 0
        for index, line in enumerate(heading):
            sheet.write_string(row, 0, line, self.title if index == 0 else self.muted)
            row += 1
        row += 1
        header_row = row
        for col, column in enumerate(columns):
            numeric = column.kind in NUMERIC_KINDS
            sheet.write_string(row, col, column.label, self.header_numeric if numeric else self.header)
        sheet.freeze_panes(header_row + 1, 0)
        # Printed from Excel: as wide as the paper, the header row on every page.
        sheet.repeat_rows(header_row)
        sheet.fit_to_pages(1, 0)
        if len(columns) > PORTRAIT_MAX_COLUMNS:
            sheet.set_landscape()
        for data in table.rows:
            row += 1
            for col, column in enumerate(columns):
                self.value(sheet, row, col, data.get(column.key), column.kind, total=False)
        if columns:
            sheet.autofilter(header_row, 0, max(row, header_row), len(columns) - 1)
        if table.totals is not None:
            row += 1
            for col, column in enumerate(columns):
                self.value(sheet, row, col, table.totals.get(column.key), column.kind, total=True)
        row += 1
        for note in table.notes:
            row += 1
            sheet.write_string(row, 0, note, self.muted)


def to_xlsx(report: Report, account: Account | None = None) -> bytes:
    """The report as an Excel workbook: one worksheet per table, each opening with a title (account,
    report, period, filters, table), then a bold header row with an autofilter, the rows with numbers
    stored as numbers (money format "#,##0.00", rates as "20 %") and dates as dates, a bold totals row,
    and the table's notes. Written in constant_memory mode, so a long list does not sit in memory twice.
    """
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            # Text is data: a client named "=HYPERLINK(...)" must stay a name, not become a formula.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": report.title, "company": account.name if account else ""})
    writer = _ExcelWriter(workbook)
    title = f"{account.name} — {report.title}" if account else report.title
    summary = " · ".join(filter_lines(report))
    taken: set[str] = set()
    tables = report.tables or [Table(title=report.title, columns=[])]
    for table in tables:
        sheet = workbook.add_worksheet(_sheet_name(table.title, taken))
        heading = [title, period_line(report)]
        if summary:
            heading.append(summary)
        if len(tables) > 1:
            heading.append(table.title)
        writer.table(sheet, table, heading)
    workbook.close()
    return output.getvalue()


# --- PDF -----------------------------------------------------------------------------------------

TEMPLATE = Path(__file__).parent / "typst" / "report.typ"
# Typst lays a table out in memory as a whole and keeps its recent layouts cached in the process: a
# 10,000-row list takes about 1.2 GB and 7 to 10 s (bench/report_outputs.py), and a web worker would
# keep that memory. Longer reports than this are compiled by a child process, which gives it back
# when it exits (for about 0.1 s of start-up); shorter ones by the compiler of this process.
IN_PROCESS_MAX_ROWS = 500
# Tagged PDF (the structure screen readers follow) costs little on a report of a few pages, but on a
# 10,000-row list it makes the file 16 times larger (17 MB) and the render half as long again; the
# page itself is the accessible version of a long list.
TAGGED_MAX_ROWS = 2_000
CHILD_TIMEOUT = 300  # seconds

# The child: the template, the tagging and the fonts (lib/fonts: the folders, then the inputs) in its
# arguments, the JSON data on stdin, the PDF on stdout.
_CHILD_SCRIPT = """
import json, sys, typst
template, root, tagged = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
fonts = typst.Fonts(include_system_fonts=False, font_paths=json.loads(sys.argv[4]))
compiler = typst.Compiler(template, root=root, font_paths=fonts, ignore_system_fonts=True)
inputs = {**json.loads(sys.argv[5]), "data": sys.stdin.buffer.read().decode("utf-8")}
sys.stdout.buffer.write(compiler.compile(format="pdf", sys_inputs=inputs, pdf_tags=tagged))
"""


@functools.cache
def _compiler() -> typst.Compiler:
    # The same handling as billing/pdf.py: one compiler per process (template parsed once), with the
    # fonts of every PDF (lib/fonts).
    return fonts.compiler(TEMPLATE)


# A compiler keeps the inputs of its last compilation: one render at a time per process.
_compile_lock = threading.Lock()


def _compile_in_child(data: str, tagged: bool) -> bytes:
    arguments = [
        str(TEMPLATE),
        str(TEMPLATE.parent),
        "1" if tagged else "0",
        json.dumps(fonts.folders()),
        json.dumps(fonts.INPUTS),
    ]
    done = subprocess.run(  # noqa: S603 (our interpreter and script; the data goes through stdin)
        [sys.executable, "-c", _CHILD_SCRIPT, *arguments],
        input=data.encode("utf-8"),
        capture_output=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        raise RuntimeError(f"Typst child process failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout


def pdf_payload(report: Report, account: Account) -> dict[str, Any]:
    """What the PDF prints, as text in the active language: the JSON the Typst template lays out."""
    widest = max((len(table.columns) for table in report.tables), default=0)
    tables = []
    for table in report.tables:
        shown = display_table(table)
        tables.append(
            {
                "title": table.title,
                "columns": [{"label": label, "numeric": numeric} for label, numeric in shown.headers],
                # Only the text travels: the alignment is the column's.
                "rows": [[text for text, _numeric in row] for row in shown.rows],
                "totals": [text for text, _numeric in shown.totals] if shown.totals is not None else None,
                "notes": table.notes,
                "empty": _("Aucune ligne pour cette période et ces filtres."),
            }
        )
    return {
        "lang": translation.get_language() or "fr",
        "account": account.name,
        "title": report.title,
        "period": period_line(report),
        "filters": filter_lines(report),
        "printed": _("Édité le %(date)s")
        % {"date": formats.date_format(account.today(), "SHORT_DATE_FORMAT")},
        "landscape": widest > PORTRAIT_MAX_COLUMNS,
        "tables": tables,
    }


def to_pdf(report: Report, account: Account) -> bytes:
    """The report as an A4 PDF: title block (account, report, period, filters), then each table with
    its header repeated on every page, its totals row and its notes; pages numbered "n / total".
    Wide tables (more than PORTRAIT_MAX_COLUMNS columns) turn the paper to landscape."""
    data = json.dumps(pdf_payload(report, account))
    rows = sum(len(table.rows) for table in report.tables)
    if rows > IN_PROCESS_MAX_ROWS:
        return _compile_in_child(data, tagged=rows <= TAGGED_MAX_ROWS)
    with _compile_lock:
        pdf = _compiler().compile(format="pdf", sys_inputs={"data": data, **fonts.INPUTS})
    assert isinstance(pdf, bytes)
    return pdf
