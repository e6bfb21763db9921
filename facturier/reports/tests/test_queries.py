"""The reports' contents on small, hand-checked data: what each includes and leaves out, filters,
pages, CA3 boxes, the OSS threshold, ageing buckets; and that another account's data never shows."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from facturier.billing.models import BillingSettings
from facturier.billing.services import documents as document_services
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.purchases import services as purchases
from facturier.purchases.services import ExpenseLineInput
from facturier.purchases.tests.conftest import expense_input
from facturier.reports import queries
from facturier.reports.base import Report, ReportFilters

D = Decimal
JAN = datetime.date(2025, 1, 1), datetime.date(2025, 1, 31)
YEAR = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
TODAY = datetime.date(2025, 6, 30)


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


def report(code: str, account, period=YEAR, **filters) -> Report:
    return queries.build_report(code, account, ReportFilters(*period, **filters), TODAY)


def day(month: int, number: int) -> datetime.date:
    return datetime.date(2025, month, number)


def ca3(built: Report) -> dict[str, tuple]:
    return {str(row["box"]): (row["base"], row["vat"]) for row in built.tables[2].rows}


def test_the_revenue_list_leaves_out_drafts_quotes_proformas_and_other_accounts(actor, acme, buyer, globex):
    invoice = make_invoice(actor, buyer, issue_date=day(1, 10))
    make_invoice(actor, buyer, issue=False, issue_date=day(1, 11))
    make_invoice(actor, buyer, kind="estimate", issue_date=day(1, 12))
    make_invoice(actor, buyer, kind="proforma", issue_date=day(1, 13))
    make_invoice(globex, make_client(globex, name="Autre"), issue_date=day(1, 14))

    built = report("revenue", acme)

    assert [row["number"] for row in built.tables[0].rows] == [invoice.number]
    assert built.tables[0].totals is not None
    assert built.tables[0].totals["gross"] == D("120.00")
    assert built.chart[0].label == "Jan. 2025"  # billing.charts.month_label, in the active language


def test_a_credit_note_is_negative_and_a_final_invoice_counts_without_its_advance(actor, acme, buyer):
    quote = make_invoice(
        actor, buyer, [line("Cuisine", "1", "1000", "20")], kind="estimate", issue_date=day(1, 2)
    )
    with time_machine.travel(datetime.datetime(2025, 1, 5, 12, tzinfo=datetime.UTC), tick=False):
        advance = document_services.issue(
            actor, document_services.create_advance(actor, quote, percent=D("40"))
        )
        final = document_services.issue(actor, document_services.create_final(actor, quote, [advance]))
        note = document_services.issue(
            actor, document_services.create_credit_note(actor, final, reason="Annulé")
        )

    built = report("revenue", acme)

    rows = {
        row["number"]: (row["net"], row["vat"], row["gross"], row["amount"]) for row in built.tables[0].rows
    }
    assert rows == {
        advance.number: (D("400.00"), D("80.00"), D("480.00"), D("480.00")),
        final.number: (D("600.00"), D("120.00"), D("720.00"), D("720.00")),
        note.number: (D("-600.00"), D("-120.00"), D("-720.00"), D("-720.00")),
    }
    assert built.tables[0].totals is not None
    assert built.tables[0].totals["net"] == D("400.00")


def test_the_revenue_list_pages_its_rows_and_totals_every_row(actor, acme, buyer):
    numbers = [make_invoice(actor, buyer, issue_date=day(1, n)).number for n in range(1, 8)]

    built = queries.revenue_list(acme, ReportFilters(*YEAR), limit=3, offset=3)

    table = built.tables[0]
    assert [row["number"] for row in table.rows] == numbers[3:6]
    assert table.total_rows == 7
    assert table.totals is not None
    assert table.totals["net"] == D("700.00")


def test_the_revenue_list_filters_by_status_region_and_kind(actor, acme, buyer):
    paid = make_invoice(actor, buyer, issue_date=day(1, 2))
    record_payment(actor, acme, date=day(1, 3), amount=D("120"), documents=[paid])
    open_one = make_invoice(actor, buyer, issue_date=day(1, 4))
    foreign = make_invoice(
        actor, make_client(acme, name="Acme Inc.", country="US", siren="", vat_number=""),
        [line("Export", "1", "100", "0", vat_category="G")], issue_date=day(1, 5),
    )  # fmt: skip

    def numbers(**filters) -> list:
        return [row["number"] for row in report("revenue", acme, **filters).tables[0].rows]

    assert numbers(statuses=("paid",)) == [paid.number]
    assert numbers(region="eu") == [paid.number, open_one.number]
    assert numbers(region="non-eu") == [foreign.number]
    assert numbers(countries=("US",), kinds=("correction",)) == []
    assert report("revenue", acme, statuses=("paid",), countries=("FR",)).filter_summary == [
        "Période : du 01/01/2025 au 31/12/2025",
        "États : Payé",
        "Pays : FR",
    ]


def test_the_expense_list_says_what_is_paid_and_totals_each_category(actor, acme):
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    paid = purchases.create_expense(actor, acme, expense_input(supplier, issue_date=day(1, 5)))
    purchases.record_expense_payment(actor, paid, date=day(1, 6), amount=D("120"))
    purchases.create_expense(
        actor, acme, expense_input(supplier, issue_date=day(1, 7), supplier_number="FA-2",
                                   lines=[ExpenseLineInput("Repas", D(1), D("50"), D(10), deductible=False)]),
    )  # fmt: skip

    built = report("expenses", acme)

    assert [(r["number"], r["paid"], r["deductible"]) for r in built.tables[0].rows] == [
        ("FA-1", "Payée", D("20.00")),
        ("FA-2", "À payer", D("0.00")),
    ]
    assert [(r["category"], r["count"], r["gross"]) for r in built.tables[1].rows] == [
        ("Fournitures", 2, D("175.00"))
    ]


def test_the_vat_register_feeds_the_ca3_boxes(actor, acme, buyer):
    make_invoice(
        actor, buyer, [line("Conseil", "1", "1000", "20"), line("Livre", "1", "100", "5.5", supply_kind="goods")],
        issue_date=day(1, 10),
    )  # fmt: skip
    person = make_client(
        acme,
        name="",
        is_company=False,
        first_name="Hans",
        last_name="Müller",
        country="DE",
        siren="",
        vat_number="",
    )
    make_invoice(
        actor,
        person,
        [line("Jouet", "1", "50", "19", vat_country="DE", supply_kind="goods")],
        issue_date=day(1, 11),
        oss=True,
    )
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    purchases.create_expense(actor, acme, expense_input(supplier, issue_date=day(1, 12)))  # 100 + 20

    built = report("vat-register", acme, JAN)

    boxes = ca3(built)
    assert boxes["A1"] == (D("1100.00"), None)
    assert boxes["08"] == (D("1000.00"), D("200.00"))
    assert boxes["09"] == (D("100.00"), D("5.50"))
    assert boxes["E3"] == (D("50.00"), None)
    assert boxes["16"] == (None, D("205.50"))
    assert boxes["20"] == boxes["23"] == (None, D("20.00"))
    assert boxes["TD"] == (None, D("185.50"))
    assert "25" not in boxes
    oss_row = next(row for row in built.tables[0].rows if row["box"] == "E3")
    assert (oss_row["operation"], oss_row["rate"], oss_row["vat"]) == (
        "Ventes à distance OSS – Allemagne",
        D("19.00"),
        D("9.50"),
    )
    assert built.filter_summary[-1] == "TVA à la date des documents (débits)"


def test_the_vat_registers_rows_are_worded_in_each_users_language(actor, acme, buyer):
    make_invoice(actor, buyer, [line("Livre", "1", "100", "5.5", supply_kind="goods")], issue_date=day(1, 10))

    french = report("vat-register", acme, JAN).tables[0].rows[0]
    with translation.override("en"):
        english = report("vat-register", acme, JAN).tables[0].rows[0]

    assert (french["operation"], french["nature"]) == ("Ventes taxées en France", "Bien")
    assert (english["operation"], english["nature"]) == ("Sales taxed in France", "Goods")


def test_more_deductible_than_collected_vat_is_a_credit(actor, acme):
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    purchases.create_expense(actor, acme, expense_input(supplier, issue_date=day(1, 12)))

    boxes = ca3(report("vat-register", acme, JAN))

    assert boxes["25"] == (None, D("20.00"))
    assert "TD" not in boxes


def test_untaxed_sales_and_reverse_charged_purchases_go_to_their_boxes(actor, acme):
    eu_company = make_client(acme, name="Brussels BV", country="BE", siren="", vat_number="BE0403170701")
    us_company = make_client(acme, name="Acme Inc.", country="US", siren="", vat_number="")
    make_invoice(
        actor, eu_company,
        [line("Pièces", "1", "300", "0", vat_category="K", supply_kind="goods"), line("Audit", "1", "200", "0", vat_category="AE")],
        issue_date=day(1, 5),
    )  # fmt: skip
    make_invoice(
        actor,
        us_company,
        [line("Machine", "1", "700", "0", vat_category="G", supply_kind="goods")],
        issue_date=day(1, 6),
    )
    eu_supplier = make_client(
        acme, name="Software GmbH", country="DE", kind="supplier", siren="", vat_number=""
    )
    us_supplier = make_client(acme, name="Cloud Corp", country="US", kind="supplier", siren="", vat_number="")
    purchases.create_expense(
        actor,
        acme,
        expense_input(
            eu_supplier,
            issue_date=day(1, 7),
            lines=[ExpenseLineInput("Logiciel", D(1), D("80"), D(20), "AE")],
        ),
    )
    purchases.create_expense(
        actor, acme,
        expense_input(eu_supplier, issue_date=day(1, 8), supplier_number="2", lines=[ExpenseLineInput("Écran", D(1), D("90"), D(20), "AE", supply_kind="goods")]),
    )  # fmt: skip
    purchases.create_expense(
        actor,
        acme,
        expense_input(
            us_supplier, issue_date=day(1, 9), lines=[ExpenseLineInput("Cloud", D(1), D("60"), D(20), "AE")]
        ),
    )

    boxes = ca3(report("vat-register", acme, JAN))

    assert {box: boxes[box][0] for box in ("F2", "E2", "E1", "A3", "B2", "B4")} == {
        "F2": D("300.00"), "E2": D("200.00"), "E1": D("700.00"), "A3": D("80.00"), "B2": D("90.00"), "B4": D("60.00"),
    }  # fmt: skip
    assert boxes["A1"] == (D("0.00"), None)


def test_in_due_mode_the_register_reads_the_dates_vat_falls_due(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, [line("Conseil", "1", "1000", "20")], issue_date=day(1, 10))
    record_payment(actor, acme, date=day(2, 10), amount=D("600"), documents=[invoice])

    january = ca3(report("vat-register", acme, JAN, vat_mode="due"))
    assert "08" not in january
    assert january["16"] == (None, D("0.00"))
    february = (day(2, 1), day(2, 28))
    assert ca3(report("vat-register", acme, february, vat_mode="due"))["08"] == (D("500.00"), D("100.00"))

    BillingSettings.objects.update_or_create(account=acme, defaults={"vat_on_debits": True})
    second = make_invoice(actor, buyer, [line("Conseil", "1", "500", "20")], issue_date=day(2, 12))
    assert second.seller["vat_on_debits"] is True
    assert ca3(report("vat-register", acme, february, vat_mode="due"))["08"] == (D("1000.00"), D("200.00"))


def test_the_oss_threshold_watch_says_when_10000_euros_are_exceeded(actor, acme):
    person = make_client(
        acme,
        name="",
        is_company=False,
        first_name="Hans",
        last_name="Müller",
        country="DE",
        siren="",
        vat_number="",
    )
    company = make_client(acme, name="Berlin GmbH", country="DE", siren="", vat_number="DE136695976")
    make_invoice(
        actor,
        person,
        [line("Livres", "1", "6000", "20", supply_kind="goods")],
        issue_date=datetime.date(2024, 5, 2),
    )
    make_invoice(
        actor,
        person,
        [line("Jouets", "1", "10000.01", "19", vat_country="DE", supply_kind="goods")],
        issue_date=day(5, 2),
        oss=True,
    )
    make_invoice(
        actor,
        company,
        [line("Pièces", "1", "50000", "0", vat_category="K", supply_kind="goods")],
        issue_date=day(5, 3),
    )

    built = report("oss", acme, (day(4, 1), day(6, 30)))

    threshold = built.tables[3]
    assert [(r["year"], r["amount"], r["status"]) for r in threshold.rows] == [
        ("2024", D("6000.00"), "Non dépassé"),
        ("2025", D("10000.01"), "Dépassé"),
    ]
    assert [(r["country"], r["base"], r["vat"]) for r in built.tables[0].rows] == [
        ("DE", D("10000.01"), D("1900.00"))
    ]


@time_machine.travel(datetime.datetime(2025, 6, 30, 12, tzinfo=datetime.UTC), tick=False)
def test_the_unpaid_list_ages_what_is_owed_per_client(actor, acme, buyer):
    overdue_days = [0, 1, 30, 31, 60, 61, 90, 91]
    for days in overdue_days:
        make_invoice(actor, buyer, issue_date=day(1, 2), due_date=TODAY - datetime.timedelta(days=days))
    settled = make_invoice(actor, buyer, issue_date=day(1, 3))
    record_payment(actor, acme, date=day(1, 4), amount=D("120"), documents=[settled])
    swiss = make_client(acme, name="Zürich AG", country="CH", siren="", vat_number="")
    chf = make_invoice(
        actor, swiss, [line("Conseil", "1", "333.33", "0", vat_category="O")], issue_date=day(1, 5),
        currency="CHF", exchange_rate=D("1.0617"), due_date=TODAY + datetime.timedelta(days=5),
    )  # fmt: skip
    record_payment(actor, acme, date=day(1, 6), amount=D("100"), documents=[chf], currency="CHF")

    built = report("unpaid", acme)

    documents, ageing = built.tables
    assert [row["days"] for row in documents.rows] == [91, 90, 61, 60, 31, 30, 1, 0, 0]
    assert [row["bucket"] for row in documents.rows][:3] == [
        "Plus de 90 jours",
        "61 à 90 jours",
        "61 à 90 jours",
    ]
    assert documents.rows[-1]["remaining"] == D("233.33")
    assert documents.rows[-1]["remaining_eur"] == D("247.73")  # 233.33 × 1.0617
    assert [(r["client"], r["not_due"], r["days_30"], r["days_60"], r["days_90"], r["older"], r["total"]) for r in ageing.rows] == [
        ("Dupont SARL", D("120.00"), D("240.00"), D("240.00"), D("240.00"), D("120.00"), D("960.00")),
        ("Zürich AG", D("247.73"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("247.73")),
    ]  # fmt: skip
    assert documents.totals is not None
    assert documents.totals["remaining_eur"] == D("1207.73")


@time_machine.travel(datetime.datetime(2025, 6, 30, 12, tzinfo=datetime.UTC), tick=False)
def test_on_screen_the_ageing_shows_the_largest_debtors_then_the_others_on_one_line(actor, acme):
    for n, amount in enumerate(["100", "400", "300", "200"]):
        client = make_client(acme, name=f"Client {n}")
        make_invoice(actor, client, [line("Conseil", "1", amount, "20")], issue_date=day(1, 2))
    filters = ReportFilters(start=YEAR[0], end=YEAR[1])

    page = queries.build_report("unpaid", acme, filters, TODAY, limit=2)
    everything = queries.build_report("unpaid", acme, filters, TODAY)

    ageing = page.tables[1]
    assert [(r["client"], r["total"]) for r in ageing.rows] == [
        ("Client 1", D("480.00")),
        ("Client 2", D("360.00")),
        ("2 autres clients", D("360.00")),
    ]
    assert ageing.totals is not None and ageing.totals["total"] == D("1200.00")
    assert "Les 2 clients qui doivent le plus sur 4" in ageing.notes[0]
    assert [r["client"] for r in everything.tables[1].rows] == [
        "Client 0",
        "Client 1",
        "Client 2",
        "Client 3",
    ]
    assert everything.tables[1].notes == []


def test_a_report_code_must_be_known(acme):
    with pytest.raises(ValueError, match="unknown report"):
        report("balance", acme)
