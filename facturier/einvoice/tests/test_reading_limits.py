"""Received PDFs built to exhaust the server: reading one holds a bounded amount of memory, and ends in
the invoice or a ReadError, never in another exception.

Memory is measured with tracemalloc (Python allocations: pypdf's, zlib's output, lxml's strings) around
`reading.read` only; the malicious files are built with pypdf beforehand, in a few hundred KB each.
"""

import functools
import io
import random
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from facturier.einvoice import reading
from facturier.einvoice.reading import ReadError
from facturier.einvoice.tests.test_reading import facturx_pdf, fixture

MB = 1024 * 1024
# Far above what reading a genuine Factur-X takes (well under 1 MB of Python allocations), far below what
# one bomb costs once inflated.
MEMORY_BOUND = 64 * MB


def peak_memory(work: Callable[[], object]) -> tuple[int, object]:
    """The peak of Python allocations while `work` runs, and what it returned or raised."""
    tracemalloc.start()
    try:
        try:
            outcome: object = work()
        except Exception as error:  # the caller asserts which
            outcome = error
        return tracemalloc.get_traced_memory()[1], outcome
    finally:
        tracemalloc.stop()


def plain(text: str) -> str:
    """Numbers as French formats them, with ordinary spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def deflated_zeros(size: int) -> bytes:
    """`size` zero bytes, zlib-compressed (about a thousandth of it), built without holding them."""
    compressor = zlib.compressobj(9)
    block = bytes(MB)
    parts = [compressor.compress(block) for _ in range(size // MB)]
    return b"".join([*parts, compressor.compress(bytes(size % MB)), compressor.flush()])


def with_embedded(
    pdf: bytes,
    files: list[tuple[str, bytes]],
    *,
    associated: bool = False,
    replace_invoice: bool = False,
) -> bytes:
    """`pdf` with more embedded files, each given as its name and its stored (already /FlateDecode)
    bytes; `associated` lists them in the catalogue's /AF too, `replace_invoice` drops the genuine
    factur-x.xml first."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    catalog = writer.root_object
    if replace_invoice:
        del catalog[NameObject("/AF")]
        del catalog[NameObject("/Names")]
    for name, stored in files:
        stream = DecodedStreamObject()
        stream.set_data(stored)
        stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        filespec = writer.add_attachment(name, b"").pdf_object
        filespec[NameObject("/EF")] = DictionaryObject({NameObject("/F"): writer._add_object(stream)})
        if associated:
            filespec[NameObject("/AFRelationship")] = NameObject("/Data")
            catalog.setdefault(NameObject("/AF"), ArrayObject()).append(filespec.indirect_reference)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def genuine() -> bytes:
    return facturx_pdf(fixture("cii_invoice.xml"))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """70 MB of zeros in 70 KB: the size of an attachment in the attack that was reported."""
    return deflated_zeros(70 * MB)


def test_reading_a_genuine_facturx_stays_far_below_the_bound(genuine):
    peak, outcome = peak_memory(lambda: reading.read(genuine))

    assert isinstance(outcome, reading.ReceivedInvoice)
    assert peak < MEMORY_BOUND / 4


def test_other_attachments_are_never_inflated(genuine, bomb):
    """The reported attack: sixteen compressed attachments beside the invoice (a 1 MB PDF)."""
    pdf = with_embedded(genuine, [(f"annexe-{n}.bin", bomb) for n in range(16)], associated=True)
    assert len(pdf) < 2 * MB

    peak, outcome = peak_memory(lambda: reading.read(pdf))

    assert isinstance(outcome, reading.ReceivedInvoice), outcome
    assert outcome.number == "PM-2026-0042"
    assert peak < MEMORY_BOUND


def test_an_invoice_xml_that_inflates_past_the_limit_is_refused_early(genuine, bomb):
    pdf = with_embedded(genuine, [("factur-x.xml", bomb)], associated=True, replace_invoice=True)

    peak, outcome = peak_memory(lambda: reading.read(pdf))

    assert isinstance(outcome, ReadError)
    assert "le XML contenu dans ce PDF dépasse 10 Mo" in str(outcome)
    assert peak < MEMORY_BOUND


def test_the_xml_limit_follows_the_settings(settings, genuine):
    settings.UPLOAD_LIMITS = {"xml_bytes": 1024}

    with pytest.raises(ReadError, match="le XML contenu dans ce PDF dépasse 1,0"):
        reading.read(genuine)


def test_a_pdf_with_more_embedded_files_than_the_limit_is_refused(genuine):
    tiny = zlib.compress(b"annexe")
    pdf = with_embedded(genuine, [(f"annexe-{n}.txt", tiny) for n in range(120)], replace_invoice=True)

    with pytest.raises(ReadError, match="ce PDF contient plus de 100 fichiers joints"):
        reading.read(pdf)


def test_the_invoice_is_found_by_its_relationship_among_many_attachments(genuine):
    """Found through /AF, the name tree's other entries are not even looked at."""
    tiny = zlib.compress(b"annexe")
    pdf = with_embedded(genuine, [(f"annexe-{n}.txt", tiny) for n in range(120)])

    assert reading.read(pdf).number == "PM-2026-0042"


def test_a_zugferd_name_tree_without_associated_files_is_read(genuine):
    """ZUGFeRD 2 files and some generators list the XML in the EmbeddedFiles name tree only."""
    xml = fixture("cii_invoice.xml")
    pdf = with_embedded(genuine, [("ZUGFeRD-invoice.xml", zlib.compress(xml))], replace_invoice=True)

    assert reading.read(pdf).xml == xml


