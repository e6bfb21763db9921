"""What users may upload, and the checks every upload path applies: the one home of the limits.

The limits are `settings.UPLOAD_LIMITS` (settings.py reads the main ones from the environment):
- bytes: a file over `file_bytes`, and every file of a request whose body is over `request_bytes`, are
  refused while the request is read (`UploadLimitHandler`): their content goes to no temporary file and
  the form finds a `RefusedUpload` in their place, which `check_received` turns into a message;
- count: at most `files` files in one form field (`check_count`);
- type: sniffed from the first bytes, never taken from the name or from the type the browser sent
  (`sniff`); the stored and served names take the extension of the sniffed type (`name_for`);
- pixels: an image is measured from its header before anything decodes it (`measure_image`);
- decompressed bytes: `inflate` stops a zlib stream past its limit instead of inflating it whole;
- PDFs: read with pypdf's limits lowered (`bounded_pdf`), and refused past a number of pages or objects
  or of inflated page content, or when damaged (`open_pdf`, `check_pdf`);
- Pillow: its own ceiling follows the image limit (`configure_pillow`, at start-up).
Each check raises `UploadError` with a message for the user, in the active language.
"""

import io
import uuid
import zlib
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image
from pypdf import PdfReader, apply_configuration, get_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

MB = 1024 * 1024
# Read from a zlib stream at a time: the most a bomb gets inflated past the limit before it is stopped.
INFLATE_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 10 * MB
    request_bytes: int = 40 * MB
    files: int = 50
    image_pixels: int = 50_000_000
    logo_bytes: int = 2 * MB
    logo_pixels: int = 10_000_000
    xml_bytes: int = 10 * MB
    pdf_pages: int = 1000
    pdf_embedded_files: int = 100
    pdf_stream_bytes: int = 8 * MB
    pdf_objects: int = 100_000
    pdf_content_bytes: int = 64 * MB


def limits() -> Limits:
    """The limits in force: settings.UPLOAD_LIMITS over the defaults above."""
    return Limits(**getattr(settings, "UPLOAD_LIMITS", {}))


class UploadError(ValueError):
    """An upload refused; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# --- Sizes as the user reads them ---------------------------------------------------------------


def size_label(size: int) -> str:
    """10 Mo rather than 10,0 Mo for a limit in whole megabytes; filesizeformat otherwise."""
    if size and size % MB == 0:
        return _("%(count)s Mo") % {"count": formats.number_format(size // MB)}
    return str(filesizeformat(size))


def megapixels_label(pixels: int) -> str:
    return formats.number_format(
        round(pixels / 1_000_000, 1), decimal_pos=0 if pixels % 1_000_000 == 0 else 1
    )


def _file_name(upload: File[Any]) -> str:
    # A path sent by an old browser ("C:\\scans\\a.pdf") or a client: only the last part is a name.
    return (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]


# --- Reading the request: bytes per file and per request ---------------------------------------

FILE_TOO_LARGE = "file_too_large"
REQUEST_TOO_LARGE = "request_too_large"


class RefusedUpload(UploadedFile):
    """What a form receives in place of a file refused while the request was read: no content, the
    size that was sent, and why (`check_received` raises the message)."""

    def __init__(self, name: str, reason: str, size: int, content_type: str | None) -> None:
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)
        self.reason = reason

    def message(self) -> str:
        name = _file_name(self) or _("fichier sans nom")
        if self.reason == REQUEST_TOO_LARGE:
            return _(
                "« %(name)s » n'a pas été reçu : les fichiers envoyés ensemble dépassent %(max)s. "
                "Envoyez-les en plusieurs fois."
            ) % {"name": name, "max": size_label(limits().request_bytes)}
        return too_large_message(name, self.size or 0, limits().file_bytes)


class UploadLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS. Past the request limit, no file of the request reaches the next
    handlers (memory, temporary file); past the per-file limit, the rest of that file is dropped as it
    arrives. Either way the form gets a RefusedUpload saying so, and the other fields keep their values."""

    request_too_large = False
    received = 0
    reason = ""

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        # Django reads no more of the body than its Content-Length (a chunked body reads as empty).
        self.request_too_large = content_length > limits().request_bytes
        return None

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.received = 0
        self.reason = REQUEST_TOO_LARGE if self.request_too_large else ""
        if self.reason:
            raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if not self.reason and self.received > limits().file_bytes:
            self.reason = FILE_TOO_LARGE
        return None if self.reason else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.reason:
            return None
        return RefusedUpload(self.file_name or "", self.reason, self.received, self.content_type)


