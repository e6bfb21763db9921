"""Login throttling: failures counted per email, and per email and IP, with a lock that grows.

Two budgets per try, both counted in the database (accounts/counters.py, atomic across processes):
- the email and the client's IP: LOGIN_MAX_FAILURES failures, then that pair is locked. Someone
  guessing from one place is stopped without locking out the colleagues behind the same address (an
  office, a firm, a proxy): their emails have budgets of their own;
- the email alone, from anywhere: LOGIN_MAX_FAILURES_PER_EMAIL, the ceiling for guesses spread
  over many addresses.
Failures count within a window of LOGIN_FAILURE_WINDOW_MINUTES; a budget spent locks for the window,
then twice as long each time it is spent again within a day, up to LOGIN_LOCK_MAX_MINUTES.

A try is reserved before the password is checked: the counters are incremented first, in one
statement each, and only a try that got a place within the budgets has its password checked. However
many tries arrive at once, no more wrong passwords are checked than the budgets allow. A success gives
its place back; a failure keeps it until the window ends.

The throttle is an authentication backend (ThrottledModelBackend): every password check that goes
through Django's `authenticate()` passes it, the login page, `/login.json` and `/admin/login/` alike.
"""

import datetime
import math
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from facturier.accounts import counters
from facturier.accounts.models import LoginAttempt, User, normalize_email
from facturier.tenancy.access import client_ip

# How long a budget remembers having been spent, for the doubling of the next lock.
STRIKES_MEMORY = datetime.timedelta(days=1).total_seconds()
# Where the backend leaves the seconds a refused try must wait, for the page that asked.
LOCKED_FOR_ATTR = "login_locked_for"


class LoginLocked(ValidationError):
    """Too many failures: no password is checked for `seconds` more."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, math.ceil(seconds))
        minutes = max(1, math.ceil(self.seconds / 60))
        super().__init__(
            ngettext(
                "Trop de tentatives de connexion. Réessayez dans %(n)d minute.",
                "Trop de tentatives de connexion. Réessayez dans %(n)d minutes.",
                minutes,
            )
            % {"n": minutes},
            code="throttled",
        )


@dataclass(frozen=True)
class Budget:
    counter: str
    limit: int
    # A success forgets the earlier locks of the email and IP (whoever is there knows the password), so
    # the next lock there starts short again; never the email's own, which a guesser elsewhere spends.
    forgiven_by_success: bool = False

    @property
    def strikes(self) -> str:
        return f"strikes-{self.counter}"


@dataclass
class Reservation:
    """The places a try took in its budgets; `locked_for` > 0 when one of them was already spent."""

    budgets: list[tuple[Budget, int]] = field(default_factory=list)
    locked_for: float = 0.0


def budgets(email: str, ip: str | None) -> list[Budget]:
    email = normalize_email(email)
    found = [Budget(counters.key("login-email", email), settings.LOGIN_MAX_FAILURES_PER_EMAIL)]
    if ip:
        found.append(
            Budget(
                counters.key("login-email-ip", email, ip),
                settings.LOGIN_MAX_FAILURES,
                forgiven_by_success=True,
            )
        )
    return [budget for budget in found if budget.limit > 0]


def reserve(email: str, ip: str | None) -> Reservation:
    """Take a place in each budget of this email (and IP) before any password is checked.

    When a budget is already spent the try is refused: it gives back the places it took in the other
    budgets (a refused try is no guess, and must not eat a colleague's budget), and `locked_for` says
    how long the longest lock still lasts.
    """
    now = time.time()
    window = settings.LOGIN_FAILURE_WINDOW_MINUTES * 60
    reservation = Reservation()
    for budget in budgets(email, ip):
        count, expires_at = counters.hit(budget.counter, expires_at=now + window, now=now)
        if count > budget.limit:
            reservation.locked_for = max(reservation.locked_for, expires_at - now)
        else:
            reservation.budgets.append((budget, count))
    if reservation.locked_for:
        for budget, _count in reservation.budgets:
            counters.release(budget.counter, now=now)
        reservation.budgets = []
    return reservation


def settle(reservation: Reservation, *, succeeded: bool) -> None:
    """After the password check: a success gives its places back, a failure that spent a budget locks it."""
    now = time.time()
    for budget, count in reservation.budgets:
        if succeeded:
            # Only its own place: the failures stay counted, or tries still in flight would get fresh
            # places and check more passwords than the budget.
            counters.release(budget.counter, now=now)
            if budget.forgiven_by_success:
                counters.reset(budget.strikes)
        elif count == budget.limit:
            # Exactly one try gets the last place of a window (the counter is atomic): it starts the lock.
            strikes, _expires = counters.hit(budget.strikes, expires_at=now + STRIKES_MEMORY, now=now)
            counters.extend(budget.counter, now + lock_seconds(strikes))


def lock_seconds(strikes: int) -> float:
    """The window for a first lock, doubled for each one before it within a day, up to the maximum."""
    window = settings.LOGIN_FAILURE_WINDOW_MINUTES * 60
    longest = max(window, settings.LOGIN_LOCK_MAX_MINUTES * 60)
    return float(min(longest, window * 2 ** min(strikes - 1, 32)))


def record(email: str, ip: str | None, *, succeeded: bool) -> LoginAttempt:
    """The staff's log of tries (the admin lists them); the throttle itself reads the counters."""
    return LoginAttempt.objects.create(email=normalize_email(email)[:254], ip=ip, succeeded=succeeded)


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend behind the throttle (settings.AUTHENTICATION_BACKENDS).

    A locked try raises PermissionDenied: `authenticate()` then answers None at once, without asking
    another backend, and the seconds to wait are left on the request for the page to show.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None  # not a password login (a passkey, a session...): nothing to count
        email = normalize_email(username)
        ip = client_ip(request) if request is not None else None
        reservation = reserve(email, ip)
        if reservation.locked_for:
            record(email, ip, succeeded=False)
            if request is not None:
                setattr(request, LOCKED_FOR_ATTR, reservation.locked_for)
            raise PermissionDenied
        # ModelBackend refuses inactive users, and hashes the password even for an unknown email so the
        # answer takes the same time either way.
        user = super().authenticate(request, username=email, password=password, **kwargs)
        settle(reservation, succeeded=user is not None)
        record(email, ip, succeeded=user is not None)
        return user if isinstance(user, User) else None


def authenticate_throttled(request: HttpRequest, email: str, password: str) -> User:
    """The user with these credentials, or a ValidationError to show on the login form (LoginLocked
    when the throttle refused to check the password)."""
    user = authenticate(request, username=normalize_email(email), password=password)
    if isinstance(user, User):
        return user
    locked_for = getattr(request, LOCKED_FOR_ATTR, 0)
    if locked_for:
        raise LoginLocked(locked_for)
    raise ValidationError(_("Adresse email ou mot de passe incorrect."), code="invalid_login")
