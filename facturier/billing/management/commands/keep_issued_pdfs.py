"""Make and keep, once, the PDF of every document issued before PDFs were kept at issue.

    manage.py keep_issued_pdfs [--account SLUG]

Their numbers and chain hashes stay as they were: the PDF's hash is recorded on its IssuedFile row
(`at_issue=False`), outside the chained content, so `verify_chain` still passes. Run it once after the
upgrade; running it again makes nothing new (a download of such a document would have kept it too).

It is also the repair of documents whose PDF could not be laid out (a character the PDF's fonts lacked):
once the fonts can write them, it makes and keeps their PDF under their number. Those that still
cannot be laid out are listed and skipped; the command then exits with an error.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.billing.issued import issued_pdf
from facturier.billing.models import Document, IssuedFile, Status
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account


class Command(BaseCommand):
    help = "Keep the PDF of documents issued before PDFs were kept at issue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", help="only this account (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        documents = Document.objects.exclude(status=Status.DRAFT).exclude(
            pk__in=IssuedFile.objects.filter(kind=IssuedFile.Kind.PDF).values("document_id")
        )
        if options["account"]:
            account = Account.objects.filter(slug=options["account"]).first()
            if account is None:
                raise CommandError(f"No account with slug {options['account']!r}")
            documents = documents.filter(account=account)
        kept, failed = 0, []
        for document in documents.printable().prefetch_related("issued_files").order_by("pk").iterator(200):
            try:
                issued_pdf(document)
            except ServiceError as error:
                failed.append(document)
                self.stderr.write(f"{document.account.slug} {document.number}: {error.message}")
                continue
            kept += 1
        self.stdout.write(f"{kept} PDF kept.")
        if failed:
            raise CommandError(f"{len(failed)} PDF could not be made; see above.")