def too_large_message(name: str, size: int, limit: int) -> str:
    return _("« %(name)s » dépasse %(max)s (%(size)s) : envoyez un fichier plus léger.") % {
        "name": name,
        "max": size_label(limit),
        "size": filesizeformat(size),
    }


def check_received(upload: File[Any], max_bytes: int | None = None) -> None:
    """Refuse a file refused while the request was read, or larger than `max_bytes` (the per-file
    limit by default)."""
    if isinstance(upload, RefusedUpload):
        raise UploadError(upload.message())
    limit = limits().file_bytes if max_bytes is None else max_bytes
    size = upload.size or 0
    if size > limit:
        raise UploadError(too_large_message(_file_name(upload) or _("fichier sans nom"), size, limit))


def check_batch(uploads: Collection[File[Any]]) -> None:
    """Refuse the files of one form field together: too many of them, or cut off with their request
    (one message for all rather than one per file)."""
    maximum = limits().files
    if len(uploads) > maximum:
        raise UploadError(
            ngettext(
                "%(max)d fichier au plus à la fois : envoyez-les en plusieurs fois.",
                "%(max)d fichiers au plus à la fois : envoyez-les en plusieurs fois.",
                maximum,
            )
            % {"max": maximum}
        )
    if any(isinstance(upload, RefusedUpload) and upload.reason == REQUEST_TOO_LARGE for upload in uploads):
        raise UploadError(
            _(
                "Les fichiers envoyés ensemble dépassent %(max)s : aucun n'a été reçu. Envoyez-les en plusieurs fois."
            )
            % {"max": size_label(limits().request_bytes)}
        )


# --- Types: sniffed, never trusted from the name -------------------------------------------------


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: Callable[[], str]  # "un PDF", in the active language


PDF = FileType("application/pdf", "pdf", lambda: _("un PDF"))
JPEG = FileType("image/jpeg", "jpg", lambda: _("un JPEG"))
PNG = FileType("image/png", "png", lambda: _("un PNG"))
GIF = FileType("image/gif", "gif", lambda: _("un GIF"))
WEBP = FileType("image/webp", "webp", lambda: _("un WebP"))
# A received e-invoice's XML, kept and served as plain text so that a browser never runs what it holds.
XML = FileType("text/plain", "xml", lambda: _("un XML"))
# Pillow's name of each image format.
IMAGE_FORMATS = {"JPEG": JPEG, "PNG": PNG, "GIF": GIF, "WEBP": WEBP}
_BY_CONTENT_TYPE = {kind.content_type: kind for kind in (PDF, JPEG, PNG, GIF, WEBP, XML)}


def type_of(content_type: str) -> FileType | None:
    """The type a stored file was recognised as, from the content type recorded with it."""
    return _BY_CONTENT_TYPE.get(content_type)


def _magic(head: bytes) -> FileType | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    return None


