"""The invoice body of the public API (`{"invoice": {...}}`, api.md section 5), read into what the
documents service takes (DocumentInput, LineInput).

Positions give a product (`product_id`: its name, unit, price and VAT are the defaults) or free text
(`name`, `quantity`, `tax`, and one price: `price_net`, `price_gross`, `total_price_net` or
`total_price_gross`). A document keeps its prices net or gross (`prices_are_gross`): a new document is
gross when its positions give gross prices only; a price of the other kind is converted.

The buyer is `client_id`, or the client found from the `buyer_*` fields (on the tax number, else on the
name and email), or else created from them.

An OSS sale (a distance sale to a consumer in another member state) carries the VAT of the buyer's
country on its lines: `use_oss` asks for it, `identify_oss` lets the rules decide (a buyer without a VAT
number in another member state, and rates of that state), `force_tax_oss` (or `oss_force_tax`) puts the
destination's rates on the lines whatever was sent.
"""

import calendar
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.api import coercion
from facturier.api.clients import tax_identity
from facturier.api.coercion import Field
from facturier.api.errors import InputError
from facturier.api.products import read_tax
from facturier.billing import totals
from facturier.billing.models import Client, Document, DocumentLine, Kind, PaymentMethod, Product
from facturier.billing.services import clients as client_service
from facturier.billing.services.clients import person_name
from facturier.billing.services.documents import DocumentInput, LineInput
from facturier.lib import vat
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

FOUR_PLACES = Decimal("0.0001")
MAX_POSITIONS = 1000

# The service's field names, as the API names them in its 422 bodies.
API_NAMES = {
    "issue_date": "issue_date",
    "sell_date": "sell_date",
    "due_date": "payment_to",
    "language": "lang",
    "payment_method": "payment_type",
    "buyer_reference": "oid",
    "notes": "description",
    "email_to": "buyer_email",
    "lines": "positions",
    "corrected_document_id": "invoice_id",
    "bank_iban": "seller_bank_account",
    "bank_bic": "seller_bank_swift",
    "oss": "use_oss",
    "delivery_street": "delivery_address_street",
    "delivery_post_code": "delivery_address_post_code",
    "delivery_city": "delivery_address_city",
    "delivery_country": "delivery_address_country",
    "reason": "cancel_reason",
    "to": "email_to",
    "cc": "email_cc",
}
# The clients service's field names, as the buyer fields of an invoice name them.
BUYER_API_NAMES = {
    "name": "buyer_name",
    "first_name": "buyer_first_name",
    "last_name": "buyer_last_name",
    "is_company": "buyer_company",
    "siren": "buyer_tax_no",
    "siret": "buyer_tax_no",
    "vat_number": "buyer_tax_no",
    "street": "buyer_street",
    "post_code": "buyer_post_code",
    "city": "buyer_city",
    "country": "buyer_country",
    "email": "buyer_email",
    "phone": "buyer_phone",
}
PAYMENT_TYPES = {
    "transfer": PaymentMethod.TRANSFER,
    "card": PaymentMethod.CARD,
    "cash": PaymentMethod.CASH,
    "cheque": PaymentMethod.CHEQUE,
    "paypal": PaymentMethod.PAYPAL,
    "direct_debit": PaymentMethod.DIRECT_DEBIT,
    "lcr": PaymentMethod.OTHER,
}


def to_date(value: Any, field: str) -> datetime.date:
    text = coercion.to_text(value, field).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise InputError.on(field, _("Indiquez une date au format AAAA-MM-JJ."))


def to_sell_date(value: Any, field: str) -> datetime.date | None:
    """A date, a month (`YYYY-MM`: its last day) or "off" (no date)."""
    text = coercion.to_text(value, field).strip()
    if text.lower() == "off":
        return None
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if month and 1 <= int(month[2]) <= 12:
        year, number = int(month[1]), int(month[2])
        return datetime.date(year, number, calendar.monthrange(year, number)[1])
    return to_date(text, field)


