"""Rules for account URL slugs (the `/<slug>/` of every account page and the `/slug` of API tokens)."""

import re

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

MIN_LENGTH = 3
MAX_LENGTH = 40
_ALLOWED = re.compile(r"^[a-z0-9-]+$")

# Top-level paths of the site and of the public API, plus words that would mislead users.
RESERVED = frozenset(
    {
        "about", "account", "accounts", "admin", "api", "app", "assets", "auth", "banking", "billing",
        "categories", "clients", "dashboard", "departments", "docs", "estimates", "expenses", "firm",
        "healthz", "help", "i18n", "invoices", "join", "login", "logout", "media", "metrics", "new",
        "password", "password-reset", "payments", "price-lists", "pricing", "products", "profile", "readyz",
        "recurrings", "register", "reports", "root", "schema", "settings", "signup", "static", "status",
        "support", "system", "warehouse", "warehouses", "webhooks", "www",
    }
)  # fmt: skip


def slug_problems(value: str) -> list[str]:
    """Every rule the slug breaks, each with its own message (uniqueness is checked by the caller)."""
    problems = []
    if len(value) < MIN_LENGTH:
        problems.append(_("L'adresse doit contenir au moins %(n)d caractères.") % {"n": MIN_LENGTH})
    if len(value) > MAX_LENGTH:
        problems.append(_("L'adresse doit contenir au plus %(n)d caractères.") % {"n": MAX_LENGTH})
    if value and not _ALLOWED.match(value):
        problems.append(
            _(
                "L'adresse ne peut contenir que des lettres minuscules sans accent, des chiffres et des tirets."
            )
        )
    if value.startswith("-") or value.endswith("-"):
        problems.append(_("L'adresse ne peut ni commencer ni finir par un tiret."))
    if value in RESERVED:
        problems.append(_("« %(slug)s » est un mot réservé, choisissez une autre adresse.") % {"slug": value})
    return problems


def validate_slug_format(value: str) -> None:
    problems = slug_problems(value)
    if problems:
        raise ValidationError(problems, code="invalid_slug")


def slug_from_name(name: str) -> str:
    """A slug proposed from a company name: 'Boulangerie Gâteau & Fils' -> 'boulangerie-gateau-fils'."""
    return slugify(name)[:MAX_LENGTH].strip("-")