def sniff(upload: File[Any], accepted: Collection[FileType]) -> FileType:
    """The type of `upload` from its first bytes, one of `accepted`; UploadError otherwise."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = _magic(head)
    if found is None or found not in accepted:
        raise _type_refused(_file_name(upload), accepted)
    return found


def _type_refused(name: str, accepted: Collection[FileType]) -> UploadError:
    labels = [kind.label() for kind in accepted]
    listed = (
        labels[0]
        if len(labels) == 1
        else _("%(some)s ou %(last)s")
        % {
            "some": ", ".join(labels[:-1]),
            "last": labels[-1],
        }
    )
    return UploadError(
        _("« %(name)s » n'est pas %(types)s : seuls ces formats sont acceptés.")
        % {"name": name or _("fichier sans nom"), "types": listed}
    )


# Extensions that already say the sniffed type.
_SAME_TYPE = {"jpg": {"jpg", "jpeg", "jpe", "jfif"}}


def name_for(original: str, kind: FileType) -> str:
    """The name a file is kept and served under: the name it was sent with, minus any path, with the
    extension of its sniffed type (a PDF sent as « facture.html » is « facture.pdf »)."""
    name = original.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].strip().strip(".")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if extension.lower() not in _SAME_TYPE.get(kind.extension, {kind.extension}):
        extension = kind.extension
    stem = stem.strip() or _("fichier")
    return f"{stem[: 254 - len(extension)]}.{extension}"


# --- Images: pixels measured before anything decodes them ----------------------------------------


@dataclass(frozen=True)
class ImageSize:
    kind: FileType
    width: int
    height: int


def measure_image(upload: File[Any], max_pixels: int, accepted: Collection[FileType]) -> ImageSize:
    """The type and size of the image in `upload`, read from its header (Pillow decodes no pixel to
    tell them); UploadError when it is not one of `accepted`, cannot be read, or has more than
    `max_pixels` pixels."""
    name = _file_name(upload) or _("fichier sans nom")
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            kind, width, height = IMAGE_FORMATS.get(image.format or ""), image.width, image.height
    except Image.DecompressionBombError:
        # Pillow's own ceiling, above any limit of ours: the size is not even read.
        raise UploadError(too_many_pixels_message(name, None, max_pixels)) from None
    except Exception:  # Pillow raises many kinds of errors on a damaged header; all mean the same here
        raise UploadError(_("« %(name)s » n'est pas une image lisible.") % {"name": name}) from None
    finally:
        upload.seek(0)
    if kind is None or kind not in accepted:
        raise _type_refused(name, accepted)
    if width * height > max_pixels:
        raise UploadError(too_many_pixels_message(name, (width, height), max_pixels))
    return ImageSize(kind, width, height)


def too_many_pixels_message(name: str, size: tuple[int, int] | None, max_pixels: int) -> str:
    maximum = megapixels_label(max_pixels)
    if size is None:
        return _(
            "« %(name)s » est une image de plus de %(max)s mégapixels : réduisez-la avant de l'envoyer."
        ) % {"name": name, "max": maximum}
    width, height = size
    return _(
        "« %(name)s » mesure %(width)s × %(height)s pixels (%(pixels)s mégapixels) : %(max)s mégapixels "
        "au plus. Réduisez l'image avant de l'envoyer."
    ) % {
        "name": name,
        "width": formats.number_format(width, force_grouping=True),
        "height": formats.number_format(height, force_grouping=True),
        "pixels": megapixels_label(width * height),
        "max": maximum,
    }


class LogoField(forms.ImageField):
    """The account's logo: PNG, JPEG, GIF or WebP, bounded in bytes and pixels (it is decoded each time
    a PDF is rendered), checked before Pillow verifies it, and stored under a random name with the
    extension of its sniffed type, never the name it was sent with."""

    ACCEPTED = (PNG, JPEG, GIF, WEBP)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", lazy(logo_help_text, str)())
        super().__init__(**kwargs)

    def to_python(self, data: Any) -> Any:
        if data in self.empty_values:
            return None
        try:
            check_received(data, limits().logo_bytes)
            measured = measure_image(data, limits().logo_pixels, self.ACCEPTED)
        except UploadError as error:
            raise ValidationError(error.message, code="invalid_image") from None
        image = super().to_python(data)
        assert isinstance(image, UploadedFile)  # what ImageField returns for an upload
        image.name = f"{uuid.uuid4().hex}.{measured.kind.extension}"
        image.content_type = measured.kind.content_type
        return image


def logo_help_text() -> str:
    return _("Une image PNG, JPEG, GIF ou WebP de %(size)s et %(pixels)s mégapixels au plus.") % {
        "size": size_label(limits().logo_bytes),
        "pixels": megapixels_label(limits().logo_pixels),
    }


def help_text(formats_label: Callable[[], str]) -> str:
    """What a file field accepts, with the limits in force: for help texts (wrap it in `lazy`)."""
    current = limits()
    return _(
        "%(formats)s ; %(file)s au plus par fichier, %(files)d fichiers et %(request)s au plus par envoi."
    ) % {
        "formats": formats_label(),
        "file": size_label(current.file_bytes),
        "files": current.files,
        "request": size_label(current.request_bytes),
    }


# --- Compressed data: inflated within a limit ----------------------------------------------------


class LimitExceeded(Exception):
    """Inflating went past its limit (the caller says what, for the user)."""


def inflate(data: bytes, limit: int) -> bytes:
    """`data` (zlib) inflated by chunks; LimitExceeded as soon as it passes `limit` bytes, so a bomb is
    never inflated whole. zlib.error when the data is damaged."""
    decompressor = zlib.decompressobj()
    parts: list[bytes] = []
    size = 0
    pending = data
    while True:
        chunk = decompressor.decompress(pending, INFLATE_CHUNK)
        size += len(chunk)
        if size > limit:
            raise LimitExceeded
        parts.append(chunk)
        pending = decompressor.unconsumed_tail
        if decompressor.eof or (not pending and not chunk):
            break
    return b"".join(parts)


# --- PDFs: read within bounds ----------------------------------------------------------------------


def bounded_pdf() -> AbstractContextManager[Any]:
    """pypdf's limits lowered to ours while the block runs: declared stream length, inflated size of
    every filter, page tree. A small PDF then cannot make the process hold much more than itself; past a
    limit pypdf raises LimitReachedError. The configuration is built at the call: a field pypdf no
    longer knows fails there, loudly, rather than inside a reader's `try` as a refused file."""
    current = limits()
    stream_limit = current.pdf_stream_bytes
    lowered = get_configuration().with_overwrites(
        maximum_declared_stream_length=current.file_bytes,
        array_based_stream_maximum_output_length=stream_limit,
        zlib_maximum_output_length=stream_limit,
        lzw_maximum_output_length=stream_limit,
        run_length_maximum_output_length=stream_limit,
        brotli_maximum_output_length=stream_limit,
        jbig2_maximum_output_length=stream_limit,
        image_maximum_buffer_size=stream_limit,
        stream_decoding_work_maximum_length=4 * stream_limit,
        page_tree_maximum_entries=2 * current.pdf_pages,
        page_tree_maximum_page_entries=100 * current.pdf_pages,
    )
    return apply_configuration(lowered)


