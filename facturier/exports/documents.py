"""Documents in bulk: a ZIP of the period's PDFs and supporting documents, or one PDF to print them.

`write_pdf_zip` hands an accountant the period as files: each sales document rendered as the client
received it (billing/pdf.py), under `ventes/` and named by its number, then each expense's attachments
("justificatifs") byte for byte under `achats/`, named by date, supplier and supplier number. Two CSV
files say what is in it: `index.csv` at the root (one row per file: which document it is, its date, the
other party, its total in EUR), because a thousand files named by number tell nobody who bought what,
and `achats/sans-justificatif.csv` (only when some are missing) listing the expenses whose supporting
document is absent or unreadable, which is what the accountant will ask for.

`write_pdf_print` is for printing: one PDF with the sales documents, then the expenses' attachments
(PDFs as they are, JPEG and PNG scans as one page each), then a page listing what could not be printed.
pypdf keeps the whole merged file in memory until it is written, so it refuses more than
MAX_PRINT_FILES files or MAX_PRINT_ATTACHMENT_BYTES of attachments: nobody prints thousands of pages
from a browser, and the ZIP is there for that.

Both read the rows of `selection` in chunks and write as they go: the ZIP is streamed into `out` (each
entry written once, in order: only the archive's directory, a few hundred bytes per file, is kept
until the end), the CSVs wait in temporary files that move to disk past 1 MB.
"""

import datetime
import io
import itertools
import json
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.db.models import Count, QuerySet, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

from facturier.billing.issued import issued_pdf
from facturier.billing.models import Document, DocumentQuerySet, Kind
from facturier.exports import selection
from facturier.exports.base import CHUNK_SIZE, ExportError, ExportRequest, Progress
from facturier.lib import csvfiles, fonts, uploads
from facturier.lib.money import round_money
from facturier.purchases.models import Attachment, Expense

logger = logging.getLogger(__name__)

# A merged PDF lives in memory until written (pypdf): past these, the user is sent to the ZIP.
MAX_PRINT_FILES = 500
MAX_PRINT_ATTACHMENT_BYTES = 200 * 1024 * 1024
# Measured on rendered invoices (bench/DOCUMENTS.md): deflating at level 1 leaves 59 % of the file for
# 0.3 ms (rendering it takes 10 to 20 ms); level 6 saves 2 points more for 0.5 ms. JPEG and PNG scans
# do not shrink (99.8 %): stored as they are. Uploaded PDFs are deflated at zipfile's default level
# (a streamed entry takes no other): those made by software shrink like ours, scans cost ~20 ms per MB.
RENDERED_COMPRESS_LEVEL = 1
COPY_CHUNK = 256 * 1024
# CSV rows past this size wait on disk rather than in memory.
SPOOL_MAX_BYTES = 1024 * 1024
MAX_STEM_LENGTH = 80
# Documents fetched per query when they are rendered: a chunk of CHUNK_SIZE (2,000) with their lines
# holds about 60 MB, and rendering takes 10 to 20 ms a document, so the round trip saved by large chunks
# is worth nothing here (bench/DOCUMENTS.md).
RENDER_CHUNK_SIZE = 200
# Scans are printed at most at 300 dpi on an A4 page (pixels), and the page fits A4 (inches).
A4_INCHES = (8.27, 11.69)
A4_PIXELS = (2480, 3508)
# Extensions by content type: uploads are sniffed from their first bytes (purchases.services).
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

_UNSAFE = re.compile(r"[^A-Za-z0-9+_.-]+")


# --- What is exported ---------------------------------------------------------------------------


def _sales(request: ExportRequest) -> DocumentQuerySet:
    documents = selection.sales_documents(request)
    return documents if request.scope in ("sales", "all") else documents.none()


def _expenses(request: ExportRequest) -> QuerySet[Expense]:
    expenses = selection.expenses(request)
    return expenses if request.scope in ("purchases", "all") else expenses.none()