def test_deep_xml_is_refused(genuine):
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    pdf = with_embedded(
        genuine, [("factur-x.xml", zlib.compress(deep))], associated=True, replace_invoice=True
    )

    peak, outcome = peak_memory(lambda: reading.read(pdf))

    assert isinstance(outcome, ReadError)
    assert "ni un fichier XML lisible" in str(outcome)
    assert peak < MEMORY_BOUND


def test_a_bare_xml_over_the_limit_is_refused(settings):
    settings.UPLOAD_LIMITS = {"xml_bytes": 1024}

    with pytest.raises(ReadError, match="ce XML dépasse 1,0"):
        reading.read(fixture("cii_invoice.xml"))


def pages(writer: PdfWriter) -> DictionaryObject:
    node = writer.root_object["/Pages"]
    assert isinstance(node, DictionaryObject)
    return node


def declared_pages(pdf: bytes, count: int) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    pages(writer)[NameObject("/Count")] = NumberObject(count)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_declaring_a_billion_pages_is_refused_without_walking_them(genuine):
    pdf = declared_pages(genuine, 1_000_000_000)

    peak, outcome = peak_memory(lambda: reading.read(pdf))

    assert isinstance(outcome, ReadError)
    assert "ce PDF a 1 000 000 000 pages : une facture reçue en a 1 000 au plus" in plain(str(outcome))
    assert peak < MEMORY_BOUND


def test_the_real_page_count_is_checked_when_the_declared_one_lies(settings, genuine):
    settings.UPLOAD_LIMITS = {"pdf_pages": 3}
    writer = PdfWriter(clone_from=io.BytesIO(genuine))
    for _ in range(5):
        writer.add_blank_page(width=595, height=842)
    pages(writer)[NameObject("/Count")] = NumberObject(1)
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(ReadError, match="ce PDF"):
        reading.read(out.getvalue())


def test_an_encrypted_pdf_is_refused(genuine):
    writer = PdfWriter(clone_from=io.BytesIO(genuine))
    writer.encrypt(user_password="", owner_password="secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(ReadError, match="chiffré"):
        reading.read(out.getvalue())


def test_an_xml_in_a_filter_it_does_not_read_is_refused(genuine):
    xml = fixture("cii_invoice.xml")
    writer = PdfWriter(clone_from=io.BytesIO(genuine))
    filespec: Any = writer.root_object["/AF"]
    stream = filespec[0].get_object()["/EF"]["/F"].get_object()
    stream.set_data(xml.hex().encode())
    stream[NameObject("/Filter")] = NameObject("/ASCIIHexDecode")
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(ReadError, match="codé d'une façon que Facturier ne lit pas"):
        reading.read(out.getvalue())


def damaged(pdf: bytes, seed: int) -> Iterator[bytes]:
    """Truncations and flipped bytes, deterministic."""
    rng = random.Random(seed)
    for _ in range(25):
        yield pdf[: rng.randrange(8, len(pdf))]
    for _ in range(25):
        copy = bytearray(pdf)
        for _ in range(rng.randrange(1, 20)):
            copy[rng.randrange(5, len(copy))] = rng.randrange(256)
        yield bytes(copy)
    yield b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(2000))
    yield b"%PDF-1.7\ntrailer\n<< /Root 1 0 R /Size 1 >>\n%%EOF"


def test_damaged_pdfs_are_refused_as_unreadable_and_nothing_else(genuine, bomb):
    attacked = with_embedded(genuine, [("annexe.bin", bomb)], associated=True)
    for source, seed in ((genuine, 1), (attacked, 2)):
        for content in damaged(source, seed):
            peak, outcome = peak_memory(functools.partial(reading.read, content))

            assert isinstance(outcome, (ReadError, reading.ReceivedInvoice)), repr(outcome)
            assert peak < MEMORY_BOUND


# --- manage.py check_einvoice reads as the import does -------------------------------------------


def test_check_einvoice_reads_the_invoice_xml_within_the_same_bounds(genuine, bomb, tmp_path):
    """The reported attack given to the command: factur-x's own extraction inflated every attachment."""
    target = tmp_path / "attaque.pdf"
    target.write_bytes(
        with_embedded(genuine, [(f"annexe-{n}.bin", bomb) for n in range(16)], associated=True)
    )

    out = StringIO()

    peak, outcome = peak_memory(lambda: call_command("check_einvoice", str(target), stdout=out))

    # The invoice was read and checked (this fixture breaks some rules: that is not the point here).
    assert "XSD Factur-X EN 16931: OK" in out.getvalue(), (outcome, out.getvalue())
    assert peak < MEMORY_BOUND


def test_check_einvoice_refuses_an_xml_bomb_within_the_bound(genuine, bomb, tmp_path):
    target = tmp_path / "bombe.pdf"
    target.write_bytes(
        with_embedded(genuine, [("factur-x.xml", bomb)], associated=True, replace_invoice=True)
    )

    peak, outcome = peak_memory(lambda: call_command("check_einvoice", str(target), stdout=StringIO()))

    assert isinstance(outcome, CommandError)
    assert "le XML contenu dans ce PDF dépasse 10 Mo" in plain(str(outcome))
    assert peak < MEMORY_BOUND
