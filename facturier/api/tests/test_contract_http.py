"""The API as an outside client sees it (issue 7, section 9): real HTTP against a live server started by
the test, urllib only, one story per resource, with the requests of docs/api.md's curl examples.

Each story uses both token placements of its curl examples (`?api_token=` for GET and DELETE, the JSON
body's `api_token` for writes) and `Authorization: Bearer`. Run it on both databases:

    DEBUG=true .venv/bin/pytest facturier/api/tests/test_contract_http.py -q -p no:cacheprovider
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name> .venv/bin/pytest \
        facturier/api/tests/test_contract_http.py -q -p no:cacheprovider --create-db
"""

import datetime
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.core import mail

from facturier.api.tests.conftest import token_of
from facturier.conftest import PASSWORD
from facturier.tenancy.models import Account

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        assert self.headers["Content-Type"].startswith("application/json"), self.headers["Content-Type"]
        return json.loads(self.body)


class Outside:
    """A client of the API at `base` holding `token`, speaking HTTP through urllib."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    def call(
        self, method: str, path: str, body: Any = None, *, place: str = "query", headers: Any = None
    ) -> Answer:
        url = self.base + path
        sent = dict(headers or {})
        if self.token and place == "query":
            url += ("&" if "?" in path else "?") + "api_token=" + quote(self.token, safe="")
        elif self.token and place == "bearer":
            sent["Authorization"] = f"Bearer {self.token}"
        elif self.token and place == "body":
            body = {"api_token": self.token, **(body or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310 (http only)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http only)
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.call("POST", path, body, place=kwargs.pop("place", "body"), **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> Answer:
        return self.call("PUT", path, body, place=kwargs.pop("place", "body"), **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> Answer:
        return self.call("PATCH", path, body, place=kwargs.pop("place", "body"), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Answer:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def api(live_server: Any, owner: Any, acme: Account) -> Outside:
    return Outside(live_server.url, token_of(owner, acme))


def test_a_client_without_a_good_token_gets_the_documented_401(live_server: Any, api: Outside) -> None:
    for answer in (
        Outside(live_server.url).get("/clients.json"),
        Outside(live_server.url, "nope/acme").get("/clients.json"),
        Outside(live_server.url, "nope").get("/clients.json", place="bearer"),
    ):
        assert answer.status == 401
        assert answer.json == {"code": "error", "message": "You must be logged in to gain access to the site"}
    assert Outside(live_server.url).get("/nothing-here.json").json == {
        "code": "error",
        "message": "Not Found",
    }


def test_the_three_token_placements_reach_the_same_account(api: Outside) -> None:
    by_query = api.get("/account.json", place="query")
    by_bearer = api.get("/account.json", place="bearer")
    by_body = api.post("/clients.json", {"client": {"name": "Corps SARL"}}, place="body")

    assert by_query.status == by_bearer.status == 200
    assert by_query.json == by_bearer.json
    assert by_query.json["prefix"] == "acme"
    assert by_body.status == 201


def test_the_story_of_a_client(api: Outside) -> None:
    created = api.post(
        "/clients.json",
        {
            "client": {
                "name": "Dupont SARL",
                "tax_no": "FR96552100554",
                "street": "12 rue de la Paix",
                "post_code": "75002",
                "city": "Paris",
                "country": "FR",
                "email": "compta@dupont.test",
                "payment_to_kind": "30",
            }
        },
    )
    assert created.status == 201
    client = created.json
    assert (client["name"], client["tax_no"], client["payment_to_kind"]) == (
        "Dupont SARL",
        "FR96552100554",
        30,
    )

    listed = api.get("/clients.json?name=dupont&page=1&per_page=50").json
    assert [row["id"] for row in listed] == [client["id"]]
    assert api.get(f"/clients/{client['id']}.json").json == client

    moved = api.put(f"/clients/{client['id']}.json", {"client": {"city": "Lyon"}}, place="bearer")
    assert moved.status == 200
    assert moved.json["city"] == "Lyon"
    assert moved.json["name"] == "Dupont SARL"

    deleted = api.delete(f"/clients/{client['id']}.json")
    assert (deleted.status, deleted.json) == (200, "ok")
    assert api.get(f"/clients/{client['id']}.json").status == 404


def test_the_story_of_a_product(api: Outside) -> None:
    created = api.post(
        "/products.json",
        {
            "product": {
                "name": "Conseil",
                "code": "CNS",
                "price_net": "100",
                "tax": "20",
                "quantity_unit": "h",
            }
        },
    )
    assert created.status == 201
    product = created.json
    assert (product["price_net"], product["price_gross"], product["tax"]) == ("100.00", "120.00", "20")

    assert [row["id"] for row in api.get(f"/products.json?ids={product['id']}").json] == [product["id"]]

    repriced = api.put(f"/products/{product['id']}.json", {"product": {"price_gross": "130,00"}})
    assert repriced.status == 200
    assert repriced.json["price_gross"] == "130.00"
    renamed = api.patch(f"/products/{product['id']}.json", {"product": {"name": "Conseil senior"}})
    assert renamed.json["name"] == "Conseil senior"

    assert api.delete(f"/products/{product['id']}.json").json == "ok"
    assert api.get(f"/products/{product['id']}.json").status == 404


def test_the_story_of_a_category(api: Outside) -> None:
    created = api.post("/categories.json", {"category": {"name": "Voyages", "accounting_id": "6251"}})
    assert created.status == 201
    category = created.json
    assert any(row["id"] == category["id"] for row in api.get("/categories.json").json)

    renamed = api.put(f"/categories/{category['id']}.json", {"category": {"name": "Déplacements"}})
    assert (renamed.status, renamed.json["name"]) == (200, "Déplacements")
    assert api.get(f"/categories/{category['id']}.json", place="bearer").json["accounting_id"] == "6251"

    assert api.delete(f"/categories/{category['id']}.json").json == "ok"
    assert api.get(f"/categories/{category['id']}.json").status == 404


def test_the_story_of_an_invoice(api: Outside, settings: Any) -> None:
    created = api.post(
        "/invoices.json",
        {
            "invoice": {
                "kind": "vat",
                "buyer_name": "Dupont SARL",
                "buyer_tax_no": "FR96552100554",
                "buyer_street": "12 rue de la Paix",
                "buyer_city": "Paris",
                "buyer_email": "compta@dupont.test",
                "positions": [{"name": "Conseil", "quantity": 2, "total_price_gross": "240", "tax": "20"}],
            }
        },
    )
    assert created.status == 201, created.body
    invoice = created.json
    assert invoice["status"] == "issued"
    assert invoice["number"]
    assert (invoice["price_net"], invoice["price_gross"]) == ("200.00", "240.00")
    number, pk = invoice["number"], invoice["id"]

    this_month = api.get("/invoices.json?period=this_month&include_positions=true").json
    assert [row["id"] for row in this_month] == [pk]
    assert len(this_month[0]["positions"]) == 1
    for query in (f"number={number}", f"invoice_ids={pk}", f"client_id={invoice['client_id']}", "kind=vat"):
        assert [row["id"] for row in api.get(f"/invoices.json?{query}").json] == [pk], query
    assert api.get("/invoices.json?kind=estimate").json == []
    assert api.get(f"/invoices/{pk}.json").json["number"] == number

    pdf = api.get(f"/invoices/{pk}.pdf")
    assert pdf.status == 200
    assert pdf.body.startswith(b"%PDF")

    sent = api.post(f"/invoices/{pk}/send_by_email.json?email_to=a@dupont.test", place="query")
    assert (sent.status, sent.json) == (200, {"status": "ok"})
    assert [message.to for message in mail.outbox] == [["a@dupont.test"]]

    legal = api.put(f"/invoices/{pk}.json", {"invoice": {"buyer_name": "Quelqu'un d'autre"}})
    assert legal.status == 422
    paid = api.put(f"/invoices/{pk}.json", {"invoice": {"internal_note": "Merci !", "status": "paid"}})
    assert paid.status == 200
    assert (paid.json["internal_note"], paid.json["status"], paid.json["remaining"]) == (
        "Merci !",
        "paid",
        "0.00",
    )

    refused = api.delete(f"/invoices/{pk}.json")
    assert refused.status == 422
    assert refused.json["code"] == "error"
    assert api.get(f"/invoices/{pk}.json").status == 200


def test_a_draft_is_issued_paid_then_deleted_or_cancelled(api: Outside) -> None:
    def draft() -> int:
        answer = api.post(
            "/invoices.json",
            {
                "invoice": {
                    "buyer_first_name": "Jean",
                    "buyer_last_name": "Martin",
                    "status": "draft",
                    "positions": [{"name": "A", "price_net": "10"}],
                }
            },
        )
        assert (answer.status, answer.json["status"], answer.json["number"]) == (201, "draft", "")
        return int(answer.json["id"])

    removed = draft()
    assert api.delete(f"/invoices/{removed}.json").json == "ok"
    assert api.get(f"/invoices/{removed}.json").status == 404

    pk = draft()
    issued = api.post(f"/invoices/{pk}/change_status.json?status=issued", place="query")
    assert issued.status == 200
    assert api.get(f"/invoices/{pk}.json").json["status"] == "issued"
    paid = api.post(f"/invoices/{pk}/change_status.json", {"status": "paid"}, place="bearer")
    assert paid.status == 200
    assert api.get(f"/invoices/{pk}.json").json["status"] == "paid"

    other = draft()
    api.post(f"/invoices/{other}/change_status.json?status=issued", place="query")
    cancelled = api.post(
        "/invoices/cancel.json", {"cancel_invoice_id": other, "cancel_reason": "Erreur de client"}
    )
    assert cancelled.status == 200
    assert cancelled.json["code"] == "success"
    credit_note = api.get(f"/invoices/{cancelled.json['credit_note_id']}.json").json
    assert (credit_note["kind"], credit_note["invoice_id"]) == ("correction", other)
    assert api.get(f"/invoices/{other}.json").json["status"] == "cancelled"

    third = draft()
    api.post(f"/invoices/{third}/change_status.json?status=issued", place="query")
    by_path = api.post(f"/invoices/{third}/cancel.json", {"reason": "Doublon"})
    assert by_path.status == 200


def test_the_story_of_a_payment(api: Outside) -> None:
    invoice = api.post(
        "/invoices.json",
        {
            "invoice": {
                "buyer_name": "Dupont SARL",
                "buyer_tax_no": "552100554",
                "buyer_street": "12 rue de la Paix",
                "buyer_city": "Paris",
                "positions": [{"name": "Conseil", "price_net": "100", "tax": "20"}],
            }
        },
    ).json
    today = datetime.date.today().isoformat()
    created = api.post(
        "/banking/payments.json",
        {
            "banking_payment": {
                "name": "VIR 42",
                "price": "50,00",
                "invoice_ids": [invoice["id"]],
                "paid_date": today,
                "payment_type": "transfer",
            }
        },
    )
    assert created.status == 201, created.body
    payment = created.json
    assert (payment["price"], payment["invoice_ids"]) == ("50.00", [invoice["id"]])
    assert api.get(f"/invoices/{invoice['id']}.json").json["status"] == "partial"

    assert api.get(f"/banking/payment/{payment['id']}.json").json == payment
    listed = api.get("/banking/payments.json?include=invoices&period=this_year").json
    assert [(row["id"], [line["id"] for line in row["invoices"]]) for row in listed] == [
        (payment["id"], [invoice["id"]])
    ]

    unchanged = api.put(f"/banking/payments/{payment['id']}.json", {"banking_payment": payment})
    assert (unchanged.status, unchanged.json) == (200, payment)
    changed = api.patch(f"/banking/payment/{payment['id']}.json", {"banking_payment": {"price": "60"}})
    assert (changed.status, changed.json["price"]) == (200, "60.00")
    assert api.get(f"/invoices/{invoice['id']}.json").json["status"] == "partial"

    assert api.delete(f"/banking/payments/{payment['id']}.json").json == "ok"
    assert api.get(f"/invoices/{invoice['id']}.json").json["status"] == "issued"


def test_a_firm_creates_a_client_account_adds_its_user_and_unlinks_it(
    live_server: Any, firm: Account
) -> None:
    partner = firm.memberships.get(is_owner=True).user
    firm_api = Outside(live_server.url, token_of(partner, firm))

    created = firm_api.post(
        "/account.json",
        {
            "account": {"prefix": "boulangerie-martin"},
            "company": {"name": "Boulangerie Martin", "tax_no": "732829320", "city": "Lyon"},
        },
    )
    assert created.status == 201, created.body
    assert created.json["prefix"] == "boulangerie-martin"
    client_api = Outside(live_server.url, created.json["api_token"])

    described = client_api.get("/account.json").json
    assert (described["prefix"], described["managed_by"]) == ("boulangerie-martin", "cabinet-dupont")

    added = client_api.post(
        "/account/add_user.json",
        {"user": {"email": "paul@martin.test", "password": "pain-au-levain-2026", "role": "admin"}},
    )
    assert added.status == 201, added.body
    assert (added.json["email"], added.json["role"]) == ("paul@martin.test", "admin")

    unlinked = firm_api.patch("/account/unlink.json", {"prefix": ["boulangerie-martin"]})
    assert unlinked.status == 200
    assert unlinked.json["result"] == {"unlinked": ["boulangerie-martin"], "not_unlinked": []}
    again = firm_api.patch("/account/unlink.json", {"prefix": ["boulangerie-martin"]})
    assert again.status == 422
    assert again.json["result"] == {"not_unlinked": ["boulangerie-martin"]}

    logged_in = Outside(live_server.url).post(
        "/login.json", {"login": "paul@martin.test", "password": "pain-au-levain-2026"}
    )
    assert logged_in.status == 200
    assert logged_in.json["prefix"] == "boulangerie-martin"
    assert Outside(live_server.url, logged_in.json["api_token"]).get("/account.json").status == 200


def test_login_gives_a_token_and_a_wrong_password_a_401(live_server: Any, owner: Any, acme: Account) -> None:
    outside = Outside(live_server.url)
    good = outside.post("/login.json", {"login": owner.email, "password": PASSWORD})
    assert good.status == 200
    assert good.json["prefix"] == "acme"
    assert Outside(live_server.url, good.json["api_token"]).get("/clients.json").status == 200

    wrong = outside.post("/login.json", {"login": owner.email, "password": "not-the-password"})
    assert wrong.status == 401
    assert wrong.json["code"] == "error"


def test_past_its_limit_a_token_gets_a_429_with_retry_after(api: Outside, settings: Any) -> None:
    settings.FACTURIER_API_RATE_LIMIT = 2
    statuses = [api.get("/clients.json").status for _ in range(3)]
    refused = api.get("/clients.json")

    assert statuses == [200, 200, 429]
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= settings.FACTURIER_API_RATE_WINDOW
    assert refused.json["code"] == "error"