def _counts(request: ExportRequest) -> tuple[int, int]:
    """The number of sales documents and of expenses; ExportError when there is neither."""
    counts = _sales(request).count(), _expenses(request).count()
    if not any(counts):
        raise ExportError(
            _(
                "Aucun document à exporter du %(start)s au %(end)s avec ces filtres : "
                "élargissez la période ou retirez des filtres."
            )
            % {
                "start": formats.date_format(request.start, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(request.end, "SHORT_DATE_FORMAT"),
            }
        )
    return counts


def _rendered(request: ExportRequest) -> Iterator[tuple[Document, bytes]]:
    """Each sales document with its PDF as kept at issue (the kept files come a chunk at a time: queries
    do not grow with the number of documents). A document issued before PDFs were kept is rendered and
    kept now, as at its first download."""
    documents = _sales(request).printable().prefetch_related("issued_files")
    for document in documents.iterator(chunk_size=RENDER_CHUNK_SIZE):
        document.account = request.account  # the same for all: one instance, no join
        yield document, issued_pdf(document)


def _expenses_with_attachments(request: ExportRequest) -> Iterator[Expense]:
    expenses = _expenses(request).select_related("supplier").prefetch_related("attachments")
    yield from expenses.iterator(chunk_size=CHUNK_SIZE)


# --- Names ----------------------------------------------------------------------------------------


def safe_filename(text: str, fallback: str) -> str:
    """`text` as a file name any system extracts alike: ASCII letters, digits and + _ . - only
    (accents dropped, anything else, "/" included, becomes "-"), no leading dot, at most 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("-", ascii_text).strip("-.")[:MAX_STEM_LENGTH].strip("-.")
    return cleaned or fallback


class FileNames:
    """The names given in one archive, each once. Compared without case: Windows and macOS would
    extract "F-1.pdf" and "f-1.pdf" into the same file."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, folder: str, stem: str, extension: str, *, qualifier: str = "") -> str:
        """`folder/stem.extension`, else with the qualifier (`F-2026-0001-avoir.pdf`), else numbered."""
        candidates = itertools.chain(
            [stem], [f"{stem}-{qualifier}"] if qualifier else [], (f"{stem}-{n}" for n in itertools.count(2))
        )
        for candidate in candidates:
            name = f"{folder}/{candidate}.{extension}"
            if name.lower() not in self._taken:
                self._taken.add(name.lower())
                return name
        raise AssertionError("unreachable: the numbered candidates never end")


def _document_stem(document: Document) -> str:
    return safe_filename(document.number, f"document-{document.pk}")


def _kind_qualifier(document: Document) -> str:
    # Two kinds can share a number (patterns changed over the years): the second gets its kind.
    return safe_filename(str(Kind(document.kind).label).lower(), document.kind)


def _expense_stem(expense: Expense) -> str:
    parts = [expense.issue_date.isoformat(), safe_filename(expense.supplier.name, _("fournisseur"))]
    if expense.supplier_number:
        parts.append(safe_filename(expense.supplier_number, ""))
    return "-".join(part for part in parts if part)


def _extension(attachment: Attachment) -> str:
    known = EXTENSIONS.get(attachment.content_type)
    if known:
        return known
    suffix = attachment.original_name.rsplit(".", 1)[-1] if "." in attachment.original_name else ""
    return safe_filename(suffix.lower()[:10], "bin")


# --- CSV ------------------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal:
    # As the reports' CSV writes money: a dot, no grouping, cents ("1234.50"); a number, which the CSV
    # writer never takes for a formula, however it starts.
    return round_money(value)


class CsvSpool:
    """CSV rows set aside while the files are written, then copied into the archive: in memory up to
    1 MB, then in a temporary file of this process (never shared: it dies with the export).

    Same conventions as the reports' CSV: UTF-8 without byte-order mark, commas, CRLF line ends,
    ISO dates, amounts with a dot, text that would start a formula quoted (lib/csvfiles.py)."""

    def __init__(self, header: list[str]) -> None:
        self.rows = 0
        self._file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by copy_into)
            max_size=SPOOL_MAX_BYTES, mode="w+", encoding="utf-8", newline=""
        )
        self._writer = csvfiles.writer(self._file)
        self._writer.writerow(header)

    def add(self, row: list[csvfiles.Cell]) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def copy_into(self, archive: zipfile.ZipFile, name: str) -> None:
        self._file.seek(0)
        entry = _entry(name, timezone.localtime().date(), zipfile.ZIP_DEFLATED)
        with archive.open(entry, "w") as target:
            while chunk := self._file.read(COPY_CHUNK):
                target.write(chunk.encode("utf-8"))
        self._file.close()

    def close(self) -> None:
        self._file.close()


