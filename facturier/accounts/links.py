"""Links sent by email: choosing a password (password reset, invitations) and finishing a sign-up."""

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from facturier.accounts.models import User

SIGN_UP_SALT = "facturier.accounts.sign-up"


def set_password_link(user: User) -> str:
    """The path of the page where `user` chooses a password; valid for PASSWORD_RESET_TIMEOUT, once."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def sign_up_link(details: dict[str, str]) -> str:
    """The path of the page that finishes a sign-up (password, then the account is created).

    The details typed on the first page travel signed in the link itself: nothing is stored before
    the owner of the address opens it, so an address typed by someone else leaves nothing behind.
    """
    token = signing.dumps(details, salt=SIGN_UP_SALT, compress=True)
    return reverse("accounts:signup_confirm", kwargs={"token": token})


def read_sign_up_link(token: str) -> dict[str, Any] | None:
    """The details of a sign-up link, or None when it is forged or older than PASSWORD_RESET_TIMEOUT."""
    try:
        details = signing.loads(token, salt=SIGN_UP_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:
        return None
    return details if isinstance(details, dict) else None
