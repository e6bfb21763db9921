"""The invoice JSON of the public API (api.md, section 5), mapped from billing.models.Document.

Money is a decimal string, ids integers, dates `YYYY-MM-DD` or null. `kind` uses the public API's codes
(ours are the same). `status` is ours: the public API's (issued, sent, partial, paid, accepted,
rejected) plus `draft` and `cancelled` (fully credited by a credit note).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from facturier.api.invoice_input import strategy_of
from facturier.api.products import SYMBOL_OF_CATEGORY
from facturier.billing.models import Document, DocumentLine, PaymentAllocation
from facturier.billing.totals import unit_prices
from facturier.lib.money import round_money

CENT = Decimal("0.01")


def tax_text(rate: Decimal, category: str) -> str:
    """`tax` as the products show it: the rate ("20", "5.5") or the symbol of a category without VAT."""
    if category in SYMBOL_OF_CATEGORY:
        return SYMBOL_OF_CATEGORY[category]
    return format(rate.normalize(), "f")


def number_text(value: Decimal) -> str:
    """A quantity without trailing zeros: "2", "1.5"."""
    return format(value.normalize(), "f") if value else "0"


def price_text(value: Decimal) -> str:
    """A unit price: two decimals, or four when the price has them."""
    places = CENT if value == value.quantize(CENT) else Decimal("0.0001")
    return str(value.quantize(places))


@extend_schema_field(OpenApiTypes.DECIMAL)
class NumberField(serializers.ReadOnlyField):
    """A quantity or a percentage, as number_text writes it."""

    def to_representation(self, value: Decimal) -> str:
        return number_text(value)


@extend_schema_field(OpenApiTypes.DECIMAL)
class UnitPriceField(serializers.ReadOnlyField):
    """A unit price, as price_text writes it."""

    def to_representation(self, value: Decimal) -> str:
        return price_text(value)


@extend_schema_field(OpenApiTypes.STR)
class TaxField(serializers.ReadOnlyField):
    """The `tax` of a line (of a document or an expense), from its VAT rate and category."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)

    def to_representation(self, line: Any) -> str:
        return tax_text(line.vat_rate, line.vat_category)


