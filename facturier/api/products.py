"""`/products.json` and `/products/{id}.json` (api.md, sections 4 and 6), over the products service.
`/products/{code}.json` with `"find_by": "code"` (top level of the body, or the query) names the product
by its code instead, as the public API documents for updates; `products.json?code=` finds it in a list.

A product keeps one price, net or gross (`price_is_gross`), and its VAT. The API shows both prices
and takes either: `price_net` sets a net price, `price_gross` a gross one. On update, as in the public
API, a changed gross price wins; a price sent back unchanged (a client returning the object it read)
changes nothing. `tax` is a rate ("20", "5,5") or a symbol for no VAT: "zw" exempt, "np" and
"disabled" outside the scope of VAT. `disabled` archives the product.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from facturier.api import coercion
from facturier.api.coercion import Field
from facturier.api.errors import InputError, api_field_names
from facturier.api.schema import DELETED, PAGINATION, order_parameter, request_body, responses
from facturier.api.views import AccountView, ordering, paginate, text_param
from facturier.billing import client_queries
from facturier.billing.models import Product, SupplyKind
from facturier.billing.services import products as service
from facturier.lib import vat
from facturier.lib.money import round_money
from facturier.tenancy.access import get_in_account

# `tax` symbols of the public API without a rate, and the VAT category each stands for.
TAX_SYMBOLS = {
    "zw": vat.EXEMPT,
    "np": vat.OUTSIDE_SCOPE,
    "disabled": vat.OUTSIDE_SCOPE,
    "n/a": vat.OUTSIDE_SCOPE,
    "oo": vat.REVERSE_CHARGE,  # Fakturownia's "odwrotne obciążenie"
}
SYMBOL_OF_CATEGORY = {vat.EXEMPT: "zw", vat.OUTSIDE_SCOPE: "np", vat.REVERSE_CHARGE: "oo"}

API_NAMES = {
    "unit": "quantity_unit",
    "unit_price": "price_net",
    "vat_rate": "tax",
    "vat_category": "tax",
    "supply_kind": "service",
    "accounting_code": "accounting_id",
}


def read_tax(value: Any, field: str) -> tuple[Decimal, str]:
    """(rate, VAT category) for a rate or a symbol. A zero rate without a symbol is an exemption."""
    if isinstance(value, str) and value.strip().lower() in TAX_SYMBOLS:
        return Decimal("0"), TAX_SYMBOLS[value.strip().lower()]
    rate = coercion.to_decimal(value, field)
    return rate, (vat.STANDARD if rate else vat.EXEMPT)


def _supply_kind(value: Any, field: str) -> str:
    return SupplyKind.SERVICE if coercion.to_bool(value, field) else SupplyKind.GOODS


FIELDS = [
    Field("name", "name"),
    Field("code", "code"),
    Field("quantity_unit", "unit"),
    Field("price_net", "price_net", coercion.to_decimal),
    Field("price_gross", "price_gross", coercion.to_decimal),
    Field("tax", "tax", read_tax),
    Field("service", "supply_kind", _supply_kind),
    Field("accounting_id", "accounting_code"),
    Field("disabled", "disabled", coercion.to_bool),
]


def prices(product: Product) -> tuple[Decimal, Decimal]:
    """(net, gross) of one unit, rounded to the cent, from the one price the product keeps."""
    factor = 1 + product.vat_rate / 100
    if product.price_is_gross:
        return round_money(product.unit_price / factor), round_money(product.unit_price)
    return round_money(product.unit_price), round_money(product.unit_price * factor)


def service_fields(
    data: dict[str, Any], product: Product | None = None
) -> tuple[dict[str, Any], bool | None]:
    """The service's keyword arguments, and whether to archive (True), restore (False) or neither."""
    values = coercion.read(data, FIELDS)
    disabled = values.pop("disabled", None)
    if "tax" in values:
        values["vat_rate"], values["vat_category"] = values.pop("tax")
    net, gross = values.pop("price_net", None), values.pop("price_gross", None)
    if product is not None:
        current_net, current_gross = prices(product)
        net = None if net == current_net else net
        gross = None if gross == current_gross else gross
    if gross is not None and (net is None or product is not None):
        values["unit_price"], values["price_is_gross"] = gross, True
    elif net is not None:
        values["unit_price"], values["price_is_gross"] = net, False
    return values, disabled


