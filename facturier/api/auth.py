"""Who calls the API and for which account (api.md, section 1; issue 7, section 1).

The token comes from the `api_token` query parameter, the top level of the JSON body, or an
`Authorization: Bearer` header. It is the same token users create on their profile page
(tenancy.services.create_api_token): it belongs to one membership, so it names one account and one
set of permissions. The account is taken from the Host subdomain when FACTURIER_API_BASE_DOMAIN is
set, else from the token's `/<slug>` suffix, else from the token itself; whichever names it, it must
be the token's own account, or the request is refused like a bad token.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from facturier.accounts.models import User
from facturier.tenancy.access import Actor, client_ip
from facturier.tenancy.models import Account, ApiToken, Membership
from facturier.tenancy.services import resolve_api_token

# last_used_at is for people reviewing their tokens: once a few minutes is precise enough, and it
# spares a write on every request.
TOUCH_EVERY = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class ApiAccess:
    """What authentication found: `request.auth` of every API view."""

    token: ApiToken
    membership: Membership

    @property
    def account(self) -> Account:
        return self.membership.account

    def actor(self, request: Request) -> Actor:
        return Actor(user=self.membership.user, membership=self.membership, ip=client_ip(request))


def token_from(request: Request) -> str | None:
    """The plain token, wherever the client put it (the first place that has one wins)."""
    candidates: list[Any] = [request.query_params.get("api_token")]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # A malformed body raises ParseError here (a 400): DRF would read it as empty afterwards.
        data = request.data
        if isinstance(data, Mapping):
            candidates.append(data.get("api_token"))
    scheme, _sep, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer":
        candidates.append(credentials)
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip() and "\x00" not in candidate:
            return candidate.strip()
    return None


def slug_from_host(request: Request) -> str | None:
    """The account slug named by the Host, when a base domain is configured and the host is under it."""
    base = settings.FACTURIER_API_BASE_DOMAIN
    if not base:
        return None
    host = request.get_host().rsplit(":", 1)[0].lower().rstrip(".")
    suffix = "." + base
    if not host.endswith(suffix):
        return None
    slug = host[: -len(suffix)]
    return slug if slug and "." not in slug else None


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiAccess] | None:
        plain = token_from(request)
        if plain is None:
            return None  # no credentials: the permission check answers 401
        token = resolve_api_token(plain)
        if token is None or not token.membership.user.is_active:
            raise AuthenticationFailed
        host_slug = slug_from_host(request)
        if host_slug is not None and host_slug != token.membership.account.slug:
            raise AuthenticationFailed
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.membership.user, ApiAccess(token=token, membership=token.membership)

    def authenticate_header(self, request: Request) -> str:
        # A value here makes DRF answer 401 (not 403) to a request without credentials.
        return 'Bearer realm="api"'


class IsAccountMember(BasePermission):
    """Only requests that carry a valid token; each view then checks the permission it needs."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiAccess)
