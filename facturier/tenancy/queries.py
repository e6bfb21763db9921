"""Reads of the tenancy tables shared by pages, the API and exports."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from facturier.tenancy.models import Account, AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to; empty values filter nothing. Dates are days in the account's
    time zone, both ends included."""

    action: str = ""
    actor: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    text: str = ""


def _start_of_day(day: datetime.date, time_zone: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


def audit_events(account: Account, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """The account's audit events, most recent first, narrowed by `filters`.

    One query whatever the number of rows: the firm an actor acted for comes joined, and the actor is
    shown from the email kept on the event (it outlives the user).
    """
    filters = filters or AuditFilters()
    events = AuditEvent.objects.filter(account=account).select_related("via_firm")
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor:
        events = events.filter(actor_email__icontains=filters.actor.strip())
    if filters.date_from:
        events = events.filter(created_at__gte=_start_of_day(filters.date_from, account.time_zone))
    if filters.date_to:
        next_day = filters.date_to + datetime.timedelta(days=1)
        events = events.filter(created_at__lt=_start_of_day(next_day, account.time_zone))
    text = filters.text.strip()
    if text:
        events = events.filter(Q(target__icontains=text) | Q(summary__icontains=text))
    return events.order_by("-created_at", "-pk")
