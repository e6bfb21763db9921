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


# --- Form-encoded bodies ------------------------------------------------------------------------------


def form_post(client, path, body):
    return client.post(path, body, content_type="application/x-www-form-urlencoded")


def test_a_form_encoded_invoice_is_read_like_its_json(owner_token, acme):
    from django.test import Client as HttpClient

    body = (
        f"api_token={owner_token}&invoice[kind]=vat&invoice[buyer_name]=Client+Untel"
        "&invoice[positions][][name]=Produit+A1&invoice[positions][][tax]=20"
        "&invoice[positions][][total_price_gross]=24,00&invoice[positions][][quantity]=2"
        "&invoice[positions][][name]=Produit+A2&invoice[positions][][tax]=20"
        "&invoice[positions][][price_net]=10&invoice[positions][][quantity]=1"
    )
    response = form_post(HttpClient(enforce_csrf_checks=True), "/invoices.json", body)

    assert response.status_code == 201, response.json()
    data = response.json()
    assert [(p["name"], p["quantity"]) for p in data["positions"]] == [
        ("Produit A1", "2"),
        ("Produit A2", "1"),
    ]
    assert data["buyer_name"] == "Client Untel"
    assert Document.objects.filter(account=acme).count() == 1


def test_indexed_positions_of_a_form_are_read_in_order(owner_api, dupont):
    body = (
        f"invoice[client_id]={dupont.pk}&invoice[positions][0][name]=A&invoice[positions][0][price_net]=1"
        "&invoice[positions][1][name]=B&invoice[positions][1][price_net]=2"
    )
    response = form_post(owner_api.http, f"/invoices.json?api_token={owner_api.token}", body)

    assert response.status_code == 201, response.json()
    assert [p["name"] for p in response.json()["positions"]] == ["A", "B"]


def test_json_sent_with_curls_default_form_label_is_still_json(owner_api):
    response = form_post(
        owner_api.http, f"/clients.json?api_token={owner_api.token}", '{"client": {"name": "Dupont"}}'
    )

    assert response.status_code == 201


@pytest.mark.parametrize("body", ["invoice[kind]=vat&invoice=x", "a[b]=1&a[]=2", "a[b[c]=1"])
def test_a_form_whose_keys_contradict_each_other_is_a_400(owner_api, body):
    response = form_post(owner_api.http, f"/invoices.json?api_token={owner_api.token}", body)

    assert response.status_code == 400
    assert response.json()["code"] == "error"


# --- Indexed query parameters -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["kinds[]=estimate&kinds[]=proforma", "kinds[0]=estimate&kinds[1]=proforma",
                                   "kinds=estimate,proforma", "kinds[1]=proforma&kinds[0]=estimate"])  # fmt: skip
def test_kinds_filter_the_list_in_every_form_of_a_list_parameter(owner_api, dupont, query):
    for kind in ("vat", "estimate", "proforma"):
        response = owner_api.post(
            "/invoices.json",
            {"invoice": {"kind": kind, "client_id": dupont.pk, "positions": [{"name": "A", "price_net": 1}]}},
        )
        assert response.status_code == 201, response.json()

    listed = owner_api.get(f"/invoices.json?{query}").json()

    assert sorted(row["kind"] for row in listed) == ["estimate", "proforma"]


def test_indexed_invoice_ids_filter_the_list(owner_api, dupont):
    ids = [
        owner_api.post(
            "/invoices.json",
            {"invoice": {"client_id": dupont.pk, "positions": [{"name": "A", "price_net": 1}]}},
        ).json()["id"]
        for _ in range(3)
    ]

    listed = owner_api.get(f"/invoices.json?invoice_ids[0]={ids[0]}&invoice_ids[1]={ids[2]}").json()

    assert sorted(row["id"] for row in listed) == [ids[0], ids[2]]
