"""Payments: applied in order, partial and full, refused overpayment and wrong documents, deletion."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from facturier.billing.models import Document, Payment, PaymentAllocation, Status
from facturier.billing.services import documents as document_services
from facturier.billing.services.payments import delete_payment, pay_in_full, record_payment, update_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

D = Decimal
DAY = datetime.date(2026, 3, 10)
PAID_ON = datetime.date(2026, 3, 20)


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.fixture
def invoice(actor, buyer):
    return make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")], issue_date=DAY)  # 120.00


def pay(actor, account, amount, *documents, **fields: Any):
    values: dict[str, Any] = {"date": PAID_ON, "amount": D(amount), "documents": list(documents)}
    values.update(fields)
    return record_payment(actor, account, **values)


def state(document):
    document = Document.objects.get(pk=document.pk)
    return document.paid_total, document.remaining, document.status


def test_a_partial_then_a_full_payment(actor, acme, invoice):
    first = pay(actor, acme, "50", invoice, reference="VIR 1")
    assert state(invoice) == (D("50.00"), D("70.00"), Status.PARTIAL)

    pay(actor, acme, "70", invoice)

    assert state(invoice) == (D("120.00"), D("0.00"), Status.PAID)
    assert (first.client, first.amount, first.reference) == (invoice.client, D("50"), "VIR 1")
    assert list(PaymentAllocation.objects.filter(document=invoice).values_list("amount", flat=True)) == [
        D("50.00"),
        D("70.00"),
    ]
    assert AuditEvent.objects.filter(account=acme, action="payment.recorded").count() == 2


def test_a_payment_is_applied_in_order(actor, acme, buyer, invoice):
    second = make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")], issue_date=DAY)
    third = make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")], issue_date=DAY)

    payment = pay(actor, acme, "200", second, invoice, third)

    assert state(second) == (D("120.00"), D("0.00"), Status.PAID)
    assert state(invoice) == (D("80.00"), D("40.00"), Status.PARTIAL)
    assert state(third) == (D("0.00"), D("120.00"), Status.ISSUED)
    assert [(a.document_id, a.amount) for a in payment.allocations.order_by("id")] == [
        (second.pk, D("120.00")),
        (invoice.pk, D("80.00")),
    ]


def test_it_refuses_an_overpayment_and_stores_nothing(actor, acme, invoice):
    with pytest.raises(ServiceError, match="dépasse ce que doivent ces documents") as error:
        pay(actor, acme, "120.01", invoice)

    assert error.value.field == "amount"
    assert not Payment.objects.exists()
    assert state(invoice) == (D("0.00"), D("120.00"), Status.ISSUED)


def test_it_takes_credit_notes_into_account(actor, acme, invoice):
    document_services.issue(
        actor,
        document_services.create_credit_note(
            actor, invoice, lines=[line("Conseil", "1", "20", "20")], reason="Geste commercial"
        ),
    )

    with pytest.raises(ServiceError, match="dépasse"):
        pay(actor, acme, "120", invoice)
    pay(actor, acme, "96", invoice)

    assert state(invoice) == (D("96.00"), D("0.00"), Status.PAID)


def test_pay_in_full_records_the_remaining_amount(actor, acme, invoice):
    pay(actor, acme, "20", invoice)

    payment = pay_in_full(actor, Document.objects.get(pk=invoice.pk), date=PAID_ON, method="card")

    assert (payment.amount, payment.method, payment.currency) == (D("100.00"), "card", "EUR")
    assert state(invoice)[2] == Status.PAID
    with pytest.raises(ServiceError, match="plus rien à régler"):
        pay_in_full(actor, invoice, date=PAID_ON)


def test_deleting_a_payment_makes_its_documents_owed_again(actor, acme, buyer, invoice):
    document_services.mark_sent(actor, invoice)
    second = make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")], issue_date=DAY)
    earlier = pay(actor, acme, "20", second)
    payment = pay(actor, acme, "200", invoice, second)

    delete_payment(actor, payment)

    assert state(invoice) == (D("0.00"), D("120.00"), Status.SENT)
    assert state(second) == (D("20.00"), D("100.00"), Status.PARTIAL)
    assert list(Payment.objects.all()) == [earlier]
    assert not PaymentAllocation.objects.filter(payment_id=payment.pk).exists()
    assert AuditEvent.objects.filter(account=acme, action="payment.deleted").count() == 1


@pytest.mark.parametrize("amount", ["0", "-5", "10.001"])
def test_it_refuses_a_bad_amount(actor, acme, invoice, amount):
    with pytest.raises(ServiceError) as error:
        pay(actor, acme, amount, invoice)

    assert error.value.field == "amount"
    assert not Payment.objects.exists()


def test_it_refuses_documents_that_cannot_be_paid(actor, acme, buyer, invoice):
    draft = make_invoice(actor, buyer, issue=False)
    quote = make_invoice(actor, buyer, kind="estimate")
    proforma = make_invoice(actor, buyer, kind="proforma")
    credit_note = document_services.issue(
        actor, document_services.create_credit_note(actor, invoice, reason="Annulée")
    )

    for document, message in [
        (draft, "brouillon"),
        (quote, "devis"),
        (proforma, "proforma"),
        (credit_note, "avoir"),
        (invoice, "plus rien à régler"),  # cancelled by the credit note
    ]:
        with pytest.raises(ServiceError, match=message):
            pay(actor, acme, "10", document)
    assert not Payment.objects.exists()


def test_it_refuses_documents_of_several_clients_or_another_account(actor, acme, globex, invoice):
    other = make_invoice(
        actor, make_client(acme, name="Autre SA", siren="404833048", vat_number=""), issue_date=DAY
    )
    foreign = make_invoice(globex, make_client(globex), issue_date=DAY)

    with pytest.raises(ServiceError, match="un seul client"):
        pay(actor, acme, "10", invoice, other)
    with pytest.raises(ServiceError, match="n'existe pas dans ce compte"):
        pay(actor, acme, "10", invoice, foreign)
    with pytest.raises(ServiceError, match="deux fois"):
        pay(actor, acme, "10", invoice, invoice)
    assert not Payment.objects.exists()


def test_the_payment_currency_must_be_the_documents(actor, acme, buyer):
    dollars = make_invoice(actor, buyer, currency="USD", exchange_rate=D("0.9"), issue_date=DAY)

    with pytest.raises(ServiceError, match="en EUR, le document F-2026-0001 en USD"):
        pay(actor, acme, "10", dollars)
    pay(actor, acme, "10", dollars, currency="USD")

    assert state(dollars)[0] == D("10.00")


def test_payment_permissions(acme, owner, collaborator, firm_accountant, outsider, globex, invoice):
    member, accountant = actor_for(acme, collaborator), actor_for(acme, firm_accountant)

    payment = pay(accountant, acme, "10", invoice)  # Comptable records payments
    with pytest.raises(PermissionDenied):
        delete_payment(member, payment)  # Utilisateur records payments, does not delete them
    with pytest.raises(PermissionDenied):
        pay(actor_for(globex, outsider), acme, "10", invoice)

    assert Payment.objects.count() == 1
    delete_payment(actor_for(acme, owner), payment)
    assert not Payment.objects.exists()


# --- Unallocated payments and changes ---------------------------------------------------------------


def test_an_unallocated_payment_in_another_currency_is_refused(actor, acme):
    with pytest.raises(ServiceError, match="en GBP doit régler au moins une facture"):
        record_payment(
            actor, acme, date=acme.today(), amount=D("10"), currency="GBP", documents=[], unallocated=True
        )
    assert not Payment.objects.exists()


def test_without_unallocated_a_payment_still_needs_a_document(actor, acme):
    with pytest.raises(ServiceError, match="au moins un document"):
        record_payment(actor, acme, date=acme.today(), amount=D("10"), documents=[])


def test_a_payment_for_a_client_settles_only_that_clients_documents(actor, acme, invoice):
    other = make_client(acme, name="Martin SAS", siren="", vat_number="")
    with pytest.raises(ServiceError, match="n'est pas de ce client"):
        record_payment(actor, acme, date=acme.today(), amount=D("10"), documents=[invoice], client=other)
    payment = record_payment(
        actor, acme, date=acme.today(), amount=D("10"), documents=[], client=other, unallocated=True
    )
    with pytest.raises(ServiceError, match="n'est pas de ce client"):
        update_payment(actor, payment, documents=[invoice], client=other)
    assert payment.allocations.count() == 0


def test_a_change_needs_the_edit_permission_and_records_what_changed(acme, collaborator, actor, invoice):
    payment = pay(actor, acme, "50", invoice)
    with pytest.raises(PermissionDenied):
        update_payment(actor_for(acme, collaborator), payment, notes="x")  # Utilisateur: no payments.edit
    update_payment(actor, payment, date=acme.today() - datetime.timedelta(days=1), notes="Chèque n° 12")
    event = AuditEvent.objects.get(account=acme, action="payment.changed")
    assert set(event.changes) == {"date", "notes"}
    assert update_payment(actor, payment, notes="Chèque n° 12") is not None  # nothing changes: no event
    assert AuditEvent.objects.filter(account=acme, action="payment.changed").count() == 1


def test_editing_the_notes_of_a_payment_leaves_its_documents_alone(actor, acme, invoice):
    payment = pay(actor, acme, "120", invoice)
    # A later credit note leaves the invoice owing less than the payment settled: applying it again
    # would be refused as an overpayment, though nothing the payment settles changes.
    document_services.issue(
        actor,
        document_services.create_credit_note(
            actor, invoice, lines=[line("Conseil", "1", "20", "20")], reason="Geste commercial"
        ),
    )
    before = state(invoice)

    update_payment(actor, payment, notes="Chèque n° 12", reference="CHQ 12", method="cheque")

    payment.refresh_from_db()
    assert (payment.notes, payment.reference, payment.method) == ("Chèque n° 12", "CHQ 12", "cheque")
    assert state(invoice) == before
    assert list(payment.allocations.values_list("document_id", "amount")) == [(invoice.pk, D("120.00"))]


def test_an_unallocated_payment_is_not_moved_onto_another_clients_invoices(actor, acme, invoice):
    other = make_client(acme, name="Martin SAS", siren="", vat_number="")
    payment = record_payment(
        actor, acme, date=acme.today(), amount=D("10"), documents=[], client=other, unallocated=True
    )
    with pytest.raises(ServiceError, match="n'est pas de ce client"):
        update_payment(actor, payment, documents=[invoice])
    payment.refresh_from_db()
    assert (payment.client_id, payment.allocations.count()) == (other.pk, 0)
    assert state(invoice)[0] == D("0.00")


def test_allocating_a_payment_of_no_known_client_records_the_client_it_gets(actor, acme, buyer, invoice):
    payment = record_payment(actor, acme, date=acme.today(), amount=D("10"), documents=[], unallocated=True)
    update_payment(actor, payment, documents=[invoice])
    payment.refresh_from_db()
    assert payment.client_id == buyer.pk
    event = AuditEvent.objects.get(account=acme, action="payment.changed")
    assert set(event.changes) == {"documents", "client_id"}
