"""Writes about second factors: enrolling an app, recovery codes, removing a device, the staff reset, and
the accounts' "2FA obligatoire" settings.

The user is told by email of every change to their second factors (an app or passkey added, one
removed, two-factor authentication turned off, the staff's reset): someone who got into their session
could otherwise add a device of their own, or take the user's away, unseen."""

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from facturier.accounts.models import User
from facturier.lib.mail import send_templated_mail
from facturier.mfa import devices, policy
from facturier.mfa.verification import normalize, seconds_to_wait, throttled_message
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account, Membership

MAX_NAME_LENGTH = TOTPDevice._meta.get_field("name").max_length or 64


def start_app(user: User) -> TOTPDevice:
    """A new authenticator app for `user`, with a fresh secret, unconfirmed (so unusable) until a code
    from it is entered (`confirm_app`). An earlier unconfirmed one is dropped: one set-up at a time."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=_("Application d'authentification"), confirmed=False)


def confirm_app(user: User, device_id: int, code: str, name: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the app being set up with a code it shows: from then on it is a second factor.

    Returns the device and, when the user had no recovery codes yet, the ten new ones (to show once).
    A wrong code is refused (ServiceError on "code") and counts against the device's throttle.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
        )
        if device is None:
            raise ServiceError(_("Cette configuration a expiré : recommencez l'ajout de l'application."))
        wait = seconds_to_wait(device)
        accepted = not wait and device.verify_token(normalize(code))
        first = not devices.has_second_factor(user.pk)
    # Outside the transaction above: a refusal must keep the failure the throttle just counted.
    if wait:
        raise ServiceError(throttled_message(wait), field="code")
    if not accepted:
        raise ServiceError(
            _("Code incorrect : saisissez le code à six chiffres que l'application affiche maintenant."),
            field="code",
        )
    with transaction.atomic():
        device.name = name.strip()[:MAX_NAME_LENGTH] or device.name
        device.confirmed = True
        device.save(update_fields=["name", "confirmed"])
        codes = ensure_recovery_codes(user)
        _tell(user, "second_factor_added", {"kind": KIND_APP, "name": device.name, "first": first})
    return device, codes


def passkey_registered(user: User, *, first: bool) -> list[str]:
    """After django-otp-webauthn registered a passkey of `user` (`first` when they had no second factor
    before): their recovery codes if they had none (to show once, as for an app), and the email."""
    with transaction.atomic():
        codes = ensure_recovery_codes(user)
        _tell(user, "second_factor_added", {"kind": KIND_PASSKEY, "name": "", "first": first})
    return codes


KIND_APP = "app"
KIND_PASSKEY = "passkey"


def _tell(user: User, template: str, context: dict[str, Any]) -> None:
    """Email the user about a change to their second factors (queued in the caller's transaction: a
    change rolled back tells nothing)."""
    send_templated_mail(
        template,
        user.email,
        {"email": user.email, "security_path": reverse("mfa:security"), **context},
        user.language,
    )


def ensure_recovery_codes(user: User) -> list[str]:
    """Ten recovery codes for a user who has none left (their first app or passkey), to show once; an
    empty list when they still have some."""
    if devices.recovery_codes_left(user):
        return []
    with transaction.atomic():
        return _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=devices.RECOVERY_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _index in range(devices.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes replace the user's old ones (which stop working), to show once."""
    if not devices.has_second_factor(user.pk):
        raise ServiceError(_("Ajoutez d'abord une application d'authentification ou une clé d'accès."))
    with transaction.atomic():
        return _new_recovery_codes(user)


def remove_device(user: User, device: TOTPDevice | WebAuthnCredential) -> None:
    """Remove one of the user's apps or passkeys. Removing the last one turns two-factor authentication
    off, recovery codes included, which is refused while one of the user's accounts requires it."""
    assert device.user_id == user.pk, "a user removes only their own devices"
    with transaction.atomic():
        others = sum(queryset.count() for queryset in _other_factors(user, device))
        if others == 0 and device.confirmed and policy.is_required_of(user):
            raise ServiceError(
                _(
                    "La double authentification est obligatoire dans un de vos comptes : ajoutez une autre "
                    "application ou clé d'accès avant de retirer celle-ci."
                )
            )
        kind = KIND_APP if isinstance(device, TOTPDevice) else KIND_PASSKEY
        name = device.name if isinstance(device, TOTPDevice) else ""
        was_confirmed = device.confirmed
        device.delete()
        if others == 0:
            StaticDevice.objects.filter(user=user).delete()
        if was_confirmed:
            _tell(user, "second_factor_removed", {"kind": kind, "name": name, "turned_off": others == 0})


