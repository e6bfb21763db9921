"""Account.active_webhooks: kept exact on every write of a webhook, and what it spares accounts without."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from facturier.billing.services import clients as client_service
from facturier.billing.tests.factories import actor_for, make_client
from facturier.tenancy.models import Account
from facturier.webhooks import services
from facturier.webhooks.tests.conftest import make_webhook


def stored_count(account: Account) -> int:
    return Account.objects.values_list("active_webhooks", flat=True).get(pk=account.pk)


def test_the_active_webhooks_of_an_account_are_counted_on_every_write(acme, owner):
    actor = actor_for(acme, owner)
    first = services.create_webhook(actor, acme, kind="client:create", url="https://93.184.215.14/a")
    second = make_webhook(acme, "invoice:create", "https://93.184.215.14/b")  # written by the ORM alone
    make_webhook(acme, "invoice:update", "https://93.184.215.14/c", active=False)
    # The account the webhooks were written with follows too: the request may go on changing it.
    assert (stored_count(acme), acme.active_webhooks) == (2, 2)

    services.update_webhook(actor, first, active=False)
    assert stored_count(acme) == 1
    services.delete_webhook(actor, second)
    assert stored_count(acme) == 0
    services.update_webhook(actor, first, active=True)
    assert stored_count(acme) == 1


def test_a_change_in_an_account_without_webhooks_reads_nothing_after_its_commit(
    acme, owner, django_capture_on_commit_callbacks
):
    client = make_client(acme)
    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as queries:
        client_service.update_client(actor_for(acme, owner), client, city="Nantes")

    assert callbacks == []
    assert not [query for query in queries.captured_queries if "webhooks_webhook" in query["sql"]]
