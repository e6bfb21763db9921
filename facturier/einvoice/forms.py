"""The form of "Paramètres > Facturation électronique"."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.einvoice.models import EInvoiceSettings

# The fields of EInvoiceSettings a member edits, in page order (what the service compares and audits).
SETTINGS_FIELDS = ["issues_einvoices", "profile", "attach_to_emails"]


class EInvoiceSettingsForm(forms.ModelForm[EInvoiceSettings]):
    class Meta:
        model = EInvoiceSettings
        fields = SETTINGS_FIELDS
        help_texts = {
            "profile": _(
                "EN 16931 couvre toutes les mentions de la norme européenne et convient à la plupart des "
                "destinataires. BASIC est un sous-ensemble plus court ; EXTENDED ajoute des compléments "
                "pour les échanges entre grandes entreprises."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = str(field.label)[:1].upper() + str(field.label)[1:]

    def values(self) -> dict[str, Any]:
        """What update_einvoice_settings takes (call after is_valid())."""
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
