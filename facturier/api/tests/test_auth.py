"""Authentication and account resolution (issue 7, section 1): where the token may be, which account
it names, and the documented 401 body for every bad token."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from facturier.api.errors import NOT_LOGGED_IN
from facturier.api.tests.conftest import token_of
from facturier.billing.tests.factories import make_client
from facturier.tenancy.models import ApiToken

UNAUTHORIZED = {"code": "error", "message": NOT_LOGGED_IN}


@pytest.fixture
def dupont(acme):
    return make_client(acme, name="Dupont SARL")


def test_the_token_is_read_from_the_query_string(owner_api, dupont):
    response = owner_api.get("/clients.json")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == ["Dupont SARL"]


def test_the_token_is_read_from_the_top_level_of_the_json_body(owner_token, acme):
    response = Client().post(
        "/clients.json",
        json.dumps({"api_token": owner_token, "client": {"name": "Martin SAS"}}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Martin SAS"


def test_the_token_is_read_from_a_bearer_header(owner_token, dupont):
    response = Client().get("/clients.json", headers={"authorization": f"Bearer {owner_token}"})
    assert response.status_code == 200
    assert len(response.json()) == 1


def test_a_bare_token_without_its_slug_suffix_finds_its_account(owner_token, dupont):
    bare = owner_token.partition("/")[0]
    response = Client().get(f"/clients.json?api_token={bare}")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == ["Dupont SARL"]


@pytest.mark.parametrize(
    "token",
    ["", "nope", "nope/acme", "/acme"],
)
def test_a_bad_or_missing_token_gets_401_with_the_documented_body(acme, token):
    response = Client().get(f"/clients.json?api_token={token}")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_no_token_at_all_gets_401(db):
    response = Client().post("/clients.json", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_token_with_another_accounts_suffix_is_refused(owner_token, outsider):
    secret = owner_token.partition("/")[0]
    response = Client().get(f"/clients.json?api_token={secret}/globex")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_revoked_token_is_refused(owner_token, dupont):
    ApiToken.objects.update(revoked_at=timezone.now())
    response = Client().get(f"/clients.json?api_token={owner_token}")
    assert response.status_code == 401


def test_a_deactivated_users_token_is_refused(owner, owner_token, dupont):
    owner.is_active = False
    owner.save()
    assert Client().get(f"/clients.json?api_token={owner_token}").status_code == 401


def test_a_removed_members_token_stops_working(collaborator, acme):
    token = token_of(collaborator, acme)
    collaborator.memberships.all().delete()
    assert Client().get(f"/clients.json?api_token={token}").status_code == 401


def test_using_a_token_records_when_it_was_last_used(owner_api, dupont):
    assert ApiToken.objects.get().last_used_at is None
    owner_api.get("/clients.json")
    assert ApiToken.objects.get().last_used_at is not None


class TestHostSubdomain:
    @pytest.fixture(autouse=True)
    def base_domain(self, settings):
        settings.FACTURIER_API_BASE_DOMAIN = "api.facturier.test"
        settings.ALLOWED_HOSTS = [".api.facturier.test", "testserver"]

    def test_the_host_subdomain_names_the_account(self, owner_token, dupont):
        bare = owner_token.partition("/")[0]
        response = Client().get(f"/clients.json?api_token={bare}", HTTP_HOST="acme.api.facturier.test")
        assert response.status_code == 200
        assert len(response.json()) == 1

    def test_a_token_of_another_account_than_the_hosts_is_refused(self, outsider_api, acme, dupont):
        response = outsider_api.http.get(
            f"/clients.json?api_token={outsider_api.token}", HTTP_HOST="acme.api.facturier.test"
        )
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED

    def test_a_host_outside_the_base_domain_leaves_the_token_to_decide(self, owner_api, dupont):
        assert owner_api.get("/clients.json").status_code == 200


def test_an_outsider_gets_a_404_for_another_accounts_client(outsider_api, dupont):
    for response in [
        outsider_api.get(f"/clients/{dupont.pk}.json"),
        outsider_api.put(f"/clients/{dupont.pk}.json", {"client": {"name": "Pris"}}),
        outsider_api.delete(f"/clients/{dupont.pk}.json"),
    ]:
        assert response.status_code == 404
        assert response.json() == {"code": "error", "message": "Not Found"}
    dupont.refresh_from_db()
    assert dupont.name == "Dupont SARL"


def test_an_outsiders_list_shows_only_their_own_account(outsider_api, dupont):
    assert outsider_api.get("/clients.json").json() == []


def test_the_answer_is_json_whatever_the_accept_header(owner_api, dupont):
    for accept in ["*/*", "text/html", "application/xml"]:
        response = owner_api.get("/clients.json", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")


def test_an_unknown_json_address_gets_the_json_404(owner_api):
    for path in ["/nothing.json", "/clients/abc.json", "/clients/1/x.json"]:
        response = owner_api.get(path)
        assert response.status_code == 404
        assert response.json() == {"code": "error", "message": "Not Found"}


def test_a_method_the_resource_lacks_gets_a_json_405(owner_api):
    response = owner_api.delete("/clients.json")
    assert response.status_code == 405
    assert response.json()["code"] == "error"


def test_a_body_sent_without_a_json_content_type_is_still_read(owner_token, acme):
    response = Client().post(
        f"/clients.json?api_token={owner_token}",
        json.dumps({"client": {"name": "Sans en-tête"}}),
        content_type="text/plain",
    )
    assert response.status_code == 201


def test_a_logged_in_session_without_a_token_is_not_enough(owner_client):
    # The API only knows tokens: a browser session cannot be ridden by a cross-site request.
    assert owner_client.get("/clients.json").status_code == 401
