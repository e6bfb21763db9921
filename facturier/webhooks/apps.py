from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "facturier.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Audit events are the changes that fire webhooks (events.py explains why).
        from django.db.models.signals import post_delete, post_save

        from facturier.tenancy.audit import recorded
        from facturier.webhooks import counts, events
        from facturier.webhooks.models import Webhook

        recorded.connect(events.audit_recorded, dispatch_uid="webhooks.audit_recorded")
        # Account.active_webhooks follows every write of a webhook (counts.py).
        post_save.connect(counts.on_webhook_changed, sender=Webhook, dispatch_uid="webhooks.saved")
        post_delete.connect(counts.on_webhook_changed, sender=Webhook, dispatch_uid="webhooks.deleted")
