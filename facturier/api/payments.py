"""`/banking/payments.json` and `/banking/payments/{id}.json` (also `/banking/payment/{id}.json`), over
the payments service (api.md, sections 4 and 6, `banking_payment`).

A payment settles the documents named by `invoice_id` or `invoice_ids`, in the order given, each up to
what it still owes (billing.services.payments.record_payment); more than the documents owe is refused
(422), as on the pages. Without a document (the README's "minimal JSON", `"invoice_id": null`) it is
recorded unallocated, for `client_id` when given. PUT and PATCH change a payment through
billing.services.payments.update_payment (refused under the lock date, and for what an accounting
export carried when the account protects exported documents).

Fields: `name` is the payment's reference, `description` its notes, `price` its amount, `paid_date` its
date (a timestamp at midnight in the account's time zone, as the public API shows it), `payment_type`
its method.
"""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
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
from facturier.api.views import AccountView, ordering, paginate
from facturier.billing import queries
from facturier.billing.models import Client, Document, Payment, PaymentAllocation, PaymentMethod
from facturier.billing.services import payments as service
from facturier.tenancy.models import Account

API_NAMES = {
    "documents": "invoice_ids",
    "amount": "price",
    "date": "paid_date",
    "method": "payment_type",
    "reference": "name",
    "notes": "description",
    "currency": "currency",
    "client": "client_id",
}
REFERENCE_MAX = Payment._meta.get_field("reference").max_length or 120
TEXT_MAX = 10_000


def _date(value: Any, field: str) -> datetime.date:
    """`YYYY-MM-DD`, or a timestamp (`2026-03-20T10:00:00+01:00`) of which the date is kept."""
    if not isinstance(value, str):
        raise InputError.on(field, _("Indiquez une date au format AAAA-MM-JJ."))
    text = coercion.to_text(value, field).strip()
    try:
        if len(text) <= 10:
            return datetime.date.fromisoformat(text)
        return datetime.datetime.fromisoformat(text).date()
    except ValueError:
        raise InputError.on(field, _("Indiquez une date au format AAAA-MM-JJ.")) from None


def _method(value: Any, field: str) -> str:
    """Our payment methods by their code; the public API's other kinds (free text included) are
    "other", since the method only labels the payment."""
    text = coercion.to_text(value, field).strip().lower()
    return text if text in PaymentMethod.values else PaymentMethod.OTHER


def _reference(value: Any, field: str) -> str:
    text = coercion.to_text(value, field).strip()
    if len(text) > REFERENCE_MAX:
        raise InputError.on(
            field, _("Ce texte est trop long (%(max)s caractères au plus).") % {"max": REFERENCE_MAX}
        )
    return text


def _notes(value: Any, field: str) -> str:
    text = coercion.to_text(value, field)
    if len(text) > TEXT_MAX:
        raise InputError.on(
            field, _("Ce texte est trop long (%(max)s caractères au plus).") % {"max": TEXT_MAX}
        )
    return text


def _currency(value: Any, field: str) -> str:
    text = coercion.to_text(value, field).strip().upper()
    if len(text) != 3:
        raise InputError.on(field, _("Indiquez un code de devise à trois lettres (EUR)."))
    return text


def _invoice_ids(value: Any, field: str) -> list[int]:
    if isinstance(value, list):
        return coercion.to_ids(value, field)
    return coercion.to_ids([value], field)


FIELDS = [
    Field("name", "reference", _reference),
    Field("description", "notes", _notes),
    Field("price", "amount", coercion.to_decimal),
    Field("paid_date", "date", _date),
    Field("payment_type", "method", _method),
    Field("currency", "currency", _currency),
    Field("invoice_id", "invoice_id", coercion.to_id),
    Field("invoice_ids", "invoice_ids", _invoice_ids),
    Field("client_id", "client_id", coercion.to_id),
    Field("paid", "paid", coercion.to_bool),
    Field("generate_invoice", "generate_invoice", coercion.to_bool),
]


def document_ids(values: dict[str, Any]) -> list[int] | None:
    """The documents named by `invoice_ids`, else `invoice_id`; None when neither was sent (a `null`
    is not sent), [] for `"invoice_ids": []`."""
    if "invoice_ids" in values:
        return list(values["invoice_ids"])
    if "invoice_id" in values:
        return [values["invoice_id"]]
    return None


