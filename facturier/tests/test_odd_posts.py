"""Every form answers odd posted values with a page, never a 500.

The sibling of test_odd_input.py for form posts. It opens every page of the walk (as acme's owner, and
as the firm's owner for the firm's pages, acme being one of its client accounts), collects each form
that posts (its fields with the values the page gives them: the first option of a list, every box
ticked), and posts each form back to its address: once as the page fills it, then with odd values in
each field on its own and in every field at once. The fields are those of the form and those the view
reads (watched on the QueryDict, so an id list read by hand, or a field a view reads that the form lacks,
is fuzzed too). Each post is rolled back, and the session's cookie restored, so a post that deletes or
logs out leaves the walk as it was.
"""

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from facturier.accounts.models import User
from facturier.conftest import logged_in
from facturier.firm.views.client_accounts import Selection
from facturier.tenancy.models import Account
from facturier.tenancy.tests import test_access
from facturier.tests.test_odd_input import pages, reads_of_query_strings

acme_objects = test_access.acme_objects

# Each field on its own gets the values that reach code reading one field by hand (int() of a count, of an
# id), every field at once gets them all: a form cleans all its fields whatever one of them holds. Every
# value costs some hundred posts (the sales form alone takes 0.2 s of CPU per post).
EACH_FIELD: list[str | list[str]] = ["²", str(10**30)]
EVERY_FIELD: list[str | list[str]] = [*EACH_FIELD, "٣", "a\x00b", "x" * 5000, "9999-12-31", "-1", ["1", "2"]]
# A field of a formset's row ("lines-0-price") is the same field in every row and on every page that
# shows the formset (a new invoice, its edit page, a credit note): fuzzed once.
ROW = re.compile(r"-\d+-")
# Posting these would end the walk's session (it is restored, but nothing is learnt), or they are the
# second step of a login, whose codes have their own tests (mfa/tests).
SKIPPED = {"accounts:logout", "set_language", "accounts:login", "mfa:verify"}
NOT_FIELDS = {"csrfmiddlewaretoken"}

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
CONTROL = re.compile(r"<(input|textarea|button)\b([^>]*)>", re.I)
OPTION = re.compile(r"<option\b([^>]*)>", re.I)


def _attrs(text: str) -> dict[str, str]:
    return {key.lower(): html.unescape(value) for key, value in ATTR.findall(text)}


def posted_forms(page_url: str, content: str) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """(address, fields) of each form of the page that posts, as the page fills it in."""
    for form_attrs, body in FORM.findall(content):
        attrs = _attrs(form_attrs)
        if attrs.get("method", "get").lower() != "post":
            continue
        action = urlsplit(attrs.get("action") or page_url)
        # The empty row a formset keeps for its "add a line" script is not posted.
        body = re.sub(r"<template\b.*?</template>", "", body, flags=re.S | re.I)
        fields: dict[str, list[str]] = {}
        for select_attrs, options in SELECT.findall(body):
            values = [_attrs(option).get("value", "") for option in OPTION.findall(options)]
            if name := _attrs(select_attrs).get("name"):
                fields[name] = [next((value for value in values if value), "")]
        for tag, tag_attrs in CONTROL.findall(SELECT.sub("", body)):
            control = _attrs(tag_attrs)
            name = control.get("name")
            kind = control.get("type", "").lower()
            if not name or kind == "file" or (tag.lower() == "button" and kind not in ("", "submit")):
                continue
            if (kind == "radio" or tag.lower() == "button") and name in fields:
                continue  # one choice among radio buttons, and one submit button: the first
            fields.setdefault(name, []).append(
                control.get("value", "on" if kind in ("checkbox", "radio") else "")
            )
        yield action.path, fields


@contextmanager
def rolled_back(client: Client) -> Iterator[None]:
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def _post(client: Client, url: str, data: dict[str, Any], **headers: str) -> tuple[int, str]:
    try:
        with rolled_back(client):
            return client.post(url, data, headers=headers).status_code, ""
    except Exception as error:  # a crash is what the walk looks for: note it and go on
        return 500, f"{type(error).__name__}: {str(error)[:160]}"


