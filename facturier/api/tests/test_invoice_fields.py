"""The official invoice fields Facturier reads its own way or refuses with a 422 naming them
(invoice_fields.py): `number`, `status: incomplete`, the kinds it does not make, `discount_kind`
and `discount` amounts, `additional_fields`, `exchange_currency`, `buyer_override`, separator rows."""

from decimal import Decimal

import pytest

from facturier.api.tests.conftest import Api, token_of
from facturier.billing.models import Client, Document, Status
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.conftest import make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role


@pytest.fixture
def dupont(acme):
    return make_client(acme)


def body(dupont, positions=None, **fields):
    positions = positions or [{"name": "Conseil", "quantity": 1, "price_net": 100, "tax": 20}]
    return {"invoice": {"client_id": dupont.pk, "positions": positions, **fields}}


def refused_on(response, field):
    assert response.status_code == 422, response.json()
    assert list(response.json()["message"]) == [field]
    return response.json()["message"][field][0]


def test_an_explicit_number_is_refused_but_null_is_absent(owner_api, acme, dupont):
    message = refused_on(owner_api.post("/invoices.json", body(dupont, number="2026/77")), "number")
    assert "sans trou" in message
    assert not Document.objects.filter(account=acme).exists()
    created = owner_api.post("/invoices.json", body(dupont, number=None))
    assert created.status_code == 201 and created.json()["number"].startswith("F-")


def test_a_number_on_a_draft_is_refused_and_an_issued_documents_own_is_accepted(
    owner_api, acme, owner, dupont
):
    draft = make_invoice(acme, dupont, issue=False, lines=[line("Audit", "1", "50", "20")])
    refused_on(owner_api.put(f"/invoices/{draft.pk}.json", {"invoice": {"number": "X-1"}}), "number")
    invoice = make_invoice(actor_for(acme, owner), dupont, lines=[line("Conseil", "1", "100", "20")])
    same = owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": {"number": invoice.number}})
    assert same.status_code == 200
    refused_on(owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": {"number": "X-1"}}), "number")


def test_an_incomplete_invoice_is_refused(owner_api, acme, dupont):
    refused_on(owner_api.post("/invoices.json", body(dupont, status="incomplete")), "status")
    assert not Document.objects.filter(account=acme).exists()


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("invoice_other", "autre document comptable"),
        ("client_order", "bons de commande"),
        ("maintenance_request", "bons d'intervention"),
        ("payment_receipt", "/banking/payments.json"),
        ("kp", "caisse"),
        ("kw", "caisse"),
    ],
)
def test_the_kinds_facturier_does_not_make_are_refused_with_why(owner_api, acme, dupont, kind, words):
    assert words in refused_on(owner_api.post("/invoices.json", body(dupont, kind=kind)), "kind")
    assert not Document.objects.filter(account=acme).exists()


README_DISCOUNT = [
    {"name": "Produit A", "quantity": 1, "tax": 20, "total_price_gross": "10,20", "discount": "5.20"},
    {"name": "Produit B", "quantity": 2, "tax": 0, "total_price_gross": 50},
]


def test_the_readmes_discount_as_an_amount_is_kept_to_the_cent(owner_api, dupont):
    response = owner_api.post(
        "/invoices.json", body(dupont, README_DISCOUNT, discount_kind="amount", show_discount=True)
    )
    assert response.status_code == 201, response.json()
    first, second = response.json()["positions"]
    assert (first["discount_percent"], first["total_price_gross"]) == ("50.98", "5.00")
    assert second["total_price_gross"] == "50.00"
    assert response.json()["price_gross"] == "55.00"


def test_a_percent_discount_kind_is_the_lines_percentage(owner_api, dupont):
    positions = [
        {"name": "Produit A", "quantity": 1, "tax": 20, "total_price_gross": "10.20", "discount_percent": 20}
    ]
    response = owner_api.post("/invoices.json", body(dupont, positions, discount_kind="percent_unit_gross"))
    assert response.status_code == 201
    assert response.json()["positions"][0]["total_price_gross"] == "8.16"


@pytest.mark.parametrize(
    ("fields", "positions", "words"),
    [
        ({}, README_DISCOUNT, "discount_kind"),
        (
            {"discount_kind": "amount"},
            [{"name": "A", "quantity": 1, "tax": 20, "price_net": 10, "discount": 1}],
            "TTC",
        ),
        (
            {"discount_kind": "amount"},
            [{"name": "A", "quantity": 1, "tax": 20, "total_price_gross": 1000, "discount": "33.33"}],
            "centième",
        ),
        (
            {"discount_kind": "amount"},
            [{"name": "A", "quantity": 1, "tax": 20, "total_price_gross": 10, "discount": 11}],
            "dépasse",
        ),
    ],
)
def test_a_discount_amount_that_cannot_be_kept_exactly_is_refused(
    owner_api, acme, dupont, fields, positions, words
):
    assert words in refused_on(
        owner_api.post("/invoices.json", body(dupont, positions, **fields)), "positions"
    )
    assert not Document.objects.filter(account=acme).exists()


