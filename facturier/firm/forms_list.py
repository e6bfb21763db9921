"""Forms of the "Comptes clients" list: the bulk actions' own fields, and adding a user to a client account.

The selection itself (ids, or every account matching the search) is read by the view, which finds the
accounts through firm/queries.py; these forms only hold what the user types on the confirmation pages.
"""

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import User
from facturier.tenancy import permissions
from facturier.tenancy.forms.users import AddMemberForm, offer_grantable_roles, role_choices
from facturier.tenancy.models import Account, Membership


class LockDatesForm(forms.Form):
    """One lock date for every selected account ("Changer la date de restriction de modification")."""

    new_date = forms.DateField(
        label=_("Nouvelle date de protection des documents"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Les documents datés de ce jour ou d'avant ne pourront plus être modifiés."),
        error_messages={
            "required": _("Indiquez la nouvelle date de protection."),
            "invalid": _("Date invalide : saisissez-la sous la forme jj/mm/aaaa."),
        },
    )
    reason = forms.CharField(
        label=_("Raison"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Obligatoire si la date recule pour un des comptes : des documents redeviennent modifiables."
        ),
    )


class StaffForm(forms.Form):
    """A member of the firm's own account, given (with a role) or refused access to client accounts.
    The roles listed are those `granter`, the giver's membership in the firm, may give (firm
    services.grant_staff)."""

    user = forms.ModelChoiceField(
        label=_("Collaborateur du cabinet"),
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choisissez un collaborateur du cabinet dans la liste.")},
    )
    role = forms.ChoiceField(
        label=_("Rôle dans les comptes clients"),
        choices=list(permissions.BUILTIN_ROLE_LABELS.items()),
        initial=permissions.ROLE_ACCOUNTANT,
    )

    def __init__(
        self, *args: Any, firm: Account, granter: Membership | None, with_role: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["user"]
        field.queryset = firm_members(firm) if with_role else revocable_staff(firm)
        field.label_from_instance = _member_label
        if not with_role:
            del self.fields["role"]
        else:
            offer_grantable_roles(self.fields["role"], role_choices([], granter))


def firm_members(firm: Account) -> QuerySet[User]:
    return User.objects.filter(memberships__account=firm).order_by("last_name", "first_name", "email")


def revocable_staff(firm: Account) -> QuerySet[User]:
    """Whose access "Retirer l'accès" can take away: the firm's members, and anyone still acting for the
    firm in one of its client accounts though no longer a member of it (an access that outlived them)."""
    return User.objects.filter(
        Exists(Membership.objects.filter(user=OuterRef("pk"), account=firm))
        | Exists(Membership.objects.filter(user=OuterRef("pk"), firm=firm, account__managed_by=firm))
    ).order_by("last_name", "first_name", "email")


def _member_label(user: User) -> str:
    name = f"{user.first_name} {user.last_name}".strip()
    return f"{name} <{user.email}>" if name else user.email


class AddClientUserForm(AddMemberForm):
    """Adding a user to a client account ("Ajouter un utilisateur"): the Paramètres > Utilisateurs
    form, with the built-in roles only (a client account's custom roles are its own business) and
    Administrateur preselected. `granter` is the firm user's membership in the client account, whose
    rules apply (firm services.add_client_user)."""

    def __init__(self, *args: Any, granter: Membership | None, **kwargs: Any) -> None:
        super().__init__(*args, custom_roles=[], granter=granter, **kwargs)
        self.fields["role"].initial = permissions.ROLE_ADMIN
