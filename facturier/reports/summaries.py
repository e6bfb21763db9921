"""Keeping the VAT summary (reports/models.py) in step with the documents.

The services call one function in their transaction, after their own writes:
- billing.services.documents.issue → `document_issued(document)` (an invoice, or a credit note);
- billing.services.payments.record_payment → `payment_changed(payment)`, delete_payment →
  `documents_changed(documents)` (the payment's allocations are gone by then);
- purchases.services: every write to an expense or its payments → `expense_changed(expense)`.

Each call recomputes, from the stored documents, the contributions of the documents it touches (a
sales document is recomputed with its credit notes and its payments: a payment or a credit note changes
when its invoice's VAT falls due), replaces them, then sums again the summary rows of the days whose
contributions changed, and of their months; an invoice just issued has no contribution yet, so its own
are added to the summary rows (document_issued). `rebuild(account)` does the same for every document of the
account. `sums()` reads the summary for a period.

When VAT falls due ("due" rows; regulatory.md §5.1):
- goods: at delivery (the sell date, else the issue date); deposits on goods (advance invoices) at
  payment;
- services: at payment, each payment taking its share of every VAT bucket of the invoice (what it
  settles of the amount due; shares are rounded cumulatively, so a fully paid invoice declares exactly
  its VAT). With the option for VAT on debits (taken from the seller snapshot of the invoice, i.e. the
  option in force when it was issued): at the issue date;
- a credit note follows the rule of its invoice. For goods, and on debits, it counts at its own date.
  For services paid at receipt, it counts only for what it refunds of money already received (at its
  date): the part of an invoice it cancels before payment is never received, so never declared;
- reverse charge and intra-EU supplies (the buyer self-assesses): at delivery or performance in every
  regime (billing.models.vat_due_at_payment);
- expenses (purchases.models.vat_deductible_at_payment, vat_chargeable_on): the VAT on goods is
  deductible at delivery, on services once the supplier is paid (at the invoice date when the supplier
  opted for debits, Expense.vat_on_debits); VAT the account self-assesses is due, and deductible, at
  delivery or performance (an intra-EU acquisition of goods: the 15th of the next month at the latest).
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from facturier.billing import numbering
from facturier.billing.models import (
    INVOICE_KINDS,
    Document,
    DocumentVatLine,
    Kind,
    Payment,
    PaymentAllocation,
    Status,
    vat_due_at_payment,
)
from facturier.lib.money import ZERO, cumulative_shares, round_money, settled_share
from facturier.purchases.models import (
    Expense,
    ExpensePayment,
    ExpenseVatLine,
    vat_chargeable_on,
    vat_deductible_at_payment,
)
from facturier.reports.models import (
    DIMENSIONS,
    EXPENSE,
    DateKind,
    Direction,
    ReportContribution,
    ReportSummary,
    Span,
    SummaryState,
)
from facturier.tenancy.models import Account

# Sales documents that carry their own VAT; a credit note is computed with the invoice it corrects.
ROOT_KINDS = tuple(sorted(INVOICE_KINDS - {Kind.CREDIT_NOTE}))
CHUNK = 2000  # documents per batch when rebuilding


class Key(NamedTuple):
    """Where an amount goes in the summary: the summary row's key, without the account."""

    date_kind: str
    direction: str
    day: datetime.date
    document_kind: str
    country: str
    consumer: bool
    vat_rate: Decimal
    vat_category: str
    vat_country: str
    supply_kind: str
    deductible: bool


class Amounts(NamedTuple):
    base_eur: Decimal
    vat_eur: Decimal
    documents: int


# A summary as plain data: its rows by span and key (what tests compare).
SummaryRows = dict[tuple[str, Key], Amounts]
_CONTRIBUTION_FIELDS = ("source_id", "date_kind", "direction", "day", *DIMENSIONS, "base_eur", "vat_eur")


