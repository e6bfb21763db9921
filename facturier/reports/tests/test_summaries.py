"""The VAT summary: kept by the services in their transaction, dated by document and by the date VAT
falls due, always equal to its recomputation from the documents; the rebuild command."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from facturier.billing.models import BillingSettings
from facturier.billing.services import documents as document_services
from facturier.billing.services.payments import delete_payment, record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.purchases import services as purchases
from facturier.purchases.services import ExpenseLineInput
from facturier.purchases.tests.conftest import expense_input
from facturier.reports import summaries
from facturier.reports.models import ReportContribution, ReportSummary, SummaryState

D = Decimal
JAN_10 = datetime.date(2025, 1, 10)
FEB_3 = datetime.date(2025, 2, 3)
MAR_1 = datetime.date(2025, 3, 1)
THREADS = 8


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.fixture
def supplier(acme):
    return make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")


def on(day: datetime.date) -> time_machine.travel:
    """Run as if today were `day` (credit notes are dated today)."""
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC), tick=False
    )


def rows(
    account, date_kind: str, direction: str = "sale"
) -> list[tuple[datetime.date, str, Decimal, Decimal]]:
    """The stored day rows of one date kind: (day, document kind, base, VAT), in day order."""
    return list(
        ReportSummary.objects.filter(account=account, date_kind=date_kind, direction=direction, span="day")
        .order_by("day", "document_kind", "vat_rate", "supply_kind")
        .values_list("day", "document_kind", "base_eur", "vat_eur")
    )


def pay(actor, account, day: datetime.date, amount: str, *documents):
    return record_payment(actor, account, date=day, amount=D(amount), documents=list(documents))


def credit(actor, invoice, day: datetime.date, lines=None):
    with on(day):
        note = document_services.create_credit_note(actor, invoice, lines=lines, reason="Erreur")
        return document_services.issue(actor, note)


def test_issuing_goods_counts_at_the_issue_date_and_at_delivery(actor, acme, buyer):
    invoice = make_invoice(
        actor,
        buyer,
        [line("Chaise", "2", "50", "20", supply_kind="goods")],
        issue_date=FEB_3,
        sell_date=JAN_10,
    )

    assert rows(acme, "document") == [(FEB_3, "vat", D("100.00"), D("20.00"))]
    assert rows(acme, "due") == [(JAN_10, "vat", D("100.00"), D("20.00"))]
    assert ReportContribution.objects.filter(account=acme, source_id=invoice.pk).count() == 2
    assert ReportSummary.objects.get(account=acme, date_kind="document", span="day").documents == 1


def test_month_rows_sum_the_days_of_each_month(actor, acme, buyer):
    make_invoice(actor, buyer, issue_date=JAN_10)
    second = make_invoice(actor, buyer, issue_date=datetime.date(2025, 1, 20))
    make_invoice(actor, buyer, issue_date=FEB_3)
    pay(actor, acme, FEB_3, "120", second)

    months = ReportSummary.objects.filter(account=acme, span="month").order_by("date_kind", "day")
    assert [(r.date_kind, r.day, r.base_eur, r.vat_eur, r.documents) for r in months] == [
        ("document", datetime.date(2025, 1, 1), D("200.00"), D("40.00"), 2),
        ("document", datetime.date(2025, 2, 1), D("100.00"), D("20.00"), 1),
        ("due", datetime.date(2025, 2, 1), D("100.00"), D("20.00"), 1),
    ]


def test_a_draft_a_quote_and_a_proforma_are_not_in_the_summary(actor, acme, buyer):
    make_invoice(actor, buyer, issue=False, issue_date=JAN_10)
    make_invoice(actor, buyer, kind="estimate", issue_date=JAN_10)
    make_invoice(actor, buyer, kind="proforma", issue_date=JAN_10)

    assert not ReportSummary.objects.filter(account=acme).exists()
    assert not ReportContribution.objects.filter(account=acme).exists()


def test_services_fall_due_as_they_are_paid_in_proportion(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, [line("Conseil", "1", "1000", "20")], issue_date=JAN_10)  # 1 200 TTC
    assert rows(acme, "due") == []

    first = pay(actor, acme, FEB_3, "400", invoice)
    pay(actor, acme, MAR_1, "800", invoice)

    # A third of the invoice, then the rest: a fully paid invoice declares exactly its VAT.
    assert rows(acme, "due") == [
        (FEB_3, "vat", D("333.33"), D("66.67")),
        (MAR_1, "vat", D("666.67"), D("133.33")),
    ]
    assert rows(acme, "document") == [(JAN_10, "vat", D("1000.00"), D("200.00"))]

    delete_payment(actor, first)

    assert rows(acme, "due") == [(MAR_1, "vat", D("666.67"), D("133.33"))]


def test_shares_are_rounded_so_that_the_payments_add_up_to_the_invoice(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, [line("Conseil", "1", "1000", "20")], issue_date=JAN_10)

    for when in (JAN_10, FEB_3, MAR_1):
        pay(actor, acme, when, "400", invoice)

    assert rows(acme, "due") == [
        (JAN_10, "vat", D("333.33"), D("66.67")),
        (FEB_3, "vat", D("333.34"), D("66.66")),
        (MAR_1, "vat", D("333.33"), D("66.67")),
    ]


def test_payments_share_each_vat_bucket_of_a_mixed_invoice(actor, acme, buyer):
    invoice = make_invoice(
        actor,
        buyer,
        [line("Conseil", "1", "100", "20"), line("Livre", "1", "100", "5.5", supply_kind="goods")],
        issue_date=JAN_10,
    )  # 120 + 105.50 = 225.50

    pay(actor, acme, FEB_3, "112.75", invoice)

    due = ReportSummary.objects.filter(account=acme, date_kind="due", span="day").order_by("day")
    # The goods are due at delivery (the issue date); the services for half, at the payment.
    assert [(r.day, r.supply_kind, r.base_eur, r.vat_eur) for r in due] == [
        (JAN_10, "goods", D("100.00"), D("5.50")),
        (FEB_3, "service", D("50.00"), D("10.00")),
    ]


def test_with_the_option_for_vat_on_debits_services_fall_due_at_the_issue_date(actor, acme, buyer):
    BillingSettings.objects.update_or_create(account=acme, defaults={"vat_on_debits": True})
    invoice = make_invoice(actor, buyer, [line("Conseil", "1", "1000", "20")], issue_date=JAN_10)

    pay(actor, acme, FEB_3, "600", invoice)

    assert rows(acme, "due") == [(JAN_10, "vat", D("1000.00"), D("200.00"))]


def test_a_credit_note_before_payment_cancels_vat_that_never_falls_due(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, [line("Conseil", "1", "1000", "20")], issue_date=JAN_10)
    note = credit(actor, invoice, FEB_3, lines=[line("Remise", "1", "500", "20")])

    pay(actor, acme, MAR_1, "600", invoice)  # what is left to pay

    assert rows(acme, "document") == [
        (JAN_10, "vat", D("1000.00"), D("200.00")),
        (FEB_3, "correction", D("-500.00"), D("-100.00")),
    ]
    # Half of the invoice is received; the credited half never is.
    assert rows(acme, "due") == [(MAR_1, "vat", D("500.00"), D("100.00"))]
    assert ReportContribution.objects.filter(source_id=note.pk, date_kind="due").count() == 0


def test_a_credit_note_after_payment_refunds_vat_at_its_date(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, [line("Conseil", "1", "1000", "20")], issue_date=JAN_10)
    pay(actor, acme, FEB_3, "1200", invoice)

    credit(actor, invoice, MAR_1, lines=[line("Remise", "1", "250", "20")])

    assert rows(acme, "due") == [
        (FEB_3, "vat", D("1000.00"), D("200.00")),
        (MAR_1, "correction", D("-250.00"), D("-50.00")),
    ]


def test_goods_credit_notes_count_at_their_own_date(actor, acme, buyer):
    invoice = make_invoice(
        actor, buyer, [line("Chaise", "1", "100", "20", supply_kind="goods")], issue_date=JAN_10
    )

    credit(actor, invoice, FEB_3)

    assert rows(acme, "due") == [
        (JAN_10, "vat", D("100.00"), D("20.00")),
        (FEB_3, "correction", D("-100.00"), D("-20.00")),
    ]


def test_a_deposit_on_goods_falls_due_when_it_is_received(actor, acme, buyer):
    quote = make_invoice(
        actor,
        buyer,
        [line("Cuisine", "1", "1000", "20", supply_kind="goods")],
        kind="estimate",
        issue_date=JAN_10,
    )
    with on(JAN_10):
        advance = document_services.issue(
            actor, document_services.create_advance(actor, quote, percent=D("30"))
        )
    assert rows(acme, "due") == []

    pay(actor, acme, FEB_3, "360", advance)

    assert rows(acme, "due") == [(FEB_3, "advance", D("300.00"), D("60.00"))]


def test_expenses_are_deductible_at_delivery_for_goods_and_at_payment_for_services(
    actor, acme, owner, supplier
):
    expense = purchases.create_expense(
        actor,
        acme,
        expense_input(
            supplier,
            issue_date=FEB_3,
            sell_date=JAN_10,
            lines=[
                ExpenseLineInput("Papier", D(1), D("100"), D(20), supply_kind="goods"),
                ExpenseLineInput("Maintenance", D(1), D("100"), D(20)),
            ],
        ),
    )
    assert rows(acme, "due", "purchase") == [(JAN_10, "expense", D("100.00"), D("20.00"))]

    payment = purchases.record_expense_payment(actor, expense, date=MAR_1, amount=D("120"))

    assert rows(acme, "due", "purchase") == [
        (JAN_10, "expense", D("100.00"), D("20.00")),
        (MAR_1, "expense", D("50.00"), D("10.00")),
    ]
    purchases.delete_expense_payment(actor, payment)
    assert rows(acme, "due", "purchase") == [(JAN_10, "expense", D("100.00"), D("20.00"))]


def test_changing_and_deleting_an_expense_moves_and_removes_its_rows(actor, acme, supplier):
    expense = purchases.create_expense(actor, acme, expense_input(supplier, issue_date=JAN_10))
    assert rows(acme, "document", "purchase") == [(JAN_10, "expense", D("100.00"), D("20.00"))]

    purchases.update_expense(
        actor,
        expense,
        expense_input(supplier, issue_date=FEB_3, lines=[ExpenseLineInput("Papier", D(2), D("100"), D(20))]),
    )
    assert rows(acme, "document", "purchase") == [(FEB_3, "expense", D("200.00"), D("40.00"))]

    purchases.delete_expense(actor, expense)

    assert not ReportSummary.objects.filter(account=acme).exists()
    assert not ReportContribution.objects.filter(account=acme).exists()


def test_a_non_deductible_line_is_kept_apart(actor, acme, supplier):
    purchases.create_expense(
        actor,
        acme,
        expense_input(
            supplier,
            lines=[
                ExpenseLineInput("Papier", D(1), D("100"), D(20)),
                ExpenseLineInput("Restaurant", D(1), D("50"), D(10), deductible=False),
            ],
        ),
    )

    stored = ReportSummary.objects.filter(account=acme, date_kind="document", span="day").order_by(
        "-deductible"
    )
    assert [(r.deductible, r.base_eur, r.vat_eur) for r in stored] == [
        (True, D("100.00"), D("20.00")),
        (False, D("50.00"), D("5.00")),
    ]


def test_the_summary_always_equals_its_recomputation_from_the_documents(actor, acme, buyer, supplier, globex):
    other = make_client(globex, name="Autre")
    make_invoice(globex, other, issue_date=JAN_10)
    invoice = make_invoice(
        actor,
        buyer,
        [line("Conseil", "3", "333.33", "20"), line("Livre", "7", "9.99", "5.5", supply_kind="goods")],
        issue_date=JAN_10,
    )
    second = make_invoice(actor, buyer, [line("Audit", "1", "77.77", "10")], issue_date=FEB_3)
    payment = record_payment(actor, acme, date=FEB_3, amount=D("500"), documents=[invoice, second])
    credit(actor, invoice, MAR_1, lines=[line("Remise", "1", "10", "20")])
    pay(actor, acme, MAR_1, "300", invoice)
    delete_payment(actor, payment)
    expense = purchases.create_expense(actor, acme, expense_input(supplier, issue_date=JAN_10))
    purchases.record_expense_payment(actor, expense, date=FEB_3, amount=D("60"))
    assert summaries.stored_summary(acme) == summaries.computed_summary(acme)

    ReportSummary.objects.filter(account=acme).delete()
    ReportContribution.objects.filter(account=acme).delete()
    summaries.rebuild(acme)

    assert summaries.stored_summary(acme) == summaries.computed_summary(acme)
    assert summaries.stored_summary(globex) == summaries.computed_summary(globex) != {}
    assert SummaryState.objects.get(account=acme).rebuilt_at is not None


def test_the_rebuild_command_recomputes_one_account_or_all(actor, acme, buyer, globex, capsys):
    make_invoice(actor, buyer, issue_date=JAN_10)
    make_invoice(globex, make_client(globex, name="Autre"), issue_date=JAN_10)
    expected = {acme.pk: summaries.stored_summary(acme), globex.pk: summaries.stored_summary(globex)}
    ReportSummary.objects.all().delete()

    call_command("rebuild_report_summaries", "--account", "acme")

    assert summaries.stored_summary(acme) == expected[acme.pk]
    assert not ReportSummary.objects.filter(account=globex).exists()
    assert "acme" in capsys.readouterr().out

    call_command("rebuild_report_summaries")

    assert summaries.stored_summary(globex) == expected[globex.pk]


def test_the_rebuild_command_refuses_an_unknown_account(db):
    with pytest.raises(CommandError, match="nope"):
        call_command("rebuild_report_summaries", "--account", "nope")


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL (row locks between real connections); SQLite serialises all writes",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_payments_on_one_day_keep_the_summary_exact(acme, owner):
    actor = actor_for(acme, owner)
    buyer = make_client(acme)
    invoices = [
        make_invoice(actor, buyer, [line("Conseil", "1", str(100 + n), "20")], issue_date=JAN_10)
        for n in range(16)
    ]
    start = threading.Barrier(THREADS)

    def pay_all(batch: list) -> None:
        try:
            start.wait()
            for invoice in batch:
                pay(actor, acme, FEB_3, str(invoice.gross_total), invoice)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(pay_all, [invoices[i::THREADS] for i in range(THREADS)]))

    assert summaries.stored_summary(acme) == summaries.computed_summary(acme)
    assert rows(acme, "due") == [(FEB_3, "vat", D("1720.00"), D("344.00"))]
