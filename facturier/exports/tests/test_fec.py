"""The FEC writer: the golden file, the rules of an accounting entry, and the refusals.

The golden dataset is a small year written through the services with fixed client codes, so the file
is the same on SQLite and PostgreSQL; the expected file (golden/) was written and checked by hand.
"""

import datetime
import io
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facturier.billing.models import BillingSettings, Document
from facturier.billing.services import documents as document_services
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.exports import fec
from facturier.exports.base import ExportError, ExportRequest
from facturier.exports.fec import fec_file_name, fiscal_year, fiscal_year_of, letters, write_fec
from facturier.exports.fec_check import check_fec
from facturier.exports.models import AccountingSettings
from facturier.lib.money import round_money
from facturier.purchases import services as purchases
from facturier.purchases.models import Expense, ExpenseCategory
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.reports import summaries
from facturier.reports.models import DateKind, Direction
from facturier.reports.tests.test_correctness import build_books

D = Decimal
GOLDEN = Path(__file__).parent / "golden" / "732829320FEC20251231.txt"
YEAR = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def on(text: str) -> time_machine.travel:
    return time_machine.travel(
        datetime.datetime.combine(day(text), datetime.time(12), tzinfo=datetime.UTC), tick=False
    )


def export(account, start=YEAR[0], end=YEAR[1], **options) -> str:
    out = io.BytesIO()
    write_fec(ExportRequest(account, start, end, **options), out)
    return out.getvalue().decode()


def rows(text: str, separator: str = "|") -> list[dict[str, str]]:
    header, *lines = text.split("\r\n")[:-1]
    names = header.split(separator)
    return [dict(zip(names, item.split(separator), strict=True)) for item in lines]


def amount(text: str) -> Decimal:
    return D(text.replace(",", "."))


def balances(text: str) -> dict[str, Decimal]:
    """Debit − credit per account (and per auxiliary account when there is one)."""
    found: dict[str, Decimal] = defaultdict(lambda: D(0))
    for row in rows(text):
        key = row["CompteNum"] + (f"/{row['CompAuxNum']}" if row["CompAuxNum"] else "")
        found[key] += amount(row["Debit"]) - amount(row["Credit"])
    return found


@pytest.fixture
def frozen():
    with on("2026-01-15"):
        yield


