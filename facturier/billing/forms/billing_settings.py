"""Paramètres > Facturation: numbering patterns, terms, legal mentions and the email sent with documents."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing.models import BillingSettings, Kind
from facturier.billing.numbering import DEFAULT_PATTERNS, pattern_for, validate_pattern
from facturier.billing.services.billing_settings import (
    EMAIL_PLACEHOLDERS,
    MAX_PAYMENT_TERMS_DAYS,
    SETTINGS_FIELDS,
    check_email_template,
    default_email_templates,
)


def pattern_field_name(kind: str) -> str:
    return f"pattern_{kind}"


def placeholders_help() -> str:
    fields = " ; ".join(f"{{{name}}} : {label}" for name, label in EMAIL_PLACEHOLDERS.items())
    return _("Laissez vide pour le message par défaut. Champs remplacés à l'envoi : %(fields)s.") % {
        "fields": fields
    }


def _regime(value: object) -> bool:
    return value in (True, "True", "1", "on")


class BillingSettingsForm(forms.ModelForm[BillingSettings]):
    # The VAT regime (art. 269 CGI), as a choice between the legal default and the option.
    vat_on_debits = forms.TypedChoiceField(
        label=gettext_lazy("TVA sur vos prestations de services"),
        choices=[
            (False, gettext_lazy("Due à l'encaissement (régime par défaut)")),
            (True, gettext_lazy("Due d'après les débits, à la date de facture (sur option)")),
        ],
        coerce=_regime,
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Art. 269 du CGI : la TVA des livraisons de biens est due à la livraison ; celle des "
            "prestations de services à l'encaissement du prix, sauf option pour les débits. Avec "
            "l'option, vos factures portent la mention « Option pour le paiement de la taxe d'après "
            "les débits ». Les prestations intracommunautaires autoliquidées par le client sont dues à "
            "leur réalisation dans les deux cas. Le registre de TVA et la synthèse CA3 suivent ce choix."
        ),
    )
    purchases_vat_on_debits = forms.TypedChoiceField(
        label=gettext_lazy("TVA sur vos achats de services"),
        choices=[
            (False, gettext_lazy("Déductible au paiement du fournisseur (régime par défaut)")),
            (True, gettext_lazy("Déductible à la date de facture (fournisseurs ayant opté pour les débits)")),
        ],
        coerce=_regime,
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "La TVA d'un achat est déductible quand elle devient exigible chez le fournisseur (art. 269 et "
            "271 du CGI) : à la livraison pour les biens, au paiement pour les services, à la date de "
            "facture si le fournisseur a opté pour les débits. Réglage par défaut des nouvelles dépenses, "
            "modifiable sur chacune. La TVA autoliquidée est due et déductible à la réalisation."
        ),
    )
    default_payment_terms_days = forms.IntegerField(
        label=gettext_lazy("Délai de paiement par défaut (jours)"),
        min_value=0,
        max_value=MAX_PAYMENT_TERMS_DAYS,
        help_text=gettext_lazy(
            "Pour les clients sans délai propre. Entre entreprises, la loi le limite à 60 jours après "
            "l'émission (ou 45 jours fin de mois)."
        ),
    )
    email_subject_template = forms.CharField(label=gettext_lazy("Objet"), required=False, max_length=200)
    email_body_template = forms.CharField(
        label=gettext_lazy("Message"), required=False, widget=forms.Textarea(attrs={"rows": 7})
    )

    class Meta:
        model = BillingSettings
        fields = SETTINGS_FIELDS
        labels = {
            "late_penalty_text": gettext_lazy("Pénalités de retard"),
            "early_payment_discount_text": gettext_lazy("Escompte pour paiement anticipé"),
            "legal_form": gettext_lazy("Forme juridique"),
            "share_capital": gettext_lazy("Capital social"),
            "rcs_city": gettext_lazy("Ville du greffe (RCS)"),
        }
        help_texts = {
            "late_penalty_text": gettext_lazy(
                "Mention obligatoire ; le taux ne peut être inférieur à trois fois le taux d'intérêt légal. "
                "L'indemnité forfaitaire de 40 € pour frais de recouvrement est due par les clients "
                "professionnels."
            ),
            "early_payment_discount_text": gettext_lazy(
                "Mention obligatoire, même sans escompte (« Pas d'escompte pour paiement anticipé. »)."
            ),
            "legal_form": gettext_lazy("Par exemple SAS, SARL, EI."),
            "share_capital": gettext_lazy("Par exemple 10 000 €."),
            "rcs_city": gettext_lazy("La ville du greffe où l'entreprise est immatriculée (« RCS Paris »)."),
            "vat_franchise": gettext_lazy(
                "Entreprise en franchise en base : vos factures portent la mention "
                "« TVA non applicable, art. 293 B du CGI »."
            ),
            "api_documents_as_drafts": gettext_lazy(
                "Les documents que vos logiciels créent par l'API restent des brouillons, modifiables, "
                "jusqu'à ce que vous les émettiez (ou que le logiciel les émette par change_status). "
                "Sinon ils sont émis et numérotés dès leur création."
            ),
        }
        widgets = {
            "late_penalty_text": forms.Textarea(attrs={"rows": 2}),
            "early_payment_discount_text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[pattern_field_name(kind)] = forms.CharField(
                label=kind.label,
                required=False,
                max_length=60,
                initial=pattern_for(self.instance, kind),
                widget=forms.TextInput(attrs={"placeholder": DEFAULT_PATTERNS[kind]}),
            )
        subject, body = default_email_templates()
        help_text = placeholders_help()
        self.fields["email_subject_template"].widget.attrs["placeholder"] = subject
        self.fields["email_body_template"].widget.attrs["placeholder"] = body
        self.fields["email_body_template"].help_text = help_text

    def pattern_fields(self) -> list[forms.BoundField]:
        return [self[pattern_field_name(kind)] for kind in Kind]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for kind in Kind:
            name = pattern_field_name(kind)
            pattern = (cleaned.get(name) or "").strip()
            if pattern:
                try:
                    validate_pattern(pattern)
                except ValidationError as error:
                    self.add_error(name, error)
        for name in ("email_subject_template", "email_body_template"):
            try:
                check_email_template(cleaned.get(name) or "")
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def values(self) -> dict[str, Any]:
        """What update_billing_settings takes (call after is_valid())."""
        values = {field: self.cleaned_data[field] for field in SETTINGS_FIELDS}
        values["number_patterns"] = {kind.value: self.cleaned_data[pattern_field_name(kind)] for kind in Kind}
        return values
