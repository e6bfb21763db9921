"""The account switcher in a real browser: Playwright driving Debian's Chromium (never a downloaded one)."""

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from facturier.conftest import CHROMIUM, logged_in, make_account, make_user

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


@pytest.fixture
def two_accounts(transactional_db):
    user = make_user("olivia@acme.test", "Olivia", "Martin")
    make_account("acme", "ACME SAS", user)
    make_account("zeta", "Zeta Industries", user)
    return user


def logged_in_page(browser, live_server, user) -> "Page":
    """A page whose browser carries a session of `user` (no dependency on the login form)."""
    session = logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session,
                "domain": urlsplit(live_server.url).hostname,
                "path": "/",
            }
        ]
    )
    return context.new_page()


def test_the_owner_switches_account_from_the_top_bar(browser, live_server, two_accounts):
    page = logged_in_page(browser, live_server, two_accounts)
    page.goto(f"{live_server.url}/acme/")
    sync_api.expect(page.locator("h1")).to_have_text("ACME SAS")

    page.locator("details.switcher > summary").click()
    page.locator(".switcher-results").get_by_role("link", name="Zeta Industries").click()

    page.wait_for_url(f"{live_server.url}/zeta/")
    sync_api.expect(page.locator("h1")).to_have_text("Zeta Industries")
    sync_api.expect(page.locator("details.switcher > summary")).to_contain_text("Zeta Industries")


def test_the_switcher_works_with_the_keyboard_only(browser, live_server, two_accounts):
    page = logged_in_page(browser, live_server, two_accounts)
    page.goto(f"{live_server.url}/acme/")
    switcher = page.locator("details.switcher")

    # Tab through the top bar (skip link, brand, navigation) until the switcher has the focus.
    for _press in range(12):
        page.keyboard.press("Tab")
        if switcher.locator("summary").evaluate("summary => summary === document.activeElement"):
            break
    else:
        pytest.fail("The account switcher cannot be reached with the Tab key.")
    page.keyboard.press("Enter")
    sync_api.expect(switcher).to_have_attribute("open", "")
    # The list arrives once the menu is open.
    sync_api.expect(switcher.locator(".switcher-results")).to_be_visible()

    # The accounts are listed by name: ACME SAS, then Zeta Industries.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/zeta/")
    sync_api.expect(page.locator("h1")).to_have_text("Zeta Industries")
