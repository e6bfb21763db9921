"""`manage.py import_einvoice SLUG FILE... [--user EMAIL] [--self-assessed-rate 20]`: received e-invoices (Factur-X PDF, CII or UBL
XML) recorded as expenses of the account, one line per file; the exit status is 1 when any file was
refused (the others are imported all the same).

Without --user the import runs as the system (every permission, no author in the audit trail); with it,
as that member of the account, with the permissions of their role. Lines the account self-assesses
(autoliquidation) take the French rate --self-assessed-rate (20 by default; 10, 5.5 or 2.1).
"""

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from facturier.einvoice import importing
from facturier.lib import uploads, vat
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership


class Command(BaseCommand):
    help = _("Importe des factures électroniques reçues (Factur-X, CII, UBL) comme dépenses d'un compte.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help=_("Adresse du compte (/<slug>/)."))
        parser.add_argument("files", nargs="+", help=_("Fichiers PDF Factur-X ou XML CII / UBL."))
        parser.add_argument(
            "--user", help=_("Email du membre du compte qui importe (par défaut : le système).")
        )
        parser.add_argument(
            "--self-assessed-rate",
            default=str(vat.DEFAULT_SELF_ASSESSMENT_RATE),
            choices=[str(rate) for rate in vat.SELF_ASSESSMENT_RATES],
            help=_("Taux de la TVA autoliquidée des lignes en autoliquidation (par défaut : 20)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(slug=options["slug"]).first()
        if account is None:
            raise CommandError(_("Compte inconnu : %(slug)s.") % {"slug": options["slug"]})
        actor = Actor.system()
        if options["user"]:
            membership = (
                Membership.objects.select_related("user", "custom_role", "firm")
                .filter(account=account, user__email__iexact=options["user"])
                .first()
            )
            if membership is None:
                raise CommandError(
                    _("%(email)s n'est pas membre du compte %(slug)s.")
                    % {"email": options["user"], "slug": account.slug}
                )
            actor = Actor(user=membership.user, membership=membership)
        failed = 0
        rate = Decimal(options["self_assessed_rate"])
        for name in options["files"]:
            outcome = self.import_one(actor, account, Path(name), rate)
            if outcome.ok:
                assert outcome.expense is not None
                self.stdout.write(
                    _(
                        "%(file)s : dépense %(id)d créée (%(supplier)s %(number)s, %(amount)s %(currency)s TTC)."
                    )
                    % {
                        "file": name,
                        "id": outcome.expense.pk,
                        "supplier": outcome.expense.supplier.name,
                        "number": outcome.expense.supplier_number,
                        "amount": outcome.expense.gross_total,
                        "currency": outcome.expense.currency,
                    }
                )
            else:
                failed += 1
                self.stderr.write(
                    _("%(file)s : refusé. %(reason)s") % {"file": name, "reason": outcome.error}
                )
        if failed:
            raise CommandError(
                _("%(failed)d fichier(s) sur %(count)d refusé(s).")
                % {"failed": failed, "count": len(options["files"])}
            )

    def import_one(self, actor: Actor, account: Account, path: Path, rate: Decimal) -> importing.Outcome:
        try:
            size, limit = path.stat().st_size, uploads.limits().file_bytes
            if size > limit:  # refused before it is read into memory
                return importing.Outcome(path.name, error=uploads.too_large_message(path.name, size, limit))
            content = path.read_bytes()
        except OSError as error:
            return importing.Outcome(
                path.name, error=_("Fichier illisible (%(error)s).") % {"error": error.strerror}
            )
        return importing.import_files(actor, account, [(path.name, content)], self_assessed_rate=rate)[0]