class ProductSerializer(serializers.Serializer[Product]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    quantity_unit = serializers.CharField(source="unit")
    price_net = serializers.SerializerMethodField()
    price_gross = serializers.SerializerMethodField()
    price_tax = serializers.SerializerMethodField()
    tax = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    accounting_id = serializers.CharField(source="accounting_code")
    disabled = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_price_net(self, product: Product) -> str:
        return str(prices(product)[0])

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_price_gross(self, product: Product) -> str:
        return str(prices(product)[1])

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_price_tax(self, product: Product) -> str:
        net, gross = prices(product)
        return str(gross - net)

    @extend_schema_field(OpenApiTypes.STR)
    def get_tax(self, product: Product) -> str:
        if product.vat_category in SYMBOL_OF_CATEGORY:
            return SYMBOL_OF_CATEGORY[product.vat_category]
        return format(product.vat_rate.normalize(), "f")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_service(self, product: Product) -> bool:
        return product.supply_kind == SupplyKind.SERVICE

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_disabled(self, product: Product) -> bool:
        return product.archived_at is not None


ORDERS = {"id": "pk", "name": "name", "code": "code", "created_at": "created_at", "updated_at": "updated_at"}


def filtered(request: Request, rows: QuerySet[Product]) -> QuerySet[Product]:
    """The list filters of the public API: `ids` (or `ids[]`), and `filter=disabled` for archived
    products (the list shows the active ones otherwise)."""
    params = request.query_params
    ids = coercion.to_ids([*params.getlist("ids"), *params.getlist("ids[]")], "ids")
    if ids:
        return rows.filter(pk__in=ids).order_by(*ordering(params, ORDERS))
    code = text_param(params, "code")
    if code:  # a code names one product, archived or not (codes are unique in an account)
        return rows.filter(code=code).order_by(*ordering(params, ORDERS))
    disabled = params.get("filter", "").strip() == "disabled"
    return rows.filter(archived_at__isnull=not disabled).order_by(*ordering(params, ORDERS))


def _set_archived(view: AccountView, product: Product, disabled: bool | None) -> Product:
    if disabled is True:
        return service.archive_product(view.actor, product)
    if disabled is False:
        return service.restore_product(view.actor, product)
    return product


REQUEST = request_body("Product", "product", FIELDS)
LIST_PARAMETERS = [
    OpenApiParameter("ids", str, description="Comma-separated ids (or repeated ids[])."),
    OpenApiParameter("code", str, description="The product of this code (exact), archived or not."),
    OpenApiParameter("filter", str, enum=["disabled"], description="disabled: the archived products."),
    order_parameter(list(ORDERS)),
    *PAGINATION,
]


class ProductList(AccountView):
    """The account's products (the active ones, unless filter=disabled): list and create."""

    @extend_schema(parameters=LIST_PARAMETERS, responses=responses(ProductSerializer, many=True))
    def get(self, request: Request) -> Response:
        self.require("products.view")
        rows = client_queries.products(
            self.account, client_queries.ProductFilters(archived=client_queries.ALL)
        )
        page = paginate(filtered(request, rows), request.query_params)
        # djangorestframework-stubs types the instance as one row even with many=True, which takes a list.
        return Response(ProductSerializer(page, many=True).data)  # type: ignore[arg-type]

    @extend_schema(request=REQUEST, responses=responses(ProductSerializer, 201))
    def post(self, request: Request) -> Response:
        self.require("products.create")
        fields, disabled = service_fields(self.body("product"))
        if not fields.get("name"):
            raise InputError.on("name", _("Donnez un nom au produit."))
        with api_field_names(API_NAMES), transaction.atomic():
            product = service.create_product(self.actor, self.account, **fields)
            product = _set_archived(self, product, disabled or None)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


def find_by_code(request: Request) -> bool:
    """Whether the path names the product by its code: `find_by=code` beside the wrapper key of the
    body (the public API's place), or in the query."""
    where = request.query_params.get("find_by", "")
    if request.method not in ("GET", "HEAD", "DELETE") and isinstance(request.data, dict):
        where = request.data.get("find_by") or where
    return isinstance(where, str) and where.strip().lower() == "code"


BY_CODE = OpenApiParameter(
    "find_by", str, enum=["code"], description="code: the path names the product by its code."
)


class ProductDetail(AccountView):
    """One product, by id (or by code with find_by=code): show, update, delete."""

    def row(self, key: str) -> Product:
        if find_by_code(self.request):
            # Case-insensitive, as the products service keeps codes unique.
            return get_in_account(Product, self.account, code__iexact=key)
        if not (key.isascii() and key.isdigit()):
            raise Http404  # a code in the path, without find_by=code
        return self.get_row(Product, int(key))

    @extend_schema(parameters=[BY_CODE], responses=responses(ProductSerializer))
    def get(self, request: Request, pk: str) -> Response:
        self.require("products.view")
        return Response(ProductSerializer(self.row(pk)).data)

    @extend_schema(parameters=[BY_CODE], request=REQUEST, responses=responses(ProductSerializer))
    def put(self, request: Request, pk: str) -> Response:
        product = self.row(pk)
        self.require("products.edit")
        fields, disabled = service_fields(self.body("product"), product)
        with api_field_names(API_NAMES), transaction.atomic():
            product = service.update_product(self.actor, product, **fields)
            product = _set_archived(self, product, disabled)
        return Response(ProductSerializer(product).data)

    patch = put

    @extend_schema(parameters=[BY_CODE], responses=DELETED)
    def delete(self, request: Request, pk: str) -> Response:
        product = self.row(pk)
        with api_field_names(API_NAMES):
            service.delete_product(self.actor, product)
        return Response("ok")
