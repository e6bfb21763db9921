import datetime
import html
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from facturier.tenancy.models import Account, AuditEvent

ACCOUNT_URL = reverse("tenancy:account", kwargs={"slug": "acme"})
INDEX_URL = reverse("tenancy:index", kwargs={"slug": "acme"})


def text(response) -> str:
    return html.unescape(response.content.decode())


def identity(**overrides):
    data = {
        "name": "ACME SAS",
        "legal_name": "ACME Société par actions simplifiée",
        "street": "1 rue de la Paix",
        "post_code": "75002",
        "city": "Paris",
        "country": "FR",
        "siren": "732829320",
        "siret": "",
        "vat_number": "",
        "iban": "",
        "bic": "",
    }
    return data | overrides


def tiny_png(name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- /<slug>/settings/ --------------------------------------------------------------------------


def test_the_settings_entry_sends_the_owner_to_their_account_page(owner_client):
    response = owner_client.get(INDEX_URL)

    assert response.status_code == 302 and response.url == ACCOUNT_URL


def test_the_settings_entry_sends_the_accountant_to_the_first_page_their_role_opens(firm_client):
    response = firm_client.get(INDEX_URL)

    assert response.status_code == 302
    assert response.url == reverse("tenancy:lock_date", kwargs={"slug": "acme"})


def test_the_settings_entry_refuses_a_member_who_may_open_no_settings_page(collaborator_client):
    assert collaborator_client.get(INDEX_URL).status_code == 403


def test_the_settings_entry_is_a_404_for_an_outsider(acme, outsider_client):
    assert outsider_client.get(INDEX_URL).status_code == 404
    assert outsider_client.post(INDEX_URL).status_code == 404


# --- Votre compte: reading --------------------------------------------------------------------


def test_the_owner_sees_the_identity_form_and_the_account_facts(owner_client, acme, settings):
    settings.FACTURIER_BASE_URL = "https://factures.example"
    Account.objects.filter(pk=acme.pk).update(locked_until=datetime.date(2024, 12, 31))

    response = owner_client.get(ACCOUNT_URL)

    assert response.status_code == 200
    page = text(response)
    assert 'href="https://factures.example/acme/"' in page
    assert "PRO" in page  # the plan
    assert "31/12/2099" in page  # subscription end
    assert "31/12/2024" in page  # lock date
    assert 'value="732829320"' in page
    assert 'enctype="multipart/form-data"' in page
    assert f'href="{ACCOUNT_URL}" aria-current="page"' in page
    # The owner holds every permission: the whole settings menu is offered.
    for name in ("users", "roles", "lock_date", "audit"):
        assert reverse(f"tenancy:{name}", kwargs={"slug": "acme"}) in page


def test_a_member_without_settings_manage_is_refused(collaborator_client, acme):
    assert collaborator_client.get(ACCOUNT_URL).status_code == 403
    assert collaborator_client.post(ACCOUNT_URL, identity(name="Hijacked")).status_code == 403

    acme.refresh_from_db()
    assert acme.name == "ACME SAS"


def test_the_firm_accountant_may_not_change_the_identity(firm_client, acme):
    assert firm_client.get(ACCOUNT_URL).status_code == 403
    assert firm_client.post(ACCOUNT_URL, identity(name="Hijacked")).status_code == 403

    acme.refresh_from_db()
    assert acme.name == "ACME SAS"


def test_the_account_page_is_a_404_for_an_outsider(acme, outsider_client):
    assert outsider_client.get(ACCOUNT_URL).status_code == 404
    assert outsider_client.post(ACCOUNT_URL, identity(name="Hijacked")).status_code == 404

    acme.refresh_from_db()
    assert acme.name == "ACME SAS"
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(acme, client):
    response = client.get(ACCOUNT_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- Votre compte: saving ---------------------------------------------------------------------


def test_the_owner_saves_the_identity_in_compact_form_with_an_audit_event(owner_client, owner, acme):
    response = owner_client.post(
        ACCOUNT_URL,
        identity(
            siren="732 829 320",
            siret="732 829 320 00074",
            vat_number="fr 40 303 265 045",
            iban="fr76 3000 6000 0112 3456 7890 189",
            bic="bnpa fr pp xxx",
        ),
        REMOTE_ADDR="198.51.100.4",
    )

    assert response.status_code == 302 and response.url == ACCOUNT_URL
    acme.refresh_from_db()
    assert acme.siren == "732829320"
    assert acme.siret == "73282932000074"
    assert acme.vat_number == "FR40303265045"
    assert acme.iban == "FR7630006000011234567890189"
    assert acme.bic == "BNPAFRPPXXX"
    assert acme.city == "Paris"
    event = AuditEvent.objects.get(account=acme, action="account.settings_changed")
    assert event.actor == owner and event.ip == "198.51.100.4" and event.via_firm is None
    assert event.changes["vat_number"] == ["FR44732829320", "FR40303265045"]
    assert "siren" not in event.changes  # unchanged once compacted
    assert "Les informations du compte ont été enregistrées." in text(owner_client.get(ACCOUNT_URL))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "732829321", "Le SIREN est invalide (la clé de contrôle ne correspond pas)."),
        (
            "vat_number",
            "FR41303265045",
            "Le numéro de TVA est invalide (la clé de contrôle ne correspond pas).",
        ),
        (
            "iban",
            "FR76 3000 6000 0112 3456 7890 188",
            "L'IBAN est invalide (la clé de contrôle ne correspond pas).",
        ),
    ],
)
def test_an_invalid_identifier_is_refused_with_its_message(owner_client, acme, field, value, message):
    response = owner_client.post(ACCOUNT_URL, identity(**{field: value}, city="Lyon"))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in text(response)
    acme.refresh_from_db()
    assert acme.city == "Paris"  # nothing of the refused form was stored
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_a_logo_upload_is_stored_and_shown(owner_client, acme):
    response = owner_client.post(ACCOUNT_URL, identity(logo=tiny_png()))

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.logo.name.startswith("logos/") and default_storage.exists(acme.logo.name)
    event = AuditEvent.objects.get(account=acme, action="account.settings_changed")
    assert event.changes["logo"][0] == ""
    assert f'<img src="{acme.logo.url}"' in text(owner_client.get(ACCOUNT_URL))