def build_golden(account, user) -> None:
    """The golden year: an invoice with two rates, a goods and services invoice (one line with its own
    revenue account) partly credited, an export in USD paid in full, an intra-EU reverse-charge invoice
    paid in full, a partial payment, an expense with deductible and non-deductible VAT paid in full."""
    actor = actor_for(account, user)
    dupont = make_client(account, accounting_code="CDUPONT")
    foreign = {"siren": "", "vat_number": ""}
    acme_us = make_client(account, name="Acme Inc.", country="US", accounting_code="CACMEUS", **foreign)
    brussels = make_client(
        account,
        name="Brussels Parts BV",
        country="BE",
        accounting_code="CBRUSSELS",
        siren="",
        vat_number="BE0403170701",
    )
    bureau = make_client(account, name="Bureau Vallée", kind="supplier", accounting_code="FBUREAU", **foreign)
    goods = {"supply_kind": "goods"}

    f1 = make_invoice(
        actor,
        dupont,
        [line("Conseil", "2", "500", "20"), line("Livre", "4", "12.50", "5.5", **goods)],
        issue_date=day("2025-01-10"),
    )
    f2 = make_invoice(
        actor,
        dupont,
        [
            line("Chaise", "2", "149.90", "20", **goods),
            line("Installation", "1", "120", "10", accounting_code="706500"),
        ],
        issue_date=day("2025-02-03"),
    )
    record_payment(
        actor, account, date=day("2025-02-10"), amount=D("600"), documents=[f1], reference="VIR-001"
    )
    with on("2025-02-20"):
        note = document_services.create_credit_note(
            actor, f2, lines=[line("Chaise", "1", "149.90", "20", **goods)], reason="Chaise rendue"
        )
        document_services.issue(actor, note)
    f3 = make_invoice(
        actor,
        acme_us,
        [line("Machine", "1", "1000", "0", vat_category="G", **goods)],
        issue_date=day("2025-03-05"),
        currency="USD",
        exchange_rate=D("0.92"),
    )
    purchases.ensure_default_categories(account)
    travel = ExpenseCategory.objects.get(account=account, name="Déplacements")
    expense = purchases.create_expense(
        actor,
        account,
        ExpenseInput(
            supplier_id=bureau.pk,
            category_id=travel.pk,
            issue_date=day("2025-03-12"),
            supplier_number="FV-2025-118",
            lines=[
                ExpenseLineInput("Repas", D(1), D("80"), D(10), deductible=False),
                ExpenseLineInput("Fournitures", D(3), D("15"), D(20), supply_kind="goods"),
            ],
        ),
    )
    f4 = make_invoice(
        actor,
        brussels,
        [line("Maintenance", "1", "400", "0", vat_category="AE")],
        issue_date=day("2025-03-20"),
        reverse_charge=True,
    )
    purchases.record_expense_payment(
        actor, expense, date=day("2025-03-31"), amount=D("142"), reference="CB-42"
    )
    record_payment(
        actor,
        account,
        date=day("2025-04-02"),
        amount=D("1000"),
        documents=[f3],
        currency="USD",
        reference="VIR-USD-7",
    )
    record_payment(
        actor, account, date=day("2025-04-15"), amount=D("400"), documents=[f4], reference="VIR-118"
    )


# --- The golden file -----------------------------------------------------------------------------


def test_the_fec_of_a_small_year_is_the_golden_file_byte_for_byte(frozen, acme, owner):
    build_golden(acme, owner)
    request = ExportRequest(acme, *YEAR)
    out = io.BytesIO()

    write_fec(request, out)

    assert out.getvalue() == GOLDEN.read_bytes()
    assert fec_file_name(acme, request) == GOLDEN.name == "732829320FEC20251231.txt"
    assert check_fec(io.BytesIO(out.getvalue()), GOLDEN.name) == []


def test_valid_date_is_the_day_each_entry_was_issued_or_recorded(acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="CDUPONT")
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier", accounting_code="FBUREAU")
    purchases.ensure_default_categories(acme)
    category = ExpenseCategory.objects.get(account=acme, name="Fournitures")
    # Issued at 23:30 UTC on 12/03, already the 13th in Paris, for an invoice dated the 10th.
    with time_machine.travel(datetime.datetime(2025, 3, 12, 23, 30, tzinfo=datetime.UTC), tick=False):
        invoice = make_invoice(
            actor, client, [line("Conseil", "1", "100", "20")], issue_date=day("2025-03-10")
        )
    with on("2025-04-20"):  # a payment of the 15th and a supplier's invoice of the 2nd, entered later
        record_payment(actor, acme, date=day("2025-04-15"), amount=D("120"), documents=[invoice])
        expense = purchases.create_expense(
            actor, acme, ExpenseInput(supplier_id=supplier.pk, category_id=category.pk,
                                      issue_date=day("2025-04-02"), lines=[ExpenseLineInput("Papier", D(1), D(50), D(20))]),
        )  # fmt: skip
    with on("2025-05-03"):
        purchases.record_expense_payment(actor, expense, date=day("2025-05-02"), amount=D(60))
    # Issued before the moment of issue was kept: its issue date.
    older = make_invoice(actor, client, [line("Audit", "1", "10", "20")], issue_date=day("2025-06-01"))
    Document.objects.filter(pk=older.pk).update(issued_at=None)

    text = export(acme)

    assert check_fec(io.StringIO(text), GOLDEN.name) == []
    valid = {(r["JournalCode"], r["PieceRef"], r["EcritureDate"], r["ValidDate"]) for r in rows(text)}
    assert valid == {
        ("VT", invoice.number, "20250310", "20250313"),
        ("BQ", invoice.number, "20250415", "20250420"),
        ("HA", f"DEP-{expense.pk}", "20250402", "20250420"),
        ("BQ", f"DEP-{expense.pk}", "20250502", "20250503"),
        ("VT", older.number, "20250601", "20250601"),
    }


