"""What facturier.mfa listens to: saves and deletes of devices (User.has_second_factor follows them,
whatever wrote them: our services, django-otp-webauthn's registration view, a cascade), and logins."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from facturier.accounts.models import User
from facturier.mfa import devices, policy


def refresh_flag(user_id: int) -> None:
    User.objects.filter(pk=user_id).update(has_second_factor=devices.has_second_factor(user_id))


def _device_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.confirmed:
        # Saved at every use too (its counter, its last use): one UPDATE that writes only the first time.
        User.objects.filter(pk=instance.user_id, has_second_factor=False).update(has_second_factor=True)
    else:
        refresh_flag(instance.user_id)


def _device_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    refresh_flag(instance.user_id)


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # A user who must use a second factor and has none is sent to enrol by the middleware, from the
    # first page after the password on.
    if request is None or not hasattr(request, "session") or not isinstance(user, User):
        return
    required = not user.has_second_factor and policy.is_required_of(user)
    policy.note_enrolment(request, user, required)


def connect() -> None:
    for model in devices.SECOND_FACTOR_MODELS:
        post_save.connect(_device_saved, sender=model, dispatch_uid=f"mfa-saved-{model.__name__}")
        post_delete.connect(_device_deleted, sender=model, dispatch_uid=f"mfa-deleted-{model.__name__}")
    user_logged_in.connect(_logged_in, dispatch_uid="mfa-logged-in")
