"""Expenses through `/invoices.json` with `income=0`, over the purchases services."""

import datetime
from decimal import Decimal

import pytest

from facturier.billing.models import Client
from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.purchases.models import Expense, ExpenseCategory
from facturier.tenancy.models import AuditEvent


def expense_body(**fields):
    body = {
        "income": 0,
        "number": "FA-2026-118",
        "issue_date": "2026-11-02",
        "payment_to": "2026-12-02",
        "buyer_name": "Papeterie Durand",
        "buyer_tax_no": "FR40303265045",
        "positions": [
            {"name": "Ramettes A4", "quantity": "10", "price_net": "4,50", "tax": "20"},
            {"name": "Livraison", "quantity": 1, "total_price_net": 12, "tax": 20},
        ],
    }
    return {**body, **fields}


@pytest.fixture
def expense(owner_api):
    response = owner_api.post("/invoices.json", {"invoice": expense_body()})
    assert response.status_code == 201, response.content
    return Expense.objects.get(pk=response.json()["id"])


def test_it_creates_an_expense_and_its_supplier_with_income_zero(owner_api, acme):
    response = owner_api.post("/invoices.json", {"invoice": expense_body()})

    assert response.status_code == 201
    data = response.json()
    assert (data["income"], data["kind"], data["number"], data["status"]) == (
        0,
        "vat",
        "FA-2026-118",
        "issued",
    )
    assert (data["price_net"], data["price_tax"], data["price_gross"]) == ("57.00", "11.40", "68.40")
    assert (data["buyer_name"], data["buyer_tax_no"]) == ("Papeterie Durand", "FR40303265045")
    assert data["seller_name"] == acme.name
    assert [p["total_price_net"] for p in data["positions"]] == ["45.00", "12.00"]
    expense = Expense.objects.get(pk=data["id"], account=acme)
    assert expense.supplier.kind == Client.Kind.SUPPLIER
    assert expense.supplier.vat_number == "FR40303265045"
    assert expense.category.name == "Autres"
    assert expense.due_date == datetime.date(2026, 12, 2)
    assert AuditEvent.objects.filter(account=acme, action="expense.created").count() == 1


def test_a_second_expense_reuses_the_supplier_found_by_tax_number(owner_api, acme, expense):
    body = expense_body(number="FA-2026-119", buyer_name="PAPETERIE DURAND SAS")
    response = owner_api.post("/invoices.json?income=0", {"invoice": body})

    assert response.status_code == 201
    assert response.json()["client_id"] == expense.supplier_id
    assert Client.objects.filter(account=acme).count() == 1


def test_a_buyer_named_as_supplier_becomes_client_and_supplier(owner_api, acme):
    buyer = make_client(acme, name="Garage Lefèvre", siren="", vat_number="")
    body = expense_body(buyer_name="garage lefèvre", buyer_tax_no="")
    response = owner_api.post("/invoices.json", body)

    assert response.status_code == 201
    assert response.json()["client_id"] == buyer.pk
    buyer.refresh_from_db()
    assert buyer.kind == Client.Kind.BOTH


def test_gross_prices_and_a_chosen_category(owner_api, acme):
    owner_api.get("/invoices.json?income=0")  # the default categories exist once expenses are used
    category = ExpenseCategory.objects.create(account=acme, name="Carburant", accounting_code="6061")
    body = expense_body(
        category_id=category.pk,
        positions=[{"name": "Gazole", "quantity": "50", "price_gross": "1.80", "tax": "20"}],
    )
    response = owner_api.post("/invoices.json", {"invoice": body})

    assert response.status_code == 201
    assert (response.json()["price_gross"], response.json()["price_net"]) == ("90.00", "75.00")
    assert response.json()["category_id"] == category.pk