def credit(actor, invoice, amount: str, when: str):
    with on(when):
        note = document_services.create_credit_note(
            actor, invoice, lines=[line("Remise commerciale", "1", amount, "20")], reason="Geste commercial"
        )
        return document_services.issue(actor, note) or note


def test_a_credit_note_is_matched_with_the_invoice_it_credits_and_its_payments(frozen, acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="CDUPONT")
    invoice = make_invoice(actor, client, [line("Conseil", "1", "1000", "20")], issue_date=day("2025-03-10"))
    record_payment(
        actor, acme, date=day("2025-03-20"), amount=D("600"), documents=[invoice], reference="VIR-1"
    )
    note = credit(actor, invoice, "500", "2025-04-05")  # 600 TTC: the invoice is settled
    # Another invoice credited in part and unpaid stays open: no code.
    other = make_invoice(actor, client, [line("Audit", "1", "100", "20")], issue_date=day("2025-05-02"))
    credit(actor, other, "50", "2025-05-10")

    text = export(acme)

    assert check_fec(io.StringIO(text), GOLDEN.name) == []
    customer = [r for r in rows(text) if r["CompteNum"] == "411000"]
    matched = [(r["PieceRef"], r["Debit"], r["Credit"], r["EcritureLet"], r["DateLet"]) for r in customer]
    note_number = Document.objects.get(corrected_document=invoice).number
    assert matched[:3] == [
        (invoice.number, "1200,00", "0,00", "A", "20250405"),
        ("VIR-1", "0,00", "600,00", "A", "20250405"),
        (note_number, "0,00", "600,00", "A", "20250405"),
    ]
    assert all(r[3] == "" and r[4] == "" for r in matched[3:])
    assert note is not None


def test_a_credit_note_outside_the_file_leaves_the_invoice_unmatched(frozen, acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="CDUPONT")
    invoice = make_invoice(actor, client, [line("Conseil", "1", "1000", "20")], issue_date=day("2025-12-10"))
    record_payment(actor, acme, date=day("2025-12-20"), amount=D("600"), documents=[invoice])
    credit(actor, invoice, "500", "2026-01-05")  # next fiscal year

    text = export(acme)

    assert all(r["EcritureLet"] == "" for r in rows(text))


def test_the_golden_file_passes_the_checker_on_its_own():
    assert check_fec(GOLDEN) == []


def test_a_tab_separated_fec_differs_only_by_its_separator(frozen, acme, owner):
    build_golden(acme, owner)

    text = export(acme, separator="\t")

    assert text == GOLDEN.read_bytes().decode().replace("|", "\t")
    assert check_fec(io.StringIO(text), GOLDEN.name) == []


def test_the_writer_only_reads(frozen, acme, owner):
    build_golden(acme, owner)

    export(acme)

    assert not AccountingSettings.objects.filter(account=acme).exists()
    assert not Document.objects.filter(account=acme, exported_at__isnull=False).exists()
    assert not Expense.objects.filter(account=acme, exported_at__isnull=False).exists()


# --- A year of every kind of document --------------------------------------------------------------


@pytest.fixture
def books(acme, owner):
    with on("2025-09-30"):
        return build_books(acme, owner)


