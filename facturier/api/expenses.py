"""Expenses (purchase invoices) through `/invoices.json` with `income=0`, as the public API keeps them
among its invoices (api.md, sections 3 to 5), over the purchases services.

Here expenses live in the purchases app and have ids of their own, which may equal a sales document's.
So every call about expenses says `income=0`: the list and create (in the query or the body, as the
public API does), and show, update and delete of one expense (`/invoices/{id}.json?income=0`).

As in both official READMEs, the parties of an expense keep their invoice names seen from the account:
`seller_*` is the account's own company (read-only here: its identity is the account's) and `buyer_*` is
the supplier (`client_id`, or `buyer_name`, `buyer_tax_no`... to find or create it); `number` is the supplier's invoice number; `status` is
`issued` (to pay), `partial` or `paid`, following the payments recorded in the application.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from facturier.api import coercion
from facturier.api import invoice_input as read
from facturier.api.clients import tax_identity
from facturier.api.errors import InputError, api_field_names
from facturier.api.invoice_output import (
    SHAPE_ORDERS,
    AccountingStatusField,
    InvoiceShapeSerializer,
    NumberField,
    TaxField,
    UnitPriceField,
)
from facturier.api.periods import period_range
from facturier.api.products import read_tax
from facturier.api.views import AccountView, list_param, ordering, paginate, text_param
from facturier.billing.models import Client, SupplyKind
from facturier.billing.services import clients as client_service
from facturier.billing.services.clients import person_name
from facturier.einvoice.importing import match_supplier
from facturier.einvoice.reading import Party
from facturier.lib import vat
from facturier.purchases import services
from facturier.purchases.models import Expense, ExpenseCategory, ExpenseLine, ExpenseStatus
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account

STATUS_OF = {ExpenseStatus.UNPAID: "issued", ExpenseStatus.PARTIAL: "partial", ExpenseStatus.PAID: "paid"}
STATUS_FILTER = {api: ours for ours, api in STATUS_OF.items()}
DATE_COLUMNS = {"issue_date": "issue_date", "sell_date": "sell_date", "transaction_date": "sell_date"}
DATE_COLUMNS["payment_to"] = "due_date"
ORDERS = {"id": "pk", "number": "supplier_number", **SHAPE_ORDERS}
# The supplier, in the buyer fields (the official READMEs' "les champs acheteur et vendeur sont inversés").
SUPPLIER_FIELDS = read.BUYER_FIELDS
# The fields that name a supplier: an update sending one of them changes the expense's supplier.
SUPPLIER_NAMES = ("client_id", "buyer_name", "buyer_first_name", "buyer_last_name", "buyer_tax_no")
FIELDS = [
    coercion.Field("number", "supplier_number"),
    coercion.Field("issue_date", "issue_date", read.to_date),
    coercion.Field("sell_date", "sell_date", read.to_sell_date),
    coercion.Field("payment_to", "due_date", read.to_date),
    coercion.Field("currency", "currency", coercion.to_code),
    coercion.Field("exchange_currency_rate", "exchange_rate", coercion.to_decimal),
    coercion.Field("description", "notes"),
    coercion.Field("category_id", "category_id", coercion.to_id),
    # Autoliquidation: every position is self-assessed at its `tax` rate (the French rate that applies).
    coercion.Field("reverse_charge", "reverse_charge", coercion.to_bool),
    # The supplier opted for VAT on debits: the VAT of its services is deductible at the invoice date.
    coercion.Field("vat_on_debits", "vat_on_debits", coercion.to_bool),
]
# The purchases services' field names, as the API calls them, for the errors they raise.
API_NAMES = {
    "supplier": "client_id",
    "supplier_number": "number",
    "category": "category_id",
    "due_date": "payment_to",
    "lines": "positions",
    "exchange_rate": "exchange_currency_rate",
}


def wants_expenses(value: Any) -> bool:
    """Whether an `income` parameter (query or body) asks for expenses: `0`, `false`, `no`..."""
    return not coercion.is_absent(value) and not coercion.to_bool(value, "income")


# --- Output ----------------------------------------------------------------------------------------


class ExpensePositionSerializer(serializers.Serializer[ExpenseLine]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    quantity = NumberField()
    tax = TaxField()
    # Unit prices entered gross are shown as entered: the net amounts are in total_price_net.
    price_net = UnitPriceField(source="unit_price")
    total_price_net = serializers.DecimalField(source="net_amount", max_digits=16, decimal_places=2)
    total_price_gross = serializers.DecimalField(source="gross_amount", max_digits=16, decimal_places=2)
    deductible = serializers.BooleanField()
    service = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_service(self, line: ExpenseLine) -> bool:
        return bool(line.supply_kind != SupplyKind.GOODS)


class ExpenseSerializer(InvoiceShapeSerializer[Expense]):
    """One expense, in the shape of an invoice with `income` 0."""

    id = serializers.IntegerField()
    kind = serializers.SerializerMethodField()
    income = serializers.SerializerMethodField()
    number = serializers.CharField(source="supplier_number")
    status = serializers.SerializerMethodField()
    issue_date = serializers.DateField()
    sell_date = serializers.DateField(allow_null=True)
    payment_to = serializers.DateField(source="due_date", allow_null=True)
    currency = serializers.CharField()
    exchange_currency_rate = serializers.DecimalField(source="exchange_rate", max_digits=16, decimal_places=6)
    price_net = serializers.DecimalField(source="net_total", max_digits=16, decimal_places=2)
    price_tax = serializers.DecimalField(source="vat_total", max_digits=16, decimal_places=2)
    price_gross = serializers.DecimalField(source="gross_total", max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(source="paid_total", max_digits=16, decimal_places=2)
    client_id = serializers.IntegerField(source="supplier_id")
    buyer_name = serializers.CharField(source="supplier.name")
    buyer_tax_no = serializers.SerializerMethodField()
    buyer_street = serializers.CharField(source="supplier.street")
    buyer_post_code = serializers.CharField(source="supplier.post_code")
    buyer_city = serializers.CharField(source="supplier.city")
    buyer_country = serializers.CharField(source="supplier.country")
    buyer_email = serializers.CharField(source="supplier.email")
    seller_name = serializers.CharField(source="account.name")
    seller_tax_no = serializers.SerializerMethodField()
    seller_street = serializers.CharField(source="account.street")
    seller_post_code = serializers.CharField(source="account.post_code")
    seller_city = serializers.CharField(source="account.city")
    seller_country = serializers.CharField(source="account.country")
    category_id = serializers.IntegerField()
    reverse_charge = serializers.SerializerMethodField()
    vat_on_debits = serializers.BooleanField()
    price_tax_self_assessed = serializers.SerializerMethodField()
    description = serializers.CharField(source="notes")
    accounting_status = AccountingStatusField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    positions = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_kind(self, expense: Expense) -> str:
        return "vat"

    # 0 only: what tells an expense from a sales document (income 1) in the list's oneOf.
    @extend_schema_field({"type": "integer", "minimum": 0, "maximum": 0})
    def get_income(self, expense: Expense) -> int:
        return 0

    @extend_schema_field(OpenApiTypes.STR)
    def get_status(self, expense: Expense) -> str:
        return STATUS_OF.get(ExpenseStatus(expense.status), "issued")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_reverse_charge(self, expense: Expense) -> bool:
        return any(line.vat_category == vat.REVERSE_CHARGE for line in expense.lines.all())

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_price_tax_self_assessed(self, expense: Expense) -> str:
        # The VAT the account self-assesses (due, and deductible where the lines say so).
        return f"{expense.self_assessed_vat_total:.2f}"

    @extend_schema_field(OpenApiTypes.STR)
    def get_buyer_tax_no(self, expense: Expense) -> str:
        return expense.supplier.vat_number or expense.supplier.siret or expense.supplier.siren

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_tax_no(self, expense: Expense) -> str:
        return expense.account.vat_number or expense.account.siren

    @extend_schema_field(ExpensePositionSerializer(many=True))
    def get_positions(self, expense: Expense) -> Any:
        return self.positions_data(expense.lines.all(), ExpensePositionSerializer)


def with_output_data(rows: "QuerySet[Expense]", *, positions: bool) -> "QuerySet[Expense]":
    """What the serializer reads, in a fixed number of queries whatever the number of rows."""
    rows = rows.select_related("supplier", "account").prefetch_related("lines")
    return rows


def shown(view: AccountView, pk: int) -> dict[str, Any]:
    expense = view.get_row(with_output_data(Expense.objects.all(), positions=True), pk)
    return dict(ExpenseSerializer(expense).data)


# --- List ------------------------------------------------------------------------------------------


def listed(view: AccountView, params: QueryDict, *, positions: bool) -> list[dict[str, Any]]:
    """The expenses the list filters select (period, dates, number, client_id, ids, status, order)."""
    rows = Expense.objects.filter(account=view.account)
    column = DATE_COLUMNS.get(text_param(params, "search_date_type") or "issue_date")
    if column is None:
        raise InputError.on("search_date_type", _("Type de date inconnu."))
    date_from, date_to = period_range(params, view.account)
    if date_from:
        rows = rows.filter(**{f"{column}__gte": date_from})
    if date_to:
        rows = rows.filter(**{f"{column}__lte": date_to})
    number = text_param(params, "number")
    if number:
        rows = rows.filter(supplier_number=number)
    ids = coercion.to_ids(list_param(params, "invoice_ids"), "invoice_ids")
    if ids:
        rows = rows.filter(pk__in=ids)
    supplier = text_param(params, "client_id")
    if supplier:
        rows = rows.filter(supplier_id=coercion.to_id(supplier, "client_id"))
    state = text_param(params, "status")
    if state:
        rows = rows.filter(status=STATUS_FILTER.get(state, "-"))  # an unknown status matches nothing
    rows = rows.order_by(*ordering(params, ORDERS))
    page = paginate(with_output_data(rows, positions=positions), params)
    return list(ExpenseSerializer(page, many=True, positions=positions).data)


# --- Create and update -----------------------------------------------------------------------------


def _supplier_id(actor: Actor, account: Account, data: Mapping[str, Any]) -> int:
    """`client_id`, else the account's supplier with that tax number, else with that name, else a new
    supplier. A client the account only sold to becomes a client and supplier."""
    raw = data.get("client_id")
    if not coercion.is_absent(raw):
        return coercion.to_id(raw, "client_id")
    fields = coercion.read(data, SUPPLIER_FIELDS)
    identity = tax_identity(fields.pop("tax_no", "")) if fields.get("tax_no") else {}
    fields |= identity
    name = str(fields.get("name") or person_name(fields.get("first_name", ""), fields.get("last_name", "")))
    name = name.strip()
    if not name and not identity:
        raise InputError.on(
            "buyer_name",
            _("Indiquez le fournisseur dans les champs buyer_ (buyer_name, buyer_tax_no) ou par client_id."),
        )
    # The e-invoice import's matching: SIREN (also read from a SIRET or a French VAT number), VAT
    # number, then name; suppliers before buyers, active before archived.
    match = match_supplier(
        account,
        Party(
            name=name,
            siren=identity.get("siren", ""),
            siret=identity.get("siret", ""),
            vat_number=identity.get("vat_number", ""),
        ),
    )
    if match is None:
        if not name:
            raise InputError.on("buyer_name", _("Indiquez le nom du fournisseur."))
        if "is_company" not in fields and not fields.get("name"):
            fields["is_company"] = False  # a person sent by first and last name only
        with api_field_names(read.BUYER_API_NAMES):
            return client_service.create_client(actor, account, kind=Client.Kind.SUPPLIER, **fields).pk
    if match.kind == Client.Kind.BUYER:
        client_service.update_client(actor, match, kind=Client.Kind.BOTH)
    return match.pk


def _lines(
    positions: list[Any], reverse_charge: bool = False
) -> tuple[list[services.ExpenseLineInput], bool]:
    """The expense's lines and whether their prices are gross (every priced position gross only).
    Under `reverse_charge` each line is self-assessed at its `tax` rate (its prices are net); a position
    with `tax: "oo"` is self-assessed at the standard French rate."""
    values = [_position(entry) for entry in positions]
    priced = [v for v in values if any(key in v for key in (*read.GROSS_PRICES, *read.NET_PRICES))]
    gross = bool(priced) and all(not any(key in v for key in read.NET_PRICES) for v in priced)
    lines = []
    for entry in values:
        rate, category = entry.get("tax", (Decimal(20), "S"))
        quantity = entry.get("quantity", Decimal(1))
        keys = read.GROSS_PRICES if gross else read.NET_PRICES
        price = next((key for key in keys if key in entry), None)
        if price is None:
            raise InputError.on("positions", _("Chaque position a un prix (price_net ou price_gross)."))
        unit_price = entry[price]
        if price.startswith("total_"):
            if not quantity:
                raise InputError.on("positions", _("Une position avec un total a une quantité non nulle."))
            unit_price = (unit_price / quantity).quantize(read.FOUR_PLACES)
        if not str(entry.get("name", "")).strip():
            raise InputError.on("positions", _("Chaque position a un nom."))
        if category == vat.REVERSE_CHARGE and not rate:
            # `tax: "oo"` names the category without a rate (the supplier's invoice shows none): the
            # account self-assesses at the standard French rate; a position may send another one.
            rate = vat.DEFAULT_SELF_ASSESSMENT_RATE
        if reverse_charge and category in (vat.STANDARD, vat.EXEMPT):
            category = vat.REVERSE_CHARGE  # a rate the account self-assesses (0 is refused)
        lines.append(
            services.ExpenseLineInput(
                name=entry["name"],
                quantity=quantity,
                unit_price=unit_price,
                vat_rate=rate,
                vat_category=category,
                deductible=entry.get("deductible", True),
                supply_kind=entry.get("supply_kind", SupplyKind.SERVICE),
            )
        )
    return lines, gross and not reverse_charge


def _supply_kind(value: Any, field: str) -> str:
    """A position's `service` (as on products): true for a service, false for goods."""
    return SupplyKind.SERVICE if coercion.to_bool(value, field) else SupplyKind.GOODS


