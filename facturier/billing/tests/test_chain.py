"""The tamper-evidence chain: hashes at issue, verification, and detection of rows altered in SQL."""

import datetime
import hashlib
import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from facturier.billing import chain
from facturier.billing.models import BillingSettings, Document
from facturier.billing.services import documents as services
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def issued(actor, acme):
    """Three issued documents (an invoice with two rates, a quote, an invoice) and a draft."""
    buyer = make_client(acme)
    lines = [line("Conseil", "3", "19.99", "20"), line("Livre", "7", "4.15", "5.5", supply_kind="goods")]
    documents = [
        make_invoice(actor, buyer, lines=lines, issue_date=DAY),
        make_invoice(actor, buyer, kind="estimate", issue_date=DAY),
        make_invoice(actor, buyer, issue_date=DAY),
    ]
    make_invoice(actor, buyer, issue=False, issue_date=DAY)
    return documents


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def canonical(document: Document) -> str:
    document = Document.objects.get(pk=document.pk)
    corrected = document.corrected_document.number if document.corrected_document else ""
    return chain.canonical_content(
        document, list(document.lines.order_by("position", "id")), list(document.vat_lines.all()), corrected
    )


def run_verify(slug: str) -> str:
    out = StringIO()
    call_command("verify_chain", "--account", slug, stdout=out)
    return out.getvalue()


def test_each_issued_document_links_to_the_previous_one(acme, issued):
    first, second, third = (Document.objects.get(pk=d.pk) for d in issued)

    assert [d.chain_index for d in (first, second, third)] == [1, 2, 3]
    assert first.chain_hash == sha256(canonical(first))
    assert second.chain_hash == sha256(first.chain_hash + canonical(second))
    assert third.chain_hash == sha256(second.chain_hash + canonical(third))
    head = BillingSettings.objects.get(account=acme)
    assert (head.chain_length, head.chain_last_hash) == (3, third.chain_hash)
    assert Document.objects.filter(status="draft", chain_index__isnull=True).count() == 1


def test_the_hashed_content_is_canonical_json_of_the_legal_content(issued):
    content = canonical(issued[0])

    assert content.startswith('{"advances_deducted":"0.00","buyer_city":"Paris",')
    assert content == json.dumps(
        json.loads(content), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    for fragment in [
        '"number":"F-2026-0001"',
        '"unit_price":"19.9900"',
        '"vat_total":"13.59"',
        '"siren":"732829320"',
    ]:
        assert fragment in content


def test_verify_passes_on_an_untouched_chain(acme, issued):
    assert chain.verify(acme) is None
    assert run_verify("acme") == "OK: 3 documents\n"


def test_verify_passes_after_the_allowed_changes(actor, acme, issued):
    services.update_issued(actor, issued[0], internal_note="Payée par virement", email_to="a@b.test")
    services.mark_sent(actor, issued[0])

    assert chain.verify(acme) is None


def test_it_detects_a_line_price_altered_in_sql(acme, issued):
    target = issued[0].lines.first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_documentline SET unit_price = %s WHERE id = %s", ["9.9900", target.pk])

    broken = chain.verify(acme)

    assert broken is not None
    assert (broken.number, broken.index) == ("F-2026-0001", 1)
    assert "empreinte" in broken.reason
    with pytest.raises(CommandError, match=r"F-2026-0001 \(index 1\)"):
        run_verify("acme")


def test_it_detects_a_total_altered_in_sql_in_the_middle_of_the_chain(acme, issued):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_document SET gross_total = 1 WHERE id = %s", [issued[1].pk])

    broken = chain.verify(acme)

    assert broken is not None and (broken.number, broken.index) == ("D-2026-0001", 2)


def test_it_detects_a_document_removed_in_sql(acme, issued):
    middle = issued[1].pk
    with connection.cursor() as cursor:
        for table in ("billing_documentline", "billing_documentvatline", "billing_issuedfile"):
            cursor.execute(f"DELETE FROM {table} WHERE document_id = %s", [middle])  # noqa: S608
        cursor.execute("DELETE FROM billing_document WHERE id = %s", [middle])

    broken = chain.verify(acme)

    assert broken is not None and (broken.number, broken.index) == ("F-2026-0002", 3)
    assert "manque" in broken.reason


def test_it_detects_the_last_document_removed(acme, issued):
    Document.objects.filter(pk=issued[2].pk).delete()

    broken = chain.verify(acme)

    assert broken is not None and "tête de chaîne" in broken.reason
    with pytest.raises(CommandError):
        run_verify("acme")


def test_an_account_without_documents_verifies(globex):
    assert run_verify("globex") == "OK: 0 documents\n"


def test_verify_chain_refuses_an_unknown_account(db):
    with pytest.raises(CommandError, match="No account"):
        run_verify("nope")


def test_verify_reads_a_constant_number_of_queries(acme, issued, django_assert_num_queries):
    # Documents with their corrected document, lines, VAT rows, then the chain head.
    with django_assert_num_queries(4):
        chain.verify(acme)


def test_documents_issued_before_pdfs_were_kept_get_theirs_once_and_the_chain_still_holds(acme, issued):
    # As documents issued before this version: no PDF kept, no PDF hash in their chained content.
    from facturier.billing.models import BillingSettings, IssuedFile

    IssuedFile.objects.filter(document__in=issued).delete()
    previous = ""
    for document in sorted(issued, key=lambda d: d.chain_index):
        document.refresh_from_db()
        document.pdf_sha256 = ""
        document.chain_hash = chain.document_hash(document, previous)
        document.save(update_fields=["pdf_sha256", "chain_hash"])
        previous = document.chain_hash
    BillingSettings.objects.filter(account=acme).update(chain_last_hash=previous)
    assert chain.verify(acme) is None

    call_command("keep_issued_pdfs", "--account", "acme", stdout=io.StringIO())
    call_command("keep_issued_pdfs", stdout=io.StringIO())

    kept = IssuedFile.objects.filter(document__in=issued, kind="pdf")
    assert kept.count() == len(issued) and not kept.filter(at_issue=True).exists()
    assert chain.verify(acme) is None
