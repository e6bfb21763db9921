"""Reads for the shell: the accounts a user can open, for the top-bar switcher."""

from django.db.models import Q, QuerySet

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
