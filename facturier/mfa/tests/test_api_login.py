"""`POST /login.json` (which hands out an API token) with two-factor authentication: the code in `otp`
(or `code`), refused with a clear JSON error without it; tokens already handed out keep working."""

import datetime
import json

import pytest
from django.test import Client

from facturier.api.tests.conftest import Api, token_of
from facturier.conftest import PASSWORD
from facturier.mfa.tests.conftest import add_app, code_of, wrong_code
from facturier.tenancy.models import Account, ApiToken


def login_json(**body):
    return Client().post("/login.json", json.dumps(body), content_type="application/json")


@pytest.fixture
def enrolled(owner, acme, frozen):
    device, codes = add_app(owner)
    frozen.shift(datetime.timedelta(minutes=1))
    return device, codes


def test_a_password_alone_gets_no_token_and_is_told_what_is_missing(owner, enrolled):
    response = login_json(login=owner.email, password=PASSWORD)

    assert response.status_code == 401
    assert response.json() == {
        "code": "error",
        "message": "Ce compte utilise la double authentification : envoyez aussi le code de votre "
        "application d'authentification, ou un code de secours, dans le champ « otp ».",
        "otp_required": True,
    }
    assert not ApiToken.objects.exists()


def test_the_apps_code_in_otp_gets_the_token(owner, enrolled):
    device, _codes = enrolled

    response = login_json(login=owner.email, password=PASSWORD, otp=code_of(device))

    assert response.status_code == 200, response.json()
    assert Api(response.json()["api_token"]).get("/account.json").json()["prefix"] == "acme"


def test_a_wrong_code_gets_no_token_and_the_next_try_waits(owner, enrolled, frozen):
    device, _codes = enrolled

    wrong = login_json(login=owner.email, password=PASSWORD, otp=wrong_code(device))
    too_soon = login_json(login=owner.email, password=PASSWORD, otp=code_of(device))

    assert (
        wrong.status_code == 401 and wrong.json()["message"] == "Code de double authentification incorrect."
    )
    assert too_soon.status_code == 429 and too_soon["Retry-After"] == "1"
    assert too_soon.json()["message"] == "Trop d'essais : réessayez dans 1 seconde."
    assert not ApiToken.objects.exists()


def test_a_recovery_code_in_code_works_once(owner, enrolled, frozen):
    _device, codes = enrolled

    first = login_json(email=owner.email, password=PASSWORD, code=codes[0])
    frozen.shift(datetime.timedelta(seconds=5))
    second = login_json(email=owner.email, password=PASSWORD, code=codes[0])

    assert first.status_code == 200 and second.status_code == 401
    assert ApiToken.objects.count() == 1


def test_a_user_required_to_enrol_gets_no_token_until_they_have(owner, acme):
    Account.objects.filter(pk=acme.pk).update(second_factor_required=True)

    response = login_json(login=owner.email, password=PASSWORD)

    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "La double authentification est obligatoire dans un de vos comptes"
    )
    assert not ApiToken.objects.exists()


def test_a_wrong_password_is_refused_before_any_code_is_looked_at(owner, enrolled):
    device, _codes = enrolled

    response = login_json(login=owner.email, password="wrong password", otp=code_of(device))

    assert response.status_code == 401 and "otp_required" not in response.json()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_tokens_handed_out_before_keep_working(owner, acme, frozen):
    api = Api(token_of(owner, acme))
    add_app(owner)
    Account.objects.filter(pk=acme.pk).update(second_factor_required=True)

    assert api.get("/account.json").status_code == 200
