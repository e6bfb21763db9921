"""The platform staff's view of the tenancy tables (Django admin at /admin/).

Staff change only what has no page of its own: an account's plan and subscription end (that is how a
subscription is extended). Everything else is shown read-only: members, roles, tokens and settings are
changed by the account's own users through the services, which check the rules and write the audit trail.
"""

from typing import Any, cast

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.accounts.models import User
from facturier.tenancy import audit
from facturier.tenancy.access import Actor, client_ip
from facturier.tenancy.models import Account, ApiToken, AuditEvent, Membership, Role
from facturier.tenancy.services import IDENTITY_FIELDS

# What staff may change on an account; every other field is read-only in the admin.
STAFF_EDITABLE_FIELDS = ("plan", "subscription_ends_on")
ACCOUNT_HEADER_FIELDS = ("slug", "name", "created_at")
ACCOUNT_SUBSCRIPTION_FIELDS = (
    "plan",
    "subscription_ends_on",
    "managed_by",
    "firm_module_enabled",
    "locked_until",
)
ACCOUNT_IDENTITY_FIELDS = (
    *(name for name in IDENTITY_FIELDS if name != "name"),
    "logo",
    "time_zone",
)


class ReadOnlyAdminMixin:
    """Shown to staff, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline[Membership, Account]):
    model = Membership
    fk_name = "account"
    extra = 0
    fields = ("user", "role", "custom_role", "is_owner", "firm", "created_at", "last_used_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "custom_role", "firm")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ("slug", "name", "plan", "subscription_ends_on", "managed_by", "created_at")
    list_filter = ("plan", "firm_module_enabled")
    list_select_related = ("managed_by",)
    search_fields = ("slug", "name", "legal_name", "siren", "vat_number")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ACCOUNT_HEADER_FIELDS}),
        (gettext_lazy("Abonnement"), {"fields": ACCOUNT_SUBSCRIPTION_FIELDS}),
        (gettext_lazy("Identité"), {"fields": ACCOUNT_IDENTITY_FIELDS}),
    )
    readonly_fields = tuple(
        name
        for name in (*ACCOUNT_HEADER_FIELDS, *ACCOUNT_SUBSCRIPTION_FIELDS, *ACCOUNT_IDENTITY_FIELDS)
        if name not in STAFF_EDITABLE_FIELDS
    )
    inlines = (MembershipInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # An account is born with its owner (services.create_account: sign-up or the command).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The audit trail of an account is kept: accounts are not deleted from the admin.
        return False

    def save_model(self, request: HttpRequest, obj: Account, form: ModelForm[Account], change: bool) -> None:
        # The account's own audit log tells its users when the platform changed their subscription.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = audit.diff(
                {name: form.initial.get(name) for name in form.changed_data},
                {name: form.cleaned_data.get(name) for name in form.changed_data},
            )
            if changes:
                audit.record(
                    Actor(user=cast(User, request.user), ip=client_ip(request)),
                    obj,
                    "account.subscription_changed",
                    summary=_("Abonnement modifié par l'équipe de la plateforme."),
                    changes=changes,
                )


@admin.register(Role)
class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Role]):
    list_display = ("name", "account", "created_at")
    list_select_related = ("account",)
    search_fields = ("name", "account__slug", "account__name")
    fields = ("account", "name", "permissions", "created_at")
    readonly_fields = fields


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ApiToken]):
    # Only the prefix: the hash of the secret is of no use to staff and stays out of sight.
    list_display = ("prefix", "account", "holder", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("account", "membership__user")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "account__slug", "membership__user__email")
    fields = ("prefix", "account", "membership", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("titulaire"), ordering="membership__user__email")
    def holder(self, token: ApiToken) -> str:
        return token.membership.user.email


class ActionFilter(admin.SimpleListFilter):
    # The known actions come from the catalogue: no DISTINCT over the whole (large) audit table.
    title = gettext_lazy("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(audit.ACTIONS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AuditEvent]):
    list_display = ("created_at", "account", "actor_email", "via_firm", "action", "target", "ip")
    list_select_related = ("account", "via_firm")
    list_filter = (ActionFilter,)
    search_fields = ("account__slug", "actor_email", "target", "summary")
    # The trail grows without end: counting all of it on every page would only slow the list down.
    show_full_result_count = False
    fields = (
        "created_at",
        "account",
        "actor",
        "actor_email",
        "via_firm",
        "action",
        "target",
        "summary",
        "changes",
        "ip",
    )
    readonly_fields = fields
