"""The VAT regime on Paramètres > Facturation: services sold (encaissements or débits) and services
bought (deductible at payment or at the invoice date), with the law they follow (art. 269 CGI)."""

from django.urls import reverse

from facturier.billing.models import BillingSettings
from facturier.tenancy.models import AuditEvent

from .test_billing_settings import settings_form


def url(slug="acme"):
    return reverse("billing:billing_settings", args=[slug])


def test_the_page_shows_the_regime_with_its_legal_defaults(owner_client):
    page = owner_client.get(url()).content.decode()

    assert "Régime de TVA" in page and "Art. 269 du CGI" in page
    assert 'name="vat_on_debits" value="False" id="id_vat_on_debits_0" checked' in page.replace("\n", " ")
    assert 'name="purchases_vat_on_debits" value="False"' in page


def test_saving_the_regime_stores_both_options_and_audits_them(owner_client, acme):
    response = owner_client.post(url(), settings_form(vat_on_debits="True", purchases_vat_on_debits="True"))

    assert response.status_code == 302
    stored = BillingSettings.objects.get(account=acme)
    assert (stored.vat_on_debits, stored.purchases_vat_on_debits) == (True, True)
    event = AuditEvent.objects.filter(account=acme).latest("pk")
    assert event.changes["purchases_vat_on_debits"] == [False, True]

    owner_client.post(url(), settings_form(vat_on_debits="False", purchases_vat_on_debits="False"))
    stored.refresh_from_db()
    assert (stored.vat_on_debits, stored.purchases_vat_on_debits) == (False, False)


def test_an_unknown_regime_is_a_form_error_and_changes_nothing(owner_client, acme):
    response = owner_client.post(url(), settings_form(vat_on_debits="peut-être"))

    assert response.status_code == 200
    assert response.context["form"].errors["vat_on_debits"]
    assert not BillingSettings.objects.filter(account=acme).exists()
