"""A new account's dashboard: a checklist of what to set up, and what to do instead of a chart of zeros."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership
from facturier.web.queries import onboarding_steps


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        yield


def dashboard(client):
    return client.get(reverse("web:dashboard", args=["acme"])).text


def done(acme):
    return {step.label: step.done for step in onboarding_steps(acme)}


def test_a_new_account_sees_its_checklist_and_what_to_do_instead_of_a_chart(owner_client, acme):
    html = dashboard(owner_client)

    assert "Pour bien démarrer" in html
    assert html.count('data-step-done="false"') == 4  # IBAN, logo, first client, first invoice
    assert html.count('data-step-done="true"') == 1  # the identity: address and SIREN are there
    assert 'href="/acme/clients/new/">Créer un premier client</a>' in html
    assert 'class="chart"' not in html
    assert "Le graphique du chiffre d'affaires apparaîtra avec votre première facture émise." in html
    assert "Aucun document pour l'instant." in html


def test_each_step_is_done_by_what_it_asks(acme, owner):
    acme.street = ""
    assert not done(acme)["Compléter l'identité de l'entreprise (adresse, SIREN)"]
    acme.street, acme.siren = "1 rue de Paris", ""
    assert not done(acme)["Compléter l'identité de l'entreprise (adresse, SIREN)"]  # French: SIREN needed
    acme.country = "BE"
    assert done(acme)["Compléter l'identité de l'entreprise (adresse, SIREN)"]

    buyer = make_client(acme)
    make_invoice(actor_for(acme, owner), buyer, issue=False)
    assert done(acme)["Créer un premier client"]
    assert not done(acme)["Émettre une première facture"]  # a draft is not issued yet


def test_the_checklist_disappears_once_everything_is_done(owner_client, acme, owner):
    make_invoice(actor_for(acme, owner), make_client(acme))
    acme.iban, acme.logo = "FR7630006000011234567890189", "logos/acme.png"
    acme.save()

    html = dashboard(owner_client)

    assert "Pour bien démarrer" not in html
    assert 'class="chart"' in html and "Derniers documents" in html


def test_only_members_who_manage_the_settings_see_the_checklist(acme):
    user = make_user("colin@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_MEMBER)

    assert "Pour bien démarrer" not in dashboard(logged_in(user))


def test_the_checklist_costs_one_query_whatever_the_account_holds(acme, owner):
    with CaptureQueriesContext(connection) as empty:
        onboarding_steps(acme)
    for n in range(20):
        make_client(acme, name=f"Client {n}")
    with CaptureQueriesContext(connection) as full:
        onboarding_steps(acme)

    assert len(empty) == len(full) == 1


def test_a_new_accounts_dashboard_runs_as_many_queries_as_a_busy_one(owner_client, acme, owner):
    def count():
        dashboard(owner_client)
        with CaptureQueriesContext(connection) as captured:
            dashboard(owner_client)
        return len(captured)

    new = count()
    actor, buyer = actor_for(acme, owner), make_client(acme)
    for day in range(10):
        make_invoice(actor, buyer, issue_date=datetime.date(2026, 3, 1) + datetime.timedelta(days=day))

    assert count() == new
