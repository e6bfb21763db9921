"""The account API for firms: `/account.json`, `/account/add_user.json`, `/account/unlink.json` and
`/login.json`, over the firm and tenancy services."""

import json

import pytest
from django.core import mail
from django.test import Client as HttpClient

from facturier.accounts.models import User
from facturier.api.tests.conftest import Api, token_of
from facturier.conftest import PASSWORD, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, ApiToken, AuditEvent, Membership, Role
from facturier.tenancy.services import resolve_api_token, revoke_api_token

NEW_PASSWORD = "un-mot-de-passe-solide-42"


@pytest.fixture
def partner(firm):
    return User.objects.get(email="claire@cabinet-dupont.test")


@pytest.fixture
def firm_owner_api(partner, firm):
    return Api(token_of(partner, firm))


def create(api, **body):
    return api.post("/account.json", body)


def patch(api, path, data):
    return api.http.patch(f"{path}?api_token={api.token}", json.dumps(data), content_type="application/json")


# --- POST /account.json -----------------------------------------------------------------------------


def test_a_firm_creates_a_client_account_with_its_company_identity(firm_owner_api, firm, partner):
    response = create(
        firm_owner_api,
        account={"prefix": "boulangerie-martin", "lang": "fr"},
        company={
            "name": "Boulangerie Martin",
            "tax_no": "732829320",
            "street": "3 rue du Four",
            "post_code": "69001",
            "city": "Lyon",
            "bank_account": "FR76 3000 6000 0112 3456 7890 189",
            "person": "M. Martin",
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == {"prefix", "api_token", "url", "login", "email"}
    assert data["prefix"] == "boulangerie-martin"
    assert data["api_token"].endswith("/boulangerie-martin")
    assert (data["login"], data["email"]) == (partner.email, partner.email)
    account = Account.objects.get(slug="boulangerie-martin")
    assert (account.managed_by, account.plan, account.name) == (firm, plans.PRO, "Boulangerie Martin")
    assert (account.siren, account.city, account.iban) == ("732829320", "Lyon", "FR7630006000011234567890189")
    owner = Membership.objects.get(account=account, is_owner=True)
    assert (owner.user, owner.firm) == (partner, firm)
    assert AuditEvent.objects.filter(account=firm, action="firm.client_account_created").exists()
    # The token answered is the owner's, in the new account.
    shown = Api(data["api_token"]).get("/account.json").json()
    assert (shown["prefix"], shown["managed_by"], shown["firm"]) == ("boulangerie-martin", firm.slug, False)


@pytest.mark.parametrize(
    ("prefix", "expected"), [("acme", "acme-2"), ("api", "api-2"), ("Société Générale", "societe-generale")]
)
def test_a_taken_reserved_or_loose_prefix_becomes_a_free_address(firm_owner_api, acme, prefix, expected):
    response = create(firm_owner_api, account={"prefix": prefix}, company={"name": "Client"})
    assert response.status_code == 201, response.json()
    assert response.json()["prefix"] == expected
    assert Account.objects.filter(slug=expected, name="Client").exists()


def test_without_a_prefix_the_address_comes_from_the_company_name(firm_owner_api):
    response = create(firm_owner_api, company={"name": "Garage Dubois"})
    assert response.status_code == 201
    assert response.json()["prefix"] == "garage-dubois"


def test_a_user_sent_along_is_added_as_administrator(firm_owner_api):
    response = create(
        firm_owner_api,
        account={"prefix": "garage"},
        company={"name": "Garage Dubois"},
        user={"login": "paul", "email": "paul@garage.test", "password": NEW_PASSWORD},
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["login"], response.json()["email"]) == ("paul@garage.test", "paul@garage.test")
    membership = Membership.objects.get(account__slug="garage", user__email="paul@garage.test")
    assert membership.role == permissions.ROLE_ADMIN
    assert membership.user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"company": {"name": "X", "tax_no": "123456789"}}, "company.tax_no"),
        ({"company": {"name": "X", "bank_account": "FR00"}}, "company.bank_account"),
        ({"company": {"name": "X", "country": "ZZ"}}, "company.country"),
        ({"company": {"name": ""}}, "company.name"),
        ({"company": {"name": "X"}, "user": {"email": "not-an-email"}}, "user.email"),
        ({"company": {"name": "X"}, "user": {"email": "a@b.test", "password": "123"}}, "user.password"),
        ({"account": {}}, "company.name"),
        ({"company": "x"}, "company"),
        ({"company": {"name": ["x"]}}, "company.name"),
    ],
)
def test_refused_input_creates_nothing(firm_owner_api, firm, body, field):
    before = Account.objects.count()
    response = create(firm_owner_api, **body)
    assert response.status_code == 422, response.json()
    assert field in response.json()["message"]
    assert Account.objects.count() == before


