"""The e-invoicing settings page under /<slug>/settings/ ("Paramètres > Facturation électronique")."""

from django.urls import URLPattern, path

from facturier.einvoice import settings_page

app_name = "einvoice_settings"
urlpatterns: list[URLPattern] = [
    path("einvoicing/", settings_page.einvoice_settings_page, name="einvoice_settings"),
]
