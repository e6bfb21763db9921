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
    """Switches to the user's language before the view runs (an account page's 404 and 403 included).
    A URL that names no view gets its 404 page in the user's language from web.views.page_not_found."""

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        user = getattr(request, "user", None)
        if user is not None:
            use_user_language(request, user)
