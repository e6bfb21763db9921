"""Attachments of sales documents in the public API's three steps: credentials, upload, add_attachment;
and the ZIP of a document's attachments."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from facturier.billing.models import DocumentAttachment
from facturier.billing.services import attachments as attachment_services
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.purchases.tests.conftest import PDF, image_bytes
from facturier.tenancy.models import ApiToken, AuditEvent, Membership

PNG = image_bytes("PNG")


@pytest.fixture
def invoice(acme, owner):
    return make_invoice(actor_for(acme, owner), make_client(acme), lines=[line("Conseil", "1", "100", "20")])


def credentials(api, document_id: int) -> dict[str, str]:
    answer = api.get(f"/invoices/{document_id}/get_new_attachment_credentials.json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def upload(fields: dict[str, str], name: str, content: bytes, **extra):
    """Step 2 as the README's `curl -F` does it: the credentials' fields, then the file, to their url."""
    form: dict[str, object] = {key: value for key, value in fields.items() if key != "url"}
    form["file"] = SimpleUploadedFile(name, content)
    return Client().post(fields["url"], form, **extra)


def test_the_three_steps_attach_a_file_to_an_issued_invoice(owner_api, acme, invoice):
    fields = credentials(owner_api, invoice.pk)
    assert fields["url"] == f"http://testserver/invoices/{invoice.pk}/upload_attachment.json"
    assert {"policy", "signature", "key", "AWSAccessKeyId", "acl", "success_action_status"} <= set(fields)

    sent = upload(fields, "bon de commande.pdf", PDF)
    assert sent.status_code == 201, sent.content
    assert sent.json()["file_name"] == "bon de commande.pdf"
    received = DocumentAttachment.objects.get(document=invoice)
    assert received.attached_at is None  # received, not attached yet

    attached = owner_api.post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=bon de commande.pdf", {})
    assert attached.status_code == 201, attached.content
    assert attached.json()["content_type"] == "application/pdf"
    received.refresh_from_db()
    assert received.attached_at is not None
    assert default_storage.open(received.file.name).read() == PDF
    assert AuditEvent.objects.filter(account=acme, action="document.attachment_added").count() == 1

    archive = owner_api.get(f"/invoices/{invoice.pk}/attachments_zip.json")
    assert archive.status_code == 200
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as opened:
        assert opened.namelist() == ["bon de commande.pdf"]
        assert opened.read("bon de commande.pdf") == PDF


def test_the_zip_holds_only_attached_files_with_unique_names(owner_api, invoice):
    fields = credentials(owner_api, invoice.pk)
    for content in (PDF, PNG):
        assert upload(fields, "scan", content).status_code == 201
        assert (
            owner_api.post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=scan", {}).status_code
            == 201
        )
    assert upload(fields, "brouillon.pdf", PDF).status_code == 201  # received, never attached
    archive = owner_api.get(f"/invoices/{invoice.pk}/attachments_zip.json")
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as opened:
        assert opened.namelist() == ["scan.pdf", "scan.png"]


def test_a_document_without_attachments_gives_an_empty_zip(owner_api, invoice):
    archive = owner_api.get(f"/invoices/{invoice.pk}/attachments_zip.json")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as opened:
        assert opened.namelist() == []


def test_add_attachment_without_an_upload_says_what_to_do(owner_api, invoice):
    refused = owner_api.post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=name.ext", {})
    assert refused.status_code == 422
    assert "get_new_attachment_credentials" in refused.json()["message"]["file_name"][0]
    assert owner_api.post(f"/invoices/{invoice.pk}/add_attachment.json", {}).status_code == 422


@pytest.mark.parametrize(
    ("name", "content"), [("page.html", b"<html><body>hi</body></html>"), ("faux.pdf", b"%PDF-1.4 broken")]
)
def test_a_file_that_is_not_a_pdf_or_an_image_is_refused(owner_api, invoice, name, content):
    refused = upload(credentials(owner_api, invoice.pk), name, content)
    assert refused.status_code == 422
    assert "file" in refused.json()["message"]
    assert not DocumentAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused(settings, owner_api, invoice):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "file_bytes": 1024}
    refused = upload(credentials(owner_api, invoice.pk), "gros.pdf", PDF + b"\n" * 2048)
    assert refused.status_code == 422
    assert not DocumentAttachment.objects.exists()


def test_an_upload_needs_the_signature_of_its_document(owner_api, acme, owner, invoice):
    other = make_invoice(actor_for(acme, owner), make_client(acme, name="Martin SAS"))
    fields = credentials(owner_api, invoice.pk)
    forged = {**fields, "signature": fields["signature"][:-2] + "xx"}
    assert upload(forged, "a.pdf", PDF).status_code == 403
    elsewhere = {**fields, "url": fields["url"].replace(str(invoice.pk), str(other.pk))}
    assert upload(elsewhere, "a.pdf", PDF).status_code == 403
    assert upload({"url": fields["url"]}, "a.pdf", PDF).status_code == 403  # no policy at all
    assert not DocumentAttachment.objects.exists()


def test_credentials_expire_after_an_hour(owner_api, invoice):
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        fields = credentials(owner_api, invoice.pk)
        clock.shift(3601)
        assert upload(fields, "a.pdf", PDF).status_code == 403


def test_credentials_die_with_the_users_access(owner_api, acme, owner, invoice):
    fields = credentials(owner_api, invoice.pk)
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)
    assert upload(fields, "a.pdf", PDF).status_code == 403


def test_credentials_die_with_the_token_that_asked_for_them(owner_api, acme, owner, invoice):
    fields = credentials(owner_api, invoice.pk)
    still_good = credentials(owner_api, invoice.pk)
    assert upload(still_good, "a.pdf", PDF).status_code == 201

    ApiToken.objects.filter(membership__account=acme).update(revoked_at=timezone.now())

    assert upload(fields, "a.pdf", PDF).status_code == 403


def test_a_document_keeps_a_bounded_number_of_files(monkeypatch, owner_api, invoice):
    monkeypatch.setattr(attachment_services, "MAX_FILES", 2)
    for name in ("a.pdf", "b.pdf"):
        assert upload(credentials(owner_api, invoice.pk), name, PDF).status_code == 201

    refused = upload(credentials(owner_api, invoice.pk), "c.pdf", PDF)

    assert refused.status_code == 422 and "2 fichiers joints, le maximum" in refused.text
    assert DocumentAttachment.objects.filter(document=invoice).count() == 2


def test_a_file_name_with_a_nul_character_is_refused_with_a_message(owner_api, invoice):
    answer = owner_api.post(f"/invoices/{invoice.pk}/add_attachment.json", {"file_name": "a\x00b.pdf"})

    assert answer.status_code == 422 and "file_name" in answer.text


def test_the_role_must_allow_editing_documents(owner_api, collaborator_api, acme, collaborator, invoice):
    membership = Membership.objects.get(account=acme, user=collaborator)
    membership.role = "accountant"  # reads documents, does not edit them
    membership.save(update_fields=["role"])
    assert (
        collaborator_api.get(f"/invoices/{invoice.pk}/get_new_attachment_credentials.json").status_code == 403
    )
    assert (
        collaborator_api.post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=a.pdf", {}).status_code
        == 403
    )


def test_an_outsider_and_an_anonymous_caller_get_nothing(outsider_api, owner_api, invoice):
    fields = credentials(owner_api, invoice.pk)
    assert upload(fields, "a.pdf", PDF).status_code == 201
    owner_api.post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=a.pdf", {})
    for path in ("get_new_attachment_credentials.json", "attachments_zip.json"):
        assert outsider_api.get(f"/invoices/{invoice.pk}/{path}").status_code == 404
        assert Client().get(f"/invoices/{invoice.pk}/{path}").status_code == 401
    assert (
        outsider_api.post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=a.pdf", {}).status_code
        == 404
    )
    anonymous = Client().post(f"/invoices/{invoice.pk}/add_attachment.json?file_name=a.pdf", content_type="")
    assert anonymous.status_code == 401


def test_deleting_a_draft_deletes_its_attachments_files(
    owner_api, acme, invoice, django_capture_on_commit_callbacks
):
    draft = make_invoice(acme, make_client(acme, name="Martin SAS"), issue=False)
    assert upload(credentials(owner_api, draft.pk), "a.pdf", PDF).status_code == 201
    stored = DocumentAttachment.objects.get(document=draft).file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_api.delete(f"/invoices/{draft.pk}.json").status_code == 200
    assert not DocumentAttachment.objects.exists()
    assert not default_storage.exists(stored)


def test_a_file_received_and_never_attached_goes_after_a_day(
    owner_api, invoice, django_capture_on_commit_callbacks
):
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert upload(credentials(owner_api, invoice.pk), "oubli.pdf", PDF).status_code == 201
        forgotten = DocumentAttachment.objects.get().file.name
        clock.shift(datetime.timedelta(days=1, seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert upload(credentials(owner_api, invoice.pk), "nouveau.pdf", PDF).status_code == 201
    assert list(DocumentAttachment.objects.values_list("original_name", flat=True)) == ["nouveau.pdf"]
    assert not default_storage.exists(forgotten)
