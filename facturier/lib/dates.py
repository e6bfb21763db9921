"""Dates as an account sees them."""

import datetime
import functools
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.utils import formats, timezone, translation


def today_in(time_zone: str) -> datetime.date:
    """Today's date in the given IANA time zone (document dates follow the account's calendar)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()


# Django's date format letters that have a strftime twin; a format with any other letter is left to Django.
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y"}


@functools.lru_cache(maxsize=32)
def _short_date_pattern(language: str) -> str | None:
    """The language's SHORT_DATE_FORMAT ("d/m/Y") as a strftime pattern ("%d/%m/%Y"), when it can be."""
    pattern = []
    for char in str(formats.get_format("SHORT_DATE_FORMAT", language)):
        if char.isalpha() or char in "\\%":
            if char not in _STRFTIME:
                return None
            pattern.append(_STRFTIME[char])
        else:
            pattern.append(char)
    return "".join(pattern)


def date_text(day: datetime.date | None) -> str:
    """A date as the pages print it, in the user's language ("28/11/2026"); empty for none.

    What Django's date_format(day, "SHORT_DATE_FORMAT") writes, its format read once per language."""
    return date_formatter()(day)


def date_formatter() -> Callable[[datetime.date | None], str]:
    """date_text for the current language, the language read once: for a page's loop over its rows."""
    pattern = _short_date_pattern(translation.get_language() or settings.LANGUAGE_CODE)

    def date_text(day: datetime.date | None) -> str:
        if day is None:
            return ""
        return formats.date_format(day, "SHORT_DATE_FORMAT") if pattern is None else day.strftime(pattern)

    return date_text
