"""Jobs that never vanish: e-mails retried with back-off, given up with a trace, a worker that survives
the database going away, tasks interrupted with their worker found and dealt with."""

import datetime
import logging
import time

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from facturier.accounts.models import User
from facturier.conftest import logged_in_with_second_factor
from facturier.lib import jobs
from facturier.lib.mail import deliver_mail, send_templated_mail
from facturier.tests.jobs import (
    busy,
    database_backend,
    failing_smtp,
    make_worker,
    refused,
    run_worker,
    unreachable,
)
from facturier.web import worker

__all__ = ["database_backend", "failing_smtp"]
pytestmark = pytest.mark.usefixtures("database_backend")

NOW = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_back_off_grows_then_gives_up():
    waits = [jobs.retry_at(attempt, NOW) for attempt in range(1, jobs.MAX_ATTEMPTS + 1)]

    assert waits == [
        NOW + datetime.timedelta(minutes=1),
        NOW + datetime.timedelta(minutes=5),
        NOW + datetime.timedelta(minutes=30),
        NOW + datetime.timedelta(hours=2),
        NOW + datetime.timedelta(hours=12),
        None,
    ]


def test_an_unreachable_mail_server_is_tried_again_and_the_mail_sent_once(clock, failing_smtp):
    failing_smtp.fail_with(unreachable(), busy())
    send_templated_mail("export_ready", "olivia@acme.test", {"path": "/x/", "job": None, "account": None})

    run_worker()
    assert mail.outbox == []
    run_worker()  # not due yet: nothing happens
    assert mail.outbox == []
    clock.shift(datetime.timedelta(minutes=1))
    run_worker()
    assert mail.outbox == []  # the server said "try later" (451)
    clock.shift(datetime.timedelta(minutes=5))
    run_worker()
    run_worker()

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["olivia@acme.test"]
    rows = DBTaskResult.objects.order_by("enqueued_at")
    assert [row.status for row in rows] == [TaskResultStatus.SUCCESSFUL] * 3
    assert [row.args_kwargs["kwargs"]["attempt"] for row in rows[1:]] == [2, 3]
    assert rows[0].return_value.startswith("retry at 2026-03-05T10:01:00+00:00: ConnectionRefusedError")
    assert rows[2].return_value == "sent"


def test_a_refused_recipient_fails_at_once_and_is_logged(clock, failing_smtp, caplog):
    failing_smtp.fail_with(refused())
    deliver_mail.enqueue(to=["nobody@dupont.test"], subject="Bienvenue", body="Bonjour")

    with caplog.at_level(logging.ERROR, logger="facturier.lib.mail"):
        run_worker()
    clock.shift(datetime.timedelta(days=1))
    run_worker()

    assert mail.outbox == []
    (row,) = DBTaskResult.objects.all()
    assert row.status == TaskResultStatus.FAILED
    assert "SMTPRecipientsRefused" in row.exception_class_path
    assert "compta@dupont.test : 550 5.1.1 User unknown" in caplog.text
    assert "'Bienvenue' to nobody@dupont.test failed for good after 1 attempt(s)" in caplog.text


def test_a_lost_password_reset_mail_is_retried_then_reported_to_staff(
    clock, client, owner, failing_smtp, caplog
):
    failing_smtp.fail_with(*[unreachable()] * jobs.MAX_ATTEMPTS)

    client.post(reverse("accounts:password_reset"), {"email": "olivia@acme.test"})
    with caplog.at_level(logging.ERROR, logger="facturier.lib.mail"):
        for wait in [datetime.timedelta(0), *jobs.BACKOFF]:
            clock.shift(wait)
            run_worker()

    assert mail.outbox == []
    assert DBTaskResult.objects.count() == jobs.MAX_ATTEMPTS
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert failed.args_kwargs["kwargs"]["attempt"] == jobs.MAX_ATTEMPTS
    assert "failed for good after 6 attempt(s)" in caplog.text
    # Platform staff find it among the failed tasks in the admin.
    staff = logged_in_with_second_factor(User.objects.create_superuser("root@facturier.test", "x-12345678"))
    listing = staff.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"), {"status__exact": "FAILED"}
    )
    assert listing.status_code == 200 and str(failed.pk) in listing.content.decode()


