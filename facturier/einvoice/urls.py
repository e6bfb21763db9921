"""E-invoicing pages under /<slug>/: issuing (Factur-X, CII, UBL downloads) and receiving (import)."""

from django.urls import URLPattern

app_name = "einvoice"
urlpatterns: list[URLPattern] = []
