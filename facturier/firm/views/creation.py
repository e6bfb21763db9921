""" "Ajouter une nouvelle compagnie": the firm creates a blank client account, with its address checked
as the user types. Both pages need firm.manage in a firm account (`firm_page`)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from facturier.firm import forms, services
from facturier.firm.views.client_accounts import firm_page
from facturier.tenancy.access import AccountRequest, actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.slugs import MAX_LENGTH as SLUG_MAX_LENGTH
from facturier.tenancy.slugs import slug_from_name


def _page_context(slug_state: dict[str, Any]) -> dict[str, Any]:
    return slug_state | {"base_url": settings.FACTURIER_BASE_URL, "slug_max_length": SLUG_MAX_LENGTH}


@firm_page
@require_http_methods(["GET", "POST"])
def account_new(request: AccountRequest) -> HttpResponse:
    firm = request.account
    form = forms.ClientAccountForm(request.POST or None, firm=firm)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.create_client_account(
                actor_for(request), firm, name=form.cleaned_data["name"], slug=form.cleaned_data["slug"]
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(
                request,
                _(
                    "Le compte « %(name)s » a été créé : il est vierge, sous formule PRO, et vous en êtes "
                    "propriétaire. Ajoutez maintenant votre client comme administrateur avec "
                    "« Ajouter/inviter un utilisateur »."
                )
                % {"name": account.name},
            )
            return redirect("tenancy:users", slug=account.slug)
    if request.method == "POST":
        typed = (form["slug"].value() or "").strip()
        # Left empty, the address was taken from the name: show which one the messages are about, and
        # keep it a proposal, so that it still follows the name if the user changes it.
        proposed = (
            request.POST.get("proposed_slug", "") if typed else slug_from_name(form["name"].value() or "")
        )
        slug_state: dict[str, Any] = {
            "slug_value": typed or proposed,
            "proposed_slug": proposed,
            "slug_errors": form.errors.get("slug", []),
            "slug_available": False,
        }
    else:
        slug_state = forms.slug_check(firm, {})  # the firm's next numbered address, checked
    return render(request, "firm/account_new.html", _page_context(slug_state) | {"form": form, "firm": firm})


@firm_page
@require_GET
def slug_check(request: AccountRequest) -> HttpResponse:
    """The address field and what is wrong with the address, for htmx as the user types (no writes)."""
    return render(
        request, "firm/_slug_check.html", _page_context(forms.slug_check(request.account, request.GET))
    )
