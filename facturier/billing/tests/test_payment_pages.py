"""Paiements pages: the list, recording a payment against open documents, its detail and deletion."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing.models import Document, Payment, PaymentAllocation, Status
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import AuditEvent, Membership, Role

D = Decimal
TODAY = datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        yield


def url(name, *args, slug="acme"):
    return reverse(f"billing:{name}", args=[slug, *args])


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.fixture
def invoice(actor, buyer):
    return make_invoice(
        actor, buyer, lines=[line("Conseil", "1", "100", "20")], issue_date=datetime.date(2026, 3, 2)
    )


def pay(actor, account, amount, *documents, date=TODAY, **fields):
    return record_payment(actor, account, date=date, amount=D(amount), documents=list(documents), **fields)


def payment_data(client, documents, amount, **fields):
    data = {
        "client": str(client.pk),
        "documents": [str(document.pk) for document in documents],
        "date": TODAY.isoformat(),
        "amount": amount,
        "method": "transfer",
        "reference": "",
        "notes": "",
    }
    data.update(fields)
    return data


# --- Who may open the pages ---------------------------------------------------------------------


def test_every_payment_url_is_a_404_for_an_outsider(outsider_client, acme, actor, invoice):
    payment = pay(actor, acme, "50", invoice)
    for name, args in [("payment_list", []), ("payment_new", []), ("payment_detail", [payment.pk]),
                       ("payment_delete", [payment.pk])]:  # fmt: skip
        assert outsider_client.get(url(name, *args)).status_code in (404, 405), name
        assert outsider_client.post(url(name, *args)).status_code == 404, name
    # An acme document named in the outsider's own account is a 404 too, and nothing is paid.
    response = outsider_client.post(
        url("payment_new", slug="globex") + f"?document={invoice.pk}",
        payment_data(invoice.client, [invoice], "70"),
    )
    assert response.status_code == 404
    assert Payment.objects.count() == 1


def test_without_payments_view_the_pages_are_a_403(acme, actor, invoice):
    role = Role.objects.create(account=acme, name="Ventes", permissions=["sales.view"])
    user = make_user("sales@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    client = logged_in(user)
    payment = pay(actor, acme, "50", invoice)

    for name, args in [("payment_list", []), ("payment_new", []), ("payment_detail", [payment.pk])]:
        assert client.get(url(name, *args)).status_code == 403, name
    assert client.post(url("payment_new"), payment_data(invoice.client, [invoice], "70")).status_code == 403
    assert client.post(url("payment_delete", payment.pk)).status_code == 403
    assert Payment.objects.count() == 1


def test_a_collaborator_records_payments_but_cannot_delete_them(collaborator_client, acme, actor, invoice):
    payment = pay(actor, acme, "50", invoice)

    detail = collaborator_client.get(url("payment_detail", payment.pk)).text
    refused = collaborator_client.post(url("payment_delete", payment.pk))
    recorded = collaborator_client.post(url("payment_new"), payment_data(invoice.client, [invoice], "70,00"))

    assert "Supprimer le paiement" not in detail
    assert refused.status_code == 403
    assert recorded.status_code == 302
    assert Payment.objects.count() == 2
    assert Document.objects.get(pk=invoice.pk).status == Status.PAID


# --- List -----------------------------------------------------------------------------------------


def test_the_list_filters_payments_and_adds_them_up(owner_client, acme, actor, buyer, invoice):
    other = make_client(acme, name="Zèbre SAS")
    second = make_invoice(
        actor, other, lines=[line("Audit", "1", "1000", "20")], issue_date=datetime.date(2026, 3, 3)
    )
    pay(actor, acme, "50", invoice, method="cheque", reference="CHQ 12")
    pay(actor, acme, "700", second, date=datetime.date(2026, 2, 20))
    pay(actor, acme, "300", second)

    everything = owner_client.get(url("payment_list")).text
    this_month = owner_client.get(url("payment_list"), {"period": "this_month"}).text
    cheques = owner_client.get(url("payment_list"), {"method": "cheque"}).text
    zebre = owner_client.get(url("payment_list"), {"client": other.pk}).text

    assert "3 paiements" in everything and "1\xa0050,00\xa0€" in everything
    assert "2 paiements" in this_month and "350,00\xa0€" in this_month
    assert "1 paiement" in cheques and "CHQ 12" in cheques and invoice.number in cheques
    assert "2 paiements" in zebre and "1\xa0000,00\xa0€" in zebre and second.number in zebre


def list_queries(client, count, acme, actor, buyer):
    for _ in range(count):
        document = make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")])
        pay(actor, acme, "60", document)
        pay(actor, acme, "60", document, method="card")
    client.get(url("payment_list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("payment_list"), {"period": "this_year"})
    assert response.status_code == 200
    assert response.text.count("<tr>") == 2 * count + 2  # header, rows, footer
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_for_few_or_many_payments(owner_client, acme, actor, buyer):
    few = list_queries(owner_client, 2, acme, actor, buyer)
    Payment.objects.all().delete()
    many = list_queries(owner_client, 22, acme, actor, buyer)

    assert few == many
    assert many <= 10


# --- Recording a payment --------------------------------------------------------------------------


def test_from_a_document_the_form_proposes_its_remaining_amount(owner_client, acme, actor, invoice):
    pay(actor, acme, "20", invoice)

    page = owner_client.get(url("payment_new") + f"?document={invoice.pk}").text

    assert 'value="100,00"' in page
    assert f'value="{invoice.pk}"' in page and "checked" in page
    assert invoice.number in page


def test_a_partial_payment_from_the_document_page_goes_back_to_it(owner_client, acme, invoice):
    response = owner_client.post(
        url("payment_new") + f"?document={invoice.pk}",
        payment_data(invoice.client, [invoice], "45,50", reference="VIR 7"),
    )

    assert response.url == url("document_detail", invoice.pk)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.remaining) == (Status.PARTIAL, D("45.50"), D("74.50"))
    payment = Payment.objects.get()
    assert (payment.amount, payment.reference, payment.client) == (D("45.50"), "VIR 7", invoice.client)
    assert AuditEvent.objects.filter(account=acme, action="payment.recorded").count() == 1


def test_a_payment_settles_the_chosen_documents_oldest_first(owner_client, acme, actor, buyer, invoice):
    newer = make_invoice(
        actor, buyer, lines=[line("Audit", "1", "200", "20")], issue_date=datetime.date(2026, 3, 5)
    )
    other_client = make_client(acme, name="Zèbre SAS")
    theirs = make_invoice(actor, other_client, issue_date=datetime.date(2026, 3, 6))

    page = owner_client.get(url("payment_new") + f"?client={buyer.pk}").text
    # Posted newest first: applied in the order of the list, the oldest first.
    response = owner_client.post(url("payment_new"), payment_data(buyer, [newer, invoice], "200"))

    assert page.index(invoice.number) < page.index(newer.number) and theirs.number not in page
    payment = Payment.objects.get()
    assert response.url == url("payment_detail", payment.pk)
    assert list(
        PaymentAllocation.objects.filter(payment=payment).order_by("id").values_list("document", "amount")
    ) == [
        (invoice.pk, D("120.00")),
        (newer.pk, D("80.00")),
    ]


def test_an_overpayment_is_refused_on_the_form(owner_client, acme, invoice):
    response = owner_client.post(url("payment_new"), payment_data(invoice.client, [invoice], "500"))

    assert response.status_code == 200
    assert "dépasse ce que doivent ces documents" in response.text
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "cent"}, "Saisissez un nombre."),
        ({"amount": "-5"}, "supérieure ou égale à 0.01"),
        ({"documents": []}, "Choisissez au moins un document à régler."),
        ({"date": "hier"}, "Saisissez une date valide."),
        ({"client": "999999"}, "Choisissez un client de la liste."),
    ],
)
def test_bad_input_gets_a_form_error_and_records_nothing(owner_client, acme, invoice, change, message):
    response = owner_client.post(
        url("payment_new"), {**payment_data(invoice.client, [invoice], "10"), **change}
    )

    assert response.status_code == 200
    assert message in response.text
    assert Payment.objects.count() == 0


def test_a_document_of_another_client_cannot_be_slipped_into_a_payment(
    owner_client, acme, actor, buyer, invoice
):
    other_client = make_client(acme, name="Zèbre SAS")
    theirs = make_invoice(actor, other_client, issue_date=datetime.date(2026, 3, 6))

    response = owner_client.post(url("payment_new"), payment_data(buyer, [invoice, theirs], "150"))

    assert response.status_code == 200 and "plus à régler" in response.text
    assert Payment.objects.count() == 0


def test_a_paid_document_has_nothing_left_to_settle(owner_client, acme, actor, invoice):
    pay(actor, acme, "120", invoice)

    page = owner_client.get(url("payment_new") + f"?document={invoice.pk}").text

    assert "n&#x27;a plus rien à régler" in page


# --- Detail and deletion --------------------------------------------------------------------------


def test_the_detail_lists_what_the_payment_settled(owner_client, acme, actor, buyer, invoice):
    newer = make_invoice(
        actor, buyer, lines=[line("Audit", "1", "200", "20")], issue_date=datetime.date(2026, 3, 5)
    )
    payment = pay(actor, acme, "150", invoice, newer, reference="VIR 9")

    page = owner_client.get(url("payment_detail", payment.pk)).text

    assert "150,00\xa0€" in page and "VIR 9" in page
    assert invoice.number in page and "120,00\xa0€" in page
    assert newer.number in page and "30,00\xa0€" in page
    assert "Supprimer le paiement" in page


def test_an_unallocated_payment_shows_as_such_and_prints_its_receipt(owner_client, acme, actor, buyer):
    payment = record_payment(
        actor, acme, date=acme.today(), amount=Decimal("80"), documents=[], client=buyer, unallocated=True
    )

    assert "Non affecté" in owner_client.get(url("payment_list")).text
    page = owner_client.get(url("payment_detail", payment.pk)).text
    assert "80,00\xa0€" in page and "ne règle encore aucun document" in page
    receipt = owner_client.get(url("payment_receipt", payment.pk))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


def test_deleting_a_payment_makes_its_documents_owed_again(owner_client, acme, actor, invoice):
    payment = pay(actor, acme, "120", invoice)

    assert owner_client.get(url("payment_delete", payment.pk)).status_code == 405
    response = owner_client.post(url("payment_delete", payment.pk))

    assert response.url == url("payment_list")
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.remaining) == (Status.ISSUED, D("120.00"))
    assert AuditEvent.objects.filter(account=acme, action="payment.deleted").count() == 1


def test_a_payment_in_the_locked_period_cannot_be_deleted(owner_client, acme, actor, invoice):
    payment = pay(actor, acme, "120", invoice, date=datetime.date(2026, 3, 5))
    acme.locked_until = datetime.date(2026, 3, 10)
    acme.save()

    response = owner_client.post(url("payment_delete", payment.pk))

    assert response.url == url("payment_detail", payment.pk)
    assert "sont protégés" in owner_client.get(response.url).text
    assert Payment.objects.filter(pk=payment.pk).exists()
