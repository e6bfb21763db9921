"""Autoliquidation on purchases and the supplier's VAT regime: what an expense records (its rows, its
flag), through the service, the expense form and its page; the rule homes they share with the reports
and the FEC (purchases.models.vat_deductible_at_payment, vat_chargeable_on)."""

import datetime
import importlib
from decimal import Decimal as D

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from facturier.billing.models import BillingSettings, Client, SupplyKind
from facturier.purchases.models import Expense, ExpenseVatLine, vat_chargeable_on, vat_deductible_at_payment
from facturier.purchases.services import ExpenseLineInput
from facturier.tenancy.errors import ServiceError

from .conftest import form_data, make_expense


@pytest.fixture
def german(acme) -> Client:
    return Client.objects.create(
        account=acme,
        kind=Client.Kind.SUPPLIER,
        name="Softwarehaus GmbH",
        country="DE",
        vat_number="DE136695976",
    )


def url(name: str, slug: str = "acme", pk: int | None = None) -> str:
    return reverse(f"purchases:{name}", kwargs={"slug": slug} | ({"pk": pk} if pk is not None else {}))


@pytest.mark.parametrize(
    ("on_debits", "supply_kind", "category", "owes", "expected"),
    [
        (False, SupplyKind.SERVICE, "S", True, True),  # services: as the supplier is paid
        (True, SupplyKind.SERVICE, "S", True, False),  # unless it opted for debits
        (False, SupplyKind.GOODS, "S", True, False),  # goods: at delivery
        (False, SupplyKind.SERVICE, "AE", True, False),  # self-assessed: when performed
        (False, SupplyKind.SERVICE, "S", False, False),  # nothing to pay
    ],
)
def test_it_says_which_purchase_vat_waits_for_payment(on_debits, supply_kind, category, owes, expected):
    assert vat_deductible_at_payment(on_debits, supply_kind, category, owes) is expected


def test_the_vat_of_an_intra_eu_acquisition_is_due_on_the_15th_of_the_next_month_at_the_latest():
    delivered, invoiced_late = datetime.date(2025, 1, 28), datetime.date(2025, 2, 20)

    assert vat_chargeable_on(invoiced_late, delivered, False, "goods", "K", "DE") == datetime.date(
        2025, 2, 15
    )
    assert vat_chargeable_on(
        datetime.date(2025, 2, 3), delivered, False, "goods", "K", "DE"
    ) == datetime.date(2025, 2, 3)
    # Services of a supplier on debits: the invoice date; self-assessed services: when performed.
    assert vat_chargeable_on(invoiced_late, delivered, True, "service", "S", "FR") == invoiced_late
    assert vat_chargeable_on(invoiced_late, delivered, True, "service", "AE", "DE") == delivered


def test_reverse_charge_lines_are_self_assessed_per_rate_and_add_up_to_the_invoice(acme, owner, german):
    expense = make_expense(
        acme, owner, german, currency="USD", exchange_rate=D("0.923457"),
        lines=[
            ExpenseLineInput("Licence", D(1), D("333.33"), D(20), vat_category="AE"),
            ExpenseLineInput("Livres", D(3), D("11.11"), D("5.5"), vat_category="AE"),
            ExpenseLineInput("Repas", D(1), D("20.01"), D(20), vat_category="AE", deductible=False),
        ],
    )  # fmt: skip

    rows = list(ExpenseVatLine.objects.filter(expense=expense).order_by("-deductible", "-vat_rate"))
    assert [(r.deductible, r.vat_rate, r.base, r.vat_amount, r.self_assessed_vat) for r in rows] == [
        (True, D("20.00"), D("333.33"), D("0.00"), D("66.67")),
        (True, D("5.50"), D("33.33"), D("0.00"), D("1.83")),
        (False, D("20.00"), D("20.01"), D("0.00"), D("4.00")),
    ]
    # No VAT on the supplier's invoice: what is owed to it is the base, in euros to the cent.
    assert (expense.vat_total, expense.gross_total) == (D("0.00"), D("386.67"))
    assert sum(r.base_eur for r in rows) == expense.gross_total_eur
    assert sum(r.vat_amount_eur for r in rows) == 0


def test_a_self_assessed_line_needs_a_french_rate_and_nothing_is_written(acme, owner, german):
    with pytest.raises(ServiceError) as refused:
        make_expense(
            acme, owner, german, lines=[ExpenseLineInput("Licence", D(1), D("500"), D(19), vat_category="AE")]
        )

    assert "taux français (20 %, 10 %, 5,5 %, 2,1 %)" in refused.value.message
    assert not Expense.objects.filter(account=acme).exists()


@pytest.mark.parametrize("category", ["AE", "K"])
def test_a_self_assessment_at_zero_is_refused_with_the_rate_to_give(acme, owner, german, category):
    # What a received reverse-charge invoice shows: 0 % would put the base on the CA3 with no VAT due.
    with pytest.raises(ServiceError) as refused:
        make_expense(
            acme,
            owner,
            german,
            lines=[ExpenseLineInput("Licence", D(1), D("500"), D(0), vat_category=category)],
        )

    assert refused.value.message == (
        "Licence : la facture du fournisseur est sans TVA, mais vous devez la TVA française sur cet achat "
        "(autoliquidation). Indiquez son taux (20 %, 10 %, 5,5 %, 2,1 %) au lieu de 0 %."
    )
    assert refused.value.field == "lines"
    assert not Expense.objects.filter(account=acme).exists()


