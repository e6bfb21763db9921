"""Enrolment on the Sécurité page: an authenticator app (QR code, key, a code to confirm), the recovery
codes shown once, their renewal, and removing a device."""

import datetime

from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.accounts.models import User
from facturier.conftest import logged_in
from facturier.mfa import devices
from facturier.mfa.tests.conftest import SECURITY, add_app, code_of, verified, wrong_code
from facturier.tenancy.models import Account


def start(client) -> TOTPDevice:
    response = client.post(reverse("mfa:app_add"))
    device = TOTPDevice.objects.get(confirmed=False)
    assert response.status_code == 302 and response.url == reverse("mfa:app_setup", args=[device.pk])
    return device


def test_the_security_page_needs_a_login(client, db):
    response = client.get(SECURITY)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_the_security_page_offers_an_app_and_says_two_factor_is_off(owner_client, owner, acme):
    response = owner_client.get(SECURITY)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Désactivée" in page and "Ajouter une application d'authentification" in page
    assert response.context["apps"] == [] and response.context["must_enrol"] is False
    # Passkeys need https (or localhost): with the tests' http://127.0.0.1 base address they are left out.
    assert "Clés d'accès" not in page


def test_setting_up_an_app_shows_a_qr_code_and_the_key_and_changes_nothing_yet(owner_client, owner, frozen):
    device = start(owner_client)

    response = owner_client.get(reverse("mfa:app_setup", args=[device.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'src="data:image/svg+xml' in page and "<script" not in page.split('<main id="main"')[1]
    key = response.context["key"]
    assert key.replace(" ", "") in device.config_url and "issuer=Facturier" in device.config_url
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache: the key is on the page
    owner.refresh_from_db()
    assert owner.has_second_factor is False and not devices.apps_of(owner).exists()


def test_a_wrong_code_leaves_the_app_unconfirmed(owner_client, owner, frozen):
    device = start(owner_client)
    response = owner_client.post(
        reverse("mfa:app_setup", args=[device.pk]), {"code": wrong_code(device), "name": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "Code incorrect : saisissez le code à six chiffres que l'application affiche maintenant."
    ]
    device.refresh_from_db()
    assert device.confirmed is False and device.throttling_failure_count == 1
    owner.refresh_from_db()
    assert owner.has_second_factor is False


def test_the_right_code_turns_two_factor_on_and_shows_ten_recovery_codes_once(owner_client, owner, frozen):
    device = start(owner_client)

    response = owner_client.post(
        reverse("mfa:app_setup", args=[device.pk]), {"code": code_of(device), "name": "Téléphone de Liv"}
    )

    assert response.status_code == 302 and response.url == SECURITY + "#recovery"
    device.refresh_from_db()
    owner.refresh_from_db()
    assert device.confirmed and device.name == "Téléphone de Liv" and owner.has_second_factor
    # This session proved the app: it stays verified.
    assert owner_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    first = owner_client.get(SECURITY)
    codes = first.context["new_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)
    )
    assert all(code in first.content.decode() for code in codes)
    second = owner_client.get(SECURITY)
    assert second.context["new_codes"] is None and codes[0] not in second.content.decode()
    assert "Téléphone de Liv" in second.content.decode() and "10 codes de secours" in second.content.decode()


def test_a_second_app_keeps_the_recovery_codes(owner_client, owner, frozen):
    verified(owner_client, add_app(owner)[0])
    before = set(StaticToken.objects.values_list("token", flat=True))
    frozen.shift(datetime.timedelta(seconds=30))

    device = start(owner_client)
    owner_client.post(
        reverse("mfa:app_setup", args=[device.pk]), {"code": code_of(device), "name": "Tablette"}
    )

    assert set(StaticToken.objects.values_list("token", flat=True)) == before
    assert devices.apps_of(owner).count() == 2


def test_starting_again_drops_the_unfinished_set_up(owner_client, owner):
    first = start(owner_client)
    owner_client.post(reverse("mfa:app_add"))

    assert not TOTPDevice.objects.filter(pk=first.pk).exists()
    assert TOTPDevice.objects.filter(user=owner, confirmed=False).count() == 1


def test_new_recovery_codes_replace_the_old_ones(owner_client, owner, frozen):
    device, old = add_app(owner)
    verified(owner_client, device)

    response = owner_client.post(reverse("mfa:recovery_codes"))

    assert response.status_code == 302 and response.url == SECURITY + "#recovery"
    new = owner_client.get(SECURITY).context["new_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_recovery_codes_need_a_second_factor_first(owner_client, owner):
    response = owner_client.post(reverse("mfa:recovery_codes"), follow=True)

    assert "Ajoutez d&#x27;abord une application" in response.content.decode()
    assert not StaticToken.objects.exists()


def test_removing_the_last_app_turns_two_factor_off_with_the_recovery_codes(owner_client, owner, frozen):
    device, _codes = add_app(owner)
    verified(owner_client, device)

    response = owner_client.post(reverse("mfa:app_remove", args=[device.pk]))

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.has_second_factor is False
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert owner_client.get(reverse("web:dashboard", args=["acme"])).status_code == 200


def test_removing_the_app_of_this_session_keeps_it_verified_with_another(owner_client, owner, frozen):
    first = start(owner_client)
    owner_client.post(reverse("mfa:app_setup", args=[first.pk]), {"code": code_of(first), "name": "A"})
    frozen.shift(datetime.timedelta(seconds=30))
    second, _codes = add_app(owner, "B")

    owner_client.post(reverse("mfa:app_remove", args=[first.pk]))

    assert owner_client.session[DEVICE_ID_SESSION_KEY] == second.persistent_id
    assert owner_client.get(reverse("web:dashboard", args=["acme"])).status_code == 200


def test_the_last_app_stays_while_an_account_requires_two_factor(owner_client, owner, acme, frozen):
    device, _codes = add_app(owner)
    verified(owner_client, device)
    Account.objects.filter(pk=acme.pk).update(second_factor_required=True)

    response = owner_client.post(reverse("mfa:app_remove", args=[device.pk]), follow=True)

    assert (
        "ajoutez une autre application ou clé d&#x27;accès avant de retirer celle-ci"
        in response.content.decode()
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_another_users_devices_are_a_404(owner, outsider, frozen):
    theirs, _codes = add_app(outsider)
    pending = TOTPDevice.objects.create(user=outsider, name="x", confirmed=False)
    client = logged_in(owner)

    assert client.post(reverse("mfa:app_remove", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("mfa:app_setup", args=[pending.pk])).status_code == 404
    assert client.post(reverse("mfa:app_setup", args=[pending.pk]), {"code": "123456"}).status_code == 404
    assert client.post(reverse("mfa:passkey_remove", args=[1])).status_code == 404
    assert TOTPDevice.objects.filter(user=outsider).count() == 2
    assert User.objects.get(pk=outsider.pk).has_second_factor


def test_writes_of_the_security_page_take_post_only(owner_client, owner, frozen):
    device, _codes = add_app(owner)
    verified(owner_client, device)
    for url in (
        reverse("mfa:app_add"),
        reverse("mfa:app_remove", args=[device.pk]),
        reverse("mfa:recovery_codes"),
    ):
        assert owner_client.get(url).status_code == 405, url
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_pages_are_in_english_for_an_english_user(owner_client, owner, frozen):
    User.objects.filter(pk=owner.pk).update(language="en")
    device = start(owner_client)

    security = owner_client.get(SECURITY).content.decode()
    setup = owner_client.get(reverse("mfa:app_setup", args=[device.pk])).content.decode()

    assert "Two-factor authentication" in security and "Add an authenticator app" in security
    assert "Enter the six-digit code the app shows now:" in setup
