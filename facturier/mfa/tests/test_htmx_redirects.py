"""An htmx request sent to the second step, to enrol, or to the login page gets `HX-Redirect`, so the
whole page goes there: a plain 302 would have htmx swap the login step into the fragment it updates."""

import datetime
from urllib.parse import quote

import pytest
from django.urls import reverse

from facturier.conftest import logged_in
from facturier.mfa.tests.conftest import SECURITY, VERIFY, add_app, log_in

DASHBOARD = reverse("web:dashboard", args=["acme"])
SWITCHER = reverse("web:switcher")
HTMX = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{DASHBOARD}?tab=1"}


@pytest.fixture
def enrolled(owner, acme, frozen):
    device, _codes = add_app(owner)
    frozen.shift(datetime.timedelta(minutes=1))
    return device


def test_an_htmx_request_before_the_second_step_sends_the_page_to_it(client, owner, enrolled):
    log_in(client, owner)

    response = client.get(SWITCHER + "?panel=1", headers=HTMX)

    assert response.status_code == 200
    # Back to the page the user was on afterwards, not to the fragment.
    assert response["HX-Redirect"] == f"{VERIFY}?next={quote(DASHBOARD + '?tab=1', safe='')}"
    assert "Location" not in response


def test_a_full_page_still_gets_a_302(client, owner, enrolled):
    log_in(client, owner)

    response = client.get(DASHBOARD)

    assert response.status_code == 302 and response.url.startswith(VERIFY + "?next=")
    assert "HX-Redirect" not in response


def test_an_htmx_request_from_another_site_comes_back_to_the_fragment_only(client, owner, enrolled):
    log_in(client, owner)

    response = client.get(DASHBOARD, headers={"HX-Request": "true", "HX-Current-URL": "https://evil.test/x"})

    assert response["HX-Redirect"] == f"{VERIFY}?next={quote(DASHBOARD, safe='')}"


def test_an_htmx_request_of_a_user_who_must_enrol_sends_the_page_to_security(owner, acme):
    acme.second_factor_required = True
    acme.save()
    client = logged_in(owner)

    response = client.get(DASHBOARD, headers=HTMX)

    assert response.status_code == 200 and response["HX-Redirect"] == SECURITY


def test_an_htmx_request_after_the_session_ended_sends_the_page_to_the_login(client, acme):
    response = client.get(DASHBOARD, headers=HTMX)

    login = reverse("accounts:login")
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{login}?next={quote(DASHBOARD + '?tab=1', safe='/')}"
