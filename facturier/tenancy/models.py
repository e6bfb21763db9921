"""Accounts (tenants), memberships, custom roles, API tokens and the audit trail."""

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.tenancy import permissions, plans
from facturier.tenancy.slugs import MAX_LENGTH as SLUG_MAX_LENGTH


class Account(models.Model):
    """A tenant ("compte"): one company's invoicing space, reached at /<slug>/."""

    slug = models.SlugField(_("adresse du compte"), max_length=SLUG_MAX_LENGTH, unique=True)
    name = models.CharField(_("nom de l'entreprise"), max_length=200)
    legal_name = models.CharField(_("raison sociale"), max_length=200, blank=True)
    street = models.CharField(_("adresse"), max_length=300, blank=True)
    post_code = models.CharField(_("code postal"), max_length=20, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    time_zone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")

    plan = models.CharField(_("formule"), max_length=20, choices=plans.PLAN_CHOICES, default=plans.FREE)
    subscription_ends_on = models.DateField(_("fin de l'abonnement"), null=True, blank=True)
    locked_until = models.DateField(_("date de protection des documents"), null=True, blank=True)
    managed_by = models.ForeignKey(
        "self",
        verbose_name=_("cabinet comptable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="client_accounts",
    )
    firm_module_enabled = models.BooleanField(_("module dédié aux cabinets comptables"), default=False)
    # "2FA obligatoire": every member of the account must use a second factor; on a firm, the second
    # switch asks it of every user of its client accounts too (Membership.requires_second_factor).
    second_factor_required = models.BooleanField(_("double authentification obligatoire"), default=False)
    second_factor_required_in_client_accounts = models.BooleanField(
        _("double authentification obligatoire dans les comptes clients"), default=False
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    # How many active webhooks the account has, kept by the webhooks app (webhooks/counts.py) under this
    # row's lock: read with the account, it spares accounts without webhooks any webhook work.
    active_webhooks = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        indexes = [models.Index(fields=["managed_by", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def plan_info(self) -> plans.Plan:
        return plans.PLANS[self.plan]

    def today(self) -> datetime.date:
        """Today in the account's own time zone: the date documents are dated with."""
        from facturier.lib.dates import today_in

        return today_in(self.time_zone)

    @property
    def is_subscription_expired(self) -> bool:
        return self.subscription_ends_on is not None and self.subscription_ends_on < self.today()

    @property
    def is_read_only(self) -> bool:
        """Past the subscription end, an account can still be read, printed and exported, not changed."""
        return self.is_subscription_expired

    @property
    def is_firm(self) -> bool:
        return self.firm_module_enabled and self.plan_info.allows_firm_module


class Role(models.Model):
    """A custom role: a name an administrator gives to a set of permissions from the catalogue."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(_("nom du rôle"), max_length=80)
    permissions = models.JSONField(_("permissions"), default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rôle personnalisé")
        verbose_name_plural = _("rôles personnalisés")
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="role_name_unique_per_account")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def permission_set(self) -> frozenset[str]:
        # Codes dropped from the catalogue since the role was saved grant nothing.
        return frozenset(self.permissions) & permissions.CODES


def role_permission_set(role: str, custom_role: Role | None) -> frozenset[str]:
    """What a role grants: a built-in role's permissions, or those of the custom role it names."""
    if role == permissions.ROLE_CUSTOM:
        return custom_role.permission_set if custom_role else frozenset()
    return permissions.BUILTIN_ROLE_PERMISSIONS.get(role, frozenset())


# The memberships that need a second factor, in SQL: the rule of Membership.requires_second_factor, for
# queries over many memberships.
REQUIRES_SECOND_FACTOR = (
    Q(account__second_factor_required=True)
    | Q(account__managed_by__second_factor_required_in_client_accounts=True)
    | Q(firm__second_factor_required=True)
)


class Membership(models.Model):
    """A user's place in an account: their role there, and whether they own it.

    Firm staff reach a client account through a membership like anyone else; `firm` then names the
    accounting firm they act for, which keeps them out of the plan's user count and in the audit trail.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("rôle"),
        max_length=20,
        choices=[*permissions.BUILTIN_ROLE_LABELS.items(), (permissions.ROLE_CUSTOM, _("Personnalisé"))],
        default=permissions.ROLE_MEMBER,
    )
    custom_role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    is_owner = models.BooleanField(_("propriétaire"), default=False)
    firm = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_memberships"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_membership_per_user_and_account"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_owner=True), name="one_owner_per_account"
            ),
            models.CheckConstraint(
                condition=Q(role=permissions.ROLE_CUSTOM, custom_role__isnull=False)
                | (~Q(role=permissions.ROLE_CUSTOM) & Q(custom_role__isnull=True)),
                name="custom_role_iff_role_custom",
            ),
            models.CheckConstraint(
                condition=Q(is_owner=False) | Q(role=permissions.ROLE_ADMIN), name="owner_is_admin"
            ),
        ]
        indexes = [models.Index(fields=["user", "account"])]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.account_id} ({self.role})"

    @property
    def permission_set(self) -> frozenset[str]:
        return role_permission_set(self.role, self.custom_role)

    @property
    def requires_second_factor(self) -> bool:
        """Whether working in this account needs a second factor: the account asks it of its members, the
        firm that manages it asks it in its client accounts, or the member acts for a firm that asks it of
        its staff (REQUIRES_SECOND_FACTOR says the same in SQL). Reads `account.managed_by` and `firm`:
        load them with the membership, as the gate does."""
        account = self.account
        managing_firm = account.managed_by if account.managed_by_id else None
        acting_for = self.firm if self.firm_id else None
        return (
            account.second_factor_required
            or (managing_firm is not None and managing_firm.second_factor_required_in_client_accounts)
            or (acting_for is not None and acting_for.second_factor_required)
        )

    def has_perm(self, code: str) -> bool:
        if code not in permissions.CODES:
            raise ValueError(f"Unknown permission {code!r}")
        return code in self.permission_set

    @property
    def role_label(self) -> str:
        if self.role == permissions.ROLE_CUSTOM and self.custom_role:
            return self.custom_role.name
        return str(permissions.BUILTIN_ROLE_LABELS.get(self.role, self.role))


class ApiToken(models.Model):
    """A membership's API token. Only a hash of the secret is kept: the token is shown once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    secret_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the secret, shown in lists so a user can tell their tokens apart.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """Who did what, when, from where, on which account. Append-only: the application never edits one.

    `via_firm` names the accounting firm an actor worked for when they acted in a client account.
    `changes` holds {"field": [before, after]} for settings changes.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the trail still names the person after their user is deleted.
    actor_email = models.CharField(max_length=254, blank=True)
    via_firm = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["account", "action", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.actor_email}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events cannot be deleted.")
