"""`/invoices.json`, `/invoices/{id}.json` and the invoice actions, through the documents services."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from facturier.api.tests.conftest import RATE_LIMIT_QUERIES
from facturier.billing.models import Client, Document, Kind, Payment, Status
from facturier.billing.tests.factories import (
    actor_for,
    days_ago,
    line,
    make_client,
    make_invoice,
    make_product,
)
from facturier.tenancy.access import Actor
from facturier.tenancy.models import AuditEvent
from facturier.tenancy.services import update_account_identity


@pytest.fixture
def dupont(acme):
    return make_client(acme)


@pytest.fixture
def invoice(acme, owner, dupont):
    return make_invoice(actor_for(acme, owner), dupont, lines=[line("Conseil", "2", "100", "20")])


@pytest.fixture
def draft(acme, dupont):
    return make_invoice(
        acme, dupont, issue=False, lines=[line("Audit", "1", "50", "20"), line("Frais", "1", "10")]
    )


# --- List and show ----------------------------------------------------------------------------------


def test_show_maps_the_document_with_its_positions(owner_api, invoice, dupont):
    response = owner_api.get(f"/invoices/{invoice.pk}.json")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == invoice.pk
    assert data["kind"] == "vat"
    assert data["number"] == invoice.number
    assert data["status"] == "issued"
    assert (data["price_net"], data["price_tax"], data["price_gross"]) == ("200.00", "40.00", "240.00")
    assert (data["paid"], data["remaining"]) == ("0.00", "240.00")
    assert data["client_id"] == dupont.pk
    assert data["buyer_name"] == "Dupont SARL"
    assert data["buyer_tax_no"] == "FR96552100554"
    assert data["issue_date"] == invoice.issue_date.isoformat()
    assert data["paid_date"] is None
    assert data["sell_date"] is None
    [position] = data["positions"]
    assert position["name"] == "Conseil"
    assert (position["quantity"], position["tax"]) == ("2", "20")
    assert (position["price_net"], position["price_gross"]) == ("100.00", "120.00")
    assert (position["total_price_net"], position["total_price_gross"]) == ("200.00", "240.00")


def test_the_list_is_a_bare_array_without_positions_unless_asked(owner_api, invoice, draft):
    rows = owner_api.get("/invoices.json").json()
    assert [row["id"] for row in rows] == [invoice.pk, draft.pk]
    assert "positions" not in rows[0]
    rows = owner_api.get("/invoices.json?include_positions=true").json()
    assert [len(row["positions"]) for row in rows] == [1, 2]
    assert owner_api.get("/invoices.json?page=2").json() == []


def test_the_list_runs_a_fixed_number_of_queries(owner_api, acme, dupont, django_assert_max_num_queries):
    for _ in range(5):
        make_invoice(acme, dupont, lines=[line(), line("B")])
    with django_assert_max_num_queries(8 + RATE_LIMIT_QUERIES):
        rows = owner_api.get("/invoices.json?include_positions=1&per_page=100").json()
    assert len(rows) == 5


def test_the_list_filters(owner_api, acme, dupont, invoice, draft):
    other = make_client(acme, name="Martin", siren="", vat_number="")
    quote = make_invoice(acme, other, kind="estimate")
    old = make_invoice(acme, dupont, issue=False, issue_date=days_ago(acme, 400))

    def ids(query: str) -> list[int]:
        response = owner_api.get(f"/invoices.json?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()]

    assert ids("") == [invoice.pk, draft.pk, quote.pk]  # last 12 months by default
    assert old.pk in ids("period=all")
    assert ids(f"period=more&date_from={days_ago(acme, 401)}&date_to={days_ago(acme, 399)}") == [old.pk]
    assert ids(f"date_from={days_ago(acme, 401)}&date_to={days_ago(acme, 399)}") == [old.pk]
    assert ids("kind=estimate") == [quote.pk]
    assert ids("kinds[]=estimate&kinds[]=vat") == [invoice.pk, draft.pk, quote.pk]
    assert ids("kinds[]=kp&kinds[]=%00") == []
    assert ids(f"number={invoice.number}") == [invoice.pk]
    assert ids(f"invoice_ids={invoice.pk},{quote.pk}") == [invoice.pk, quote.pk]
    assert ids(f"client_id={other.pk}") == [quote.pk]
    assert ids("status=draft") == [draft.pk]
    assert ids("income=0") == []
    assert ids("income=yes") == [invoice.pk, draft.pk, quote.pk]
    assert ids("order=id.desc") == [quote.pk, draft.pk, invoice.pk]
    assert ids("period=this_month&search_date_type=paid_date") == []
    assert ids("period=this_year") == ids("period=this_year&search_date_type=issue_date")


def test_paid_date_and_its_filter(owner_api, invoice, acme):
    owner_api.post(f"/invoices/{invoice.pk}/change_status.json", {"status": "paid"})
    rows = owner_api.get("/invoices.json?period=this_month&search_date_type=paid_date").json()
    assert [row["id"] for row in rows] == [invoice.pk]
    assert rows[0]["paid_date"] == acme.today().isoformat()


@pytest.mark.parametrize(
    "query",
    ["period=forever", "date_from=2024-13-01", "date_from=hier", "invoice_ids=a,b", "client_id=-4",
     "include_positions=peut-etre", "search_date_type=whenever", "page=x", "income=%00",
     "client_id=99999999999999999999999"],
)  # fmt: skip
def test_bad_list_parameters_get_a_422(owner_api, invoice, query):
    response = owner_api.get(f"/invoices.json?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "error"


# --- Create -----------------------------------------------------------------------------------------


def test_create_issues_at_once_with_a_product_and_a_free_text_position(owner_api, acme, dupont):
    conseil = make_product(acme, name="Conseil", unit_price=Decimal("100"))
    response = owner_api.post(
        "/invoices.json",
        {
            "invoice": {
                "id": None,
                "number": None,
                "client_id": dupont.pk,
                "positions": [
                    {"product_id": conseil.pk, "quantity": "2"},
                    {"name": "Déplacement", "quantity": 1, "price_net": "50,50", "tax": "20"},
                ],
            }
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    document = Document.objects.get(pk=data["id"])
    assert document.status == Status.ISSUED and document.number
    assert data["number"] == document.number
    assert data["price_net"] == "250.50"
    assert [p["name"] for p in data["positions"]] == ["Conseil", "Déplacement"]
    assert data["positions"][0]["product_id"] == conseil.pk
    assert AuditEvent.objects.filter(account=acme, action="document.issued").exists()


def test_create_a_draft_with_gross_totals(owner_api, dupont):
    response = owner_api.post(
        "/invoices.json",
        {
            "invoice": {
                "status": "draft",
                "client_id": dupont.pk,
                "issue_date": "2026-11-02",
                "payment_to_kind": 10,
                "positions": [{"name": "Livre", "quantity": "2", "total_price_gross": "21,10", "tax": "5,5"}],
            }
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["number"]) == ("draft", "")
    assert (data["price_gross"], data["price_net"]) == ("21.10", "20.00")
    assert (data["payment_to"], data["payment_to_kind"]) == ("2026-11-12", 10)
    assert Document.objects.get(pk=data["id"]).prices_are_gross


def test_reverse_charge_puts_every_position_under_reverse_charge(owner_api, acme):
    # The official example: a Belgian company, gross totals, no tax given.
    response = owner_api.post(
        "/invoices.json",
        {
            "invoice": {
                "kind": "vat",
                "issue_date": "2026-11-02",
                "buyer_name": "ClientABC",
                "buyer_tax_no": "BE0403170701",
                "buyer_country": "BE",
                "buyer_street": "Rue Royale 1",
                "buyer_city": "Bruxelles",
                "reverse_charge": True,
                "positions": [
                    {"name": "Produit A1", "total_price_gross": 10.50, "quantity": 1},
                    {"name": "Produit A2", "total_price_gross": 50, "quantity": 2, "tax": "20"},
                ],
            }
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["price_net"], data["price_tax"], data["price_gross"]) == ("60.50", "0.00", "60.50")
    assert [p["tax"] for p in data["positions"]] == ["oo", "oo"]
    document = Document.objects.get(pk=data["id"])
    assert document.reverse_charge
    assert [(line.vat_category, line.vat_rate, line.exemption_reason) for line in document.lines.all()] == [
        ("AE", Decimal("0.00"), "Autoliquidation"),
        ("AE", Decimal("0.00"), "Autoliquidation"),
    ]


def test_reverse_charge_set_on_a_draft_applies_to_its_positions(owner_api, draft):
    response = owner_api.put(
        f"/invoices/{draft.pk}.json",
        {
            "invoice": {
                "reverse_charge": True,
                "positions": [{"name": "Ajout", "price_gross": "12", "tax": "20"}],
            }
        },
    )
    assert response.status_code == 200, response.json()
    lines = list(Document.objects.get(pk=draft.pk).lines.order_by("position"))
    assert [(line.name, line.vat_category, line.net_amount) for line in lines] == [
        ("Audit", "AE", Decimal("50.00")),
        ("Frais", "AE", Decimal("10.00")),
        ("Ajout", "AE", Decimal("12.00")),
    ]
    assert response.json()["price_tax"] == "0.00"


def test_a_document_lacking_a_legal_mention_is_refused_with_a_422(owner_api, acme):
    update_account_identity(Actor.system(), acme, {"siren": "", "siret": ""})
    client = make_client(acme)
    response = owner_api.post(
        "/invoices.json",
        {
            "invoice": {
                "client_id": client.pk,
                "positions": [{"name": "Conseil", "price_net": "100", "tax": "20"}],
            }
        },
    )
    assert response.status_code == 422
    assert "le SIREN de votre entreprise (Paramètres > Votre compte)" in str(response.json())
    assert not Document.objects.filter(account=acme).exists()


def test_create_matches_the_buyer_by_tax_number_or_creates_it(owner_api, acme, dupont):
    body = {
        "buyer_name": "Autre nom",
        "buyer_tax_no": "FR96552100554",
        "positions": [{"name": "A", "price_net": 1}],
    }
    response = owner_api.post("/invoices.json", {"invoice": body})
    assert response.status_code == 201, response.json()
    assert response.json()["client_id"] == dupont.pk

    body = {"buyer_name": "Neuve SAS", "buyer_city": "Lyon", "buyer_email": "a@neuve.test",
            "buyer_street": "2 quai Perrache", "buyer_tax_no": "404833048",
            "positions": [{"name": "A", "price_net": 1}]}  # fmt: skip
    response = owner_api.post("/invoices.json", {"invoice": body})
    assert response.status_code == 201, response.json()
    created = Client.objects.get(account=acme, name="Neuve SAS")
    assert (created.city, created.email) == ("Lyon", "a@neuve.test")
    assert response.json()["client_id"] == created.pk
    again = owner_api.post("/invoices.json", {"invoice": body}).json()
    assert again["client_id"] == created.pk


def test_create_without_a_buyer_names_buyer_name(owner_api, acme):
    response = owner_api.post("/invoices.json", {"invoice": {"positions": [{"name": "A", "price_net": 1}]}})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["buyer_name"]
    assert not Document.objects.filter(account=acme).exists()


def test_create_with_status_paid_records_a_payment(owner_api, acme, dupont):
    response = owner_api.post(
        "/invoices.json",
        {
            "invoice": {
                "client_id": dupont.pk,
                "status": "paid",
                "positions": [{"name": "A", "price_net": 10}],
            }
        },
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["paid"]) == ("paid", "12.00")
    assert Payment.objects.get(account=acme).amount == Decimal("12.00")


def test_a_refused_issue_stores_nothing(owner_api, acme, dupont):
    response = owner_api.post("/invoices.json", {"invoice": {"client_id": dupont.pk, "positions": []}})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["positions"]
    assert not Document.objects.filter(account=acme).exists()


# --- Update -----------------------------------------------------------------------------------------


def test_a_draft_is_fully_editable(owner_api, draft):
    audit, frais = draft.lines.order_by("position")
    response = owner_api.put(
        f"/invoices/{draft.pk}.json",
        {
            "invoice": {
                "description": "Merci",
                "positions": [
                    {"id": audit.pk, "quantity": "3"},
                    {"id": frais.pk, "_destroy": 1},
                    {"name": "Nouveau", "price_net": "5", "tax": "zw"},
                ],
            }
        },
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["description"] == "Merci"
    assert [(p["name"], p["quantity"], p["tax"]) for p in data["positions"]] == [
        ("Audit", "3", "20"),
        ("Nouveau", "1", "zw"),
    ]
    assert data["price_net"] == "155.00"


def test_patch_status_issued_issues_a_draft(owner_api, draft):
    response = owner_api.http.patch(
        f"/invoices/{draft.pk}.json?api_token={owner_api.token}",
        '{"invoice": {"status": "issued"}}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.status == Status.ISSUED and response.json()["number"] == draft.number


def test_an_issued_invoice_takes_its_recipients_but_not_what_it_prints(owner_api, invoice):
    response = owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": {"buyer_email": "x@y.test"}})
    assert response.status_code == 200, response.json()

    refused = owner_api.put(
        f"/invoices/{invoice.pk}.json",
        {"invoice": {"description": "Payable par virement", "payment_type": "cheque"}},
    )

    assert refused.status_code == 422
    assert "imprimées sur le document émis" in str(refused.json())
    invoice.refresh_from_db()
    assert (invoice.notes, invoice.payment_method, invoice.email_to) == ("", "transfer", "x@y.test")


def test_sending_back_an_issued_invoice_as_read_changes_nothing(owner_api, invoice):
    read = owner_api.get(f"/invoices/{invoice.pk}.json").json()
    response = owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": read})
    assert response.status_code == 200, response.json()
    assert response.json() == {**read, "updated_at": response.json()["updated_at"]}


@pytest.mark.parametrize(
    "change",
    [
        {"issue_date": "2020-01-01"},
        {"buyer_name": "Quelqu'un d'autre"},
        {"positions": [{"name": "En plus", "price_net": "1"}]},
        {"currency": "USD"},
        {"payment_to_kind": 3},
        {"client_id": 1234567},
    ],
)
def test_a_legal_change_to_an_issued_invoice_gets_422_pointing_to_a_credit_note(owner_api, invoice, change):
    response = owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": {"description": "x", **change}})
    assert response.status_code == 422
    [(_field, [message])] = response.json()["message"].items()
    assert "avoir" in message
    invoice.refresh_from_db()
    assert invoice.notes == ""


def test_a_changed_position_of_an_issued_invoice_is_refused(owner_api, invoice):
    position = owner_api.get(f"/invoices/{invoice.pk}.json").json()["positions"][0]
    response = owner_api.put(
        f"/invoices/{invoice.pk}.json", {"invoice": {"positions": [{**position, "quantity": "3"}]}}
    )
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["positions"]


def test_status_paid_records_a_payment_of_the_remaining_amount(owner_api, invoice, acme):
    response = owner_api.put(f"/invoices/{invoice.pk}.json", {"invoice": {"status": "paid"}})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["remaining"]) == ("paid", "0.00")
    assert Payment.objects.get(account=acme).amount == Decimal("240.00")


# --- Delete -----------------------------------------------------------------------------------------


def test_delete_a_draft(owner_api, draft):
    response = owner_api.delete(f"/invoices/{draft.pk}.json")
    assert (response.status_code, response.json()) == (200, "ok")
    assert not Document.objects.filter(pk=draft.pk).exists()


def test_an_issued_invoice_cannot_be_deleted(owner_api, invoice):
    response = owner_api.delete(f"/invoices/{invoice.pk}.json")
    assert response.status_code == 422
    assert "avoir" in response.json()["message"]
    assert Document.objects.filter(pk=invoice.pk).exists()


def test_a_draft_under_the_lock_date_cannot_be_deleted(owner_api, acme, draft):
    acme.locked_until = draft.issue_date
    acme.save()
    response = owner_api.delete(f"/invoices/{draft.pk}.json")
    assert response.status_code == 422
    assert "protégés" in response.json()["message"]
    assert Document.objects.filter(pk=draft.pk).exists()


# --- PDF and actions --------------------------------------------------------------------------------


def test_the_pdf(owner_api, invoice):
    response = owner_api.get(f"/invoices/{invoice.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("in_body", [True, False])
def test_change_status_reads_the_query_or_the_body(owner_api, acme, dupont, in_body):
    quote = make_invoice(acme, dupont, kind="estimate")
    if in_body:
        response = owner_api.post(f"/invoices/{quote.pk}/change_status.json", {"status": "accepted"})
    else:
        response = owner_api.post(f"/invoices/{quote.pk}/change_status.json?status=accepted", {})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"


def test_change_status_refuses_an_unknown_status(owner_api, invoice):
    response = owner_api.post(f"/invoices/{invoice.pk}/change_status.json", {"status": "lost"})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["status"]


@pytest.mark.parametrize(
    "body",
    [
        lambda pk: {"cancel_invoice_id": pk, "cancel_reason": "Erreur"},
        lambda pk: {"invoice_id": pk, "reason": "Erreur"},
    ],
)
def test_cancel_issues_a_total_credit_note(owner_api, invoice, body):
    response = owner_api.post("/invoices/cancel.json", body(invoice.pk))
    assert response.status_code == 200, response.json()
    assert response.json()["code"] == "success"
    note = Document.objects.get(pk=response.json()["credit_note_id"])
    assert (note.kind, note.status, note.gross_total) == (Kind.CREDIT_NOTE, Status.ISSUED, Decimal("-240.00"))
    assert note.correction_reason == "Erreur"
    invoice.refresh_from_db()
    assert invoice.status == Status.CANCELLED
    assert owner_api.post(f"/invoices/{invoice.pk}/cancel.json", {}).status_code == 422


def test_cancel_refuses_a_draft(owner_api, draft):
    response = owner_api.post(f"/invoices/{draft.pk}/cancel.json", {})
    assert response.status_code == 422
    assert owner_api.post("/invoices/cancel.json", {}).status_code == 422


def test_send_by_email(owner_api, invoice):
    response = owner_api.post(f"/invoices/{invoice.pk}/send_by_email.json?email_to=a@b.test,c@d.test", {})
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    invoice.refresh_from_db()
    assert invoice.status == Status.SENT
    assert invoice.deliveries.get().to == "a@b.test, c@d.test"
    again = owner_api.post(f"/invoices/{invoice.pk}/send_by_email.json", {})
    assert again.status_code == 422
    forced = owner_api.post(f"/invoices/{invoice.pk}/send_by_email.json", {"force": "true"})
    assert forced.status_code == 200
    assert (
        owner_api.post(
            f"/invoices/{invoice.pk}/send_by_email.json", {"email_to": "pas-une-adresse", "force": 1}
        ).status_code
        == 422
    )
    assert [message.to for message in mail.outbox] == [["a@b.test", "c@d.test"], ["compta@dupont.test"]]
    assert mail.outbox[0].attachments[0][1].startswith(b"%PDF")


def test_a_draft_cannot_be_sent(owner_api, draft):
    assert owner_api.post(f"/invoices/{draft.pk}/send_by_email.json?email_to=a@b.test", {}).status_code == 422


# --- Access and robustness --------------------------------------------------------------------------


def test_permissions_follow_the_role(collaborator_api, firm_api, invoice, draft):
    assert firm_api.get(f"/invoices/{invoice.pk}.json").status_code == 200
    response = firm_api.post("/invoices.json", {"invoice": {"client_id": invoice.client_id}})
    assert response.status_code == 403
    assert response.json()["code"] == "error"
    assert collaborator_api.delete(f"/invoices/{draft.pk}.json").status_code == 403
    assert Document.objects.filter(pk=draft.pk).exists()


def test_an_outsider_gets_a_404_everywhere(outsider_api, invoice, draft):
    for path in [f"/invoices/{invoice.pk}.json", f"/invoices/{invoice.pk}.pdf"]:
        assert outsider_api.get(path).status_code == 404
    assert (
        outsider_api.put(f"/invoices/{draft.pk}.json", {"invoice": {"description": "x"}}).status_code == 404
    )
    assert outsider_api.delete(f"/invoices/{draft.pk}.json").status_code == 404
    for action in ("change_status", "cancel", "send_by_email"):
        assert (
            outsider_api.post(f"/invoices/{invoice.pk}/{action}.json", {"status": "paid"}).status_code == 404
        )
    assert outsider_api.post("/invoices/cancel.json", {"cancel_invoice_id": invoice.pk}).status_code == 404
    assert outsider_api.get("/invoices.json?period=all").json() == []
    # Another account's client or product cannot be used either.
    body = {"invoice": {"client_id": invoice.client_id, "positions": [{"name": "A", "price_net": 1}]}}
    assert outsider_api.post("/invoices.json", body).status_code == 422


@pytest.mark.parametrize(
    "invoice_body",
    [
        {"client_id": "abc"},
        {"client_id": 99999999999999999999},
        {"issue_date": "2026-02-30"},
        {"issue_date": "1900-01-01"},
        {"sell_date": "2026-13"},
        {"kind": "kp"},
        {"currency": "XXX"},
        {"lang": "xx"},
        {"payment_to_kind": "demain"},
        {"positions": "A"},
        {"positions": [1, 2]},
        {"positions": [{"name": "A", "quantity": "1e999"}]},
        {"positions": [{"name": "A", "price_net": "-5"}]},
        {"positions": [{"name": "A", "price_net": "99999999999999999"}]},
        {"positions": [{"name": "A", "tax": "23"}]},
        {"positions": [{"name": "A", "total_price_gross": "10", "quantity": "0"}]},
        {"positions": [{"product_id": 99999}]},
        {"positions": [{"name": ["A"]}]},
        {"positions": [{"name": "A\x00"}]},
        {"buyer_name": "X", "buyer_tax_no": "123"},
        {"buyer_name": "X" * 500},
        {"status": "lost"},
        {"invoice_id": "x"},
        {"reverse_charge": "peut-être"},
    ],
)
def test_no_bad_value_yields_a_500(owner_api, acme, dupont, draft, invoice_body):
    body = {"client_id": dupont.pk, "positions": [{"name": "A", "price_net": "1"}], **invoice_body}
    if "buyer_name" in invoice_body:
        del body["client_id"]  # the buyer is then found or created from the buyer fields
    before = Document.objects.filter(account=acme).count()
    for response in [
        owner_api.post("/invoices.json", {"invoice": body}),
        owner_api.put(f"/invoices/{draft.pk}.json", {"invoice": invoice_body}),
    ]:
        assert response.status_code == 422, (invoice_body, response.json())
        assert response.json()["code"] == "error"
    assert Document.objects.filter(account=acme).count() == before
    draft.refresh_from_db()
    assert draft.gross_total == Decimal("72.00")


@pytest.mark.parametrize("raw", ["[1]", '"x"', '{"invoice": [1]}', '{"invoice": "x"}'])
def test_bodies_of_the_wrong_shape_get_a_422(owner_api, draft, raw):
    for method in (owner_api.http.post, owner_api.http.put):
        path = "/invoices.json" if method == owner_api.http.post else f"/invoices/{draft.pk}.json"
        response = method(f"{path}?api_token={owner_api.token}", raw, content_type="application/json")
        assert response.status_code == 422


def test_an_unknown_invoice_is_a_json_404(owner_api):
    response = owner_api.get("/invoices/999999.json")
    assert (response.status_code, response.json()) == (404, {"code": "error", "message": "Not Found"})
    assert owner_api.get("/invoices/99999999999999999999999.json").status_code == 404


def test_dates_are_never_empty_strings(owner_api, draft):
    data = owner_api.get(f"/invoices/{draft.pk}.json").json()
    for key in ("issue_date", "sell_date", "payment_to", "paid_date"):
        assert data[key] is None or datetime.date.fromisoformat(data[key])


def test_sending_back_a_draft_as_read_changes_nothing(owner_api, acme, dupont):
    created = owner_api.post(
        "/invoices.json",
        {"invoice": {"status": "draft", "client_id": dupont.pk,
                     "positions": [{"name": "Livre", "quantity": "3", "price_gross": "7,77", "tax": "5,5"}]}},
    ).json()  # fmt: skip
    response = owner_api.put(f"/invoices/{created['id']}.json", {"invoice": created})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["price_gross"], data["price_net"]) == (created["price_gross"], created["price_net"])
    assert data["positions"][0]["price_gross"] == "7.77"


def test_a_buyer_email_alone_changes_the_recipient_not_the_client(owner_api, draft, dupont):
    response = owner_api.put(f"/invoices/{draft.pk}.json", {"invoice": {"buyer_email": "autre@dupont.test"}})
    assert response.status_code == 200, response.json()
    assert (response.json()["client_id"], response.json()["buyer_email"]) == (dupont.pk, "autre@dupont.test")
