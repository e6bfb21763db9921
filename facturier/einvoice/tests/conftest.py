"""E-invoicing fixtures: a seller account with a complete identity, and the representative documents
of issue 8 §4, all made through the billing services (create_draft + issue)."""

from decimal import Decimal

import pytest

from facturier.billing.models import Client
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.tests.factories import make_client
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account
from facturier.tenancy.services import update_account_identity

SELLER_IDENTITY = {
    "legal_name": "ACME SAS",
    "street": "1 avenue des Champs-Élysées",
    "post_code": "75008",
    "city": "Paris",
    "country": "FR",
    "siren": "732829320",
    "siret": "73282932000074",
    "vat_number": "FR44732829320",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
}


@pytest.fixture
def seller(acme: Account) -> Account:
    """acme with everything an e-invoice needs: address, SIREN/SIRET, VAT number, IBAN, legal mentions."""
    update_account_identity(Actor.system(), acme, SELLER_IDENTITY)
    update_billing_settings(
        Actor.system(), acme, {"legal_form": "SAS", "share_capital": "10000", "rcs_city": "Paris"}
    )
    acme.refresh_from_db()
    return acme


@pytest.fixture
def french_buyer(seller: Account) -> Client:
    return make_client(seller, name="Dupont SARL")


@pytest.fixture
def german_buyer(seller: Account) -> Client:
    return make_client(
        seller,
        name="Müller GmbH",
        siren="",
        vat_number="DE136695976",
        street="Hauptstraße 5",
        post_code="10115",
        city="Berlin",
        country="DE",
        email="buchhaltung@mueller.test",
    )


@pytest.fixture
def consumer(seller: Account) -> Client:
    return make_client(
        seller,
        name="Anna Schmidt",
        is_company=False,
        siren="",
        vat_number="",
        street="Marienplatz 1",
        post_code="80331",
        city="München",
        country="DE",
        email="anna@example.test",
    )


def d(value: str) -> Decimal:
    return Decimal(value)