def _index_header() -> list[str]:
    return [_("Fichier"), _("Type"), _("Numéro"), _("Date"), _("Tiers"), _("Total TTC (EUR)")]


def _missing_header() -> list[str]:
    return [_("Date"), _("Fournisseur"), _("Numéro"), _("Total TTC (EUR)"), _("Motif")]


def _document_row(name: str, document: Document) -> list[csvfiles.Cell]:
    party = document.buyer_name or document.client.name
    kind = str(Kind(document.kind).label)
    return [
        name,
        kind,
        document.number,
        document.issue_date.isoformat(),
        party,
        _amount(document.gross_total_eur),
    ]


def _expense_row(expense: Expense) -> list[csvfiles.Cell]:
    return [
        expense.issue_date.isoformat(),
        expense.supplier.name,
        expense.supplier_number,
        _amount(expense.gross_total_eur),
    ]


# --- ZIP ------------------------------------------------------------------------------------------


def _entry(name: str, day: datetime.date, compression: int) -> zipfile.ZipInfo:
    """A ZIP entry dated `day` (the document's date: a file browser then sorts them by date)."""
    entry = zipfile.ZipInfo(name, date_time=(max(day.year, 1980), day.month, day.day, 0, 0, 0))
    entry.compress_type = compression
    entry.external_attr = 0o644 << 16  # rw-r--r-- once extracted (0 would leave no permission at all)
    return entry


def write_pdf_zip(request: ExportRequest, out: IO[bytes], progress: Progress) -> None:
    """Write a ZIP of the request's sales documents as PDFs (`ventes/<number>.pdf`) and of its
    expenses' attachments (`achats/<date>-<supplier>-<number>[-n].<ext>`), with `index.csv` and,
    when some are missing, `achats/sans-justificatif.csv`. Progress counts documents and expenses."""
    document_count, expense_count = _counts(request)
    total = document_count + expense_count
    sales_folder, purchases_folder = _("ventes"), _("achats")
    names = FileNames()
    index, missing = CsvSpool(_index_header()), CsvSpool(_missing_header())
    done = 0
    try:
        with zipfile.ZipFile(out, "w") as archive:
            for document, pdf in _rendered(request):
                name = names.claim(
                    sales_folder, _document_stem(document), "pdf", qualifier=_kind_qualifier(document)
                )
                entry = _entry(name, document.issue_date, zipfile.ZIP_DEFLATED)
                archive.writestr(entry, pdf, compresslevel=RENDERED_COMPRESS_LEVEL)
                index.add(_document_row(name, document))
                done += 1
                progress(done, total)
            for expense in _expenses_with_attachments(request):
                _add_attachments(archive, expense, purchases_folder, names, index, missing)
                done += 1
                progress(done, total)
            if missing.rows:
                missing_name = _("sans-justificatif")
                missing.copy_into(archive, f"{purchases_folder}/{missing_name}.csv")
            index.copy_into(archive, "index.csv")
    finally:
        index.close()
        missing.close()


