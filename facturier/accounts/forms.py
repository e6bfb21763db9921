"""Forms of the pages that let people in: sign-up, login, password reset request, profile."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy

from facturier.accounts import throttle
from facturier.accounts.models import User, normalize_email
from facturier.tenancy.models import Account, ApiToken
from facturier.tenancy.services import validate_new_slug
from facturier.tenancy.slugs import slug_from_name


class SignupForm(forms.Form):
    company_name = forms.CharField(
        label=gettext_lazy("Nom de votre entreprise"),
        max_length=Account._meta.get_field("name").max_length,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "organization",
                "autofocus": True,
                # Propose the account address from the name as the user types (see _slug_field.html).
                "hx-get": reverse_lazy("accounts:signup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-include": "[name=slug],[name=proposed_slug]",
                "hx-target": "#slug-field",
                "hx-swap": "outerHTML",
            }
        ),
    )
    # Not required: left empty, it is proposed from the company name (pages work without JavaScript).
    slug = forms.CharField(label=gettext_lazy("Adresse du compte"), max_length=200, required=False)
    # Whether the address already has a user is never said here: the email sent to it says so.
    email = forms.EmailField(
        label=gettext_lazy("Votre adresse email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip() or slug_from_name(self.cleaned_data.get("company_name", ""))
        validate_new_slug(slug)
        return slug

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class SignupPasswordForm(forms.Form):
    """The second step of a sign-up, from the emailed link: the password (and the address again, should
    it have been taken in between)."""

    slug = forms.CharField(label=gettext_lazy("Adresse du compte"), max_length=200)
    password = forms.CharField(
        label=gettext_lazy("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].strip()
        validate_new_slug(slug)
        return slug

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # The similarity check compares the password with the email, so it needs the user-to-be.
        password_validation.validate_password(password, User(email=self.email))
        return password


class SetPasswordWithTokensForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's form of the reset page, with the choice to revoke the user's API tokens (offered only
    to a user who has some, checked by default)."""

    revoke_tokens = forms.BooleanField(
        label=gettext_lazy("Révoquer aussi mes jetons d'API"),
        help_text=gettext_lazy(
            "Recommandé si quelqu'un d'autre a pu utiliser votre mot de passe. Les logiciels reliés "
            "par l'API devront recevoir un nouveau jeton."
        ),
        required=False,
        initial=True,
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        if not ApiToken.objects.filter(membership__user=user, revoked_at__isnull=True).exists():
            del self.fields["revoke_tokens"]


def slug_check(params: Any) -> dict[str, Any]:
    """What the signup page shows under the address field as the user types (GET, no writes).

    While the user has not written their own address (it is empty or still the last proposal), the
    address follows the company name.
    """
    slug = str(params.get("slug", "")).strip()[:200]
    proposed = str(params.get("proposed_slug", ""))
    if not slug or slug == proposed:
        slug = proposed = slug_from_name(str(params.get("company_name", ""))[:200])
    problems: list[str] = []
    if slug:
        try:
            validate_new_slug(slug)
        except ValidationError as error:
            problems = error.messages
    return {
        "slug_value": slug,
        "proposed_slug": proposed,
        "slug_errors": problems,
        "slug_available": bool(slug) and not problems,
    }


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Adresse email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            self.user = throttle.authenticate_throttled(self.request, email, password)
        return cleaned


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Adresse email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]
