import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse

from facturier.accounts.models import LoginAttempt, RateCounter, User
from facturier.conftest import PASSWORD

LOGIN = reverse("accounts:login")
T0 = datetime.datetime(2025, 3, 10, 9, 0, tzinfo=datetime.UTC)


def log_in(client, email, password=PASSWORD, ip="198.51.100.1", **data):
    return client.post(LOGIN, {"email": email, "password": password, **data}, REMOTE_ADDR=ip)


def fail(client, email, times, ip="198.51.100.1"):
    for _ in range(times):
        log_in(client, email, "wrong password", ip=ip)


def test_it_logs_in_with_the_email_in_any_case_and_goes_home(client, owner):
    response = log_in(client, " Olivia@ACME.test ")

    assert response.status_code == 302 and response.url == reverse("accounts:home")
    assert client.session[SESSION_KEY] == str(owner.pk)
    attempt = LoginAttempt.objects.get()
    assert attempt.email == "olivia@acme.test" and attempt.succeeded and attempt.ip == "198.51.100.1"


def test_it_refuses_a_wrong_password_and_records_the_failure(client, owner):
    response = log_in(client, owner.email, "not the password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Adresse email ou mot de passe incorrect."]
    assert SESSION_KEY not in client.session
    assert LoginAttempt.objects.filter(email=owner.email, succeeded=False).count() == 1


def test_an_inactive_user_cannot_log_in(client, owner):
    User.objects.filter(pk=owner.pk).update(is_active=False)

    response = log_in(client, owner.email)

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_it_follows_a_safe_next_and_ignores_another_site(client, owner):
    response = log_in(client, owner.email, next="/acme/settings/")
    assert response.url == "/acme/settings/"

    client.logout()
    response = log_in(client, owner.email, next="https://evil.test/phish")
    assert response.url == reverse("accounts:home")


def test_the_login_page_carries_next(client, db):
    response = client.get(LOGIN, {"next": "/acme/"})

    assert response.status_code == 200
    assert 'name="next" value="/acme/"' in response.content.decode()


