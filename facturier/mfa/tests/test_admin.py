"""/admin/ behind the second factor, and the reset of a user's devices by platform staff (admin action
and command), audited."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.accounts.models import User
from facturier.conftest import PASSWORD, logged_in, logged_in_with_second_factor
from facturier.mfa.tests.conftest import SECURITY, VERIFY, add_app, code_of, log_in
from facturier.tenancy.models import AuditEvent

ADMIN = reverse("admin:index")
USERS = reverse("admin:accounts_user_changelist")


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("root@facturier.test", PASSWORD)


def test_staff_without_a_second_factor_are_sent_to_add_one(staff):
    client = logged_in(staff)

    response = client.get(ADMIN, follow=True)

    assert response.redirect_chain == [(SECURITY, 302)]
    assert (
        "L&#x27;administration de la plateforme exige la double authentification" in response.content.decode()
    )
    assert client.get(USERS)["Location"] == SECURITY


def test_staff_log_in_with_their_code_before_the_admin(staff, frozen):
    device, _codes = add_app(staff)
    frozen.shift(datetime.timedelta(minutes=1))
    client = Client()
    client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD, "next": ADMIN})

    assert client.get(ADMIN)["Location"].startswith(VERIFY + "?next=")
    client.post(VERIFY, {"code": code_of(device)})
    assert client.get(ADMIN).status_code == 200


def test_other_users_are_not_asked_to_enrol_for_pages_they_cannot_open(owner_client):
    response = owner_client.get(ADMIN)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_staff_reset_a_users_devices_and_each_account_of_the_user_records_it(
    staff, firm_accountant, acme, firm, frozen
):
    add_app(firm_accountant)
    client = logged_in_with_second_factor(staff)

    response = client.post(
        USERS, {"action": "reset_second_factor", "_selected_action": [firm_accountant.pk]}, follow=True
    )

    assert "Double authentification réinitialisée pour 1 utilisateur." in response.content.decode()
    firm_accountant.refresh_from_db()
    assert firm_accountant.has_second_factor is False
    assert not TOTPDevice.objects.filter(user=firm_accountant).exists()
    assert not StaticDevice.objects.filter(user=firm_accountant).exists()
    events = AuditEvent.objects.filter(action="mfa.reset").order_by("account__slug")
    assert [(e.account.slug, e.actor, e.target) for e in events] == [
        ("acme", staff, firm_accountant.email),
        ("cabinet-dupont", staff, firm_accountant.email),
    ]
    assert "2 appareil(s) retiré(s)" in events[0].summary
    assert (
        LogEntry.objects.get(object_id=str(firm_accountant.pk))
        .get_change_message()
        .startswith("Double authentification réinitialisée")
    )
    # The next login asks for the password only.
    browser = Client()
    log_in(browser, firm_accountant)
    assert browser.get(reverse("web:dashboard", args=["acme"])).status_code == 200


def test_the_command_resets_a_user_for_staff_who_cannot_reach_the_admin(owner, acme, frozen, capsys):
    add_app(owner)

    call_command("reset_second_factor", " Olivia@ACME.test ")

    owner.refresh_from_db()
    assert owner.has_second_factor is False
    event = AuditEvent.objects.get(action="mfa.reset", account=acme)
    assert event.actor is None and event.target == owner.email
    assert "2 device(s) removed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_second_factor", "nobody@example.test")


def test_staff_can_neither_read_nor_add_a_users_secrets_in_the_admin():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
