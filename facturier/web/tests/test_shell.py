import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.conftest import logged_in, make_account, make_user
from facturier.tenancy.models import Account, Membership

HTMX = {"HTTP_HX_REQUEST": "true"}


def dashboard_url(slug: str) -> str:
    return reverse("web:dashboard", kwargs={"slug": slug})


def switcher_url(**params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("web:switcher") + (f"?{query}" if query else "")


# --- Dashboard --------------------------------------------------------------------------------


def test_the_owner_sees_the_dashboard_of_their_account(owner_client):
    response = owner_client.get(dashboard_url("acme"))

    assert response.status_code == 200
    assert "<h1>ACME SAS</h1>" in response.text


def test_an_outsider_gets_a_404_for_another_account(outsider_client, acme):
    response = outsider_client.get(dashboard_url("acme"))

    assert response.status_code == 404
    assert "ACME SAS" not in response.text


def test_an_unknown_account_is_a_404_too(owner_client):
    assert owner_client.get(dashboard_url("nobody-here")).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, acme):
    response = client.get(dashboard_url("acme"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={dashboard_url('acme')}"


def test_opening_an_account_records_when_it_was_last_used(owner, acme, owner_client):
    second = make_account("second", "Second SARL", owner)
    assert Membership.objects.get(account=acme, user=owner).last_used_at is None

    owner_client.get(dashboard_url("acme"))

    first_use = Membership.objects.get(account=acme, user=owner).last_used_at
    assert first_use is not None
    assert Membership.objects.get(account=second, user=owner).last_used_at is None

    owner_client.get(dashboard_url("second"))

    assert Membership.objects.get(account=second, user=owner).last_used_at is not None
    assert Membership.objects.get(account=acme, user=owner).last_used_at == first_use


def test_the_read_only_banner_shows_once_the_subscription_has_ended(owner_client, acme):
    assert "lecture seule" not in owner_client.get(dashboard_url("acme")).text

    Account.objects.filter(pk=acme.pk).update(subscription_ends_on=datetime.date(2000, 1, 31))
    response = owner_client.get(dashboard_url("acme"))

    assert response.status_code == 200
    assert "lecture seule" in response.text


# --- Account switcher -------------------------------------------------------------------------


def test_the_top_bar_loads_the_users_accounts_when_the_switcher_opens(owner, acme, owner_client, globex):
    make_account("zeta", "Zeta Industries", owner)

    page = owner_client.get(dashboard_url("acme")).text
    # The page itself names only the current account; the list is read when the menu opens.
    panel_url = f"{switcher_url(panel='1')}&amp;current=acme"
    assert f'hx-get="{panel_url}"' in page and 'hx-trigger="toggle once from:closest details"' in page
    assert "Zeta Industries" not in page
    # Without JavaScript the menu leads to the switcher's page.
    assert f'<a href="{switcher_url()}" class="switcher-loading">' in page

    response = owner_client.get(switcher_url(panel="1", current="acme"), **HTMX)

    assert response.status_code == 200 and "<html" not in response.text
    assert f'<a href="{dashboard_url("acme")}" aria-current="true">' in response.text
    assert f'<a href="{dashboard_url("zeta")}">' in response.text
    assert "Zeta Industries" in response.text
    assert "Globex SARL" not in response.text
    assert 'class="switcher-search"' not in response.text  # two accounts: nothing to search


def test_the_switcher_search_returns_the_partial_filtered_by_name(owner, acme, owner_client):
    make_account("zeta", "Zeta Industries", owner)
    make_account("acme-export", "Acme Export", owner)

    response = owner_client.get(switcher_url(q="acme", current="acme"), **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "ACME SAS" in response.text and "Acme Export" in response.text
    assert "Zeta Industries" not in response.text
    assert f'<a href="{dashboard_url("acme")}" aria-current="true">' in response.text


def test_the_switcher_search_never_shows_another_users_accounts(owner_client, globex):
    response = owner_client.get(switcher_url(q="globex"), **HTMX)

    assert response.status_code == 200
    assert "Globex" not in response.text
    assert "Aucun compte ne correspond." in response.text


def test_the_switcher_without_htmx_is_a_full_page(owner_client):
    response = owner_client.get(switcher_url(q="acme"))

    assert response.status_code == 200
    assert "<html" in response.text and "ACME SAS" in response.text


def test_the_switcher_asks_anonymous_visitors_to_log_in(client):
    response = client.get(switcher_url(q="acme"), **HTMX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def dashboard_queries(account_count: int) -> tuple[int, str]:
    user = make_user(f"many{account_count}@example.test")
    for n in range(account_count):
        make_account(f"many{account_count}-{n:02d}", f"Compte {n:02d}", user)
    client = logged_in(user)
    url = dashboard_url(f"many{account_count}-00")
    client.get(url)  # the first visit records the account as the current one; later ones do not write
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    panel = client.get(switcher_url(panel="1", current=f"many{account_count}-00"), HTTP_HX_REQUEST="true")
    return len(queries), panel.text


def test_the_dashboard_query_count_does_not_grow_with_the_users_accounts(db):
    few, few_panel = dashboard_queries(3)
    many, many_panel = dashboard_queries(40)

    assert many == few
    assert 'class="switcher-search"' not in few_panel and "Compte 02" in few_panel
    # With that many accounts the switcher shows the first ones and offers a search for the rest.
    assert 'class="switcher-search"' in many_panel
    assert "Compte 00" in many_panel and "Compte 39" not in many_panel
