"""Money: Decimal only, rounded half-up to the currency's minor unit in this one helper."""

import functools
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from django.conf import settings
from django.utils import formats, translation

T = TypeVar("T")

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# ISO 4217 currencies offered on documents, with their minor units (all have 2 except those listed).
CURRENCIES = [
    "EUR",
    "USD",
    "GBP",
    "CHF",
    "CAD",
    "JPY",
    "SEK",
    "DKK",
    "NOK",
    "PLN",
    "CZK",
    "HUF",
    "RON",
    "BGN",
]
_MINOR_UNITS = {"JPY": 0, "HUF": 2}
# Built once: round_money runs for every amount of every report row.
_UNIT_BY_PLACES = {places: Decimal(1).scaleb(-places) for places in (0, 2)}


# The largest price or line amount, and the largest quantity, a user may type: far beyond any small
# business's sale, and small enough that 500 lines of it still fit every stored total (14 digits).
MAX_AMOUNT = Decimal("999999999.99")
MAX_QUANTITY = Decimal("999999.9999")


def minor_unit(currency: str) -> Decimal:
    return _UNIT_BY_PLACES[_MINOR_UNITS.get(currency, 2)]


def round_money(value: Decimal, currency: str = "EUR") -> Decimal:
    """Round half-up to the currency's minor unit (cents for EUR). Every stored amount goes through here."""
    return Decimal(value).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def settled_share(amount: Decimal, settled: Decimal, due: Decimal, currency: str = "EUR") -> Decimal:
    """The part of `amount` that `settled` out of `due` settles, rounded (round_money): the VAT a payment
    makes due, the part of a total a foreign-currency payment books in EUR, a bucket spread over accounts.

    Callers take cumulative shares (the share after a payment less the share before it), so the parts
    of payments that settle `due` add up to `amount` exactly."""
    if not due:
        return ZERO
    return round_money(amount * settled / due, currency)


def cumulative_shares(
    amount: Decimal, parts: Iterable[tuple[T, Decimal]], due: Decimal, currency: str = "EUR"
) -> Iterator[tuple[T, Decimal]]:
    """For each (key, part) in order, the share of `amount` that part settles (settled_share, taken
    cumulatively): payments covering `due` give back `amount` exactly."""
    settled = done = ZERO
    for key, part in parts:
        settled += part
        share = settled_share(amount, settled, due, currency)
        yield key, share - done
        done = share


def cents(amount: Decimal) -> int:
    """A EUR amount of whole cents as an integer number of cents (sums of integers stay exact on every
    database)."""
    return int(amount.scaleb(2))


def from_cents(count: int | None) -> Decimal:
    """An integer number of cents (None: none) as a EUR amount."""
    return Decimal(count or 0).scaleb(-2).quantize(CENT)


def to_eur(amount: Decimal, exchange_rate: Decimal) -> Decimal:
    """An amount of a document currency in EUR, `exchange_rate` being EUR per one unit of that currency."""
    return round_money(amount * exchange_rate, "EUR")


@functools.lru_cache(maxsize=32)
def _separators(language: str) -> tuple[str, str] | None:
    """The language's decimal and thousand separators, when it groups digits by three (else None)."""
    if int(formats.get_format("NUMBER_GROUPING", language)) != 3:
        return None
    decimal = str(formats.get_format("DECIMAL_SEPARATOR", language))
    return decimal, str(formats.get_format("THOUSAND_SEPARATOR", language))


def amount_text(value: Decimal) -> str:
    """An amount as the pages print it: two decimals, grouped, in the user's language ("1 234,50").

    What Django's number_format(value, 2, force_grouping=True) writes, with the separators looked up
    once per language: lists print a few hundred amounts a page."""
    return amount_formatter()(value)


def amount_formatter() -> Callable[[Decimal], str]:
    """amount_text for the current language, the language read once: for a page's loop over its rows."""
    separators = _separators(translation.get_language() or settings.LANGUAGE_CODE)
    if separators is None:
        return lambda value: formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    return functools.partial(_grouped, decimal=separators[0], thousands=separators[1])


def _grouped(value: Decimal, decimal: str, thousands: str) -> str:
    text = f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


# Symbols written instead of the ISO code; other currencies keep their code ("1 234,56 CHF").
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
_NBSP = "\u00a0"


def money_text(value: Decimal | None, currency: str = "EUR") -> str:
    """An amount with its currency as the user's language writes it: "1 234,56 €" in French, "€1,234.56"
    in English. Every space inside is a no-break space, so the amount never breaks across two lines."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    places = 0 if minor_unit(currency) == 1 else 2
    if places == 2:
        text = amount_text(number)
    else:
        text = formats.number_format(
            number.quantize(Decimal(1), rounding=ROUND_HALF_UP), 0, force_grouping=True
        )
    text = text.replace(" ", _NBSP)
    symbol = _SYMBOLS.get(currency)
    language = translation.get_language() or settings.LANGUAGE_CODE
    if symbol and not language.startswith("fr"):
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text}{_NBSP}{symbol or currency}"


def quantity_text(value: Decimal | int | None, min_places: int = 0) -> str:
    """A quantity or a rate without trailing zeros, grouped, in the user's language ("1 234,5", "18,5");
    `min_places` keeps that many decimals at least (a unit price: "12,50", "0,1234")."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    plain = f"{number:f}"
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    places = max(len(plain.partition(".")[2]), min_places)
    return formats.number_format(Decimal(plain), places, use_l10n=True, force_grouping=True).replace(
        " ", _NBSP
    )
