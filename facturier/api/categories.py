"""`/categories.json` and `/categories/{id}.json`: the account's expense categories
(purchases.ExpenseCategory), each with the expense account it posts to as `accounting_id`.

Writes go through the categories services of purchases (create, update, delete); the permissions are
those of expenses (Dépenses: Créer, Modifier, Supprimer). `accounting_id` must be an expense account
(class 6) or a fixed-asset account (class 2), as the FEC export requires; a category created without one
posts to 6288 (the "Autres" default category's account), since the public API's clients send only a
name. `description` is not kept. A category that expenses use cannot be deleted (422).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from facturier.api import coercion
from facturier.api.coercion import Field
from facturier.api.errors import InputError, api_field_names
from facturier.api.schema import DELETED, PAGINATION, order_parameter, request_body, responses
from facturier.api.views import AccountView, ordering, paginate
from facturier.purchases import services
from facturier.purchases.models import DEFAULT_CATEGORIES, ExpenseCategory

DEFAULT_ACCOUNT = dict(DEFAULT_CATEGORIES)["Autres"]
API_NAMES = {"accounting_code": "accounting_id"}
FIELDS = [Field("name", "name"), Field("accounting_id", "accounting_code")]


class CategorySerializer(serializers.Serializer[ExpenseCategory]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(default="")
    accounting_id = serializers.CharField(source="accounting_code")


ORDERS = {"id": "pk", "name": "name"}
REQUEST = request_body("Category", "category", FIELDS)


class CategoryList(AccountView):
    """The account's expense categories: list and create."""

    @extend_schema(
        parameters=[OpenApiParameter("ids", str), order_parameter(list(ORDERS)), *PAGINATION],
        responses=responses(CategorySerializer, many=True),
    )
    def get(self, request: Request) -> Response:
        self.require("purchases.view")
        params = request.query_params
        rows = ExpenseCategory.objects.filter(account=self.account)
        ids = coercion.to_ids([*params.getlist("ids"), *params.getlist("ids[]")], "ids")
        if ids:
            rows = rows.filter(pk__in=ids)
        page = paginate(rows.order_by(*ordering(params, ORDERS)), params)
        # djangorestframework-stubs types the instance as one row even with many=True, which takes a list.
        return Response(CategorySerializer(page, many=True).data)  # type: ignore[arg-type]

    @extend_schema(request=REQUEST, responses=responses(CategorySerializer, 201))
    def post(self, request: Request) -> Response:
        self.require("purchases.create")
        values = coercion.read(self.body("category"), FIELDS)
        if not values.get("name", "").strip():
            raise InputError.on("name", _("Donnez un nom à la catégorie."))
        values.setdefault("accounting_code", DEFAULT_ACCOUNT)
        with api_field_names(API_NAMES):
            category = services.create_category(self.actor, self.account, **values)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetail(AccountView):
    """One expense category: show, update, delete."""

    @extend_schema(responses=responses(CategorySerializer))
    def get(self, request: Request, pk: int) -> Response:
        self.require("purchases.view")
        return Response(CategorySerializer(self.get_row(ExpenseCategory, pk)).data)

    @extend_schema(request=REQUEST, responses=responses(CategorySerializer))
    def put(self, request: Request, pk: int) -> Response:
        category = self.get_row(ExpenseCategory, pk)
        self.require("purchases.edit")
        values = coercion.read(self.body("category"), FIELDS)
        with api_field_names(API_NAMES):
            category = services.update_category(self.actor, category, **values)
        return Response(CategorySerializer(category).data)

    patch = put

    @extend_schema(responses=DELETED)
    def delete(self, request: Request, pk: int) -> Response:
        category = self.get_row(ExpenseCategory, pk)
        self.require("purchases.delete")
        services.delete_category(self.actor, category)
        return Response("ok")
