"""What the buyer of an issued document received, kept: the PDF made when it was issued (and the Factur-X an
e-invoicing account makes of it), stored through Django's storage API with its sha256, and served as stored.

A legal document does not change once issued: payments, a new logo or a new template never alter it. Drafts
are rendered on each request (marked BROUILLON). A copy asked for as a duplicate is the stored PDF with
"DUPLICATA" stamped under its content, so the copy shows exactly what the original did.

The PDF's sha256 is part of the document's chained content (billing.chain) for documents issued since
PDFs are kept; those issued before get their PDF made once, at their first download or by
`manage.py keep_issued_pdfs`, and recorded with `at_issue=False`, outside the chain.

A file written inside a transaction that later rolls back stays in storage without a row: its name holds
the document id and the file's hash, so it never stands for another document (unreferenced files are
harmless and can be swept).
"""

import functools
import hashlib
import io
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import typst
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from facturier.billing import pdf
from facturier.billing.models import BillingSettings, Document, IssuedFile
from facturier.lib import fonts
from facturier.tenancy.errors import ServiceError

logger = logging.getLogger(__name__)

_STAMP_TEMPLATE = Path(__file__).parent / "typst" / "stamp.typ"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def render_for_issue(document: Document, billing_settings: BillingSettings) -> bytes:
    """The PDF of a document being issued (numbered, its parties frozen), with the account's settings the
    issue holds. A document that cannot be laid out is refused with the reason, so issuing stops before
    anything is kept."""
    letterhead = pdf.Letterhead(billing_settings, pdf.read_logo(document.account))
    try:
        return pdf.render_document_pdf(document, letterhead=letterhead)
    except typst.TypstError as error:
        logger.warning("Document %s could not be rendered at issue: %s", document.pk, error)
        raise ServiceError(
            _(
                "Le document ne peut pas être mis en page en PDF, il n'est donc pas émis. Vérifiez les "
                "textes saisis (un caractère que les polices du PDF ne savent pas écrire, par exemple)."
            )
        ) from error


def _render_later(document: Document) -> bytes:
    """The PDF of a document issued before PDFs were kept, made now. One that cannot be laid out is
    refused with the reason: its number stands, and `manage.py keep_issued_pdfs` makes it once the
    fonts can write it."""
    try:
        return pdf.render_document_pdf(document)
    except typst.TypstError as error:
        logger.warning("Issued document %s could not be rendered: %s", document.pk, error)
        raise ServiceError(
            _(
                "Le PDF de ce document ne peut pas être mis en page : un de ses textes contient un "
                "caractère que les polices du PDF ne savent pas écrire. Le document reste émis sous son "
                "numéro ; contactez le support pour obtenir son PDF."
            )
        ) from error


def keep(document: Document, kind: str, content: bytes, *, at_issue: bool = True) -> IssuedFile:
    """Store one file of an issued document. Call it in the transaction that issues the document."""
    row = _stored(document, kind, content, at_issue=at_issue)
    row.save()
    return row


def keep_all(document: Document, files: Sequence[tuple[str, bytes]]) -> None:
    """Store the files made as the document is issued (its PDF, a Factur-X), their rows in one INSERT."""
    IssuedFile.objects.bulk_create(
        [_stored(document, kind, content, at_issue=True) for kind, content in files]
    )


def _stored(document: Document, kind: str, content: bytes, *, at_issue: bool) -> IssuedFile:
    """The file written to storage, its row not saved yet."""
    digest = sha256(content)
    row = IssuedFile(
        account_id=document.account_id,
        document=document,
        kind=kind,
        sha256=digest,
        size=len(content),
        at_issue=at_issue,
    )
    row.file.save(f"{kind}-{digest[:20]}.pdf", ContentFile(content), save=False)
    return row


def stored(document: Document, kind: str) -> bytes | None:
    """The stored file of this kind, or None. Reads the prefetched `issued_files` when there are."""
    row = next((row for row in document.issued_files.all() if row.kind == kind), None)
    if row is None:
        return None
    with row.file.open("rb") as file:
        content = bytes(file.read())
    if sha256(content) != row.sha256:
        # Storage handed back other bytes than were kept: never serve them as the document.
        raise ServiceError(_("Le fichier conservé de ce document est altéré. Contactez le support."))
    return content


def issued_pdf(document: Document) -> bytes:
    """The PDF of an issued document as it was kept. A document issued before PDFs were kept gets its
    PDF made now, once, and kept from then on."""
    content = stored(document, IssuedFile.Kind.PDF)
    if content is not None:
        return content
    content = _render_later(document)
    try:
        with transaction.atomic():
            keep(document, IssuedFile.Kind.PDF, content, at_issue=False)
    except IntegrityError:
        # Another request kept it first: serve that one, so every download is the same file.
        document = Document.objects.get(pk=document.pk)
        kept = stored(document, IssuedFile.Kind.PDF)
        assert kept is not None
        return kept
    return content


def document_pdf(document: Document, *, duplicate: bool = False) -> bytes:
    """The PDF every download serves: a draft as it stands now, an issued document as kept (stamped
    DUPLICATA when asked for a duplicate)."""
    if document.is_draft:
        return pdf.render_document_pdf(document, duplicate=duplicate)
    content = issued_pdf(document)
    return stamp_duplicate(content, document.language) if duplicate else content


def stamp_duplicate(content: bytes, language: str) -> bytes:
    """The PDF with "DUPLICATA" written across each page, under its content."""
    stamp = PdfReader(io.BytesIO(_stamp(language))).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    for page in writer.pages:
        page.merge_page(stamp, over=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_stamp_lock = threading.Lock()


@functools.cache
def _stamp(language: str) -> bytes:
    with translation.override(language):
        text = _("DUPLICATA")
    with _stamp_lock:
        result = fonts.compiler(_STAMP_TEMPLATE).compile(
            format="pdf", sys_inputs={"data": json.dumps({"text": text}), **fonts.INPUTS}
        )
    assert isinstance(result, bytes)
    return result
