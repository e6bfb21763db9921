"""Paramètres > Facturation: numbering, terms, legal mentions and the email sent with documents."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from facturier.billing.forms.billing_settings import BillingSettingsForm
from facturier.billing.services.billing_settings import settings_for, update_billing_settings
from facturier.tenancy.access import AccountRequest, account_view, actor_for
from facturier.tenancy.errors import ServiceError


@account_view("settings.manage")
@require_http_methods(["GET", "POST"])
def billing_settings(request: AccountRequest) -> HttpResponse:
    account = request.account
    # Unsaved defaults until the first save: opening the page writes nothing.
    form = BillingSettingsForm(request.POST or None, instance=settings_for(account))
    if request.method == "POST" and form.is_valid():
        try:
            update_billing_settings(actor_for(request), account, form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Les paramètres de facturation ont été enregistrés."))
            return redirect("billing:billing_settings", slug=account.slug)
    return render(
        request,
        "billing/billing_settings.html",
        {"account": account, "form": form, "read_only": account.is_read_only},
    )
