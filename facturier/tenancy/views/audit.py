"""Journal d'audit: who did what, when and from where in the account. Read-only."""

import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from facturier.tenancy.access import AccountRequest, account_view
from facturier.tenancy.audit import ACTIONS
from facturier.tenancy.forms.audit import AuditFilterForm
from facturier.tenancy.models import Account, AuditEvent
from facturier.tenancy.queries import audit_events

PAGE_SIZE = 50

# Names of the changed values that are not fields of Account (see the `changes` of services' events).
_CHANGE_LABELS = {
    "reason": _("raison"),
    "role": _("rôle"),
    "owner": _("propriétaire"),
    "permissions": _("permissions"),
}


def _change_label(name: str) -> str:
    if name in _CHANGE_LABELS:
        return str(capfirst(_CHANGE_LABELS[name]))
    try:
        field = Account._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(capfirst(getattr(field, "verbose_name", name)))


def _show_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, str) and len(value) == 10:
        # Dates are kept as ISO text in `changes`; show them as the reader writes them.
        try:
            return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            pass
    return str(value)


def _describe(event: AuditEvent) -> AuditEvent:
    """Give the template the action's label and the changes as (label, before, after) rows."""
    event.action_label = str(ACTIONS.get(event.action, event.action))  # type: ignore[attr-defined]
    event.change_rows = [  # type: ignore[attr-defined]
        (_change_label(name), _show_value(values[0]), _show_value(values[1]))
        for name, values in (event.changes or {}).items()
        if isinstance(values, list) and len(values) == 2
    ]
    return event


@account_view("audit.view")
@require_GET
def audit_log(request: AccountRequest) -> HttpResponse:
    account = request.account
    form = AuditFilterForm(request.GET or None)
    page, events = None, []
    # A filter that cannot be read (a malformed date...) shows its message rather than a list that
    # would silently ignore it.
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else None
        page = Paginator(audit_events(account, filters), PAGE_SIZE).get_page(request.GET.get("page"))
        events = [_describe(event) for event in page.object_list]
    filtered = any(request.GET.get(name) for name in form.fields)
    return render(
        request,
        "tenancy/audit.html",
        {"account": account, "form": form, "page": page, "events": events, "filtered": filtered},
    )
