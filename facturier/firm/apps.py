from django.apps import AppConfig


class FirmConfig(AppConfig):
    name = "facturier.firm"
    label = "firm"
    verbose_name = "Cabinets comptables"
