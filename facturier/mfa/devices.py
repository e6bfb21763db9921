"""The devices a user proves their identity with, read from the libraries that keep them.

- authenticator apps: django-otp's TOTPDevice (a secret shared with the app, RFC 6238 codes);
- passkeys: django-otp-webauthn's WebAuthnCredential;
- recovery codes: django-otp's StaticDevice, one per user, holding single-use StaticTokens.

Apps and passkeys are second factors; recovery codes only stand in for them when they are out of reach,
so a user with recovery codes alone has no second factor.
"""

from typing import Any, cast

from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from facturier.accounts.models import User

# The models whose confirmed rows make a second factor (User.has_second_factor).
SECOND_FACTOR_MODELS: tuple[type[TOTPDevice] | type[WebAuthnCredential], ...] = (
    TOTPDevice,
    WebAuthnCredential,
)
RECOVERY_DEVICE_NAME = "recovery"
RECOVERY_CODE_COUNT = 10


# django-otp and django-otp-webauthn ship no type hints: their querysets are typed here, where they are read.


def apps_of(user: User) -> "QuerySet[Any]":
    return cast(
        "QuerySet[Any]", TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
    )


def passkeys_of(user: User) -> "QuerySet[Any]":
    return cast(
        "QuerySet[Any]",
        WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk"),
    )


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count())


def recovery_device_of(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()


def has_second_factor(user_id: int) -> bool:
    """Whether the user has a confirmed app or passkey, read from the devices (not from the User flag)."""
    return any(
        model.objects.filter(user_id=user_id, confirmed=True).exists() for model in SECOND_FACTOR_MODELS
    )