def test_a_mail_interrupted_with_its_worker_is_failed_not_sent_twice(clock, caplog):
    deliver_mail.enqueue(to=["olivia@acme.test"], subject="Bienvenue", body="Bonjour")
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())

    run_worker()  # ten minutes have not passed: it may still be running
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    clock.shift(datetime.timedelta(minutes=11))
    with caplog.at_level(logging.ERROR):
        run_worker()

    (row,) = DBTaskResult.objects.all()
    assert (
        row.status == TaskResultStatus.FAILED and row.exception_class_path == "facturier.lib.jobs.Interrupted"
    )
    assert mail.outbox == []
    assert "interrupted with its worker" in caplog.text


def looping_worker(max_tasks: int) -> worker.Worker:
    return make_worker(batch=False, interval=1, max_tasks=max_tasks, worker_id="w")


def test_the_worker_survives_the_database_going_away(clock, monkeypatch):
    deliver_mail.enqueue(to=["olivia@acme.test"], subject="Bienvenue", body="Bonjour")
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    # The claim's query fails three times, as on a connection PostgreSQL closed.
    get_locked = DBTaskResultQuerySet.get_locked
    failures = [OperationalError("terminating connection due to administrator command")] * 3

    def lost_connection(self):
        if failures:
            raise failures.pop()
        return get_locked(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", lost_connection)
    dropped = []
    monkeypatch.setattr(worker.Worker, "drop_connections", staticmethod(lambda: dropped.append(1)))

    looping_worker(max_tasks=1).run()

    assert pauses == [1.0, 2.0, 4.0] and len(dropped) == 3
    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_result_the_database_could_not_take_is_recovered_later(clock, monkeypatch, caplog):
    deliver_mail.enqueue(to=["olivia@acme.test"], subject="Bienvenue", body="Bonjour")
    deliver_mail.enqueue(to=["colin@acme.test"], subject="Bienvenue", body="Bonjour")
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    set_successful = DBTaskResult.set_successful
    failures = [OperationalError("the database system is shutting down")]

    def database_gone(self, return_value):
        if failures:
            raise failures.pop()
        return set_successful(self, return_value)

    monkeypatch.setattr(DBTaskResult, "set_successful", database_gone)
    # Nor can it write the failure.
    set_failed = DBTaskResult.set_failed
    failed_writes = [OperationalError("the database system is shutting down")]

    def failure_not_written(self, exception):
        if failed_writes:
            raise failed_writes.pop()
        return set_failed(self, exception)

    monkeypatch.setattr(DBTaskResult, "set_failed", failure_not_written)

    looping_worker(max_tasks=2).run()  # the worker goes on to the second task

    assert len(mail.outbox) == 2
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [
        TaskResultStatus.RUNNING,
        TaskResultStatus.SUCCESSFUL,
    ]
    clock.shift(datetime.timedelta(minutes=11))
    with caplog.at_level(logging.ERROR):
        run_worker()
    assert len(mail.outbox) == 2  # not sent again
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [
        TaskResultStatus.FAILED,
        TaskResultStatus.SUCCESSFUL,
    ]


def test_the_worker_does_the_periodic_work_without_cron(clock, monkeypatch):
    calls = []
    monkeypatch.setattr(worker, "_purge", lambda: calls.append("purge"))
    monkeypatch.setattr(worker, "_deliver_due_webhooks", lambda: calls.append("webhooks"))
    loop = worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    )

    loop.check()
    loop.check()  # not due again within the minute

    assert calls == ["webhooks", "purge"]
