"""The addresses the API does not serve answer JSON, for every method, with or without a CSRF check."""

import pytest
from django.test import Client

METHODS = ["get", "post", "put", "patch", "delete"]


def call(client, method, path, body="{}", content_type="application/json"):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body, content_type=content_type)


@pytest.fixture
def browser_like():
    # The test client skips CSRF checks unless told: a real client (curl, an SDK) meets them.
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "path",
    [
        "/nothing.json",
        "/clients/ID_contact1/merge.json",
        "/invoices/abc.json",
        "/invoices/INVOICE_ID/get_new_attachment_credentials.json",
    ],
)
def test_an_unknown_json_address_answers_the_json_404_for_every_method(
    browser_like, owner_token, method, path
):
    response = call(browser_like, method, f"{path}?api_token={owner_token}", '{"invoice": {}}')

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "error", "message": "Not Found"}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/price_lists.json", "price_lists"),
        ("/price_lists/100/prices_for_products.json", "price_lists"),
        ("/warehouses/1.json", "warehouses"),
        ("/warehouse_documents.json", "warehouse_documents"),
        ("/warehouse_actions.json", "warehouse_actions"),
        ("/recurrings.json", "recurrings"),
        ("/departments/10.json", "departments"),
        ("/issuers.json", "issuers"),
    ],
)
def test_a_resource_facturier_does_not_manage_answers_a_422_saying_so(browser_like, method, path, named):
    response = call(browser_like, method, path)

    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("Facturier ne gère pas")
    assert f"({named})" in message


@pytest.mark.parametrize("method", METHODS)
def test_an_xml_address_answers_406_in_json_naming_the_json_address(browser_like, method):
    response = call(browser_like, method, "/invoices/12.xml", "<x/>", "application/xml")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert "/invoices/12.json" in response.json()["message"]


def test_a_served_resource_keeps_its_own_answer(browser_like, owner_token):
    response = browser_like.post(
        f"/clients.json?api_token={owner_token}",
        '{"client": {"name": "Dupont"}}',
        content_type="application/json",
    )

    assert response.status_code == 201