def test_the_list_with_income_zero_gives_expenses_and_the_default_list_sales(owner_api, acme, owner, expense):
    invoice = make_invoice(
        actor_for(acme, owner), make_client(acme, name="Client", siren="404833048", vat_number="")
    )

    expenses = owner_api.get("/invoices.json?income=0&period=all").json()
    sales = owner_api.get("/invoices.json?period=all").json()

    assert [row["id"] for row in expenses] == [expense.pk]
    assert "positions" not in expenses[0]
    assert [row["id"] for row in sales] == [invoice.pk]
    with_positions = owner_api.get("/invoices.json?income=no&period=all&include_positions=true").json()
    assert len(with_positions[0]["positions"]) == 2


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("period=more&date_from=2026-11-01&date_to=2026-11-30", True),
        ("period=more&date_from=2026-12-01", False),
        ("period=all&number=FA-2026-118", True),
        ("period=all&number=AUTRE", False),
        ("period=all&status=issued", True),
        ("period=all&status=paid", False),
        ("period=all&status=inconnu", False),
        ("period=all&search_date_type=payment_to&date_from=2026-12-02&period=more", True),
    ],
)
def test_the_expense_list_filters(owner_api, expense, query, found):
    rows = owner_api.get(f"/invoices.json?income=0&{query}").json()

    assert [row["id"] for row in rows] == ([expense.pk] if found else [])


def test_show_update_and_delete_take_income_zero(owner_api, acme, expense):
    shown = owner_api.get(f"/invoices/{expense.pk}.json?income=0")
    assert shown.status_code == 200
    assert shown.json()["number"] == "FA-2026-118"

    changed = owner_api.put(
        f"/invoices/{expense.pk}.json?income=0",
        {
            "invoice": {
                "description": "Commande de novembre",
                "positions": [{"name": "Stylos", "price_net": 30}],
            }
        },
    )
    assert changed.status_code == 200
    assert (changed.json()["description"], changed.json()["price_gross"]) == ("Commande de novembre", "36.00")
    expense.refresh_from_db()
    assert (expense.notes, expense.gross_total, expense.supplier_number) == (
        "Commande de novembre",
        Decimal("36.00"),
        "FA-2026-118",
    )

    deleted = owner_api.delete(f"/invoices/{expense.pk}.json?income=0")
    assert (deleted.status_code, deleted.json()) == (200, "ok")
    assert not Expense.objects.filter(pk=expense.pk).exists()


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"buyer_name": "", "buyer_tax_no": ""}, "buyer_name"),
        ({"buyer_tax_no": "FR00000000000"}, "buyer_tax_no"),
        ({"positions": []}, "positions"),
        ({"positions": [{"name": "Sans prix"}]}, "positions"),
        ({"positions": [{"name": "A", "price_net": "abc"}]}, "positions"),
        ({"positions": [{"name": "", "price_net": 1}]}, "positions"),
        ({"issue_date": "31/02/2026"}, "issue_date"),
        ({"payment_to": "2026-01-01"}, "payment_to"),
        ({"currency": "XXX"}, "currency"),
        ({"category_id": 999999}, "category_id"),
        ({"client_id": "abc"}, "client_id"),
    ],
)
def test_bad_expense_input_gets_a_422_and_stores_nothing(owner_api, acme, fields, key):
    response = owner_api.post("/invoices.json", {"invoice": expense_body(**fields)})

    assert response.status_code == 422, response.content
    assert key in response.json()["message"]
    assert not Expense.objects.filter(account=acme).exists()


def test_a_duplicate_supplier_number_is_refused(owner_api, expense):
    response = owner_api.post("/invoices.json", {"invoice": expense_body()})

    assert response.status_code == 422
    assert "number" in response.json()["message"]


def test_another_accounts_expense_is_a_404(outsider_api, expense):
    assert outsider_api.get(f"/invoices/{expense.pk}.json?income=0").status_code == 404
    assert outsider_api.put(f"/invoices/{expense.pk}.json?income=0", {"description": "x"}).status_code == 404
    assert outsider_api.delete(f"/invoices/{expense.pk}.json?income=0").status_code == 404
    assert outsider_api.get("/invoices.json?income=0&period=all").json() == []
    assert Expense.objects.filter(pk=expense.pk).exists()


def test_a_collaborator_follows_the_purchases_permissions(collaborator_api, expense):
    # The built-in role Utilisateur sees and records expenses but deletes none (docs/roles.md).
    listed = collaborator_api.get("/invoices.json?income=0&period=all")
    deleted = collaborator_api.delete(f"/invoices/{expense.pk}.json?income=0")

    assert [row["id"] for row in listed.json()] == [expense.pk]
    assert deleted.status_code == 403
    assert Expense.objects.filter(pk=expense.pk).exists()


