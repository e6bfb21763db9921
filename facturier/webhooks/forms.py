"""The form of a webhook on "Paramètres > Webhooks"."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.webhooks.models import Kind, Webhook


class WebhookForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Événement"),
        # The label, and the code integrations read in each call (`invoice:create`).
        choices=lambda: [(value, f"{label} ({value})") for value, label in Kind.choices],
    )
    url = forms.CharField(
        label=_("Adresse à appeler"),
        max_length=500,
        help_text=_("Une adresse publique en https://, appelée en POST avec les données en JSON."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    api_token = forms.CharField(
        label=_("Jeton envoyé"),
        max_length=100,
        required=False,
        help_text=_(
            "Envoyé dans chaque appel (clé api_token) pour que votre application le reconnaisse. "
            "Laissé vide, un jeton est créé."
        ),
    )
    active = forms.BooleanField(label=_("Actif"), required=False, initial=True)

    @classmethod
    def for_webhook(cls, webhook: Webhook | None, data: Any = None) -> "WebhookForm":
        initial = (
            {
                "kind": webhook.kind,
                "url": webhook.url,
                "api_token": webhook.api_token,
                "active": webhook.active,
            }
            if webhook
            else None
        )
        return cls(data, initial=initial)

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("kind", "url", "api_token", "active")}
