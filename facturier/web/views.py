from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from facturier.tenancy.access import AccountRequest, account_view
from facturier.tenancy.services import counted_members
from facturier.web.queries import SWITCHER_SIZE, switcher_memberships


@account_view()
def dashboard(request: AccountRequest) -> HttpResponse:
    account = request.account
    return render(
        request,
        "web/dashboard.html",
        {"account": account, "member_count": counted_members(account)},
    )


@require_GET
@login_required
def switcher(request: HttpRequest) -> HttpResponse:
    """The switcher's list, filtered as the user types (htmx), or as a full page without JavaScript."""
    query = request.GET.get("q", "")[:100]
    memberships = list(switcher_memberships(request.user.pk or 0, query)[: SWITCHER_SIZE + 1])
    context = {
        "switcher_results": memberships[:SWITCHER_SIZE],
        "switcher_more": len(memberships) > SWITCHER_SIZE,
        "switcher_query": query,
        "current_slug": request.GET.get("current", ""),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/_switcher_results.html", context)
    return render(request, "web/switcher.html", context)