def test_an_unknown_discount_kind_is_refused(owner_api, dupont):
    refused_on(owner_api.post("/invoices.json", body(dupont, discount_kind="bonus")), "discount_kind")


def test_a_discount_added_to_an_issued_invoice_is_a_legal_change(owner_api, acme, owner, dupont):
    invoice = make_invoice(actor_for(acme, owner), dupont, lines=[line("Conseil", "1", "100", "20")])
    line_id = invoice.lines.get().pk
    response = owner_api.put(
        f"/invoices/{invoice.pk}.json",
        {"invoice": {"discount_kind": "amount", "positions": [{"id": line_id, "discount": 5}]}},
    )
    assert "avoir" in refused_on(response, "positions")


def test_additional_fields_are_read_when_the_api_knows_them(owner_api, dupont):
    response = owner_api.post("/invoices.json", body(dupont, additional_fields={"oid": "CMD-9", "title": ""}))
    assert response.status_code == 201, response.json()
    assert response.json()["oid"] == "CMD-9"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("title", "description"),
        ("hide_tax", "242 nonies A"),
        ("interest_rate", "Paramètres"),
        ("colour", "connaît pas"),
    ],
)
def test_additional_fields_facturier_would_not_keep_are_refused(owner_api, acme, dupont, name, words):
    response = owner_api.post("/invoices.json", body(dupont, additional_fields={name: "1"}))
    assert words in refused_on(response, f"additional_fields.{name}")
    assert not Document.objects.filter(account=acme).exists()


def test_a_foreign_currency_needs_its_rate_to_the_euro(owner_api, acme, dupont):
    message = refused_on(
        owner_api.post("/invoices.json", body(dupont, currency="USD")), "exchange_currency_rate"
    )
    assert "USD" in message
    response = owner_api.post(
        "/invoices.json",
        body(
            dupont, currency="USD", exchange_currency="EUR", exchange_kind="own", exchange_currency_rate="0,9"
        ),
    )
    assert response.status_code == 201
    assert response.json()["exchange_currency_rate"] == "0.900000"
    document = Document.objects.get(pk=response.json()["id"])
    assert (document.gross_total, document.gross_total_eur) == (Decimal("120.00"), Decimal("108.00"))


def test_a_conversion_into_another_currency_than_the_euro_is_refused(owner_api, acme, dupont):
    response = owner_api.post(
        "/invoices.json", body(dupont, currency="USD", exchange_currency="GBP", exchange_currency_rate="0.9")
    )
    refused_on(response, "exchange_currency")


def test_buyer_override_updates_the_client_and_the_document(owner_api, acme, dupont):
    fields = {"buyer_street": "11 Rue de la Joie", "buyer_post_code": "06000", "buyer_city": "Nice"}
    kept = owner_api.post("/invoices.json", body(dupont, **fields))
    assert kept.json()["buyer_city"] == "Paris"  # without buyer_override, the client's card wins
    dupont.refresh_from_db()
    assert dupont.city == "Paris"

    response = owner_api.post("/invoices.json", body(dupont, buyer_override=True, **fields))
    assert response.status_code == 201
    assert (response.json()["buyer_street"], response.json()["buyer_city"]) == ("11 Rue de la Joie", "Nice")
    dupont.refresh_from_db()
    assert (dupont.street, dupont.post_code, dupont.city) == ("11 Rue de la Joie", "06000", "Nice")


def test_buyer_override_cannot_reach_another_accounts_client(outsider_api, dupont):
    response = outsider_api.post("/invoices.json", body(dupont, buyer_override=True, buyer_city="Nice"))
    assert response.status_code == 404, response.json()
    dupont.refresh_from_db()
    assert dupont.city == "Paris"
    assert not Client.objects.filter(city="Nice").exists()


@pytest.mark.parametrize("kind", ["text_separator", "subtotal"])
def test_separator_and_subtotal_rows_are_refused(owner_api, acme, dupont, kind):
    positions = [
        {"name": "Conseil", "quantity": 1, "price_net": 100, "tax": 20},
        {"name": "Chambre", "kind": kind},
    ]
    assert kind in refused_on(owner_api.post("/invoices.json", body(dupont, positions)), "positions")
    assert not Document.objects.filter(account=acme, status=Status.ISSUED).exists()


def test_buyer_override_of_a_new_buyer_needs_no_right_to_change_clients(acme):
    role = Role.objects.create(
        account=acme,
        name="Saisie",
        permissions=["sales.view", "sales.create", "clients.view", "clients.create"],
    )
    user = make_user("sam@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    body = {"buyer_override": True, "buyer_name": "Neuve SAS", "buyer_city": "Lyon", "status": "draft"}
    body["positions"] = [{"name": "Conseil", "quantity": 1, "price_net": 100, "tax": 20}]
    response = Api(token_of(user, acme)).post("/invoices.json", {"invoice": body})
    assert response.status_code == 201, response.json()
    assert Client.objects.get(account=acme, name="Neuve SAS").city == "Lyon"
