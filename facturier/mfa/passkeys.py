"""Passkeys (WebAuthn), through django-otp-webauthn: its views run the ceremonies (options, then the
browser's answer checked with py_webauthn), under our URLs, with three changes:
- they answer 404 where passkeys are off (settings.FACTURIER_PASSKEYS: no https, or not localhost);
- their refusals are worded in the user's language (the library's texts are English only);
- the first passkey of a user brings recovery codes, as the first app does, and verifying one starts a
  new session key, as a code does.
A passkey is a second factor only: OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off, so authenticating needs
the session of a user who gave their password.
"""

from typing import Any

import django_otp
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import AbstractWebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from facturier.accounts.models import User
from facturier.mfa import devices, policy, services


class _Ceremony:
    """What our four ceremony views share."""

    request: HttpRequest
    failure_message: "str | Promise" = gettext_lazy("La vérification par clé d'accès a échoué.")

    def refusals(self) -> dict[str, str]:
        return {
            "invalid_state": _("La demande a expiré : rechargez la page et recommencez."),
            "not_authenticated": _("Votre session a expiré : reconnectez-vous."),
            "user_not_verified": _("Confirmez d'abord votre identité avec votre second facteur."),
            "credential_not_found": _("Cette clé d'accès n'est pas enregistrée pour votre compte."),
            "credential_user_mismatch": _("Cette clé d'accès n'est pas enregistrée pour votre compte."),
        }

    def initial(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if not settings.FACTURIER_PASSKEYS:
            raise Http404
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            message = self.refusals().get(exc.code, str(self.failure_message))
            return JsonResponse({"detail": message, "code": exc.code}, status=exc.status_code)
        return super().handle_exception(exc)  # type: ignore[misc,no-any-return]


class RegistrationBegin(_Ceremony, BeginCredentialRegistrationView):  # type: ignore[misc]  # the library is untyped
    failure_message = gettext_lazy("L'ajout de la clé d'accès a échoué.")


class RegistrationComplete(_Ceremony, CompleteCredentialRegistrationView):  # type: ignore[misc]  # the library is untyped
    failure_message = gettext_lazy(
        "L'ajout de la clé d'accès a échoué : le navigateur n'a pas donné une réponse valable."
    )

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        first = not devices.has_second_factor(user.pk)
        response: HttpResponse = super().post(*args, **kwargs)
        codes = services.passkey_registered(user, first=first)
        if codes:
            self.request.session[policy.NEW_CODES_SESSION_KEY] = codes
        policy.note_enrolment(self.request, user, required=False)
        return response


class AuthenticationBegin(_Ceremony, BeginCredentialAuthenticationView):  # type: ignore[misc]  # the library is untyped
    pass


class AuthenticationComplete(_Ceremony, CompleteCredentialAuthenticationView):  # type: ignore[misc]  # the library is untyped
    def complete_auth(self, device: AbstractWebAuthnCredential) -> Any:
        # The password was given (no passwordless login): what is left is to mark the session verified,
        # under a new key, as a code does.
        self.request.session.cycle_key()
        django_otp.login(self.request, device)


# The texts of django-otp-webauthn's scripts: the library's catalogue (English source) and, from
# LOCALE_PATHS, our French one (locale/fr/LC_MESSAGES/djangojs.po).
javascript_catalog = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
