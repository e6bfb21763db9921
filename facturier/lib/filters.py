"""Values read from a query string or a form post that the database and the calendar can take.

A URL is typed, pasted and edited by anyone, and a form post is as easily forged, so what a page
filters or acts on must be checked before it reaches a query: an id made of ASCII digits that fits a BIGINT ("²".isdigit() is true but int() refuses it,
"٣" is 3 to int() and a typing accident to the user), a date far enough from the calendar's ends that
"the day after" and the time-zone shift still exist, and search text without the NUL character that
PostgreSQL refuses in any string.
"""

import datetime
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy

# The largest id a BIGINT column holds (every primary key here: DEFAULT_AUTO_FIELD is BigAutoField).
MAX_ID = 2**63 - 1
# Filters accept dates in these years: wide enough for any book, far from datetime's own ends (a filter
# "to 9999-12-31" asks for the day after, "from 0001-01-01" for midnight in Paris, in UTC).
MIN_YEAR, MAX_YEAR = 1900, 2999
MIN_DATE, MAX_DATE = datetime.date(MIN_YEAR, 1, 1), datetime.date(MAX_YEAR, 12, 31)


def parse_id(value: object) -> int | None:
    """The id a query-string or posted value names ("12"), or None when it cannot name a row."""
    number = parse_count(value, MAX_ID)
    return number if number else None


def parse_count(value: object, maximum: int) -> int | None:
    """A whole number from 0 to `maximum` written in ASCII digits ("12"), or None: no sign, space,
    underscore or other script's digits, which int() would take ("٣" is 3 to it)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if number <= maximum else None


def search_text(value: object, max_length: int) -> str:
    """Search text as typed, trimmed to `max_length`, its NUL characters dropped: PostgreSQL refuses
    them in any query, and nobody types one (a pasted or crafted URL carries it)."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:max_length]


class FilterDateField(forms.DateField):
    """A date filter: YYYY-MM-DD (or the language's format), between MIN_DATE and MAX_DATE, with a
    message that says so in the user's language."""

    default_error_messages = {
        "invalid": gettext_lazy("Date invalide : utilisez le format AAAA-MM-JJ."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The years are written out in the message (a lazy message cannot take them as arguments).
        message = gettext_lazy("Date hors limites : l'année doit être comprise entre 1900 et 2999.")
        self.validators += [MinValueValidator(MIN_DATE, message), MaxValueValidator(MAX_DATE, message)]
