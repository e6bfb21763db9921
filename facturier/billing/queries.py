"""Reads of sales documents and payments shared by the pages: list filters, totals, dashboard figures.

Every query starts from the account and, when a period is given, the issue date, so it runs on the
(account, issue_date) indexes; rows come with their client in the same query (no per-row queries), and
totals are one aggregate query over the same filters.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BigIntegerField, Count, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from facturier.billing.models import (
    OPEN_STATUSES,
    PAYABLE_KINDS,
    Client,
    Document,
    DocumentQuerySet,
    DocumentTally,
    Kind,
    Payment,
    PaymentAllocation,
    Status,
)
from facturier.lib.filters import parse_id
from facturier.lib.money import ZERO, from_cents, round_money
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
# The test documents (Document.test), which every other filter leaves out as the tally does.
TEST = "test"

# Whitelisted sort keys of the document list: key -> the fields it orders by (a leading "-" on the key
# reverses them).
DOCUMENT_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("issue_date", "id"),
    "number": ("number", "id"),
    "client": ("client__name", "id"),
    "total": ("gross_total_eur", "id"),
    "due": ("due_date", "id"),
}
DEFAULT_DOCUMENT_SORT = "-date"


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
    """The rows of one page of a list whose total count is already known (from the totals query); with
    `more`, the list goes on past `count` rows, which are all it pages through."""

    number: int
    count: int
    per_page: int = PAGE_SIZE
    more: bool = False

    @classmethod
    def of(
        cls, requested: str | None, count: int, per_page: int = PAGE_SIZE, more: bool = False
    ) -> "PageWindow":
        last = max(1, -(-count // per_page))
        try:
            number = int(requested or 1)
        except ValueError:
            number = 1
        return cls(number=min(max(number, 1), last), count=count, per_page=per_page, more=more)

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
    status: str = ""  # a Status value, UNPAID, OVERDUE or TEST
    client_id: int | None = None
    search: str = ""
    sort: str = DEFAULT_DOCUMENT_SORT


@dataclass(frozen=True)
class KindTotals:
    """The matching documents of one kind: how many, their EUR totals (credit notes negative)."""

    kind: str
    count: int
    net_eur: Decimal
    gross_eur: Decimal
    remaining_eur: Decimal

    @property
    def label(self) -> str:
        return str(KIND_PLURALS.get(self.kind, self.kind))


# How the list's totals name each kind's row.
KIND_PLURALS: dict[str, Promise] = {
    Kind.INVOICE: _("Factures"),
    Kind.CREDIT_NOTE: _("Avoirs"),
    Kind.ESTIMATE: _("Devis"),
    Kind.PROFORMA: _("Proformas"),
    Kind.ADVANCE: _("Factures d'acompte"),
    Kind.FINAL: _("Factures de solde"),
    Kind.RECEIPT: _("Reçus"),
}


@dataclass(frozen=True)
class DocumentTotals:
    """How many documents match and their EUR totals, also per kind (`by_kind`, in the kinds' order):
    a quote's amount added to invoices' would be no figure anyone can use, so the list shows each kind
    on its own row when several match. With `more`, more than `count` match and the amounts were not
    summed (None)."""

    count: int
    net_eur: Decimal | None
    gross_eur: Decimal | None
    remaining_eur: Decimal | None
    more: bool = False
    by_kind: tuple[KindTotals, ...] = ()

    @classmethod
    def of_kinds(cls, kinds: list[KindTotals]) -> "DocumentTotals":
        order = list(Kind.values)
        kinds = sorted(kinds, key=lambda each: order.index(each.kind) if each.kind in order else len(order))
        return cls(
            count=sum(each.count for each in kinds),
            net_eur=sum((each.net_eur for each in kinds), ZERO),
            gross_eur=sum((each.gross_eur for each in kinds), ZERO),
            remaining_eur=sum((each.remaining_eur for each in kinds), ZERO),
            by_kind=tuple(kinds),
        )


# A search matching more documents than this is shown without their count and totals ("plus de
# 1 000 documents"): counting and summing them would read every one of them, where the page needs 50.
SEARCH_COUNT_LIMIT = 1000


# The columns a row of the list shows (with its client's name and what remains to pay): a page reads
# these only, not the documents' snapshots and notes.
ROW_FIELDS = (
    "id",
    "kind",
    "status",
    "number",
    "issue_date",
    "due_date",
    "buyer_name",
    "currency",
    "net_total",
    "gross_total",
    "client__name",
)


# Past this many clients whose name matches a search, their ids are no longer listed in the query (see
# _search).
SEARCH_CLIENTS_LIMIT = 500


def filtered_documents(account: Account, filters: DocumentFilters) -> DocumentQuerySet:
    """The account's documents matching the list's filters; "unpaid" and "overdue" are the rules of
    DocumentQuerySet (owed, overdue). With a search, the clients whose name matches are read at once
    (one query); the documents are read when the result is. Test documents are listed only on their
    own (TEST), so the list's totals are those of the real documents, as the tally counts them."""
    documents = Document.objects.filter(account=account, test=filters.status == TEST)
    if filters.date_from:
        documents = documents.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(issue_date__lte=filters.date_to)
    if filters.kind:
        documents = documents.filter(kind=filters.kind)
    if filters.status == UNPAID:
        documents = documents.owed()
    elif filters.status == OVERDUE:
        documents = documents.overdue(account.today())
    elif filters.status and filters.status != TEST:
        documents = documents.filter(status=filters.status)
    if filters.client_id:
        documents = documents.filter(client_id=filters.client_id)
    search = filters.search.strip()
    if search:
        documents = documents.filter(_search(account, search))
    return documents


def _search(account: Account, search: str) -> Q:
    """Documents whose number or buyer's name contains `search`, or whose client's current name does
    (drafts have no buyer snapshot yet).

    Written so that each alternative can be read from its own index, the database adding up what they
    find: the number and the buyer's name through their trigram indexes on PostgreSQL (billing migration
    0006), the clients as a list of ids, read first, through the index on the client. A join or a
    subquery on the clients inside the OR would make the database read every document of the account to
    test each one. The trigram indexes are led by the account, hence the account repeated in their two
    alternatives, as a bigint: the index (btree_gin) compares bigints only, and PostgreSQL would take a
    condition written alike in every alternative out of them."""
    clients = Client.objects.filter(account=account, name__icontains=search)
    ids = list(clients.values_list("pk", flat=True)[: SEARCH_CLIENTS_LIMIT + 1])
    by_client = Q(client__in=clients) if len(ids) > SEARCH_CLIENTS_LIMIT else Q(client_id__in=ids)
    this_account = Cast(Value(account.pk), BigIntegerField())
    return (
        Q(account_id=this_account, number__icontains=search)
        | Q(account_id=this_account, buyer_name__icontains=search)
        | by_client
    )


def document_page(documents: DocumentQuerySet, sort: str, offset: int, limit: int) -> list[Document]:
    """One page of `documents` (filtered_documents), sorted, with their client's name and what remains
    to pay (`amount_due_now`); one query."""
    descending = sort.startswith("-")
    columns = DOCUMENT_SORTS.get(sort.lstrip("-"), DOCUMENT_SORTS["date"])
    order = [f"-{column}" if descending else column for column in columns]
    documents = documents.select_related("client").only(*ROW_FIELDS).with_remaining().order_by(*order)
    return list(documents[offset : offset + limit])


def document_totals(documents: DocumentQuerySet, limit: int | None = None) -> DocumentTotals:
    """Count and EUR totals of `documents` (filtered_documents: every page) per kind, in one query; with
    `limit`, only if at most `limit` documents match (the database reads no further than the next one)."""
    if limit is not None:
        documents = Document.objects.filter(pk__in=documents.order_by().values("pk")[: limit + 1])
    sums = (
        documents.with_remaining()
        .order_by()
        .values("kind")
        .annotate(
            count=Count("id"),
            net=Sum("net_total_eur"),
            gross=Sum("gross_total_eur"),
            owed=Sum("remaining_eur"),
        )
    )
    kinds = [
        KindTotals(
            kind=row["kind"],
            count=row["count"],
            net_eur=round_money(row["net"] or ZERO),
            gross_eur=round_money(row["gross"] or ZERO),
            remaining_eur=round_money(row["owed"] or ZERO),
        )
        for row in sums
    ]
    if limit is not None and sum(each.count for each in kinds) > limit:
        return DocumentTotals(count=limit, net_eur=None, gross_eur=None, remaining_eur=None, more=True)
    return DocumentTotals.of_kinds(kinds)


def tallied_totals(account: Account, filters: DocumentFilters) -> DocumentTotals | None:
    """Count and EUR totals of the account's documents from its tally (billing/tallies.py), when the
    filters are at most a type and a status: one query on a few rows, whatever the number of documents.
    None for other filters (their totals are summed from the documents, document_totals)."""
    if filters.date_from or filters.date_to or filters.client_id or filters.search.strip():
        return None
    if filters.status and filters.status not in Status.values:
        return None
    rows = DocumentTally.objects.filter(account=account)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    sums = (
        rows.order_by()
        .values("kind")
        .annotate(
            count=Sum("documents"),
            net=Sum("net_cents"),
            gross=Sum("gross_cents"),
            remaining=Sum("remaining_cents"),
        )
    )
    return DocumentTotals.of_kinds(
        [
            KindTotals(
                kind=row["kind"],
                count=row["count"],
                net_eur=from_cents(row["net"]),
                gross_eur=from_cents(row["gross"]),
                remaining_eur=from_cents(row["remaining"]),
            )
            for row in sums
            if row["count"]
        ]
    )


def filter_buyers(account: Account, limit: int, selected: str = "") -> list[tuple[int, str]]:
    """The buyers the list's client filter offers, by name: every one up to `limit`; past it only the
    `selected` one (an id from the URL), as thousands of <option>s would cost more than the list. One
    query, a second past the limit when a client is selected."""
    buyers = Client.objects.filter(account=account).exclude(kind=Client.Kind.SUPPLIER)
    first = list(buyers.order_by("name", "id").values_list("id", "name")[: limit + 1])
    if len(first) <= limit:
        return first
    selected_id = parse_id(selected)
    if selected_id is None:
        return []
    return list(buyers.filter(pk=selected_id).values_list("id", "name"))


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
    overdue_total: Decimal = ZERO  # EUR still owed past the due date
    # The same month a year before, and the year so far against the same months of last year (None
    # when the months given do not reach back that far).
    month_revenue_last_year: Decimal | None = None
    year_revenue: Decimal = ZERO
    year_revenue_last_year: Decimal | None = None


def dashboard_figures(account: Account, months: list[tuple[datetime.date, Decimal]]) -> DashboardFigures:
    """The dashboard's figures: what remains to pay from the account's tally, the overdue documents in
    one query over the owed ones, with `months`, the net revenue of the last months, oldest first
    (reports.queries.revenue_by_month: the reports' monthly summary rows, as summing a year of a large
    account's documents took 135 ms); given 24 months, this month and this year are compared with the
    same months of last year.

    What is overdue is what remains to pay less what is not yet due: the database then works out the
    remainder (an expression per document) only for the few documents not yet due, and merely counts
    the others (bench-0001: 4 ms instead of 20 over 32,000 owed documents)."""
    today = account.today()
    late = Q(due_date__lt=today)
    unpaid_cents = DocumentTally.objects.filter(
        account=account, kind__in=PAYABLE_KINDS, status__in=OPEN_STATUSES
    ).aggregate(cents=Sum("remaining_cents"))["cents"]
    owed = (
        Document.objects.filter(account=account)
        .owed()
        .with_remaining()
        .aggregate(overdue=Count("id", filter=late), not_due=Sum("remaining_eur", filter=~late))
    )
    unpaid = from_cents(unpaid_cents)
    by_start = dict(months)
    last_year = [
        amount for start, amount in months if start.year == today.year - 1 and start.month <= today.month
    ]
    reaches_back = datetime.date(today.year - 1, 1, 1) in by_start
    return DashboardFigures(
        month_revenue=months[-1][1],
        unpaid_total=unpaid,
        overdue_count=owed["overdue"],
        overdue_total=unpaid - round_money(owed["not_due"] or ZERO),
        revenue_by_month=months[-12:],
        month_revenue_last_year=by_start.get(datetime.date(today.year - 1, today.month, 1)),
        year_revenue=sum((amount for start, amount in months if start.year == today.year), ZERO),
        year_revenue_last_year=sum(last_year, ZERO) if reaches_back else None,
    )


def latest_documents(account: Account, limit: int = 5) -> list[Document]:
    """The account's latest sales documents by date (drafts included: they are work to finish), with
    their client's name, in one query."""
    return list(
        Document.objects.filter(account=account)
        .select_related("client")
        .only(
            "id", "kind", "status", "number", "issue_date", "due_date", "gross_total", "currency",
            "client__id", "client__name",
        )
        .order_by("-issue_date", "-id")[:limit]
    )  # fmt: skip
