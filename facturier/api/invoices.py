"""`/invoices.json`, `/invoices/{id}.json`, `.pdf` and the invoice actions (api.md, sections 3 to 5),
over the documents, payments and sending services.

A document created here is issued at once (numbered), unless it is sent with `"status": "draft"` or the
account keeps the API's documents as drafts (BillingSettings.api_documents_as_drafts). A
draft is fully editable; an issued document only in what the law lets change (notes, emails, payment
details, status): a change to its legal content gets a 422 saying to issue a credit note. Setting the
status `paid` records a payment of what remains. Cancelling an issued invoice issues a total credit note.
"""

import datetime
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from facturier.api import coercion, expenses, invoice_fields, invoice_modes
from facturier.api import invoice_input as read
from facturier.api.errors import InputError, api_field_names
from facturier.api.invoice_output import SHAPE_ORDERS, InvoiceSerializer, with_output_data
from facturier.api.periods import PERIODS, period_range
from facturier.api.schema import (
    DELETED,
    ERRORS,
    PAGINATION,
    ApiAutoSchema,
    ErrorSerializer,
    order_parameter,
    request_body,
    responses,
    schema_fields,
)
from facturier.api.views import AccountView, list_param, ordering, paginate, text_param
from facturier.billing import issued, pdf
from facturier.billing.models import BillingSettings, Client, Document, Kind, PaymentAllocation, Status
from facturier.billing.services import documents as service
from facturier.billing.services import payments, sending
from facturier.billing.services.clients import split_emails
from facturier.billing.services.documents import CREDITABLE_KINDS, DocumentInput, IssuedDocumentError
from facturier.einvoice import policy as einvoice_policy
from facturier.einvoice import ubl as einvoice_ubl
from facturier.purchases import services as purchases
from facturier.purchases.models import Expense
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

# --- List ------------------------------------------------------------------------------------------

DATE_COLUMNS = {
    "issue_date": "issue_date",
    "sell_date": "sell_date",
    "transaction_date": "sell_date",
    "payment_to": "due_date",
    "paid_date": "paid_date",
}
ORDERS = {
    "id": "pk",
    "number": "number",  # listed second in the schema, as the public API documents it
    **SHAPE_ORDERS,
    "buyer_name": "buyer_name",
    "buyer_tax_no": "buyer_vat_number",
    "oid": "buyer_reference",
}


def _in_period(rows: QuerySet[Document], params: QueryDict, account: Account) -> QuerySet[Document]:
    date_from, date_to = period_range(params, account)
    if date_from is None and date_to is None:
        return rows
    column = DATE_COLUMNS.get(text_param(params, "search_date_type") or "issue_date")
    if column is None:
        raise InputError.on("search_date_type", _("Type de date inconnu."))
    if column == "paid_date":
        paid = PaymentAllocation.objects.filter(document=OuterRef("pk"))
        if date_from:
            paid = paid.filter(payment__date__gte=date_from)
        if date_to:
            paid = paid.filter(payment__date__lte=date_to)
        return rows.filter(Exists(paid))
    if date_from:
        rows = rows.filter(**{f"{column}__gte": date_from})
    if date_to:
        rows = rows.filter(**{f"{column}__lte": date_to})
    return rows


def filtered(rows: QuerySet[Document], params: QueryDict, account: Account) -> QuerySet[Document]:
    """The list filters of the public API (api.md, section 3)."""
    rows = _in_period(rows, params, account)
    kinds = [*list_param(params, "kinds"), *params.getlist("kind")]
    kinds = [kind.strip() for value in kinds for kind in value.split(",") if kind.strip()]
    if kinds:
        # Kinds we do not have (the public API's kp, kw...) have no documents here.
        rows = rows.filter(kind__in=[kind for kind in kinds if kind in Kind.values])
    number = text_param(params, "number")
    if number:
        rows = rows.filter(number=number)
    ids = coercion.to_ids(list_param(params, "invoice_ids"), "invoice_ids")
    if ids:
        rows = rows.filter(pk__in=ids)
    for name, lookup in (("client_id", "client_id"), ("from_invoice_id", "source_document_id")):
        value = text_param(params, name)
        if value:
            rows = rows.filter(**{lookup: coercion.to_id(value, name)})
    linked = text_param(params, "invoice_id")
    if linked:
        pk = coercion.to_id(linked, "invoice_id")
        rows = rows.filter(Q(corrected_document_id=pk) | Q(deducted_in_id=pk) | Q(source_document_id=pk))
    state = text_param(params, "status")
    if state:
        rows = rows.filter(status=state)
    return rows.order_by(*ordering(params, ORDERS))


