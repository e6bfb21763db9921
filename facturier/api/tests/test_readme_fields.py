"""The official README's own field values, read as it means them: empty strings, form-encoded bodies,
indexed query parameters and OSS sales."""

from decimal import Decimal

import pytest

from facturier.billing.models import Client, Document
from facturier.billing.tests.factories import make_client

pytestmark = pytest.mark.usefixtures("without_legal_mentions")


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


# --- OSS sales ----------------------------------------------------------------------------------------


def oss_readme_invoice(**fields):
    """The invoice of the README's OSS examples (vosfactures-README.md, "Créer une facture OSS")."""
    invoice = {
        "kind": "vat",
        "seller_name": "Société A",
        "seller_country": "FR",
        "buyer_name": "Client Y",
        "buyer_country": "PL",
        "positions": [{"name": "Produit AB", "tax": 23, "total_price_gross": 1.23, "quantity": 1}],
    }
    return {**invoice, **fields}


def lines_of(response):
    document = Document.objects.get(pk=response.json()["id"])
    return [(line.vat_country, line.vat_rate, line.gross_amount) for line in document.lines.all()]


def test_use_oss_puts_the_buyers_country_vat_on_the_lines(owner_api):
    response = owner_api.post(
        "/invoices.json", {"api_token": owner_api.token, "invoice": oss_readme_invoice(use_oss=True)}
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["use_oss"], data["price_gross"], data["price_net"]) == (True, "1.23", "1.00")
    assert data["positions"][0]["tax"] == "23"
    assert lines_of(response) == [("PL", Decimal("23"), Decimal("1.23"))]


def test_identify_oss_makes_an_oss_sale_when_the_rules_are_met(owner_api):
    response = owner_api.post(
        "/invoices.json",
        {"api_token": owner_api.token, "identify_oss": True, "invoice": oss_readme_invoice()},
    )

    assert response.status_code == 201, response.json()
    assert response.json()["use_oss"] is True
    assert lines_of(response) == [("PL", Decimal("23"), Decimal("1.23"))]


def test_oss_force_tax_puts_the_destinations_rate_in_place_of_the_one_sent(owner_api):
    invoice = oss_readme_invoice(
        seller_name="Test", buyer_name="Client",
        positions=[{"name": "Product", "tax": 20, "total_price_gross": 1.23, "quantity": 1}],
    )  # fmt: skip
    body = {"api_token": owner_api.token, "identify_oss": True, "oss_force_tax": True, "invoice": invoice}
    response = owner_api.post("/invoices.json", body)

    assert response.status_code == 201, response.json()
    assert response.json()["use_oss"] is True
    # The gross the buyer paid stays; the Polish standard rate replaces the French one sent.
    assert lines_of(response) == [("PL", Decimal("23"), Decimal("1.23"))]


def test_identify_oss_keeps_an_ordinary_sale_when_the_buyer_is_not_abroad(owner_api):
    # Fakturownia's example, from a Polish seller to a French buyer: for a French account, a domestic sale.
    invoice = {
        "kind": "vat", "seller_name": "Wystawca Sp. z o.o.", "seller_country": "PL",
        "buyer_name": "Klient1 Sp. z o.o.", "buyer_country": "FR", "use_oss": True,
        "positions": [{"name": "Produkt A1", "tax": 20, "total_price_gross": 50, "quantity": 3}],
    }  # fmt: skip
    response = owner_api.post("/invoices.json", {"identify_oss": "1", "invoice": invoice})

    assert response.status_code == 201, response.json()
    assert response.json()["use_oss"] is False
    assert lines_of(response) == [("FR", Decimal("20"), Decimal("50.00"))]


def test_identify_oss_keeps_an_ordinary_sale_for_a_buyer_with_a_vat_number(owner_api, acme):
    make_client(acme, name="Firma Sp. z o.o.", country="PL", vat_number="PL5260250995", siren="")
    invoice = oss_readme_invoice(buyer_name="Firma Sp. z o.o.", buyer_tax_no="PL5260250995")
    invoice["positions"][0]["tax"] = 20
    response = owner_api.post("/invoices.json", {"identify_oss": True, "invoice": invoice})

    assert response.status_code == 201, response.json()
    assert response.json()["use_oss"] is False
    assert lines_of(response)[0][0] == "FR"


def test_identify_oss_keeps_an_ordinary_sale_when_a_rate_is_not_the_destinations(owner_api):
    invoice = oss_readme_invoice()
    invoice["positions"][0]["tax"] = 20  # not a Polish rate: the integration sent French VAT
    response = owner_api.post("/invoices.json", {"identify_oss": True, "invoice": invoice})

    assert response.status_code == 201, response.json()
    assert response.json()["use_oss"] is False
    assert [line[:2] for line in lines_of(response)] == [("FR", Decimal("20"))]


def test_use_oss_for_a_buyer_in_france_is_refused_naming_use_oss(owner_api, acme):
    response = owner_api.post(
        "/invoices.json", {"invoice": oss_readme_invoice(use_oss=True, buyer_country="FR")}
    )

    assert response.status_code == 422
    assert list(response.json()["message"]) == ["use_oss"]
    assert not Document.objects.filter(account=acme).exists()


def test_use_oss_with_a_rate_the_destination_lacks_is_refused_naming_it(owner_api):
    invoice = oss_readme_invoice(use_oss=True)
    invoice["positions"][0]["tax"] = 20
    response = owner_api.post("/invoices.json", {"invoice": invoice})

    assert response.status_code == 422
    assert "20 % n'existe pas pour le pays PL" in response.json()["message"]["positions"][0]


def test_a_draft_turned_oss_moves_its_lines_to_the_destination_and_back(owner_api):
    created = owner_api.post(
        "/invoices.json", {"invoice": oss_readme_invoice(status="draft", use_oss=True)}
    ).json()

    appended = owner_api.put(
        f"/invoices/{created['id']}.json",
        {"invoice": {"positions": [{"name": "Port", "tax": 8, "price_gross": 5}]}},
    )
    assert appended.status_code == 200, appended.json()
    assert [line[0] for line in lines_of(appended)] == ["PL", "PL"]

    back = owner_api.put(
        f"/invoices/{created['id']}.json",
        {
            "invoice": {
                "use_oss": False,
                "positions": [{"id": p["id"], "tax": 20} for p in appended.json()["positions"]],
            }
        },
    )
    assert back.status_code == 200, back.json()
    assert back.json()["use_oss"] is False
    assert {line[:2] for line in lines_of(back)} == {("FR", Decimal("20"))}


def test_oss_force_tax_leaves_the_rates_of_an_ordinary_sale_alone(owner_api):
    invoice = oss_readme_invoice(buyer_country="FR")
    invoice["positions"][0]["tax"] = "5,5"
    response = owner_api.post(
        "/invoices.json", {"identify_oss": True, "oss_force_tax": True, "invoice": invoice}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["use_oss"] is False
    assert [line[:2] for line in lines_of(response)] == [("FR", Decimal("5.5"))]