def refuse_unsupported(values: dict[str, Any]) -> None:
    """What the public API does that Facturier does not: refused by name rather than dropped."""
    if values.get("paid") is False:
        raise InputError.on(
            "paid",
            _(
                "Facturier n'enregistre que les paiements reçus : un paiement attendu se suit par la "
                "facture et son échéance."
            ),
        )
    if values.get("generate_invoice"):
        raise InputError.on(
            "generate_invoice",
            _(
                "Facturier ne crée pas de facture depuis un paiement : créez la facture "
                "(POST /invoices.json), puis le paiement avec son invoice_id."
            ),
        )


def documents_of(account: Account, ids: list[int]) -> list[Document]:
    found = {d.pk: d for d in Document.objects.filter(account=account, pk__in=ids)}
    if any(pk not in found for pk in ids):
        raise InputError.on("invoice_ids", _("Un des documents n'existe pas dans ce compte."))
    return [found[pk] for pk in ids]


def client_of(account: Account, values: dict[str, Any]) -> Client | None:
    if "client_id" not in values:
        return None
    client = Client.objects.filter(account=account, pk=values["client_id"]).first()
    if client is None:
        raise InputError.on("client_id", _("Ce client n'existe pas dans ce compte."))
    return client


def _timestamp(day: datetime.date, account: Account) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=ZoneInfo(account.time_zone))