def _positions_wanted(params: QueryDict) -> bool:
    value = text_param(params, "include_positions")
    return bool(value) and coercion.to_bool(value, "include_positions")


# --- Reading the body ------------------------------------------------------------------------------


def _invoice_body(view: AccountView) -> dict[str, Any]:
    data = view.body("invoice")
    if not expenses.wants_expenses(data.get("income", view.request.query_params.get("income"))):
        data = invoice_fields.with_additional_fields(data)  # VF sends some fields there
    elif isinstance(extra := data.get("additional_fields"), Mapping):
        data = {**extra, **data}
    return data


def _status(data: Mapping[str, Any]) -> str | None:
    value = data.get("status")
    return None if coercion.is_absent(value) else coercion.to_text(value, "status").strip().lower()


def _due_date(values: dict[str, Any], issue_date: datetime.date) -> datetime.date | None:
    terms = values.pop("payment_terms", None)
    if "due_date" in values:
        due_date: datetime.date | None = values.pop("due_date")
        return due_date
    return issue_date + datetime.timedelta(days=terms) if terms is not None else None


def _oss_request(request: Request) -> read.OssRequest:
    """`identify_oss` and `force_tax_oss` (or `oss_force_tax`), beside `invoice` as the README shows them,
    or inside it, or in the query."""
    identify = _param(request, "identify_oss")
    force = _param(request, "force_tax_oss", "oss_force_tax")
    return read.OssRequest(
        identify=identify is not None and coercion.to_bool(identify, "identify_oss"),
        force=force is not None and coercion.to_bool(force, "force_tax_oss"),
    )


def _oss_decided(view: AccountView, document: DocumentInput, *, changed: bool) -> DocumentInput:
    """The document with OSS applied (read.with_oss), reading the buyer only when OSS is in question."""
    request = _oss_request(view.request)
    if not (document.oss or changed or request.identify or request.force):
        return document
    client = view.get_row(Client, document.client_id)
    return read.with_oss(document, client, request)


def _drafts_option(account: Account) -> bool:
    """BillingSettings.api_documents_as_drafts, read with the account by the authentication (auth.py)."""
    try:
        return account.billing_settings.api_documents_as_drafts
    except BillingSettings.DoesNotExist:
        return False  # the account's settings were never saved: the default


def _one_service_call(data: Mapping[str, Any], wanted: str) -> bool:
    """Whether a create writes nothing but the document (create_document, one transaction of its own):
    an ordinary create, draft or issued, for a client named by `client_id`. Otherwise it may also
    create the buyer's card or change it (buyer_override), make a special document, or record a
    payment, all of which must commit or roll back with the document."""
    return (
        wanted in (Status.DRAFT, Status.ISSUED)
        and not coercion.is_absent(data.get("client_id"))
        and not invoice_fields.buyer_override(data)
        and not invoice_modes.is_special(data)
    )


def _new_input(view: AccountView, data: dict[str, Any]) -> DocumentInput:
    """The DocumentInput of a create (creating the buyer as a client when no client matches)."""
    values = coercion.read(data, read.FIELDS)
    currency = values.get("currency", invoice_fields.ACCOUNT_CURRENCY)
    invoice_fields.exchange_rate_checked(data, currency, "exchange_rate" in values)
    buyer = read.read_buyer(data)
    positions = [read.read_position(entry) for entry in read.positions_of(data) or []]
    products = read.products_of(view.account, positions)
    gross = read.gross_strategy(data)
    if gross is None:
        gross = read.gross_mode(positions, products)
    reverse_charge = bool(values.get("reverse_charge"))
    lines = [
        read.line_input(position, products, gross, reverse_charge=reverse_charge, currency=currency)
        for position in positions
    ]
    issue_date = values.pop("issue_date", view.account.today())
    due_date = _due_date(values, issue_date)
    client_id = read.find_or_create_client(view.actor, view.account, buyer)
    if invoice_fields.buyer_override(data):
        invoice_fields.override_buyer(view.actor, view.get_row(Client, client_id), buyer)
    document = DocumentInput(
        client_id=client_id,
        issue_date=issue_date,
        due_date=due_date,
        lines=lines,
        prices_are_gross=gross,
        **{"kind": Kind.INVOICE, **values},
    )
    return _oss_decided(view, document, changed=False)


