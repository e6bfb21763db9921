"""The demo firm of `seed_demo`: a dozen client accounts with documents, so that its list, the account
switcher and the client accounts' tabs show a firm's daily life (issue 4, "Done when")."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from facturier.accounts.models import User
from facturier.billing import chain
from facturier.billing.models import Document, Product
from facturier.devdata import demo
from facturier.devdata.management.commands.seed_demo import CLIENT_ACCOUNTS, DEMO_PASSWORD, EXPERT
from facturier.purchases.models import Expense
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

TODAY = datetime.datetime(2025, 6, 18, 9, tzinfo=datetime.UTC)
FIRST_ACCOUNTS = ("bakery", "firm", "workshop")


def run_seed_demo() -> str:
    out = io.StringIO()
    with time_machine.travel(TODAY, tick=False):
        call_command("seed_demo", stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _own_business_registry(monkeypatch):
    # seed_demo adds the client accounts' businesses to devdata.demo's registry: not beyond one test.
    monkeypatch.setattr(demo, "BUSINESSES", dict(demo.BUSINESSES))


@pytest.fixture
def small_documents(monkeypatch):
    """The client accounts' real businesses over one month at the smallest volume; nothing in the first
    three demo accounts (test_demo.py covers their year of documents)."""
    seed_account = demo.seed_account

    def seed(account, business, **size):
        if business in FIRST_ACCOUNTS:
            return demo.SeedSummary(account.name, skipped=True)
        return seed_account(account, business, months=1, volume=0.01)

    monkeypatch.setattr(demo, "seed_account", seed)


@pytest.fixture
def no_documents(monkeypatch):
    monkeypatch.setattr(
        demo, "seed_account", lambda account, business, **size: demo.SeedSummary(account.name, skipped=True)
    )


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEvent.objects.count(),
        "documents": Document.objects.count(),
    }


def test_the_demo_firm_gets_a_dozen_client_accounts_with_documents(db, small_documents):
    run_seed_demo()

    firm = Account.objects.get(slug="cabinet-demo")
    assert firm.is_firm
    slugs = [spec.slug for spec in CLIENT_ACCOUNTS]
    assert len(slugs) >= 12
    managed = set(Account.objects.filter(managed_by=firm).values_list("slug", flat=True))
    assert managed == {"boulangerie-martin", *slugs}
    documents = dict(
        Document.objects.filter(account__slug__in=slugs).values_list("account__slug").annotate(n=Count("id"))
    )
    expenses = dict(
        Expense.objects.filter(account__slug__in=slugs).values_list("account__slug").annotate(n=Count("id"))
    )
    assert all(documents.get(slug, 0) >= 5 and expenses.get(slug, 0) >= 3 for slug in slugs), (
        documents,
        expenses,
    )
    for account in Account.objects.filter(slug__in=slugs):
        assert chain.verify(account) is None
    # Each sells what its business sells.
    garage_products = set(
        Product.objects.filter(account__slug="garage-moreau").values_list("name", flat=True)
    )
    assert "Vidange et remplacement des filtres" in garage_products


def test_client_accounts_are_made_as_the_firm_makes_them_on_its_pages(db, no_documents):
    run_seed_demo()

    firm = Account.objects.get(slug="cabinet-demo")
    for spec in CLIENT_ACCOUNTS:
        account = Account.objects.get(slug=spec.slug)
        assert (account.name, account.legal_name, account.siren) == (
            spec.business.name,
            spec.identity["legal_name"],
            spec.identity["siren"],
        )
        # "Ajouter une nouvelle compagnie": PRO for a year, owned by the firm's owner as firm staff.
        assert (account.plan, account.subscription_ends_on) == (plans.PRO, datetime.date(2026, 6, 18))
        owner = Membership.objects.get(account=account, is_owner=True)
        assert (owner.user.email, owner.firm) == (EXPERT, firm)
        # The client's administrator, for some; a lock date (the end of last month), for others.
        clients = Membership.objects.filter(account=account, firm=None)
        assert [(m.user.email, m.role) for m in clients] == (
            [(spec.admin, permissions.ROLE_ADMIN)] if spec.admin else []
        )
        assert account.locked_until == (datetime.date(2025, 5, 31) if spec.locked else None)
    assert any(spec.admin for spec in CLIENT_ACCOUNTS) and any(spec.locked for spec in CLIENT_ACCOUNTS)
    created = AuditEvent.objects.filter(account=firm, action="firm.client_account_created")
    assert created.count() == len(CLIENT_ACCOUNTS)
    assert AuditEvent.objects.filter(account=firm, action="firm.module_changed").count() == 1


def test_the_logins_table_names_the_clients_administrators(db, no_documents):
    output = run_seed_demo()

    for spec in CLIENT_ACCOUNTS:
        if spec.admin:
            line = next(line for line in output.splitlines() if line.startswith(spec.admin))
            assert spec.business.name in line and DEMO_PASSWORD in line
    assert f"{EXPERT} ouvre aussi {len(CLIENT_ACCOUNTS)} autres comptes clients du cabinet" in output


def test_a_second_run_adds_nothing(db, no_documents):
    run_seed_demo()
    first = counts()

    run_seed_demo()

    assert counts() == first


def test_an_account_already_at_a_client_address_is_left_as_it_is(db, no_documents):
    stranger = User.objects.create_user("sam@garage.test", "x")
    Account.objects.create(slug="garage-moreau", name="Garage du coin", plan=plans.FREE)
    Membership.objects.create(
        account=Account.objects.get(slug="garage-moreau"),
        user=stranger,
        role=permissions.ROLE_ADMIN,
        is_owner=True,
    )

    run_seed_demo()

    garage = Account.objects.get(slug="garage-moreau")
    assert (garage.name, garage.plan, garage.managed_by, garage.locked_until) == (
        "Garage du coin",
        plans.FREE,
        None,
        None,
    )
    assert list(Membership.objects.filter(account=garage).values_list("user__email", flat=True)) == [
        "sam@garage.test"
    ]
    firm = Account.objects.get(slug="cabinet-demo")
    assert Account.objects.filter(managed_by=firm).count() == len(
        CLIENT_ACCOUNTS
    )  # the others, and the bakery
