"""Helpers of the two-factor tests: an authenticator app for a user, and the code it shows now.

Codes are computed with django-otp's own TOTP (RFC 6238), at the time time-machine sets."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.conftest import PASSWORD
from facturier.mfa import services

T0 = datetime.datetime(2025, 3, 10, 9, 0, tzinfo=datetime.UTC)
LOGIN = reverse("accounts:login")
VERIFY = reverse("mfa:verify")
SECURITY = reverse("mfa:security")


def code_of(device: TOTPDevice) -> str:
    """The six digits the app shows at this moment."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_of(device)) + 1) % 1_000_000:06d}"


def add_app(user, name="Téléphone") -> tuple[TOTPDevice, list[str]]:
    """An app enrolled the way the Sécurité page does it, with the recovery codes it brings."""
    device = services.start_app(user)
    device, codes = services.confirm_app(user, device.pk, code_of(device), name)
    user.refresh_from_db()
    return device, codes


def verified(client, device: TOTPDevice):
    """Mark the client's session as having proved `device`, as the second step of a login does."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def log_in(client, user, password=PASSWORD, **data):
    return client.post(LOGIN, {"email": user.email, "password": password, **data})


@pytest.fixture
def client_factory():
    """Another browser each call (a test client of its own)."""
    return Client


@pytest.fixture
def frozen():
    """Time stands still at T0; `frozen.shift(seconds=...)` moves it."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller
