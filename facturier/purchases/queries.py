"""Reads of expenses shared by pages, the API and exports."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from facturier.billing.models import Client
from facturier.lib.money import ZERO
from facturier.purchases.models import Attachment, Expense, ExpenseCategory
from facturier.tenancy.models import Account

# The orders the expense list offers: key in the URL -> ORDER BY (the id breaks ties, so pages are stable).
SORTS: dict[str, tuple[str, ...]] = {
    "-issue_date": ("-issue_date", "-id"),
    "issue_date": ("issue_date", "id"),
    "-gross": ("-gross_total_eur", "-id"),
    "gross": ("gross_total_eur", "id"),
    "supplier": ("supplier__name", "-issue_date", "-id"),
    "due_date": ("due_date", "id"),
}
DEFAULT_SORT = "-issue_date"


@dataclass(frozen=True)
class ExpenseFilters:
    """What the expense list is narrowed to; empty values filter nothing. Dates are included."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    category_id: int | None = None
    supplier_id: int | None = None
    status: str = ""
    text: str = ""
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class ExpenseSums:
    """Totals of a set of expenses, in EUR (expenses may be in several currencies)."""

    count: int
    net: Decimal
    vat: Decimal
    deductible_vat: Decimal
    gross: Decimal


def suppliers(account: Account) -> QuerySet[Client]:
    """The account's suppliers (clients of kind supplier or both) that are not archived, by name."""
    return Client.objects.filter(
        account=account, kind__in=[Client.Kind.SUPPLIER, Client.Kind.BOTH], archived_at__isnull=True
    ).order_by("name", "id")


def categories(account: Account) -> QuerySet[ExpenseCategory]:
    return ExpenseCategory.objects.filter(account=account).order_by("name")


def expenses(account: Account, filters: ExpenseFilters | None = None) -> QuerySet[Expense]:
    """The account's expenses narrowed by `filters`, in the requested order.

    One query for a page of rows whatever its size: supplier and category come joined, and whether a
    row has attachments is a subquery rather than a count per row.
    """
    filters = filters or ExpenseFilters()
    rows = Expense.objects.filter(account=account)
    if filters.date_from:
        rows = rows.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(issue_date__lte=filters.date_to)
    if filters.category_id:
        rows = rows.filter(category_id=filters.category_id)
    if filters.supplier_id:
        rows = rows.filter(supplier_id=filters.supplier_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    text = filters.text.strip()
    if text:
        rows = rows.filter(
            Q(supplier__name__icontains=text) | Q(supplier_number__icontains=text) | Q(notes__icontains=text)
        )
    return rows.select_related("supplier", "category").order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


def with_attachment_flag(rows: QuerySet[Expense]) -> QuerySet[Expense]:
    return rows.annotate(has_attachments=Exists(Attachment.objects.filter(expense=OuterRef("pk"))))


def sums(rows: QuerySet[Expense]) -> ExpenseSums:
    """The totals of the filtered rows, in one aggregate query."""
    values = rows.order_by().aggregate(
        count=Count("id"),
        net=Coalesce(Sum("net_total_eur"), ZERO),
        vat=Coalesce(Sum("vat_total_eur"), ZERO),
        deductible_vat=Coalesce(Sum("deductible_vat_total_eur"), ZERO),
        gross=Coalesce(Sum("gross_total_eur"), ZERO),
    )
    return ExpenseSums(**values)


def expense_detail(account: Account) -> QuerySet[Expense]:
    """Expenses with what their page shows, for get_in_account."""
    return Expense.objects.filter(account=account).select_related("supplier", "category", "created_by")
