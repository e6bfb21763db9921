"""`manage.py purge_rate_counters`: delete the expired login and API rate counters (for a daily cron).

An expired counter counts for nothing (its next hit starts it again), so this only keeps the table small:
one row remains per email, address and token seen within the longest window.
"""

from typing import Any

from django.core.management.base import BaseCommand

from facturier.accounts import counters


class Command(BaseCommand):
    help = "Supprime les compteurs de limites (connexion, API) expirés."

    def handle(self, *args: Any, **options: Any) -> None:
        count = counters.purge()
        self.stdout.write(f"{count} compteur(s) expiré(s) supprimé(s).")
