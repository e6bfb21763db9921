"""`test: true` (the official API's test documents): numbered TEST-…, outside the legal series, the chain,
the books and every report; shown with `"test": true`, deletable once issued, never paid."""

import pytest

from facturier.billing.models import BillingSettings, Document, NumberingSeries
from facturier.billing.tests.factories import actor_for, make_client, make_invoice

POSITIONS = [{"name": "Conseil", "quantity": 1, "price_net": 100, "tax": 20}]


@pytest.fixture
def dupont(acme):
    return make_client(acme)


def body(dupont, **fields):
    return {"invoice": {"client_id": dupont.pk, "positions": POSITIONS, **fields}}


def test_a_test_invoice_is_issued_in_its_own_series_and_shown_as_such(owner_api, acme, dupont):
    created = owner_api.post("/invoices.json", body(dupont, test=True))

    assert created.status_code == 201, created.json()
    shown = created.json()
    assert (shown["test"], shown["number"], shown["status"]) == (True, "TEST-0001", "issued")
    real = owner_api.post("/invoices.json", body(dupont, test="false")).json()
    assert (real["test"], real["number"]) == (False, f"F-{acme.today().year}-0001")
    assert owner_api.get(f"/invoices/{shown['id']}.json").json()["test"] is True
    listed = {row["id"]: row["test"] for row in owner_api.get("/invoices.json").json()}
    assert listed == {shown["id"]: True, real["id"]: False}
    assert NumberingSeries.objects.get(account=acme, kind="vat").last_number == 1
    assert BillingSettings.objects.get(account=acme).chain_length == 1


def test_an_issued_test_invoice_is_deleted_and_a_real_one_is_not(owner_api, acme, dupont):
    test = owner_api.post("/invoices.json", body(dupont, test=True)).json()
    real = owner_api.post("/invoices.json", body(dupont)).json()

    assert owner_api.delete(f"/invoices/{test['id']}.json").json() == "ok"
    assert owner_api.get(f"/invoices/{test['id']}.json").status_code == 404
    assert owner_api.delete(f"/invoices/{real['id']}.json").status_code == 422
    assert Document.objects.filter(pk=real["id"]).exists()


def test_an_outsider_neither_sees_nor_deletes_a_test_invoice(outsider_api, acme, owner, dupont):
    test = make_invoice(actor_for(acme, owner), dupont, test=True)

    assert outsider_api.get(f"/invoices/{test.pk}.json").status_code == 404
    assert outsider_api.delete(f"/invoices/{test.pk}.json").status_code == 404
    assert Document.objects.filter(pk=test.pk).exists()


def test_a_test_invoice_takes_no_payment(owner_api, acme, dupont):
    refused = owner_api.post("/invoices.json", body(dupont, test=True, status="paid"))
    assert refused.status_code == 422
    assert not Document.objects.filter(account=acme).exists()
    test = owner_api.post("/invoices.json", body(dupont, test=True)).json()
    paid = owner_api.post(f"/invoices/{test['id']}/change_status.json?status=paid", {})
    assert paid.status_code == 422


def test_the_flag_changes_on_a_draft_and_never_after_issue(owner_api, acme, dupont):
    draft = owner_api.post("/invoices.json", body(dupont, status="draft")).json()
    changed = owner_api.put(f"/invoices/{draft['id']}.json", {"invoice": {"test": True}})
    assert changed.json()["test"] is True
    issued = owner_api.post(f"/invoices/{draft['id']}/change_status.json?status=issued", {}).json()
    assert issued["number"] == "TEST-0001"

    refused = owner_api.put(f"/invoices/{draft['id']}.json", {"invoice": {"test": False}})
    assert refused.status_code == 422 and list(refused.json()["message"]) == ["test"]
    assert owner_api.put(f"/invoices/{draft['id']}.json", {"invoice": {"test": True}}).status_code == 200


def test_a_copy_follows_its_source_and_says_so(owner_api, acme, owner, dupont):
    real = make_invoice(actor_for(acme, owner), dupont)
    test = make_invoice(actor_for(acme, owner), dupont, test=True)

    copied = owner_api.post("/invoices.json", {"invoice": {"copy_invoice_from": test.pk, "kind": "vat"}})
    assert copied.status_code == 201 and copied.json()["test"] is True
    refused = owner_api.post(
        "/invoices.json", {"invoice": {"copy_invoice_from": real.pk, "kind": "vat", "test": True}}
    )
    assert refused.status_code == 422 and list(refused.json()["message"]) == ["test"]