def reset(user: User, *, by: User | None, ip: str | None = None) -> int:
    """Platform staff remove every device of a user who lost them (apps, passkeys, recovery codes).

    Written to the audit trail of each of the user's accounts, so their administrators see it. Returns
    how many devices were removed. At their next login the user signs in with their password alone, and
    is asked to enrol again if one of their accounts requires it.
    """
    with transaction.atomic():
        removed = 0
        for model in (*devices.SECOND_FACTOR_MODELS, StaticDevice):
            removed += model.objects.filter(user=user).count()
            model.objects.filter(user=user).delete()
        actor = Actor(user=by, ip=ip)
        memberships = Membership.objects.filter(user=user).select_related("account").order_by("account_id")
        for membership in memberships:
            audit.record(
                actor,
                membership.account,
                "mfa.reset",
                target=user.email,
                summary=_(
                    "Double authentification de %(email)s réinitialisée par l'équipe de la plateforme "
                    "(%(count)d appareil(s) retiré(s))."
                )
                % {"email": user.email, "count": removed},
            )
        if removed:
            _tell(user, "second_factor_reset", {"count": removed})
    return removed


def set_policy(actor: Actor, account: Account, *, required: bool, in_client_accounts: bool) -> Account:
    """Paramètres du compte > Sécurité: "2FA obligatoire" for the account's members and, on a firm, for
    every user of its client accounts (its staff are members of the firm, so the first switch covers
    them wherever they act for it).

    Needs settings.manage. Allowed on a read-only account: a security setting must not wait for the
    subscription. Turning a requirement on needs the actor's own second factor first, so that nobody
    locks themselves out of the page they are on.
    """
    actor.require("settings.manage")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if (
            in_client_accounts
            and not account.is_firm
            and not account.second_factor_required_in_client_accounts
        ):
            raise ServiceError(
                _(
                    "Seul un cabinet comptable peut exiger la double authentification dans ses comptes clients."
                ),
                field="second_factor_required_in_client_accounts",
            )
        before = {
            "second_factor_required": account.second_factor_required,
            "second_factor_required_in_client_accounts": account.second_factor_required_in_client_accounts,
        }
        after = {
            "second_factor_required": required,
            "second_factor_required_in_client_accounts": in_client_accounts,
        }
        changes = audit.diff(before, after)
        if not changes:
            return account
        turning_on = any(not before[key] and after[key] for key in after)
        if turning_on and actor.user is not None and not devices.has_second_factor(actor.user.pk):
            raise ServiceError(
                _(
                    "Activez d'abord la double authentification pour vous-même (Mon profil > Sécurité) : "
                    "vous en aurez besoin pour continuer à travailler dans ce compte."
                )
            )
        account.second_factor_required = required
        account.second_factor_required_in_client_accounts = in_client_accounts
        account.save(update_fields=list(after))
        audit.record(
            actor,
            account,
            "account.second_factor_changed",
            summary=_("Double authentification obligatoire : %(state)s.")
            % {"state": _describe(required, in_client_accounts)},
            changes=changes,
        )
    return account


def _describe(required: bool, in_client_accounts: bool) -> str:
    if required and in_client_accounts:
        return _("pour les membres du compte et dans les comptes clients")
    if required:
        return _("pour les membres du compte")
    if in_client_accounts:
        return _("dans les comptes clients")
    return _("non")


def session_device_after_removal(user: User, removed: Device) -> Device | None:
    """The device a verified session stays bound to once `removed` is gone: another of the user's apps
    or passkeys (the session proved a second factor a moment ago), or None when none is left."""
    for queryset in _other_factors(user, removed):
        other = queryset.first()
        if other is not None:
            return other
    return None


def _other_factors(user: User, device: Device) -> "Iterator[QuerySet[Any]]":
    """The user's confirmed apps and passkeys other than `device`, one queryset per kind."""
    for model in devices.SECOND_FACTOR_MODELS:
        queryset: QuerySet[Any] = model.objects.filter(user=user, confirmed=True)
        if isinstance(device, model):
            queryset = queryset.exclude(pk=device.pk)
        yield queryset
