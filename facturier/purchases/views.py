"""Dépenses: the list of purchase invoices, their form, their page with attachments and payments.

Every page goes through the gate (`account_view`), fetches rows with `get_in_account` (another
account's expense is a 404) and writes only through purchases.services. Attachments are served by
`attachment_download` only, after the gate: never from a public media URL.
"""

from typing import Any, cast

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from facturier.lib import vat
from facturier.purchases import queries, services
from facturier.purchases.forms import (
    AttachmentForm,
    ExpenseFilterForm,
    ExpenseForm,
    ExpensePaymentForm,
    line_formset,
    line_initial,
)
from facturier.purchases.models import Attachment, Expense, ExpensePayment
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError

PAGE_SIZE = 25


def _expense(request: AccountRequest, pk: int) -> Expense:
    return get_in_account(queries.expense_detail(request.account), request.account, pk=pk)


def _to_detail(request: AccountRequest, expense_id: int) -> HttpResponse:
    return redirect("purchases:expense_detail", slug=request.account.slug, pk=expense_id)


@account_view("purchases.view")
@require_GET
def expense_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    form = ExpenseFilterForm(request.GET or None, account=account)
    page, sums = None, None
    # A filter that cannot be read shows its message rather than a list that would silently ignore it.
    if not form.is_bound or form.is_valid():
        rows = queries.expenses(account, form.filters() if form.is_bound else None)
        sums = queries.sums(rows)
        page = Paginator(queries.with_attachment_flag(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(request.GET.get(name) for name in form.fields if name != "sort")
    return render(
        request,
        "purchases/expense_list.html",
        {"account": account, "form": form, "page": page, "sums": sums, "filtered": filtered},
    )


def _save_expense(request: AccountRequest, template: str, expense: Expense | None = None) -> HttpResponse:
    """The form of a new expense or of an existing one: both pages work the same way."""
    account = request.account
    services.ensure_default_categories(account)
    if request.method == "POST":
        form = ExpenseForm(request.POST, request.FILES, account=account, expense=expense)
        lines = line_formset(request.POST)
        if form.is_valid() and lines.is_valid():
            data = form.to_input(lines)
            files = form.cleaned_data["attachments"]
            try:
                if expense is None:
                    expense = services.create_expense(actor_for(request), account, data, files=files)
                    messages.success(request, _("La dépense a été enregistrée."))
                else:
                    expense = services.update_expense(actor_for(request), expense, data, files=files)
                    messages.success(request, _("La dépense a été modifiée."))
            except ServiceError as error:
                error.show_on(form)
            else:
                return _to_detail(request, expense.pk)
    else:
        form = ExpenseForm(account=account, expense=expense)
        lines = line_formset(initial=line_initial(expense) if expense else None)
    context: dict[str, Any] = {
        "account": account,
        "expense": expense,
        "form": form,
        "lines": lines,
        "vat_rates": vat.FRENCH_RATES,
        # Browsers cannot refill a file input: say so when the page comes back with errors.
        "files_lost": request.method == "POST" and bool(request.FILES),
        "has_suppliers": form.fields["supplier"].queryset.exists(),  # type: ignore[attr-defined]
    }
    return render(request, template, context)


@account_view("purchases.create")
def expense_new(request: AccountRequest) -> HttpResponse:
    return _save_expense(request, "purchases/expense_form.html")


@account_view("purchases.edit")
def expense_edit(request: AccountRequest, pk: int) -> HttpResponse:
    return _save_expense(request, "purchases/expense_form.html", _expense(request, pk))


def _detail(
    request: AccountRequest,
    expense: Expense,
    *,
    payment_form: ExpensePaymentForm | None = None,
    attachment_form: AttachmentForm | None = None,
) -> HttpResponse:
    today = request.account.today()
    if payment_form is None:
        payment_form = ExpensePaymentForm(
            initial={"date": today, "amount": expense.remaining if expense.remaining > 0 else None}
        )
    vat_lines = list(expense.vat_lines.order_by("-vat_rate", "vat_category", "-deductible"))
    context = {
        "account": request.account,
        "expense": expense,
        "lines": list(expense.lines.all()),
        "vat_lines": vat_lines,
        "self_assessed_vat": expense.self_assessed_vat_total,
        "attachments": list(expense.attachments.select_related("uploaded_by")),
        "payments": list(expense.payments.all()),
        "payment_form": payment_form,
        "attachment_form": attachment_form or AttachmentForm(),
        "overdue": expense.due_date is not None and expense.due_date < today and expense.remaining > 0,
    }
    return render(request, "purchases/expense_detail.html", context)


@account_view("purchases.view")
@require_GET
def expense_detail(request: AccountRequest, pk: int) -> HttpResponse:
    return _detail(request, _expense(request, pk))


@account_view("purchases.delete")
@require_POST
def expense_delete(request: AccountRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk)
    try:
        services.delete_expense(actor_for(request), expense)
    except ServiceError as error:
        messages.error(request, error.message)
        return _to_detail(request, expense.pk)
    messages.success(request, _("La dépense a été supprimée."))
    return redirect("purchases:expense_list", slug=request.account.slug)


# --- Attachments --------------------------------------------------------------------------------


@account_view("purchases.view")
@require_GET
@xframe_options_sameorigin  # the detail page previews PDFs in an <iframe>; other sites still cannot
def attachment_download(request: AccountRequest, pk: int) -> HttpResponse:
    attachment = get_in_account(Attachment, request.account, pk=pk)
    try:
        stream = default_storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("Le fichier de ce justificatif est introuvable.")) from None
    inline = request.GET.get("inline") == "1"
    response = FileResponse(
        stream,
        as_attachment=not inline,
        filename=attachment.download_name,
        content_type=attachment.content_type,
    )
    # The type was sniffed at upload; the browser must not guess another one from the content.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0"
    return cast(HttpResponse, response)  # a streaming response; the gate's signature names HttpResponse


@account_view("purchases.edit")
@require_POST
def attachment_new(request: AccountRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.add_attachments(actor_for(request), expense, form.cleaned_data["attachments"])
        except ServiceError as error:
            form.add_error("attachments", error.message)
        else:
            messages.success(request, _("%(count)d justificatif(s) ajouté(s).") % {"count": len(added)})
            return _to_detail(request, expense.pk)
    return _detail(request, expense, attachment_form=form)


@account_view("purchases.delete")
@require_POST
def attachment_delete(request: AccountRequest, pk: int) -> HttpResponse:
    attachment = get_in_account(Attachment, request.account, pk=pk)
    try:
        services.delete_attachment(actor_for(request), attachment)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Le justificatif « %(name)s » a été supprimé.") % {"name": attachment.original_name}
        )
    return _to_detail(request, attachment.expense_id)


# --- Payments -----------------------------------------------------------------------------------


@account_view("purchases.edit")
@require_POST
def expense_payment_new(request: AccountRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk)
    form = ExpensePaymentForm(request.POST)
    if form.is_valid():
        try:
            services.record_expense_payment(actor_for(request), expense, **form.cleaned_data)
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Le paiement a été enregistré."))
            return _to_detail(request, expense.pk)
    return _detail(request, expense, payment_form=form)


@account_view("purchases.delete")
@require_POST
def expense_payment_delete(request: AccountRequest, pk: int) -> HttpResponse:
    payment = get_in_account(ExpensePayment, request.account, pk=pk)
    try:
        services.delete_expense_payment(actor_for(request), payment)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Le paiement a été supprimé."))
    return _to_detail(request, payment.expense_id)