class _Contributions:
    """Amounts per (source document, key), merged as they are added; zero amounts are dropped."""

    def __init__(self) -> None:
        self.amounts: dict[tuple[int, Key], list[Decimal]] = {}

    def add(self, source_id: int, key: Key, base: Decimal, vat_amount: Decimal) -> None:
        if base or vat_amount:
            slot = self.amounts.setdefault((source_id, key), [ZERO, ZERO])
            slot[0] += base
            slot[1] += vat_amount

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """(source_id, *key, base_eur, vat_eur): the stored columns, in _CONTRIBUTION_FIELDS order."""
        for (source_id, key), (base, vat_amount) in self.amounts.items():
            if base or vat_amount:
                yield (source_id, *key, base, vat_amount)


# --- Sales -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sale:
    id: int
    kind: str
    issue_date: datetime.date
    sell_date: datetime.date | None
    country: str
    consumer: bool
    amount_due: Decimal
    paid: Decimal
    credited: Decimal
    corrected_id: int | None
    on_debits: bool

    @property
    def delivery_date(self) -> datetime.date:
        return self.sell_date or self.issue_date


@dataclass(frozen=True)
class _VatRow:
    vat_rate: Decimal
    vat_category: str
    vat_country: str
    supply_kind: str
    base_eur: Decimal
    vat_eur: Decimal


def _load_sales(
    account_id: int, root_ids: Iterable[int]
) -> tuple[list[_Sale], dict[int, list[_VatRow]], dict[int, list[tuple[datetime.date, Decimal]]]]:
    """The issued documents of the given roots with their credit notes, their VAT rows, and the roots'
    payments in date order: four queries whatever the number of documents."""
    roots = list(root_ids)
    documents = (
        Document.objects.filter(account_id=account_id, kind__in=INVOICE_KINDS)
        .real()
        .exclude(status=Status.DRAFT)
    )
    fields = (
        "pk", "kind", "issue_date", "sell_date", "buyer_country", "buyer_is_company", "gross_total",
        "advances_deducted", "paid_total", "credited_total", "corrected_document_id", "seller__vat_on_debits",
    )  # fmt: skip
    # Two queries rather than one with OR: each reads its own index (primary key, corrected document).
    rows = [
        *documents.filter(pk__in=roots).values_list(*fields),
        *documents.filter(corrected_document_id__in=roots).values_list(*fields),
    ]
    sales = [
        _Sale(
            id=pk,
            kind=kind,
            issue_date=issue_date,
            sell_date=sell_date,
            country=country,
            consumer=not is_company,
            amount_due=gross - advances,
            paid=paid,
            credited=credited,
            corrected_id=corrected_id,
            on_debits=bool(on_debits),
        )
        for (
            pk,
            kind,
            issue_date,
            sell_date,
            country,
            is_company,
            gross,
            advances,
            paid,
            credited,
            corrected_id,
            on_debits,
        ) in rows
    ]
    vat_rows: dict[int, list[_VatRow]] = defaultdict(list)
    for document_id, rate, category, country, supply_kind, base, vat_amount in DocumentVatLine.objects.filter(
        document_id__in=[s.id for s in sales]
    ).values_list(
        "document_id", "vat_rate", "vat_category", "vat_country", "supply_kind", "base_eur", "vat_amount_eur"
    ):
        vat_rows[document_id].append(_VatRow(rate, category, country, supply_kind, base, vat_amount))
    payments: dict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for document_id, day, amount in (
        PaymentAllocation.objects.filter(document_id__in=[s.id for s in sales if s.kind != Kind.CREDIT_NOTE])
        .order_by("document_id", "payment__date", "payment_id")
        .values_list("document_id", "payment__date", "amount")
    ):
        payments[document_id].append((day, amount))
    return sales, vat_rows, payments


def _due_at_payment(invoice: _Sale, row: _VatRow) -> bool:
    return vat_due_at_payment(
        invoice.kind, invoice.amount_due > 0, invoice.on_debits, row.supply_kind, row.vat_category
    )


