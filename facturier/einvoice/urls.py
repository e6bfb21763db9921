"""E-invoicing pages under /<slug>/: issuing (Factur-X, CII, UBL downloads) and receiving (import)."""

from django.urls import URLPattern, path

from facturier.einvoice import import_views, views

app_name = "einvoice"
urlpatterns: list[URLPattern] = [
    path("expenses/import/", import_views.expense_import, name="expense_import"),
    path("documents/<int:pk>/facturx/", views.document_facturx, name="document_facturx"),
    path("documents/<int:pk>/cii/", views.document_cii, name="document_cii"),
    path("documents/<int:pk>/ubl/", views.document_ubl, name="document_ubl"),
]
