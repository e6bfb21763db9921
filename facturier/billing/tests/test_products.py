"""Products: the services, the list (search, sort, pages), the form, archive and delete."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from facturier.billing.models import DocumentLine, Product
from facturier.billing.services import products as services
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice, make_product
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent


def url(name, *args, slug="acme"):
    return reverse(f"billing:{name}", args=[slug, *args])


def text(response):
    return response.content.decode()


def product_form(**fields):
    data = {
        "name": "Conseil",
        "code": "CONS",
        "unit": "h",
        "unit_price": "85,50",
        "price_is_gross": "False",
        "vat_rate": "20",
        "vat_category": "S",
        "supply_kind": "service",
        "accounting_code": "706000",
    }
    data.update(fields)
    return data


def events(account, action):
    return list(AuditEvent.objects.filter(account=account, action=action))


# (URL name, takes a product's pk, the methods it answers)
PAGES = [
    ("product_list", False, ["get"]),
    ("product_new", False, ["get", "post"]),
    ("product_edit", True, ["get", "post"]),
    ("product_archive", True, ["post"]),
    ("product_delete", True, ["post"]),
]


# --- Who may open the pages ---------------------------------------------------------------------


def test_every_product_url_is_a_404_for_an_outsider(outsider_client, acme):
    product = make_product(acme)
    for name, with_pk, _methods in PAGES:
        args = [product.pk] if with_pk else []
        assert outsider_client.get(url(name, *args)).status_code == 404, name
        assert outsider_client.post(url(name, *args), product_form(name="Piraté")).status_code == 404, name
    product.refresh_from_db()
    assert product.name == "Conseil" and product.archived_at is None
    assert Product.objects.filter(account=acme).count() == 1


def test_a_product_of_another_account_is_a_404(owner_client, globex):
    theirs = make_product(globex, name="Produit de Globex")
    for name, with_pk, methods in PAGES:
        if with_pk:
            for method in methods:
                response = getattr(owner_client, method)(url(name, theirs.pk), product_form())
                assert response.status_code == 404, (name, method)
    assert Product.objects.get(pk=theirs.pk).name == "Produit de Globex"
    assert "Produit de Globex" not in text(owner_client.get(url("product_list")))


def test_a_member_may_create_and_edit_products_but_not_delete_them(collaborator_client, acme):
    product = make_product(acme)

    assert collaborator_client.get(url("product_list")).status_code == 200
    assert collaborator_client.post(url("product_new"), product_form(code="NEW")).status_code == 302
    assert (
        collaborator_client.post(url("product_edit", product.pk), product_form(name="Audit")).status_code
        == 302
    )
    assert collaborator_client.post(url("product_delete", product.pk)).status_code == 403

    product.refresh_from_db()
    assert product.name == "Audit"
    assert Product.objects.filter(account=acme).count() == 2
    assert not events(acme, "product.deleted")
    assert url("product_delete", product.pk) not in text(collaborator_client.get(url("product_list")))


def test_an_accountant_sees_products_but_cannot_change_them(firm_client, acme):
    product = make_product(acme)

    assert firm_client.get(url("product_list")).status_code == 200
    for name, with_pk, _methods in PAGES[1:]:
        args = [product.pk] if with_pk else []
        assert firm_client.post(url(name, *args), product_form(name="Changé")).status_code == 403, name
    product.refresh_from_db()
    assert product.name == "Conseil"


# --- Creating and changing ----------------------------------------------------------------------


def test_creating_a_product_reads_french_decimals_and_records_it(owner_client, acme, owner):
    response = owner_client.post(url("product_new"), product_form(vat_rate="5.5", price_is_gross="True"))

    assert response.status_code == 302
    assert response["Location"] == url("product_list")
    product = Product.objects.get(account=acme)
    assert product.unit_price == Decimal("85.50")
    assert product.vat_rate == Decimal("5.5")
    assert product.price_is_gross is True
    assert (product.code, product.unit, product.supply_kind, product.accounting_code) == (
        "CONS",
        "h",
        "service",
        "706000",
    )
    [event] = events(acme, "product.created")
    assert event.target == "Conseil" and event.actor == owner


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Ce champ est obligatoire."),
        ({"unit_price": "douze"}, "unit_price", "Saisissez un nombre."),
        ({"unit_price": "-5"}, "unit_price", "supérieure ou égale à 0"),
        ({"vat_rate": "19.6"}, "vat_rate", "Sélectionnez un choix valide."),
        ({"vat_rate": "0"}, "vat_rate", "Un taux de 0 % va avec une catégorie sans TVA"),
        ({"vat_category": "E"}, "vat_rate", "Cette catégorie de TVA n&#x27;a pas de taux"),
        ({"supply_kind": "other"}, "supply_kind", "Sélectionnez un choix valide."),
    ],
)
def test_the_form_explains_each_bad_value_next_to_its_field(owner_client, acme, fields, field, message):
    response = owner_client.post(url("product_new"), product_form(**fields))

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert page.index(message) > page.index(f'name="{field}"')
    assert not Product.objects.filter(account=acme).exists()


def test_an_exempt_product_goes_with_the_zero_rate(owner_client, acme):
    owner_client.post(url("product_new"), product_form(vat_rate="0", vat_category="E"))

    product = Product.objects.get(account=acme)
    assert (product.vat_rate, product.vat_category) == (Decimal("0"), "E")


def test_two_products_cannot_share_a_code(owner_client, acme):
    make_product(acme, code="CONS")

    response = owner_client.post(url("product_new"), product_form(code="cons"))

    assert "Un autre produit a déjà la référence « cons »." in text(response)
    assert Product.objects.filter(account=acme).count() == 1


def test_editing_a_product_records_what_changed_before_and_after(owner_client, acme):
    product = make_product(acme, code="CONS", unit_price=Decimal("100"), vat_rate=Decimal("20"))

    page = text(owner_client.get(url("product_edit", product.pk)))
    assert 'value="100,00"' in page and '<option value="20" selected>' in page

    response = owner_client.post(
        url("product_edit", product.pk),
        product_form(unit_price="110", vat_rate="10", unit="h", accounting_code=""),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.unit_price, product.vat_rate) == (Decimal("110"), Decimal("10"))
    [event] = events(acme, "product.changed")
    assert event.changes["unit_price"] == ["100.0000", "110"]
    assert event.changes["vat_rate"] == ["20.00", "10"]
    assert "name" not in event.changes


def test_the_service_checks_the_rules_whoever_calls_it(acme, owner, collaborator):
    actor = actor_for(acme, owner)
    with pytest.raises(ServiceError) as refused:
        services.create_product(actor, acme, name="Conseil", vat_rate=Decimal("19.6"))
    assert refused.value.field == "vat_rate"
    with pytest.raises(ServiceError) as refused:
        services.create_product(actor, acme, name="Conseil", unit_price="1.23456")
    assert refused.value.field == "unit_price"
    with pytest.raises(PermissionDenied):
        services.delete_product(actor_for(acme, collaborator), make_product(acme))
    assert Product.objects.filter(account=acme).count() == 1


# --- Archive, restore, delete -------------------------------------------------------------------


def test_archiving_hides_a_product_and_restoring_brings_it_back(owner_client, acme):
    product = make_product(acme, name="Ancien produit")

    assert owner_client.post(url("product_archive", product.pk), {"action": "archive"}).status_code == 302

    product.refresh_from_db()
    assert product.archived_at is not None
    assert names_in(owner_client.get(url("product_list"))) == []
    assert names_in(owner_client.get(url("product_list"), {"archived": "archived"})) == ["Ancien produit"]
    owner_client.post(url("product_archive", product.pk), {"action": "restore"})
    product.refresh_from_db()
    assert product.archived_at is None
    assert len(events(acme, "product.archived")) == 1
    assert len(events(acme, "product.restored")) == 1


def test_deleting_a_product_leaves_the_documents_that_used_it_unchanged(owner_client, acme):
    product = make_product(acme, name="Conseil")
    invoice = make_invoice(
        acme, make_client(acme), lines=[line("Conseil", "2", "100", "20", product_id=product.pk)]
    )

    response = owner_client.post(url("product_delete", product.pk))

    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    [kept] = DocumentLine.objects.filter(document=invoice)
    assert (kept.product_id, kept.name, kept.net_amount) == (None, "Conseil", Decimal("200.00"))
    [event] = events(acme, "product.deleted")
    assert event.target == "Conseil"


def test_archive_and_delete_only_take_post(owner_client, acme):
    product = make_product(acme)

    assert owner_client.get(url("product_archive", product.pk)).status_code == 405
    assert owner_client.get(url("product_delete", product.pk)).status_code == 405
    assert Product.objects.filter(pk=product.pk, archived_at__isnull=True).exists()


# --- The list -----------------------------------------------------------------------------------


def names_in(response):
    return [product.name for product in response.context["products"]]


def test_the_list_searches_name_and_code(owner_client, acme):
    make_product(acme, name="Conseil", code="CONS")
    make_product(acme, name="Formation", code="FORM-1")

    assert names_in(owner_client.get(url("product_list"), {"q": "conseil"})) == ["Conseil"]
    assert names_in(owner_client.get(url("product_list"), {"q": "form-"})) == ["Formation"]
    assert names_in(owner_client.get(url("product_list"), {"q": "rien"})) == []


def test_the_list_sorts_on_whitelisted_columns_only(owner_client, acme):
    make_product(acme, name="bois", code="B", unit_price=Decimal("30"))
    make_product(acme, name="Acier", code="C", unit_price=Decimal("10"))
    make_product(acme, name="Zinc", code="A", unit_price=Decimal("20"))

    def order(sort):
        return names_in(owner_client.get(url("product_list"), {"sort": sort}))

    assert order("name") == ["Acier", "bois", "Zinc"]
    assert order("-name") == ["Zinc", "bois", "Acier"]
    assert order("code") == ["Zinc", "bois", "Acier"]
    assert order("-price") == ["bois", "Zinc", "Acier"]
    assert order("account_id") == ["Acier", "bois", "Zinc"]


def test_the_list_is_paginated_by_25(owner_client, acme):
    for n in range(27):
        make_product(acme, name=f"Produit {n:02d}")

    assert len(names_in(owner_client.get(url("product_list")))) == 25
    assert names_in(owner_client.get(url("product_list"), {"page": 2})) == ["Produit 25", "Produit 26"]


def test_the_list_shows_prices_and_rates_as_people_write_them(owner_client, acme):
    make_product(acme, name="Livre", unit_price=Decimal("12.345"), vat_rate=Decimal("5.5"), unit="")
    make_product(acme, name="Export", unit_price=Decimal("100"), vat_rate=Decimal("0"), vat_category="G")

    page = text(owner_client.get(url("product_list")))

    assert "12,345&nbsp;€</span> HT" in page and "5,5 %" in page
    assert "100,00&nbsp;€</span> HT" in page and "Exportation hors UE" in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_whatever_the_number_of_products(
    owner_client, acme, count, django_assert_num_queries
):
    for n in range(count):
        make_product(acme, name=f"Produit {n}")
    owner_client.get(url("product_list"))

    # session, user, the gate's membership, count, the page's rows
    with django_assert_num_queries(5):
        response = owner_client.get(url("product_list"), {"q": "produit", "sort": "-price"})
    assert len(response.context["products"]) == min(count, 25)
