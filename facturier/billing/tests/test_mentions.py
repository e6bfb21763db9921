"""The legal mentions of an invoice (billing/mentions.py): shown missing on the new-document form before
any save, refused at issue by the service, the pages and the API (422)."""

import html

import pytest
from django.urls import reverse

from facturier.billing.mentions import MissingMentionsError
from facturier.billing.models import Document, Kind, Status
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.lib import vat
from facturier.tenancy.access import Actor
from facturier.tenancy.services import update_account_identity

EMPTY_IDENTITY = {"street": "", "post_code": "", "city": "", "siren": "", "siret": "", "vat_number": ""}


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def empty(acme):
    """acme as a new account leaves it: a name and nothing else."""
    update_account_identity(Actor.system(), acme, EMPTY_IDENTITY)
    acme.refresh_from_db()
    return acme


def test_issuing_without_the_seller_identity_is_refused_and_numbers_nothing(actor, empty):
    with pytest.raises(MissingMentionsError) as refusal:
        make_invoice(actor, make_client(empty), [line()])
    assert [entry.message for entry in refusal.value.missing] == [
        "l'adresse de votre entreprise (rue, code postal, ville)",
        "le SIREN de votre entreprise",
        "le numéro de TVA intracommunautaire de votre entreprise (ou, si elle est en franchise en base, "
        "cochez la franchise dans les paramètres de facturation)",
    ]
    assert "(Paramètres > Votre compte)" in refusal.value.message
    assert not Document.objects.filter(account=empty).exists()


def test_a_quote_needs_no_mention(actor, empty):
    quote = make_invoice(actor, make_client(empty), [line()], kind=Kind.ESTIMATE)
    assert quote.status == Status.ISSUED


def test_a_franchise_seller_needs_no_vat_number(actor, acme):
    update_account_identity(Actor.system(), acme, {"vat_number": ""})
    update_billing_settings(Actor.system(), acme, {"vat_franchise": True})
    invoice = make_invoice(actor, make_client(acme), [line("Cours", "1", "35", "0", vat_category=vat.EXEMPT)])
    assert invoice.status == Status.ISSUED


def test_a_french_company_buyer_needs_its_siren_and_address_a_consumer_does_not(actor, acme):
    company = make_client(acme, name="Sans SIREN SARL", siren="", vat_number="", street="", city="")
    with pytest.raises(MissingMentionsError) as refusal:
        make_invoice(actor, company, [line()])
    assert [entry.message for entry in refusal.value.missing] == [
        "l'adresse du client Sans SIREN SARL (rue, ville)",
        "le SIREN du client Sans SIREN SARL (entreprise française)",
    ]
    consumer = make_client(acme, name="Jean Martin", is_company=False, siren="", vat_number="", street="")
    assert make_invoice(actor, consumer, [line()]).status == Status.ISSUED


def test_reverse_charge_needs_the_buyer_vat_number(actor, acme):
    buyer = make_client(acme, name="Rossi Srl", siren="", vat_number="", country="IT")
    with pytest.raises(MissingMentionsError) as refusal:
        make_invoice(actor, buyer, [line("Pose", "1", "100", "0", vat_category=vat.REVERSE_CHARGE)])
    assert [entry.message for entry in refusal.value.missing] == [
        "le numéro de TVA du client Rossi Srl (autoliquidation ou livraison intracommunautaire)"
    ]


def test_the_new_document_form_shows_what_is_missing_before_any_save(owner_client, empty):
    client = make_client(empty, name="Sans SIREN SARL", siren="", vat_number="")
    page = html.unescape(
        owner_client.get(
            reverse("billing:document_new", args=["acme"]) + f"?client={client.pk}"
        ).content.decode()
    )
    assert "Avant d'émettre, à compléter :" in page
    assert "L'adresse de votre entreprise (rue, code postal, ville)" in page
    assert "Le SIREN de votre entreprise" in page
    assert "Le numéro de TVA intracommunautaire de votre entreprise" in page
    assert "Le SIREN du client Sans SIREN SARL (entreprise française)" in page
    assert "Paiement par virement : votre IBAN n'est pas renseigné" in page
    assert f'href="{reverse("tenancy:account", args=["acme"])}"' in page
    assert f'href="{reverse("billing:client_edit", args=["acme", client.pk])}"' in page


def test_a_complete_account_sees_only_the_iban_warning(owner_client, acme):
    client = make_client(acme)
    page = html.unescape(
        owner_client.get(
            reverse("billing:document_new", args=["acme"]) + f"?client={client.pk}"
        ).content.decode()
    )
    assert "Paiement par virement : votre IBAN n'est pas renseigné" in page
    assert "Le SIREN" not in page
    assert "L'émission sera refusée" not in page
