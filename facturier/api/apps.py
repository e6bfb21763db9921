from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "facturier.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from facturier.api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
