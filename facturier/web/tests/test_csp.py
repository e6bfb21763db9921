"""The Content-Security-Policy needs no 'unsafe-inline' for scripts: no template runs code of its own
(inline <script>, on…= handlers, javascript: links, htmx's hx-on), and the pages work under the
recommended policy in a real browser."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from facturier.billing.models import Document
from facturier.billing.tests.factories import make_client, make_product
from facturier.ops.middleware import RECOMMENDED_CSP

TEMPLATES = Path(settings.PACKAGE_DIR) / "templates"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
# An attribute named on…, at the start of an attribute (after a space or a newline) in a tag.
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
INLINE_CODE = re.compile(r"javascript:|\bhx-on\b|hx-on:|\bhx-vars\b|\bjs:", re.IGNORECASE)


def templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_the_templates_are_found():
    assert len(templates()) > 100


@pytest.mark.parametrize("template", templates(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_no_template_holds_an_inline_script_or_handler(template):
    text = template.read_text(encoding="utf-8")
    inline = [attrs for attrs in SCRIPT_TAG.findall(text) if "src=" not in attrs]
    assert not inline, "an inline <script>: move it to static/js/ (data- attributes, event listeners)"
    assert not HANDLER.search(text), "an on…= attribute: listen to the event from static/js/"
    assert not INLINE_CODE.search(text), "code in an attribute or a link: move it to static/js/"


def test_the_checks_catch_what_they_look_for():
    assert [a for a in SCRIPT_TAG.findall('<script>alert(1)</script><script src="x.js">') if "src=" not in a]
    assert HANDLER.search('<select name="language"\n  onchange="this.form.submit()">')
    assert not HANDLER.search('<a href="/" data-back>Revenir on=</a>')
    assert INLINE_CODE.search('<a href="javascript:history.back()">')


def test_the_recommended_policy_allows_scripts_from_the_site_only():
    script_src = next(part for part in RECOMMENDED_CSP.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    deployment = (Path(settings.BASE_DIR) / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert f'FACTURIER_CSP="{RECOMMENDED_CSP}"' in deployment


def test_htmx_is_told_never_to_evaluate_code(owner_client):
    page = owner_client.get("/acme/").content.decode()
    assert """<meta name="htmx-config" content='{"allowEval": false}'>""" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_invoice_form_works_under_the_enforced_policy(page_as, live_server, settings, owner, acme):
    expect = pytest.importorskip("playwright.sync_api").expect
    settings.FACTURIER_CSP = RECOMMENDED_CSP
    settings.FACTURIER_CSP_REPORT_ONLY = False
    make_client(acme, name="Boulangerie Martin")
    make_product(acme, name="Conseil", unit="h", unit_price=Decimal("350"), vat_rate=Decimal("20"))
    page = page_as(owner)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(f"{live_server.url}/acme/documents/new/")
    assert response.headers["content-security-policy"] == RECOMMENDED_CSP

    # The form's script (static/js/document-form.js) and htmx both run.
    page.fill("#client-search", "boulang")
    page.locator("#client-search").press("Enter")
    expect(page.locator("#id_client option:checked")).to_have_text("Boulangerie Martin")
    page.select_option("#id_lines-0-product", label="Conseil")
    expect(page.locator("#id_lines-0-name")).to_have_value("Conseil")
    expect(page.locator('#document-totals [data-total="gross"]')).to_have_text("420,00\xa0€")
    page.locator("[data-add-line]").click()
    expect(page.locator("#id_lines-1-product")).to_be_focused()
    page.get_by_role("link", name="Nouveau client").click()
    expect(page.locator("#new-client-dialog")).to_be_visible()
    page.get_by_role("button", name="Annuler").last.click()
    expect(page.locator("#new-client-dialog")).to_be_hidden()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button[value=draft]").click()
    page.wait_for_url(re.compile(r".*/acme/documents/\d+/$"))
    assert Document.objects.get().lines.get().name == "Conseil"

    # The print page's button, and the language select of the top bar.
    page.goto(f"{live_server.url}/acme/documents/{Document.objects.get().pk}/print/")
    page.goto(f"{live_server.url}/acme/")

    assert not [text for text in problems if "Content Security Policy" in text or "Refused" in text], problems
    assert not problems, problems
