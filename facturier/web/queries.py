"""Reads for the shell: the accounts a user can open, for the top-bar switcher."""

from typing import NamedTuple

from django.db.models import Q, QuerySet
from django.urls import reverse

from facturier.tenancy.models import Membership

SWITCHER_SIZE = 15


class SwitcherEntry(NamedTuple):
    """An account of the switcher: what the top bar shows of it and where it leads."""

    slug: str
    name: str
    dashboard_url: str


def switcher_memberships(user_id: int, query: str = "") -> QuerySet[Membership]:
    """The user's memberships ordered by account name, filtered by name or slug; one indexed query."""
    memberships = Membership.objects.filter(user_id=user_id).order_by("account__name")
    query = query.strip()
    if query:
        memberships = memberships.filter(
            Q(account__name__icontains=query) | Q(account__slug__icontains=query)
        )
    return memberships


def switcher_page(user_id: int, query: str = "") -> tuple[list[SwitcherEntry], bool]:
    """The first SWITCHER_SIZE accounts of the user, and whether there are more. Only the slug and
    name are read, and the dashboard's URL is reversed once: the layout shows this list on every page,
    and whole Membership and Account rows cost a page more than the rest of its top bar."""
    rows = list(
        switcher_memberships(user_id, query).values_list("account__slug", "account__name")[
            : SWITCHER_SIZE + 1
        ]
    )
    placeholder = "switcher-slug"
    url = reverse("web:dashboard", args=[placeholder])
    entries = [
        SwitcherEntry(slug, name, url.replace(f"/{placeholder}/", f"/{slug}/", 1))
        for slug, name in rows[:SWITCHER_SIZE]
    ]
    return entries, len(rows) > SWITCHER_SIZE
