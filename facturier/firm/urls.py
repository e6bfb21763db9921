"""The accounting-firm module, under /<slug>/firm/ of the firm's own account."""

from django.urls import path

from facturier.firm.views import client_accounts, creation

app_name = "firm"
urlpatterns = [
    path("firm/accounts/", client_accounts.account_list, name="account_list"),
    path("firm/accounts/bulk/", client_accounts.bulk_action, name="bulk_action"),
    path("firm/accounts/<int:pk>/add-user/", client_accounts.account_add_user, name="account_add_user"),
    path("firm/accounts/new/", creation.account_new, name="account_new"),
    path("firm/accounts/slug-check/", creation.slug_check, name="slug_check"),
]
