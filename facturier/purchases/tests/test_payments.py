import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from facturier.purchases import services
from facturier.purchases.models import ExpenseStatus
from facturier.purchases.services import ExpenseLineInput
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

from .conftest import actor, expense_input, make_expense


def url(name: str, pk: int) -> str:
    return reverse(f"purchases:{name}", kwargs={"slug": "acme", "pk": pk})


def pay(client, expense, amount: str, day: str = "2025-03-15"):
    return client.post(
        url("expense_payment_new", expense.pk),
        {"date": day, "amount": amount, "method": "transfer", "reference": "VIR-1"},
    )


def test_a_partial_then_a_full_payment_settle_the_expense(owner_client, owner, acme, supplier):
    expense = make_expense(acme, owner, supplier)  # 120.00 EUR

    first = pay(owner_client, expense, "50")
    expense.refresh_from_db()
    assert first.status_code == 302
    assert (expense.status, expense.paid_total, expense.remaining) == (
        ExpenseStatus.PARTIAL,
        D("50.00"),
        D("70.00"),
    )

    second = pay(owner_client, expense, "70.00", "2025-04-01")
    expense.refresh_from_db()
    assert second.status_code == 302
    assert (expense.status, expense.paid_total, expense.remaining) == (
        ExpenseStatus.PAID,
        D("120.00"),
        D("0.00"),
    )
    payment = expense.payments.order_by("pk").last()
    assert payment is not None
    assert (payment.date, payment.amount, payment.method, payment.reference, payment.created_by) == (
        datetime.date(2025, 4, 1),
        D("70.00"),
        "transfer",
        "VIR-1",
        owner,
    )
    assert list(
        AuditEvent.objects.filter(account=acme, action="expense.payment_recorded")
        .order_by("pk")
        .values_list("summary", flat=True)
    ) == [
        "Paiement de 50,00\xa0€ du 15/03/2025 enregistré.",
        "Paiement de 70,00\xa0€ du 01/04/2025 enregistré.",
    ]
    page = owner_client.get(url("expense_detail", expense.pk)).content.decode()
    assert "Payée" in page and "Enregistrer le paiement" not in page


def test_overpayment_is_refused(owner_client, owner, acme, supplier):
    expense = make_expense(acme, owner, supplier)
    pay(owner_client, expense, "100")

    response = pay(owner_client, expense, "20.01")

    assert response.status_code == 200
    assert response.context["payment_form"].errors["amount"] == [
        "Ce paiement dépasse le reste à payer (20,00\xa0€)."
    ]
    expense.refresh_from_db()
    assert (expense.paid_total, expense.status, expense.payments.count()) == (
        D("100.00"),
        ExpenseStatus.PARTIAL,
        1,
    )


def test_a_payment_must_be_positive(owner_client, owner, acme, supplier):
    expense = make_expense(acme, owner, supplier)

    response = pay(owner_client, expense, "0")

    assert response.status_code == 200
    assert "amount" in response.context["payment_form"].errors
    with pytest.raises(ServiceError, match="Le montant doit être positif"):
        services.record_expense_payment(
            actor(acme, owner), expense, date=datetime.date(2025, 3, 1), amount=D(-5)
        )
    assert not expense.payments.exists()


def test_deleting_a_payment_brings_the_status_back(owner_client, owner, acme, supplier):
    expense = make_expense(acme, owner, supplier)
    pay(owner_client, expense, "120")
    pay_back = expense.payments.get()

    response = owner_client.post(url("expense_payment_delete", pay_back.pk))

    assert response.status_code == 302 and response.url == url("expense_detail", expense.pk)
    expense.refresh_from_db()
    assert (expense.status, expense.paid_total) == (ExpenseStatus.UNPAID, D("0.00"))
    event = AuditEvent.objects.get(account=acme, action="expense.payment_deleted")
    assert event.summary == "Paiement de 120,00\xa0€ du 15/03/2025 supprimé."


def test_an_edit_cannot_bring_the_total_below_what_was_paid(owner, acme, supplier):
    expense = make_expense(acme, owner, supplier)
    services.record_expense_payment(
        actor(acme, owner), expense, date=datetime.date(2025, 3, 15), amount=D(100)
    )

    with pytest.raises(ServiceError, match="dépassent le nouveau total"):
        services.update_expense(
            actor(acme, owner),
            expense,
            expense_input(supplier, lines=[ExpenseLineInput("Papier", D(1), D(50), D(20))]),
        )

    raised = services.update_expense(
        actor(acme, owner),
        expense,
        expense_input(supplier, lines=[ExpenseLineInput("Papier", D(1), D(200), D(20))]),
    )
    assert (raised.gross_total, raised.status) == (D("240.00"), ExpenseStatus.PARTIAL)
