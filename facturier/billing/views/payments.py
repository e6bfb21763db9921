"""Paiements: the list of payments received, recording one against a client's open documents, its
detail (what it settled) and its deletion. Writes go through billing/services/payments.py."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.billing import queries, statements
from facturier.billing.forms.payments import PaymentFilterForm, PaymentForm
from facturier.billing.models import Client, Document, Payment
from facturier.billing.services import payments as services
from facturier.billing.views import pdf_response
from facturier.lib.filters import parse_id
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account


def _clients(account: Account) -> list[tuple[int, str]]:
    return list(
        Client.objects.filter(account=account)
        .exclude(kind=Client.Kind.SUPPLIER)
        .order_by("name")
        .values_list("id", "name")
    )


@account_view("payments.view")
def payment_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    form = PaymentFilterForm(request.GET, clients=_clients(account))
    filters = form.filters(account.today())
    totals = queries.payment_totals(account, filters)
    window = queries.PageWindow.of(request.GET.get("page"), totals.count)
    payments = list(queries.payment_list(account, filters)[window.offset : window.offset + window.per_page])
    return render(
        request,
        "billing/payment_list.html",
        {"account": account, "form": form, "payments": payments, "totals": totals, "window": window},
    )


@account_view("payments.create")
def payment_new(request: AccountRequest) -> HttpResponse:
    """Record a payment. From a document's page (?document=<pk>) that document is ticked and its
    remaining amount proposed; otherwise the user picks a client, then ticks its open documents."""
    account = request.account
    initial: dict[str, Any] = {"date": account.today()}
    source = request.GET.get("document")
    document = None
    client_id = parse_id(request.GET.get("client"))
    if source is not None:
        document = get_in_account(Document, account, pk=source)
        client_id = document.client_id
        initial.update(
            documents=[str(document.pk)], amount=document.remaining, method=document.payment_method
        )
    if request.method == "POST":
        client_id = parse_id(request.POST.get("client"))
    initial["client"] = client_id
    open_documents = list(queries.open_documents(account, client_id)) if client_id else []
    if source is not None and request.method != "POST" and document not in open_documents:
        messages.warning(request, _("Le document %(number)s n'a plus rien à régler.") % {"number": document})
    data = request.POST if request.method == "POST" else None
    form = PaymentForm(data, initial=initial, clients=_clients(account), open_documents=open_documents)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.record_payment(
                actor_for(request),
                account,
                date=form.cleaned_data["date"],
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                notes=form.cleaned_data["notes"],
                documents=form.chosen_documents(),
                currency=form.currency,
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Paiement enregistré."))
            if source is not None:
                return redirect("billing:document_detail", slug=account.slug, pk=source)
            return redirect("billing:payment_detail", slug=account.slug, pk=payment.pk)
    # htmx (the client changed) takes the part of this page it needs (hx-select).
    return render(request, "billing/payment_form.html", {"account": account, "form": form, "source": source})


@account_view("payments.view")
def payment_detail(request: AccountRequest, pk: int) -> HttpResponse:
    payment = get_in_account(Payment.objects.select_related("client", "created_by"), request.account, pk=pk)
    allocations = list(payment.allocations.select_related("document").order_by("id"))
    return render(
        request,
        "billing/payment_detail.html",
        {"account": request.account, "payment": payment, "allocations": allocations},
    )


@account_view("payments.view")
def payment_receipt(request: AccountRequest, pk: int) -> HttpResponse:
    """The receipt of a payment as a PDF (made on demand, never kept)."""
    payment = get_in_account(Payment.objects.select_related("client", "account"), request.account, pk=pk)
    content = statements.payment_receipt_pdf(payment, request.account.today())
    return pdf_response(
        content, statements.receipt_filename(payment), inline=request.GET.get("inline") == "1"
    )


@account_view("payments.delete")
@require_POST
def payment_delete(request: AccountRequest, pk: int) -> HttpResponse:
    payment = get_in_account(Payment, request.account, pk=pk)
    try:
        services.delete_payment(actor_for(request), payment)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("billing:payment_detail", slug=request.account.slug, pk=payment.pk)
    messages.success(request, _("Paiement supprimé : les documents qu'il réglait sont de nouveau à payer."))
    return redirect("billing:payment_list", slug=request.account.slug)