@pytest.fixture
def clients(owner, firm, firm_accountant, acme) -> dict[str, Client]:
    Account.objects.filter(pk=acme.pk).update(managed_by=firm)
    return {"acme": logged_in(owner), "firm": logged_in(User.objects.get(email="claire@cabinet-dupont.test"))}


def test_no_form_answers_odd_posted_values_with_a_500(clients, acme_objects):
    forms: dict[str, tuple[str, dict[str, list[str]]]] = {}  # address -> (who, fields), first seen
    for name, url in pages(acme_objects):
        who = "firm" if name.startswith("firm:") else "acme"
        response = clients[who].get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for action, fields in posted_forms(url, response.content.decode()):
            forms.setdefault(action, ("firm" if action.startswith("/cabinet-dupont/") else who, fields))

    crashes: list[str] = []
    posts = 0
    # (view, field): a view behind many addresses is fuzzed once; (None, field) for formset rows.
    fuzzed: set[tuple[object, str]] = set()

    def key(view: object, param: str) -> tuple[object, str]:
        return (None, ROW.sub("-N-", param)) if ROW.search(param) else (view, param)

    names: set[str] = set()
    for action, (who, fields) in forms.items():
        try:
            match = resolve(action)
        except Resolver404:
            continue
        if match.view_name in SKIPPED or "api" in match.namespaces:
            continue
        names.add(match.view_name)
        client = clients[who]
        with reads_of_query_strings() as read:
            status, detail = _post(client, action, fields)
        if status >= 500:
            crashes.append(f"{action} as the page fills it: {detail}")
        params = sorted((set(fields) | read) - NOT_FIELDS)
        for value in EVERY_FIELD:
            tries = []
            if value in EACH_FIELD:
                tries += [
                    {**fields, param: value} for param in params if key(match.func, param) not in fuzzed
                ]
            if params:
                tries.append({**fields, **dict.fromkeys(params, value)})
            for data in tries:
                posts += 1
                status, detail = _post(client, action, data)
                if status >= 500:
                    odd = sorted(key for key in data if data[key] == value)
                    crashes.append(f"{action} {odd} = {str(value)[:20]!r} {detail}")
        fuzzed.update(key(match.func, param) for param in params)

    # The walk reached the main forms (were it blind, it would pass on anything).
    assert {
        "billing:document_new",
        "billing:client_new",
        "billing:payment_new",
        "purchases:expense_new",
        "tenancy:account",
        "tenancy:user_add",
        "tenancy:user_role",
        "firm:bulk_action",
        "accounts:profile",
    } <= names, sorted(names)
    assert len(fuzzed) >= 150, len(fuzzed)
    assert posts >= 500, posts

    assert not crashes, "\n".join(crashes)


# --- What the walk found, each with what the page now says -----------------------------------------


@pytest.mark.parametrize("value", ["٣", "²", str(10**30), "-1", " 12", "1_0", "12\x00"])
def test_the_firm_list_refuses_a_selection_whose_ids_are_not_ascii_numbers(clients, acme, firm, value):
    response = clients["firm"].post(
        reverse("firm:bulk_action", args=["cabinet-dupont"]),
        {"action": "disconnect", "ids": [str(acme.pk), value]},
        follow=True,
    )

    assert response.status_code == 200
    assert "La sélection n'a pas pu être lue" in html.unescape(response.content.decode())
    acme.refresh_from_db()
    assert acme.managed_by_id == firm.pk
    assert Selection.from_post(_query({"ids": [value]})) is None


def test_the_firm_list_still_reads_ascii_ids(acme):
    selection = Selection.from_post(_query({"ids": [str(acme.pk), "7", "7"]}))

    assert selection is not None and selection.ids == tuple(sorted({acme.pk, 7}))


@pytest.mark.parametrize("value", ["²", "٣", str(10**30), "-3"])
def test_adding_a_line_with_an_odd_line_count_starts_from_one_line(owner_client, acme, value):
    response = owner_client.post(
        reverse("billing:document_new", args=["acme"]),
        {"action": "add_line", "kind": "vat", "lines-TOTAL_FORMS": value, "lines-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert response.context["lines"].total_form_count() == 1


def _query(data: dict[str, list[str]]) -> Any:
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    return query
