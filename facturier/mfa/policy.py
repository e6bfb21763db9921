"""Who must use a second factor, and where the session notes that the user still has to enrol.

The rule itself is the membership's (`Membership.requires_second_factor`, and REQUIRES_SECOND_FACTOR in
SQL): an account can ask it of its members ("2FA obligatoire"), a firm of its staff and of every user of
its client accounts. Platform staff need it to reach /admin/ (middleware.SecondFactorMiddleware).
"""

from django.http import HttpRequest

from facturier.accounts.models import User
from facturier.tenancy.models import REQUIRES_SECOND_FACTOR, Account, Membership

# Set at login, and by the Sécurité page, while the user must enrol before going anywhere else.
ENROLMENT_SESSION_KEY = "second_factor_enrolment"
# Recovery codes just made: shown on the next Sécurité page, then gone from the session.
NEW_CODES_SESSION_KEY = "new_recovery_codes"


def accounts_requiring(user: User) -> list[Account]:
    """The accounts where the user's membership needs a second factor, by name (one query)."""
    memberships = (
        Membership.objects.filter(user=user)
        .filter(REQUIRES_SECOND_FACTOR)
        .select_related("account")
        .order_by("account__name")
    )
    return [membership.account for membership in memberships]


def is_required_of(user: User) -> bool:
    return Membership.objects.filter(user=user).filter(REQUIRES_SECOND_FACTOR).exists()


def note_enrolment(request: HttpRequest, user: User, required: bool) -> None:
    """Keep in the session whether the user must enrol before using the site."""
    if required and not user.has_second_factor:
        request.session[ENROLMENT_SESSION_KEY] = True
    else:
        request.session.pop(ENROLMENT_SESSION_KEY, None)


def is_verified(request: HttpRequest) -> bool:
    """Whether this session proved a second factor (django-otp's OTPMiddleware reads it from the session
    and checks that the device still exists and belongs to the user)."""
    return getattr(request.user, "otp_device", None) is not None
