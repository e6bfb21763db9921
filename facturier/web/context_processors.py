from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the layout needs on every page: the current account and the user's permissions in it.
    (The account switcher reads its list when it is opened: web.views.switcher.)"""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_account": getattr(request, "account", None),
        "current_membership": membership,
        "account_perms": membership.permission_set if membership else frozenset(),
    }