def test_the_form_refuses_a_self_assessment_at_zero_next_to_the_lines(owner_client, acme, german):
    response = owner_client.post(
        url("expense_new"),
        form_data(german, [{"name": "Licence", "unit_price": "500", "vat_rate": "0", "vat_category": "AE"}]),
    )

    assert response.status_code == 200
    assert "vous devez la TVA française sur cet achat" in response.content.decode()
    assert not Expense.objects.filter(account=acme).exists()


def test_self_assessed_vat_is_computed_once_per_rate_and_its_parts_add_up_to_it(
    owner_client, acme, owner, german
):
    # Each half alone rounds up (10.03 × 20 % = 2.006 → 2.01); the rate on the summed base 20.06 gives
    # 4.012 → 4.01 (BR-CO-17): the deductible half keeps 2.01, the other half takes the rest, 2.00.
    expense = make_expense(
        acme, owner, german, currency="USD", exchange_rate=D("0.5"),
        lines=[
            ExpenseLineInput("Licence", D(1), D("10.03"), D(20), vat_category="AE"),
            ExpenseLineInput("Repas", D(1), D("10.03"), D(20), vat_category="AE", deductible=False),
        ],
    )  # fmt: skip

    rows = list(ExpenseVatLine.objects.filter(expense=expense).order_by("-deductible"))
    assert [(r.deductible, r.self_assessed_vat, r.self_assessed_vat_eur) for r in rows] == [
        (True, D("2.01"), D("1.01")),
        (False, D("2.00"), D("1.00")),
    ]
    assert (expense.self_assessed_vat_total, expense.self_assessed_vat_total_eur) == (D("4.01"), D("2.01"))
    # The page reads the stored total (the API too: api/tests/test_expense_vat_regime.py).
    page = owner_client.get(url("expense_detail", pk=expense.pk))
    assert page.context["self_assessed_vat"] == D("4.01")
    assert "4,01" in page.content.decode()


def test_an_intra_eu_category_from_a_french_supplier_is_not_self_assessed(acme, owner, supplier):
    expense = make_expense(
        acme, owner, supplier, lines=[ExpenseLineInput("Pièces", D(1), D("100"), D(20), vat_category="K")]
    )

    assert [r.self_assessed_vat for r in ExpenseVatLine.objects.filter(expense=expense)] == [D("0.00")]


def test_a_new_expense_takes_the_accounts_purchase_regime_and_may_say_otherwise(acme, owner, supplier):
    assert make_expense(acme, owner, supplier).vat_on_debits is False
    BillingSettings.objects.update_or_create(account=acme, defaults={"purchases_vat_on_debits": True})

    assert make_expense(acme, owner, supplier, supplier_number="FA-2").vat_on_debits is True
    assert (
        make_expense(acme, owner, supplier, supplier_number="FA-3", vat_on_debits=False).vat_on_debits
        is False
    )


def test_the_form_offers_the_regime_and_records_a_reverse_charge_purchase(owner_client, acme, german):
    BillingSettings.objects.update_or_create(account=acme, defaults={"purchases_vat_on_debits": True})
    page = owner_client.get(url("expense_new"))
    assert page.context["form"]["vat_on_debits"].value() is True
    assert "Autoliquidation" in page.content.decode()

    response = owner_client.post(
        url("expense_new"),
        form_data(german, [{"name": "Licence", "unit_price": "500", "vat_rate": "20", "vat_category": "AE"}]),
    )

    assert response.status_code == 302
    expense = Expense.objects.get(account=acme)
    assert expense.vat_on_debits is False  # an unticked box: the supplier did not opt
    assert (expense.gross_total, expense.vat_total) == (D("500.00"), D("0.00"))
    shown = owner_client.get(url("expense_detail", pk=expense.pk)).content.decode()
    assert "TVA autoliquidée" in shown and "100,00" in shown


def test_an_outsider_gets_a_404_on_the_expense_page(client, outsider, acme, owner, german):
    expense = make_expense(
        acme, owner, german, lines=[ExpenseLineInput("Licence", D(1), D("500"), D(20), vat_category="AE")]
    )
    client.force_login(outsider)

    assert client.get(url("expense_detail", pk=expense.pk)).status_code == 404


def test_the_migration_gives_existing_expenses_the_sum_of_their_rows(acme, owner, german, supplier):
    migration = importlib.import_module("facturier.purchases.migrations.0005_expense_self_assessed_vat_total")
    reverse_charge = make_expense(
        acme, owner, german, lines=[ExpenseLineInput("Licence", D(1), D("500"), D(20), vat_category="AE")]
    )
    french = make_expense(acme, owner, supplier, supplier_number="FA-2")
    Expense.objects.update(self_assessed_vat_total=0, self_assessed_vat_total_eur=0)

    migration.sum_the_rows(django_apps, None)

    stored = dict(Expense.objects.values_list("pk", "self_assessed_vat_total"))
    assert stored == {reverse_charge.pk: D("100.00"), french.pk: D("0.00")}
