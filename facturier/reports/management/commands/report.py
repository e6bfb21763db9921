"""`manage.py report SLUG --report revenue|expenses|vat-register|oss|unpaid --from YYYY-MM-DD
--to YYYY-MM-DD [--vat-mode debits|due] [--country FR,DE] [--kind vat,correction] [--status paid]
[--region eu|non-eu] [--currency USD] [--group-by month] --format csv|xlsx|pdf -o FILE`

The reports of the Rapports tab for scripted use: the same filters, checked by the same form as the
page (so the same messages), the same figures (reports/queries.py) and the same files
(reports/outputs.py). `-o -` writes the file to the standard output.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict
from django.utils.translation import gettext as _

from facturier.reports import outputs, queries
from facturier.reports.base import REPORT_CODES, Report
from facturier.reports.forms import REPORT_FIELDS, ReportFilterForm
from facturier.tenancy.models import Account

FORMATS = ("csv", "xlsx", "pdf")
# Form field → the command's option (for messages).
OPTIONS = {
    "date_from": "--from",
    "date_to": "--to",
    "kind": "--kind",
    "status": "--status",
    "country": "--country",
    "region": "--region",
    "currency": "--currency",
    "vat_mode": "--vat-mode",
    "group_by": "--group-by",
}


class Command(BaseCommand):
    help = "Produit un rapport (revenus, dépenses, registre de TVA, OSS, impayés) en CSV, Excel ou PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Adresse du compte (/<slug>/).")
        parser.add_argument("--report", required=True, help=f"Rapport : {', '.join(REPORT_CODES)}.")
        parser.add_argument(
            "--from", dest="date_from", required=True, help="Début de la période, AAAA-MM-JJ."
        )
        parser.add_argument("--to", dest="date_to", required=True, help="Fin de la période, AAAA-MM-JJ.")
        parser.add_argument(
            "--vat-mode",
            dest="vat_mode",
            help="Registre de TVA : debits ou due (défaut : le régime du compte).",
        )
        parser.add_argument("--country", help="Pays du client, codes ISO séparés par des virgules : FR,DE.")
        parser.add_argument("--region", help="eu (Union européenne) ou non-eu.")
        parser.add_argument(
            "--kind", action="append", help="Types de document (vat, correction, advance, final, receipt)."
        )
        parser.add_argument(
            "--status", action="append", help="États (issued, sent, partial, paid, cancelled)."
        )
        parser.add_argument("--currency", help="Seulement les documents dans cette devise.")
        parser.add_argument(
            "--group-by", dest="group_by", help="Liste des revenus : month, client, country, product."
        )
        parser.add_argument("--format", required=True, help=f"Format du fichier : {', '.join(FORMATS)}.")
        parser.add_argument(
            "-o", "--output", required=True, help="Fichier à écrire (- : la sortie standard)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code, output_format = options["report"], options["format"]
        if code not in REPORT_CODES:
            raise CommandError(
                _("Rapport inconnu : %(code)s. Choisissez parmi : %(codes)s.")
                % {"code": code, "codes": ", ".join(REPORT_CODES)}
            )
        if output_format not in FORMATS:
            raise CommandError(
                _("Format inconnu : %(format)s. Choisissez parmi : %(formats)s.")
                % {"format": output_format, "formats": ", ".join(FORMATS)}
            )
        account = Account.objects.filter(slug=options["slug"]).first()
        if account is None:
            raise CommandError(_("Compte inconnu : %(slug)s.") % {"slug": options["slug"]})
        report = self.build(code, account, options)
        content = self.write(report, account, output_format)
        if options["output"] == "-":
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
            return
        try:
            with open(options["output"], "wb") as file:
                file.write(content)
        except OSError as error:
            raise CommandError(
                _("Impossible d'écrire %(path)s : %(error)s.")
                % {"path": options["output"], "error": error.strerror}
            ) from None
        self.stderr.write(
            _("%(path)s écrit (%(size)d octets).") % {"path": options["output"], "size": len(content)}
        )

    def build(self, code: str, account: Account, options: dict[str, Any]) -> Report:
        """Check the filters with the page's form, then compute the report."""
        data = QueryDict(mutable=True)
        for field, option in OPTIONS.items():
            value = options.get(field)
            if not value:
                continue
            if field not in REPORT_FIELDS[code]:
                raise CommandError(
                    _("%(option)s ne s'applique pas au rapport %(code)s.") % {"option": option, "code": code}
                )
            if isinstance(value, list):  # repeated options, each possibly "a,b"
                data.setlist(
                    field, [item.strip() for part in value for item in part.split(",") if item.strip()]
                )
            else:
                data[field] = value
        today = account.today()
        categories: list[tuple[int, str]] | None = None if code != "expenses" else []
        form = ReportFilterForm(
            data, code=code, today=today, categories=categories, vat_mode=queries.default_vat_mode(account)
        )
        if not form.is_valid():
            problems = [
                f"{OPTIONS.get(field, '')}: {message}" if field in OPTIONS else str(message)
                for field, messages in form.errors.items()
                for message in messages
            ]
            raise CommandError("\n".join(problems))
        return queries.build_report(code, account, form.filters(), today)

    def write(self, report: Report, account: Account, output_format: str) -> bytes:
        if output_format == "csv":
            return outputs.to_csv(report)
        if output_format == "xlsx":
            return outputs.to_xlsx(report, account)
        return outputs.to_pdf(report, account)
