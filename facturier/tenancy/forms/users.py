"""Forms of "Paramètres > Utilisateurs": adding a member, and changing a member's role.

A role is picked from one list holding the built-in roles and the account's custom roles; a custom
role's choice value is `custom:<pk>`, and only the account's own roles are offered, so a role of another
account is an invalid choice like any unknown value.

The list shows only the roles the person giving them may give (tenancy.services.grant_refusal). It still
accepts any role of the account: a page opened before the giver's own role changed, or a forged post,
gets the service's refusal, which says what is missing, rather than "not a valid choice".
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.accounts.models import User, normalize_email
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role
from facturier.tenancy.services import grant_refusal

CUSTOM_PREFIX = "custom:"


def custom_role_value(role_pk: int) -> str:
    return f"{CUSTOM_PREFIX}{role_pk}"


def membership_role_value(membership: Membership) -> str:
    """The choice value of a member's current role, to preselect it."""
    if membership.custom_role_id is not None:
        return custom_role_value(membership.custom_role_id)
    return membership.role


def role_option_groups(
    custom_roles: Iterable[Role], granter: Membership | None = None, *, all_roles: bool = False
) -> list[tuple[Promise | None, list[tuple[str, Any]]]]:
    """The roles to pick from: the built-in ones, then the account's custom roles when it has some;
    only those `granter` may give, unless `all_roles` (what a form accepts)."""
    builtin = [
        (code, label)
        for code, label in permissions.BUILTIN_ROLE_LABELS.items()
        if all_roles or grant_refusal(granter, code, None) is None
    ]
    custom = [
        (custom_role_value(role.pk), role.name)
        for role in custom_roles
        if all_roles or grant_refusal(granter, permissions.ROLE_CUSTOM, role) is None
    ]
    if not custom:
        return [(None, builtin)]
    if not builtin:
        return [(gettext_lazy("Rôles personnalisés"), custom)]
    return [(gettext_lazy("Rôles prédéfinis"), builtin), (gettext_lazy("Rôles personnalisés"), custom)]


def role_choices(
    custom_roles: Iterable[Role], granter: Membership | None = None, *, all_roles: bool = False
) -> list[Any]:
    """The same roles as ChoiceField choices: flat, or in groups when there are custom roles."""
    groups = role_option_groups(custom_roles, granter, all_roles=all_roles)
    return list(groups[0][1]) if len(groups) == 1 and groups[0][0] is None else list(groups)


def offer_grantable_roles(field: forms.Field, choices: list[Any]) -> None:
    """Show `choices` in the field's list while it keeps accepting its own (see the module's docstring);
    say so when there is none to offer."""
    field.widget.choices = choices
    if not choices:
        field.help_text = _("Votre rôle ne vous permet de donner aucun rôle.")


class RoleChoiceForm(forms.Form):
    """A role among the built-in ones and the account's custom roles (passed in, already loaded), the
    list showing those `granter` (the giver's membership where their rights come from) may give."""

    role = forms.ChoiceField(label=gettext_lazy("Rôle"))

    def __init__(
        self, *args: Any, custom_roles: Iterable[Role], granter: Membership | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_roles = {role.pk: role for role in custom_roles}
        field = self.fields["role"]
        field.choices = role_choices(self.custom_roles.values(), all_roles=True)  # type: ignore[attr-defined]
        offer_grantable_roles(field, role_choices(self.custom_roles.values(), granter))

    def chosen_role(self) -> tuple[str, Role | None]:
        """(role code, custom role or None), as the services take them; call after is_valid()."""
        value: str = self.cleaned_data["role"]
        if value.startswith(CUSTOM_PREFIX):
            return permissions.ROLE_CUSTOM, self.custom_roles[int(value.removeprefix(CUSTOM_PREFIX))]
        return value, None


class AddMemberForm(RoleChoiceForm):
    HOW_CHOSEN = "chosen"
    HOW_INVITE = "invite"

    # autocomplete off: browsers would otherwise fill in the administrator's own address.
    email = forms.EmailField(
        label=gettext_lazy("Adresse email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    how = forms.ChoiceField(
        label=gettext_lazy("Accès"),
        widget=forms.RadioSelect,
        choices=[
            (
                HOW_INVITE,
                gettext_lazy("Envoyer une invitation par email : la personne choisit son mot de passe"),
            ),
            (HOW_CHOSEN, gettext_lazy("Choisir un mot de passe, que vous lui communiquerez")),
        ],
        initial=HOW_INVITE,
    )
    password = forms.CharField(
        label=gettext_lazy("Mot de passe"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Seulement si vous choisissez le mot de passe. Si l'adresse appartient déjà à un utilisateur de "
            "Facturier, il est simplement ajouté à ce compte et garde son mot de passe : "
            "ce champ est alors ignoré."
        ),
    )

    field_order = ["email", "role", "how", "password"]

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email = cleaned.get("email")
        if cleaned.get("how") != self.HOW_CHOSEN or not email:
            cleaned["password"] = ""
            return cleaned
        if User.objects.filter(email=email).exists():
            # An existing user keeps their own password: nothing to check, nothing to set.
            cleaned["password"] = ""
            return cleaned
        password = cleaned.get("password") or ""
        if not password:
            self.add_error("password", _("Choisissez un mot de passe, ou envoyez plutôt une invitation."))
            return cleaned
        try:
            validate_password(password, user=User(email=email))
        except ValidationError as error:
            self.add_error("password", error)
        return cleaned
