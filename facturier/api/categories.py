"""`/categories.json` and `/categories/{id}.json`, read-only for now: the account's expense categories
(purchases.ExpenseCategory), each with the expense account (6xx) it posts to as `accounting_id`.

Writes wait for a categories service in purchases (there is none yet: categories are seeded by
`ensure_default_categories`); until then POST, PUT and DELETE answer 405.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from facturier.api import coercion
from facturier.api.schema import PAGINATION, order_parameter, responses
from facturier.api.views import AccountView, ordering, paginate
from facturier.purchases.models import ExpenseCategory


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(default="")
    accounting_id = serializers.CharField(source="accounting_code")


ORDERS = {"id": "pk", "name": "name"}


class CategoryList(AccountView):
    """The account's expense categories."""

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
        return Response(CategorySerializer(page, many=True).data)


class CategoryDetail(AccountView):
    """One expense category."""

    @extend_schema(responses=responses(CategorySerializer))
    def get(self, request: Request, pk: int) -> Response:
        self.require("purchases.view")
        return Response(CategorySerializer(self.get_row(ExpenseCategory, pk)).data)
