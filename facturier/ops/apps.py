from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What operators rely on: health endpoints, request ids and JSON logs, metrics, error reporting,
    security headers, and `migrate` one run at a time. No models; imports no domain app."""

    name = "facturier.ops"
    label = "ops"
    verbose_name = "Exploitation"

    def ready(self) -> None:
        from facturier.ops.checks import register

        register()
