"""CSV files that a spreadsheet opens without running anything in them.

A spreadsheet reads a cell starting with = + - @ (and, in some, a tab or a carriage return) as a formula.
Text in our files is data users typed or imported (a client named `=HYPERLINK("http://…","Payer")`, a
supplier name read from an e-invoice), so every text cell starting with one of those gets a leading
single quote, as OWASP recommends ("CSV injection"): the spreadsheet shows the text, the quote says why.

Numbers must stay numbers (a credit note's "-120.00"), so the writer tells them apart by type, not by
content: callers hand amounts over as `Decimal` or `int`, dates as `date`, and only `str` cells are
neutralised. Every CSV the product writes goes through `writer()`: a test keeps `csv.writer` out of
the rest of the code. The FEC is not a CSV for spreadsheets (a regulated text format read by
accounting software and the tax administration's tools) and keeps its own writer: see exports/fec.py.
"""

import csv
import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

# OWASP's list (CSV injection): what Excel, LibreOffice and Google Sheets may read as a formula's start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | float | datetime.date | None


class _Output(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(text: str) -> str:
    """`text`, with a leading quote when a spreadsheet would otherwise read it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell(value: Cell) -> str:
    """One value as a CSV field: text neutralised, numbers with a dot and no exponent ("1234.50",
    "-120.00"), dates in ISO 8601, None empty. Round amounts before: this writes them as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return value.isoformat()


class Writer:
    """csv.writer's writerow and writerows, every cell through `cell()`."""

    def __init__(self, output: _Output, *, delimiter: str = ",") -> None:
        self._writer = csv.writer(output, delimiter=delimiter, lineterminator="\r\n")

    def writerow(self, row: Iterable[Cell]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Cell]]) -> None:
        self._writer.writerows([cell(value) for value in row] for row in rows)


def writer(output: _Output, *, delimiter: str = ",") -> Writer:
    """A CSV writer (CRLF line ends, as RFC 4180) whose text cells cannot become formulas."""
    return Writer(output, delimiter=delimiter)