# The official API's kinds Facturier does not make, and why (api.md, "Fidelity to the official API").
UNMADE_KINDS = {
    "invoice_other": gettext_lazy(
        "Facturier ne fait pas de « autre document comptable » : une vente se facture avec vat, un "
        "remboursement avec correction (avoir), un encaissement avec receipt."
    ),
    "client_order": gettext_lazy(
        "Facturier ne gère pas les bons de commande client : faites un devis (estimate), que le client "
        "accepte, puis la facture à partir du devis (copy_invoice_from)."
    ),
    "maintenance_request": gettext_lazy(
        "Facturier ne gère pas les bons d'intervention : décrivez l'intervention dans un devis (estimate) "
        "ou sur la facture."
    ),
    "payment_receipt": gettext_lazy(
        "Le reçu d'un paiement se fait depuis le paiement (page Paiements) : enregistrez le paiement par "
        "POST /banking/payments.json."
    ),
    "kp": gettext_lazy("Facturier ne tient pas de caisse : les reçus d'espèces (kp) n'existent pas ici."),
    "kw": gettext_lazy("Facturier ne tient pas de caisse : les sorties d'espèces (kw) n'existent pas ici."),
}


def to_kind(value: Any, field: str) -> str:
    kind = coercion.to_text(value, field).strip().lower()
    if kind in UNMADE_KINDS:
        raise InputError.on(field, str(UNMADE_KINDS[kind]))
    if kind not in Kind.values:
        raise InputError.on(
            field,
            _("Type de document non pris en charge : choisissez parmi %(kinds)s.")
            % {"kinds": ", ".join(Kind.values)},
        )
    return kind


def to_language(value: Any, field: str) -> str:
    # "fr/en", "en / fr": the first language is the document's; "en-GB" is English.
    text = coercion.to_text(value, field).strip().lower()
    return re.split(r"[/ -]", text, maxsplit=1)[0] if text else text


def to_payment_type(value: Any, field: str) -> str:
    """The public API's payment types; a free text or an unknown type is "other"."""
    return PAYMENT_TYPES.get(coercion.to_text(value, field).strip().lower(), PaymentMethod.OTHER)


def to_payment_terms(value: Any, field: str) -> int | None:
    """Days (`5`), or "other_date" / "off": no terms (`payment_to` then gives the date)."""
    if isinstance(value, str) and value.strip().lower() in ("other_date", "off", ""):
        return None
    return coercion.to_int(value, field, minimum=0, maximum=3650)


