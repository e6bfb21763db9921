"""The export form of the Exports tab, and the period form of the firm batch.

The filters are those of the reports (reports/forms.py: period, dates, document type, status, client
country), with the same checks and messages; the export adds what to produce and how.
"""

import datetime

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from facturier.exports.base import ExportRequest
from facturier.exports.jobs import ACCOUNT_FORMATS
from facturier.exports.models import ExportFormat
from facturier.reports.forms import ReportFilterForm
from facturier.tenancy.models import Account

# Accountants export closed periods: last year unless they choose otherwise.
DEFAULT_PERIOD = "last_year"
FORMAT_HELP = {
    ExportFormat.FEC: gettext_lazy(
        "Journaux des ventes, des achats et de banque, lettrés, pour un exercice ou une période "
        "d'un même exercice ; contrôlé avant d'être proposé."
    ),
    ExportFormat.INVOICES_CSV: gettext_lazy("Une ligne par document ou par ligne de document."),
    ExportFormat.INVOICES_XLSX: gettext_lazy("Une ligne par document ou par ligne de document."),
    ExportFormat.PAYMENTS_CSV: gettext_lazy("Date, montant, mode, référence et documents réglés."),
    ExportFormat.PAYMENTS_XLSX: gettext_lazy("Date, montant, mode, référence et documents réglés."),
    ExportFormat.PDF_ZIP: gettext_lazy("Un PDF par document, nommé par son numéro, et les justificatifs."),
    ExportFormat.PDF_PRINT: gettext_lazy("Tous les documents dans un seul PDF, à imprimer."),
}


class ExportForm(ReportFilterForm):
    format = forms.ChoiceField(
        label=gettext_lazy("Export"),
        choices=[(code, ExportFormat(code).label) for code in ACCOUNT_FORMATS],
        widget=forms.RadioSelect,
    )
    not_exported = forms.BooleanField(
        label=gettext_lazy("Seulement les documents pas encore exportés en comptabilité"), required=False
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Factures : une ligne par"),
        choices=[("document", gettext_lazy("document")), ("line", gettext_lazy("ligne de document"))],
        required=False,
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("PDF et paiements : côté"),
        choices=[
            ("all", gettext_lazy("ventes et achats")),
            ("sales", gettext_lazy("ventes seulement")),
            ("purchases", gettext_lazy("achats seulement (justificatifs, paiements aux fournisseurs)")),
        ],
        required=False,
    )
    separator = forms.ChoiceField(
        label=gettext_lazy("FEC : séparateur"),
        choices=[("|", gettext_lazy("barre verticale |")), ("tab", gettext_lazy("tabulation"))],
        required=False,
    )

    field_order = ["format", "period", "date_from", "date_to", "kind", "status", "country", "region"]

    def __init__(self, data: QueryDict, *, today: datetime.date) -> None:
        # Like the reports, the form is always bound (to the query string when the page opens, so a
        # link can preselect an export), with defaults for what is not given.
        data = _with_default_period(data)
        for name, value in (("format", ExportFormat.FEC), ("layout", "document"), ("scope", "all")):
            data.setdefault(name, value)
        super().__init__(data, code="revenue", today=today)
        for name in ("currency", "group_by"):
            del self.fields[name]

    def export_request(self, account: Account) -> ExportRequest:
        """The request of a valid form (call is_valid() first)."""
        data = self.cleaned_data
        filters = self.filters()
        return ExportRequest(
            account=account,
            start=filters.start,
            end=filters.end,
            kinds=filters.kinds,
            statuses=filters.statuses,
            countries=filters.countries,
            region=filters.region,
            not_exported=data["not_exported"],
            layout=data.get("layout") or "document",
            scope=data.get("scope") or "all",
            separator="\t" if data.get("separator") == "tab" else "|",
        )


class BatchForm(ReportFilterForm):
    """The period of a firm batch (the same period choices as everywhere)."""

    def __init__(self, data: QueryDict, *, today: datetime.date) -> None:
        # The OSS report's filters are the period alone.
        super().__init__(_with_default_period(data), code="oss", today=today)


def _with_default_period(data: QueryDict) -> QueryDict:
    data = data.copy()
    if not data.get("period") and not data.get("date_from") and not data.get("date_to"):
        data["period"] = DEFAULT_PERIOD
    return data
