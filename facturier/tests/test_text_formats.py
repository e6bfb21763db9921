"""The pages' amount and date texts are what Django's formatting writes, in French and in English."""

import datetime
from decimal import Decimal

import pytest
from django.utils import formats, translation

from facturier.lib.dates import date_formatter, date_text
from facturier.lib.money import amount_formatter, amount_text

AMOUNTS = [
    "0",
    "0.5",
    "1",
    "-1",
    "12.34",
    "-12.35",
    "999.99",
    "1000",
    "-1000.01",
    "1234567.89",
    "100000000.10",
]
DATES = [datetime.date(2026, 1, 2), datetime.date(2026, 11, 28), datetime.date(1999, 12, 31)]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_amounts_read_as_django_formats_them(language):
    with translation.override(language):
        for text in AMOUNTS:
            value = Decimal(text)
            assert amount_text(value) == formats.number_format(value, 2, use_l10n=True, force_grouping=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_dates_read_as_django_formats_them(language):
    with translation.override(language):
        for day in DATES:
            assert date_text(day) == formats.date_format(day, "SHORT_DATE_FORMAT")
        assert date_text(None) == ""


def test_french_amounts_use_a_comma_and_group_thousands():
    with translation.override("fr"):
        assert amount_text(Decimal("1234.5")).replace("\u202f", " ").replace("\xa0", " ") == "1 234,50"
        assert date_text(datetime.date(2026, 11, 28)) == "28/11/2026"


def test_a_pages_formatters_write_in_the_language_they_were_made_in():
    with translation.override("fr"):
        amount, date = amount_formatter(), date_formatter()
        french = amount_text(Decimal("1234.5")), date_text(DATES[0])
    with translation.override("en"):
        assert (amount(Decimal("1234.5")), date(DATES[0])) == french
        assert date(None) == ""