def _draft_input(view: AccountView, document: Document, data: dict[str, Any]) -> DocumentInput:
    """A draft's content with the body's changes: fields replaced, positions edited (`id`), removed
    (`_destroy`) or appended (no `id`)."""
    current = read.stored_input(document)
    _check_same_strategy(data, document)
    values = coercion.read(data, read.FIELDS)
    currency = values.get("currency", current.currency)
    invoice_fields.exchange_rate_checked(
        data, currency, "exchange_rate" in values or currency == current.currency
    )
    buyer = read.read_buyer(data)
    issue_date = values.pop("issue_date", current.issue_date)
    due_date = _due_date(values, issue_date)
    if due_date is None and current.due_date is not None:
        due_date = issue_date + (current.due_date - current.issue_date)  # the same terms
    reverse_charge = bool(values.get("reverse_charge", current.reverse_charge))
    lines = current.lines
    entries = read.positions_of(data)
    if entries is not None:
        by_id = dict(zip([line.pk for line in document.lines.order_by("position", "id")], lines, strict=True))
        parsed = [(read.position_id(entry), read.is_destroyed(entry), entry) for entry in entries]
        positions = [read.read_position(entry) for _id, destroyed, entry in parsed if not destroyed]
        products = read.products_of(view.account, positions)
        for pk, _destroyed, _entry in parsed:
            if pk is not None and pk not in by_id:
                raise InputError.on(
                    "positions", _("La position %(id)s n'est pas sur ce document.") % {"id": pk}
                )
        appended = []
        values_of = iter(positions)
        for pk, destroyed, _entry in parsed:
            if destroyed:
                if pk is not None:
                    by_id.pop(pk, None)
                continue
            position = next(values_of)
            if pk is None:
                appended.append(
                    read.line_input(
                        position,
                        products,
                        current.prices_are_gross,
                        reverse_charge=reverse_charge,
                        currency=currency,
                    )
                )
            else:
                by_id[pk] = read.line_input(
                    position,
                    products,
                    current.prices_are_gross,
                    base=by_id[pk],
                    reverse_charge=reverse_charge,
                    currency=currency,
                )
        lines = [*by_id.values(), *appended]
    if reverse_charge:
        lines = [read.reverse_charged(line) for line in lines]
    client_id = (
        read.find_or_create_client(view.actor, view.account, buyer) if buyer.given else current.client_id
    )
    if buyer.given and invoice_fields.buyer_override(data):
        invoice_fields.override_buyer(view.actor, view.get_row(Client, client_id), buyer)
    edited = replace(
        current, **values, client_id=client_id, issue_date=issue_date, due_date=due_date, lines=lines
    )
    return _oss_decided(view, edited, changed=current.oss or "oss" in values)


def _check_same_strategy(data: Mapping[str, Any], document: Document) -> None:
    """A document keeps the kind of its prices (its lines are stored in it): a `calculating_strategy`
    of the other kind is refused."""
    gross = read.gross_strategy(data)
    if gross is not None and gross != document.prices_are_gross:
        raise InputError.on(
            "calculating_strategy",
            (
                _("Les prix de ce document sont saisis TTC : invoice_form_price_kind ne peut pas changer.")
                if document.prices_are_gross
                else _(
                    "Les prix de ce document sont saisis HT : invoice_form_price_kind ne peut pas changer."
                )
            ),
        )