def test_only_a_firm_creates_client_accounts(owner_api, acme, firm, partner):
    response = create(owner_api, company={"name": "X"})
    assert response.status_code == 422
    assert "cabinets comptables" in response.json()["message"]
    # A firm member whose role lacks firm.manage is refused with a 403.
    staff = make_user("sam@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=staff, role=permissions.ROLE_MEMBER)
    response = create(Api(token_of(staff, firm)), company={"name": "X"})
    assert response.status_code == 403
    assert not Account.objects.filter(name="X").exists()


def test_without_a_token_the_account_api_answers_401(firm):
    response = HttpClient().post("/account.json", "{}", content_type="application/json")
    assert response.status_code == 401


# --- GET /account.json ------------------------------------------------------------------------------


def test_get_describes_the_tokens_account(owner_api, acme):
    data = owner_api.get("/account.json").json()
    assert (data["prefix"], data["name"], data["plan"], data["managed_by"]) == (
        "acme",
        "ACME SAS",
        "pro",
        None,
    )
    assert data["subscription_ends_on"] == "2099-12-31"
    assert data["locked_until"] is None


# --- POST /account/add_user.json --------------------------------------------------------------------


@pytest.fixture
def client_api(firm_owner_api):
    data = create(firm_owner_api, account={"prefix": "garage"}, company={"name": "Garage Dubois"}).json()
    return Api(data["api_token"])


def test_add_user_creates_a_user_with_a_password(client_api):
    response = client_api.post(
        "/account/add_user.json",
        {
            "user": {
                "invite": False,
                "email": "Paul@Garage.test",
                "password": NEW_PASSWORD,
                "role": "accountant",
            }
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "success"
    membership = Membership.objects.get(account__slug="garage", user__email="paul@garage.test")
    assert membership.role == permissions.ROLE_ACCOUNTANT
    assert membership.user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(account=membership.account, action="member.added").exists()


def test_add_user_invites_an_existing_user_with_a_custom_role(client_api, outsider):
    account = Account.objects.get(slug="garage")
    role = Role.objects.create(account=account, name="Saisie", permissions=["sales.view"])
    response = client_api.post(
        "/account/add_user.json",
        {"user": {"invite": "true", "email": outsider.email, "role": f"role_{role.pk}"}},
    )
    assert response.status_code == 201, response.json()
    membership = Membership.objects.get(account=account, user=outsider)
    assert (membership.role, membership.custom_role) == (permissions.ROLE_CUSTOM, role)
    assert any(outsider.email in message.to for message in mail.outbox)


def test_add_user_invites_as_the_readme_shows_whatever_password_it_sends(client_api, outsider):
    # The README's example: invite true, with a password an invited user does not need.
    user = {"invite": True, "email": "new@garage.test", "password": "Password123", "role": "member"}
    response = client_api.post("/account/add_user.json", {"user": {**user, "department_ids": []}})
    assert response.status_code == 201, response.json()
    membership = Membership.objects.get(account__slug="garage", user__email="new@garage.test")
    assert not membership.user.has_usable_password()  # they choose it from the invitation
    assert any("new@garage.test" in message.to for message in mail.outbox)
    existing = client_api.post(
        "/account/add_user.json", {"user": {**user, "email": outsider.email, "password": "x"}}
    )
    assert existing.status_code == 201
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD) and not outsider.check_password("x")


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"email": "x@y.test", "password": NEW_PASSWORD, "role": "boss"}, "user.role"),
        ({"email": "x@y.test", "password": NEW_PASSWORD, "role": "role_999999999"}, "user.role"),
        ({"email": "x@y.test", "invite": False}, "user.password"),
        ({"email": "x@y.test", "invite": "maybe"}, "user.invite"),
        ({"email": "nope", "password": NEW_PASSWORD}, "user.email"),
        ({"email": "olivia@acme.test", "invite": True, "role": "member"}, "user.email"),
    ],
)
def test_add_user_refuses_bad_input(client_api, owner, user, field):
    if user["email"] == owner.email:  # already a user of the account
        client_api.post("/account/add_user.json", {"user": {"email": owner.email, "invite": True}})
    before = Membership.objects.count()
    response = client_api.post("/account/add_user.json", {"user": user})
    assert response.status_code == 422, response.json()
    assert field in response.json()["message"]
    assert Membership.objects.count() == before


