"""What creating and issuing an invoice costs in queries. Each statement is a round trip to the database,
most of the time such a write takes, so the statements are listed here and cannot grow back unnoticed
(bench/pages.py measures the time; no test asserts one)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facturier.billing import tallies
from facturier.billing.chain import verify
from facturier.billing.models import Document, IssuedFile
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.services.documents import DocumentInput, create_document, issue
from facturier.billing.tests.factories import actor_for, line, make_client
from facturier.einvoice.tests.conftest import SELLER_IDENTITY
from facturier.reports.summaries import computed_summary, stored_summary
from facturier.tenancy.access import Actor
from facturier.tenancy.models import AuditEvent
from facturier.tenancy.services import update_account_identity

RATES = ["20", "20", "20", "20", "20", "10", "10", "10", "5.5", "5.5"]

# The draft: its client, then the document, its lines and its VAT rows, one INSERT each.
# After the audit event, the account's tally of documents (billing/tallies.py), once per service call.
TALLY = "INSERT billing_documenttally"
DRAFT = [
    "SELECT billing_client",
    "INSERT billing_document",
    "INSERT billing_documentline",
    "INSERT billing_documentvatline",
]
# Issuing: the account's lock (its settings row), the series (with the date of its last invoice), the
# e-invoice settings, the document, the chain head, the reports' summary (contributions, one upsert: under
# the lock already held), the kept files (the PDF, and a Factur-X when the account keeps one, in one INSERT).
ISSUE = [
    "SELECT billing_billingsettings",
    "SELECT billing_numberingseries",
    "UPDATE billing_numberingseries",
    "SELECT einvoice_einvoicesettings",
    "UPDATE billing_document",
    "UPDATE billing_billingsettings",
    "INSERT reports_reportcontribution",
    "INSERT reports_reportsummary",
    "INSERT billing_issuedfile",
]


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


def ten_lines(buyer) -> DocumentInput:
    lines = [line(f"Ligne {n}", "3", "19.99", rate) for n, rate in enumerate(RATES, start=1)]
    return DocumentInput(kind="vat", client_id=buyer.pk, issue_date=buyer.account.today(), lines=lines)


def statements(queries: CaptureQueriesContext) -> list[str]:
    """Each query as "VERB table", without the savepoints of the test's own transaction (the sales form
    calls these services outside any transaction, where they make none)."""
    shown = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT)\b", sql):
            continue
        verb = sql.split()[0].upper()
        # A SELECT names its table with its first column; the others after INTO or UPDATE.
        table = re.search(r'^\s*SELECT\s+"(\w+)"\.', sql) or re.search(
            r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql
        )
        shown.append(f"{verb} {table.group(1) if table else '?'}")
    return shown


def test_creating_and_issuing_a_ten_line_invoice_takes_fifteen_queries(
    actor, acme, django_capture_on_commit_callbacks
):
    buyer = make_client(acme)
    create_document(actor, acme, ten_lines(buyer), issue=True)  # the account's first: its settings rows

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        document = create_document(actor, acme, ten_lines(buyer), issue=True)

    # The two audit events (created, issued) go in one INSERT; nothing runs after the commit of an
    # account without webhooks.
    assert statements(queries) == [*DRAFT, *ISSUE, "INSERT tenancy_auditevent", TALLY]
    stored = Document.objects.get(pk=document.pk)
    assert (stored.number, stored.gross_total, stored.lines.count()) == (
        document.number,
        Decimal("684.26"),
        10,
    )
    assert stored.pdf_sha256 == IssuedFile.objects.get(document=stored, kind=IssuedFile.Kind.PDF).sha256
    assert list(
        AuditEvent.objects.filter(target__in=[str(stored.pk), stored.number]).values_list("action", flat=True)
    ) == [
        "document.created",
        "document.issued",
    ]
    assert verify(acme) is None
    assert computed_summary(acme) == stored_summary(acme)
    assert tallies.stored([acme.pk]) == tallies.entries(Document.objects.filter(account=acme))


def test_issuing_a_saved_draft_takes_fifteen_queries(actor, acme, django_capture_on_commit_callbacks):
    buyer = make_client(acme)
    create_document(actor, acme, ten_lines(buyer), issue=True)
    with CaptureQueriesContext(connection) as drafting:
        draft = create_document(actor, acme, ten_lines(buyer), issue=False)

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        issue(actor, draft)

    assert statements(drafting) == [*DRAFT, "INSERT tenancy_auditevent", TALLY]
    # The draft is read again, locked, with its lines and VAT rows: it may have changed since.
    assert statements(queries) == [
        ISSUE[0],
        "SELECT billing_document",
        "SELECT billing_documentline",
        "SELECT billing_documentvatline",
        *ISSUE[1:],
        "INSERT tenancy_auditevent",
        TALLY,
    ]
    assert verify(acme) is None
    assert computed_summary(acme) == stored_summary(acme)
    assert tallies.stored([acme.pk]) == tallies.entries(Document.objects.filter(account=acme))


def test_an_invoice_kept_with_its_factur_x_takes_fifteen_queries_too(
    actor, acme, django_capture_on_commit_callbacks
):
    # A seller complete for an e-invoice: the Factur-X is kept with the PDF, as accounts that issue
    # e-invoices or attach them to their e-mails (the default) keep it.
    seller = update_account_identity(Actor.system(), acme, SELLER_IDENTITY)
    update_billing_settings(
        Actor.system(), acme, {"legal_form": "SAS", "share_capital": "10000", "rcs_city": "Paris"}
    )
    acme.refresh_from_db()
    assert seller.iban
    buyer = make_client(acme)
    create_document(actor, acme, ten_lines(buyer), issue=True)

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        document = create_document(actor, acme, ten_lines(buyer), issue=True)

    assert statements(queries) == [*DRAFT, *ISSUE, "INSERT tenancy_auditevent", TALLY]
    kept = IssuedFile.objects.filter(document=document).values_list("kind", flat=True)
    assert sorted(kept) == [IssuedFile.Kind.FACTURX, IssuedFile.Kind.PDF]
