"""Comptes clients: the firm's list (columns, sort, search, pagination, access) and "Ajouter un utilisateur"."""

import datetime
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from facturier.accounts.models import User
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

PARIS = datetime.timezone(datetime.timedelta(hours=1))


def list_url(slug="cabinet-dupont", **query):
    url = reverse("firm:account_list", args=[slug])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def add_user_url(pk, slug="cabinet-dupont"):
    return reverse("firm:account_add_user", args=[slug, pk])


def client_account(firm, owner, slug, name, **fields):
    """A client account of `firm`, owned by `owner` as firm staff (as the creation service leaves it)."""
    fields.setdefault("plan", plans.PRO)
    account = Account.objects.create(slug=slug, name=name, managed_by=firm, **fields)
    Membership.objects.create(
        account=account, user=owner, role=permissions.ROLE_ADMIN, is_owner=True, firm=firm
    )
    return account


def row_names(response):
    """The account names of the list, in order (each row's checkbox is labelled by its name)."""
    return re.findall(r'id="name-\d+">([^<]+)<', response.content.decode())


@pytest.fixture
def partner(firm) -> User:
    return User.objects.get(email="claire@cabinet-dupont.test")


@pytest.fixture
def partner_client(partner):
    return logged_in(partner)


@pytest.fixture
def portfolio(firm, partner):
    """Three client accounts with distinct values in every column."""
    beta = client_account(
        firm,
        partner,
        "beta-sarl",
        "Beta SARL",
        plan=plans.MAX,
        created_at=datetime.datetime(2024, 3, 1, 9, 0, tzinfo=PARIS),
        locked_until=datetime.date(2024, 12, 31),
        subscription_ends_on=datetime.date(2098, 3, 1),
    )
    alpha = client_account(
        firm,
        partner,
        "alpha-conseil",
        "Alpha Conseil",
        created_at=datetime.datetime(2024, 5, 2, 9, 0, tzinfo=PARIS),
        subscription_ends_on=datetime.date(2097, 5, 2),
    )
    gamma = client_account(
        firm,
        partner,
        "gamma-bat",
        "Gamma Bâtiment",
        created_at=datetime.datetime(2023, 1, 15, 9, 0, tzinfo=PARIS),
        locked_until=datetime.date(2023, 6, 30),
        subscription_ends_on=datetime.date(2096, 1, 15),
    )
    for email in ("client@gamma.test", "compta@gamma.test"):
        Membership.objects.create(account=gamma, user=make_user(email), role=permissions.ROLE_MEMBER)
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


# --- Who may open it --------------------------------------------------------------------------------


def test_an_outsider_gets_a_404(outsider_client, firm):
    assert outsider_client.get(list_url()).status_code == 404


