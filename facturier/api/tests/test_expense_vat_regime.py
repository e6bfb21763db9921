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
