"""Documents print any text a user can type: CJK, Arabic, Hebrew, emoji, combining marks.

Issued, credited, served by the API, made into a Factur-X, stated and stamped DUPLICATA, each PDF holds
the characters in the fonts of facturier/lib/fonts (not empty boxes: PDF/A refuses those). A character
no font has is refused before the document is numbered; a document issued earlier whose PDF could not
be made gets it from `keep_issued_pdfs`, under its number.
"""

import hashlib
import io
import unicodedata
from pathlib import Path
from typing import Any

import noto_cjk_sans_otc
import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from facturier.api.tests.conftest import Api, token_of
from facturier.billing import issued, statements
from facturier.billing.models import Document, IssuedFile, Status
from facturier.billing.services import documents
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.einvoice.facturx import facturx_pdf, xml_from_pdf
from facturier.lib import fonts
from facturier.tenancy.errors import ServiceError

CJK = "東京株式会社 서울상사 カタカナ"
ARABIC = "شركة القاهرة"
HEBREW = "חברה בע״מ"
EMOJI = "🍕👍🏽🇫🇷"
COMBINING = "Zoe\u0308 Ha\u0301"  # decomposed: a letter, then its accent
NO_FONT = "𓀀"  # an Egyptian hieroglyph: in none of the fonts

# NotoSansCJK-Regular.ttc of Debian's fonts-noto-cjk 1:20220127+repack1-1 (Noto Sans CJK 2.004).
CJK_SHA256 = "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def invoice(acme, actor):
    client = make_client(acme, name=f"{CJK} {EMOJI}", street=f"{ARABIC}\n{HEBREW}")
    lines = [
        line(f"Conseil {CJK}", "2", "450", "20", description=f"{ARABIC} {EMOJI}"),
        line(f"Traduction {HEBREW} {COMBINING}", "1", "120", "20"),
    ]
    return make_invoice(actor, client, lines, notes=f"Merci ! {EMOJI} {ARABIC} {CJK} {COMBINING}")


def text_and_fonts(content: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    names = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return unicodedata.normalize("NFC", text), names


def assert_every_script_is_set(content: bytes) -> None:
    text, names = text_and_fonts(content)
    for sample in (CJK, EMOJI, unicodedata.normalize("NFC", COMBINING)):
        for word in sample.split():
            assert word in text
    # Right-to-left words come out of the PDF in visual order: their letters are checked, not their order.
    assert set(ARABIC.replace(" ", "")) <= set(text)
    assert set(HEBREW.replace(" ", "")) <= set(text)
    for family in ("NotoSansCJKsc", "NotoEmoji", "NotoNaskhArabic"):
        assert any(name.startswith(family) for name in names), (family, names)


def test_a_document_in_every_script_is_issued_with_its_characters_in_the_pdf(invoice):
    assert invoice.status == Status.ISSUED
    assert invoice.number
    kept = issued.document_pdf(invoice)
    assert kept.startswith(b"%PDF")
    assert_every_script_is_set(kept)
    assert IssuedFile.objects.get(document=invoice, kind=IssuedFile.Kind.PDF).at_issue


def test_its_credit_note_its_statement_and_its_duplicate_render(invoice, actor):
    draft = documents.create_credit_note(actor, invoice, reason=f"Erreur {EMOJI} {CJK}")
    credit_note = documents.issue(actor, draft)
    assert credit_note.number
    assert_every_script_is_set(issued.document_pdf(credit_note))
    statement = statements.document_statement_pdf(invoice, invoice.account.today())
    assert CJK.split()[0] in text_and_fonts(statement)[0]
    duplicate = issued.document_pdf(invoice, duplicate=True)
    assert_every_script_is_set(duplicate)


def test_its_factur_x_embeds_the_xml_in_the_same_pdf(invoice):
    content = facturx_pdf(invoice)
    assert_every_script_is_set(content)
    xml = xml_from_pdf(content)
    assert xml is not None
    assert CJK.split()[0] in xml.decode()


def test_the_api_serves_its_pdf(invoice, owner, acme):
    response = Api(token_of(owner, acme)).get(f"/invoices/{invoice.pk}.pdf")
    assert response.status_code == 200
    assert response.content == issued.document_pdf(invoice)


def test_a_character_no_font_has_is_refused_before_numbering(acme, actor):
    client = make_client(acme)
    draft = make_invoice(actor, client, [line(f"Cartouche {NO_FONT}")], issue=False)
    with pytest.raises(ServiceError, match="ne peut pas être mis en page en PDF, il n'est donc pas émis"):
        documents.issue(actor, draft)
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (Status.DRAFT, "")
    assert not IssuedFile.objects.filter(document=draft).exists()
    # The number was not consumed: the next invoice takes the first one.
    assert make_invoice(actor, client).number.endswith("-0001")


def test_keep_issued_pdfs_repairs_documents_issued_without_their_pdf(invoice, acme, actor, capsys):
    # Issued before the fonts could write it: no PDF kept, its number given.
    number = invoice.number
    IssuedFile.objects.filter(document=invoice).delete()
    unrenderable = make_invoice(actor, make_client(acme), [line("Cartouche")])
    IssuedFile.objects.filter(document=unrenderable).delete()
    unrenderable.lines.update(name=f"Cartouche {NO_FONT}")

    with pytest.raises(ServiceError, match="Le document reste émis sous son numéro"):
        issued.document_pdf(Document.objects.printable().get(pk=unrenderable.pk))
    with pytest.raises(CommandError, match="1 PDF could not be made"):
        call_command("keep_issued_pdfs", "--account", acme.slug)

    out, err = capsys.readouterr()
    assert "1 PDF kept." in out
    assert unrenderable.number in err
    row = IssuedFile.objects.get(document=invoice, kind=IssuedFile.Kind.PDF)
    assert not row.at_issue
    invoice.refresh_from_db()
    assert invoice.number == number
    assert_every_script_is_set(issued.document_pdf(Document.objects.printable().get(pk=invoice.pk)))
    assert not IssuedFile.objects.filter(document=unrenderable).exists()


def test_every_family_of_the_font_list_is_shipped():
    assert set(fonts.FAMILIES) <= set(fonts.fonts().families())


def test_the_cjk_font_is_debians_file():
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CJK_SHA256
