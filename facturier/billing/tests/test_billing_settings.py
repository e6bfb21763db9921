"""Paramètres > Facturation: numbering patterns, terms, legal mentions, the email sent with documents."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from facturier.billing.models import BillingSettings
from facturier.billing.numbering import DEFAULT_PATTERNS
from facturier.billing.services import billing_settings as services
from facturier.billing.tests.factories import actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent


def url(slug="acme"):
    return reverse("billing:billing_settings", args=[slug])


def text(response):
    return response.content.decode()


def settings_form(**fields):
    """What the page posts when saved with the defaults; override any field."""
    data = {
        "default_payment_terms_days": "30",
        "late_penalty_text": "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal.",
        "early_payment_discount_text": "Pas d'escompte pour paiement anticipé.",
        "legal_form": "",
        "share_capital": "",
        "rcs_city": "",
        "email_subject_template": "",
        "email_body_template": "",
    }
    data |= {f"pattern_{kind}": "" for kind in DEFAULT_PATTERNS}
    data.update(fields)
    return data


def test_the_page_is_a_404_for_an_outsider(outsider_client, acme):
    assert outsider_client.get(url()).status_code == 404
    assert outsider_client.post(url(), settings_form(legal_form="SAS")).status_code == 404
    assert not BillingSettings.objects.filter(account=acme).exists()


def test_the_page_is_a_403_for_a_member_without_settings_manage(collaborator_client, acme):
    assert collaborator_client.get(url()).status_code == 403
    assert collaborator_client.post(url(), settings_form(legal_form="SAS")).status_code == 403
    assert not BillingSettings.objects.filter(account=acme).exists()


def test_opening_the_page_shows_the_defaults_and_stores_nothing(owner_client, acme):
    response = owner_client.get(url())

    assert response.status_code == 200
    page = text(response)
    assert 'value="F-{YYYY}-{NNNN}"' in page and 'value="AV-{YYYY}-{NNNN}"' in page
    assert "trois fois le taux d&#x27;intérêt légal" in page
    assert not BillingSettings.objects.filter(account=acme).exists()


def test_the_settings_menu_links_to_the_page(owner_client, acme):
    page = text(owner_client.get(url()))

    assert f'href="{url()}" aria-current="page">Facturation</a>' in page


def test_saving_stores_the_settings_and_records_what_changed(owner_client, acme, owner):
    response = owner_client.post(
        url(),
        settings_form(
            legal_form="SAS",
            share_capital="10 000 €",
            rcs_city="Paris",
            vat_on_debits="True",
            default_payment_terms_days="45",
            pattern_vat="FAC{YY}{MM}-{NNNNN}",
            email_subject_template="Facture {number} de {account}",
        ),
    )

    assert response.status_code == 302
    stored = BillingSettings.objects.get(account=acme)
    assert (stored.legal_form, stored.share_capital, stored.rcs_city) == ("SAS", "10 000 €", "Paris")
    assert stored.vat_on_debits is True and stored.vat_franchise is False
    assert stored.default_payment_terms_days == 45
    assert stored.number_patterns["vat"] == "FAC{YY}{MM}-{NNNNN}"
    assert stored.number_patterns["correction"] == "AV-{YYYY}-{NNNN}"
    assert stored.email_subject_template == "Facture {number} de {account}"
    [event] = AuditEvent.objects.filter(account=acme, action="billing.settings_changed")
    assert event.actor == owner
    assert event.changes["legal_form"] == ["", "SAS"]
    assert event.changes["vat_on_debits"] == [False, True]
    assert event.changes["default_payment_terms_days"] == [30, 45]
    assert event.changes["number_pattern_vat"] == ["F-{YYYY}-{NNNN}", "FAC{YY}{MM}-{NNNNN}"]
    assert "number_pattern_correction" not in event.changes
    assert "rcs_city" in event.changes and "late_penalty_text" not in event.changes


def test_saving_keeps_the_chain_head_that_issuing_maintains(owner_client, acme):
    BillingSettings.objects.create(account=acme, chain_length=7, chain_last_hash="ab" * 32)

    owner_client.post(url(), settings_form(legal_form="SARL"))

    stored = BillingSettings.objects.get(account=acme)
    assert (stored.legal_form, stored.chain_length, stored.chain_last_hash) == ("SARL", 7, "ab" * 32)


def test_saving_unchanged_settings_records_nothing(owner_client, acme):
    owner_client.post(url(), settings_form())
    owner_client.post(url(), settings_form())

    assert not AuditEvent.objects.filter(account=acme, action="billing.settings_changed").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"pattern_vat": "F-{NNNN}"}, "pattern_vat", "Le modèle doit contenir l&#x27;année"),
        ({"pattern_estimate": "D {YYYY} {NNN}"}, "pattern_estimate", "pas d&#x27;espace"),
        ({"pattern_advance": "F-{YYYY}-{NNNN}"}, "pattern_advance", "déjà celui des documents « Facture »"),
        ({"email_body_template": "Bonjour {nom}"}, "email_body_template", "Champ inconnu : {nom}."),
        ({"email_subject_template": "Facture {number"}, "email_subject_template", "Accolade mal fermée"),
        ({"email_subject_template": "{number.__class__}"}, "email_subject_template", "Champ inconnu"),
        ({"default_payment_terms_days": "400"}, "default_payment_terms_days", "inférieure ou égale à 365"),
    ],
)
def test_the_form_explains_each_bad_value_next_to_its_field(owner_client, acme, fields, field, message):
    response = owner_client.post(url(), settings_form(legal_form="SAS", **fields))

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert page.index(message) > page.index(f'name="{field}"')
    assert not BillingSettings.objects.filter(account=acme, legal_form="SAS").exists()


def test_the_service_checks_permission_and_values(acme, owner, collaborator):
    with pytest.raises(PermissionDenied):
        services.update_billing_settings(actor_for(acme, collaborator), acme, {"legal_form": "SAS"})
    with pytest.raises(ServiceError) as refused:
        services.update_billing_settings(
            actor_for(acme, owner),
            acme,
            {"number_patterns": {"vat": "X-{YYYY}-{NNNN}", "receipt": "X-{YYYY}-{NNNN}"}},
        )
    assert refused.value.field == "pattern_receipt"
    assert not BillingSettings.objects.filter(account=acme).exclude(number_patterns={}).exists()


def test_email_templates_fill_only_the_known_placeholders():
    values = {"number": "F-2026-0001", "client": "Dupont", "amount": "120,00 €"}

    filled = services.render_email_template(
        "{number} pour {client} : {amount} {{brut}} {number.__class__}", values
    )

    assert filled == "F-2026-0001 pour Dupont : 120,00 € {brut} {number.__class__}"
    subject, body = services.default_email_templates()
    services.check_email_template(subject)
    services.check_email_template(body)


def test_the_api_drafts_option_is_set_on_the_page(owner_client, acme):
    page = owner_client.get(url())
    assert "Documents créés par l&#x27;API : brouillons" in text(page)

    owner_client.post(url(), settings_form(api_documents_as_drafts="on"))
    assert BillingSettings.objects.get(account=acme).api_documents_as_drafts is True
    [event] = AuditEvent.objects.filter(account=acme, action="billing.settings_changed")
    assert event.changes["api_documents_as_drafts"] == [False, True]

    owner_client.post(url(), settings_form())
    assert BillingSettings.objects.get(account=acme).api_documents_as_drafts is False
