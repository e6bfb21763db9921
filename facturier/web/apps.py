from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "facturier.web"
    label = "web"
    verbose_name = "Interface"

    def ready(self) -> None:
        # Process-wide settings of the libraries every upload path shares, once at start-up.
        from facturier.lib.uploads import configure_pillow

        configure_pillow()
