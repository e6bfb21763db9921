from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalize_email(email: str) -> str:
    """One spelling per address: trimmed and lower-cased, so 'Jo@X.fr' and 'jo@x.fr' are one user."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. What they may do depends on their membership in each account."""

    email = models.EmailField(_("adresse email"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, default="fr")
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("équipe de la plateforme"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # Whether the user has a confirmed authenticator app or passkey. Derived from those devices (kept
    # in step by facturier.mfa on every save and delete of one), and stored here because every request
    # of a logged-in user needs it: the user row is read anyway, the devices would cost more queries.
    has_second_factor = models.BooleanField(_("double authentification"), default=False, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email


class LoginAttempt(models.Model):
    """One try at logging in. Recent failures per email and per IP drive the login throttle.

    Kept in the database (not in process memory) so the throttle holds across several web processes.
    """

    email = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.ip} {'ok' if self.succeeded else 'failed'}"


class RateCounter(models.Model):
    """How many hits one key (a login email, an API token...) has had since its window began.

    Written only by the single-statement upsert of accounts/counters.py, so that parallel requests on
    several web processes never lose a hit. The key is a hash: no email or address is kept here.
    """

    key = models.CharField(max_length=100, primary_key=True)
    count = models.IntegerField()
    # Seconds since the epoch: compared in the upsert itself, the same way on SQLite and PostgreSQL.
    expires_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
