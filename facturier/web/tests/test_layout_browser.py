"""The main pages of every area at a phone's, a laptop's and a large screen's size, in Chromium:

- nothing scrolls sideways (the page is never wider than the window);
- tokens (amounts, dates, document numbers, badges, buttons) never wrap onto a second line;
- axe-core (vendored in tests/vendor, MPL 2.0) finds no serious or critical accessibility violation;
- a screenshot of each page lands in var/screenshots/layout/ to look at what users see.

Also the account navigation on a phone: folded behind "Menu" with JavaScript, unfolded without it.
"""

import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

from facturier.billing.models import Kind
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.conftest import CHROMIUM, logged_in
from facturier.purchases import services as purchases
from facturier.purchases.models import ExpenseCategory
from facturier.reports.base import REPORT_CODES
from facturier.tenancy.models import Account

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium).",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Browser tests need the playwright package.")

SIZES = {"phone": (390, 844), "laptop": (1366, 900), "wide": (1920, 1080)}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "layout"
AXE = Path(__file__).resolve().parents[2] / "tests" / "vendor" / "axe.min.js"
# The classes of the tokens that must stay on one line (static/css/app.css gives them white-space: nowrap).
TOKENS = ".nowrap, .num, .amount, .date, .doc-number, .badge"

# Elements wider than the window, and tokens laid out on more than one line (their text's line boxes).
OVERFLOW_JS = """() => {
  const found = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      const name = el.tagName + (typeof el.className === "string" && el.className ? "." + el.className : "");
      if (box.width && box.right > window.innerWidth + 1) found.push(name + " ends at " + Math.round(box.right));
    }
    found.unshift("scrollWidth " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  }
  return found.slice(0, 6);
}"""
WRAPPED_JS = """(selector) => {
  const wrapped = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.offsetWidth || !el.textContent.trim()) continue;
    // The line boxes of its text: one distinct baseline per line.
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.bottom / 4));
    }
    if (tops.size > 1) wrapped.push(el.tagName + " " + el.textContent.trim().slice(0, 40));
  }
  return wrapped.slice(0, 6);
}"""
AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


@pytest.fixture
def pages(transactional_db, acme: Account, owner, firm, firm_accountant) -> dict[str, Any]:
    """Acme with a little of everything (a long client name, several kinds and states of document, an
    expense), managed by the firm; the pages to visit and who visits them."""
    acme.managed_by = firm
    acme.save(update_fields=["managed_by"])
    actor = actor_for(acme, owner)
    client = make_client(acme, name="Société Générale des Établissements Industriels du Grand Ouest")
    other = make_client(acme, name="Dupont SARL", siren="443061841", vat_number="")
    today = acme.today()
    invoice = make_invoice(
        actor,
        client,
        [line("Conseil en organisation", "3", "1234.5", "20"), line("Déplacement", "1", "85.5", "10")],
    )
    paid = make_invoice(actor, other, [line("Formation", "2", "990", "20")])
    record_payment(actor, acme, date=today, amount=Decimal("500"), documents=[paid])
    make_invoice(actor, client, kind=Kind.ESTIMATE)
    make_invoice(actor, other, issue=False)
    make_invoice(
        actor,
        client,
        kind=Kind.ADVANCE,
        issue_date=today - datetime.timedelta(days=60),
        due_date=today - datetime.timedelta(days=30),
    )
    purchases.ensure_default_categories(acme)
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    purchases.create_expense(
        actor,
        acme,
        purchases.ExpenseInput(
            supplier_id=supplier.pk,
            category_id=ExpenseCategory.objects.filter(account=acme).first().pk,  # type: ignore[union-attr]
            issue_date=today,
            lines=[purchases.ExpenseLineInput("Papier", Decimal(12), Decimal("4.5"), Decimal(20))],
            supplier_number="FA-2026-000123",
        ),
    )
    paths = {
        "dashboard": "/acme/",
        "sales": "/acme/documents/",
        "invoice-form": "/acme/documents/new/?kind=vat",
        "document": f"/acme/documents/{invoice.pk}/",
        "clients": "/acme/clients/",
        "client": f"/acme/clients/{client.pk}/",
        "products": "/acme/products/",
        "payments": "/acme/payments/",
        "expenses": "/acme/expenses/",
        "reports": "/acme/reports/",
        **{f"report-{code}": f"/acme/reports/{code}/" for code in REPORT_CODES},
        "exports": "/acme/exports/",
        "settings": "/acme/settings/",
        "users": "/acme/settings/users/",
        "switcher": "/accounts/switcher/",
    }
    firm_paths = {"firm-dashboard": "/cabinet-dupont/", "client-accounts": "/cabinet-dupont/firm/accounts/"}
    return {"owner": (owner, paths), "firm": (firm_accountant, firm_paths)}


