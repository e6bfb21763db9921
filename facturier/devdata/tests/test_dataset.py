"""generate_dataset: a tiny run has the promised shape, and its rows are the services' rows.

The comparison tests issue the same input through services.documents and through the dataset's
builder, in two accounts with the same identity, and compare every stored column but ids, foreign
keys and timestamps (the chain hashes too: same content, same position, same hash).
"""

import datetime
import io
import random
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import models

from facturier.billing import chain, numbering, tallies, totals
from facturier.billing.models import (
    BillingSettings,
    Client,
    Document,
    DocumentLine,
    DocumentVatLine,
    Kind,
    NumberingSeries,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Status,
)
from facturier.billing.services import documents as services
from facturier.billing.services.clients import CLIENT_FIELDS, create_client
from facturier.billing.services.payments import pay_in_full
from facturier.billing.tests.factories import actor_for
from facturier.conftest import make_account, make_user
from facturier.devdata import dataset
from facturier.reports import summaries
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership

UNTIL = "2026-06-30"
TINY = ["--accounts", "3", "--invoices", "300", "--seed", "1", "--until", UNTIL]


def generate(*extra: str) -> str:
    out = io.StringIO()
    call_command("generate_dataset", *TINY, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def generated(db) -> list[Account]:
    generate()
    return list(Account.objects.filter(slug__startswith="bench-").order_by("slug"))


# --- The tiny run ---------------------------------------------------------------------------------


def test_it_writes_the_requested_accounts_and_documents(generated):
    sizes = dataset.account_sizes(3, 300)
    assert [a.slug for a in generated] == ["bench-0001", "bench-0002", "bench-0003"]
    assert sum(sizes) == 300 and sizes[0] > sizes[1] > sizes[2]
    assert [Document.objects.filter(account=a).count() for a in generated] == sizes
    for account, size in zip(generated, sizes, strict=True):
        owner = Membership.objects.get(account=account, is_owner=True)
        assert owner.user.email == f"owner@{account.slug}.invalid"
        assert not owner.user.has_usable_password()
        assert BillingSettings.objects.filter(account=account).exists()
        assert Client.objects.filter(account=account).count() == dataset.clients_for(size)
    dates = Document.objects.values_list("issue_date", flat=True)
    assert min(dates) >= datetime.date(2023, 7, 1) and max(dates) <= datetime.date(2026, 6, 30)


def test_statuses_kinds_and_payments_have_the_promised_shares(generated):
    for account, size in zip(generated, dataset.account_sizes(3, 300), strict=True):
        fates = dataset.status_counts(size)
        notes = fates[dataset.CANCELLED] + fates[dataset.PART_CREDITED]
        documents = Document.objects.filter(account=account)
        assert Counter(documents.values_list("kind", flat=True)) == {
            Kind.INVOICE: size - notes,
            Kind.CREDIT_NOTE: notes,
        }
        assert Counter(documents.values_list("status", flat=True)) == {
            Status.PAID: fates[dataset.PAID] + fates[dataset.PART_CREDITED],
            Status.ISSUED: fates[dataset.UNPAID] + notes,
            Status.DRAFT: fates[dataset.DRAFT],
            Status.CANCELLED: fates[dataset.CANCELLED],
        }
    total = Document.objects.count()
    assert Document.objects.filter(status=Status.PAID).count() == pytest.approx(0.76 * total, abs=3)
    # Every paid invoice has one payment of its whole amount due, net of what was credited.
    for document in Document.objects.filter(status=Status.PAID):
        allocation = PaymentAllocation.objects.get(document=document)
        assert allocation.amount == allocation.payment.amount == document.paid_total
        assert document.paid_total + document.credited_total == document.gross_total
        assert allocation.payment.date >= document.issue_date
    assert Payment.objects.count() == Document.objects.filter(status=Status.PAID).count()
    for note in Document.objects.filter(kind=Kind.CREDIT_NOTE).select_related("corrected_document"):
        invoice = note.corrected_document
        assert invoice is not None
        assert invoice.client_id == note.client_id and invoice.issue_date <= note.issue_date
        assert invoice.credited_total == -note.gross_total
        assert invoice.status == (
            Status.CANCELLED if note.gross_total == -invoice.gross_total else Status.PAID
        )
    lines_per_document = Counter(DocumentLine.objects.values_list("document_id", flat=True)).values()
    assert min(lines_per_document) >= 1 and max(lines_per_document) <= 5
    assert 2.5 <= DocumentLine.objects.count() / total <= 3.5
    countries = Counter(Document.objects.values_list("buyer_country", flat=True))
    assert 0.75 <= countries["FR"] / total <= 0.95


def test_stored_totals_are_what_the_totals_module_computes_from_the_stored_lines(generated):
    documents = Document.objects.prefetch_related("lines", "vat_lines")
    for document in documents:
        lines = list(document.lines.all())
        result = totals.compute(
            [services._amounts(line) for line in lines],
            prices_are_gross=document.prices_are_gross,
            currency=document.currency,
            exchange_rate=document.exchange_rate,
        )
        assert [(line.net_amount, line.gross_amount) for line in lines] == list(
            zip(result.line_nets, result.line_grosses, strict=True)
        )
        stored = [getattr(document, name) for name in ("net_total", "vat_total", "gross_total")]
        assert stored == [result.net_total, result.vat_total, result.gross_total]
        stored_eur = [
            getattr(document, name) for name in ("net_total_eur", "vat_total_eur", "gross_total_eur")
        ]
        assert stored_eur == [result.net_total_eur, result.vat_total_eur, result.gross_total_eur]
        assert document.supply_category == result.supply_category


def test_vat_rows_add_up_to_the_document_totals(generated):
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for row in DocumentVatLine.objects.all():
        for i, amount in enumerate((row.base, row.vat_amount, row.base_eur, row.vat_amount_eur)):
            sums[row.document_id][i] += amount
    for document in Document.objects.all():
        assert sums[document.pk] == [
            document.net_total,
            document.vat_total,
            document.net_total_eur,
            document.vat_total_eur,
        ]
    vat_row = DocumentVatLine.objects.select_related("document").first()
    assert vat_row is not None
    assert (vat_row.issue_date, vat_row.kind) == (vat_row.document.issue_date, vat_row.document.kind)


def test_numbers_are_gapless_per_account_series_and_year_in_date_order(generated):
    for account in generated:
        series: dict[tuple[str, int], list[Document]] = defaultdict(list)
        for document in (
            Document.objects.filter(account=account).exclude(status=Status.DRAFT).order_by("sequence")
        ):
            series[(document.kind, document.issue_date.year)].append(document)
        assert series
        for (kind, year), documents in series.items():
            assert [d.sequence for d in documents] == list(range(1, len(documents) + 1))
            pattern = numbering.DEFAULT_PATTERNS[kind]
            assert [d.number for d in documents] == [
                numbering.format_number(pattern, year, d.issue_date.month, n)
                for n, d in enumerate(documents, start=1)
            ]
            dates = [d.issue_date for d in documents]
            assert dates == sorted(dates)
            stored = NumberingSeries.objects.get(account=account, kind=kind, year=year)
            assert stored.last_number == len(documents)
        assert NumberingSeries.objects.filter(account=account).count() == len(series)
    drafts = Document.objects.filter(status=Status.DRAFT)
    assert drafts.exists()
    assert set(drafts.values_list("number", "chain_index", "chain_hash")) == {("", None, "")}


def test_every_account_chain_verifies(generated):
    for account in generated:
        assert chain.verify(account) is None
        issued = Document.objects.filter(account=account).exclude(status=Status.DRAFT).count()
        assert BillingSettings.objects.get(account=account).chain_length == issued


def test_the_reports_summary_is_the_one_the_documents_give(generated):
    for account in generated:
        stored = summaries.stored_summary(account)
        assert stored and stored == summaries.computed_summary(account)


def test_the_tally_of_documents_is_the_one_the_documents_give(generated):
    for account in generated:
        stored = tallies.stored([account.pk])
        assert stored and stored == tallies.entries(Document.objects.filter(account=account))


def test_a_second_run_refuses_without_replace(generated):
    before = Document.objects.count()

    with pytest.raises(CommandError, match="--replace"):
        generate()

    assert Document.objects.count() == before


def test_replace_deletes_the_dataset_and_writes_the_same_one_again(generated):
    old_ids = {a.pk for a in generated}
    hashes = list(
        Document.objects.order_by("account__slug", "chain_index").values_list("number", "chain_hash")
    )

    output = generate("--replace")

    assert "Deleting 3 dataset accounts" in output
    accounts = Account.objects.filter(slug__startswith="bench-")
    assert accounts.count() == 3 and not {a.pk for a in accounts} & old_ids
    assert (
        list(Document.objects.order_by("account__slug", "chain_index").values_list("number", "chain_hash"))
        == hashes
    )
    assert Document.objects.count() == 300


def test_replace_leaves_alone_a_bench_account_somebody_else_created(db):
    someone = make_user("real@example.com")
    make_account("bench-0001", "Bench press club", someone)

    with pytest.raises(CommandError, match="Not deleting bench-0001"):
        generate("--replace")

    assert Account.objects.filter(slug="bench-0001", name="Bench press club").exists()


def test_generated_clients_are_what_create_client_stores(db):
    account = make_account("acme", "ACME", make_user("o@acme.test"))
    now = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
    generated = dataset.make_clients(random.Random(3), account, 40, now)
    Client.objects.bulk_create(generated)

    for client in generated:
        stored = create_client(
            Actor.system(), account, **{name: getattr(client, name) for name in CLIENT_FIELDS}
        )
        assert _columns(stored, CLIENT_EXCLUDED) == _columns(
            Client.objects.get(pk=client.pk), CLIENT_EXCLUDED
        )


# --- Generated rows against the services' rows ---------------------------------------------------

DAY = datetime.date(2026, 3, 10)
PAID_ON = datetime.date(2026, 3, 20)
CLIENT_EXCLUDED = {"id", "created_at", "updated_at"}
# Generated documents stand for documents issued before PDFs were kept: no PDF hash in their chained
# content (their PDF is made at first download), so their hash differs from the services' by that alone.
DOCUMENT_EXCLUDED = {
    "id", "account_id", "client_id", "corrected_document_id", "issued_by_id", "issued_at", "created_at", "updated_at",
    "pdf_sha256", "chain_hash",
}  # fmt: skip
ROW_EXCLUDED = {
    "id",
    "account_id",
    "document_id",
    "payment_id",
    "client_id",
    "created_by_id",
    "created_at",
    "updated_at",
}

PROFILES = {
    "french company": lambda c: c.country == "FR" and c.is_company,
    "french person, TTC prices": lambda c: c.country == "FR" and not c.is_company,
    "EU company, reverse charge": lambda c: dataset.profile_of(c) == dataset.EU and c.is_company,
    "EU person, OSS": lambda c: dataset.profile_of(c) == dataset.EU and not c.is_company,
    "export": lambda c: dataset.profile_of(c) == dataset.EXPORT,
}


def _columns(instance: models.Model, excluded: set[str]) -> dict[str, Any]:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in excluded
    }


