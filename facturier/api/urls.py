"""The public API's own paths (`/clients.json`...), compatible with VosFactures / Fakturownia.

Every resource path ends in `.json`, so none can shadow a page under /<slug>/; the OpenAPI document is
at /api/schema/. The last pattern answers any other `.json` address with the API's JSON 404.
"""

from django.urls import URLPattern, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation

from facturier.api import categories, clients, errors, products

app_name = "api"

urlpatterns: list[URLPattern] = [
    path("clients.json", clients.ClientList.as_view(), name="clients"),
    path("clients/<int:pk>.json", clients.ClientDetail.as_view(), name="client"),
    path("products.json", products.ProductList.as_view(), name="products"),
    path("products/<int:pk>.json", products.ProductDetail.as_view(), name="product"),
    path("categories.json", categories.CategoryList.as_view(), name="categories"),
    path("categories/<int:pk>.json", categories.CategoryDetail.as_view(), name="category"),
    # "api" is a reserved account slug (tenancy/slugs.py): this path cannot meet an account's pages.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(
            authentication_classes=[],
            permission_classes=[],
            content_negotiation_class=DefaultContentNegotiation,
        ),
        name="schema",
    ),
    re_path(r"^[\w./-]*\.json$", errors.not_found),
]
