"""The one way pages write numbers: `{{ amount|money:document.currency }}`, `{{ line.quantity|quantity }}`,
`{{ line.unit_price|price }}`.

Loaded as a built-in (settings.TEMPLATES), so every template has them without {% load %}. The text
comes from lib.money, which errors, e-mails and charts use as well."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from facturier.lib.money import money_text, quantity_text

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter(is_safe=True)
def money(value: Any, currency: str = "EUR") -> str:
    """An amount with its currency: "1 234,56 €" (French), never broken across two lines."""
    number = _decimal(value)
    return "" if number is None else money_text(number, currency or "EUR")


@register.filter(is_safe=True)
def quantity(value: Any) -> str:
    """A quantity or a rate without trailing zeros: "18,5", "2", "1 000"."""
    number = _decimal(value)
    return "" if number is None else quantity_text(number)


@register.filter(is_safe=True)
def price(value: Any) -> str:
    """A unit price: at least the cents, more decimals only when it has them ("12,50", "0,1234")."""
    number = _decimal(value)
    return "" if number is None else quantity_text(number, min_places=2)
