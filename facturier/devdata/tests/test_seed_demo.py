"""`seed_demo`: the demo accounts, users and roles (test_demo.py covers the documents it writes)."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from facturier.accounts.models import User
from facturier.devdata import demo
from facturier.tenancy import services
from facturier.tenancy.models import Account, AuditEvent, Membership, Role

STRONG = "un-mot-de-passe-solide-42"


@pytest.fixture(autouse=True)
def _no_demo_documents(monkeypatch):
    # These tests cover accounts and users; test_demo.py covers the demo documents, which take most of
    # the command's time.
    monkeypatch.setattr(
        demo, "seed_account", lambda account, business, **kwargs: demo.SeedSummary(account.name, skipped=True)
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "memberships": Membership.objects.count(),
        "roles": Role.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_seed_demo_creates_the_demo_accounts_and_users(db):
    output = run("seed_demo")

    firm = Account.objects.get(slug="cabinet-demo")
    assert firm.plan == "accounting" and firm.is_firm
    client = Account.objects.get(slug="boulangerie-martin")
    assert client.managed_by == firm and client.plan == "pro"
    assert Account.objects.get(slug="atelier-durand").plan == "free"
    roles = {
        m.user.email: (m.role_label, m.is_owner, m.firm_id)
        for m in Membership.objects.filter(account=client).select_related("user", "custom_role")
    }
    assert roles == {
        "admin@demo.facturier.fr": ("Administrateur", True, None),
        "comptable@demo.facturier.fr": ("Comptable", False, None),
        "utilisateur@demo.facturier.fr": ("Utilisateur", False, None),
        "commercial@demo.facturier.fr": ("Commercial", False, None),
        "expert@demo.facturier.fr": ("Comptable", False, firm.pk),
    }
    commercial = Role.objects.get(account=client, name="Commercial")
    assert commercial.permission_set == {
        f"{s}.{v}" for s in ("sales", "clients", "products") for v in ("view", "create", "edit")
    }
    admin = User.objects.get(email="admin@demo.facturier.fr")
    assert set(admin.memberships.values_list("account__slug", flat=True)) == {
        "boulangerie-martin",
        "atelier-durand",
    }
    assert "http://127.0.0.1:8000/login/" in output and "demo-facturier" in output
    assert "commercial@demo.facturier.fr" in output


def test_seed_demo_identity_values_pass_the_account_form_checks(db):
    from facturier.tenancy.forms.account import AccountIdentityForm

    run("seed_demo")

    for account in Account.objects.all():
        form = AccountIdentityForm(
            data={f: getattr(account, f) for f in services.IDENTITY_FIELDS}, instance=account
        )
        assert form.is_valid(), form.errors


def test_seed_demo_twice_changes_nothing_and_keeps_a_changed_password(db):
    run("seed_demo")
    first = counts()
    changed = User.objects.get(email="comptable@demo.facturier.fr")
    changed.set_password(STRONG)
    changed.save()

    run("seed_demo")

    assert counts() == first
    assert authenticate(email="comptable@demo.facturier.fr", password=STRONG) is not None
    assert authenticate(email="utilisateur@demo.facturier.fr", password="demo-facturier") is not None
