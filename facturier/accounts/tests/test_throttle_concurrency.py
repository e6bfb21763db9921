"""The login throttle and the counters under parallel requests, each thread on its own connection.

Runs on both databases: on PostgreSQL the threads race for real; on SQLite (a file copy of the test
database, tests/parallel.py) they queue for the write lock, as web processes on one SQLite file do.
"""

import json

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse

from facturier.accounts import counters
from facturier.conftest import PASSWORD
from facturier.tenancy.models import ApiToken
from facturier.tests.parallel import in_parallel, shared_database

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def _threads_share_the_database(transactional_db, tmp_path):
    yield from shared_database(tmp_path)


@pytest.fixture
def password_checks(monkeypatch):
    """Every password the throttle let through to Django's ModelBackend (threads append to one list)."""
    checked = []
    check = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(password)
        return check(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def test_each_parallel_hit_gets_its_own_total():
    totals = in_parallel(16, lambda i: [counters.hit("test:k", expires_at=4e9)[0] for _ in range(50)])

    assert sorted(total for batch in totals for total in batch) == list(range(1, 801))


def test_40_parallel_wrong_passwords_check_at_most_five(owner, password_checks):
    statuses = in_parallel(
        40,
        lambda i: (
            Client()
            .post(LOGIN, {"email": owner.email, "password": f"wrong {i}"}, REMOTE_ADDR="203.0.113.5")
            .status_code
        ),
    )

    assert statuses == [200] * 40
    assert len(password_checks) == 5


def test_a_burst_on_login_json_cannot_reach_the_right_password_past_the_limit(owner, acme, password_checks):
    # 39 wrong passwords and the right one last: today's burst found it after 21 wrong ones.
    def attempt(i):
        password = PASSWORD if i == 39 else f"wrong {i}"
        return Client(REMOTE_ADDR="203.0.113.5").post(
            "/login.json",
            json.dumps({"login": owner.email, "password": password}),
            content_type="application/json",
        )

    responses = in_parallel(40, attempt)

    wrong_checked = len([password for password in password_checks if password != PASSWORD])
    statuses = [response.status_code for response in responses]
    # Five places: four or five wrong passwords checked, depending on whether the right one took one.
    assert wrong_checked in (4, 5)
    assert statuses.count(401) == wrong_checked
    assert statuses[39] == (200 if PASSWORD in password_checks else 429)
    assert statuses.count(429) == 40 - len(password_checks)


def test_an_office_keeps_working_while_one_address_is_under_attack(owner, collaborator, password_checks):
    def attempt(i):
        email, password = (collaborator.email, PASSWORD) if i % 10 == 0 else (owner.email, f"wrong {i}")
        return (
            Client().post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR="192.0.2.80").status_code
        )

    statuses = in_parallel(40, attempt)

    assert [statuses[i] for i in range(0, 40, 10)] == [302] * 4  # the colleague logged in each time
    assert len([p for p in password_checks if p != PASSWORD]) == 5


def test_parallel_first_logins_on_login_json_agree_on_one_token(owner, acme):
    def first_login(i):
        return (
            Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
            .post(
                "/login.json",
                json.dumps({"login": owner.email, "password": PASSWORD}),
                content_type="application/json",
            )
            .json()["api_token"]
        )

    tokens = in_parallel(8, first_login)

    assert len(set(tokens)) == 1
    assert ApiToken.objects.filter(membership__user=owner, revoked_at__isnull=True).count() == 1
