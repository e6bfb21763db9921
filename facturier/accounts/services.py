"""Writes about people: signing up, asking for a password reset link, revoking tokens with a reset."""

import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from facturier.accounts import counters
from facturier.accounts.links import set_password_link, sign_up_link
from facturier.accounts.models import User, normalize_email
from facturier.lib.mail import send_templated_mail
from facturier.tenancy import plans
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account, ApiToken
from facturier.tenancy.services import create_account, revoke_api_token


def email_taken_message() -> str:
    return _(
        "Un utilisateur existe déjà avec cette adresse email : connectez-vous plutôt "
        "(ou utilisez « Mot de passe oublié »)."
    )


def may_email_address(email: str) -> bool:
    """Count one email that an anonymous visitor asks us to send to `email` (a sign-up or password
    reset link), and say whether it is within ACCOUNT_EMAILS_PER_ADDRESS for the window.

    Without a limit, anyone could flood an inbox from our servers, and harm their reputation with mail
    providers. One budget per address for both kinds, counted whether or not the address has a user
    and checked before looking it up, so that being refused tells nothing about who has an account.
    """
    now = time.time()
    count, _expires_at = counters.hit(
        counters.key("account-email", normalize_email(email)),
        expires_at=now + settings.ACCOUNT_EMAILS_WINDOW_MINUTES * 60,
        now=now,
    )
    return count <= settings.ACCOUNT_EMAILS_PER_ADDRESS


def request_sign_up(*, email: str, company_name: str, slug: str, language: str = "fr") -> None:
    """The first step of "Créer un compte": email the address a link to finish signing up.

    When the address already has a user, that user is told instead (with the ways to log in) and
    nothing else happens: the page answers the same either way, so it reveals nobody's account. Past
    the address's budget of emails (may_email_address) nothing is sent, and the page still answers the
    same.
    """
    email = normalize_email(email)
    if not may_email_address(email):
        return
    user = User.objects.filter(email=email).first()
    if user is not None:
        send_templated_mail(
            "signup_existing",
            user.email,
            {
                "email": user.email,
                "login_path": reverse("accounts:login"),
                "reset_path": reverse("accounts:password_reset"),
            },
            user.language,
        )
        return
    details = {"email": email, "company_name": company_name, "slug": slug, "language": language}
    send_templated_mail(
        "signup_confirm",
        email,
        {"email": email, "company_name": company_name, "confirm_path": sign_up_link(details)},
        language,
    )


@transaction.atomic
def sign_up(
    *,
    email: str,
    password: str,
    company_name: str,
    slug: str,
    language: str = "fr",
    ip: str | None = None,
) -> tuple[User, Account]:
    """Create a user and their first account ("Créer un compte") on the free plan.

    The user becomes the account's owner and administrator; the account's audit trail records its
    creation by them. An email that already has a user is refused (ServiceError on "email"), a bad or
    taken slug raises ValidationError with one message per broken rule; either way nothing is stored.
    """
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ServiceError(email_taken_message(), field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, language=language)
    except IntegrityError:
        # Two sign-ups raced with the same email: the loser hears the same as a known email.
        raise ServiceError(email_taken_message(), field="email") from None
    account = create_account(
        Actor(user=user, ip=ip), slug=slug, name=company_name.strip(), owner=user, plan=plans.FREE
    )
    return user, account


def send_password_reset(email: str) -> bool:
    """Email a link to choose a new password to the active user with this email, in their language.

    Users invited without a password get one too: that is how they recover a lost invitation.
    Returns whether an email was sent; pages must not tell the visitor (it would reveal who has an
    account). Past the address's budget of emails (may_email_address) none is.
    """
    if not may_email_address(email):
        return False
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        return False
    send_templated_mail(
        "password_reset",
        user.email,
        {"user": user, "email": user.email, "set_password_path": set_password_link(user)},
        user.language,
    )
    return True


@transaction.atomic
def revoke_api_tokens(user: User, *, ip: str | None = None) -> int:
    """Revoke every active API token of `user`, in all their accounts (each audited in its account).

    Offered with a password reset: whoever learnt the old password may have made a token with it.
    Returns how many were revoked.
    """
    tokens = list(
        ApiToken.objects.filter(membership__user=user, revoked_at__isnull=True).select_related(
            "account", "membership__firm"
        )
    )
    for token in tokens:
        revoke_api_token(Actor(user=user, membership=token.membership, ip=ip), token)
    return len(tokens)
