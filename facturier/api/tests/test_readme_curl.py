"""Every curl example of the official README, run as written against Facturier: only the host and the
token are replaced, and the README's sample ids (`100`, `INVOICE_ID`, `ID_CLIENTA`...) by rows of a
small account (a client, a product coded REFABC, an issued invoice, a category, a payment).

Each example must succeed (2xx), unless it is listed in REFUSED below with the status Facturier answers
and why; docs/api.md ("The README's curl examples") keeps the same list. Nothing may answer 5xx or
anything but JSON (or the PDF or ZIP it asked for).

The README is the project's reference copy (shared/reference/official-api/, not part of the project:
it is read where it lies, or from FACTURIER_OFFICIAL_API_README); without it these tests are skipped.
"""

import base64
import datetime
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from facturier.api.tests.conftest import token_of
from facturier.billing.models import Kind
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice, make_product
from facturier.webhooks.models import Webhook

README = Path(
    os.environ.get(
        "FACTURIER_OFFICIAL_API_README",
        Path(__file__).resolve().parents[4] / "shared/reference/official-api/vosfactures-README.md",
    )
)
HOSTS = re.compile(r"https?://[a-z.]*vosfactures[a-z.]*(?=/)")


@dataclass(frozen=True)
class Example:
    line: int  # of the README, where its curl starts
    text: str


def examples() -> list[Example]:
    """The curl commands of the README, each with its continuation lines (to the end of its code block)."""
    if not README.is_file():
        return []
    lines = README.read_text(encoding="utf-8").splitlines()
    found = []
    for number, text in enumerate(lines, start=1):
        if re.match(r"\s*curl\s", text):
            body = [text]
            for following in lines[number:]:
                if following.strip().startswith("```") or re.match(r"\s*curl\s", following):
                    break
                body.append(following)
            found.append(Example(number, "\n".join(body)))
    return found


# README line → (the status Facturier answers, why). Every other example answers 2xx. Status 0: not a
# command a shell could run as written.
NOT_JSON = "the README's body is not JSON"
NOT_SHELL = "the README's command is not valid shell"
XML = "an .xml path: Facturier serves JSON only (406 naming the .json path)"
NOT_MANAGED = "a resource Facturier does not manage (422 saying so)"
REFUSED: dict[int, tuple[int, str]] = {
    573: (406, XML),
    582: (406, XML),
    654: (406, XML + "; HTTP Basic itself is served on .json paths"),
    687: (422, "tax 23: not a French VAT rate (the example's buyer is French, no OSS)"),
    722: (422, "tax 23: not a French VAT rate (the example's buyer is French, no OSS)"),
    757: (400, NOT_JSON + ": an unquoted key (name:)"),
    780: (400, NOT_JSON + ": typographic quotes around a key"),
    800: (400, NOT_JSON + ": typographic quotes around a key"),
    856: (400, NOT_JSON + ": a decimal comma in a number (10,20)"),
    887: (400, NOT_JSON + ": a decimal comma in a number (10,20)"),
    922: (422, "a subtotal row: not made yet (422 on positions)"),
    950: (422, "a text separator row: not made yet (422 on positions)"),
    1001: (422, "the example's buyer_tax_no is not a valid VAT number"),
    1030: (400, NOT_JSON + ": unquoted api_token"),
    1057: (400, NOT_JSON + ": unquoted api_token"),
    1084: (400, NOT_JSON + ": unquoted api_token"),
    1220: (400, NOT_JSON + ": '...' in the list of advances"),
    1238: (422, "tax 23: not a French VAT rate (the example's buyer is French, no OSS)"),
    1305: (
        0,
        NOT_SHELL + ": a typographic quote in the body (invoice to be completed: 422 on status anyway)",
    ),
    1350: (400, NOT_JSON + ": a trailing comma"),
    1482: (
        0,
        "the upload of step 2 (-F) to the url the credentials answer (received_url), not runnable as written",
    ),
    1494: (
        422,
        "add_attachment with no file sent first (the README's step 2): nothing named name.ext to attach",
    ),
    1523: (0, NOT_SHELL + ": an apostrophe inside the single-quoted body"),
    1543: (422, NOT_MANAGED + ": recurrings"),
    1553: (422, NOT_MANAGED + ": recurrings"),
    1581: (422, NOT_MANAGED + ": recurrings"),
    1637: (422, NOT_MANAGED + ": recurrings"),
    1692: (404, "the reminders report is not served"),
    1729: (422, NOT_MANAGED + ": departments"),
    1746: (422, NOT_MANAGED + ": departments"),
    1763: (422, NOT_MANAGED + ": departments"),
    1770: (422, NOT_MANAGED + ": departments"),
    1777: (422, NOT_MANAGED + ": departments"),
    1784: (0, "a multipart upload (-F) of a department's logo"),
    2008: (422, "the example's tax_no is not a valid VAT number"),
    2059: (0, NOT_SHELL + ": an apostrophe inside the single-quoted body (addresses are not served either)"),
    2085: (400, NOT_JSON + ": a trailing comma"),
    2120: (400, NOT_JSON + ": '...' in merge_ids"),
    2178: (400, NOT_JSON + ": comments after the values"),
    2195: (400, NOT_JSON + ": unquoted placeholders and a trailing comma (product packages)"),
    2228: (400, NOT_JSON + ": comments after the values"),
    2326: (422, NOT_MANAGED + ": price_lists"),
    2348: (422, NOT_MANAGED + ": price_lists"),
    2369: (422, NOT_MANAGED + ": price_lists"),
    2400: (422, NOT_MANAGED + ": price_lists"),
    2425: (422, NOT_MANAGED + ": price_lists"),
    2432: (400, NOT_JSON + ": a missing comma"),
    2456: (400, NOT_JSON + ": a missing comma"),
    **dict.fromkeys(
        (2551, 2559, 2567, 2574, 2597, 2619, 2641, 2666, 2680), (422, NOT_MANAGED + ": warehouse_documents")
    ),
    **dict.fromkeys((2690, 2697, 2704, 2722, 2739), (422, NOT_MANAGED + ": warehouses")),
    2751: (422, NOT_MANAGED + ": warehouse_actions"),
    2838: (406, XML),
    2850: (406, XML),
    2864: (406, XML),
    2877: (406, XML),
    2907: (422, "generate_invoice: Facturier does not make an invoice from a payment (422 saying so)"),
    2976: (400, NOT_JSON + ": a trailing comma"),
    3011: (400, NOT_JSON + ": a missing comma"),
    3076: (422, "account deletion: the books must be kept ten years (422 saying so)"),
    3133: (400, NOT_JSON + ": a missing comma"),
    3184: (400, NOT_JSON + ": non-breaking spaces as indentation"),
    3200: (400, NOT_JSON + ": non-breaking spaces as indentation"),
}


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    data: str | None
    user: str | None


