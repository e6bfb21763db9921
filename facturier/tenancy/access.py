"""The access gate: the one place that finds tenant-owned rows for a request.

Rules every page and endpoint gets from here:
- a user who is not a member of the account gets a 404, never a 403 and never data;
- a member without the permission a page needs gets a 403;
- objects of another account are a 404 (`get_in_account` filters on the account, always).
Services receive an `Actor` and re-check permissions themselves, so commands and the API share the rules.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.accounts.models import User
from facturier.lib.network import client_address
from facturier.lib.pages import current_page, redirect_page
from facturier.tenancy.models import Account, Membership

M = TypeVar("M", bound=models.Model)

SESSION_CURRENT_ACCOUNT = "current_account"
# What a page's membership is read with: its account, the custom role behind its permissions, the firm
# its holder works for (the top bar's way back to the firm, the audit trail), and the firm managing the
# account (with the firm of the holder, it says whether the page needs a second factor).
GATE_RELATIONS = ("account", "custom_role", "firm", "account__managed_by")


class AccountRequest(HttpRequest):
    """An HttpRequest that went through the gate: it knows its account and the user's membership."""

    account: Account
    membership: Membership
    user: User


@dataclass(frozen=True)
class Actor:
    """Who performs a service call: a member of the account, or the system (commands, jobs)."""

    user: User | None
    membership: Membership | None = None
    ip: str | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(user=None)

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def via_firm(self) -> Account | None:
        return self.membership.firm if self.membership else None

    def acting_for_firm(self, firm: Account) -> "Actor":
        """The actor as a client account's audit trail shows them: acting for the firm ("via <firm>").

        `via_firm` reads the firm of the actor's membership, and the user may hold no membership in that
        client account: an unsaved membership naming the firm stands for "acting for the firm"
        (audit.record reads only the user, via_firm and the IP address of an actor)."""
        if self.user is None:
            return self
        return Actor(user=self.user, membership=Membership(user=self.user, firm=firm), ip=self.ip)

    def can(self, code: str) -> bool:
        if self.is_system:
            return True
        return self.membership is not None and self.membership.has_perm(code)

    def require(self, code: str) -> None:
        if not self.can(code):
            raise PermissionDenied(_("Votre rôle ne vous permet pas de faire cela."))


def client_ip(request: HttpRequest) -> str | None:
    # X-Forwarded-For is read only through the proxies the deployment names (docs/deployment.md).
    return client_address(
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.FACTURIER_TRUSTED_PROXIES,
    )


def actor_for(request: AccountRequest) -> Actor:
    return Actor(user=request.user, membership=request.membership, ip=client_ip(request))


def membership_or_404(user: User, slug: str) -> Membership:
    """The user's membership in the account at `slug`, with GATE_RELATIONS, in one query; a 404 when
    there is none (or no such account)."""
    try:
        return Membership.objects.select_related(*GATE_RELATIONS).get(account__slug=slug, user=user)
    except Membership.DoesNotExist:
        raise Http404(_("Compte introuvable.")) from None


def request_membership(request: HttpRequest, slug: str) -> Membership:
    """The logged-in user's membership at `slug`, read once per request: the gate keeps it on the
    request, and a second gate in the same request (a decorated view calling another) reuses it."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None or membership.account.slug != slug:
        assert isinstance(request.user, User), "memberships are read for logged-in users only"
        membership = membership_or_404(request.user, slug)
    return membership


def account_view(
    permission: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view under /<slug>/: resolve the account through the user's membership, check the
    permission, and hand the view a request carrying `account` and `membership` (the `slug` URL
    argument is consumed here).

    The user is Django's `request.user` (AuthenticationMiddleware: the session's checks, a password
    changed elsewhere logs out); an anonymous visitor goes to the login page, a user who is not a member
    gets a 404, a member whose account requires a second factor they have not set up goes to their
    Sécurité page to add one, a member without `permission` gets a 403. The page is in the user's
    language (accounts.middleware.UserLanguageMiddleware switched to it before the view)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                login = redirect_to_login(current_page(request))
                return redirect_page(request, login["Location"])
            membership = request_membership(request, slug)
            if membership.requires_second_factor and not getattr(request.user, "has_second_factor", False):
                return redirect_page(request, reverse("mfa:security"))
            if permission is not None and not membership.has_perm(permission):
                raise PermissionDenied(_("Votre rôle ne vous permet pas d'accéder à cette page."))
            gated = request  # the same object, now known to carry the account
            gated.account = membership.account  # type: ignore[attr-defined]
            gated.membership = membership  # type: ignore[attr-defined]
            _remember_current_account(request, membership)
            return view(gated, *args, **kwargs)

        # Read by the test that walks every URL: it knows which members must get a 403.
        wrapper.required_permission = permission  # type: ignore[attr-defined]
        wrapper.is_account_view = True  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _remember_current_account(request: HttpRequest, membership: Membership) -> None:
    # One write per switch of account, not per request: it feeds "back to the last account" at login.
    if request.session.get(SESSION_CURRENT_ACCOUNT) != membership.account.slug:
        request.session[SESSION_CURRENT_ACCOUNT] = membership.account.slug
        Membership.objects.filter(pk=membership.pk).update(last_used_at=timezone.now())


def get_in_account(queryset: "models.QuerySet[M] | type[M]", account: Account, **lookup: Any) -> M:
    """One row of the account, or a 404: the only way views fetch tenant-owned objects by id."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        return qs.get(account=account, **lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
