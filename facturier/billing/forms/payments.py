"""Forms of the payment pages: the list filters and recording a payment."""

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing import queries
from facturier.billing.forms.documents import DATE_WIDGET, choice_field, decimal_widget
from facturier.billing.models import Document, PaymentMethod
from facturier.lib.filters import FilterDateField


class PaymentFilterForm(forms.Form):
    """The list's filters, read from the URL; an invalid value is ignored rather than refused."""

    period = forms.ChoiceField(label=gettext_lazy("Période"), choices=queries.PERIODS, required=False)
    date_from = FilterDateField(label=gettext_lazy("Du"), required=False, widget=DATE_WIDGET)
    date_to = FilterDateField(label=gettext_lazy("Au"), required=False, widget=DATE_WIDGET)
    method = forms.ChoiceField(
        label=gettext_lazy("Mode de paiement"),
        choices=[("", gettext_lazy("Tous")), *PaymentMethod.choices],
        required=False,
    )
    client = forms.TypedChoiceField(
        label=gettext_lazy("Client"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, clients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "client").choices = [("", _("Tous")), *clients]

    def filters(self, today: datetime.date) -> queries.PaymentFilters:
        self.is_valid()
        data = self.cleaned_data
        date_from, date_to = queries.period_bounds(data.get("period") or "", today)
        if data.get("period") in ("", "custom", None):
            date_from, date_to = data.get("date_from"), data.get("date_to")
        return queries.PaymentFilters(
            date_from=date_from,
            date_to=date_to,
            method=data.get("method") or "",
            client_id=data.get("client"),
        )


def document_label(document: Document) -> str:
    return _("%(number)s du %(date)s — reste %(remaining)s %(currency)s") % {
        "number": document.number,
        "date": formats.date_format(document.issue_date, "SHORT_DATE_FORMAT"),
        "remaining": formats.number_format(document.remaining, 2, force_grouping=True),
        "currency": document.currency,
    }


class PaymentForm(forms.Form):
    """A payment of one client, settling the chosen documents in the order they are listed (oldest first)."""

    client = forms.TypedChoiceField(
        label=gettext_lazy("Client"),
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choisissez un client de la liste.")},
    )
    documents = forms.MultipleChoiceField(
        label=gettext_lazy("Documents réglés"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Le paiement les règle dans cet ordre, chacun jusqu'à ce qu'il reste à payer."
        ),
        error_messages={
            "required": gettext_lazy("Choisissez au moins un document à régler."),
            "invalid_choice": gettext_lazy("Ce document n'est plus à régler : rechargez la page."),
        },
    )
    date = forms.DateField(label=gettext_lazy("Date du paiement"), widget=DATE_WIDGET)
    amount = forms.DecimalField(
        label=gettext_lazy("Montant"),
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=decimal_widget(size="10"),
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Mode de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    reference = forms.CharField(label=gettext_lazy("Référence"), max_length=120, required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, clients: list[tuple[int, str]], open_documents: list[Document], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.open_documents = open_documents
        choice_field(self, "client").choices = [("", _("Choisissez un client")), *clients]
        choice_field(self, "documents").choices = [(str(d.pk), document_label(d)) for d in open_documents]

    def chosen_documents(self) -> list[Document]:
        """The chosen documents in the order of the list (oldest first), whatever order they came in."""
        chosen = set(self.cleaned_data["documents"])
        return [document for document in self.open_documents if str(document.pk) in chosen]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "documents" in cleaned:
            currencies = {document.currency for document in self.chosen_documents()}
            if len(currencies) > 1:
                self.add_error("documents", _("Un paiement règle des documents d'une seule devise."))
        return cleaned

    @property
    def currency(self) -> str:
        chosen = self.chosen_documents()
        return chosen[0].currency if chosen else "EUR"
