from typing import Any

from django.db import migrations
from django.db.models import Count


def count_active_webhooks(apps: Any, schema_editor: Any) -> None:
    """Account.active_webhooks for the webhooks made before it existed."""
    Account = apps.get_model("tenancy", "Account")
    Webhook = apps.get_model("webhooks", "Webhook")
    counts = Webhook.objects.filter(active=True).values("account_id").annotate(n=Count("pk"))
    for row in counts:
        Account.objects.filter(pk=row["account_id"]).update(active_webhooks=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_account_active_webhooks"),
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(count_active_webhooks, migrations.RunPython.noop)]
