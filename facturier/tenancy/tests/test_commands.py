import datetime
import io
import json
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command

from facturier.accounts.models import User
from facturier.conftest import PASSWORD
from facturier.tenancy import permissions, services
from facturier.tenancy.models import Account, ApiToken, AuditEvent, Membership

STRONG = "un-mot-de-passe-solide-42"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def create_account(*args: str) -> dict:
    lines = run("create_account", *args).splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def nothing_stored() -> bool:
    return not (
        Account.objects.exists()
        or User.objects.exists()
        or ApiToken.objects.exists()
        or AuditEvent.objects.exists()
    )


# --- create_account ---------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC), tick=False)
def test_create_account_stores_the_account_its_owner_and_prints_a_working_token(db):
    result = create_account(
        "boulangerie",
        "--name=Boulangerie Martin",
        "--owner-email= Marie@Boulangerie.test ",
        f"--password={STRONG}",
        "--plan=pro",
        "--siren=732829320",
        "--vat-number=fr 44 732 829 320",
        "--street=3 place du Marché",
        "--post-code=69001",
        "--city=Lyon",
    )

    assert result["slug"] == "boulangerie" and result["owner_email"] == "marie@boulangerie.test"
    account = Account.objects.get(slug="boulangerie")
    assert account.name == "Boulangerie Martin" and account.plan == "pro"
    assert (account.siren, account.vat_number, account.country) == ("732829320", "FR44732829320", "FR")
    assert (account.street, account.post_code, account.city) == ("3 place du Marché", "69001", "Lyon")
    assert account.subscription_ends_on == datetime.date(2026, 3, 10)
    owner = User.objects.get(email="marie@boulangerie.test")
    assert owner.check_password(STRONG)
    membership = Membership.objects.get(account=account)
    assert membership.user == owner and membership.is_owner and membership.role == permissions.ROLE_ADMIN
    token = services.resolve_api_token(result["api_token"])
    assert token is not None and token.membership == membership
    assert result["api_token"].endswith("/boulangerie")
    actions = set(AuditEvent.objects.filter(account=account).values_list("action", flat=True))
    assert actions == {"account.created", "token.created"}


def test_a_free_account_has_no_subscription_end(db):
    create_account("atelier", "--name=Atelier", "--owner-email=a@atelier.test", f"--password={STRONG}")

    account = Account.objects.get(slug="atelier")
    assert account.plan == "free" and account.subscription_ends_on is None


def test_create_account_attaches_an_existing_user_without_touching_their_password(outsider):
    result = create_account("second", "--name=Second", "--owner-email=OSCAR@globex.test")

    assert result["owner_email"] == "oscar@globex.test"
    membership = Membership.objects.get(account__slug="second")
    assert membership.user == outsider and membership.is_owner
    assert User.objects.count() == 1
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD)


def test_a_password_given_for_an_existing_user_is_not_changed(outsider):
    create_account("second", "--name=Second", "--owner-email=oscar@globex.test", f"--password={STRONG}")

    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD) and not outsider.check_password(STRONG)


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (
            ["é-", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}"],
            [
                "au moins 3 caractères",
                "lettres minuscules sans accent",
                "ni commencer ni finir par un tiret",
            ],
        ),
        (["login", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}"], ["mot réservé"]),
        (
            ["ok-slug", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}", "--siren=732829321"],
            ["--siren : Le SIREN est invalide (la clé de contrôle ne correspond pas)."],
        ),
        (
            ["ok-slug", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}", "--vat-number=FR00123"],
            ["--vat-number : Le numéro de TVA"],
        ),
        (
            ["ok-slug", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}", "--plan=gold"],
            ["Formule inconnue : gold."],
        ),
        (
            ["ok-slug", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}", "--country=XX"],
            ["--country : "],
        ),
        (["ok-slug", "--name=X", "--owner-email=x@x.test", "--password=123"], ["--password : "]),
        (["ok-slug", "--name=X", "--owner-email=x@x.test"], ["--password : obligatoire"]),
        (["ok-slug", "--name=X", "--owner-email=not-an-email", f"--password={STRONG}"], ["--owner-email : "]),
        (["ok-slug", "--name=", "--owner-email=x@x.test", f"--password={STRONG}"], ["--name : "]),
    ],
)
def test_create_account_refuses_bad_values_and_stores_nothing(db, args, messages):
    with pytest.raises(CommandError) as refused:
        run("create_account", *args)

    for message in messages:
        assert message in str(refused.value)
    assert nothing_stored()


def test_create_account_lists_every_problem_at_once(db):
    with pytest.raises(CommandError) as refused:
        run("create_account", "A", "--name=X", "--owner-email=x@x.test", "--siren=1", "--plan=gold")

    text = str(refused.value)
    for message in ["au moins 3 caractères", "--siren : ", "Formule inconnue", "--password : "]:
        assert message in text
    assert nothing_stored()


