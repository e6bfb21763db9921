"""The one catalogue of permissions, and what each built-in role holds.

A membership's permissions come from its built-in role, or from the custom role an administrator
composed out of this same catalogue. Codes are stable identifiers stored in custom roles: rename the
label freely, never the code. docs/roles.md shows the matrix; a test keeps it in step with this file.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Permission:
    code: str
    label: str | Promise
    group: str | Promise


_SUBJECTS: list[tuple[str, Promise]] = [
    ("sales", _("Documents de vente")),
    ("purchases", _("Dépenses")),
    ("payments", _("Paiements")),
    ("clients", _("Clients")),
    ("products", _("Produits")),
]
_VERBS: list[tuple[str, Promise]] = [
    ("view", _("Voir")),
    ("create", _("Créer")),
    ("edit", _("Modifier")),
    ("delete", _("Supprimer")),
]

CATALOGUE: list[Permission] = [
    *(
        Permission(f"{subject}.{verb}", verb_label, subject_label)
        for subject, subject_label in _SUBJECTS
        for verb, verb_label in _VERBS
    ),
    Permission("reports.view", _("Voir les rapports"), _("Comptabilité")),
    Permission("exports.run", _("Lancer les exports"), _("Comptabilité")),
    Permission("accounting.settings", _("Régler le plan comptable des exports"), _("Comptabilité")),
    Permission("lockdate.change", _("Changer la date de protection des documents"), _("Comptabilité")),
    Permission("audit.view", _("Consulter le journal d'audit"), _("Administration")),
    Permission("users.manage", _("Gérer les utilisateurs et les rôles"), _("Administration")),
    Permission("firm.manage", _("Gérer les comptes clients du cabinet"), _("Administration")),
    Permission("settings.manage", _("Gérer les paramètres du compte"), _("Administration")),
]
CODES: frozenset[str] = frozenset(p.code for p in CATALOGUE)
BY_CODE: dict[str, Permission] = {p.code: p for p in CATALOGUE}

ROLE_ADMIN = "admin"
ROLE_ACCOUNTANT = "accountant"
ROLE_MEMBER = "member"
ROLE_CUSTOM = "custom"

BUILTIN_ROLE_LABELS: dict[str, Promise] = {
    ROLE_ADMIN: _("Administrateur"),
    ROLE_ACCOUNTANT: _("Comptable"),
    ROLE_MEMBER: _("Utilisateur"),
}

_ALL_VIEWS = {f"{subject}.view" for subject, _label in _SUBJECTS}

BUILTIN_ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Administrateur: unlimited access to the account's data and settings.
    ROLE_ADMIN: CODES,
    # Comptable: sees everything, keeps the books (payments, purchases, lock date, exports) but does
    # not issue sales documents, run the account or manage its users. Recording a purchase may add
    # its supplier (an expense, an imported e-invoice), hence clients.create.
    ROLE_ACCOUNTANT: frozenset(
        _ALL_VIEWS
        | {
            "clients.create",
            "payments.create",
            "payments.edit",
            "purchases.create",
            "purchases.edit",
            "reports.view",
            "exports.run",
            "accounting.settings",
            "lockdate.change",
            "audit.view",
        }
    ),
    # Utilisateur: day-to-day invoicing; cannot delete, see the books or change the account.
    ROLE_MEMBER: frozenset(
        _ALL_VIEWS
        | {
            "sales.create",
            "sales.edit",
            "clients.create",
            "clients.edit",
            "products.create",
            "products.edit",
            "payments.create",
            "purchases.create",
            "purchases.edit",
        }
    ),
}


def grouped_catalogue() -> list[tuple[str | Promise, list[Permission]]]:
    """The catalogue in display order, grouped for the custom-role form and the roles matrix."""
    groups: dict[str, tuple[str | Promise, list[Permission]]] = {}
    for permission in CATALOGUE:
        key = str(permission.group)
        groups.setdefault(key, (permission.group, []))[1].append(permission)
    return list(groups.values())
