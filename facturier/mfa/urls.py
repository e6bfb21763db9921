"""The second step of a login and the Sécurité page of the profile. Every view of this namespace stays
open to a user who must enrol (middleware.SecondFactorMiddleware): keep account pages out of it."""

from django.urls import URLPattern, path

from facturier.mfa import passkeys, views

app_name = "mfa"
urlpatterns: list[URLPattern] = [
    path("login/verify/", views.verify, name="verify"),
    path("login/verify/passkey/begin/", passkeys.AuthenticationBegin.as_view(), name="passkey_auth_begin"),
    path(
        "login/verify/passkey/complete/",
        passkeys.AuthenticationComplete.as_view(),
        name="passkey_auth_complete",
    ),
    path("login/verify/jsi18n/", passkeys.javascript_catalog, name="jsi18n"),
    path("profile/security/", views.security, name="security"),
    path("profile/security/apps/", views.app_add, name="app_add"),
    path("profile/security/apps/<int:pk>/", views.app_setup, name="app_setup"),
    path("profile/security/apps/<int:pk>/remove/", views.app_remove, name="app_remove"),
    path(
        "profile/security/passkeys/register/begin/",
        passkeys.RegistrationBegin.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "profile/security/passkeys/register/complete/",
        passkeys.RegistrationComplete.as_view(),
        name="passkey_register_complete",
    ),
    path("profile/security/passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"),
    path("profile/security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
