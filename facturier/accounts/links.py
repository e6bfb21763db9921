"""Links sent by email that let a user choose a password (password reset and invitations)."""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from facturier.accounts.models import User


def set_password_link(user: User) -> str:
    """The path of the page where `user` chooses a password; valid for PASSWORD_RESET_TIMEOUT, once."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
