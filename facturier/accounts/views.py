"""Pages about people rather than accounts: sign-up, login, logout, password reset, profile, API tokens
(listed on the Sécurité page of facturier.mfa)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from facturier.accounts import services
from facturier.accounts.forms import (
    LoginForm,
    PasswordResetRequestForm,
    ProfileForm,
    SetPasswordWithTokensForm,
    SignupForm,
    SignupPasswordForm,
    slug_check,
)
from facturier.accounts.links import read_sign_up_link
from facturier.accounts.models import User
from facturier.tenancy.access import Actor, client_ip
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import ApiToken, Membership
from facturier.tenancy.services import create_api_token, revoke_api_token
from facturier.tenancy.slugs import MAX_LENGTH as SLUG_MAX_LENGTH
from facturier.tenancy.slugs import slug_from_name

# Sessions opened here (sign-up) name the backend that checks passwords, the one configured.
SESSION_BACKEND = "facturier.accounts.throttle.ThrottledModelBackend"
# The plain text of a token just created: shown on the next Sécurité page (mfa.views.security), then
# gone from the session.
SHOW_ONCE_SESSION_KEY = "new_api_token"


def _user(request: HttpRequest) -> User:
    # Only for views behind login_required: the user is then always a real User.
    assert isinstance(request.user, User)
    return request.user


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() would take "home" or "²" for the name of a view.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


# --- Landing ------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Where "/" leads: the account used last, else the list of accounts (or the only one)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    first_two = list(
        Membership.objects.filter(user_id=request.user.pk)
        .order_by(F("last_used_at").desc(nulls_last=True), "account__name")
        .values_list("account__slug", "last_used_at")[:2]
    )
    if not first_two:
        return render(request, "accounts/no_account.html")
    (slug, last_used_at), several = first_two[0], len(first_two) > 1
    if last_used_at is None and several:
        return redirect("accounts:account_list")
    return redirect("web:dashboard", slug=slug)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=_user(request))
        .select_related("account", "custom_role")
        .order_by("account__name")
    )
    return render(request, "accounts/account_list.html", {"memberships": memberships})


# --- Sign-up, login, logout ----------------------------------------------------------------------


@vary_on_headers("HX-Request")  # the same URL answers htmx with the address field alone
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """The first step of "Créer un compte": the company, its address and the email. The answer is the
    same whether or not the email has a user (services.request_sign_up emails the difference)."""
    if request.method == "GET" and request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/_slug_field.html", _signup_context(slug_check(request.GET)))
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        language = translation.get_language()
        services.request_sign_up(
            email=form.cleaned_data["email"],
            company_name=form.cleaned_data["company_name"],
            slug=form.cleaned_data["slug"],
            language=language if language in dict(settings.LANGUAGES) else "fr",
        )
        return redirect("accounts:signup_sent")
    typed = (form["slug"].value() or "").strip()
    # Left empty, the address was proposed from the name: show which one the messages are about, and
    # keep it a proposal, so it still follows the name if the user changes it.
    proposed = (
        request.POST.get("proposed_slug", "") if typed else slug_from_name(form["company_name"].value() or "")
    )
    slug_state: dict[str, Any] = {
        "slug_value": typed or proposed,
        "proposed_slug": proposed,
        "slug_errors": form.errors.get("slug", []),
        "slug_available": False,
    }
    return render(request, "accounts/signup.html", _signup_context(slug_state) | {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The second step, from the emailed link: choose a password; the user and the account are then
    created (services.sign_up) and the user is logged in."""
    details = read_sign_up_link(token)
    if details is None:
        return render(request, "accounts/signup_confirm.html", {"validlink": False})
    email = str(details.get("email", ""))
    if User.objects.filter(email=email).exists():  # the link has served already
        return render(request, "accounts/signup_confirm.html", {"validlink": True, "done": True})
    form = SignupPasswordForm(email, request.POST or None, initial={"slug": details.get("slug", "")})
    if request.method == "POST" and form.is_valid():
        language = str(details.get("language", "fr"))
        try:
            user, account = services.sign_up(
                email=email,
                password=form.cleaned_data["password"],
                company_name=str(details.get("company_name", "")),
                slug=form.cleaned_data["slug"],
                language=language if language in dict(settings.LANGUAGES) else "fr",
                ip=client_ip(request),
            )
        except ServiceError as error:
            form.add_error(None, error.message)
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            auth_login(request, user, backend=SESSION_BACKEND)
            messages.success(
                request, _("Bienvenue ! Votre compte « %(name)s » est prêt.") % {"name": account.name}
            )
            return redirect("web:dashboard", slug=account.slug)
    context = {"validlink": True, "form": form, "email": email, "company_name": details.get("company_name")}
    return render(request, "accounts/signup_confirm.html", context)


