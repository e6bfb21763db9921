"""Paramètres > Facturation électronique: who may open it, what it stores, what the audit trail keeps."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from facturier.billing.tests.factories import actor_for
from facturier.einvoice.models import EInvoiceSettings
from facturier.einvoice.settings_page import update_einvoice_settings
from facturier.tenancy.errors import ReadOnlyAccountError, ServiceError
from facturier.tenancy.models import AuditEvent


def url(slug="acme"):
    return reverse("einvoice_settings:einvoice_settings", args=[slug])


def form(**fields):
    """What the page posts when saved with the defaults (an unticked box is not posted)."""
    data = {"profile": "en16931", "attach_to_emails": "on"}
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def test_the_page_is_a_404_for_an_outsider(outsider_client, acme):
    assert outsider_client.get(url()).status_code == 404
    assert outsider_client.post(url(), form(issues_einvoices="on")).status_code == 404
    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_the_page_is_a_403_for_a_collaborator(collaborator_client, acme):
    # Utilisateur has no settings.manage: they see the problems on documents, not the account's choice.
    assert collaborator_client.get(url()).status_code == 403
    assert collaborator_client.post(url(), form(issues_einvoices="on")).status_code == 403
    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_the_page_is_a_403_for_the_firm_accountant(firm_client, acme):
    # Comptable keeps the books; whether the company issues e-invoices is the company's decision.
    assert firm_client.get(url()).status_code == 403


def test_opening_the_page_shows_the_defaults_and_stores_nothing(owner_client, acme):
    response = owner_client.get(url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Mon entreprise émet des factures électroniques" in page
    assert "1er septembre 2026" in page and "1er septembre 2027" in page
    assert '<option value="en16931" selected>' in page
    assert 'id="id_attach_to_emails" checked>' in page
    assert 'id="id_issues_einvoices">' in page
    assert f'href="{url()}" aria-current="page">Facturation électronique</a>' in page
    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_the_other_settings_pages_link_to_it(owner_client, acme):
    page = owner_client.get(reverse("billing:billing_settings", args=["acme"])).content.decode()

    assert f'href="{url()}">Facturation électronique</a>' in page


def test_saving_stores_the_settings_and_records_what_changed(owner_client, acme, owner):
    response = owner_client.post(
        url(), form(issues_einvoices="on", profile="extended", attach_to_emails=None)
    )

    assert response.status_code == 302 and response["Location"] == url()
    stored = EInvoiceSettings.objects.get(account=acme)
    assert (stored.issues_einvoices, stored.profile, stored.attach_to_emails) == (True, "extended", False)
    [event] = AuditEvent.objects.filter(account=acme, action="einvoice.settings_changed")
    assert event.actor == owner
    assert event.changes == {
        "issues_einvoices": [False, True],
        "profile": ["en16931", "extended"],
        "attach_to_emails": [True, False],
    }
    page = owner_client.get(url()).content.decode()
    assert "Les paramètres de facturation électronique ont été enregistrés." in page
    assert '<option value="extended" selected>' in page


def test_saving_unchanged_settings_records_nothing(owner_client, acme):
    owner_client.post(url(), form())
    owner_client.post(url(), form())

    assert not AuditEvent.objects.filter(account=acme, action="einvoice.settings_changed").exists()


def test_an_unknown_profile_is_refused_on_the_form(owner_client, acme):
    response = owner_client.post(url(), form(profile="minimum", issues_einvoices="on"))

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_the_service_refuses_an_unknown_profile(acme, owner):
    with pytest.raises(ServiceError) as refused:
        update_einvoice_settings(actor_for(acme, owner), acme, {"profile": "minimum"})

    assert refused.value.field == "profile"
    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_the_service_checks_the_permission(acme, collaborator):
    with pytest.raises(PermissionDenied):
        update_einvoice_settings(actor_for(acme, collaborator), acme, {"issues_einvoices": True})

    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_a_read_only_account_cannot_change_its_settings(owner_client, acme, owner):
    acme.subscription_ends_on = datetime.date(2020, 1, 31)
    acme.save()

    page = owner_client.get(url()).content.decode()
    assert "lecture seule" in page and "<fieldset disabled>" in page
    with pytest.raises(ReadOnlyAccountError):
        update_einvoice_settings(actor_for(acme, owner), acme, {"issues_einvoices": True})
    response = owner_client.post(url(), form(issues_einvoices="on"))
    assert response.status_code == 200 and "lecture seule" in response.content.decode()
    assert not EInvoiceSettings.objects.filter(account=acme).exists()


def test_the_settings_are_one_row_per_account(acme, globex, owner):
    update_einvoice_settings(actor_for(acme, owner), acme, {"issues_einvoices": True})

    assert EInvoiceSettings.read(acme).issues_einvoices is True
    assert EInvoiceSettings.read(globex).issues_einvoices is False
    assert EInvoiceSettings.read(globex).pk is not None  # the unsaved defaults still name their account
    assert EInvoiceSettings.objects.count() == 1
