"""Countries (ISO 3166-1 alpha-2) with names in the user's language, and the EU member states."""

import functools

from babel import Locale
from django.utils import translation
from django.utils.functional import lazy

# EU member states by ISO code (Greece is "GR" here; its VAT numbers use the prefix "EL").
EU_MEMBERS = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
        "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip

# CLDR lists groupings and placeholders among its territories; they are not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


@functools.cache
def _names(language: str) -> dict[str, str]:
    territories = Locale.parse(language).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code.isupper() and code not in _NOT_COUNTRIES
    }


COUNTRY_CODES = frozenset(_names("en"))


def country_name(code: str, language: str | None = None) -> str:
    return _names(language or translation.get_language() or "fr").get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name in the active language, for select boxes."""
    names = _names(translation.get_language() or "fr")
    return sorted(names.items(), key=lambda item: item[1].casefold())


lazy_country_choices = lazy(country_choices, list)