@extend_schema_field(OpenApiTypes.STR)
class AccountingStatusField(serializers.ReadOnlyField):
    """`exported` once the document or expense is in an accounting export, else empty."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", **kwargs)  # the whole row: an empty exported_at gives "", not null

    def to_representation(self, row: Any) -> str:
        return "exported" if row.exported_at else ""


_Shaped = TypeVar("_Shaped", bound=Model)  # a sales document or an expense


class InvoiceShapeSerializer(serializers.Serializer[_Shaped]):
    """The base of the answers in the invoice shape, sales documents (below) and expenses (expenses.py):
    their `positions`, which lists leave out without include_positions. Each declares all its fields
    itself, in the order of its answers (a base's fields would come first)."""

    optional_fields = ("positions",)  # left out of lists without include_positions (schema.py)

    def __init__(self, *args: Any, positions: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not positions:
            self.fields.pop("positions")

    @staticmethod
    def positions_data(
        lines: Iterable[Any], serializer: type[serializers.Serializer[Any]], **context: Any
    ) -> Any:
        """The lines through `serializer`, in their order on the document."""
        ordered = sorted(lines, key=lambda line: (line.position, line.id))
        return serializer(ordered, many=True, context=context).data


# `order=` of the lists in the invoice shape (sales documents and expenses): API name → model field,
# the fields both models name alike; each list adds its own (the number, the buyer's fields).
SHAPE_ORDERS = {
    "id": "pk",
    "updated_at": "updated_at",
    "created_at": "created_at",
    "price_net": "net_total",
    "price_gross": "gross_total",
    "price_tax": "vat_total",
    "issue_date": "issue_date",
    "payment_to": "due_date",
    "transaction_date": "sell_date",
    "sell_date": "sell_date",
}


def line_unit_prices(line: DocumentLine, prices_are_gross: bool) -> tuple[Decimal, Decimal]:
    """(net, gross) of one unit of the line, before discount (billing.totals.unit_prices)."""
    return unit_prices(line.unit_price, line.vat_rate, line.vat_category, prices_are_gross=prices_are_gross)


def with_output_data(rows: "QuerySet[Document]", *, positions: bool) -> "QuerySet[Document]":
    """What the serializer reads, in a fixed number of queries whatever the number of rows."""
    last_payment = (
        PaymentAllocation.objects.filter(document=OuterRef("pk"))
        .order_by("-payment__date")
        .values("payment__date")[:1]
    )
    rows = rows.select_related("client", "account").annotate(last_paid_date=Subquery(last_payment))
    return rows.prefetch_related("lines") if positions else rows


class PositionSerializer(serializers.Serializer[DocumentLine]):
    id = serializers.IntegerField()
    product_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    description = serializers.CharField()
    quantity = NumberField()
    quantity_unit = serializers.CharField(source="unit")
    tax = TaxField()
    discount_percent = NumberField()
    price_net = serializers.SerializerMethodField()
    price_gross = serializers.SerializerMethodField()
    total_price_net = serializers.SerializerMethodField()
    total_price_gross = serializers.SerializerMethodField()

    def _gross(self) -> bool:
        return bool(self.context.get("prices_are_gross"))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_price_net(self, line: DocumentLine) -> str:
        return price_text(line_unit_prices(line, self._gross())[0])

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_price_gross(self, line: DocumentLine) -> str:
        return price_text(line_unit_prices(line, self._gross())[1])

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_total_price_net(self, line: DocumentLine) -> str:
        return str(line.net_amount)

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_total_price_gross(self, line: DocumentLine) -> str:
        return str(line.gross_amount)

    def to_representation(self, line: DocumentLine) -> dict[str, Any]:
        """The fields above, built directly: DRF's field machinery costs more than the rest of a list."""
        return position_data(line, self._gross())


def position_data(line: DocumentLine, prices_are_gross: bool) -> dict[str, Any]:
    """One position as PositionSerializer declares it (test_invoice_output keeps the two in step)."""
    net, gross = line_unit_prices(line, prices_are_gross)
    return {
        "id": line.pk,
        "product_id": line.product_id,
        "name": line.name,
        "description": line.description,
        "quantity": number_text(line.quantity),
        "quantity_unit": str(line.unit),
        "tax": tax_text(line.vat_rate, line.vat_category),
        "discount_percent": number_text(line.discount_percent),
        "price_net": price_text(net),
        "price_gross": price_text(gross),
        "total_price_net": str(line.net_amount),
        "total_price_gross": str(line.gross_amount),
    }


class InvoiceSerializer(InvoiceShapeSerializer[Document]):
    """One document. `positions` only when the context says so (show, create, update, or a list with
    include_positions=true)."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.CharField(help_text="Empty on a draft: the number is given at issue.")
    income = serializers.SerializerMethodField()
    status = serializers.CharField()
    issue_date = serializers.DateField()
    sell_date = serializers.DateField(allow_null=True)
    payment_to = serializers.DateField(source="due_date", allow_null=True)
    payment_to_kind = serializers.SerializerMethodField()
    paid_date = serializers.SerializerMethodField()
    payment_type = serializers.CharField(source="payment_method")
    currency = serializers.CharField()
    exchange_currency_rate = serializers.DecimalField(source="exchange_rate", max_digits=16, decimal_places=6)
    lang = serializers.CharField(source="language")
    price_net = serializers.DecimalField(source="net_total", max_digits=16, decimal_places=2)
    price_tax = serializers.DecimalField(source="vat_total", max_digits=16, decimal_places=2)
    price_gross = serializers.DecimalField(source="gross_total", max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(source="paid_total", max_digits=16, decimal_places=2)
    remaining = serializers.SerializerMethodField()
    client_id = serializers.IntegerField()
    buyer_name = serializers.CharField()
    buyer_company = serializers.BooleanField(source="buyer_is_company")
    buyer_tax_no = serializers.SerializerMethodField()
    buyer_street = serializers.CharField()
    buyer_post_code = serializers.CharField()
    buyer_city = serializers.CharField()
    buyer_country = serializers.CharField()
    buyer_email = serializers.SerializerMethodField()
    delivery_address_street = serializers.CharField(source="delivery_street")
    delivery_address_post_code = serializers.CharField(source="delivery_post_code")
    delivery_address_city = serializers.CharField(source="delivery_city")
    delivery_address_country = serializers.CharField(source="delivery_country")
    seller_name = serializers.SerializerMethodField()
    seller_tax_no = serializers.SerializerMethodField()
    seller_street = serializers.SerializerMethodField()
    seller_post_code = serializers.SerializerMethodField()
    seller_city = serializers.SerializerMethodField()
    seller_country = serializers.SerializerMethodField()
    seller_bank_account = serializers.CharField(source="bank_iban")
    seller_bank_swift = serializers.CharField(source="bank_bic")
    reverse_charge = serializers.BooleanField()
    use_oss = serializers.BooleanField(source="oss")
    test = serializers.BooleanField(
        help_text="A test document: numbered TEST-…, outside the books and every report, deletable."
    )
    oid = serializers.CharField(source="buyer_reference")
    description = serializers.CharField(source="notes")
    internal_note = serializers.CharField()
    correction_reason = serializers.CharField()
    invoice_id = serializers.IntegerField(source="corrected_document_id", allow_null=True)
    from_invoice_id = serializers.IntegerField(source="source_document_id", allow_null=True)
    accounting_status = AccountingStatusField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    calculating_strategy = serializers.SerializerMethodField()
    positions = serializers.SerializerMethodField()

    # 1 only: what tells a sales document from an expense (income 0) in the list's oneOf.
    @extend_schema_field({"type": "integer", "minimum": 1, "maximum": 1})
    def get_income(self, document: Document) -> int:
        return 1  # sales documents; expenses are not served here yet

    @extend_schema_field(
        inline_serializer(
            "CalculatingStrategy",
            fields={key: serializers.CharField() for key in ("position", "sum", "invoice_form_price_kind")},
        )
    )
    def get_calculating_strategy(self, document: Document) -> dict[str, str]:
        return strategy_of(document.prices_are_gross)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_payment_to_kind(self, document: Document) -> int | None:
        return (document.due_date - document.issue_date).days if document.due_date else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_paid_date(self, document: Document) -> str | None:
        day = getattr(document, "last_paid_date", None)
        return day.isoformat() if day else None

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_remaining(self, document: Document) -> str:
        return str(round_money(document.remaining, "EUR"))

    @extend_schema_field(OpenApiTypes.STR)
    def get_buyer_tax_no(self, document: Document) -> str:
        return document.buyer_vat_number or document.buyer_siren

    @extend_schema_field(OpenApiTypes.STR)
    def get_buyer_email(self, document: Document) -> str:
        return document.email_to or document.client.email

    def _seller(self, document: Document) -> dict[str, Any]:
        if document.seller:
            seller: dict[str, Any] = document.seller  # the snapshot taken at issue (JSON)
            return seller
        account = document.account  # a draft: the account's identity of today
        return {
            "name": account.name,
            "vat_number": account.vat_number,
            "siren": account.siren,
            "street": account.street,
            "post_code": account.post_code,
            "city": account.city,
            "country": account.country,
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_name(self, document: Document) -> str:
        return str(self._seller(document).get("name", ""))

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_tax_no(self, document: Document) -> str:
        seller = self._seller(document)
        return str(seller.get("vat_number") or seller.get("siren") or "")

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_street(self, document: Document) -> str:
        return str(self._seller(document).get("street", ""))

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_post_code(self, document: Document) -> str:
        return str(self._seller(document).get("post_code", ""))

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_city(self, document: Document) -> str:
        return str(self._seller(document).get("city", ""))

    @extend_schema_field(OpenApiTypes.STR)
    def get_seller_country(self, document: Document) -> str:
        return str(self._seller(document).get("country", ""))

    @extend_schema_field(PositionSerializer(many=True))
    def get_positions(self, document: Document) -> Any:
        return self.positions_data(
            document.lines.all(), PositionSerializer, prices_are_gross=document.prices_are_gross
        )

    def to_representation(self, document: Document) -> dict[str, Any]:
        """The fields above, in their order, built directly rather than field by field through DRF, which
        costs most of a list's time; `declared_representation` is DRF's own, and
        test_invoice_output checks that both give the same answer."""
        fields = self.fields
        if self._zone is None:
            # Once per serializer (a list's child serves every row): reading the active time zone costs
            # more than writing a row.
            self._zone = timezone.get_current_timezone()
        seller = self._seller(document)
        last_paid = getattr(document, "last_paid_date", None)
        data: dict[str, Any] = {
            "id": document.pk,
            "kind": str(document.kind),
            "number": document.number,
            "income": 1,
            "status": str(document.status),
            "issue_date": document.issue_date.isoformat(),
            "sell_date": _date(document.sell_date),
            "payment_to": _date(document.due_date),
            "payment_to_kind": self.get_payment_to_kind(document),
            "paid_date": last_paid.isoformat() if last_paid else None,
            "payment_type": str(document.payment_method),
            "currency": str(document.currency),
            "exchange_currency_rate": _decimal(document.exchange_rate, RATE_PLACES),
            "lang": str(document.language),
            "price_net": _decimal(document.net_total, CENT),
            "price_tax": _decimal(document.vat_total, CENT),
            "price_gross": _decimal(document.gross_total, CENT),
            "paid": _decimal(document.paid_total, CENT),
            "remaining": self.get_remaining(document),
            "client_id": document.client_id,
            "buyer_name": document.buyer_name,
            "buyer_company": bool(document.buyer_is_company),
            "buyer_tax_no": self.get_buyer_tax_no(document),
            "buyer_street": document.buyer_street,
            "buyer_post_code": document.buyer_post_code,
            "buyer_city": document.buyer_city,
            "buyer_country": str(document.buyer_country),
            "buyer_email": self.get_buyer_email(document),
            "delivery_address_street": document.delivery_street,
            "delivery_address_post_code": document.delivery_post_code,
            "delivery_address_city": document.delivery_city,
            "delivery_address_country": str(document.delivery_country),
            "seller_name": str(seller.get("name", "")),
            "seller_tax_no": str(seller.get("vat_number") or seller.get("siren") or ""),
            "seller_street": str(seller.get("street", "")),
            "seller_post_code": str(seller.get("post_code", "")),
            "seller_city": str(seller.get("city", "")),
            "seller_country": str(seller.get("country", "")),
            "seller_bank_account": document.bank_iban,
            "seller_bank_swift": document.bank_bic,
            "reverse_charge": bool(document.reverse_charge),
            "use_oss": bool(document.oss),
            "test": bool(document.test),
            "oid": document.buyer_reference,
            "description": document.notes,
            "internal_note": document.internal_note,
            "correction_reason": document.correction_reason,
            "invoice_id": document.corrected_document_id,
            "from_invoice_id": document.source_document_id,
            "accounting_status": "exported" if document.exported_at else "",
            "created_at": _timestamp(document.created_at, self._zone),
            "updated_at": _timestamp(document.updated_at, self._zone),
            "calculating_strategy": strategy_of(document.prices_are_gross),
        }
        if "positions" in fields:
            gross = document.prices_are_gross
            ordered = sorted(document.lines.all(), key=lambda line: (line.position, line.id))
            data["positions"] = [position_data(line, gross) for line in ordered]
        return data

    _zone: datetime.tzinfo | None = None

    def declared_representation(self, document: Document) -> dict[str, Any]:
        """DRF's answer, field by field from the declarations (what the fast path must equal)."""
        return dict(super().to_representation(document))


RATE_PLACES = Decimal("0.000001")


def _date(day: datetime.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _timestamp(value: datetime.datetime, zone: datetime.tzinfo) -> str:
    """As DRF's DateTimeField writes an aware timestamp: in the active time zone, `Z` for UTC."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _decimal(value: Decimal, places: Decimal) -> str:
    """As DRF's DecimalField writes a stored amount: at the field's places, never in exponent form."""
    return format(value.quantize(places), "f")
