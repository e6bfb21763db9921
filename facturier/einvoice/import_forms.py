"""The form of the e-invoice import page: several files at once, and the category to file them under."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.lib import uploads, vat
from facturier.purchases import queries
from facturier.purchases.forms import MultipleFileInput
from facturier.purchases.models import ExpenseCategory
from facturier.tenancy.models import Account

ACCEPTED_FILES = "application/pdf,application/xml,text/xml,.pdf,.xml"


class MultipleEinvoiceField(forms.FileField):
    """The uploads of one <input type="file" multiple>; each file is read and checked by the import."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILES}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = list(data) if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise ValidationError(_("Choisissez au moins un fichier."), code="required")
        try:
            uploads.check_batch(files)
        except uploads.UploadError as error:
            raise ValidationError(error.message, code="too_many") from None
        return files


class EinvoiceImportForm(forms.Form):
    einvoices = MultipleEinvoiceField(
        label=gettext_lazy("Factures électroniques reçues"),
        help_text=lazy(uploads.help_text, str)(lambda: _("PDF Factur-X (ou ZUGFeRD 2), XML CII ou XML UBL")),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Catégorie des dépenses"),
        required=False,
        queryset=ExpenseCategory.objects.none(),
        empty_label=gettext_lazy("Automatique"),
        help_text=gettext_lazy(
            "Automatique : la catégorie de la dernière dépense du fournisseur, sinon « Autres »."
        ),
    )

    self_assessed_rate = forms.TypedChoiceField(
        label=gettext_lazy("Taux de la TVA autoliquidée"),
        coerce=Decimal,
        required=False,  # a client that does not send it gets the standard rate (clean_...)
        empty_value=None,
        initial=str(vat.DEFAULT_SELF_ASSESSMENT_RATE),
        help_text=gettext_lazy(
            "Une facture en autoliquidation (ou d'acquisition intracommunautaire) est sans TVA : vous "
            "devez la TVA française, calculée à ce taux. Vous pourrez changer le taux d'une ligne sur "
            "la dépense."
        ),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = queries.categories(account)  # type: ignore[attr-defined]
        self.fields["self_assessed_rate"].choices = [  # type: ignore[attr-defined]
            (str(rate), f"{vat.rate_text(rate)} %") for rate in vat.SELF_ASSESSMENT_RATES
        ]

    def clean_self_assessed_rate(self) -> Decimal:
        rate: Decimal | None = self.cleaned_data.get("self_assessed_rate")
        return vat.DEFAULT_SELF_ASSESSMENT_RATE if rate is None else rate
