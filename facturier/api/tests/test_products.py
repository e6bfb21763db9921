"""`/products.json` and `/products/{id}.json`, through the products service."""

from decimal import Decimal

import pytest

from facturier.billing.models import Product, SupplyKind
from facturier.billing.tests.factories import make_product
from facturier.lib import vat
from facturier.tenancy.models import AuditEvent


@pytest.fixture
def conseil(acme):
    return make_product(acme, name="Conseil", code="CNS", unit="h")


def test_show_gives_both_prices_as_decimal_strings(owner_api, conseil):
    response = owner_api.get(f"/products/{conseil.pk}.json")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == conseil.pk
    assert (data["price_net"], data["price_gross"], data["price_tax"]) == ("100.00", "120.00", "20.00")
    assert data["tax"] == "20"
    assert data["quantity_unit"] == "h"
    assert data["code"] == "CNS"
    assert data["service"] is True
    assert data["disabled"] is False


def test_create_with_a_gross_price_and_a_decimal_comma(owner_api, acme):
    response = owner_api.post(
        "/products.json",
        {"product": {"name": "Livre", "price_gross": "10,55", "tax": "5,5", "service": "0", "id": None}},
    )
    assert response.status_code == 201, response.json()
    product = Product.objects.get(account=acme)
    assert (product.unit_price, product.price_is_gross) == (Decimal("10.55"), True)
    assert product.vat_rate == Decimal("5.5")
    assert product.supply_kind == SupplyKind.GOODS
    assert response.json()["price_gross"] == "10.55"
    assert response.json()["price_net"] == "10.00"


def test_create_with_a_net_price(owner_api, acme):
    response = owner_api.post("/products.json", {"product": {"name": "Audit", "price_net": 250, "tax": 20}})
    assert response.status_code == 201
    product = Product.objects.get(account=acme)
    assert (product.unit_price, product.price_is_gross) == (Decimal("250"), False)


@pytest.mark.parametrize(
    ("tax", "category"), [("zw", vat.EXEMPT), ("np", vat.OUTSIDE_SCOPE), ("0", vat.EXEMPT)]
)
def test_tax_symbols_map_to_a_vat_category_without_rate(owner_api, acme, tax, category):
    response = owner_api.post("/products.json", {"product": {"name": "P", "price_net": "1", "tax": tax}})
    assert response.status_code == 201, response.json()
    product = Product.objects.get(account=acme)
    assert (product.vat_rate, product.vat_category) == (Decimal("0"), category)


def test_an_unknown_rate_gets_422_on_the_tax_field(owner_api, acme):
    response = owner_api.post("/products.json", {"product": {"name": "P", "tax": "23"}})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["tax"]


def test_a_product_needs_a_name(owner_api, acme):
    response = owner_api.post("/products.json", {"product": {"price_net": "1"}})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["name"]


def test_update_with_a_gross_price_derives_the_net_one(owner_api, conseil):
    response = owner_api.put(f"/products/{conseil.pk}.json", {"product": {"price_gross": "60"}})
    assert response.status_code == 200
    assert (response.json()["price_net"], response.json()["price_gross"]) == ("50.00", "60.00")


def test_sending_back_the_object_read_changes_nothing(owner_api, conseil, acme):
    read = owner_api.get(f"/products/{conseil.pk}.json").json()
    response = owner_api.put(f"/products/{conseil.pk}.json", {"product": read})
    assert response.status_code == 200
    conseil.refresh_from_db()
    assert (conseil.unit_price, conseil.price_is_gross) == (Decimal("100.00"), False)
    assert not AuditEvent.objects.filter(account=acme, action="product.changed").exists()


def test_disabled_archives_and_restores(owner_api, conseil):
    assert owner_api.put(f"/products/{conseil.pk}.json", {"product": {"disabled": "yes"}}).json()["disabled"]
    assert owner_api.get("/products.json").json() == []
    assert [p["id"] for p in owner_api.get("/products.json?filter=disabled").json()] == [conseil.pk]
    assert not owner_api.put(f"/products/{conseil.pk}.json", {"product": {"disabled": 0}}).json()["disabled"]


def test_the_list_filters_by_ids(owner_api, conseil, acme):
    other = make_product(acme, name="Formation")
    make_product(acme, name="Audit")
    rows = owner_api.get(f"/products.json?ids={conseil.pk},{other.pk}").json()
    assert [row["id"] for row in rows] == [conseil.pk, other.pk]
    rows = owner_api.get(f"/products.json?ids[]={other.pk}").json()
    assert [row["id"] for row in rows] == [other.pk]
    assert owner_api.get("/products.json?ids=abc").status_code == 422


