"""The accounting firm's whole story (issue 4, section 9) in a real browser, through the pages only.

Playwright drives Debian's Chromium (never a downloaded one). The owner of an account on the accounting
plan logs in with the login form, turns the firm module on, creates two client accounts, adds the client
as administrator of one, moves between accounts with the top bar, changes the lock date of both from the
"Comptes clients" list, exports the list, disconnects one and hands its ownership over to the client.
Screenshots of the main pages land in var/screenshots/ (git-ignored), to look at what the user saw.
"""

import datetime
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import pytest
from django.conf import settings

from facturier.conftest import CHROMIUM, PASSWORD, make_account, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, Membership

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CLIENT_EMAIL = "lea.bonnet@fleurs-de-lea.test"
CLIENT_PASSWORD = "Bouquets-de-printemps-2025"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium).",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Browser tests need the playwright package.")
expect = sync_api.expect


def screenshot(page: "Page", name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"firm-story-{name}.png", full_page=True)


def switch_to(page: "Page", name: str) -> None:
    """Open another account from the top bar's account switcher."""
    page.locator("details.switcher > summary").click()
    page.locator(".switcher-results").get_by_role("link", name=re.compile(re.escape(name))).click()
    expect(page.locator("h1")).to_have_text(name)


def xlsx_text(path: Path) -> str:
    """Every XML part of an XLSX file, to look for cell values without a spreadsheet reader."""
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/"))


