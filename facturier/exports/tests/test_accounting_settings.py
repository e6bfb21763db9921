"""Paramètres > Comptabilité: the chart-of-accounts mapping, fiscal year, journals, expense accounts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from facturier.billing.tests.factories import actor_for
from facturier.exports.models import AccountingSettings
from facturier.exports.settings_page import update_accounting_settings
from facturier.purchases.models import ExpenseCategory
from facturier.purchases.services import ensure_default_categories
from facturier.tenancy.errors import ReadOnlyAccountError, ServiceError
from facturier.tenancy.models import AuditEvent


def url(slug="acme"):
    return reverse("exports_settings:accounting_settings", args=[slug])


def text(response):
    return response.content.decode()


def settings_form(**fields):
    """What the page posts when saved with the defaults; override any field."""
    data = {
        "fiscal_year_end_month": "12",
        "sales_journal": "VT",
        "purchases_journal": "HA",
        "bank_journal": "BQ",
        "customer_account": "411000",
        "supplier_account": "401000",
        "bank_account": "512000",
        "suspense_account": "471000",
        "revenue_services_account": "706000",
        "revenue_goods_account": "707000",
        "revenue_services_exempt_account": "706100",
        "revenue_goods_exempt_account": "707100",
        "vat_collected_20": "445712",
        "vat_collected_10": "445713",
        "vat_collected_5_5": "445711",
        "vat_collected_2_1": "445714",
        "vat_collected_account": "445710",
        "vat_oss_account": "445718",
        "vat_pending_account": "445740",
        "vat_deductible_account": "445660",
        "vat_deductible_assets_account": "445620",
        "vat_deductible_pending_account": "445860",
        "vat_self_assessed_account": "445200",
        "vat_self_assessed_deductible_account": "445662",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def categories_form(account):
    """The expense accounts of the account's categories, as the page shows them."""
    return {
        f"category_{pk}": code
        for pk, code in ExpenseCategory.objects.filter(account=account).values_list("pk", "accounting_code")
    }


def test_the_page_is_a_404_for_an_outsider(outsider_client, acme):
    assert outsider_client.get(url()).status_code == 404
    assert outsider_client.post(url(), settings_form(bank_account="512100")).status_code == 404
    assert not AccountingSettings.objects.filter(account=acme).exists()


def test_the_page_is_a_403_for_a_member_without_the_accounting_permission(collaborator_client, acme):
    assert collaborator_client.get(url()).status_code == 403
    assert collaborator_client.post(url(), settings_form(bank_account="512100")).status_code == 403
    assert not AccountingSettings.objects.filter(account=acme).exists()


def test_the_firm_accountant_sets_the_chart_of_accounts_of_a_client_account(firm_client, acme):
    # The Comptable role keeps the books without running the account: this page is theirs too.
    assert firm_client.get(url()).status_code == 200
    response = firm_client.post(url(), settings_form(bank_account="512100"))
    assert response.status_code == 302
    assert AccountingSettings.objects.get(account=acme).bank_account == "512100"


def test_opening_the_page_shows_the_french_defaults_and_stores_nothing(owner_client, acme):
    ensure_default_categories(acme)

    response = owner_client.get(url())

    assert response.status_code == 200
    page = text(response)
    for name, value in settings_form().items():
        assert f'name="{name}" value="{value}"' in page or f'value="{value}"' in page, name
    assert 'name="vat_collected_5_5"' in page and 'value="445711"' in page
    assert "Honoraires" in page and 'value="6226"' in page
    assert '<option value="12" selected>décembre</option>' in page
    assert not AccountingSettings.objects.filter(account=acme).exists()


def test_the_settings_menu_links_to_the_page_after_billing(owner_client, acme):
    page = text(owner_client.get(url()))

    link = f'href="{url()}" aria-current="page">Comptabilité</a>'
    assert link in page
    assert page.index(">Facturation</a>") < page.index(link)


