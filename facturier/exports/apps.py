from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "facturier.exports"
    label = "exports"
    verbose_name = "Exports"
