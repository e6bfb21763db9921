"""Who calls the API and for which account (api.md, section 1; issue 7, section 1).

The token comes from the `api_token` query parameter, the top level of the JSON body, or an
`Authorization: Bearer` header. It is the same token users create on their profile page
(tenancy.services.create_api_token): it belongs to one membership, so it names one account and one
set of permissions. The account is taken from the Host subdomain when FACTURIER_API_BASE_DOMAIN is
set, else from the token's `/<slug>` suffix, else from the token itself; whichever names it, it must
be the token's own account, or the request is refused like a bad token.

Without a token, the official README's other way in is HTTP Basic with the user's login and password
(`curl -u 'email:password'`): each password hash first spends a request of the caller's IP budget
(throttling.py), then the pages' login throttle counts the try; a pair verified is remembered for
FACTURIER_API_BASIC_VERIFIED_SECONDS (verify_basic), so a client calling again is not hashed again. A
user with (or required to have) a second factor is refused, since Basic has no place for the code, and
the account is the Host subdomain's, else the user's only account. Browsers never get a Basic
challenge (the 401 asks for a Bearer token), and a request a browser marks as coming from a page
(Origin, Sec-Fetch-Site) is refused Basic, so no credentials a browser kept can be replayed by another
site.
"""

import base64
import binascii
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from facturier.accounts import throttle
from facturier.accounts.models import User, normalize_email
from facturier.api import throttling
from facturier.mfa import policy
from facturier.tenancy.access import Actor, client_ip
from facturier.tenancy.models import Account, ApiToken, Membership
from facturier.tenancy.services import resolve_api_token

# last_used_at is for people reviewing their tokens: once a few minutes is precise enough, and it
# spares a write on every request.
TOUCH_EVERY = datetime.timedelta(minutes=5)
# Read with the account on every request, in the same query: the API's documents option
# (BillingSettings.api_documents_as_drafts) that each create reads.
ACCOUNT_RELATED = ("account__billing_settings",)


@dataclass(frozen=True)
class ApiAccess:
    """What authentication found: `request.auth` of every API view."""

    token: ApiToken | None  # None for HTTP Basic
    membership: Membership

    @property
    def caller(self) -> str:
        """Whose rate limit the request counts against (throttling.py): the token, else the membership."""
        return f"token:{self.token.pk}" if self.token is not None else f"basic:{self.membership.pk}"

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


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The login and password of an `Authorization: Basic` header, None without one; a malformed one
    is a bad credential."""
    scheme, _sep, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationFailed from None
    login, sep, password = decoded.partition(":")
    if not sep or not login.strip() or not password or "\x00" in decoded:
        raise AuthenticationFailed
    return login.strip(), password


def from_a_page(request: Request) -> bool:
    """Whether a browser says a page sent this request (a form or a script): what a cross-site forgery
    would look like. curl and server-side clients send neither header."""
    site = request.META.get("HTTP_SEC_FETCH_SITE", "none").lower()
    return bool(request.META.get("HTTP_ORIGIN")) or site not in ("", "none")


def verified_key(login: str, password: str) -> str:
    """The cache key of a verified pair: an HMAC keyed by SECRET_KEY, so the cache holds no password
    nor anything that can be tried against one without the key."""
    digest = salted_hmac(
        "facturier.api.basic", f"{normalize_email(login)}\x00{password}", algorithm="sha256"
    ).hexdigest()
    return f"api-basic:{digest}"


def recently_verified(login: str, password: str) -> User | None:
    """The user whose pair was verified less than FACTURIER_API_BASIC_VERIFIED_SECONDS ago, if it still holds.

    The entry keeps the user's session hash, an HMAC of their password hash: a password change makes it
    stale at once, as it does for their sessions; so do a change of email and a deactivation.
    """
    cached = cache.get(verified_key(login, password))
    if not isinstance(cached, tuple) or len(cached) != 2:
        return None
    user_pk, session_hash = cached
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    if (
        user is None
        or user.email != normalize_email(login)
        or not constant_time_compare(user.get_session_auth_hash(), session_hash)
    ):
        return None
    return user


def verify_basic(request: Request, login: str, password: str) -> User:
    """The user of a Basic pair: from the cache of recent checks, else by hashing the password, which
    first spends a request of the caller's IP budget (throttling.spend_anonymous), then goes through
    the pages' login throttle."""
    user = recently_verified(login, password)
    if user is not None:
        return user
    wait = throttling.spend_anonymous(request)
    if wait is not None:
        raise Throttled(wait=wait)
    try:
        user = throttle.authenticate_throttled(request._request, login, password)
    except throttle.LoginLocked as locked:
        raise Throttled(wait=locked.seconds) from None
    except ValidationError:
        raise AuthenticationFailed from None
    if settings.FACTURIER_API_BASIC_VERIFIED_SECONDS > 0:
        cache.set(
            verified_key(login, password),
            (user.pk, user.get_session_auth_hash()),
            settings.FACTURIER_API_BASIC_VERIFIED_SECONDS,
        )
    return user


def basic_access(request: Request, login: str, password: str) -> tuple[User, ApiAccess]:
    """The membership that HTTP Basic credentials act as, or AuthenticationFailed (Throttled past the
    caller's IP budget or while the login lock holds)."""
    if from_a_page(request):
        raise AuthenticationFailed
    user = verify_basic(request, login, password)
    if user.has_second_factor or policy.is_required_of(user):
        raise AuthenticationFailed  # Basic cannot carry the code: a token is the way in
    memberships = Membership.objects.filter(user=user).select_related(
        "account", "user", "custom_role", *ACCOUNT_RELATED
    )
    host_slug = slug_from_host(request)
    if host_slug is not None:
        memberships = memberships.filter(account__slug=host_slug)
    found = list(memberships[:2])
    if len(found) != 1:
        raise AuthenticationFailed  # no account, or several and nothing says which
    return user, ApiAccess(token=None, membership=found[0])


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiAccess] | None:
        plain = token_from(request)
        if plain is None:
            credentials = basic_credentials(request)
            if credentials is not None:
                return basic_access(request, *credentials)
            return None  # no credentials: the permission check answers 401
        token = resolve_api_token(plain, related=[f"membership__{name}" for name in ACCOUNT_RELATED])
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
