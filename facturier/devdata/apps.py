from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Demo accounts (`seed_demo`) and the benchmark dataset (`generate_dataset`).

    Installed in development and tests, and wherever FACTURIER_DEVDATA is on; production need not install
    it. It has no models and no URLs; it imports the domain apps and none of them imports it.
    """

    name = "facturier.devdata"
    label = "devdata"
    verbose_name = "Données de démonstration et de test"
