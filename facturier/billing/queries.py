"""Reads of sales documents and payments shared by the pages: list filters, totals, dashboard figures.

Every query starts from the account and, when a period is given, the issue date, so it runs on the
(account, issue_date) indexes; rows come with their client in the same query (no per-row queries), and
totals are one aggregate query over the same filters.
"""

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import Col
from django.utils.translation import gettext_lazy as _

from facturier.billing.models import (
    OPEN_STATUSES,
    PAYABLE_KINDS,
    Client,
    Document,
    Payment,
    PaymentAllocation,
    Status,
    remaining_amount,
)
from facturier.lib import sql
from facturier.lib.money import ZERO, round_money
from facturier.tenancy.models import Account

PAGE_SIZE = 50

PERIODS = [
    ("", _("Toutes les dates")),
    ("this_month", _("Ce mois-ci")),
    ("last_month", _("Le mois dernier")),
    ("this_quarter", _("Ce trimestre")),
    ("last_quarter", _("Le trimestre dernier")),
    ("this_year", _("Cette année")),
    ("last_year", _("L'année dernière")),
    ("custom", _("Du … au …")),
]

# Pseudo-statuses of the list filter, next to the real ones.
UNPAID = "unpaid"
OVERDUE = "overdue"

# Whitelisted sort keys of the document list: key -> the SQL columns of its documents `d` and their
# client `c` (a leading "-" on the key reverses them).
DOCUMENT_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("d.issue_date", "d.id"),
    "number": ("d.number", "d.id"),
    "client": ("c.name", "d.id"),
    "total": ("d.gross_total_eur", "d.id"),
    "due": ("d.due_date", "d.id"),
}
DEFAULT_DOCUMENT_SORT = "-date"

_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)


def month_start(day: datetime.date, months_back: int = 0) -> datetime.date:
    """The first day of the month `months_back` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    return month_start(day, -1) - datetime.timedelta(days=1)


def period_bounds(period: str, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last days of a named period around `today` (None, None for no period)."""
    if period == "this_month":
        return month_start(today), month_end(today)
    if period == "last_month":
        start = month_start(today, 1)
        return start, month_end(start)
    quarter_start = month_start(today, (today.month - 1) % 3)
    if period == "this_quarter":
        return quarter_start, month_start(quarter_start, -3) - datetime.timedelta(days=1)
    if period == "last_quarter":
        return month_start(quarter_start, 3), quarter_start - datetime.timedelta(days=1)
    if period == "this_year":
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    if period == "last_year":
        return datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    return None, None


