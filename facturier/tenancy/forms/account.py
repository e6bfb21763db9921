"""The company identity of an account, as "Paramètres du compte > Votre compte" and the
create_account command both check it (one set of rules, one set of messages)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.lib import identifiers, uploads
from facturier.lib.countries import COUNTRY_CODES, lazy_country_choices
from facturier.tenancy.models import Account
from facturier.tenancy.services import IDENTITY_FIELDS


class AccountIdentityForm(forms.ModelForm[Account]):
    country = forms.ChoiceField(label=gettext_lazy("Pays"), choices=lazy_country_choices, initial="FR")
    # Typed with spaces ("732 829 320", "FR76 3000 …"): longer than the compact form the model stores,
    # which the clean_* methods below produce.
    siren = forms.CharField(label=gettext_lazy("SIREN"), required=False, max_length=20)
    siret = forms.CharField(label=gettext_lazy("SIRET"), required=False, max_length=30)
    vat_number = forms.CharField(
        label=gettext_lazy("Numéro de TVA intracommunautaire"),
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "Laissez vide si votre entreprise est en franchise en base de TVA (art. 293 B du CGI) et n'a pas "
            "de numéro : cochez alors la franchise dans Paramètres > Facturation."
        ),
    )
    iban = forms.CharField(label=gettext_lazy("IBAN"), required=False, max_length=50)
    bic = forms.CharField(label=gettext_lazy("BIC"), required=False, max_length=20)
    # Bounded in bytes and pixels, and renamed after its sniffed type: lib.uploads.LogoField.
    logo = uploads.LogoField(label=gettext_lazy("Logo"), required=False, widget=forms.ClearableFileInput)

    class Meta:
        model = Account
        fields = [*IDENTITY_FIELDS, "logo"]

    def clean_country(self) -> str:
        code = str(self.cleaned_data["country"]).upper()
        if code not in COUNTRY_CODES:
            raise ValidationError(_("Pays inconnu : %(code)s.") % {"code": code})
        return code

    def _optional(self, field: str, check: Any) -> str:
        value = (self.cleaned_data.get(field) or "").strip()
        return check(value) if value else ""

    def clean_siren(self) -> str:
        return self._optional("siren", identifiers.clean_siren)

    def clean_siret(self) -> str:
        return self._optional("siret", identifiers.clean_siret)

    def clean_vat_number(self) -> str:
        return self._optional("vat_number", identifiers.clean_vat_number)

    def clean_iban(self) -> str:
        return self._optional("iban", identifiers.clean_iban)

    def clean_bic(self) -> str:
        return self._optional("bic", identifiers.clean_bic)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        siren, siret = cleaned.get("siren"), cleaned.get("siret")
        if siren and siret and not siret.startswith(siren):
            self.add_error(
                "siret",
                _("Le SIRET doit commencer par le SIREN de l'entreprise (%(siren)s).") % {"siren": siren},
            )
        if siret and not siren:
            cleaned["siren"] = siret[:9]
        return cleaned
