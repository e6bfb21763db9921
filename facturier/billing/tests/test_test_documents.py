"""Test documents (Document.test, the public API's `test: true`): issued as the real thing would be, but
numbered in their own series, never chained, never paid, outside the reports, exports, tallies and the
dashboard, marked on their page, PDF and e-mails, and deletable once issued."""

import datetime
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from facturier.billing import chain, issued, pdf, queries, tallies
from facturier.billing.models import BillingSettings, Document, IssuedFile, NumberingSeries, Status
from facturier.billing.services import documents as services
from facturier.billing.services import payments, sending
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.billing.tests.test_document_pages import TWO_RATES, form_data
from facturier.einvoice import policy
from facturier.exports import selection
from facturier.exports.base import ExportRequest
from facturier.reports import summaries
from facturier.reports.models import ReportContribution
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


def test_a_test_document_has_its_own_series_and_leaves_the_legal_one_alone(actor, acme, buyer):
    real = make_invoice(actor, buyer, issue_date=DAY)
    first = make_invoice(actor, buyer, issue_date=DAY, test=True)
    quote = make_invoice(actor, buyer, kind="estimate", issue_date=DAY, test=True)
    # A test document dated before the series' last invoice is no trouble: it is in no series.
    earlier = make_invoice(actor, buyer, issue_date=DAY - datetime.timedelta(days=30), test=True)
    after = make_invoice(actor, buyer, issue_date=DAY)

    assert [first.number, quote.number, earlier.number] == ["TEST-0001", "TEST-0002", "TEST-0003"]
    assert first.sequence is None and first.status == Status.ISSUED
    assert (real.number, after.number) == ("F-2026-0001", "F-2026-0002")
    assert NumberingSeries.objects.get(account=acme, kind="vat", year=2026).last_number == 2
    assert not NumberingSeries.objects.filter(account=acme, kind="estimate").exists()


def test_a_test_document_is_not_chained_and_deleting_it_breaks_nothing(actor, acme, buyer):
    real = make_invoice(actor, buyer, issue_date=DAY)
    test = make_invoice(actor, buyer, issue_date=DAY, test=True)
    last = make_invoice(actor, buyer, issue_date=DAY)

    test.refresh_from_db()
    assert (test.chain_index, test.chain_hash) == (None, "")
    assert [Document.objects.get(pk=d.pk).chain_index for d in (real, last)] == [1, 2]
    assert BillingSettings.objects.get(account=acme).chain_length == 2
    services.delete_draft(actor, test)
    assert chain.verify(acme) is None
    out = StringIO()
    call_command("verify_chain", "--account", acme.slug, stdout=out)
    assert out.getvalue().strip() == "OK: 2 documents"


def test_an_issued_test_document_can_be_deleted_with_its_files_and_a_real_one_cannot(
    actor, acme, buyer, django_capture_on_commit_callbacks
):
    test = make_invoice(actor, buyer, test=True)
    kept = IssuedFile.objects.get(document=test).file.name
    assert default_storage.exists(kept)
    real = make_invoice(actor, buyer)

    with pytest.raises(ServiceError):
        services.delete_draft(actor, real)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_draft(actor, test)

    assert not Document.objects.filter(pk=test.pk).exists()
    assert Document.objects.filter(pk=real.pk).exists()
    assert not default_storage.exists(kept)
    event = AuditEvent.objects.filter(account=acme, action="document.deleted").get()
    assert "TEST-0001" in event.summary


def test_a_test_document_is_never_paid_nor_owed(actor, acme, buyer):
    test = make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")], test=True)

    with pytest.raises(ServiceError, match="document de test"):
        payments.pay_in_full(actor, test)
    assert test.remaining == 0 and not test.is_open
    assert not Document.objects.filter(pk=test.pk).owed().exists()
    assert list(queries.open_documents(acme, buyer.pk)) == []