# Fields an issued document shows that make its legal content: sent with another value, they get a 422.
LEGAL_KEYS = [
    "kind", "number", "issue_date", "sell_date", "payment_to", "client_id", "currency",
    "exchange_currency_rate", "lang",
    "reverse_charge", "use_oss", "oid", "correction_reason", "invoice_id", "buyer_name", "buyer_company",
    "buyer_tax_no", "buyer_street", "buyer_post_code", "buyer_city", "buyer_country",
    "delivery_address_street", "delivery_address_post_code", "delivery_address_city",
    "delivery_address_country", "seller_name", "seller_tax_no", "test",
]  # fmt: skip
POSITION_KEYS = [
    "product_id", "name", "description", "quantity", "quantity_unit", "tax", "discount_percent",
    "price_net", "price_gross", "total_price_net", "total_price_gross",
]  # fmt: skip


def _same(given: Any, shown: Any) -> bool:
    """Whether a value sent equals the value shown, read loosely ("20" and 20, "5,5" and "5.5")."""
    if shown is None:
        return given in ("", None)
    try:
        if isinstance(shown, bool):
            return coercion.to_bool(given, "") == shown
        try:
            return coercion.to_decimal(given, "") == Decimal(str(shown))
        except (InputError, ArithmeticError):
            pass
        return coercion.to_text(given, "").strip().lower() == str(shown).strip().lower()
    except InputError:
        return False


def _legal_change(data: Mapping[str, Any], shown: Mapping[str, Any]) -> str | None:
    """The first field of the body that would change the legal content of an issued document."""
    for key in LEGAL_KEYS:
        if key in data and not coercion.is_absent(data[key]) and not _same(data[key], shown[key]):
            return key
    terms = data.get("payment_to_kind")
    if (
        isinstance(terms, int | str)
        and str(terms).strip().isdigit()
        and not _same(terms, shown["payment_to_kind"])
    ):
        return "payment_to_kind"
    entries = read.positions_of(data)
    if entries is None:
        return None
    lines = {line["id"]: line for line in shown["positions"]}
    for entry in entries:
        pk = read.position_id(entry)
        if pk not in lines or read.is_destroyed(entry) or not coercion.is_absent(entry.get("discount")):
            return "positions"
        for key in POSITION_KEYS:
            if key in entry and not coercion.is_absent(entry[key]) and not _same(entry[key], lines[pk][key]):
                return "positions"
    return None


def _refuse_legal_change(field: str, document: Document) -> None:
    """The 422 of a change the law forbids on an issued document, naming the call that does it instead."""
    if document.kind in CREDITABLE_KINDS:
        instead = _(
            "Pour le corriger, émettez un avoir : POST /invoices/%(id)s/cancel.json pour l'annuler en "
            'entier, ou POST /invoices.json avec "kind": "correction" et "invoice_id": %(id)s pour '
            "créditer des lignes ; puis créez le bon document."
        )
    else:
        instead = _(
            'Créez-en un nouveau à partir de celui-ci : POST /invoices.json avec "copy_invoice_from": %(id)s.'
        )
    raise IssuedDocumentError(
        _(
            "Le document %(number)s est émis : son contenu légal (lignes, montants, parties, dates) ne peut "
            "plus être modifié."
        )
        % {"number": document.number}
        + " "
        + instead % {"id": document.pk},
        field=field,
    )


# --- Status ----------------------------------------------------------------------------------------

SETTABLE_STATUSES = (Status.ISSUED, Status.SENT, Status.PAID, Status.ACCEPTED, Status.REJECTED)


def apply_status(view: AccountView, document: Document, wanted: str) -> Document:
    """Bring the document to the status asked for, through the services: issue a draft, record that it
    was sent, record a payment of what remains (paid), or the client's answer to a quote."""
    if wanted == document.status or (wanted == Status.DRAFT and document.is_draft):
        return document
    if wanted == Status.PARTIAL:
        # The official API sets the status by hand; here it follows the payments, which the books need.
        raise InputError.on(
            "status",
            _(
                "L'état « payé en partie » vient des paiements : enregistrez le paiement reçu par POST "
                '/banking/payments.json avec "invoice_id": %(id)s, et le document passe en partiel.'
            )
            % {"id": document.pk},
        )
    if wanted not in SETTABLE_STATUSES:
        raise InputError.on(
            "status",
            _("État impossible à donner : choisissez parmi %(s)s.") % {"s": ", ".join(SETTABLE_STATUSES)},
        )
    if wanted == Status.PAID and document.test:
        # A test document asks for no money: a payment would be money in the books.
        raise InputError.on(
            "status", _("Un document de test ne reçoit pas de paiement : il ne peut pas être « paid ».")
        )
    actor = view.actor
    if document.is_draft:
        document = service.issue(actor, document)
    if wanted == Status.SENT and document.status == Status.ISSUED:
        document = service.mark_sent(actor, document)
    elif wanted == Status.PAID:
        document.refresh_from_db()
        if document.remaining > 0:
            payments.pay_in_full(actor, document, date=view.account.today(), method=document.payment_method)
    elif wanted in (Status.ACCEPTED, Status.REJECTED):
        document = service.set_estimate_status(actor, document, wanted)
    elif wanted == Status.ISSUED and document.status != Status.ISSUED:
        raise ServiceError(_("Ce document est déjà émis."), field="status")
    return document


