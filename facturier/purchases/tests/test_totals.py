from decimal import Decimal as D

import pytest

from facturier.purchases.models import ExpenseStatus
from facturier.purchases.services import ExpenseLineInput
from facturier.tenancy.errors import ServiceError

from .conftest import make_expense

# Two rates, and a 20 % bucket that mixes a deductible line with a non-deductible one (a client gift).
LINES = [
    ExpenseLineInput("Papier", D(3), D("19.99"), D(20)),
    ExpenseLineInput("Livres", D(2), D("12.35"), D("5.5"), supply_kind="goods"),
    ExpenseLineInput("Cadeau client", D(1), D("100.05"), D(20), deductible=False, supply_kind="goods"),
]


def test_totals_are_right_to_the_cent_with_two_rates_and_a_non_deductible_line(acme, owner, supplier):
    expense = make_expense(acme, owner, supplier, lines=LINES)

    # 20 %: VAT on the summed base 160.02 is 32.00; the deductible part, on 59.97, is 11.99.
    assert (expense.net_total, expense.vat_total, expense.gross_total) == (
        D("184.72"),
        D("33.36"),
        D("218.08"),
    )
    assert expense.deductible_vat_total == D("13.35")
    assert expense.non_deductible_vat_total == D("20.01")
    assert (expense.net_total_eur, expense.vat_total_eur, expense.gross_total_eur) == (
        D("184.72"),
        D("33.36"),
        D("218.08"),
    )
    assert expense.deductible_vat_total_eur == D("13.35")
    assert expense.status == ExpenseStatus.UNPAID
    assert [
        (line.name, line.net_amount, line.gross_amount, line.deductible) for line in expense.lines.all()
    ] == [
        ("Papier", D("59.97"), D("71.96"), True),
        ("Livres", D("24.70"), D("26.06"), True),
        ("Cadeau client", D("100.05"), D("120.06"), False),
    ]
    rows = expense.vat_lines.order_by("-vat_rate", "-deductible")
    assert [(r.vat_rate, r.deductible, r.base, r.vat_amount, r.supplier_country) for r in rows] == [
        (D(20), True, D("59.97"), D("11.99"), "FR"),
        (D(20), False, D("100.05"), D("20.01"), "FR"),
        (D("5.5"), True, D("24.70"), D("1.36"), "FR"),
    ]
    assert sum(r.vat_amount for r in rows) == expense.vat_total
    assert sum(r.vat_amount_eur for r in rows if r.deductible) == expense.deductible_vat_total_eur


def test_foreign_currency_expenses_keep_their_eur_amounts_for_reports(acme, owner, supplier):
    expense = make_expense(
        acme,
        owner,
        supplier,
        currency="USD",
        exchange_rate=D("0.912345"),
        lines=[ExpenseLineInput("Licence", D(1), D("100.00"), D(20))],
    )

    assert (expense.gross_total, expense.gross_total_eur) == (D("120.00"), D("109.48"))
    assert expense.deductible_vat_total_eur == D("18.25")
    row = expense.vat_lines.get()
    assert (row.base_eur, row.vat_amount_eur) == (D("91.23"), D("18.25"))


def test_gross_prices_are_brought_back_to_net(acme, owner, supplier):
    expense = make_expense(
        acme,
        owner,
        supplier,
        prices_are_gross=True,
        lines=[ExpenseLineInput("Taxi", D(1), D("33.00"), D(10))],
    )

    assert (expense.net_total, expense.vat_total, expense.gross_total) == (D("30.00"), D("3.00"), D("33.00"))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Ajoutez au moins une ligne à la dépense."),
        ([ExpenseLineInput("Avoir", D(-1), D(10), D(20))], "Le total de la dépense doit être positif."),
    ],
)
def test_it_refuses_an_expense_without_a_positive_total(acme, owner, supplier, lines, message):
    with pytest.raises(ServiceError, match=message):
        make_expense(acme, owner, supplier, lines=lines)


def test_the_same_supplier_invoice_cannot_be_entered_twice(acme, owner, supplier):
    make_expense(acme, owner, supplier, supplier_number="FA-7")

    with pytest.raises(ServiceError) as refused:
        make_expense(acme, owner, supplier, supplier_number="FA-7")

    assert refused.value.field == "supplier_number"
    assert supplier.expenses.count() == 1


def test_it_refuses_a_supplier_or_category_of_another_account(acme, owner, supplier, globex, globex_supplier):
    with pytest.raises(ServiceError) as refused:
        make_expense(acme, owner, globex_supplier)
    assert refused.value.field == "supplier"
    assert supplier.expenses.count() == 0
