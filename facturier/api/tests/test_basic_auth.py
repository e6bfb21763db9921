"""HTTP Basic authentication, the official README's way in without a token (`curl -u 'login:password'`):
the user's email and password, the pages' login throttle, no second factor, one account."""

import base64
import datetime

import pytest
import time_machine
from django.test import Client

from facturier.accounts.models import LoginAttempt, User
from facturier.api.auth import verified_key
from facturier.api.errors import NOT_LOGGED_IN
from facturier.billing.models import Client as BuyerClient
from facturier.billing.tests.factories import make_client
from facturier.conftest import PASSWORD

UNAUTHORIZED = {"code": "error", "message": NOT_LOGGED_IN}
START = datetime.datetime(2026, 3, 2, 10, 1, 40, tzinfo=datetime.UTC)


def basic(login: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"authorization": f"Basic {encoded}"}


@pytest.fixture
def dupont(acme):
    return make_client(acme, name="Dupont SARL")


def test_the_users_email_and_password_reach_their_account(owner, dupont):
    response = Client().get("/clients.json", headers=basic(owner.email, PASSWORD))
    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == ["Dupont SARL"]


def test_a_write_is_made_in_the_users_account(owner, acme):
    created = Client().post(
        "/clients.json",
        {"client": {"name": "Martin SAS"}},
        content_type="application/json",
        headers=basic(owner.email, PASSWORD),
    )
    assert created.status_code == 201
    assert BuyerClient.objects.filter(account=acme, name="Martin SAS").exists()


@pytest.mark.parametrize(
    "header",
    [
        basic("olivia@acme.test", "wrong"),
        basic("nobody@acme.test", PASSWORD),
        basic("olivia@acme.test", ""),
        {"authorization": "Basic not-base64!"},
        {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
    ],
)
def test_wrong_or_malformed_credentials_get_the_documented_401(owner, dupont, header):
    response = Client().get("/clients.json", headers=header)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")  # never a Basic prompt in a browser


def test_an_outsider_reads_only_their_own_account(outsider, dupont):
    listing = Client().get("/clients.json", headers=basic(outsider.email, PASSWORD))
    assert listing.status_code == 200
    assert listing.json() == []
    other = Client().get(f"/clients/{dupont.pk}.json", headers=basic(outsider.email, PASSWORD))
    assert other.status_code == 404
    deleted = Client().delete(f"/clients/{dupont.pk}.json", headers=basic(outsider.email, PASSWORD))
    assert deleted.status_code == 404
    dupont.refresh_from_db()


def test_an_inactive_user_is_refused(owner, dupont):
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert Client().get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 401


def test_a_user_with_a_second_factor_must_use_a_token(owner, dupont):
    User.objects.filter(pk=owner.pk).update(has_second_factor=True)
    response = Client().get("/clients.json", headers=basic(owner.email, PASSWORD))
    assert response.status_code == 401


def test_a_user_whose_account_requires_a_second_factor_must_use_a_token(owner, acme, dupont):
    acme.second_factor_required = True
    acme.save(update_fields=["second_factor_required"])
    assert Client().get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 401


def test_a_user_of_several_accounts_needs_the_accounts_address(firm_accountant, dupont):
    assert Client().get("/clients.json", headers=basic(firm_accountant.email, PASSWORD)).status_code == 401


class TestHostSubdomain:
    @pytest.fixture(autouse=True)
    def base_domain(self, settings):
        settings.FACTURIER_API_BASE_DOMAIN = "api.facturier.test"
        settings.ALLOWED_HOSTS = [".api.facturier.test", "testserver"]

    def test_the_host_names_the_account_of_a_user_of_several(self, firm_accountant, dupont):
        response = Client().get(
            "/clients.json",
            headers=basic(firm_accountant.email, PASSWORD),
            HTTP_HOST="acme.api.facturier.test",
        )
        assert response.status_code == 200
        assert [row["name"] for row in response.json()] == ["Dupont SARL"]

    def test_a_host_of_an_account_the_user_is_not_in_is_refused(self, outsider, dupont):
        response = Client().get(
            "/clients.json", headers=basic(outsider.email, PASSWORD), HTTP_HOST="acme.api.facturier.test"
        )
        assert response.status_code == 401


@pytest.mark.parametrize(
    "browser",
    [{"origin": "https://evil.test"}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}],
)
def test_a_request_sent_by_a_web_page_cannot_use_basic(owner, acme, browser):
    response = Client().post(
        "/clients.json",
        "client[name]=Pirate",
        content_type="application/x-www-form-urlencoded",
        headers=basic(owner.email, PASSWORD) | browser,
    )
    assert response.status_code == 401
    assert not BuyerClient.objects.filter(account=acme, name="Pirate").exists()


def test_a_token_wins_over_basic_credentials(owner_token, outsider, dupont):
    response = Client().get(f"/clients.json?api_token={owner_token}", headers=basic(outsider.email, PASSWORD))
    assert [row["name"] for row in response.json()] == ["Dupont SARL"]


