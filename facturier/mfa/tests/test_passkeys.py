"""Passkeys through django-otp-webauthn's views under our URLs: the options each ceremony hands the
browser, the refusals (in the user's language), the list and removal of passkeys. The whole ceremony,
with a browser's virtual authenticator, is in test_passkeys_browser.py."""

import base64
import json

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from facturier.accounts.models import User
from facturier.conftest import logged_in
from facturier.mfa.tests.conftest import SECURITY, VERIFY, add_app, log_in, verified

REGISTER_BEGIN = reverse("mfa:passkey_register_begin")
REGISTER_COMPLETE = reverse("mfa:passkey_register_complete")
AUTH_BEGIN = reverse("mfa:passkey_auth_begin")
AUTH_COMPLETE = reverse("mfa:passkey_auth_complete")


@pytest.fixture
def passkeys_on(settings):
    """The settings of a site served at http://localhost:8000 (passkeys need https, or localhost)."""
    settings.FACTURIER_PASSKEYS = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]


def add_passkey(user, credential_id=b"credential-of-test") -> WebAuthnCredential:
    """A passkey row as the registration ceremony stores it (its key is not used by these tests)."""
    passkey = WebAuthnCredential.objects.create(
        user=user, credential_id=credential_id, public_key=b"not-a-real-key", sign_count=0
    )
    user.refresh_from_db()
    return passkey


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_registration_options_name_the_site_and_the_user(owner_client, owner, passkeys_on):
    response = owner_client.post(REGISTER_BEGIN)

    assert response.status_code == 200
    options = response.json()
    assert options["rp"] == {"id": "localhost", "name": "Facturier"}
    assert options["user"]["name"] == owner.email
    assert options["challenge"] and options["excludeCredentials"] == []
    assert options["authenticatorSelection"]["residentKey"] == "preferred"  # a second factor, not a way in
    assert owner_client.session["otp_webauthn_register_state"]["challenge"] == options["challenge"]


def test_registration_options_exclude_the_users_passkeys(owner_client, owner, passkeys_on):
    verified(owner_client, add_passkey(owner))

    options = owner_client.post(REGISTER_BEGIN).json()

    assert [c["id"] for c in options["excludeCredentials"]] == [b64url(b"credential-of-test")]


def test_registration_needs_a_logged_in_user(client, db, passkeys_on):
    response = client.post(REGISTER_BEGIN)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Votre session a expiré : reconnectez-vous.",
        "code": "not_authenticated",
    }


def test_a_user_with_a_second_factor_proves_it_before_adding_a_passkey(
    client, owner, acme, passkeys_on, frozen
):
    add_app(owner)
    log_in(client, owner)

    response = client.post(REGISTER_BEGIN)

    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_an_answer_that_is_not_a_passkey_is_refused_in_french(owner_client, owner, passkeys_on):
    owner_client.post(REGISTER_BEGIN)

    response = post_json(
        owner_client, REGISTER_COMPLETE, {"id": "x", "rawId": "x", "response": {}, "type": "public-key"}
    )

    assert response.status_code in (400, 422)
    assert response.json()["detail"].startswith("L'ajout de la clé d'accès a échoué")
    assert not WebAuthnCredential.objects.exists()
    owner.refresh_from_db()
    assert owner.has_second_factor is False


def test_an_answer_without_a_ceremony_is_refused(owner_client, passkeys_on):
    response = post_json(owner_client, REGISTER_COMPLETE, {"id": "x"})

    assert response.status_code == 400
    assert response.json()["detail"] == "La demande a expiré : rechargez la page et recommencez."


def test_authentication_options_list_the_users_passkeys_after_the_password(client, owner, acme, passkeys_on):
    add_passkey(owner)
    log_in(client, owner)

    response = client.post(AUTH_BEGIN)

    assert response.status_code == 200
    options = response.json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(b"credential-of-test")]
    assert options["rpId"] == "localhost" and options["userVerification"] == "discouraged"


