from typing import Any

from django.http import HttpRequest

from facturier.web.queries import switcher_page


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the layout needs on every page: the current account, the user's permissions in it, and
    the first accounts of the switcher (the rest are searched as the user types)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    switcher_results, switcher_more = switcher_page(user.pk)
    return {
        "current_account": getattr(request, "account", None),
        "current_membership": membership,
        "account_perms": membership.permission_set if membership else frozenset(),
        "switcher_results": switcher_results,
        "switcher_more": switcher_more,
    }
