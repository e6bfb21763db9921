"""The replica router: the report pages read from the replica; the access gate, every other page and any
read inside a transaction of the primary stay on the primary; without a replica nothing changes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.urls import reverse

from facturier.billing.models import Document
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.conftest import logged_in
from facturier.ops.replica import RECENT_WRITE_COOKIE, REPLICA, ReplicaRouter, replica_reads

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def replica(settings, monkeypatch):
    """A replica alias on the test database's own connection (as TEST MIRROR does), and the router."""
    settings.DATABASE_ROUTERS = ["facturier.ops.replica.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "facturier.ops.replica.RecentWriteMiddleware"]
    monkeypatch.setitem(connections.settings, REPLICA, connections.settings[DEFAULT_DB_ALIAS])
    connections[REPLICA] = connections[DEFAULT_DB_ALIAS]
    yield
    del connections[REPLICA]


@pytest.fixture
def routed(monkeypatch):
    """(model, database) of every read the router was asked about."""
    seen: list[tuple[str, str | None]] = []
    original = ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        database = original(self, model, **hints)
        seen.append((f"{model._meta.app_label}.{model._meta.object_name}", database))
        return database

    monkeypatch.setattr(ReplicaRouter, "db_for_read", spy)
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_report_page_reads_from_the_replica_behind_the_gate_on_the_primary(replica, routed, acme, owner):
    make_invoice(acme, make_client(acme), lines=[line("Conseil", "1", "100", "20")])
    client = logged_in(owner)
    routed.clear()

    page = client.get(reverse("reports:report", args=["acme", "revenue"]))

    assert page.status_code == 200
    assert ("tenancy.Membership", None) in routed  # the access gate
    assert ("tenancy.Membership", REPLICA) not in routed
    reports = {database for label, database in routed if label.startswith(("billing.", "reports."))}
    assert reports == {REPLICA}, routed
    assert all(
        database is None for label, database in routed if label.startswith(("sessions.", "django_cache."))
    )


@pytest.mark.django_db(transaction=True)
def test_a_user_who_has_just_written_reads_the_reports_from_the_primary(replica, routed, acme, owner):
    client = logged_in(owner)
    wrote = client.post(reverse("set_language"), {"language": "fr", "next": "/acme/"})
    cookie = wrote.cookies[RECENT_WRITE_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"]
    routed.clear()

    page = client.get(reverse("reports:report", args=["acme", "revenue"]))

    assert page.status_code == 200
    assert routed and REPLICA not in {database for _label, database in routed}
    # Reading writes nothing: the mark expires on its own.
    assert RECENT_WRITE_COOKIE not in page.cookies


@pytest.mark.django_db(transaction=True)
def test_other_pages_read_from_the_primary(replica, routed, acme, owner):
    client = logged_in(owner)
    routed.clear()

    page = client.get(reverse("billing:document_list", args=["acme"]))

    assert page.status_code == 200
    assert routed and {database for _label, database in routed} == {None}


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_of_the_primary_stay_there(replica):
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Document) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Document) is None
    assert router.db_for_read(Document) is None
    assert router.db_for_write(Document) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "billing") is False


def test_without_a_replica_the_router_changes_nothing():
    with replica_reads():
        assert ReplicaRouter().db_for_read(Document) is None


def test_the_replica_comes_from_database_replica_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DEBUG="true",
        FACTURIER_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://app@primary.internal:5432/facturier",
        DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/facturier",
    )
    probe = (
        "from django.conf import settings; r = settings.DATABASES['replica']; "
        "print(r['HOST'], r['TEST']['MIRROR'], settings.DATABASE_ROUTERS, "
        "'facturier.ops.replica.RecentWriteMiddleware' in settings.MIDDLEWARE)"
    )
    result = subprocess.run(  # noqa: S603 (our interpreter and manage.py)
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("replica.internal default ['facturier.ops.replica.ReplicaRouter'] True")
