"""`manage.py rebuild_report_summaries [--account SLUG]`: recompute the VAT summary the VAT register
and the OSS return read (reports/summaries.py) from the stored documents, for one account or all.

The services keep the summary up to date by themselves; this is for data written without them (the
bulk dataset generator), and for after a change of the rules that date VAT.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from facturier.reports import summaries
from facturier.tenancy.models import Account


class Command(BaseCommand):
    help = "Recalcule, à partir des documents, le résumé de TVA du registre de TVA et du rapport OSS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", metavar="SLUG", help="Adresse du compte (tous les comptes sinon).")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = Account.objects.order_by("pk")
        if options["account"]:
            accounts = accounts.filter(slug=options["account"])
            if not accounts.exists():
                raise CommandError(_("Compte inconnu : %(slug)s.") % {"slug": options["account"]})
        for account in accounts.iterator():
            started = time.monotonic()
            rows = summaries.rebuild(account)
            self.stdout.write(
                _("%(slug)s : %(rows)d lignes de résumé en %(seconds).1f s.")
                % {"slug": account.slug, "rows": rows, "seconds": time.monotonic() - started}
            )
