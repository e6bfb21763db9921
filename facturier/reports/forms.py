"""The report filters, read from the URL (GET) so that a report can be bookmarked and shared.

`ReportFilterForm` turns the query string into a `base.ReportFilters`; whatever is wrong (an end before
the start, an unknown country code, a malformed date) becomes a field error shown on the page, never a
500. Each report shows only the filters that make sense for it (`REPORT_FIELDS`).

URL parameters: period, date_from, date_to (YYYY-MM-DD), kind and status (repeated), country ("FR,DE"),
region (eu|non-eu), currency, vat_mode (debits|due), group_by, category (repeated ids).
"""

import datetime
import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing import queries as billing_queries
from facturier.billing.models import INVOICE_KINDS, Kind, Status
from facturier.lib.countries import COUNTRY_CODES
from facturier.lib.filters import FilterDateField
from facturier.lib.money import CURRENCIES
from facturier.reports.base import ReportFilters

# Typing a date picks the "from–to" period (without JavaScript, the page's help text says so).
DATE_WIDGET = forms.DateInput(
    attrs={"type": "date", "onchange": "this.form.period.value = 'custom'"}, format="%Y-%m-%d"
)
CUSTOM = "custom"
ALL = "all"
# "All dates" (the unpaid list: what is still owed, however old) runs from this day to today.
ALL_DATES_START = datetime.date(2000, 1, 1)
PERIODS = [(value, label) for value, label in billing_queries.PERIODS if value]
# Greece's VAT prefix is EL; its ISO code (what documents store) is GR.
COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}

_COMMON = ("period", "date_from", "date_to")
REPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "revenue": (*_COMMON, "kind", "status", "country", "region", "currency", "group_by"),
    "expenses": (*_COMMON, "category", "currency"),
    "vat-register": (*_COMMON, "vat_mode"),
    "oss": _COMMON,
    "unpaid": (*_COMMON, "kind", "country", "region", "currency"),
}
# What a report shows when opened without filters: the period one usually files or looks at.
DEFAULT_PERIODS = {
    "revenue": "this_year",
    "expenses": "this_year",
    "vat-register": "last_month",
    "oss": "last_quarter",
    "unpaid": ALL,
}
# Quotes and proformas are no sales in the books: no report lists them.
KIND_CHOICES = [(kind.value, kind.label) for kind in Kind if kind in INVOICE_KINDS]
STATUS_CHOICES = [
    (status.value, status.label)
    for status in (Status.ISSUED, Status.SENT, Status.PARTIAL, Status.PAID, Status.CANCELLED)
]


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Période"), choices=PERIODS)
    # FilterDateField: "Date invalide : utilisez le format AAAA-MM-JJ.", and years a query can take.
    date_from = FilterDateField(label=gettext_lazy("Du"), required=False, widget=DATE_WIDGET)
    date_to = FilterDateField(label=gettext_lazy("Au"), required=False, widget=DATE_WIDGET)
    kind = forms.MultipleChoiceField(
        label=gettext_lazy("Type de document"),
        choices=KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.MultipleChoiceField(
        label=gettext_lazy("État"),
        choices=STATUS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    country = forms.CharField(
        label=gettext_lazy("Pays du client"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Un ou plusieurs codes ISO séparés par des virgules, par exemple FR, DE."),
    )
    region = forms.ChoiceField(
        label=gettext_lazy("Zone"),
        choices=[
            ("", gettext_lazy("Toutes")),
            ("eu", gettext_lazy("Union européenne")),
            ("non-eu", gettext_lazy("Hors Union européenne")),
        ],
        required=False,
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Devise"),
        choices=[("", gettext_lazy("Toutes")), *((c, c) for c in CURRENCIES)],
        required=False,
    )
    vat_mode = forms.ChoiceField(
        label=gettext_lazy("TVA"),
        choices=[
            ("debits", gettext_lazy("Par date de facture (débits)")),
            ("due", gettext_lazy("Par date d'exigibilité (encaissements)")),
        ],
        required=False,
    )
    group_by = forms.ChoiceField(
        label=gettext_lazy("Regrouper par"),
        choices=[
            ("", gettext_lazy("Aucun regroupement")),
            ("month", gettext_lazy("Mois")),
            ("client", gettext_lazy("Client")),
            ("country", gettext_lazy("Pays")),
            ("product", gettext_lazy("Produit")),
        ],
        required=False,
    )
    category = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Catégorie"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        data: Any,
        *,
        code: str,
        today: datetime.date,
        categories: list[tuple[int, str]] | None = None,
        vat_mode: str = "debits",
    ) -> None:
        # Opened without filters, the report runs on its usual period; dates alone mean "from–to".
        data = data.copy()
        if not data.get("period"):
            data["period"] = CUSTOM if data.get("date_from") or data.get("date_to") else DEFAULT_PERIODS[code]
        # The VAT register follows the account's regime unless another mode is picked
        # (queries.default_vat_mode).
        if not data.get("vat_mode"):
            data["vat_mode"] = vat_mode
        super().__init__(data)
        self.code = code
        self.today = today
        # Only the filters of this form are dropped: a subclass (the exports' form) keeps its own fields.
        for name in ReportFilterForm.base_fields:
            if name not in REPORT_FIELDS[code]:
                del self.fields[name]
        if code == "unpaid":
            cast(forms.ChoiceField, self.fields["period"]).choices = [(ALL, _("Toutes les dates")), *PERIODS]
        if "category" in self.fields:
            cast(forms.ChoiceField, self.fields["category"]).choices = categories or []

    def clean_country(self) -> tuple[str, ...]:
        typed = [code for code in re.split(r"[\s,;]+", self.cleaned_data["country"].upper()) if code]
        codes = [COUNTRY_ALIASES.get(code, code) for code in typed]
        unknown = [typed[i] for i, code in enumerate(codes) if code not in COUNTRY_CODES]
        if unknown:
            raise forms.ValidationError(
                _("Code pays inconnu : %(codes)s. Utilisez les codes ISO à deux lettres (FR, DE, US…).")
                % {"codes": ", ".join(unknown)}
            )
        return tuple(dict.fromkeys(codes))  # in the order typed, each once

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        period = data.get("period")
        if period is None:
            return data  # the field already says what is wrong
        if period == CUSTOM:
            start, end = data.get("date_from"), data.get("date_to")
            if "date_from" in self.errors or "date_to" in self.errors:
                return data
            if start is None or end is None:
                raise forms.ValidationError(_("Indiquez la date de début et la date de fin de la période."))
        elif period == ALL:
            start, end = ALL_DATES_START, self.today
        else:
            start, end = billing_queries.period_bounds(period, self.today)
        if start is not None and end is not None and end < start:
            self.add_error("date_to", _("La fin de la période précède son début."))
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> ReportFilters:
        """The filters of a valid form (call is_valid() first)."""
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            kinds=tuple(data.get("kind") or ()),
            statuses=tuple(data.get("status") or ()),
            countries=data.get("country") or (),
            region=data.get("region") or "",
            currency=data.get("currency") or "",
            vat_mode=data.get("vat_mode") or "debits",
            group_by=data.get("group_by") or "",
            category_ids=tuple(data.get("category") or ()),
        )