class LockedPdf(UploadError):
    """A PDF protected by a password other than the empty one: its pages cannot be read here."""


class DamagedPdf(UploadError):
    """A PDF pypdf cannot read."""


def open_pdf(content: bytes, name: str) -> PdfReader:
    """A reader of the PDF in `content`, checked: at most `pdf_objects` objects, not protected by a
    password (an empty one is opened: LockedPdf otherwise), at most `pdf_pages` pages, every page's
    content readable and, inflated, `pdf_content_bytes` at most together. UploadError otherwise, naming
    the file. Call it, and use the reader, inside `bounded_pdf`."""
    current = limits()
    name = name or _("fichier sans nom")
    try:
        reader = PdfReader(io.BytesIO(content))
        _check_pdf_objects(reader, current)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LockedPdf(_("« %(name)s » est protégé par un mot de passe") % {"name": name})
        _check_pdf_pages(reader, name, current)
        content_bytes = 0
        for page in reader.pages:
            for stream in _content_streams(page.get("/Contents")):
                content_bytes += len(stream.get_data())
                if content_bytes > current.pdf_content_bytes:
                    raise LimitReachedError("page content")
    except UploadError:
        raise
    except LimitReachedError:
        raise UploadError(
            _(
                "« %(name)s » dépasse ce que Facturier accepte de lire dans un PDF (pages, objets ou "
                "données compressées)."
            )
            % {"name": name}
        ) from None
    except Exception:  # a damaged PDF can fail anywhere in pypdf; all mean the same to the user
        raise DamagedPdf(_("« %(name)s » est un PDF endommagé ou illisible.") % {"name": name}) from None
    return reader


