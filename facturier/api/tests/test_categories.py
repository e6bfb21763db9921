"""`/categories.json` and `/categories/{id}.json`: the account's expense categories, through the
categories services of purchases."""

import pytest
from django.test import Client as HttpClient

from facturier.accounts.models import User
from facturier.api.tests.conftest import Api, token_of
from facturier.billing.models import Client
from facturier.purchases.models import ExpenseCategory
from facturier.purchases.tests.conftest import make_expense
from facturier.tenancy import permissions
from facturier.tenancy.models import AuditEvent, Membership, Role


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


def test_create_answers_201_and_records_an_audit_event(owner_api, acme, categories):
    response = owner_api.post(
        "/categories.json",
        {"category": {"id": None, "name": "Voyages", "accounting_id": "625 100", "description": "x"}},
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    category = ExpenseCategory.objects.get(account=acme, name="Voyages")
    assert data == {"id": category.pk, "name": "Voyages", "description": "", "accounting_id": "625100"}
    assert AuditEvent.objects.filter(account=acme, action="category.created", target="Voyages").exists()


def test_a_category_sent_with_only_a_name_posts_to_6288(owner_api, acme):
    response = owner_api.post("/categories.json", {"category": {"name": "Divers"}})
    assert response.status_code == 201
    assert response.json()["accounting_id"] == "6288"


@pytest.mark.parametrize(
    ("category", "field"),
    [
        ({"accounting_id": "606"}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "Fournitures", "accounting_id": "606"}, "name"),
        ({"name": "fournitures", "accounting_id": "606"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ventes", "accounting_id": "706"}, "accounting_id"),
        ({"name": "Ventes", "accounting_id": "6a"}, "accounting_id"),
        ({"name": "Ventes", "accounting_id": "6" * 21}, "accounting_id"),
        ({"name": "Ventes", "accounting_id": ""}, "accounting_id"),
        ({"name": {"a": 1}}, "name"),
        ({"name": "a\u0000b"}, "name"),
    ],
)
def test_a_refused_value_gets_422_naming_the_api_field(owner_api, acme, categories, category, field):
    response = owner_api.post("/categories.json", {"category": category})
    assert response.status_code == 422, response.json()
    assert list(response.json()["message"]) == [field]
    assert ExpenseCategory.objects.filter(account=acme).count() == 2


def test_update_renames_and_changes_the_account(owner_api, acme, categories):
    path = f"/categories/{categories[0].pk}.json"
    response = owner_api.put(path, {"category": {"name": "Petit matériel", "accounting_id": "6063"}})
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["accounting_id"]) == ("Petit matériel", "6063")
    event = AuditEvent.objects.get(account=acme, action="category.changed")
    assert event.changes == {"name": ["Fournitures", "Petit matériel"], "accounting_code": ["6064", "6063"]}
    response = owner_api.http.patch(
        f"{path}?api_token={owner_api.token}",
        {"category": {"name": "Loyers"}},
        content_type="application/json",
    )
    assert (response.status_code, list(response.json()["message"])) == (422, ["name"])


def test_sending_back_the_object_read_changes_nothing(owner_api, acme, categories):
    path = f"/categories/{categories[0].pk}.json"
    read = owner_api.get(path).json()
    response = owner_api.put(path, {"category": read})
    assert (response.status_code, response.json()) == (200, read)
    assert not AuditEvent.objects.filter(account=acme, action="category.changed").exists()


def test_delete_answers_ok(owner_api, acme, categories):
    response = owner_api.delete(f"/categories/{categories[1].pk}.json")
    assert (response.status_code, response.json()) == (200, "ok")
    assert not ExpenseCategory.objects.filter(pk=categories[1].pk).exists()
    assert AuditEvent.objects.filter(account=acme, action="category.deleted", target="Loyers").exists()


def test_a_category_in_use_cannot_be_deleted(owner_api, owner, acme, categories):
    supplier = Client.objects.create(account=acme, kind=Client.Kind.SUPPLIER, name="Bureau Vallée")
    make_expense(acme, owner, supplier, category_id=categories[0].pk)
    response = owner_api.delete(f"/categories/{categories[0].pk}.json")
    assert response.status_code == 422
    assert "1 dépense" in response.json()["message"]
    assert ExpenseCategory.objects.filter(pk=categories[0].pk).exists()


def test_writes_follow_the_role_and_the_account(collaborator_api, outsider_api, acme, categories):
    # Utilisateur: may create and edit expenses (so categories), not delete them.
    assert collaborator_api.delete(f"/categories/{categories[0].pk}.json").status_code == 403
    assert collaborator_api.post("/categories.json", {"category": {"name": "Voyages"}}).status_code == 201
    for method, args in (("put", ({"category": {"name": "X"}},)), ("delete", ())):
        response = getattr(outsider_api, method)(f"/categories/{categories[0].pk}.json", *args)
        assert (response.status_code, response.json()["message"]) == (404, "Not Found")
    categories[0].refresh_from_db()
    assert categories[0].name == "Fournitures"


def test_a_read_only_account_refuses_category_writes(owner_api, acme, categories):
    acme.subscription_ends_on = acme.today().replace(year=2000)
    acme.save()
    response = owner_api.post("/categories.json", {"category": {"name": "Voyages"}})
    assert response.status_code == 422
    assert not ExpenseCategory.objects.filter(account=acme, name="Voyages").exists()


@pytest.mark.parametrize(
    "raw",
    ["{", "[]", "null", '{"category": "x"}', '{"category": []}', '{"category": {"name": ["a"]}}',
     '{"category": {"name": "\\ud800"}}', '{"category": {"name": "A", "accounting_id": 6.5}}',
     '{"category": {"name": "A", "accounting_id": "1e999"}}', "[" * 100000],
)  # fmt: skip
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_no_malformed_body_yields_a_500(owner_token, acme, categories, raw, method):
    path = "/categories.json" if method == "post" else f"/categories/{categories[0].pk}.json"
    response = getattr(HttpClient(), method)(
        f"{path}?api_token={owner_token}",
        raw.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["code"] == "error"
    assert ExpenseCategory.objects.filter(account=acme).count() == 2
