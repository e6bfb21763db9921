"""The platform staff's read-only view of expenses (Django admin at /admin/).

Nothing is added, changed or deleted here: expenses are written by the account's users through the
services, which check the lock date and write the audit trail. Attachments are not listed: their files
are only served by the account's own download page, behind the gate.
"""

from django.contrib import admin

from facturier.purchases.models import Expense, ExpenseCategory
from facturier.tenancy.admin import ReadOnlyAdminMixin


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ExpenseCategory]):
    list_display = ("name", "accounting_code", "account")
    list_select_related = ("account",)
    search_fields = ("name", "accounting_code", "account__slug")


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Expense]):
    list_display = (
        "issue_date",
        "account",
        "supplier",
        "supplier_number",
        "gross_total",
        "currency",
        "status",
    )
    list_select_related = ("account", "supplier")
    list_filter = ("status",)
    search_fields = ("account__slug", "supplier__name", "supplier_number")
    show_full_result_count = False
    exclude = ("created_by",)
    readonly_fields = [field.name for field in Expense._meta.fields if field.name != "created_by"]