# --- Views -----------------------------------------------------------------------------------------


def _shown(view: AccountView, pk: int) -> dict[str, Any]:
    document = view.get_row(with_output_data(Document.objects.all(), positions=True), pk)
    return dict(InvoiceSerializer(document).data)


INCOME = OpenApiParameter("income", str, description="1: sales (the default); 0: expenses.")
INVOICE_FIELDS = [*read.FIELDS, *read.BUYER_FIELDS, *read.ISSUED_FIELDS, *invoice_fields.SCHEMA_FIELDS]
OSS_FLAGS = [
    coercion.Field("identify_oss", "identify", coercion.to_bool),
    coercion.Field("force_tax_oss", "force", coercion.to_bool),
    coercion.Field("oss_force_tax", "force", coercion.to_bool),
]
POSITION_INPUT = inline_serializer(
    "InvoicePositionInput",
    fields={
        **schema_fields(read.POSITION_FIELDS),
        "id": serializers.IntegerField(required=False, help_text="The line to change (update of a draft)."),
        "product_id": serializers.IntegerField(required=False),
        "_destroy": serializers.BooleanField(required=False, help_text="Remove the line `id`."),
    },
)
REQUEST = request_body(
    "Invoice",
    "invoice",
    INVOICE_FIELDS,
    beside=OSS_FLAGS,
    nested={"positions": serializers.ListField(child=POSITION_INPUT, required=False)},
)
LIST_PARAMETERS = [
    OpenApiParameter("period", str, enum=sorted(PERIODS), description="last_12_months by default."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="With period=more."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="With period=more."),
    OpenApiParameter("search_date_type", str, enum=sorted(DATE_COLUMNS)),
    INCOME,
    OpenApiParameter("kind", str),
    OpenApiParameter("kinds[]", str, many=True),
    OpenApiParameter("number", str),
    OpenApiParameter("invoice_ids", str, description="Comma-separated ids."),
    OpenApiParameter("client_id", int),
    OpenApiParameter("invoice_id", int, description="Documents linked to this one."),
    OpenApiParameter("from_invoice_id", int, description="Documents made from this one."),
    OpenApiParameter("include_positions", bool),
    OpenApiParameter("status", str),
    order_parameter(list(ORDERS)),
    *PAGINATION,
]


def _invoice_or_expense(*, many: bool = False) -> PolymorphicProxySerializer:
    """A sales document, or with income=0 an expense (expenses.ExpenseSerializer)."""
    return PolymorphicProxySerializer(
        component_name="InvoiceOrExpense",
        serializers=[InvoiceSerializer, expenses.ExpenseSerializer],
        resource_type_field_name=None,
        many=many,
    )


SUCCESS = inline_serializer(
    "InvoiceActionResult",
    fields={"code": serializers.CharField(), "message": serializers.CharField()},
)


