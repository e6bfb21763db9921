"""Products: the list (search, sort, pages), the form, archive/restore and delete."""

import copy

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facturier.billing import client_queries
from facturier.billing.forms.products import ProductFilterForm, ProductForm, rate_label
from facturier.billing.models import Product
from facturier.billing.services import products as services
from facturier.billing.views.clients import sort_links
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError

PAGE_SIZE = 25

# The ?sort= keys of the list's sortable columns (client_queries.PRODUCT_SORTS has their reverse too).
SORTABLE = {"name", "code", "price", "created"}


def _product(request: AccountRequest, pk: int) -> Product:
    return get_in_account(Product.objects.select_related("account"), request.account, pk=pk)


def _back_to_list(request: AccountRequest) -> HttpResponse:
    return redirect("billing:product_list", slug=request.account.slug)


@account_view("products.view")
@require_GET
def product_list(request: AccountRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET)
    sort = request.GET.get("sort", "")
    if sort not in client_queries.PRODUCT_SORTS:
        sort = client_queries.DEFAULT_SORT
    filters = form.filters(sort)
    page = Paginator(client_queries.products(request.account, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    products = list(page.object_list)
    for product in products:
        product.rate_shown = rate_label(product.vat_rate)
    return render(
        request,
        "billing/product_list.html",
        {
            "account": request.account,
            "form": form,
            "page": page,
            "products": products,
            "sort": sort,
            "sorts": sort_links(sort, SORTABLE),
            "filtered": bool(filters.text or filters.archived != client_queries.ACTIVE),
        },
    )


@account_view("products.create")
@require_http_methods(["GET", "POST"])
def product_new(request: AccountRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(actor_for(request), request.account, **form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Produit « %(name)s » créé.") % {"name": product.name})
            return _back_to_list(request)
    return render(
        request, "billing/product_form.html", {"account": request.account, "form": form, "product": None}
    )


@account_view("products.edit")
@require_http_methods(["GET", "POST"])
def product_edit(request: AccountRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    # The form works on a copy: validating a ModelForm writes the typed values into its instance.
    form = ProductForm(request.POST or None, instance=copy.copy(product))
    if request.method == "POST" and form.is_valid():
        try:
            product = services.update_product(actor_for(request), product, **form.values())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Produit « %(name)s » enregistré.") % {"name": product.name})
            return _back_to_list(request)
    return render(
        request, "billing/product_form.html", {"account": request.account, "form": form, "product": product}
    )


@account_view("products.edit")
@require_POST
def product_archive(request: AccountRequest, pk: int) -> HttpResponse:
    """Archive, or restore with action=restore (explicit, so a double submission cannot undo itself)."""
    product = _product(request, pk)
    try:
        if request.POST.get("action") == "restore":
            services.restore_product(actor_for(request), product)
            messages.success(request, _("Produit « %(name)s » désarchivé.") % {"name": product.name})
        else:
            services.archive_product(actor_for(request), product)
            messages.success(request, _("Produit « %(name)s » archivé.") % {"name": product.name})
    except ServiceError as error:
        messages.error(request, error.message)
    return _back_to_list(request)


@account_view("products.delete")
@require_POST
def product_delete(request: AccountRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    try:
        services.delete_product(actor_for(request), product)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Produit « %(name)s » supprimé.") % {"name": product.name})
    return _back_to_list(request)
