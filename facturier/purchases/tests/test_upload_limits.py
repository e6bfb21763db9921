"""Receipts: bounded in bytes (per file, per request), count and pixels, named and served after the type
their content was recognised as."""

import html

import pytest
from django.urls import reverse

from facturier.purchases.models import Attachment, Expense
from facturier.tenancy.errors import ServiceError
from facturier.tests.uploads import big_png

from .conftest import PDF, form_data, image_bytes, make_expense, upload

NEW_URL = reverse("purchases:expense_new", kwargs={"slug": "acme"})
LINE = {"name": "Ramettes", "quantity": "2", "unit_price": "4.50", "vat_rate": "20"}
MB = 1024 * 1024


def download_url(attachment: Attachment) -> str:
    return reverse("purchases:attachment_download", kwargs={"slug": "acme", "pk": attachment.pk})


def text(response) -> str:
    return html.unescape(response.content.decode()).replace("\u202f", " ").replace("\xa0", " ")


def test_a_receipt_sent_as_html_is_kept_and_served_as_the_pdf_it_is(owner_client, acme, supplier):
    response = owner_client.post(
        NEW_URL, form_data(supplier, [LINE], attachments=[upload("facture.html", PDF, "text/html")])
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get(account=acme)
    assert (attachment.original_name, attachment.content_type) == ("facture.pdf", "application/pdf")
    assert attachment.file.name.endswith(".pdf")
    download = owner_client.get(download_url(attachment))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="facture.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_a_receipt_kept_under_another_extension_is_served_with_its_types(owner_client, owner, acme, supplier):
    """Kept before names followed the type: the download still names it after what it is."""
    expense = make_expense(acme, owner, supplier, files=[upload("scan.pdf", PDF)])
    Attachment.objects.filter(expense=expense).update(original_name="scan.html")
    attachment = expense.attachments.get()

    download = owner_client.get(download_url(attachment))
    inline = owner_client.get(download_url(attachment) + "?inline=1")

    assert download["Content-Disposition"] == 'attachment; filename="scan.pdf"'
    assert inline["Content-Disposition"] == 'inline; filename="scan.pdf"'
    assert inline["X-Content-Type-Options"] == "nosniff"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_photo_of_too_many_pixels_is_refused_and_nothing_is_created(owner_client, acme, supplier):
    photo = upload("ticket.png", big_png(10_000, 10_000), "image/png")

    response = owner_client.post(NEW_URL, form_data(supplier, [LINE], attachments=[photo]))

    assert response.status_code == 200
    assert (
        "« ticket.png » mesure 10 000 × 10 000 pixels (100 mégapixels) : 50 mégapixels au plus. "
        "Réduisez l'image avant de l'envoyer."
    ) in text(response)
    assert not Expense.objects.filter(account=acme).exists()


def test_an_image_with_a_damaged_header_is_refused(owner_client, acme, supplier):
    broken = upload("ticket.jpg", b"\xff\xd8\xff" + b"\x00" * 200, "image/jpeg")

    response = owner_client.post(NEW_URL, form_data(supplier, [LINE], attachments=[broken]))

    assert response.status_code == 200
    assert "« ticket.jpg » n'est pas une image lisible." in text(response)
    assert not Expense.objects.filter(account=acme).exists()


def test_a_photo_within_the_limits_is_accepted(owner_client, acme, supplier):
    response = owner_client.post(
        NEW_URL, form_data(supplier, [LINE], attachments=[upload("photo", image_bytes("JPEG"), "")])
    )

    assert response.status_code == 302
    assert Attachment.objects.get(account=acme).original_name == "photo.jpg"


def test_files_over_the_request_limit_are_refused_together_and_the_form_keeps_its_values(
    settings, owner_client, acme, supplier
):
    settings.UPLOAD_LIMITS = {"request_bytes": MB}
    files = [upload("a.pdf", PDF + bytes(MB // 2)), upload("b.pdf", PDF + bytes(MB // 2))]

    response = owner_client.post(NEW_URL, form_data(supplier, [LINE], attachments=files))

    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == [
        "Les fichiers envoyés ensemble dépassent 1 Mo : aucun n'a été reçu. Envoyez-les en plusieurs fois."
    ]
    assert response.context["form"]["supplier_number"].value() == "FA-2025-001"
    assert not Expense.objects.filter(account=acme).exists()


def test_more_files_than_the_limit_are_refused(settings, owner_client, owner, acme, supplier):
    settings.UPLOAD_LIMITS = {"files": 2}
    expense = make_expense(acme, owner, supplier)
    url = reverse("purchases:attachment_new", kwargs={"slug": "acme", "pk": expense.pk})

    response = owner_client.post(url, {"attachments": [upload(f"{n}.pdf", PDF) for n in range(3)]})

    assert response.status_code == 200
    assert "2 fichiers au plus à la fois : envoyez-les en plusieurs fois." in text(response)
    assert not expense.attachments.exists()


def test_a_file_over_the_limit_is_refused_by_the_service_too(settings, owner, acme, supplier):
    settings.UPLOAD_LIMITS = {"file_bytes": MB}

    with pytest.raises(ServiceError, match=r"« gros.pdf » dépasse 1 Mo"):
        make_expense(acme, owner, supplier, files=[upload("gros.pdf", PDF + bytes(MB))])

    assert not Expense.objects.filter(account=acme).exists()


def test_the_form_states_the_limits_in_force(settings, owner_client):
    settings.UPLOAD_LIMITS = {"file_bytes": 5 * MB, "request_bytes": 20 * MB, "files": 10}

    page = text(owner_client.get(NEW_URL))

    assert "PDF, JPEG ou PNG ; 5 Mo au plus par fichier, 10 fichiers et 20 Mo au plus par envoi." in page
