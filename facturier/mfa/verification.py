"""Checking a code typed at the second step of a login (the page, and /login.json).

A code of six digits is checked against the user's authenticator apps; anything else against their
recovery codes, each of which works once. Each device holds django-otp's throttle: after a wrong code
the next try waits 1, 2, 4, 8... seconds, counted in the database (so it holds across web processes),
and the device row is locked while a code is checked, so two parallel tries cannot both use one code.
"""

import math

import django_otp
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device

from facturier.accounts.models import User
from facturier.mfa import devices

# Codes are short; anything longer is not worth a query.
MAX_CODE_LENGTH = 32


def normalize(code: str) -> str:
    """What users type, as stored: spaces and dashes dropped (apps show "123 456"), lower case."""
    return "".join(code.split()).replace("-", "").lower()[:MAX_CODE_LENGTH]


def _candidates(user: User, code: str) -> list[Device]:
    # ASCII digits only: django-otp's int() would take another script's ("٣٣٣٣٣٣") for an app code.
    if code.isascii() and code.isdigit() and len(code) == 6:
        return list(devices.apps_of(user))
    recovery = devices.recovery_device_of(user)
    return [recovery] if recovery is not None else []


def seconds_to_wait(device: Device) -> int:
    """0 when the device accepts a try now, else the seconds (at least 1) its throttle still asks for."""
    allowed, details = device.verify_is_allowed()
    if allowed:
        return 0
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil(float((locked_until - timezone.now()).total_seconds())))


def throttled_message(seconds: int) -> str:
    return ngettext(
        "Trop d'essais : réessayez dans %(n)d seconde.",
        "Trop d'essais : réessayez dans %(n)d secondes.",
        seconds,
    ) % {"n": seconds}


def verify_code(user: User, code: str) -> Device:
    """The device that accepts `code` for `user` (a used recovery code is gone), else a ValidationError:
    code "invalid", or "throttled" with `params={"seconds": n}` while every candidate device waits."""
    code = normalize(code)
    candidates = _candidates(user, code) if code else []
    waits = [seconds_to_wait(device) for device in candidates]
    if candidates and all(waits):
        seconds = min(waits)
        raise ValidationError(throttled_message(seconds), code="throttled", params={"seconds": seconds})
    for device, wait in zip(candidates, waits, strict=True):
        if wait:
            continue
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    raise ValidationError(_("Code incorrect."), code="invalid")
