"""Forms of the second step of a login, of enrolment, and of the accounts' "2FA obligatoire"."""

from django import forms
from django.utils.translation import gettext_lazy

from facturier.mfa.services import MAX_NAME_LENGTH
from facturier.mfa.verification import MAX_CODE_LENGTH

# What every field taking a one-time code asks of the browser: no spelling fixes, the code the phone
# just received offered for autofill.
CODE_ATTRIBUTES = {"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}


class CodeForm(forms.Form):
    """The second step of a login: a code of the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=gettext_lazy("Code de vérification"),
        max_length=MAX_CODE_LENGTH * 2,
        help_text=gettext_lazy(
            "Les six chiffres affichés par votre application d'authentification, ou l'un de vos codes "
            "de secours."
        ),
        widget=forms.TextInput(attrs=CODE_ATTRIBUTES | {"autofocus": True}),
    )


class AppConfirmForm(forms.Form):
    """Adding an authenticator app: a name for it, and a code it shows, which proves it is set up."""

    name = forms.CharField(
        label=gettext_lazy("Nom de l'application"),
        max_length=MAX_NAME_LENGTH,
        required=False,
        help_text=gettext_lazy("Pour la reconnaître dans la liste, par exemple « Téléphone de Claire »."),
    )
    code = forms.CharField(
        label=gettext_lazy("Code affiché par l'application"),
        max_length=16,
        widget=forms.TextInput(attrs=CODE_ATTRIBUTES | {"inputmode": "numeric", "autofocus": True}),
    )


class PolicyForm(forms.Form):
    """Paramètres du compte > Sécurité."""

    second_factor_required = forms.BooleanField(
        label=gettext_lazy("2FA obligatoire pour les membres du compte"),
        required=False,
        help_text=gettext_lazy(
            "Chaque utilisateur de ce compte devra se connecter avec une application d'authentification "
            "ou une clé d'accès ; celui qui n'en a pas sera invité à en ajouter une avant d'accéder au "
            "compte."
        ),
    )
    second_factor_required_in_client_accounts = forms.BooleanField(
        label=gettext_lazy("2FA obligatoire pour tous les utilisateurs des comptes clients"),
        required=False,
        help_text=gettext_lazy(
            "Les utilisateurs de chaque compte client du cabinet, collaborateurs du cabinet et "
            "utilisateurs de l'entreprise cliente, devront eux aussi utiliser la double authentification."
        ),
    )
