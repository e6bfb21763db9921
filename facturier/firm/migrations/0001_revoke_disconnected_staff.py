"""Take away the access firm staff kept in accounts disconnected before "Déconnecter" ended it.

Runs the firm service that Déconnecter's rule lives with (through its command), on the current models:
the apps it writes to (memberships and API tokens, the audit trail and its webhook events, export jobs)
are migrated first. It looks with the historical models whether anything is left to do, so a new
database (nothing to do) never reaches the current models. Should a later schema ever make it fail on
an old database, migrate with `--fake firm 0001` and run `manage.py revoke_disconnected_staff`.
"""

from django.core.management import call_command
from django.db import migrations
from django.db.models import F, Q


def revoke(apps, schema_editor):
    Membership = apps.get_model("tenancy", "Membership")
    left = Membership.objects.filter(firm__isnull=False, is_owner=False).filter(
        Q(account__managed_by__isnull=True) | ~Q(account__managed_by=F("firm"))
    )
    if left.exists():
        call_command("revoke_disconnected_staff")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_has_second_factor"),
        ("tenancy", "0003_account_active_webhooks"),
        ("exports", "0002_exportjob_cancelled_status"),
        ("webhooks", "0002_count_active_webhooks"),
    ]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop, elidable=True)]
