"""Attachments of sales documents, in the public API's three steps (api.md, "Attachments").

1. `GET /invoices/{id}/get_new_attachment_credentials.json` answers the fields of an upload form, as
   the official API's S3 POST policy does: `url`, `policy`, `signature`, `key`, `AWSAccessKeyId`,
   `acl`, `success_action_status`. The policy names the document and the caller's membership, signed
   with the server's SECRET_KEY (django.core.signing) and valid CREDENTIALS_SECONDS.
2. The client POSTs the file (multipart, field `file`) with those fields to `url`: no token there, as
   with S3, the signature is the authorization; the file is received for the document (billing.services.
   attachments.receive) by the membership of the policy, which must still hold the permission.
3. `POST /invoices/{id}/add_attachment.json?file_name=` attaches the file of that name.
`GET /invoices/{id}/attachments_zip.json` answers the attached files in a ZIP.
"""

import tempfile
import zipfile
from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from facturier.api import coercion
from facturier.api.errors import InputError
from facturier.api.schema import ERRORS, responses
from facturier.api.views import AccountView, text_param
from facturier.billing.models import Document, DocumentAttachment
from facturier.billing.services import attachments as service
from facturier.lib import uploads
from facturier.tenancy.access import Actor, client_ip, get_in_account
from facturier.tenancy.models import ApiToken, Membership

SALT = "facturier.api.attachment-upload"
CREDENTIALS_SECONDS = 3600
ZIP_IN_MEMORY = 10 * 1024 * 1024  # past this, the ZIP being built spills to a temporary file

ATTACHMENT = inline_serializer(
    "Attachment",
    fields={
        "id": serializers.IntegerField(),
        "file_name": serializers.CharField(),
        "content_type": serializers.CharField(),
        "size": serializers.IntegerField(),
        "created_at": serializers.DateTimeField(),
    },
)
CREDENTIALS = inline_serializer(
    "AttachmentCredentials",
    fields={
        name: serializers.CharField()
        for name in ("url", "key", "policy", "signature", "AWSAccessKeyId", "acl", "success_action_status")
    },
)


def attachment_data(attachment: DocumentAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "file_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": serializers.DateTimeField().to_representation(attachment.uploaded_at),
    }


class AttachmentCredentials(AccountView):
    """Step 1: the fields of the upload form for one document."""

    @extend_schema(operation_id="invoices_attachment_credentials", responses=responses(CREDENTIALS))
    def get(self, request: Request, pk: int) -> Response:
        self.require("sales.edit")
        document = self.get_row(Document, pk)
        # The token too, so that revoking it also ends the upload policies it was given (None: HTTP Basic,
        # whose password change or deactivation the membership check on upload catches).
        token = self.access.token.pk if self.access.token is not None else None
        signed = signing.dumps(
            {"document": document.pk, "membership": self.access.membership.pk, "token": token}, salt=SALT
        )
        policy, _sep, signature = signed.rpartition(":")
        return Response(
            {
                "url": request.build_absolute_uri(
                    reverse("api:invoice_attachment_upload", args=[document.pk])
                ),
                "key": f"attachments/{document.pk}/${{filename}}",
                "policy": policy,
                "signature": signature,
                "AWSAccessKeyId": "facturier",
                "acl": "private",
                "success_action_status": "201",
            }
        )


