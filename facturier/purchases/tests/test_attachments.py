import hashlib
import html

import pytest
from django.core.files.storage import default_storage, storages
from django.urls import reverse

from facturier.conftest import logged_in
from facturier.purchases import services
from facturier.purchases.models import Attachment, Expense, ExpenseLine
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

from .conftest import PDF, actor, form_data, image_bytes, make_expense, upload

NEW_URL = reverse("purchases:expense_new", kwargs={"slug": "acme"})
ELEVEN_MB = 11 * 1024 * 1024


def download_url(attachment: Attachment, slug: str = "acme") -> str:
    return reverse("purchases:attachment_download", kwargs={"slug": slug, "pk": attachment.pk})


def text(response) -> str:
    return html.unescape(response.content.decode())


def stored_files(account) -> list[str]:
    try:
        return default_storage.listdir(f"attachments/{account.pk}")[1]
    except FileNotFoundError:  # on disk, a folder never written to (an object store has no folders)
        return []


LINE = {"name": "Ramettes", "quantity": "2", "unit_price": "4.50", "vat_rate": "20"}


def test_an_expense_is_recorded_with_a_pdf_a_png_and_a_jpeg_sniffed_from_their_content(
    owner_client, owner, acme, supplier
):
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG")
    files = [
        upload("facture.pdf", PDF, "application/octet-stream"),
        upload("ticket.png", png, "image/png"),
        upload("scan sans extension", jpeg, "text/plain"),
    ]

    response = owner_client.post(NEW_URL, form_data(supplier, [LINE], attachments=files))

    expense = Expense.objects.get(account=acme)
    assert response.status_code == 302
    assert response.url == reverse("purchases:expense_detail", kwargs={"slug": "acme", "pk": expense.pk})
    attachments = list(expense.attachments.order_by("pk"))
    assert [(a.original_name, a.content_type, a.size) for a in attachments] == [
        ("facture.pdf", "application/pdf", len(PDF)),
        ("ticket.png", "image/png", len(png)),
        ("scan sans extension.jpg", "image/jpeg", len(jpeg)),  # named after its sniffed type
    ]
    assert attachments[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert all(a.file.name.startswith(f"attachments/{acme.pk}/") for a in attachments)
    assert attachments[2].file.name.endswith(".jpg")
    assert len(stored_files(acme)) == 3
    assert list(
        AuditEvent.objects.filter(account=acme, action="attachment.added")
        .order_by("pk")
        .values_list("summary", flat=True)
    ) == [
        "Justificatif « facture.pdf » ajouté.",
        "Justificatif « ticket.png » ajouté.",
        "Justificatif « scan sans extension.jpg » ajouté.",
    ]


def test_members_download_and_preview_attachments_with_their_original_name(
    owner, acme, supplier, collaborator_client, firm_client
):
    expense = make_expense(acme, owner, supplier, files=[upload("Facture mars.pdf", PDF)])
    attachment = expense.attachments.get()

    download = collaborator_client.get(download_url(attachment))
    preview = firm_client.get(download_url(attachment) + "?inline=1")

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="Facture mars.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert preview.status_code == 200
    assert preview["Content-Disposition"] == 'inline; filename="Facture mars.pdf"'
    # The detail page frames the PDF preview: same-origin framing only.
    assert preview["X-Frame-Options"] == "SAMEORIGIN"


def test_the_detail_page_previews_images_and_pdfs(owner_client, owner, acme, supplier):
    expense = make_expense(
        acme, owner, supplier, files=[upload("a.pdf", PDF), upload("b.png", image_bytes("PNG"))]
    )
    pdf, png = expense.attachments.order_by("pk")

    page = text(
        owner_client.get(reverse("purchases:expense_detail", kwargs={"slug": "acme", "pk": expense.pk}))
    )

    assert f'<iframe src="{download_url(pdf)}?inline=1"' in page
    assert f'<img src="{download_url(png)}?inline=1"' in page
    assert f'href="{download_url(pdf)}"' in page
    assert "/media/" not in page


def test_a_text_file_named_pdf_is_refused_and_nothing_is_created(owner_client, acme, supplier):
    fake = upload("facture.pdf", b"Ceci n'est pas un PDF", "application/pdf")

    response = owner_client.post(NEW_URL, form_data(supplier, [LINE], attachments=[fake]))

    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == [
        "« facture.pdf » n'est pas un PDF, un JPEG ou un PNG : seuls ces formats sont acceptés."
    ]
    assert "sélectionnez-les à nouveau" in text(response)
    assert not Expense.objects.filter(account=acme).exists()
    assert not ExpenseLine.objects.filter(account=acme).exists()
    assert stored_files(acme) == []
    assert not AuditEvent.objects.filter(account=acme, action__startswith="expense.").exists()


def test_a_file_over_10_mb_is_refused_and_nothing_is_created(owner_client, acme, supplier):
    good = upload("petit.pdf", PDF)
    big = upload("gros.pdf", b"%PDF-1.4\n" + b"0" * ELEVEN_MB)

    response = owner_client.post(NEW_URL, form_data(supplier, [LINE], attachments=[good, big]))

    assert response.status_code == 200
    [message] = response.context["form"].errors["attachments"]
    assert message.startswith("« gros.pdf » dépasse 10 Mo (11,0")
    assert not Expense.objects.filter(account=acme).exists()
    assert stored_files(acme) == []


def test_adding_a_bad_file_to_an_existing_expense_adds_none_of_the_files(owner_client, owner, acme, supplier):
    expense = make_expense(acme, owner, supplier)
    url = reverse("purchases:attachment_new", kwargs={"slug": "acme", "pk": expense.pk})

    response = owner_client.post(
        url, {"attachments": [upload("ok.pdf", PDF), upload("virus.pdf", b"MZ\x90\x00", "application/pdf")]}
    )

    assert response.status_code == 200
    assert "« virus.pdf » n'est pas un PDF" in text(response)
    assert not expense.attachments.exists()
    assert stored_files(acme) == []

    added = owner_client.post(url, {"attachments": [upload("ok.pdf", PDF)]})

    assert added.status_code == 302
    assert expense.attachments.get().original_name == "ok.pdf"


def test_a_storage_failure_rolls_back_and_removes_the_files_already_written(
    owner, acme, supplier, monkeypatch
):
    storage_class = type(storages["default"])  # the disk, or the object store (FACTURIER_TEST_STORAGE)
    real_save = storage_class._save  # type: ignore[attr-defined]
    calls = []

    def failing_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(storage_class, "_save", failing_save)

    with pytest.raises(OSError, match="disk full"):
        make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF), upload("b.pdf", PDF)])

    assert len(calls) == 2
    assert not Expense.objects.filter(account=acme).exists()
    assert not Attachment.objects.exists()
    assert stored_files(acme) == []


