"""The lock date on every path that writes sales documents and payments.

Documents (and payments) dated on or before the account's lock date cannot be created, changed,
issued, cancelled or deleted; a credit note dated after it may still correct an older invoice.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from facturier.billing.models import Document, Payment, Status
from facturier.billing.services import documents as services
from facturier.billing.services.documents import DocumentInput
from facturier.billing.services.payments import delete_payment, record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.tenancy.errors import LockedPeriodError
from facturier.tenancy.models import Account

TODAY = datetime.date(2026, 6, 15)
LOCKED = datetime.date(2026, 3, 31)  # the first quarter is closed
OLD = datetime.date(2026, 3, 10)
OPEN = datetime.date(2026, 4, 10)

pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def frozen_today():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


def lock(account: Account, day: datetime.date = LOCKED) -> None:
    Account.objects.filter(pk=account.pk).update(locked_until=day)


def fresh(document: Document) -> Document:
    return Document.objects.select_related("account").get(pk=document.pk)


def data(buyer, day, **fields) -> DocumentInput:
    return DocumentInput(kind="vat", client_id=buyer.pk, issue_date=day, lines=[line()], **fields)


def test_it_refuses_to_create_a_draft_in_the_locked_period(actor, acme, buyer):
    lock(acme)
    acme.refresh_from_db()

    with pytest.raises(LockedPeriodError, match="protégés"):
        services.create_draft(actor, acme, data(buyer, LOCKED))

    assert not Document.objects.exists()
    assert services.create_draft(actor, acme, data(buyer, OPEN)).issue_date == OPEN


def test_it_refuses_to_move_a_draft_into_or_out_of_the_locked_period(actor, acme, buyer):
    old_draft = make_invoice(actor, buyer, issue=False, issue_date=OLD)
    open_draft = make_invoice(actor, buyer, issue=False, issue_date=OPEN)
    lock(acme)

    with pytest.raises(LockedPeriodError):
        services.update_draft(actor, fresh(old_draft), data(buyer, OPEN))
    with pytest.raises(LockedPeriodError):
        services.update_draft(actor, fresh(open_draft), data(buyer, OLD))

    assert fresh(old_draft).issue_date == OLD and fresh(open_draft).issue_date == OPEN


def test_it_refuses_to_delete_a_locked_draft(actor, acme, buyer):
    draft = make_invoice(actor, buyer, issue=False, issue_date=OLD)
    lock(acme)

    with pytest.raises(LockedPeriodError):
        services.delete_draft(actor, fresh(draft))

    assert Document.objects.filter(pk=draft.pk).exists()


def test_it_refuses_to_issue_a_locked_draft(actor, acme, buyer):
    draft = make_invoice(actor, buyer, issue=False, issue_date=OLD)
    lock(acme)

    with pytest.raises(LockedPeriodError):
        services.issue(actor, fresh(draft))

    assert (fresh(draft).status, fresh(draft).number) == (Status.DRAFT, "")


def test_it_refuses_to_change_an_issued_document_of_the_locked_period(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, issue_date=OLD)
    quote = make_invoice(actor, buyer, kind="estimate", issue_date=OLD)
    lock(acme)

    with pytest.raises(LockedPeriodError):
        services.update_issued(actor, fresh(invoice), notes="changed")
    with pytest.raises(LockedPeriodError):
        services.set_estimate_status(actor, fresh(quote), Status.ACCEPTED)

    assert fresh(invoice).notes == "" and fresh(quote).status == Status.ISSUED


def test_a_credit_note_cannot_be_dated_in_the_locked_period(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, issue_date=OLD)
    draft_credit_note = services.create_credit_note(actor, invoice, reason="Erreur de prix")
    lock(acme, TODAY)

    with pytest.raises(LockedPeriodError):
        services.create_credit_note(actor, fresh(invoice), reason="Erreur de prix")
    with pytest.raises(LockedPeriodError):
        services.issue(actor, fresh(draft_credit_note))

    assert fresh(invoice).status == Status.ISSUED


def test_a_credit_note_dated_after_the_lock_date_corrects_a_locked_invoice(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, issue_date=OLD)
    lock(acme)

    credit_note = services.issue(actor, services.create_credit_note(actor, fresh(invoice), reason="Annulée"))

    assert credit_note.issue_date == TODAY
    assert fresh(invoice).status == Status.CANCELLED


def test_derived_drafts_dated_today_are_refused_when_today_is_locked(actor, acme, buyer):
    quote = make_invoice(actor, buyer, kind="estimate", issue_date=OLD)
    lock(acme, TODAY)

    for create in (
        lambda: services.convert(actor, fresh(quote)),
        lambda: services.duplicate(actor, fresh(quote)),
        lambda: services.create_advance(actor, fresh(quote), percent=Decimal(30)),
    ):
        with pytest.raises(LockedPeriodError):
            create()
    assert Document.objects.count() == 1


def test_it_refuses_a_payment_dated_in_the_locked_period(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, issue_date=OLD)
    lock(acme)
    acme.refresh_from_db()

    with pytest.raises(LockedPeriodError):
        record_payment(actor, acme, date=LOCKED, amount=Decimal("10"), documents=[invoice])

    assert not Payment.objects.exists()
    record_payment(actor, acme, date=OPEN, amount=Decimal("10"), documents=[invoice])
    assert fresh(invoice).paid_total == Decimal("10.00")


def test_it_refuses_to_delete_a_payment_of_the_locked_period(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, issue_date=OLD)
    payment = record_payment(actor, acme, date=OLD, amount=Decimal("10"), documents=[invoice])
    lock(acme)

    with pytest.raises(LockedPeriodError):
        delete_payment(actor, payment)

    assert Payment.objects.filter(pk=payment.pk).exists()
    assert fresh(invoice).paid_total == Decimal("10.00")
