"""The Rapports tab: who sees it, the filters in the URL, bad input, pages, print view and downloads.

The figures themselves are tested against the documents in the queries' tests; here the pages are
checked to show, page, print and write out what the queries return, in a fixed number of queries.
"""

import csv
import datetime
import html
import io
import re
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing.services import documents as document_services
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.purchases import services as purchase_services
from facturier.purchases.models import ExpenseCategory
from facturier.reports import views
from facturier.reports.base import REPORT_CODES

D = Decimal


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        yield


def url(code: str | None = None, slug: str = "acme") -> str:
    if code is None:
        return reverse("reports:index", args=[slug])
    return reverse("reports:report", args=[slug, code])


def page_text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed (no-break spaces included)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def table_rows(response, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, as lists of cell texts."""
    content = response.content.decode().replace("\u00a0", " ")
    start = content.index(f"<caption>{caption}")
    body = content[content.index("<tbody>", start) : content.index("</tbody>", start)]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def sales(acme, actor):
    """February 2026: a French invoice (1,200 net), a German B2B one under reverse charge (500), and a
    French one in US dollars (200 USD at 0.9 = 180 EUR), half paid; in March, a credit note of 100."""
    dupont = make_client(acme)
    muller = make_client(
        acme,
        name="Müller GmbH",
        country="DE",
        siren="",
        vat_number="DE136695976",
        post_code="10115",
        city="Berlin",
    )
    first = make_invoice(
        actor, dupont, lines=[line("Conseil", "1", "1200", "20")], issue_date=datetime.date(2026, 2, 10)
    )
    make_invoice(
        actor, muller, lines=[line("Audit", "1", "500", "0", vat_category="AE")],
        issue_date=datetime.date(2026, 2, 12), reverse_charge=True,
    )  # fmt: skip
    dollars = make_invoice(
        actor, dupont, lines=[line("Licence", "1", "200", "20")], issue_date=datetime.date(2026, 2, 20),
        currency="USD", exchange_rate=D("0.9"),
    )  # fmt: skip
    record_payment(
        actor, acme, date=datetime.date(2026, 3, 1), amount=D("120"), currency="USD", documents=[dollars]
    )
    credit = document_services.create_credit_note(
        actor, first, lines=[line("Remise", "1", "100", "20")], reason="Geste commercial"
    )
    document_services.issue(actor, credit)
    return first


@pytest.fixture
def expenses(acme, actor):
    purchase_services.ensure_default_categories(acme)
    supplier = make_client(acme, name="Bureau Plus", kind="supplier", siren="", vat_number="")
    category = ExpenseCategory.objects.filter(account=acme).first()
    assert category is not None
    purchase_services.create_expense(
        actor,
        acme,
        purchase_services.ExpenseInput(
            supplier_id=supplier.pk,
            category_id=category.pk,
            issue_date=datetime.date(2026, 2, 3),
            lines=[purchase_services.ExpenseLineInput("Papier", D(1), D("250.00"), D(20))],
            supplier_number="BP-17",
        ),
    )
    return category


# --- Who sees the reports -------------------------------------------------------------------------


def test_the_index_lists_the_five_reports_with_their_links(owner_client, acme):
    response = owner_client.get(url())

    assert response.status_code == 200
    for code in REPORT_CODES:
        assert f'href="{url(code)}"' in response.content.decode()
    text = page_text(response)
    for title in (
        "Liste des revenus",
        "Liste des dépenses",
        "Registre de TVA",
        "Rapport OSS",
        "Liste des impayés",
    ):
        assert title in text


def test_the_top_bar_links_to_the_reports_only_for_members_who_may_see_them(
    owner_client, collaborator_client, acme
):
    link = f'href="{url()}"'

    assert link in owner_client.get(reverse("web:dashboard", args=["acme"])).content.decode()
    assert link not in collaborator_client.get(reverse("web:dashboard", args=["acme"])).content.decode()


@pytest.mark.parametrize("code", [None, *REPORT_CODES])
def test_the_firm_accountant_reaches_the_client_accounts_reports(firm_client, code):
    response = firm_client.get(url(code))

    assert response.status_code == 200
    # The navigation's current link, its icon before its name.
    assert re.search(r'aria-current="page">(<svg [^>]*>.*?</svg>)?Rapports</a>', response.content.decode())


@pytest.mark.parametrize("code", [None, *REPORT_CODES])
def test_a_member_whose_role_lacks_the_reports_gets_a_403(collaborator_client, code):
    assert collaborator_client.get(url(code)).status_code == 403
    assert collaborator_client.get(url(code), {"format": "csv"}).status_code == 403


@pytest.mark.parametrize("code", [None, *REPORT_CODES])
def test_an_outsider_gets_a_404_and_no_data(outsider_client, sales, code):
    response = outsider_client.get(url(code), {"format": "csv"})

    assert response.status_code == 404
    assert b"Dupont" not in response.content


def test_an_unknown_report_is_a_404(owner_client):
    assert owner_client.get(url("balance-sheet")).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, acme):
    response = client.get(url("revenue"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Filters and bad input ------------------------------------------------------------------------


def test_a_report_opened_without_filters_runs_on_its_usual_period(owner_client, sales):
    revenue = owner_client.get(url("revenue"))
    oss = owner_client.get(url("oss"))
    unpaid = owner_client.get(url("unpaid"))

    assert "Période : du 01/01/2026 au 31/12/2026" in page_text(revenue)
    assert "Période : du 01/10/2025 au 31/12/2025" in page_text(oss)  # the last quarter
    assert "Période : jusqu'au 16/03/2026" in page_text(unpaid)  # whatever is still owed, however old
    assert 'value="this_year" selected' in revenue.content.decode()


def test_the_revenue_list_shows_each_document_in_french_with_totals_over_the_period(owner_client, sales):
    response = owner_client.get(
        url("revenue"), {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-03-31"}
    )

    assert response.status_code == 200
    rows = table_rows(response, "Documents de vente")
    assert [row[1] for row in rows] == ["F-2026-0001", "F-2026-0002", "F-2026-0003", "AV-2026-0001"]
    assert rows[0][:2] == ["10/02/2026", "F-2026-0001"]
    assert rows[0][5:8] == ["1 200,00", "240,00", "1 440,00"]  # money right-aligned, French grouping
    assert rows[3][5] == "-100,00"  # the credit note counts negative
    assert '<td class="amount">1 200,00</td>' in response.content.decode().replace("\u00a0", " ")
    # Totals: 1200 + 500 + 180 - 100 net.
    assert "Total 4 documents 1 780,00" in page_text(response)
    assert "Période : du 01/02/2026 au 31/03/2026" in page_text(response)


def test_filters_live_in_the_url_and_narrow_the_report(owner_client, sales):
    response = owner_client.get(
        url("revenue"),
        {
            "period": "custom",
            "date_from": "2026-02-01",
            "date_to": "2026-02-28",
            "country": "de",
            "kind": "vat",
        },
    )

    rows = table_rows(response, "Documents de vente")
    assert [row[1] for row in rows] == ["F-2026-0002"]
    content = response.content.decode()
    assert 'value="de"' in content  # what was typed is shown back
    assert 'value="vat" id="id_kind_0" checked' in content
    # Downloads and print view keep the filters.
    assert (
        "?period=custom&amp;date_from=2026-02-01&amp;date_to=2026-02-28&amp;country=de&amp;kind=vat&amp;format=csv"
        in content
    )
    assert "Pays : DE" in page_text(response)


def test_dates_alone_mean_a_custom_period(owner_client, sales):
    response = owner_client.get(url("revenue"), {"date_from": "2026-02-15", "date_to": "2026-02-28"})

    assert [row[1] for row in table_rows(response, "Documents de vente")] == ["F-2026-0003"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-02-01"},
            "La fin de la période précède son début.",
        ),
        (
            {"date_from": "2026-02-31", "date_to": "2026-03-01"},
            "Date invalide : utilisez le format AAAA-MM-JJ.",
        ),
        ({"period": "custom", "date_from": "demain"}, "Date invalide : utilisez le format AAAA-MM-JJ."),
        (
            {"period": "custom", "date_from": "2026-02-01"},
            "Indiquez la date de début et la date de fin de la période.",
        ),
        ({"country": "FR, XX, zz"}, "Code pays inconnu : XX, ZZ."),
        ({"period": "next_century"}, "Sélectionnez un choix valide."),
        ({"currency": "DOGE"}, "Sélectionnez un choix valide."),
        ({"kind": "estimate"}, "Sélectionnez un choix valide."),
        ({"format": "docx"}, "Format de fichier inconnu : choisissez CSV, Excel ou PDF."),
    ],
)
def test_bad_input_gets_a_clear_message_on_the_page_and_no_report(owner_client, sales, params, message):
    response = owner_client.get(url("revenue"), params)

    assert response.status_code == 200
    assert message in page_text(response)
    assert "Documents de vente" not in page_text(response)
    assert "Content-Disposition" not in response


def test_a_bad_filter_refuses_the_download_too(owner_client, sales):
    response = owner_client.get(url("revenue"), {"country": "XX", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Code pays inconnu : XX." in page_text(response)


def test_greece_may_be_typed_with_its_vat_prefix(owner_client, sales):
    response = owner_client.get(url("revenue"), {"country": "EL"})

    assert response.status_code == 200
    assert "Pays : GR" in page_text(response)


def test_the_expense_list_filters_by_category_and_shows_the_accounts_categories(owner_client, acme, expenses):
    other = ExpenseCategory.objects.filter(account=acme).exclude(pk=expenses.pk).first()
    assert other is not None

    chosen = owner_client.get(url("expenses"), {"category": expenses.pk})
    other_only = owner_client.get(url("expenses"), {"category": other.pk})
    unknown = owner_client.get(url("expenses"), {"category": "999999"})

    assert "BP-17" in page_text(chosen)
    assert "BP-17" not in page_text(other_only)
    assert f'value="{other.pk}"' in chosen.content.decode()
    assert "Sélectionnez un choix valide." in page_text(unknown)


def test_the_vat_register_shows_the_ca3_boxes_and_a_chart_of_vat_by_rate(owner_client, sales):
    response = owner_client.get(url("vat-register"), {"period": "last_month", "vat_mode": "debits"})

    assert response.status_code == 200
    content = response.content.decode()
    assert '<svg class="chart"' in content
    assert 'role="img" aria-labelledby="report-chart-title report-chart-desc"' in content
    assert "Synthèse pour la déclaration CA3" in page_text(response)
    assert "Case CA3" in page_text(response)


# --- Long lists, print view -----------------------------------------------------------------------


def test_the_revenue_list_is_paged_with_totals_over_every_row(owner_client, sales, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    params = {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-03-31"}

    first = owner_client.get(url("revenue"), params)
    second = owner_client.get(url("revenue"), {**params, "page": "2"})
    past_the_end = owner_client.get(url("revenue"), {**params, "page": "99999999999999999999999"})
    not_a_number = owner_client.get(url("revenue"), {**params, "page": "deux"})

    assert [row[1] for row in table_rows(first, "Documents de vente")] == [
        "F-2026-0001",
        "F-2026-0002",
        "F-2026-0003",
    ]
    assert [row[1] for row in table_rows(second, "Documents de vente")] == ["AV-2026-0001"]
    assert [row[1] for row in table_rows(past_the_end, "Documents de vente")] == ["AV-2026-0001"]
    assert table_rows(not_a_number, "Documents de vente") == table_rows(first, "Documents de vente")
    for response in (first, second):
        assert "Total 4 documents 1 780,00" in page_text(response)
        assert "(4 lignes)" in page_text(response)
    assert "Page 1 sur 2" in page_text(first)
    assert 'rel="next"' in first.content.decode()
    assert "Page 2 sur 2" in page_text(second)


def test_the_print_view_shows_every_row_without_pages(owner_client, sales, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)

    response = owner_client.get(
        url("revenue"), {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-03-31", "print": "1"}
    )

    assert response.status_code == 200
    text = page_text(response)
    for number in ("F-2026-0001", "F-2026-0002", "F-2026-0003", "AV-2026-0001"):
        assert number in text
    assert "ACME SAS" in text
    assert "Période : du 01/02/2026 au 31/03/2026" in text
    assert '<button type="button" data-print>' in response.content.decode()
    assert "Page 1 sur" not in text


# --- Downloads ------------------------------------------------------------------------------------


def test_the_csv_download_holds_the_lines_of_the_page_with_dot_decimals_and_iso_dates(owner_client, sales):
    response = owner_client.get(
        url("revenue"),
        {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-03-31", "format": "csv"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="acme-revenue-2026-02-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0][:3] == ["Date", "Numéro", "Type"]
    assert len(rows) == 1 + 4 + 1  # header, the four documents, totals
    assert rows[1][:2] == ["2026-02-10", "F-2026-0001"]
    assert rows[1][5:8] == ["1200.00", "240.00", "1440.00"]
    assert rows[4][5] == "-100.00"
    assert rows[5][5] == "1780.00"
    # Read back, the amounts add up to the totals row.
    assert sum(Decimal(row[5]) for row in rows[1:5]) == Decimal(rows[5][5])


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.test","Payer")', "+33 1 23 45", "-2+3", "@SUM(A1)"]
)
def test_report_csvs_quote_text_a_spreadsheet_would_run_and_keep_negative_amounts(
    owner_client, acme, actor, name
):
    # A supplier named like a formula arrives with an imported e-invoice as easily as typed by hand.
    buyer = make_client(acme, name=name)
    supplier = make_client(acme, name=name, kind="supplier", siren="", vat_number="")
    invoice = make_invoice(
        actor, buyer, lines=[line("Conseil", "1", "100", "20")], issue_date=datetime.date(2026, 2, 10)
    )
    credit = document_services.create_credit_note(
        actor, invoice, lines=[line("Remise", "1", "30", "20")], reason="Geste commercial"
    )
    document_services.issue(actor, credit)
    purchase_services.ensure_default_categories(acme)
    purchase_services.create_expense(
        actor,
        acme,
        purchase_services.ExpenseInput(
            supplier_id=supplier.pk,
            category_id=ExpenseCategory.objects.filter(account=acme).values_list("pk", flat=True)[0],
            issue_date=datetime.date(2026, 2, 3),
            lines=[purchase_services.ExpenseLineInput("Papier", D(1), D("250.00"), D(20))],
            supplier_number="-BP-17",
        ),
    )
    period = {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-03-31", "format": "csv"}

    cells = {}
    for code in ("revenue", "expenses", "unpaid"):
        response = owner_client.get(url(code), period)
        assert response.status_code == 200
        cells[code] = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]

    for code in ("revenue", "expenses", "unpaid"):
        assert f"'{name}" in cells[code], code
        assert name not in cells[code], code
    assert "'-BP-17" in cells["expenses"]
    assert "-30.00" in cells["revenue"]  # the credit note's net: a number, never quoted
    assert not any(cell.startswith("'-3") for cell in cells["revenue"])


def test_a_multi_table_report_writes_each_table_after_its_title_in_csv(owner_client, sales):
    response = owner_client.get(url("unpaid"), {"format": "csv"})

    lines = response.content.decode().split("\r\n")
    assert lines[0] == "Documents impayés"
    assert lines[1].startswith("Numéro,Date,Client,Échéance")
    blank = lines.index("")
    assert lines[blank + 1] == "Balance âgée par client (EUR)"
    assert lines[blank + 2].startswith("Client,")


def test_the_excel_download_stores_numbers_and_dates_with_a_title_and_autofilter(owner_client, sales):
    response = owner_client.get(
        url("revenue"),
        {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-03-31", "format": "xlsx"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="acme-revenue-2026-02-01-2026-03-31.xlsx"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        styles = workbook.read("xl/styles.xml").decode()
    assert "ACME SAS — Liste des revenus" in sheet
    assert "Période : du 01/02/2026 au 31/03/2026" in sheet
    # The first document: its date is a date serial (2026-02-10 = 46063), its amounts numbers.
    assert re.search(r'<c r="A\d+" s="\d+"><v>46063</v></c>', sheet)
    assert re.search(r'<c r="F\d+" s="\d+"><v>1200</v></c>', sheet)
    assert re.search(r'<c r="F\d+" s="\d+"><v>1780</v></c>', sheet)  # totals row
    assert "<autoFilter " in sheet
    assert 'formatCode="#,##0.00"' in styles
    assert 'formatCode="dd/mm/yyyy"' in styles


def test_the_pdf_download_is_a_pdf_named_after_the_account_report_and_period(owner_client, sales):
    response = owner_client.get(url("vat-register"), {"period": "last_month", "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="acme-vat-register-2026-02-01-2026-02-28.pdf"'
    )
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("output", ["csv", "xlsx", "pdf"])
@pytest.mark.parametrize("code", REPORT_CODES)
def test_every_report_downloads_in_every_format(owner_client, sales, expenses, code, output):
    response = owner_client.get(url(code), {"format": output})

    assert response.status_code == 200
    assert re.fullmatch(
        rf'attachment; filename="acme-{code}-\d{{4}}-\d{{2}}-\d{{2}}-\d{{4}}-\d{{2}}-\d{{2}}\.{output}"',
        response["Content-Disposition"],
    )


@pytest.mark.parametrize("params", [{"format": "pdf"}, {"print": "1"}])
def test_a_report_too_long_to_print_is_refused_with_the_way_to_get_it(
    owner_client, sales, monkeypatch, params
):
    monkeypatch.setattr(views, "PRINT_MAX_ROWS", 3)

    refused = owner_client.get(url("revenue"), params)
    spreadsheet = owner_client.get(url("revenue"), {"format": "xlsx"})

    assert refused.status_code == 200
    assert refused["Content-Type"].startswith("text/html")
    assert "trop de lignes pour être imprimé ou mis en PDF (3 au plus)" in page_text(refused)
    assert "Content-Disposition" not in refused
    assert spreadsheet["Content-Disposition"].startswith("attachment")


# --- Queries --------------------------------------------------------------------------------------


def count_queries(client, address: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(address, params)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize("code", REPORT_CODES)
def test_each_report_page_runs_a_fixed_number_of_queries_whatever_the_data(
    owner_client, acme, actor, sales, expenses, code, django_assert_num_queries
):
    params = {"period": "custom", "date_from": "2026-01-01", "date_to": "2026-03-31"}
    owner_client.get(url(code), params)  # the first visit remembers the current account
    few = count_queries(owner_client, url(code), params)

    buyer = make_client(acme, name="Autre client", kind="both", siren="404833048", vat_number="")
    for day in (2, 3, 4):
        make_invoice(
            actor, buyer, lines=[line("Extra", "2", "75", "10")], issue_date=datetime.date(2026, 3, day)
        )
    purchase_services.create_expense(
        actor,
        acme,
        purchase_services.ExpenseInput(
            supplier_id=buyer.pk,
            category_id=expenses.pk,
            issue_date=datetime.date(2026, 3, 9),
            lines=[purchase_services.ExpenseLineInput("Encre", D(3), D("20.00"), D(20))],
        ),
    )

    with django_assert_num_queries(few):
        owner_client.get(url(code), params)
    assert few <= 12
