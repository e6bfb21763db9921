"""The second factor of `POST /login.json` (account_api.Login), which hands out a token; the rules are
facturier.mfa's.

Tokens already handed out keep working: what this guards is getting a new one with a password alone.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from facturier.accounts.models import User
from facturier.api.errors import error_response, too_many_requests
from facturier.mfa import policy, verification


def second_factor_refusal(user: User, code: str) -> Response | None:
    """None when `user`, whose password was right, may have a token; else the answer that refuses it:
    - 401 with `otp_required: true` when the user has a second factor and `code` is missing or wrong
      (429 with Retry-After while their devices' throttle makes them wait);
    - 403 when one of the user's accounts requires a second factor they have not set up."""
    if user.has_second_factor:
        if not code.strip():
            return error_response(
                status.HTTP_401_UNAUTHORIZED,
                _(
                    "Ce compte utilise la double authentification : envoyez aussi le code de votre "
                    "application d'authentification, ou un code de secours, dans le champ « otp »."
                ),
                otp_required=True,
            )
        try:
            verification.verify_code(user, code)
        except ValidationError as error:
            if error.code == "throttled":
                return too_many_requests((error.params or {}).get("seconds", 1), " ".join(error.messages))
            return error_response(
                status.HTTP_401_UNAUTHORIZED,
                _("Code de double authentification incorrect."),
                otp_required=True,
            )
        return None
    if policy.is_required_of(user):
        return error_response(
            status.HTTP_403_FORBIDDEN,
            _(
                "La double authentification est obligatoire dans un de vos comptes : activez-la sur la page "
                "Mon profil > Sécurité du site avant de vous connecter par l'API."
            ),
            otp_required=True,
        )
    return None
