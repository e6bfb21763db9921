"""The FEC of the fixed year of reports/tests/test_vat_regimes.py, in each regime: it passes check_fec,
and each account's balance is the one worked out by hand below (debit − credit, in euros).

Encaissements: sales VAT on services waits on 445740 until paid (S1: 200, half of it moved by the
600 received), purchase VAT on services on 445860 until the supplier is paid (P2: 40, half moved by
the 120 paid); self-assessed VAT (P1 100, P4 50) is due on 445200 and deducted on 445662. Débits: the
VAT of S1 and P2 goes straight to 445712 and 445660, nothing waits.
"""

import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine

from facturier.billing.models import Client
from facturier.exports.fec_check import check_fec
from facturier.exports.tests.test_fec import amount, export, rows
from facturier.purchases.services import ExpenseLineInput
from facturier.purchases.tests.conftest import make_expense
from facturier.reports.tests.test_vat_regimes import build_year, ca3, register

D = Decimal
FILE_NAME = "732829320FEC20251231.txt"

# What both regimes share.
COMMON = {
    # Customers: S1 1,200 + S2 360 + S3 400, less the 600 received.
    "411000": D("1360.00"),
    "706000": D("-1000.00"),  # S1
    "707000": D("-300.00"),  # S2
    "706100": D("-400.00"),  # S3, without French VAT
    "512000": D("480.00"),  # 600 received, 120 paid
    # Suppliers: P2 240 + P1 500 + P3 36 + P4 250, less the 120 paid.
    "401000": D("-906.00"),
    # The expense accounts, as the default categories name them.
    "6226": D("200.00"),  # P2, Honoraires
    "611": D("500.00"),  # P1, Sous-traitance
    "6064": D("30.00"),  # P3, Fournitures
    "607": D("250.00"),  # P4, Achats de marchandises
    "445662": D("150.00"),  # self-assessed, deducted: P1 100 + P4 50
    "445200": D("-150.00"),  # self-assessed, due
}
ENCAISSEMENTS = {
    **COMMON,
    "445712": D("-160.00"),  # S2 60 + the 100 of S1 made due by its payment
    "445740": D("-100.00"),  # S1's 200 less the 100 made due
    "445660": D("26.00"),  # P3 6 + the 20 of P2 made deductible by its payment
    "445860": D("20.00"),  # P2's 40 less the 20 made deductible
}
DEBITS = {
    **COMMON,
    "445712": D("-260.00"),  # S1 200 + S2 60
    "445660": D("46.00"),  # P2 40 + P3 6
}


def balances_by_account(text: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = defaultdict(lambda: D(0))
    for row in rows(text):
        found[row["CompteNum"]] += amount(row["Debit"]) - amount(row["Credit"])
    return {number: total for number, total in found.items() if total}


@pytest.mark.parametrize(("on_debits", "expected"), [(False, ENCAISSEMENTS), (True, DEBITS)])
def test_the_fec_of_the_year_balances_each_account_as_worked_out_by_hand(acme, owner, on_debits, expected):
    build_year(acme, owner, on_debits=on_debits)

    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        text = export(acme)

    assert check_fec(io.StringIO(text), FILE_NAME) == []
    assert balances_by_account(text) == expected


def test_a_payment_to_a_supplier_moves_the_vat_it_makes_deductible(acme, owner):
    build_year(acme, owner, on_debits=False)

    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        text = export(acme)

    payment = [row for row in rows(text) if row["EcritureLib"].startswith("Paiement fournisseur CM-12")]
    assert [(row["CompteNum"], row["Debit"], row["Credit"]) for row in payment] == [
        ("401000", "120,00", "0,00"),
        ("512000", "0,00", "120,00"),
        ("445660", "20,00", "0,00"),
        ("445860", "0,00", "20,00"),
    ]
    purchase = [row for row in rows(text) if row["PieceRef"] == "SW-77"]
    assert [(row["CompteNum"], row["Debit"], row["Credit"]) for row in purchase] == [
        ("611", "500,00", "0,00"),
        ("445662", "100,00", "0,00"),
        ("445200", "0,00", "100,00"),
        ("401000", "0,00", "500,00"),
    ]


def test_self_assessed_vat_split_by_deductibility_is_due_once_at_its_rate(acme, owner):
    # Two halves of 10.03 at 20 %: each alone would round to 2.01, the summed base gives 4.01
    # (BR-CO-17). The FEC, the CA3 and the expense agree on 4.01 due, 2.01 of it deducted.
    german = Client.objects.create(
        account=acme,
        kind=Client.Kind.SUPPLIER,
        name="Softwarehaus GmbH",
        country="DE",
        vat_number="DE136695976",
    )
    expense = make_expense(
        acme, owner, german, issue_date=datetime.date(2025, 3, 10),
        lines=[
            ExpenseLineInput("Licence", D(1), D("10.03"), D(20), vat_category="AE"),
            ExpenseLineInput("Repas", D(1), D("10.03"), D(20), vat_category="AE", deductible=False),
        ],
    )  # fmt: skip
    assert expense.self_assessed_vat_total_eur == D("4.01")

    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        text = export(acme)

    assert check_fec(io.StringIO(text), FILE_NAME) == []
    found = balances_by_account(text)
    assert (found["445200"], found["445662"]) == (D("-4.01"), D("2.01"))
    assert found["6064"] == D("20.06") + D("2.00")  # the VAT that cannot be deducted is a cost
    boxes = ca3(register(acme, "due"))
    assert (boxes["08"], boxes["20"]) == ((D("20.06"), D("4.01")), (None, D("2.01")))
