"""The filters of the audit log, read from the URL (GET) so a filtered view can be shared or bookmarked."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.lib.filters import FilterDateField
from facturier.tenancy.audit import ACTIONS
from facturier.tenancy.queries import AuditFilters


def _action_choices() -> list[tuple[str, str]]:
    return [("", _("Toutes les actions")), *((code, str(label)) for code, label in ACTIONS.items())]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False, choices=_action_choices)
    actor = forms.CharField(label=gettext_lazy("Email de l'auteur"), required=False, max_length=254)
    date_from = FilterDateField(
        label=gettext_lazy("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = FilterDateField(
        label=gettext_lazy("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(label=gettext_lazy("Cible ou résumé contient"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("La date de fin doit suivre la date de début."))
        return cleaned

    def filters(self) -> AuditFilters:
        """The valid filters, for queries.audit_events (call after is_valid())."""
        data = self.cleaned_data
        return AuditFilters(
            action=data.get("action") or "",
            actor=data.get("actor") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=data.get("q") or "",
        )
