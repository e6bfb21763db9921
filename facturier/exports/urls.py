"""The Exports tab under /<slug>/exports/."""

from django.urls import path

from facturier.exports import views

app_name = "exports"
urlpatterns = [
    path("exports/", views.index, name="index"),
    path("exports/<int:pk>/", views.job, name="job"),
    path("exports/<int:pk>/download/", views.download, name="download"),
]