def _sales_contributions(
    sales: list[_Sale],
    vat_rows: dict[int, list[_VatRow]],
    payments: dict[int, list[tuple[datetime.date, Decimal]]],
) -> _Contributions:
    result = _Contributions()
    notes: dict[int, list[_Sale]] = defaultdict(list)
    for sale in sales:
        if sale.kind == Kind.CREDIT_NOTE and sale.corrected_id is not None:
            notes[sale.corrected_id].append(sale)

    def key(date_kind: str, day: datetime.date, sale: _Sale, row: _VatRow) -> Key:
        return Key(
            date_kind, Direction.SALE, day, sale.kind, sale.country, sale.consumer, row.vat_rate,
            row.vat_category, row.vat_country, row.supply_kind, False,
        )  # fmt: skip

    for invoice in sales:
        if invoice.kind == Kind.CREDIT_NOTE:
            continue
        paid = payments.get(invoice.id, [])
        for row in vat_rows.get(invoice.id, []):
            result.add(
                invoice.id,
                key(DateKind.DOCUMENT, invoice.issue_date, invoice, row),
                row.base_eur,
                row.vat_eur,
            )
            if _due_at_payment(invoice, row):
                bases = cumulative_shares(row.base_eur, paid, invoice.amount_due)
                vats = cumulative_shares(row.vat_eur, paid, invoice.amount_due)
                for (day, base), (_day, vat_amount) in zip(bases, vats, strict=True):
                    result.add(invoice.id, key(DateKind.DUE, day, invoice, row), base, vat_amount)
            else:
                result.add(
                    invoice.id,
                    key(DateKind.DUE, invoice.delivery_date, invoice, row),
                    row.base_eur,
                    row.vat_eur,
                )
        # What the credit notes refund of money already received (> 0 only when they came after payments).
        refunded = max(ZERO, invoice.paid + invoice.credited - invoice.amount_due)
        for note in notes.get(invoice.id, []):
            for row in vat_rows.get(note.id, []):
                result.add(
                    note.id, key(DateKind.DOCUMENT, note.issue_date, note, row), row.base_eur, row.vat_eur
                )
                if _due_at_payment(invoice, row):
                    if invoice.credited > 0:
                        base = settled_share(row.base_eur, refunded, invoice.credited)
                        vat_amount = settled_share(row.vat_eur, refunded, invoice.credited)
                        result.add(note.id, key(DateKind.DUE, note.issue_date, note, row), base, vat_amount)
                else:
                    result.add(
                        note.id, key(DateKind.DUE, note.delivery_date, note, row), row.base_eur, row.vat_eur
                    )
    return result


def _sales_of(account_id: int, root_ids: Iterable[int]) -> tuple[list[int], _Contributions]:
    sales, vat_rows, payments = _load_sales(account_id, root_ids)
    return [s.id for s in sales], _sales_contributions(sales, vat_rows, payments)


# --- Purchases -------------------------------------------------------------------------------------