class AttachmentUpload(APIView):
    """Step 2: the file, sent with the fields of step 1; the signed policy is the authorization."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="invoices_attachment_upload",
        request={
            "multipart/form-data": inline_serializer(
                "AttachmentUpload",
                fields={
                    "policy": serializers.CharField(),
                    "signature": serializers.CharField(),
                    "file": serializers.FileField(),
                },
            )
        },
        responses=responses(ATTACHMENT, 201),
    )
    def post(self, request: Request, pk: int) -> Response:
        policy, signature = request.data.get("policy"), request.data.get("signature")
        try:
            payload = signing.loads(f"{policy}:{signature}", salt=SALT, max_age=CREDENTIALS_SECONDS)
        except signing.BadSignature:
            raise PermissionDenied(
                _(
                    "Autorisation d'envoi invalide ou expirée : demandez-en une nouvelle "
                    "(GET /invoices/%(id)s/get_new_attachment_credentials.json)."
                )
                % {"id": pk}
            ) from None
        if not isinstance(payload, dict) or payload.get("document") != pk:
            raise PermissionDenied(_("Cette autorisation d'envoi est celle d'un autre document."))
        membership_pk = payload.get("membership")
        membership = (
            Membership.objects.select_related("account", "user", "custom_role")
            .filter(pk=membership_pk if isinstance(membership_pk, int) else 0, user__is_active=True)
            .first()
        )
        token_pk = payload.get("token")
        revoked = (
            token_pk is not None
            and not ApiToken.objects.filter(
                pk=token_pk if isinstance(token_pk, int) else 0, revoked_at__isnull=True
            ).exists()
        )
        if membership is None or revoked:
            raise PermissionDenied(_("L'utilisateur de cette autorisation d'envoi n'a plus accès au compte."))
        document = get_in_account(Document, membership.account, pk=pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise InputError.on("file", _("Joignez le fichier dans le champ « file »."))
        actor = Actor(user=membership.user, membership=membership, ip=client_ip(request))
        attachment = service.receive(actor, document, upload)
        return Response(attachment_data(attachment), status=status.HTTP_201_CREATED)


class AddAttachment(AccountView):
    """Step 3: attach the file received under `file_name`."""

    @extend_schema(
        operation_id="invoices_add_attachment",
        parameters=[OpenApiParameter("file_name", str, required=True)],
        request=None,
        responses=responses(ATTACHMENT, 201),
    )
    def post(self, request: Request, pk: int) -> Response:
        self.require("sales.edit")
        document = self.get_row(Document, pk)
        name = text_param(request.query_params, "file_name")
        if not name and isinstance(request.data, dict):
            name = coercion.to_text(request.data.get("file_name") or "", "file_name").strip()
        if not name:
            raise InputError.on("file_name", _("Indiquez le nom du fichier envoyé (file_name)."))
        attachment = service.attach(self.actor, document, name)
        return Response(attachment_data(attachment), status=status.HTTP_201_CREATED)


def _zip_names(rows: QuerySet[DocumentAttachment]) -> list[tuple[DocumentAttachment, str]]:
    """Each attached file with its name in the ZIP: the name sent, with its type's extension, made unique."""
    taken: set[str] = set()
    named = []
    for row in rows:
        kind = uploads.type_of(row.content_type)
        name = uploads.name_for(row.original_name, kind) if kind else row.original_name
        stem, dot, extension = name.rpartition(".")
        candidate, number = name, 2
        while candidate.lower() in taken:
            candidate = f"{stem} ({number}){dot}{extension}" if dot else f"{name} ({number})"
            number += 1
        taken.add(candidate.lower())
        named.append((row, candidate))
    return named


class AttachmentsZip(AccountView):
    """The attached files of a document, in a ZIP (empty when it has none)."""

    @extend_schema(
        operation_id="invoices_attachments_zip",
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        self.require("sales.view")
        document = self.get_row(Document, pk)
        rows = DocumentAttachment.objects.filter(document=document, attached_at__isnull=False).order_by(
            "attached_at", "pk"
        )
        spooled = tempfile.SpooledTemporaryFile(max_size=ZIP_IN_MEMORY)  # noqa: SIM115 (FileResponse closes it)
        with zipfile.ZipFile(spooled, "w", zipfile.ZIP_DEFLATED) as archive:
            for row, name in _zip_names(rows):
                try:
                    with row.file.open("rb") as stored, archive.open(name, "w") as entry:
                        for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                            entry.write(chunk)
                except FileNotFoundError:
                    raise Http404 from None
        spooled.seek(0)
        return FileResponse(
            spooled,
            as_attachment=True,
            filename=f"pieces-jointes-{document.number or document.pk}.zip",
            content_type="application/zip",
        )