def _twin_accounts() -> tuple[Account, Account]:
    """Two accounts with the same identity and clients: one written by the services, one generated."""
    identity = dataset.account_identity(random.Random(5), 1)
    accounts = []
    for slug in ("by-services", "generated"):
        account = make_account(
            slug,
            identity["name"],
            make_user(f"owner@{slug}.test"),
            **{k: v for k, v in identity.items() if k != "name"},
        )
        now = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
        Client.objects.bulk_create(dataset.make_clients(random.Random(3), account, 40, now))
        accounts.append(account)
    return accounts[0], accounts[1]


def _client(account: Account, profile: str) -> Client:
    return next(c for c in Client.objects.filter(account=account).order_by("pk") if PROFILES[profile](c))


def _input(client: Client, profile: str) -> services.DocumentInput:
    data = dataset.random_input(random.Random(11), client, DAY)
    return replace(data, prices_are_gross=True) if "TTC" in profile else data


def _assert_same_rows(mine: Document, theirs: Document) -> None:
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert _columns(mine, DOCUMENT_EXCLUDED) == _columns(theirs, DOCUMENT_EXCLUDED)
    for relation in ("lines", "vat_lines", "allocations"):
        mine_rows = [_columns(row, ROW_EXCLUDED) for row in getattr(mine, relation).order_by("pk")]
        their_rows = [_columns(row, ROW_EXCLUDED) for row in getattr(theirs, relation).order_by("pk")]
        assert mine_rows == their_rows, relation
    mine_payments = [_columns(a.payment, ROW_EXCLUDED) for a in mine.allocations.all()]
    assert mine_payments == [_columns(a.payment, ROW_EXCLUDED) for a in theirs.allocations.all()]


