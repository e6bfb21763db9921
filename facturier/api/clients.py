"""`/clients.json` and `/clients/{id}.json` (api.md, sections 4 and 6), over the clients service.

Field names are the public API's: `company` is our `is_company`, `tax_no` one of SIREN, SIRET or VAT
number (told apart by their shape), `note` our `notes`, `payment_to_kind` the default payment terms in
days, `accounting_id` the auxiliary account, `kind` "seller" our supplier, and `disabled` archived.
"""

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
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
from facturier.api.views import AccountView, list_param, ordering, paginate, text_param
from facturier.billing import client_queries
from facturier.billing.models import Client
from facturier.billing.services import clients as service
from facturier.tenancy.access import Actor

KIND_TO_API: dict[str, str] = {
    Client.Kind.BUYER: "buyer",
    Client.Kind.SUPPLIER: "seller",
    Client.Kind.BOTH: "both",
}
KIND_FROM_API = {
    "buyer": Client.Kind.BUYER,
    "seller": Client.Kind.SUPPLIER,
    "supplier": Client.Kind.SUPPLIER,
    "both": Client.Kind.BOTH,
}

# The service's field names, as the API names them in its 422 bodies.
API_NAMES = {
    "is_company": "company",
    "siren": "tax_no",
    "siret": "tax_no",
    "vat_number": "tax_no",
    "notes": "note",
    "payment_terms_days": "payment_to_kind",
    "accounting_code": "accounting_id",
}


def _kind(value: Any, field: str) -> str:
    kind = KIND_FROM_API.get(coercion.to_text(value, field).strip().lower())
    if kind is None:
        raise InputError.on(field, _("Type inconnu : choisissez buyer, seller ou both."))
    return kind


FIELDS = [
    Field("name", "name"),
    Field("first_name", "first_name"),
    Field("last_name", "last_name"),
    Field("company", "is_company", coercion.to_bool),
    Field("kind", "kind", _kind),
    Field("tax_no", "tax_no"),
    Field("street", "street"),
    Field("post_code", "post_code"),
    Field("city", "city"),
    Field("country", "country", coercion.to_code),
    Field("email", "email"),
    Field("phone", "phone"),
    Field("mobile_phone", "mobile_phone"),
    Field("www", "www"),
    Field("shortcut", "shortcut"),
    Field("external_id", "external_id"),
    Field("bank", "bank"),
    Field("bank_account", "bank_account"),
    Field("note", "notes"),
    Field("payment_to_kind", "payment_terms_days", coercion.to_int),
    Field("accounting_id", "accounting_code"),
    # Facturier's own: what e-invoices to this client carry (BT-10, BT-89; docs/einvoicing.md).
    Field("invoice_reference", "invoice_reference"),
    Field("sepa_mandate", "sepa_mandate"),
    Field("disabled", "disabled", coercion.to_bool),
]


def tax_identity(tax_no: str) -> dict[str, str]:
    """The service field a `tax_no` fills: 9 digits a SIREN, 14 a SIRET, anything else a VAT number."""
    compact = "".join(tax_no.split())
    if compact.isdigit() and len(compact) == 9:
        return {"siren": compact}
    if compact.isdigit() and len(compact) == 14:
        return {"siret": compact}
    return {"vat_number": compact}


def service_fields(data: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], bool | None]:
    """The service's keyword arguments, and whether to archive (True), restore (False) or neither."""
    values = coercion.read(data, FIELDS)
    disabled = values.pop("disabled", None)  # archiving is its own service call
    tax_no = values.pop("tax_no", None)
    if tax_no:
        values |= tax_identity(tax_no)
    if creating and "is_company" not in values and not values.get("name"):
        # A person sent by first and last name only (the public API's `company` defaults to true).
        values["is_company"] = not (values.get("first_name") or values.get("last_name"))
    return values, disabled


def set_archived(actor: Actor, client: Client, disabled: bool | None) -> Client:
    if disabled is True:
        return service.archive_client(actor, client)
    if disabled is False:
        return service.restore_client(actor, client)
    return client


