"""Bounds on what a user types: prices, quantities and line amounts, negative quantities outside credit
notes, French postal codes; each refused with a French message and nothing stored."""

from decimal import Decimal

import pytest

from facturier.billing.models import Client, Document, Product
from facturier.billing.services.clients import create_client, update_client
from facturier.billing.tests.factories import actor_for, make_client
from facturier.billing.tests.test_document_pages import form_data, url
from facturier.billing.tests.test_products import product_form
from facturier.tenancy.errors import ServiceError

TOO_MUCH = "999\xa0999\xa0999,99\xa0€"


@pytest.fixture
def buyer(acme):
    return make_client(acme)


def test_a_product_priced_beyond_a_billion_is_refused(owner_client, acme):
    response = owner_client.post(url("product_new"), product_form(unit_price="99999999999999"))

    assert response.status_code == 200
    assert f"Le prix unitaire ne peut dépasser {TOO_MUCH}." in response.text
    assert not Product.objects.filter(account=acme).exists()


def test_a_product_at_the_bound_is_accepted(owner_client, acme):
    owner_client.post(url("product_new"), product_form(unit_price="999999999,99"))

    assert Product.objects.get(account=acme).unit_price == Decimal("999999999.99")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quantity": "1000000"}, "La quantité ne peut dépasser 999\xa0999,9999."),
        ({"unit_price": "1000000000"}, f"Le prix unitaire ne peut dépasser {TOO_MUCH}."),
        (
            {"quantity": "1000", "unit_price": "1000000"},
            f"Le montant de la ligne ne peut dépasser {TOO_MUCH}.",
        ),
    ],
)
def test_a_line_beyond_the_bounds_is_refused(owner_client, acme, buyer, values, message):
    response = owner_client.post(url("document_new"), {**form_data(buyer, [values]), "action": "draft"})

    assert response.status_code == 200 and message in response.text
    assert not Document.objects.filter(account=acme).exists()


def test_a_negative_quantity_on_an_invoice_is_refused_and_points_to_the_credit_note(
    owner_client, acme, buyer
):
    lines = [{"quantity": "2"}, {"quantity": "-1"}]

    response = owner_client.post(url("document_new"), {**form_data(buyer, lines), "action": "issue"})

    assert response.status_code == 200
    assert "Quantité négative : pour annuler ou rembourser une vente, faites un avoir" in response.text
    assert not Document.objects.filter(account=acme).exists()


def test_a_discount_is_a_rate_and_is_accepted(owner_client, acme, buyer):
    lines = [{"quantity": "2", "unit_price": "100", "discount_percent": "10"}]

    response = owner_client.post(url("document_new"), {**form_data(buyer, lines), "action": "draft"})

    assert response.status_code == 302
    assert Document.objects.get(account=acme).net_total == Decimal("180.00")


def test_a_french_postal_code_has_five_digits(owner_client, acme, owner):
    response = owner_client.post(
        url("client_quick"),
        {"new_client-is_company": "True", "new_client-name": "Atelier", "new_client-country": "FR",
         "new_client-post_code": "ABCDE"},
    )  # fmt: skip

    assert "Code postal invalide pour ce pays (France) : par exemple 75008." in response.text
    assert not Client.objects.filter(account=acme).exists()
    with pytest.raises(ServiceError):
        make_client(acme, post_code="7500")
    # Elsewhere the format is not checked; a French one is stored as typed.
    assert make_client(acme, country="GB", post_code="SW1A 1AA").post_code == "SW1A 1AA"
    assert create_client(actor_for(acme, owner), acme, name="B", post_code="97400").post_code == "97400"


def test_a_postal_code_stored_before_the_check_stays_while_other_fields_change(acme, owner):
    actor = actor_for(acme, owner)
    client = create_client(actor, acme, name="Ancien", post_code="75002")
    Client.objects.filter(pk=client.pk).update(post_code="F-75008")  # as stored before the check

    renamed = update_client(actor, client, name="Ancien et Fils")
    assert (renamed.name, renamed.post_code) == ("Ancien et Fils", "F-75008")
    with pytest.raises(ServiceError) as refused:
        update_client(actor, client, post_code="F-75009")
    assert refused.value.field == "post_code"
