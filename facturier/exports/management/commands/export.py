"""`manage.py export SLUG --format fec|invoices-csv|invoices-xlsx|payments-csv|payments-xlsx|pdf-zip|pdf-print
--from YYYY-MM-DD --to YYYY-MM-DD -o FILE [--kind ...] [--status ...] [--country FR,DE] [--region eu|non-eu]
[--not-exported] [--layout document|line] [--scope all|sales|purchases] [--separator pipe|tab] [--mark-exported]`

The exports of the Exports tab for scripted use: the same filters, checked by the same form as the page
(so the same messages), the same writers and, for the FEC, the same checker. The file is streamed to
FILE (`-o -`: the standard output). Unlike the page, a scripted export marks nothing unless asked with
--mark-exported.
"""

import sys
import tempfile
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.exports import jobs
from facturier.exports.base import ExportError, no_progress
from facturier.exports.forms import ExportForm
from facturier.tenancy.models import Account

# Form field → the command's option (for messages).
OPTIONS = {
    "format": "--format",
    "date_from": "--from",
    "date_to": "--to",
    "kind": "--kind",
    "status": "--status",
    "country": "--country",
    "region": "--region",
    "layout": "--layout",
    "scope": "--scope",
    "separator": "--separator",
}


class Command(BaseCommand):
    help = "Exporte les écritures (FEC), les factures, les paiements ou les PDF d'un compte pour une période."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Adresse du compte (/<slug>/).")
        parser.add_argument("--format", required=True, help=f"Export : {', '.join(jobs.ACCOUNT_FORMATS)}.")
        parser.add_argument(
            "--from", dest="date_from", required=True, help="Début de la période, AAAA-MM-JJ."
        )
        parser.add_argument("--to", dest="date_to", required=True, help="Fin de la période, AAAA-MM-JJ.")
        parser.add_argument("--kind", action="append", help="Types de document (vat, correction, ...).")
        parser.add_argument(
            "--status", action="append", help="États (issued, sent, partial, paid, cancelled)."
        )
        parser.add_argument("--country", help="Pays du client, codes ISO séparés par des virgules : FR,DE.")
        parser.add_argument("--region", help="eu (Union européenne) ou non-eu.")
        parser.add_argument("--layout", help="Factures : document (défaut) ou line.")
        parser.add_argument("--scope", help="PDF et paiements : all (défaut), sales ou purchases.")
        parser.add_argument("--separator", help="FEC : pipe (défaut) ou tab.")
        parser.add_argument(
            "--not-exported", action="store_true", help="Seulement les documents pas encore exportés."
        )
        parser.add_argument(
            "--mark-exported",
            action="store_true",
            help="Marquer les documents exportés (FEC, factures), comme le fait la page Exports.",
        )
        parser.add_argument(
            "-o", "--output", required=True, help="Fichier à écrire (- : la sortie standard)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(slug=options["slug"]).first()
        if account is None:
            raise CommandError(_("Compte inconnu : %(slug)s.") % {"slug": options["slug"]})
        form = ExportForm(self.form_data(options), today=account.today())
        if not form.is_valid():
            raise CommandError(
                "\n".join(
                    f"{OPTIONS[field]} : {message}" if field in OPTIONS else str(message)
                    for field, messages in form.errors.items()
                    for message in messages
                )
            )
        request = form.export_request(account)
        format_code = form.cleaned_data["format"]
        started_at = timezone.now()
        # Written aside first: the FEC is checked before it is offered, and a failed export leaves no
        # broken file behind.
        with tempfile.TemporaryFile() as scratch:
            try:
                jobs.write_to(format_code, request, scratch, no_progress)
            except jobs.FecCheckFailed as failure:
                raise CommandError("\n".join([failure.message, *failure.violations])) from None
            except ExportError as error:
                raise CommandError(error.message) from None
            scratch.seek(0)
            if options["output"] == "-":
                self.copy(scratch, sys.stdout.buffer)
            else:
                self.save(scratch, options["output"])
        if options["mark_exported"]:
            jobs.mark_carried(format_code, request, started_at=started_at, at=timezone.now(), by=None)

    def form_data(self, options: dict[str, Any]) -> QueryDict:
        data = QueryDict(mutable=True)
        data["period"] = "custom"
        for field in OPTIONS:
            value = options.get(field)
            if not value:
                continue
            if isinstance(value, list):  # repeated options, each possibly "a,b"
                data.setlist(
                    field, [item.strip() for part in value for item in part.split(",") if item.strip()]
                )
            elif field == "separator":
                data[field] = {"pipe": "|", "|": "|", "tab": "tab"}.get(value, value)
            else:
                data[field] = value
        data["not_exported"] = "on" if options.get("not_exported") else ""
        return data

    def copy(self, source: IO[bytes], out: IO[bytes]) -> None:
        while chunk := source.read(1024 * 1024):
            out.write(chunk)
        out.flush()

    def save(self, source: IO[bytes], path: str) -> None:
        try:
            with open(path, "wb") as out:
                self.copy(source, out)
        except OSError as error:
            raise CommandError(
                _("Impossible d'écrire %(path)s : %(error)s.") % {"path": path, "error": error.strerror}
            ) from None
        self.stderr.write(_("%(path)s écrit.") % {"path": path})
