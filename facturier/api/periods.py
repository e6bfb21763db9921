"""The `period` of the public API's invoice lists (api.md, section 3): named periods around the
account's today, or `date_from` / `date_to` with `period=more`; `last_12_months` when none is given."""

import datetime

from django.http import QueryDict
from django.utils.translation import gettext as _

from facturier.api import invoice_input as read
from facturier.api.errors import InputError
from facturier.api.views import text_param
from facturier.billing.queries import month_start, period_bounds
from facturier.tenancy.models import Account

PERIODS = {
    "all", "more", "today", "yesterday", "this_week", "last_week", "this_month", "last_month",
    "last_30_days", "last_12_months", "this_quarter", "last_quarter", "this_half_year", "last_half_year",
    "this_year", "last_year",
}  # fmt: skip


def period_dates(period: str, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last days of a named period of the public API around `today`."""
    if period in ("this_month", "last_month", "this_quarter", "last_quarter", "this_year", "last_year"):
        return period_bounds(period, today)
    day = datetime.timedelta(days=1)
    if period == "today":
        return today, today
    if period == "yesterday":
        return today - day, today - day
    monday = today - datetime.timedelta(days=today.weekday())
    if period == "this_week":
        return monday, monday + 6 * day
    if period == "last_week":
        return monday - 7 * day, monday - day
    if period == "last_30_days":
        return today - 29 * day, today
    if period == "last_12_months":
        return month_start(today, 12) + (today - month_start(today)) + day, today
    half = month_start(today, (today.month - 1) % 6)
    if period == "this_half_year":
        return half, month_start(half, -6) - day
    if period == "last_half_year":
        return month_start(half, 6), half - day
    return None, None


def _date_param(params: QueryDict, name: str) -> datetime.date | None:
    value = text_param(params, name)
    return read.to_date(value, name) if value else None


def period_range(params: QueryDict, account: Account) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last days the list's `period` (or `date_from` / `date_to`) selects; None: open."""
    period = text_param(params, "period")
    date_from, date_to = _date_param(params, "date_from"), _date_param(params, "date_to")
    if not period:
        period = "more" if date_from or date_to else "last_12_months"
    if period not in PERIODS:
        raise InputError.on("period", _("Période inconnue : %(p)s.") % {"p": period[:30]})
    if period == "all":
        return None, None
    if period != "more":
        return period_dates(period, account.today())
    return date_from, date_to