def _expenses_of(account_id: int, expense_ids: Iterable[int]) -> _Contributions:
    """The contributions of the given expenses (none for a deleted one): three queries. The VAT of a
    self-assessed row is the VAT the account owes on it (autoliquidation), due and deductible together."""
    expenses = {
        pk: (issue_date, sell_date, gross, on_debits)
        for pk, issue_date, sell_date, gross, on_debits in Expense.objects.filter(
            account_id=account_id, pk__in=list(expense_ids)
        ).values_list("pk", "issue_date", "sell_date", "gross_total", "vat_on_debits")
    }
    payments: dict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    for expense_id, day, amount in (
        ExpensePayment.objects.filter(expense_id__in=expenses)
        .order_by("expense_id", "date", "id")
        .values_list("expense_id", "date", "amount")
    ):
        payments[expense_id].append((day, amount))
    result = _Contributions()
    rows = ExpenseVatLine.objects.filter(expense_id__in=expenses).values_list(
        "expense_id", "vat_rate", "vat_category", "supply_kind", "deductible", "supplier_country", "base_eur",
        "vat_amount_eur", "self_assessed_vat_eur",
    )  # fmt: skip
    for expense_id, rate, category, supply_kind, deductible, country, base, vat_amount, self_assessed in rows:
        issue_date, sell_date, gross, on_debits = expenses[expense_id]
        vat_amount += self_assessed  # one of the two is zero: the supplier's VAT, or the account's own
        bucket = (EXPENSE, country, False, rate, category, "", supply_kind, deductible)
        result.add(
            expense_id, Key(DateKind.DOCUMENT, Direction.PURCHASE, issue_date, *bucket), base, vat_amount
        )
        if not vat_deductible_at_payment(on_debits, supply_kind, category, gross > 0):
            day = vat_chargeable_on(issue_date, sell_date, on_debits, supply_kind, category, country)
            result.add(expense_id, Key(DateKind.DUE, Direction.PURCHASE, day, *bucket), base, vat_amount)
            continue
        # Services: deductible once the supplier is paid, in proportion to what is paid.
        paid = payments.get(expense_id, [])
        bases = cumulative_shares(base, paid, gross)
        vats = cumulative_shares(vat_amount, paid, gross)
        for (day, base_part), (_day, vat_part) in zip(bases, vats, strict=True):
            result.add(expense_id, Key(DateKind.DUE, Direction.PURCHASE, day, *bucket), base_part, vat_part)
    return result


# --- Writing ---------------------------------------------------------------------------------------


def _lock(account_id: int) -> None:
    # The account's own lock (billing.numbering.lock_account): the summary changes under the lock the
    # issue already holds, so issuing needs no second one.
    numbering.lock_account(account_id)


def _replace(account_id: int, direction: str, source_ids: Iterable[int], computed: _Contributions) -> None:
    """Store `computed` as the contributions of `source_ids`, then sum again the days that changed."""
    _lock(account_id)
    stored = ReportContribution.objects.filter(
        account_id=account_id, direction=direction, source_id__in=list(source_ids)
    )
    old = Counter(stored.values_list(*_CONTRIBUTION_FIELDS))
    new = Counter(computed.rows())
    if old == new:
        return
    days = {(row[1], row[3]) for row in (old - new) + (new - old)}
    stored.delete()
    _insert(account_id, new)
    for date_kind in {kind for kind, _day in days}:
        _resum(account_id, date_kind, direction, sorted(day for kind, day in days if kind == date_kind))


# Written in plain SQL: a rebuild stores hundreds of thousands of rows, which bulk_create would build
# as model instances first (about 10 times slower).
_GROUP = ("account_id", "date_kind", "direction", *DIMENSIONS)


def _columns(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _insert(account_id: int, rows: Iterable[tuple[Any, ...]]) -> None:
    """Store contributions given as (source_id, *key, base_eur, vat_eur) rows: with COPY on
    PostgreSQL (its executemany sends rows at ~12,000/s here, COPY several times faster), with
    executemany on SQLite (fast there: no network round trips)."""
    table, columns = ReportContribution._meta.db_table, _columns(("account_id", *_CONTRIBUTION_FIELDS))
    # SQL by hand: the ORM has no COPY, and bulk_create would build a model instance per row first.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((account_id, *row))
            return
        placeholders = ", ".join(["%s"] * (len(_CONTRIBUTION_FIELDS) + 1))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
            [(account_id, *row) for row in rows],
        )