def test_the_readmes_expense_books_the_supplier_from_the_buyer_fields(owner_api, acme):
    # The official README's own example (vosfactures-README.md, "Créer une facture d'achat"), whose
    # seller_* is the account's company and buyer_* the supplier.
    readme = {
        "kind": "vat",
        "income": "0",
        "sell_date": "2013-01-16",
        "issue_date": "2013-01-16",
        "payment_to": "2013-01-23",
        "seller_name": "Société Chose",
        "seller_tax_no": "FR5252445767",
        "buyer_name": "Fournisseur XYZ",
        "buyer_email": "xyz@testemail.com",
        "buyer_tax_no": "BE453627823",
        "positions": [{"name": "Produit A1", "tax": 20, "total_price_gross": 10.23, "quantity": 1}],
    }
    # The README's Belgian number fails its check digits: refused, naming the supplier's field.
    refused = owner_api.post("/invoices.json", {"api_token": owner_api.token, "invoice": readme})
    assert refused.status_code == 422
    assert list(refused.json()["message"]) == ["buyer_tax_no"]

    readme["buyer_tax_no"] = "BE0403170701"
    response = owner_api.post("/invoices.json", {"api_token": owner_api.token, "invoice": readme})

    assert response.status_code == 201, response.json()
    data = response.json()
    supplier = Expense.objects.get(pk=data["id"], account=acme).supplier
    assert (supplier.name, supplier.vat_number, supplier.email, supplier.kind) == (
        "Fournisseur XYZ",
        "BE0403170701",
        "xyz@testemail.com",
        Client.Kind.SUPPLIER,
    )
    assert not Client.objects.filter(account=acme, name="Société Chose").exists()
    # The JSON answered presents the parties as the README does.
    assert (data["buyer_name"], data["buyer_tax_no"], data["buyer_email"]) == (
        "Fournisseur XYZ",
        "BE0403170701",
        "xyz@testemail.com",
    )
    assert (data["seller_name"], data["seller_tax_no"]) == (acme.name, acme.vat_number or acme.siren)
    assert data["client_id"] == supplier.pk
    shown = owner_api.get(f"/invoices/{data['id']}.json?income=0").json()
    assert (shown["buyer_name"], shown["seller_name"]) == ("Fournisseur XYZ", acme.name)


def test_the_fakturownia_readmes_expense_with_income_as_false(owner_api, acme):
    body = {
        "kind": "vat",
        "income": False,
        "issue_date": "2013-01-16",
        "seller_name": "Wystawca Sp. z o.o.",
        "seller_tax_no": "5252445767",
        "buyer_name": "Klient1 Sp. z o.o.",
        "buyer_email": "buyer@testemail.pl",
        "positions": [{"name": "Produkt A1", "tax": 20, "total_price_gross": 10.23, "quantity": 1}],
    }
    response = owner_api.post("/invoices.json", {"invoice": body})

    assert response.status_code == 201, response.json()
    assert Expense.objects.get(pk=response.json()["id"]).supplier.name == "Klient1 Sp. z o.o."


def test_an_expense_of_a_person_takes_the_buyers_first_and_last_names(owner_api, acme):
    body = expense_body(buyer_name=None, buyer_tax_no=None, buyer_first_name="Jean", buyer_last_name="Martin")
    response = owner_api.post("/invoices.json", {"invoice": body})

    assert response.status_code == 201, response.json()
    supplier = Expense.objects.get(pk=response.json()["id"]).supplier
    assert (supplier.first_name, supplier.last_name, supplier.is_company) == ("Jean", "Martin", False)


def test_an_update_naming_another_buyer_changes_the_supplier(owner_api, acme, expense):
    response = owner_api.put(
        f"/invoices/{expense.pk}.json?income=0", {"invoice": {"buyer_name": "Imprimerie Roux"}}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["buyer_name"] == "Imprimerie Roux"
    expense.refresh_from_db()
    assert expense.supplier.name == "Imprimerie Roux"
    # Naming our own company again (seller_*) changes nothing: it is the account.
    again = owner_api.put(f"/invoices/{expense.pk}.json?income=0", {"invoice": {"seller_name": "Autre"}})
    assert again.json()["buyer_name"] == "Imprimerie Roux"
