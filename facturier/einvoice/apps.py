from django.apps import AppConfig


class EinvoiceConfig(AppConfig):
    name = "facturier.einvoice"
    label = "einvoice"
    verbose_name = "Facturation électronique"
