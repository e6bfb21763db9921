"""`/webhooks.json` and `/webhooks/{id}.json` (api.md, section 4), over the webhooks service.

The public API's fields: `kind` (client:create ... product:destroy), `url`, `api_token` (sent to your
endpoint in each payload) and `active`. We add `secret`, read-only: the key of the X-Facturier-Signature
header. Every call needs the permission of the settings page (settings.manage): the list shows tokens.
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from facturier.api import coercion
from facturier.api.coercion import Field
from facturier.api.errors import InputError
from facturier.api.schema import DELETED, PAGINATION, request_body, responses
from facturier.api.views import AccountView, paginate
from facturier.webhooks import services
from facturier.webhooks.models import Kind, Webhook

FIELDS = [
    Field("kind", "kind"),
    Field("url", "url"),
    Field("api_token", "api_token"),
    Field("active", "active", coercion.to_bool),
]


class WebhookSerializer(serializers.Serializer[Webhook]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.values)
    url = serializers.CharField()
    api_token = serializers.CharField()
    active = serializers.BooleanField()
    secret = serializers.CharField(help_text="Key of the HMAC-SHA256 X-Facturier-Signature header.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _values(view: AccountView) -> dict[str, Any]:
    values = coercion.read(view.body("webhook"), FIELDS)
    if "kind" in values:
        values["kind"] = values["kind"].strip()
    return values


REQUEST = request_body("Webhook", "webhook", FIELDS)


class WebhookList(AccountView):
    """The account's webhooks: list and create."""

    @extend_schema(parameters=PAGINATION, responses=responses(WebhookSerializer, many=True))
    def get(self, request: Request) -> Response:
        self.require(services.PERMISSION)
        rows = Webhook.objects.filter(account=self.account).order_by("pk")
        # djangorestframework-stubs types the instance as one row even with many=True, which takes a list.
        return Response(WebhookSerializer(paginate(rows, request.query_params), many=True).data)  # type: ignore[arg-type]

    @extend_schema(request=REQUEST, responses=responses(WebhookSerializer, 201))
    def post(self, request: Request) -> Response:
        self.require(services.PERMISSION)
        values = _values(self)
        missing = {name: [_("Ce champ est obligatoire.")] for name in ("kind", "url") if not values.get(name)}
        if missing:
            raise InputError(missing)
        webhook = services.create_webhook(self.actor, self.account, **values)
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetail(AccountView):
    """One webhook: show, update, delete."""

    @extend_schema(responses=responses(WebhookSerializer))
    def get(self, request: Request, pk: int) -> Response:
        self.require(services.PERMISSION)
        return Response(WebhookSerializer(self.get_row(Webhook, pk)).data)

    @extend_schema(request=REQUEST, responses=responses(WebhookSerializer))
    def put(self, request: Request, pk: int) -> Response:
        webhook = self.get_row(Webhook.objects.select_related("account"), pk)
        self.require(services.PERMISSION)
        webhook = services.update_webhook(self.actor, webhook, **_values(self))
        return Response(WebhookSerializer(webhook).data)

    patch = put

    @extend_schema(responses=DELETED)
    def delete(self, request: Request, pk: int) -> Response:
        webhook = self.get_row(Webhook.objects.select_related("account"), pk)
        self.require(services.PERMISSION)
        services.delete_webhook(self.actor, webhook)
        return Response("ok")
