from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "facturier.billing"
    label = "billing"
    verbose_name = "Facturation"

    def ready(self) -> None:
        from facturier.billing import events, mentions, tallies

        tallies.connect()
        # The legal mentions are checked like the other apps' pre-issue checks: a receiver of `issuing`.
        events.issuing.connect(mentions.on_issuing, dispatch_uid="billing.mentions")