def test_saving_stores_every_mapping_and_records_what_changed(owner_client, acme, owner):
    ensure_default_categories(acme)
    fees = ExpenseCategory.objects.get(account=acme, name="Honoraires")

    response = owner_client.post(
        url(),
        settings_form(
            fiscal_year_end_month="6",
            sales_journal="ve",
            bank_journal="BQ1",
            customer_account="411 100",
            bank_account="512100",
            revenue_services_account="706500",
            vat_collected_20="4457120",
            vat_collected_2_1="",
            vat_pending_account="445800",
            **categories_form(acme) | {f"category_{fees.pk}": "622600"},
            lock_exported="on",
        ),
    )

    assert response.status_code == 302
    assert response.headers["Location"] == url()
    stored = AccountingSettings.objects.get(account=acme)
    assert stored.fiscal_year_end_month == 6
    assert (stored.sales_journal, stored.purchases_journal, stored.bank_journal) == ("VE", "HA", "BQ1")
    assert (stored.customer_account, stored.bank_account) == ("411100", "512100")
    assert stored.revenue_services_account == "706500"
    assert stored.vat_pending_account == "445800"
    assert stored.vat_collected_accounts == {"20.00": "4457120", "10.00": "445713", "5.50": "445711"}
    assert stored.vat_collected_account_for(Decimal("2.10")) == "445710"  # a blank rate: the other rates'
    assert stored.lock_exported is True
    fees.refresh_from_db()
    assert fees.accounting_code == "622600"
    [event] = AuditEvent.objects.filter(account=acme, action="accounting.settings_changed")
    assert event.actor == owner
    assert event.changes["fiscal_year_end_month"] == [12, 6]
    assert event.changes["customer_account"] == ["411000", "411100"]
    assert event.changes["vat_collected_20.00"] == ["445712", "4457120"]
    assert event.changes["vat_collected_2.10"] == ["445714", ""]
    assert event.changes["category:Honoraires"] == ["6226", "622600"]
    assert event.changes["lock_exported"] == [False, True]
    assert "supplier_account" not in event.changes and "vat_collected_10.00" not in event.changes
    page = text(owner_client.get(url()))
    assert "Les paramètres de comptabilité ont été enregistrés." in page


def test_saving_unchanged_settings_records_nothing(owner_client, acme):
    owner_client.post(url(), settings_form())
    owner_client.post(url(), settings_form())

    assert AccountingSettings.objects.filter(account=acme).exists()  # the first save creates the row
    assert not AuditEvent.objects.filter(account=acme, action="accounting.settings_changed").exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"customer_account": "411DUPONT"}, "customer_account", "ne contient que des chiffres"),
        ({"customer_account": "512000"}, "customer_account", "comptes clients (41…)"),
        ({"supplier_account": "411000"}, "supplier_account", "comptes fournisseurs (40…)"),
        ({"bank_account": "411000"}, "bank_account", "comptes financiers (classe 5"),
        ({"revenue_goods_account": "607000"}, "revenue_goods_account", "comptes de ventes (70…)"),
        ({"vat_collected_10": "706000"}, "vat_collected_10", "comptes de TVA (445…)"),
        ({"vat_deductible_account": "445710"}, "vat_deductible_account", "TVA déductible (4456…)"),
        ({"vat_oss_account": ""}, "vat_oss_account", "Ce champ est obligatoire"),
        ({"bank_account": "51"}, "bank_account", "au moins trois chiffres"),
        ({"suspense_account": "411000"}, "suspense_account", "attente (47"),
        ({"sales_journal": "V T"}, "sales_journal", "1 à 10 lettres majuscules ou chiffres"),
        ({"bank_journal": "VT"}, "bank_journal", "ont chacun leur code"),
        ({"fiscal_year_end_month": "13"}, "fiscal_year_end_month", "Sélectionnez un choix valide"),
    ],
)
def test_the_form_explains_each_bad_value_next_to_its_field(owner_client, acme, fields, field, message):
    response = owner_client.post(url(), settings_form(lock_exported="on", **fields))

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert page.index(message) > page.index(f'name="{field}"')
    assert not AccountingSettings.objects.filter(account=acme).exists()


def test_an_expense_category_needs_an_expense_or_asset_account(owner_client, acme):
    ensure_default_categories(acme)
    rent = ExpenseCategory.objects.get(account=acme, name="Loyers")

    response = owner_client.post(
        url(), settings_form(**categories_form(acme) | {f"category_{rent.pk}": "411000"})
    )

    assert response.status_code == 200
    assert "comptes de charges (classe 6) ou d&#x27;immobilisations (classe 2)" in text(response)
    rent.refresh_from_db()
    assert rent.accounting_code == "6132"


def test_the_service_checks_permission_ownership_and_values(acme, globex, owner, collaborator):
    with pytest.raises(PermissionDenied):
        update_accounting_settings(actor_for(acme, collaborator), acme, {"bank_account": "512100"})
    ensure_default_categories(globex)
    theirs = ExpenseCategory.objects.filter(account=globex).first()
    assert theirs is not None
    with pytest.raises(ServiceError):
        update_accounting_settings(actor_for(acme, owner), acme, {}, {theirs.pk: "606000"})
    with pytest.raises(ServiceError) as refused:
        update_accounting_settings(
            actor_for(acme, owner),
            acme,
            {"vat_collected_accounts": {"5.50": "7000"}, "bank_account": "512100"},
        )
    assert refused.value.field == "vat_collected_5_5"
    assert not AccountingSettings.objects.filter(account=acme, bank_account="512100").exists()
    theirs.refresh_from_db()
    assert theirs.accounting_code != "606000"


def test_a_read_only_account_cannot_change_its_settings(acme, owner, owner_client):
    acme.subscription_ends_on = datetime.date(2000, 1, 1)
    acme.save()

    page = text(owner_client.get(url()))
    assert "lecture seule" in page
    with pytest.raises(ReadOnlyAccountError):
        update_accounting_settings(actor_for(acme, owner), acme, {"bank_account": "512100"})
