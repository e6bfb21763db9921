"""The accounting settings page under /<slug>/settings/ ("Paramètres > Comptabilité")."""

from django.urls import URLPattern, path

from facturier.exports import settings_page

app_name = "exports_settings"
urlpatterns: list[URLPattern] = [
    path("accounting/", settings_page.accounting_settings_page, name="accounting_settings"),
]
