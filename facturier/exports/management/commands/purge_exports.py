"""`manage.py purge_exports`: delete the files of exports older than 7 days (for a daily cron).

The job worker also purges after each export it runs; this command covers quiet periods.
"""

from typing import Any

from django.core.management.base import BaseCommand

from facturier.exports.jobs import purge_expired


class Command(BaseCommand):
    help = "Supprime les fichiers d'export de plus de 7 jours."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_expired()
        self.stdout.write(f"{count} fichier(s) d'export supprimé(s).")