def test_wrong_passwords_lock_basic_like_the_login_page(settings, owner, dupont):
    settings.LOGIN_MAX_FAILURES = 2
    http = Client()
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            assert http.get("/clients.json", headers=basic(owner.email, "wrong")).status_code == 401
        locked = http.get("/clients.json", headers=basic(owner.email, PASSWORD))
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert LoginAttempt.objects.filter(email=owner.email, succeeded=False).count() == 3


def test_basic_requests_have_the_rate_limit_of_a_token(settings, owner, dupont):
    settings.FACTURIER_API_RATE_LIMIT = 2
    settings.FACTURIER_API_RATE_WINDOW = 600
    http = Client()
    with time_machine.travel(START, tick=False):
        statuses = [
            http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code for _ in range(3)
        ]
    assert statuses == [200, 200, 429]


class TestPasswordHashes:
    """Each Basic password check costs a hash: a pair verified is remembered, and hashes spend the IP's budget."""

    @staticmethod
    def checks(user: User) -> int:
        """Passwords actually checked: each hash goes through the login throttle, which records it."""
        return LoginAttempt.objects.filter(email=user.email).count()

    def test_a_verified_pair_is_not_hashed_again(self, owner, dupont):
        http = Client()
        statuses = [
            http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        assert self.checks(owner) == 1

    def test_the_pair_is_hashed_again_once_remembered_long_enough(self, settings, owner, dupont):
        http = Client()
        with time_machine.travel(START, tick=False) as clock:
            http.get("/clients.json", headers=basic(owner.email, PASSWORD))
            clock.shift(settings.FACTURIER_API_BASIC_VERIFIED_SECONDS + 1)
            assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
        assert self.checks(owner) == 2

    def test_zero_seconds_hashes_every_call(self, settings, owner, dupont):
        settings.FACTURIER_API_BASIC_VERIFIED_SECONDS = 0
        http = Client()
        for _ in range(2):
            assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
        assert self.checks(owner) == 2

    def test_a_password_change_forgets_the_old_pair_at_once(self, owner, dupont):
        http = Client()
        assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
        owner.set_password("another-long-passphrase")
        owner.save(update_fields=["password"])
        assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 401
        assert (
            http.get("/clients.json", headers=basic(owner.email, "another-long-passphrase")).status_code
            == 200
        )

    def test_a_deactivated_user_is_refused_at_once(self, owner, dupont):
        http = Client()
        assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
        User.objects.filter(pk=owner.pk).update(is_active=False)
        assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 401

    def test_a_changed_email_no_longer_opens_with_the_old_one(self, owner, dupont):
        http = Client()
        old_email = owner.email
        assert http.get("/clients.json", headers=basic(old_email, PASSWORD)).status_code == 200
        User.objects.filter(pk=owner.pk).update(email="olivia.new@acme.test")
        assert http.get("/clients.json", headers=basic(old_email, PASSWORD)).status_code == 401

    def test_a_second_factor_added_later_is_seen_at_once(self, owner, dupont):
        http = Client()
        assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
        User.objects.filter(pk=owner.pk).update(has_second_factor=True)
        assert http.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 401

    def test_the_cache_key_is_an_hmac_of_the_server_secret(self, settings):
        key = verified_key("olivia@acme.test", PASSWORD)
        assert PASSWORD not in key and "olivia" not in key
        assert verified_key("Olivia@ACME.test", PASSWORD) == key  # the email as the login reads it
        assert verified_key("olivia@acme.test", PASSWORD + "x") != key
        settings.SECRET_KEY = "another-secret-key-of-the-server-" * 2
        assert verified_key("olivia@acme.test", PASSWORD) != key

    def test_a_flood_spends_no_more_hashes_than_the_ips_budget(self, settings, owner, dupont):
        settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS = 3
        here = Client(REMOTE_ADDR="203.0.113.7")
        with time_machine.travel(START, tick=False):
            # A different email each time: the login lock, per email, would never stop this.
            statuses = [
                here.get("/clients.json", headers=basic(f"guess{n}@acme.test", "wrong")).status_code
                for n in range(5)
            ]
            refused = here.get("/clients.json", headers=basic(owner.email, PASSWORD))
            elsewhere = Client(REMOTE_ADDR="203.0.113.8").get(
                "/clients.json", headers=basic(owner.email, PASSWORD)
            )
        assert statuses == [401, 401, 401, 429, 429]
        assert refused.status_code == 429
        assert refused["Retry-After"] == "500"
        assert refused.json()["code"] == "error"
        assert LoginAttempt.objects.count() == 4  # three guesses, then the owner elsewhere
        assert elsewhere.status_code == 200

    def test_the_ip_budget_is_the_one_of_calls_without_a_token(self, settings, owner, dupont):
        settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS = 2
        here = Client(REMOTE_ADDR="203.0.113.7")
        with time_machine.travel(START, tick=False):
            here.post("/login.json", {"login": "x@example.com"}, content_type="application/json")
            assert here.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
            # Remembered: no hash, so no more of the IP's budget; the user's own rate limit counts.
            assert here.get("/clients.json", headers=basic(owner.email, PASSWORD)).status_code == 200
            assert (
                here.post(
                    "/login.json", {"login": "x@example.com"}, content_type="application/json"
                ).status_code
                == 429
            )
