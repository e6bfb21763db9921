"""The one place that keeps a session without its second factor out of the site.

After the password, Django's session is logged in. Then, on every request that reaches a view:
- a user who has a second factor and has not proved it in this session sees only the second step of
  the login (`mfa:verify`), the passkey ceremony behind it, logout and the language switch;
- a user who must enrol (an account of theirs requires it: noted in the session at login, see
  policy.note_enrolment) sees only their Sécurité page and its enrolment steps;
- platform staff without a second factor are sent to enrol when they open /admin/.
Account pages also refuse a member whose account requires a second factor they do not have (the access
gate, tenancy.access.account_view), which catches sessions opened before the account required it.

The JSON API is left alone: it authenticates each request by its token, never by this session.
An htmx request is sent on with `HX-Redirect` (lib/pages.py), so the whole page goes, not a fragment.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from facturier.lib.pages import current_page, redirect_page
from facturier.mfa import policy

# What a session between the password and the second factor may open.
SECOND_STEP_VIEWS = frozenset(
    {
        "mfa:verify",
        "mfa:passkey_auth_begin",
        "mfa:passkey_auth_complete",
        "mfa:jsi18n",
        "accounts:login",
        "accounts:logout",
        "set_language",
    }
)
# What a user who must enrol may open besides: every page of the "mfa" namespace (Sécurité, enrolment).
ENROLMENT_NAMESPACE = "mfa"


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        match = request.resolver_match
        if not user.is_authenticated or match is None or "api" in match.namespaces:
            return None
        name = match.view_name
        if name in SECOND_STEP_VIEWS:
            return None
        if getattr(user, "has_second_factor", False):
            if policy.is_verified(request):
                return None
            return redirect_page(
                request, reverse("mfa:verify") + "?" + urlencode({"next": current_page(request)})
            )
        if match.namespaces[:1] == [ENROLMENT_NAMESPACE]:
            return None
        if request.session.get(policy.ENROLMENT_SESSION_KEY):
            return redirect_page(request, reverse("mfa:security"))
        if "admin" in match.namespaces and getattr(user, "is_staff", False):
            messages.warning(
                request,
                _(
                    "L'administration de la plateforme exige la double authentification : ajoutez une "
                    "application d'authentification ou une clé d'accès."
                ),
            )
            return redirect_page(request, reverse("mfa:security"))
        return None
