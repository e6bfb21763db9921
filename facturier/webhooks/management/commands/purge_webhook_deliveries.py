"""`manage.py purge_webhook_deliveries`: delete the webhook delivery log older than 30 days (daily cron).

deliver_webhooks purges too; this command is for deployments that run only the worker.
"""

from typing import Any

from django.core.management.base import BaseCommand

from facturier.webhooks.delivery import purge_old_deliveries


class Command(BaseCommand):
    help = "Supprime le journal des webhooks de plus de 30 jours."

    def handle(self, *args: Any, **options: Any) -> None:
        count = purge_old_deliveries()
        self.stdout.write(f"{count} ligne(s) de journal de webhook supprimée(s).")
