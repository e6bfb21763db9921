from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "facturier.billing"
    label = "billing"
    verbose_name = "Facturation"
