"""The platform staff's view of users and login attempts (Django admin at /admin/)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import LoginAttempt, User


class UserCreationAdminForm(AdminUserCreationForm):
    # Django's form is written for a username; ours log in with their email.
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


# django-stubs bounds UserAdmin's model to AbstractUser, but Django's UserAdmin serves any user model whose
# fieldsets are redefined, as ours are (email login, no username).
@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):  # type: ignore[type-var]
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = (
        "email",
        "first_name",
        "last_name",
        "language",
        "is_active",
        "is_staff",
        "has_second_factor",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "has_second_factor", "language")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    # The second factor is the user's to set up (Mon profil > Sécurité); staff only reset it (facturier.mfa).
    readonly_fields = ("last_login", "date_joined", "has_second_factor")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "language")}),
        (
            _("Droits sur la plateforme"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Sécurité"), {"fields": ("has_second_factor",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")},
        ),
    )


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin[LoginAttempt]):
    """Read-only: the attempts are the throttle's evidence, staff look but do not edit."""

    list_display = ("created_at", "email", "ip", "succeeded")
    list_filter = ("succeeded",)
    search_fields = ("email", "ip")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
