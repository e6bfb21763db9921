"""The official README's own field values, read as it means them: empty strings, form-encoded bodies,
indexed query parameters and OSS sales."""

import pytest

from facturier.billing.models import Client, Document
from facturier.billing.tests.factories import make_client


@pytest.fixture
def dupont(acme):
    return make_client(acme)


# --- Empty strings ----------------------------------------------------------------------------------


def test_empty_strings_of_the_readmes_field_list_read_as_absent(owner_api, acme):
    # The values the README's field list shows for the fields left blank.
    body = {
        "kind": "vat",
        "buyer_name": "Client Untel",
        "buyer_country": "",
        "buyer_email": "",
        "buyer_phone": "",
        "seller_country": "",
        "use_oss": "",
        "sell_date": "",
        "payment_to": "",
        "payment_to_kind": "",
        "currency": "",
        "lang": "",
        "positions": [
            {"name": "Produit A1", "tax": 20, "total_price_gross": 24, "quantity": 2, "quantity_unit": ""}
        ],
    }
    response = owner_api.post("/invoices.json", {"invoice": body})

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["currency"], data["buyer_country"], data["use_oss"]) == ("EUR", "FR", False)
    assert data["payment_to"] is not None  # the client's payment terms, as when the key is not sent
    assert Client.objects.get(account=acme, name="Client Untel").country == "FR"


def test_an_empty_date_on_a_draft_update_keeps_the_date(owner_api, dupont):
    created = owner_api.post(
        "/invoices.json",
        {"invoice": {"status": "draft", "client_id": dupont.pk, "sell_date": "2026-11-02",
                     "positions": [{"name": "A", "price_net": 1}]}},
    ).json()  # fmt: skip

    response = owner_api.put(
        f"/invoices/{created['id']}.json", {"invoice": {"sell_date": "", "payment_to": ""}}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["sell_date"] == "2026-11-02"


def test_an_empty_free_text_clears_it_on_update(owner_api, dupont):
    created = owner_api.post(
        "/invoices.json",
        {"invoice": {"status": "draft", "client_id": dupont.pk, "description": "Merci",
                     "positions": [{"name": "A", "price_net": 1}]}},
    ).json()  # fmt: skip

    response = owner_api.put(f"/invoices/{created['id']}.json", {"invoice": {"description": ""}})

    assert response.json()["description"] == ""
    assert Document.objects.get(pk=created["id"]).notes == ""


def test_an_empty_country_of_a_client_reads_as_absent(owner_api, acme):
    response = owner_api.post("/clients.json", {"client": {"name": "Client Untel", "country": ""}})

    assert response.status_code == 201, response.json()
    assert response.json()["country"] == "FR"
    updated = owner_api.put(
        f"/clients/{response.json()['id']}.json", {"client": {"country": "", "city": "Nice"}}
    )
    assert (updated.json()["country"], updated.json()["city"]) == ("FR", "Nice")
