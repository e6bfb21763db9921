"""The client form and the filters of the client list."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing import client_queries
from facturier.billing.models import Client
from facturier.billing.services.clients import (
    CLIENT_FIELDS,
    MAX_PAYMENT_TERMS_DAYS,
    check_siret_matches_siren,
    check_vat_matches_siren,
    name_follows_parts,
    person_name,
    split_emails,
)
from facturier.lib import identifiers
from facturier.lib.countries import COUNTRY_CODES, lazy_country_choices


def _is_true(value: Any) -> bool:
    return value in (True, "True")


class ClientForm(forms.ModelForm[Client]):
    is_company = forms.TypedChoiceField(
        label=gettext_lazy("Le client est"),
        choices=[("True", gettext_lazy("une entreprise")), ("False", gettext_lazy("un particulier"))],
        coerce=_is_true,
        initial="True",
        widget=forms.RadioSelect,
    )
    # Required for a company only; a person's name is built from the first and last names.
    name = forms.CharField(label=gettext_lazy("Nom de l'entreprise"), required=False, max_length=200)
    # A person's own name (the public API lets one have a name other than first and last names).
    display_name = forms.CharField(
        label=gettext_lazy("Nom affiché"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Laissé vide : le prénom suivi du nom de famille."),
    )
    country = forms.ChoiceField(label=gettext_lazy("Pays"), choices=lazy_country_choices, initial="FR")
    # Typed with spaces ("552 100 554"): longer than the compact form the model stores.
    siren = forms.CharField(label=gettext_lazy("SIREN"), required=False, max_length=20)
    siret = forms.CharField(label=gettext_lazy("SIRET"), required=False, max_length=30)
    vat_number = forms.CharField(
        label=gettext_lazy("Numéro de TVA intracommunautaire"), required=False, max_length=30
    )
    cc_emails = forms.CharField(
        label=gettext_lazy("Emails en copie"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Séparés par des virgules ; ils reçoivent les documents envoyés en copie."),
    )
    payment_terms_days = forms.IntegerField(
        label=gettext_lazy("Délai de paiement (jours)"),
        min_value=0,
        max_value=MAX_PAYMENT_TERMS_DAYS,
        initial=30,
        help_text=gettext_lazy(
            "Fixe l'échéance de ses factures. Entre entreprises, la loi le limite à 60 jours après "
            "l'émission (ou 45 jours fin de mois)."
        ),
    )

    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "accounting_code": gettext_lazy("Par exemple 411DUPONT ; repris dans les exports."),
            "external_id": gettext_lazy("Son code dans un autre logiciel (CRM, boutique), pour l'API."),
            "invoice_reference": gettext_lazy(
                "La référence ou le code service que le client demande sur ses factures (exigée par Peppol "
                "à défaut de numéro de commande)."
            ),
            "sepa_mandate": gettext_lazy("Pour les factures payées par prélèvement."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = self.instance
        if client.pk and not client.is_company and not name_follows_parts(self.initial):
            self.initial["display_name"] = client.name

    def _optional(self, field: str, check: Any) -> str:
        value = (self.cleaned_data.get(field) or "").strip()
        return check(value) if value else ""

    def clean_siren(self) -> str:
        return self._optional("siren", identifiers.clean_siren)

    def clean_siret(self) -> str:
        return self._optional("siret", identifiers.clean_siret)

    def clean_vat_number(self) -> str:
        return self._optional("vat_number", identifiers.clean_vat_number)

    def clean_cc_emails(self) -> str:
        return ", ".join(split_emails(self.cleaned_data.get("cc_emails") or ""))

    def clean_country(self) -> str:
        code = str(self.cleaned_data["country"]).upper()
        if code not in COUNTRY_CODES:
            raise ValidationError(_("Pays inconnu : %(code)s.") % {"code": code})
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("is_company", True):
            if not (cleaned.get("name") or "").strip():
                self.add_error("name", _("Indiquez le nom de l'entreprise."))
        elif not (cleaned.get("last_name") or "").strip():
            self.add_error("last_name", _("Indiquez le nom de famille de la personne."))
        else:
            cleaned["name"] = (cleaned.get("display_name") or "").strip() or person_name(
                cleaned.get("first_name", "").strip(), cleaned["last_name"].strip()
            )
        if cleaned.get("siret") and not cleaned.get("siren") and "siren" not in self.errors:
            cleaned["siren"] = cleaned["siret"][:9]
        siren = cleaned.get("siren") or ""
        for field, check in [("siret", check_siret_matches_siren), ("vat_number", check_vat_matches_siren)]:
            try:
                check(siren, cleaned.get(field) or "")
            except ValidationError as error:
                self.add_error(field, error)
        return cleaned

    def values(self) -> dict[str, Any]:
        """What the services take (call after is_valid())."""
        return {field: self.cleaned_data[field] for field in CLIENT_FIELDS}


class ClientFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Rechercher"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Nom, email, SIREN, TVA, ville…")}
        ),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *Client.Kind.choices],
    )
    archived = forms.ChoiceField(
        label=gettext_lazy("Afficher"),
        required=False,
        choices=[
            (client_queries.ACTIVE, gettext_lazy("Clients actifs")),
            (client_queries.ARCHIVED, gettext_lazy("Clients archivés")),
            (client_queries.ALL, gettext_lazy("Tous les clients")),
        ],
    )

    def filters(self, sort: str) -> client_queries.ClientFilters:
        """The valid filters: a tampered value filters nothing rather than failing the page."""
        self.is_valid()  # cleaned_data then holds the valid fields only
        data = self.cleaned_data
        return client_queries.ClientFilters(
            text=data.get("q") or "",
            kind=data.get("kind") or "",
            archived=data.get("archived") or client_queries.ACTIVE,
            sort=sort,
        )


# What the document form's "Nouveau client" asks: enough for an invoice's mentions; the rest waits for
# the client's own page.
QUICK_CLIENT_FIELDS = [
    "is_company", "name", "first_name", "last_name", "country", "siren", "vat_number", "email",
    "street", "post_code", "city",
]  # fmt: skip


class QuickClientForm(ClientForm):
    """The client form reduced to QUICK_CLIENT_FIELDS (the dialog of the document form)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="new_client", **kwargs)
        for name in list(self.fields):
            if name not in QUICK_CLIENT_FIELDS:
                del self.fields[name]

    def values(self) -> dict[str, Any]:
        return {
            field: self.cleaned_data[field] for field in QUICK_CLIENT_FIELDS if field in self.cleaned_data
        }
