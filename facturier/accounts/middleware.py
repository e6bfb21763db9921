from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin

from facturier.accounts.models import User


def use_user_language(request: HttpRequest, user: User | AnonymousUser) -> None:
    """A logged-in user sees the language of their profile, whatever their browser asks for."""
    if user.is_authenticated and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class UserLanguageMiddleware(MiddlewareMixin):
    """Switches to the user's language before the view runs. An account page's gate reads the user
    together with the membership in one query and switches the language itself (tenancy.access), so
    the user is not read here for those pages."""

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        if getattr(view, "is_account_view", False):
            return
        user = getattr(request, "user", None)
        if user is not None:
            use_user_language(request, user)
