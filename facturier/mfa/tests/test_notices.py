"""The user hears by email of every change to their second factors: an app or passkey added (two-factor
turned on by the first), one removed (turned off by the last), and the platform staff's reset. Someone in
their session could otherwise add a device of their own, or take theirs away, unseen."""

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.http import JsonResponse
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialRegistrationView

from facturier.accounts.models import User
from facturier.conftest import logged_in
from facturier.mfa.tests.conftest import SECURITY, add_app, code_of, verified
from facturier.mfa.tests.test_passkeys import REGISTER_COMPLETE, add_passkey, passkeys_on  # noqa: F401


def sent_to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def test_the_first_app_turns_two_factor_on_and_the_user_is_told(owner_client, owner, frozen):
    owner_client.post(reverse("mfa:app_add"))
    device = owner.totpdevice_set.get()
    owner_client.post(reverse("mfa:app_setup", args=[device.pk]), {"code": code_of(device), "name": "Pixel"})

    [message] = sent_to(owner)
    assert message.subject == "Double authentification activée sur votre compte Facturier"
    assert "Une application d'authentification (« Pixel ») vient d'être ajoutée" in message.body
    assert "La double authentification est désormais activée" in message.body
    assert f"{settings.FACTURIER_BASE_URL}{SECURITY}" in message.body


def test_a_second_app_is_announced_as_a_new_device(owner, frozen):
    add_app(owner)
    mail.outbox.clear()

    add_app(owner, name="Tablette")

    [message] = sent_to(owner)
    assert message.subject == "Nouvelle application d'authentification ajoutée à votre compte Facturier"
    assert "(« Tablette »)" in message.body and "désormais activée" not in message.body


def test_removing_the_last_app_says_two_factor_is_off(owner, frozen):
    device, _codes = add_app(owner)
    client = verified(logged_in(owner), device)
    mail.outbox.clear()

    client.post(reverse("mfa:app_remove", args=[device.pk]))

    [message] = sent_to(owner)
    assert message.subject == "Double authentification désactivée sur votre compte Facturier"
    assert "la double authentification est désactivée" in message.body


def test_removing_one_of_two_devices_names_it(owner, frozen):
    first, _codes = add_app(owner, name="Pixel")
    add_app(owner, name="Tablette")
    client = verified(logged_in(owner), first)
    mail.outbox.clear()

    client.post(reverse("mfa:app_remove", args=[first.pk]))

    [message] = sent_to(owner)
    assert message.subject == "Application d'authentification retirée de votre compte Facturier"
    assert "« Pixel » vient d'être retirée" in message.body and "désactivée" not in message.body


def test_a_refused_removal_tells_nothing(owner_client, owner, acme, frozen):
    device, _codes = add_app(owner)
    acme.second_factor_required = True
    acme.save()
    client = verified(logged_in(owner), device)
    mail.outbox.clear()

    client.post(reverse("mfa:app_remove", args=[device.pk]))

    assert sent_to(owner) == []


def test_a_passkey_added_and_removed_is_told(owner, passkeys_on, monkeypatch):  # noqa: F811
    def registered(view, *args, **kwargs):
        # The library's ceremony, stood in for: it stores the passkey and answers.
        add_passkey(view.request.user)
        return JsonResponse({"id": 1})

    monkeypatch.setattr(CompleteCredentialRegistrationView, "post", registered)
    client = logged_in(owner)

    assert client.post(REGISTER_COMPLETE, "{}", content_type="application/json").status_code == 200

    [added] = sent_to(owner)
    assert added.subject == "Double authentification activée sur votre compte Facturier"
    assert "Une clé d'accès vient d'être ajoutée" in added.body
    mail.outbox.clear()
    passkey = WebAuthnCredential.objects.get(user=owner)
    verified(client, passkey).post(reverse("mfa:passkey_remove", args=[passkey.pk]))
    [removed] = sent_to(owner)
    assert removed.subject == "Double authentification désactivée sur votre compte Facturier"


def test_the_staff_reset_is_told_in_the_users_language(owner, acme, frozen):
    add_app(owner)
    User.objects.filter(pk=owner.pk).update(language="en")
    mail.outbox.clear()

    call_command("reset_second_factor", owner.email, stdout=None)

    [message] = sent_to(owner)
    assert message.subject == "Two-factor authentication reset on your Facturier account"
    assert "The platform team reset the two-factor authentication" in message.body
