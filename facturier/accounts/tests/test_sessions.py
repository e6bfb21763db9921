"""Sessions as users see them: a login lasts from page to page and from one web process to another,
and a logout ends it everywhere. Django's cached_db engine keeps them in the shared cache and the
database (settings.SESSION_ENGINE)."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from facturier.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("web:dashboard", args=["acme"])


def logged_in_through_the_form(owner) -> Client:
    browser = Client()
    response = browser.post(reverse("accounts:login"), {"email": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def another_process(browser: Client) -> Client:
    """A second browser tab served by another web process: the same session cookie, nothing shared in
    memory with the first."""
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return other


def test_a_login_lasts_from_page_to_page_and_process_to_process(owner, acme):
    browser = logged_in_through_the_form(owner)

    assert browser.get(DASHBOARD).status_code == 200
    assert browser.get(reverse("billing:document_list", args=["acme"])).status_code == 200
    assert another_process(browser).get(DASHBOARD).status_code == 200


def test_a_session_the_cache_lost_is_read_from_the_database(owner, acme):
    browser = logged_in_through_the_form(owner)
    cache.clear()  # a restarted Redis, an evicted entry

    assert browser.get(DASHBOARD).status_code == 200


def test_logging_out_ends_the_session_for_every_process(owner, acme):
    browser = logged_in_through_the_form(owner)
    other = another_process(browser)
    assert other.get(DASHBOARD).status_code == 200
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value

    browser.post(reverse("accounts:logout"))

    response = other.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert not Session.objects.filter(session_key=key).exists()
