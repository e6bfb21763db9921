"""Paramètres > Facturation électronique: whether the account issues e-invoices (then an incomplete
invoice is refused at issue), the Factur-X profile, and the Factur-X PDF attached to emails.

The page reads EInvoiceSettings without creating it (unsaved defaults until the first save);
`update_einvoice_settings` is the one write: one transaction, the permission, one audit event listing
what changed. It needs `settings.manage`, like "Paramètres > Facturation": these choices change how
documents are issued and sent, which is running the account, not keeping its books.
"""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from facturier.einvoice.forms import SETTINGS_FIELDS, EInvoiceSettingsForm
from facturier.einvoice.models import EInvoiceSettings, Profile
from facturier.tenancy import audit
from facturier.tenancy.access import AccountRequest, Actor, account_view, actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account

PERMISSION = "settings.manage"


@transaction.atomic
def update_einvoice_settings(actor: Actor, account: Account, values: dict[str, Any]) -> EInvoiceSettings:
    """Save the e-invoicing settings (any of SETTINGS_FIELDS; fields not given keep their value).

    The audit event keeps each changed value before and after; saving unchanged values writes nothing.
    """
    actor.require(PERMISSION)
    ensure_writable(account)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown e-invoicing settings: {sorted(unknown)}")
    if "profile" in values and values["profile"] not in Profile.values:
        raise ServiceError(_("Profil Factur-X inconnu."), field="profile")
    EInvoiceSettings.for_account(account)  # the row, created with its defaults on the first save
    settings = EInvoiceSettings.objects.select_for_update().get(account=account)
    before = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
    after = before | {name: bool(value) if name != "profile" else value for name, value in values.items()}
    changes = audit.diff(before, after)
    if not changes:
        return settings
    for name in changes:
        setattr(settings, name, after[name])
    settings.save(update_fields=list(changes))
    audit.record(actor, account, "einvoice.settings_changed", changes=changes)
    return settings


@account_view(PERMISSION)
@require_http_methods(["GET", "POST"])
def einvoice_settings_page(request: AccountRequest) -> HttpResponse:
    account = request.account
    # Unsaved defaults until the first save: opening the page writes nothing.
    form = EInvoiceSettingsForm(request.POST or None, instance=EInvoiceSettings.read(account))
    if request.method == "POST" and form.is_valid():
        try:
            update_einvoice_settings(actor_for(request), account, form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Les paramètres de facturation électronique ont été enregistrés."))
            return redirect("einvoice_settings:einvoice_settings", slug=account.slug)
    return render(
        request,
        "einvoice/settings.html",
        {"account": account, "form": form, "read_only": account.is_read_only},
    )
