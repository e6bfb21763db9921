"""Jobs run on the database backend only: several workers share it on PostgreSQL through row locks that
skip each other, and any other TASKS_BACKEND stops the process with the reason."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facturier.lib.mail import deliver_mail
from facturier.ops import tasks
from facturier.ops.checks import supported_task_backends
from facturier.tests.jobs import database_backend, run_worker

__all__ = ["database_backend"]

ROOT = Path(__file__).resolve().parents[3]
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"


def test_an_rq_backend_stops_every_process_with_the_reason_and_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="true", FACTURIER_VAR_DIR=str(tmp_path), TASKS_BACKEND="django_tasks_rq.RQBackend")

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "TASKS_BACKEND=django_tasks_rq.RQBackend is not supported." in result.stderr
    assert "start more `facturier run_worker` processes" in result.stderr
    assert "No module named" not in result.stderr  # refused before anything tries to import it


@pytest.mark.parametrize(
    ("backend", "debug", "refused"),
    [
        (tasks.DATABASE, False, False),
        (IMMEDIATE, True, False),
        (IMMEDIATE, False, True),
        ("django_tasks.backends.dummy.DummyBackend", False, True),
        ("django_tasks_rq.RQBackend", True, True),
        ("django_tasks_db.DatabaseBackand", False, True),
    ],
)
def test_only_the_database_backend_runs_jobs_on_a_server(backend, debug, refused):
    assert (tasks.refusal(backend, debug) is not None) == refused


def test_the_check_refuses_tasks_written_by_another_settings_module(settings):
    settings.DEBUG = False
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}

    (error,) = supported_task_backends(None)

    assert error.id == "ops.E001"
    assert "runs jobs in the web request or drops them" in error.msg
    settings.TASKS = {"default": {"BACKEND": tasks.DATABASE}}
    assert supported_task_backends(None) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks that skip each other: PostgreSQL")
def test_workers_take_jobs_with_row_locks_that_skip_each_other(database_backend):
    deliver_mail.enqueue(to=["a@example.test"], subject="Bonjour", body="Texte")

    with CaptureQueriesContext(connection) as queries:
        run_worker()

    assert len(mail.outbox) == 1
    assert any("FOR UPDATE SKIP LOCKED" in query["sql"] for query in queries.captured_queries)
