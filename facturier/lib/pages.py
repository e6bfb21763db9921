"""Sending the browser to another page, from a full page load or from an htmx request alike.

An htmx request follows a plain redirect itself and swaps the page it lands on (the login page, the
second step of a login) into the fragment it was updating: a page inside a page, and the user not sent
anywhere. htmx instead does a full navigation when told by the `HX-Redirect` header.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_htmx.http import HttpResponseClientRedirect


def redirect_page(request: HttpRequest, to: str) -> HttpResponse:
    """A redirect of the whole page to `to`: `HX-Redirect` for htmx, a 302 otherwise."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(to)
    return HttpResponseRedirect(to)


def current_page(request: HttpRequest) -> str:
    """The path to come back to: for htmx, the page the user is on (`HX-Current-URL`, when it is a page
    of this site) rather than the fragment it asked for."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        page: str | None = htmx.current_url_abs_path
        if page:
            return page
    return request.get_full_path()
