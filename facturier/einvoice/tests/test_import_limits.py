"""The import page as an attacker would use it: malicious PDFs cost a bounded amount of memory, and every
limit ends in a message on the page, never in a 500."""

import html
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.einvoice.tests.test_reading import facturx_pdf, fixture
from facturier.einvoice.tests.test_reading_limits import MEMORY_BOUND, deflated_zeros, with_embedded
from facturier.purchases.models import Attachment, Expense

URL = reverse("einvoice:expense_import", kwargs={"slug": "acme"})
MB = 1024 * 1024


def text(response) -> str:
    return html.unescape(response.content.decode()).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture(scope="module")
def attack() -> bytes:
    """The reported file: a Factur-X beside sixteen compressed attachments of 70 MB each, in 1 MB."""
    bomb = deflated_zeros(70 * MB)
    return with_embedded(
        facturx_pdf(fixture("cii_invoice.xml")),
        [(f"annexe-{n}.bin", bomb) for n in range(16)],
        associated=True,
    )


def test_the_reported_pdf_is_imported_without_inflating_its_other_attachments(owner_client, acme, attack):
    tracemalloc.start()
    try:
        response = owner_client.post(URL, {"einvoices": [SimpleUploadedFile("facture.pdf", attack)]})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    assert "1 dépense créée" in text(response)
    assert peak < MEMORY_BOUND
    attachment = Attachment.objects.get(account=acme)
    assert (attachment.original_name, attachment.size) == ("facture.pdf", len(attack))


def test_an_invoice_xml_inflating_past_the_limit_is_refused_on_the_page(owner_client, acme):
    pdf = with_embedded(
        facturx_pdf(fixture("cii_invoice.xml")),
        [("factur-x.xml", deflated_zeros(70 * MB))],
        associated=True,
        replace_invoice=True,
    )

    tracemalloc.start()
    try:
        response = owner_client.post(URL, {"einvoices": [SimpleUploadedFile("bombe.pdf", pdf)]})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    assert "le XML contenu dans ce PDF dépasse 10 Mo" in text(response)
    assert peak < MEMORY_BOUND
    assert not Expense.objects.filter(account=acme).exists()


def test_files_over_the_request_limit_are_refused_together(settings, owner_client, acme):
    settings.UPLOAD_LIMITS = {"request_bytes": MB}
    files = [SimpleUploadedFile("cii_invoice.xml", fixture("cii_invoice.xml") + b" " * MB)]

    response = owner_client.post(URL, {"einvoices": files})

    assert response.status_code == 200
    assert response.context["form"].errors["einvoices"] == [
        "Les fichiers envoyés ensemble dépassent 1 Mo : aucun n'a été reçu. Envoyez-les en plusieurs fois."
    ]
    assert not Expense.objects.filter(account=acme).exists()


def test_the_page_states_the_limits_in_force(settings, owner_client):
    settings.UPLOAD_LIMITS = {"file_bytes": 5 * MB, "request_bytes": 20 * MB, "files": 10}

    page = text(owner_client.get(URL))

    assert (
        "PDF Factur-X (ou ZUGFeRD 2), XML CII ou XML UBL ; 5 Mo au plus par fichier, 10 fichiers et 20 Mo "
        "au plus par envoi."
    ) in page
