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
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connection, models
from django.db.models.expressions import Col
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from facturier.accounts.middleware import use_user_language
from facturier.lib import sql
from facturier.tenancy.models import Account, Membership

if TYPE_CHECKING:
    from facturier.accounts.models import User

M = TypeVar("M", bound=models.Model)

SESSION_CURRENT_ACCOUNT = "current_account"
# What a page's membership is read with: its account, the custom role behind its permissions, and the
# firm its holder works for (the top bar's way back to the firm, the audit trail).
GATE_RELATIONS = ("account", "custom_role", "firm")


class AccountRequest(HttpRequest):
    """An HttpRequest that went through the gate: it knows its account and the user's membership."""

    account: Account
    membership: Membership
    user: "User"


@dataclass(frozen=True)
class Actor:
    """Who performs a service call: a member of the account, or the system (commands, jobs)."""

    user: "User | None"
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

    def can(self, code: str) -> bool:
        if self.is_system:
            return True
        return self.membership is not None and self.membership.has_perm(code)

    def require(self, code: str) -> None:
        if not self.can(code):
            raise PermissionDenied(_("Votre rôle ne vous permet pas de faire cela."))


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the peer; behind a trusted proxy, deployments set it from X-Forwarded-For
    # in the proxy itself (see docs/deployment.md), so no header is trusted here.
    return request.META.get("REMOTE_ADDR") or None


def actor_for(request: AccountRequest) -> Actor:
    return Actor(user=request.user, membership=request.membership, ip=client_ip(request))


def membership_or_404(user: "User", slug: str) -> Membership:
    """The user's membership in the account at `slug`; a 404 when there is none (or no such account)."""
    try:
        return Membership.objects.select_related(*GATE_RELATIONS).get(account__slug=slug, user=user)
    except Membership.DoesNotExist:
        raise Http404(_("Compte introuvable.")) from None


@dataclass(frozen=True)
class _GateQuery:
    """The SQL of the gate's read, and where each object's values sit in its rows."""

    query: str
    columns: list[Col]  # every selected column: the membership's, then each relation's
    attnames: list[str]  # their fields' names, as Model.from_db takes them
    conversions: list[sql.Converter]
    membership: slice
    relations: list[tuple[models.ForeignKey[Any, Any], type[models.Model], slice]]


@functools.cache
def _gate_query() -> _GateQuery:
    """The membership at a slug (first parameter) of a user (second), with its GATE_RELATIONS and the
    user, joined as select_related joins them: inner for required relations, outer for optional ones.

    Written in SQL because every account page runs it: through the ORM, building and compiling this
    five-table query cost three times what the database takes to answer it (lib.sql)."""
    quote = connection.ops.quote_name
    columns = sql.model_columns(Membership, "m")
    membership = slice(0, len(columns))
    joins, relations = [], []
    for index, name in enumerate((*GATE_RELATIONS, "user")):
        field = Membership._meta.get_field(name)
        assert isinstance(field, models.ForeignKey)
        model, alias = field.related_model, f"r{index}"
        assert isinstance(model, type) and issubclass(model, models.Model)
        joins.append(
            f"{'LEFT OUTER' if field.null else 'INNER'} JOIN {quote(model._meta.db_table)} {alias} "
            f"ON {alias}.{quote(model._meta.pk.column)} = m.{quote(field.column)}"
        )
        own = sql.model_columns(model, alias)
        relations.append((field, model, slice(len(columns), len(columns) + len(own))))
        columns += own
    account = f"r{GATE_RELATIONS.index('account')}"
    query = (
        f"SELECT {sql.select_list(columns)} FROM {quote(Membership._meta.db_table)} m "  # noqa: S608
        f"{' '.join(joins)} WHERE {account}.{quote('slug')} = %s AND m.{quote('user_id')} = %s"
    )
    attnames = [col.target.attname for col in columns]
    return _GateQuery(query, columns, attnames, sql.converters(columns), membership, relations)


def _read_membership(slug: str, user_id: Any) -> Membership | None:
    """The user's membership at `slug` with its relations and the user, or None."""
    gate = _gate_query()
    with connection.cursor() as cursor:
        cursor.execute(gate.query, [slug, user_id])
        rows = cursor.fetchall()
    if not rows:  # one at most: one membership per user and account
        return None
    (values,) = sql.converted(rows, gate.conversions)

    def instance(model: type[M], where: slice) -> M | None:
        own = values[where]
        if own[0] is None:  # an optional relation left empty: its primary key is NULL, as all its columns
            return None
        return model.from_db(connection.alias, gate.attnames[where], own)

    membership = instance(Membership, gate.membership)
    assert membership is not None
    for field, model, where in gate.relations:
        field.set_cached_value(membership, instance(model, where))  # what select_related does
    return membership


def _member_read_with_user(request: HttpRequest, slug: str) -> Membership | None:
    """The membership at `slug` of the session's user, read in one query with the user, who is then
    not read again for the request (every account page saves a query). It checks what Django's
    `auth.get_user` checks: the session's backend, an active user, the session's hash of the password.
    None whenever anything differs from a plain logged-in member (no user in the session, a password
    changed since the login, an inactive user, no membership...): the caller then goes Django's way,
    which logs out, redirects or gives the 404."""
    if hasattr(request, "_cached_user"):  # the user was read already: the plain query will do
        return None
    session = request.session
    if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
    except (KeyError, ValidationError):
        return None
    membership = _read_membership(slug, user_id)
    if membership is None:
        return None
    user = membership.user
    session_hash = session.get(HASH_SESSION_KEY)
    if not (
        user.is_active and session_hash and constant_time_compare(session_hash, user.get_session_auth_hash())
    ):
        return None
    # What AuthenticationMiddleware's lazy `request.user` returns once read (django.contrib.auth.middleware).
    request._cached_user = user  # type: ignore[attr-defined]
    return membership


def account_view(
    permission: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view under /<slug>/: resolve the account through the user's membership, check the
    permission, and hand the view a request carrying `account` and `membership` (the `slug` URL
    argument is consumed here)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _member_read_with_user(request, slug)
            if membership is None:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                membership = membership_or_404(request.user, slug)
            use_user_language(request, request.user)
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