def _assert_same_heads(by_services: Account, generated: Account) -> None:
    def series(account: Account) -> list[tuple[str, int, int]]:
        return list(
            NumberingSeries.objects.filter(account=account)
            .order_by("kind", "year")
            .values_list("kind", "year", "last_number")
        )

    assert series(generated) == series(by_services)
    assert summaries.stored_summary(generated) == summaries.stored_summary(by_services)
    assert summaries.stored_summary(generated)
    # The chains hold the same documents; the hashes differ by the PDF hash the services chain (DOCUMENT_EXCLUDED).
    lengths = [BillingSettings.objects.get(account=a).chain_length for a in (by_services, generated)]
    assert lengths[0] == lengths[1]
    assert chain.verify(generated) is None
    assert chain.verify(by_services) is None


@pytest.mark.parametrize("profile", PROFILES)
def test_a_generated_paid_invoice_is_stored_like_one_issued_and_paid_through_the_services(db, profile):
    by_services, generated = _twin_accounts()
    actor = actor_for(by_services, Membership.objects.get(account=by_services).user)
    theirs = services.create_document(
        actor, by_services, _input(_client(by_services, profile), profile), issue=True
    )
    pay_in_full(actor, theirs, date=PAID_ON, method=PaymentMethod.CHEQUE)

    builder = dataset.AccountBuilder(
        account=generated,
        owner=Membership.objects.get(account=generated).user,
        billing_settings=BillingSettings.objects.create(account=generated),
    )
    client = _client(generated, profile)
    moment = datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC)
    built = builder.issue(builder.draft(client, _input(client, profile), created_at=moment), issued_at=moment)
    builder.pay(built, date=PAID_ON, method=PaymentMethod.CHEQUE, created_at=moment)
    writer = dataset.Writer(batch_size=10)
    writer.add(built)
    writer.flush()
    dataset.finish_account(builder)

    _assert_same_rows(built.document, theirs)
    assert built.document.chain_hash and built.document.chain_index == 1
    _assert_same_heads(by_services, generated)