def test_delete_answers_ok(owner_api, conseil):
    response = owner_api.delete(f"/products/{conseil.pk}.json")
    assert (response.status_code, response.json()) == (200, "ok")
    assert not Product.objects.filter(pk=conseil.pk).exists()


def test_permissions_follow_the_role(collaborator_api, firm_api, conseil):
    assert collaborator_api.put(f"/products/{conseil.pk}.json", {"product": {"name": "X"}}).status_code == 200
    assert collaborator_api.delete(f"/products/{conseil.pk}.json").status_code == 403
    assert firm_api.get("/products.json").status_code == 200
    assert firm_api.post("/products.json", {"product": {"name": "Y"}}).status_code == 403
    assert Product.objects.filter(pk=conseil.pk).exists()


def test_an_outsider_gets_a_404(outsider_api, conseil):
    assert outsider_api.get(f"/products/{conseil.pk}.json").status_code == 404
    assert outsider_api.delete(f"/products/{conseil.pk}.json").status_code == 404
    assert outsider_api.get("/products.json").json() == []


@pytest.mark.parametrize(
    "product",
    [
        {"name": "P", "price_net": "1e999999"},
        {"name": "P", "price_net": "-5"},
        {"name": "P", "price_net": "99999999999999999"},
        {"name": "P", "price_net": "0.00001"},
        {"name": "P", "price_gross": "abc"},
        {"name": "P", "tax": {"rate": 20}},
        {"name": "P", "tax": "1e30"},
        {"name": "P", "service": "peut-être"},
        {"name": "P", "code": "x" * 500},
        {"name": ["P"]},
        {"name": "P", "disabled": [1]},
    ],
)
def test_no_bad_value_yields_a_500(owner_api, conseil, acme, product):
    for response in [
        owner_api.post("/products.json", {"product": product}),
        owner_api.put(f"/products/{conseil.pk}.json", {"product": product}),
    ]:
        assert response.status_code == 422, response.json()
        assert response.json()["code"] == "error"
    conseil.refresh_from_db()
    assert conseil.name == "Conseil"
    assert Product.objects.filter(account=acme).count() == 1


def test_a_duplicate_code_is_refused(owner_api, conseil):
    response = owner_api.post("/products.json", {"product": {"name": "Autre", "code": "cns"}})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["code"]


# --- By code ----------------------------------------------------------------------------------------


def test_the_readmes_update_by_code_finds_the_product_by_its_code(owner_api, acme):
    product = make_product(acme, name="Produit", code="REFABC")
    # The README's body, as written ("find_by" beside the wrapper key).
    body = {
        "find_by": "code",
        "product": {"name": "Product A", "tax": "20", "price_gross": "102", "description": "Test 123"},
    }
    response = owner_api.put("/products/REFABC.json", body)
    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["name"]) == (product.pk, "Product A")
    product.refresh_from_db()
    assert (product.name, product.price_is_gross, product.unit_price) == ("Product A", True, Decimal("102"))


def test_a_numeric_code_is_a_code_with_find_by(owner_api, acme):
    product = make_product(acme, name="Produit", code="1001")
    response = owner_api.put("/products/1001.json", {"find_by": "code", "product": {"name": "Renamed"}})
    assert response.status_code == 200, response.json()
    assert Product.objects.get(pk=product.pk).name == "Renamed"
    assert owner_api.get("/products/1001.json?find_by=code").json()["id"] == product.pk


def test_a_code_without_find_by_or_of_another_account_is_a_json_404(owner_api, acme, globex):
    make_product(acme, name="Produit", code="REFABC")
    make_product(globex, name="Theirs", code="THEIRS")
    assert owner_api.get("/products/REFABC.json").status_code == 404
    response = owner_api.put("/products/THEIRS.json", {"find_by": "code", "product": {"name": "x"}})
    assert (response.status_code, response.json()["code"]) == (404, "error")
    assert owner_api.delete("/products/THEIRS.json?find_by=code").status_code == 404


def test_the_list_finds_a_product_by_its_exact_code(owner_api, acme):
    make_product(acme, name="A", code="A001")
    make_product(acme, name="B", code="A0012")
    assert [p["name"] for p in owner_api.get("/products.json?code=A001").json()] == ["A"]


def test_a_code_with_leading_zeros_or_another_case_finds_its_product(owner_api, acme):
    product = make_product(acme, name="Agent", code="007")
    make_product(acme, name="Sept", code="7")
    assert owner_api.get("/products/007.json?find_by=code").json()["id"] == product.pk
    refabc = make_product(acme, name="Produit", code="REFABC")
    assert owner_api.get("/products/refabc.json?find_by=code").json()["id"] == refabc.pk
    assert owner_api.get(f"/products/{product.pk}.json").json()["id"] == product.pk
