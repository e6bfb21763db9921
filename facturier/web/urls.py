from django.urls import path

from facturier.web import views

app_name = "web"
urlpatterns = [
    path("accounts/switcher/", views.switcher, name="switcher"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/search/", views.search, name="search"),
]
