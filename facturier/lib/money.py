"""Money: Decimal only, rounded half-up to the currency's minor unit in this one helper."""

from decimal import ROUND_HALF_UP, Decimal

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


def minor_unit(currency: str) -> Decimal:
    return _UNIT_BY_PLACES[_MINOR_UNITS.get(currency, 2)]


def round_money(value: Decimal, currency: str = "EUR") -> Decimal:
    """Round half-up to the currency's minor unit (cents for EUR). Every stored amount goes through here."""
    return Decimal(value).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def to_eur(amount: Decimal, exchange_rate: Decimal) -> Decimal:
    """An amount of a document currency in EUR, `exchange_rate` being EUR per one unit of that currency."""
    return round_money(amount * exchange_rate, "EUR")
