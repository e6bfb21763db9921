"""lib.uploads: the limits every upload path applies, and the request handler that enforces the bytes."""

import io
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import translation
from PIL import Image

from facturier.lib import uploads
from facturier.tests.uploads import big_png

MB = 1024 * 1024


def posted_files(files: dict[str, bytes]):
    """request.FILES of a multipart POST, read through the project's upload handlers."""
    request = RequestFactory().post(
        "/", {name: SimpleUploadedFile(name, content) for name, content in files.items()}
    )
    return request.FILES


def test_a_file_over_the_limit_is_dropped_as_it_arrives(settings):
    settings.UPLOAD_LIMITS = {"file_bytes": MB}

    files = posted_files({"small.pdf": b"%PDF-" + bytes(100), "big.pdf": b"%PDF-" + bytes(2 * MB)})

    small, big = files["small.pdf"], files["big.pdf"]
    assert not isinstance(small, uploads.RefusedUpload) and small.read().startswith(b"%PDF-")
    assert isinstance(big, uploads.RefusedUpload)
    assert (big.size, big.read()) == (2 * MB + 5, b"")  # the size sent, none of the content kept
    with pytest.raises(uploads.UploadError, match=r"« big.pdf » dépasse 1 Mo \(2,0"):
        uploads.check_received(big)


def test_no_file_of_a_request_over_the_limit_is_kept(settings):
    settings.UPLOAD_LIMITS = {"request_bytes": MB}

    files = posted_files({"a.pdf": b"%PDF-" + bytes(MB // 2), "b.pdf": b"%PDF-" + bytes(MB // 2 + 100)})

    assert all(isinstance(files[name], uploads.RefusedUpload) for name in ("a.pdf", "b.pdf"))
    assert files["a.pdf"].read() == b""
    with pytest.raises(uploads.UploadError, match="les fichiers envoyés ensemble dépassent 1 Mo"):
        uploads.check_received(files["a.pdf"])
    with pytest.raises(uploads.UploadError, match="Les fichiers envoyés ensemble dépassent 1 Mo : aucun"):
        uploads.check_batch(list(files.values()))


def test_a_batch_of_more_files_than_the_limit_is_refused(settings):
    settings.UPLOAD_LIMITS = {"files": 2}
    batch = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-") for n in range(3)]

    with pytest.raises(uploads.UploadError, match="2 fichiers au plus à la fois"):
        uploads.check_batch(batch)
    uploads.check_batch(batch[:2])


def test_inflate_stops_past_its_limit_without_inflating_the_rest():
    bomb = zlib.compress(bytes(50 * MB), 9)

    with pytest.raises(uploads.LimitExceeded):
        uploads.inflate(bomb, MB)
    assert uploads.inflate(zlib.compress(b"<xml/>" * 1000), MB) == b"<xml/>" * 1000
    assert uploads.inflate(bomb, 50 * MB) == bytes(50 * MB)
    with pytest.raises(zlib.error):
        uploads.inflate(b"not zlib at all", MB)


@pytest.mark.parametrize(
    ("sent", "kind", "kept"),
    [
        ("facture.html", uploads.PDF, "facture.pdf"),
        ("facture.PDF", uploads.PDF, "facture.PDF"),
        ("C:\\scans\\ticket.jpeg", uploads.JPEG, "ticket.jpeg"),
        ("photo.png", uploads.JPEG, "photo.jpg"),
        ("scan sans extension", uploads.PNG, "scan sans extension.png"),
        (".htaccess", uploads.PDF, "htaccess.pdf"),
        ("", uploads.PDF, "fichier.pdf"),
        ("facture.xml", uploads.XML, "facture.xml"),
        ("a" * 300 + ".html", uploads.PDF, "a" * 251 + ".pdf"),  # 255 characters, as stored
        ("b" * 300 + ".jpeg", uploads.JPEG, "b" * 250 + ".jpeg"),
    ],
)
def test_a_file_keeps_its_name_with_the_extension_of_its_sniffed_type(sent, kind, kept):
    assert uploads.name_for(sent, kind) == kept


def test_the_type_is_sniffed_from_the_content_whatever_the_name():
    pdf = SimpleUploadedFile("photo.png", b"%PDF-1.7 ...")
    html = SimpleUploadedFile("facture.pdf", b"<html><script>alert(1)</script>")

    assert uploads.sniff(pdf, (uploads.PDF, uploads.PNG)) is uploads.PDF
    with pytest.raises(uploads.UploadError, match=re.escape("« facture.pdf » n'est pas un PDF ou un PNG")):
        uploads.sniff(html, (uploads.PDF, uploads.PNG))


def png(width: int, height: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("image.png", big_png(width, height))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_is_measured_from_its_header():
    measured = uploads.measure_image(png(9_000, 9_000), 200_000_000, (uploads.PNG,))

    assert (measured.kind, measured.width, measured.height) == (uploads.PNG, 9_000, 9_000)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_of_more_pixels_than_the_limit_is_refused_before_it_is_decoded():
    with pytest.raises(uploads.UploadError) as refused:
        uploads.measure_image(png(9_000, 9_000), 10_000_000, (uploads.PNG,))

    assert refused.value.message.replace("\u202f", " ").replace("\xa0", " ") == (
        "« image.png » mesure 9 000 × 9 000 pixels (81 mégapixels) : 10 mégapixels au plus. "
        "Réduisez l'image avant de l'envoyer."
    )


def test_an_image_past_pillows_own_ceiling_is_refused_as_too_large():
    with pytest.raises(
        uploads.UploadError, match=re.escape("« image.png » est une image de plus de 10 mégapixels")
    ):
        uploads.measure_image(png(20_000, 20_000), 10_000_000, (uploads.PNG,))


def test_an_image_of_another_type_than_accepted_or_damaged_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    gif = SimpleUploadedFile("logo.png", buffer.getvalue())
    damaged = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)

    with pytest.raises(uploads.UploadError, match=re.escape("« logo.png » n'est pas un PNG ou un JPEG")):
        uploads.measure_image(gif, MB, (uploads.PNG, uploads.JPEG))
    with pytest.raises(uploads.UploadError, match=re.escape("« scan.png » n'est pas une image lisible")):
        uploads.measure_image(damaged, MB, (uploads.PNG,))


def test_the_limits_follow_the_settings(settings):
    settings.UPLOAD_LIMITS = {"file_bytes": 3 * MB, "files": 7}

    assert (uploads.limits().file_bytes, uploads.limits().files, uploads.limits().request_bytes) == (
        3 * MB,
        7,
        40 * MB,
    )
    assert "3 Mo au plus par fichier, 7 fichiers et 40 Mo au plus par envoi" in uploads.help_text(
        lambda: "PDF"
    )


def test_the_messages_are_in_the_users_language(settings):
    settings.UPLOAD_LIMITS = {"files": 2}

    with translation.override("en"):
        with pytest.raises(uploads.UploadError) as refused:
            uploads.check_batch([SimpleUploadedFile(f"{n}.pdf", b"%PDF-") for n in range(3)])
        help_text = uploads.help_text(lambda: "PDF")

    assert refused.value.message == "At most 2 files at a time: send them in several goes."
    assert help_text == "PDF; at most 10 MB per file, 2 files and 40 MB per upload."
