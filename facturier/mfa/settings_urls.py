"""Paramètres du compte > Sécurité, under /<slug>/settings/ (an account page, behind the access gate)."""

from django.urls import URLPattern, path

from facturier.mfa import views

app_name = "mfa_settings"
urlpatterns: list[URLPattern] = [
    path("security/", views.account_policy, name="account_policy"),
]