class PaidDocumentSerializer(serializers.Serializer[PaymentAllocation]):
    """A document the payment settles, with the part of the payment applied to it."""

    id = serializers.IntegerField(source="document.id")
    number = serializers.CharField(source="document.number")
    kind = serializers.CharField(source="document.kind")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class PaymentSerializer(serializers.Serializer[Payment]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="reference")
    description = serializers.CharField(source="notes")
    price = serializers.DecimalField(source="amount", max_digits=16, decimal_places=2)
    currency = serializers.CharField()
    paid_date = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    payment_type = serializers.CharField(source="method")
    client_id = serializers.IntegerField(allow_null=True)
    invoice_id = serializers.SerializerMethodField()
    invoice_ids = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def __init__(self, *args: Any, include_invoices: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if include_invoices:
            self.fields["invoices"] = serializers.SerializerMethodField()

    def _allocations(self, payment: Payment) -> list[PaymentAllocation]:
        return sorted(payment.allocations.all(), key=lambda a: a.pk)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_paid_date(self, payment: Payment) -> str:
        return _timestamp(payment.date, payment.account).isoformat()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_paid(self, payment: Payment) -> bool:
        return True  # a payment recorded here is money received

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_invoice_id(self, payment: Payment) -> int | None:
        allocations = self._allocations(payment)
        return allocations[0].document_id if allocations else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_invoice_ids(self, payment: Payment) -> list[int]:
        return [a.document_id for a in self._allocations(payment)]

    @extend_schema_field(PaidDocumentSerializer(many=True))
    def get_invoices(self, payment: Payment) -> Any:
        # djangorestframework-stubs types the instance as one row even with many=True, which takes a list.
        return PaidDocumentSerializer(self._allocations(payment), many=True).data  # type: ignore[arg-type]


def with_allocations(rows: QuerySet[Payment]) -> QuerySet[Payment]:
    """Payments with their account and what they settle: a constant number of queries per page."""
    allocations = PaymentAllocation.objects.select_related("document").only(
        "id", "payment_id", "document_id", "amount", "document__id", "document__number", "document__kind"
    )
    return rows.select_related("account").prefetch_related(Prefetch("allocations", queryset=allocations))


PERIODS = (
    "all",
    "this_month",
    "last_month",
    "last_30_days",
    "last_12_months",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "more",
)


def period(params: Any, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """The payment dates `period` names (`last_12_months` by default, as the public API's lists do);
    `date_from` / `date_to` alone mean `period=more`."""
    name = coercion.to_text(params.get("period", ""), "period").strip()
    if not name:
        name = "more" if params.get("date_from") or params.get("date_to") else "last_12_months"
    if name not in PERIODS:
        raise InputError.on(
            "period", _("Période inconnue : choisissez parmi %(p)s.") % {"p": ", ".join(PERIODS)}
        )
    if name == "all":
        return None, None
    if name == "last_30_days":
        return today - datetime.timedelta(days=29), today
    if name == "last_12_months":
        return today - datetime.timedelta(days=365), today
    if name == "more":
        bounds = [params.get(key) for key in ("date_from", "date_to")]
        date_from, date_to = (
            _date(v, k) if v else None for v, k in zip(bounds, ("date_from", "date_to"), strict=True)
        )
        return date_from, date_to
    return queries.period_bounds(name, today)


ORDERS = {
    "id": "pk",
    "paid_date": "date",
    "price": "amount",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def filtered(account: Account, params: Any) -> QuerySet[Payment]:
    date_from, date_to = period(params, account.today())
    rows = Payment.objects.filter(account=account)
    if date_from:
        rows = rows.filter(date__gte=date_from)
    if date_to:
        rows = rows.filter(date__lte=date_to)
    if params.get("client_id", "").strip():
        rows = rows.filter(client_id=coercion.to_id(params["client_id"], "client_id"))
    if params.get("invoice_id", "").strip():
        rows = rows.filter(allocations__document_id=coercion.to_id(params["invoice_id"], "invoice_id"))
    return rows.order_by(*ordering(params, ORDERS))


def includes_invoices(request: Request) -> bool:
    include = request.query_params.get("include", "")
    return "invoices" in [part.strip() for part in include.split(",")]


REQUEST = request_body("Payment", "banking_payment", FIELDS)
LIST_PARAMETERS = [
    OpenApiParameter(
        "period", str, enum=list(PERIODS), description="last_12_months by default (payment date)."
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="With period=more."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="With period=more."),
    OpenApiParameter("client_id", int),
    OpenApiParameter("invoice_id", int, description="The payments that settle this document."),
    OpenApiParameter("include", str, enum=["invoices"], description="invoices: add the documents settled."),
    order_parameter(list(ORDERS)),
    *PAGINATION,
]


class PaymentList(AccountView):
    """The account's payments received: list and record."""

    @extend_schema(parameters=LIST_PARAMETERS, responses=responses(PaymentSerializer, many=True))
    def get(self, request: Request) -> Response:
        self.require("payments.view")
        page = paginate(with_allocations(filtered(self.account, request.query_params)), request.query_params)
        return Response(PaymentSerializer(page, many=True, include_invoices=includes_invoices(request)).data)

    @extend_schema(request=REQUEST, responses=responses(PaymentSerializer, 201))
    def post(self, request: Request) -> Response:
        self.require("payments.create")
        values = coercion.read(self.body("banking_payment"), FIELDS)
        refuse_unsupported(values)
        if "amount" not in values:
            raise InputError.on("price", _("Indiquez le montant du paiement."))
        documents = documents_of(self.account, document_ids(values) or [])
        client = client_of(self.account, values)
        with api_field_names(API_NAMES):
            payment = service.record_payment(
                self.actor,
                self.account,
                date=values.get("date") or self.account.today(),
                amount=values["amount"],
                method=values.get("method", PaymentMethod.TRANSFER),
                reference=values.get("reference", ""),
                notes=values.get("notes", ""),
                documents=documents,
                currency=values.get("currency") or (documents[0].currency if documents else "EUR"),
                client=client,
                unallocated=not documents,
            )
        payment = with_allocations(Payment.objects.filter(pk=payment.pk)).get()
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentDetail(AccountView):
    """One payment: show, change, delete."""

    def row(self, pk: int) -> Payment:
        return self.get_row(with_allocations(Payment.objects.all()), pk)

    @extend_schema(
        parameters=[OpenApiParameter("include", str, enum=["invoices"])],
        responses=responses(PaymentSerializer),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.require("payments.view")
        return Response(PaymentSerializer(self.row(pk), include_invoices=includes_invoices(request)).data)

    @extend_schema(request=REQUEST, responses=responses(PaymentSerializer))
    def put(self, request: Request, pk: int) -> Response:
        payment = self.row(pk)
        self.require("payments.edit")
        values = coercion.read(self.body("banking_payment"), FIELDS)
        refuse_unsupported(values)
        ids = document_ids(values)
        with api_field_names(API_NAMES):
            service.update_payment(
                self.actor,
                payment,
                date=values.get("date"),
                amount=values.get("amount"),
                method=values.get("method"),
                reference=values.get("reference"),
                notes=values.get("notes"),
                currency=values.get("currency"),
                documents=None if ids is None else documents_of(self.account, ids),
                client=client_of(self.account, values),
            )
        payment = self.row(pk)
        return Response(PaymentSerializer(payment).data)

    patch = put

    @extend_schema(responses=DELETED)
    def delete(self, request: Request, pk: int) -> Response:
        payment = self.row(pk)
        self.require("payments.delete")
        with api_field_names(API_NAMES):
            service.delete_payment(self.actor, payment)
        return Response("ok")