def parse(example: Example) -> Request | None:
    """The request a curl command makes, or None when the README's text is not a shell command."""
    text = re.sub(r"\\[ \t]*\n", " ", example.text)
    try:
        split = shlex.split(text)
    except ValueError:
        return None
    method: str | None = None
    url: str | None = None
    headers: dict[str, str] = {}
    data: str | None = None
    user: str | None = None
    words = iter(split[1:])
    for word in words:
        if word in ("-X", "--request"):
            method = next(words, "GET")
        elif word in ("-H", "--header"):
            name, _sep, value = next(words, "").partition(":")
            headers[name.strip().lower()] = value.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            data = next(words, "")
        elif word in ("-u", "--user"):
            user = next(words, "")
        elif word in ("-o", "--output", "-F", "--form"):
            next(words, None)
            if word in ("-F", "--form"):
                return None  # an upload to the vendor's file storage, not the API
        elif word.startswith("-"):
            continue
        elif url is None and "/" in word:
            url = word
        elif word == "POST" or word == "PUT":
            method = word
    if url is None:
        return None
    return Request(method or ("POST" if data is not None else "GET"), url, headers, data, user)


@dataclass
class World:
    token: str
    ids: dict[str, Any]


@pytest.fixture
def world(acme, owner, without_legal_mentions) -> World:
    token = token_of(owner, acme)
    client = make_client(acme, name="Client Untel")
    spare = make_client(acme, name="Client Deux", siren="", vat_number="")
    product = make_product(acme, code="REFABC")
    actor = actor_for(acme, owner)
    # Dated before the README's examples: invoices are numbered in date order.
    old = datetime.date(2012, 1, 2)
    lines = [line("Conseil", "1", "100", "20")]
    invoice = make_invoice(actor, client, lines=lines, issue_date=old)
    second = make_invoice(actor, client, lines=[line("Conseil", "2", "100", "20")], issue_date=old)
    draft = make_invoice(actor, client, lines=lines, issue=False)
    quoted = [line("Chantier", "10", "100", "20")]
    estimate = make_invoice(actor, client, lines=quoted, kind=Kind.ESTIMATE, issue_date=old)
    proforma = make_invoice(actor, client, lines=lines, kind=Kind.PROFORMA, issue_date=old)
    webhook = Webhook.objects.create(account=acme, kind="client:create", url="https://93.184.215.14/hook")
    http = Client()
    category = http.post(
        f"/categories.json?api_token={token}",
        {"category": {"name": "Voyages"}},
        content_type="application/json",
    ).json()
    payment = http.post(
        f"/banking/payments.json?api_token={token}",
        {"banking_payment": {"price": "10", "invoice_id": invoice.pk}},
        content_type="application/json",
    ).json()
    return World(
        token,
        {
            "invoices": invoice.pk,
            "second_invoice": second.pk,
            "draft": draft.pk,
            "draft_line": draft.lines.get().pk,
            "estimate": estimate.pk,
            "proforma": proforma.pk,
            "clients": client.pk,
            "spare_client": spare.pk,
            "products": product.pk,
            "categories": category["id"],
            "payments": payment["id"],
            "webhooks": webhook.pk,
        },
    )


