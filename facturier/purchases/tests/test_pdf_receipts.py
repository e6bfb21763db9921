"""PDF receipts are read at upload within bounds (objects, pages, inflated page content) and refused
with a message when damaged; the print export reads what was stored before within the same bounds."""

import io
import zlib

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, StreamObject

from facturier.exports import documents
from facturier.exports.base import ExportRequest, no_progress
from facturier.lib import uploads
from facturier.purchases.models import Attachment, Expense
from facturier.purchases.tests.test_upload_limits import LINE, NEW_URL, text

from .conftest import blank_pdf, form_data, make_expense, upload


def content_bomb(inflated_bytes: int) -> bytes:
    """A one-page PDF whose page content is `inflated_bytes` of spaces, deflated to a few KB."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = StreamObject()
    stream.set_data(zlib.compress(b" " * inflated_bytes, 9))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def many_objects(count: int) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    for _index in range(count):
        writer._add_object(DecodedStreamObject())
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def locked(password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(blank_pdf()))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def post_receipt(client, supplier, content: bytes, name="facture.pdf"):
    # The supplier's number after the file: each post is another expense, not a duplicate to confirm.
    return client.post(
        NEW_URL, form_data(supplier, [LINE], supplier_number=name, attachments=[upload(name, content)])
    )


@pytest.fixture
def small_limits(settings):
    settings.UPLOAD_LIMITS = {"pdf_pages": 3, "pdf_objects": 50, "pdf_content_bytes": 1024 * 1024}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4\n garbage", "« facture.pdf » est un PDF endommagé ou illisible."),
        (blank_pdf()[:200], "« facture.pdf » est un PDF endommagé ou illisible."),
        (blank_pdf(5), "« facture.pdf » a 5 pages : 3 au plus."),
        (many_objects(80), "« facture.pdf » dépasse ce que Facturier accepte de lire dans un PDF"),
        (
            content_bomb(2 * 1024 * 1024),
            "« facture.pdf » dépasse ce que Facturier accepte de lire dans un PDF",
        ),
    ],
    ids=["garbage", "truncated", "pages", "objects", "inflated-content"],
)
def test_a_pdf_receipt_that_cannot_be_read_within_the_limits_is_refused_and_nothing_is_kept(
    owner_client, acme, supplier, small_limits, content, message
):
    response = post_receipt(owner_client, supplier, content)

    assert response.status_code == 200
    assert message in text(response)
    assert not Expense.objects.filter(account=acme).exists()
    assert not Attachment.objects.exists()


def test_a_content_bomb_is_refused_by_pypdfs_lowered_limit_too(owner_client, acme, supplier, settings):
    settings.UPLOAD_LIMITS = {"pdf_stream_bytes": 1024 * 1024}

    response = post_receipt(owner_client, supplier, content_bomb(4 * 1024 * 1024))

    assert "dépasse ce que Facturier accepte de lire dans un PDF" in text(response)
    assert not Attachment.objects.exists()


def test_a_readable_pdf_and_one_locked_by_a_password_are_kept(owner_client, acme, supplier, small_limits):
    assert post_receipt(owner_client, supplier, blank_pdf(3)).status_code == 302
    # Its pages cannot be read without the password: kept as sent, for whoever holds it.
    assert post_receipt(owner_client, supplier, locked("secret"), "relevé.pdf").status_code == 302
    # An empty user password (locked against editing only) is opened and checked like any PDF.
    assert post_receipt(owner_client, supplier, locked(""), "verrou.pdf").status_code == 302

    assert Attachment.objects.filter(account=acme).count() == 3


def test_the_print_export_leaves_out_a_stored_receipt_past_the_limits_and_names_it(
    owner, acme, supplier, small_limits
):
    expense = make_expense(acme, owner, supplier, files=[upload("scan.pdf", blank_pdf())])
    attachment = expense.attachments.get()
    # Stored before receipts were read at upload.
    default_storage.delete(attachment.file.name)
    default_storage.save(attachment.file.name, io.BytesIO(blank_pdf(5)))
    out = io.BytesIO()

    documents.write_pdf_print(
        ExportRequest(account=acme, start=expense.issue_date, end=expense.issue_date, scope="purchases"),
        out,
        no_progress,
    )

    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert len(reader.pages) == 1  # the notes page only
    assert "« scan.pdf » a 5 pages : 3 au plus." in reader.pages[0].extract_text()


def test_pillow_refuses_past_twice_the_image_limit_set_at_start_up(settings):
    try:
        settings.UPLOAD_LIMITS = {"image_pixels": 1000}
        uploads.configure_pillow()
        assert Image.MAX_IMAGE_PIXELS == 1000
        buffer = io.BytesIO()
        Image.new("L", (50, 50)).save(buffer, "PNG")
        with pytest.raises(Image.DecompressionBombError):
            Image.open(io.BytesIO(buffer.getvalue()))
    finally:
        settings.UPLOAD_LIMITS = {}
        uploads.configure_pillow()
    assert uploads.Limits().image_pixels == Image.MAX_IMAGE_PIXELS


def test_the_image_limit_is_pillows_from_the_start():
    assert uploads.limits().image_pixels == Image.MAX_IMAGE_PIXELS
