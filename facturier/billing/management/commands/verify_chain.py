"""`manage.py verify_chain --account SLUG`: recompute the tamper-evidence chain of an account's issued
documents. Prints "OK: N documents" when every link holds; otherwise names the first broken link and
exits with a non-zero status, so a cron job or an auditor's script notices."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.billing import chain
from facturier.tenancy.models import Account


class Command(BaseCommand):
    help = "Verify the hash chain of an account's issued sales documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, metavar="SLUG", help="the account's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(slug=options["account"]).first()
        if account is None:
            raise CommandError(f"No account with slug {options['account']!r}.")
        broken = chain.verify(account)
        if broken is not None:
            raise CommandError(f"BROKEN at {broken.number or '-'} (index {broken.index}): {broken.reason}")
        self.stdout.write(f"OK: {chain.chain_length(account)} documents")