# The README's placeholders for ids of a given kind, written where the reader puts their own.
PLACEHOLDERS = {
    "ID_du_devis": "estimate",
    "ID_de_la_proforma": "proforma",
    "ID_de_la_facture": "invoices",
    "ID_du_document_source": "invoices",
    "INVOICE_ID": "invoices",
    "ID_CLIENTA": "clients",
    "ID_contact1": "clients",
    "ID_Contact2": "spare_client",
    "ID_contact2": "spare_client",
    "CLIENT_ID": "clients",
    "id_produitA": "products",
}


def substituted(text: str, world: World, method: str = "GET") -> str:
    """The README's placeholders and sample ids replaced by the world's. Changes and deletions of an
    invoice or a client go to a draft and to a client without documents: what an integration amends
    (with the account's drafts option) and deletes; issued documents and clients in use refuse them."""
    ids = world.ids
    writes = method in ("PUT", "PATCH", "DELETE")
    text = HOSTS.sub("", text).replace("API_TOKEN", world.token)
    # The README's own sample numbers first; its named placeholders after, so those keep their kind.
    invoice = ids["draft"] if writes else ids["invoices"]
    text = re.sub(r"(/invoices/)(\d+|ID|INVOICE_ID)(?=[./])", rf"\g<1>{invoice}", text)
    client = ids["spare_client"] if method == "DELETE" else ids["clients"]
    text = re.sub(r"(/clients/)(\d+|CLIENT_ID)(?=[./])", rf"\g<1>{client}", text)
    for resource in ("products", "categories", "webhooks"):
        text = re.sub(rf"(/{resource}/)\d+(?=\.)", rf"\g<1>{ids[resource]}", text)
    text = re.sub(r"(/banking/payments?/)\d+(?=\.)", rf"\g<1>{ids['payments']}", text)
    text = re.sub(r"([?&](?:invoice_id|from_invoice_id)=)ID\b", rf"\g<1>{ids['invoices']}", text)
    text = re.sub(r"([?&]status=)STATUS\b", r"\g<1>sent", text)
    text = re.sub(r"(\"client_id\"\s*:\s*)\"?\d+\"?", rf"\g<1>{ids['clients']}", text)
    text = re.sub(r"(\"product_id\"\s*:\s*)\"?\d+\"?", rf"\g<1>{ids['products']}", text)
    text = re.sub(
        r"(\"(?:invoice_id|from_invoice_id|copy_invoice_from)\"\s*:\s*)\"?\d+\"?",
        rf"\g<1>{ids['invoices']}",
        text,
    )
    text = re.sub(
        r"(\"invoice_ids\"\s*:\s*\[)\s*\d+\s*,\s*\d+",
        rf"\g<1>{ids['invoices']}, {ids['second_invoice']}",
        text,
    )
    # A position the README changes by its id: the draft's line.
    text = re.sub(r"(\"id\"\s*:\s*)\d{5,}", rf"\g<1>{ids['draft_line']}", text)
    text = text.replace("Type_du_document_à_créer", "vat")
    for placeholder, name in PLACEHOLDERS.items():
        text = re.sub(rf"\b{placeholder}\b", str(ids[name]), text)
    return text


def send(request: Request, world: World) -> Any:
    parts = urlsplit(substituted(request.url.strip(), world, request.method))
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    url = path + (f"?{parts.query}" if parts.query else "")
    headers: dict[str, str] = {}
    if "accept" in request.headers:
        headers["accept"] = request.headers["accept"]
    if "authorization" in request.headers:
        headers["authorization"] = substituted(request.headers["authorization"], world, request.method)
    if request.user is not None:
        headers["authorization"] = "Basic " + base64.b64encode(request.user.encode()).decode()
    data = substituted(request.data, world, request.method) if request.data is not None else ""
    # curl -d sends a form's content type unless told otherwise (the API reads JSON there too).
    content_type = request.headers.get("content-type", "application/x-www-form-urlencoded")
    return Client().generic(request.method, url, data.encode(), content_type=content_type, headers=headers)


EXAMPLES = examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line{example.line}" for example in EXAMPLES])
def test_the_readme_example_succeeds_or_gets_its_documented_refusal(example: Example, world: World) -> None:
    request = parse(example)
    if request is None:
        assert REFUSED.get(example.line, (None,))[0] == 0, "not a command curl could run: list it in REFUSED"
        return
    response = send(request, world)
    if os.environ.get("README_CURL_DUMP"):  # a line per example, to review the answers
        with open(os.environ["README_CURL_DUMP"], "a") as dump:
            dump.write(f"{example.line} {request.method} {response.status_code} {response.content[:160]!r}\n")
    content_type = response.get("Content-Type", "")
    assert response.status_code < 500, response.content[:300]
    assert content_type.startswith(("application/json", "application/pdf", "application/zip")), content_type
    expected = REFUSED.get(example.line)
    if expected is None:
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:400])
    else:
        assert response.status_code == expected[0], (response.status_code, response.content[:400])


def test_the_list_of_refused_examples_names_only_examples_of_the_readme() -> None:
    if not EXAMPLES:
        pytest.skip(f"the official README is not at {README}")
    assert set(REFUSED) <= {example.line for example in EXAMPLES}
    assert len(EXAMPLES) > 100
