"""`/webhooks.json` and `/webhooks/{id}.json`: as the public API's clients call them."""

import pytest

from facturier.api.tests.conftest import Api, token_of
from facturier.tenancy.models import AuditEvent
from facturier.webhooks.models import Webhook
from facturier.webhooks.tests.conftest import make_webhook


@pytest.fixture
def api(owner, acme) -> Api:
    return Api(token_of(owner, acme))


def test_create_list_show_update_and_delete(api, acme, receiver):
    response = api.post(
        "/webhooks.json",
        {
            "api_token": api.token,
            "webhook": {"kind": "invoice:create", "url": receiver.url, "api_token": "abc", "active": "1"},
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "invoice:create"
    assert created["url"] == receiver.url
    assert created["api_token"] == "abc"
    assert created["active"] is True
    assert len(created["secret"]) == 64
    assert isinstance(created["id"], int)

    assert api.get("/webhooks.json").json() == [created]
    assert api.get(f"/webhooks/{created['id']}.json").json() == created

    response = api.put(
        f"/webhooks/{created['id']}.json", {"webhook": {"active": "false", "kind": "client:update"}}
    )
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["kind"]) == (False, "client:update")

    response = api.delete(f"/webhooks/{created['id']}.json")
    assert (response.status_code, response.json()) == (200, "ok")
    assert not Webhook.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="webhook.").order_by("pk")] == [
        "webhook.created",
        "webhook.changed",
        "webhook.deleted",
    ]


def test_a_webhook_without_api_token_gets_one(api, receiver):
    response = api.post("/webhooks.json", {"webhook": {"kind": "client:create", "url": receiver.url}})
    assert response.status_code == 201
    assert response.json()["api_token"]


@pytest.mark.parametrize(
    ("webhook", "field"),
    [
        ({"url": "https://93.184.215.14/x"}, "kind"),
        ({"kind": "client:create"}, "url"),
        ({"kind": "invoice:paid", "url": "https://93.184.215.14/x"}, "kind"),
        ({"kind": "client:create", "url": "http://example.com/x"}, "url"),
        ({"kind": "client:create", "url": "https://169.254.169.254/x"}, "url"),
        ({"kind": "client:create", "url": ["https://93.184.215.14/x"]}, "url"),
        ({"kind": "client:create", "url": "https://93.184.215.14/x", "active": "peut-être"}, "active"),
        ({"kind": "client:create", "url": "https://93.184.215.14/x", "api_token": "x" * 101}, "api_token"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, webhook, field):
    response = api.post("/webhooks.json", {"webhook": webhook})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "error"
    assert field in response.json()["message"]
    assert not Webhook.objects.exists()


def test_a_body_that_is_not_an_object_is_a_422(api):
    response = api.post("/webhooks.json", {"webhook": "client:create"})
    assert response.status_code == 422


def test_another_accounts_webhook_is_a_404(api, globex):
    theirs = make_webhook(globex, "client:create", "https://93.184.215.14/x")
    for response in (
        api.get(f"/webhooks/{theirs.pk}.json"),
        api.put(f"/webhooks/{theirs.pk}.json", {"webhook": {"active": False}}),
        api.delete(f"/webhooks/{theirs.pk}.json"),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": "error", "message": "Not Found"}
    theirs.refresh_from_db()
    assert theirs.active
    assert api.get("/webhooks.json").json() == []


def test_a_member_without_the_settings_permission_gets_a_403(collaborator, acme):
    collaborator_api = Api(token_of(collaborator, acme))
    assert collaborator_api.get("/webhooks.json").status_code == 403
    response = collaborator_api.post(
        "/webhooks.json", {"webhook": {"kind": "client:create", "url": "https://93.184.215.14/x"}}
    )
    assert response.status_code == 403
    assert not Webhook.objects.exists()


def test_without_a_token_it_is_a_401(client):
    assert client.get("/webhooks.json").status_code == 401


def test_a_failing_receiver_does_not_affect_the_api_call(
    api, acme, receiver, django_capture_on_commit_callbacks
):
    make_webhook(acme, "client:create", receiver.url)
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/clients.json", {"client": {"name": "Martin SA"}})
    assert response.status_code == 201
    assert len(receiver.requests) == 1