def _position(entry: Mapping[str, Any]) -> dict[str, Any]:
    fields = [field for field in read.POSITION_FIELDS if field.api_name != "tax"]
    fields += [
        coercion.Field("tax", "tax", read_tax),
        coercion.Field("deductible", "deductible", coercion.to_bool),
        coercion.Field("service", "supply_kind", _supply_kind),
    ]
    try:
        return coercion.read(entry, fields)
    except InputError as error:
        messages = [f"{key} : {text}" for key, texts in error.messages.items() for text in texts]
        raise InputError({"positions": messages}) from None


def _category_id(account: Account, values: dict[str, Any]) -> int:
    """The category sent, else the account's "Autres" (the catch-all of the default categories)."""
    if "category_id" in values:
        return int(values["category_id"])
    services.ensure_default_categories(account)
    categories = ExpenseCategory.objects.filter(account=account)
    fallback = categories.filter(name="Autres").first() or categories.order_by("pk").first()
    return fallback.pk if fallback else 0


def create(view: AccountView, data: Mapping[str, Any]) -> Expense:
    """A new expense from an invoice-shaped body (purchases.create)."""
    view.require("purchases.create")
    values = coercion.read(data, FIELDS)
    positions = read.positions_of(data)
    if not positions:
        raise InputError.on("positions", _("Ajoutez au moins une position à la dépense."))
    if "issue_date" not in values:
        values["issue_date"] = view.account.today()
    lines, gross = _lines(positions, bool(values.get("reverse_charge")))
    supplier_id = _supplier_id(view.actor, view.account, data)
    return services.create_expense(
        view.actor,
        view.account,
        services.ExpenseInput(
            supplier_id=supplier_id,
            category_id=_category_id(view.account, values),
            issue_date=values["issue_date"],
            lines=lines,
            supplier_number=values.get("supplier_number", ""),
            sell_date=values.get("sell_date"),
            due_date=values.get("due_date"),
            currency=values.get("currency", "EUR"),
            exchange_rate=values.get("exchange_rate", Decimal(1)),
            prices_are_gross=gross,
            notes=values.get("notes", ""),
            vat_on_debits=values.get("vat_on_debits"),
        ),
    )