def _add_attachments(
    archive: zipfile.ZipFile,
    expense: Expense,
    folder: str,
    names: FileNames,
    index: CsvSpool,
    missing: CsvSpool,
) -> None:
    attachments = list(expense.attachments.all())
    if not attachments:
        missing.add([*_expense_row(expense), _("Aucun justificatif")])
        return
    stem = _expense_stem(expense)
    for position, attachment in enumerate(attachments, start=1):
        numbered = f"{stem}-{position}" if len(attachments) > 1 else stem
        try:
            source = attachment.file.open("rb")
        except OSError:
            # Lost from storage: the archive goes on, and the list of what is missing says so.
            logger.warning("Attachment %s (%s) is missing from storage.", attachment.pk, attachment.file.name)
            reason = _("Fichier « %(name)s » introuvable") % {"name": attachment.original_name}
            missing.add([*_expense_row(expense), reason])
            continue
        name = names.claim(folder, numbered, _extension(attachment))
        compression = zipfile.ZIP_STORED if attachment.is_image else zipfile.ZIP_DEFLATED
        entry = _entry(name, expense.issue_date, compression)
        entry.file_size = attachment.size  # lets zipfile decide on ZIP64 before it has read the file
        with source, archive.open(entry, "w") as target:
            shutil.copyfileobj(source, target, COPY_CHUNK)
        index.add(
            [
                name,
                _("Dépense"),
                expense.supplier_number,
                expense.issue_date.isoformat(),
                expense.supplier.name,
                _amount(expense.gross_total_eur),
            ]
        )


# --- One PDF to print -----------------------------------------------------------------------------


class Unprintable(Exception):
    """An attachment left out of the print, with the reason the last page gives."""


def write_pdf_print(request: ExportRequest, out: IO[bytes], progress: Progress) -> None:
    """Write one PDF: the sales documents, then the expenses' attachments (PDF pages as they are,
    each JPEG or PNG on a page of its own), then a page listing the expenses whose supporting document
    is missing or could not be read. Refused past MAX_PRINT_FILES files or MAX_PRINT_ATTACHMENT_BYTES."""
    document_count, expense_count = _counts(request)
    attachments = Attachment.objects.filter(
        account=request.account, expense__in=_expenses(request).values("pk")
    ).aggregate(count=Count("pk"), size=Sum("size"))
    _check_printable(document_count, attachments["count"], attachments["size"] or 0)
    total = document_count + expense_count

    with uploads.bounded_pdf():
        _merge(request, out, progress, total)


def _merge(request: ExportRequest, out: IO[bytes], progress: Progress, total: int) -> None:
    """write_pdf_print's merge, run with pypdf's limits lowered (lib.uploads.bounded_pdf): attachments
    are what users uploaded, some before they were checked at upload."""
    merged = PdfWriter()
    notes: list[str] = []
    done = 0
    for _document, pdf in _rendered(request):
        merged.append(PdfReader(io.BytesIO(pdf)), import_outline=False)
        done += 1
        progress(done, total)
    for expense in _expenses_with_attachments(request):
        found = list(expense.attachments.all())
        if not found:
            notes.append(_describe(expense, _("aucun justificatif")))
        for attachment in found:
            try:
                _append_attachment(merged, attachment)
            except Unprintable as reason:
                notes.append(_describe(expense, str(reason)))
        done += 1
        progress(done, total)
    if notes:
        merged.append(PdfReader(io.BytesIO(_notes_page(notes))), import_outline=False)
    merged.add_metadata({"/Title": _("Documents à imprimer")})
    merged.write(out)


def _check_printable(documents: int, attachments: int, attachment_bytes: int) -> None:
    files = documents + attachments
    if files == 0:
        raise ExportError(
            _(
                "Rien à imprimer : aucun document de vente ne correspond aux filtres et les dépenses "
                "de la période n'ont pas de justificatif."
            )
        )
    if files > MAX_PRINT_FILES:
        raise ExportError(
            _(
                "%(count)s documents à imprimer, c'est plus que les %(max)s qu'un seul PDF peut réunir : "
                "réduisez la période ou téléchargez-les en ZIP."
            )
            % {"count": files, "max": MAX_PRINT_FILES}
        )
    if attachment_bytes > MAX_PRINT_ATTACHMENT_BYTES:
        raise ExportError(
            _(
                "Les justificatifs à imprimer pèsent %(size)s, plus que les %(max)s qu'un seul PDF peut "
                "réunir : réduisez la période ou téléchargez-les en ZIP."
            )
            % {"size": filesizeformat(attachment_bytes), "max": filesizeformat(MAX_PRINT_ATTACHMENT_BYTES)}
        )