def visit(page: "Page", url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"


@pytest.mark.parametrize("size", list(SIZES))
def test_the_main_pages_fit_the_screen_and_pass_axe(page_as, live_server, pages, size):
    width, height = SIZES[size]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Buttons may wrap between their words on a phone rather than widen the page (never inside a word).
    tokens = TOKENS if size == "phone" else f"{TOKENS}, button, .button"
    problems: list[str] = []
    for user, paths in pages.values():
        page = page_as(user)
        page.set_viewport_size({"width": width, "height": height})
        for name, path in paths.items():
            visit(page, live_server.url + path)
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}x{height}.png", full_page=True)
            problems += [f"{name} overflows: {item}" for item in page.evaluate(OVERFLOW_JS)]
            problems += [f"{name} wraps a token: {item}" for item in page.evaluate(WRAPPED_JS, tokens)]
            if size != "wide":
                page.add_script_tag(path=str(AXE))
                problems += [f"{name} axe: {item}" for item in page.evaluate(AXE_JS)]
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def phone(page_as, live_server, pages) -> "Page":
    owner, _paths = pages["owner"]
    page = page_as(owner)
    page.set_viewport_size({"width": 390, "height": 844})
    visit(page, f"{live_server.url}/acme/documents/")
    return page


def test_the_navigation_folds_behind_menu_on_a_phone(phone):
    expect = sync_api.expect
    toggle = phone.get_by_role("button", name="Menu")
    navigation = phone.get_by_role("navigation", name="Navigation du compte")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(navigation).to_be_hidden()

    toggle.focus()
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(navigation.get_by_role("link", name="Dépenses")).to_be_visible()
    # The first link takes the focus; Escape folds the menu and gives the focus back to the button.
    expect(navigation.get_by_role("link", name="Tableau de bord")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(navigation).to_be_hidden()
    expect(toggle).to_be_focused()

    # A tap beside the unfolded navigation folds it.
    toggle.click()
    expect(navigation).to_be_visible()
    phone.mouse.click(370, 600)
    expect(navigation).to_be_hidden()

    toggle.click()
    navigation.get_by_role("link", name="Dépenses").click()
    phone.wait_for_url("**/acme/expenses/")
    expect(phone.locator("h1")).to_have_text("Dépenses")


def test_the_switcher_and_the_profile_are_reachable_on_a_phone(phone):
    expect = sync_api.expect
    phone.locator("details.profile > summary").click()
    profile = phone.get_by_role("link", name="Mon profil")
    expect(profile).to_be_in_viewport()
    phone.locator("details.switcher > summary").click()
    expect(phone.locator(".switcher-results")).to_be_in_viewport()
    profile_box = phone.locator("details.switcher .menu-panel").bounding_box()
    assert (
        profile_box is not None and profile_box["x"] >= 0 and profile_box["x"] + profile_box["width"] <= 390
    )


def test_a_list_s_filters_fold_on_a_phone_unless_one_is_active(phone, live_server):
    expect = sync_api.expect
    search = phone.get_by_role("search", name="Filtrer les documents")
    expect(search).to_be_hidden()
    phone.get_by_text("Filtres", exact=True).click()
    expect(search).to_be_visible()
    visit(phone, f"{live_server.url}/acme/documents/?kind=vat")
    expect(phone.get_by_role("search", name="Filtrer les documents")).to_be_visible()
    expect(phone.get_by_text("Filtres actifs")).to_be_visible()


def test_without_javascript_the_navigation_stays_unfolded(browser, live_server, pages):
    owner, _paths = pages["owner"]
    session = logged_in(owner).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    visit(page, f"{live_server.url}/acme/")
    navigation = page.get_by_role("navigation", name="Navigation du compte")
    sync_api.expect(navigation.get_by_role("link", name="Dépenses")).to_be_visible()
    sync_api.expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_amounts_and_badges_read_as_french_on_the_sales_list(page_as, live_server, pages):
    owner, _paths = pages["owner"]
    page = page_as(owner)
    visit(page, f"{live_server.url}/acme/documents/")
    badges = page.locator(".document-status").all_inner_texts()
    assert "Payée partiellement" in badges and "Brouillon" in badges and "Émis" in badges  # the quote
    assert "Émise" in badges