@dataclass(frozen=True)
class PageWindow:
    """The rows of one page of a list whose total count is already known (from the totals query)."""

    number: int
    count: int
    per_page: int = PAGE_SIZE

    @classmethod
    def of(cls, requested: str | None, count: int, per_page: int = PAGE_SIZE) -> "PageWindow":
        last = max(1, -(-count // per_page))
        try:
            number = int(requested or 1)
        except ValueError:
            number = 1
        return cls(number=min(max(number, 1), last), count=count, per_page=per_page)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


# --- Sales documents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kind: str = ""
    status: str = ""  # a Status value, UNPAID or OVERDUE
    client_id: int | None = None
    search: str = ""
    sort: str = DEFAULT_DOCUMENT_SORT


@dataclass(frozen=True)
class DocumentTotals:
    count: int
    net_eur: Decimal
    gross_eur: Decimal
    remaining_eur: Decimal


# The list's two queries are written in SQL rather than built by the ORM: building and compiling them
# (the filters, the CASE of the amount owed, the aggregate) cost the page about 3 ms of Python per
# request, more than issue 3's budget allows (the page at most 1.5x its raw SQL). They keep the ORM's
# semantics: its case-insensitive LIKE on each database, its conversion of the values read (lib.sql).
# Only this module's table and column names are formatted into the SQL; every value is a parameter.
_DOCUMENTS = Document._meta.db_table
_CLIENTS = Client._meta.db_table
# What the buyer still owes on a document, in EUR: Document.remaining (billing.models.remaining_amount)
# times the exchange rate, for the payable kinds once issued; nothing for the others.
_REMAINING_EUR_SQL = (
    f"CASE WHEN d.kind IN ({', '.join(['%s'] * len(PAYABLE_KINDS))}) AND d.status <> %s "
    "THEN (d.gross_total - d.advances_deducted - d.paid_total - d.credited_total) * d.exchange_rate "
    "ELSE 0 END"
)
_REMAINING_EUR_PARAMS = [*sorted(PAYABLE_KINDS), Status.DRAFT]


def _document_conditions(account: Account, filters: DocumentFilters) -> tuple[str, list[Any], bool]:
    """The WHERE clause of the list's queries (documents `d`, their client `c`), its parameters, and
    whether it needs the client joined."""
    ops = connection.ops
    where: list[str] = ["d.account_id = %s"]
    params: list[Any] = [account.pk]
    if filters.date_from:
        where.append("d.issue_date >= %s")
        params.append(ops.adapt_datefield_value(filters.date_from))
    if filters.date_to:
        where.append("d.issue_date <= %s")
        params.append(ops.adapt_datefield_value(filters.date_to))
    if filters.kind:
        where.append("d.kind = %s")
        params.append(filters.kind)
    if filters.status in (UNPAID, OVERDUE):
        where += [
            "d.gross_total > d.advances_deducted + d.paid_total + d.credited_total",
            f"d.kind IN ({', '.join(['%s'] * len(PAYABLE_KINDS))})",
            f"d.status IN ({', '.join(['%s'] * len(OPEN_STATUSES))})",
        ]
        params += [*sorted(PAYABLE_KINDS), *OPEN_STATUSES]
        if filters.status == OVERDUE:
            where.append("d.due_date < %s")
            params.append(ops.adapt_datefield_value(account.today()))
    elif filters.status:
        where.append("d.status = %s")
        params.append(filters.status)
    if filters.client_id:
        where.append("d.client_id = %s")
        params.append(filters.client_id)
    search = filters.search.strip()
    if search:
        # Drafts have no buyer snapshot yet: search the client's current name too. The ORM's icontains:
        # UPPER(...) LIKE UPPER(...) on PostgreSQL, LIKE (which ignores ASCII case) on SQLite.
        match = f"{ops.lookup_cast('icontains', 'CharField')} {connection.operators['icontains']}"
        columns = ("d.number", "d.buyer_name", "c.name")
        where.append("(" + " OR ".join(match % (column, "%s") for column in columns) + ")")
        params += [f"%{ops.prep_for_like_query(search)}%"] * len(columns)
    return " AND ".join(where), params, bool(search)


class DocumentRow(NamedTuple):
    """A document as the list shows it: read as a plain row, without building model instances (fifty
    documents with their clients cost the list page more as instances than their SQL costs)."""

    id: int
    kind: str
    status: str
    number: str
    issue_date: datetime.date
    due_date: datetime.date | None
    buyer_name: str
    client_name: str
    currency: str
    net_total: Decimal
    gross_total: Decimal
    advances_deducted: Decimal
    paid_total: Decimal
    credited_total: Decimal

    @property
    def remaining(self) -> Decimal:
        return remaining_amount(
            self.kind,
            self.status,
            self.gross_total - self.advances_deducted,
            self.paid_total,
            self.credited_total,
        )


@functools.cache
def _row_columns() -> tuple[list[Col], list[sql.Converter]]:
    """DocumentRow's fields as columns of the documents `d` and their client `c`, and their converters."""
    columns = [
        sql.column(Client, "name", "c") if name == "client_name" else sql.column(Document, name, "d")
        for name in DocumentRow._fields
    ]
    return columns, sql.converters(columns)


def document_rows(account: Account, filters: DocumentFilters, offset: int, limit: int) -> list[DocumentRow]:
    """One page of the list's documents, sorted, with their client's name; one query."""
    condition, params, _ = _document_conditions(account, filters)
    columns, conversions = _row_columns()
    descending = filters.sort.startswith("-")
    order = ", ".join(
        f"{column} DESC" if descending else column
        for column in DOCUMENT_SORTS.get(filters.sort.lstrip("-"), DOCUMENT_SORTS["date"])
    )
    query = (
        f"SELECT {sql.select_list(columns)} FROM {_DOCUMENTS} d "  # noqa: S608
        f"INNER JOIN {_CLIENTS} c ON c.id = d.client_id WHERE {condition} ORDER BY {order} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, limit, offset])
        rows = cursor.fetchall()
    return [DocumentRow(*row) for row in sql.converted(rows, conversions)]


def document_totals(account: Account, filters: DocumentFilters) -> DocumentTotals:
    """Count and EUR totals of every document matching the filters (all pages), in one query."""
    condition, params, needs_client = _document_conditions(account, filters)
    join = f" INNER JOIN {_CLIENTS} c ON c.id = d.client_id" if needs_client else ""
    query = (
        "SELECT COUNT(*), SUM(d.net_total_eur), SUM(d.gross_total_eur), "  # noqa: S608
        f"SUM({_REMAINING_EUR_SQL}) FROM {_DOCUMENTS} d{join} WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*_REMAINING_EUR_PARAMS, *params])
        rows = cursor.fetchall()
    ((count, *sums),) = rows
    # Converted as the ORM converts an aggregate of decimals (SQLite sums floats), rounded below.
    ((net, gross, remaining),) = sql.converted([sums], sql.converters([Value(None, output_field=_MONEY)] * 3))
    return DocumentTotals(
        count=count,
        net_eur=round_money(net or ZERO),
        gross_eur=round_money(gross or ZERO),
        remaining_eur=round_money(remaining or ZERO),
    )


def filter_buyers(account: Account, limit: int, selected: str = "") -> list[tuple[int, str]]:
    """The buyers the list's client filter offers, by name: every one up to `limit`; past it only the
    `selected` one (an id from the URL), as thousands of <option>s would cost more than the list. One
    query, a second past the limit when a client is selected. SQL for the same reason as the list's."""
    query = f"SELECT c.id, c.name FROM {_CLIENTS} c WHERE c.account_id = %s AND c.kind <> %s"  # noqa: S608
    params: list[Any] = [account.pk, Client.Kind.SUPPLIER]
    with connection.cursor() as cursor:
        cursor.execute(f"{query} ORDER BY c.name, c.id LIMIT %s", [*params, limit + 1])
        buyers = [(pk, name) for pk, name in cursor.fetchall()]
        if len(buyers) <= limit:
            return buyers
        if not selected.isdigit():
            return []
        cursor.execute(f"{query} AND c.id = %s", [*params, int(selected)])
        return [(pk, name) for pk, name in cursor.fetchall()]


def open_documents(account: Account, client_id: int) -> QuerySet[Document]:
    """The client's issued documents that still wait for money, oldest first (the order payments settle)."""
    return Document.objects.filter(account=account, client_id=client_id).owed().order_by("issue_date", "id")


# --- Payments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    method: str = ""
    client_id: int | None = None


@dataclass(frozen=True)
class PaymentTotals:
    count: int
    amount_eur: Decimal


def _filtered_payments(account: Account, filters: PaymentFilters) -> QuerySet[Payment]:
    payments = Payment.objects.filter(account=account)
    if filters.date_from:
        payments = payments.filter(date__gte=filters.date_from)
    if filters.date_to:
        payments = payments.filter(date__lte=filters.date_to)
    if filters.method:
        payments = payments.filter(method=filters.method)
    if filters.client_id:
        payments = payments.filter(client_id=filters.client_id)
    return payments


def payment_list(account: Account, filters: PaymentFilters) -> QuerySet[Payment]:
    """Payments, newest first, with their client and the documents they settle (two queries a page)."""
    allocations = PaymentAllocation.objects.select_related("document").only(
        "id", "payment_id", "amount", "document__id", "document__number", "document__kind"
    )
    return (
        _filtered_payments(account, filters)
        .select_related("client")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
        .order_by("-date", "-id")
    )


def payment_totals(account: Account, filters: PaymentFilters) -> PaymentTotals:
    """How many payments match and their sum in EUR (payments in another currency are not added)."""
    sums = _filtered_payments(account, filters).aggregate(
        count=Count("id"), amount=Sum("amount", filter=Q(currency="EUR"))
    )
    return PaymentTotals(count=sums["count"], amount_eur=round_money(sums["amount"] or ZERO))


# --- Dashboard ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFigures:
    month_revenue: Decimal  # net, EUR, invoices less credit notes issued this month
    unpaid_total: Decimal  # EUR still owed on issued documents
    overdue_count: int
    revenue_by_month: list[tuple[datetime.date, Decimal]]  # the last 12 months, oldest first


def dashboard_figures(account: Account, months: list[tuple[datetime.date, Decimal]]) -> DashboardFigures:
    """The dashboard's figures: the unpaid and overdue documents in one query, with `months`, the net
    revenue of the last months (reports.queries.revenue_by_month: the reports' monthly summary rows, as
    summing a year of a large account's documents took 135 ms)."""
    today = account.today()
    owed = (
        Document.objects.filter(account=account)
        .owed()
        .with_remaining()
        .aggregate(unpaid=Sum("remaining_eur"), overdue=Count("id", filter=Q(due_date__lt=today)))
    )
    return DashboardFigures(
        month_revenue=months[-1][1],
        unpaid_total=round_money(owed["unpaid"] or ZERO),
        overdue_count=owed["overdue"],
        revenue_by_month=months,
    )
