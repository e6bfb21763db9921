"""The Sécurité page of the profile (authenticator apps, passkeys, recovery codes, API tokens), the
second step of a login, and Paramètres du compte > Sécurité ("2FA obligatoire")."""

from base64 import b32encode
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from facturier.accounts.models import User
from facturier.accounts.views import SHOW_ONCE_SESSION_KEY, _safe_next
from facturier.mfa import devices, policy, services, verification
from facturier.mfa.forms import AppConfirmForm, CodeForm, PolicyForm
from facturier.tenancy.access import AccountRequest, account_view, actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import ApiToken, Membership


def _user(request: HttpRequest) -> User:
    # Only for views behind login_required: the user is then always a real User.
    assert isinstance(request.user, User)
    return request.user


def passkey_config(request: HttpRequest) -> dict[str, Any]:
    """What django-otp-webauthn's scripts read (json_script "otp_webauthn_config"): our URLs of its views."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": reverse("mfa:passkey_auth_begin"),
        "completeAuthenticationUrl": reverse("mfa:passkey_auth_complete"),
        "beginRegistrationUrl": reverse("mfa:passkey_register_begin"),
        "completeRegistrationUrl": reverse("mfa:passkey_register_complete"),
    }


# --- The second step of a login -----------------------------------------------------------------


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code of the user's app, a recovery code, or a passkey. Until then the
    session reaches nothing else (middleware.SecondFactorMiddleware)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user = _user(request)
    next_url = _safe_next(request)
    if not user.has_second_factor or policy.is_verified(request):
        return redirect(next_url or reverse("accounts:home"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = verification.verify_code(user, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            # A new session key for the verified session: one seen before the second step is worth nothing.
            request.session.cycle_key()
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                left = devices.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "Code de secours utilisé : il vous en reste %(n)d. Pensez à en générer de nouveaux "
                        "depuis Mon profil > Sécurité.",
                        "Code de secours utilisé : il vous en reste %(n)d. Pensez à en générer de nouveaux "
                        "depuis Mon profil > Sécurité.",
                        left,
                    )
                    % {"n": left},
                )
            return redirect(next_url or reverse("accounts:home"))
    has_passkeys = settings.FACTURIER_PASSKEYS and devices.passkeys_of(user).exists()
    return render(
        request,
        "mfa/verify.html",
        {
            "form": form,
            "next": next_url,
            "has_apps": devices.apps_of(user).exists(),
            "has_passkeys": has_passkeys,
            "passkey_config": passkey_config(request) if has_passkeys else None,
        },
    )


# --- Sécurité -----------------------------------------------------------------------------------


@never_cache  # the page may carry new recovery codes or a new API token in clear
@login_required
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    requiring = policy.accounts_requiring(user)
    policy.note_enrolment(request, user, bool(requiring))
    passkeys = list(devices.passkeys_of(user))
    memberships = list(
        Membership.objects.filter(user=user).select_related("account").order_by("account__name")
    )
    tokens = (
        ApiToken.objects.filter(membership__user=user)
        .select_related("account")
        .order_by("account__name", "-created_at")
    )
    return render(
        request,
        "mfa/security.html",
        {
            "apps": list(devices.apps_of(user)),
            "passkeys": passkeys,
            "passkeys_available": settings.FACTURIER_PASSKEYS,
            "passkey_config": passkey_config(request) if settings.FACTURIER_PASSKEYS else None,
            "recovery_codes_left": devices.recovery_codes_left(user),
            "new_codes": request.session.pop(policy.NEW_CODES_SESSION_KEY, None),
            "requiring": requiring,
            "must_enrol": bool(requiring) and not user.has_second_factor,
            "memberships": memberships,
            "tokens": tokens,
            "new_token": request.session.pop(SHOW_ONCE_SESSION_KEY, None),
        },
    )


def _show_codes_once(request: HttpRequest, codes: list[str]) -> None:
    if codes:
        request.session[policy.NEW_CODES_SESSION_KEY] = codes


@login_required
@require_POST
def app_add(request: HttpRequest) -> HttpResponse:
    device = services.start_app(_user(request))
    return redirect("mfa:app_setup", pk=device.pk)


def _pending_app(user: User, pk: int) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, pk=pk, confirmed=False).first()
    if device is None:
        raise Http404
    return device


@sensitive_post_parameters("code")
@never_cache  # the page shows the app's secret
@login_required
@require_http_methods(["GET", "POST"])
def app_setup(request: HttpRequest, pk: int) -> HttpResponse:
    """Scan the QR code (or type the key), then enter the code the app shows to confirm it."""
    user = _user(request)
    device = _pending_app(user, pk)
    form = AppConfirmForm(request.POST or None, initial={"name": device.name})
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.confirm_app(
                user, device.pk, form.cleaned_data["code"], form.cleaned_data["name"]
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            if not policy.is_verified(request):
                django_otp.login(request, device)
            policy.note_enrolment(request, user, required=False)
            _show_codes_once(request, codes)
            messages.success(
                request,
                _("Application d'authentification ajoutée : elle vous sera demandée à chaque connexion."),
            )
            return redirect(reverse("mfa:security") + ("#recovery" if codes else "#apps"))
    secret = device.bin_key
    # The QR code as an SVG image in a data: address (segno's markup, from the otpauth:// address only):
    # no image request, nothing from elsewhere, and no markup of ours built in Python.
    qr_image = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "mfa/app_setup.html",
        {"form": form, "device": device, "qr_image": qr_image, "key": _grouped_key(secret)},
    )


def _grouped_key(secret: bytes) -> str:
    """The secret as authenticator apps take it by hand: base32, in groups of four."""
    text = b32encode(secret).decode().rstrip("=")
    return " ".join(text[index : index + 4] for index in range(0, len(text), 4))


def _remove(request: HttpRequest, device: TOTPDevice | WebAuthnCredential, done: str) -> HttpResponse:
    user = _user(request)
    was_session_device = getattr(request.user, "otp_device", None) == device
    try:
        services.remove_device(user, device)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("mfa:security")
    if was_session_device:
        # This session proved a second factor a moment ago: it stays verified with another one, if any.
        other = services.session_device_after_removal(user, device)
        if other is not None:
            django_otp.login(request, other)
    messages.success(request, done)
    return redirect("mfa:security")


@login_required
@require_POST
def app_remove(request: HttpRequest, pk: int) -> HttpResponse:
    device = TOTPDevice.objects.filter(user=_user(request), pk=pk, confirmed=True).first()
    if device is None:
        raise Http404
    return _remove(request, device, _("Application « %(name)s » retirée.") % {"name": device.name})


@login_required
@require_POST
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    device = WebAuthnCredential.objects.filter(user=_user(request), pk=pk).first()
    if device is None:
        raise Http404
    return _remove(request, device, _("Clé d'accès retirée."))


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.regenerate_recovery_codes(_user(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("mfa:security")
    _show_codes_once(request, codes)
    messages.success(request, _("Nouveaux codes de secours générés : les anciens ne fonctionnent plus."))
    return redirect(reverse("mfa:security") + "#recovery")


# --- Paramètres du compte > Sécurité ------------------------------------------------------------


@account_view("settings.manage")
@require_http_methods(["GET", "POST"])
def account_policy(request: AccountRequest) -> HttpResponse:
    account = request.account
    is_firm = account.is_firm
    # Unticking every box posts nothing: the form is bound on any POST, not on a non-empty one.
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial={
            "second_factor_required": account.second_factor_required,
            "second_factor_required_in_client_accounts": account.second_factor_required_in_client_accounts,
        },
    )
    if request.method == "POST" and form.is_valid():
        in_client_accounts = (
            form.cleaned_data["second_factor_required_in_client_accounts"]
            if is_firm
            # Not offered outside firms; a firm whose module was turned off keeps what it had chosen.
            else account.second_factor_required_in_client_accounts
        )
        try:
            services.set_policy(
                actor_for(request),
                account,
                required=form.cleaned_data["second_factor_required"],
                in_client_accounts=in_client_accounts,
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Les paramètres de sécurité ont été enregistrés."))
            return redirect("mfa_settings:account_policy", slug=account.slug)
    managing_firm = account.managed_by
    return render(
        request,
        "mfa/account_policy.html",
        {
            "account": account,
            "form": form,
            "is_firm": is_firm,
            "required_by_firm": managing_firm
            if managing_firm is not None and managing_firm.second_factor_required_in_client_accounts
            else None,
            "members_without": Membership.objects.filter(account=account, user__has_second_factor=False)
            .select_related("user")
            .order_by("user__email"),
        },
    )