def test_a_firm_enables_the_module_creates_manages_and_hands_over_client_accounts(
    browser, live_server, transactional_db
):
    claire = make_user("claire@cabinet-dupont.test", "Claire", "Dupont")
    firm = make_account(
        "cabinet-dupont",
        "Cabinet Dupont",
        claire,
        plan=plans.ACCOUNTING,
        subscription_ends_on=datetime.date(2099, 12, 31),
    )
    # One date for the lock date of both client accounts: the end of last month, in the past.
    lock_date = firm.today().replace(day=1) - datetime.timedelta(days=1)
    page = browser.new_context(locale="fr-FR", accept_downloads=True).new_page()
    # "Désigner comme propriétaire du compte" asks for confirmation (data-confirm): the user says yes.
    page.on("dialog", lambda dialog: dialog.accept())

    # Logging in with the form leads to the only account's dashboard, without the firm's buttons yet.
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Adresse email").fill(claire.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1")).to_have_text("Cabinet Dupont")
    expect(page.get_by_role("link", name="Comptes clients")).to_have_count(0)

    # 1. Paramètres > Votre compte > Comptabilité et Exports: "Module dédié aux cabinets comptables".
    page.get_by_role("navigation", name="Navigation du compte").get_by_role("link", name="Paramètres").click()
    expect(page.locator("h1")).to_have_text("Votre compte")
    section = page.get_by_role("form", name="Comptabilité et Exports")
    section.get_by_label("Module dédié aux cabinets comptables").check()
    screenshot(page, "01-settings")
    section.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_label("Module dédié aux cabinets comptables")).to_be_checked()

    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("link", name="Ajouter une nouvelle compagnie")).to_be_visible()
    expect(page.get_by_role("link", name="Comptes clients")).to_be_visible()
    screenshot(page, "02-firm-dashboard")

    # 2. Creating a client account: the proposed address is the firm's next number; typing the company
    # name makes it the address, checked live.
    page.get_by_role("link", name="Ajouter une nouvelle compagnie").click()
    address = page.get_by_label("Adresse du compte")
    expect(address).to_have_value("cabinet-dupont-2")
    page.get_by_label("Nom de l'entreprise du client").press_sequentially("Garage Moreau")
    expect(address).to_have_value("garage-moreau")
    expect(page.locator("#slug-messages")).to_contain_text("Adresse disponible")
    # The address field is swapped in as the name is typed: nothing of the template shows as text.
    expect(page.locator("main")).not_to_contain_text("{#")
    screenshot(page, "03-new-client-account")
    page.get_by_role("button", name="Créer").click()
    # The new account opens on its users, its creator as owner, acting for the firm.
    expect(page.locator("h1")).to_have_text("Utilisateurs")
    expect(page.locator(".messages")).to_contain_text("Le compte « Garage Moreau » a été créé")
    owner_row = page.get_by_role("row", name=re.compile(re.escape(claire.email)))
    expect(owner_row).to_contain_text("Propriétaire")
    expect(owner_row).to_contain_text("via Cabinet Dupont")

    # From the client account, back to the firm in one click, and a second client account.
    page.get_by_role("banner").get_by_role("link", name="Cabinet Dupont", exact=True).click()
    expect(page.locator("h1")).to_have_text("Cabinet Dupont")
    page.get_by_role("link", name="Ajouter une nouvelle compagnie").click()
    page.get_by_label("Nom de l'entreprise du client").press_sequentially("Fleurs de Léa")
    expect(address).to_have_value("fleurs-de-lea")
    # An address already taken is refused as it is typed, then a free one is accepted.
    address.fill("")
    address.press_sequentially("garage-moreau")
    expect(page.locator("#slug-messages")).to_contain_text("L'adresse « garage-moreau » est déjà prise.")
    expect(address).to_have_attribute("aria-invalid", "true")
    screenshot(page, "04-address-taken")
    address.fill("")
    address.press_sequentially("fleurs-de-lea")
    expect(page.locator("#slug-messages")).to_contain_text("Adresse disponible : http://")
    expect(page.locator("#slug-messages")).to_contain_text("/fleurs-de-lea/")
    page.get_by_role("button", name="Créer").click()
    expect(page.locator(".messages")).to_contain_text("Le compte « Fleurs de Léa » a été créé")

    # 4. Switching accounts from the top bar: from the new client account to the firm.
    switch_to(page, "Cabinet Dupont")
    page.get_by_role("link", name="Comptes clients").click()
    expect(page.locator("h1")).to_have_text("Comptes clients")
    rows = page.locator("table.client-accounts tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Fleurs de Léa")
    expect(rows.nth(1)).to_contain_text("Garage Moreau")
    screenshot(page, "05-client-accounts")

    # 3. The client as Administrateur of their account, from the list's row action.
    page.get_by_role("link", name="Ajouter un utilisateur Fleurs de Léa").click()
    expect(page.get_by_label("Rôle")).to_have_value(permissions.ROLE_ADMIN)
    page.get_by_label("Adresse email").fill(CLIENT_EMAIL)
    page.get_by_label("Choisir un mot de passe, que vous lui communiquerez").check()
    page.get_by_label("Mot de passe", exact=True).fill(CLIENT_PASSWORD)
    screenshot(page, "06-add-client-user")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"{CLIENT_EMAIL} a été ajouté au compte Fleurs de Léa")
    expect(rows.nth(0).locator("td.amount")).to_have_text("2")

    # 5. Both accounts selected, one lock date for both.
    page.get_by_role("checkbox", name="Sélectionner Fleurs de Léa").check()
    page.get_by_role("checkbox", name="Sélectionner Garage Moreau").check()
    page.get_by_role("button", name="Changer la date de restriction de modification").click()
    expect(page.locator("h1")).to_have_text("Changer la date de restriction de modification")
    page.get_by_label("Nouvelle date de protection des documents").fill(lock_date.isoformat())
    screenshot(page, "07-lock-date")
    page.get_by_role("button", name="Appliquer aux 2 comptes").click()
    expect(page.locator(".messages")).to_contain_text(
        "Date de protection des documents changée pour 2 comptes clients"
    )
    shown_date = lock_date.strftime("%d/%m/%Y")
    expect(rows.nth(0)).to_contain_text(shown_date)
    expect(rows.nth(1)).to_contain_text(shown_date)

    # The list of both, exported as an Excel file and read back.
    page.get_by_role("checkbox", name="Sélectionner tous les comptes de la page").check()
    page.get_by_label("Format du fichier").select_option("xlsx")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Exporter la liste").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    exported = xlsx_text(Path(download.path()))
    for name in ("Garage Moreau", "Fleurs de Léa", "fleurs-de-lea", "garage-moreau"):
        assert escape(name) in exported, name

    # 7. Disconnecting one account: the confirmation page lists it, and only it.
    page.reload()  # a fresh list: nothing ticked
    page.get_by_role("checkbox", name="Sélectionner Fleurs de Léa").check()
    page.get_by_role("button", name="Déconnecter", exact=True).click()
    expect(page.locator("h1")).to_have_text("Déconnecter des comptes clients")
    selected = page.get_by_role("list", name="1 compte client sélectionné")
    expect(selected.get_by_role("listitem")).to_have_count(1)
    expect(selected).to_contain_text("Fleurs de Léa")
    screenshot(page, "08-disconnect")
    page.get_by_role("button", name="Déconnecter ce compte").click()
    expect(page.locator(".messages")).to_contain_text("1 compte client a été déconnecté : Fleurs de Léa")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Garage Moreau")

    # Handing the disconnected account over: Paramètres > Utilisateurs, "Désigner comme propriétaire".
    switch_to(page, "Fleurs de Léa")
    page.get_by_role("navigation", name="Navigation du compte").get_by_role("link", name="Paramètres").click()
    page.get_by_role("navigation", name="Paramètres du compte").get_by_role(
        "link", name="Utilisateurs"
    ).click()
    client_row = page.get_by_role("row", name=re.compile(re.escape(CLIENT_EMAIL)))
    client_row.get_by_role("button", name="Désigner comme propriétaire du compte").click()
    expect(page.locator(".messages")).to_contain_text(f"{CLIENT_EMAIL} est désormais propriétaire du compte")
    expect(client_row).to_contain_text("Propriétaire")
    expect(page.get_by_role("row", name=re.compile(re.escape(claire.email)))).not_to_contain_text(
        "Propriétaire"
    )
    screenshot(page, "09-handed-over")

    # What is stored: one client account still managed and locked, the other free, locked, and the
    # client's own; the firm user stays its administrator until the client removes them.
    garage = Account.objects.get(slug="garage-moreau")
    fleurs = Account.objects.get(slug="fleurs-de-lea")
    assert (garage.managed_by, garage.locked_until, garage.plan) == (firm, lock_date, plans.PRO)
    assert (fleurs.managed_by, fleurs.locked_until, fleurs.plan) == (None, lock_date, plans.PRO)
    owners = {m.account.slug: m.user.email for m in Membership.objects.filter(is_owner=True)}
    assert owners == {
        "cabinet-dupont": claire.email,
        "garage-moreau": claire.email,
        "fleurs-de-lea": CLIENT_EMAIL,
    }
    staff = Membership.objects.get(account=fleurs, user=claire)
    assert (staff.role, staff.firm) == (permissions.ROLE_ADMIN, firm)
    client = Membership.objects.get(account=fleurs, user__email=CLIENT_EMAIL)
    assert (client.role, client.firm) == (permissions.ROLE_ADMIN, None)
    assert Account.objects.get(pk=firm.pk).is_firm
