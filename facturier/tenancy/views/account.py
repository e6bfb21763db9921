"""Paramètres du compte: the settings entry point, the company identity ("Votre compte") and the lock date."""

import copy
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from facturier.firm import services as firm_services
from facturier.tenancy import services
from facturier.tenancy.access import AccountRequest, account_view, actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.forms.account import AccountIdentityForm
from facturier.tenancy.forms.lock_date import LockDateForm
from facturier.tenancy.queries import AuditFilters, audit_events

# The settings pages in the order of the settings menu (templates/tenancy/_settings_nav.html), each
# with the permission that opens it.
SETTINGS_PAGES = [
    ("tenancy:account", "settings.manage"),
    ("tenancy:users", "users.manage"),
    ("tenancy:roles", "users.manage"),
    ("tenancy:lock_date", "lockdate.change"),
    ("exports_settings:accounting_settings", "accounting.settings"),
    ("tenancy:audit", "audit.view"),
]

# How "Votre compte" groups the identity fields on the page.
IDENTITY_SECTIONS = [
    (gettext_lazy("Entreprise"), ["name", "legal_name"]),
    (gettext_lazy("Adresse"), ["street", "post_code", "city", "country"]),
    (gettext_lazy("Identifiants"), ["siren", "siret", "vat_number"]),
    (gettext_lazy("Coordonnées bancaires"), ["iban", "bic"]),
]

LOCK_DATE_HISTORY_SIZE = 20

# The value of the hidden "section" field that tells the firm-module form from the identity form.
FIRM_MODULE_SECTION = "firm_module"


@account_view()
@require_GET
def index(request: AccountRequest) -> HttpResponse:
    """/<slug>/settings/: the first settings page the member may open."""
    held = request.membership.permission_set
    for url_name, permission in SETTINGS_PAGES:
        if permission in held:
            return redirect(url_name, slug=request.account.slug)
    raise PermissionDenied(_("Votre rôle ne vous permet pas de modifier les paramètres de ce compte."))


def _identity_values(form: AccountIdentityForm) -> dict[str, Any]:
    """What the service stores: the identity fields, and the logo only when it was replaced or removed."""
    values = {field: form.cleaned_data[field] for field in services.IDENTITY_FIELDS}
    logo = form.cleaned_data.get("logo")
    if logo is False:  # the "remove the logo" box was ticked
        values["logo"] = ""
    elif isinstance(logo, UploadedFile):
        values["logo"] = logo
    return values


@account_view("settings.manage")
@require_http_methods(["GET", "POST"])
def account_settings(request: AccountRequest) -> HttpResponse:
    account = request.account
    if request.method == "POST" and request.POST.get("section") == FIRM_MODULE_SECTION:
        return _save_firm_module(request)
    # The form works on a copy: validating a ModelForm writes the typed values into its instance, and
    # request.account (shown in the top bar) must keep the stored ones until the service saved them.
    instance = copy.copy(account)
    if request.method == "POST":
        form = AccountIdentityForm(request.POST, request.FILES, instance=instance)
        if form.is_valid():
            try:
                services.update_account_identity(actor_for(request), account, _identity_values(form))
            except ServiceError as error:
                error.show_on(form)
            else:
                messages.success(request, _("Les informations du compte ont été enregistrées."))
                return redirect("tenancy:account", slug=account.slug)
    else:
        form = AccountIdentityForm(instance=instance)
    sections = [(legend, [form[name] for name in names]) for legend, names in IDENTITY_SECTIONS]
    return render(
        request,
        "tenancy/account.html",
        {
            "account": account,
            "form": form,
            "sections": sections,
            "read_only": account.is_read_only,
            "account_url": settings.FACTURIER_BASE_URL
            + reverse("web:dashboard", kwargs={"slug": account.slug}),
            "firm_module_section": FIRM_MODULE_SECTION,
            # Offered on the accounting plan; an account that has it on may always turn it off.
            "firm_module_available": account.plan_info.allows_firm_module or account.firm_module_enabled,
        },
    )


def _save_firm_module(request: AccountRequest) -> HttpResponse:
    """The "Comptabilité et Exports" section's own small form: the accounting-firm module option."""
    enabled = request.POST.get("firm_module_enabled") == "on"
    try:
        firm_services.set_firm_module(actor_for(request), request.account, enabled)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        if enabled:
            messages.success(
                request,
                _(
                    "Le module dédié aux cabinets comptables est activé : le tableau de bord propose "
                    "« Ajouter une nouvelle compagnie » et « Comptes clients »."
                ),
            )
        else:
            messages.success(request, _("Le module dédié aux cabinets comptables est désactivé."))
    return redirect("tenancy:account", slug=request.account.slug)


@account_view("lockdate.change")
@require_http_methods(["GET", "POST"])
def lock_date(request: AccountRequest) -> HttpResponse:
    account = request.account
    if request.method == "POST":
        form = LockDateForm(request.POST)
        if form.is_valid():
            new_date = form.cleaned_data["locked_until"]
            unchanged = new_date == account.locked_until
            try:
                services.set_lock_date(actor_for(request), account, new_date, form.cleaned_data["reason"])
            except ServiceError as error:
                error.show_on(form)
            else:
                if unchanged:
                    messages.info(request, _("La date de protection est inchangée."))
                elif new_date is None:
                    messages.success(request, _("La date de protection a été retirée."))
                else:
                    messages.success(request, _("La date de protection a été enregistrée."))
                return redirect("tenancy:lock_date", slug=account.slug)
    else:
        form = LockDateForm(initial={"locked_until": account.locked_until})
    # One row more than shown tells whether to point to the full list in the audit log.
    history = list(
        audit_events(account, AuditFilters(action="account.lock_date_changed"))[: LOCK_DATE_HISTORY_SIZE + 1]
    )
    return render(
        request,
        "tenancy/lock_date.html",
        {
            "account": account,
            "form": form,
            "read_only": account.is_read_only,
            "history": history[:LOCK_DATE_HISTORY_SIZE],
            "history_more": len(history) > LOCK_DATE_HISTORY_SIZE,
        },
    )
