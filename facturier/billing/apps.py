from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "facturier.billing"
    label = "billing"
    verbose_name = "Facturation"

    def ready(self) -> None:
        from facturier.billing import tallies

        tallies.connect()
