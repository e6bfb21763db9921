"""Login throttling: too many recent failures for one email, or from one IP, lock further tries.

The attempts live in the database (LoginAttempt), so the lock holds across web processes. While an
email or an IP is locked the password is not even checked, so guessing gains nothing during the lock.
"""

import datetime
import math

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from facturier.accounts.models import LoginAttempt, User, normalize_email
from facturier.tenancy.access import client_ip


def minutes_locked(email: str, ip: str | None) -> int:
    """0 when a login may be tried now, else the minutes (at least 1) until it may.

    The lock lifts when fewer than LOGIN_MAX_FAILURES failures remain in the window, that is when the
    oldest of the last LOGIN_MAX_FAILURES failures leaves it.
    """
    now = timezone.now()
    window = datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    limit = settings.LOGIN_MAX_FAILURES
    keys = [Q(email=normalize_email(email))] + ([Q(ip=ip)] if ip else [])
    unlock_at: datetime.datetime | None = None
    for key in keys:
        recent = list(
            LoginAttempt.objects.filter(key, succeeded=False, created_at__gt=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            lifts_at = recent[-1] + window
            unlock_at = lifts_at if unlock_at is None else max(unlock_at, lifts_at)
    if unlock_at is None:
        return 0
    return max(1, math.ceil((unlock_at - now).total_seconds() / 60))


def record(email: str, ip: str | None, *, succeeded: bool) -> LoginAttempt:
    return LoginAttempt.objects.create(email=normalize_email(email)[:254], ip=ip, succeeded=succeeded)


def authenticate_throttled(request: HttpRequest, email: str, password: str) -> User:
    """The user with these credentials, or a ValidationError to show on the login form.

    Every try is recorded, a refused one as a failure too: someone who keeps trying while locked
    stays locked, and the message always says how long the lock still lasts.
    """
    email = normalize_email(email)
    ip = client_ip(request)
    wait = minutes_locked(email, ip)
    if wait:
        record(email, ip, succeeded=False)
        raise ValidationError(
            ngettext(
                "Trop de tentatives de connexion. Réessayez dans %(n)d minute.",
                "Trop de tentatives de connexion. Réessayez dans %(n)d minutes.",
                wait,
            )
            % {"n": wait},
            code="throttled",
        )
    # ModelBackend refuses inactive users, and hashes the password even for an unknown email so the
    # answer takes the same time either way.
    user = authenticate(request, username=email, password=password)
    record(email, ip, succeeded=user is not None)
    if not isinstance(user, User):
        raise ValidationError(_("Adresse email ou mot de passe incorrect."), code="invalid_login")
    return user
