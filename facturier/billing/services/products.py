"""Writes to products: create, change, archive, restore, delete.

Each function runs in one transaction, checks the actor's permission and that the account is writable,
records an audit event, and raises ServiceError (a message for the user, with the field at fault) when
the rules refuse. A document line copies what it needs from its product, so changing or deleting a
product never changes a document (DocumentLine.product is SET_NULL).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from facturier.billing.models import Product, SupplyKind
from facturier.billing.services.archiving import set_archived
from facturier.lib import vat
from facturier.lib.money import MAX_AMOUNT, money_text
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account

# What create_product and update_product accept, and what the audit trail compares.
PRODUCT_FIELDS = [
    "name", "code", "unit", "unit_price", "price_is_gross", "vat_rate", "vat_category", "supply_kind",
    "accounting_code",
]  # fmt: skip


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ServiceError(_("Indiquez un nombre."), field=field) from None
    if not number.is_finite():
        raise ServiceError(_("Indiquez un nombre."), field=field)
    return number


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The values as stored, after checking them the same way whoever calls (page, API, command)."""
    values = {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}
    if not values["name"]:
        raise ServiceError(_("Donnez un nom au produit."), field="name")
    price = _decimal(values["unit_price"], "unit_price")
    if price < 0:
        raise ServiceError(_("Le prix unitaire doit être positif ou nul."), field="unit_price")
    if price > MAX_AMOUNT:
        raise ServiceError(
            _("Le prix unitaire ne peut dépasser %(max)s.") % {"max": money_text(MAX_AMOUNT)},
            field="unit_price",
        )
    if price != price.quantize(Decimal("0.0001")):
        raise ServiceError(_("Le prix unitaire a au plus 4 décimales."), field="unit_price")
    values["unit_price"] = price
    rate = _decimal(values["vat_rate"], "vat_rate")
    if rate not in vat.FRENCH_RATES:
        raise ServiceError(
            _("Taux de TVA inconnu : choisissez 20, 10, 5,5, 2,1 ou 0 %."),
            field="vat_rate",
        )
    values["vat_rate"] = rate
    category = values["vat_category"]
    if category not in dict(vat.CATEGORY_CHOICES):
        raise ServiceError(_("Catégorie de TVA inconnue."), field="vat_category")
    # EN 16931 (BR-S-05, BR-Z-05, BR-E-05...): only the standard category carries a rate above zero.
    if category == vat.STANDARD and rate == 0:
        raise ServiceError(
            _("Un taux de 0 % va avec une catégorie sans TVA (taux zéro, exonéré, autoliquidation...)."),
            field="vat_rate",
        )
    if category != vat.STANDARD and rate != 0:
        raise ServiceError(
            _("Cette catégorie de TVA n'a pas de taux : choisissez le taux de 0 %."), field="vat_rate"
        )
    if values["supply_kind"] not in SupplyKind.values:
        raise ServiceError(_("Indiquez s'il s'agit d'un bien ou d'un service."), field="supply_kind")
    values["price_is_gross"] = bool(values["price_is_gross"])
    for field, value in values.items():
        max_length = getattr(Product._meta.get_field(field), "max_length", None)
        if isinstance(value, str) and max_length and len(value) > max_length:
            raise ServiceError(
                _("%(value)s… est trop long (%(max)d caractères au plus).")
                % {"value": value[:20], "max": max_length},
                field=field,
            )
    return values


def _check_code_is_free(account: Account, code: str, product: Product | None = None) -> None:
    # Codes identify products in imports and the API: two products with one code would be ambiguous.
    if not code:
        return
    same = Product.objects.filter(account=account, code__iexact=code)
    if product is not None:
        same = same.exclude(pk=product.pk)
    if same.exists():
        raise ServiceError(
            _("Un autre produit a déjà la référence « %(code)s ».") % {"code": code}, field="code"
        )


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown product fields: {sorted(unknown)}")


def _values_of(product: Product) -> dict[str, Any]:
    return {field: getattr(product, field) for field in PRODUCT_FIELDS}


@transaction.atomic
def create_product(actor: Actor, account: Account, **fields: Any) -> Product:
    """Create a product of `account`; fields left out take the model's defaults."""
    actor.require("products.create")
    ensure_writable(account)
    _check_fields(fields)
    values = _clean(_values_of(Product()) | fields)
    _check_code_is_free(account, values["code"])
    product = Product.objects.create(account=account, **values)
    audit.record(actor, account, "product.created", target=product.name, subjects=[product])
    return product


@transaction.atomic
def update_product(actor: Actor, product: Product, **fields: Any) -> Product:
    """Change some fields of a product; the audit event keeps each changed value before and after.
    Documents already written keep the values they copied."""
    actor.require("products.edit")
    ensure_writable(product.account)
    _check_fields(fields)
    product = Product.objects.select_for_update().select_related("account").get(pk=product.pk)
    before = _values_of(product)
    after = _clean(before | fields)
    _check_code_is_free(product.account, after["code"], product)
    changes = audit.diff(before, after)
    if changes:
        for field, value in after.items():
            setattr(product, field, value)
        product.save()
        audit.record(
            actor,
            product.account,
            "product.changed",
            target=product.name,
            changes=changes,
            subjects=[product],
        )
    return product


def archive_product(actor: Actor, product: Product) -> Product:
    """Hide a product from the lists and from the choices of new lines."""
    set_archived(actor, product, archived=True)
    return product


def restore_product(actor: Actor, product: Product) -> Product:
    set_archived(actor, product, archived=False)
    return product


@transaction.atomic
def delete_product(actor: Actor, product: Product) -> None:
    """Delete a product. Lines that used it keep their copied name, price and VAT (product → NULL)."""
    actor.require("products.delete")
    account = product.account
    ensure_writable(account)
    name = product.name
    # Recorded first, while the row is there (webhooks read it).
    audit.record(actor, account, "product.deleted", target=name, subjects=[product])
    product.delete()