def test_credit_notes_stay_on_their_side_of_the_books(actor, acme, buyer):
    test = make_invoice(actor, buyer, test=True)
    real = make_invoice(actor, buyer)

    note = services.create_credit_note(actor, test, reason="Essai")
    assert note.test
    services.issue(actor, note)
    assert Document.objects.get(pk=note.pk).number == "TEST-0002"
    with pytest.raises(ServiceError, match="avoir de test"):
        services.delete_draft(actor, test)  # its credit note first
    mismatched = services.DocumentInput(
        kind="correction",
        client_id=buyer.pk,
        issue_date=acme.today(),
        lines=[line("Conseil", "-1", "100", "20")],
        corrected_document_id=real.pk,
        correction_reason="Essai",
        test=True,
    )
    with pytest.raises(ServiceError) as refused:
        services.create_draft(actor, acme, mismatched)
    assert refused.value.field == "test"


def test_test_documents_count_in_no_tally_report_export_or_dashboard(actor, acme, buyer):
    lines = [line("Conseil", "2", "100", "20")]
    real = make_invoice(actor, buyer, lines=lines, issue_date=DAY)
    test = make_invoice(actor, buyer, lines=lines, issue_date=DAY, test=True)

    # Tally: what the documents give is what is stored, and the test document counts nowhere.
    assert tallies.stored([acme.pk]) == tallies.entries(Document.objects.filter(account=acme))
    assert sum(row[0] for row in tallies.stored([acme.pk]).values()) == 1
    # The VAT summary: no contribution, and a rebuild gives the same.
    assert not ReportContribution.objects.filter(account=acme, source_id=test.pk).exists()
    assert summaries.stored_summary(acme) == summaries.computed_summary(acme)
    summaries.rebuild(acme)
    assert not ReportContribution.objects.filter(account=acme, source_id=test.pk).exists()
    # Exports (FEC, spreadsheets, ZIP of PDFs) read one selection.
    request = ExportRequest(account=acme, start=DAY, end=DAY)
    assert list(selection.sales_documents(request)) == [Document.objects.get(pk=real.pk)]
    # The dashboard and the unpaid figures.
    figures = queries.dashboard_figures(acme, [(DAY, Decimal(0))])
    assert figures.unpaid_total == Decimal("240.00")
    # The sales list: the real documents, or the test ones on their own.
    listed = queries.filtered_documents(acme, queries.DocumentFilters())
    assert list(listed.values_list("pk", flat=True)) == [real.pk]
    only_tests = queries.filtered_documents(acme, queries.DocumentFilters(status=queries.TEST))
    assert list(only_tests.values_list("pk", flat=True)) == [test.pk]
    tallied = queries.tallied_totals(acme, queries.DocumentFilters())
    assert tallied is not None and tallied.count == 1
    assert queries.tallied_totals(acme, queries.DocumentFilters(status=queries.TEST)) is None


def test_a_test_document_is_marked_on_its_pdf_and_has_no_einvoice(actor, buyer):
    test = make_invoice(actor, buyer, test=True)

    data = pdf.build_payload(test)
    assert data["watermark"] == "TEST"
    assert data["test_banner"] == "Document de test – sans valeur légale"
    assert pdf.build_payload(make_invoice(actor, buyer))["test_banner"] == ""
    assert not policy.can_download(test)
    with pytest.raises(ServiceError, match="document de test"):
        policy.ensure_downloadable(test)


def test_every_page_of_its_kept_pdf_says_it_is_a_test(actor, buyer):
    many = [line(f"Article {n}", "1", "10", "20", description="Détail de l'article") for n in range(90)]
    test = make_invoice(actor, buyer, lines=many, test=True)

    pages = PdfReader(BytesIO(issued.issued_pdf(test))).pages

    assert len(pages) >= 2
    for page in pages:
        assert "Document de test – sans valeur légale" in page.extract_text()