@pytest.fixture
def password_checks(monkeypatch):
    """Every password the throttle let through to Django's ModelBackend."""
    checked = []
    check = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(password)
        return check(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def locked_message(response):
    return response.context["form"].non_field_errors()


@time_machine.travel(T0, tick=False)
def test_five_failures_lock_that_email_from_that_ip_without_checking_the_password(
    client, owner, password_checks
):
    fail(client, owner.email, 5)

    with time_machine.travel(T0 + datetime.timedelta(minutes=3, seconds=30), tick=False):
        response = log_in(client, owner.email)

    assert response.status_code == 200
    assert locked_message(response) == ["Trop de tentatives de connexion. Réessayez dans 12 minutes."]
    assert len(password_checks) == 5  # the sixth, right, password was not even checked
    assert SESSION_KEY not in client.session
    assert LoginAttempt.objects.filter(email=owner.email, succeeded=False).count() == 6


@time_machine.travel(T0, tick=False)
def test_colleagues_behind_the_same_address_are_not_locked_out(client, owner, collaborator):
    fail(client, owner.email, 5, ip="192.0.2.66")

    colleague = log_in(Client(), collaborator.email, ip="192.0.2.66")
    owner_elsewhere = log_in(Client(), owner.email, ip="192.0.2.67")
    owner_here = log_in(Client(), owner.email, ip="192.0.2.66")

    assert colleague.status_code == 302
    assert owner_elsewhere.status_code == 302
    assert "Réessayez dans 15 minutes." in owner_here.content.decode()


@time_machine.travel(T0, tick=False)
def test_guesses_spread_over_many_addresses_lock_the_email_at_its_own_ceiling(
    client, owner, settings, password_checks
):
    settings.LOGIN_MAX_FAILURES_PER_EMAIL = 8
    for n in range(8):
        fail(client, owner.email, 1, ip=f"198.51.100.{n + 1}")

    response = log_in(client, owner.email, ip="198.51.100.99")

    assert locked_message(response) == ["Trop de tentatives de connexion. Réessayez dans 15 minutes."]
    assert len(password_checks) == 8


@time_machine.travel(T0, tick=False)
def test_four_failures_do_not_lock(client, owner):
    fail(client, owner.email, 4)

    assert log_in(client, owner.email).status_code == 302


@time_machine.travel(T0, tick=False)
def test_a_success_takes_no_place_in_the_budget(client, owner):
    fail(client, owner.email, 4)
    assert log_in(client, owner.email).status_code == 302
    client.logout()
    assert log_in(client, owner.email).status_code == 302
    client.logout()

    fail(client, owner.email, 1)  # the fifth failure

    assert "Réessayez dans 15 minutes." in log_in(client, owner.email).content.decode()


@time_machine.travel(T0, tick=False)
def test_tries_while_locked_neither_prolong_the_lock_nor_spend_the_email_budget(client, owner, settings):
    settings.LOGIN_MAX_FAILURES_PER_EMAIL = 6
    fail(client, owner.email, 5, ip="192.0.2.1")
    fail(client, owner.email, 10, ip="192.0.2.1")  # refused, unchecked

    # The email has spent 5 of its 6 from everywhere: the refused tries took nothing.
    assert log_in(Client(), owner.email, ip="192.0.2.2").status_code == 302
    with time_machine.travel(T0 + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(Client(), owner.email, ip="192.0.2.1").status_code == 302


def test_the_lock_lifts_when_the_window_has_passed(client, owner):
    with time_machine.travel(T0, tick=False):
        fail(client, owner.email, 5)
    with time_machine.travel(T0 + datetime.timedelta(minutes=14, seconds=50), tick=False):
        still_locked = log_in(client, owner.email)
    with time_machine.travel(T0 + datetime.timedelta(minutes=15, seconds=1), tick=False):
        lifted = log_in(client, owner.email)
        logged_in_as = client.session.get(SESSION_KEY)  # read while the session is still fresh

    assert "Réessayez dans 1 minute." in still_locked.content.decode()
    assert lifted.status_code == 302
    assert logged_in_as == str(owner.pk)


def test_each_new_lock_within_a_day_lasts_twice_as_long_up_to_the_maximum(client, owner, settings):
    settings.LOGIN_LOCK_MAX_MINUTES = 45
    seen = []
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(4):
            fail(client, owner.email, 5)
            seen.append(locked_message(log_in(client, owner.email))[0])
            clock.shift(datetime.timedelta(minutes=46))

    assert [message.rsplit(" dans ", 1)[1] for message in seen] == [
        "15 minutes.",
        "30 minutes.",
        "45 minutes.",
        "45 minutes.",
    ]


def test_the_locks_grow_again_from_the_window_a_day_later(client, owner):
    with time_machine.travel(T0, tick=False):
        fail(client, owner.email, 5)
    with time_machine.travel(T0 + datetime.timedelta(days=1, minutes=1), tick=False):
        fail(client, owner.email, 5)
        assert "Réessayez dans 15 minutes." in log_in(client, owner.email).content.decode()


def test_an_unknown_email_is_throttled_like_a_known_one(client, db):
    with time_machine.travel(T0, tick=False):
        fail(client, "nobody@acme.test", 5)
        response = log_in(client, "nobody@acme.test")

    assert locked_message(response) == ["Trop de tentatives de connexion. Réessayez dans 15 minutes."]


def test_the_counters_keep_no_email_nor_address(client, owner):
    with time_machine.travel(T0, tick=False):
        fail(client, owner.email, 2, ip="192.0.2.44")

    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert not any("olivia" in key or "192.0.2.44" in key for key in keys)


@time_machine.travel(T0, tick=False)
def test_the_admin_login_is_behind_the_same_throttle(client, db, password_checks):
    User.objects.create_superuser("root@facturier.test", PASSWORD)
    admin_login = reverse("admin:login")
    for _ in range(5):
        client.post(
            admin_login, {"username": "root@facturier.test", "password": "wrong"}, REMOTE_ADDR="192.0.2.9"
        )

    right = client.post(
        admin_login, {"username": "root@facturier.test", "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )

    assert right.status_code == 200  # the form again, not the redirect into the admin
    assert SESSION_KEY not in client.session
    assert len(password_checks) == 5


def test_a_logged_in_user_visiting_login_is_sent_on(owner_client):
    response = owner_client.get(LOGIN)

    assert response.status_code == 302 and response.url == reverse("accounts:home")
