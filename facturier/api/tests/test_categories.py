"""`/categories.json`: the account's expense categories, read-only for now."""

import pytest

from facturier.accounts.models import User
from facturier.api.tests.conftest import Api, token_of
from facturier.purchases.models import ExpenseCategory
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role


@pytest.fixture
def categories(acme, globex):
    ExpenseCategory.objects.create(account=globex, name="Globex", accounting_code="606")
    return [
        ExpenseCategory.objects.create(account=acme, name=name, accounting_code=code)
        for name, code in [("Fournitures", "6064"), ("Loyers", "613")]
    ]


def test_the_list_shows_the_accounts_categories(owner_api, categories):
    rows = owner_api.get("/categories.json").json()
    assert [(row["id"], row["name"], row["accounting_id"]) for row in rows] == [
        (categories[0].pk, "Fournitures", "6064"),
        (categories[1].pk, "Loyers", "613"),
    ]


def test_the_list_filters_by_ids(owner_api, categories):
    rows = owner_api.get(f"/categories.json?ids={categories[1].pk}").json()
    assert [row["name"] for row in rows] == ["Loyers"]


def test_show_and_the_outsiders_404(owner_api, outsider_api, categories):
    assert owner_api.get(f"/categories/{categories[0].pk}.json").json()["name"] == "Fournitures"
    response = outsider_api.get(f"/categories/{categories[0].pk}.json")
    assert (response.status_code, response.json()) == (404, {"code": "error", "message": "Not Found"})


def test_reading_is_a_permission_of_the_role(acme, categories):
    role = Role.objects.create(account=acme, name="Ventes seules", permissions=["sales.view"])
    user = User.objects.create_user("vera@acme.test", "x" * 12)
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    api = Api(token_of(user, acme))
    assert api.get("/categories.json").status_code == 403
    assert api.get("/clients.json").status_code == 403
    assert api.get("/products.json").status_code == 403


def test_writes_are_not_there_yet(owner_api, categories):
    response = owner_api.post("/categories.json", {"category": {"name": "Voyages"}})
    assert response.status_code == 405
    assert response.json()["code"] == "error"
