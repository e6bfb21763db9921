"""Moving between the firm and its client accounts: the top-bar switcher with 1,000 client accounts,
and the link back to the firm from a client account."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.accounts.models import User
from facturier.conftest import logged_in, make_account, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import Account, Membership
from facturier.web.queries import switcher_memberships

HTMX = {"HTTP_HX_REQUEST": "true"}
# The layout's arrow icon (templates/web/_icon.html) before the firm's name.
ARROW = '<svg class="icon" aria-hidden="true" focusable="false"><use href="/static/icons/sprite.svg#arrow-left"></use></svg>'


def dashboard_url(slug: str) -> str:
    return reverse("web:dashboard", kwargs={"slug": slug})


def add_client_accounts(firm: Account, user: User, count: int) -> None:
    """`count` client accounts of the firm, each with a staff membership of `user` (two inserts)."""
    prefix = f"{firm.slug}-c"
    Account.objects.bulk_create(
        Account(slug=f"{prefix}{n:04d}", name=f"Client {n:04d}", managed_by=firm) for n in range(count)
    )
    accounts = Account.objects.filter(slug__startswith=prefix)
    Membership.objects.bulk_create(
        Membership(account=account, user=user, role=permissions.ROLE_ACCOUNTANT, firm=firm)
        for account in accounts
    )


def firm_user_with(count: int) -> tuple[User, Account]:
    user = make_user(f"staff{count}@cabinet.test")
    firm = make_account(
        f"cabinet-{count}", f"Cabinet {count}", user, plan="accounting", firm_module_enabled=True
    )
    add_client_accounts(firm, user, count)
    return user, firm


def queries_of(client, url: str, **headers: str) -> tuple[int, str]:
    client.get(url, **headers)  # the first visit records the current account; later ones do not write
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_firm_dashboard_costs_the_same_queries_with_1000_client_accounts_as_with_3(db):
    few_user, few_firm = firm_user_with(3)
    many_user, many_firm = firm_user_with(1000)

    few_client, many_client = logged_in(few_user), logged_in(many_user)
    few, _page = queries_of(few_client, dashboard_url(few_firm.slug))
    many, _page = queries_of(many_client, dashboard_url(many_firm.slug))
    assert many == few

    # The switcher's panel, read when the menu opens, costs the same queries too.
    panel = reverse("web:switcher")
    few, few_panel = queries_of(few_client, f"{panel}?panel=1&current={few_firm.slug}", **HTMX)
    many, many_panel = queries_of(many_client, f"{panel}?panel=1&current={many_firm.slug}", **HTMX)
    assert many == few
    assert "Client 0002" in few_panel and 'class="switcher-search"' not in few_panel
    # The switcher shows the first accounts by name and offers a search for the other ones.
    assert 'class="switcher-search"' in many_panel and "Client 0000" in many_panel
    assert "Client 0999" not in many_panel


def test_the_switcher_search_finds_any_of_1000_client_accounts_in_the_same_queries(db):
    few_user, _few_firm = firm_user_with(3)
    many_user, _many_firm = firm_user_with(1000)
    url = reverse("web:switcher")

    few, _page = queries_of(logged_in(few_user), f"{url}?q=client+0002", **HTMX)
    many, page = queries_of(logged_in(many_user), f"{url}?q=client+0742", **HTMX)

    assert many == few
    assert "Client 0742" in page and "cabinet-1000-c0742" in page
    assert "Client 0741" not in page


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_the_switcher_query_reads_the_users_memberships_through_an_index(db):
    sql, params = switcher_memberships(1, "client")[:16].query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())

    assert "SEARCH tenancy_membership USING INDEX" in plan and "(user_id=?)" in plan
    assert "SCAN" not in plan


# --- Back to the firm -------------------------------------------------------------------------------


@pytest.fixture
def client_account(firm, owner) -> Account:
    """A client account of the firm, owned by its client (owner), with the firm's partner as staff."""
    account = make_account("boulangerie", "Boulangerie Martin", owner, managed_by=firm)
    partner = Membership.objects.get(account=firm, is_owner=True).user
    Membership.objects.create(account=account, user=partner, role=permissions.ROLE_ACCOUNTANT, firm=firm)
    return account


def back_link(firm: Account) -> str:
    return (
        f'<a class="back-to-firm" href="{dashboard_url(firm.slug)}" title="Retour au cabinet">'
        f'{ARROW}<span class="shrink">{firm.name}</span></a>'
    )


def test_firm_staff_in_a_client_account_get_a_link_back_to_the_firm(firm, client_account):
    partner = Membership.objects.get(account=firm, is_owner=True).user

    page = logged_in(partner).get(dashboard_url("boulangerie")).content.decode()

    assert back_link(firm) in page


def test_the_link_back_costs_no_query(firm, client_account):
    partner_client = logged_in(Membership.objects.get(account=firm, is_owner=True).user)
    with_link, page = queries_of(partner_client, dashboard_url("boulangerie"))
    assert back_link(firm) in page

    Account.objects.filter(pk=client_account.pk).update(managed_by=None)
    without_link, page = queries_of(partner_client, dashboard_url("boulangerie"))

    assert back_link(firm) not in page
    assert with_link == without_link


def test_the_clients_own_users_get_no_link_to_the_firm(firm, client_account, owner_client):
    page = owner_client.get(dashboard_url("boulangerie")).content.decode()

    assert "Retour au cabinet" not in page and "Cabinet Dupont" not in page


def test_the_firm_itself_shows_no_link_back(firm):
    partner = Membership.objects.get(account=firm, is_owner=True).user

    page = logged_in(partner).get(dashboard_url("cabinet-dupont")).content.decode()

    assert "Retour au cabinet" not in page


def test_the_link_goes_once_the_account_is_managed_by_another_firm(firm, client_account):
    other = make_account("cabinet-martin", "Cabinet Martin", make_user("m@martin.test"), plan="accounting")
    Account.objects.filter(pk=client_account.pk).update(managed_by=other)
    partner = Membership.objects.get(account=firm, is_owner=True).user

    page = logged_in(partner).get(dashboard_url("boulangerie")).content.decode()

    assert "Retour au cabinet" not in page
