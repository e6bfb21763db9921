"""The French chart of accounts (plan comptable général, PCG): what an account number of each role
must look like. Shared by the accounting settings, the exports and the purchases services (expense
categories), so a number accepted anywhere is one the FEC accepts (regulatory.md §1.1)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MIN_ACCOUNT_LENGTH = 3


@dataclass(frozen=True)
class AccountRule:
    """What a general account of one role must look like: digits only (a general account is
    numbered in the PCG), starting with one of `prefixes` (its class and group)."""

    prefixes: tuple[str, ...]
    what: str | Promise  # "comptes clients (41…)": completes "doit être un des …"


CUSTOMER_RULE = AccountRule(("41",), gettext_lazy("comptes clients (41…)"))
SUPPLIER_RULE = AccountRule(("40",), gettext_lazy("comptes fournisseurs (40…)"))
SUSPENSE_RULE = AccountRule(("47",), gettext_lazy("comptes d'attente (47…)"))
BANK_RULE = AccountRule(("5",), gettext_lazy("comptes financiers (classe 5, par exemple 512…)"))
REVENUE_RULE = AccountRule(("70",), gettext_lazy("comptes de ventes (70…)"))
VAT_RULE = AccountRule(("445",), gettext_lazy("comptes de TVA (445…)"))
DEDUCTIBLE_VAT_RULE = AccountRule(("4456",), gettext_lazy("comptes de TVA déductible (4456…)"))
EXPENSE_RULE = AccountRule(
    ("6", "2"), gettext_lazy("comptes de charges (classe 6) ou d'immobilisations (classe 2)")
)
PRODUCT_RULE = AccountRule(("7",), gettext_lazy("comptes de produits (classe 7)"))


def normalize_account(value: str) -> str:
    """An account number as typed ("411 000") as stored ("411000")."""
    return "".join(value.split())


def account_problem(value: str, rule: AccountRule) -> str | None:
    """Why `value` cannot be a general account of this role, or None when it can. The first three
    characters of every account in a FEC must be PCG digits (regulatory.md §1.1)."""
    if not value:
        return _("Indiquez un numéro de compte.")
    if not value.isascii() or not value.isdigit():
        return _("Un compte général ne contient que des chiffres (par exemple 411000).")
    if len(value) < MIN_ACCOUNT_LENGTH:
        return _("Un compte général a au moins trois chiffres (sa classe, puis son groupe).")
    if not value.startswith(rule.prefixes):
        return _("Ce compte doit être un des %(what)s.") % {"what": rule.what}
    return None
