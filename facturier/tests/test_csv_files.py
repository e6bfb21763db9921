"""The one CSV writer of the product: text a spreadsheet would run is quoted, numbers stay numbers."""

import ast
import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest

from facturier.lib import csvfiles

PACKAGE = Path(__file__).resolve().parents[1]


def written(*rows: list[csvfiles.Cell], delimiter: str = ",") -> list[list[str]]:
    buffer = io.StringIO(newline="")
    csvfiles.writer(buffer, delimiter=delimiter).writerows(rows)
    return list(csv.reader(io.StringIO(buffer.getvalue(), newline=""), delimiter=delimiter))


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.test","Payer")',
        "+33 1 23 45 67 89",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "=cmd|' /C calc'!A0",
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert csvfiles.neutralise(text) == f"'{text}"
    assert written([text, "ok"]) == [[f"'{text}", "ok"]]


@pytest.mark.parametrize("text", ["Dupont SARL", "", "a=b", " =1+1", "'déjà cité", "2026-01-31", "10 %"])
def test_other_text_is_written_as_it_is(text):
    assert csvfiles.neutralise(text) == text


def test_numbers_dates_and_empty_values_keep_their_form_whatever_their_sign():
    rows = written(
        [Decimal("-120.00"), Decimal("1234.50"), -3, 0, Decimal("1E+2"), datetime.date(2026, 1, 31), None],
        [datetime.datetime(2026, 1, 31, 9, 5, 30), Decimal("-0.50")],
        delimiter=";",
    )

    assert rows == [
        ["-120.00", "1234.50", "-3", "0", "100", "2026-01-31", ""],
        ["2026-01-31 09:05", "-0.50"],
    ]


def test_a_separator_or_a_quote_inside_text_cannot_open_another_cell():
    rows = written(['Dupont; "=1+1"', "x,=2+2"], delimiter=";")

    assert rows == [['Dupont; "=1+1"', "x,=2+2"]]


def _csv_writers_outside_lib() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if "tests" in relative.parts or relative == Path("lib/csvfiles.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("writer", "DictWriter")
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
            ):
                found.append(f"{relative}:{node.lineno}")
    return found


def test_every_csv_of_the_product_is_written_through_lib_csvfiles():
    # The FEC is a regulated text file, not a CSV for spreadsheets: it joins its fields itself.
    assert _csv_writers_outside_lib() == []