def test_create_account_refuses_a_taken_slug(acme):
    before = (Account.objects.count(), User.objects.count())

    with pytest.raises(CommandError, match=re.escape("L'adresse « acme » est déjà prise.")):
        run("create_account", "acme", "--name=X", "--owner-email=x@x.test", f"--password={STRONG}")

    assert (Account.objects.count(), User.objects.count()) == before
    assert not ApiToken.objects.exists()


def test_the_weak_password_message_is_djangos(db):
    with pytest.raises(CommandError, match=re.escape("--password : Ce mot de passe est trop courant.")):
        run("create_account", "ok-slug", "--name=X", "--owner-email=x@x.test", "--password=password123")
    assert nothing_stored()


# --- create_account --firm / --managed-by ---------------------------------------------------------


def test_create_account_firm_makes_an_accounting_firm_with_the_module_on(db):
    create_account(
        "cabinet", "--name=Cabinet", "--owner-email=c@cabinet.test", f"--password={STRONG}", "--firm"
    )

    account = Account.objects.get(slug="cabinet")
    assert account.plan == "accounting" and account.firm_module_enabled and account.is_firm
    assert account.subscription_ends_on is not None
    assert AuditEvent.objects.filter(account=account, action="firm.module_changed").count() == 1


def test_create_account_firm_accepts_the_accounting_plan_said_explicitly(db):
    create_account(
        "cabinet", "--name=C", "--owner-email=c@c.test", f"--password={STRONG}", "--firm", "--plan=accounting"
    )

    assert Account.objects.get(slug="cabinet").is_firm


def test_create_account_firm_refuses_another_plan_and_stores_nothing(db):
    with pytest.raises(CommandError, match="--firm : un cabinet comptable est sous formule accounting"):
        run(
            "create_account",
            "cabinet",
            "--name=C",
            "--owner-email=c@c.test",
            f"--password={STRONG}",
            "--firm",
            "--plan=pro",
        )

    assert nothing_stored()


@time_machine.travel(datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC), tick=False)
def test_create_account_managed_by_makes_a_pro_client_account_of_the_firm(firm):
    partner = User.objects.get(email="claire@cabinet-dupont.test")

    create_account(
        "boulangerie", "--name=Boulangerie", f"--owner-email={partner.email}", "--managed-by=cabinet-dupont"
    )

    account = Account.objects.get(slug="boulangerie")
    assert (account.plan, account.managed_by) == ("pro", firm)
    assert account.subscription_ends_on == datetime.date(2026, 3, 10)
    membership = Membership.objects.get(account=account)
    # The owner works for the firm: they own the account as firm staff, outside the PRO user count.
    assert membership.user == partner and membership.is_owner and membership.firm == firm
    assert services.counted_members(account) == 0
    [event] = AuditEvent.objects.filter(account=firm, action="firm.client_account_created")
    assert event.target == "boulangerie"


def test_a_client_account_owned_by_someone_outside_the_firm_counts_them(firm):
    create_account(
        "boulangerie", "--name=B", "--owner-email=marie@b.test", f"--password={STRONG}",
        "--managed-by=cabinet-dupont", "--plan=max",
    )  # fmt: skip

    account = Account.objects.get(slug="boulangerie")
    assert (account.plan, account.managed_by) == ("max", firm)
    assert Membership.objects.get(account=account).firm is None
    assert services.counted_members(account) == 1


@pytest.mark.parametrize(
    ("firm_slug", "message"),
    [
        ("nulle-part", "--managed-by : aucun compte à l'adresse « nulle-part »."),
        ("acme", "--managed-by : « acme » n'est pas un cabinet comptable"),
    ],
)
def test_create_account_managed_by_refuses_what_is_not_a_firm(acme, firm_slug, message):
    before = (Account.objects.count(), User.objects.count(), AuditEvent.objects.count())

    with pytest.raises(CommandError, match=re.escape(message)):
        run(
            "create_account",
            "client",
            "--name=C",
            "--owner-email=c@c.test",
            f"--password={STRONG}",
            f"--managed-by={firm_slug}",
        )

    assert (Account.objects.count(), User.objects.count(), AuditEvent.objects.count()) == before


def test_create_account_refuses_firm_and_managed_by_together(firm):
    with pytest.raises(CommandError, match="--firm et --managed-by s'excluent"):
        run(
            "create_account", "client", "--name=C", "--owner-email=c@c.test", f"--password={STRONG}",
            "--firm", "--managed-by=cabinet-dupont",
        )  # fmt: skip

    assert not Account.objects.filter(slug="client").exists()
