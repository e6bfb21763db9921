from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_GET

from facturier.accounts.middleware import use_user_language
from facturier.billing import charts, queries
from facturier.lib.filters import search_text
from facturier.reports import queries as report_queries
from facturier.tenancy.access import AccountRequest, account_view
from facturier.tenancy.services import counted_members
from facturier.web.queries import onboarding_steps, switcher_page
from facturier.web.queries import search as search_account


@account_view()
def dashboard(request: AccountRequest) -> HttpResponse:
    account = request.account
    context: dict[str, Any] = {
        "account": account,
        "member_count": counted_members(account),
        # "Ajouter une nouvelle compagnie" and "Comptes clients": the firm's daily entry points.
        "firm_buttons": account.is_firm and request.membership.has_perm("firm.manage"),
    }
    if request.membership.has_perm("settings.manage"):
        # A new account's checklist, until every step is done.
        steps = onboarding_steps(account)
        if not all(step.done for step in steps):
            context["onboarding"] = steps
    if request.membership.has_perm("sales.view"):
        # The sales figures, in a fixed number of queries whatever the number of documents: two years
        # of months, so this month and this year compare with last year's.
        figures = queries.dashboard_figures(
            account, report_queries.revenue_by_month(account, account.today(), months=24)
        )
        context["figures"] = figures
        context["latest_documents"] = queries.latest_documents(account)
        context["has_revenue"] = any(amount for _month, amount in figures.revenue_by_month)
        context["chart"] = charts.revenue_chart(
            figures.revenue_by_month,
            title=_("Chiffre d'affaires HT par mois, en euros"),
            description=_(
                "Chiffre d'affaires HT des factures émises, avoirs déduits, pour chacun des 12 derniers mois."
            ),
        )
    return render(request, "web/dashboard.html", context)


@account_view()
@require_GET
def search(request: AccountRequest) -> HttpResponse:
    """The top bar's search over the account's documents, clients, products and expenses: the results
    under the box as the user types (htmx), or a page of their own (Enter, or without JavaScript).
    Each group shows only what the member may see."""
    query = search_text(request.GET.get("q"), 100)
    context = {
        "account": request.account,
        "query": query,
        "groups": search_account(request.account, query, request.membership.permission_set),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/_search_results.html", context)
    return render(request, "web/search.html", context)


@require_GET
@login_required
def switcher(request: HttpRequest) -> HttpResponse:
    """The top bar's account switcher: its panel when the menu first opens (htmx, ?panel=1: the search
    box when there are more accounts than it lists, and the list), its list filtered as the user types
    (htmx), or a full page without JavaScript."""
    query = search_text(request.GET.get("q"), 100)
    switcher_results, switcher_more = switcher_page(request.user.pk or 0, query)
    context = {
        "switcher_results": switcher_results,
        "switcher_more": switcher_more,
        "switcher_query": query,
        "current_slug": request.GET.get("current", ""),
    }
    if request.htmx:  # type: ignore[attr-defined]
        partial = "web/_switcher_panel.html" if request.GET.get("panel") else "web/_switcher_results.html"
        return render(request, partial, context)
    return render(request, "web/switcher.html", context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, in the language of the user's profile: an unknown address names no view, so
    accounts.middleware.UserLanguageMiddleware did not switch to it."""
    user = getattr(request, "user", None)
    if user is not None:
        use_user_language(request, user)
    return defaults.page_not_found(request, exception)
