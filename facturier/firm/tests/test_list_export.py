""" "Exporter la liste": the selected client accounts as CSV and XLSX, read back, with the list's columns."""

import csv
import datetime
import io
import xml.etree.ElementTree as ET
import zipfile

import pytest
import time_machine
from django.urls import reverse

from facturier.accounts.models import User
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

BULK = reverse("firm:bulk_action", args=["cabinet-dupont"])
LIST = reverse("firm:account_list", args=["cabinet-dupont"])
PARIS = datetime.timezone(datetime.timedelta(hours=1))
HEADER = [
    "Nom",
    "Adresse du compte",
    "Date de création",
    "Date de protection des documents",
    "Nombre d'utilisateurs",
    "Formule",
    "Fin de l'abonnement",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def client_account(firm, owner, slug, name, **fields):
    account = Account.objects.create(slug=slug, name=name, managed_by=firm, **fields)
    Membership.objects.create(
        account=account, user=owner, role=permissions.ROLE_ADMIN, is_owner=True, firm=firm
    )
    return account


@pytest.fixture
def partner(firm) -> User:
    return User.objects.get(email="claire@cabinet-dupont.test")


@pytest.fixture
def partner_client(partner):
    return logged_in(partner)


@pytest.fixture
def alpha(firm, partner):
    account = client_account(
        firm,
        partner,
        "alpha-conseil",
        "Alpha Conseil",
        plan=plans.MAX,
        created_at=datetime.datetime(2024, 5, 2, 10, 0, tzinfo=PARIS),
        locked_until=datetime.date(2024, 12, 31),
        subscription_ends_on=datetime.date(2099, 5, 2),
    )
    Membership.objects.create(
        account=account, user=make_user("patron@alpha.test"), role=permissions.ROLE_ADMIN
    )
    return account


@pytest.fixture
def beta(firm, partner):
    return client_account(
        firm,
        partner,
        "beta-sarl",
        "=Beta; « SARL »",  # a separator, quotes and a leading "=" must survive both formats
        plan=plans.PRO,
        created_at=datetime.datetime(2023, 1, 15, 10, 0, tzinfo=PARIS),
    )


@pytest.fixture
def gamma(firm, partner):
    return client_account(firm, partner, "gamma-bat", "Gamma Bâtiment", plan=plans.PRO)


def read_csv(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def read_xlsx(response):
    """(rows as lists of Python values, the parsed sheet, the parsed styles) from the file's XML."""
    # The XML is the application's own output, parsed in a test: the standard parser is fine here.
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        shared = ET.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314
        sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
        styles = ET.fromstring(book.read("xl/styles.xml"))  # noqa: S314
    strings = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in shared.findall("m:si", NS)]
    date_styles = {
        index
        for index, xf in enumerate(styles.findall("m:cellXfs/m:xf", NS))
        if any(
            fmt.get("numFmtId") == xf.get("numFmtId") and fmt.get("formatCode") == "dd/mm/yyyy"
            for fmt in styles.findall("m:numFmts/m:numFmt", NS)
        )
    }
    rows = []
    for row in sheet.findall("m:sheetData/m:row", NS):
        values: list = [None] * len(HEADER)
        for cell in row:
            column = ord(cell.get("r", "A")[0]) - ord("A")  # columns A to G
            raw = cell.findtext("m:v", default="", namespaces=NS)
            if cell.get("t") == "s":
                values[column] = strings[int(raw)]
            elif int(cell.get("s", "0")) in date_styles:
                values[column] = datetime.date(1899, 12, 30) + datetime.timedelta(days=int(float(raw)))
            else:
                values[column] = float(raw)
        rows.append(values)
    return rows, sheet, styles


def export(client, data, export_format):
    return client.post(BULK, {"action": "export", "format": export_format, **data})


@time_machine.travel(datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS), tick=False)
def test_the_csv_has_the_lists_columns_for_the_selected_rows(partner_client, alpha, beta, gamma):
    response = export(partner_client, {"ids": [alpha.pk, beta.pk]}, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="comptes-clients-cabinet-dupont-2026-03-09.csv"'
    )
    assert read_csv(response) == [
        HEADER,
        ["'=Beta; « SARL »", "beta-sarl", "2023-01-15", "", "1", "PRO", ""],
        ["Alpha Conseil", "alpha-conseil", "2024-05-02", "2024-12-31", "2", "MAX", "2099-05-02"],
    ]