def test_add_user_needs_the_users_permission(collaborator_api, acme):
    response = collaborator_api.post(
        "/account/add_user.json", {"user": {"email": "z@z.test", "invite": True}}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(account=acme, user__email="z@z.test").exists()


# --- PATCH /account/unlink.json ---------------------------------------------------------------------


def test_unlink_disconnects_the_firms_client_accounts(firm_owner_api, client_api, firm, acme):
    response = patch(firm_owner_api, "/account/unlink.json", {"prefix": ["garage", "acme", "nowhere"]})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "code": "success",
        "message": response.json()["message"],
        "result": {"unlinked": ["garage"], "not_unlinked": ["acme", "nowhere"]},
    }
    assert Account.objects.get(slug="garage").managed_by is None
    assert AuditEvent.objects.filter(account=firm, action="firm.client_account_disconnected").exists()


def test_unlink_with_nothing_to_unlink_is_a_422_listing_the_prefixes(firm_owner_api, client_api):
    response = patch(firm_owner_api, "/account/unlink.json", {"prefix": "acme"})
    assert response.status_code == 422
    assert response.json()["code"] == "error"
    assert response.json()["result"] == {"not_unlinked": ["acme"]}
    assert Account.objects.get(slug="garage").managed_by is not None


@pytest.mark.parametrize(
    "body", [{}, {"prefix": []}, {"prefix": {"a": 1}}, {"prefix": [["x"]]}, {"prefix": None}]
)
def test_unlink_refuses_bad_input(firm_owner_api, client_api, body):
    response = patch(firm_owner_api, "/account/unlink.json", body)
    assert response.status_code == 422
    assert Account.objects.get(slug="garage").managed_by is not None


def test_only_the_firm_unlinks(owner_api, client_api):
    response = patch(owner_api, "/account/unlink.json", {"prefix": "garage"})
    assert response.status_code == 422
    assert Account.objects.get(slug="garage").managed_by is not None


# --- POST /login.json -------------------------------------------------------------------------------


def login(**body):
    return HttpClient().post("/login.json", json.dumps(body), content_type="application/json")


def test_login_answers_a_token_of_the_users_account(owner, acme):
    response = login(login=owner.email, password=PASSWORD, integration_token="ignored")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["login"], data["email"], data["prefix"]) == (owner.email, owner.email, "acme")
    assert (data["first_name"], data["last_name"]) == ("Olivia", "Martin")
    assert Api(data["api_token"]).get("/account.json").json()["prefix"] == "acme"
    assert ApiToken.objects.filter(membership__user=owner).count() == 1