def update(view: AccountView, expense: Expense, data: Mapping[str, Any]) -> Expense:
    """The expense with the fields sent changed; `positions`, when sent, replace its lines."""
    view.require("purchases.edit")
    values = coercion.read(data, FIELDS)
    positions = read.positions_of(data)
    if positions is not None:
        kept = [entry for entry in positions if not read.is_destroyed(entry)]
        lines, gross = _lines(kept, bool(values.get("reverse_charge")))
    else:
        lines = [
            services.ExpenseLineInput(
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                vat_category=line.vat_category,
                deductible=line.deductible,
                supply_kind=line.supply_kind,
            )
            for line in expense.lines.order_by("position", "pk")
        ]
        gross = expense.prices_are_gross
    named = any(not coercion.is_absent(data.get(key)) for key in SUPPLIER_NAMES)
    supplier_id = _supplier_id(view.actor, view.account, data) if named else expense.supplier_id
    return services.update_expense(
        view.actor,
        expense,
        services.ExpenseInput(
            supplier_id=supplier_id,
            category_id=values.get("category_id", expense.category_id),
            issue_date=values.get("issue_date", expense.issue_date),
            lines=lines,
            supplier_number=values.get("supplier_number", expense.supplier_number),
            sell_date=values.get("sell_date", expense.sell_date),
            due_date=values.get("due_date", expense.due_date),
            currency=values.get("currency", expense.currency),
            exchange_rate=values.get("exchange_rate", expense.exchange_rate),
            prices_are_gross=gross,
            notes=values.get("notes", expense.notes),
            vat_on_debits=values.get("vat_on_debits", expense.vat_on_debits),
        ),
    )
