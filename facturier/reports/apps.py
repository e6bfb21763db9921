from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "facturier.reports"
    label = "reports"
    verbose_name = "Rapports"
