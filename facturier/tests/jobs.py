"""Helpers for the tests of background jobs: the database task backend, a worker run, a failing SMTP.

The suites run jobs at once (the immediate backend, conftest.py); the tests of retries and of
interrupted jobs need tasks that wait for their time, as in production: use_database_backend switches
to django-tasks-db, and run_worker runs the production worker (facturier/web/worker.py) until no task is
ready.
"""

import smtplib
from collections.abc import Iterator

import pytest
from django.core.mail.backends.locmem import EmailBackend

from facturier.web import worker
from facturier.web.worker import Worker

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_backend(settings, monkeypatch, db):
    """Jobs on the database backend, run by run_worker() within the test's transaction."""
    settings.TASKS = DATABASE_BACKEND
    # The worker closes obsolete connections between tasks, as requests do: on PostgreSQL that would
    # end the transaction the test runs in (SQLite's test database in memory is never closed).
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker.Worker, "drop_connections", staticmethod(lambda: None))


def make_worker(
    *, batch: bool = True, interval: float = 0, max_tasks: int | None = None, worker_id: str = "test-worker"
) -> Worker:
    """The worker of `run_worker` on the default queue, without start-up delay."""
    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_worker() -> None:
    """Run every task that is ready now (and the periodic work), as `run_worker --batch` does."""
    make_worker().run()


class FailingSMTP:
    """The errors the mail server answers with, one per message, before it accepts the next ones."""

    def __init__(self) -> None:
        self.errors: list[Exception] = []

    def fail_with(self, *errors: Exception) -> None:
        self.errors.extend(errors)


@pytest.fixture
def failing_smtp(monkeypatch) -> Iterator[FailingSMTP]:
    smtp = FailingSMTP()
    send_messages = EmailBackend.send_messages

    def send_or_fail(self, messages):
        if smtp.errors:
            raise smtp.errors.pop(0)
        return send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_or_fail)
    yield smtp


def unreachable() -> Exception:
    return ConnectionRefusedError(111, "Connection refused")


def busy() -> Exception:
    return smtplib.SMTPRecipientsRefused({"compta@dupont.test": (451, b"4.7.1 Try again later")})


def refused() -> Exception:
    return smtplib.SMTPRecipientsRefused({"compta@dupont.test": (550, b"5.1.1 User unknown")})
