from typing import Any

from django.http import HttpRequest

from facturier.web.queries import SWITCHER_SIZE, switcher_memberships


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the layout needs on every page: the current account, the user's permissions in it, and
    the first accounts of the switcher (the rest are searched as the user types)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    memberships = list(switcher_memberships(user.pk)[: SWITCHER_SIZE + 1])
    return {
        "current_account": getattr(request, "account", None),
        "current_membership": membership,
        "account_perms": membership.permission_set if membership else frozenset(),
        "switcher_results": memberships[:SWITCHER_SIZE],
        "switcher_more": len(memberships) > SWITCHER_SIZE,
    }