def test_the_fec_of_a_varied_year_passes_the_checker_and_balances_every_document(books):
    text = export(books.account)

    assert check_fec(io.StringIO(text), "732829320FEC20251231.txt") == []
    found = rows(text)
    assert [int(row["EcritureNum"]) for row in found] == sorted(int(row["EcritureNum"]) for row in found)
    # Recorded on 30/09/2025 at the latest (some on their own date): validated on or after their date.
    assert all(
        row["EcritureDate"] <= row["ValidDate"] <= max(row["EcritureDate"], "20250930") for row in found
    )
    assert any(row["ValidDate"] != row["EcritureDate"] for row in found)
    # Every client's account holds what it still owes, in EUR, and the waiting account is what the
    # payments have not yet made due.
    totals = balances(text)
    for client in books.clients.values():
        owed = sum(
            (
                d.remaining * d.exchange_rate
                for d in Document.objects.filter(client=client).exclude(status="draft")
                if d.kind in ("vat", "advance", "final", "receipt")
            ),
            D(0),
        )
        assert totals[f"411000/{fec.customer_auxiliary(client.pk, '')}"] == owed.quantize(D("0.01")), client


def test_the_vat_collected_in_the_fec_is_the_vat_due_of_the_vat_register(books):
    """Per French rate, what the FEC credits to VAT collected over the year (at invoice for goods and
    on debits, at payment for services) is the VAT due of the reports: the two agree to the cent."""
    text = export(books.account)

    totals = balances(text)
    settings = fec.accounting_settings(books.account)
    due = summaries.sums(
        books.account,
        DateKind.DUE,
        *YEAR,
        ["vat_rate", "vat_category", "vat_country"],
        directions=[Direction.SALE],
    )
    expected: dict[str, Decimal] = defaultdict(lambda: D(0))
    for row in due:
        if row["vat_category"] == "S" and row["vat_country"] == "FR":
            expected[settings.vat_collected_account_for(row["vat_rate"])] += row["vat"]
    assert expected
    for account, vat_due in expected.items():
        assert -totals[account] == vat_due, account


def test_matching_codes_go_to_fully_paid_documents_and_their_payments(books):
    text = export(books.account)

    found = rows(text)
    by_code: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in found:
        if row["EcritureLet"]:
            by_code[row["EcritureLet"]].append(row)
    assert list(by_code)[:3] == ["A", "B", "C"]
    for code, matched in by_code.items():
        assert len({row["CompteNum"] for row in matched}) == 1, code
        assert sum(amount(row["Debit"]) - amount(row["Credit"]) for row in matched) == 0, code
        assert len({row["DateLet"] for row in matched}) == 1
        assert max(row["EcritureDate"] for row in matched) == matched[0]["DateLet"]
    # Partly paid (i12), credited (i8) and unpaid (i9) invoices are not matched.
    for name in ("i12", "i8", "i9"):
        number = books.docs[name].number
        [invoice] = [
            r
            for r in found
            if r["PieceRef"] == number and r["JournalCode"] == "VT" and r["CompteNum"] == "411000"
        ]
        assert invoice["EcritureLet"] == "" and invoice["DateLet"] == ""


def test_a_period_inside_the_year_holds_only_its_entries(books):
    text = export(books.account, day("2025-04-01"), day("2025-06-30"))

    assert check_fec(io.StringIO(text)) == []
    assert {row["EcritureDate"][:6] for row in rows(text)} == {"202504", "202505", "202506"}
    # i1 is paid in February and April: its April payment is not matched, its February one is not here.
    i1 = books.docs["i1"].number
    assert all(row["EcritureLet"] == "" for row in rows(text) if i1 in row["EcritureLib"])


# --- Rules of the entries --------------------------------------------------------------------------


def test_with_vat_on_debits_services_vat_is_collected_at_invoice(frozen, acme, owner):
    BillingSettings.objects.update_or_create(account=acme, defaults={"vat_on_debits": True})
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="C1")
    invoice = make_invoice(actor, client, [line("Conseil", "1", "100", "20")], issue_date=day("2025-05-05"))
    record_payment(actor, acme, date=day("2025-05-20"), amount=D("120"), documents=[invoice])

    text = export(acme)

    totals = balances(text)
    assert totals["445712"] == D("-20.00")
    assert "445740" not in totals
    assert [row["CompteNum"] for row in rows(text) if row["JournalCode"] == "BQ"] == ["512000", "411000"]


