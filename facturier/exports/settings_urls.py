"""The accounting settings page under /<slug>/settings/ ("Paramètres > Comptabilité")."""

from django.urls import URLPattern

app_name = "exports_settings"
urlpatterns: list[URLPattern] = []