def test_a_test_document_is_emailed_with_its_mark(actor, buyer, mailoutbox):
    test = make_invoice(actor, buyer, test=True)

    delivery = sending.send_document(
        actor, test, to=["client@example.com"], cc=[], subject="Votre facture TEST-0001", body="Bonjour"
    )

    mark = "Document de test – sans valeur légale"
    assert delivery.subject == f"[{mark}] Votre facture TEST-0001"
    assert delivery.body.startswith(mark)
    assert mailoutbox[-1].subject.startswith(f"[{mark}]")


def test_the_page_marks_it_and_offers_to_delete_it(owner_client, acme, actor, buyer):
    test = make_invoice(actor, buyer, test=True)
    url = reverse("billing:document_detail", args=[acme.slug, test.pk])

    page = owner_client.get(url).content.decode()

    assert "data-test-document" in page
    assert "Supprimer le document de test" in page
    response = owner_client.post(reverse("billing:document_delete", args=[acme.slug, test.pk]))
    assert response.status_code == 302
    assert not Document.objects.filter(pk=test.pk).exists()


def test_an_outsider_can_neither_see_nor_delete_a_test_document(outsider_client, client, acme, actor, buyer):
    test = make_invoice(actor, buyer, test=True)

    assert (
        outsider_client.get(reverse("billing:document_detail", args=[acme.slug, test.pk])).status_code == 404
    )
    delete = reverse("billing:document_delete", args=[acme.slug, test.pk])
    assert outsider_client.post(delete).status_code == 404
    assert client.post(delete).status_code == 302  # anonymous: to the login page
    assert Document.objects.filter(pk=test.pk).exists()


def test_the_list_shows_test_documents_on_their_own(owner_client, acme, actor, buyer):
    make_invoice(actor, buyer, test=True)
    make_invoice(actor, buyer)
    url = reverse("billing:document_list", args=[acme.slug])

    assert "TEST-0001" not in owner_client.get(url).content.decode()
    assert "TEST-0001" in owner_client.get(url, {"status": "test"}).content.decode()


def test_editing_a_test_draft_on_the_form_keeps_it_a_test(owner_client, acme, actor, buyer):
    draft = make_invoice(actor, buyer, issue=False, test=True)

    response = owner_client.post(
        reverse("billing:document_edit", args=[acme.slug, draft.pk]),
        {**form_data(buyer, TWO_RATES), "action": "issue"},
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.test, draft.number) == (True, "TEST-0001")


def test_a_draft_linked_to_other_documents_keeps_their_side_of_the_books(actor, acme, buyer):
    test = make_invoice(actor, buyer, test=True)
    note = services.create_credit_note(actor, test, reason="Essai")  # a test draft correcting it
    made_real = services.DocumentInput(
        kind="correction",
        client_id=buyer.pk,
        issue_date=acme.today(),
        lines=[line("Conseil", "-1", "100", "20")],
        corrected_document_id=test.pk,
        correction_reason="Essai",
        test=False,
    )

    with pytest.raises(ServiceError) as refused:
        services.update_draft(actor, note, made_real)

    assert refused.value.field == "test"
    assert Document.objects.get(pk=note.pk).test
    lone = make_invoice(actor, buyer, issue=False, test=True)  # linked to nothing: free to become real
    services.update_draft(
        actor,
        lone,
        services.DocumentInput(
            kind="vat", client_id=buyer.pk, issue_date=acme.today(), lines=[line("A", "1", "10", "20")]
        ),
    )
    assert not Document.objects.get(pk=lone.pk).test


def test_the_einvoice_command_makes_no_xml_of_a_test_document(actor, acme, buyer, tmp_path):
    test = make_invoice(actor, buyer, test=True)

    for form in ("ubl", "cii", "facturx"):
        with pytest.raises(CommandError, match="test document"):
            call_command("einvoice", acme.slug, test.number, "--format", form, "-o", str(tmp_path / form))
    assert not any((tmp_path / form).exists() for form in ("ubl", "cii", "facturx"))
