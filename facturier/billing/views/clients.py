"""Clients: the list (search, sort, pages), a client's page, the form, archive/restore and delete."""

import copy

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from facturier.billing import client_queries
from facturier.billing.forms.clients import ClientFilterForm, ClientForm, QuickClientForm
from facturier.billing.models import Client
from facturier.billing.services import clients as services
from facturier.lib.countries import country_name
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError

PAGE_SIZE = 25
RECENT_DOCUMENTS = 20

# The ?sort= keys of the list's sortable columns (client_queries.CLIENT_SORTS has their reverse too).
SORTABLE = {"name", "created", "city", "country"}


def sort_links(current: str, keys: set[str]) -> dict[str, dict[str, str]]:
    """For each sortable column: the ?sort= value its header links to (ascending first, then the
    reverse), and its aria-sort state."""
    links = {}
    for key in keys:
        if current == key:
            links[key] = {"sort": f"-{key}", "aria": "ascending"}
        elif current == f"-{key}":
            links[key] = {"sort": key, "aria": "descending"}
        else:
            links[key] = {"sort": key, "aria": "none"}
    return links


def _client(request: AccountRequest, pk: int) -> Client:
    return get_in_account(Client.objects.select_related("account"), request.account, pk=pk)


@account_view("clients.view")
@require_GET
def client_list(request: AccountRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET)
    sort = request.GET.get("sort", "")
    if sort not in client_queries.CLIENT_SORTS:
        sort = client_queries.DEFAULT_SORT
    filters = form.filters(sort)
    page = Paginator(client_queries.clients(request.account, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    clients = list(page.object_list)
    for client in clients:
        client.country_label = country_name(client.country)
    return render(
        request,
        "billing/client_list.html",
        {
            "account": request.account,
            "form": form,
            "page": page,
            "clients": clients,
            "sort": sort,
            "sorts": sort_links(sort, SORTABLE),
            "filtered": bool(filters.text or filters.kind or filters.archived != client_queries.ACTIVE),
        },
    )


@account_view("clients.view")
@require_GET
def client_detail(request: AccountRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    # The documents are sales data: only members who may see sales get them on this page.
    sees_sales = request.membership.has_perm("sales.view")
    return render(
        request,
        "billing/client_detail.html",
        {
            "account": request.account,
            "client": client,
            "country": country_name(client.country),
            "cc_emails": services.split_emails(client.cc_emails),
            "sees_sales": sees_sales,
            "documents": client_queries.recent_documents(client, RECENT_DOCUMENTS) if sees_sales else [],
            "unpaid": client_queries.unpaid_totals(client) if sees_sales else [],
            "recent_limit": RECENT_DOCUMENTS,
        },
    )


@account_view("clients.create")
@require_http_methods(["GET", "POST"])
def client_new(request: AccountRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.create_client(actor_for(request), request.account, **form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Client « %(name)s » créé.") % {"name": client.name})
            return redirect("billing:client_detail", slug=request.account.slug, pk=client.pk)
    return render(
        request, "billing/client_form.html", {"account": request.account, "form": form, "client": None}
    )


@account_view("clients.create")
@require_POST
def client_quick(request: AccountRequest) -> HttpResponse:
    """ "Nouveau client" from the document form (its dialog posts here through htmx): the client is made
    by the same service as on the client form; the page then adds it to its select and chooses it
    (the client-created event). Without htmx, the new document form opens with the client chosen."""
    form = QuickClientForm(request.POST)
    if form.is_valid():
        try:
            client = services.create_client(actor_for(request), request.account, **form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                return redirect(
                    reverse("billing:document_new", args=[request.account.slug]) + f"?client={client.pk}"
                )
            response = render(
                request, "billing/_client_quick.html", {"account": request.account, "form": QuickClientForm()}
            )
            created = {"id": client.pk, "name": client.name, "country": client.country}
            return trigger_client_event(response, "client-created", created)
    return render(request, "billing/_client_quick.html", {"account": request.account, "form": form})


@account_view("clients.edit")
@require_http_methods(["GET", "POST"])
def client_edit(request: AccountRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    # The form works on a copy: validating a ModelForm writes the typed values into its instance.
    form = ClientForm(request.POST or None, instance=copy.copy(client))
    if request.method == "POST" and form.is_valid():
        try:
            client = services.update_client(actor_for(request), client, **form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Client « %(name)s » enregistré.") % {"name": client.name})
            return redirect("billing:client_detail", slug=request.account.slug, pk=client.pk)
    return render(
        request, "billing/client_form.html", {"account": request.account, "form": form, "client": client}
    )


@account_view("clients.edit")
@require_POST
def client_archive(request: AccountRequest, pk: int) -> HttpResponse:
    """Archive, or restore with action=restore (explicit, so a double submission cannot undo itself)."""
    client = _client(request, pk)
    try:
        if request.POST.get("action") == "restore":
            services.restore_client(actor_for(request), client)
            messages.success(request, _("Client « %(name)s » désarchivé.") % {"name": client.name})
        else:
            services.archive_client(actor_for(request), client)
            messages.success(request, _("Client « %(name)s » archivé.") % {"name": client.name})
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("billing:client_detail", slug=request.account.slug, pk=client.pk)


@account_view("clients.delete")
@require_POST
def client_delete(request: AccountRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    try:
        services.delete_client(actor_for(request), client)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("billing:client_detail", slug=request.account.slug, pk=client.pk)
    messages.success(request, _("Client « %(name)s » supprimé.") % {"name": client.name})
    return redirect("billing:client_list", slug=request.account.slug)
