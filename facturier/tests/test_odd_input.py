"""Every page answers odd query strings with a page, never a 500.

The walk takes every named URL of the site (the API and Django's admin have their own checks), opens
it as the account's owner, and notes each GET parameter the view reads (by watching the QueryDict, so
a parameter added to a view tomorrow is fuzzed without being listed here). Then it asks the page again
with odd values for each parameter on its own and for all of them at once: Unicode digits and
superscripts, a NUL byte, very long text, dates at and past the calendar's ends, numbers too large for
a database column, negative and empty values, and a parameter given twice.
"""

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import get_resolver, resolve, reverse
from django.utils.datastructures import MultiValueDict

from facturier.accounts.models import User
from facturier.conftest import logged_in
from facturier.tenancy.tests import test_access
from facturier.tenancy.tests.test_access import PK_BY_NAME, PK_KINDS, walk

# The outsider walk's objects: a row of acme for each kind of <pk> the URLs take.
acme_objects = test_access.acme_objects

ODD_VALUES: list[str | list[str]] = [
    "²",
    "٣",
    "a\x00b",
    "x" * 5000,
    "9999-12-31",
    "0001-01-01",
    "99999-01-01",
    str(10**30),
    "-1",
    "1e400",
    "",
    ["1", "2"],
]
# Left out of the walk: the JSON API (fuzzed by api/tests), Django's admin (staff only), and pages
# whose GET changes the session rather than showing something (logging out, setting the language).
SKIPPED_PREFIXES = ("api:", "admin:")
SKIPPED = {"accounts:logout", "set_language"}
# Parameters every page may get without reading them: noted only when a view reads them.
PROBE = "_probe"


@contextmanager
def reads_of_query_strings() -> Iterator[set[str]]:
    """The keys looked up in any QueryDict (query strings and form posts) while the block runs."""
    seen: set[str] = set()

    def watching(original: Callable[..., Any]) -> Callable[..., Any]:
        def watched(self: MultiValueDict[str, str], key: object, *args: Any, **kwargs: Any) -> Any:
            if isinstance(self, QueryDict) and isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)

        return watched

    with pytest.MonkeyPatch.context() as patch:
        for name in ("__getitem__", "get", "getlist", "__contains__"):
            patch.setattr(MultiValueDict, name, watching(getattr(MultiValueDict, name)))
        yield seen


def _url(name: str, route: str, objects: dict[str, int], slug: str) -> str | None:
    kwargs: dict[str, object] = {}
    if "<slug:slug>" in route:
        kwargs["slug"] = slug
    if "<int:pk>" in route:
        first_word = name.split(":")[-1].split("_")[0]
        kind = PK_BY_NAME.get(name) or PK_KINDS.get(first_word)
        if kind is None:
            return None
        kwargs["pk"] = objects[kind]
    if "<str:code>" in route:
        kwargs["code"] = "revenue"
    if "<" in route.replace("<slug:slug>", "").replace("<int:pk>", "").replace("<str:code>", ""):
        return None  # tokens in the path (password reset): no page to fuzz behind them
    return reverse(name, kwargs=kwargs)


def pages(objects: dict[str, int]) -> Iterator[tuple[str, str]]:
    """(URL name, path) of every page the walk opens, acme's and the firm's."""
    for route, name, _pattern in walk(get_resolver().url_patterns):
        if name.startswith(SKIPPED_PREFIXES) or name in SKIPPED:
            continue
        slug = "cabinet-dupont" if name.startswith("firm:") else "acme"
        url = _url(name, route, objects, slug)
        if url is not None:
            yield name, url
    for code in ("expenses", "vat-register", "oss", "unpaid"):
        yield f"reports:report {code}", reverse("reports:report", args=["acme", code])


def _get(client: Client, url: str, params: dict[str, str | list[str]], **headers: str) -> int:
    return client.get(url, params, headers=headers).status_code


def _status(client: Client, url: str, query: dict[str, str | list[str]], **headers: str) -> tuple[int, str]:
    try:
        return _get(client, url, query, **headers), ""
    except Exception as error:  # a crash is what the walk looks for: note it and go on
        return 500, f"{type(error).__name__}: {str(error)[:160]}"


@pytest.fixture
def clients(owner, firm, acme) -> dict[str, Client]:
    """The owner of acme, and the owner of the firm (for the firm's pages)."""
    return {"acme": logged_in(owner), "firm": logged_in(User.objects.get(email="claire@cabinet-dupont.test"))}


