"""`manage.py reset_second_factor EMAIL`: remove every second factor of a user who lost them.

The way in for platform staff who cannot reach /admin/ themselves (it needs a second factor). Written to
the audit trail of each of the user's accounts, by "the system".
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.accounts.models import User, normalize_email
from facturier.mfa import services


class Command(BaseCommand):
    help = "Remove a user's authenticator apps, passkeys and recovery codes (audited in their accounts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the user's email address")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=normalize_email(options["email"])).first()
        if user is None:
            raise CommandError(f"No user with the email {options['email']!r}.")
        removed = services.reset(user, by=None)
        self.stdout.write(
            f"{user.email}: {removed} device(s) removed; they log in with their password, and enrol again where an account requires it."
        )