def test_a_payment_of_several_documents_credits_each_and_a_foreign_one_adds_up_to_the_invoice(
    frozen, acme, owner
):
    actor = actor_for(acme, owner)
    client = make_client(
        acme, name="Globe Ltd", country="GB", siren="", vat_number="", accounting_code="CGLOBE"
    )
    export_sale: dict[str, Any] = {"currency": "GBP", "exchange_rate": D("1.1713")}
    first = make_invoice(
        actor,
        client,
        [line("Audit", "1", "333.33", "0", vat_category="O")],
        issue_date=day("2025-02-01"),
        **export_sale,
    )
    second = make_invoice(
        actor,
        client,
        [line("Audit", "1", "100.01", "0", vat_category="O")],
        issue_date=day("2025-02-02"),
        **export_sale,
    )
    for when, paid in (("2025-03-01", "111.11"), ("2025-03-02", "111.11"), ("2025-03-03", "211.12")):
        record_payment(actor, acme, date=day(when), amount=D(paid), currency="GBP", documents=[first, second])

    text = export(acme)

    assert check_fec(io.StringIO(text)) == []
    assert balances(text)["411000/CGLOBE"] == 0
    last = [row for row in rows(text) if row["EcritureNum"] == "5"]
    assert [(row["CompteNum"], row["PieceRef"], row["Montantdevise"], row["Idevise"]) for row in last] == [
        ("512000", f"{first.number}, {second.number}", "211,12", "GBP"),
        ("411000", f"{first.number}, {second.number}", "-111,11", "GBP"),
        ("411000", f"{first.number}, {second.number}", "-100,01", "GBP"),
    ]
    assert [row["EcritureLet"] for row in last[1:]] == ["A", "B"]


def test_revenue_follows_the_lines_own_accounts_in_proportion(frozen, acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="C1")
    make_invoice(
        actor,
        client,
        [
            line("Formation", "1", "100.01", "20", accounting_code="706300"),
            line("Conseil", "1", "50", "20"),
            line("Licence", "1", "33.33", "20", accounting_code="7061 00"),
        ],
        issue_date=day("2025-05-05"),
        currency="USD",
        exchange_rate=D("0.9333"),
    )

    text = export(acme)

    totals = balances(text)
    assert (totals["706300"], totals["706100"], totals["706000"]) == (D("-93.34"), D("-31.11"), D("-46.66"))
    [customer] = [row for row in rows(text) if row["CompteNum"] == "411000"]
    assert (customer["Debit"], customer["Montantdevise"]) == ("205,33", "220,01")
    assert check_fec(io.StringIO(text)) == []


def test_an_expense_on_a_fixed_asset_account_deducts_its_vat_on_the_assets_account(frozen, acme, owner):
    actor = actor_for(acme, owner)
    supplier = make_client(acme, name="Matériel SA", kind="supplier", accounting_code="FMAT")
    category = ExpenseCategory.objects.create(
        account=acme, name="Matériel informatique", accounting_code="218300"
    )
    purchases.create_expense(
        actor,
        acme,
        ExpenseInput(
            supplier_id=supplier.pk,
            category_id=category.pk,
            issue_date=day("2025-06-01"),
            lines=[ExpenseLineInput("Serveur", D(1), D("2000"), D(20), supply_kind="goods")],
        ),
    )

    text = export(acme)

    assert [(row["CompteNum"], row["Debit"], row["Credit"], row["PieceRef"]) for row in rows(text)] == [
        ("218300", "2000,00", "0,00", rows(text)[0]["PieceRef"]),
        ("445620", "400,00", "0,00", rows(text)[0]["PieceRef"]),
        ("401000", "0,00", "2400,00", rows(text)[0]["PieceRef"]),
    ]
    assert rows(text)[0]["PieceRef"].startswith("DEP-")  # no supplier number: a stable reference


