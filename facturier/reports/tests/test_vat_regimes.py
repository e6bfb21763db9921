"""The VAT regimes (art. 269 CGI) and autoliquidation on a fixed small year, every CA3 figure worked out
by hand in the comments: the account on encaissements (the legal default for services) and the same
year for an account that opted for débits (sales and purchases). The FEC of the same year:
facturier/exports/tests/test_fec_vat_regimes.py.

The first quarter of 2025:
- S1 10/01 services to Dupont (FR) 1,000 + 200 VAT; 600 paid on 10/02 (half of it);
- S2 20/01 goods to Dupont 300 + 60 VAT, delivered that day, unpaid;
- S3 05/02 maintenance for Brussels Parts (BE, VAT number), 400 under reverse charge, unpaid;
- P1 12/02 software licence from Softwarehaus GmbH (DE), 500 under reverse charge, self-assessed at 20 %
  (100), deductible, unpaid;
- P2 15/01 fees from a French accountant, 200 + 40 VAT, half paid (120) on 01/03;
- P3 05/03 supplies from a French shop (goods), 30 + 6 VAT, unpaid;
- P4 20/03 parts from Teilewerk GmbH (DE), 250, an intra-EU acquisition of goods delivered on 18/03,
  self-assessed at 20 % (50), deductible, unpaid.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from facturier.billing.models import BillingSettings, Document
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.purchases import services as purchases
from facturier.purchases.models import Expense, ExpenseCategory, ExpenseVatLine
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.reports import queries, summaries
from facturier.reports.base import Report, ReportFilters, VatMode
from facturier.reports.forms import ReportFilterForm
from facturier.tenancy.models import Account

D = Decimal
Q1 = datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)
TODAY = datetime.date(2025, 4, 15)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@dataclass
class Year:
    account: Account
    sales: dict[str, Document]
    expenses: dict[str, Expense]


def build_year(account: Account, user, *, on_debits: bool) -> Year:
    """The year above, for an account on encaissements or (on_debits) on débits for sales and purchases."""
    settings, _created = BillingSettings.objects.get_or_create(account=account)
    settings.vat_on_debits = settings.purchases_vat_on_debits = on_debits
    settings.save()
    actor = actor_for(account, user)
    foreign = {"siren": "", "is_company": True}
    dupont = make_client(account, accounting_code="CDUPONT")
    brussels = make_client(
        account, name="Brussels Parts BV", country="BE", vat_number="BE0403170701", **foreign
    )
    softwarehaus = make_client(
        account, name="Softwarehaus GmbH", kind="supplier", country="DE", vat_number="DE136695976", **foreign
    )
    teilewerk = make_client(
        account, name="Teilewerk GmbH", kind="supplier", country="DE", vat_number="DE129273398", **foreign
    )
    cabinet = make_client(account, name="Cabinet Martin", kind="supplier", siren="", vat_number="")
    shop = make_client(account, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    goods = {"supply_kind": "goods"}
    with time_machine.travel(datetime.datetime(2025, 4, 15, 12, tzinfo=datetime.UTC), tick=False):
        s1 = make_invoice(actor, dupont, [line("Conseil", "1", "1000", "20")], issue_date=day("2025-01-10"))
        s2 = make_invoice(
            actor, dupont, [line("Chaise", "2", "150", "20", **goods)], issue_date=day("2025-01-20")
        )
        s3 = make_invoice(
            actor,
            brussels,
            [line("Maintenance", "1", "400", "0", vat_category="AE")],
            issue_date=day("2025-02-05"),
            reverse_charge=True,
        )
        record_payment(actor, account, date=day("2025-02-10"), amount=D("600"), documents=[s1])
        purchases.ensure_default_categories(account)
        categories = dict(ExpenseCategory.objects.filter(account=account).values_list("name", "pk"))

        def expense(supplier, category: str, issue_date: str, number: str, lines, **fields) -> Expense:
            data = ExpenseInput(
                supplier_id=supplier.pk,
                category_id=categories[category],
                issue_date=day(issue_date),
                lines=lines,
                supplier_number=number,
                **fields,
            )
            return purchases.create_expense(actor, account, data)

        p1 = expense(
            softwarehaus, "Sous-traitance", "2025-02-12", "SW-77",
            [ExpenseLineInput("Licence logicielle", D(1), D("500"), D(20), vat_category="AE")],
        )  # fmt: skip
        p2 = expense(
            cabinet,
            "Honoraires",
            "2025-01-15",
            "CM-12",
            [ExpenseLineInput("Honoraires", D(1), D("200"), D(20))],
        )
        purchases.record_expense_payment(actor, p2, date=day("2025-03-01"), amount=D("120"))
        p3 = expense(
            shop, "Fournitures", "2025-03-05", "BV-3",
            [ExpenseLineInput("Fournitures", D(3), D("10"), D(20), supply_kind="goods")],
        )  # fmt: skip
        p4 = expense(
            teilewerk, "Achats de marchandises", "2025-03-20", "TW-5",
            [ExpenseLineInput("Pièces", D(10), D("25"), D(20), vat_category="K", supply_kind="goods")],
            sell_date=day("2025-03-18"),
        )  # fmt: skip
    return Year(account, {"S1": s1, "S2": s2, "S3": s3}, {"P1": p1, "P2": p2, "P3": p3, "P4": p4})


def register(account: Account, vat_mode: VatMode, period: tuple[datetime.date, datetime.date] = Q1) -> Report:
    filters = ReportFilters(start=period[0], end=period[1], vat_mode=vat_mode)
    return queries.build_report("vat-register", account, filters, TODAY)


def ca3(built: Report) -> dict[str, tuple[Any, Any]]:
    return {str(row["box"]): (row["base"], row["vat"]) for row in built.tables[2].rows}


@pytest.fixture
def encaissements(acme, owner) -> Year:
    return build_year(acme, owner, on_debits=False)


@pytest.fixture
def debits(acme, owner) -> Year:
    return build_year(acme, owner, on_debits=True)


def test_a_reverse_charge_purchase_keeps_its_rate_and_self_assesses_its_vat(encaissements):
    p1, p4 = encaissements.expenses["P1"], encaissements.expenses["P4"]

    assert (p1.net_total, p1.vat_total, p1.gross_total) == (D("500.00"), D("0.00"), D("500.00"))
    rows = ExpenseVatLine.objects.filter(expense__in=[p1, p4]).order_by("expense_id")
    assert [(r.vat_category, r.vat_rate, r.base, r.vat_amount, r.self_assessed_vat) for r in rows] == [
        ("AE", D("20.00"), D("500.00"), D("0.00"), D("100.00")),
        ("K", D("20.00"), D("250.00"), D("0.00"), D("50.00")),
    ]


def test_the_ca3_of_an_account_on_encaissements_by_hand(encaissements):
    account = encaissements.account
    assert queries.default_vat_mode(account) == "due"

    boxes = ca3(register(account, "due"))

    assert boxes == {
        # Sales taxed in France: S1's half paid (500) and S2 delivered (300).
        "A1": (D("800.00"), None),
        # Self-assessed: P1, services from an EU supplier; P4, an intra-EU acquisition of goods.
        "A3": (D("500.00"), None),
        "B2": (D("250.00"), None),
        # S3, the intra-EU service: chargeable when performed, even unpaid.
        "E2": (D("400.00"), None),
        # 20 %: 800 of sales (VAT 100 + 60) and 750 self-assessed (VAT 100 + 50).
        "08": (D("1550.00"), D("310.00")),
        "16": (None, D("310.00")),
        "17": (None, D("50.00")),
        # Deductible: P1 100 and P4 50 self-assessed, P2 20 (half paid), P3 6 (goods delivered).
        "20": (None, D("176.00")),
        "23": (None, D("176.00")),
        "TD": (None, D("134.00")),
    }


def test_the_ca3_of_an_account_on_debits_by_hand(debits):
    account = debits.account
    assert queries.default_vat_mode(account) == "due"  # each document's own regime decides

    boxes = ca3(register(account, "due"))

    assert boxes == {
        # Sales at their invoice date: S1 whole (1,000) and S2 (300).
        "A1": (D("1300.00"), None),
        "A3": (D("500.00"), None),
        "B2": (D("250.00"), None),
        "E2": (D("400.00"), None),
        # 20 %: 1,300 of sales (VAT 200 + 60) and 750 self-assessed (VAT 150).
        "08": (D("2050.00"), D("410.00")),
        "16": (None, D("410.00")),
        "17": (None, D("50.00")),
        # Deductible: 150 self-assessed, P2's 40 at its invoice date (supplier on debits), P3 6.
        "20": (None, D("196.00")),
        "23": (None, D("196.00")),
        "TD": (None, D("214.00")),
    }
    # Sales and suppliers all on debits here: the date VAT falls due is the document's, both modes agree.
    assert ca3(register(account, "debits")) == boxes


def test_an_intra_eu_service_sold_is_declared_when_performed_not_when_paid(encaissements):
    # Only S3 in February (S1's payment of 10/02 is there too), with nothing paid on S3.
    february = datetime.date(2025, 2, 1), datetime.date(2025, 2, 28)

    boxes = ca3(register(encaissements.account, "due", february))

    assert boxes["E2"] == (D("400.00"), None)


def test_the_purchase_vat_of_services_waits_for_payment_unless_the_supplier_is_on_debits(acme, owner):
    year = build_year(acme, owner, on_debits=False)
    january = datetime.date(2025, 1, 1), datetime.date(2025, 1, 31)
    march = datetime.date(2025, 3, 1), datetime.date(2025, 3, 31)

    # P2 invoiced in January, half paid on 01/03: 20 of its 40 deductible in March, none in January.
    assert ca3(register(acme, "due", january))["20"] == (None, D("0.00"))
    assert ca3(register(acme, "due", march))["20"] == (None, D("20.00") + D("6.00") + D("50.00"))
    assert year.expenses["P2"].vat_on_debits is False


def test_the_summary_stays_exact_for_both_regimes(acme, owner, globex, outsider):
    build_year(acme, owner, on_debits=False)
    build_year(globex, outsider, on_debits=True)

    for account in (acme, globex):
        assert summaries.stored_summary(account) == summaries.computed_summary(account)
        stored = summaries.stored_summary(account)
        summaries.rebuild(account)
        assert summaries.stored_summary(account) == stored


def test_the_register_page_opens_by_due_date_and_keeps_the_other_mode(client, acme, owner):
    client.force_login(owner)
    url = reverse("reports:report", kwargs={"slug": acme.slug, "code": "vat-register"})

    assert client.get(url).context["form"]["vat_mode"].value() == "due"
    # On debits too: the option covers the account's own sales, not its suppliers' invoices.
    BillingSettings.objects.update_or_create(account=acme, defaults={"vat_on_debits": True})
    assert client.get(url).context["form"]["vat_mode"].value() == "due"
    picked = client.get(url, {"vat_mode": "debits"})
    assert picked.context["form"]["vat_mode"].value() == "debits"
    assert picked.context["form"].filters().vat_mode == "debits"


def test_the_filter_form_defaults_to_the_mode_it_is_given():
    form = ReportFilterForm({}, code="vat-register", today=TODAY, vat_mode="due")

    assert form.is_valid(), form.errors
    assert form.filters().vat_mode == "due"
