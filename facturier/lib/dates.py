"""Dates as an account sees them."""

import datetime
import zoneinfo

from django.utils import timezone


def today_in(time_zone: str) -> datetime.date:
    """Today's date in the given IANA time zone (document dates follow the account's calendar)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()
