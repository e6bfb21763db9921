"""`manage.py deliver_webhooks`: send the webhook deliveries that are due, then purge the old log.

For cron, every minute. The job worker sends deliveries as they happen and their retries when its
backend can defer tasks; this command catches up on whatever is due (a backend that cannot defer, a
worker that was down) and keeps the log to 30 days.
"""

from typing import Any

from django.core.management.base import BaseCommand

from facturier.webhooks.delivery import deliver_due, purge_old_deliveries


class Command(BaseCommand):
    help = "Envoie les webhooks en attente dont l'heure est venue et purge le journal de plus de 30 jours."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = deliver_due()
        purged = purge_old_deliveries()
        self.stdout.write(f"{sent} envoi(s) de webhook tenté(s), {purged} ligne(s) de journal purgée(s).")
