"""`manage.py einvoice SLUG NUMBER --format facturx|cii|ubl [--profile en16931] [--variant peppol|fr-ctc]
-o FILE`: write the e-invoice of an issued invoice or credit note: a Factur-X PDF, its bare CII XML, or a
UBL 2.1 XML. Without --profile the Factur-X and the CII are those the document keeps (policy: the
Factur-X kept at issue, the CII inside it, byte for byte); --profile makes them anew in that profile
(another file than the one issued). The UBL variant defaults to the one the document calls for
(ubl.variant_for: French CTC for a buyer in France, Peppol BIS abroad).

The file is written to a temporary name and renamed at the end, so an error never leaves half a file.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.billing.models import Document
from facturier.einvoice import policy
from facturier.einvoice.cii import PROFILES, cii_xml
from facturier.einvoice.data import NotAnInvoice
from facturier.einvoice.facturx import facturx_pdf
from facturier.einvoice.models import EInvoiceSettings
from facturier.einvoice.ubl import FRENCH_CTC, VARIANTS, ubl_xml
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

FORMATS = ("facturx", "cii", "ubl")


class Command(BaseCommand):
    help = "Write the e-invoice (Factur-X PDF, CII or UBL XML) of an issued invoice or credit note."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the account's slug")
        parser.add_argument("number", help="the document number, e.g. F-2026-0001")
        parser.add_argument("--format", choices=FORMATS, default="facturx", help="default: facturx")
        parser.add_argument(
            "--profile",
            choices=PROFILES,
            help="make the Factur-X/CII anew in this profile (default: the files kept since the issue)",
        )
        parser.add_argument(
            "--kind", help="the document kind (vat, correction...), when the number is ambiguous"
        )
        parser.add_argument(
            "--variant",
            choices=VARIANTS,
            help="UBL variant: Peppol BIS 3.0 or the French CTC profile (default: French CTC for a buyer "
            "in France, Peppol abroad)",
        )
        parser.add_argument("--french-ctc", action="store_true", help="same as --variant fr-ctc")
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(slug=options["slug"]).first()
        if account is None:
            raise CommandError(f"No account with slug {options['slug']!r}.")
        document = self._document(account, options["number"], options["kind"])
        if document.test:
            # Its XML would pass for a real invoice: test documents have no e-invoice (einvoice.policy).
            raise CommandError(f"{document.number} is a test document: it has no e-invoice.")
        profile = options["profile"]
        try:
            if options["format"] in ("facturx", "cii") and policy.can_download(document) and not profile:
                policy.ensure_downloadable(document)
                make = policy.facturx_pdf if options["format"] == "facturx" else policy.cii_xml
                content = make(document)
            elif options["format"] == "facturx":
                content = facturx_pdf(document, profile or EInvoiceSettings.read(account).profile)
            elif options["format"] == "cii":
                content = cii_xml(document, profile or EInvoiceSettings.read(account).profile)
            else:
                content = ubl_xml(document, FRENCH_CTC if options["french_ctc"] else options["variant"])
        except ServiceError as error:
            raise CommandError(error.message) from None
        except NotAnInvoice:
            raise CommandError(
                f"{document.number} is a {document.get_kind_display()}: only issued invoices and credit "
                "notes have an e-invoice."
            ) from None
        self._write(content, options["output"])

    def _document(self, account: Account, number: str, kind: str | None) -> Document:
        documents = Document.objects.filter(account=account, number=number).select_related(
            "account", "client"
        )
        if kind:
            documents = documents.filter(kind=kind)
        found = list(documents[:2])
        if not found:
            raise CommandError(f"No issued document numbered {number!r} in account {account.slug!r}.")
        if len(found) > 1:
            raise CommandError(f"Several documents are numbered {number!r}: say which with --kind.")
        return found[0]

    def _write(self, content: bytes, output: str) -> None:
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"No such directory: {target.parent}")
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            os.replace(temporary, target)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"Cannot write {target}: {error.strerror}") from None
        self.stderr.write(f"Wrote {target} ({len(content)} bytes)")
