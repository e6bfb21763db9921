"""The expense fields of autoliquidation and of the supplier's VAT regime through the API."""

from decimal import Decimal

from facturier.billing.models import BillingSettings
from facturier.purchases.models import Expense, ExpenseVatLine

from .test_expenses import expense_body


def german_body(**fields):
    return expense_body(
        buyer_name="Softwarehaus GmbH",
        buyer_tax_no="DE136695976",
        buyer_country="DE",
        positions=[
            {"name": "Licence", "quantity": 1, "price_net": "500", "tax": 20},
            {"name": "Serveur", "quantity": 1, "price_net": "200", "tax": 20, "service": False},
        ],
        **fields,
    )


def test_reverse_charge_self_assesses_every_position_at_its_rate(owner_api, acme):
    response = owner_api.post("/invoices.json", {"invoice": german_body(reverse_charge=True)})

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["price_net"], data["price_tax"], data["price_gross"]) == ("700.00", "0.00", "700.00")
    assert (data["reverse_charge"], data["price_tax_self_assessed"]) == (True, "140.00")
    assert [(p["tax"], p["service"]) for p in data["positions"]] == [("oo", True), ("oo", False)]
    expense = Expense.objects.get(pk=data["id"], account=acme)
    rows = ExpenseVatLine.objects.filter(expense=expense).order_by("supply_kind")
    assert [(r.vat_category, r.supply_kind, r.vat_rate, r.self_assessed_vat) for r in rows] == [
        ("AE", "goods", Decimal("20.00"), Decimal("40.00")),
        ("AE", "service", Decimal("20.00"), Decimal("100.00")),
    ]


def test_vat_on_debits_defaults_to_the_account_setting_and_can_be_sent(owner_api, acme):
    BillingSettings.objects.update_or_create(account=acme, defaults={"purchases_vat_on_debits": True})

    default = owner_api.post("/invoices.json", {"invoice": expense_body()}).json()
    sent = owner_api.post(
        "/invoices.json", {"invoice": expense_body(number="FA-2", vat_on_debits=False)}
    ).json()

    assert (default["vat_on_debits"], default["reverse_charge"]) == (True, False)
    assert sent["vat_on_debits"] is False
    changed = owner_api.put(f"/invoices/{sent['id']}.json?income=0", {"invoice": {"vat_on_debits": True}})
    assert changed.json()["vat_on_debits"] is True


def test_a_bad_regime_flag_is_a_422(owner_api, acme):
    response = owner_api.post("/invoices.json", {"invoice": expense_body(reverse_charge="peut-être")})

    assert response.status_code == 422
    assert "reverse_charge" in response.json()["message"]
    assert not Expense.objects.filter(account=acme).exists()


def test_the_self_assessed_total_is_the_stored_one_and_a_rate_of_zero_is_a_422(owner_api, acme):
    body = german_body(reverse_charge=True) | {
        "positions": [
            {"name": "Licence", "quantity": 1, "price_net": "10.03", "tax": 20},
            {"name": "Repas", "quantity": 1, "price_net": "10.03", "tax": 20, "deductible": False},
        ]
    }
    data = owner_api.post("/invoices.json", {"invoice": body}).json()

    # 20 % of the summed 20.06 (not 2.01 + 2.01): the total stored on the expense.
    assert data["price_tax_self_assessed"] == "4.01"
    assert Expense.objects.get(pk=data["id"]).self_assessed_vat_total == Decimal("4.01")

    zero = german_body(number="FA-2", reverse_charge=True) | {
        "positions": [{"name": "Licence", "price_net": "5", "tax": 0}]
    }
    refused = owner_api.post("/invoices.json", {"invoice": zero})
    assert refused.status_code == 422
    assert "vous devez la TVA française sur cet achat" in refused.json()["message"]["positions"][0]
    assert Expense.objects.filter(account=acme).count() == 1


def test_a_position_marked_oo_is_self_assessed_at_the_standard_rate(owner_api, acme):
    body = german_body() | {
        "positions": [{"name": "Licence", "quantity": 1, "price_net": "500", "tax": "oo"}]
    }

    data = owner_api.post("/invoices.json", {"invoice": body}).json()

    assert (data["reverse_charge"], data["price_tax"]) == (True, "0.00")
    assert data["price_tax_self_assessed"] == "100.00"
    row = ExpenseVatLine.objects.get(expense_id=data["id"])
    assert (row.vat_category, row.vat_rate) == ("AE", Decimal("20.00"))