def test_separators_and_line_breaks_in_text_become_spaces(frozen, acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, name="Dupont | Fils\tet Cie", accounting_code="C|1")
    make_invoice(actor, client, [line()], issue_date=day("2025-05-05"))

    text = export(acme)

    assert check_fec(io.StringIO(text)) == []
    assert rows(text)[0]["CompAuxLib"] == "Dupont   Fils et Cie"
    assert rows(text)[0]["CompAuxNum"] == "C 1"


def test_progress_is_reported_every_chunk_and_at_the_end(frozen, acme, owner, monkeypatch):
    monkeypatch.setattr(fec, "CHUNK_SIZE", 2)
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="C1")
    for number in range(5):
        make_invoice(actor, client, [line()], issue_date=day("2025-05-01") + datetime.timedelta(days=number))
    calls: list[tuple[int, int]] = []

    write_fec(ExportRequest(acme, *YEAR), io.BytesIO(), lambda done, total: calls.append((done, total)))

    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_the_number_of_queries_does_not_grow_with_the_documents(frozen, acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="C1")

    issued: list[int] = []

    def queries_with(count: int) -> int:
        """Add `count` paid invoices, then count the export's queries."""
        for _number in range(count):
            issued.append(len(issued))
            when = day("2025-07-01") + datetime.timedelta(days=len(issued))
            invoice = make_invoice(actor, client, [line()], issue_date=when)
            record_payment(actor, acme, date=when, amount=D("120"), documents=[invoice])
        with CaptureQueriesContext(connection) as queries:
            export(acme)
        return len(queries)

    assert queries_with(2) == queries_with(6)


# --- Refusals ------------------------------------------------------------------------------------


def test_a_period_across_two_fiscal_years_is_refused_with_the_dates_to_use(frozen, acme):
    AccountingSettings.objects.create(account=acme, fiscal_year_end_month=6)

    with pytest.raises(ExportError) as refused:
        export(acme, day("2025-01-01"), day("2025-12-31"))

    assert refused.value.message == (
        "Un FEC couvre un seul exercice, et la période du 01/01/2025 au 31/12/2025 est à cheval sur deux "
        "exercices (clos le 30/06/2025 et le 30/06/2026). Exportez du 01/01/2025 au 30/06/2025, puis du "
        "01/07/2025 au 31/12/2025. La date de clôture se règle dans Paramètres > Comptabilité."
    )


def test_an_empty_period_is_refused(frozen, acme):
    with pytest.raises(ExportError, match="Rien à exporter du 01/01/2025 au 31/12/2025"):
        export(acme)


def test_an_account_without_siren_is_told_where_to_fill_it_in(frozen, acme, owner):
    make_invoice(actor_for(acme, owner), make_client(acme), [line()], issue_date=day("2025-05-05"))
    acme.siren = ""
    acme.save()

    with pytest.raises(ExportError, match=r"SIREN .* renseignez-le dans Paramètres > Votre compte"):
        export(acme)
    with pytest.raises(ExportError):
        fec_file_name(acme, ExportRequest(acme, *YEAR))


def test_a_missing_account_mapping_is_refused_naming_the_setting(frozen, acme, owner):
    make_invoice(actor_for(acme, owner), make_client(acme), [line()], issue_date=day("2025-05-05"))
    AccountingSettings.objects.create(account=acme, customer_account="")

    with pytest.raises(ExportError) as refused:
        export(acme)

    assert "« compte clients »" in refused.value.message
    assert "Paramètres > Comptabilité" in refused.value.message


