"""Every report against an independent recomputation from the documents, to the cent.

`build_books` writes a fixed year of an account through the services: foreign currencies, partial
payments, credit notes (before and after payment, on an earlier quarter, total), an advance and its
final invoice, goods and services, exemptions, reverse charge, exports, OSS sales to people in other
member states, expenses paid in several times. The expected figures are recomputed here in plain
Python from Document, DocumentLine, PaymentAllocation, Expense, ExpenseLine and ExpensePayment (lines
re-totalled, VAT re-dated by the rules of regulatory.md §5.1), never from the VAT summary or the
stored VAT rows the reports read.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats

from facturier.billing.models import Client, Document, DocumentLine, PaymentAllocation, Status
from facturier.billing.services import documents as document_services
from facturier.billing.services.documents import LineInput
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.lib.countries import EU_MEMBERS
from facturier.purchases import services as purchases
from facturier.purchases.models import Expense, ExpenseCategory, ExpenseLine, ExpensePayment
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.reports import queries, summaries
from facturier.reports.base import Report, ReportFilters
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account

D = Decimal
YEAR = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
Q1 = datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)
Q2 = datetime.date(2025, 4, 1), datetime.date(2025, 6, 30)
H1 = datetime.date(2025, 1, 1), datetime.date(2025, 6, 30)
APRIL = datetime.date(2025, 4, 1), datetime.date(2025, 4, 30)
TODAY = datetime.date(2025, 9, 30)
PERIODS = [Q1, Q2, H1, YEAR]
SALES_KINDS = ("vat", "advance", "final", "receipt", "correction")


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def on(text: str) -> time_machine.travel:
    """Run as if today were this day (credit notes, advances and final invoices are dated today)."""
    return time_machine.travel(
        datetime.datetime.combine(day(text), datetime.time(12), tzinfo=datetime.UTC), tick=False
    )


# --- The books -----------------------------------------------------------------------------------


@dataclass
class Books:
    account: Account
    actor: Actor
    clients: dict[str, Client] = field(default_factory=dict)
    suppliers: dict[str, Client] = field(default_factory=dict)
    docs: dict[str, Document] = field(default_factory=dict)


def _person(account: Account, first: str, last: str, country: str) -> Client:
    return make_client(
        account,
        is_company=False,
        name="",
        first_name=first,
        last_name=last,
        country=country,
        siren="",
        vat_number="",
    )


# The VAT number an EU company buyer under reverse charge must have on the invoice.
_EU_VAT_NUMBERS = {"BE": "BE0403170701", "DE": "DE136695976"}


def _company(account: Account, name: str, country: str, kind: str = "buyer") -> Client:
    vat_number = _EU_VAT_NUMBERS.get(country, "") if kind == "buyer" else ""
    return make_client(account, name=name, country=country, siren="", vat_number=vat_number, kind=kind)


def build_books(account: Account, user: Any) -> Books:
    """A year of sales and purchases of `account`, written through the services as `user`."""
    books = Books(account, actor_for(account, user))
    actor, c = books.actor, books.clients
    c["fr"] = make_client(account)
    c["person"] = _person(account, "Jeanne", "Martin", "FR")
    c["de"] = _person(account, "Hans", "Müller", "DE")
    c["it"] = _person(account, "Giulia", "Rossi", "IT")
    c["be"] = _company(account, "Brussels Parts BV", "BE")
    c["us"] = _company(account, "Acme Inc.", "US")
    c["ch"] = _company(account, "Zürich Consulting AG", "CH")
    docs = books.docs

    def invoice(name: str, client: str, when: str, lines: list[Any], **fields: Any) -> Document:
        docs[name] = make_invoice(actor, c[client], lines, issue_date=day(when), **fields)
        return docs[name]

    def pay(when: str, amount: str, *names: str, currency: str = "EUR") -> None:
        record_payment(
            actor,
            account,
            date=day(when),
            amount=D(amount),
            documents=[docs[n] for n in names],
            currency=currency,
        )

    def credit(name: str, of: str, when: str, lines: list[Any] | None = None) -> None:
        with on(when):
            note = document_services.create_credit_note(actor, docs[of], lines=lines, reason="Correction")
            docs[name] = document_services.issue(actor, note)

    goods = {"supply_kind": "goods"}
    invoice(
        "i1", "fr", "2025-01-10",
        [line("Conseil", "3", "333.33", "20"), line("Chaise", "2", "149.90", "20", **goods),
         line("Livre", "4", "12.50", "5.5", **goods)],
        sell_date=day("2025-01-06"),
    )  # fmt: skip
    invoice(
        "i2", "de", "2025-01-20",
        [line("Jouet", "2", "40", "19", vat_country="DE", **goods), line("E-book", "1", "15", "7", vat_country="DE")],
        oss=True,
    )  # fmt: skip
    pay("2025-01-25", "110.25", "i2")
    pay("2025-02-10", "700", "i1")
    invoice(
        "i3", "us", "2025-02-03", [line("Machine", "1", "1234.56", "0", vat_category="G", **goods)],
        currency="USD", exchange_rate=D("0.92"),
    )  # fmt: skip
    invoice(
        "i4", "be", "2025-02-15",
        [line("Pièces", "10", "25", "0", vat_category="K", **goods), line("Maintenance", "1", "400", "0", vat_category="AE")],
    )  # fmt: skip
    make_invoice(actor, c["fr"], kind="proforma", issue_date=day("2025-02-20"))
    invoice("i5", "person", "2025-03-01", [line("Cours", "5", "60", "10")])
    pay("2025-03-05", "1234.56", "i3", currency="USD")
    make_invoice(actor, c["fr"], issue=False, issue_date=day("2025-03-10"))  # a draft: in no report
    pay("2025-03-15", "110", "i5")
    invoice("i6", "it", "2025-03-20", [line("Abonnement", "1", "100", "22", vat_country="IT")], oss=True)

    quote = make_invoice(
        actor, c["fr"], [line("Cuisine", "1", "5000", "20", **goods), line("Pose", "1", "1000", "10")],
        kind="estimate", issue_date=day("2025-04-01"),
    )  # fmt: skip
    with on("2025-04-05"):
        docs["a1"] = document_services.issue(
            actor, document_services.create_advance(actor, quote, percent=D("30"))
        )
    pay("2025-05-03", "2130", "a1")  # a deposit received the next month
    credit("c1", "i2", "2025-04-10", [line("Jouet", "1", "40", "19", vat_country="DE", **goods)])
    invoice(
        "i7", "ch", "2025-04-15", [line("Conseil", "10", "150", "0", vat_category="O")],
        currency="CHF", exchange_rate=D("1.06"),
    )  # fmt: skip
    pay("2025-04-20", "912.50", "i1")
    pay("2025-05-02", "500", "i7", currency="CHF")
    invoice("i8", "fr", "2025-05-05", [line("Audit", "1", "2000", "20")])
    pay("2025-05-10", "2400", "i8")
    credit("c3", "i5", "2025-05-20", [line("Cours", "1", "60", "10")])
    pay("2025-05-25", "154", "i5")
    with on("2025-06-01"):
        final = document_services.create_final(actor, quote, [docs["a1"]])
        docs["f1"] = document_services.issue(actor, final)
    credit("c2", "i8", "2025-06-10", [line("Remise", "1", "500", "20")])
    pay("2025-06-15", "2000", "f1")
    docs["r1"] = make_invoice(
        actor,
        c["person"],
        [line("Vase", "1", "25", "20", **goods)],
        kind="receipt",
        issue_date=day("2025-06-15"),
    )
    pay("2025-06-15", "30", "r1")
    invoice(
        "i9", "fr", "2025-06-20",
        [line("Formation", "1", "800", "0", vat_category="E", exemption_reason="Exonération, art. 261-4-4° du CGI")],
    )  # fmt: skip
    invoice("i10", "de", "2025-06-25", [line("Jouet", "1", "80", "19", vat_country="DE", **goods)], oss=True)
    invoice("i11", "fr", "2025-06-26", [line("Conseil", "1", "99.99", "20")], prices_are_gross=True)
    credit("c4", "i10", "2025-06-28")
    invoice("i12", "fr", "2025-07-03", [line("Conseil", "1", "100", "20")])
    pay("2025-07-10", "50", "i12")
    invoice(
        "i13", "us", "2025-08-01", [line("Support", "1", "333.33", "0", vat_category="O")],
        currency="USD", exchange_rate=D("0.9123"),
    )  # fmt: skip
    _expenses(books)
    return books


def _expenses(books: Books) -> None:
    account, actor = books.account, books.actor
    purchases.ensure_default_categories(account)
    categories = dict(ExpenseCategory.objects.filter(account=account).values_list("name", "pk"))
    s = books.suppliers
    s["fr"] = _company(account, "Bureau Vallée", "FR", kind="supplier")
    s["de"] = _company(account, "Software GmbH", "DE", kind="supplier")
    s["us"] = _company(account, "Cloud Corp", "US", kind="supplier")

    def expense(
        supplier: str, number: str, when: str, category: str, lines: list[ExpenseLineInput], **fields: Any
    ) -> Expense:
        data = ExpenseInput(
            supplier_id=s[supplier].pk, category_id=categories[category], issue_date=day(when), lines=lines,
            supplier_number=number, **fields,
        )  # fmt: skip
        return purchases.create_expense(actor, account, data)

    def paid(expense: Expense, when: str, amount: str) -> None:
        purchases.record_expense_payment(actor, expense, date=day(when), amount=D(amount))

    x1 = expense("fr", "F1", "2025-01-15", "Achats de marchandises", [ExpenseLineInput("Stock", D(1), D("500"), D(20), supply_kind="goods")], sell_date=day("2025-01-12"))  # fmt: skip
    paid(x1, "2025-02-01", "600")
    x2 = expense(
        "fr", "F2", "2025-02-20", "Sous-traitance", [ExpenseLineInput("Développement", D(1), D("300"), D(20))]
    )
    paid(x2, "2025-03-10", "120")
    paid(x2, "2025-04-10", "240")
    expense(
        "fr", "F3", "2025-03-05", "Déplacements",
        [ExpenseLineInput("Repas", D(1), D("80"), D(10), deductible=False),
         ExpenseLineInput("Fournitures", D(3), D("15.15"), D(20), supply_kind="goods")],
    )  # fmt: skip
    x4 = expense(
        "de",
        "DE-1",
        "2025-04-02",
        "Honoraires",
        [ExpenseLineInput("Logiciel", D(1), D("1000"), D(20), vat_category="AE")],
    )
    paid(x4, "2025-04-30", "1000")
    x5 = expense(
        "us", "US-1", "2025-05-12", "Frais postaux et télécoms",
        [ExpenseLineInput("Hébergement", D(1), D("250"), D(0), vat_category="E")], currency="USD", exchange_rate=D("0.92"),
    )  # fmt: skip
    paid(x5, "2025-05-20", "250")
    x6 = expense("fr", "F6", "2025-06-01", "Fournitures", [ExpenseLineInput("Encre", D(2), D("30"), D(20))])
    paid(x6, "2025-06-05", "24")
    changed = ExpenseInput(
        supplier_id=s["fr"].pk, category_id=categories["Fournitures"], issue_date=day("2025-06-03"),
        lines=[ExpenseLineInput("Encre", D(3), D("30"), D(20))], supplier_number="F6",
    )  # fmt: skip
    purchases.update_expense(actor, x6, changed)
    x7 = expense("fr", "F7", "2025-06-05", "Fournitures", [ExpenseLineInput("Erreur", D(1), D("99"), D(20))])
    paid(x7, "2025-06-06", "50")
    purchases.delete_expense(actor, x7)


def more_books(books: Books, count: int = 6) -> None:
    """More of the same in September (for query counts that must not grow with the data)."""
    actor, account = books.actor, books.account
    category = ExpenseCategory.objects.filter(account=account).first()
    assert category is not None
    kinds: list[tuple[str, LineInput, dict[str, Any]]] = [
        ("fr", line("Conseil", "1", "100", "20"), {}),
        ("de", line("Jouet", "1", "50", "19", vat_country="DE", supply_kind="goods"), {"oss": True}),
        (
            "us",
            line("Support", "1", "70", "0", vat_category="O"),
            {"currency": "USD", "exchange_rate": D("0.9")},
        ),
    ]
    for index in range(count):
        when = datetime.date(2025, 9, 1 + index)
        client, item, fields = kinds[index % 3]
        document = make_invoice(actor, books.clients[client], [item], issue_date=when, **fields)
        record_payment(
            actor, account, date=when, amount=D("10"), documents=[document], currency=document.currency
        )
        if index % 2:
            with on(when.isoformat()):
                note = document_services.create_credit_note(actor, document, reason="Annulation")
                document_services.issue(actor, note)
        data = ExpenseInput(
            supplier_id=books.suppliers["fr"].pk, category_id=category.pk, issue_date=when, supplier_number=f"M{index}",
            lines=[ExpenseLineInput("Divers", D(1), D("10"), D(20))],
        )  # fmt: skip
        expense = purchases.create_expense(actor, account, data)
        purchases.record_expense_payment(actor, expense, date=when, amount=D("5"))


# --- The independent recomputation -----------------------------------------------------------------

Bucket = tuple[Decimal, str, str, str]  # (rate applied, category, VAT country, goods/services)
Amounts = list[Decimal]  # [base, VAT, base EUR, VAT EUR], and for expenses the VAT self-assessed


def line_buckets(document: Document) -> dict[Bucket, Amounts]:
    """The document's VAT buckets re-totalled from its lines, then converted to EUR. Net prices: each
    line's net amount rounded to the cent, VAT on each bucket's summed base (EN 16931 BR-CO-17). Gross
    prices keep their gross: each line's gross amount rounded to the cent, the bucket's base its summed
    gross ÷ (1 + rate) rounded, its VAT the rest."""
    sums: dict[Bucket, Decimal] = defaultdict(lambda: D(0))
    for item in DocumentLine.objects.filter(document=document):
        rate = item.vat_rate if item.vat_category == "S" else D(0)
        amount = item.quantity * item.unit_price * (100 - item.discount_percent) / 100
        sums[(rate, item.vat_category, item.vat_country, item.supply_kind)] += cents(amount)
    result = {}
    for key, total in sums.items():
        if document.prices_are_gross:
            base = cents(total / (1 + key[0] / 100))
            vat_amount = total - base
        else:
            base, vat_amount = total, cents(total * key[0] / 100)
        result[key] = [
            base,
            vat_amount,
            cents(base * document.exchange_rate),
            cents(vat_amount * document.exchange_rate),
        ]
    return result


def buckets(document: Document) -> dict[Bucket, Amounts]:
    """What the document declares: its buckets, net of the advances a final invoice deducts (they are
    declared by the advances), or with them back for a total credit note of a final invoice."""
    result = {key: list(values) for key, values in line_buckets(document).items()}
    advances: list[Document] = []
    sign = 0
    if document.kind == "final":
        advances, sign = list(Document.objects.filter(deducted_in=document)), -1
    elif document.kind == "correction" and document.advances_deducted:
        advances, sign = list(Document.objects.filter(deducted_in=document.corrected_document_id)), 1
    for advance in advances:
        for key, values in line_buckets(advance).items():
            slot = result.setdefault(key, [D(0)] * 4)
            for i in range(4):
                slot[i] += sign * values[i]
    return result


def issued(account: Account, kinds: tuple[str, ...] = SALES_KINDS) -> list[Document]:
    return [
        d
        for d in Document.objects.filter(account=account, kind__in=kinds).order_by("issue_date", "id")
        if d.status != Status.DRAFT
    ]


def within(when: datetime.date, period: tuple[datetime.date, datetime.date]) -> bool:
    return period[0] <= when <= period[1]


def at_payment(invoice: Document, key: Bucket) -> bool:
    """Whether VAT falls due as the invoice is paid: services (unless on debits), deposits on goods;
    never what the buyer self-assesses (reverse charge, intra-EU supply): chargeable when performed."""
    supply_kind = key[3]
    if invoice.gross_total - invoice.advances_deducted <= 0 or key[1] in ("AE", "K"):
        return False
    if supply_kind == "goods":
        return invoice.kind == "advance"
    return not invoice.seller.get("vat_on_debits")


def due_sales(account: Account) -> list[tuple[datetime.date, Bucket, str, Decimal, Decimal]]:
    """(day, bucket, document kind, base EUR, VAT EUR) of the sales, on the day their VAT falls due:
    goods at delivery (deposits at receipt), services at payment in proportion to what each payment
    settles (on debits: at issue); credit notes by the rule of their invoice, and for services paid
    at receipt only for what they refund of money already received."""
    result = []
    documents = issued(account)
    for invoice in documents:
        if invoice.kind == "correction":
            continue
        due = invoice.gross_total - invoice.advances_deducted
        allocations = sorted(
            PaymentAllocation.objects.filter(document=invoice).select_related("payment"),
            key=lambda a: (a.payment.date, a.payment_id),
        )
        notes = [d for d in documents if d.kind == "correction" and d.corrected_document_id == invoice.pk]
        paid = sum((a.amount for a in allocations), D(0))
        credited = -sum((n.gross_total - n.advances_deducted for n in notes), D(0))

        for key, (_b, _v, base, vat_amount) in buckets(invoice).items():
            if not at_payment(invoice, key):
                result.append((invoice.sell_date or invoice.issue_date, key, invoice.kind, base, vat_amount))
                continue
            running = D(0)
            for allocation in allocations:
                before = running
                running += allocation.amount
                result.append((
                    allocation.payment.date, key, invoice.kind,
                    cents(base * running / due) - cents(base * before / due),
                    cents(vat_amount * running / due) - cents(vat_amount * before / due),
                ))  # fmt: skip
        refunded = max(D(0), paid + credited - due)
        for note in notes:
            for key, (_b, _v, base, vat_amount) in buckets(note).items():
                if at_payment(invoice, key):
                    share = (cents(base * refunded / credited), cents(vat_amount * refunded / credited))
                    result.append((note.issue_date, key, "correction", *share))
                else:
                    result.append((note.sell_date or note.issue_date, key, "correction", base, vat_amount))
    return result


def self_assessed(category: str, supplier_country: str) -> bool:
    """Reverse charge, or an intra-EU acquisition from another member state: the account owes the VAT."""
    return category == "AE" or (
        category == "K" and supplier_country in EU_MEMBERS and supplier_country != "FR"
    )


def expense_buckets(expense: Expense) -> dict[tuple[Decimal, str, str, bool], Amounts]:
    """The expense's buckets re-totalled from its lines (none of these expenses mixes deductible and
    non-deductible lines at one rate), with a fifth amount: the VAT the account self-assesses, in EUR,
    at the French rate of the lines (the key of such a bucket holds that rate, as the register shows)."""
    bases: dict[tuple[Decimal, str, str, bool], Decimal] = defaultdict(lambda: D(0))
    for item in ExpenseLine.objects.filter(expense=expense):
        rate = item.vat_rate if item.vat_category == "S" else D(0)
        if self_assessed(item.vat_category, expense.supplier.country):
            rate = item.vat_rate
        bases[(rate, item.vat_category, item.supply_kind, item.deductible)] += cents(
            item.quantity * item.unit_price
        )
    result = {}
    for key, base in bases.items():
        rate, category = key[0], key[1]
        own = self_assessed(category, expense.supplier.country)
        supplier_vat = D(0) if own else cents(base * rate / 100)
        result[key] = [
            base,
            supplier_vat,
            cents(base * expense.exchange_rate),
            cents(supplier_vat * expense.exchange_rate),
            cents(cents(base * rate / 100) * expense.exchange_rate) if own else D(0),
        ]
    return result


def purchase_rows(
    account: Account, due_mode: bool
) -> list[tuple[datetime.date, tuple[Any, ...], Decimal, Decimal]]:
    """(day, (origin, category, rate, nature, deductible), base EUR, VAT EUR) of the purchases."""
    result = []
    for expense in Expense.objects.filter(account=account).select_related("supplier"):
        country = expense.supplier.country
        origin = "FR" if country == "FR" else "EU" if country in EU_MEMBERS else "WORLD"
        payments = list(ExpensePayment.objects.filter(expense=expense).order_by("date", "id"))
        for (rate, category, supply_kind, deductible), (_b, _v, base, supplier_vat, own) in expense_buckets(
            expense
        ).items():
            vat_amount = supplier_vat + own  # the register shows the supplier's VAT, or the account's own
            key = (origin, category, rate, supply_kind, deductible)
            if not due_mode:
                result.append((expense.issue_date, key, base, vat_amount))
            elif supply_kind == "goods" or category == "AE":  # self-assessed: when performed
                result.append((expense.sell_date or expense.issue_date, key, base, vat_amount))
            else:
                running = D(0)
                for payment in payments:
                    before, running = running, running + payment.amount
                    result.append((
                        payment.date, key,
                        cents(base * running / expense.gross_total) - cents(base * before / expense.gross_total),
                        cents(vat_amount * running / expense.gross_total) - cents(vat_amount * before / expense.gross_total),
                    ))  # fmt: skip
    return result


# --- Reading the reports ---------------------------------------------------------------------------


def run(code: str, account: Account, period: tuple[datetime.date, datetime.date], **filters: Any) -> Report:
    return queries.build_report(
        code, account, ReportFilters(start=period[0], end=period[1], **filters), TODAY
    )


def ca3(report: Report) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    return {row["box"]: (row["base"], row["vat"]) for row in report.tables[2].rows}  # type: ignore[misc]


# --- Tests -----------------------------------------------------------------------------------------


@pytest.fixture
def books(acme, owner, globex):
    other = make_client(globex, name="Globex client")
    make_invoice(globex, other, [line("Ailleurs", "1", "999", "20")], issue_date=day("2025-02-01"))
    return build_books(acme, owner)


def test_the_recomputed_buckets_are_those_the_documents_store(books):
    # The recomputation agrees with what issuing stored: the oracle itself is checked.
    for document in issued(books.account):
        stored: dict[Bucket, Amounts] = defaultdict(lambda: [D(0)] * 4)
        for row in document.vat_lines.all():
            key = (row.vat_rate, row.vat_category, row.vat_country, row.supply_kind)
            for i, value in enumerate((row.base, row.vat_amount, row.base_eur, row.vat_amount_eur)):
                stored[key][i] += value
        assert dict(stored) == {k: v for k, v in buckets(document).items() if any(v)}, document.number


@pytest.mark.parametrize("period", PERIODS, ids=["Q1", "Q2", "H1", "year"])
def test_the_revenue_list_matches_the_documents(books, period):
    report = run("revenue", books.account, period)

    expected = []
    for document in issued(books.account):
        if within(document.issue_date, period):
            amounts = buckets(document).values()
            net, vat_amount = sum(a[2] for a in amounts), sum(a[3] for a in amounts)
            in_currency = sum(a[0] + a[1] for a in amounts)
            expected.append(
                (
                    document.issue_date,
                    document.number,
                    net,
                    vat_amount,
                    net + vat_amount,
                    in_currency,
                    document.currency,
                )
            )
    table = report.tables[0]
    assert [
        (r["date"], r["number"], r["net"], r["vat"], r["gross"], r["amount"], r["currency"])
        for r in table.rows
    ] == expected
    assert table.totals is not None
    assert (table.totals["net"], table.totals["vat"], table.totals["gross"]) == (
        sum(e[2] for e in expected), sum(e[3] for e in expected), sum(e[4] for e in expected)
    )  # fmt: skip
    assert sum(bar.value for bar in report.chart) == table.totals["net"]


def test_the_revenue_list_filters_and_groups_like_the_documents(books):
    report = run(
        "revenue",
        books.account,
        YEAR,
        countries=("DE", "IT"),
        kinds=("vat", "correction"),
        group_by="country",
    )

    expected = [d for d in issued(books.account, ("vat", "correction")) if d.buyer_country in ("DE", "IT")]
    assert [r["number"] for r in report.tables[0].rows] == [d.number for d in expected]
    by_country: dict[str, Decimal] = defaultdict(lambda: D(0))
    for document in expected:
        by_country[document.buyer_country] += sum(a[2] for a in buckets(document).values())
    assert {str(r["country"])[:2]: r["net"] for r in report.tables[1].rows} == by_country

    usd = run("revenue", books.account, YEAR, currency="USD", group_by="client")
    assert [r["number"] for r in usd.tables[0].rows] == [books.docs["i3"].number, books.docs["i13"].number]
    assert usd.tables[0].totals is not None
    assert usd.tables[0].totals["amount"] == D("1234.56") + D("333.33")
    assert [(r["client"], r["net"]) for r in usd.tables[1].rows] == [
        ("Acme Inc.", D("1135.80") + D("304.10"))
    ]


@pytest.mark.parametrize(
    "filters",
    [{}, {"region": "eu"}, {"countries": ("DE", "IT")}, {"kinds": ("vat", "correction")}],
    ids=["all", "eu", "countries", "kinds"],
)
def test_the_revenue_list_adds_up_the_same_from_the_summary_as_from_the_documents(books, filters):
    # Unfiltered on status, the list sums the VAT summary; every status but draft is the same list,
    # summed from the documents themselves.
    every_status = tuple(status for status in Status.values if status != Status.DRAFT)
    for start, end in [*PERIODS, (day("2025-02-14"), day("2025-11-03"))]:
        from_summary = run("revenue", books.account, (start, end), **filters)
        from_documents = run("revenue", books.account, (start, end), statuses=every_status, **filters)

        assert from_summary.tables[0].totals is not None and from_documents.tables[0].totals is not None
        assert {key: from_summary.tables[0].totals[key] for key in ("client", "net", "vat", "gross")} == {
            key: from_documents.tables[0].totals[key] for key in ("client", "net", "vat", "gross")
        }
        assert from_summary.chart == from_documents.chart


def test_the_revenue_list_by_product_counts_what_was_sold_once(books):
    report = run("revenue", books.account, Q2, group_by="product")

    products = {r["product"]: r["net"] for r in report.tables[1].rows}
    # The final invoice in full, its advance left out; credit notes netted.
    assert products["Cuisine"] == D("5000.00")
    assert products["Pose"] == D("1000.00")
    assert products["Jouet"] == D("-40.00") + D("80.00") - D("80.00")
    assert products["Conseil"] == D("1590.00") + D("83.33")  # 1 500 CHF at 1.06, and a TTC-priced line


@pytest.mark.parametrize("period", PERIODS, ids=["Q1", "Q2", "H1", "year"])
def test_the_expense_list_matches_the_expenses(books, period):
    report = run("expenses", books.account, period)

    expected = []
    sums: dict[str, Decimal] = defaultdict(lambda: D(0))
    for expense in Expense.objects.filter(account=books.account).order_by("issue_date", "id"):
        if within(expense.issue_date, period):
            amounts = expense_buckets(expense)
            net = sum((a[2] for a in amounts.values()), D(0))
            vat_amount = sum((a[3] for a in amounts.values()), D(0))
            deductible = sum((a[3] for key, a in amounts.items() if key[3]), D(0))
            expected.append(
                (expense.issue_date, expense.supplier_number, net, vat_amount, deductible, net + vat_amount)
            )
            for name, value in (
                ("net", net),
                ("vat", vat_amount),
                ("deductible", deductible),
                ("gross", net + vat_amount),
            ):
                sums[name] += value
    table, categories = report.tables
    assert [
        (r["date"], r["number"], r["net"], r["vat"], r["deductible"], r["gross"]) for r in table.rows
    ] == expected
    assert table.totals is not None and categories.totals is not None
    for name in ("net", "vat", "deductible", "gross"):
        assert table.totals[name] == categories.totals[name] == sums[name]


def test_the_expense_list_filters_on_categories(books):
    category = ExpenseCategory.objects.get(account=books.account, name="Sous-traitance")

    report = run("expenses", books.account, YEAR, category_ids=(category.pk,))

    assert [r["number"] for r in report.tables[0].rows] == ["F2"]
    assert report.filter_summary[-1] == "Catégories : Sous-traitance"


def _expected_register(
    books: Books, period: tuple[datetime.date, datetime.date], due_mode: bool
) -> dict[str, Any]:
    """The VAT register's figures recomputed from the documents: CA3 boxes and table totals."""
    sales: list[tuple[datetime.date, Bucket, str, Decimal, Decimal]]
    if due_mode:
        sales = due_sales(books.account)
    else:
        sales = [
            (d.issue_date, key, d.kind, a[2], a[3])
            for d in issued(books.account)
            for key, a in buckets(d).items()
        ]
    boxes: dict[str, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    totals = [D(0), D(0)]
    credit_notes = [D(0), D(0)]
    rate_box = {D(20): "08", D(10): "9B", D("5.5"): "09", D("2.1"): "T6"}
    for when, (rate, category, vat_country, _kind), kind, base, vat_amount in sales:
        if not within(when, period):
            continue
        totals[0] += base
        totals[1] += vat_amount
        if kind == "correction":
            credit_notes[0] += base
            credit_notes[1] += vat_amount
        if category == "S" and vat_country == "FR":
            for box, amounts in (
                ("A1", (base, D(0))),
                (rate_box[rate], (base, vat_amount)),
                ("16", (D(0), vat_amount)),
            ):
                boxes[box][0] += amounts[0]
                boxes[box][1] += amounts[1]
        else:
            box = "E3" if category == "S" else {"G": "E1", "K": "F2"}.get(category, "E2")
            boxes[box][0] += base
    purchases_total = [D(0), D(0), D(0)]
    for when, (origin, category, _rate, nature, deductible), base, vat_amount in purchase_rows(
        books.account, due_mode
    ):
        if not within(when, period):
            continue
        purchases_total[0] += base
        purchases_total[1] += vat_amount
        if deductible and category == "S":
            purchases_total[2] += vat_amount
            boxes["20"][1] += vat_amount
        elif category in ("AE", "K") and origin != "FR":
            boxes["B4" if origin == "WORLD" else "B2" if nature == "goods" else "A3"][0] += base
            # Self-assessed: due at its French rate (and in the gross VAT), deducted when deductible.
            boxes[rate_box[_rate]][0] += base
            boxes[rate_box[_rate]][1] += vat_amount
            boxes["16"][1] += vat_amount
            if deductible:
                purchases_total[2] += vat_amount
                boxes["20"][1] += vat_amount
    net = boxes["16"][1] - boxes["20"][1]
    return {
        "boxes": {k: tuple(v) for k, v in boxes.items()},
        "sales": tuple(totals),
        "credit_notes": tuple(credit_notes),
        "purchases": tuple(purchases_total),
        "net": ("TD", net) if net >= 0 else ("25", -net),
    }


@pytest.mark.parametrize("vat_mode", ["debits", "due"])
@pytest.mark.parametrize("period", [*PERIODS, APRIL], ids=["Q1", "Q2", "H1", "year", "april"])
def test_the_vat_register_matches_the_documents_in_both_modes(books, period, vat_mode):
    report = run("vat-register", books.account, period, vat_mode=vat_mode)

    expected = _expected_register(books, period, vat_mode == "due")
    sales, purchases_table, _boxes = report.tables
    assert sales.totals is not None and purchases_table.totals is not None
    assert (sales.totals["base"], sales.totals["vat"]) == expected["sales"]
    assert (
        purchases_table.totals["base"],
        purchases_table.totals["vat"],
        purchases_table.totals["deductible"],
    ) == expected["purchases"]
    boxes = ca3(report)
    for box, (base, vat_amount) in expected["boxes"].items():
        if box in ("16", "20"):
            assert boxes[box][1] == vat_amount, box
        elif box in ("A1", "A3", "B2", "B4", "E1", "E2", "E3", "F2"):
            assert boxes[box][0] == base, box
        else:
            assert boxes[box] == (base, vat_amount), box
    assert boxes[expected["net"][0]][1] == expected["net"][1]
    assert boxes["23"][1] == boxes["20"][1]
    base, vat_amount = (
        formats.number_format(v, 2, use_l10n=True, force_grouping=True) for v in expected["credit_notes"]
    )
    assert sales.notes[0] == f"Avoirs déduits : base {base} EUR, TVA {vat_amount} EUR."


@pytest.mark.parametrize("period", [Q1, Q2], ids=["Q1", "Q2"])
def test_the_oss_return_matches_the_documents(books, period):
    report = run("oss", books.account, period)

    supplies: dict[tuple[str, Decimal, str], list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    corrections: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for document in issued(books.account):
        if not within(document.issue_date, period) or document.buyer_is_company:
            continue
        corrected = document.corrected_document
        earlier = corrected is not None and corrected.issue_date < period[0]
        for (rate, category, vat_country, nature), amounts in buckets(document).items():
            if category != "S" or vat_country == "FR":
                continue
            if earlier:
                assert corrected is not None
                quarter = f"{corrected.issue_date.year}-T{(corrected.issue_date.month - 1) // 3 + 1}"
                slot = corrections[(quarter, vat_country)]
            else:
                slot = supplies[(vat_country, rate, "Bien" if nature == "goods" else "Service")]
            slot[0] += amounts[2]
            slot[1] += amounts[3]
    rows, fixes, due, threshold = report.tables
    assert {(r["country"], r["rate"], r["nature"]): [r["base"], r["vat"]] for r in rows.rows} == {
        k: v for k, v in supplies.items() if any(v)
    }
    assert {(r["period"], r["country"]): [r["base"], r["vat"]] for r in fixes.rows} == corrections
    assert due.totals is not None
    assert due.totals["total"] == sum(v[1] for v in supplies.values()) + sum(
        v[1] for v in corrections.values()
    )
    b2c = sum(
        a[2] for d in issued(books.account) if not d.buyer_is_company and d.buyer_country in EU_MEMBERS - {"FR"}
        for a in buckets(d).values()
    )  # fmt: skip
    assert [(r["year"], r["amount"]) for r in threshold.rows] == [("2024", D("0.00")), ("2025", b2c)]


def test_the_oss_return_lists_a_credit_note_on_an_earlier_quarter_apart(books):
    report = run("oss", books.account, Q2)

    assert [(r["period"], r["country"], r["base"], r["vat"]) for r in report.tables[1].rows] == [
        ("2025-T1", "DE", D("-40.00"), D("-7.60"))
    ]
    # i10 and its total credit note, both in Q2, cancel out.
    assert [(r["country"], r["base"]) for r in report.tables[0].rows] == []


def test_the_unpaid_list_matches_the_documents(books):
    report = run("unpaid", books.account, YEAR)

    expected = []
    per_client: dict[str, Decimal] = defaultdict(lambda: D(0))
    for document in issued(books.account, ("vat", "advance", "final", "receipt")):
        paid = sum((a.amount for a in PaymentAllocation.objects.filter(document=document)), D(0))
        credited = -sum(
            (n.gross_total - n.advances_deducted for n in document.credit_notes.exclude(status="draft")), D(0)
        )
        left = document.gross_total - document.advances_deducted - paid - credited
        if left <= 0:
            continue
        assert document.due_date is not None
        overdue = max(0, (TODAY - document.due_date).days)
        expected.append(
            (
                document.due_date,
                document.pk,
                document.number,
                overdue,
                left,
                cents(left * document.exchange_rate),
            )
        )
        per_client[document.client.name] += cents(left * document.exchange_rate)
    expected.sort()
    documents, ageing = report.tables
    assert [(r["number"], r["days"], r["remaining"], r["remaining_eur"]) for r in documents.rows] == [
        e[2:] for e in expected
    ]
    assert {r["client"]: r["total"] for r in ageing.rows} == per_client
    assert ageing.totals is not None and documents.totals is not None
    assert ageing.totals["total"] == documents.totals["remaining_eur"] == sum(per_client.values())
    assert ageing.totals["older"] == sum(e[5] for e in expected if e[3] > 90)
    assert ageing.totals["not_due"] == sum(e[5] for e in expected if e[3] == 0)


def test_the_stored_summary_equals_its_recomputation_after_the_year(books):
    assert summaries.stored_summary(books.account) == summaries.computed_summary(books.account)


REPORTS = [
    ("revenue", {}, 3),
    ("revenue", {"group_by": "client"}, 5),
    ("revenue", {"group_by": "country"}, 5),
    ("revenue", {"group_by": "product"}, 4),
    ("expenses", {}, 3),
    ("vat-register", {"vat_mode": "due"}, 1),
    ("oss", {}, 3),
    ("unpaid", {}, 2),
]


@pytest.mark.parametrize(("code", "filters", "expected"), REPORTS, ids=[f"{c}-{f}" for c, f, _n in REPORTS])
def test_each_report_runs_a_constant_number_of_queries(books, code, filters, expected):
    paged = {"limit": 5, "offset": 5} if code in ("revenue", "expenses", "unpaid") else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as run_queries:
            report = queries.build_report(
                code, books.account, ReportFilters(*YEAR, **filters), TODAY, **paged
            )
        assert report.tables[0].rows
        return len(run_queries)

    small = count()
    more_books(books)

    assert count() == small == expected