def _check_pdf_objects(reader: PdfReader, current: Limits) -> None:
    # The declared count too: the cross-reference table may be rebuilt from a lie later.
    size = reader.trailer.get("/Size")
    objects = sum(len(table) for table in reader.xref.values()) + len(reader.xref_objStm)
    if max(objects, size if isinstance(size, int) else 0) > current.pdf_objects:
        raise LimitReachedError("objects")


def _check_pdf_pages(reader: PdfReader, name: str, current: Limits) -> None:
    # The declared count first: a claim of a billion pages is refused before the page tree is walked.
    declared = _resolved(_resolved(reader.trailer.get("/Root")).get("/Pages")).get("/Count")
    pages = declared if isinstance(declared, int) and declared > current.pdf_pages else len(reader.pages)
    if pages > current.pdf_pages:
        raise UploadError(
            _("« %(name)s » a %(count)s pages : %(max)s au plus.")
            % {
                "name": name,
                "count": formats.number_format(pages, force_grouping=True),
                "max": formats.number_format(current.pdf_pages, force_grouping=True),
            }
        )


def _resolved(value: Any) -> Any:
    value = value.get_object() if isinstance(value, IndirectObject) else value
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def _content_streams(contents: Any) -> list[StreamObject]:
    contents = contents.get_object() if isinstance(contents, IndirectObject) else contents
    parts = contents if isinstance(contents, ArrayObject) else [contents]
    found = [part.get_object() if isinstance(part, IndirectObject) else part for part in parts]
    return [part for part in found if isinstance(part, StreamObject)]


def check_pdf(upload: File[Any]) -> None:
    """Refuse a PDF upload that is damaged or too large to read (open_pdf), before it is stored. One
    protected by a password is kept as sent once its size is checked: whoever holds the password reads
    it (the print export names it among the documents it could not print)."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    with bounded_pdf(), suppress(LockedPdf):
        open_pdf(content, _file_name(upload))


def configure_pillow() -> None:
    """Pillow's own ceiling follows ours, once at start-up: it warns past `image_pixels` and refuses
    twice as many (DecompressionBombError), whatever path decodes an image. The upload checks refuse
    anything past the limit before Pillow decodes it; this catches a path that forgets to."""
    Image.MAX_IMAGE_PIXELS = limits().image_pixels


# The supporting documents users attach (an expense's "justificatifs", a sales document's attachments).
SUPPORTING_TYPES = (PDF, JPEG, PNG)


def check_supporting(upload: File[Any]) -> FileType:
    """Accept a PDF, JPEG or PNG within the limits, recognised from its first bytes (neither its name nor
    the type the client sent is trusted); an image is measured from its header before anything decodes
    it, a PDF read with pypdf within the limits. Its type, else UploadError."""
    check_received(upload)
    kind = sniff(upload, SUPPORTING_TYPES)
    if kind is PDF:
        check_pdf(upload)
    else:
        measure_image(upload, limits().image_pixels, (kind,))
    return kind


def delete_after_commit(names: list[str]) -> None:
    """Delete these stored files once the current transaction commits (its rows no longer name them);
    nothing if it rolls back, so a failed change never loses a file its rows still point to."""

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)