FIELDS = [
    Field("kind", "kind", to_kind),
    Field("issue_date", "issue_date", to_date),
    Field("sell_date", "sell_date", to_sell_date),
    Field("payment_to", "due_date", to_date),
    Field("payment_to_kind", "payment_terms", to_payment_terms),
    Field("currency", "currency", coercion.to_code),
    Field("exchange_currency_rate", "exchange_rate", coercion.to_decimal),
    Field("lang", "language", to_language),
    Field("payment_type", "payment_method", to_payment_type),
    Field("oid", "buyer_reference"),
    Field("description", "notes"),
    Field("internal_note", "internal_note"),
    Field("buyer_email", "email_to"),
    Field("reverse_charge", "reverse_charge", coercion.to_bool),
    Field("use_oss", "oss", coercion.to_bool),
    Field("use_moss", "oss", coercion.to_bool),
    Field("correction_reason", "correction_reason"),
    Field("invoice_id", "corrected_document_id", coercion.to_id),
    Field("delivery_address_street", "delivery_street"),
    Field("delivery_address_post_code", "delivery_post_code"),
    Field("delivery_address_city", "delivery_city"),
    Field("delivery_address_country", "delivery_country", coercion.to_code),
    Field("test", "test", coercion.to_bool),
]
BUYER_FIELDS = [
    Field("buyer_name", "name"),
    Field("buyer_first_name", "first_name"),
    Field("buyer_last_name", "last_name"),
    Field("buyer_company", "is_company", coercion.to_bool),
    Field("buyer_tax_no", "tax_no"),
    Field("buyer_street", "street"),
    Field("buyer_post_code", "post_code"),
    Field("buyer_city", "city"),
    Field("buyer_country", "country", coercion.to_code),
    Field("buyer_email", "email"),
    Field("buyer_phone", "phone"),
]
# What the law lets change on an issued document (documents.update_issued), by API name.
ISSUED_FIELDS = [
    Field("description", "notes"),
    Field("internal_note", "internal_note"),
    Field("buyer_email", "email_to"),
    Field("payment_type", "payment_method", to_payment_type),
    Field("seller_bank_account", "bank_iban"),
    Field("seller_bank_swift", "bank_bic"),
]
POSITION_FIELDS = [
    Field("name", "name"),
    Field("description", "description"),
    Field("quantity", "quantity", coercion.to_decimal),
    Field("quantity_unit", "unit"),
    Field("tax", "tax", read_tax),
    Field("discount_percent", "discount_percent", coercion.to_decimal),
    Field("discount", "discount", coercion.to_decimal),
    Field("price_net", "price_net", coercion.to_decimal),
    Field("price_gross", "price_gross", coercion.to_decimal),
    Field("total_price_net", "total_price_net", coercion.to_decimal),
    Field("total_price_gross", "total_price_gross", coercion.to_decimal),
]
GROSS_PRICES = ("price_gross", "total_price_gross")
NET_PRICES = ("price_net", "total_price_net")


def positions_of(data: Mapping[str, Any]) -> list[Any] | None:
    """The `positions` sent: a list, or Rails-style `{"0": {...}, "1": {...}}`; None when not sent."""
    positions = data.get("positions")
    if coercion.is_absent(positions):
        return None
    if isinstance(positions, Mapping):
        positions = list(positions.values())
    if not isinstance(positions, list):
        raise InputError.on("positions", _("Envoyez une liste de positions."))
    if len(positions) > MAX_POSITIONS:
        raise InputError.on("positions", _("Trop de positions."))
    for entry in positions:
        if not isinstance(entry, Mapping):
            raise InputError.on("positions", _("Chaque position est un objet JSON."))
    return positions


def position_id(entry: Mapping[str, Any]) -> int | None:
    value = entry.get("id")
    return None if coercion.is_absent(value) else coercion.to_id(value, "positions")


def is_destroyed(entry: Mapping[str, Any]) -> bool:
    value = entry.get("_destroy")
    return not coercion.is_absent(value) and coercion.to_bool(value, "positions")


