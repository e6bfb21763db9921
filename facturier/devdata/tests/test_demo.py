"""The demo data of `seed_demo` (devdata/demo.py): a few months of one business, small volume, at a fixed
date; what the demo must show is there, written by the services, and a second run adds nothing."""

import datetime

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count

from facturier.billing import chain
from facturier.billing.models import (
    Client,
    Document,
    DocumentLine,
    DocumentVatLine,
    Kind,
    Payment,
    Status,
)
from facturier.devdata import demo
from facturier.lib import identifiers, vat
from facturier.purchases.models import Attachment, Expense
from facturier.tenancy.models import Account, AuditEvent

TODAY = datetime.datetime(2025, 6, 18, 9, tzinfo=datetime.UTC)


def seed_small(account: Account) -> demo.SeedSummary:
    """Four months ending TODAY at a tenth of the volume: enough for every case the demo shows."""
    return demo.seed_account(account, "bakery", months=4, volume=0.1)


@pytest.fixture
def seeded(acme: Account) -> Account:
    with time_machine.travel(TODAY, tick=False):
        summary = seed_small(acme)
    assert not summary.skipped and summary.counts["invoices"] > 0
    return acme


def test_a_seeded_account_shows_every_kind_of_sale(seeded):
    documents = Document.objects.filter(account=seeded)
    # Several French rates, and B2C sales to other member states at their own rates (OSS).
    french_rates = set(
        DocumentVatLine.objects.filter(account=seeded, vat_category=vat.STANDARD, vat_country="FR")
        .values_list("vat_rate", flat=True)
        .distinct()
    )
    assert len(french_rates) >= 3
    oss_lines = (
        DocumentLine.objects.filter(account=seeded).exclude(vat_country="FR").select_related("document")
    )
    assert oss_lines.exists()
    for line in oss_lines:
        assert line.document.oss and line.document.buyer_country == line.vat_country
        assert line.vat_rate in vat.rates_for(line.vat_country)
    # Foreign currencies, with their EUR amounts.
    foreign = documents.filter(kind=Kind.INVOICE).exclude(currency="EUR")
    assert set(foreign.values_list("currency", flat=True)) == {"USD", "CHF"}
    for document in foreign:
        assert document.exchange_rate != 1
        assert document.gross_total_eur == round(document.gross_total * document.exchange_rate, 2)
    # Total and partial credit notes.
    notes = documents.filter(kind=Kind.CREDIT_NOTE).select_related("corrected_document")
    corrected = {note.corrected_document.status for note in notes if note.corrected_document}
    assert Status.CANCELLED in corrected and corrected - {Status.CANCELLED}
    assert all(note.gross_total < 0 and note.number.startswith("AV-") for note in notes)
    # Quotes accepted and converted, a proforma, an advance deducted by its final invoice.
    assert documents.filter(kind=Kind.ESTIMATE, status=Status.ACCEPTED).exists()
    assert documents.filter(kind=Kind.INVOICE, source_document__kind=Kind.ESTIMATE).exists()
    assert documents.filter(kind=Kind.PROFORMA).exists()
    advance, final = documents.get(kind=Kind.ADVANCE), documents.get(kind=Kind.FINAL)
    assert advance.deducted_in == final and final.advances_deducted == advance.gross_total
    assert not documents.filter(status=Status.DRAFT).exists()
    # Mostly paid; some partly paid, some overdue, a few sent.
    invoices = documents.filter(kind=Kind.INVOICE)
    assert invoices.filter(status=Status.PAID).count() > invoices.count() / 2
    partial = invoices.filter(status=Status.PARTIAL)
    assert partial.exists() and all(0 < d.paid_total < d.amount_due for d in partial)
    late = [Status.ISSUED, Status.SENT, Status.PARTIAL]
    assert invoices.filter(due_date__lt=TODAY.date(), status__in=late).exists()
    assert invoices.filter(sent_at__isnull=False).exists()