def _describe(expense: Expense, reason: str) -> str:
    date = formats.date_format(expense.issue_date, "SHORT_DATE_FORMAT")
    number = f" {expense.supplier_number}" if expense.supplier_number else ""
    return f"{date} · {expense.supplier.name}{number} : {reason}"


def _append_attachment(merged: PdfWriter, attachment: Attachment) -> None:
    """Add the attachment's pages, or raise Unprintable leaving `merged` as it was."""
    name = attachment.original_name
    try:
        with attachment.file.open("rb") as source:
            content = source.read()
    except OSError:
        raise Unprintable(_("« %(name)s » introuvable") % {"name": name}) from None
    unreadable = Unprintable(_("« %(name)s » illisible, ouvrez-le depuis la dépense") % {"name": name})
    pages_before = len(merged.pages)
    # Uploads are whatever a scanner or a supplier's software made: a file that fails to decode is
    # named on the last page rather than costing the user the whole print.
    try:
        reader = uploads.open_pdf(_image_page(content) if attachment.is_image else content, name)
        if len(reader.pages) == 0:
            raise unreadable
        merged.append(reader, import_outline=False)
    except uploads.DamagedPdf:
        raise unreadable from None
    except uploads.UploadError as refused:  # locked by a password, or past the limits: it says which
        raise Unprintable(refused.message) from None
    except Unprintable:
        raise
    except Exception:
        logger.warning("Attachment %s could not be printed.", attachment.pk, exc_info=True)
        for index in range(len(merged.pages) - 1, pages_before - 1, -1):
            merged.remove_page(index)
        raise unreadable from None


def _image_page(content: bytes) -> bytes:
    """A JPEG or PNG scan as a one-page PDF no larger than A4, at most 300 dpi (upright, as the
    camera's orientation tag says; transparency on white)."""
    with Image.open(io.BytesIO(content)) as image:
        image.draft("RGB", A4_PIXELS)  # a large JPEG is decoded at a reduced size directly
        picture = ImageOps.exif_transpose(image)
        scale = min(1.0, A4_PIXELS[0] / picture.width, A4_PIXELS[1] / picture.height)
        if scale < 1:
            size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
            picture = picture.resize(size, Image.Resampling.LANCZOS)
        if picture.mode != "RGB":
            rgba = picture.convert("RGBA")
            picture = Image.new("RGB", rgba.size, "white")
            picture.paste(rgba, mask=rgba.getchannel("A"))
        resolution = max(picture.width / A4_INCHES[0], picture.height / A4_INCHES[1])
        buffer = io.BytesIO()
        picture.save(buffer, "PDF", resolution=resolution)
        return buffer.getvalue()


# The last page of a print: the texts come as JSON (sys.inputs), so none is read as Typst markup.
NOTES_TEMPLATE = b"""
#let d = json(bytes(sys.inputs.data))
#set document(title: d.title)
#set page(paper: "a4", margin: 2cm)
#set text(font: json(bytes(sys.inputs.fonts)), size: 10pt, lang: d.lang)
#heading(d.title)
#d.intro
#list(..d.items)
"""


def _notes_page(notes: list[str]) -> bytes:
    data = {
        "lang": (translation.get_language() or "fr")[:2],
        "title": _("Justificatifs non imprimés"),
        "intro": _("Ces dépenses n'ont pas de justificatif imprimable dans Facturier :"),
        "items": notes,
    }
    pdf = fonts.compiler(NOTES_TEMPLATE).compile(
        format="pdf", sys_inputs={"data": json.dumps(data), **fonts.INPUTS}
    )
    assert isinstance(pdf, bytes)
    return pdf
