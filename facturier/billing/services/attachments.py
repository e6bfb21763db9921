"""Files attached to sales documents (the public API's attachments): received, then attached by name.

The public API attaches a file in two calls: the client sends it (to the address the credentials name),
then asks for it to be attached by its name. `receive` keeps the file sent, `attach` attaches the latest
file of that name received for the document. Attaching changes nothing of the document (its PDF, its
hash, its books), so it is open on issued documents and in the locked period too; it is audited.
"""

import datetime
import hashlib
import uuid

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.billing.models import Document, DocumentAttachment
from facturier.billing.services.documents import require
from facturier.lib import uploads
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable

# A file received and never attached is removed by the next upload to its document after this long.
KEPT_UNATTACHED = datetime.timedelta(days=1)
# What one document may keep (attached or waiting), so that one policy or one member cannot fill the storage
# and the ZIP of a document's files stays bounded (MAX_FILES × the upload limit).
MAX_FILES = 20


def sent_name(upload: File[bytes]) -> str:
    """The file's own name, without the folders a client may send."""
    return (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]


def receive(actor: Actor, document: Document, upload: File[bytes]) -> DocumentAttachment:
    """Keep a file sent for `document` until `attach` names it (Documents de vente: Modifier).

    A PDF, JPEG or PNG within the upload limits (lib.uploads.check_supporting), else a ServiceError on
    `file`. Files received for the document more than a day ago and never attached go.
    """
    require(actor, document.account, "sales.edit")
    ensure_writable(document.account)
    name = sent_name(upload)
    if not name:
        raise ServiceError(_("Le fichier envoyé n'a pas de nom."), field="file")
    kept = DocumentAttachment.objects.filter(document=document).exclude(
        attached_at__isnull=True, uploaded_at__lt=timezone.now() - KEPT_UNATTACHED
    )
    if kept.count() >= MAX_FILES:
        raise ServiceError(
            _("Ce document a déjà %(max)d fichiers joints, le maximum.") % {"max": MAX_FILES},
            field="file",
        )
    try:
        kind = uploads.check_supporting(upload)
    except uploads.UploadError as error:
        raise ServiceError(error.message, field="file") from None
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    # A random name: the one sent goes in the database only, and the path cannot be guessed.
    stored = default_storage.save(
        f"attachments/{document.account_id}/{uuid.uuid4().hex}.{kind.extension}", upload
    )
    try:
        with transaction.atomic():
            stale = DocumentAttachment.objects.filter(
                document=document,
                attached_at__isnull=True,
                uploaded_at__lt=timezone.now() - KEPT_UNATTACHED,
            )
            uploads.delete_after_commit(list(stale.values_list("file", flat=True)))
            stale.delete()
            return DocumentAttachment.objects.create(
                account_id=document.account_id,
                document=document,
                file=stored,
                original_name=name,
                content_type=kind.content_type,
                size=upload.size or 0,
                sha256=digest.hexdigest(),
                uploaded_by=actor.user,
            )
    except BaseException:
        default_storage.delete(stored)
        raise


@transaction.atomic
def attach(actor: Actor, document: Document, file_name: str) -> DocumentAttachment:
    """Attach the latest file named `file_name` received for `document` (Documents de vente: Modifier);
    a ServiceError on `file_name` when none was received."""
    require(actor, document.account, "sales.edit")
    ensure_writable(document.account)
    received = (
        DocumentAttachment.objects.select_for_update()
        .filter(document=document, original_name=file_name.strip(), attached_at__isnull=True)
        .order_by("-uploaded_at", "-pk")
        .first()
    )
    if received is None:
        raise ServiceError(
            _(
                "Aucun fichier « %(name)s » n'a été reçu pour ce document : demandez l'autorisation "
                "d'envoi (GET /invoices/%(id)s/get_new_attachment_credentials.json), envoyez le fichier "
                "à l'adresse « url » qu'elle donne, puis appelez add_attachment avec son nom."
            )
            % {"name": file_name, "id": document.pk},
            field="file_name",
        )
    received.attached_at = timezone.now()
    received.save(update_fields=["attached_at"])
    audit.record(
        actor,
        document.account,
        "document.attachment_added",
        target=document.number or str(document.pk),
        summary=_("Pièce jointe « %(name)s » ajoutée.") % {"name": received.original_name},
    )
    return received