def test_a_file_that_is_not_an_image_is_refused_as_logo(owner_client, acme):
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.7 not an image", content_type="image/png")

    response = owner_client.post(ACCOUNT_URL, identity(logo=fake))

    assert response.status_code == 200
    assert response.context["form"].errors["logo"]
    assert "image" in response.context["form"].errors["logo"][0]
    acme.refresh_from_db()
    assert not acme.logo
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_the_owner_can_remove_the_logo(owner_client, acme):
    owner_client.post(ACCOUNT_URL, identity(logo=tiny_png()))

    response = owner_client.post(ACCOUNT_URL, identity(**{"logo-clear": "on"}))

    assert response.status_code == 302
    acme.refresh_from_db()
    assert not acme.logo
    latest = AuditEvent.objects.filter(account=acme).order_by("-pk").first()
    assert latest is not None and latest.changes["logo"][1] == ""


def test_a_read_only_account_shows_the_form_disabled_and_refuses_changes(owner_client, acme):
    Account.objects.filter(pk=acme.pk).update(subscription_ends_on=datetime.date(2020, 1, 31))

    page = text(owner_client.get(ACCOUNT_URL))
    assert "<fieldset disabled>" in page
    assert "Enregistrer</button>" not in page

    response = owner_client.post(ACCOUNT_URL, identity(name="Changed anyway"))

    assert response.status_code == 200
    assert "lecture seule" in " ".join(response.context["form"].non_field_errors())
    acme.refresh_from_db()
    assert acme.name == "ACME SAS"
    assert not AuditEvent.objects.filter(account=acme).exists()
