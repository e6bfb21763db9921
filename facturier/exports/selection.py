"""Which rows an export carries: one place for the filters, so the FEC, the spreadsheets, the ZIP of PDFs
and the firm batch agree on what "the documents of this period" are.

Every queryset is scoped to the request's account, filtered on the indexed date of its table, and
ordered by (date, id) so files come out in a stable, chronological order.
"""

from django.db.models import Q, QuerySet

from facturier.billing.models import INVOICE_KINDS, Document, DocumentQuerySet, Payment, Status
from facturier.exports.base import ExportRequest
from facturier.lib.countries import EU_MEMBERS
from facturier.purchases.models import Expense, ExpensePayment


def _country_condition(request: ExportRequest, field: str) -> Q:
    condition = Q()
    if request.countries:
        condition &= Q(**{f"{field}__in": request.countries})
    if request.region == "eu":
        condition &= Q(**{f"{field}__in": EU_MEMBERS})
    elif request.region == "non-eu":
        condition &= ~Q(**{f"{field}__in": EU_MEMBERS})
    return condition


def sales_documents(request: ExportRequest) -> DocumentQuerySet:
    """Issued sales documents dated in the period, never a test document (Document.test). Without a kind
    filter: the kinds that are sales in the books (invoices, credit notes, advance and final invoices,
    receipts; no quotes or proformas)."""
    documents = Document.objects.filter(
        account=request.account,
        issue_date__gte=request.start,
        issue_date__lte=request.end,
        kind__in=request.kinds or INVOICE_KINDS,
        test=False,
    ).exclude(status=Status.DRAFT)
    if request.statuses:
        documents = documents.filter(status__in=request.statuses)
    documents = documents.filter(_country_condition(request, "buyer_country"))
    if request.not_exported:
        documents = documents.filter(exported_at__isnull=True)
    return documents.order_by("issue_date", "id")


def expenses(request: ExportRequest) -> QuerySet[Expense]:
    """Purchase invoices dated in the period (the country filter applies to the supplier)."""
    found = Expense.objects.filter(
        account=request.account, issue_date__gte=request.start, issue_date__lte=request.end
    ).filter(_country_condition(request, "supplier__country"))
    if request.not_exported:
        found = found.filter(exported_at__isnull=True)
    return found.order_by("issue_date", "id")


def payments(request: ExportRequest) -> QuerySet[Payment]:
    """Payments received in the period (the country filter applies to the paying client)."""
    found = Payment.objects.filter(
        account=request.account, date__gte=request.start, date__lte=request.end
    ).filter(_country_condition(request, "client__country"))
    if request.not_exported:
        found = found.filter(exported_at__isnull=True)
    return found.order_by("date", "id")


def expense_payments(request: ExportRequest) -> QuerySet[ExpensePayment]:
    """Payments made to suppliers in the period."""
    return (
        ExpensePayment.objects.filter(account=request.account, date__gte=request.start, date__lte=request.end)
        .filter(_country_condition(request, "expense__supplier__country"))
        .order_by("date", "id")
    )
