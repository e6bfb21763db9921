"""Subscription plans and their limits, in one table."""

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FREE = "free"
PRO = "pro"
MAX = "max"
ACCOUNTING = "accounting"


@dataclass(frozen=True)
class Plan:
    code: str
    label: str | Promise
    # Users of the account itself; staff of the managing firm are not counted. None means unlimited.
    max_users: int | None
    # Only accounting-plan accounts may turn on the accounting-firm module.
    allows_firm_module: bool


PLANS: dict[str, Plan] = {
    FREE: Plan(FREE, _("Gratuit"), max_users=1, allows_firm_module=False),
    PRO: Plan(PRO, _("PRO"), max_users=5, allows_firm_module=False),
    MAX: Plan(MAX, _("MAX"), max_users=15, allows_firm_module=False),
    ACCOUNTING: Plan(ACCOUNTING, _("Comptabilité"), max_users=None, allows_firm_module=True),
}
PLAN_CHOICES = [(plan.code, plan.label) for plan in PLANS.values()]


def subscription_end(plan: str, today: datetime.date) -> datetime.date | None:
    """Paid plans start with one year of subscription; the free plan never ends."""
    if plan == FREE:
        return None
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February: a year later is the 28th.
        return today.replace(year=today.year + 1, day=28)
