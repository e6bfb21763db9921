from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "facturier.accounts"
    label = "accounts"
    verbose_name = "Utilisateurs"

    def ready(self) -> None:
        from facturier.accounts.checks import sqlite_counts_atomically

        checks.register(sqlite_counts_atomically)
