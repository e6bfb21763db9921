"""The form of "Ajouter une nouvelle compagnie": a client account's company name and address."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.firm.services import next_free_slug
from facturier.tenancy.models import Account
from facturier.tenancy.services import validate_new_slug
from facturier.tenancy.slugs import slug_from_name


class ClientAccountForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom de l'entreprise du client"),
        max_length=Account._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        error_messages={"required": gettext_lazy("Indiquez le nom de l'entreprise.")},
    )
    # Not required: left empty, it is taken from the company name (the page works without JavaScript).
    slug = forms.CharField(label=gettext_lazy("Adresse du compte"), max_length=200, required=False)

    def __init__(self, *args: Any, firm: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.firm = firm
        # As the name is typed, the address follows it (see templates/firm/_slug_check.html).
        self.fields["name"].widget.attrs |= {
            "hx-get": reverse("firm:slug_check", kwargs={"slug": firm.slug}),
            "hx-trigger": "input changed delay:300ms",
            "hx-include": "[name=slug],[name=proposed_slug]",
            "hx-target": "#slug-field",
            "hx-swap": "outerHTML",
        }

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip() or slug_from_name(self.cleaned_data.get("name", ""))
        if not slug:
            raise ValidationError(_("Indiquez l'adresse du compte."))
        validate_new_slug(slug)
        return slug


def slug_check(firm: Account, params: Any) -> dict[str, Any]:
    """What the page shows under the address field as the user types (GET, no writes).

    While the user has not written their own address (it is empty or still the last proposal), the
    address follows the company name; with no name, it is the firm's next numbered address.
    """
    slug = str(params.get("slug", "")).strip()[:200]
    proposed = str(params.get("proposed_slug", ""))
    if not slug or slug == proposed:
        slug = proposed = slug_from_name(str(params.get("name", ""))[:200]) or next_free_slug(firm)
    problems: list[str] = []
    try:
        validate_new_slug(slug)
    except ValidationError as error:
        problems = error.messages
    return {
        "slug_value": slug,
        "proposed_slug": proposed,
        "slug_errors": problems,
        "slug_available": not problems,
    }
