"""Pages of the reports under /<slug>/reports/ (filters in the query string: see reports/forms.py)."""

from django.urls import path

from facturier.reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/<str:code>/", views.report, name="report"),
]
