from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "facturier.mfa"
    label = "mfa"
    verbose_name = "Double authentification"

    def ready(self) -> None:
        from facturier.mfa import receivers

        receivers.connect()
