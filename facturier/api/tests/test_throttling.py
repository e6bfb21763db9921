"""Rate limits of the API: per token, per IP without a token, 429 + Retry-After."""

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from facturier.accounts import counters
from facturier.accounts.models import RateCounter
from facturier.api.tests.conftest import Api
from facturier.lib.network import parse_networks
from facturier.tenancy.services import resolve_api_token

# 10:01:40 UTC: 100 seconds into a 10-minute window (the windows are aligned on the clock).
START = datetime.datetime(2026, 3, 2, 10, 1, 40, tzinfo=datetime.UTC)


@pytest.fixture
def limits(settings):
    settings.FACTURIER_API_RATE_LIMIT = 3
    settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS = 2
    settings.FACTURIER_API_RATE_WINDOW = 600


def login(http: Client) -> Any:
    return http.post("/login.json", json.dumps({"login": "x@example.com"}), content_type="application/json")


def test_a_token_past_its_limit_gets_a_429_with_retry_after(limits, owner_api: Api):
    with time_machine.travel(START, tick=False):
        statuses = [owner_api.get("/clients.json").status_code for _ in range(3)]
        refused = owner_api.get("/clients.json")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "500"
    assert refused.json() == {"code": "error", "message": "Trop de requêtes. Réessayez dans 500 secondes."}


def test_every_endpoint_and_verb_counts_against_the_same_token(limits, owner_api: Api):
    with time_machine.travel(START, tick=False):
        owner_api.get("/invoices.json")
        owner_api.post("/clients.json", {"client": {}})  # refused (422), counted all the same
        owner_api.get("/account.json")
        assert owner_api.get("/products.json").status_code == 429


def test_another_token_keeps_its_own_budget(limits, owner_api: Api, collaborator_api: Api):
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            owner_api.get("/clients.json")
        assert owner_api.get("/clients.json").status_code == 429
        assert collaborator_api.get("/clients.json").status_code == 200


def test_the_token_may_call_again_once_the_window_is_over(limits, owner_api: Api):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            owner_api.get("/clients.json")
        assert owner_api.get("/clients.json").status_code == 429
        clock.shift(499)
        assert owner_api.get("/clients.json").status_code == 429
        clock.shift(1)
        assert owner_api.get("/clients.json").status_code == 200


def test_a_bearer_token_is_counted_like_the_same_token_in_the_query(limits, owner_api: Api):
    bearer = Client(headers={"Authorization": f"Bearer {owner_api.token}"})
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            owner_api.get("/clients.json")
        assert bearer.get("/clients.json").status_code == 429


def test_calls_without_a_token_are_counted_per_ip(limits, db):
    here = Client(REMOTE_ADDR="203.0.113.7")
    elsewhere = Client(REMOTE_ADDR="203.0.113.8")
    with time_machine.travel(START, tick=False):
        assert [login(here).status_code for _ in range(2)] == [401, 401]
        refused = login(here)
        assert login(elsewhere).status_code == 401

    assert refused.status_code == 429
    assert refused["Retry-After"] == "500"
    assert refused.json()["code"] == "error"


def test_the_login_lock_answers_in_the_same_shape(settings, owner):
    settings.LOGIN_MAX_FAILURES = 2
    http = Client()
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            http.post(
                "/login.json", {"login": owner.email, "password": "wrong"}, content_type="application/json"
            )
        locked = http.post(
            "/login.json", {"login": owner.email, "password": "wrong"}, content_type="application/json"
        )

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(settings.LOGIN_FAILURE_WINDOW_MINUTES * 60)
    assert locked.json()["code"] == "error"
    assert "Réessayez dans" in locked.json()["message"]


def test_a_limit_of_zero_turns_the_limit_off(settings, owner_api: Api):
    settings.FACTURIER_API_RATE_LIMIT = 0
    with time_machine.travel(START, tick=False):
        assert {owner_api.get("/clients.json").status_code for _ in range(5)} == {200}


def test_the_counters_live_in_the_database_whatever_the_cache(limits, owner_api: Api, settings):
    """One table every web process reads, Redis or not: what one process counted, the others see."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    token = resolve_api_token(owner_api.token)
    assert token is not None
    with time_machine.travel(START, tick=False):
        owner_api.get("/clients.json")
        owner_api.get("/clients.json")

    counter = RateCounter.objects.get(key=counters.key("api-rate", f"token:{token.pk}"))
    assert counter.count == 2
    assert counter.expires_at == START.timestamp() + 500  # the end of the clock's 10-minute window


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(limits, settings, db):
    settings.FACTURIER_TRUSTED_PROXIES = parse_networks(["10.0.0.0/8"])

    def via_balancer(forwarded_for: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)

    with time_machine.travel(START, tick=False):
        for _ in range(2):
            login(via_balancer("203.0.113.7"))
        refused = login(via_balancer("203.0.113.7"))
        other = login(via_balancer("203.0.113.8"))
        # A client cannot pick a new address: the proxy appends the one it saw, which is what counts.
        forged = login(via_balancer("198.51.100.1, 203.0.113.7"))

    assert refused.status_code == 429
    assert other.status_code == 401
    assert forged.status_code == 429
