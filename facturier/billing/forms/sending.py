"""The form that sends a document by email: recipients, subject, message, and "send anyway"."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from facturier.billing.models import Document
from facturier.billing.services import sending
from facturier.billing.services.clients import split_emails


class SendDocumentForm(forms.Form):
    to = forms.CharField(
        label=_("Destinataires"),
        max_length=500,
        help_text=_("Séparez plusieurs adresses par des virgules."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    cc = forms.CharField(
        label=_("Copie à"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    subject = forms.CharField(label=_("Objet"), max_length=sending.MAX_SUBJECT_LENGTH)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}))
    force = forms.BooleanField(
        label=_("Envoyer quand même"),
        required=False,
        help_text=_("Le document a été envoyé il y a moins de 3 jours : cochez pour l'envoyer à nouveau."),
    )

    @classmethod
    def initial_for(cls, document: Document) -> dict[str, Any]:
        """The recipients and the message the account prepared for this document."""
        to, cc = sending.default_recipients(document)
        subject, body = sending.default_message(document)
        return {"to": to, "cc": cc, "subject": subject, "body": body}

    def clean_to(self) -> list[str]:
        addresses = split_emails(self.cleaned_data["to"])
        if not addresses:
            raise ValidationError(_("Indiquez au moins une adresse email."))
        return addresses

    def clean_cc(self) -> list[str]:
        return split_emails(self.cleaned_data["cc"])
