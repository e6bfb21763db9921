"""`manage.py check_fec FILE`: check any FEC file against the rules of reference/regulatory.md §1.3.

Prints each violation as "ligne N : [RULE] message" ("fichier : ..." for the file name and the global
balance) and exits with a non-zero status when there is one, so a script notices; prints a one-line
summary when the file passes. The file is streamed: a million lines take seconds, in little memory.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import formats
from django.utils.translation import gettext as _

from facturier.exports.fec_check import DEFAULT_LIMIT, inspect_fec


class Command(BaseCommand):
    help = "Check a FEC file (fichier des écritures comptables): names each violation with its line and rule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the FEC file to check")
        parser.add_argument(
            "--name",
            help="the file name to check (SIRENFECAAAAMMJJ.txt), when FILE was renamed; default: FILE's name",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=DEFAULT_LIMIT,
            help=f"stop after this many violations (default {DEFAULT_LIMIT}; 0: no limit)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
        report = inspect_fec(path, options["name"] or path.name, limit=options["limit"] or None)
        for violation in report.violations:
            self.stdout.write(str(violation))
        if report.truncated:
            self.stdout.write(
                _("… vérification arrêtée après %(count)d anomalies.") % {"count": len(report.violations)}
            )
        if not report.passed:
            raise CommandError(
                _("%(file)s n'est pas conforme : %(count)d anomalie(s).")
                % {"file": path.name, "count": len(report.violations)}
            )
        self.stdout.write(
            _("%(file)s est conforme : %(entries)s écritures, %(lines)s lignes, débit = crédit = %(total)s.")
            % {
                "file": path.name,
                "entries": formats.number_format(report.entries, force_grouping=True),
                "lines": formats.number_format(report.lines, force_grouping=True),
                "total": formats.number_format(report.debit, 2, force_grouping=True),
            }
        )