def read_position(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One position's values; errors are named `positions` (the field the API reports)."""
    try:
        values = coercion.read(entry, POSITION_FIELDS)
    except InputError as error:
        messages = [f"{key} : {text}" for key, texts in error.messages.items() for text in texts]
        raise InputError({"positions": messages}) from None
    product_id = entry.get("product_id")
    if not coercion.is_absent(product_id):
        values["product_id"] = coercion.to_id(product_id, "positions")
    row_kind = entry.get("kind")
    if isinstance(row_kind, str) and row_kind.strip().lower() in ("text_separator", "subtotal"):
        raise InputError.on(
            "positions",
            _(
                "kind « %(kind)s » : Facturier ne fait pas encore de lignes de texte ni de sous-totaux ; "
                "mettez le texte dans la description d'une position ou du document."
            )
            % {"kind": row_kind.strip().lower()},
        )
    return values


def gross_mode(positions: list[dict[str, Any]], products: Mapping[int, Product]) -> bool:
    """Whether a new document keeps gross prices: its positions give gross prices and no net ones
    (or, giving no price at all, use gross-priced products only)."""
    priced = [p for p in positions if any(key in p for key in GROSS_PRICES + NET_PRICES)]
    if priced:
        return all(not any(key in p for key in NET_PRICES) for p in priced)
    used = [products[p["product_id"]] for p in positions if p.get("product_id") in products]
    return bool(used) and all(product.price_is_gross for product in used)


# `calculating_strategy` (api.md): its three keys, and the values Facturier follows for each kind of
# unit price. One rule per kind (billing/totals.py): net prices keep each line's net amount and compute
# VAT per rate on the summed nets (position "default", sum "keep_net"); gross prices keep each line's
# gross amount and the document's gross total, which is also the sum of the lines' amounts (position
# "keep_gross", sum "keep_gross" or "sum").
STRATEGY_KEYS = ("position", "sum", "invoice_form_price_kind")
STRATEGY_VALUES: dict[str, tuple[str, ...]] = {
    "position": ("default", "keep_gross"),
    "sum": ("sum", "keep_gross", "keep_net"),
    "invoice_form_price_kind": ("net", "gross"),
}
FOLLOWED_STRATEGIES: dict[bool, dict[str, tuple[str, ...]]] = {
    False: {"position": ("default",), "sum": ("keep_net",)},
    True: {"position": ("keep_gross",), "sum": ("keep_gross", "sum")},
}


def strategy_of(prices_are_gross: bool) -> dict[str, str]:
    """The `calculating_strategy` a document's totals follow, as the API shows it."""
    followed = FOLLOWED_STRATEGIES[prices_are_gross]
    return {
        "position": followed["position"][0],
        "sum": followed["sum"][0],
        "invoice_form_price_kind": "gross" if prices_are_gross else "net",
    }


def gross_strategy(data: Mapping[str, Any]) -> bool | None:
    """Whether the `calculating_strategy` sent asks for gross prices; None when none is sent. A value
    Facturier does not follow is refused (422) with the key it names and why."""
    field = "calculating_strategy"
    strategy = data.get(field)
    if coercion.is_absent(strategy) or strategy == "":
        return None
    if not isinstance(strategy, Mapping):
        raise InputError.on(field, _("Envoyez un objet avec position, sum et invoice_form_price_kind."))
    values = {}
    for key in STRATEGY_KEYS:
        value = strategy.get(key)
        if coercion.is_absent(value):
            raise InputError.on(
                field,
                _("%(key)s manque : envoyez position, sum et invoice_form_price_kind ensemble.")
                % {"key": f"{field}.{key}"},
            )
        text = coercion.to_text(value, field).strip().lower()
        if text not in STRATEGY_VALUES[key]:
            raise InputError.on(
                field,
                _("%(key)s vaut %(values)s.")
                % {"key": f"{field}.{key}", "values": ", ".join(f"« {v} »" for v in STRATEGY_VALUES[key])},
            )
        values[key] = text
    gross = values["invoice_form_price_kind"] == "gross"
    followed = FOLLOWED_STRATEGIES[gross]
    if values["position"] not in followed["position"]:
        raise InputError.on(
            field,
            (
                _(
                    "Facturier ne gère pas %(key)s « %(value)s » avec des prix TTC : le montant TTC de "
                    "chaque ligne est conservé (« keep_gross »)."
                )
                if gross
                else _(
                    "Facturier ne gère pas %(key)s « %(value)s » avec des prix HT : le montant HT de "
                    "chaque ligne est conservé (« default »)."
                )
            )
            % {"key": f"{field}.position", "value": values["position"]},
        )
    if values["sum"] not in followed["sum"]:
        raise InputError.on(
            field,
            (
                _(
                    "Facturier ne gère pas %(key)s « %(value)s » avec des prix TTC : le total TTC des "
                    "lignes est conservé (« keep_gross »)."
                )
                if gross
                else _(
                    "Facturier ne gère pas %(key)s « %(value)s » avec des prix HT : la TVA est calculée "
                    "par taux sur la somme des montants HT (norme EN 16931, « keep_net »)."
                )
            )
            % {"key": f"{field}.sum", "value": values["sum"]},
        )
    return gross


def products_of(account: Account, positions: list[dict[str, Any]]) -> dict[int, Product]:
    ids = {p["product_id"] for p in positions if "product_id" in p}
    found = {product.pk: product for product in Product.objects.filter(account=account, pk__in=ids)}
    if len(found) != len(ids):
        raise InputError.on("positions", _("Un produit des positions n'existe pas dans ce compte."))
    return found


def _in_mode(amount: Decimal, given_gross: bool, rate: Decimal, category: str, gross: bool) -> Decimal:
    """A unit price given net or gross, as the document keeps it (net or gross)."""
    if given_gross == gross:
        return amount
    factor = 1 + (rate if category == vat.STANDARD else Decimal(0)) / 100
    converted = amount / factor if given_gross else amount * factor
    return converted.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def reverse_charged(line: LineInput) -> LineInput:
    """The line under reverse charge (`reverse_charge: true`): the buyer accounts for the VAT, so no rate,
    category AE; the documents service writes the mention "Autoliquidation" when the line has none."""
    if line.vat_category == vat.REVERSE_CHARGE:
        return line
    return replace(line, vat_rate=Decimal(0), vat_category=vat.REVERSE_CHARGE, exemption_reason="")


def line_input(
    values: dict[str, Any],
    products: Mapping[int, Product],
    gross: bool,
    base: LineInput | None = None,
    *,
    reverse_charge: bool = False,
    currency: str = "EUR",
) -> LineInput:
    """A LineInput from a position's values, over the line it edits (`base`) or the product's defaults;
    `reverse_charge`: of a document under reverse charge, whatever `tax` says (its prices are net)."""
    product = products.get(values["product_id"]) if "product_id" in values else None
    if base is not None:
        line = replace(base, product_id=values.get("product_id", base.product_id))
    elif product is not None:
        line = LineInput(
            name=product.name,
            quantity=Decimal(1),
            unit_price=_in_mode(
                product.unit_price, product.price_is_gross, product.vat_rate, product.vat_category, gross
            ),
            vat_rate=product.vat_rate,
            vat_category=product.vat_category,
            unit=product.unit,
            product_id=product.pk,
            supply_kind=product.supply_kind,
            accounting_code=product.accounting_code,
        )
    else:
        line = LineInput(name="", quantity=Decimal(1), unit_price=Decimal(0), vat_rate=Decimal(20))
    for name in ("name", "description", "quantity", "unit", "discount_percent"):
        if name in values:
            line = replace(line, **{name: values[name]})
    if "tax" in values:
        rate, category = values["tax"]
        line = replace(line, vat_rate=rate, vat_category=category)
    if reverse_charge:
        line = reverse_charged(line)
    # The first price given wins, the document's own kind (net or gross) first: a position sent back
    # as read keeps its exact price.
    prices = [("price_net", False, False), ("total_price_net", False, True)]
    prices += [("price_gross", True, False), ("total_price_gross", True, True)]
    for key, is_gross, is_total in sorted(prices, key=lambda price: price[1] != gross):
        if key not in values:
            continue
        amount = values[key]
        if is_total:
            if not line.quantity:
                raise InputError.on("positions", _("Une position avec un total a une quantité non nulle."))
            amount = (amount / line.quantity).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
        line = replace(line, unit_price=_in_mode(amount, is_gross, line.vat_rate, line.vat_category, gross))
        break
    if "discount" in values:
        line = with_discount_amount(line, values["discount"], gross=gross, currency=currency)
    return line


DISCOUNT_KINDS = ("percent_unit", "percent_unit_gross", "percent_total", "amount")


def discount_kind(data: Mapping[str, Any]) -> str | None:
    """The document's `discount_kind`; every percent kind is the line's `discount_percent` (a percent of
    the unit price, net or gross, or of the line's total is the same percent of the line)."""
    value = data.get("discount_kind")
    if coercion.is_absent(value):
        return None
    kind = coercion.to_text(value, "discount_kind").strip().lower()
    if kind not in DISCOUNT_KINDS:
        raise InputError.on(
            "discount_kind", _("Choisissez parmi %(kinds)s.") % {"kinds": ", ".join(DISCOUNT_KINDS)}
        )
    return kind


def check_discounts(data: Mapping[str, Any]) -> None:
    """A position's `discount` (an amount) only with `"discount_kind": "amount"`, as the README sends it."""
    if discount_kind(data) == "amount":
        return
    for entry in positions_of(data) or []:
        if not coercion.is_absent(entry.get("discount")):
            raise InputError.on(
                "positions",
                _(
                    'discount est un montant TTC de remise : envoyez aussi "discount_kind": "amount" '
                    "sur le document, ou une remise en pourcentage dans discount_percent."
                ),
            )


def with_discount_amount(line: LineInput, amount: Decimal, *, gross: bool, currency: str) -> LineInput:
    """The line with a discount of `amount` (TTC, as the README defines `discount`) off its total, kept as
    the percentage (to the hundredth) that gives exactly that amount; refused when none does."""
    if not gross:
        raise InputError.on(
            "positions",
            _(
                "discount est un montant TTC : envoyez les prix TTC (total_price_gross ou price_gross), ou "
                "une remise en pourcentage dans discount_percent."
            ),
        )

    def amount_with(percent: Decimal) -> Decimal:
        return totals.line_amount(
            totals.LineAmounts(line.quantity, line.unit_price, line.vat_rate, discount_percent=percent),
            currency,
        )

    before = amount_with(Decimal(0))
    if not 0 <= amount <= before:
        raise InputError.on(
            "positions",
            _("La remise de %(amount)s dépasse le total de la position (%(total)s).")
            % {"amount": amount, "total": before},
        )
    target = before - amount
    guess = (amount * 100 / before).quantize(Decimal("0.01")) if before else Decimal(0)
    step = Decimal("0.01")
    for percent in (guess, guess - step, guess + step, guess - 2 * step, guess + 2 * step):
        if 0 <= percent <= 100 and amount_with(percent) == target:
            return replace(line, discount_percent=percent)
    raise InputError.on(
        "positions",
        _(
            "Une remise de %(amount)s sur %(total)s ne s'écrit pas en pourcentage au centième près : "
            "envoyez discount_percent, ou le prix remisé."
        )
        % {"amount": amount, "total": before},
    )


@dataclass(frozen=True)
class OssRequest:
    """What a body asks about OSS beyond `use_oss`: let the rules decide, and replace the rates sent."""

    identify: bool = False
    force: bool = False


def with_oss(document: DocumentInput, client: Client, request: OssRequest) -> DocumentInput:
    """The document with its OSS flag decided and its taxed lines in the VAT of the right country.

    `identify` (or `force`) makes it an OSS sale exactly when the buyer is in another member state without
    a VAT number (a consumer) and, unless `force`, every taxed line has a rate of that state; otherwise it
    is an ordinary French sale, whatever `use_oss` says. Without them, `use_oss` is obeyed, and refused
    for a buyer outside the other member states."""
    destination = vat.oss_destination(client.country)
    taxed = [line for line in document.lines if line.vat_category == vat.STANDARD]
    oss = document.oss
    if request.identify or request.force:
        oss = destination is not None and not client.vat_number
        if oss and not request.force:
            oss = bool(taxed) and all(vat.is_valid_rate(str(destination), line.vat_rate) for line in taxed)
    elif oss and destination is None:
        raise InputError.on(
            "use_oss", _("L'OSS ne s'applique qu'aux ventes à un client établi dans un autre pays de l'UE.")
        )
    country = destination if oss and destination else "FR"
    force = request.force and oss  # the rates sent stand on an ordinary sale
    lines = [
        _in_country(line, country, force=force) if line.vat_category == vat.STANDARD else line
        for line in document.lines
    ]
    return replace(document, oss=oss, lines=lines)


def _in_country(line: LineInput, country: str, *, force: bool) -> LineInput:
    rate = line.vat_rate
    if force and not vat.is_valid_rate(country, rate):
        rate = vat.standard_rate(country) or rate
    return replace(line, vat_country=country, vat_rate=rate)


def stored_line(line: DocumentLine) -> LineInput:
    return LineInput(
        name=line.name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=line.vat_rate,
        vat_category=line.vat_category,
        discount_percent=line.discount_percent,
        unit=line.unit,
        description=line.description,
        product_id=line.product_id,
        supply_kind=line.supply_kind,
        vat_country=line.vat_country,
        exemption_reason=line.exemption_reason,
        accounting_code=line.accounting_code,
    )


def stored_input(document: Document) -> DocumentInput:
    """A draft's current content, to change some of it."""
    return DocumentInput(
        kind=document.kind,
        client_id=document.client_id,
        issue_date=document.issue_date,
        lines=[stored_line(line) for line in document.lines.order_by("position", "id")],
        sell_date=document.sell_date,
        due_date=document.due_date,
        valid_until=document.valid_until,
        currency=document.currency,
        exchange_rate=document.exchange_rate,
        language=document.language,
        prices_are_gross=document.prices_are_gross,
        reverse_charge=document.reverse_charge,
        oss=document.oss,
        payment_method=document.payment_method,
        buyer_reference=document.buyer_reference,
        notes=document.notes,
        internal_note=document.internal_note,
        email_to=document.email_to,
        delivery_street=document.delivery_street,
        delivery_post_code=document.delivery_post_code,
        delivery_city=document.delivery_city,
        delivery_country=document.delivery_country,
        correction_reason=document.correction_reason,
        corrected_document_id=document.corrected_document_id,
        test=document.test,
    )


@dataclass
class Buyer:
    """The buyer a body names: an existing client's id, or the fields to find or create one by."""

    client_id: int | None
    fields: dict[str, Any]

    @property
    def given(self) -> bool:
        """Whether the body names a buyer (an email alone is the document's recipient, not a buyer)."""
        named = ("name", "first_name", "last_name", "tax_no")
        return self.client_id is not None or any(self.fields.get(key) for key in named)


def read_buyer(data: Mapping[str, Any]) -> Buyer:
    fields = coercion.read(data, BUYER_FIELDS)
    raw = data.get("client_id")
    client_id = None
    if not coercion.is_absent(raw) and str(raw).strip() != "-1":  # -1: "create the client"
        client_id = coercion.to_id(raw, "client_id")
    return Buyer(client_id, fields)


def find_or_create_client(actor: Actor, account: Account, buyer: Buyer) -> int:
    """The client's id: `client_id`, else a client matching the buyer fields, else a new one."""
    if buyer.client_id is not None:
        return buyer.client_id
    fields = dict(buyer.fields)
    tax_no = fields.pop("tax_no", "")
    identity = tax_identity(tax_no) if tax_no else {}
    fields |= identity
    name = fields.get("name") or person_name(fields.get("first_name", ""), fields.get("last_name", ""))
    if not name.strip():
        raise InputError.on("buyer_name", _("Indiquez l'acheteur : client_id ou buyer_name."))
    clients = Client.objects.filter(account=account)
    if identity:
        (key, value), *_rest = identity.items()
        match = clients.filter(**{key: value}).order_by("pk").first()
    else:
        match = None
    if match is None:
        named = clients.filter(name__iexact=name.strip())
        if fields.get("email"):
            named = named.filter(email__iexact=fields["email"].strip())
        match = named.order_by("pk").first()
    if match is not None:
        return match.pk
    if "is_company" not in fields and not fields.get("name"):
        fields["is_company"] = False  # a person sent by first and last name only
    try:
        return client_service.create_client(actor, account, **fields).pk
    except ServiceError as error:
        if error.field in BUYER_API_NAMES:
            error.field = BUYER_API_NAMES[error.field]
        raise