def test_a_generated_draft_is_stored_like_one_created_through_the_services(db):
    by_services, generated = _twin_accounts()
    actor = actor_for(by_services, Membership.objects.get(account=by_services).user)
    theirs = services.create_draft(actor, by_services, _input(_client(by_services, "export"), "export"))

    builder = dataset.AccountBuilder(
        account=generated,
        owner=Membership.objects.get(account=generated).user,
        billing_settings=BillingSettings.objects.create(account=generated),
    )
    client = _client(generated, "export")
    built = builder.draft(client, _input(client, "export"), created_at=datetime.datetime.now(tz=datetime.UTC))
    writer = dataset.Writer(batch_size=10)
    writer.add(built)
    writer.flush()

    _assert_same_rows(built.document, theirs)
    assert (built.document.status, built.document.number, built.document.seller) == (Status.DRAFT, "", {})


@pytest.mark.parametrize("profile", ["french company", "export"])
@pytest.mark.parametrize("fate", [dataset.CANCELLED, dataset.PART_CREDITED])
def test_a_generated_credit_note_is_stored_like_one_issued_through_the_services(db, profile, fate):
    by_services, generated = _twin_accounts()
    note_day = datetime.date(2026, 3, 25)
    reason = "Geste commercial"

    def credited_lines(data: services.DocumentInput) -> list[services.LineInput] | None:
        first = data.lines[0]
        return None if fate == dataset.CANCELLED else [replace(first, quantity=first.quantity / 2)]

    actor = actor_for(by_services, Membership.objects.get(account=by_services).user)
    data = _input(_client(by_services, profile), profile)
    invoice = services.create_document(actor, by_services, data, issue=True)
    with time_machine.travel(datetime.datetime(2026, 3, 25, 10, tzinfo=datetime.UTC), tick=False):
        theirs = services.create_credit_note(actor, invoice, lines=credited_lines(data), reason=reason)
        theirs = services.issue(actor, theirs)
    if fate == dataset.PART_CREDITED:
        pay_in_full(actor, invoice, date=PAID_ON.replace(day=28), method=PaymentMethod.CARD)

    builder = dataset.AccountBuilder(
        account=generated,
        owner=Membership.objects.get(account=generated).user,
        billing_settings=BillingSettings.objects.create(account=generated),
    )
    client = _client(generated, profile)
    moment = datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC)
    mine = builder.issue(builder.draft(client, _input(client, profile), created_at=moment), issued_at=moment)
    note = builder.credit_note(
        mine, issue_date=note_day, reason=reason, lines=credited_lines(mine.data), created_at=moment
    )
    builder.apply_credit_note(mine, note)
    if fate == dataset.PART_CREDITED:
        builder.pay(mine, date=PAID_ON.replace(day=28), method=PaymentMethod.CARD, created_at=moment)
    builder.issue(note, issued_at=moment)
    writer = dataset.Writer(batch_size=10)
    writer.add(mine)
    writer.add(note)
    writer.flush()
    dataset.finish_account(builder)

    _assert_same_rows(mine.document, invoice)
    _assert_same_rows(note.document, theirs)
    assert note.document.corrected_document_id == mine.document.pk
    assert mine.document.status == (Status.CANCELLED if fate == dataset.CANCELLED else Status.PAID)
    _assert_same_heads(by_services, generated)