@time_machine.travel(datetime.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS), tick=False)
def test_the_xlsx_has_real_dates_numbers_a_bold_header_and_a_filter(partner_client, alpha, beta, gamma):
    response = export(partner_client, {"ids": [alpha.pk, beta.pk]}, "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="comptes-clients-cabinet-dupont-2026-03-09.xlsx"'
    )
    rows, sheet, styles = read_xlsx(response)
    assert rows == [
        HEADER,
        ["=Beta; « SARL »", "beta-sarl", datetime.date(2023, 1, 15), None, 1.0, "PRO", None],
        [
            "Alpha Conseil",
            "alpha-conseil",
            datetime.date(2024, 5, 2),
            datetime.date(2024, 12, 31),
            2.0,
            "MAX",
            datetime.date(2099, 5, 2),
        ],
    ]
    assert sheet.find("m:autoFilter", NS).get("ref") == "A1:G3"
    widths = {
        n: float(col.get("width"))
        for col in sheet.find("m:cols", NS)
        for n in range(int(col.get("min")), int(col.get("max")) + 1)
    }
    assert sorted(widths) == list(range(1, len(HEADER) + 1))
    assert widths[1] > widths[5] > 10  # the name is the widest column
    assert sheet.find(".//m:f", NS) is None  # no formula: the "=" name is text
    header_style = int(sheet.find("m:sheetData/m:row/m:c", NS).get("s"))
    font = int(styles.find("m:cellXfs", NS)[header_style].get("fontId"))
    assert styles.find("m:fonts", NS)[font].find("m:b", NS) is not None


def test_the_export_follows_the_lists_sort(partner_client, alpha, beta, gamma):
    response = export(partner_client, {"ids": [alpha.pk, gamma.pk], "sort": "name", "dir": "desc"}, "csv")

    assert [row[0] for row in read_csv(response)[1:]] == ["Gamma Bâtiment", "Alpha Conseil"]


def test_export_every_account_matching_the_search(partner_client, firm, partner, alpha):
    for n in range(60):
        client_account(firm, partner, f"serie-{n:02}", f"Série {n:02}", plan=plans.PRO)

    rows, _sheet, _styles = read_xlsx(
        export(partner_client, {"select_all_matching": "1", "q": "série"}, "xlsx")
    )

    assert len(rows) == 61
    assert rows[1][0] == "Série 00"
    assert "Alpha Conseil" not in [row[0] for row in rows]


def test_export_of_one_account(partner_client, alpha, beta):
    rows = read_csv(export(partner_client, {"ids": [alpha.pk]}, "csv"))

    assert [row[0] for row in rows] == ["Nom", "Alpha Conseil"]


def test_an_export_changes_nothing(partner_client, alpha, beta):
    before = (AuditEvent.objects.count(), list(Account.objects.order_by("pk").values()))

    export(partner_client, {"ids": [alpha.pk, beta.pk]}, "csv")
    export(partner_client, {"ids": [alpha.pk, beta.pk]}, "xlsx")

    assert (AuditEvent.objects.count(), list(Account.objects.order_by("pk").values())) == before


def test_an_unknown_format_is_refused_with_a_message(partner_client, alpha):
    response = export(partner_client, {"ids": [alpha.pk]}, "pdf")

    assert response.status_code == 302
    assert response["Location"] == LIST


def test_an_export_naming_another_firms_account_is_refused(partner_client, alpha, outsider):
    other_firm = Account.objects.create(slug="cabinet-martin", name="Cabinet Martin", plan=plans.ACCOUNTING)
    stranger = client_account(other_firm, outsider, "delta", "Delta secret")

    response = export(partner_client, {"ids": [alpha.pk, stranger.pk]}, "csv")

    assert response.status_code == 302
    assert b"Delta secret" not in response.content