def test_a_passkey_is_never_a_way_in_without_the_password(client, outsider, passkeys_on):
    add_passkey(outsider)

    response = client.post(AUTH_BEGIN)

    assert response.status_code == 403 and response.json()["code"] == "passwordless_login_disabled"
    assert response.json()["detail"] == "La vérification par clé d'accès a échoué."


def test_a_forged_assertion_leaves_the_session_unverified(client, owner, acme, passkeys_on):
    add_passkey(owner)
    log_in(client, owner)
    client.post(AUTH_BEGIN)

    response = post_json(
        client,
        AUTH_COMPLETE,
        {
            "id": b64url(b"credential-of-test"),
            "rawId": b64url(b"credential-of-test"),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(b"{}"),
                "authenticatorData": b64url(b"x"),
                "signature": b64url(b"x"),
            },
        },
    )

    assert response.status_code >= 400 and response.json()["detail"]
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(reverse("web:dashboard", args=["acme"]))["Location"].startswith(VERIFY)


def test_another_users_passkey_does_not_verify_this_session(client, owner, outsider, acme, passkeys_on):
    add_passkey(owner)
    add_passkey(outsider, b"credential-of-oscar")
    log_in(client, owner)
    client.post(AUTH_BEGIN)

    response = post_json(
        client,
        AUTH_COMPLETE,
        {
            "id": b64url(b"credential-of-oscar"),
            "rawId": b64url(b"credential-of-oscar"),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(b"{}"),
                "authenticatorData": b64url(b"x"),
                "signature": b64url(b"x"),
            },
        },
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Cette clé d'accès n'est pas enregistrée pour votre compte."
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_second_step_offers_the_passkey(client, owner, acme, passkeys_on):
    add_passkey(owner)
    log_in(client, owner)

    page = client.get(VERIFY)

    content = page.content.decode()
    assert page.context["has_passkeys"] is True and page.context["has_apps"] is False
    assert 'id="passkey-verification-placeholder"' in content and "Utiliser ma clé d'accès" in content
    assert 'id="otp_webauthn_config"' in content and "otp_webauthn_auth.js" in content
    assert page.context["passkey_config"]["completeAuthenticationUrl"] == AUTH_COMPLETE
    assert "Avec un code de secours" in content


def test_the_security_page_lists_passkeys_and_removes_one(owner, acme, passkeys_on):
    first = add_passkey(owner)
    second = add_passkey(owner, b"second-credential")
    client = verified(logged_in(owner), first)

    page = client.get(SECURITY)
    assert [p.pk for p in page.context["passkeys"]] == [first.pk, second.pk]
    assert (
        "Clé d'accès n° 2" in page.content.decode()
        and 'id="passkey-register-button"' in page.content.decode()
    )

    client.post(reverse("mfa:passkey_remove", args=[first.pk]))

    assert list(WebAuthnCredential.objects.values_list("pk", flat=True)) == [second.pk]
    assert client.session[DEVICE_ID_SESSION_KEY] == second.persistent_id  # still verified, by the other
    client.post(reverse("mfa:passkey_remove", args=[second.pk]))
    assert User.objects.get(pk=owner.pk).has_second_factor is False


def test_another_users_passkey_is_a_404(owner_client, outsider, passkeys_on):
    theirs = add_passkey(outsider)

    assert owner_client.post(reverse("mfa:passkey_remove", args=[theirs.pk])).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_passkeys_stay_out_where_the_site_cannot_offer_them(owner_client, owner):
    # The tests' base address is http://127.0.0.1: no https, not localhost.
    for url in (REGISTER_BEGIN, REGISTER_COMPLETE, AUTH_BEGIN, AUTH_COMPLETE):
        assert owner_client.post(url).status_code == 404, url
    assert 'id="passkey-register-button"' not in owner_client.get(SECURITY).content.decode()


def test_the_scripts_messages_are_in_french(db):
    catalog = Client().get(reverse("mfa:jsi18n"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    # The library's scripts are written in English; the catalogue gives their French (accents escaped).
    assert '"Register a Passkey": "Ajouter une cl\\u00e9 d\'acc\\u00e8s"' in catalog
