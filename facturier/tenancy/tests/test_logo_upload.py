"""The account's logo: bounded in bytes and pixels (it is decoded each time a PDF is rendered), and kept
under a random name with the extension of the type its content was recognised as."""

import html
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from facturier.tenancy.models import AuditEvent
from facturier.tenancy.tests.test_account_settings import identity
from facturier.tests.uploads import big_png

ACCOUNT_URL = reverse("tenancy:account", kwargs={"slug": "acme"})


def text(response) -> str:
    return html.unescape(response.content.decode()).replace("\u202f", " ").replace("\xa0", " ")


def image(kind: str, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_144_megapixel_logo_is_refused_with_a_clear_message(owner_client, acme):
    logo = SimpleUploadedFile("logo.png", big_png(12_000, 12_000), content_type="image/png")

    response = owner_client.post(ACCOUNT_URL, identity(logo=logo))

    assert response.status_code == 200
    [message] = response.context["form"].errors["logo"]
    # Past Pillow's own ceiling (twice UPLOAD_LIMITS' image_pixels, configure_pillow), its size is not
    # even read.
    assert message == "« logo.png » est une image de plus de 10 mégapixels : réduisez-la avant de l'envoyer."
    acme.refresh_from_db()
    assert not acme.logo
    assert not AuditEvent.objects.filter(account=acme).exists()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_logo_of_too_many_pixels_below_pillows_ceiling_is_refused_with_its_size(owner_client, acme):
    logo = SimpleUploadedFile("logo.png", big_png(9_000, 9_000), content_type="image/png")

    response = owner_client.post(ACCOUNT_URL, identity(logo=logo))

    [message] = response.context["form"].errors["logo"]
    assert message.replace("\xa0", " ") == (
        "« logo.png » mesure 9 000 × 9 000 pixels (81 mégapixels) : 10 mégapixels au plus. "
        "Réduisez l'image avant de l'envoyer."
    )


def test_a_logo_past_pillows_own_ceiling_is_refused_as_too_large_not_as_damaged(owner_client, acme):
    logo = SimpleUploadedFile("logo.png", big_png(20_000, 20_000), content_type="image/png")

    response = owner_client.post(ACCOUNT_URL, identity(logo=logo))

    assert response.status_code == 200
    assert "« logo.png » est une image de plus de 10 mégapixels" in text(response)
    acme.refresh_from_db()
    assert not acme.logo


def padded_png() -> SimpleUploadedFile:
    # A PNG followed by bytes no reader looks at: over a KB on disk, a small image once decoded.
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue() + bytes(2048), content_type="image/png")


def test_a_logo_over_the_byte_limit_is_refused(settings, owner_client, acme):
    settings.UPLOAD_LIMITS = {"logo_bytes": 1024}

    response = owner_client.post(ACCOUNT_URL, identity(logo=padded_png()))

    assert response.status_code == 200
    assert "« logo.png » dépasse 1,0 Kio" in text(response)
    acme.refresh_from_db()
    assert not acme.logo


@pytest.mark.parametrize(
    ("kind", "sent", "extension"), [("GIF", "logo.pdf", "gif"), ("PNG", "logo.jpg", "png")]
)
def test_a_logo_is_kept_under_a_random_name_with_the_extension_of_its_type(
    owner_client, acme, kind, sent, extension
):
    """Logos are public files: served with the type their name says, which must be what they are."""
    response = owner_client.post(ACCOUNT_URL, identity(logo=image(kind, sent)))

    assert response.status_code == 302
    acme.refresh_from_db()
    assert re.fullmatch(rf"logos/[0-9a-f]{{32}}\.{extension}", acme.logo.name), acme.logo.name
    assert default_storage.exists(acme.logo.name)


def test_the_page_states_the_logo_limits(owner_client):
    page = text(owner_client.get(ACCOUNT_URL))

    assert "Une image PNG, JPEG, GIF ou WebP de 2 Mo et 10 mégapixels au plus." in page