def _resum(account_id: int, date_kind: str, direction: str, days: list[datetime.date] | None) -> None:
    """Replace the summary rows of these days (all days: None) by the sums of their contributions,
    then the rows of their months by the sums of the months' day rows."""
    summary, where = ReportSummary._meta.db_table, "account_id = %s AND date_kind = %s AND direction = %s"
    rows = ReportSummary.objects.filter(account_id=account_id, date_kind=date_kind, direction=direction)
    params: list[Any] = [account_id, date_kind, direction]
    if days is None:
        rows.delete()
        day_condition = ""
    else:
        rows.filter(span=Span.DAY, day__in=days).delete()
        day_condition = f" AND day IN ({', '.join(['%s'] * len(days))})"
    group = _columns(_GROUP)
    # INSERT ... SELECT: the ORM cannot insert the result of an aggregate without reading every row into
    # Python first; this set-based rebuild leaves the sums to the database.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {summary} ({group}, span, day, base_eur, vat_eur, documents) "  # noqa: S608
            f"SELECT {group}, %s, day, SUM(base_eur), SUM(vat_eur), COUNT(DISTINCT source_id) "
            f"FROM {ReportContribution._meta.db_table} WHERE {where}{day_condition} GROUP BY {group}, day",
            [Span.DAY, *params, *(days or [])],
        )
        if days is None:
            days = list(rows.filter(span=Span.DAY).order_by().values_list("day", flat=True).distinct())
        for month in sorted({day.replace(day=1) for day in days}):
            rows.filter(span=Span.MONTH, day=month).delete()
            cursor.execute(
                f"INSERT INTO {summary} ({group}, span, day, base_eur, vat_eur, documents) "  # noqa: S608
                f"SELECT {group}, %s, %s, SUM(base_eur), SUM(vat_eur), SUM(documents) FROM {summary} "
                f"WHERE {where} AND span = %s AND day BETWEEN %s AND %s GROUP BY {group}",
                [Span.MONTH, month, *params, Span.DAY, month, _month_end(month)],
            )


def _add_new(account_id: int, direction: str, computed: _Contributions) -> None:
    """Store the contributions of sources that had none, and add them to the summary rows of their days
    and months (made by the first source that feeds them): what _replace gives for such sources, without
    reading the stored rows or summing the days again. Call it under the account's lock (_lock)."""
    rows = list(computed.rows())
    if not rows:
        return
    ReportContribution.objects.bulk_create(
        ReportContribution(account_id=account_id, **dict(zip(_CONTRIBUTION_FIELDS, row, strict=True)))
        for row in rows
    )
    added: dict[tuple[str, Key], list[Any]] = defaultdict(lambda: [ZERO, ZERO, 0])
    for _source_id, *key_values, base, vat_amount in rows:
        key = Key(*key_values)
        # A day row counts its sources; a month row sums its days' counts, as _resum writes them.
        for span, day in ((Span.DAY, key.day), (Span.MONTH, key.day.replace(day=1))):
            slot = added[(span, key._replace(day=day))]
            slot[0] += base
            slot[1] += vat_amount
            slot[2] += 1
    summary = ReportSummary._meta.db_table
    key_columns = ("account_id", "date_kind", "direction", "day", *DIMENSIONS, "span")
    unique = _columns(("account_id", "date_kind", "span", "day", "direction", *DIMENSIONS))
    values = ", ".join(["(" + ", ".join(["%s"] * (len(key_columns) + 3)) + ")"] * len(added))
    params: list[Any] = []
    for (row_span, key), (base, vat_amount, documents) in added.items():
        params += [account_id, *key, row_span, base, vat_amount, documents]
    # An upsert that adds to the stored amounts: the ORM's (bulk_create with update_conflicts) can only
    # overwrite them, which would need the rows read first.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {summary} ({_columns(key_columns)}, base_eur, vat_eur, documents) "  # noqa: S608
            f"VALUES {values} ON CONFLICT ({unique}) DO UPDATE SET "
            f"base_eur = {summary}.base_eur + EXCLUDED.base_eur, vat_eur = {summary}.vat_eur + EXCLUDED.vat_eur, "
            f"documents = {summary}.documents + EXCLUDED.documents",
            params,
        )


