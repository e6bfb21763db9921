"""The dashboard's sales figures: this month's revenue, what is owed, what is late, revenue per month."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing import charts, queries
from facturier.billing.services import documents as services
from facturier.billing.services.payments import pay_in_full
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.conftest import logged_in, make_user
from facturier.reports import queries as report_queries
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role

D = Decimal


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        yield


def dashboard_url(slug="acme"):
    return reverse("web:dashboard", args=[slug])


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.fixture
def sales(acme, actor, buyer):
    """A year of documents; amounts in the comments are net, EUR."""
    old = make_invoice(
        actor, buyer, lines=[line("Ancien", "1", "400", "20")], issue_date=datetime.date(2025, 3, 20)
    )
    pay_in_full(actor, old, date=datetime.date(2025, 4, 1))  # outside the 12 months, paid
    make_invoice(
        actor, buyer, lines=[line("Février", "1", "500", "20")], issue_date=datetime.date(2026, 2, 10),
        due_date=datetime.date(2026, 2, 28),
    )  # fmt: skip  # 500, 600 TTC owed and late
    march = make_invoice(
        actor, buyer, lines=[line("Mars", "1", "1000", "20")], issue_date=datetime.date(2026, 3, 2)
    )
    make_invoice(
        actor, buyer, lines=[line("Dollars", "1", "200", "20")], issue_date=datetime.date(2026, 3, 5),
        currency="USD", exchange_rate=D("0.9"),
    )  # fmt: skip  # 180 EUR net; 240 USD TTC owed = 216 EUR
    note = services.create_credit_note(actor, march, lines=[line("Mars", "1", "100", "20")], reason="Geste")
    services.issue(actor, note)  # -100 this month; the March invoice now owes 1080
    make_invoice(actor, buyer, issue=False, lines=[line("Brouillon", "1", "5000", "20")])
    make_invoice(actor, buyer, kind="estimate", lines=[line("Devis", "1", "300", "20")])


def test_the_figures_count_issued_invoices_less_credit_notes_in_euros(acme, sales):
    figures = queries.dashboard_figures(acme, report_queries.revenue_by_month(acme, acme.today()))

    assert figures.month_revenue == D("1080.00")  # 1000 + 180 - 100; the draft and the quote do not count
    assert figures.unpaid_total == D("1896.00")  # 1080 + 216 + 600
    assert figures.overdue_count == 1
    months = dict(figures.revenue_by_month)
    assert len(figures.revenue_by_month) == 12
    assert figures.revenue_by_month[0][0] == datetime.date(2025, 4, 1)
    assert months[datetime.date(2026, 2, 1)] == D("500.00")
    assert months[datetime.date(2026, 3, 1)] == D("1080.00")
    assert sum(months.values()) == D("1580.00")


def test_the_figures_compare_with_last_year_given_two_years_of_months(acme, sales):
    figures = queries.dashboard_figures(acme, report_queries.revenue_by_month(acme, acme.today(), months=24))

    assert figures.month_revenue == D("1080.00")
    assert figures.month_revenue_last_year == D("400.00")  # March 2025
    assert figures.year_revenue == D("1580.00")  # January to March 2026
    assert figures.year_revenue_last_year == D("400.00")  # January to March 2025
    assert figures.overdue_total == D("600.00")
    assert len(figures.revenue_by_month) == 12  # the chart's year


def test_the_latest_documents_are_the_last_by_date_with_their_client(acme, sales):
    with CaptureQueriesContext(connection) as captured:
        latest = queries.latest_documents(acme, limit=3)
        names = [document.client.name for document in latest]

    assert len(captured) == 1
    assert [document.issue_date for document in latest] == sorted(
        (document.issue_date for document in latest), reverse=True
    )
    assert len(latest) == 3 and names == [latest[0].client.name] * 3


def test_the_sales_list_owes_what_the_dashboard_owes(acme, sales):
    # The list's totals are written in SQL (billing.queries), the dashboard's in the ORM: one rule.
    unpaid = queries.document_totals(
        queries.filtered_documents(acme, queries.DocumentFilters(status=queries.UNPAID))
    )
    every = queries.document_totals(queries.filtered_documents(acme, queries.DocumentFilters()))
    late = queries.document_totals(
        queries.filtered_documents(acme, queries.DocumentFilters(status=queries.OVERDUE))
    )

    assert unpaid.remaining_eur == every.remaining_eur == D("1896.00")  # as the dashboard's unpaid total
    assert unpaid.count == 3 and late.count == 1 and late.remaining_eur == D("600.00")
    # Every document, the draft and the quote included; the USD invoice at 0.9 and the credit note negative.
    assert every.count == 7
    assert every.net_eur == D("400") + D("500") + D("1000") + D("180") - D("100") + D("5000") + D("300")


def test_the_dashboard_shows_the_figures_and_an_accessible_chart(owner_client, sales):
    html = owner_client.get(dashboard_url()).text

    assert 'data-figure="month-revenue">1\xa0080,00\xa0€' in html
    assert "1\xa0896,00\xa0€" in html
    assert 'data-figure="overdue-total"><a href="/acme/documents/?status=overdue">600,00\xa0€</a>' in html
    assert 'data-figure="overdue">1 facture en retard' in html
    # This month and this year against last year's (the March 2025 invoice of 400).
    assert 'data-figure="month-revenue-last-year">400,00\xa0€ le même mois l\'an dernier' in html
    assert 'data-figure="year-revenue">1\xa0580,00\xa0€' in html
    assert 'data-figure="year-revenue-last-year">400,00\xa0€ sur les mêmes mois l\'an dernier' in html
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert '<title id="chart-title">Chiffre d&#x27;affaires HT par mois, en euros</title>' in html
    assert html.count("<rect ") == 12
    # The same numbers for screen readers, in a table.
    assert '<th scope="row">mars 2026</th><td>1\xa0080,00</td>' in html
    # The account facts and settings are still there.
    assert "Formule" in html and "Paramètres du compte" in html


def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_number_of_documents(
    owner_client, acme, actor, buyer
):
    def count_queries():
        owner_client.get(dashboard_url())
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(dashboard_url()).status_code == 200
        return len(captured)

    make_invoice(actor, buyer, issue_date=datetime.date(2026, 1, 5))
    few = count_queries()
    for day in range(1, 31):
        make_invoice(actor, buyer, issue_date=datetime.date(2026, 2, 1) + datetime.timedelta(days=day // 2))
    many = count_queries()

    assert few == many


def test_a_member_without_sales_view_sees_only_the_account_facts(acme, sales):
    role = Role.objects.create(account=acme, name="Dépenses", permissions=["purchases.view"])
    user = make_user("depenses@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)

    html = logged_in(user).get(dashboard_url()).text

    assert "Formule" in html
    assert 'class="chart"' not in html and "Reste à encaisser" not in html and "1\xa0080,00" not in html


def test_an_outsider_gets_a_404_and_no_figures(outsider_client, sales):
    response = outsider_client.get(dashboard_url())

    assert response.status_code == 404
    assert "1\xa0080,00" not in response.text


def test_the_chart_draws_negative_months_below_the_axis_and_escapes_its_text():
    points = [(datetime.date(2026, 1, 1), D("300")), (datetime.date(2026, 2, 1), D("-100"))]

    svg = charts.revenue_chart(points, title="Ventes <b>", description="Desc & co")

    assert '<title id="chart-title">Ventes &lt;b&gt;</title>' in svg
    assert "Desc &amp; co" in svg
    assert svg.count("<rect ") == 2
    assert f'fill="{charts.NEGATIVE_COLOR}"' in svg and f'fill="{charts.BAR_COLOR}"' in svg
    # 400 units span the plot: the positive bar is three times as tall as the negative one.
    heights = [float(part.split('"')[0]) for part in svg.split('height="')[1:]]
    assert heights[0] == pytest.approx(3 * heights[1])
    assert ">Jan. 2026<" in svg


def test_the_chart_of_a_year_without_sales_is_flat():
    points = [(queries.month_start(datetime.date(2026, 3, 1), back), D("0")) for back in range(11, -1, -1)]

    svg = charts.revenue_chart(points, title="t", description="d")

    assert svg.count('height="0.0"') == 12