class ClientSerializer(serializers.Serializer[Client]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    company = serializers.BooleanField(source="is_company")
    kind = serializers.SerializerMethodField()
    tax_no = serializers.SerializerMethodField()
    street = serializers.CharField()
    post_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    mobile_phone = serializers.CharField()
    www = serializers.CharField()
    shortcut = serializers.CharField()
    external_id = serializers.CharField()
    bank = serializers.CharField()
    bank_account = serializers.CharField()
    note = serializers.CharField(source="notes")
    payment_to_kind = serializers.IntegerField(source="payment_terms_days")
    accounting_id = serializers.CharField(source="accounting_code")
    invoice_reference = serializers.CharField()
    sepa_mandate = serializers.CharField()
    disabled = serializers.BooleanField(source="is_archived")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_kind(self, client: Client) -> str:
        return KIND_TO_API.get(client.kind, client.kind)

    @extend_schema_field(OpenApiTypes.STR)
    def get_tax_no(self, client: Client) -> str:
        return client.vat_number or client.siret or client.siren


ORDERS = {"id": "pk", "name": "name", "created_at": "created_at", "updated_at": "updated_at"}


def filtered(rows: QuerySet[Client], request: Request) -> QuerySet[Client]:
    """The list filters of the public API: name, email, shortcut, tax_no, external_id, order."""
    params = request.query_params
    name = text_param(params, "name")
    if name:
        rows = rows.filter(name__icontains=name)
    shortcut = text_param(params, "shortcut")
    if shortcut:
        rows = rows.filter(shortcut__icontains=shortcut)
    email = text_param(params, "email")
    if email:
        rows = rows.filter(email__icontains=email)
    tax_no = "".join(text_param(params, "tax_no").split())
    if tax_no:
        rows = rows.filter(Q(vat_number__icontains=tax_no) | Q(siren=tax_no) | Q(siret=tax_no))
    external_id = text_param(params, "external_id").strip()
    if external_id:
        # Exact: a sync that looks up code 100 must not get client 1000.
        rows = rows.filter(external_id=external_id)
    return rows.order_by(*ordering(params, ORDERS))


REQUEST = request_body("Client", "client", FIELDS)
LIST_PARAMETERS = [
    OpenApiParameter("name", str, description="Part of the name."),
    OpenApiParameter("shortcut", str, description="Part of the short name."),
    OpenApiParameter("email", str, description="Part of the email address."),
    OpenApiParameter("tax_no", str, description="SIREN, SIRET or VAT number."),
    OpenApiParameter("external_id", str, description="The client's code in another system (exact)."),
    order_parameter(list(ORDERS)),
    *PAGINATION,
]


class ClientList(AccountView):
    """The account's clients (archived ones included): list and create."""

    @extend_schema(parameters=LIST_PARAMETERS, responses=responses(ClientSerializer, many=True))
    def get(self, request: Request) -> Response:
        self.require("clients.view")
        rows = client_queries.clients(self.account, client_queries.ClientFilters(archived=client_queries.ALL))
        page = paginate(filtered(rows, request), request.query_params)
        # djangorestframework-stubs types the instance as one row even with many=True, which takes a list.
        return Response(ClientSerializer(page, many=True).data)  # type: ignore[arg-type]

    @extend_schema(request=REQUEST, responses=responses(ClientSerializer, 201))
    def post(self, request: Request) -> Response:
        self.require("clients.create")
        fields, disabled = service_fields(self.body("client"), creating=True)
        with api_field_names(API_NAMES), transaction.atomic():
            client = service.create_client(self.actor, self.account, **fields)
            client = set_archived(self.actor, client, disabled or None)
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetail(AccountView):
    """One client: show, update, delete."""

    @extend_schema(responses=responses(ClientSerializer))
    def get(self, request: Request, pk: int) -> Response:
        self.require("clients.view")
        return Response(ClientSerializer(self.get_row(Client, pk)).data)

    @extend_schema(request=REQUEST, responses=responses(ClientSerializer))
    def put(self, request: Request, pk: int) -> Response:
        client = self.get_row(Client, pk)
        self.require("clients.edit")
        fields, disabled = service_fields(self.body("client"), creating=False)
        with api_field_names(API_NAMES), transaction.atomic():
            client = service.update_client(self.actor, client, **fields)
            client = set_archived(self.actor, client, disabled)
        return Response(ClientSerializer(client).data)

    patch = put

    @extend_schema(responses=DELETED)
    def delete(self, request: Request, pk: int) -> Response:
        client = self.get_row(Client, pk)
        with api_field_names(API_NAMES):
            service.delete_client(self.actor, client)
        return Response("ok")


class ClientMerge(AccountView):
    """Merge duplicates into the client of the path (the public API's `merge_ids`, kept in order)."""

    @extend_schema(
        request={"application/json": {"type": "object", "properties": {"merge_ids": {"type": "array"}}}},
        responses=responses(ClientSerializer),
    )
    def post(self, request: Request, pk: int) -> Response:
        kept = self.get_row(Client, pk)
        self.require("clients.edit")
        data = request.data
        if isinstance(data, QueryDict):  # a form body: the list forms of the query
            raw: Any = list_param(data, "merge_ids")
        else:
            raw = data.get("merge_ids") if isinstance(data, dict) else None
        if raw in (None, [], ""):
            raw = list_param(request.query_params, "merge_ids")
        ids = coercion.to_ids(raw if isinstance(raw, list) else [raw], "merge_ids")
        found = {c.pk: c for c in Client.objects.filter(account=self.account, pk__in=ids)}
        if any(pk not in found for pk in ids):
            raise InputError.on("merge_ids", _("Un des clients n'existe pas dans ce compte."))
        with api_field_names(API_NAMES):
            kept = service.merge_clients(self.actor, kept, [found[pk] for pk in dict.fromkeys(ids)])
        return Response(ClientSerializer(kept).data)