def _month_end(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def _roots(documents: Iterable[Document]) -> set[int]:
    return {
        document.corrected_document_id
        if document.kind == Kind.CREDIT_NOTE and document.corrected_document_id
        else document.pk
        for document in documents
        if document.kind in INVOICE_KINDS
    }


@transaction.atomic
def documents_changed(documents: Iterable[Document]) -> None:
    """Bring the summary up to date with these sales documents (with their credit notes and payments).
    Call it in the transaction that changed them, after the change."""
    documents = list(documents)
    roots = _roots(documents)
    if not roots:
        return
    account_id = documents[0].account_id
    ids, computed = _sales_of(account_id, roots)
    # Roots not found are drafts: they have no contributions; include them so stale rows would go.
    _replace(account_id, Direction.SALE, {*ids, *roots}, computed)


@transaction.atomic(savepoint=False)
def document_issued(document: Document) -> None:
    """Bring the summary up to date with a document just issued, in its issuing transaction (which
    holds the account's lock).

    An invoice (advance, final, receipt) issued now has no payment, no credit note and no contribution
    yet: its contributions are computed from the document and its VAT rows in memory (held by the issue)
    and added to the summary. A credit note changes what its invoice declares: documents_changed."""
    if document.kind not in INVOICE_KINDS or document.test:
        return  # a test document declares nothing
    if document.kind == Kind.CREDIT_NOTE or document.paid_total or document.credited_total:
        documents_changed([document])
        return
    sale = _Sale(
        id=document.pk,
        kind=document.kind,
        issue_date=document.issue_date,
        sell_date=document.sell_date,
        country=document.buyer_country,
        consumer=not document.buyer_is_company,
        amount_due=document.amount_due,
        paid=document.paid_total,
        credited=document.credited_total,
        corrected_id=None,
        on_debits=bool(document.seller.get("vat_on_debits")),
    )
    rows = [
        _VatRow(
            row.vat_rate, row.vat_category, row.vat_country, row.supply_kind, row.base_eur, row.vat_amount_eur
        )
        for row in document.vat_lines.all()
    ]
    # No _lock(): the issuing transaction holds the account's lock (billing.events.issued).
    _add_new(document.account_id, Direction.SALE, _sales_contributions([sale], {document.pk: rows}, {}))


def document_changed(document: Document) -> None:
    """documents_changed for one document (an issued invoice or credit note)."""
    documents_changed([document])


def on_issued(sender: object, document: Document, **kwargs: object) -> None:
    """Receiver of billing.events.issued (reports/apps.py)."""
    document_issued(document)


def on_sales_changed(sender: object, documents: Iterable[Document], **kwargs: object) -> None:
    """Receiver of billing.events.sales_changed (reports/apps.py)."""
    documents_changed(documents)


def on_expense_changed(sender: object, expense: Expense, **kwargs: object) -> None:
    """Receiver of purchases.events.expense_changed (reports/apps.py)."""
    expense_changed(expense)


def payment_changed(payment: Payment) -> None:
    """After a payment is recorded: the VAT of the services it pays falls due on its date."""
    documents_changed(
        Document.objects.filter(
            pk__in=PaymentAllocation.objects.filter(payment=payment).values("document_id")
        )
    )


@transaction.atomic
def expense_changed(expense: Expense) -> None:
    """Bring the summary up to date with an expense: created, changed, deleted, paid or unpaid."""
    _replace(
        expense.account_id, Direction.PURCHASE, [expense.pk], _expenses_of(expense.account_id, [expense.pk])
    )


# --- Rebuilding ------------------------------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _all_contributions(account: Account) -> Iterator[tuple[str, _Contributions]]:
    """Every contribution of the account, computed from its documents, a batch at a time."""
    roots = list(
        Document.objects.filter(account=account, kind__in=ROOT_KINDS)
        .real()
        .exclude(status=Status.DRAFT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for chunk in _chunks(roots):
        yield Direction.SALE, _sales_of(account.pk, chunk)[1]
    expenses = list(Expense.objects.filter(account=account).order_by("pk").values_list("pk", flat=True))
    for chunk in _chunks(expenses):
        yield Direction.PURCHASE, _expenses_of(account.pk, chunk)


@transaction.atomic
def rebuild(account: Account) -> int:
    """Recompute the account's contributions and summary from its documents; returns the number of
    summary rows. For data written without the services (billing/dataset.py) and after a change of
    these rules."""
    _lock(account.pk)
    ReportContribution.objects.filter(account=account).delete()
    ReportSummary.objects.filter(account=account).delete()
    for _direction, computed in _all_contributions(account):
        _insert(account.pk, computed.rows())
    for date_kind in DateKind.values:
        for direction in Direction.values:
            _resum(account.pk, date_kind, direction, None)
    SummaryState.objects.update_or_create(account=account, defaults={"rebuilt_at": timezone.now()})
    return ReportSummary.objects.filter(account=account).count()


def computed_summary(account: Account) -> SummaryRows:
    """The summary the account's documents give, day and month rows, computed in memory without
    reading or writing the stored one: what the stored summary must always equal."""
    amounts: dict[tuple[str, Key], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    sources: dict[Key, set[int]] = defaultdict(set)
    for _direction, computed in _all_contributions(account):
        for (source_id, key), (base, vat_amount) in computed.amounts.items():
            if base or vat_amount:
                sources[key].add(source_id)
                for span, day in ((Span.DAY, key.day), (Span.MONTH, key.day.replace(day=1))):
                    slot = amounts[(span, key._replace(day=day))]
                    slot[0] += base
                    slot[1] += vat_amount
    for key, ids in sources.items():
        amounts[(Span.DAY, key)][2] += len(ids)
        amounts[(Span.MONTH, key._replace(day=key.day.replace(day=1)))][2] += len(ids)
    return {
        span_key: Amounts(base, vat_amount, int(count))
        for span_key, (base, vat_amount, count) in amounts.items()
    }


def stored_summary(account: Account) -> SummaryRows:
    """The stored summary of the account, day and month rows, as plain data."""
    fields = ("date_kind", "direction", "day", *DIMENSIONS)
    return {
        (span, Key(*row)): Amounts(base, vat_amount, documents)
        for span, *row, base, vat_amount, documents in ReportSummary.objects.filter(
            account=account
        ).values_list("span", *fields, "base_eur", "vat_eur", "documents")
    }


# --- Reading -----------------------------------------------------------------------------------------


def spans(start: datetime.date, end: datetime.date) -> list[Q]:
    """The parts of the period [start, end] the summary answers from: its whole months from the month
    rows, the days before and after them from the day rows."""
    first = start if start.day == 1 else _month_end(start) + datetime.timedelta(days=1)
    after = (end + datetime.timedelta(days=1)).replace(day=1)  # the month after the last whole month
    if first >= after:
        return [Q(span=Span.DAY, day__range=(start, end))]
    parts = [Q(span=Span.MONTH, day__gte=first, day__lt=after)]
    if start < first:
        parts.append(Q(span=Span.DAY, day__gte=start, day__lt=first))
    if after <= end:
        parts.append(Q(span=Span.DAY, day__gte=after, day__lte=end))
    return parts


def sums(
    account: Account,
    date_kind: str,
    start: datetime.date,
    end: datetime.date,
    group_by: Sequence[str],
    *,
    directions: Sequence[str] = tuple(Direction.values),
    where: Q | None = None,
) -> list[dict[str, Any]]:
    """Base, VAT and documents of the summary rows of the period, summed per `group_by` columns: one
    query per part of the period (at most three, see `spans`), each a range of one index."""
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for part in spans(start, end):
        rows = (
            ReportSummary.objects.filter(account=account, date_kind=date_kind, direction__in=directions)
            .filter(part, where or Q())
            .values(*group_by)
            .annotate(base=Sum("base_eur"), vat=Sum("vat_eur"), count=Sum("documents"))
            .order_by()
        )
        for row in rows:
            slot = totals.setdefault(
                tuple(row[name] for name in group_by), {**row, "base": ZERO, "vat": ZERO, "count": 0}
            )
            slot["base"] += round_money(row["base"])
            slot["vat"] += round_money(row["vat"])
            slot["count"] += row["count"]
    return list(totals.values())