def test_every_login_answers_the_same_token_until_it_is_revoked(owner, acme):
    profile_token = token_of(owner, acme)  # made on the profile page: shown once, never answered again

    first = login(login=owner.email, password=PASSWORD).json()["api_token"]
    second = login(login=owner.email, password=PASSWORD).json()["api_token"]

    assert first == second != profile_token
    assert ApiToken.objects.filter(membership__user=owner).count() == 2
    assert AuditEvent.objects.filter(account=acme, action="token.created").count() == 2
    token = resolve_api_token(first)
    assert token is not None
    membership = Membership.objects.get(user=owner, account=acme)
    revoke_api_token(Actor(user=owner, membership=membership), token)

    third = login(login=owner.email, password=PASSWORD).json()["api_token"]

    assert third != first
    assert Api(first).get("/account.json").status_code == 401
    assert Api(third).get("/account.json").status_code == 200
    assert login(login=owner.email, password=PASSWORD).json()["api_token"] == third


def test_the_login_token_is_one_per_account(firm_accountant, acme):
    in_acme = login(login=firm_accountant.email, password=PASSWORD, prefix="acme").json()["api_token"]
    in_firm = login(login=firm_accountant.email, password=PASSWORD).json()["api_token"]

    assert in_acme.endswith("/acme") and in_firm.endswith("/cabinet-dupont")
    assert in_acme.partition("/")[0] != in_firm.partition("/")[0]
    assert login(login=firm_accountant.email, password=PASSWORD, prefix="acme").json()["api_token"] == in_acme


def test_login_picks_the_account_named_by_prefix(firm_accountant, acme):
    data = login(login=firm_accountant.email, password=PASSWORD, prefix="acme").json()
    assert data["prefix"] == "acme"
    data = login(login=firm_accountant.email, password=PASSWORD).json()
    assert data["prefix"] == "cabinet-dupont"  # the account they own


def test_a_wrong_password_is_a_401_and_repeated_failures_a_429(owner, acme, settings):
    response = login(login=owner.email, password="wrong")
    assert response.status_code == 401
    assert response.json()["code"] == "error"
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        login(login=owner.email, password="wrong")
    response = login(login=owner.email, password=PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 60
    assert not ApiToken.objects.filter(membership__user=owner).exists()


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "[]",
        "null",
        "{}",
        '{"login": ["x"], "password": "y"}',
        '{"login": "a\\u0000b", "password": "y"}',
        '{"login": "x", "password": {"a": 1}}',
        '{"login": "' + "x" * 5000 + '", "password": "y"}',
        '{"login": "\\ud800", "password": "y"}',
    ],
)
def test_no_malformed_login_yields_a_500(raw, db):
    response = HttpClient().post(
        "/login.json", raw.encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert response.status_code in (400, 401, 422), response.content
    assert response.json()["code"] == "error"


@pytest.mark.parametrize(
    "raw",
    ["{", "[]", "null", '{"account": []}', '{"company": {"name": "\\ud800"}}', '{"user": 5}', "[" * 100000],
)
def test_no_malformed_account_body_yields_a_500(firm_owner_api, firm, raw):
    before = Account.objects.count()
    response = HttpClient().post(
        f"/account.json?api_token={firm_owner_api.token}",
        raw.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["code"] == "error"
    assert Account.objects.count() == before


def test_account_delete_answers_a_422_saying_why_and_deletes_nothing(owner_token, acme):
    # The README's call, as written: the token in the body.
    response = HttpClient().post(
        "/account/delete.json", json.dumps({"api_token": owner_token}), content_type="application/json"
    )
    assert response.status_code == 422
    assert "conservées dix ans" in response.json()["message"]["account"][0]
    assert Account.objects.filter(pk=acme.pk).exists()
    assert HttpClient().post("/account/delete.json", "{}", content_type="application/json").status_code == 401
