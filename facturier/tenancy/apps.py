from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "facturier.tenancy"
    label = "tenancy"
    verbose_name = "Comptes"
