"""The second step of a login: after the password, a code of the app or a recovery code (each works
once), before any other page; django-otp's throttle after wrong codes."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken

from facturier.mfa.tests.conftest import VERIFY, add_app, code_of, log_in, wrong_code

DASHBOARD = reverse("web:dashboard", args=["acme"])


@pytest.fixture
def enrolled(owner, acme, frozen):
    device, codes = add_app(owner)
    frozen.shift(datetime.timedelta(minutes=1))  # the code used to enrol is behind us
    return device, codes


def test_the_password_alone_reaches_nothing_but_the_second_step(client, owner, enrolled):
    response = log_in(client, owner, next=DASHBOARD)

    assert response.status_code == 302 and response.url == DASHBOARD
    for url in (DASHBOARD, reverse("accounts:home"), reverse("accounts:profile"), reverse("mfa:security")):
        refused = client.get(url)
        assert refused.status_code == 302 and refused.url.startswith(VERIFY + "?next="), url
    assert client.post(reverse("accounts:token_create"), {"membership": 1}).url.startswith(VERIFY)
    page = client.get(VERIFY + "?next=" + DASHBOARD)
    assert page.status_code == 200 and "Vérification en deux étapes" in page.content.decode()
    assert page.context["has_passkeys"] is False


def test_the_app_code_opens_the_session_under_a_new_key(client, owner, enrolled):
    device, _codes = enrolled
    log_in(client, owner)
    key_after_password = client.session.session_key

    response = client.post(VERIFY, {"code": code_of(device), "next": DASHBOARD})

    assert response.status_code == 302 and response.url == DASHBOARD
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != key_after_password
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(VERIFY).url == reverse("accounts:home")  # done: the step sends onwards


def test_codes_typed_with_spaces_are_taken(client, owner, enrolled):
    device, _codes = enrolled
    log_in(client, owner)
    code = code_of(device)

    response = client.post(VERIFY, {"code": f" {code[:3]} {code[3:]} "})

    assert response.status_code == 302 and SESSION_KEY in client.session
    assert client.get(DASHBOARD).status_code == 200


def test_a_wrong_code_is_refused_and_the_next_try_waits(client, owner, enrolled, frozen):
    device, _codes = enrolled
    log_in(client, owner)
    first = client.post(VERIFY, {"code": wrong_code(device)})
    right_too_soon = client.post(VERIFY, {"code": code_of(device)})

    assert first.status_code == 200 and first.context["form"].errors["code"] == ["Code incorrect."]
    assert right_too_soon.status_code == 200
    assert right_too_soon.context["form"].errors["code"] == ["Trop d'essais : réessayez dans 1 seconde."]
    assert client.get(DASHBOARD).url.startswith(VERIFY)
    frozen.shift(datetime.timedelta(seconds=2))
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_the_wait_doubles_with_each_wrong_code(client, owner, enrolled, frozen):
    device, _codes = enrolled
    log_in(client, owner)
    for attempt in range(4):
        if attempt:
            frozen.shift(datetime.timedelta(seconds=10))  # longer than the waits of 1, 2 and 4 seconds
        assert client.post(VERIFY, {"code": wrong_code(device)}).context["form"].errors["code"] == [
            "Code incorrect."
        ]
    frozen.shift(datetime.timedelta(seconds=2))

    response = client.post(VERIFY, {"code": code_of(device)})

    assert response.context["form"].errors["code"] == ["Trop d'essais : réessayez dans 6 secondes."]


def test_a_code_cannot_be_used_twice(owner, enrolled, client_factory):
    device, _codes = enrolled
    code = code_of(device)
    first, second = client_factory(), client_factory()
    log_in(first, owner)
    log_in(second, owner)

    assert first.post(VERIFY, {"code": code}).status_code == 302
    replay = second.post(VERIFY, {"code": code})

    assert replay.status_code == 200 and replay.context["form"].errors["code"] == ["Code incorrect."]


def test_a_recovery_code_works_once(owner, enrolled, client_factory, frozen):
    _device, codes = enrolled
    first, second = client_factory(), client_factory()
    log_in(first, owner)
    log_in(second, owner)

    used = first.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    again = second.post(VERIFY, {"code": codes[0]})

    assert used.redirect_chain[0][0] == reverse("accounts:home")
    assert "il vous en reste 9" in used.content.decode()
    assert again.status_code == 200 and again.context["form"].errors["code"] == ["Code incorrect."]
    assert StaticToken.objects.filter(token=codes[0]).count() == 0
    assert StaticToken.objects.count() == 9
    frozen.shift(datetime.timedelta(seconds=1))  # the throttle's wait after the refused code
    assert second.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_a_user_without_second_factor_skips_the_step(client, owner, acme):
    response = log_in(client, owner, next=DASHBOARD)

    assert response.url == DASHBOARD and client.get(DASHBOARD).status_code == 200
    assert client.get(VERIFY).url == reverse("accounts:home")


def test_the_step_follows_a_safe_next_only(client, owner, enrolled):
    device, _codes = enrolled
    log_in(client, owner)

    response = client.post(VERIFY, {"code": code_of(device), "next": "https://evil.test/phish"})

    assert response.url == reverse("accounts:home")


def test_the_step_can_be_left_by_logging_out(client, owner, enrolled):
    log_in(client, owner)

    response = client.post(reverse("accounts:logout"))

    assert response.url == reverse("accounts:login") and SESSION_KEY not in client.session


def test_the_step_needs_a_password_first(client, db):
    response = client.get(VERIFY)
    assert response.status_code == 302 and response.url == reverse("accounts:login")


def test_a_session_opened_before_enrolling_must_prove_the_new_app(owner_client, owner, acme, frozen):
    assert owner_client.get(DASHBOARD).status_code == 200
    add_app(owner)  # from another browser

    assert owner_client.get(DASHBOARD).url.startswith(VERIFY)


def test_the_json_api_is_not_the_sessions_business(client, owner, enrolled):
    log_in(client, owner)

    response = client.get("/invoices.json")

    assert response.status_code == 401  # the API wants its token, not a redirect to the second step