class InvoiceList(AccountView):
    """The account's sales documents: list and create."""

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: _invoice_or_expense(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        params = request.query_params
        positions = _positions_wanted(params)
        if expenses.wants_expenses(params.get("income")):
            self.require("purchases.view")
            return Response(expenses.listed(self, params, positions=positions))
        self.require("sales.view")
        rows = filtered(Document.objects.filter(account=self.account), params, self.account)
        page = paginate(with_output_data(rows, positions=positions), params)
        return Response(InvoiceSerializer(page, many=True, positions=positions).data)

    @extend_schema(request=REQUEST, responses=responses(_invoice_or_expense(), 201))
    def post(self, request: Request) -> Response:
        data = _invoice_body(self)
        if expenses.wants_expenses(data.get("income", request.query_params.get("income"))):
            with api_field_names(expenses.API_NAMES), transaction.atomic():
                expense = expenses.create(self, data)
            return Response(expenses.shown(self, expense.pk), status=status.HTTP_201_CREATED)
        self.require("sales.create")
        invoice_fields.refuse_unfollowed(data, numbered_at_issue=True)
        # With the account's option, every create is a draft, whatever status it asks for: the user (or
        # a later change_status) issues it once it is complete.
        drafts = _drafts_option(self.account)
        asked = _status(data)
        if drafts and asked not in (None, "", Status.DRAFT, Status.ISSUED):
            # A status past issuing (paid, sent...) would record what a draft cannot hold: refused rather
            # than dropped, so the integration does not believe the payment was recorded.
            raise InputError.on(
                "status",
                _(
                    "Ce compte crée les documents de l'API en brouillon (Paramètres > Facturation) : un "
                    "brouillon ne peut pas être « %(status)s ». Créez-le, émettez-le avec "
                    "POST /invoices/{id}/change_status.json, puis enregistrez le paiement ou l'envoi."
                )
                % {"status": asked},
            )
        wanted = Status.DRAFT if drafts else (asked or Status.ISSUED)
        if _one_service_call(data, wanted):
            # The service's own transaction is the whole write (no savepoint inside another), and the
            # document it answers holds its lines, client and account: nothing is read back.
            with api_field_names(read.API_NAMES):
                created = service.create_document(
                    self.actor, self.account, _new_input(self, data), issue=wanted == Status.ISSUED
                )
            return Response(InvoiceSerializer(created).data, status=status.HTTP_201_CREATED)
        with api_field_names(read.API_NAMES), transaction.atomic():
            document = invoice_modes.create_special(self, data)
            if document is None:
                # A draft or an issued document is one service call (create_document), which issues the
                # draft it has just written without reading it back.
                issuing = wanted in SETTABLE_STATUSES
                document = service.create_document(
                    self.actor, self.account, _new_input(self, data), issue=issuing
                )
            else:
                invoice_modes.check_test(data, document)
                document = invoice_modes.apply_overrides(self, document, data)
            document = apply_status(self, document, wanted)
        return Response(_shown(self, document.pk), status=status.HTTP_201_CREATED)


class InvoiceDetail(AccountView):
    """One document: show, update, delete."""

    @extend_schema(parameters=[INCOME], responses=responses(_invoice_or_expense()))
    def get(self, request: Request, pk: int) -> Response:
        if expenses.wants_expenses(request.query_params.get("income")):
            self.require("purchases.view")
            return Response(expenses.shown(self, pk))
        self.require("sales.view")
        return Response(_shown(self, pk))

    @extend_schema(parameters=[INCOME], request=REQUEST, responses=responses(_invoice_or_expense()))
    def put(self, request: Request, pk: int) -> Response:
        if expenses.wants_expenses(request.query_params.get("income")):
            expense = self.get_row(Expense, pk)
            with api_field_names(expenses.API_NAMES), transaction.atomic():
                expenses.update(self, expense, _invoice_body(self))
            return Response(expenses.shown(self, pk))
        document = self.get_row(Document, pk)
        self.require("sales.edit")
        data = _invoice_body(self)
        invoice_fields.refuse_unfollowed(data, numbered_at_issue=document.is_draft)
        wanted = _status(data)
        with api_field_names(read.API_NAMES), transaction.atomic():
            if document.is_draft:
                document = service.update_draft(self.actor, document, _draft_input(self, document, data))
            else:
                _check_same_strategy(data, document)
                shown = _shown(self, pk)
                changed = _legal_change(data, shown)
                if changed is not None:
                    _refuse_legal_change(changed, document)
                values = coercion.read(data, read.ISSUED_FIELDS)
                values = {k: v for k, v in values.items() if v != getattr(document, k)}
                if values:
                    document = service.update_issued(self.actor, document, **values)
            if wanted is not None:
                document = apply_status(self, document, wanted)
        return Response(_shown(self, pk))

    patch = put

    @extend_schema(parameters=[INCOME], responses=DELETED)
    def delete(self, request: Request, pk: int) -> Response:
        if expenses.wants_expenses(request.query_params.get("income")):
            purchases.delete_expense(self.actor, self.get_row(Expense, pk))
            return Response("ok")
        document = self.get_row(Document, pk)
        service.delete_draft(self.actor, document)
        return Response("ok")


class InvoicePdf(AccountView):
    """The document as PDF/A-3 (`print_option=duplicate` marks it a duplicate); `einvoice=facturx`: its
    Factur-X (an issued invoice or credit note only, complete for e-invoicing, else a 422)."""

    @extend_schema(
        operation_id="invoices_pdf",
        parameters=[
            OpenApiParameter("print_option", str, enum=["original", "copy", "duplicate"]),
            OpenApiParameter("einvoice", str, enum=["facturx"]),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        self.require("sales.view")
        document = self.get_row(Document.objects.select_related("account", "client"), pk)
        einvoice = text_param(request.query_params, "einvoice")
        if einvoice == "facturx":
            einvoice_policy.ensure_downloadable(document)
            content = einvoice_policy.facturx_pdf(document)
        elif einvoice:
            raise InputError.on(
                "einvoice",
                _("Format de facture électronique inconnu : %(value)s. Valeur possible : facturx.")
                % {"value": einvoice[:50]},
            )
        else:
            duplicate = text_param(request.query_params, "print_option") == "duplicate"
            content = issued.document_pdf(document, duplicate=duplicate)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf.pdf_filename(document)}"'
        return response


class InvoiceXml(AccountView):
    """The e-invoice XML of an issued invoice or credit note: `einvoice=ubl` (default) or `cii`. The UBL
    is the variant the document calls for (French CTC for a buyer in France, Peppol BIS abroad) or the
    one `variant=peppol|fr-ctc` asks for; a document that lacks what it needs gets a 422."""

    @extend_schema(
        operation_id="invoices_xml",
        parameters=[
            OpenApiParameter("einvoice", str, enum=["ubl", "cii"]),
            OpenApiParameter("variant", str, enum=list(einvoice_ubl.VARIANTS)),
        ],
        responses={
            (200, "application/xml"): OpenApiTypes.BINARY,
            **ERRORS,
            406: OpenApiResponse(ErrorSerializer, description="Not a document id: an address not served."),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        self.require("sales.view")
        document = self.get_row(Document.objects.select_related("account", "client"), pk)
        einvoice = text_param(request.query_params, "einvoice") or "ubl"
        variant = text_param(request.query_params, "variant") or None
        if einvoice not in ("ubl", "cii"):
            raise InputError.on(
                "einvoice",
                _("Format de facture électronique inconnu : %(value)s. Valeurs possibles : ubl, cii.")
                % {"value": einvoice[:50]},
            )
        if variant is not None and variant not in einvoice_ubl.VARIANTS:
            raise InputError.on(
                "variant",
                _("Variante UBL inconnue : %(value)s. Valeurs possibles : %(choices)s.")
                % {"value": variant[:50], "choices": ", ".join(einvoice_ubl.VARIANTS)},
            )
        einvoice_policy.ensure_downloadable(document)
        if einvoice == "cii":
            content = einvoice_policy.cii_xml(document)
        else:
            content = einvoice_ubl.ubl_xml(document, variant)
        response = HttpResponse(content, content_type="application/xml")
        stem = pdf.pdf_filename(document).removesuffix(".pdf")
        response["Content-Disposition"] = f'inline; filename="{stem}-{einvoice}.xml"'
        return response


def _param(request: Request, *names: str) -> Any:
    """A parameter of an action, from the JSON body (top level, or under `invoice`) or the query."""
    data: Mapping[str, Any] = request.data if isinstance(request.data, Mapping) else {}
    invoice = data.get("invoice")
    inner: Mapping[str, Any] = invoice if isinstance(invoice, Mapping) else {}
    sources: list[Mapping[str, Any]] = [data, inner, request.query_params]
    for name in names:
        for source in sources:
            value = source.get(name)
            if not coercion.is_absent(value):
                return value
    return None


class InvoiceChangeStatus(AccountView):
    """`status=` in the query or the body."""

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("status", str, enum=[str(s) for s in SETTABLE_STATUSES])],
        responses=responses(InvoiceSerializer),
    )
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_row(Document, pk)
        self.require("sales.edit")
        wanted = _param(request, "status")
        if wanted is None:
            raise InputError.on("status", _("Indiquez l'état."))
        with api_field_names(read.API_NAMES), transaction.atomic():
            apply_status(self, document, coercion.to_text(wanted, "status").strip().lower())
        return Response(_shown(self, pk))


class CancelSchema(ApiAutoSchema):
    """One view serves /invoices/cancel.json and /invoices/{id}/cancel.json: one operation id each."""

    def get_operation_id(self) -> str:
        return "invoices_cancel_by_id" if "{id}" in self.path else "invoices_cancel"


class InvoiceCancel(AccountView):
    """Cancel an issued invoice by a total credit note, issued at once. The invoice comes as
    `cancel_invoice_id` (or `invoice_id`, or the path), the reason as `cancel_reason` (or `reason`)."""

    schema = CancelSchema()

    @extend_schema(request=None, responses={200: SUCCESS, **ERRORS})
    def post(self, request: Request, pk: int | None = None) -> Response:
        if pk is None:
            raw = _param(request, "cancel_invoice_id", "invoice_id")
            if raw is None:
                raise InputError.on("cancel_invoice_id", _("Indiquez la facture à annuler."))
            pk = coercion.to_id(raw, "cancel_invoice_id")
        document = self.get_row(Document, pk)
        self.require("sales.create")
        reason = _param(request, "cancel_reason", "reason")
        reason = coercion.to_text(reason, "cancel_reason").strip() if reason is not None else ""
        if document.is_draft:
            raise ServiceError(_("Un brouillon ne s'annule pas : supprimez-le."))
        if document.kind not in CREDITABLE_KINDS:
            raise ServiceError(_("Seule une facture émise s'annule, par un avoir."))
        with api_field_names(read.API_NAMES), transaction.atomic():
            note = service.create_credit_note(
                self.actor,
                document,
                reason=reason or _("Annulation de la facture %(number)s") % {"number": document.number},
            )
            note = service.issue(self.actor, note)
        return Response(
            {
                "code": "success",
                "message": _("Facture %(number)s annulée par l'avoir %(note)s.")
                % {"number": document.number, "note": note.number},
                "credit_note_id": note.pk,
            }
        )


class InvoiceSendByEmail(AccountView):
    """Email the document with its PDF: to `email_to` (else its own addresses or the client's), copy to
    `email_cc`; `force=true` sends again within 3 days of the last sending."""

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("email_to", str, description="Comma-separated, 5 at most."),
            OpenApiParameter("email_cc", str, description="Comma-separated, 5 at most."),
            OpenApiParameter("force", bool),
        ],
        responses={
            200: OpenApiResponse(
                inline_serializer("SentResult", fields={"status": serializers.CharField()}),
                description='{"status": "ok"}',
            ),
            **ERRORS,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_row(Document.objects.select_related("account", "client"), pk)
        self.require("sales.edit")
        default_to, default_cc = sending.default_recipients(document)
        to = self._addresses(request, "email_to", default_to)
        cc = self._addresses(request, "email_cc", default_cc)
        force = _param(request, "force")
        subject, body = sending.default_message(document)
        with api_field_names(read.API_NAMES):
            sending.send_document(
                self.actor,
                document,
                to=to,
                cc=cc,
                subject=subject,
                body=body,
                force=force is not None and coercion.to_bool(force, "force"),
            )
        return Response({"status": "ok"})

    def _addresses(self, request: Request, name: str, default: str) -> list[str]:
        value = _param(request, name)
        text = coercion.to_text(value, name) if value is not None else default
        try:
            addresses = split_emails(text)
        except ValidationError as error:  # the first bad address
            raise InputError.on(name, " ".join(error.messages)) from None
        if len(addresses) > 5:
            raise InputError.on(name, _("Cinq adresses au plus."))
        return addresses
