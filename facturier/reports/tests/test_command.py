"""`manage.py report`: the reports as CSV, Excel and PDF files for scripts; clear errors for bad input."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice

D = Decimal


@pytest.fixture
def sales(acme, owner):
    actor = actor_for(acme, owner)
    buyer = make_client(acme)
    first = make_invoice(
        actor, buyer, [line("Conseil", "1", "1234.5", "20")], issue_date=datetime.date(2025, 1, 10)
    )
    second = make_invoice(
        actor,
        buyer,
        [line("Livre", "2", "10", "5.5", supply_kind="goods")],
        issue_date=datetime.date(2025, 2, 3),
    )
    record_payment(actor, acme, date=datetime.date(2025, 3, 1), amount=D("740.70"), documents=[first])
    return first, second


def run(*args: str) -> None:
    call_command("report", *args)


def read_csv(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_it_writes_the_revenue_list_as_csv(sales, tmp_path):
    target = tmp_path / "revenue.csv"

    run(
        "acme",
        "--report",
        "revenue",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "csv",
        "-o",
        str(target),
    )

    rows = read_csv(target)
    assert rows[0][:3] == ["Date", "Numéro", "Type"]
    assert [row[1] for row in rows[1:3]] == [sales[0].number, sales[1].number]
    assert rows[1][0] == "2025-01-10"
    assert rows[1][5:8] == ["1234.50", "246.90", "1481.40"]  # dot decimals, no grouping
    assert rows[3][1] == "Total"
    assert rows[3][5] == "1254.50"


def test_filters_narrow_the_report(sales, tmp_path):
    target = tmp_path / "out.csv"

    run(
        "acme", "--report", "revenue", "--from", "2025-01-01", "--to", "2025-12-31", "--status", "partial",
        "--country", "fr", "--kind", "vat,correction", "--format", "csv", "-o", str(target),
    )  # fmt: skip

    assert [row[1] for row in read_csv(target)[1:-1]] == [sales[0].number]


def test_the_vat_register_in_due_mode(sales, tmp_path):
    target = tmp_path / "vat.csv"

    run(
        "acme", "--report", "vat-register", "--vat-mode", "due", "--from", "2025-03-01", "--to", "2025-03-31",
        "--format", "csv", "-o", str(target),
    )  # fmt: skip

    rows = read_csv(target)
    assert rows[0] == ["Ventes : TVA collectée"]
    # Half of the first invoice is paid in March; the books were delivered in February.
    assert ["08", "Taux normal 20 %", "617.25", "123.45"] in rows


@pytest.mark.parametrize(("output", "magic"), [("xlsx", b"PK"), ("pdf", b"%PDF")])
def test_it_writes_excel_and_pdf_files(sales, tmp_path, output, magic):
    target = tmp_path / f"unpaid.{output}"

    run(
        "acme",
        "--report",
        "unpaid",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        output,
        "-o",
        str(target),
    )

    assert target.read_bytes().startswith(magic)


def test_a_dash_writes_to_the_standard_output(sales, capfdbinary):
    run("acme", "--report", "oss", "--from", "2025-01-01", "--to", "2025-03-31", "--format", "csv", "-o", "-")

    assert capfdbinary.readouterr().out.startswith("Opérations du trimestre".encode())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--report", "revenue"], "Compte inconnu : nope."),
        (["acme", "--report", "balance"], "Rapport inconnu : balance."),
        (["acme", "--report", "revenue", "--format", "doc"], "Format inconnu : doc."),
        (
            ["acme", "--report", "revenue", "--from", "2025-13-01"],
            "--from: Date invalide : utilisez le format AAAA-MM-JJ.",
        ),
        (
            ["acme", "--report", "revenue", "--to", "2024-12-31"],
            "--to: La fin de la période précède son début.",
        ),
        (["acme", "--report", "revenue", "--country", "FR,XX"], "--country: Code pays inconnu : XX."),
        (["acme", "--report", "vat-register", "--vat-mode", "sometimes"], "--vat-mode: "),
        (["acme", "--report", "oss", "--status", "paid"], "--status ne s'applique pas au rapport oss."),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(acme, tmp_path, args, message):
    defaults = {
        "--from": "2025-01-01",
        "--to": "2025-12-31",
        "--format": "csv",
        "-o": str(tmp_path / "x.csv"),
    }
    for option, value in defaults.items():
        if option not in args:
            args = [*args, option, value]

    with pytest.raises(CommandError) as error:
        run(*args)

    assert message in str(error.value)
    assert not (tmp_path / "x.csv").exists()