def test_a_seeded_account_is_consistent_and_its_expenses_have_stored_receipts(seeded, owner, capsys):
    documents = Document.objects.filter(account=seeded)
    for kind in (Kind.INVOICE, Kind.CREDIT_NOTE, Kind.ESTIMATE):
        dates = list(documents.filter(kind=kind).order_by("sequence").values_list("issue_date", flat=True))
        assert dates == sorted(dates)
    all_dates = documents.values_list("issue_date", flat=True)
    assert min(all_dates) >= datetime.date(2025, 3, 1) and max(all_dates) <= TODAY.date()
    assert not Payment.objects.filter(account=seeded, date__gt=TODAY.date()).exists()
    assert chain.verify(seeded) is None
    call_command("verify_chain", "--account", seeded.slug)
    assert capsys.readouterr().out.startswith("OK: ")

    for client in Client.objects.filter(account=seeded).exclude(vat_number=""):
        assert identifiers.clean_vat_number(client.vat_number) == client.vat_number
        if client.country == "FR":
            assert identifiers.clean_siren(client.siren) == client.siren
    assert set(documents.values_list("issued_by", flat=True)) == {owner.pk}
    assert AuditEvent.objects.filter(account=seeded, action="document.issued").count() == documents.count()

    expenses = Expense.objects.filter(account=seeded)
    assert expenses.count() > 10 and expenses.filter(status="paid").exists()
    attachments = Attachment.objects.filter(account=seeded)
    assert {a.content_type for a in attachments} == {"application/pdf", "image/png"}
    for attachment in attachments:
        with default_storage.open(attachment.file.name) as stored:
            head = stored.read(8)
        assert head.startswith(b"%PDF-" if attachment.content_type == "application/pdf" else b"\x89PNG")


def test_a_second_run_adds_nothing(seeded):
    def counts() -> dict[str, int]:
        return {
            "documents": Document.objects.filter(account=seeded).count(),
            "payments": Payment.objects.filter(account=seeded).count(),
            "expenses": Expense.objects.filter(account=seeded).count(),
            "clients": Client.objects.filter(account=seeded).count(),
            "audit": AuditEvent.objects.filter(account=seeded).count(),
        }

    before = counts()
    with time_machine.travel(TODAY + datetime.timedelta(days=40), tick=False):
        summary = seed_small(seeded)

    assert summary.skipped and "déjà" in str(summary)
    assert counts() == before


def test_it_is_deterministic(acme, globex):
    with time_machine.travel(TODAY, tick=False):
        seed_small(acme)
        seed_small(globex)

    def content(account: Account) -> list[tuple]:
        return list(
            Document.objects.filter(account=account)
            .order_by("chain_index")
            .values_list("number", "issue_date", "buyer_name", "gross_total", "status")
        )

    assert content(acme) == content(globex)


@pytest.mark.parametrize("business", ["firm", "workshop"])
def test_the_other_businesses_seed_too(acme, business):
    with time_machine.travel(TODAY, tick=False):
        summary = demo.seed_account(acme, business, months=2, volume=0.1)

    assert summary.counts["invoices"] > 0 and summary.counts["expenses"] > 0
    kinds = dict(Document.objects.filter(account=acme).values_list("kind").annotate(n=Count("id")))
    assert kinds.get(Kind.CREDIT_NOTE) and kinds.get(Kind.ESTIMATE)
    assert chain.verify(acme) is None


def test_it_writes_nothing_in_a_locked_period(acme):
    acme.locked_until = datetime.date(2025, 4, 30)
    acme.save(update_fields=["locked_until"])

    with time_machine.travel(TODAY, tick=False):
        seed_small(acme)

    assert Document.objects.filter(account=acme).exists()
    assert not Document.objects.filter(account=acme, issue_date__lte=acme.locked_until).exists()
    assert not Expense.objects.filter(account=acme, issue_date__lte=acme.locked_until).exists()
