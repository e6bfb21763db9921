"""`manage.py revoke_disconnected_staff`: end the access firm staff kept in accounts their firm
disconnected before "Déconnecter" took it away (firm services.revoke_staff_left_in_disconnected_accounts).

The firm app's migration 0001 runs it once; it can be run again at any time and then finds nothing.
"""

from typing import Any

from django.core.management.base import BaseCommand

from facturier.firm import services


class Command(BaseCommand):
    help = (
        "Remove firm staff (memberships, API tokens, pending exports) from accounts their firm no longer "
        "manages, as Déconnecter does; audited in each account."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ended = services.revoke_staff_left_in_disconnected_accounts()
        for membership in ended:
            self.stdout.write(f"{membership.account.slug}: {membership.user.email} removed")
        self.stdout.write(f"{len(ended)} access(es) of firm staff removed from disconnected accounts.")
