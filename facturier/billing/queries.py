"""Reads of sales documents and payments shared by the pages: list filters, totals, dashboard figures.

Every query starts from the account and, when a period is given, the issue date, so it runs on the
(account, issue_date) indexes; rows come with their client in the same query (no per-row queries), and
totals are one aggregate query over the same filters.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from facturier.billing.models import (
    PAYABLE_KINDS,
    Document,
    Payment,
    PaymentAllocation,
    Status,
    remaining_amount,
)
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

# Issued documents that may still be owed something; paid and cancelled ones are settled.
OPEN_STATUSES = (Status.ISSUED, Status.SENT, Status.PARTIAL)
# Pseudo-statuses of the list filter, next to the real ones.
UNPAID = "unpaid"
OVERDUE = "overdue"

# Whitelisted sort keys of the document list: key -> columns (a leading "-" on the key reverses them).
DOCUMENT_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("issue_date", "id"),
    "number": ("number", "id"),
    "client": ("client__name", "id"),
    "total": ("gross_total_eur", "id"),
    "due": ("due_date", "id"),
}
DEFAULT_DOCUMENT_SORT = "-date"

_MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=2)
# What the buyer still owes on a payable issued document, in its currency (Document.remaining in SQL).
_REMAINING = ExpressionWrapper(
    F("gross_total") - F("advances_deducted") - F("paid_total") - F("credited_total"), output_field=_MONEY
)
_REMAINING_EUR = Case(
    When(
        Q(kind__in=PAYABLE_KINDS) & ~Q(status=Status.DRAFT),
        then=ExpressionWrapper(_REMAINING * F("exchange_rate"), output_field=_MONEY),
    ),
    default=Value(ZERO),
    output_field=_MONEY,
)
_IS_OWED = Q(gross_total__gt=F("advances_deducted") + F("paid_total") + F("credited_total"))


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


def _filtered_documents(account: Account, filters: DocumentFilters) -> QuerySet[Document]:
    documents = Document.objects.filter(account=account)
    if filters.date_from:
        documents = documents.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(issue_date__lte=filters.date_to)
    if filters.kind:
        documents = documents.filter(kind=filters.kind)
    if filters.status in (UNPAID, OVERDUE):
        documents = documents.filter(_IS_OWED, kind__in=PAYABLE_KINDS, status__in=OPEN_STATUSES)
        if filters.status == OVERDUE:
            documents = documents.filter(due_date__lt=account.today())
    elif filters.status:
        documents = documents.filter(status=filters.status)
    if filters.client_id:
        documents = documents.filter(client_id=filters.client_id)
    search = filters.search.strip()
    if search:
        # Drafts have no buyer snapshot yet: search the client's current name too.
        documents = documents.filter(
            Q(number__icontains=search) | Q(buyer_name__icontains=search) | Q(client__name__icontains=search)
        )
    return documents


def document_order(sort: str) -> tuple[str, ...]:
    descending = sort.startswith("-")
    columns = DOCUMENT_SORTS.get(sort.lstrip("-"), DOCUMENT_SORTS["date"])
    return tuple(f"-{column}" for column in columns) if descending else columns


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


def document_rows(account: Account, filters: DocumentFilters, offset: int, limit: int) -> list[DocumentRow]:
    """One page of the list's documents, sorted, with their client's name; one query."""
    columns = [field for field in DocumentRow._fields if field != "client_name"]
    columns.insert(DocumentRow._fields.index("client_name"), "client__name")
    rows = (
        _filtered_documents(account, filters)
        .order_by(*document_order(filters.sort))
        .values_list(*columns)[offset : offset + limit]
    )
    return [DocumentRow(*row) for row in rows]


def document_totals(account: Account, filters: DocumentFilters) -> DocumentTotals:
    """Count and EUR totals of every document matching the filters (all pages), in one query."""
    sums = _filtered_documents(account, filters).aggregate(
        count=Count("id"),
        net=Sum("net_total_eur"),
        gross=Sum("gross_total_eur"),
        remaining=Sum(_REMAINING_EUR),
    )
    return DocumentTotals(
        count=sums["count"],
        net_eur=round_money(sums["net"] or ZERO),
        gross_eur=round_money(sums["gross"] or ZERO),
        remaining_eur=round_money(sums["remaining"] or ZERO),
    )


def open_documents(account: Account, client_id: int) -> QuerySet[Document]:
    """The client's issued documents that still wait for money, oldest first (the order payments settle)."""
    return Document.objects.filter(
        _IS_OWED, account=account, client_id=client_id, kind__in=PAYABLE_KINDS, status__in=OPEN_STATUSES
    ).order_by("issue_date", "id")


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
    owed = Document.objects.filter(
        _IS_OWED, account=account, kind__in=PAYABLE_KINDS, status__in=OPEN_STATUSES
    ).aggregate(unpaid=Sum(_REMAINING_EUR), overdue=Count("id", filter=Q(due_date__lt=today)))
    return DashboardFigures(
        month_revenue=months[-1][1],
        unpaid_total=round_money(owed["unpaid"] or ZERO),
        overdue_count=owed["overdue"],
        revenue_by_month=months,
    )
