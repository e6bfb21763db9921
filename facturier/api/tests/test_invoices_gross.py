"""Gross (TTC) prices through `/invoices.json`: the total asked is the total invoiced, and the official
`calculating_strategy` is followed, or refused with a 422 naming what Facturier does not do."""

from decimal import Decimal

import pytest

from facturier.billing.models import Document, Status

# The README's buyers lack the legal mentions; this file tests prices (api/tests/conftest.py).
pytestmark = pytest.mark.usefixtures("without_legal_mentions")

# The official README's example of positions given TTC (its first line at the French 20 %).
README_POSITIONS = [
    {"name": "Produit A1", "tax": 20, "total_price_gross": 10.23, "quantity": 1},
    {"name": "Produit A2", "tax": 0, "total_price_gross": 50, "quantity": 3},
]
NET = {"position": "default", "sum": "keep_net", "invoice_form_price_kind": "net"}
GROSS = {"position": "keep_gross", "sum": "keep_gross", "invoice_form_price_kind": "gross"}


def _create(api, **fields):
    body = {"kind": "vat", "buyer_name": "Client Untel", "positions": README_POSITIONS, **fields}
    return api.post("/invoices.json", {"invoice": body})


def test_the_readme_gross_prices_are_the_invoice_total_and_a_payment_of_it_settles_it(owner_api, acme):
    response = _create(owner_api)
    assert response.status_code == 201, response.json()
    data = response.json()
    # 10.23 TTC at 20 %: base 8.53, VAT 1.70 (rounding the net first made it 8.53 + 1.71 = 10.24).
    assert (data["price_net"], data["price_tax"], data["price_gross"]) == ("58.53", "1.70", "60.23")
    assert [p["total_price_gross"] for p in data["positions"]] == ["10.23", "50.00"]
    assert [p["total_price_net"] for p in data["positions"]] == ["8.53", "50.00"]
    assert data["calculating_strategy"] == GROSS

    paid = owner_api.post(
        "/banking/payments.json", {"banking_payment": {"price": "60.23", "invoice_id": data["id"]}}
    )
    assert paid.status_code == 201, paid.json()
    shown = owner_api.get(f"/invoices/{data['id']}.json").json()
    assert (shown["status"], shown["paid"], shown["remaining"]) == ("paid", "60.23", "0.00")
    document = Document.objects.get(pk=data["id"])
    assert (document.gross_total, document.status) == (Decimal("60.23"), Status.PAID)
    assert [(row.base, row.vat_amount) for row in document.vat_lines.order_by("-vat_rate")] == [
        (Decimal("8.53"), Decimal("1.70")),
        (Decimal("50.00"), Decimal("0.00")),
    ]


def test_a_net_strategy_keeps_the_net_amounts_of_prices_given_gross(owner_api):
    response = _create(owner_api, calculating_strategy=NET)
    assert response.status_code == 201, response.json()
    data = response.json()
    # The unit price made net (8.525 → 8.53), VAT on the net sum: what "keep_net" asks for.
    assert (data["price_net"], data["price_tax"], data["price_gross"]) == ("58.53", "1.71", "60.24")
    assert data["calculating_strategy"] == NET
    assert not Document.objects.get(pk=data["id"]).prices_are_gross


def test_a_gross_strategy_makes_net_prices_gross(owner_api):
    positions = [{"name": "Conseil", "tax": 20, "price_net": "100", "quantity": 2}]
    response = _create(owner_api, positions=positions, calculating_strategy={**GROSS, "sum": "sum"})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["price_net"], data["price_gross"]) == ("200.00", "240.00")
    assert Document.objects.get(pk=data["id"]).prices_are_gross


@pytest.mark.parametrize(
    ("strategy", "named"),
    [
        ({"position": "default", "sum": "sum"}, "calculating_strategy.invoice_form_price_kind manque"),
        ({**NET, "sum": "sum"}, "Facturier ne gère pas calculating_strategy.sum « sum » avec des prix HT"),
        ({**NET, "sum": "keep_gross"}, "calculating_strategy.sum « keep_gross » avec des prix HT"),
        ({**NET, "position": "keep_gross"}, "calculating_strategy.position « keep_gross » avec des prix HT"),
        ({**GROSS, "sum": "keep_net"}, "calculating_strategy.sum « keep_net » avec des prix TTC"),
        ({**GROSS, "position": "default"}, "calculating_strategy.position « default » avec des prix TTC"),
        ({**GROSS, "position": "round"}, "calculating_strategy.position vaut « default », « keep_gross »"),
        ("gross", "Envoyez un objet avec position, sum et invoice_form_price_kind"),
    ],
)
def test_a_strategy_facturier_does_not_follow_is_refused_by_name(owner_api, acme, strategy, named):
    response = _create(owner_api, calculating_strategy=strategy)
    assert response.status_code == 422, response.json()
    [message] = response.json()["message"]["calculating_strategy"]
    assert named in message
    assert not Document.objects.filter(account=acme).exists()


def test_a_document_keeps_the_kind_of_its_prices(owner_api):
    draft = _create(owner_api, status="draft").json()
    refused = owner_api.put(f"/invoices/{draft['id']}.json", {"invoice": {"calculating_strategy": NET}})
    assert refused.status_code == 422
    assert "saisis TTC" in refused.json()["message"]["calculating_strategy"][0]
    kept = owner_api.put(
        f"/invoices/{draft['id']}.json", {"invoice": {"calculating_strategy": GROSS, "description": "Merci"}}
    )
    assert kept.status_code == 200, kept.json()
    issued = _create(owner_api).json()
    refused = owner_api.put(f"/invoices/{issued['id']}.json", {"invoice": {"calculating_strategy": NET}})
    assert refused.status_code == 422
    assert owner_api.put(f"/invoices/{issued['id']}.json", {"invoice": issued}).status_code == 200
