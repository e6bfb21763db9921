"""A whole passkey ceremony in a real browser: Playwright driving Debian's Chromium, whose DevTools
protocol provides a virtual authenticator (the platform authenticator of a laptop, always consenting).
The site is served at http://localhost, where browsers allow passkeys without https."""

import pytest
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from facturier.conftest import CHROMIUM, PASSWORD, make_account, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium).",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Browser tests need the playwright package.")


@pytest.fixture
def site(live_server, settings, transactional_db):
    assert live_server.url.startswith("http://localhost:"), live_server.url
    settings.FACTURIER_PASSKEYS = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    user = make_user("olivia@acme.test", "Olivia", "Martin")
    make_account("acme", "ACME SAS", user)
    return live_server.url, user


def page_with_authenticator(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return page


def log_in(page, url, user):
    page.goto(f"{url}{reverse('accounts:login')}")
    page.get_by_label("Adresse email").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_passkey_is_added_on_the_security_page_then_asked_for_at_login(browser, site):
    url, user = site
    page = page_with_authenticator(browser)
    log_in(page, url, user)
    page.wait_for_url(f"{url}/acme/")

    page.goto(f"{url}{reverse('mfa:security')}")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()

    # The page reloads with the new passkey, and the recovery codes that come with a first one.
    sync_api.expect(page.get_by_role("cell", name="Clé d'accès n° 1", exact=True)).to_be_visible()
    sync_api.expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert WebAuthnCredential.objects.filter(user=user).count() == 1

    page.locator("details.profile > summary").click()  # the profile menu
    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, url, user)
    page.wait_for_url(f"{url}{reverse('mfa:verify')}**")
    sync_api.expect(page.get_by_role("heading", name="Vérification en deux étapes")).to_be_visible()

    # The keyboard alone is enough: focus the button, press Enter.
    page.get_by_role("button", name="Utiliser ma clé d'accès").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"{url}/acme/")
    sync_api.expect(page.locator("h1")).to_have_text("ACME SAS")
    assert WebAuthnCredential.objects.get(user=user).last_used_at is not None
