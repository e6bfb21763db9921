"""The fixed personas every test shares.

- owner: owns the account "acme" (PRO plan), administrator; acme has the identity the legal mentions
  of an invoice need (address, SIREN, VAT number), but no IBAN.
- collaborator: a member of acme with the built-in role Utilisateur.
- outsider: owns another account, "globex"; must never see anything of acme.
- firm_accountant: owns the accounting firm "cabinet-dupont" and reaches acme through a membership with
  the role Comptable, acting for that firm.
"""

import contextlib
import datetime
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from django.conf import settings as django_settings
from django.test import Client

from facturier.accounts.models import User
from facturier.ops.storage import s3_storage
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, Membership

PASSWORD = "correct-horse-battery-staple"  # noqa: S105
S3_BUCKET = "facturier-test"


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A local S3-compatible server (moto's, from PyPI) with the bucket "facturier-test": its endpoint."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and a fixed module)
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}  # moto takes any
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials).create_bucket(
            Bucket=S3_BUCKET
        )
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def object_store() -> Iterator[str | None]:
    """With FACTURIER_TEST_STORAGE=s3, the endpoint of a local S3-compatible server for this test
    process (moto_server). Otherwise None (files on the local disk)."""
    if os.environ.get("FACTURIER_TEST_STORAGE", "disk") != "s3":
        yield None
        return
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, object_store, monkeypatch):
    # Fast hashing in tests (argon2 is what runs in production: see test_settings.py), jobs run at once,
    # uploaded files go to a temporary folder, or to a prefix of their own in the test bucket.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "fr"
    if object_store is not None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        storage = s3_storage(S3_BUCKET, object_store, "us-east-1", location=f"tests/{uuid.uuid4().hex}")
        settings.STORAGES = {**settings.STORAGES, "default": storage}


def make_user(email: str, first_name: str = "", last_name: str = "") -> User:
    return User.objects.create_user(email, PASSWORD, first_name=first_name, last_name=last_name)


def make_account(slug: str, name: str, owner: User, plan: str = plans.PRO, **fields: object) -> Account:
    account = Account.objects.create(slug=slug, name=name, plan=plan, **fields)
    Membership.objects.create(account=account, user=owner, role=permissions.ROLE_ADMIN, is_owner=True)
    return account


@pytest.fixture
def owner(db) -> User:
    return make_user("olivia@acme.test", "Olivia", "Martin")


@pytest.fixture
def acme(owner: User) -> Account:
    return make_account(
        "acme",
        "ACME SAS",
        owner,
        siren="732829320",
        vat_number="FR44732829320",
        street="1 avenue des Champs-Élysées",
        post_code="75008",
        city="Paris",
        country="FR",
        subscription_ends_on=datetime.date(2099, 12, 31),
    )


@pytest.fixture
def collaborator(acme: Account) -> User:
    user = make_user("colin@acme.test", "Colin", "Durand")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_MEMBER)
    return user


@pytest.fixture
def outsider(db) -> User:
    user = make_user("oscar@globex.test", "Oscar", "Leroy")
    make_account(
        "globex",
        "Globex SARL",
        user,
        siren="552100554",
        vat_number="FR96552100554",
        street="5 rue de la République",
        post_code="69002",
        city="Lyon",
    )
    return user


@pytest.fixture
def globex(outsider: User) -> Account:
    return Account.objects.get(slug="globex")


@pytest.fixture
def firm(db) -> Account:
    partner = make_user("claire@cabinet-dupont.test", "Claire", "Dupont")
    return make_account(
        "cabinet-dupont", "Cabinet Dupont", partner, plan=plans.ACCOUNTING, firm_module_enabled=True
    )


@pytest.fixture
def firm_accountant(firm: Account, acme: Account) -> User:
    user = User.objects.get(email="claire@cabinet-dupont.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_ACCOUNTANT, firm=firm)
    return user


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def logged_in_with_second_factor(user: User) -> Client:
    """A client whose session proved a second factor, with an authenticator app confirmed for `user`:
    what platform staff need to open /admin/ (facturier.mfa)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)
    user.refresh_from_db()
    client = logged_in(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def owner_client(owner: User, acme: Account) -> Client:
    return logged_in(owner)


@pytest.fixture
def collaborator_client(collaborator: User) -> Client:
    return logged_in(collaborator)


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return logged_in(outsider)


@pytest.fixture
def firm_client(firm_accountant: User) -> Client:
    return logged_in(firm_accountant)


# --- Browser tests ---------------------------------------------------------------------------------

# Debian's Chromium, never a browser downloaded by Playwright; the flags the team's guide prescribes.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser(monkeypatch) -> Iterator[Any]:
    """Chromium driven by Playwright; the test is skipped, saying why, where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Browser tests need the playwright package.")
    if not CHROMIUM.exists():
        pytest.skip("Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium).")
    # Playwright's sync API runs an event loop in the test thread; Django would then refuse the ORM
    # calls the test itself makes, though they are plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page_as(browser, live_server) -> Callable[..., Any]:
    """`page_as(user)`: a new French page in its own browser context, already logged in as `user` (the
    session of a test-client login), downloads accepted."""

    def open_as(user: User) -> Any:
        session = logged_in(user).cookies[django_settings.SESSION_COOKIE_NAME].value
        context = browser.new_context(locale="fr-FR", accept_downloads=True)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "domain": urlsplit(live_server.url).hostname,
                    "path": "/",
                }
            ]
        )
        return context.new_page()

    return open_as
