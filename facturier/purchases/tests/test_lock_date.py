"""The lock date protects expenses on every path: create, edit (old and new date), delete, payments,
attachments. A read-only account (subscription over) refuses them too."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from facturier.purchases import services
from facturier.purchases.models import Expense
from facturier.tenancy.errors import LockedPeriodError, ReadOnlyAccountError
from facturier.tenancy.models import Account, AuditEvent

from .conftest import PDF, actor, expense_input, form_data, make_expense, upload

LOCKED = "Les documents datés du 31/03/2025 ou avant sont protégés"


def url(name: str, pk: int | None = None) -> str:
    return reverse(f"purchases:{name}", kwargs={"slug": "acme"} | ({"pk": pk} if pk is not None else {}))


def lock(account: Account, day: datetime.date = datetime.date(2025, 3, 31)) -> Account:
    Account.objects.filter(pk=account.pk).update(locked_until=day)
    account.refresh_from_db()
    return account


@pytest.fixture
def march(acme, owner, supplier) -> Expense:
    """An expense of March 2025 with a file and a payment, then March gets locked."""
    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF)])
    services.record_expense_payment(
        actor(acme, owner), expense, date=datetime.date(2025, 3, 20), amount=D(20)
    )
    lock(acme)
    return Expense.objects.get(pk=expense.pk)


def test_it_refuses_to_create_an_expense_in_a_locked_period(owner_client, acme, supplier):
    lock(acme)

    response = owner_client.post(
        url("expense_new"),
        form_data(supplier, [{"name": "Papier", "unit_price": "10"}], attachments=[upload("a.pdf", PDF)]),
    )

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert not Expense.objects.exists()
    assert not default_storage.exists(f"attachments/{acme.pk}")  # refused before any file was written


def test_it_refuses_to_edit_a_locked_expense_even_to_move_it_out(owner, acme, supplier, march):
    with pytest.raises(LockedPeriodError):
        services.update_expense(
            actor(acme, owner), march, expense_input(supplier, issue_date=datetime.date(2025, 4, 2))
        )

    march.refresh_from_db()
    assert march.issue_date == datetime.date(2025, 3, 10)
    assert not AuditEvent.objects.filter(account=acme, action="expense.changed").exists()


def test_it_refuses_to_move_an_expense_into_a_locked_period(owner_client, owner, acme, supplier):
    april = make_expense(acme, owner, supplier, issue_date=datetime.date(2025, 4, 2))
    lock(acme)

    response = owner_client.post(
        url("expense_edit", april.pk),
        form_data(supplier, [{"name": "Papier", "unit_price": "100"}], issue_date="2025-03-28", due_date=""),
    )

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    april.refresh_from_db()
    assert april.issue_date == datetime.date(2025, 4, 2)


def test_it_refuses_to_delete_a_locked_expense_and_keeps_its_files(owner_client, acme, march):
    name = march.attachments.get().file.name

    response = owner_client.post(url("expense_delete", march.pk), HTTP_REFERER="http://testserver/")

    assert response.status_code == 302 and response.url == url("expense_detail", march.pk)
    assert Expense.objects.filter(pk=march.pk).exists()
    assert default_storage.exists(name)
    assert LOCKED in owner_client.get(response.url).content.decode()


def test_it_refuses_payments_dated_in_a_locked_period(owner_client, acme, march):
    response = owner_client.post(
        url("expense_payment_new", march.pk), {"date": "2025-03-31", "amount": "10", "method": "transfer"}
    )

    assert response.status_code == 200
    [message] = response.context["payment_form"].non_field_errors()
    assert message.startswith(LOCKED)
    assert march.payments.count() == 1

    later = owner_client.post(
        url("expense_payment_new", march.pk), {"date": "2025-04-01", "amount": "10", "method": "transfer"}
    )
    assert later.status_code == 302
    assert march.payments.count() == 2


def test_it_refuses_to_delete_a_payment_of_a_locked_period(owner_client, march):
    payment = march.payments.get()

    response = owner_client.post(url("expense_payment_delete", payment.pk))

    assert response.status_code == 302
    assert march.payments.filter(pk=payment.pk).exists()
    assert LOCKED in owner_client.get(response.url).content.decode()


def test_it_refuses_to_change_the_attachments_of_a_locked_expense(owner, acme, march):
    with pytest.raises(LockedPeriodError):
        services.add_attachments(actor(acme, owner), march, [upload("b.pdf", PDF)])
    with pytest.raises(LockedPeriodError):
        services.delete_attachment(actor(acme, owner), march.attachments.get())

    assert march.attachments.count() == 1


def test_a_read_only_account_refuses_new_expenses(owner, acme, supplier):
    Account.objects.filter(pk=acme.pk).update(subscription_ends_on=datetime.date(2024, 1, 31))
    acme.refresh_from_db()

    with pytest.raises(ReadOnlyAccountError):
        make_expense(acme, owner, supplier)

    assert not Expense.objects.exists()
