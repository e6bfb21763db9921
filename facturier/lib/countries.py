"""Countries (ISO 3166-1 alpha-2) with names in the user's language, and the EU member states."""

import functools
import re

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


# Postal codes whose format is checked: France's (La Poste: five digits, the overseas departments
# included) and Monaco's (980xx, in the French system). Other countries are not checked yet.
POST_CODE_FORMATS: dict[str, tuple[str, str]] = {
    "FR": (r"\d{5}", "75008"),
    "MC": (r"980\d{2}", "98000"),
}


def post_code_example(country: str, post_code: str) -> str | None:
    """None when `post_code` has the format of `country` (or the country's format is not known, or the
    code is empty), else an example of the right format for the message."""
    known = POST_CODE_FORMATS.get(country.upper())
    if not post_code or known is None:
        return None
    pattern, example = known
    return None if re.fullmatch(pattern, post_code.strip().upper()) else example
