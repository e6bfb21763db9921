"""The page "Importer des factures électroniques": several files, one result each, behind the gate."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from facturier.conftest import make_account, make_user
from facturier.einvoice.tests.test_reading import facturx_pdf, fixture
from facturier.lib import uploads
from facturier.purchases.models import Expense
from facturier.tenancy import permissions
from facturier.tenancy.models import AuditEvent, Membership, Role

URL = reverse("einvoice:expense_import", kwargs={"slug": "acme"})


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, fixture(name) if content is None else content)


def test_the_expense_list_offers_the_import(owner_client, acme):
    page = owner_client.get(reverse("purchases:expense_list", kwargs={"slug": "acme"})).content.decode()

    assert f'href="{URL}"' in page and "Importer des factures électroniques" in page


def test_the_page_asks_for_several_files(owner_client, acme):
    response = owner_client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="file" name="einvoices"' in page and " multiple" in page
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_einvoices">Factures électroniques reçues</label>' in page


def test_it_imports_several_files_and_says_what_became_of_each(owner_client, acme):
    response = owner_client.post(
        URL,
        {
            "einvoices": [
                upload("PM-2026-0042.pdf", facturx_pdf(fixture("cii_invoice.xml"))),
                upload("notes.txt", b"pas une facture"),
                upload("ubl_invoice.xml"),
                upload("cii_invoice.xml"),  # the PDF's invoice again
            ]
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    first, second = Expense.objects.filter(account=acme).order_by("pk")
    assert (first.supplier_number, second.supplier_number) == ("PM-2026-0042", "MB-7781")
    assert "2 dépenses créées" in page and "2 fichiers refusés" in page
    assert reverse("purchases:expense_detail", kwargs={"slug": "acme", "pk": first.pk}) in page
    assert reverse("purchases:expense_detail", kwargs={"slug": "acme", "pk": second.pk}) in page
    assert "Ce fichier n&#x27;est pas une facture électronique" in page
    assert "La facture PM-2026-0042 de Papeterie Martin SARL est déjà enregistrée" in page
    assert "Voir la dépense existante" in page


def test_a_file_over_10_mb_is_refused_and_the_others_imported(owner_client, acme):
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * uploads.limits().file_bytes)

    page = owner_client.post(URL, {"einvoices": [big, upload("cii_invoice.xml")]}).content.decode()

    assert "« scan.pdf » dépasse 10 Mo" in page
    assert Expense.objects.filter(account=acme).count() == 1


def test_posting_no_file_asks_for_one(owner_client, acme):
    response = owner_client.post(URL, {})

    assert response.status_code == 200
    assert "Choisissez au moins un fichier." in response.content.decode()


def test_the_collaborator_imports(collaborator_client, acme):
    response = collaborator_client.post(URL, {"einvoices": [upload("cii_invoice.xml")]})

    assert "1 dépense créée" in response.content.decode()


def test_a_member_without_purchases_create_gets_a_403(collaborator_client, acme, collaborator):
    reader = Role.objects.create(account=acme, name="Lecture", permissions=["purchases.view"])
    Membership.objects.filter(account=acme, user=collaborator).update(
        role=permissions.ROLE_CUSTOM, custom_role=reader
    )

    assert collaborator_client.get(URL).status_code == 403
    assert collaborator_client.post(URL, {"einvoices": [upload("cii_invoice.xml")]}).status_code == 403
    assert not Expense.objects.exists()


def test_an_outsider_gets_a_404_and_imports_nothing(outsider_client, acme, globex):
    assert outsider_client.get(URL).status_code == 404
    assert outsider_client.post(URL, {"einvoices": [upload("cii_invoice.xml")]}).status_code == 404
    assert not Expense.objects.exists()


def test_a_locked_period_is_explained(owner_client, acme):
    acme.locked_until = datetime.date(2026, 12, 31)
    acme.save()

    page = owner_client.post(URL, {"einvoices": [upload("cii_invoice.xml")]}).content.decode()

    assert "Les documents datés du 31/12/2026 ou avant sont protégés" in page
    assert not Expense.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_keyboard_user_imports_files(page_as, live_server, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    owner = make_user("olivia@acme.test")
    make_account(
        "acme", "ACME SAS", owner, siren="732829320", subscription_ends_on=datetime.date(2099, 12, 31)
    )
    (tmp_path / "cii_invoice.xml").write_bytes(fixture("cii_invoice.xml"))
    (tmp_path / "ubl_invoice.xml").write_bytes(fixture("ubl_invoice.xml"))
    page = page_as(owner)
    page.goto(f"{live_server.url}{URL}")

    page.get_by_label("Factures électroniques reçues").set_input_files(
        [tmp_path / "cii_invoice.xml", tmp_path / "ubl_invoice.xml"]
    )
    page.get_by_role("button", name="Importer").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("2 dépenses créées")
    page.get_by_role("link", name="Papeterie Martin SARL PM-2026-0042").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/expenses/" in page.url


def test_the_firms_accountant_imports_and_the_audit_names_the_firm(firm_client, acme, firm):
    page = firm_client.post(URL, {"einvoices": [upload("cii_invoice.xml")]}).content.decode()

    assert "1 dépense créée" in page
    assert Expense.objects.get(account=acme).supplier.name == "Papeterie Martin SARL"
    assert AuditEvent.objects.get(account=acme, action="expense.imported").via_firm == firm


def test_the_page_offers_the_self_assessed_rate_and_applies_it(owner_client, acme):
    page = owner_client.get(URL).content.decode()
    assert "Taux de la TVA autoliquidée" in page
    assert (
        '<option value="20" selected>20 %</option>' in page and '<option value="5.5">5,5 %</option>' in page
    )

    owner_client.post(URL, {"einvoices": [upload("ubl_invoice.xml")], "self_assessed_rate": "10"})

    expense = Expense.objects.get(account=acme)
    assert (expense.lines.get().vat_rate, expense.self_assessed_vat_total) == (D(10), D("30.00"))


def test_the_page_refuses_a_rate_it_does_not_offer(owner_client, acme):
    response = owner_client.post(URL, {"einvoices": [upload("ubl_invoice.xml")], "self_assessed_rate": "0"})

    assert response.status_code == 200
    assert response.context["form"].errors["self_assessed_rate"]
    assert not Expense.objects.filter(account=acme).exists()