def test_a_firm_collaborator_without_firm_manage_gets_a_403(firm):
    user = make_user("paul@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_ACCOUNTANT)

    response = logged_in(user).get(list_url())

    assert response.status_code == 403


def test_an_account_that_is_not_a_firm_is_sent_to_its_settings_with_the_reason(owner_client, acme):
    response = owner_client.get(list_url("acme"), follow=True)

    assert response.redirect_chain[0] == (reverse("tenancy:account", args=["acme"]), 302)
    assert "formule Comptabilité" in response.content.decode()


def test_a_firm_with_the_module_turned_off_is_told_how_to_turn_it_on(partner_client, firm):
    Account.objects.filter(pk=firm.pk).update(firm_module_enabled=False)

    response = partner_client.get(list_url(), follow=True)

    assert response.redirect_chain[0][0] == reverse("tenancy:account", args=["cabinet-dupont"])
    assert "Comptabilité et Exports" in response.content.decode()


# --- Columns --------------------------------------------------------------------------------------


def test_it_lists_only_the_firms_own_client_accounts(partner_client, firm, portfolio, acme, outsider):
    other_firm = Account.objects.create(
        slug="cabinet-martin", name="Cabinet Martin", plan=plans.ACCOUNTING, firm_module_enabled=True
    )
    client_account(other_firm, outsider, "delta-autre", "Delta chez un autre cabinet")

    response = partner_client.get(list_url())

    assert response.status_code == 200
    assert row_names(response) == ["Alpha Conseil", "Beta SARL", "Gamma Bâtiment"]
    assert "Delta chez un autre cabinet" not in response.content.decode()
    assert "ACME SAS" not in row_names(response)


def test_each_row_shows_creation_and_lock_dates_users_plan_and_end_date(partner_client, portfolio):
    response = partner_client.get(list_url())

    page = response.content.decode().split('<main id="main"')[1]  # not the top bar's account switcher
    beta_row = page[page.index(">Beta SARL<") : page.index(">Gamma Bâtiment<")]
    assert "01/03/2024" in beta_row  # created
    assert "31/12/2024" in beta_row  # lock date
    assert "MAX" in beta_row
    assert "01/03/2098" in beta_row  # subscription end
    gamma_row = page[page.index(">Gamma Bâtiment<") :]
    # The partner (firm staff) and the two client users.
    assert re.search(
        r'title="3 personnes ont accès au compte, dont 1 collaborateur\(s\) du cabinet[^"]*">3<', gamma_row
    )
    alpha_row = page[page.index(">Alpha Conseil<") : page.index(">Beta SARL<")]
    assert "—" in alpha_row  # no lock date


def test_the_rows_are_in_the_users_language(partner_client, partner, portfolio):
    User.objects.filter(pk=partner.pk).update(language="en")
    Membership.objects.filter(account=portfolio["alpha"]).delete()

    page = partner_client.get(list_url()).content.decode().split('<main id="main"')[1]

    assert "3 people have access to the account, including 1 firm staff member(s)" in page
    assert "1 person has access to the account, including 1 firm staff member(s)" in page
    assert ">no access<" in page and "Add a user" in page and ">Reports<" in page


def test_the_name_opens_the_client_accounts_documents(partner_client, portfolio):
    response = partner_client.get(list_url())

    documents = reverse("billing:document_list", args=["alpha-conseil"])
    assert re.search(f'<a href="{documents}" id="name-\\d+">Alpha Conseil</a>', response.content.decode())


def test_an_account_the_user_has_no_access_to_is_listed_without_a_link(partner_client, firm, portfolio):
    Membership.objects.filter(account=portfolio["alpha"]).delete()

    response = partner_client.get(list_url())

    page = response.content.decode()
    assert "Alpha Conseil" in row_names(response)
    assert reverse("billing:document_list", args=["alpha-conseil"]) not in page
    assert "sans accès" in page
    assert reverse("billing:document_list", args=["beta-sarl"]) in page


def test_a_name_typed_with_markup_is_shown_as_text(partner_client, firm, partner):
    client_account(firm, partner, "balise", '<img src=x onerror="alert(1)"> & Fils')

    page = partner_client.get(list_url()).content.decode().split('<main id="main"')[1]

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Fils</a>" in page


def test_the_page_offers_to_create_a_client_account_and_to_add_a_user_per_row(partner_client, portfolio):
    response = partner_client.get(list_url())

    page = response.content.decode()
    assert "Créer un nouveau compte client" in page
    assert reverse("firm:account_new", args=["cabinet-dupont"]) in page
    for account in portfolio.values():
        assert add_user_url(account.pk) in page


def test_a_firm_without_client_accounts_gets_an_empty_list_with_the_way_to_start(partner_client):
    response = partner_client.get(list_url())

    assert response.status_code == 200
    assert "Aucun compte client pour l'instant" in response.content.decode()


# --- Sort, search, pages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [
        ("name", ["Alpha Conseil", "Beta SARL", "Gamma Bâtiment"]),
        ("created", ["Gamma Bâtiment", "Beta SARL", "Alpha Conseil"]),
        # No lock date comes last, whichever the direction.
        ("locked", ["Gamma Bâtiment", "Beta SARL", "Alpha Conseil"]),
        ("users", ["Alpha Conseil", "Beta SARL", "Gamma Bâtiment"]),
        ("plan", ["Alpha Conseil", "Gamma Bâtiment", "Beta SARL"]),
        ("ends", ["Gamma Bâtiment", "Alpha Conseil", "Beta SARL"]),
    ],
)
def test_it_sorts_on_each_column_both_ways(partner_client, portfolio, sort, ascending):
    up = partner_client.get(list_url(sort=sort, dir="asc"))
    down = partner_client.get(list_url(sort=sort, dir="desc"))

    assert row_names(up) == ascending
    if sort == "locked":
        assert row_names(down) == ["Beta SARL", "Gamma Bâtiment", "Alpha Conseil"]
    elif sort in ("users", "plan"):
        # Ties (one user each; PRO twice) stay in name order.
        assert row_names(down)[0] == ascending[-1]
    else:
        assert row_names(down) == ascending[::-1]
    assert 'aria-sort="ascending"' in up.content.decode()
    assert 'aria-sort="descending"' in down.content.decode()