def test_no_page_answers_odd_query_strings_with_a_500(clients, acme_objects):
    crashes: list[str] = []
    read_by_page: dict[str, list[str]] = {}
    fuzzed: set[tuple[object, str]] = set()  # (view, parameter): a view shared by pages is fuzzed once
    for name, url in pages(acme_objects):
        client = clients["firm" if name.startswith("firm:") else "acme"]
        # Forms bound to request.GET read their fields only when the query string is not empty.
        with reads_of_query_strings() as read:
            _get(client, url, {})
            _get(client, url, {PROBE: "1"})
            _get(client, url, {PROBE: "1"}, HX_Request="true")
        params = read_by_page[name] = sorted(read - {PROBE})
        view = resolve(url).func
        for value in ODD_VALUES:
            tries: list[tuple[dict[str, str | list[str]], dict[str, str]]] = [
                ({param: value}, {}) for param in params if (view, param) not in fuzzed
            ]
            if params:
                every = dict.fromkeys(params, value)
                tries += [(every, {}), (every, {"HX_Request": "true"})]
            for query, headers in tries:
                status, detail = _status(client, url, query, **headers)
                if status >= 500:
                    crashes.append(f"{url} {sorted(query)} = {str(value)[:20]!r} {headers} {detail}")
        fuzzed.update((view, param) for param in params)

    assert len(read_by_page) >= 60
    # The walk found the parameters it is meant to fuzz (were it blind, it would pass on anything).
    assert {"client", "date_from", "date_to", "q", "page", "sort"} <= set(
        read_by_page["billing:document_list"]
    )
    assert {"date_to", "q", "page"} <= set(read_by_page["tenancy:audit"])
    assert {"q", "panel", "current"} <= set(read_by_page["web:switcher"])
    assert {"client", "document"} <= set(read_by_page["billing:payment_new"])
    assert "next" in read_by_page["accounts:login"]
    assert {"q", "sort", "dir"} <= set(read_by_page["firm:account_list"])
    assert len(fuzzed) >= 80
    assert not crashes, "\n".join(crashes)


# --- The crashes the walk found, each with what the page now says ----------------------------------


def page_text(response: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize(("field", "value"), [("date_to", "9999-12-31"), ("date_from", "0001-01-01")])
def test_an_audit_filter_at_the_calendars_end_is_refused_with_a_message(owner_client, acme, field, value):
    response = owner_client.get(reverse("tenancy:audit", args=["acme"]), {field: value})

    assert response.status_code == 200
    assert "l'année doit être comprise entre 1900 et 2999" in page_text(response)
    assert response.context["page"] is None  # the list waits for a filter it can apply


def test_a_date_filter_out_of_bounds_on_the_sales_list_is_named_and_left_out(owner_client, acme):
    response = owner_client.get(reverse("billing:document_list", args=["acme"]), {"date_to": "9999-12-31"})

    assert response.status_code == 200
    assert "l'année doit être comprise entre 1900 et 2999" in page_text(response)


@pytest.mark.parametrize("value", ["²", "٣", str(10**30), "-1"])
def test_a_client_id_that_names_no_row_preselects_nobody(owner_client, acme, value):
    for page in ("billing:document_new", "billing:payment_new"):
        response = owner_client.get(reverse(page, args=["acme"]), {"client": value})

        assert response.status_code == 200, page
        assert response.context["form"]["client"].value() is None, page


def test_a_client_filter_that_is_not_a_client_is_named_on_the_sales_list(owner_client, acme):
    response = owner_client.get(reverse("billing:document_list", args=["acme"]), {"client": "²"})

    assert response.status_code == 200
    assert response.context["form"].errors["client"]
    assert "Sélectionnez un choix valide" in page_text(response)


def test_searches_with_a_nul_character_answer_like_without_it(owner_client, acme, firm_accountant, firm):
    switcher = owner_client.get(reverse("web:switcher"), {"q": "AC\x00ME"}, headers={"HX-Request": "true"})
    firm_list = logged_in(firm_accountant).get(
        reverse("firm:account_list", args=["cabinet-dupont"]), {"q": "\x00"}
    )

    assert switcher.status_code == 200 and "ACME SAS" in switcher.content.decode()
    assert firm_list.status_code == 200


@pytest.mark.parametrize("target", ["home", "²", "-1", "//evil.test/", "https://evil.test/"])
def test_login_sends_a_signed_in_user_home_when_next_is_not_a_path_of_the_site(owner_client, target):
    response = owner_client.get(reverse("accounts:login"), {"next": target})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_login_still_follows_a_path_of_the_site(owner_client, acme):
    response = owner_client.get(reverse("accounts:login"), {"next": "/acme/documents/"})

    assert response.status_code == 302 and response["Location"] == "/acme/documents/"
