"""Reads for the shell: the accounts a user can open, for the top-bar switcher."""

from django.db.models import Q, QuerySet
from django.urls import reverse

from facturier.tenancy.models import Membership

SWITCHER_SIZE = 15


def switcher_memberships(user_id: int, query: str = "") -> QuerySet[Membership]:
    """The user's memberships ordered by account name, filtered by name or slug; one indexed query."""
    memberships = (
        Membership.objects.filter(user_id=user_id).select_related("account").order_by("account__name")
    )
    query = query.strip()
    if query:
        memberships = memberships.filter(
            Q(account__name__icontains=query) | Q(account__slug__icontains=query)
        )
    return memberships


def switcher_page(user_id: int, query: str = "") -> tuple[list[Membership], bool]:
    """The first SWITCHER_SIZE memberships with their dashboard's URL (`dashboard_url`), and whether
    there are more. The URL is reversed once: the layout shows this list on every page."""
    memberships = list(switcher_memberships(user_id, query)[: SWITCHER_SIZE + 1])
    placeholder = "switcher-slug"
    url = reverse("web:dashboard", args=[placeholder])
    for membership in memberships:
        membership.dashboard_url = url.replace(f"/{placeholder}/", f"/{membership.account.slug}/", 1)  # type: ignore[attr-defined]
    return memberships[:SWITCHER_SIZE], len(memberships) > SWITCHER_SIZE
