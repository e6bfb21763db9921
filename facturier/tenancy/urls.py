"""Pages under /<slug>/settings/ ("Paramètres")."""

from django.urls import path

from facturier.tenancy.views import account, audit, roles, users

app_name = "tenancy"
urlpatterns = [
    path("", account.index, name="index"),
    path("account/", account.account_settings, name="account"),
    path("lock-date/", account.lock_date, name="lock_date"),
    path("audit/", audit.audit_log, name="audit"),
    path("users/", users.user_list, name="users"),
    path("users/add/", users.user_add, name="user_add"),
    path("users/<int:pk>/role/", users.user_role, name="user_role"),
    path("users/<int:pk>/remove/", users.user_remove, name="user_remove"),
    path("users/<int:pk>/make-owner/", users.user_make_owner, name="user_make_owner"),
    path("roles/", roles.role_list, name="roles"),
    path("roles/new/", roles.role_edit, name="role_new"),
    path("roles/<int:pk>/", roles.role_edit, name="role_edit"),
    path("roles/<int:pk>/delete/", roles.role_delete, name="role_delete"),
]
