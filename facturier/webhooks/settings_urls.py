"""Paramètres > Webhooks, under /<slug>/settings/."""

from django.urls import URLPattern, path

from facturier.webhooks import views

app_name = "webhooks"
urlpatterns: list[URLPattern] = [
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_edit, name="webhook_new"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("webhooks/deliveries/<int:pk>/retry/", views.webhook_retry, name="webhook_retry"),
]