def test_an_outsider_gets_a_404_on_an_attachment_even_through_their_own_account(
    owner, acme, supplier, outsider_client, outsider
):
    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF)])
    attachment = expense.attachments.get()

    assert outsider_client.get(download_url(attachment)).status_code == 404
    assert outsider_client.get(download_url(attachment, slug="globex")).status_code == 404
    assert outsider_client.get(download_url(attachment, slug="globex") + "?inline=1").status_code == 404


def test_deleting_an_attachment_removes_its_file_after_commit(
    owner_client, owner, acme, supplier, django_capture_on_commit_callbacks
):
    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF)])
    attachment = expense.attachments.get()
    url = reverse("purchases:attachment_delete", kwargs={"slug": "acme", "pk": attachment.pk})

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url)

    assert response.status_code == 302
    assert not expense.attachments.exists()
    assert not default_storage.exists(attachment.file.name)
    event = AuditEvent.objects.get(account=acme, action="attachment.deleted")
    assert event.summary == "Justificatif « a.pdf » supprimé."


def test_a_member_cannot_delete_an_attachment(collaborator_client, owner, acme, supplier):
    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF)])
    attachment = expense.attachments.get()
    url = reverse("purchases:attachment_delete", kwargs={"slug": "acme", "pk": attachment.pk})

    assert collaborator_client.post(url).status_code == 403
    assert default_storage.exists(attachment.file.name)
    assert expense.attachments.exists()


def test_the_service_checks_files_itself(acme, owner, supplier):
    expense = make_expense(acme, owner, supplier)

    with pytest.raises(ServiceError, match="n'est pas un PDF"):
        services.add_attachments(actor(acme, owner), expense, [upload("x.png", b"GIF89a")])

    assert not expense.attachments.exists()


def test_a_logged_in_user_of_no_account_cannot_download(owner, acme, supplier, db):
    from facturier.conftest import make_user

    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF)])
    stranger = logged_in(make_user("nobody@example.test"))

    assert stranger.get(download_url(expense.attachments.get())).status_code == 404
