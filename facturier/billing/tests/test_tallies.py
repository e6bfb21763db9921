"""The accounts' tallies of documents (billing/tallies.py): every service keeps them equal to what the
documents add up to, and the sales list reads its totals from them when it can."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing import queries, tallies
from facturier.billing.models import Document, DocumentTally, Kind, Status
from facturier.billing.services import documents as services
from facturier.billing.services.payments import delete_payment, pay_in_full, record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme, name="Dupont SARL")


def assert_tallied(account) -> None:
    """The stored tally rows are those the account's documents make, read afresh."""
    assert tallies.stored([account.pk]) == tallies.entries(Document.objects.filter(account=account))


def test_every_service_keeps_the_tally_equal_to_the_documents(actor, acme, buyer, globex):
    other_account_invoice = make_invoice(globex, make_client(globex))

    draft = make_invoice(actor, buyer, issue=False, lines=[line("A", "2", "100", "20")])
    assert_tallied(acme)
    services.update_draft(
        actor, draft, services.DocumentInput(
            kind="vat", client_id=buyer.pk, issue_date=acme.today(), lines=[line("B", "1", "55.55", "10")]
        ),
    )  # fmt: skip
    assert_tallied(acme)
    copy = services.duplicate(actor, draft)
    services.delete_draft(actor, copy)
    assert_tallied(acme)
    invoice = services.issue(actor, draft)
    assert_tallied(acme)
    services.mark_sent(actor, invoice)
    services.update_issued(actor, invoice, internal_note="Relancé")
    assert_tallied(acme)

    # Payments, partial then full, and one deleted.
    partial = record_payment(
        actor, acme, date=acme.today(), amount=Decimal("10"), documents=[invoice], currency="EUR"
    )
    assert_tallied(acme)
    delete_payment(actor, partial)
    assert_tallied(acme)
    pay_in_full(actor, invoice)
    assert_tallied(acme)

    # A quote accepted, an advance and the final invoice deducting it, a credit note.
    quote = make_invoice(actor, buyer, kind=Kind.ESTIMATE, lines=[line("Projet", "1", "1000", "20")])
    services.set_estimate_status(actor, quote, Status.ACCEPTED)
    advance = services.issue(actor, services.create_advance(actor, quote, percent=Decimal("30")))
    final = services.issue(actor, services.create_final(actor, quote, [advance]))
    assert_tallied(acme)
    converted = services.convert(actor, quote)
    services.delete_draft(actor, converted)
    credit = services.create_credit_note(
        actor, final, lines=[line("Remise", "1", "100", "20")], reason="Geste commercial"
    )
    services.issue(actor, credit)
    assert_tallied(acme)

    # A document in another currency: its EUR amounts at its rate, rounded per document.
    foreign = make_invoice(
        actor, buyer, currency="USD", exchange_rate=Decimal("0.923457"), lines=[line("X", "3", "33.33", "20")]
    )
    record_payment(
        actor, acme, date=acme.today(), amount=Decimal("7.77"), documents=[foreign], currency="USD"
    )
    assert_tallied(acme)

    # The other account's tally is its own.
    assert tallies.stored([globex.pk]) == tallies.entries([other_account_invoice])


def test_a_document_saved_after_a_partial_read_still_moves_its_tally(actor, acme, buyer):
    invoice = make_invoice(actor, buyer)
    partial = Document.objects.only("id", "internal_note").get(pk=invoice.pk)
    Document.objects.filter(pk=invoice.pk).update(status=Status.SENT)  # as another transaction would
    tallies.rebuild([acme.pk])
    partial.internal_note = "Vu"
    partial.save(update_fields=["internal_note"])

    assert_tallied(acme)


def test_rebuild_counts_documents_written_without_the_services(actor, acme, buyer):
    make_invoice(actor, buyer)
    make_invoice(actor, buyer, issue=False)
    DocumentTally.objects.all().delete()

    assert tallies.rebuild([acme.pk]) == 2
    assert_tallied(acme)


def test_the_list_totals_from_the_tally_are_those_summed_from_the_documents(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("A", "1", "100", "20")])
    make_invoice(actor, buyer, issue=False, lines=[line("B", "1", "10.10", "5.5")])
    make_invoice(actor, buyer, kind=Kind.ESTIMATE, lines=[line("C", "1", "70", "20")])
    foreign = make_invoice(
        actor, buyer, currency="GBP", exchange_rate=Decimal("1.157301"), lines=[line("D", "1", "19.99", "20")]
    )
    record_payment(actor, acme, date=acme.today(), amount=Decimal("20"), documents=[invoice], currency="EUR")
    record_payment(actor, acme, date=acme.today(), amount=Decimal("1"), documents=[foreign], currency="GBP")

    for filters in (
        queries.DocumentFilters(),
        queries.DocumentFilters(kind=Kind.INVOICE),
        queries.DocumentFilters(status=Status.PARTIAL),
        queries.DocumentFilters(kind=Kind.ESTIMATE, status=Status.ISSUED),
    ):
        summed = queries.document_totals(queries.filtered_documents(acme, filters))
        assert queries.tallied_totals(acme, filters) == summed
    everything = queries.tallied_totals(acme, queries.DocumentFilters())
    assert everything is not None and everything.count == 4
    # Filters the tally does not hold are summed from the documents.
    for filters in (
        queries.DocumentFilters(status=queries.UNPAID),
        queries.DocumentFilters(client_id=buyer.pk),
        queries.DocumentFilters(date_from=datetime.date(2026, 1, 1)),
        queries.DocumentFilters(search="Dupont"),
    ):
        assert queries.tallied_totals(acme, filters) is None


def test_the_unfiltered_list_reads_the_tally_not_the_documents(owner_client, actor, acme, buyer):
    for _ in range(3):
        make_invoice(actor, buyer)

    with CaptureQueriesContext(connection) as captured:
        response = owner_client.get(reverse("billing:document_list", kwargs={"slug": acme.slug}))

    assert response.status_code == 200
    assert "3 documents" in response.text
    counted = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counted if 'FROM "billing_document" ' in sql]
