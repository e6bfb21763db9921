"""`manage.py export_account_data SLUG OUTPUT.zip`: everything the account holds, rows as JSON and its
files, in one ZIP (facturier/tenancy/data_export.py): the answer to its owner's request for their data
(GDPR art. 15 and 20), or what an account that leaves takes with it."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.tenancy.data_export import write_account_export
from facturier.tenancy.models import Account


class Command(BaseCommand):
    help = "Exporte toutes les données d'un compte (JSON et fichiers) dans un ZIP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="l'adresse du compte (/<slug>/)")
        parser.add_argument("output", type=Path, help="le fichier ZIP à écrire (il ne doit pas exister)")

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(slug=options["slug"]).first()
        if account is None:
            raise CommandError(f"Aucun compte « {options['slug']} ».")
        output: Path = options["output"]
        if output.exists():
            raise CommandError(f"{output} existe déjà : choisissez un autre fichier.")
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                counts = write_account_export(account, out)
            partial.rename(output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.stdout.write(
            f"{output}: {counts['rows']} lignes, {counts['files']} fichiers"
            + (
                f", {counts['missing']} fichiers introuvables (missing-files.txt)"
                if counts["missing"]
                else ""
            )
        )
