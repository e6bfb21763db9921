"""What operators and load balancers rely on: the health endpoints, a cache outage that is not an outage,
the security headers set from the environment, and migrations that wait for each other."""

import fcntl
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from facturier.api.tests.conftest import Api, token_of
from facturier.ops import migration_lock as locks

# A Redis that is not there: the port answers nothing.
DEAD_REDIS = {
    "default": {
        "BACKEND": "facturier.lib.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = DEAD_REDIS
    settings.SESSION_ENGINE = "facturier.accounts.sessions"


def test_healthz_answers_without_touching_anything(db, django_assert_num_queries):
    client = Client(HTTP_HOST="10.1.2.3")  # a load balancer calls the node by its address
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_reports_each_dependency(db):
    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "storage": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_readyz_says_unavailable_when_the_cache_is_down(db, dead_cache):
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error:")
    assert "127.0.0.1" not in response.content.decode()  # no address or credential leaks out


def test_readyz_says_unavailable_when_the_database_is_down(db):
    with mock.patch.object(connection, "cursor", side_effect=OSError("connection refused")):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OSError"


def test_pages_and_api_work_while_the_cache_is_down(db, owner, acme, dead_cache):
    api = Api(token_of(owner, acme))
    assert api.get("/invoices.json").status_code == 200
    browser = Client()
    assert browser.get("/login/").status_code == 200
    browser.force_login(owner)  # the session is written to the database behind the dead cache
    assert browser.get(f"/{acme.slug}/").status_code == 200
    assert browser.get(reverse("billing:document_list", args=[acme.slug])).status_code == 200


def test_security_headers_come_from_the_settings(db, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_SSL_REDIRECT = True
    settings.FACTURIER_CSP = "default-src 'self'"
    secure = Client().get("/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=3600"
    assert secure["Content-Security-Policy"] == "default-src 'self'"
    assert Client().get("/login/").status_code == 301  # plain http goes to https
    assert Client().get("/healthz").status_code == 200  # but the load balancer's probe is answered

    settings.FACTURIER_CSP_REPORT_ONLY = True
    report_only = Client().get("/login/", secure=True)
    assert report_only["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    assert "Content-Security-Policy" not in report_only


def test_no_policy_header_without_a_policy(db):
    assert "Content-Security-Policy" not in Client().get("/login/")


def test_reserved_slugs_keep_the_health_paths_free():
    from facturier.tenancy.slugs import slug_problems

    assert slug_problems("healthz") and slug_problems("readyz") and slug_problems("metrics")


def test_migrate_runs_under_the_lock(db):
    taken = []
    real = locks.migration_lock

    def spy(conn):
        taken.append(conn.alias)
        return real(conn)

    with mock.patch("facturier.ops.management.commands.migrate.migration_lock", spy):
        call_command("migrate", verbosity=0)
    assert taken == ["default"]


@pytest.mark.django_db(transaction=True)
def test_a_second_migration_waits_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite uses a file lock (next test)")
    other = connections.create_connection("default")
    try:
        with locks.migration_lock(connection), other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [locks.ADVISORY_KEY])
            assert cursor.fetchone() == (False,)
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [locks.ADVISORY_KEY])
            assert cursor.fetchone() == (True,)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [locks.ADVISORY_KEY])
    finally:
        other.close()


def test_a_second_migration_waits_on_a_sqlite_file(tmp_path: Path):
    database = tmp_path / "db.sqlite3"
    sqlite = mock.Mock(vendor="sqlite", settings_dict={"NAME": str(database)})
    lock_file = f"{database}.migrate-lock"
    with locks.migration_lock(sqlite), open(lock_file, "a") as second, pytest.raises(BlockingIOError):
        fcntl.flock(second, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(lock_file, "a") as second:
        fcntl.flock(second, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the migration is over


def test_every_response_carries_a_request_id_kept_from_the_proxy(db):
    mine = Client().get("/login/")
    assert len(mine["X-Request-ID"]) == 32
    kept = Client().get("/login/", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert kept["X-Request-ID"] == "lb-7f3a9c21-0001"
    replaced = Client().get("/login/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert replaced["X-Request-ID"] != "<script>alert(1)</script>"


def test_log_lines_carry_the_request_id_as_json():
    import json
    import logging

    from pythonjsonlogger.json import JsonFormatter

    from facturier.ops import logs

    spec = logs.logging_config(json=True, level="INFO")["formatters"]["default"]  # type: ignore[index]
    line = JsonFormatter(spec["fmt"], rename_fields=spec["rename_fields"])
    token = logs.set_request_id("req-12345678")
    try:
        record = logging.LogRecord(
            "facturier.test", logging.WARNING, __file__, 1, "Facture %s", ("F-1",), None
        )
        logs.RequestIdFilter().filter(record)
    finally:
        logs.reset_request_id(token)
    written = json.loads(line.format(record))
    assert written["message"] == "Facture F-1"
    assert written["level"] == "WARNING"
    assert written["logger"] == "facturier.test"
    assert written["request_id"] == "req-12345678"


def test_metrics_need_the_token(db, settings):
    assert Client().get("/metrics").status_code == 404  # no token configured: no endpoint
    settings.FACTURIER_METRICS_TOKEN = "s3cret-scraper-token"
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_metrics_count_requests_by_view_and_jobs_by_state(db, settings, owner, acme):
    from facturier.lib.mail import deliver_mail

    settings.FACTURIER_METRICS_TOKEN = "s3cret-scraper-token"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # jobs wait in the table
    browser = Client()
    browser.force_login(owner)
    browser.get(reverse("billing:document_list", args=[acme.slug]))
    deliver_mail.enqueue(to=["a@example.fr"], subject="s", body="b")
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'facturier_http_requests_total{method="GET",status="200",view="billing:document_list"}' in text
    assert 'facturier_http_request_duration_seconds_count{method="GET",view="billing:document_list"}' in text
    assert 'facturier_jobs{status="READY",task="deliver_mail"} 1.0' in text
    assert acme.slug not in text  # series are named by view, never by a path with its account


def test_error_reports_carry_no_token_nor_body():
    from facturier.ops.errors import scrub_event

    event = {
        "request": {
            "method": "POST",
            "url": "https://f.example.fr/invoices.json?api_token=SECRET",
            "query_string": "api_token=SECRET",
            "data": {"api_token": "SECRET", "invoice": {"buyer_name": "Martin"}},
            "headers": {"Authorization": "Basic c2VjcmV0"},
            "cookies": {"sessionid": "SECRET"},
        },
        "exception": {"values": [{"type": "ValueError"}]},
    }
    scrubbed = scrub_event(event, {})  # type: ignore[arg-type]
    assert scrubbed["request"] == {"method": "POST", "url": "https://f.example.fr/invoices.json"}
    assert "SECRET" not in str(scrubbed)
    assert scrubbed["exception"] == {"values": [{"type": "ValueError"}]}


def test_a_logout_while_the_cache_is_down_does_not_leave_the_session_alive(db, owner, dead_cache):
    from redis.exceptions import ConnectionError as RedisConnectionError

    browser = Client(raise_request_exception=True)
    browser.force_login(owner)
    logged_in_key = browser.session.session_key
    with pytest.raises(RedisConnectionError):
        browser.post(reverse("accounts:logout"))
    # Nothing was deleted: the session in the database (and, once Redis is back, in the cache) is whole,
    # so no copy of it can outlive a logout; the user logs out once Redis answers.
    assert Session.objects.filter(session_key=logged_in_key).exists()
