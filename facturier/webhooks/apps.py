from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "facturier.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Audit events are the changes that fire webhooks (events.py explains why).
        from facturier.tenancy.audit import recorded
        from facturier.webhooks import events

        recorded.connect(events.audit_recorded, dispatch_uid="webhooks.audit_recorded")