def test_an_unknown_sort_falls_back_to_the_name(partner_client, portfolio):
    response = partner_client.get(list_url(sort="slug;drop", dir="sideways"))

    assert response.status_code == 200
    assert row_names(response) == ["Alpha Conseil", "Beta SARL", "Gamma Bâtiment"]


@pytest.mark.parametrize(("query", "expected"), [("beta", ["Beta SARL"]), ("GAMMA-B", ["Gamma Bâtiment"])])
def test_it_searches_on_name_or_slug(partner_client, portfolio, query, expected):
    response = partner_client.get(list_url(q=query))

    assert row_names(response) == expected


def test_a_search_without_match_says_so(partner_client, portfolio):
    response = partner_client.get(list_url(q="zzz"))

    assert row_names(response) == []
    assert "Aucun compte client ne correspond" in response.content.decode()


def test_searching_as_you_type_returns_only_the_results(partner_client, portfolio):
    response = partner_client.get(list_url(q="alpha"), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert row_names(response) == ["Alpha Conseil"]
    assert "<html" not in page
    assert 'id="bulk-form"' in page


def test_it_shows_50_accounts_per_page_and_offers_every_matching_account(partner_client, firm, partner):
    Account.objects.bulk_create(
        Account(slug=f"client-{n:03}", name=f"Client {n:03}", plan=plans.PRO, managed_by=firm)
        for n in range(120)
    )

    first = partner_client.get(list_url())
    last = partner_client.get(list_url(page=3))

    assert len(row_names(first)) == 50
    assert row_names(first)[0] == "Client 000"
    assert row_names(last) == [f"Client {n:03}" for n in range(100, 120)]
    assert "Page 1 sur 3" in first.content.decode()
    assert "Sélectionner les 120 comptes clients du cabinet" in first.content.decode()
    searched = partner_client.get(list_url(q="Client 0"))
    assert "Sélectionner les 100 comptes correspondant à la recherche" in searched.content.decode()


def test_a_page_number_out_of_range_shows_the_last_page(partner_client, portfolio):
    response = partner_client.get(list_url(page=9))

    assert row_names(response) == ["Alpha Conseil", "Beta SARL", "Gamma Bâtiment"]


@pytest.mark.parametrize("count", [3, 60])
def test_the_number_of_queries_does_not_grow_with_the_accounts(
    partner_client, firm, partner, count, django_assert_num_queries
):
    for n in range(count):
        account = client_account(firm, partner, f"client-{n:03}", f"Client {n:03}")
        Membership.objects.create(account=account, user=make_user(f"u{n}@client.test"))
    partner_client.get(list_url())  # the first visit notes the current account in the session

    # session, user, membership (gate), count, page rows.
    with django_assert_num_queries(5):
        response = partner_client.get(list_url(sort="users", dir="desc"))

    assert len(row_names(response)) == min(count, 50)


# --- Ajouter un utilisateur -----------------------------------------------------------------------


def test_add_user_adds_the_client_as_administrator_with_the_password_chosen(partner_client, firm, portfolio):
    alpha = portfolio["alpha"]
    page = partner_client.get(add_user_url(alpha.pk))
    assert page.status_code == 200
    assert 'value="admin" selected' in page.content.decode()

    response = partner_client.post(
        add_user_url(alpha.pk),
        {"email": "Patron@Alpha.test", "role": "admin", "how": "chosen", "password": "Tulipe-Orange-Vélo-42"},
    )

    assert response.status_code == 302
    assert response["Location"] == list_url()
    membership = Membership.objects.get(account=alpha, user__email="patron@alpha.test")
    assert membership.role == permissions.ROLE_ADMIN
    assert membership.firm is None  # the client's own user: counted by its plan
    assert membership.user.check_password("Tulipe-Orange-Vélo-42")
    assert mail.outbox[-1].to == ["patron@alpha.test"]
    event = AuditEvent.objects.get(account=alpha, action="member.added")
    assert event.actor_email == "claire@cabinet-dupont.test"
    assert event.via_firm == firm


def test_add_user_shows_the_plan_limit_on_the_form(partner_client, firm, portfolio):
    alpha = portfolio["alpha"]  # PRO: 5 users, the firm's staff not counted
    for n in range(5):
        Membership.objects.create(account=alpha, user=make_user(f"u{n}@alpha.test"))

    response = partner_client.post(
        add_user_url(alpha.pk), {"email": "sixieme@alpha.test", "role": "admin", "how": "invite"}
    )

    assert response.status_code == 200
    assert "La formule PRO permet 5 utilisateur(s)" in response.content.decode()
    assert not User.objects.filter(email="sixieme@alpha.test").exists()
    assert mail.outbox == []


def test_add_user_refuses_an_invalid_email_on_the_form(partner_client, portfolio):
    response = partner_client.post(
        add_user_url(portfolio["alpha"].pk), {"email": "pas-un-email", "role": "admin", "how": "invite"}
    )

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert Membership.objects.filter(account=portfolio["alpha"]).count() == 1


def test_add_user_without_access_to_the_account_says_how_to_get_it(partner_client, portfolio):
    alpha = portfolio["alpha"]
    Membership.objects.filter(account=alpha).delete()

    page = partner_client.get(add_user_url(alpha.pk))
    posted = partner_client.post(
        add_user_url(alpha.pk), {"email": "x@alpha.test", "role": "admin", "how": "invite"}
    )

    assert "Vous n'êtes pas utilisateur de ce compte" in page.content.decode()
    assert '<form method="post" class="card"' not in page.content.decode()
    assert posted.status_code == 200
    assert not Membership.objects.filter(account=alpha).exists()


def test_add_user_on_an_account_of_another_firm_or_no_firm_is_a_404(
    partner_client, portfolio, acme, outsider
):
    other_firm = Account.objects.create(slug="cabinet-martin", name="Cabinet Martin", plan=plans.ACCOUNTING)
    other = client_account(other_firm, outsider, "delta", "Delta")

    assert partner_client.get(add_user_url(other.pk)).status_code == 404
    assert partner_client.get(add_user_url(acme.pk)).status_code == 404
    assert partner_client.get(add_user_url(999999)).status_code == 404


def test_add_user_is_a_404_for_an_outsider_and_a_403_for_a_firm_collaborator(
    outsider_client, firm, portfolio
):
    user = make_user("paul@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_MEMBER)

    assert outsider_client.get(add_user_url(portfolio["alpha"].pk)).status_code == 404
    assert logged_in(user).get(add_user_url(portfolio["alpha"].pk)).status_code == 403


def test_creation_dates_are_shown_in_the_local_time_zone(partner_client, firm, partner):
    # 23:30 UTC on 31 December is already 1 January in Paris.
    client_account(
        firm,
        partner,
        "nouvel-an",
        "Nouvel An",
        created_at=datetime.datetime(2024, 12, 31, 23, 30, tzinfo=datetime.UTC),
    )

    response = partner_client.get(list_url())

    assert "01/01/2025" in response.content.decode()
    assert timezone.get_current_timezone_name() == "Europe/Paris"


# --- In a real browser: the selection helpers and the search as you type ---------------------------


@pytest.fixture
def browser_page(page_as, transactional_db):
    """A function logging a user in on a new Chromium page, and Playwright's expect."""
    return page_as, pytest.importorskip("playwright.sync_api").expect


@pytest.mark.browser
def test_in_a_browser_the_page_box_ticks_every_row_then_offers_every_matching_account(
    browser_page, live_server, firm, partner
):
    log_in, expect = browser_page
    for n in range(60):
        client_account(firm, partner, f"serie-{n:02}", f"Série {n:02}")
    page = log_in(partner)
    page.goto(f"{live_server.url}{list_url()}")
    matching = page.get_by_label("Sélectionner les 60 comptes clients du cabinet")
    expect(matching).to_be_hidden()

    page.get_by_label("Sélectionner tous les comptes de la page").check()

    expect(page.locator("input[name=ids]:checked")).to_have_count(50)
    matching.check()
    page.get_by_label("Format du fichier").select_option("csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter la liste").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert len(text.strip().splitlines()) == 61  # the header and every matching account, not only the page

    page.get_by_role("checkbox", name="Sélectionner Série 00").uncheck()
    expect(page.get_by_label("Sélectionner tous les comptes de la page")).not_to_be_checked()
    expect(matching).to_be_hidden()
    expect(matching).not_to_be_checked()


@pytest.mark.browser
def test_in_a_browser_the_list_narrows_as_the_user_types(browser_page, live_server, firm, partner):
    log_in, expect = browser_page
    for n in range(12):
        client_account(firm, partner, f"serie-{n:02}", f"Série {n:02}")
    client_account(firm, partner, "boulangerie-durand", "Boulangerie Durand")
    page = log_in(partner)
    page.goto(f"{live_server.url}{list_url()}")
    expect(page.locator("input[name=ids]")).to_have_count(13)

    page.get_by_label("Nom ou adresse du compte").press_sequentially("boulang")

    expect(page.locator("input[name=ids]")).to_have_count(1)
    expect(page.locator("#account-results")).to_contain_text("Boulangerie Durand")
    assert page.url.endswith("?q=boulang")