def _signup_context(slug_state: dict[str, Any]) -> dict[str, Any]:
    return slug_state | {"base_url": settings.FACTURIER_BASE_URL, "slug_max_length": SLUG_MAX_LENGTH}


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or reverse("accounts:home"))
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid() and form.user is not None:
        auth_login(request, form.user)
        return redirect(next_url or reverse("accounts:home"))
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    was_logged_in = request.user.is_authenticated
    auth_logout(request)
    if was_logged_in:
        messages.success(request, _("Vous êtes déconnecté."))
    return redirect("accounts:login")


# --- Password reset (and invitations) -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.send_password_reset(form.cleaned_data["email"])
        # The same answer whether or not the email has a user: the page must not reveal who does.
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


class SetPasswordView(PasswordResetConfirmView):
    """Choose a password from an emailed link: a reset, or the invitation of a user added without one."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_done")
    form_class = SetPasswordWithTokensForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data.get("revoke_tokens"):
            count = services.revoke_api_tokens(form.user, ip=client_ip(self.request))
            messages.success(
                self.request,
                ngettext("%(n)d jeton d'API révoqué.", "%(n)d jetons d'API révoqués.", count) % {"n": count},
            )
        return response

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        # A deactivated user keeps their links from before: they must not lead anywhere.
        return user if user is not None and user.is_active else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # A user who never had a password comes from an invitation.
        context["first_password"] = self.user is not None and not self.user.has_usable_password()
        return context


password_reset_confirm = SetPasswordView.as_view()


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")


# --- Profile and API tokens ---------------------------------------------------------------------


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    which = request.POST.get("form") if request.method == "POST" else None
    profile_form = ProfileForm(request.POST if which == "profile" else None, instance=user)
    password_form = PasswordChangeForm(user, request.POST if which == "password" else None)
    if which == "profile" and profile_form.is_valid():
        profile_form.save()
        with translation.override(user.language):
            messages.success(request, _("Profil enregistré."))
        return redirect("accounts:profile")
    if which == "password" and password_form.is_valid():
        password_form.save()
        update_session_auth_hash(request, password_form.user)  # stay logged in on this device
        messages.success(request, _("Mot de passe modifié."))
        return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"profile_form": profile_form, "password_form": password_form}
    )


def _own(queryset: Any, pk: Any) -> Any:
    """One of the user's own rows, else a 404 (another user's membership or token does not exist)."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    membership = _own(
        Membership.objects.filter(user=user).select_related("account", "firm"),
        request.POST.get("membership"),
    )
    _token, plain = create_api_token(
        Actor(user=user, membership=membership, ip=client_ip(request)), membership
    )
    request.session[SHOW_ONCE_SESSION_KEY] = {"token": plain, "account": membership.account.name}
    return redirect(reverse("mfa:security") + "#tokens")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    token = _own(
        ApiToken.objects.filter(membership__user=user).select_related("account", "membership__firm"),
        pk,
    )
    revoke_api_token(Actor(user=user, membership=token.membership, ip=client_ip(request)), token)
    messages.success(request, _("Jeton %(prefix)s… révoqué.") % {"prefix": token.prefix})
    return redirect(reverse("mfa:security") + "#tokens")
