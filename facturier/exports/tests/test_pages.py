"""The Exports tab as a user uses it: small exports download at once, large ones run as jobs with a
progress page and an email, files expire after 7 days, accounting exports mark what they carried."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from facturier.billing.models import Payment
from facturier.billing.services.documents import update_issued
from facturier.billing.services.payments import record_payment, update_payment
from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.exports import jobs, selection
from facturier.exports.base import ExportRequest
from facturier.exports.marks import ExportedDocumentError
from facturier.exports.models import AccountingSettings, ExportJob, ExportStatus
from facturier.purchases.services import update_expense
from facturier.purchases.tests.conftest import expense_input, make_expense
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)
LAST_YEAR = {"period": "custom", "date_from": "2025-01-01", "date_to": "2025-12-31"}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def books(acme, owner):
    """Two invoices of 2025, the first paid by a transfer."""
    actor = actor_for(acme, owner)
    client = make_client(acme, name="Boulangerie Martin")
    first = make_invoice(actor, client, issue_date=datetime.date(2025, 3, 1))
    second = make_invoice(actor, client, issue_date=datetime.date(2025, 4, 1))
    record_payment(
        actor,
        acme,
        date=datetime.date(2025, 3, 20),
        amount=first.gross_total,
        documents=[first],
        reference="VIR-881",
    )
    return first, second


def _export(client, fmt: str, **fields: str):
    return client.post(reverse("exports:index", args=["acme"]), {"format": fmt, **LAST_YEAR, **fields})


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_tab_shows_the_exports_and_their_options(owner_client):
    response = owner_client.get(reverse("exports:index", args=["acme"]))
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("FEC", "Factures (Excel)", "Paiements (CSV)", "Documents PDF et justificatifs (ZIP)"):
        assert label in page
    assert "Aucun export pour l'instant." in page


def test_a_small_export_downloads_at_once_and_is_kept(owner_client, books, owner):
    response = _export(owner_client, "payments-csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="acme-payments-2025-01-01-2025-12-31.csv"'
    )
    assert "VIR-881" in _body(response).decode("utf-8-sig")
    job = ExportJob.objects.get()
    assert (job.status, job.created_by, job.progress_total) == (ExportStatus.DONE, owner, 1)
    assert job.expires_at == NOW + datetime.timedelta(days=7)
    assert AuditEvent.objects.filter(account=job.account, action="export.completed").count() == 1
    page = owner_client.get(reverse("exports:index", args=["acme"])).content.decode()
    assert reverse("exports:download", args=["acme", job.pk]) in page


def test_nothing_to_export_is_said_without_a_file(owner_client, books):
    response = _export(owner_client, "payments-csv", date_from="2020-01-01", date_to="2020-12-31")
    assert response.status_code == 200
    assert "Rien à exporter" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_bad_filters_get_messages_not_a_500(owner_client, books):
    response = owner_client.post(
        reverse("exports:index", args=["acme"]),
        {"format": "nope", "period": "custom", "date_from": "2025-13-01", "date_to": "x", "country": "ZZ"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Date invalide" in page and "Code pays inconnu" in page
    assert not ExportJob.objects.exists()


def test_a_large_export_runs_on_the_worker_with_progress_and_an_email(
    owner_client, books, monkeypatch, django_capture_on_commit_callbacks
):
    spec = jobs.FORMATS["payments-csv"]
    monkeypatch.setitem(jobs.FORMATS, "payments-csv", jobs.FormatSpec(**{**spec.__dict__, "inline_limit": 0}))
    with django_capture_on_commit_callbacks(execute=True):
        response = _export(owner_client, "payments-csv")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "exports:job", args=["acme", job.pk]
    )
    assert job.status == ExportStatus.DONE
    [email] = mail.outbox
    assert email.to == ["olivia@acme.test"] and "est prêt" in email.subject
    assert reverse("exports:job", args=["acme", job.pk]) in email.body
    page = owner_client.get(response["Location"]).content.decode()
    assert "Le fichier est prêt." in page
    download = owner_client.get(reverse("exports:download", args=["acme", job.pk]))
    assert "VIR-881" in _body(download).decode("utf-8-sig")


def test_the_job_page_polls_while_the_job_runs(owner_client, acme):
    job = ExportJob.objects.create(
        account=acme, format="fec", params={"start": "2025-01-01", "end": "2025-12-31"}, progress_total=200
    )
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress_done=50)
    url = reverse("exports:job", args=["acme", job.pk])
    page = owner_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'value="25"' in page
    partial = owner_client.get(url, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith("<section") and "50 / 200" in partial.content.decode()


def test_a_file_expires_after_seven_days_and_is_purged(owner_client, books):
    _export(owner_client, "payments-csv")
    job = ExportJob.objects.get()
    name = job.file.name
    with time_machine.travel(NOW + datetime.timedelta(days=7, seconds=1), tick=False):
        response = owner_client.get(reverse("exports:download", args=["acme", job.pk]))
        assert response.status_code == 302
        assert jobs.purge_expired() == 1
    job.refresh_from_db()
    assert job.file.name == "" and not job.file.storage.exists(name)


def test_the_invoice_export_marks_documents_and_the_next_can_skip_them(owner_client, books):
    first, _second = books
    assert _export(owner_client, "invoices-csv").status_code == 200
    first.refresh_from_db()
    assert first.exported_at == NOW and first.exported_by.email == "olivia@acme.test"
    page = owner_client.get(reverse("billing:document_detail", args=["acme", first.pk])).content.decode()
    assert "Exporté le 10/03/2026 11:00 par olivia@acme.test" in page
    response = _export(owner_client, "invoices-csv", not_exported="on")
    assert "Rien à exporter" in response.content.decode()


def test_the_fec_marks_the_payments_it_carried_and_protects_their_amounts(owner_client, acme, owner, books):
    assert _export(owner_client, "fec").status_code == 200
    payment = Payment.objects.get(account=acme)
    assert payment.exported_at == NOW
    assert payment.exported_by is not None and payment.exported_by.email == "olivia@acme.test"
    assert _export(owner_client, "payments-csv").status_code == 200  # a list, not the books: no mark
    AccountingSettings.objects.update_or_create(account=acme, defaults={"lock_exported": True})
    with pytest.raises(ServiceError, match="exporté en comptabilité"):
        update_payment(actor_for(acme, owner), payment, amount=payment.amount - 1)


def test_the_reference_the_fec_printed_is_protected_too(owner_client, acme, owner, books):
    assert _export(owner_client, "fec").status_code == 200
    AccountingSettings.objects.update_or_create(account=acme, defaults={"lock_exported": True})
    payment = Payment.objects.get(account=acme)
    with pytest.raises(ServiceError, match="exporté en comptabilité"):
        update_payment(actor_for(acme, owner), payment, reference="VIR-999")
    update_payment(actor_for(acme, owner), payment, notes="Reçu par la banque")  # not in the books


def test_a_payment_changed_while_the_export_ran_is_not_marked(acme, owner, books):
    payment = Payment.objects.get(account=acme)
    started_at = NOW + datetime.timedelta(minutes=1)
    with time_machine.travel(NOW + datetime.timedelta(minutes=2), tick=False):
        update_payment(actor_for(acme, owner), payment, notes="Changé pendant l'export")
    request = ExportRequest(account=acme, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))
    jobs.mark_carried("fec", request, started_at=started_at, at=started_at, by=owner)
    payment.refresh_from_db()
    assert payment.exported_at is None


def test_the_not_exported_option_leaves_out_exported_payments(acme, books):
    request = ExportRequest(
        account=acme, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31), not_exported=True
    )
    assert selection.payments(request).count() == 1
    Payment.objects.filter(account=acme).update(exported_at=NOW)
    assert not selection.payments(request).exists()


def test_exported_documents_can_be_protected(acme, owner, books):
    first, _second = books
    actor = actor_for(acme, owner)
    supplier = make_client(acme, name="Papeterie", kind="supplier")
    expense = make_expense(acme, owner, supplier)
    first.__class__.objects.filter(pk=first.pk).update(exported_at=NOW)
    expense.__class__.objects.filter(pk=expense.pk).update(exported_at=NOW)
    first.refresh_from_db()
    expense.refresh_from_db()
    # Without the option, exported documents stay editable as before.
    update_issued(actor, first, internal_note="Merci")
    settings = AccountingSettings.for_account(acme)
    settings.lock_exported = True
    settings.save()
    with pytest.raises(ExportedDocumentError, match="exporté en comptabilité"):
        update_issued(actor, first, internal_note="Encore merci")
    with pytest.raises(ExportedDocumentError):
        update_expense(actor, expense, expense_input(supplier, notes="changé"))


def test_the_firm_batch_zips_each_client_account(
    firm, acme, firm_accountant, owner, django_capture_on_commit_callbacks
):
    from facturier.conftest import logged_in, make_account, make_user

    acme.managed_by = firm
    acme.save()
    other = make_account("durand", "Durand SARL", make_user("d@durand.test"), managed_by=firm)
    actor = actor_for(acme, owner)
    invoice = make_invoice(actor, make_client(acme, name="Client"), issue_date=datetime.date(2025, 5, 5))
    record_payment(
        actor, acme, date=datetime.date(2025, 6, 1), amount=invoice.gross_total, documents=[invoice]
    )
    client = logged_in(firm_accountant)
    data = {"action": "accounting_export", "ids": [acme.pk, other.pk], "confirm": "1", **LAST_YEAR}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("firm:bulk_action", args=["cabinet-dupont"]), data)
    job = ExportJob.objects.get(account=firm)
    assert response["Location"] == reverse("exports:job", args=["cabinet-dupont", job.pk])
    assert job.status == ExportStatus.DONE, job.error
    with job.file.open("rb") as file, zipfile.ZipFile(io.BytesIO(file.read())) as archive:
        names = archive.namelist()
        anomalies = archive.read("ANOMALIES.txt").decode()
    assert sorted(names) == [
        "ANOMALIES.txt",
        "acme/732829320FEC20251231.txt",
        "acme/documents.zip",
        "acme/factures.xlsx",
        "acme/paiements.xlsx",
    ]
    assert anomalies == "Durand SARL : vous n'avez pas le droit d'exporter ce compte.\r\n"
    assert job.messages == ["Durand SARL : vous n'avez pas le droit d'exporter ce compte."]
    assert AuditEvent.objects.filter(account=acme, action="export.completed", via_firm=firm).exists()
    invoice.refresh_from_db()
    assert invoice.exported_at is not None


def test_a_firm_batch_is_seen_only_by_the_user_who_asked_for_it(firm, acme, firm_accountant):
    from facturier.conftest import logged_in, make_user
    from facturier.tenancy.models import Membership

    colleague = make_user("paul@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=colleague, role="admin")
    job = ExportJob.objects.create(
        account=firm,
        format="firm-batch",
        params={"start": "2025-01-01", "end": "2025-12-31", "extra": {"account_ids": [acme.pk]}},
        created_by=firm_accountant,
    )
    mine, theirs = logged_in(firm_accountant), logged_in(colleague)
    for url in (
        reverse("exports:job", args=["cabinet-dupont", job.pk]),
        reverse("exports:download", args=["cabinet-dupont", job.pk]),
    ):
        assert theirs.get(url).status_code == 404
        assert mine.get(url).status_code in (200, 302)
    assert (
        "Lot comptable" not in theirs.get(reverse("exports:index", args=["cabinet-dupont"])).content.decode()
    )
    assert "Lot comptable" in mine.get(reverse("exports:index", args=["cabinet-dupont"])).content.decode()