def test_an_expense_category_without_account_is_refused_naming_it(frozen, acme, owner):
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier")
    category = ExpenseCategory.objects.create(account=acme, name="Divers", accounting_code="")
    purchases.create_expense(
        actor_for(acme, owner),
        acme,
        ExpenseInput(
            supplier_id=supplier.pk,
            category_id=category.pk,
            issue_date=day("2025-06-01"),
            lines=[ExpenseLineInput("Divers", D(1), D("10"), D(20))],
        ),
    )

    with pytest.raises(ExportError, match="« Divers » n'a pas de compte de charge"):
        export(acme)


# --- Helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end_month", "on_day", "start", "end"),
    [
        (12, "2025-03-14", "2025-01-01", "2025-12-31"),
        (6, "2025-06-30", "2024-07-01", "2025-06-30"),
        (6, "2025-07-01", "2025-07-01", "2026-06-30"),
        (2, "2024-02-29", "2023-03-01", "2024-02-29"),
        (2, "2024-03-01", "2024-03-01", "2025-02-28"),
    ],
)
def test_the_fiscal_year_of_a_date(end_month, on_day, start, end):
    year = fiscal_year_of(day(on_day), end_month)

    assert (year.start, year.end) == (day(start), day(end))


def test_the_fiscal_year_of_an_account_follows_its_settings(acme):
    assert fiscal_year(acme, day("2025-08-01")).end == day("2025-12-31")
    AccountingSettings.objects.create(account=acme, fiscal_year_end_month=3)
    assert fiscal_year(acme, day("2025-08-01")).end == day("2026-03-31")


def test_the_file_name_carries_the_closing_date_of_the_fiscal_year(acme):
    AccountingSettings.objects.create(account=acme, fiscal_year_end_month=6)

    assert (
        fec_file_name(acme, ExportRequest(acme, day("2025-07-01"), day("2025-09-30")))
        == "732829320FEC20260630.txt"
    )


def test_matching_codes_run_from_a_to_z_then_aa():
    assert [letters(n) for n in (1, 2, 26, 27, 28, 52, 53, 702, 703)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_shares_are_rounded_like_round_money():
    """The writer rounds shares on integer cents; the rule must be money.round_money's, to the cent."""
    generator = random.Random(6)
    for _ in range(5000):
        total = generator.randint(-(10**9), 10**9)
        due = generator.choice([-1, 1]) * generator.randint(1, 10**7)
        paid = generator.randint(0, abs(due)) * (1 if due > 0 else -1)
        for currency in ("EUR", "JPY"):
            expected = round_money(D(total) / 100 * paid / due, currency) * 100
            assert fec._share(total, paid, due, currency) == expected, (total, paid, due, currency)


def test_an_unallocated_payment_posts_bank_against_its_client_or_the_suspense_account(frozen, acme, owner):
    actor = actor_for(acme, owner)
    client = make_client(acme, accounting_code="CDUPONT")
    record_payment(actor, acme, date=day("2025-04-01"), amount=D("100"), reference="VIR 9", documents=[],
                   client=client, unallocated=True)  # fmt: skip
    record_payment(actor, acme, date=day("2025-04-02"), amount=D("30"), documents=[], unallocated=True)

    text = export(acme)

    assert check_fec(io.StringIO(text)) == []
    found = [(r["CompteNum"], r["CompAuxNum"], r["Debit"], r["Credit"], r["PieceRef"]) for r in rows(text)]
    assert found == [
        ("512000", "", "100,00", "0,00", "VIR 9"),
        ("411000", "CDUPONT", "0,00", "100,00", "VIR 9"),
        ("512000", "", "30,00", "0,00", found[2][4]),
        # No client yet: a customer line would name none (check_fec's L7), so it waits on 471.
        ("471000", "", "0,00", "30,00", found[2][4]),
    ]
    assert found[2][4]
    assert [r["CompteLib"] for r in rows(text)][3] == "Compte d'attente"
