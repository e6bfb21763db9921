from django.apps import AppConfig


class PurchasesConfig(AppConfig):
    name = "facturier.purchases"
    label = "purchases"
    verbose_name = "Dépenses"
