import datetime

import time_machine
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from facturier.accounts import throttle
from facturier.accounts.models import LoginAttempt, User
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


@time_machine.travel(T0, tick=False)
def test_five_failures_for_one_email_lock_it_even_from_other_ips(client, owner, monkeypatch):
    for n in range(5):
        fail(client, owner.email, 1, ip=f"198.51.100.{n + 1}")
    calls = []
    monkeypatch.setattr(throttle, "authenticate", lambda *args, **kwargs: calls.append(1))

    with time_machine.travel(T0 + datetime.timedelta(minutes=3, seconds=30), tick=False):
        response = log_in(client, owner.email, ip="198.51.100.99")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Trop de tentatives de connexion. Réessayez dans 12 minutes."
    ]
    assert calls == []  # the password was not even checked
    assert SESSION_KEY not in client.session
    assert LoginAttempt.objects.filter(email=owner.email, succeeded=False).count() == 6


@time_machine.travel(T0, tick=False)
def test_a_correct_password_is_refused_while_locked(client, owner):
    fail(client, owner.email, 5)

    response = log_in(client, owner.email)

    assert "Trop de tentatives de connexion" in response.content.decode()
    assert SESSION_KEY not in client.session


@time_machine.travel(T0, tick=False)
def test_five_failures_from_one_ip_lock_it_for_every_email(client, owner):
    for n in range(5):
        fail(client, f"guess{n}@acme.test", 1, ip="192.0.2.66")

    locked = log_in(client, owner.email, ip="192.0.2.66")
    elsewhere = log_in(client, owner.email, ip="192.0.2.67")

    assert "Réessayez dans 15 minutes." in locked.content.decode()
    assert elsewhere.status_code == 302


@time_machine.travel(T0, tick=False)
def test_four_failures_do_not_lock(client, owner):
    fail(client, owner.email, 4)

    assert log_in(client, owner.email).status_code == 302


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


def test_trying_again_while_locked_keeps_the_lock_accurate(owner):
    # A refused try counts as a failure: the lock lasts until fewer than 5 remain in the window.
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            throttle.record(owner.email, None, succeeded=False)
    with time_machine.travel(T0 + datetime.timedelta(minutes=10), tick=False):
        for _ in range(5):
            throttle.record(owner.email, None, succeeded=False)
    with time_machine.travel(T0 + datetime.timedelta(minutes=16), tick=False):
        assert throttle.minutes_locked(owner.email, None) == 9
    with time_machine.travel(T0 + datetime.timedelta(minutes=25, seconds=1), tick=False):
        assert throttle.minutes_locked(owner.email, None) == 0


def test_a_logged_in_user_visiting_login_is_sent_on(owner_client):
    response = owner_client.get(LOGIN)

    assert response.status_code == 302 and response.url == reverse("accounts:home")
